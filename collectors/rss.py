"""RSS and Atom feeds through feedparser: news, blogs, review sites.

Feeds are fetched with conditional GET (the ETag and Last-Modified of the last answer
are kept as the feed's cursor), so an unchanged feed costs one 304. An entry is keyed by
a hash of its id (or link), so the same article seen in two feeds is stored once. Only
entries that name a brand are kept unless the feed is marked as being about one brand.
"""

from __future__ import annotations

import calendar
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import feedparser

from collectors.base import Cursors, Item, safe_record
from collectors.http import AccessDenied, CollectorError, HttpClient, RetryPolicy, html_to_text
from storage import Mention


def entry_key(entry: Any) -> str:
    identity = (
        entry.get("id") or entry.get("link") or f"{entry.get('title')}|{entry.get('published')}"
    )
    return hashlib.sha256(str(identity).encode()).hexdigest()[:32]


def _when(entry: Any) -> datetime | None:
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(name)
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    return None


def entry_record(entry: Any, feed: Any, feed_url: str, brand: str | None) -> dict[str, Any]:
    body = ""
    if entry.get("content"):
        body = entry["content"][0].get("value", "")
    body = html_to_text(body or entry.get("summary", ""))
    title = html_to_text(entry.get("title", ""))
    text = f"{title}\n\n{body}" if title and body and not body.startswith(title) else title or body
    created = _when(entry)
    return {
        "platform": "rss",
        "native_id": entry_key(entry),
        "text": text,
        "created_at": created or datetime.now(UTC),
        "author_handle": entry.get("author") or None,
        "author_name": entry.get("author") or None,
        "url": entry.get("link"),
        "lang": (feed.get("language") or "").split("-")[0] or None,
        "brand": brand,
        "query": feed_url,
        "raw": {
            "entry_id": entry.get("id"),
            "feed": feed_url,
            "feed_title": feed.get("title"),
            "title": entry.get("title"),
            "link": entry.get("link"),
            "dated": created is not None,
        },
    }


class RssCollector:
    platform = "rss"

    def __init__(
        self,
        name: str,
        *,
        feeds: Sequence[tuple[str, str | None]],
        keep: Callable[[str], bool],
        policy: RetryPolicy | None = None,
    ) -> None:
        self.name = name
        self.feeds = list(feeds)  # (url, brand the whole feed is about, or None)
        self.keep = keep
        self.http = HttpClient(policy)

    def collect(self, cursors: Cursors) -> Iterator[Item]:
        failed: list[str] = []
        seen: set[str] = set()  # one article in two feeds is one mention; the first wins
        for url, brand in self.feeds:
            try:
                yield from self._feed(cursors, url, brand, seen)
            except AccessDenied:
                raise
            except CollectorError as error:
                failed.append(f"{url}: {error}")
        if failed:
            raise CollectorError(
                f"{len(failed)} of {len(self.feeds)} feeds failed; first: {failed[0]}"
            )

    def _feed(
        self, cursors: Cursors, url: str, brand: str | None, seen: set[str]
    ) -> Iterator[Item]:
        stored = json.loads(cursors.get(url) or "{}")
        headers = {}
        if stored.get("etag"):
            headers["If-None-Match"] = stored["etag"]
        if stored.get("modified"):
            headers["If-Modified-Since"] = stored["modified"]
        response = self.http.get(url, headers=headers)
        if response.status_code == 304:
            return
        if response.status_code == 404:
            raise CollectorError("not found (HTTP 404)")
        parsed = feedparser.parse(response.content, response_headers=dict(response.headers))
        if parsed.bozo and not parsed.entries:
            raise CollectorError(f"not an RSS or Atom feed ({parsed.get('bozo_exception')})")
        for entry in parsed.entries:
            item = safe_record("rss", entry_record, entry, parsed.feed, url, brand)
            if isinstance(item, Mention):
                if item.native_id in seen:
                    continue
                if brand is None and not self.keep(item.text):
                    continue  # a news feed's other articles are not mentions
                seen.add(item.native_id)
            yield item
        validators = {
            "etag": response.headers.get("ETag"),
            "modified": response.headers.get("Last-Modified"),
        }
        if any(validators.values()):
            cursors.advance(url, json.dumps(validators, sort_keys=True))
