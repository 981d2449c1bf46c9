"""What people change in the workspace: triage, tags, notes, human labels, alert handling.

Every change is kept as history (who, when, field, old → new) in the same transaction as
the change, so the history is never missing a change nor records one that did not happen.
A human label beats the model's everywhere through the ``effective_labels`` view, and
survives a model change because it is not tied to a model.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from storage.db import chunks, utc_now
from storage.transaction import write_transaction

STATUSES = ("open", "pending", "handled", "ignored")
PRIORITIES = ("low", "normal", "high", "urgent")
ALERT_STATES = ("new", "acknowledged", "resolved")
MAX_NOTE = 4000
MAX_TAG = 40


class WorkspaceError(ValueError):
    """A change that cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class TriageChange:
    """Fields to set; None leaves a field alone, "" clears assignee, priority or note."""

    status: str | None = None
    assignee: str | None = None
    priority: str | None = None
    note: str | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return (
            all(v is None for v in (self.status, self.assignee, self.priority, self.note))
            and not self.add_tags
            and not self.remove_tags
        )

    def check(self, users: Iterable[str]) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise WorkspaceError(f"status must be one of {', '.join(STATUSES)}")
        if self.priority not in (None, "", *PRIORITIES):
            raise WorkspaceError(f"priority must be one of {', '.join(PRIORITIES)}")
        if self.assignee and self.assignee not in set(users):
            raise WorkspaceError(f"no user {self.assignee!r} to assign to")
        if self.note is not None and len(self.note) > MAX_NOTE:
            raise WorkspaceError(f"a note has at most {MAX_NOTE:,} characters")
        for tag in (*self.add_tags, *self.remove_tags):
            clean_tag(tag)


def clean_tag(tag: str) -> str:
    tag = " ".join(tag.split()).lower()
    if not tag or len(tag) > MAX_TAG:
        raise WorkspaceError(f"a tag is 1 to {MAX_TAG} characters")
    return tag


def existing_ids(db: sqlite_utils.Database, ids: Sequence[str]) -> list[str]:
    found: set[str] = set()
    for part, marks in chunks(list(ids)):
        found.update(
            r[0] for r in db.execute(f"SELECT id FROM mentions WHERE id IN ({marks})", part)
        )
    return [i for i in dict.fromkeys(ids) if i in found]


def _record(
    db: sqlite_utils.Database,
    rows: list[tuple[str, str, str, str, str | None, str | None]],
) -> None:
    db.conn.executemany(
        "INSERT INTO mention_history (mention_id, user_name, at, field, old_value, new_value) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )


def apply_triage(
    db: sqlite_utils.Database, ids: Sequence[str], change: TriageChange, user: str
) -> int:
    """Apply one change to many mentions in one transaction; returns how many changed."""
    change.check(r[0] for r in db.execute("SELECT name FROM users"))
    now = utc_now()
    changed = 0
    with write_transaction(db):
        ids = existing_ids(db, ids)
        current = _triage_rows(db, ids)
        history: list[tuple[str, str, str, str, str | None, str | None]] = []
        for mention_id in ids:
            before = current.get(mention_id, {"status": "open"})
            after = dict(before)
            for field in ("status", "assignee", "priority", "note"):
                value = getattr(change, field)
                if value is not None:
                    after[field] = value or None
            diffs = [
                f
                for f in ("status", "assignee", "priority", "note")
                if before.get(f) != after.get(f)
            ]
            for field in diffs:
                history.append((mention_id, user, now, field, before.get(field), after.get(field)))
            if diffs:
                db.execute(
                    "INSERT INTO triage (mention_id, status, assignee, priority, note, "
                    "updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(mention_id) DO UPDATE SET status = excluded.status, "
                    "assignee = excluded.assignee, priority = excluded.priority, "
                    "note = excluded.note, updated_at = excluded.updated_at, "
                    "updated_by = excluded.updated_by",
                    [
                        mention_id,
                        after.get("status") or "open",
                        after.get("assignee"),
                        after.get("priority"),
                        after.get("note"),
                        now,
                        user,
                    ],
                )
            tagged = _change_tags(db, mention_id, change, user, now, history)
            changed += bool(diffs or tagged)
        _record(db, history)
    return changed


def _change_tags(
    db: sqlite_utils.Database,
    mention_id: str,
    change: TriageChange,
    user: str,
    now: str,
    history: list[tuple[str, str, str, str, str | None, str | None]],
) -> bool:
    touched = False
    for tag in map(clean_tag, change.add_tags):
        if db.execute(
            "INSERT OR IGNORE INTO mention_tags (mention_id, tag) VALUES (?, ?)", [mention_id, tag]
        ).rowcount:
            history.append((mention_id, user, now, "tag", None, tag))
            touched = True
    for tag in map(clean_tag, change.remove_tags):
        if db.execute(
            "DELETE FROM mention_tags WHERE mention_id = ? AND tag = ?", [mention_id, tag]
        ).rowcount:
            history.append((mention_id, user, now, "tag", tag, None))
            touched = True
    return touched


def _triage_rows(db: sqlite_utils.Database, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for part, marks in chunks(list(ids)):
        for row in db.query(
            f"SELECT mention_id, status, assignee, priority, note FROM triage "
            f"WHERE mention_id IN ({marks})",
            part,
        ):
            found[row.pop("mention_id")] = row
    return found


def set_labels(
    db: sqlite_utils.Database,
    ids: Sequence[str],
    user: str,
    *,
    sentiment: str | None = None,
    stage: str | None = None,
    sentiments: Sequence[str] = (),
    stages: Sequence[str] = (),
) -> int:
    """Human labels for many mentions; what the current model said is kept beside them.

    Returns how many mentions got a new human label (setting the same one again is none).
    """
    if sentiment is None and stage is None:
        raise WorkspaceError("choose a sentiment or a stage to set")
    if sentiment is not None and sentiment not in sentiments:
        raise WorkspaceError(f"sentiment must be one of {', '.join(sentiments)}")
    if stage is not None and stage not in stages:
        raise WorkspaceError(f"stage must be one of {', '.join(stages)}")
    now = utc_now()
    changed = 0
    with write_transaction(db):
        ids = existing_ids(db, ids)
        history: list[tuple[str, str, str, str, str | None, str | None]] = []
        for mention_id in ids:
            row = _effective_now(db, mention_id)
            updates = {"sentiment": sentiment, "stage": stage}
            # A person confirming the model's label is a label too (training data for the
            # team's own model); the history records what people changed or confirmed.
            diffs = [t for t, v in updates.items() if v is not None and row.get(f"human_{t}") != v]
            if not diffs:
                continue
            db.execute(
                "INSERT INTO human_labels (mention_id, sentiment, stage, labeled_by, labeled_at, "
                "model_id, model_sentiment, model_stage) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(mention_id) DO UPDATE SET "
                "sentiment = coalesce(excluded.sentiment, human_labels.sentiment), "
                "stage = coalesce(excluded.stage, human_labels.stage), "
                "labeled_by = excluded.labeled_by, labeled_at = excluded.labeled_at, "
                "model_id = excluded.model_id, model_sentiment = excluded.model_sentiment, "
                "model_stage = excluded.model_stage",
                [
                    mention_id,
                    sentiment,
                    stage,
                    user,
                    now,
                    row.get("model_id"),
                    row.get("model_sentiment"),
                    row.get("model_stage"),
                ],
            )
            for task in diffs:
                history.append((mention_id, user, now, task, row.get(task), updates[task]))
            changed += 1
        _record(db, history)
    return changed


def _effective_now(db: sqlite_utils.Database, mention_id: str) -> dict[str, Any]:
    """The labels shown now: the human one, else the latest model's."""
    rows = list(
        db.query(
            "SELECT c.model_id, c.sentiment AS model_sentiment, c.stage AS model_stage "
            "FROM classifications c WHERE c.mention_id = ? "
            "ORDER BY c.id DESC LIMIT 1",
            [mention_id],
        )
    )
    model = rows[0] if rows else {}
    human = list(
        db.query("SELECT sentiment, stage FROM human_labels WHERE mention_id = ?", [mention_id])
    )
    mine = human[0] if human else {}
    return {
        **model,
        "human_sentiment": mine.get("sentiment"),
        "human_stage": mine.get("stage"),
        "sentiment": mine.get("sentiment") or model.get("model_sentiment"),
        "stage": mine.get("stage") or model.get("model_stage"),
    }


def history_of(db: sqlite_utils.Database, mention_id: str) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT user_name, at, field, old_value, new_value FROM mention_history "
            "WHERE mention_id = ? ORDER BY id DESC",
            [mention_id],
        )
    )


def handle_alert(
    db: sqlite_utils.Database, alert_id: int, state: str, user: str, note: str = ""
) -> bool:
    """Acknowledge or resolve an alert, with an optional note; False if there is none."""
    if state not in ALERT_STATES[1:]:
        raise WorkspaceError(f"an alert can be {' or '.join(ALERT_STATES[1:])}")
    if len(note) > MAX_NOTE:
        raise WorkspaceError(f"a note has at most {MAX_NOTE:,} characters")
    with write_transaction(db):
        return bool(
            db.execute(
                "UPDATE alerts SET status = ?, handled_by = ?, handled_at = ?, "
                "handled_note = coalesce(nullif(?, ''), handled_note) WHERE id = ?",
                [state, user, utc_now(), note.strip(), alert_id],
            ).rowcount
        )


def alerts_page(
    db: sqlite_utils.Database,
    *,
    status: str | None = None,
    brand: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], int | None]:
    """Alerts newest first (keyset on id), each with its delivery per channel."""
    where, params = ["1 = 1"], []
    for column, value in (("status", status), ("brand", brand)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if before_id:
        where.append("id < ?")
        params.append(before_id)
    rows = list(
        db.query(
            f"SELECT * FROM alerts WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
            [*params, limit + 1],
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    deliveries: dict[int, list[dict[str, Any]]] = {}
    for part, marks in chunks([str(r["id"]) for r in rows]):
        for row in db.query(
            f"SELECT * FROM alert_deliveries WHERE alert_id IN ({marks}) ORDER BY channel", part
        ):
            deliveries.setdefault(row["alert_id"], []).append(row)
    for row in rows:
        row["deliveries"] = deliveries.get(row["id"], [])
        try:
            row["why"] = (json.loads(row["details"] or "{}") or {}).get("why")
        except ValueError:
            row["why"] = None
    return rows, rows[-1]["id"] if more and rows else None


def restore_labels(
    db: sqlite_utils.Database,
    mention_id: str,
    user: str,
    *,
    sentiment: str | None,
    stage: str | None,
) -> None:
    """Put a mention's human labels back to exactly these values (None: no human label),
    as an undo does; the change is kept in the history like any other."""
    now = utc_now()
    with write_transaction(db):
        row = db.execute(
            "SELECT sentiment, stage FROM human_labels WHERE mention_id = ?", [mention_id]
        ).fetchone()
        before = {"sentiment": row[0], "stage": row[1]} if row else {}
        if sentiment is None and stage is None:
            db.execute("DELETE FROM human_labels WHERE mention_id = ?", [mention_id])
        elif row:
            db.execute(
                "UPDATE human_labels SET sentiment = ?, stage = ?, labeled_by = ?, "
                "labeled_at = ? WHERE mention_id = ?",
                [sentiment, stage, user, now, mention_id],
            )
        else:
            current = _effective_now(db, mention_id)
            db.execute(
                "INSERT INTO human_labels (mention_id, sentiment, stage, labeled_by, "
                "labeled_at, model_id, model_sentiment, model_stage) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    mention_id,
                    sentiment,
                    stage,
                    user,
                    now,
                    current.get("model_id"),
                    current.get("model_sentiment"),
                    current.get("model_stage"),
                ],
            )
        after = {"sentiment": sentiment, "stage": stage}
        _record(
            db,
            [
                (mention_id, user, now, f"{task} (undo)", before.get(task), after[task])
                for task in ("sentiment", "stage")
                if before.get(task) != after[task]
            ],
        )
