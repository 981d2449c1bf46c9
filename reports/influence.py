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

from storage import insights
from storage.db import from_db_time, to_db_time


@dataclass(frozen=True)
class Journey:
    stages: Sequence[str]
    prospect_stages: Sequence[str]
    umot_stages: Sequence[str]
    own_handles: frozenset[str] = frozenset()
    purchase_stage: str = "purchase"

    @property
    def purchase_or_later(self) -> list[str]:
        return [stage for stage in self.stages if self.reached_purchase(stage)]

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


def umot_posts(
    db: sqlite_utils.Database,
    model_id: str,
    journey: Journey,
    start: datetime,
    end: datetime,
    brand: str | None = None,
) -> Iterable[dict[str, Any]]:
    return insights.classified_posts(db, model_id, journey.umot_stages, start, end, brand)


def analyze_post(
    db: sqlite_utils.Database,
    model_id: str,
    journey: Journey,
    post: dict[str, Any],
    thread_size: int = 3,
) -> PostInfluence:
    """One post's influence (the mention page); ``influence`` does a whole period at once."""
    below = insights.downstream_with_handles(db, post["id"])
    return _measure_all(db, model_id, journey, [post], {post["id"]: below}, thread_size)[0]


def influence(
    db: sqlite_utils.Database,
    model_id: str,
    journey: Journey,
    start: datetime,
    end: datetime,
    brand: str | None = None,
    *,
    thread_size: int = 3,
) -> tuple[list[PostInfluence], dict[str | None, InfluenceTotals]]:
    """Every UMOT post of the period with its influence, and totals per brand.

    Set-based: one recursive query walks down from all the period's UMOT posts at once,
    one reads the labels of everything below them, one checks every prospect for a later
    purchase. ``thread_size=0`` skips the first responses (totals are all that is read).
    """
    found = list(umot_posts(db, model_id, journey, start, end, brand))
    below = insights.downstream_of_posts(db, [post["id"] for post in found])
    posts = _measure_all(db, model_id, journey, found, below, thread_size)
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


def _measure_all(
    db: sqlite_utils.Database,
    model_id: str,
    journey: Journey,
    posts: Sequence[dict[str, Any]],
    below_by_post: dict[str, list[dict[str, Any]]],
    thread_size: int,
) -> list[PostInfluence]:
    own = journey.own_handles
    audiences = {
        post["id"]: [
            row
            for row in below_by_post.get(post["id"], [])
            if row["author_id"] != post["author_id"]
            and (row["author_handle"] or "").lower() not in own
        ]
        for post in posts
    }
    every = sorted({row["id"] for rows in audiences.values() for row in rows})
    labels = insights.labels_of(db, model_id, every)
    results: list[PostInfluence] = []
    checks: list[tuple[str, str | None, str]] = []  # (author, brand, after) per prospect
    owners: list[PostInfluence] = []
    for post in posts:
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
        results.append(result)
        below = audiences[post["id"]]
        if not below:
            continue
        result.downstream = len(below)
        result.downstream_authors = len({row["author_id"] or row["id"] for row in below})
        first_seen: dict[str, dict[str, Any]] = {}
        agree = []
        for row in below:
            label = labels.get(row["id"], {})
            if label.get("stage") in journey.prospect_stages:
                first_seen.setdefault(row["author_id"] or row["id"], row)
                if label.get("sentiment") and post["sentiment"]:
                    agree.append(label["sentiment"] == post["sentiment"])
        result.prospects = len(first_seen)
        result.prospect_agreement = sum(agree) / len(agree) if agree else None
        result.median_lag_hours = statistics.median(
            _hours(r["created_at"], post["created_at"]) for r in below
        )
        for key, row in first_seen.items():
            if row["author_id"]:
                checks.append((key, post["brand"], row["created_at"]))
                owners.append(result)
        result.thread = [
            {
                "author": row["author_handle"],
                "text": row["text"],
                "stage": labels.get(row["id"], {}).get("stage"),
                "sentiment": labels.get(row["id"], {}).get("sentiment"),
            }
            for row in below[:thread_size]
        ]
    reached = insights.later_stage_reached(db, model_id, checks, journey.purchase_or_later)
    for owner, converted in zip(owners, reached, strict=True):
        owner.converted += converted
    return results


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
    moves: Counter[tuple[str, str]] = Counter()
    previous: tuple[str, str | None, str] | None = None
    since = to_db_time(start)
    handles = insights.author_ids_with_handles(db, journey.own_handles)
    for row in insights.author_stage_history(db, model_id, start, end, brand):
        if row["author_id"] in handles:
            continue
        key = (row["author_id"], row["brand"])
        moved = previous is not None and previous[:2] == key and previous[2] != row["stage"]
        if moved and row["created_at"] >= since:
            moves[(previous[2], row["stage"])] += 1
        previous = (*key, row["stage"])
    return moves
