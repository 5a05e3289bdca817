"""The cost of auditing personal-data reads: p50/p99 latency of one query returning personal
data, 8 concurrent clients (or --clients), with the access recorded vs not, in the same run.

    python -m benchmarks.pd_audit [--database-url URL] [--seconds S] [--rounds R]
                                  [--clients N] [--separate]

The API runs in this process as `ledger serve` runs it (uvicorn, real HTTP, the projections in
threads beside it) on a scratch database (created on the local server and dropped, unless
--database-url names one); the clients run in a process of their own. With --separate the
projections run in a `ledger project` process instead, as a scaled deployment runs them. The
rate limit is off.
The cases run in turns, R rounds of S seconds each, all against the same server:

- audited: `appeal { subject text contact {…} history {…} }` with X-Purpose; each response
  waits for its PersonalDataAccessed to be group-committed;
- not audited: the same query and values, the recorder replaced by one that stores nothing
  (the cost of everything but the audit);
- masked: the same query without X-Purpose: `***` values, nothing to record.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence, Set
from datetime import UTC, datetime

import httpx

from adapters.bootstrap import Services, build, prepare_database
from adapters.personal_data import AccessRecorder, Reader
from adapters.settings import load_settings
from api.auth import Role, TokenKeys
from benchmarks.api_server import running_api
from benchmarks.sla import scratch_database
from domain import commands as c
from domain.values import AppealType, Channel, Contact

APPEALS = 64
QUERY = """query($n: String!) { appeal(number: $n) {
  number status subject text contact { name phone email } history { eventType details } } }"""


class Unrecorded(AccessRecorder):
    """Stores nothing: what a read costs without its audit."""

    async def record_async(
        self, reader: Reader, reads: Mapping[str, Set[str]], timeout: float
    ) -> list[int]:
        return []


def seed(services: Services) -> list[str]:
    """APPEALS appeals on as many accounts, each with a contact; their numbers."""
    now = datetime.now(UTC)
    futures = [services.committer.submit(c.RegisterAppeal(
        account_number=f"{5_500_000_000 + i}", channel=Channel.EMAIL, type=AppealType.COMPLAINT,
        received_at=now, subject="Перерасчёт за март", text="Прошу пересчитать счёт " * 10,
        contact=Contact(name="Иванова Мария", phone="+79001234567", email="m@example.org"),
    ), "bench", now) for i in range(APPEALS)]
    numbers = [f.result().appeal_number for f in futures]
    for name in services.projections:
        services.projector(name).catch_up()
    return [n for n in numbers if n is not None]


def run_clients(url: str, token: str, numbers: list[str], purpose: str | None,
                seconds: float, count: int) -> list[float]:
    """The clients of one turn, in the clients' process."""
    return asyncio.run(clients(url, token, numbers, purpose, seconds, count))


async def clients(url: str, token: str, numbers: list[str], purpose: str | None,
                  seconds: float, count: int) -> list[float]:
    """`count` clients asking one after another for `seconds`; every latency in ms."""
    headers = {"Authorization": f"Bearer {token}"} | ({"X-Purpose": purpose} if purpose else {})
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as http:
        async def client(k: int) -> None:
            i = k
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await http.post("/graphql", json={
                    "query": QUERY, "variables": {"n": numbers[i % len(numbers)]}})
                latencies.append((time.perf_counter() - started) * 1000)
                body = response.json()
                assert response.status_code == 200 and "errors" not in body, body
                i += count

        await asyncio.gather(*(client(k) for k in range(count)))
    return latencies


def measure(services: Services, url: str, token: str, numbers: list[str], seconds: float,
            rounds: int, count: int) -> dict[str, list[float]]:
    """Each case in turn, `rounds` times; the latencies of each."""
    audit, unrecorded = services.audit, Unrecorded(services.ledger)
    found: dict[str, list[float]] = {"audited": [], "not audited": [], "masked": []}
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        try:
            for _ in range(rounds):
                for case, recorder, purpose in (("audited", audit, "audit:bench"),
                                                ("not audited", unrecorded, "audit:bench"),
                                                ("masked", audit, None)):
                    services.audit = recorder
                    found[case] += pool.apply(run_clients,
                                              (url, token, numbers, purpose, seconds, count))
        finally:
            services.audit = audit
            unrecorded.close()
    return found


def projections(
    services: Services, url: str, separate: bool
) -> subprocess.Popen[bytes] | None:
    """Start the read models beside the API, or in a `ledger project` process of their own."""
    if not separate:
        services.start_projections()
        return None
    env = os.environ | {"LEDGER_DATABASE_URL": url}
    return subprocess.Popen([sys.executable, "-m", "api.cli", "project"], env=env,
                            stderr=subprocess.DEVNULL)


def table(found: dict[str, list[float]], seconds: float) -> str:
    lines = ["| case | requests | req/s | p50 ms | p99 ms |", "|---|---:|---:|---:|---:|"]
    for case, ms in found.items():
        cuts = statistics.quantiles(ms, n=100)
        lines.append(f"| {case} | {len(ms):,} | {len(ms) / seconds:,.0f} | {cuts[49]:.2f} |"
                     f" {cuts[98]:.2f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Seed, serve, measure the three cases in turns; print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pd_audit", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a scratch database (default: a fresh one)")
    parser.add_argument("--seconds", type=float, default=5.0, help="per round and case (5)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the three cases (3)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument("--separate", action="store_true",
                        help="projections in a `ledger project` process, not the API's")
    args = parser.parse_args(argv)
    settings = dataclasses.replace(load_settings(), rate_limit_per_second=0.0)
    keys = TokenKeys("benchmark-key-" + "x" * 32)
    with scratch_database(args.database_url) as url:
        prepare_database(url)
        services = build(url, settings, pool_size=12)
        projector = projections(services, url, args.separate)
        try:
            numbers = seed(services)
            with running_api(services, settings, keys) as base:
                print(f"measuring {args.clients} clients, {args.rounds} x {args.seconds:g} s a "
                      "case...", file=sys.stderr, flush=True)
                found = measure(services, base, keys.issue(Role.OPERATOR, "bench", 3600),
                                numbers, args.seconds, args.rounds, args.clients)
        finally:
            if projector is not None:
                projector.terminate()
                projector.wait(timeout=10)
            services.close()
    print(table(found, args.seconds * args.rounds))


if __name__ == "__main__":
    main()
