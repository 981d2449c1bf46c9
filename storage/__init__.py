"""SQLite storage: schema, migrations, idempotent writes and the shared queries."""

from storage.db import StorageError, from_db_time, open_database, to_db_time, utc_now
from storage.mention import Mention, Rejected, mention_or_reject
from storage.schema import SCHEMA_VERSION, SchemaError, migrate, schema_version
from storage.writes import (
    UpsertResult,
    finish_run,
    get_cursor,
    set_cursor,
    start_run,
    store_rejects,
    upsert_mentions,
)

__all__ = [
    "SCHEMA_VERSION",
    "Mention",
    "Rejected",
    "SchemaError",
    "StorageError",
    "UpsertResult",
    "finish_run",
    "from_db_time",
    "get_cursor",
    "mention_or_reject",
    "migrate",
    "open_database",
    "schema_version",
    "set_cursor",
    "start_run",
    "store_rejects",
    "to_db_time",
    "upsert_mentions",
    "utc_now",
]
