"""Running collectors into the database: batches, cursors, rejects and the run log.

This is the scrapy-style pipeline between a collector (which only yields items) and
storage (which only stores them): brand assignment, batching, cursor bookkeeping and
error isolation live here, once, for every source.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlite_utils

from collectors.base import Checkpoint, Collector, Cursors, Tombstone
from collectors.http import BudgetSpent, CollectorError
from storage import (
    Mention,
    Rejected,
    finish_run,
    get_cursor,
    set_cursor,
    start_run,
    store_rejects,
    upsert_mentions,
)
from storage.db import describe_sqlite_error
from storage.transaction import write_transaction
from storage.writes import mark_deleted
from umot.brands import BrandMatcher
from umot.config import Config
from umot.sources import Listen, SourceUnavailable, build_collector

# Per transaction. Big batches write each touched index page once per commit instead of
# once per small batch: 20,000 kept 1M-mention ingest above 20k/s where 2,000 fell to 13k/s.
# A crash costs at most this batch, which the next run collects again.
BATCH_SIZE = 20_000
# A slow source (an API paging at its rate limit) is stored at least this often, so a crash
# never costs more than a few seconds of fetching.
FLUSH_SECONDS = 5.0
Progress = Callable[[int], None]


@dataclass
class CollectReport:
    source: str
    run_id: int
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    error: str | None = None
    note: str | None = None  # a clean stop worth saying (a spent budget); not a failure


class _Batcher:
    def __init__(
        self,
        db: sqlite_utils.Database,
        source: str,
        run_id: int,
        cursors: Cursors,
        report: CollectReport,
    ) -> None:
        self.db, self.source, self.run_id = db, source, run_id
        self.cursors, self.report = cursors, report
        self.mentions: list[Mention] = []
        self.rejects: list[Rejected] = []
        self.deleted: list[str] = []
        self.flushed_at = time.monotonic()

    def __len__(self) -> int:
        return len(self.mentions) + len(self.rejects) + len(self.deleted)

    def due(self, batch_size: int) -> bool:
        return len(self) >= batch_size or time.monotonic() - self.flushed_at > FLUSH_SECONDS

    def flush(self) -> None:
        """Store the batch and the cursor advances made while it filled, in one go."""
        with write_transaction(self.db):
            result = upsert_mentions(self.db, self.mentions, source=self.source)
            store_rejects(self.db, self.rejects, source=self.source, run_id=self.run_id)
            if self.deleted:
                self.report.updated += mark_deleted(self.db, self.deleted)
            for query, value in self.cursors.pending.items():
                set_cursor(self.db, self.source, query, value)
        self.report.inserted += result.inserted
        self.report.updated += result.updated
        self.report.rejected += len(self.rejects)
        self.mentions, self.rejects, self.deleted = [], [], []
        self.cursors.pending.clear()
        self.flushed_at = time.monotonic()


def run_collector(
    db: sqlite_utils.Database,
    collector: Collector,
    *,
    matcher: BrandMatcher,
    step: str = "collect",
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> CollectReport:
    """Collect everything the collector yields; never raises for a failing source.

    A failure (or Ctrl-C) still stores every item yielded before it, and the run log
    records what happened. KeyboardInterrupt is re-raised after that bookkeeping.
    """
    try:
        run_id = start_run(db, step, collector.name)
    except sqlite3.Error as error:  # read-only, full, damaged: nothing can be stored at all
        reason = describe_sqlite_error(error) or f"database error: {error}"
        return CollectReport(collector.name, 0, error=reason)
    report = CollectReport(collector.name, run_id)
    cursors = Cursors(lambda query: get_cursor(db, collector.name, query))
    batch = _Batcher(db, collector.name, run_id, cursors, report)
    try:
        for item in collector.collect(cursors):
            seen = 1
            if isinstance(item, Rejected):
                batch.rejects.append(item)
            elif isinstance(item, Checkpoint):
                seen = item.scanned
            elif isinstance(item, Tombstone):
                batch.deleted.append(item.key)
            else:
                batch.mentions.append(matcher.assign(item))
            report.fetched += seen
            if batch.due(batch_size):
                batch.flush()
            if progress is not None and seen:
                progress(seen)
        batch.flush()
    except KeyboardInterrupt:
        batch.flush()
        report.error = "interrupted"
        _finish(db, report)
        raise
    except BudgetSpent as error:  # stopped on purpose: what was read is stored
        batch.flush()
        report.note = str(error)
    except CollectorError as error:  # a platform problem, already said in one line
        batch.flush()
        report.error = str(error)
    except sqlite3.Error as error:  # the database itself: flushing again would fail too
        report.error = describe_sqlite_error(error) or f"database error: {error}"
        _finish_quietly(db, report)
        return report
    except Exception as error:  # one source failing must not stop the others
        batch.flush()
        report.error = f"{type(error).__name__}: {error}"
    _finish(db, report)
    return report


def _finish_quietly(db: sqlite_utils.Database, report: CollectReport) -> None:
    """Log the run if the database still takes writes; the report carries the error anyway."""
    with contextlib.suppress(sqlite3.Error):
        _finish(db, report)


def _finish(db: sqlite_utils.Database, report: CollectReport) -> None:
    finish_run(
        db,
        report.run_id,
        fetched=report.fetched,
        inserted=report.inserted,
        updated=report.updated,
        rejected=report.rejected,
        error=report.error,
    )


def record_skipped(
    db: sqlite_utils.Database, source: str, reason: str, step: str = "collect"
) -> None:
    """A source that could not even start still leaves a run row, so its health shows."""
    run_id = start_run(db, step, source)
    finish_run(db, run_id, error=reason)


def collect_sources(
    db: sqlite_utils.Database,
    config: Config,
    chosen: Mapping[str, object],
    *,
    add_task: Callable[[str], Progress] | None = None,
    on_skip: Callable[[str], None] | None = None,
    listen: Listen | None = None,
) -> tuple[list[CollectReport], list[str]]:
    """Run each chosen source once; a source that cannot start is logged and skipped."""
    matcher = BrandMatcher(config.brands)
    reports: list[CollectReport] = []
    skipped: list[str] = []
    for name, settings in chosen.items():
        try:
            collector = build_collector(name, settings, config=config, db=db, listen=listen)
        except SourceUnavailable as error:
            record_skipped(db, name, str(error))
            skipped.append(str(error))
            if on_skip is not None:
                on_skip(str(error))
            continue
        progress = add_task(f"collecting {name}") if add_task is not None else None
        reports.append(run_collector(db, collector, matcher=matcher, progress=progress))
    return reports, skipped
