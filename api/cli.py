"""The `ledger` command: serve, migrate, project, projections rebuild, token."""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
from collections.abc import Callable
from contextlib import ExitStack

import psycopg

from adapters.bootstrap import (
    all_projections,
    database_url,
    nats_url,
    open_services,
    prepare_database,
)
from adapters.bulk_rebuild import BulkRebuild
from adapters.channels.consumer import ingest_workers
from adapters.channels.registry import CHANNELS
from adapters.export_signing import SigningKeyError
from adapters.master_key import MasterKeyError
from adapters.notify.service import notify_workers, start_notify_threads
from adapters.settings import Settings, SettingsError, get_settings
from api.auth import Role, TokenKeys, local_secret
from api.cli_audit import add_audit_commands
from api.cli_keys import add_keys_commands
from api.cli_notify import add_notify_commands
from api.cli_sla import add_sla_commands
from api.logs import configure_logging
from api.signals import run_until_signalled

log = logging.getLogger("ledger.cli")


def token_keys(settings: Settings) -> TokenKeys:
    """The configured signing key, or the embedded default's key kept in the data dir."""
    current = settings.secret_key or local_secret(settings.data_dir)
    return TokenKeys(current=current, previous=settings.previous_secret_keys)


def serve(args: argparse.Namespace, settings: Settings) -> int:
    """Migrations, projections and the API in one process."""
    import uvicorn

    from api.app import create_app

    host, port = args.host or settings.host, args.port or settings.port
    try:
        listener = listening_socket(host, port)
    except OSError as error:  # before anything starts: nothing to stop, nothing half-served
        print(f"ledger serve: cannot listen on {host}:{port}: {error.strerror or error}",
              file=sys.stderr)
        return 2
    with ExitStack() as stack:
        stack.callback(listener.close)
        nats = nats_url(settings, stack)  # entered first, stopped last: workers drain first
        services = open_services(settings, stack)
        services.start_projections()
        services.start_clock(settings.clock_interval_seconds)
        services.start_chain(settings)
        workers = [services.publisher(settings), *ingest_workers(services, settings)]
        if settings.notify_enabled:
            start_notify_threads(services, settings)
            workers += notify_workers(services, settings)
        services.start_nats(nats, settings, workers)
        keys = token_keys(settings)
        app = create_app(services, settings, keys)
        log.info("serving", extra={"url": f"http://{host}:{port}/graphql"})
        if not settings.secret_key:
            print(f"GraphQL: http://{host}:{port}/graphql  token: "
                  "ledger token --role operator --subject you", file=sys.stderr)
        # uvicorn re-raises SIGINT/SIGTERM after its graceful shutdown; handled here as a no-op,
        # so the process goes on to stop the threads and the embedded servers below.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: None)
        uvicorn.Server(uvicorn.Config(app, log_config=None)).run(sockets=[listener])
        log.info("stopping")
    return 0


def port_argument(text: str) -> int:
    """A TCP port, 1 to 65535 (a larger one made the socket raise OverflowError)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port: 1 to 65535")
    return port


def listening_socket(host: str, port: int) -> socket.socket:
    """The API's socket, bound before the embedded servers and read models start: a port
    already taken is refused at once, not after all of them came up and printed a URL."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
    except OSError:
        listener.close()
        raise
    return listener


def migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Apply pending migrations and create the event store's table."""
    with ExitStack() as stack:
        prepare_database(database_url(settings, stack), settings.db_schema)
    return 0


def project(args: argparse.Namespace, settings: Settings) -> int:
    """Run read models only, until SIGINT or SIGTERM."""
    unknown = set(args.names) - set(all_projections())
    if unknown:
        print(f"ledger project: unknown read model {', '.join(sorted(unknown))}; "
              f"known: {', '.join(all_projections())}", file=sys.stderr)
        return 2
    with ExitStack() as stack:
        services = open_services(settings, stack)
        services.start_projections(args.names or None)
        run_until_signalled(services, "project")
    return 0


def publish(args: argparse.Namespace, settings: Settings) -> int:
    """Run the NATS publisher only, until SIGINT or SIGTERM."""
    with ExitStack() as stack:
        nats = nats_url(settings, stack)
        services = open_services(settings, stack)
        services.start_nats(nats, settings, [services.publisher(settings)])
        run_until_signalled(services, "publish")
    return 0


def ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Run the channel consumers only (all channels unless named), until SIGINT or SIGTERM."""
    unknown = set(args.channels) - set(CHANNELS)
    if unknown:
        print(f"ledger ingest: unknown channel {', '.join(sorted(unknown))}; "
              f"known: {', '.join(CHANNELS)}", file=sys.stderr)
        return 2
    with ExitStack() as stack:
        nats = nats_url(settings, stack)
        services = open_services(settings, stack)
        workers = ingest_workers(services, settings, args.channels or None)
        services.start_nats(nats, settings, workers)
        run_until_signalled(services, "ingest")
    return 0


def rebuild(args: argparse.Namespace, settings: Settings) -> int:
    """Empty a read model and rebuild it from the log, with a progress bar."""
    from tqdm import tqdm

    with ExitStack() as stack:
        services = open_services(settings, stack)
        projector = services.projector(args.name)
        head = projector.follower.head()
        projector.reset()
        with tqdm(total=head, unit="event", desc=f"rebuild {args.name}") as bar:
            BulkRebuild(services.pool, projector.follower, projector.projection).catch_up(
                bar.update)
            projector.catch_up(progress=bar.update)  # what was appended meanwhile
        log.info("rebuilt", extra={"projection": args.name, "position": head})
    return 0


def token(args: argparse.Namespace, settings: Settings) -> int:
    """Print a bearer token signed with the configured key."""
    print(token_keys(settings).issue(Role(args.role), args.subject, args.ttl))
    return 0


def _seconds(text: str) -> int:
    """A token's lifetime: a token that has already expired is no use to anyone."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of seconds, got {text!r}") \
            from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {value}")
    return value


def _subject(text: str) -> str:
    """Who the token is for, as the access audit will name them."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must name who the token is for")
    return text


def parser() -> argparse.ArgumentParser:
    """The command line of API.md."""
    main = argparse.ArgumentParser(prog="ledger", description=__doc__)
    sub = main.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="API, projections and migrations in one process")
    p.add_argument("--host")
    p.add_argument("--port", type=port_argument)
    p.set_defaults(run=serve)
    sub.add_parser("migrate", help="apply pending migrations").set_defaults(run=migrate)
    p = sub.add_parser("project", help="run projections only")
    p.add_argument("names", nargs="*", metavar="NAME", help=", ".join(all_projections()))
    p.set_defaults(run=project)
    sub.add_parser("publish", help="run the NATS publisher only").set_defaults(run=publish)
    p = sub.add_parser("ingest", help="run the channel consumers only")
    p.add_argument("channels", nargs="*", metavar="CHANNEL", help=", ".join(CHANNELS))
    p.set_defaults(run=ingest)
    p = sub.add_parser("projections", help="manage read models")
    rebuild_parser = p.add_subparsers(dest="action", required=True).add_parser(
        "rebuild", help="drop a read model and rebuild it from the log")
    rebuild_parser.add_argument("name", choices=list(all_projections()))
    rebuild_parser.set_defaults(run=rebuild)
    p = sub.add_parser("token", help="print a bearer token")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--subject", required=True, type=_subject)
    p.add_argument("--ttl", type=_seconds, default=8 * 3600, help="seconds (default 8 hours)")
    p.set_defaults(run=token)
    add_sla_commands(sub)
    add_notify_commands(sub)
    add_audit_commands(sub, rebuild_parser)
    add_keys_commands(sub)
    return main


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `ledger` console script."""
    args = parser().parse_args(argv)
    try:
        settings = get_settings()
    except SettingsError as error:  # a LEDGER_* variable that cannot be used: say which
        print(f"ledger {args.command}: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    run: Callable[[argparse.Namespace, Settings], int] = args.run
    try:
        return run(args, settings)
    except (MasterKeyError, SigningKeyError) as error:  # a malformed key: say which
        print(f"ledger {args.command}: {error}", file=sys.stderr)
        return 2
    except psycopg.OperationalError as error:  # e.g. LEDGER_DATABASE_URL names no server
        reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        print(f"ledger {args.command}: PostgreSQL: {reason}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
