"""The embedded servers of the default run, in one import: PostgreSQL (pgserver) and NATS."""

from adapters.embedded_nats import EmbeddedNats, free_port, nats_server_binary, reachable
from adapters.embedded_pg import EmbeddedPostgres, create_database, url_with_database

__all__ = [
    "EmbeddedNats",
    "EmbeddedPostgres",
    "create_database",
    "free_port",
    "nats_server_binary",
    "reachable",
    "url_with_database",
]
