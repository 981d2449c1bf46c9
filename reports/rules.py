"""The four alert rules. Each reads the database and returns the alerts it would raise.

A rule returns every alert that currently holds, with a ``cause`` that names the
underlying fact (the mention, the window, the failing streak); storage keeps one alert
per cause, so evaluating the same state twice raises nothing new.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlite_utils

from storage import signals
from storage.alerting import NewAlert
from storage.db import to_db_time

if TYPE_CHECKING:  # settings arrive from umot; reports must not import it at run time
    from umot.config import Config, RuleConfig


@dataclass(frozen=True)
class RuleContext:
    db: sqlite_utils.Database
    config: Config
    model_id: str | None  # the classifier whose labels the rules read
    now: datetime

    @property
    def rules(self) -> Any:
        return self.config.alerts.rules

    def is_own(self, handle: str | None) -> bool:
        """The brands' own care accounts: their replies are not customers' experiences."""
        return bool(handle) and handle.lower().lstrip("@") in self.config.own_handles


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _confidence(scores: str | None, label: str | None) -> float | None:
    if not scores or not label:
        return None
    return json.loads(scores).get(label)


def mention_details(row: dict[str, Any], why: str) -> dict[str, Any]:
    """What every channel shows about a mention (text is escaped by each channel)."""
    return {
        "why": why,
        "text": row["text"],
        "author": row.get("author_handle") or row.get("author_name"),
        "followers": row.get("author_followers"),
        "engagement": row.get("engagement"),
        "url": row.get("url"),
        "platform": row.get("platform"),
        "created_at": row.get("created_at"),
        "sentiment": row.get("sentiment"),
        "sentiment_confidence": _confidence(row.get("sentiment_scores"), row.get("sentiment")),
        "stage": row.get("stage"),
        "stage_confidence": _confidence(row.get("stage_scores"), row.get("stage")),
    }


def _settings(rule: RuleConfig, brand: str | None) -> Any | None:
    settings = rule.for_brand(brand)
    return settings if settings.enabled else None


def negative_reach(ctx: RuleContext) -> list[NewAlert]:
    rule = ctx.rules.negative_reach
    longest = max(
        [rule.lookback_hours, *(b.get("lookback_hours", 0) for b in rule.brands.values())]
    )
    if ctx.model_id is None:
        return []
    alerts = []
    rows = signals.negative_posts(
        ctx.db, ctx.model_id, ctx.config.journey.umot_stages, ctx.now - timedelta(hours=longest)
    )
    for row in rows:
        settings = _settings(rule, row["brand"])
        if ctx.is_own(row["author_handle"]):
            continue
        if settings is None or row["created_at"] < to_db_time(
            ctx.now - timedelta(hours=settings.lookback_hours)
        ):
            continue
        followers, engagement = row["author_followers"] or 0, row["engagement"] or 0
        reasons = []
        if followers >= settings.min_followers:
            reasons.append(f"{followers:,} followers (threshold {settings.min_followers:,})")
        if engagement >= settings.min_engagement:
            reasons.append(f"{engagement:,} engagement (threshold {settings.min_engagement:,})")
        if not reasons:
            continue
        who = f"@{row['author_handle']}" if row["author_handle"] else "someone"
        alerts.append(
            NewAlert(
                rule="negative_reach",
                cause=row["id"],
                brand=row["brand"],
                mention_id=row["id"],
                severity="warning",
                message=f"Negative {row['stage']} post about {row['brand']} by {who} with reach",
                details=mention_details(
                    row, f"negative {row['stage']} post with " + " and ".join(reasons)
                ),
            )
        )
    return alerts


def negative_umot_exposure(ctx: RuleContext) -> list[NewAlert]:
    rule = ctx.rules.negative_umot_exposure
    if ctx.model_id is None:
        return []
    journey = ctx.config.journey
    alerts = []
    since = ctx.now - timedelta(hours=rule.lookback_hours)
    for row in signals.negative_posts(ctx.db, ctx.model_id, journey.umot_stages, since):
        settings = _settings(rule, row["brand"])
        if settings is None or ctx.is_own(row["author_handle"]):
            continue
        prospects = [
            p
            for p in signals.responders(ctx.db, ctx.model_id, row["id"], journey.prospect_stages)
            if not ctx.is_own(p["author_handle"])
        ]
        authors = {p["author_id"] or p["id"] for p in prospects}
        if len(authors) < settings.min_prospects:
            continue
        details = mention_details(
            row,
            f"{_plural(len(authors), 'person', 'people')} in "
            f"{'/'.join(journey.prospect_stages)} replied to, quoted or reposted this "
            f"negative {row['stage']} post",
        )
        details["prospects"] = [
            {"author": p["author_handle"], "stage": p["stage"], "text": p["text"][:280]}
            for p in prospects[:5]
        ]
        alerts.append(
            NewAlert(
                rule="negative_umot_exposure",
                cause=row["id"],
                brand=row["brand"],
                mention_id=row["id"],
                severity="critical" if len(authors) >= 3 else "warning",
                message=(
                    f"{_plural(len(authors), 'prospect', 'prospects')} saw a negative "
                    f"{row['stage']} post about {row['brand']}"
                ),
                details=details,
            )
        )
    return alerts


def robust_z(value: float, baseline: Sequence[float], floor: float) -> tuple[float, float]:
    """(z, median): distance from the baseline median in scaled MADs, never below ``floor``."""
    median = statistics.median(baseline)
    mad = statistics.median(abs(x - median) for x in baseline)
    scale = max(1.4826 * mad, floor)
    return (value - median) / scale, median


def spike(ctx: RuleContext) -> list[NewAlert]:
    rule = ctx.rules.spike
    alerts = []
    for brand in ctx.config.brands:
        settings = _settings(rule, brand.name)
        if settings is None:
            continue
        alerts += _brand_spikes(ctx, brand.name, settings)
    return alerts


def _brand_spikes(ctx: RuleContext, brand: str, settings: Any) -> list[NewAlert]:
    width = settings.window_hours * 3600
    end_ts = math.floor(ctx.now.timestamp() / width) * width  # the last complete window
    windows = settings.baseline_windows + 1
    start = datetime.fromtimestamp(end_ts - width * windows, UTC)
    end = datetime.fromtimestamp(end_ts, UTC)
    counts = {
        row["window"]: row
        for row in signals.window_counts(ctx.db, ctx.model_id, start, end, width)
        if row["brand"] == brand
    }
    series = [
        counts.get(index, {"mentions": 0, "negative": 0, "classified": 0})
        for index in range(windows)
    ]
    current, baseline = series[-1], series[:-1]
    window_start = datetime.fromtimestamp(end_ts - width, UTC)
    label = f"the {settings.window_hours} h to {end:%Y-%m-%d %H:%M} UTC"
    alerts = []

    volumes = [float(w["mentions"]) for w in baseline]
    z, median = robust_z(
        current["mentions"], volumes, max(math.sqrt(statistics.median(volumes)), 1.0)
    )
    if current["mentions"] >= settings.min_mentions and z >= settings.min_z:
        alerts.append(
            NewAlert(
                rule="spike",
                cause=f"{brand}:volume:{to_db_time(window_start)}",
                brand=brand,
                message=f"{brand}: {current['mentions']} mentions in {label}, usually {median:g}",
                details={
                    "why": f"volume z = {z:.1f} against the median of the previous "
                    f"{len(baseline)} windows (threshold {settings.min_z:g})",
                    "window_start": to_db_time(window_start),
                    "window_end": to_db_time(end),
                    "mentions": current["mentions"],
                    "baseline_median": median,
                    "z": round(z, 2),
                },
            )
        )
    shares = [w["negative"] / w["classified"] for w in baseline if w["classified"]]
    negative = current["negative"] or 0
    if current["classified"] and len(shares) >= 4:
        share = negative / current["classified"]
        z, median = robust_z(share, shares, 0.05)
        if negative >= settings.min_negative and z >= settings.min_z:
            alerts.append(
                NewAlert(
                    rule="spike",
                    cause=f"{brand}:negative_share:{to_db_time(window_start)}",
                    brand=brand,
                    severity="critical",
                    message=(
                        f"{brand}: {share:.0%} negative in {label} ({negative} mentions), "
                        f"usually {median:.0%}"
                    ),
                    details={
                        "why": f"negative-share z = {z:.1f} against the median of the previous "
                        f"{len(shares)} windows (threshold {settings.min_z:g})",
                        "window_start": to_db_time(window_start),
                        "window_end": to_db_time(end),
                        "negative": negative,
                        "share": round(share, 4),
                        "baseline_median": round(median, 4),
                        "z": round(z, 2),
                    },
                )
            )
    return alerts


def source_health(ctx: RuleContext) -> list[NewAlert]:
    rule = ctx.rules.source_health
    if not rule.enabled:
        return []
    alerts = []
    silent_since = to_db_time(ctx.now - timedelta(hours=rule.silent_hours))
    for name in ctx.config.enabled_sources():
        streak = signals.failing_streak(ctx.db, name)
        if streak["failures"] >= rule.max_failed_runs:
            alerts.append(
                NewAlert(
                    rule="source_health",
                    cause=f"{name}:failing:{streak['first_run_id']}",
                    brand=None,
                    severity="critical",
                    message=f"Source {name!r} failed its last {streak['failures']} runs",
                    details={
                        "why": f"{streak['failures']} failed runs in a row "
                        f"(threshold {rule.max_failed_runs})",
                        "source": name,
                        "last_error": streak["last_error"],
                        "last_run": streak["last_at"],
                    },
                )
            )
            continue
        productive = signals.last_productive_run(ctx.db, name)
        started = signals.first_run(ctx.db, name)
        if started is None or started > silent_since:
            continue  # too new to call silent
        if productive is None or productive < silent_since:
            alerts.append(
                NewAlert(
                    rule="source_health",
                    cause=f"{name}:silent:{productive or 'never'}",
                    brand=None,
                    message=f"Source {name!r} found nothing for over {rule.silent_hours} h",
                    details={
                        "why": f"no run fetched anything since {productive or 'it was added'}",
                        "source": name,
                        "last_productive_run": productive,
                    },
                )
            )
    return alerts


RULES: dict[str, Callable[[RuleContext], list[NewAlert]]] = {
    "negative_reach": negative_reach,
    "negative_umot_exposure": negative_umot_exposure,
    "spike": spike,
    "source_health": source_health,
}
