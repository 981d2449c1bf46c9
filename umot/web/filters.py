"""Jinja filters for the workspace's templates: times, counts, confidences, labels."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from jinja2 import Environment

from storage.db import from_db_time


def ago(value: str | None, now: datetime | None = None) -> str:
    """'5 min ago', '3 h ago', '12 Oct' — how inboxes show time."""
    if not value:
        return ""
    moment = from_db_time(value)
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)} d ago"
    return moment.strftime("%-d %b %Y")


def when(value: str | None) -> str:
    """'27 Oct 2026, 02:33 UTC': a full time, for the page of one mention."""
    return from_db_time(value).strftime("%-d %b %Y, %H:%M UTC") if value else ""


def compact(value: int | float | None) -> str:
    """1234 → '1.2k', 2500000 → '2.5M'."""
    if value is None:
        return "–"
    number = float(value)
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(number) >= limit:
            return f"{number / limit:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{int(number):,}"


def confidence(scores: str | None, label: str | None) -> str:
    """The model's probability for the label shown, as a percentage ('' if unknown)."""
    if not scores or not label:
        return ""
    try:
        value = json.loads(scores).get(label)
    except (ValueError, AttributeError):
        return ""
    return "" if value is None else f"{float(value):.0%}"


def shorten(text: str | None, limit: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def tag_list(value: str | None) -> list[str]:
    return sorted(t for t in (value or "").split(",") if t)


def web_url(value: str | None) -> str:
    """A link to the original post only when it is http(s): never ``javascript:``."""
    text = (value or "").strip()
    return text if text.lower().startswith(("https://", "http://")) else ""


def install(environment: Environment) -> None:
    environment.filters.update(
        ago=ago,
        when=when,
        compact=compact,
        confidence=confidence,
        shorten=shorten,
        tags=tag_list,
        web_url=web_url,
    )
    environment.globals["label_name"] = lambda value: (value or "").replace("_", " ")
