"""The ceiling of one machine: how many mentions a day `umot run` keeps up with.

    python benchmarks/ceiling.py [--rates 1000000,4000000] [--backends int8,torch]

For each backend and daily rate, a fresh database goes through the real ``umot run``
cycle (``Runner.cycle``: collect → classify → weekly report when due → alerts) with a
synthetic source that delivers one cycle's share of the day (rate × every_minutes /
1440 mentions, distinct demo-like texts, a third of them replies). A warm-up cycle
fills the database and loads the model; the second cycle is timed step by step. The
rate is kept up with when a cycle takes no longer than the schedule's interval (15 min).

The ceiling is then estimated from the measured cost per mention of the timed cycle
(the steps grow linearly with the mentions they handle): interval ÷ seconds per mention.
Prints one table per backend.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from classify import demo_texts  # noqa: E402
from scale import ListCollector  # noqa: E402

from storage import Mention, open_database  # noqa: E402
from umot.brands import BrandMatcher  # noqa: E402
from umot.config import Config  # noqa: E402
from umot.pipeline import CollectReport, run_collector  # noqa: E402
from umot.runner import CycleReport, Runner  # noqa: E402

STEPS = ("collect", "classify", "report", "alerts")


def cycle_mentions(texts: list[str], count: int, offset: int, now: datetime) -> list[Mention]:
    """``count`` distinct mentions of the last 15 minutes; one in three replies."""
    found = []
    for i in range(offset, offset + count):
        parent = offset + (i * 7919) % max(1, i - offset) if i % 3 == 0 and i > offset else None
        found.append(
            Mention(
                platform="x",
                native_id=str(10**12 + i),
                text=f"{texts[i % len(texts)]} ({i})",
                created_at=now - timedelta(seconds=(offset + count - i) % 900),
                author_id=str((i * 2654435761) % 50_000),
                author_followers=(i * 37) % 20_000,
                likes=i % 40,
                parent_id=str(10**12 + parent) if parent is not None else None,
                brand="Velora",
            )
        )
    return found


class TimedRunner(Runner):
    """``Runner`` whose collect step is the synthetic source, with each step timed."""

    def __init__(self, *args: object, source: list[Mention], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.source = source
        self.seconds: dict[str, float] = {}

    def _step(self, report: CycleReport, name: str, work) -> None:  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        super()._step(report, name, work)
        self.seconds[name] = time.perf_counter() - began

    def _collect(self, report: CycleReport) -> None:
        matcher = BrandMatcher(self.config.brands)
        result: CollectReport = run_collector(self.db, ListCollector(self.source), matcher=matcher)
        report.collected = [result]


def measure(backend: str, rate: int, texts: list[str], folder: Path) -> dict[str, float]:
    config = Config.model_validate(
        {
            "database": {"path": str(folder / f"{backend}-{rate}.db")},
            "model": {"backend": backend, "device": "cpu"},
            "report": {"out_dir": str(folder / "reports")},
            "schedule": {"classify_per_cycle": 10_000_000},
        }
    )
    per_cycle = rate * config.schedule.every_minutes // 1440
    db = open_database(config.database_path)
    now = datetime.now(UTC).replace(microsecond=0)
    runner = TimedRunner(
        db, config, source=cycle_mentions(texts, per_cycle, 0, now), console_print=lambda _: None
    )
    runner.cycle()  # warm-up: the model loads, the database fills
    runner.source = cycle_mentions(texts, per_cycle, per_cycle, now)
    runner.seconds = {}
    began = time.perf_counter()
    report = runner.cycle()
    total = time.perf_counter() - began
    db.close()
    if report.errors:
        raise SystemExit(f"{backend} at {rate:,}/day: {report.errors}")
    return {"per_cycle": per_cycle, "total": total, **runner.seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="1000000,4000000")
    parser.add_argument("--backends", default="int8,torch")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    texts, _ = demo_texts(5_000)
    interval = Config().schedule.every_minutes * 60
    console = Console(width=160)
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            table = Table(
                title=f"umot run, backend {backend}, 2 CPU cores, {interval // 60} min cycles"
            )
            for column in (
                "mentions/day",
                "per cycle",
                *(f"{s} s" for s in STEPS),
                "cycle s",
                "kept up",
                "ceiling/day (est.)",
            ):
                table.add_column(column, justify="right")
            for rate in rates:
                got = measure(backend, rate, texts, Path(tmp))
                per_mention = got["total"] / got["per_cycle"]
                table.add_row(
                    f"{rate:,}",
                    f"{got['per_cycle']:,}",
                    *(f"{got.get(step, 0.0):.1f}" for step in STEPS),
                    f"{got['total']:.1f}",
                    "yes" if got["total"] <= interval else "no",
                    f"{interval / per_mention * 1440 / (interval / 60):,.0f}",
                )
            console.print(table)


if __name__ == "__main__":
    main()
