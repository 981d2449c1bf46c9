"""What every collector is: a named thing that yields Mentions (or Rejected records).

Collectors read their cursors through ``Cursors`` and advance them as they go; the
pipeline persists an advance only together with the batch of items yielded before it,
so a crash can never move a cursor past mentions that were not stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from storage import Mention, Rejected, mention_or_reject


@dataclass(frozen=True)
class Checkpoint:
    """A stream read ``scanned`` more records that were not about any brand.

    Lets a stream count what it read (a silent stream shows as such in ``runs``) and lets
    the pipeline store its cursor advances on time even when nothing matches.
    """

    scanned: int


@dataclass(frozen=True)
class Tombstone:
    """The platform deleted this post (``platform:native_id``); marked if it is stored."""

    key: str


Item = Mention | Rejected | Checkpoint | Tombstone


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


@dataclass(frozen=True)
class BrandQuery:
    """A brand and the search terms that find it (from the ``[[brands]]`` config)."""

    brand: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Thread:
    """A stored post whose replies are worth fetching (a recent UMOT post), by native id."""

    native_id: str
    conversation_id: str | None = None
    brand: str | None = None


def safe_record(
    platform: str, build: Callable[..., dict[str, Any]], payload: Any, *context: Any
) -> Item:
    """A Mention from a platform payload, or a Rejected naming what was wrong with it.

    Parsers index payloads directly (``status["id"]``); a payload missing a field or of
    the wrong shape becomes a ``rejects`` row instead of an exception that would end the
    source's run.
    """
    try:
        record = build(payload, *context)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        native = _native_id(payload)
        what = f"missing field {error}" if isinstance(error, KeyError) else str(error)
        return Rejected(
            reason=f"record: {what}",
            record=payload,
            platform=platform,
            native_id=native,
        )
    return mention_or_reject(record)


def _native_id(payload: Any) -> str | None:
    """The id of a payload that failed to parse, without touching lazy attributes."""
    if isinstance(payload, dict):
        native = payload.get("id")
    elif isinstance(getattr(type(payload), "fullname", None), property):
        native = payload.fullname  # praw things: t1_/t3_ names, built from the id alone
    else:
        native = None
    return str(native) if isinstance(native, str | int) else None
