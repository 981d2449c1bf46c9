"""Everything that writes: idempotent mention upserts, rejects, runs and cursors.

Writers take a whole batch and run it in one transaction, so a crash loses at most the
batch in flight and collecting the same mention twice stores it once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from storage.db import chunks, to_db_time, utc_now
from storage.mention import CONTEXT_QUERY, Mention, Rejected
from storage.transaction import write_transaction

MAX_REJECT_RECORD_CHARS = 20_000

_MENTION_COLUMNS = (
    "id",
    "platform",
    "native_id",
    "source",
    "brand",
    "query",
    "text",
    "lang",
    "author_id",
    "created_at",
    "collected_at",
    "updated_at",
    "url",
    "parent_id",
    "quoted_id",
    "reposted_id",
    "conversation_id",
    "likes",
    "reposts",
    "replies",
    "quotes",
    "score",
    "deleted",
    "raw",
)
_ENGAGEMENT = ("likes", "reposts", "replies", "quotes", "score")
# Fields a later sighting may fill in but never blank out.
_FILL_IF_MISSING = (
    "lang",
    "author_id",
    "url",
    "parent_id",
    "quoted_id",
    "reposted_id",
    "conversation_id",
)

# Brand and query say what a post was matched on, and go together. A sighting from a
# match replaces a pair that came from context alone (a post stored because a match
# replied to it) or from nothing; otherwise each is only filled in where missing.
_UPGRADES_MATCH = (
    f"(coalesce(mentions.query, '{CONTEXT_QUERY}') = '{CONTEXT_QUERY}' "
    f"AND coalesce(excluded.query, '{CONTEXT_QUERY}') != '{CONTEXT_QUERY}')"
)
_UPSERT_MENTION = (
    f"INSERT INTO mentions ({', '.join(_MENTION_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _MENTION_COLUMNS)}) "
    "ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(
        [f"{c} = coalesce(excluded.{c}, mentions.{c})" for c in _ENGAGEMENT]
        + [f"{c} = coalesce(mentions.{c}, excluded.{c})" for c in _FILL_IF_MISSING]
        + [
            f"brand = CASE WHEN {_UPGRADES_MATCH} THEN coalesce(excluded.brand, mentions.brand) "
            "ELSE coalesce(mentions.brand, excluded.brand) END",
            f"query = CASE WHEN {_UPGRADES_MATCH} THEN excluded.query "
            "ELSE coalesce(mentions.query, excluded.query) END",
            "updated_at = excluded.updated_at",
        ]
    )
)
# New rows go in with DO NOTHING, which SQLite runs at twice the speed of DO UPDATE;
# only rows already stored take the DO UPDATE path to refresh their counts.
_INSERT_MENTION = _UPSERT_MENTION.split(" ON CONFLICT")[0] + " ON CONFLICT(id) DO NOTHING"
_UPSERT_AUTHOR = (
    "INSERT INTO authors (id, platform, native_id, handle, name, followers, first_seen, "
    "last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(id) DO UPDATE SET "
    "handle = coalesce(excluded.handle, authors.handle), "
    "name = coalesce(excluded.name, authors.name), "
    "followers = coalesce(excluded.followers, authors.followers), "
    "last_seen = max(authors.last_seen, excluded.last_seen)"
)


@dataclass
class UpsertResult:
    inserted: int = 0
    updated: int = 0

    def __iadd__(self, other: UpsertResult) -> UpsertResult:
        self.inserted += other.inserted
        self.updated += other.updated
        return self


def mention_key(platform: str, native_id: str | None) -> str | None:
    return None if native_id is None else f"{platform}:{native_id}"


def _is_match(query: str | None) -> bool:
    return query is not None and query != CONTEXT_QUERY


def merge_sightings(first: Mention, later: Mention) -> Mention:
    """Two sightings of one post in a batch, combined exactly as the upsert combines a
    stored row with a new one: text and raw stay, counts and author details refresh,
    missing links are filled, and a match's brand and query beat a context sighting's."""
    update: dict[str, Any] = {
        field: getattr(first, field)
        for field in _FILL_IF_MISSING
        if getattr(first, field) is not None
    }
    if not _is_match(first.query) and _is_match(later.query):
        update["brand"] = later.brand if later.brand is not None else first.brand
    else:
        update["brand"] = first.brand if first.brand is not None else later.brand
        update["query"] = first.query if first.query is not None else later.query
    update.update(text=first.text, raw=first.raw, deleted=first.deleted)
    for field in _ENGAGEMENT:
        if getattr(later, field) is None:
            update[field] = getattr(first, field)
    for field in ("author_handle", "author_name", "author_followers"):
        if getattr(later, field) is None:
            update[field] = getattr(first, field)
    return later.model_copy(update=update)


def author_key(mention: Mention) -> str | None:
    native = mention.author_id or mention.author_handle
    return mention_key(mention.platform, native)


def _mention_row(mention: Mention, source: str, now: str) -> tuple[Any, ...]:
    """Values in ``_MENTION_COLUMNS`` order (built directly: this runs for every mention)."""
    platform = mention.platform
    return (
        f"{platform}:{mention.native_id}",
        platform,
        mention.native_id,
        source,
        mention.brand,
        mention.query,
        mention.text,
        mention.lang,
        author_key(mention),
        to_db_time(mention.created_at),
        now,
        now,
        mention.url,
        mention_key(platform, mention.parent_id),
        mention_key(platform, mention.quoted_id),
        mention_key(platform, mention.reposted_id),
        mention_key(platform, mention.conversation_id),
        mention.likes,
        mention.reposts,
        mention.replies,
        mention.quotes,
        mention.score,
        int(mention.deleted),
        json.dumps(mention.raw, ensure_ascii=False, default=str)
        if mention.raw is not None
        else None,
    )


def upsert_mentions(
    db: sqlite_utils.Database, mentions: Sequence[Mention], *, source: str
) -> UpsertResult:
    """Store new mentions and refresh the engagement counts of known ones, atomically."""
    latest: dict[str, Mention] = {}
    for mention in mentions:
        seen = latest.get(mention.key)
        latest[mention.key] = mention if seen is None else merge_sightings(seen, mention)
    if not latest:
        return UpsertResult()
    now = utc_now()
    authors: dict[str, tuple[Any, ...]] = {}
    for mention in latest.values():
        key = author_key(mention)
        if key is not None:
            native = mention.author_id or mention.author_handle
            seen = to_db_time(mention.created_at)
            previous = authors.get(key)
            if previous is not None and previous[7] > seen:
                seen = previous[7]
            authors[key] = (
                key,
                mention.platform,
                native,
                mention.author_handle,
                mention.author_name,
                mention.author_followers,
                seen,
                seen,
            )
    with write_transaction(db):
        existing = _existing_ids(db, list(latest))
        db.conn.executemany(_UPSERT_AUTHOR, authors.values())
        new = [_mention_row(m, source, now) for key, m in latest.items() if key not in existing]
        inserted = db.conn.executemany(_INSERT_MENTION, new).rowcount if new else 0
        if inserted < len(new):  # another writer stored some meanwhile: refresh those too
            db.conn.executemany(_UPSERT_MENTION, new)
        known = [_mention_row(m, source, now) for key, m in latest.items() if key in existing]
        if known:
            db.conn.executemany(_UPSERT_MENTION, known)
        index_new_text(db)
    return UpsertResult(inserted=inserted, updated=len(latest) - inserted)


def index_new_text(db: sqlite_utils.Database) -> int:
    """Add mentions stored since the last call to the full-text index, in one statement."""
    last = db.execute("SELECT last_seq FROM fts_state").fetchone()[0]
    newest = db.execute("SELECT coalesce(max(seq), 0) FROM mentions").fetchone()[0]
    if newest <= last:
        return 0
    with write_transaction(db):
        db.execute(
            "INSERT INTO mentions_fts(rowid, text) SELECT seq, text FROM mentions WHERE seq > ?",
            [last],
        )
        db.execute("UPDATE fts_state SET last_seq = ?", [newest])
    return newest - last


def _existing_ids(db: sqlite_utils.Database, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for part, marks in chunks(keys):
        rows = db.execute(f"SELECT id FROM mentions WHERE id IN ({marks})", part)
        found.update(row[0] for row in rows)
    return found


def _record_text(record: Any) -> str | None:
    if record is None:
        return None
    if isinstance(record, bytes):
        text = record.decode("utf-8", errors="backslashreplace")
    elif isinstance(record, str):
        text = record
    else:
        try:
            text = json.dumps(record, ensure_ascii=False, default=repr)
        except (TypeError, ValueError):
            text = repr(record)
    text = text.encode("utf-8", errors="backslashreplace").decode("utf-8")
    if len(text) > MAX_REJECT_RECORD_CHARS:
        text = text[:MAX_REJECT_RECORD_CHARS] + f"… [{len(text):,} characters, cut]"
    return text


def _storable(text: str | None) -> str | None:
    """Text SQLite can store: lone surrogates (from broken JSON escapes) become escapes."""
    if text is None:
        return None
    return text.encode("utf-8", errors="backslashreplace").decode("utf-8")


def store_rejects(
    db: sqlite_utils.Database,
    rejects: Iterable[Rejected],
    *,
    source: str,
    run_id: int | None = None,
) -> int:
    now = utc_now()
    rows = [
        (
            run_id,
            source,
            _storable(r.platform),
            _storable(r.native_id),
            _storable(r.reason),
            _record_text(r.record),
            now,
        )
        for r in rejects
    ]
    with write_transaction(db):
        db.conn.executemany(
            "INSERT INTO rejects (run_id, source, platform, native_id, reason, record, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)


def start_run(db: sqlite_utils.Database, step: str, source: str | None = None) -> int:
    with write_transaction(db):
        cursor = db.execute(
            "INSERT INTO runs (step, source, started_at, status, pid) "
            "VALUES (?, ?, ?, 'running', ?)",
            [step, source, utc_now(), os.getpid()],
        )
    return int(cursor.lastrowid)


def mark_abandoned_runs(db: sqlite_utils.Database) -> int:
    """Runs left 'running' by a process that no longer exists (killed, crashed, power cut)."""
    abandoned = [
        run_id
        for run_id, pid in db.execute("SELECT id, pid FROM runs WHERE status = 'running'")
        if pid is None or (pid != os.getpid() and not _alive(pid))
    ]
    if abandoned:
        with write_transaction(db):
            db.conn.executemany(
                "UPDATE runs SET status = 'aborted', finished_at = ?, error = ? WHERE id = ?",
                [
                    (utc_now(), "the process ended without finishing (killed or crashed)", r)
                    for r in abandoned
                ],
            )
    return len(abandoned)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def finish_run(
    db: sqlite_utils.Database,
    run_id: int,
    *,
    fetched: int = 0,
    inserted: int = 0,
    updated: int = 0,
    rejected: int = 0,
    error: str | None = None,
) -> None:
    with write_transaction(db):
        db.execute(
            "UPDATE runs SET finished_at = ?, status = ?, fetched = ?, inserted = ?, "
            "updated = ?, rejected = ?, error = ? WHERE id = ?",
            [
                utc_now(),
                "error" if error else "ok",
                fetched,
                inserted,
                updated,
                rejected,
                error,
                run_id,
            ],
        )


def get_cursor(db: sqlite_utils.Database, source: str, query: str) -> str | None:
    row = db.execute(
        "SELECT value FROM cursors WHERE source = ? AND query = ?", [source, query]
    ).fetchone()
    return row[0] if row else None


def set_cursor(db: sqlite_utils.Database, source: str, query: str, value: str) -> None:
    with write_transaction(db):
        db.execute(
            "INSERT INTO cursors (source, query, value, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(source, query) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at",
            [source, query, value, utc_now()],
        )


@dataclass(frozen=True)
class ClassificationRow:
    mention_id: str
    lang: str | None
    sentiment: str
    sentiment_scores: dict[str, float]
    stage: str
    stage_scores: dict[str, float]


def top_margin(scores: dict[str, float]) -> float:
    """How far the model's first choice is ahead of its second (1.0 with one choice)."""
    top = sorted((float(v) for v in scores.values()), reverse=True)
    return 1.0 if len(top) < 2 else round(top[0] - top[1], 4)


def certainty(sentiment_scores: dict[str, float], stage_scores: dict[str, float]) -> float:
    """The smaller margin of the two tasks: the review queue shows the smallest first."""
    return min(top_margin(sentiment_scores), top_margin(stage_scores))


def store_classifications(
    db: sqlite_utils.Database, model_id: str, rows: Sequence[ClassificationRow]
) -> int:
    """Add one model's classifications (history by other models is kept).

    A mention without a language gets the detected one, so reports can group by it.
    """
    now = utc_now()
    with write_transaction(db):
        db.conn.executemany(
            "INSERT INTO classifications (mention_id, model_id, lang, sentiment, "
            "sentiment_scores, stage, stage_scores, classified_at, margin) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(mention_id, model_id) DO UPDATE SET lang = excluded.lang, "
            "sentiment = excluded.sentiment, sentiment_scores = excluded.sentiment_scores, "
            "stage = excluded.stage, stage_scores = excluded.stage_scores, "
            "classified_at = excluded.classified_at, margin = excluded.margin",
            [
                (
                    r.mention_id,
                    model_id,
                    r.lang,
                    r.sentiment,
                    json.dumps(r.sentiment_scores),
                    r.stage,
                    json.dumps(r.stage_scores),
                    now,
                    certainty(r.sentiment_scores, r.stage_scores),
                )
                for r in rows
            ],
        )
        db.conn.executemany(
            "UPDATE mentions SET lang = ? WHERE id = ? AND lang IS NULL",
            [(r.lang, r.mention_id) for r in rows if r.lang],
        )
    return len(rows)


def mark_deleted(db: sqlite_utils.Database, keys: Sequence[str]) -> int:
    """Posts their authors deleted stay stored (their replies stay linked) but leave the
    counts, as a removed Reddit post does; unknown keys are ignored. Returns rows marked."""
    marked = 0
    for start in range(0, len(keys), 500):
        part = list(keys[start : start + 500])
        marks = ", ".join("?" for _ in part)
        marked += db.execute(
            f"UPDATE mentions SET deleted = 1 WHERE deleted = 0 AND id IN ({marks})", part
        ).rowcount
    return marked
