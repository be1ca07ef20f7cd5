"""Opening the store: connect by peewee URL, bind the tables to it, bring its schema up to date."""

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


def open_database(url: str) -> Database:
    """Connect to the store at a peewee URL (SQLite or PostgreSQL) and migrate it."""
    if url.startswith("sqlite"):
        db = connect(url, pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    else:
        db = connect(url)
    database.initialize(db)
    db.connect(reuse_if_open=True)
    migrate(db)
    return db
