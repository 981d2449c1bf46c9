"""Hacker News through the Algolia HN Search API: stories and comments, no key needed.

Algolia has no OR between phrases, so every brand term is its own ``search_by_date``
query (``#`` dropped, since Algolia splits words on it; terms with spaces quoted as
phrases). Algolia matches loosely (prefixes, typos, the story's URL), so only hits whose
own text names the brand as umot's ``BrandMatcher`` does are kept.

Algolia serves at most 1,000 hits of one query however it is paged, so a time window
holding more is halved until each part fits. Windows are handled oldest first and the
cursor advances after each one, over the hits handled so far: a run that stops early (the
per-query cap, an error) resumes where the stored hits end. The cursor holds the newest
``created_at_i`` and the ids seen in the last minutes, because Algolia indexes some items
a little late: the next run looks back that far and skips what it already saw.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from collectors.base import BrandQuery, Cursors, Item, safe_record
from collectors.http import (
    AccessDenied,
    CollectorError,
    HostUnreachable,
    HttpClient,
    RetryPolicy,
    from_epoch,
    html_to_text,
)
from storage import Mention

HN_API = "https://hn.algolia.com/api/v1"
ITEM_URL = "https://news.ycombinator.com/item?id={}"
PAGINATION_LIMIT = 1_000  # Algolia's paginationLimitedTo: deeper pages come back empty
OVERLAP_SECONDS = 600  # how late Algolia may index an item and still be found
DAY = 86_400
log = logging.getLogger("umot.collectors.hackernews")


def search_query(term: str) -> str:
    """Algolia's query for one brand term: ``#velora`` is ``velora``, phrases in quotes."""
    words = " ".join(term.lstrip("#").replace('"', " ").split())
    return f'"{words}"' if " " in words else words


def _text(hit: dict[str, Any], field: str) -> str:
    value = hit[field]
    if not isinstance(value, str):
        raise TypeError(f"{field} is {type(value).__name__}, not text")
    return value


def hit_record(hit: dict[str, Any], brand: str | None, query: str) -> dict[str, Any]:
    """A story is its title and body, a comment its body; bodies arrive as HTML."""
    native = str(hit["objectID"])
    if not native.isdigit():
        raise ValueError(f"objectID {native[:40]!r} is not a Hacker News item number")
    tags = hit["_tags"]
    if not isinstance(tags, list):
        raise TypeError("_tags is not a list")
    if "comment" in tags:
        text = html_to_text(_text(hit, "comment_text"))
        parent, conversation, link = hit["parent_id"], hit["story_id"], hit.get("story_url")
    elif "story" in tags:
        title = " ".join(_text(hit, "title").split())
        body = html_to_text(hit.get("story_text") or "")
        text = f"{title}\n\n{body}" if body else title
        parent, conversation, link = None, native, hit.get("url")
    else:
        raise ValueError(f"neither a story nor a comment (_tags {tags[:5]})")
    author = hit.get("author")
    return {
        "platform": "hackernews",
        "native_id": native,
        "text": text,
        "created_at": from_epoch(hit["created_at_i"]),
        "author_id": author,
        "author_handle": author,
        "url": ITEM_URL.format(native),
        "parent_id": parent,
        "conversation_id": conversation,
        "likes": hit.get("points"),
        "replies": hit.get("num_comments"),
        "brand": brand,
        "query": query,
        # Highlights repeat the text with <em> marks: not worth storing.
        "raw": {
            "hit": {
                k: v for k, v in hit.items() if k not in ("_highlightResult", "_snippetResult")
            },
            "story_url": link,
        },
    }


def _when(hit: Any) -> int | None:
    value = hit.get("created_at_i") if isinstance(hit, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _native(hit: Any) -> str | None:
    value = hit.get("objectID") if isinstance(hit, dict) else None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


class _Cursor:
    """The newest ``created_at_i`` handled, and the ids handled within the overlap of it."""

    def __init__(self, stored: str | None) -> None:
        self.since: int | None = None
        self.seen: dict[str, int] = {}
        try:
            data = json.loads(stored) if stored else {}
            since, seen = data.get("since"), data.get("seen") or {}
            if isinstance(since, int) and isinstance(seen, dict):
                self.since = since
                self.seen = {str(k): v for k, v in seen.items() if isinstance(v, int)}
        except (ValueError, AttributeError):
            log.warning("ignoring an unreadable Hacker News cursor: %.80s", stored)

    def mark(self, native: str, when: int) -> None:
        self.seen[native] = when
        self.since = when if self.since is None else max(self.since, when)

    def dump(self) -> str:
        floor = (self.since or 0) - OVERLAP_SECONDS
        seen = {k: v for k, v in sorted(self.seen.items()) if v > floor}
        return json.dumps({"since": self.since, "seen": seen}, separators=(",", ":"))


class HackerNewsCollector:
    platform = "hackernews"

    def __init__(
        self,
        name: str,
        *,
        queries: Sequence[BrandQuery],
        keep: Callable[[str, str], bool],
        base_url: str = HN_API,
        hits_per_page: int = 100,
        max_hits_per_query: int = 1_000,
        lookback_days: float = 7.0,
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
    ) -> None:
        """``keep(text, brand)``: whether the text names the brand by one of its terms."""
        self.name = name
        self.keep = keep
        self.base_url = base_url.rstrip("/")
        self.hits_per_page = min(hits_per_page, PAGINATION_LIMIT)
        self.max_hits_per_query = max_hits_per_query
        self.lookback_seconds = int(lookback_days * DAY)
        self.http = HttpClient(policy, timeout=timeout)
        # One search per distinct query; a term shared by two brands goes to the first.
        self.searches: dict[str, tuple[str, str]] = {}
        for brand_query in queries:
            for term in brand_query.terms:
                if query := search_query(term):
                    self.searches.setdefault(query.casefold(), (query, brand_query.brand))

    def collect(self, cursors: Cursors) -> Iterator[Item]:
        until = int(time.time())
        stored: set[str] = set()  # one hit found by two terms is stored once: the first wins
        failed: list[str] = []
        for query, brand in self.searches.values():
            try:
                yield from self._search(cursors, query, brand, until, stored)
            except (AccessDenied, HostUnreachable):
                raise  # one host: the other searches would fail the same way
            except CollectorError as error:
                failed.append(f"{query!r}: {error}")
        if failed:
            raise CollectorError(
                f"{len(failed)} of {len(self.searches)} Hacker News searches failed; "
                f"first: {failed[0]}"
            )

    def _search(
        self, cursors: Cursors, query: str, brand: str, until: int, stored: set[str]
    ) -> Iterator[Item]:
        cursor = _Cursor(cursors.get(query))
        if cursor.since is None:
            low = until - self.lookback_seconds
        else:
            low = cursor.since - OVERLAP_SECONDS
        handled = 0
        for hits in self._windows(query, low, until):
            before = cursor.dump()
            for hit in sorted(hits, key=lambda h: (_when(h) or 0, _native(h) or "")):
                native, when = _native(hit), _when(hit)
                if native is not None and native in cursor.seen:
                    continue  # the overlap, or a hit that moved to the next page
                if handled >= self.max_hits_per_query:
                    break
                handled += 1
                if native is not None and when is not None:
                    cursor.mark(native, when)
                if native in stored:
                    continue
                item = safe_record("hackernews", hit_record, hit, brand, query)
                if isinstance(item, Mention):
                    if not self.keep(item.text, brand):
                        continue  # Algolia's prefix, typo or URL match, not a mention
                    stored.add(item.native_id)
                yield item
            if cursor.dump() != before:
                cursors.advance(query, cursor.dump())
            if handled >= self.max_hits_per_query:
                log.info("Hacker News %r: %d hits this run; the rest next run", query, handled)
                return

    def _windows(self, query: str, low: int, high: int) -> Iterator[list[Any]]:
        """The hits of ``low < created_at_i <= high``, in windows of at most 1,000 hits,
        oldest window first; each window is fetched whole before it is handed on."""
        pending = [(low, high)]
        while pending:
            low, high = pending.pop()
            if low >= high:
                continue
            first = self._page(query, low, high, 0)
            total = first.get("nbHits")
            if isinstance(total, int) and total > PAGINATION_LIMIT:
                if high - low > 1:
                    middle = (low + high) // 2
                    pending += [(middle, high), (low, middle)]  # the older half comes first
                    continue
                log.warning("Hacker News %r: %d hits in one second; keeping 1,000", query, total)
            hits = list(first["hits"])
            pages = first.get("nbPages")
            pages = pages if isinstance(pages, int) else PAGINATION_LIMIT // self.hits_per_page
            page, last = 1, len(first["hits"])
            while page < pages and page * self.hits_per_page < PAGINATION_LIMIT:
                if last < self.hits_per_page:
                    break
                more = self._page(query, low, high, page)["hits"]
                hits += more
                page, last = page + 1, len(more)
            yield hits

    def _page(self, query: str, low: int, high: int, page: int) -> dict[str, Any]:
        url = f"{self.base_url}/search_by_date"
        params: dict[str, str | int] = {
            "query": query,
            "tags": "(story,comment)",
            "numericFilters": f"created_at_i>{low},created_at_i<={high}",
            "hitsPerPage": self.hits_per_page,
            "page": page,
        }
        response = self.http.get(url, params=params)
        if response.status_code == 404:
            raise CollectorError(f"{url} was not found (HTTP 404): check base_url")
        try:
            body = response.json()
        except ValueError:
            raise CollectorError(f"{url} did not answer JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("hits"), list):
            raise CollectorError(f"{url} answered without a list of hits")
        return body
