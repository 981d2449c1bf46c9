"""The review queue: the mentions the model is least sure about, for people to label.

Least sure means the smallest margin between the model's first and second choice, for
stage or sentiment, whichever is smaller (``classifications.margin``, indexed per model).
Mentions a person already labeled, deleted posts and, when asked, skipped ones are left
out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlite_utils

from storage.inbox import mention_rows


def review_queue(
    db: sqlite_utils.Database,
    model_id: str | None,
    *,
    brand: str | None = None,
    skip: Sequence[str] = (),
    limit: int = 1,
) -> list[dict[str, Any]]:
    """The next ``limit`` mentions to label, least sure first, as inbox rows."""
    if model_id is None:
        return []
    params: dict[str, Any] = {"model": model_id, "limit": limit}
    where = [
        "c.model_id = :model",
        "c.margin IS NOT NULL",
        "NOT EXISTS (SELECT 1 FROM human_labels h WHERE h.mention_id = c.mention_id)",
        "m.deleted = 0",
    ]
    if brand:
        params["brand"] = brand
        where.append("m.brand = :brand")
    names = []
    for number, mention_id in enumerate(skip):
        params[f"skip{number}"] = mention_id
        names.append(f":skip{number}")
    if names:
        where.append(f"c.mention_id NOT IN ({', '.join(names)})")
    margins = dict(
        db.execute(
            "SELECT c.mention_id, c.margin FROM classifications c "
            f"JOIN mentions m ON m.id = c.mention_id WHERE {' AND '.join(where)} "
            "ORDER BY c.margin, c.id LIMIT :limit",
            params,
        ).fetchall()
    )
    found = mention_rows(db, model_id, list(margins))
    return [{**found[i], "margin": margin} for i, margin in margins.items() if i in found]


def label_counts(db: sqlite_utils.Database) -> dict[str, dict[str, int]]:
    """How many human labels each class has, per task."""
    counts: dict[str, dict[str, int]] = {"sentiment": {}, "stage": {}}
    for task in counts:
        for value, n in db.execute(
            f"SELECT {task}, count(*) FROM human_labels WHERE {task} IS NOT NULL GROUP BY {task}"
        ):
            counts[task][value] = n
    return counts
