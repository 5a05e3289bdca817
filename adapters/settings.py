"""Every LEDGER_* environment variable, read once (`get_settings()`), each documented."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """The service's configuration; the README lists the same variables."""

    database_url: str | None
    """LEDGER_DATABASE_URL: PostgreSQL URL; unset means the embedded pgserver."""
    nats_url: str | None
    """LEDGER_NATS_URL: NATS URL; unset means the embedded nats-server."""
    embedded_nats_port: int
    """LEDGER_EMBEDDED_NATS_PORT: port of the embedded nats-server (default 4223)."""
    data_dir: Path
    """LEDGER_DATA_DIR: where the embedded servers keep their data (default ./.ledger-data)."""
    timezone: str
    """LEDGER_TIMEZONE: the office's timezone for deadlines (default Europe/Moscow)."""
    secret_key: str | None
    """LEDGER_SECRET_KEY: key that signs bearer tokens; unset means a key kept in the data dir."""
    previous_secret_keys: tuple[str, ...]
    """LEDGER_PREVIOUS_SECRET_KEYS: comma-separated keys still accepted during a rotation."""
    host: str
    """LEDGER_HOST: address `ledger serve` listens on (default 127.0.0.1)."""
    port: int
    """LEDGER_PORT: port `ledger serve` listens on (default 8000)."""
    db_schema: str
    """LEDGER_DB_SCHEMA: PostgreSQL schema of the event store and read models (default public)."""
    nats_stream: str
    """LEDGER_NATS_STREAM: JetStream stream of ledger events (default LEDGER)."""
    nats_subject_prefix: str
    """LEDGER_NATS_SUBJECT_PREFIX: first token of every subject (default ledger)."""
    nats_duplicate_window_seconds: float
    """LEDGER_NATS_DUPLICATE_WINDOW_SECONDS: JetStream drops a repeated Nats-Msg-Id within it
    (default 120)."""
    nats_max_age_days: float
    """LEDGER_NATS_MAX_AGE_DAYS: how long the streams keep messages; 0 keeps them (default 30)."""
    nats_sync_always: bool
    """LEDGER_NATS_SYNC_ALWAYS: JetStream fsyncs each message before its ack (default false:
    the event store is the source of truth and the publisher republishes after a crash)."""
    read_wait_seconds: float
    """LEDGER_READ_WAIT_SECONDS: how long a mutation waits for its projection (default 5)."""
    log_level: str
    """LEDGER_LOG_LEVEL: INFO, DEBUG, WARNING... (default INFO)."""
    sla_policy: Path | None = None
    """LEDGER_SLA_POLICY: JSON file of the SLA timers (`ledger sla policy` prints the shape);
    unset means the defaults of SLA.md. Timers keep the policy version that started them."""
    clock_interval_seconds: float = 10.0
    """LEDGER_CLOCK_INTERVAL_SECONDS: how often the SLA clock looks for passed moments
    (default 10)."""
    checkpoint_every_events: int = 10_000
    """LEDGER_CHECKPOINT_EVERY_EVENTS: the chain follower appends a checkpoint (Merkle root of
    every stream's head) after this many events (default 10000)..."""
    checkpoint_seconds: float = 300.0
    """LEDGER_CHECKPOINT_SECONDS: ...or this long after the last one, if anything was stored
    since (default 300)."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"LEDGER_{name}")
    return value if value not in (None, "") else default


def _path(value: str | None) -> Path | None:
    return None if value is None else Path(value).absolute()


def load_settings() -> Settings:
    """Read the environment now (tests call this; the service uses `get_settings`)."""
    keys = _env("PREVIOUS_SECRET_KEYS", "") or ""
    return Settings(
        database_url=_env("DATABASE_URL"),
        nats_url=_env("NATS_URL"),
        embedded_nats_port=int(_env("EMBEDDED_NATS_PORT", "4223") or 4223),
        data_dir=Path(_env("DATA_DIR", ".ledger-data") or ".ledger-data").absolute(),
        timezone=_env("TIMEZONE", "Europe/Moscow") or "Europe/Moscow",
        secret_key=_env("SECRET_KEY"),
        previous_secret_keys=tuple(k for k in keys.split(",") if k),
        host=_env("HOST", "127.0.0.1") or "127.0.0.1",
        port=int(_env("PORT", "8000") or 8000),
        db_schema=_env("DB_SCHEMA", "public") or "public",
        nats_stream=_env("NATS_STREAM", "LEDGER") or "LEDGER",
        nats_subject_prefix=_env("NATS_SUBJECT_PREFIX", "ledger") or "ledger",
        nats_duplicate_window_seconds=float(_env("NATS_DUPLICATE_WINDOW_SECONDS", "120") or 120),
        nats_max_age_days=float(_env("NATS_MAX_AGE_DAYS", "30") or 30),
        nats_sync_always=(_env("NATS_SYNC_ALWAYS", "false") or "false").lower() in ("1", "true", "y", "yes"),
        read_wait_seconds=float(_env("READ_WAIT_SECONDS", "5") or 5),
        log_level=(_env("LOG_LEVEL", "INFO") or "INFO").upper(),
        sla_policy=_path(_env("SLA_POLICY")),
        clock_interval_seconds=float(_env("CLOCK_INTERVAL_SECONDS", "10") or 10),
        checkpoint_every_events=int(_env("CHECKPOINT_EVERY_EVENTS", "10000") or 10000),
        checkpoint_seconds=float(_env("CHECKPOINT_SECONDS", "300") or 300),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return load_settings()
