"""The always-on side: one cycle (collect → classify → weekly report → alerts), every N min.

Every step reads and writes the database only, so a cycle that fails or is stopped half
way is simply finished by the next one. Three guards keep that true:

- ``RunLock``: one ``umot run`` per database (an advisory lock file next to it).
- ``Shutdown``: SIGINT/SIGTERM stop the cycle at once (the pipeline stores the batch in
  flight and logs the run as interrupted), except inside ``critical()`` sections, such as
  sending an alert and recording it as sent, where the stop waits for the section to end.
- The ``schedule`` loop runs jobs one after another in this process, so a cycle that
  overruns delays the next one instead of overlapping it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import schedule
import sqlite_utils

from nlp.classifier import Classifier
from reports.alerting import AlertReport, run_alerts
from storage import finish_run, open_database, start_run
from umot.brands import BrandMatcher
from umot.classify import build_classifier, classify_database
from umot.config import Config
from umot.pipeline import CollectReport, collect_sources, record_skipped, run_collector
from umot.reporting import scheduled_report
from umot.sources import Listen, SourceUnavailable, build_collector

log = logging.getLogger("umot.run")


class AlreadyRunning(RuntimeError):
    """Another ``umot run`` holds this database."""


class RunLock:
    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self._file: Any = None

    def __enter__(self) -> RunLock:
        self._file = open(self.path, "a+")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.seek(0)
            holder = self._file.read().strip() or "another process"
            self._file.close()
            raise AlreadyRunning(
                f"{holder} is already running umot on {self.path.with_suffix('')}; "
                "stop it first (one `umot run` per database)"
            ) from None
        self._file.seek(0)
        self._file.truncate()
        self._file.write(f"pid {os.getpid()}")
        self._file.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()


class Shutdown:
    """Turns SIGINT/SIGTERM into a KeyboardInterrupt at the next safe point."""

    def __init__(self) -> None:
        self.requested = False
        self._depth = 0
        self._deferred = False

    def install(self) -> None:
        signal.signal(signal.SIGINT, self._handle)
        signal.signal(signal.SIGTERM, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        if self._depth:
            self._deferred = True
            return
        raise KeyboardInterrupt(signal.Signals(signum).name)

    @contextmanager
    def critical(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._deferred and not self._depth:
                self._deferred = False
                raise KeyboardInterrupt("deferred shutdown")


@dataclass
class CycleReport:
    started: datetime
    collected: list[CollectReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    classified: int = 0
    alerts: AlertReport | None = None
    weekly_report: Path | None = None
    errors: dict[str, str] = field(default_factory=dict)  # step -> error

    @property
    def ok(self) -> bool:
        return not self.errors and not self.skipped and not any(r.error for r in self.collected)


class Runner:
    """Runs cycles on one database; keeps the classifier loaded between cycles."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        config: Config,
        *,
        shutdown: Shutdown | None = None,
        console_print: Callable[[str], None] = print,
        classifier_factory: Callable[[Config], Classifier] = build_classifier,
    ) -> None:
        self.db, self.config = db, config
        self.shutdown = shutdown or Shutdown()
        self.console_print = console_print
        self._classifier_factory = classifier_factory
        self._classifier: Classifier | None = None
        self._streams: dict[str, StreamWorker] = {}
        self._stop = threading.Event()

    def cycle(self) -> CycleReport:
        report = CycleReport(datetime.now(UTC))
        self._step(report, "collect", self._collect)
        self._step(report, "classify", self._classify)
        self._step(report, "report", self._weekly_report)
        self._step(report, "alerts", self._alerts)
        return report

    def _step(self, report: CycleReport, name: str, work: Callable[[CycleReport], None]) -> None:
        """Run one step; its failure is logged in `runs` and retried next cycle."""
        try:
            work(report)
        except KeyboardInterrupt:
            raise
        except Exception as error:  # the next steps still run on what is stored
            message = f"{type(error).__name__}: {error}"
            report.errors[name] = message
            log.error("%s step failed: %s (retried next cycle)", name, message)
            if name != "classify":  # classify logs its own runs
                finish_run(self.db, start_run(self.db, name, None), error=message)

    def _collect(self, report: CycleReport) -> None:
        """Every enabled source once; streaming ones listened to in their own threads
        (``start_streams``) are left to them."""
        chosen = {
            name: source
            for name, source in self.config.enabled_sources().items()
            if name not in self._streams
        }
        report.collected, report.skipped = collect_sources(
            self.db, self.config, chosen, on_skip=log.warning
        )

    def start_streams(self, database: Path) -> list[str]:
        """One thread per enabled streaming source, each with its own connection to
        ``database``, storing what it hears every few seconds until ``stop_streams``."""
        for name, settings in self.config.enabled_sources().items():
            if getattr(settings, "streaming", False) and name not in self._streams:
                worker = StreamWorker(database, self.config, name, settings, self._stop)
                worker.start()
                self._streams[name] = worker
        return list(self._streams)

    def stop_streams(self, timeout: float = 15.0) -> None:
        self._stop.set()
        for worker in self._streams.values():
            worker.join(timeout)
        self._streams.clear()

    def _classify(self, report: CycleReport) -> None:
        if self._classifier is None:
            try:
                self._classifier = self._classifier_factory(self.config)
            except Exception as error:  # classify_database logs its own failures, not this
                finish_run(
                    self.db,
                    start_run(self.db, "classify", None),
                    error=f"{type(error).__name__}: {error}",
                )
                raise
        # Newest first and a bounded number per cycle: after a model change the inbox
        # shows the new labels on recent mentions soon, and collecting never waits hours.
        report.classified = classify_database(
            self.db,
            self._classifier,
            limit=self.config.schedule.classify_per_cycle,
            newest_first=True,
        ).classified

    def _weekly_report(self, report: CycleReport) -> None:
        """On the configured weekday and hour: last week's report, once, then delivered."""
        path = scheduled_report(self.db, self.config)
        if path is not None:
            report.weekly_report = path
            finish_run(self.db, start_run(self.db, "report", None), inserted=1)

    def _alerts(self, report: CycleReport) -> None:
        run_id = start_run(self.db, "alerts", None)
        report.alerts = run_alerts(
            self.db,
            self.config,
            console_print=self.console_print,
            critical=self.shutdown.critical,
        )
        failed = "; ".join(
            f"{k}: {v}" for k, v in {**report.alerts.rule_errors, **report.alerts.failed}.items()
        )
        finish_run(
            self.db,
            run_id,
            fetched=report.alerts.raised,
            inserted=report.alerts.new,
            updated=sum(report.alerts.delivered.values()),
            error=failed or None,
        )

    def forever(
        self, on_cycle: Callable[[CycleReport], None], database: Path | None = None
    ) -> None:
        """Cycle now and then every ``schedule.every_minutes`` until a shutdown signal;
        streaming sources listen all the while (given the ``database`` path)."""
        if database is not None:
            self.start_streams(database)
        try:
            self._cycles(on_cycle)
        finally:
            self.stop_streams()

    def _cycles(self, on_cycle: Callable[[CycleReport], None]) -> None:
        scheduler = schedule.Scheduler()
        scheduler.every(self.config.schedule.every_minutes).minutes.do(
            lambda: on_cycle(self.cycle())
        )
        on_cycle(self.cycle())
        while not self.shutdown.requested:
            scheduler.run_pending()
            idle = scheduler.idle_seconds
            time.sleep(max(0.0, min(idle if idle is not None else 1.0, 1.0)))


class StreamWorker(threading.Thread):
    """Listens to one streaming source in segments of ``segment_minutes`` (one ``runs`` row
    each, so a silent or failing stream shows in ``source_health``); after a failed
    segment it waits a minute and starts again. Stops within a second of ``stop``."""

    def __init__(
        self,
        database: Path,
        config: Config,
        name: str,
        settings: Any,
        stop: threading.Event,
        retry_seconds: float = 60.0,
    ) -> None:
        super().__init__(name=f"umot-stream-{name}", daemon=True)
        self.database, self.config = database, config
        self.source, self.settings, self.stop = name, settings, stop
        self.retry_seconds = retry_seconds
        self.reports: list[CollectReport] = []

    def run(self) -> None:
        db = open_database(self.database)
        matcher = BrandMatcher(self.config.brands)
        try:
            while not self.stop.is_set():
                listen = Listen(self.settings.segment_minutes * 60, self.stop)
                try:
                    collector = build_collector(
                        self.source, self.settings, config=self.config, db=db, listen=listen
                    )
                except SourceUnavailable as error:
                    record_skipped(db, self.source, str(error))
                    log.error("%s", error)
                    self.stop.wait(self.retry_seconds)
                    continue
                report = run_collector(db, collector, matcher=matcher)
                self.reports.append(report)
                log.info(
                    "%s: heard %s events, stored %s new",
                    self.source,
                    f"{report.fetched:,}",
                    f"{report.inserted:,}",
                )
                if report.error:
                    log.error("%s: %s (listening again shortly)", self.source, report.error)
                    self.stop.wait(self.retry_seconds)
        except Exception:  # a thread's crash would otherwise vanish silently
            log.exception("%s: the stream stopped", self.source)
        finally:
            db.close()
