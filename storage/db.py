"""Opening the database: WAL, foreign keys, and the schema brought up to date."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from storage.schema import SchemaError, migrate

BUSY_TIMEOUT_MS = 30_000


class StorageError(RuntimeError):
    """The database file cannot be opened or written; the message says why."""


_PLAIN_REASONS = {
    "SQLITE_FULL": "the disk is full; free some space and run again (nothing stored is lost)",
    "SQLITE_READONLY": "the database is read-only; check the file's and folder's permissions",
    "SQLITE_IOERR": "the disk reported an I/O error; check it, then run again",
    "SQLITE_CORRUPT": "the database file is damaged; restore the last backup",
    "SQLITE_NOTADB": "the file is not a SQLite database",
    "SQLITE_CANTOPEN": "the file cannot be opened; check the path and permissions",
    "SQLITE_BUSY": "another process held the database for too long; try again",
}


def describe_sqlite_error(error: BaseException) -> str | None:
    """A sentence a user can act on, for the SQLite errors that are about the machine."""
    name = getattr(error, "sqlite_errorname", None) or ""
    for prefix, reason in _PLAIN_REASONS.items():
        if name.startswith(prefix):
            return reason
    return None


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
    # fromisoformat is many times faster than strptime (reports parse every week's time)
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


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
        # Checkpoint the WAL every 64 MB instead of every 4 MB: far fewer page copies while
        # big batches are stored, and the WAL stays bounded.
        db.execute("PRAGMA wal_autocheckpoint = 16384")
        migrate(db)
    except sqlite3.DatabaseError as error:
        reason = describe_sqlite_error(error) or str(error)
        raise StorageError(f"cannot use database {path}: {reason}") from error
    except SchemaError as error:
        raise StorageError(f"{path}: {error}") from error
    return db


SQL_CHUNK = 500  # ids per `IN (...)`: well under SQLite's limit on bound parameters


def chunks(items: Sequence[str], size: int = SQL_CHUNK) -> Iterator[tuple[list[str], str]]:
    """Slices of ``items`` with their ``?, ?, …`` placeholders, for ``IN (...)`` queries."""
    for start in range(0, len(items), size):
        part = list(items[start : start + size])
        yield part, ", ".join("?" for _ in part)
