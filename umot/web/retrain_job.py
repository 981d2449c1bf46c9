"""A retrain started from the workspace: one at a time, in the background, with progress."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from storage import open_database
from storage.workspace import WorkspaceError
from umot.config import Config
from umot.retrain import BaseData, RetrainResult, retrain_from_labels

log = logging.getLogger(__name__)


@dataclass
class JobState:
    status: str = "idle"  # idle | running | done | failed
    started_by: str | None = None
    started_at: str | None = None
    step: str = ""
    done: int = 0
    total: int = 0
    result: RetrainResult | None = None
    error: str | None = None


class RetrainJob:
    """Runs ``retrain_from_labels`` in a thread with its own database connection."""

    def __init__(self, config: Config, database: Path, base: BaseData) -> None:
        self.config, self.database, self.base = config, database, base
        self.state = JobState()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def snapshot(self) -> JobState:
        with self._lock:
            return JobState(**vars(self.state))

    def start(self, user: str, run: Callable[..., RetrainResult] = retrain_from_labels) -> None:
        with self._lock:
            if self.state.status == "running":
                raise WorkspaceError(
                    f"a retrain is already running (started by {self.state.started_by} at "
                    f"{self.state.started_at}); wait for it to finish"
                )
            self.state = JobState(
                status="running",
                started_by=user,
                started_at=datetime.now(UTC).strftime("%H:%M UTC"),
            )
        self._thread = threading.Thread(target=self._run, args=(run,), daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _progress(self, label: str, total: int) -> Callable[[int], None]:
        with self._lock:
            self.state.step, self.state.done, self.state.total = label, 0, total

        def advance(count: int) -> None:
            with self._lock:
                self.state.done += count

        return advance

    def _run(self, run: Callable[..., RetrainResult]) -> None:
        db = open_database(self.database)
        try:
            result = run(db, self.config, self.database, self.base, progress=self._progress)
        except Exception as error:  # shown on the page; the model in use is unchanged
            log.exception("retrain from the workspace failed")
            with self._lock:
                self.state.status, self.state.error = "failed", f"{type(error).__name__}: {error}"
        else:
            with self._lock:
                self.state.status, self.state.result = "done", result
        finally:
            db.close()
