"""Every LEDGER_* environment variable, read once (`get_settings()`), each documented."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import msgspec
import psycopg
from psycopg.conninfo import conninfo_to_dict

from domain.campaign_commands import AllowedHours


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
    pd_key_cache_seconds: float = 5.0
    """LEDGER_PD_KEY_CACHE_SECONDS: how long a process trusts a cached personal-data key; an
    erasure in another process is seen within it (default 5; docs/personal-data.md)."""
    pd_audit_timeout_seconds: float = 5.0
    """LEDGER_PD_AUDIT_TIMEOUT_SECONDS: how long a response waits for its access record to be
    stored; past it the personal data is withheld (default 5)."""
    master_key: str | None = None
    """LEDGER_MASTER_KEY: base64 of 32 bytes; wraps every personal-data key. Unset means a key
    file made once in the data dir (mode 0600; docs/personal-data.md)."""
    master_keys_previous: tuple[str, ...] = ()
    """LEDGER_MASTER_KEY_PREVIOUS: comma-separated earlier master keys, still accepted to unwrap
    during a rotation until `ledger keys rewrap` has moved every key under the current one."""
    export_signing_key: str | None = None
    """LEDGER_EXPORT_SIGNING_KEY: base64 of a 32-byte Ed25519 private key; signs every
    `ledger export`. Unset means a key file made once in the data dir (mode 0600);
    `ledger keys public` prints its public key for auditors (docs/auditing.md)."""
    max_query_depth: int = 10
    """LEDGER_MAX_QUERY_DEPTH: deepest selection nesting a GraphQL operation may have
    (default 10)."""
    max_query_tokens: int = 2000
    """LEDGER_MAX_QUERY_TOKENS: most lexical tokens in one GraphQL document (default 2000)."""
    max_query_aliases: int = 30
    """LEDGER_MAX_QUERY_ALIASES: most aliases in one GraphQL document (default 30)."""
    max_query_cost: int = 5000
    """LEDGER_MAX_QUERY_COST: most estimated objects one operation may return, each list
    counted at its `first` (or 50) times its items (default 5000)."""
    max_body_bytes: int = 262_144
    """LEDGER_MAX_BODY_BYTES: largest request body; a larger one gets 413 (default 256 KiB)."""
    rate_limit_per_second: float = 100.0
    """LEDGER_RATE_LIMIT_PER_SECOND: requests a token may make per second on average; more
    get 429 with Retry-After (per process; 0 turns the limit off; default 100)."""
    rate_limit_burst: int = 200
    """LEDGER_RATE_LIMIT_BURST: requests a token may make at once above that rate
    (default 200)."""
    notify_enabled: bool = True
    """LEDGER_NOTIFY_ENABLED: `ledger serve` runs the notifier, dispatcher, receipt consumer and
    campaign runner in-process (default true; `ledger notify` runs them on their own)."""
    smtp_host: str = "127.0.0.1"
    """LEDGER_SMTP_HOST: the mail server e-mail notifications go through (default 127.0.0.1)."""
    smtp_port: int = 25
    """LEDGER_SMTP_PORT: its port (default 25)."""
    smtp_from: str = "ledger@localhost"
    """LEDGER_SMTP_FROM: the sender address of e-mail notifications."""
    smtp_starttls: bool = False
    """LEDGER_SMTP_STARTTLS: upgrade the connection with STARTTLS before sending (default false)."""
    smtp_user: str | None = None
    """LEDGER_SMTP_USER: login for the mail server; unset sends without logging in."""
    smtp_password: str | None = None
    """LEDGER_SMTP_PASSWORD: its password."""
    smtp_connections: int = 4
    """LEDGER_SMTP_CONNECTIONS: connections kept open to the mail server (default 4)."""
    sms_gateway_url: str | None = None
    """LEDGER_SMS_GATEWAY_URL: the SMS provider's HTTP endpoint (POST JSON {to, text,
    reference}); unset keeps SMS notifications waiting until it is configured."""
    sms_gateway_token: str | None = None
    """LEDGER_SMS_GATEWAY_TOKEN: bearer token sent to the SMS provider."""
    notify_timeout_seconds: float = 10.0
    """LEDGER_NOTIFY_TIMEOUT_SECONDS: how long one send may take before it counts as the gateway
    being down (default 10)."""
    notify_retry_base_seconds: float = 2.0
    """LEDGER_NOTIFY_RETRY_BASE_SECONDS: first wait after a gateway was down; it doubles with
    each failed try (default 2)..."""
    notify_retry_max_seconds: float = 300.0
    """LEDGER_NOTIFY_RETRY_MAX_SECONDS: ...up to this (default 300). Nothing is dropped."""
    notify_poll_seconds: float = 0.5
    """LEDGER_NOTIFY_POLL_SECONDS: how often the dispatcher looks for notifications to send and
    the campaign runner for work (default 0.5)."""
    notify_batch: int = 200
    """LEDGER_NOTIFY_BATCH: notifications the dispatcher claims and sends at once (default 200)."""
    campaign_hours: str = "09:00-21:00"
    """LEDGER_CAMPAIGN_HOURS: when campaigns may reach clients, every day, office time, as
    HH:MM-HH:MM (default 09:00-21:00; 00:00-24:00 is always; 21:00-09:00 is overnight)."""
    notification_templates: Path | None = None
    """LEDGER_NOTIFICATION_TEMPLATES: JSON file of the notification templates (`ledger notify
    templates` prints the shape); unset means the built-in Russian templates."""
    survey_url: str = "https://lk.example.com/survey"
    """LEDGER_SURVEY_URL: the feedback form the survey e-mail links to (6.1.6)."""
    chat_url: str = "https://lk.example.com/chat"
    """LEDGER_CHAT_URL: the online-office chat the operator-joined notice links to (9.1.5)."""


class SettingsError(ValueError):
    """A LEDGER_* variable whose value cannot be used: the message names it."""


_POSITIVE = frozenset({
    "CLOCK_INTERVAL_SECONDS", "CHECKPOINT_EVERY_EVENTS", "CHECKPOINT_SECONDS",
    "PD_AUDIT_TIMEOUT_SECONDS", "MAX_QUERY_DEPTH", "MAX_QUERY_TOKENS", "MAX_QUERY_ALIASES",
    "MAX_QUERY_COST", "MAX_BODY_BYTES", "RATE_LIMIT_BURST", "SMTP_CONNECTIONS",
    "NOTIFY_TIMEOUT_SECONDS", "NOTIFY_RETRY_BASE_SECONDS", "NOTIFY_RETRY_MAX_SECONDS",
    "NOTIFY_POLL_SECONDS", "NOTIFY_BATCH",
})
"""Numbers that must be above zero; the others may be zero (e.g. a rate limit of 0: off)."""
_PORTS = frozenset({"PORT", "EMBEDDED_NATS_PORT", "SMTP_PORT"})


def _number(kind: type[Any], name: str, default: str) -> Any:
    """The variable as a number, validated with msgspec; a bad one stops the process with a
    message naming it, rather than a traceback from `int()`."""
    text = _env(name, default) or default
    if name in _PORTS:
        meta = msgspec.Meta(ge=1, le=65535)
    else:
        meta = msgspec.Meta(gt=0) if name in _POSITIVE else msgspec.Meta(ge=0)
    try:
        return msgspec.convert(text, Annotated[kind, meta], strict=False)
    except msgspec.ValidationError as error:
        raise SettingsError(f"LEDGER_{name}={text!r}: {error}") from None


def _database_url() -> str | None:
    """LEDGER_DATABASE_URL, if set, as libpq can read it (a URL or key=value pairs)."""
    url = _env("DATABASE_URL")
    if url is not None:
        try:
            conninfo_to_dict(url)
        except psycopg.ProgrammingError as error:
            raise SettingsError(f"LEDGER_DATABASE_URL: {error}") from None
    return url


def _nats_url() -> str | None:
    """LEDGER_NATS_URL, if set: one or more comma-separated nats://, tls://, ws:// or wss://
    server URLs (anything else made the client retry a name it could never resolve)."""
    value = _env("NATS_URL")
    if value is not None:
        for url in value.split(","):
            if urlsplit(url.strip()).scheme not in ("nats", "tls", "ws", "wss"):
                raise SettingsError(f"LEDGER_NATS_URL: {url.strip()!r} is no nats://host:port"
                                    " URL (nats, tls, ws or wss)")
    return value


_NATS_NAMES = {
    "NATS_STREAM": (re.compile(r"^[A-Za-z0-9_-]+$"),
                    "letters, digits, - and _ (JetStream refuses . * > spaces and slashes)"),
    "NATS_SUBJECT_PREFIX": (re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"),
                            "dot-separated tokens of letters, digits, - and _"),
}


def _nats_name(name: str, default: str) -> str:
    """A stream name or subject prefix NATS takes: a bad one left the NATS thread dead at
    start (a traceback) while the process ran on without publishing or ingesting."""
    value = _env(name, default) or default
    pattern, rule = _NATS_NAMES[name]
    if not pattern.match(value):
        raise SettingsError(f"LEDGER_{name}={value!r}: must be {rule}")
    return value


def _int(name: str, default: str) -> int:
    return int(_number(int, name, default))


def _float(name: str, default: str) -> float:
    return float(_number(float, name, default))


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"LEDGER_{name}")
    return value if value not in (None, "") else default


def _path(value: str | None) -> Path | None:
    return None if value is None else Path(value).absolute()


def load_settings() -> Settings:
    """Read the environment now (tests call this; the service uses `get_settings`)."""
    keys = _env("PREVIOUS_SECRET_KEYS", "") or ""
    return Settings(
        database_url=_database_url(),
        nats_url=_nats_url(),
        embedded_nats_port=_int("EMBEDDED_NATS_PORT", "4223"),
        data_dir=Path(_env("DATA_DIR", ".ledger-data") or ".ledger-data").absolute(),
        timezone=_env("TIMEZONE", "Europe/Moscow") or "Europe/Moscow",
        secret_key=_env("SECRET_KEY"),
        previous_secret_keys=tuple(k for k in keys.split(",") if k),
        host=_env("HOST", "127.0.0.1") or "127.0.0.1",
        port=_int("PORT", "8000"),
        db_schema=_env("DB_SCHEMA", "public") or "public",
        nats_stream=_nats_name("NATS_STREAM", "LEDGER"),
        nats_subject_prefix=_nats_name("NATS_SUBJECT_PREFIX", "ledger"),
        nats_duplicate_window_seconds=_float("NATS_DUPLICATE_WINDOW_SECONDS", "120"),
        nats_max_age_days=_float("NATS_MAX_AGE_DAYS", "30"),
        nats_sync_always=_flag("NATS_SYNC_ALWAYS", "false"),
        read_wait_seconds=_float("READ_WAIT_SECONDS", "5"),
        log_level=(_env("LOG_LEVEL", "INFO") or "INFO").upper(),
        sla_policy=_path(_env("SLA_POLICY")),
        clock_interval_seconds=_float("CLOCK_INTERVAL_SECONDS", "10"),
        checkpoint_every_events=_int("CHECKPOINT_EVERY_EVENTS", "10000"),
        checkpoint_seconds=_float("CHECKPOINT_SECONDS", "300"),
        pd_key_cache_seconds=_float("PD_KEY_CACHE_SECONDS", "5"),
        pd_audit_timeout_seconds=_float("PD_AUDIT_TIMEOUT_SECONDS", "5"),
        master_key=_env("MASTER_KEY"),
        export_signing_key=_env("EXPORT_SIGNING_KEY"),
        master_keys_previous=tuple(k for k in (_env("MASTER_KEY_PREVIOUS", "") or "").split(",")
                                   if k.strip()),
        max_query_depth=_int("MAX_QUERY_DEPTH", "10"),
        max_query_tokens=_int("MAX_QUERY_TOKENS", "2000"),
        max_query_aliases=_int("MAX_QUERY_ALIASES", "30"),
        max_query_cost=_int("MAX_QUERY_COST", "5000"),
        max_body_bytes=_int("MAX_BODY_BYTES", "262144"),
        rate_limit_per_second=_float("RATE_LIMIT_PER_SECOND", "100"),
        rate_limit_burst=_int("RATE_LIMIT_BURST", "200"),
        **_notify_settings(),
    )


def _flag(name: str, default: str) -> bool:
    return (_env(name, default) or default).lower() in ("1", "true", "y", "yes")


def _notify_settings() -> dict[str, Any]:
    """The notification gateways' and campaigns' variables."""
    return {
        "notify_enabled": _flag("NOTIFY_ENABLED", "true"),
        "smtp_host": _env("SMTP_HOST", "127.0.0.1"),
        "smtp_port": _int("SMTP_PORT", "25"),
        "smtp_from": _env("SMTP_FROM", "ledger@localhost"),
        "smtp_starttls": _flag("SMTP_STARTTLS", "false"),
        "smtp_user": _env("SMTP_USER"),
        "smtp_password": _env("SMTP_PASSWORD"),
        "smtp_connections": _int("SMTP_CONNECTIONS", "4"),
        "sms_gateway_url": _env("SMS_GATEWAY_URL"),
        "sms_gateway_token": _env("SMS_GATEWAY_TOKEN"),
        "notify_timeout_seconds": _float("NOTIFY_TIMEOUT_SECONDS", "10"),
        "notify_retry_base_seconds": _float("NOTIFY_RETRY_BASE_SECONDS", "2"),
        "notify_retry_max_seconds": _float("NOTIFY_RETRY_MAX_SECONDS", "300"),
        "notify_poll_seconds": _float("NOTIFY_POLL_SECONDS", "0.5"),
        "notify_batch": _int("NOTIFY_BATCH", "200"),
        "campaign_hours": _campaign_hours(),
        "notification_templates": _path(_env("NOTIFICATION_TEMPLATES")),
        "survey_url": _env("SURVEY_URL", "https://lk.example.com/survey"),
        "chat_url": _env("CHAT_URL", "https://lk.example.com/chat"),
    }


def _campaign_hours() -> str:
    """LEDGER_CAMPAIGN_HOURS, checked at start: a bad one stopped the notification side with
    a traceback, after the service had started."""
    value = _env("CAMPAIGN_HOURS", "09:00-21:00") or "09:00-21:00"
    try:
        AllowedHours.parse(value)
    except ValueError as error:
        raise SettingsError(f"LEDGER_CAMPAIGN_HOURS={value!r}: {error}") from None
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return load_settings()
