"""Mutations through the whole API, next to the same commands through the group committer
alone, in the same run.

    python -m benchmarks.api [--database-url URL] [--seconds S] [--clients 1,8,50]

`registerAppeal` over HTTP (bearer token, GraphQL parsing and validation, group commit, the wait
for the appeal_status read model, the appeal read back) against the API served in this process
as `ledger serve` serves it, its read models in threads beside it; the clients run in a process
of their own. The baseline sends the same commands to `committer.execute` from as many threads:
no HTTP, no GraphQL, no wait for a read model. Every request is a new account (a first contact).
Without --database-url it works in a scratch database on the local server, dropped at the end.
The rate limit is off.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import multiprocessing
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import httpx

from adapters.bootstrap import Services, build, prepare_database
from adapters.settings import load_settings
from api.auth import Role, TokenKeys
from benchmarks.api_server import running_api
from benchmarks.sla import scratch_database
from domain import commands as c
from domain.values import AppealType, Channel, Contact

MUTATION = """mutation($input: RegisterAppealInput!) {
  registerAppeal(input: $input) { position appeal { number status } } }"""
FIRST_ACCOUNT = 6_000_000_000
PER_CASE = 1_000_000
"""Account numbers each case may use: every request opens an account of its own."""


def values(account: int) -> dict[str, object]:
    """The mutation's input for an account."""
    return {"accountNumber": str(account), "channel": "MAIL", "type": "STATEMENT",
            "receivedAt": "2026-11-20T10:00:00+03:00", "subject": "Перерасчёт",
            "text": "Прошу пересчитать счёт за октябрь", "contact": {"phone": "+79001112233"}}


def run_clients(url: str, token: str, seconds: float, count: int, first: int) -> list[float]:
    """`count` clients posting one mutation after another for `seconds`, in the clients'
    process; every latency in ms."""
    return asyncio.run(_clients(url, token, seconds, count, first))


async def _clients(url: str, token: str, seconds: float, count: int, first: int) -> list[float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=url, timeout=60.0,
                                 headers={"Authorization": f"Bearer {token}"},
                                 limits=httpx.Limits(max_connections=count)) as http:
        async def client(k: int) -> None:
            account = first + k
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await http.post("/graphql", json={
                    "query": MUTATION, "variables": {"input": values(account)}})
                latencies.append((time.perf_counter() - started) * 1000)
                body = response.json()
                assert response.status_code == 200 and "errors" not in body, body
                account += count

        await asyncio.gather(*(client(k) for k in range(count)))
    return latencies


def committer_alone(services: Services, seconds: float, count: int, first: int) -> list[float]:
    """The same commands from `count` threads straight to the group committer."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    def writer(k: int) -> None:
        account = first + k
        while time.perf_counter() < deadline:
            now = datetime.now(UTC)
            command = c.RegisterAppeal(
                account_number=str(account), channel=Channel.MAIL, type=AppealType.STATEMENT,
                received_at=now, subject="Перерасчёт", text="Прошу пересчитать счёт за октябрь",
                contact=Contact(phone="+79001112233"))
            started = time.perf_counter()
            services.committer.execute(command, "bench", now)
            latencies.append((time.perf_counter() - started) * 1000)
            account += count

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def row(case: str, count: int, ms: list[float], seconds: float, baseline: float | None) -> str:
    cuts = statistics.quantiles(ms, n=100)
    rate = len(ms) / seconds
    ratio = f"{rate / baseline:.2f}×" if baseline else "—"
    return (f"| {case} | {count} | {len(ms):,} | {rate:,.0f} | {cuts[49]:.1f} | {cuts[98]:.1f}"
            f" | {ratio} |")


def main(argv: Sequence[str] | None = None) -> None:
    """For each number of clients: the committer alone, then the API; print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.api", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a scratch database (default: a fresh one)")
    parser.add_argument("--seconds", type=float, default=8.0, help="per case (8)")
    parser.add_argument("--clients", default="1,8,50", help="client counts (1,8,50)")
    args = parser.parse_args(argv)
    settings = dataclasses.replace(load_settings(), rate_limit_per_second=0.0)
    keys = TokenKeys("benchmark-key-" + "x" * 32)
    lines = ["| case | clients | requests | req/s | p50 ms | p99 ms | × committer alone |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    first = FIRST_ACCOUNT
    with scratch_database(args.database_url) as url:
        prepare_database(url)
        services = build(url, settings, pool_size=20)
        services.start_projections()
        try:
            with running_api(services, settings, keys) as base, \
                    multiprocessing.get_context("spawn").Pool(1) as pool:
                token = keys.issue(Role.OPERATOR, "bench", 3600)
                for count in (int(n) for n in args.clients.split(",")):
                    print(f"{count} clients...", file=sys.stderr, flush=True)
                    alone = committer_alone(services, args.seconds, count, first)
                    api = pool.apply(run_clients, (base, token, args.seconds, count,
                                                   first + PER_CASE))
                    first += 2 * PER_CASE
                    lines.append(row("group committer alone", count, alone, args.seconds, None))
                    lines.append(row("**registerAppeal over HTTP**", count, api, args.seconds,
                                     len(alone) / args.seconds))
        finally:
            services.close()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
