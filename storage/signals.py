"""The reads alert rules are made of: negative posts with reach, who responds to them,
windowed volumes and the run history of sources. Each is one indexed query.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlite_utils

from storage.db import chunks, to_db_time
from storage.queries import downstream_of

# A post's own engagement. A repost has none: the likes and reposts it shows are its
# original's (X copies the original's retweet_count onto every retweet), so counting
# them would give every retweet of a popular post that post's reach.
ENGAGEMENT = (
    "CASE WHEN m.reposted_id IS NOT NULL THEN 0 ELSE "
    "coalesce(m.likes, 0) + coalesce(m.reposts, 0) + coalesce(m.replies, 0) "
    "+ coalesce(m.quotes, 0) + max(coalesce(m.score, 0), 0) END"
)
_MENTION_FIELDS = f"""
    m.id, m.brand, m.platform, m.text, m.url, m.created_at, m.lang,
    a.handle AS author_handle, a.name AS author_name, a.followers AS author_followers,
    {ENGAGEMENT} AS engagement,
    c.sentiment, c.sentiment_scores, c.stage, c.stage_scores
"""


def negative_posts(
    db: sqlite_utils.Database, model_id: str, stages: Sequence[str], since: datetime
) -> list[dict[str, Any]]:
    """Recent mentions classified negative in one of ``stages``, with author and engagement."""
    marks = ", ".join("?" for _ in stages)
    return list(
        db.query(
            f"""
            SELECT {_MENTION_FIELDS}
            FROM mentions m
            JOIN effective_labels c ON c.mention_id = m.id AND c.model_id = ?
            LEFT JOIN authors a ON a.id = m.author_id
            WHERE m.created_at >= ? AND c.sentiment = 'negative' AND c.stage IN ({marks})
            ORDER BY m.created_at
            """,
            [model_id, to_db_time(since), *stages],
        )
    )


def responders(
    db: sqlite_utils.Database, model_id: str, mention_id: str, stages: Sequence[str]
) -> list[dict[str, Any]]:
    """Mentions downstream of a post (replies, quotes, reposts, thread) in ``stages``."""
    below = [row["id"] for row in downstream_of(db, mention_id)]
    if not below:
        return []
    found: list[dict[str, Any]] = []
    stage_marks = ", ".join("?" for _ in stages)
    for part, marks in chunks(below):
        found += db.query(
            f"""
            SELECT {_MENTION_FIELDS}, m.author_id
            FROM mentions m
            JOIN effective_labels c ON c.mention_id = m.id AND c.model_id = ?
            LEFT JOIN authors a ON a.id = m.author_id
            WHERE m.id IN ({marks}) AND c.stage IN ({stage_marks})
            """,
            [model_id, *part, *stages],
        )
    return found


def window_counts(
    db: sqlite_utils.Database,
    model_id: str | None,
    start: datetime,
    end: datetime,
    width_seconds: int,
) -> list[dict[str, Any]]:
    """Mentions and negative mentions per brand per window of ``width_seconds`` from start."""
    return list(
        db.query(
            """
            SELECT m.brand,
                   (CAST(strftime('%s', m.created_at) AS INTEGER) - :origin) / :width AS window,
                   count(*) AS mentions,
                   sum(coalesce(h.sentiment, c.sentiment) = 'negative') AS negative,
                   count(coalesce(h.sentiment, c.sentiment)) AS classified
            FROM mentions m
            LEFT JOIN classifications c ON c.mention_id = m.id AND c.model_id = :model
            LEFT JOIN human_labels h ON h.mention_id = m.id
            WHERE m.created_at >= :start AND m.created_at < :end AND m.brand IS NOT NULL
              AND m.deleted = 0
            GROUP BY m.brand, window
            """,
            {
                "origin": int(start.timestamp()),
                "width": width_seconds,
                "model": model_id,
                "start": to_db_time(start),
                "end": to_db_time(end),
            },
        )
    )


def source_runs(db: sqlite_utils.Database, source: str, limit: int) -> list[dict[str, Any]]:
    """The latest collect runs of a source, newest first."""
    return list(
        db.query(
            "SELECT * FROM runs WHERE step = 'collect' AND source = ? AND finished_at IS NOT NULL "
            "ORDER BY id DESC LIMIT ?",
            [source, limit],
        )
    )


def last_productive_run(db: sqlite_utils.Database, source: str) -> str | None:
    """When the source last finished a run that fetched something."""
    return db.execute(
        "SELECT max(started_at) FROM runs WHERE step = 'collect' AND source = ? "
        "AND status = 'ok' AND fetched > 0",
        [source],
    ).fetchone()[0]


def failing_streak(db: sqlite_utils.Database, source: str) -> dict[str, Any]:
    """The run of failed collects since the source's last success: length, start, last error."""
    row = db.execute(
        """
        SELECT count(*), min(id), max(id) FROM runs
        WHERE step = 'collect' AND source = :source AND status = 'error'
          AND id > coalesce((SELECT max(id) FROM runs WHERE step = 'collect'
                             AND source = :source AND status = 'ok'), 0)
        """,
        {"source": source},
    ).fetchone()
    count, first_id, last_id = row
    last = db.execute("SELECT error, started_at FROM runs WHERE id = ?", [last_id]).fetchone()
    return {
        "failures": count,
        "first_run_id": first_id,
        "last_error": last[0] if last else None,
        "last_at": last[1] if last else None,
    }


def first_run(db: sqlite_utils.Database, source: str) -> str | None:
    return db.execute(
        "SELECT min(started_at) FROM runs WHERE step = 'collect' AND source = ?", [source]
    ).fetchone()[0]
