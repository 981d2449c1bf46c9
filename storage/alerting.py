"""Alerts in the database: storing once per cause, cool-down release, per-channel delivery.

An alert row is written once per (rule, cause) and never again, which is what makes
"never sent twice" hold across cycles and restarts. Delivery is tracked per channel, so a
channel that fails is retried on later cycles while the others are not sent again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from storage.db import to_db_time
from storage.transaction import write_transaction


@dataclass(frozen=True)
class NewAlert:
    rule: str
    cause: str  # what fired it; with the rule, the dedupe key
    brand: str | None
    message: str  # one line: what happened
    mention_id: str | None = None
    severity: str = "warning"
    details: dict[str, Any] = field(default_factory=dict)


def insert_alerts(db: sqlite_utils.Database, alerts: list[NewAlert], now: datetime) -> int:
    """Store alerts whose cause is new; returns how many were new."""
    before = db.execute("SELECT count(*) FROM alerts").fetchone()[0]
    with write_transaction(db):
        db.conn.executemany(
            "INSERT OR IGNORE INTO alerts (rule, brand, cause, mention_id, message, details, "
            "severity, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    alert.rule,
                    alert.brand,
                    alert.cause,
                    alert.mention_id,
                    alert.message,
                    json.dumps(alert.details, ensure_ascii=False, default=str),
                    alert.severity,
                    to_db_time(now),
                )
                for alert in alerts
            ],
        )
    return db.execute("SELECT count(*) FROM alerts").fetchone()[0] - before


def release_alerts(db: sqlite_utils.Database, now: datetime, cooldown: timedelta) -> int:
    """Clear waiting alerts for delivery, one (rule, brand) group at a time.

    A group is held while another alert of the same rule and brand was released within
    the cool-down; when it ends, everything that waited goes out together (as a digest).
    """
    groups = db.execute(
        "SELECT DISTINCT rule, brand FROM alerts WHERE released_at IS NULL"
    ).fetchall()
    released = 0
    with write_transaction(db):
        for rule, brand in groups:
            last = db.execute(
                "SELECT max(released_at) FROM alerts WHERE rule = ? AND brand IS ? "
                "AND released_at IS NOT NULL",
                [rule, brand],
            ).fetchone()[0]
            if last is not None and last > to_db_time(now - cooldown):
                continue
            cursor = db.execute(
                "UPDATE alerts SET released_at = ? WHERE rule = ? AND brand IS ? "
                "AND released_at IS NULL",
                [to_db_time(now), rule, brand],
            )
            released += cursor.rowcount
    return released


def undelivered(
    db: sqlite_utils.Database, channel: str, *, max_attempts: int, since: datetime
) -> list[dict[str, Any]]:
    """Released alerts this channel has not delivered yet (and has not given up on)."""
    rows = db.query(
        """
        SELECT a.*, coalesce(d.attempts, 0) AS attempts
        FROM alerts a
        LEFT JOIN alert_deliveries d ON d.alert_id = a.id AND d.channel = :channel
        WHERE a.released_at IS NOT NULL AND a.released_at >= :since
          AND d.delivered_at IS NULL AND coalesce(d.attempts, 0) < :max_attempts
        ORDER BY a.id
        """,
        {"channel": channel, "since": to_db_time(since), "max_attempts": max_attempts},
    )
    return [_decoded(row) for row in rows]


def record_delivery(
    db: sqlite_utils.Database,
    alert_ids: list[int],
    channel: str,
    now: datetime,
    error: str | None = None,
) -> None:
    stamp = to_db_time(now)
    with write_transaction(db):
        db.conn.executemany(
            "INSERT INTO alert_deliveries (alert_id, channel, attempts, delivered_at, "
            "last_attempt_at, last_error) VALUES (?, ?, 1, ?, ?, ?) "
            "ON CONFLICT(alert_id, channel) DO UPDATE SET attempts = attempts + 1, "
            "delivered_at = excluded.delivered_at, last_attempt_at = excluded.last_attempt_at, "
            "last_error = excluded.last_error",
            [(alert_id, channel, None if error else stamp, stamp, error) for alert_id in alert_ids],
        )
        if error is None:
            db.conn.executemany(
                "UPDATE alerts SET sent_at = coalesce(sent_at, ?) WHERE id = ?",
                [(stamp, alert_id) for alert_id in alert_ids],
            )


def recent_alerts(db: sqlite_utils.Database, limit: int = 20) -> list[dict[str, Any]]:
    rows = db.query(
        """
        SELECT a.*,
            (SELECT group_concat(channel || '=' || CASE WHEN delivered_at IS NOT NULL
                THEN 'sent' ELSE 'failed ' || attempts || 'x: ' || coalesce(last_error, '') END,
                '; ')
             FROM alert_deliveries d WHERE d.alert_id = a.id) AS deliveries
        FROM alerts a ORDER BY a.id DESC LIMIT ?
        """,
        [limit],
    )
    return [_decoded(row) for row in rows]


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["details"] = json.loads(row["details"]) if row.get("details") else {}
    return row
