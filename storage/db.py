"""Opening the database: WAL, foreign keys, and the schema brought up to date."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from storage.schema import SchemaError, migrate

BUSY_TIMEOUT_MS = 30_000


class StorageError(RuntimeError):
    """The database file cannot be opened or written; the message says why."""


def utc_now() -> str:
    return to_db_time(datetime.now(UTC))


def to_db_time(moment: datetime) -> str:
    """One fixed-width UTC format, so that times sort and compare as text in SQL."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    elif moment.utcoffset():
        moment = moment.astimezone(UTC)
    # isoformat is several times faster than strftime, and this runs for every mention
    return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def from_db_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def open_database(path: str | Path, *, create: bool = True) -> sqlite_utils.Database:
    """Open (and by default create) the database and migrate it to the current schema."""
    path = Path(path)
    if not create and not path.exists():
        raise StorageError(f"no database at {path}; create it with `umot init`")
    if path.exists() and path.is_dir():
        raise StorageError(f"{path} is a directory, not a database file")
    if not path.parent.exists():
        if not create:
            raise StorageError(f"folder {path.parent} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
        db = sqlite_utils.Database(conn)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
        db.execute("PRAGMA foreign_keys = ON")
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA cache_size = -65536")  # 64 MB: index pages of big tables stay hot
        migrate(db)
    except sqlite3.DatabaseError as error:
        raise StorageError(f"cannot use database {path}: {error}") from error
    except SchemaError as error:
        raise StorageError(f"{path}: {error}") from error
    return db
