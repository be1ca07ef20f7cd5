"""The SQLite store's settings as the server opens it (real SQLite)."""

from __future__ import annotations

from app.server.persistence import open_database


def test_sqlite_is_in_wal_mode_and_checkpoints_rarely(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'corral.db'}")

    def pragma(name: str):
        return db.execute_sql(f"PRAGMA {name}").fetchone()[0]

    try:
        assert pragma("journal_mode") == "wal"
        # checkpoints run in the journal thread: SQLite's default of 1,000 pages held
        # acknowledgements back at 2,000 results a second (BENCHMARKS.md, saturation)
        assert pragma("wal_autocheckpoint") == 20000
    finally:
        db.close()
