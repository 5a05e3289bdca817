"""The composition root: the one place that builds the ledger, its read models and servers."""

from __future__ import annotations

import asyncio
import logging
import threading
from contextlib import ExitStack
from dataclasses import dataclass, field

from nats.aio.client import Client
from nats.js import JetStreamContext
from psycopg_pool import ConnectionPool

from adapters.broadcast import LogBroadcaster
from adapters.chain import ChainFollower
from adapters.clock import SlaClock
from adapters.follower import LogFollower
from adapters.group_commit import GroupCommitter
from adapters.migrate import apply_migrations
from adapters.nats.publisher import RECHECK_SECONDS, NatsEventPublisher
from adapters.nats.stored_pages import MessageFollower
from adapters.nats.streams import Subjects
from adapters.nats.workers import Worker, start_workers_thread
from adapters.pd_key_rotation import check_master_keys
from adapters.pd_keys import PdKeyStore
from adapters.pd_mapper import key_store
from adapters.personal_data import AccessRecorder
from adapters.positions import Positions
from adapters.postgres import PostgresAppealNumbers, eventsourcing_env, open_pool
from adapters.projector import Projector
from adapters.settings import Settings
from domain.calendar import BusinessCalendar
from domain.ledger import Ledger
from domain.sla import DEFAULT_POLICY, SlaPolicy, load_policy
from projections.appeal_status import AppealStatusProjection
from projections.base import Projection
from projections.campaign_recipients import CampaignRecipientsProjection
from projections.campaigns import CampaignsProjection
from projections.contact_links import ContactLinksProjection, linked_account
from projections.notifications import NotificationsProjection
from projections.pd_audit import PdAuditProjection
from projections.sla_timers import SlaTimersProjection
from projections.timeline import TimelineProjection

log = logging.getLogger("ledger.bootstrap")


def all_projections(settings: Settings | None = None) -> dict[str, Projection]:
    """Every read model by name; `ledger project NAME` and rebuild pick from these.

    Without settings the SLA timers follow the default policy in Moscow time."""
    sla = SlaTimersProjection(
        sla_policy(settings), BusinessCalendar(settings.timezone) if settings else None
    )
    return {p.name: p for p in (
        TimelineProjection(), AppealStatusProjection(), sla, PdAuditProjection(),
        NotificationsProjection(), CampaignsProjection(), ContactLinksProjection(),
        CampaignRecipientsProjection())}


def sla_policy(settings: Settings | None) -> SlaPolicy:
    """The SLA policy of LEDGER_SLA_POLICY, or SLA.md's defaults."""
    if settings is None or settings.sla_policy is None:
        return DEFAULT_POLICY
    return load_policy(settings.sla_policy)


def database_url(settings: Settings, stack: ExitStack) -> str:
    """The configured PostgreSQL, or the embedded one started under the data dir."""
    if settings.database_url:
        return settings.database_url
    from adapters.embedded import EmbeddedPostgres

    server = stack.enter_context(EmbeddedPostgres(settings.data_dir))
    return server.create_database("ledger")


def nats_url(settings: Settings, stack: ExitStack) -> str:
    """The configured NATS, or the embedded nats-server started under the data dir."""
    if settings.nats_url:
        return settings.nats_url
    from adapters.embedded import EmbeddedNats

    server = stack.enter_context(
        EmbeddedNats(settings.data_dir, port=settings.embedded_nats_port,
                     sync_always=settings.nats_sync_always)
    )
    return server.url


def open_services(
    settings: Settings, stack: ExitStack, pool_size: int = 20, prepare_configured: bool = True
) -> Services:
    """A command's services on the configured database (or the embedded one), closed with the
    stack. The embedded one is always prepared; a configured one unless `prepare_configured`
    is False: workers started together must leave its schema to `ledger migrate`, as creating
    it concurrently fails (STACK-NOTES.md)."""
    url = database_url(settings, stack)
    if prepare_configured or not settings.database_url:
        prepare_database(url, settings.db_schema)
    services = build(url, settings, pool_size=pool_size)
    stack.callback(services.close)
    return services


def prepare_database(url: str, schema: str = "public") -> None:
    """Apply migrations and create the event store's table (once, before any worker)."""
    apply_migrations(url)
    env = eventsourcing_env(url, schema) | {"CREATE_TABLE": "y"}
    with open_pool(url, size=2, name="migrate") as pool:
        Ledger(env, numbers=PostgresAppealNumbers(pool)).close()


@dataclass
class Services:
    """Everything a process of the ledger runs on; close() releases it all."""

    url: str
    pool: ConnectionPool
    ledger: Ledger
    committer: GroupCommitter
    projections: dict[str, Projection]
    keys: PdKeyStore
    """The personal-data keys the ledger's mapper seals with (adapters/pd_mapper.py)."""
    audit: AccessRecorder
    """Records accesses to personal data in the accounts' audit streams."""
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    followers: list[LogFollower] = field(default_factory=list)
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    positions: Positions = field(default_factory=Positions)
    """Where the read models run here stand, for read-your-writes (adapters/positions.py)."""

    def projector(self, name: str) -> Projector:
        """A runner for one read model, with its own follower."""
        follower = LogFollower(self.ledger, self.url)
        self.followers.append(follower)
        return Projector(self.pool, follower, self.projections[name])

    def start_projections(self, names: list[str] | None = None) -> None:
        """Run read models in background threads, following the log."""
        for name in names or list(self.projections):
            projector = self.projector(name)
            projector.positions = self.positions
            thread = threading.Thread(
                target=projector.run, args=(self.stop,), name=f"projection-{name}", daemon=True)
            thread.start()
            self.threads.append(thread)
            log.info("projection started", extra={"projection": name})

    def chain_follower(self, settings: Settings) -> ChainFollower:
        """The follower that keeps event_chain and appends checkpoints (adapters/chain.py)."""
        follower = LogFollower(self.ledger, self.url)
        self.followers.append(follower)
        return ChainFollower(self.pool, self.ledger, follower, settings.checkpoint_every_events,
                             settings.checkpoint_seconds)

    def start_chain(self, settings: Settings) -> None:
        """Run the chain follower in a background thread."""
        thread = threading.Thread(target=self.chain_follower(settings).run, args=(self.stop,),
                                  name="event-chain", daemon=True)
        thread.start()
        self.threads.append(thread)

    def start_clock(self, interval: float = 10.0) -> None:
        """Run the SLA clock in a background thread (scans every `interval` seconds)."""
        clock = SlaClock(self, interval)
        thread = threading.Thread(target=clock.run, args=(self.stop,), name="sla-clock",
                                  daemon=True)
        thread.start()
        self.threads.append(thread)

    def start_broadcast(self) -> LogBroadcaster:
        """Follow the log for live GraphQL subscriptions."""
        follower = LogFollower(self.ledger, self.url)
        self.followers.append(follower)
        broadcaster = LogBroadcaster(follower, self._linked_account)
        thread = threading.Thread(target=broadcaster.run, args=(self.stop,), name="broadcast",
                                  daemon=True)
        thread.start()
        self.threads.append(thread)
        return broadcaster

    def _linked_account(self, contact_ref: str) -> str | None:
        with self.pool.connection() as conn:
            return linked_account(conn, contact_ref)

    def start_nats(self, url: str, settings: Settings, workers: list[Worker]) -> None:
        """Run NATS workers (publisher, channel consumers) in one background event loop."""
        self.threads.append(start_workers_thread(url, settings, workers, self.stop))
        log.info("nats workers started", extra={"url": url, "workers": len(workers)})

    def publisher(self, settings: Settings) -> Worker:
        """The worker that publishes every stored event to JetStream."""
        follower = MessageFollower(self.ledger, self.url)
        self.followers.append(follower)

        async def publish(client: Client, js: JetStreamContext, stop: asyncio.Event) -> None:
            await NatsEventPublisher(
                self.pool, follower, js, Subjects.of(settings), client=client,
                recheck_seconds=min(RECHECK_SECONDS, settings.nats_duplicate_window_seconds / 2),
            ).run(stop)

        return publish

    def close(self) -> None:
        """Stop the threads, then release the connections."""
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=10)
        self.committer.close()
        self.audit.close()
        for follower in self.followers:
            follower.close()
        self.ledger.close()
        self.pool.close()


def build(url: str, settings: Settings, pool_size: int = 20) -> Services:
    """Wire the ledger and its read models onto a prepared database."""
    keys = key_store(url)
    check_master_keys(url, keys.masters)  # a wrong master key stops the process here
    pool = open_pool(url, size=pool_size)
    calendar = BusinessCalendar(settings.timezone)
    ledger = Ledger(
        eventsourcing_env(url, settings.db_schema, pool_size=pool_size),
        numbers=PostgresAppealNumbers(pool),
        calendar=calendar,
    )
    return Services(
        url=url, pool=pool, ledger=ledger, committer=GroupCommitter(ledger),
        projections=all_projections(settings), calendar=calendar,
        keys=keys, audit=AccessRecorder(ledger),
    )
