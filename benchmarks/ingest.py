"""Ingest speed through the real path: validation, brand matching, batched upserts.

    python benchmarks/ingest.py [--mentions 100000]

Prints one table: new mentions, the same mentions again (engagement refresh), and the
demo generator, with rates and the database size.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from collectors.base import Cursors, Item
from collectors.demo import DemoCollector
from storage import mention_or_reject, open_database
from umot.brands import BrandMatcher
from umot.config import Config
from umot.pipeline import run_collector

WORDS = [
    "velora",
    "accu",
    "fiets",
    "levering",
    "klantenservice",
    "prima",
    "slecht",
    "snel",
    "nooit",
    "weer",
    "top",
]


class SyntheticCollector:
    name = "synthetic"

    def __init__(self, count: int, likes_offset: int = 0) -> None:
        self.count = count
        self.likes_offset = likes_offset

    def collect(self, cursors: Cursors) -> Iterator[Item]:
        rng = random.Random(1)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for i in range(self.count):
            yield mention_or_reject(
                {
                    "platform": "x",
                    "native_id": str(10**15 + i),
                    "text": " ".join(rng.choices(WORDS, k=rng.randrange(5, 30))),
                    "created_at": start + timedelta(seconds=i * 7),
                    "author_id": str(rng.randrange(count_authors(self.count))),
                    "author_handle": None,
                    "author_followers": rng.randrange(10_000),
                    "likes": rng.randrange(100) + self.likes_offset,
                    "parent_id": str(10**15 + rng.randrange(i))
                    if i and rng.random() < 0.3
                    else None,
                }
            )


def reply_to(rng: random.Random, index: int) -> str | None:
    """About a third of the posts reply to an earlier one."""
    return str(10**15 + rng.randrange(index)) if index and rng.random() < 0.3 else None


def count_authors(mentions: int) -> int:
    return max(10, mentions // 5)


def timed(label: str, db_path: Path, collector, matcher: BrandMatcher, table: Table) -> None:
    db = open_database(db_path)
    started = time.perf_counter()
    report = run_collector(db, collector, matcher=matcher)
    seconds = time.perf_counter() - started
    db.close()
    size_mb = sum(p.stat().st_size for p in db_path.parent.glob(db_path.name + "*")) / 1e6
    table.add_row(
        label,
        f"{report.fetched:,}",
        f"{report.inserted:,}",
        f"{report.updated:,}",
        f"{seconds:.2f}",
        f"{report.fetched / seconds:,.0f}",
        f"{size_mb:.1f}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=100_000)
    args = parser.parse_args()
    matcher = BrandMatcher(Config().brands)
    table = Table(title=f"umot ingest, {args.mentions:,} synthetic mentions")
    for column in ("phase", "fetched", "new", "updated", "seconds", "mentions/s", "db MB"):
        table.add_column(column, justify="left" if column == "phase" else "right")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        timed("new mentions", path, SyntheticCollector(args.mentions), matcher, table)
        timed("same again (refresh)", path, SyntheticCollector(args.mentions, 5), matcher, table)
        timed("demo source, 6 weeks", Path(folder) / "demo.db", DemoCollector(), matcher, table)
    Console().print(table)


if __name__ == "__main__":
    main()
