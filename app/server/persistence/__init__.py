"""The farm's durable state, in one package: the rest of the server never touches its rows.

- schema: the tables (peewee models); migrations: each schema version, applied at start-up;
  database: opening the store by URL (SQLite in WAL mode, or PostgreSQL).
- journal: the one writer thread, group commit; records: what each farm change writes.
- restore: the farm (and the issued tokens' hashes) rebuilt in memory from the store after a
  restart.
- outputs: finished runs' output and thumbnails, on disk beside the database.
- runs: runs read back for the REST API; statistics: the statistics page's queries, over the
  runs' statistics rows and their sums by period (stat_sums, kept in step with them).
"""

from app.server.persistence import records, runs
from app.server.persistence.database import open_database
from app.server.persistence.journal import Journal
from app.server.persistence.migrations import migrate, schema_version
from app.server.persistence.outputs import OutputStore
from app.server.persistence.restore import restore, restore_tokens

__all__ = [
    "Journal",
    "OutputStore",
    "migrate",
    "open_database",
    "records",
    "restore",
    "restore_tokens",
    "runs",
    "schema_version",
]
