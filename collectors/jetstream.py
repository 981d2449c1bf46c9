"""Bluesky, live: every post of the network from a public Jetstream, matched on our side.

Jetstream (``wss://jetstream{1,2}.us-{east,west}.bsky.network/subscribe``) is free and
needs no login, but has no keyword filter, so the brands' terms are matched here, on
every post. Most posts name no brand, so the raw JSON is searched first and only the
few messages that might match (and deletions and identity changes) are parsed.

The cursor is Jetstream's own: the ``time_us`` of the last event read. After a restart
or a disconnect the stream resumes a few seconds earlier (``rewind_seconds``) and drops
posts it already yielded, by AT-URI. A failing endpoint hands over to the next one,
with a growing pause; an endpoint that goes quiet for ``idle_seconds`` counts as failing.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from collectors.base import Checkpoint, Cursors, Item, Thread, Tombstone, safe_record
from collectors.bluesky import (
    PLATFORM,
    POST_COLLECTION,
    AppView,
    Profile,
    post_fields,
    post_uri,
    post_view_fields,
)
from collectors.bluesky_account import BlueskyAccount
from collectors.http import AccessDenied, CollectorError, HostUnreachable

log = logging.getLogger("umot.bluesky")

ENDPOINTS = (
    "wss://jetstream1.us-east.bsky.network",
    "wss://jetstream2.us-east.bsky.network",
    "wss://jetstream1.us-west.bsky.network",
    "wss://jetstream2.us-west.bsky.network",
)
CURSOR = "jetstream"
_TIME_US = re.compile(r'"time_us":\s*(\d+)')
# Messages that must be parsed whatever their text: deletions and account changes.
_ALWAYS_PARSE = ('"delete"', '"identity"')
# Characters Jetstream's JSON encoder may escape: terms with them cannot be pre-matched.
_ESCAPED = set('&<>"\\')
MAX_FAILURES = 8  # connection failures in a row before the run ends with an error
PROFILE_BATCH = 25
RESOLVE_SECONDS = 1.0


Connect = Callable[[str], Any]


def _websocket(url: str) -> Any:
    from websockets.sync.client import connect

    return connect(url, open_timeout=10, close_timeout=2, max_size=2**22)


def raw_prefilter(terms: Sequence[str]) -> Callable[[str], bool] | None:
    """A search of the brands' terms in the message as received (lower-cased, plain
    substring search: faster than parsing), or None when a term could be spelled
    differently inside JSON (escaped characters) or lower-cases beyond ASCII."""
    if not terms or any(
        set(term) & _ESCAPED or not term.isascii() or not term.isprintable() for term in terms
    ):
        return None
    lowered = sorted({term.lower() for term in terms}, key=len)
    if len(lowered) <= 32:
        return lambda message: any(term in message.lower() for term in lowered)
    pattern = re.compile("|".join(re.escape(term) for term in lowered))
    return lambda message: pattern.search(message.lower()) is not None


class JetstreamCollector:
    """Listens for ``seconds`` (None: until ``stop`` is set); yields matched posts.

    ``keep`` decides on a post's text (the brand matcher); ``follow`` are recent UMOT
    posts whose engagement counts are refreshed through the AppView at the start.
    """

    def __init__(
        self,
        name: str,
        *,
        keep: Callable[[str], bool],
        terms: Sequence[str],
        appview: AppView,
        endpoints: Sequence[str] = ENDPOINTS,
        follow: Sequence[Thread] = (),
        seconds: float | None = 60.0,
        stop: threading.Event | None = None,
        rewind_seconds: float = 5.0,
        idle_seconds: float = 30.0,
        max_backoff_seconds: float = 60.0,
        connect: Connect = _websocket,
        clock: Callable[[], float] = time.monotonic,
        account: BlueskyAccount | None = None,
        backfill_hours: float = 24.0,
        backfill_after_seconds: float = 1800.0,
        checkpoint_seconds: float = RESOLVE_SECONDS,
    ) -> None:
        """With an ``account``, a start after more than ``backfill_after_seconds`` of not
        listening (or a first start: the last ``backfill_hours``) searches the brands'
        terms for the time in between; the stream itself resumes from its cursor."""
        self.name, self.keep, self.appview = name, keep, appview
        self.quick = raw_prefilter(terms)
        self.endpoints, self.follow = list(endpoints), list(follow)
        self.seconds, self.stop = seconds, stop or threading.Event()
        self.rewind_us = int(rewind_seconds * 1_000_000)
        self.idle_seconds, self.max_backoff = idle_seconds, max_backoff_seconds
        self.connect, self.clock = connect, clock
        self.account, self.backfill_hours = account, backfill_hours
        self.backfill_after = backfill_after_seconds
        self.terms = list(terms)
        self.checkpoint_seconds = checkpoint_seconds
        self.stats = {"events": 0, "parsed": 0, "matched": 0, "deleted": 0, "unknown": 0}
        self._recent: dict[str, int] = {}  # AT-URI -> time_us, within the rewind window
        self._pending: list[tuple[str, dict[str, Any], datetime]] = []
        self._last_us: int | None = None
        self._last_raw: str | None = None
        self._unyielded = 0  # events read but not yielded since the last checkpoint

    def collect(self, cursors: Cursors) -> Iterator[Item]:
        yield from self._refresh_followed()
        yield from self._followed_replies()
        stored = cursors.get(CURSOR)
        self._last_us = int(stored) if stored and stored.isdigit() else None
        yield from self._backfill()
        deadline = None if self.seconds is None else self.clock() + self.seconds
        failures, endpoint = 0, 0
        while not self._done(deadline):
            url = self._url(self.endpoints[endpoint % len(self.endpoints)])
            try:
                with self.connect(url) as socket:
                    log.info("%s: listening to %s", self.name, url.split("?")[0])
                    heard = self.stats["events"]
                    for item in self._listen(socket, deadline, cursors):
                        if self.stats["events"] > heard:  # an event, not just a checkpoint
                            failures = 0
                        yield item
                break  # the deadline or a stop ended the listening
            except (OSError, TimeoutError, _Quiet, *_socket_errors()) as error:
                failures += 1
                yield from self._checkpoint(cursors)
                if failures >= MAX_FAILURES:
                    raise HostUnreachable(
                        f"no Jetstream endpoint answered after {failures} tries "
                        f"(last: {url.split('?')[0]}: {_describe(error)})"
                    ) from None
                wait = min(self.max_backoff, 2.0 ** (failures - 1))
                log.warning(
                    "%s: %s: %s; next endpoint in %.0f s",
                    self.name,
                    url.split("?")[0],
                    _describe(error),
                    wait,
                )
                endpoint += 1
                if self.stop.wait(wait):
                    break
        yield from self._checkpoint(cursors)

    def _done(self, deadline: float | None) -> bool:
        return self.stop.is_set() or (deadline is not None and self.clock() >= deadline)

    def _url(self, endpoint: str) -> str:
        params: list[tuple[str, str]] = [("wantedCollections", POST_COLLECTION)]
        if self._last_us is not None:
            params.append(("cursor", str(max(0, self._last_us - self.rewind_us))))
        return f"{endpoint.rstrip('/')}/subscribe?{urlencode(params)}"

    def _listen(self, socket: Any, deadline: float | None, cursors: Cursors) -> Iterator[Item]:
        heard = checkpoint = self.clock()
        while not self._done(deadline):
            wait = min(self.checkpoint_seconds, self.idle_seconds)
            if deadline is not None:
                wait = max(0.01, min(wait, deadline - self.clock()))
            try:
                message = socket.recv(timeout=wait)
            except TimeoutError:
                message = None
            now = self.clock()
            if message is not None:
                heard = now
                yield from self._read(message)
            elif now - heard > self.idle_seconds:
                raise _Quiet(f"no event for {self.idle_seconds:g} s")
            due = now - checkpoint >= self.checkpoint_seconds
            if due or len(self._pending) >= PROFILE_BATCH:
                yield from self._resolve()
                if due:
                    yield from self._checkpoint(cursors)
                    checkpoint = now
        yield from self._checkpoint(cursors)

    def _read(self, message: str | bytes) -> Iterator[Item]:
        """One event: a post to keep, a deletion, a rename, or (mostly) nothing."""
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        self.stats["events"] += 1
        self._unyielded += 1
        self._last_raw = message
        if (
            self.quick is not None
            and not self.quick(message)
            and not any(marker in message for marker in _ALWAYS_PARSE)
        ):
            return
        self.stats["parsed"] += 1
        try:
            event = json.loads(message)
            time_us, did, kind = int(event["time_us"]), str(event["did"]), event.get("kind")
        except (ValueError, KeyError, TypeError):
            self.stats["unknown"] += 1
            return
        self._last_us = max(self._last_us or 0, time_us)
        self._last_raw = None
        if kind == "identity":
            self.appview.forget(did)
            return
        commit = event.get("commit")
        if kind != "commit" or not isinstance(commit, dict):
            if kind != "account":
                self.stats["unknown"] += 1
            return
        if commit.get("collection") != POST_COLLECTION or not commit.get("rkey"):
            return
        uri = post_uri(did, str(commit["rkey"]))
        operation = commit.get("operation")
        if operation == "delete":
            if self._seen(f"delete:{uri}", time_us):
                return
            self.stats["deleted"] += 1
            self._unyielded -= 1
            yield Tombstone(f"{PLATFORM}:{uri}")
            return
        record = commit.get("record")
        if operation not in ("create", "update") or not isinstance(record, dict):
            return
        if not self.keep(_searchable(record)) or self._seen(uri, time_us):
            return
        self.stats["matched"] += 1
        self._unyielded -= 1  # counted when yielded
        self._pending.append((uri, record, datetime.fromtimestamp(time_us / 1e6, UTC)))

    def _seen(self, uri: str, time_us: int) -> bool:
        """Whether a rewind replays a post already yielded (same AT-URI)."""
        if uri in self._recent:
            return True
        self._recent[uri] = time_us
        if len(self._recent) > 10_000:
            oldest = time_us - 4 * self.rewind_us
            self._recent = {u: t for u, t in self._recent.items() if t >= oldest}
        return False

    def _resolve(self) -> Iterator[Item]:
        """Name the authors of the matched posts (one AppView call per 25), then yield."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        profiles = self.appview.profiles(uri.split("/")[2] for uri, _, _ in pending)
        for uri, record, seen in pending:
            profile = profiles.get(uri.split("/")[2])
            yield safe_record(PLATFORM, _fields, (uri, record, seen, profile))

    def _checkpoint(self, cursors: Cursors) -> Iterator[Item]:
        """Everything read so far is yielded: the cursor may move to the last event."""
        yield from self._resolve()
        if self._last_raw is not None and (found := _TIME_US.search(self._last_raw)):
            self._last_us = max(self._last_us or 0, int(found.group(1)))
        if self._last_us is not None:
            cursors.advance(CURSOR, str(self._last_us))
        scanned, self._unyielded = self._unyielded, 0
        yield Checkpoint(scanned)

    def _followed_replies(self) -> Iterator[Item]:
        """Replies to recent UMOT posts, also those that never name the brand."""
        for thread in self.follow:
            if not thread.native_id.startswith("at://"):
                continue
            try:
                views = list(self.appview.thread_replies(thread.native_id))
            except CollectorError as error:
                log.warning("%s: replies of %s: %s", self.name, thread.native_id, error)
                continue
            profiles = self.appview.profiles(_author(view) for view in views)
            for view in views:
                yield safe_record(
                    PLATFORM, _view_fields, view, profiles.get(_author(view)), thread.brand
                )

    def _backfill(self) -> Iterator[Item]:
        """Search the time the stream was not heard (needs an account)."""
        if self.account is None:
            return
        now_us = int(time.time() * 1_000_000)
        if self._last_us is not None and now_us - self._last_us < self.backfill_after * 1e6:
            return
        since_us = self._last_us - self.rewind_us if self._last_us else None
        since_us = since_us or now_us - int(self.backfill_hours * 3600 * 1e6)
        since = datetime.fromtimestamp(since_us / 1e6, UTC)
        for term in self.terms:
            try:
                views = [
                    v
                    for v in self.account.search(term.lstrip("#"), since)
                    if isinstance(v.get("record"), dict)
                    and self.keep(_searchable(v["record"]))
                    and not self._seen(str(v.get("uri")), now_us)
                ]
            except AccessDenied:
                raise  # the login was refused: say so rather than listen half-blind
            except CollectorError as error:
                log.warning("%s: backfill of %r: %s", self.name, term, error)
                continue
            profiles = self.appview.profiles(_author(view) for view in views)
            for view in views:
                yield safe_record(PLATFORM, _view_fields, view, profiles.get(_author(view)), None)

    def _refresh_followed(self) -> Iterator[Item]:
        """Fresh like/repost/reply counts for recent UMOT posts (25 per AppView call)."""
        uris = [t.native_id for t in self.follow if t.native_id.startswith("at://")]
        if not uris:
            return
        try:
            for view in self.appview.posts(uris):
                yield safe_record(PLATFORM, post_view_fields, view)
        except CollectorError as error:  # counts are refreshed next time; listen anyway
            log.warning("%s: engagement refresh failed: %s", self.name, error)


def _fields(
    event: tuple[str, dict[str, Any], datetime, Profile | None],
) -> dict[str, Any]:
    uri, record, seen, profile = event
    return post_fields(uri, record, seen=seen, profile=profile)


def _author(view: dict[str, Any]) -> str:
    return str((view.get("author") or {}).get("did") or str(view.get("uri")).split("/")[2])


def _view_fields(
    view: dict[str, Any], profile: Profile | None, brand: str | None
) -> dict[str, Any]:
    fields = post_view_fields(view, profile)
    return {**fields, "brand": brand} if brand else fields


def _searchable(record: dict[str, Any]) -> str:
    """What a brand can be named in: the text and the images' alt texts."""
    parts = [str(record.get("text") or "")]
    embed = record.get("embed")
    if isinstance(embed, dict):
        media = embed.get("media") or embed
        for image in media.get("images") or []:
            if isinstance(image, dict) and image.get("alt"):
                parts.append(str(image["alt"]))
    return "\n".join(parts)


class _Quiet(Exception):
    """The endpoint is connected but sends nothing."""


def _socket_errors() -> tuple[type[Exception], ...]:
    from websockets.exceptions import InvalidURI, WebSocketException

    return (WebSocketException, InvalidURI)


def _describe(error: BaseException) -> str:
    from websockets.exceptions import ConnectionClosed

    if isinstance(error, ConnectionClosed):
        code = error.rcvd.code if error.rcvd is not None else "none"
        return f"the connection closed (close code {code})"
    return str(error) or type(error).__name__
