"""A scratch PostgreSQL database for the benchmarks that measure the store on both backends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

ADMIN_URL = "postgresql://root@127.0.0.1:5432/postgres"  # a database to create others from


@contextmanager
def scratch_database(admin_url: str = ADMIN_URL) -> Iterator[str]:
    """The URL of a new, empty database on the server of ``admin_url``, dropped afterwards."""
    import psycopg2

    admin = psycopg2.connect(admin_url, connect_timeout=5)
    admin.autocommit = True
    name = f"corral_bench_{uuid.uuid4().hex[:12]}"
    try:
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
        yield f"{admin_url.rpartition('/')[0]}/{name}"
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
