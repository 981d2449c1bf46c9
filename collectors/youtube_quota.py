"""YouTube's daily quota as kept in a source's cursors, apart from the collector.

Google resets the quota at midnight Pacific Time, so spend is counted per Pacific day.
The count lives in the ``quota`` cursor, which reaches the database with every batch, so
``umot sources`` can say what was spent without building a collector.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from collectors.http import BudgetSpent

PACIFIC = ZoneInfo("America/Los_Angeles")
QUOTA_KEY = "quota"


class QuotaSpent(BudgetSpent):
    """The day's unit budget is spent: nothing more can be read until midnight PT."""


@dataclass
class QuotaUse:
    day: str  # the Pacific Time date the count is for
    units: int = 0
    searches: int = 0


def pacific_day(when: datetime) -> str:
    return when.astimezone(PACIFIC).date().isoformat()


def load_quota(load_cursor: Callable[[str], str | None], now: datetime) -> QuotaUse:
    """Today's spend from the cursor; yesterday's count means nothing spent yet today."""
    today = pacific_day(now)
    stored = json_dict(load_cursor(QUOTA_KEY))
    if stored.get("day") != today:
        return QuotaUse(today)
    try:
        return QuotaUse(today, int(stored.get("units") or 0), int(stored.get("searches") or 0))
    except (TypeError, ValueError):
        return QuotaUse(today)


def quota_used_today(load_cursor: Callable[[str], str | None], now: datetime | None = None) -> int:
    """Units a YouTube source spent today (Pacific Time), e.g. for ``umot sources``:
    ``quota_used_today(lambda query: get_cursor(db, source_name, query))``."""
    return load_quota(load_cursor, now or datetime.now(UTC)).units


def json_dict(text: str | None) -> dict[str, Any]:
    """A JSON object cursor; anything else (absent, damaged) reads as empty."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
