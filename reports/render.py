"""Writing a weekly report as self-contained HTML (inline SVG charts) and Markdown.

HTML goes through Jinja2 with autoescaping, so every user-written string is escaped;
Markdown gets its own escaping (``md``), since Markdown renderers pass HTML through.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from reports import charts
from reports.weekly import SENTIMENTS, WeeklyReport
from storage.db import from_db_time

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&])")


def md_escape(text: Any) -> str:
    """Plain text inside Markdown: one line, every markup character escaped."""
    flat = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", flat)


def md_url(url: str) -> str:
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fmt(value: float | None, kind: str) -> str:
    if value is None:
        return "–"
    return f"{value:.1%}" if kind == "share" else f"{value:,.0f}"


def _hours(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 60:.0f} min" if value < 1 else f"{value:.1f} h"


def _environment(markdown: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(["html.j2"]),
        undefined=StrictUndefined,
        trim_blocks=not markdown,  # in Markdown, line ends are the table and list syntax
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        md=md_escape,
        mdurl=md_url,
        short=short,
        fmt=fmt,
        num=lambda value: "–" if value is None else f"{value:,}",
        pct=lambda value: "–" if value is None else f"{value:.0%}",
        hours=_hours,
    )
    return env


def render(report: WeeklyReport, fmt_name: str) -> str:
    env = _environment(markdown=fmt_name == "md")
    zone = ZoneInfo(report.week.timezone)
    env.filters["when"] = lambda stamp: (
        from_db_time(stamp).astimezone(zone).strftime("%a %d %b %H:%M")
    )
    scope = report.brand or "all brands"
    context: dict[str, Any] = {"r": report, "scope": scope, "sentiments": SENTIMENTS}
    if fmt_name == "html":
        context["charts"] = (
            {
                "daily": charts.daily_sentiment(report.counts.daily),
                "funnel": charts.stage_funnel(report.stages, report.counts.stages),
            }
            if not report.empty
            else {}
        )
        context["max_move"] = max(report.transitions.values(), default=1)
    return env.get_template(f"weekly.{fmt_name}.j2").render(**context)


def write(report: WeeklyReport, fmt_name: str, path: Path) -> Path:
    """Write atomically: a crash mid-write never leaves a half report under the real name."""
    text = render(report, fmt_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):  # from a killed earlier write
        leftover.unlink(missing_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a report is meant to be shared
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def default_name(report: WeeklyReport, fmt_name: str) -> str:
    brand = (
        f"-{re.sub(r'[^A-Za-z0-9_-]+', '-', report.brand).strip('-').lower()}"
        if report.brand
        else ""
    )
    return f"umot-report-{report.week.label}{brand}.{fmt_name}"
