"""The weekly report from the application's side: settings in, files out, delivery queued."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlite_utils

from reports.influence import Journey
from reports.render import default_name, write
from reports.weekly import ReportError, Week, WeeklyReport, build_report, parse_week
from storage.alerting import NewAlert, insert_alerts
from umot.config import Config

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def journey_of(config: Config) -> Journey:
    return Journey(
        stages=tuple(config.journey.stages),
        prospect_stages=tuple(config.journey.prospect_stages),
        umot_stages=tuple(config.journey.umot_stages),
        own_handles=config.own_handles,
    )


@dataclass
class Written:
    report: WeeklyReport
    paths: dict[str, Path]


def write_report(
    db: sqlite_utils.Database,
    config: Config,
    *,
    week: str | Week | None = None,
    brand: str | None = None,
    formats: list[str] | None = None,
    out: Path | None = None,
    now: datetime | None = None,
) -> Written:
    """Build one week's report and write it; ``out`` is a file (one format) or a folder."""
    if brand is not None and brand not in {b.name for b in config.brands}:
        known = ", ".join(b.name for b in config.brands)
        raise ReportError(f"no brand named {brand!r}; configured: {known}")
    chosen = week if isinstance(week, Week) else parse_week(week, config.report.timezone, now)
    report = build_report(
        db, journey_of(config), chosen, brand=brand, top_n=config.report.top_n, now=now
    )
    formats = formats or list(config.report.formats)
    folder = out if out is not None and (out.is_dir() or out.suffix == "") else None
    if out is not None and folder is None and len(formats) > 1:
        raise ReportError(f"{out} names one file; pass --format html or md, or a folder")
    folder = folder or (out.parent if out is not None else config.resolve(config.report.out_dir))
    paths = {
        name: (out if out is not None and out.suffix else folder / default_name(report, name))
        for name in formats
    }
    for name, path in paths.items():
        write(report, name, path)
    return Written(report, paths)


def due_week(config: Config, now: datetime) -> Week | None:
    """The week whose report is due now: after the configured weekday and hour, the last one."""
    zone = ZoneInfo(config.report.timezone)
    local = now.astimezone(zone)
    monday = (local - timedelta(days=local.weekday())).date()
    slot = datetime.combine(
        monday + timedelta(days=WEEKDAYS.index(config.schedule.report_weekday)),
        datetime.min.time(),
        zone,
    ) + timedelta(hours=config.schedule.report_hour)
    if local < slot:
        return None
    year, number, _ = (monday - timedelta(days=7)).isocalendar()
    return Week(year, number, config.report.timezone)


def scheduled_report(
    db: sqlite_utils.Database, config: Config, now: datetime | None = None
) -> Path | None:
    """Write the due weekly report once, and queue it for delivery through the alert channels."""
    now = now or datetime.now(UTC)
    week = due_week(config, now)
    if week is None:
        return None
    done = db.execute(
        "SELECT 1 FROM alerts WHERE rule = 'weekly_report' AND cause = ?", [week.label]
    ).fetchone()
    if done:
        return None
    written = write_report(db, config, week=week, now=now)
    report = written.report
    headline = {h.name: h for h in report.headline}
    mentions, negative = headline["Mentions"], headline["Negative share"]
    negative_text = "–" if negative.value is None else f"{negative.value:.0%}"
    summary = (
        f"Weekly report {week.label}: {report.counts.mentions:,} mentions ({mentions.change}), "
        f"{negative_text} negative, {report.influence.prospects:,} prospects exposed to UMOT posts"
    )
    insert_alerts(
        db,
        [
            NewAlert(
                rule="weekly_report",
                cause=week.label,
                brand=None,
                severity="info",
                message=summary,
                details={
                    "why": f"the weekly report for {week.label} is ready",
                    "paths": {name: str(path) for name, path in written.paths.items()},
                    "html_path": str(written.paths["html"]) if "html" in written.paths else None,
                    "week": week.label,
                },
            )
        ],
        now,
    )
    return next(iter(written.paths.values()))
