"""How umot holds up at 100k and 1M mentions: ingest, size, weekly report, influence, memory.

    python benchmarks/scale.py [--sizes 100000,1000000]

For each size it builds a fresh database of synthetic mentions spread over 26 weeks up to
now (three brands, three platforms, one in three a reply to a recent mention, so threads
and UMOT influence exist), stores a classification for each, and then times:

- ingest through the real upsert path (``run_collector``: brand matching, batches of
  2,000, upserts, full-text index), fed with already validated mentions; validation
  (pydantic) is timed on its own, since collectors do it before the pipeline;
- the weekly report of the last full week (HTML and Markdown, previous week included);
- the influence analysis of that week on its own;

and prints one table, with the database size on disk and the process's peak memory.
Records are made and stored in chunks, so memory stays flat as the size grows.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collectors.base import Cursors, Item
from reports.influence import influence
from reports.weekly import parse_week
from storage import Mention, open_database
from storage.writes import ClassificationRow, store_classifications
from umot.brands import BrandMatcher
from umot.config import Config
from umot.pipeline import run_collector
from umot.reporting import journey_of, write_report

CHUNK = 50_000
WEEKS = 26
BRANDS = ("Velora", "Polderstroom", "Smaakdoos")
PLATFORMS = ("x", "reddit", "mastodon")
STAGES = ("awareness", "consideration", "purchase", "experience", "advocacy", "none")
SENTIMENTS = ("negative", "neutral", "positive")
PHRASES = [
    f"{brand} {text}"
    for brand in BRANDS
    for text in (
        "levering was weer te laat, nooit meer",
        "ik twijfel nog, heeft iemand ervaring?",
        "net besteld, benieuwd!",
        "super tevreden na een maand",
        "klantenservice reageert niet op mijn klacht",
        "aanrader voor iedereen",
        "prijs verhoogd zonder uitleg",
        "hoe zit het met de garantie?",
    )
]


def records(size: int, start: int, stop: int, end: datetime) -> Iterator[dict]:
    """Cheap deterministic records: integer arithmetic instead of a random generator."""
    span = WEEKS * 7 * 86_400
    for i in range(start, stop):
        age = span - (i * span) // size  # older first, the newest at `end`
        parent = i - 1 - (i * 7919) % 500 if i % 3 == 0 and i > 500 else None
        yield {
            "platform": PLATFORMS[i % 3],
            "native_id": str(10**12 + i),
            "text": PHRASES[(i * 31) % len(PHRASES)] + f" #{i % 97}",
            "created_at": end - timedelta(seconds=age),
            "author_id": str((i * 2654435761) % max(10, size // 5)),
            "author_followers": (i * 37) % 20_000,
            "likes": i % 120,
            "parent_id": str(10**12 + parent) if parent is not None else None,
        }


class ListCollector:
    name = "scale"

    def __init__(self, mentions: list[Mention]) -> None:
        self.mentions = mentions

    def collect(self, cursors: Cursors) -> Iterator[Item]:
        yield from self.mentions


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(path: Path, size: int, config: Config, cache_mb: int) -> dict[str, float]:
    db = open_database(path)
    db.execute(f"PRAGMA cache_size = {-1024 * cache_mb:d}")
    matcher = BrandMatcher(config.brands)
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    timings = {"validate": 0.0, "ingest": 0.0, "labels": 0.0}
    for start in range(0, size, CHUNK):
        began = time.perf_counter()
        chunk = [
            Mention.model_validate(r) for r in records(size, start, min(size, start + CHUNK), end)
        ]
        timings["validate"] += time.perf_counter() - began
        began = time.perf_counter()
        run_collector(db, ListCollector(chunk), matcher=matcher)
        timings["ingest"] += time.perf_counter() - began
        began = time.perf_counter()
        rows = [
            ClassificationRow(m.key, "nl", SENTIMENTS[(i * 7) % 3], {}, STAGES[(i * 11) % 6], {})
            for i, m in enumerate(chunk, start)
        ]
        store_classifications(db, "scale-model", rows)
        timings["labels"] += time.perf_counter() - began
    db.close()
    return timings


def measure(size: int, folder: Path, cache_mb: int) -> dict[str, float]:
    config = Config.model_validate({"report": {"out_dir": str(folder / f"reports-{size}")}})
    path = folder / f"scale-{size}.db"
    result = build(path, size, config, cache_mb)
    db = open_database(path)
    week = parse_week(None, config.report.timezone)
    began = time.perf_counter()
    written = write_report(db, config, week=week)
    result["report"] = time.perf_counter() - began
    began = time.perf_counter()
    posts, _ = influence(db, "scale-model", journey_of(config), week.start, week.end)
    result["influence"] = time.perf_counter() - began
    result["umot_posts"] = len(posts)
    result["week_mentions"] = written.report.counts.mentions
    db.close()
    result["size_mb"] = sum(p.stat().st_size for p in folder.glob(path.name + "*")) / 1e6
    result["peak_mb"] = peak_mb()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated sizes")
    parser.add_argument(
        "--cache-mb", type=int, default=64, help="SQLite page cache while ingesting"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    table = Table(title=f"umot at scale (2 CPU cores, {args.cache_mb} MB page cache)")
    columns = (
        "mentions",
        "ingest/s",
        "validate/s",
        "db MB",
        "week",
        "UMOT posts",
        "report s",
        "influence s",
        "peak MB",
    )
    for column in columns:
        table.add_column(column, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            r = measure(size, Path(tmp), args.cache_mb)
            table.add_row(
                f"{size:,}",
                f"{size / r['ingest']:,.0f}",
                f"{size / r['validate']:,.0f}",
                f"{r['size_mb']:,.0f}",
                f"{r['week_mentions']:,.0f}",
                f"{r['umot_posts']:,.0f}",
                f"{r['report']:.2f}",
                f"{r['influence']:.2f}",
                f"{r['peak_mb']:,.0f}",
            )
            Console().print(table)


if __name__ == "__main__":
    main()
