"""Mastodon over its plain REST API: hashtag timelines, search, and reply trees.

Public hashtag timelines need no key; with a token, ``/api/v2/search`` also finds
statuses by text. Status ids are local to the instance that served them, so umot keys
them as ``host:id`` (``mastodon.social:1133...``) and links replies the same way; the
status's global ``uri`` is kept in ``raw`` for cross-instance matching.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any
from urllib.parse import quote, urlparse

from collectors.base import BrandQuery, Cursors, Item, Thread, safe_record
from collectors.http import (
    AccessDenied,
    CollectorError,
    CredentialError,
    HostUnreachable,
    HttpClient,
    RetryPolicy,
    html_to_text,
)
from storage.mention import CONTEXT_QUERY, is_textless, media_marker

PAGE_SIZE = 40


def _newer(a: str, b: str | None) -> bool:
    """Mastodon ids are numeric strings: compare by length, then text."""
    return b is None or (len(a), a) > (len(b), b)


# Mastodon's attachment types, in umot's placeholder words.
_MEDIA_KINDS = {"image": "image", "gifv": "gif", "video": "video", "audio": "audio"}


def media_text(attachments: Any) -> str:
    """Words for a post's attachments: their descriptions (alt text) where the author
    wrote one, else a placeholder such as ``[video]``, one line each."""
    lines = []
    for attachment in attachments or []:
        if not isinstance(attachment, dict):
            continue
        marker = media_marker(_MEDIA_KINDS.get(attachment.get("type") or "", "media"))
        description = " ".join(str(attachment.get("description") or "").split())
        lines.append(f"{marker} {description}" if description else marker)
    return "\n".join(lines)


def status_record(
    status: dict[str, Any], host: str, brand: str | None, query: str
) -> dict[str, Any]:
    # A boost wraps the boosted status: who boosted and when come from the wrapper,
    # what was said (text, language, link, quote) from the status inside it.
    shown = status.get("reblog") or status
    account = status["account"]
    text = html_to_text(shown["content"])
    if is_textless(text):  # e.g. only "@name" above a video: say what is attached
        text = "\n".join(
            part for part in (text, media_text(shown.get("media_attachments"))) if part
        )
    if warning := shown.get("spoiler_text"):
        text = f"{warning}\n\n{text}"
    # Mastodon 4.5+: a Quote (with the quoted status) or a ShallowQuote (its id only).
    quote_state = shown.get("quote") or {}
    quoted = quote_state.get("quoted_status_id") or (quote_state.get("quoted_status") or {}).get(
        "id"
    )
    url = shown.get("url") or shown.get("uri")

    def key(native: str | None) -> str | None:
        return f"{host}:{native}" if native else None

    return {
        "platform": "mastodon",
        "native_id": key(status["id"]),
        "text": text,
        "created_at": status["created_at"],
        "author_id": account.get("url") or key(account["id"]),
        "author_handle": account.get("acct"),
        "author_name": account.get("display_name") or None,
        "author_followers": account.get("followers_count"),
        "url": url if url and url.startswith(("http://", "https://")) else None,
        "lang": shown.get("language") or status.get("language"),
        "parent_id": key(status.get("in_reply_to_id")),
        "reposted_id": key(status["reblog"]["id"]) if status.get("reblog") else None,
        "quoted_id": key(quoted),
        # A boost's own counts (Mastodon gives the wrapper its own, zero): never the
        # boosted post's, which would hand every boost the original's reach.
        "likes": status.get("favourites_count"),
        "reposts": status.get("reblogs_count"),
        "replies": status.get("replies_count"),
        "quotes": status.get("quotes_count"),
        "brand": brand,
        "query": query,
        "raw": {"status": status, "instance": host},
    }


def status_items(status: Any, host: str, brand: str | None, query: str) -> Iterator[Item]:
    """The status, and for a boost the boosted status too, as context: so that the
    boost's ``reposted_id`` points at a stored post, as on X."""
    yield safe_record("mastodon", status_record, status, host, brand, query)
    if isinstance(status, dict) and isinstance(status.get("reblog"), dict):
        yield safe_record("mastodon", status_record, status["reblog"], host, None, CONTEXT_QUERY)


class MastodonCollector:
    platform = "mastodon"

    def __init__(
        self,
        name: str,
        *,
        instances: Sequence[str],
        hashtags: Sequence[tuple[str, str | None]],
        queries: Sequence[BrandQuery] = (),
        follow: Sequence[Thread] = (),
        token: str | None = None,
        token_env: str | None = None,
        max_pages: int = 10,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.name = name
        self.instances = [instance.rstrip("/") for instance in instances]
        self.hashtags, self.queries, self.follow = list(hashtags), list(queries), list(follow)
        self.max_pages = max_pages
        self.searching = bool(token)
        self.http = HttpClient(policy, token=token, token_env=token_env)

    def collect(self, cursors: Cursors) -> Iterator[Item]:
        failed: list[str] = []
        denied: AccessDenied | None = None
        for instance in self.instances:
            host = urlparse(instance).netloc or instance
            steps: list[tuple[str, Callable[[], Iterator[Item]]]] = [
                (f"#{tag}", partial(self._timeline, cursors, instance, host, tag, brand))
                for tag, brand in self.hashtags
            ]
            if self.searching:
                steps += [
                    (
                        f"search {term!r}",
                        partial(self._search, cursors, instance, host, term, q.brand),
                    )
                    for q in self.queries
                    for term in q.terms
                    if not term.startswith("#")
                ]
            steps += [
                (f"thread {t.native_id}", partial(self._context, instance, host, t))
                for t in self.follow
                if t.native_id.startswith(f"{host}:")
            ]
            for what, step in steps:
                try:
                    yield from step()
                except CollectorError as error:
                    failed.append(f"{what}: {error}")
                    if isinstance(error, AccessDenied):
                        denied = error
                    if isinstance(error, AccessDenied | HostUnreachable):
                        break  # the next instance may still answer
        if failed:
            summary = f"{len(failed)} Mastodon requests failed; first: {failed[0]}"
            raise CredentialError(summary) if denied else CollectorError(summary)

    def _timeline(
        self, cursors: Cursors, instance: str, host: str, tag: str, brand: str | None
    ) -> Iterator[Item]:
        """Newest first from ``since_id``, walking older pages with ``max_id``."""
        key = f"{host} #{tag}"
        since = cursors.get(key)
        newest = since
        max_id: str | None = None
        url = f"{instance}/api/v1/timelines/tag/{quote(tag)}"
        for _ in range(self.max_pages):
            params: dict[str, str | int] = {"limit": PAGE_SIZE}
            if since:
                params["since_id"] = since
            if max_id:
                params["max_id"] = max_id
            page = self._json_list(url, params)
            if not page:
                break
            for status in page:
                yield from status_items(status, host, brand, f"#{tag}")
                status_id = str(status.get("id", "")) if isinstance(status, dict) else ""
                if status_id.isdigit():
                    newest = status_id if _newer(status_id, newest) else newest
                    max_id = status_id if max_id is None or _newer(max_id, status_id) else max_id
            if len(page) < PAGE_SIZE:
                break
        if newest and newest != since:
            cursors.advance(key, newest)

    def _search(
        self, cursors: Cursors, instance: str, host: str, term: str, brand: str | None
    ) -> Iterator[Item]:
        key = f"{host} search {term}"
        since = cursors.get(key)
        params: dict[str, str | int] = {"q": term, "type": "statuses", "limit": PAGE_SIZE}
        if since:
            params["min_id"] = since
        response = self.http.get(f"{instance}/api/v2/search", params=params)
        statuses = response.json().get("statuses") if response.status_code == 200 else []
        newest = since
        for status in statuses or []:
            yield from status_items(status, host, brand, term)
            status_id = str(status.get("id", "")) if isinstance(status, dict) else ""
            if status_id.isdigit() and _newer(status_id, newest):
                newest = status_id
        if newest and newest != since:
            cursors.advance(key, newest)

    def _context(self, instance: str, host: str, thread: Thread) -> Iterator[Item]:
        local_id = thread.native_id.removeprefix(f"{host}:")
        response = self.http.get(f"{instance}/api/v1/statuses/{quote(local_id)}/context")
        if response.status_code == 404:
            return  # deleted since
        for status in response.json().get("descendants") or []:
            yield from status_items(status, host, thread.brand, "thread")

    def _json_list(self, url: str, params: dict[str, str | int]) -> list[dict[str, Any]]:
        response = self.http.get(url, params=params)
        if response.status_code == 404:
            return []
        try:
            body = response.json()
        except ValueError:
            raise CollectorError(f"{url} did not answer JSON") from None
        if not isinstance(body, list):
            raise CollectorError(f"{url} answered {type(body).__name__}, not a list of statuses")
        return body
