"""One alerting pass: evaluate the rules, store new alerts, release them, deliver them.

Delivery goes channel by channel. More alerts at once than ``digest_threshold`` go out
as one digest per channel instead of a flood; a channel that fails keeps its alerts for
the next cycle (up to ``max_delivery_attempts``) while the other channels deliver.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlite_utils

from reports.channels import ChannelError, build_sender
from reports.rules import RULES, RuleContext
from storage import queries
from storage.alerting import NewAlert, insert_alerts, record_delivery, release_alerts, undelivered
from storage.db import utc_now

if TYPE_CHECKING:
    from umot.config import Config

log = logging.getLogger("umot.alerts")
STALE_AFTER = timedelta(days=7)  # undelivered alerts older than this are not sent any more


@dataclass
class AlertReport:
    raised: int = 0  # alerts the rules see now (old causes included)
    new: int = 0
    released: int = 0
    delivered: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # channel -> last error
    rule_errors: dict[str, str] = field(default_factory=dict)


def evaluate(
    db: sqlite_utils.Database, config: Config, now: datetime, report: AlertReport
) -> list[NewAlert]:
    context = RuleContext(db, config, queries.latest_model_id(db), now)
    found: list[NewAlert] = []
    for name, rule in RULES.items():
        try:
            found += rule(context)
        except Exception as error:  # one broken rule must not silence the others
            log.exception("alert rule %s failed", name)
            report.rule_errors[name] = f"{type(error).__name__}: {error}"
    return found


def run_alerts(
    db: sqlite_utils.Database,
    config: Config,
    *,
    now: datetime | None = None,
    environ: Mapping[str, str] | None = None,
    console_print: Callable[[str], None] = print,
    critical: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> AlertReport:
    """``critical`` guards each send-and-record, so a shutdown signal cannot split them."""
    now = now or datetime.now(UTC)
    environ = os.environ if environ is None else environ
    settings = config.alerts
    report = AlertReport()
    if not settings.enabled:
        return report
    found = evaluate(db, config, now, report)
    report.raised = len(found)
    report.new = insert_alerts(db, found, now)
    report.released = release_alerts(db, now, timedelta(minutes=settings.cooldown_minutes))
    for name, channel in settings.channels.items():
        if not channel.enabled:
            continue
        pending = undelivered(
            db, name, max_attempts=settings.max_delivery_attempts, since=now - STALE_AFTER
        )
        if not pending:
            continue
        send = build_sender(name, channel, environ, console_print)
        reports = [[a] for a in pending if a["rule"] == "weekly_report"]  # never in a digest
        others = [a for a in pending if a["rule"] != "weekly_report"]
        batches = [others] if len(others) > settings.digest_threshold else [[a] for a in others]
        batches = reports + batches
        for batch in batches:
            ids = [alert["id"] for alert in batch]
            with critical():
                try:
                    send(batch)
                except ChannelError as error:
                    record_delivery(db, ids, name, now, error=str(error))
                    report.failed[name] = str(error)
                    log.warning("alert channel %s failed: %s (retried next cycle)", name, error)
                    break
                record_delivery(db, ids, name, now)
            report.delivered[name] = report.delivered.get(name, 0) + len(batch)
    return report


def send_test(
    config: Config,
    channel: str,
    *,
    environ: Mapping[str, str] | None = None,
    console_print: Callable[[str], None] = print,
) -> None:
    """Deliver one made-up alert through a channel, to check its settings."""
    settings = config.alerts.channels[channel]
    sample = {
        "id": 0,
        "rule": "test",
        "brand": None,
        "severity": "warning",
        "cause": "test",
        "mention_id": None,
        "message": f"umot test message for channel {channel!r}",
        "created_at": utc_now(),
        "details": {
            "why": "you ran `umot alerts test`",
            "text": "A sample post <b>with markup</b> & an <!channel> ping, shown as text.",
            "author": "umot",
        },
    }
    build_sender(channel, settings, os.environ if environ is None else environ, console_print)(
        [sample]
    )
