"""PostgreSQL for the tests, by one rule: a test that needs it runs on the server named by the
environment variable CORRAL_TEST_PG_URL (a URL to a database the user may create databases
from, e.g. postgresql://root@127.0.0.1:5432/postgres; `.ci/run` sets it when a server answers
at 127.0.0.1:5432) and is skipped, saying why, when the variable is unset or the server does
not answer. Each test gets a fresh database of its own, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

ENV = "CORRAL_TEST_PG_URL"


def _connect(url: str):
    import psycopg2

    return psycopg2.connect(url, connect_timeout=5)


@contextmanager
def fresh_database() -> Iterator[str]:
    """The URL of a new, empty database on the test server; pytest.skip when there is none."""
    url = os.environ.get(ENV)
    if not url:
        pytest.skip(f"PostgreSQL: {ENV} is not set (.ci/run sets it when one answers at :5432)")
    try:
        admin = _connect(url)
    except Exception as error:
        pytest.skip(f"PostgreSQL: {ENV}={url} does not answer ({str(error).strip()})")
    admin.autocommit = True
    name = f"corral_test_{uuid.uuid4().hex[:12]}"
    try:
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
        yield f"{url.rpartition('/')[0]}/{name}"
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def end_connections(url: str) -> None:
    """End every other connection to the database at url, as a restarted server would."""
    admin = _connect(url)
    admin.autocommit = True
    try:
        admin.cursor().execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        admin.close()
