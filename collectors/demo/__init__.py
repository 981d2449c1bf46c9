"""The bundled demo source: a seeded multilingual stream that needs no credentials."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from collectors.base import Cursors, Item
from collectors.demo.generator import MAX_LAG_DAYS, DemoStream, stream_posts
from collectors.demo.model import DEMO_BRANDS
from collectors.demo.shapes import to_record
from storage import from_db_time, mention_or_reject, to_db_time

__all__ = ["DEMO_BRANDS", "DemoCollector", "DemoStream"]
CURSOR = "stream"


class DemoCollector:
    """Everything the stream has published up to now, newer than the stored cursor.

    The first run fills the last ``weeks`` weeks; later runs add what has appeared since,
    so the scheduled pipeline sees a live-looking stream.
    """

    def __init__(
        self,
        name: str = "demo",
        *,
        seed: int = 7,
        weeks: int = 6,
        mentions_per_day: int = 70,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.name = name
        self.seed = seed
        self.weeks = weeks
        self.stream = DemoStream(seed, mentions_per_day)
        self.clock = clock

    def collect(self, cursors: Cursors) -> Iterator[Item]:
        now = self.clock()
        window_start = now - timedelta(weeks=self.weeks)
        stored = cursors.get(CURSOR)
        after = max(from_db_time(stored), window_start) if stored else window_start
        # Days before `after` can still publish posts after it (late replies, conversions).
        first_day = (after - timedelta(days=MAX_LAG_DAYS)).date()
        for post in stream_posts(self.stream, first_day, now.date()):
            if post.created_at <= after or post.created_at > now:
                continue
            yield mention_or_reject(to_record(post, self.seed))
            cursors.advance(CURSOR, to_db_time(post.created_at))
