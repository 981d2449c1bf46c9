"""The read queries the rest of umot uses; SQL lives here and nowhere else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlite_utils

from storage.db import to_db_time

# Posts that point at another post: a reply, a quote or a repost of it.
LINKS = ("parent_id", "quoted_id", "reposted_id")  # what ties a post to the one it answers
# Mentions that count: deleted posts are stored only to keep the replies below them linked.
COUNTED = "deleted = 0"


def unclassified_mentions(
    db: sqlite_utils.Database,
    model_id: str,
    *,
    batch_size: int = 256,
    newest_first: bool = False,
) -> Iterator[list[dict[str, Any]]]:
    """Batches of mentions that have no classification by ``model_id`` yet, each with the
    text of the post it replies to or quotes (``parent_text``) where that is stored.

    Pages by ``seq`` rather than OFFSET, so it stays fast on millions of rows and keeps
    working while the caller writes classifications between batches. ``newest_first``
    serves the workspace after a model change: recent mentions get the new labels first.
    """
    step, order = ("<", "DESC") if newest_first else (">", "")
    last_seq = 2**63 - 1 if newest_first else 0
    while True:
        rows = list(
            db.query(
                "SELECT m.seq, m.id, m.text, m.lang, p.text AS parent_text FROM mentions m "
                "LEFT JOIN mentions p ON p.id = coalesce(m.parent_id, m.quoted_id) "
                f"AND p.deleted = 0 WHERE m.seq {step} ? AND m.deleted = 0 "
                "AND NOT EXISTS (SELECT 1 FROM classifications c "
                f"WHERE c.mention_id = m.id AND c.model_id = ?) ORDER BY m.seq {order} LIMIT ?",
                [last_seq, model_id, batch_size],
            )
        )
        if not rows:
            return
        last_seq = rows[-1]["seq"]
        yield rows


def count_unclassified(db: sqlite_utils.Database, model_id: str) -> int:
    return db.execute(
        "SELECT count(*) FROM mentions m WHERE m.deleted = 0 AND NOT EXISTS (SELECT 1 FROM "
        "classifications c "
        "WHERE c.mention_id = m.id AND c.model_id = ?)",
        [model_id],
    ).fetchone()[0]


def mentions_between(
    db: sqlite_utils.Database,
    start: datetime,
    end: datetime,
    *,
    brand: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Mentions created in [start, end), oldest first, streamed."""
    sql = "SELECT * FROM mentions WHERE created_at >= ? AND created_at < ? AND deleted = 0"
    params: list[Any] = [to_db_time(start), to_db_time(end)]
    if brand is not None:
        sql += " AND brand = ?"
        params.append(brand)
    yield from db.query(sql + " ORDER BY created_at, id", params)


def get_mention(db: sqlite_utils.Database, mention_id: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM mentions WHERE id = ?", [mention_id]))
    return rows[0] if rows else None


def downstream_of(
    db: sqlite_utils.Database, mention_id: str, *, include_deleted: bool = False
) -> list[dict[str, Any]]:
    """Everything that replies to, quotes or reposts the mention, directly or further down.

    When the mention starts a conversation, later posts of that conversation that are not
    linked by a chain of replies (an X conversation whose intermediate tweets were not
    collected) are included as well, with depth None. The chain runs through deleted
    posts; they are returned themselves only with ``include_deleted`` (to draw a tree).
    """
    link_match = " OR ".join(f"m.{column} = d.id" for column in LINKS)
    sql = f"""
        WITH RECURSIVE down(id, depth) AS (
            SELECT ?, 0
            UNION
            SELECT m.id, d.depth + 1 FROM mentions m JOIN down d ON ({link_match})
            WHERE d.depth < 1000
        ),
        origin AS (SELECT id, created_at, coalesce(conversation_id, id) AS conv
                   FROM mentions WHERE id = ?),
        linked AS (SELECT id, min(depth) AS depth FROM down WHERE depth > 0 GROUP BY id),
        same_conversation AS (
            SELECT m.id, NULL AS depth FROM mentions m, origin o
            WHERE o.conv = o.id AND m.conversation_id = o.conv AND m.created_at > o.created_at
              AND m.id != o.id AND m.id NOT IN (SELECT id FROM linked)
        )
        SELECT m.*, r.depth FROM (SELECT * FROM linked UNION ALL SELECT * FROM same_conversation) r
        JOIN mentions m ON m.id = r.id
        {"" if include_deleted else "WHERE m.deleted = 0"}
        ORDER BY m.created_at, m.id
    """
    return list(db.query(sql, [mention_id, mention_id]))


def thread_of(db: sqlite_utils.Database, mention_id: str) -> list[dict[str, Any]]:
    """The whole thread the mention sits in: its root and everything below the root."""
    root_id = mention_id
    seen = {root_id}
    while True:  # climb reply/quote/repost links to the oldest ancestor we have stored
        row = get_mention(db, root_id)
        if row is None:
            return []
        parent = row["parent_id"] or row["quoted_id"] or row["reposted_id"]
        conversation = row["conversation_id"]
        if parent is None and conversation and conversation != root_id:
            parent = conversation
        if parent is None or parent in seen or get_mention(db, parent) is None:
            break
        seen.add(parent)
        root_id = parent
    root = get_mention(db, root_id)
    assert root is not None
    return [dict(root, depth=0), *downstream_of(db, root_id)]


def search_mentions(
    db: sqlite_utils.Database, query: str, *, limit: int = 20
) -> list[dict[str, Any]]:
    """Full-text search; the query is quoted so user input is never FTS syntax."""
    return list(
        db.query(
            "SELECT m.*, a.handle AS author_handle FROM mentions_fts f "
            "JOIN mentions m ON m.seq = f.rowid LEFT JOIN authors a ON a.id = m.author_id "
            "WHERE mentions_fts MATCH ? AND m.deleted = 0 ORDER BY f.rank LIMIT ?",
            [db.quote_fts(query), limit],
        )
    )


def table_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Rows per table; ``mentions`` leaves out deleted posts kept only as thread links."""
    counts = {"mentions": f"SELECT count(*) FROM mentions WHERE {COUNTED}"}
    for name in ("authors", "classifications", "alerts", "runs", "rejects"):
        counts[name] = f"SELECT count(*) FROM [{name}]"
    return {name: db.execute(sql).fetchone()[0] for name, sql in counts.items()}


def grouped_counts(db: sqlite_utils.Database, column: str) -> list[tuple[str | None, int]]:
    allowed = {"brand", "platform", "lang", "source"}
    if column not in allowed:
        raise ValueError(f"cannot group mentions by {column!r}")
    rows = db.execute(
        f"SELECT {column}, count(*) AS n FROM mentions WHERE {COUNTED} "
        f"GROUP BY {column} ORDER BY n DESC"
    )
    return [(row[0], row[1]) for row in rows]


def time_range(db: sqlite_utils.Database) -> tuple[str | None, str | None]:
    row = db.execute(
        f"SELECT min(created_at), max(created_at) FROM mentions WHERE {COUNTED}"
    ).fetchone()
    return row[0], row[1]


def recent_runs(db: sqlite_utils.Database, limit: int = 10) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM runs ORDER BY id DESC LIMIT ?", [limit]))


def recent_rejects(db: sqlite_utils.Database, limit: int = 20) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM rejects ORDER BY id DESC LIMIT ?", [limit]))


def latest_model_id(db: sqlite_utils.Database) -> str | None:
    """The model of the newest stored classification.

    By id, the primary key: a new model's labels are new rows, so the highest id is the
    model in use; ordering by ``classified_at`` read every row (about 200 ms at 1M
    mentions, on every workspace page).
    """
    row = db.execute("SELECT model_id FROM classifications ORDER BY id DESC LIMIT 1").fetchone()
    return row[0] if row else None


def classification_counts(
    db: sqlite_utils.Database, model_id: str, column: str
) -> list[tuple[str | None, int]]:
    if column not in ("sentiment", "stage"):
        raise ValueError(f"cannot group classifications by {column!r}")
    rows = db.execute(
        f"SELECT {column}, count(*) AS n FROM effective_labels WHERE model_id = ? "
        f"GROUP BY {column} ORDER BY n DESC",
        [model_id],
    )
    return [(row[0], row[1]) for row in rows]


def umot_posts_to_follow(
    db: sqlite_utils.Database,
    source: str,
    *,
    stages: list[str],
    since: datetime,
    limit: int,
) -> list[dict[str, Any]]:
    """Recent posts classified into a UMOT stage that drew replies: threads worth fetching.

    By source, not platform: the demo's invented X posts must never be looked up on X.
    Returns native ids (the collectors' terms), most-replied first. Posts whose reply
    count is unknown are included: a platform that does not report it may still have some.
    """
    if not stages or limit <= 0:
        return []
    marks = ", ".join("?" for _ in stages)
    rows = db.query(
        f"""
        SELECT m.native_id, m.brand,
               substr(m.conversation_id, length(m.platform) + 2) AS conversation_id
        FROM mentions m
        WHERE m.source = ? AND m.created_at >= ? AND coalesce(m.replies, 1) > 0
          AND m.id IN (SELECT mention_id FROM effective_labels WHERE stage IN ({marks}))
        ORDER BY coalesce(m.replies, 0) + coalesce(m.quotes, 0) DESC, m.created_at DESC
        LIMIT ?
        """,
        [source, to_db_time(since), *stages, limit],
    )
    return list(rows)


def last_runs(db: sqlite_utils.Database, step: str) -> dict[str, dict[str, Any]]:
    """Per source: its latest run of ``step``, with its latest error (possibly older)."""
    rows = db.query(
        """
        SELECT r.*, e.error AS last_error, e.started_at AS last_error_at
        FROM runs r
        LEFT JOIN (
            SELECT source, error, max(started_at) AS started_at FROM runs
            WHERE step = :step AND error IS NOT NULL GROUP BY source
        ) e ON e.source = r.source
        WHERE r.step = :step AND r.id = (
            SELECT max(id) FROM runs WHERE step = :step AND source = r.source
        )
        """,
        {"step": step},
    )
    return {row["source"]: row for row in rows}
