"""The journal while the store cannot commit: failed batches are kept and tried again in order,
the trouble is told once, and nothing is dropped or reordered (real SQLite, failing on demand)."""

from __future__ import annotations

import asyncio
import errno
import logging
import sqlite3

import peewee
import psycopg2
import pytest
from peewee import SqliteDatabase

from app.server.persistence.journal import Journal, unavailable
from tests.polling import until

FULL = "database or disk is full"


class FillingDisk(SqliteDatabase):
    """SQLite whose writes fail as on a full disk while `full` is set (counted in `refused`)."""

    def __init__(self, path) -> None:
        super().__init__(str(path), check_same_thread=False)
        self.full = False
        self.refused = 0

    def execute_sql(self, sql, params=None, *args, **kwargs):
        if self.full and sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
            self.refused += 1
            raise sqlite3.OperationalError(FULL)
        return super().execute_sql(sql, params, *args, **kwargs)


@pytest.fixture
async def store(tmp_path):
    db = FillingDisk(tmp_path / "store.db")
    db.execute_sql("CREATE TABLE log (id INTEGER PRIMARY KEY, value TEXT)")
    journal = Journal(db, asyncio.get_running_loop(), retry=(0.001, 0.01))
    yield db, journal
    journal.close()
    db.close()


def insert(db, value: str):
    return lambda: db.execute_sql("INSERT INTO log (value) VALUES (?)", (value,))


def stored(db) -> list[str]:
    return [value for (value,) in db.execute_sql("SELECT value FROM log ORDER BY id")]


async def test_a_batch_the_store_cannot_commit_is_kept_and_committed_once_it_can(store, caplog):
    db, journal = store
    told = []
    journal.watch(told.append)
    db.full = True
    first = journal.write(insert(db, "first"))
    await until(lambda: journal.trouble == FULL)
    second = journal.write(insert(db, "second"))  # queued behind the failed batch
    await until(lambda: db.refused >= 5)  # tried again and again
    assert not first.done() and not second.done()
    assert told == [FULL]

    db.full = False
    await asyncio.gather(first, second)
    assert stored(db) == ["first", "second"]
    assert journal.trouble is None
    await until(lambda: len(told) == 2)
    assert told == [FULL, None]
    records = [r for r in caplog.records if r.name == "corral.journal"]
    assert [r.levelno for r in records] == [logging.ERROR, logging.WARNING]  # once each way
    assert FULL in records[0].getMessage() and "commits again" in records[1].getMessage()


async def test_later_writes_never_overtake_one_the_store_refused(store):
    db, journal = store
    db.full = True
    futures = [journal.write(insert(db, "1"))]
    await until(lambda: journal.trouble is not None)
    for value in "2345":  # each in a turn (a batch) of its own
        futures.append(journal.write(insert(db, value)))
        await asyncio.sleep(0)
    journal.put(lambda: db.execute_sql("UPDATE log SET value = 'first' WHERE value = '1'"))
    await until(lambda: db.refused >= 3)
    db.full = False
    await asyncio.gather(*futures)
    await journal.flush()
    assert stored(db) == ["first", "2", "3", "4", "5"]


async def test_a_wrong_operation_fails_alone_and_the_store_is_not_in_trouble(store):
    db, journal = store
    wrong = journal.write(lambda: db.execute_sql("INSERT INTO nowhere VALUES (1)"))
    right = journal.write(insert(db, "kept"))
    with pytest.raises(Exception, match="no such table"):
        await wrong
    await right
    assert stored(db) == ["kept"]
    assert journal.trouble is None and db.refused == 0


async def test_close_while_the_store_cannot_commit_stops_the_writer(store):
    db, journal = store
    db.full = True
    journal.put(insert(db, "lost"))
    await until(lambda: journal.trouble is not None)
    journal.close()
    assert not journal._thread.is_alive()
    db.full = False
    assert stored(db) == []


def test_errors_that_mean_the_store_cannot_commit_now(tmp_path):
    db = SqliteDatabase(str(tmp_path / "tiny.db"), pragmas={"max_page_count": 3})
    db.execute_sql("CREATE TABLE big (data BLOB)")
    with pytest.raises(Exception) as full, db.atomic():
        db.execute_sql("INSERT INTO big VALUES (zeroblob(100000))")
    with pytest.raises(Exception) as syntax:
        db.execute_sql("INSERT INTO nowhere VALUES (1)")
    db.close()
    # SQLite rolled back by itself, so peewee's rollback failed while handling the full disk
    assert "cannot rollback" in str(full.value)
    assert str(unavailable(full.value)) == FULL
    no_space = OSError(errno.ENOSPC, "No space left on device")
    assert unavailable(no_space) is no_space
    assert unavailable(sqlite3.OperationalError("disk I/O error")) is not None
    assert unavailable(syntax.value) is None
    assert unavailable(RuntimeError("a bug")) is None


def test_a_connection_the_database_server_ended_is_unavailable_though_its_rollback_fails():
    """A statement sent on the raw cursor fails with the driver's OperationalError; peewee's
    rollback then fails with an InterfaceError (the connection is closed)."""
    try:
        try:
            raise psycopg2.OperationalError("server closed the connection unexpectedly")
        except psycopg2.OperationalError:
            raise peewee.InterfaceError("connection already closed")  # noqa: B904
    except peewee.InterfaceError as error:
        closed = error
    assert str(unavailable(closed)) == "server closed the connection unexpectedly"
    assert unavailable(psycopg2.ProgrammingError("syntax error")) is None
