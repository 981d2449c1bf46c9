"""The team's human labels as data: export, import, and the held-out share.

Labels move between installations (and in from other tools) as JSONL or CSV rows with the
mention's ``id`` (``platform:native_id``, or ``platform`` and ``native_id`` apart),
``sentiment`` and/or ``stage``, and the ``user`` who set them. Import goes through
``storage.workspace.set_labels``, the workspace's own path, so history and the model's
label at the time are kept the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from storage.mention import Rejected
from storage.transaction import write_transaction
from storage.workspace import WorkspaceError, set_labels

EXPORT_FIELDS = (
    "id",
    "platform",
    "native_id",
    "sentiment",
    "stage",
    "user",
    "labeled_at",
    "model_id",
    "model_sentiment",
    "model_stage",
)
HELD_OUT_SHARE = 0.2
HELD_OUT_SEED = 13


def held_out(mention_id: str, share: float = HELD_OUT_SHARE, seed: int = HELD_OUT_SEED) -> bool:
    """Whether a labeled mention belongs to the held-out share, by a hash of its id.

    The same mention is held out in every run and on every machine, whatever else was
    labeled since, so a model is never judged on labels an earlier model trained on.
    Per class the share is the same in expectation (the hash ignores the label).
    """
    digest = hashlib.sha256(f"{seed}:{mention_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def export_rows(db: sqlite_utils.Database) -> Iterator[dict[str, Any]]:
    yield from db.query(
        "SELECT m.id, m.platform, m.native_id, h.sentiment, h.stage, h.labeled_by AS user, "
        "h.labeled_at, h.model_id, h.model_sentiment, h.model_stage "
        "FROM human_labels h JOIN mentions m ON m.id = h.mention_id ORDER BY m.seq"
    )


@dataclass
class LabelImport:
    labeled: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def _mention_key(record: dict[str, Any]) -> str | None:
    key = str(record.get("id") or "").strip()
    platform = str(record.get("platform") or "").strip().lower()
    native = str(record.get("native_id") or "").strip()
    if platform and native:
        return f"{platform}:{native}"
    return key if ":" in key else None


def import_labels(
    db: sqlite_utils.Database,
    records: Iterable[tuple[int, dict[str, Any] | Rejected]],
    *,
    sentiments: Sequence[str],
    stages: Sequence[str],
    default_user: str,
) -> LabelImport:
    """Store each row's labels; a bad row is reported by line and the rest still count."""
    result = LabelImport()
    with write_transaction(db):
        for line, record in records:
            if isinstance(record, Rejected):
                result.rejected.append((line, record.reason))
                continue
            key = _mention_key(record)
            if key is None:
                result.rejected.append((line, "no mention id (id, or platform and native_id)"))
                continue
            if db.execute("SELECT 1 FROM mentions WHERE id = ?", [key]).fetchone() is None:
                result.rejected.append((line, f"no mention {key!r} in this database"))
                continue
            sentiment = str(record.get("sentiment") or "").strip() or None
            stage = str(record.get("stage") or "").strip() or None
            user = str(record.get("user") or "").strip() or default_user
            try:
                changed = set_labels(
                    db,
                    [key],
                    user,
                    sentiment=sentiment,
                    stage=stage,
                    sentiments=sentiments,
                    stages=stages,
                )
            except WorkspaceError as error:
                result.rejected.append((line, str(error)))
                continue
            if changed:
                result.labeled += 1
            else:
                result.unchanged += 1
    return result


def labeled_examples(db: sqlite_utils.Database, brand: str | None = None) -> list[dict[str, Any]]:
    """Every human-labeled mention (of ``brand``, if given) with its text and the text it
    answers, oldest first."""
    where, params = ("AND m.brand = ?", [brand]) if brand is not None else ("", [])
    return list(
        db.query(
            "SELECT m.id, m.text, m.lang, p.text AS parent_text, h.sentiment, h.stage "
            "FROM human_labels h JOIN mentions m ON m.id = h.mention_id "
            "LEFT JOIN mentions p ON p.id = coalesce(m.parent_id, m.quoted_id) "
            f"AND p.deleted = 0 WHERE m.deleted = 0 {where} ORDER BY m.seq",
            params,
        )
    )
