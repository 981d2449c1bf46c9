"""What every collector is: a named thing that yields Mentions (or Rejected records).

Collectors read their cursors through ``Cursors`` and advance them as they go; the
pipeline persists an advance only together with the batch of items yielded before it,
so a crash can never move a cursor past mentions that were not stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from storage import Mention, Rejected

Item = Mention | Rejected


class Cursors:
    """Stored cursors of one source, with advances held back until the next flush."""

    def __init__(self, load: Callable[[str], str | None]) -> None:
        self._load = load
        self.pending: dict[str, str] = {}

    def get(self, query: str) -> str | None:
        if query in self.pending:
            return self.pending[query]
        return self._load(query)

    def advance(self, query: str, value: str) -> None:
        self.pending[query] = value


class Collector(Protocol):
    name: str

    def collect(self, cursors: Cursors) -> Iterator[Item]: ...
