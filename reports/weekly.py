"""The weekly summary: the numbers of one ISO week (in the report's time zone), per brand.

Everything is computed from the database in a few passes: one streaming pass over the
week's mentions (trend, funnel, platforms, languages), the influence analysis, the
transitions, and two ranked lists. The previous week is computed the same way for the
week-over-week change. Rendering lives in ``reports.render``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

from reports.influence import InfluenceTotals, Journey, PostInfluence, influence, stage_transitions
from storage import insights, queries
from storage.db import from_db_time

SENTIMENTS = ("negative", "neutral", "positive")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class ReportError(ValueError):
    """The report cannot be made as asked (a bad week, an unknown brand, no model yet)."""


@dataclass(frozen=True)
class Week:
    year: int
    number: int
    timezone: str

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def first_day(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def start(self) -> datetime:
        """Monday 00:00 in the report's time zone, as UTC."""
        local = datetime.combine(self.first_day, datetime.min.time(), ZoneInfo(self.timezone))
        return local.astimezone(UTC)

    @property
    def end(self) -> datetime:
        return self.following.start

    @property
    def following(self) -> Week:
        year, number, _ = (self.first_day + timedelta(days=7)).isocalendar()
        return Week(year, number, self.timezone)

    @property
    def previous(self) -> Week:
        year, number, _ = (self.first_day - timedelta(days=7)).isocalendar()
        return Week(year, number, self.timezone)

    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=offset) for offset in range(7)]


def parse_week(text: str | None, timezone: str, now: datetime | None = None) -> Week:
    """``2026-W47``, or by default the last complete week."""
    if text is None:
        today = (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone)).date()
        year, number, _ = (today - timedelta(days=7)).isocalendar()
        return Week(year, number, timezone)
    match = _WEEK.match(text.strip())
    if not match:
        raise ReportError(f"week {text!r} is not an ISO week such as 2026-W47")
    year, number = int(match[1]), int(match[2])
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError:
        raise ReportError(f"{text} does not exist: {year} has no week {number}") from None
    return Week(year, number, timezone)


@dataclass
class Headline:
    name: str
    value: float | None
    previous: float | None
    kind: str = "count"  # count | share

    @property
    def change(self) -> str:
        if self.value is None or self.previous is None:
            return "–"
        if self.kind == "share":
            points = (self.value - self.previous) * 100
            return f"{points:+.1f} pt"
        if self.previous == 0:
            return "new" if self.value else "±0"
        return f"{(self.value - self.previous) / self.previous:+.0%}"


@dataclass
class WeekCounts:
    mentions: int = 0
    sentiment: Counter[str] = field(default_factory=Counter)
    stages: Counter[str] = field(default_factory=Counter)
    platforms: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    daily: dict[date, Counter[str]] = field(default_factory=dict)

    @property
    def negative_share(self) -> float | None:
        classified = sum(self.sentiment.values())
        return self.sentiment["negative"] / classified if classified else None


@dataclass
class WeeklyReport:
    week: Week
    brand: str | None
    model_id: str | None
    generated_at: datetime
    counts: WeekCounts
    headline: list[Headline]
    stages: list[str]
    transitions: Counter[tuple[str, str]]
    needing_reply: list[dict[str, Any]]
    top_umot: list[PostInfluence]
    influence: InfluenceTotals
    alerts: list[dict[str, Any]]
    top_n: int

    @property
    def empty(self) -> bool:
        return self.counts.mentions == 0


def count_week(
    db: sqlite_utils.Database, model_id: str | None, week: Week, brand: str | None
) -> WeekCounts:
    counts = WeekCounts(daily={day: Counter() for day in week.days()})
    zone = ZoneInfo(week.timezone)
    # streamed: one week, never the whole table
    for row in insights.period_rows(db, model_id, week.start, week.end, brand):
        counts.mentions += 1
        counts.platforms[row["platform"]] += 1
        counts.languages[row["lang"] or "unknown"] += 1
        day = from_db_time(row["created_at"]).astimezone(zone).date()
        sentiment = row["sentiment"] or "unclassified"
        counts.daily.setdefault(day, Counter())[sentiment] += 1
        if row["sentiment"]:
            counts.sentiment[row["sentiment"]] += 1
        if row["stage"]:
            counts.stages[row["stage"]] += 1
    return counts


def needing_reply(
    db: sqlite_utils.Database,
    model_id: str,
    journey: Journey,
    week: Week,
    brand: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Negative experience/advocacy posts of the week that no brand account answered."""
    return insights.unanswered_negative(
        db, model_id, journey.umot_stages, journey.own_handles, week.start, week.end, brand, limit
    )


def week_alerts(db: sqlite_utils.Database, week: Week, brand: str | None) -> list[dict[str, Any]]:
    return insights.alerts_between(db, week.start, week.end, brand)


def build_report(
    db: sqlite_utils.Database,
    journey: Journey,
    week: Week,
    *,
    brand: str | None = None,
    top_n: int = 10,
    now: datetime | None = None,
) -> WeeklyReport:
    model_id = queries.latest_model_id(db)
    counts = count_week(db, model_id, week, brand)
    before = count_week(db, model_id, week.previous, brand)
    empty_totals = InfluenceTotals()
    if model_id is not None:
        posts, totals = influence(db, model_id, journey, week.start, week.end, brand)
        _, previous_totals = influence(  # totals only: no first responses read
            db, model_id, journey, week.previous.start, week.previous.end, brand, thread_size=0
        )
        transitions = stage_transitions(db, model_id, journey, week.start, week.end, brand)
        replies = needing_reply(db, model_id, journey, week, brand, top_n)
    else:
        posts, totals, previous_totals, transitions, replies = [], {}, {}, Counter(), []
    now_totals = totals.get("*", empty_totals)
    then_totals = previous_totals.get("*", empty_totals)
    alerts = week_alerts(db, week, brand)
    headline = [
        Headline("Mentions", counts.mentions, before.mentions),
        Headline("Negative share", counts.negative_share, before.negative_share, "share"),
        Headline(
            "UMOT posts (experience + advocacy)", now_totals.umot_posts, then_totals.umot_posts
        ),
        Headline("Prospects exposed to UMOT posts", now_totals.prospects, then_totals.prospects),
        Headline("Exposed prospects who later bought", now_totals.converted, then_totals.converted),
        Headline("Alerts", len(alerts), len(week_alerts(db, week.previous, brand))),
    ]
    top = sorted(posts, key=lambda p: (p.prospects, p.downstream), reverse=True)[:top_n]
    return WeeklyReport(
        week=week,
        brand=brand,
        model_id=model_id,
        generated_at=now or datetime.now(UTC),
        counts=counts,
        headline=headline,
        stages=[s for s in journey.stages if s != "none"],
        transitions=transitions,
        needing_reply=replies,
        top_umot=[p for p in top if p.downstream],
        influence=now_totals,
        alerts=alerts,
        top_n=top_n,
    )
