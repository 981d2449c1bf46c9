"""What each source costs and needs, and what it has used: for `umot sources`.

The platforms changed their terms in 2025: X bills each post read, Reddit approves new
API apps by hand. A team should see that before it configures a source, and see the
spend while it runs; usage comes from the counters the collectors keep in ``cursors``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from collectors.x import Reads
from collectors.youtube import quota_used_today

ACCESS = {
    "demo": "free: a built-in demo stream, offline",
    "x": "paid: pay-per-use credits (about $0.005 per post read) or a monthly plan",
    "reddit": (
        "free for approved apps: since Nov 2025 new apps need Reddit's approval "
        "(Responsible Builder Policy; see the README)"
    ),
    "mastodon": "free: public hashtag timelines; a token adds full-text search",
    "rss": "free: any RSS or Atom feed",
    "bluesky": "free, no login: every post, live, from a public Jetstream",
    "youtube": "free with an API key: 10,000 quota units and 100 searches a day",
    "hackernews": "free, no key: the Algolia HN Search API",
}


def usage(
    kind: str,
    settings: object,
    load_cursor: Callable[[str], str | None],
    now: datetime | None = None,
) -> str:
    """This source's spend so far, where it has one."""
    now = now or datetime.now(UTC)
    if kind == "x":
        reads = Reads.load(load_cursor, now)
        price = float(getattr(settings, "price_per_post", 0.0))
        cap = int(getattr(settings, "max_posts_per_day", 0))
        line = (
            f"{reads.today:,} posts read today, {reads.this_month:,} this month "
            f"(≈ ${reads.this_month * price:,.2f} at ${price:g} a post)"
        )
        return line + (f"; stops at {cap:,} a day" if cap else "; no daily cap")
    if kind == "youtube":
        budget = int(getattr(settings, "daily_quota_units", 10_000))
        return f"{quota_used_today(load_cursor, now):,} of {budget:,} quota units used today (PT)"
    return ""
