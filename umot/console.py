"""Shared terminal output: the consoles and progress bars every command uses."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

console = Console()
err_console = Console(stderr=True)
AddTask = Callable[[str, int | None], Callable[[int], None]]


@contextmanager
def progress_bars() -> Iterator[AddTask]:
    """Progress bars on stderr; each call adds a task and returns its advance function."""
    columns = [
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=err_console) as progress:

        def add(description: str, total: int | None = None) -> Callable[[int], None]:
            task = progress.add_task(description, total=total)
            return lambda step: progress.advance(task, step)

        yield add


def setup_logging(level: int = logging.WARNING) -> None:
    """umot's own log lines (rate-limit waits, retries) on stderr, once."""
    logger = logging.getLogger("umot")
    if not any(isinstance(handler, RichHandler) for handler in logger.handlers):
        handler = RichHandler(console=err_console, show_path=False, markup=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level)
