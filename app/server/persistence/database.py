"""Opening the store: connect by peewee URL, bind the tables to it, bring its schema up to date.

PostgreSQL connections come from a pool (playhouse.pool): the journal's writer thread keeps one,
and each read off the event loop (a worker thread, `routes._in_thread`) borrows one instead of
opening its own. The pool checks a connection before lending it (a round trip), so a read after a
database restart gets a fresh one; the journal closes a failed one and tries again. A thread
that reads outside those (start-up, tests) connects on its first statement."""

from __future__ import annotations

from peewee import Database
from playhouse.db_url import connect

from app.server.persistence.migrations import migrate
from app.server.persistence.schema import database

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "foreign_keys": 1,
    "cache_size": -64 * 1024,
    "busy_timeout": 5000,
    # pages of WAL before a commit checkpoints them into the database (SQLite's default: 1,000):
    # checkpoints run in the journal thread, and at 2,000 results a second the default ones
    # took half its time, holding every acknowledgement back (BENCHMARKS.md, saturation)
    "wal_autocheckpoint": 20000,
}
# PostgreSQL: connections at most (the writer, the worker threads reading, start-up), seconds
# to wait for one when all are in use, and seconds after which an idle one is closed
POOL = {"max_connections": 40, "timeout": 10, "stale_timeout": 300}


def open_database(url: str) -> Database:
    """Connect to the store at a peewee URL (SQLite or PostgreSQL) and migrate it."""
    if url.startswith("sqlite"):
        db = connect(url, pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    else:
        db = connect(_pooled(url), **POOL)
    database.initialize(db)
    with db.connection_context():  # back to the pool after: a worker thread holds none
        migrate(db)
    return db


def _pooled(url: str) -> str:
    """The pooled scheme of a PostgreSQL URL (postgresql:// -> postgresql+pool://)."""
    scheme, sep, rest = url.partition("://")
    return url if scheme.endswith("+pool") or not sep else f"{scheme}+pool://{rest}"
