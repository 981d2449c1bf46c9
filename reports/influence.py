"""UMOT → ZMOT influence: how customers' shared experiences reach people still deciding.

For every UMOT post (a mention in an experience/advocacy stage) in a period: what sits
downstream of it (replies, quotes, reposts, its thread), who wrote that, how many of them
were prospects (awareness/consideration) when they responded, whether their sentiment
agreed with the post, how long they took, and which of them later reached purchase for
the same brand (conversion after exposure). The brand's own accounts and the post's author
are never counted as their own audience.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlite_utils

from storage import queries
from storage.db import from_db_time, to_db_time


@dataclass(frozen=True)
class Journey:
    stages: Sequence[str]
    prospect_stages: Sequence[str]
    umot_stages: Sequence[str]
    own_handles: frozenset[str] = frozenset()
    purchase_stage: str = "purchase"

    def reached_purchase(self, stage: str | None) -> bool:
        """Purchase, or a stage after it (a later experience implies the purchase)."""
        if stage is None or stage not in self.stages or self.purchase_stage not in self.stages:
            return False
        order = [s for s in self.stages if s != "none"]
        return stage in order and order.index(stage) >= order.index(self.purchase_stage)


@dataclass
class PostInfluence:
    mention_id: str
    brand: str | None
    author: str | None
    stage: str
    sentiment: str | None
    text: str
    url: str | None
    created_at: str
    downstream: int = 0
    downstream_authors: int = 0
    prospects: int = 0
    prospect_agreement: float | None = None  # share of prospects' posts with the same sentiment
    median_lag_hours: float | None = None
    converted: int = 0  # prospects whose later mention (same brand) reached purchase
    thread: list[dict[str, Any]] = field(default_factory=list)  # the first responses


@dataclass
class InfluenceTotals:
    umot_posts: int = 0
    posts_with_response: int = 0
    downstream: int = 0
    prospects: int = 0
    converted: int = 0

    @property
    def conversion_rate(self) -> float | None:
        return self.converted / self.prospects if self.prospects else None


def _hours(later: str, earlier: str) -> float:
    return (from_db_time(later) - from_db_time(earlier)).total_seconds() / 3600


def _labels(db: sqlite_utils.Database, model_id: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        for row in db.query(
            f"SELECT mention_id, sentiment, stage FROM classifications "
            f"WHERE model_id = ? AND mention_id IN ({marks})",
            [model_id, *chunk],
        ):
            found[row["mention_id"]] = row
    return found


def _later_purchase(
    db: sqlite_utils.Database,
    model_id: str,
    journey: Journey,
    author_id: str,
    brand: str | None,
    after: str,
) -> bool:
    later = [s for s in journey.stages if journey.reached_purchase(s)]
    marks = ", ".join("?" for _ in later)
    row = db.execute(
        f"""
        SELECT 1 FROM mentions m JOIN classifications c ON c.mention_id = m.id AND c.model_id = ?
        WHERE m.author_id = ? AND m.brand IS ? AND m.created_at > ? AND c.stage IN ({marks})
        LIMIT 1
        """,
        [model_id, author_id, brand, after, *later],
    ).fetchone()
    return row is not None


def umot_posts(
    db: sqlite_utils.Database,
    model_id: str,
    journey: Journey,
    start: datetime,
    end: datetime,
    brand: str | None = None,
) -> Iterable[dict[str, Any]]:
    marks = ", ".join("?" for _ in journey.umot_stages)
    sql = f"""
        SELECT m.id, m.brand, m.text, m.url, m.created_at, m.author_id, a.handle AS author,
               c.stage, c.sentiment
        FROM mentions m JOIN classifications c ON c.mention_id = m.id AND c.model_id = ?
        LEFT JOIN authors a ON a.id = m.author_id
        WHERE m.created_at >= ? AND m.created_at < ? AND c.stage IN ({marks})
    """
    params: list[Any] = [model_id, to_db_time(start), to_db_time(end), *journey.umot_stages]
    if brand is not None:
        sql += " AND m.brand = ?"
        params.append(brand)
    return db.query(sql + " ORDER BY m.created_at, m.id", params)


def analyze_post(
    db: sqlite_utils.Database,
    model_id: str,
    journey: Journey,
    post: dict[str, Any],
    thread_size: int = 3,
) -> PostInfluence:
    result = PostInfluence(
        post["id"],
        post["brand"],
        post["author"],
        post["stage"],
        post["sentiment"],
        post["text"],
        post["url"],
        post["created_at"],
    )
    own = journey.own_handles
    below = [
        row
        for row in downstream_of_with_authors(db, post["id"])
        if row["author_id"] != post["author_id"] and (row["author_handle"] or "").lower() not in own
    ]
    if not below:
        return result
    labels = _labels(db, model_id, [row["id"] for row in below])
    result.downstream = len(below)
    result.downstream_authors = len({row["author_id"] or row["id"] for row in below})
    first_seen: dict[str, dict[str, Any]] = {}
    agree = []
    for row in below:
        label = labels.get(row["id"], {})
        if label.get("stage") in journey.prospect_stages:
            key = row["author_id"] or row["id"]
            first_seen.setdefault(key, row)
            if label.get("sentiment") and post["sentiment"]:
                agree.append(label["sentiment"] == post["sentiment"])
    result.prospects = len(first_seen)
    result.prospect_agreement = sum(agree) / len(agree) if agree else None
    result.median_lag_hours = statistics.median(
        _hours(r["created_at"], post["created_at"]) for r in below
    )
    result.converted = sum(
        1
        for key, row in first_seen.items()
        if row["author_id"]
        and _later_purchase(db, model_id, journey, key, post["brand"], row["created_at"])
    )
    result.thread = [
        {
            "author": row["author_handle"],
            "text": row["text"],
            "stage": labels.get(row["id"], {}).get("stage"),
            "sentiment": labels.get(row["id"], {}).get("sentiment"),
        }
        for row in below[:thread_size]
    ]
    return result


def downstream_of_with_authors(db: sqlite_utils.Database, mention_id: str) -> list[dict[str, Any]]:
    rows = queries.downstream_of(db, mention_id)
    handles = {}
    author_ids = sorted({row["author_id"] for row in rows if row["author_id"]})
    for start in range(0, len(author_ids), 500):
        chunk = author_ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        for row in db.query(f"SELECT id, handle FROM authors WHERE id IN ({marks})", chunk):
            handles[row["id"]] = row["handle"]
    return [{**row, "author_handle": handles.get(row["author_id"])} for row in rows]


def influence(
    db: sqlite_utils.Database,
    model_id: str,
    journey: Journey,
    start: datetime,
    end: datetime,
    brand: str | None = None,
) -> tuple[list[PostInfluence], dict[str | None, InfluenceTotals]]:
    """Every UMOT post of the period with its influence, and totals per brand."""
    posts = [
        analyze_post(db, model_id, journey, post)
        for post in umot_posts(db, model_id, journey, start, end, brand)
    ]
    totals: dict[str | None, InfluenceTotals] = defaultdict(InfluenceTotals)
    for post in posts:
        for key in (post.brand, "*"):
            total = totals[key]
            total.umot_posts += 1
            total.posts_with_response += post.downstream > 0
            total.downstream += post.downstream
            total.prospects += post.prospects
            total.converted += post.converted
    return posts, dict(totals)


def stage_transitions(
    db: sqlite_utils.Database,
    model_id: str,
    journey: Journey,
    start: datetime,
    end: datetime,
    brand: str | None = None,
) -> Counter[tuple[str, str]]:
    """(from, to) counts of authors moving between stages, for moves that land in the period.

    Each author's classified mentions of one brand, in time order, "none" left out; a move
    is two consecutive mentions in different stages whose second one is in the period.
    """
    sql = """
        SELECT m.author_id, m.brand, m.created_at, c.stage
        FROM mentions m JOIN classifications c ON c.mention_id = m.id AND c.model_id = ?
        WHERE m.author_id IN (
            SELECT DISTINCT author_id FROM mentions
            WHERE created_at >= ? AND created_at < ? AND author_id IS NOT NULL
        ) AND m.created_at < ? AND c.stage != 'none'
    """
    params: list[Any] = [model_id, to_db_time(start), to_db_time(end), to_db_time(end)]
    if brand is not None:
        sql += " AND m.brand = ?"
        params.append(brand)
    sql += " ORDER BY m.author_id, m.brand, m.created_at, m.id"
    moves: Counter[tuple[str, str]] = Counter()
    previous: tuple[str, str | None, str] | None = None
    since = to_db_time(start)
    handles = _own_author_ids(db, journey.own_handles)
    for row in db.query(sql, params):
        if row["author_id"] in handles:
            continue
        key = (row["author_id"], row["brand"])
        moved = previous is not None and previous[:2] == key and previous[2] != row["stage"]
        if moved and row["created_at"] >= since:
            moves[(previous[2], row["stage"])] += 1
        previous = (*key, row["stage"])
    return moves


def _own_author_ids(db: sqlite_utils.Database, own: frozenset[str]) -> set[str]:
    if not own:
        return set()
    marks = ", ".join("?" for _ in own)
    return {
        row[0]
        for row in db.execute(
            f"SELECT id FROM authors WHERE lower(handle) IN ({marks})", sorted(own)
        )
    }
