"""YouTube comments over the Data API v3 with an API key: brand searches, named channels.

Quota, not speed, shapes this collector. A Google Cloud project gets 10,000 units a day
for reads (one unit a page of comment threads or of replies) and, on Google's current
terms, a separate allowance of 100 ``search.list`` calls a day. So:

* each brand is searched for new videos (``order=date``, ``publishedAfter`` the newest
  one found before), no more often than spreads the search allowance over the day;
* named channels are read with ``commentThreads.list?allThreadsRelatedToChannelId``: one
  unit brings the newest 100 threads under *all* the channel's videos, old ones too,
  where walking the uploads playlist (``channels.list`` + ``playlistItems.list``) costs a
  unit per video per run and still misses new comments under older videos;
* videos a search found are watched for ``video_days``: each run reads their newest
  threads and pages back only until it reaches a thread it saw before;
* a thread carries a few replies inline; the rest (``comments.list?parentId=``) are
  fetched for new threads and for followed UMOT comments only.

Units are counted per Pacific Time day (quotas reset at midnight PT) in the source's
cursors, which reach the database with every batch, also when a run ends early. Once the
budget is spent a run stops with one line, and the next day carries on from the cursors.
The key goes in the ``X-Goog-Api-Key`` header, never in a URL that a log could keep.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import requests

from collectors.base import BrandQuery, Cursors, Item, Thread, safe_record
from collectors.http import (
    USER_AGENT,
    AccessDenied,
    BudgetSpent,
    CollectorError,
    CredentialError,
    HostUnreachable,
    RateLimited,
    RetryPolicy,
    Transient,
    html_to_text,
    wait_from_headers,
)
from collectors.youtube_mapping import comment_record, thread_record, video_record

# "X as X": re-exported, so the names' old import path (umot.access, tests) keeps working.
from collectors.youtube_quota import PACIFIC as PACIFIC
from collectors.youtube_quota import (
    QUOTA_KEY,
    QuotaSpent,
    QuotaUse,
    json_dict,
    load_quota,
    pacific_day,
)
from collectors.youtube_quota import quota_used_today as quota_used_today
from storage import Mention

YOUTUBE_API = "https://www.googleapis.com/youtube/v3"
VIDEOS_KEY = "videos"
# Search results lag behind uploads: each search looks this far behind the newest video.
SEARCH_OVERLAP = timedelta(hours=1)
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
CLOSED_REASONS = frozenset({"commentsDisabled", "videoNotFound", "channelNotFound", "notFound"})
_GOOGLE_KEY_REASONS = {"API_KEY_INVALID", "API_KEY_SERVICE_BLOCKED", "SERVICE_DISABLED"}
KEY_REASONS = frozenset(
    {"keyInvalid", "keyExpired", "accessNotConfigured", "ipRefererBlocked"} | _GOOGLE_KEY_REASONS
)


class _SearchesSpent(Exception):
    """The day's search allowance is spent; comments can still be read."""


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class YouTubeCollector:
    platform = "youtube"

    def __init__(
        self,
        name: str,
        *,
        api_key: str,
        key_env: str,
        queries: Sequence[BrandQuery],
        keep: Callable[[str], bool],
        channels: Sequence[tuple[str, str | None]] = (),
        follow: Sequence[Thread] = (),
        daily_quota_units: int = 10_000,
        daily_search_calls: int = 100,
        search_units: int = 0,
        search_pages: int = 1,
        video_days: float = 7.0,
        max_videos: int = 30,
        comment_pages: int = 3,
        reply_pages: int = 1,
        base_url: str = YOUTUBE_API,
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.name, self.key_env = name, key_env
        self.queries, self.keep = list(queries), keep
        self.channels, self.follow = list(channels), list(follow)
        self.daily_quota_units, self.daily_search_calls = daily_quota_units, daily_search_calls
        self.search_units, self.search_pages = search_units, search_pages
        self.video_days, self.max_videos = video_days, max_videos
        self.comment_pages, self.reply_pages = comment_pages, reply_pages
        self.base_url, self.timeout = base_url.rstrip("/"), timeout
        self.policy = policy or RetryPolicy()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "X-Goog-Api-Key": api_key})
        self.quota = QuotaUse(pacific_day(self.clock()))

    @property
    def search_interval(self) -> timedelta:
        """How often one brand may be searched so that every brand fits the day's allowance."""
        calls = len(self.queries) * self.search_pages
        return (
            timedelta(days=calls / self.daily_search_calls)
            if self.daily_search_calls
            else timedelta.max
        )

    def collect(self, cursors: Cursors) -> Iterator[Item]:
        self.quota = load_quota(cursors.get, self.clock())
        if self.quota.units >= self.daily_quota_units:
            raise self._spent()
        watched = self._watch_list(cursors)
        failed: list[str] = []
        for what, step in self._steps(cursors, watched):
            try:
                yield from step()
            except (AccessDenied, BudgetSpent, HostUnreachable):
                raise  # the budget, the key or the host: every other step would fail too
            except CollectorError as error:
                failed.append(f"{what}: {error}")
        if failed:
            raise CollectorError(f"{len(failed)} YouTube steps failed; first: {failed[0]}")

    def _steps(
        self, cursors: Cursors, watched: dict[str, dict[str, Any]]
    ) -> Iterator[tuple[str, Callable[[], Iterator[Item]]]]:
        """Searches first (their own allowance), then what costs units, newest videos first."""
        for query in self.queries if self.daily_search_calls else []:
            yield f"search {query.brand}", partial(self._search, cursors, query, watched)
        for channel, brand in self.channels:
            yield f"channel {channel}", partial(self._channel, cursors, channel, brand, watched)
        tops: set[str] = set()  # several UMOT replies under one comment: one call
        for thread in self.follow:
            if (top := thread.native_id.split(".")[0]) not in tops:
                tops.add(top)
                yield f"thread {top}", partial(self._followed, cursors, thread, watched)
        self._prune(watched)  # after the searches added theirs
        for video_id in [v for v, entry in watched.items() if not entry.get("closed")]:
            yield f"video {video_id}", partial(self._video, cursors, video_id, watched)

    def _watch_list(self, cursors: Cursors) -> dict[str, dict[str, Any]]:
        videos = {
            video_id: entry
            for video_id, entry in json_dict(cursors.get(VIDEOS_KEY)).items()
            if isinstance(entry, dict) and isinstance(entry.get("published"), str)
        }
        self._prune(videos)
        return videos

    def _prune(self, videos: dict[str, dict[str, Any]]) -> None:
        """Videos whose comments are read: the newest ``max_videos`` of the last ``video_days``,
        newest first, so that a short budget goes to the liveliest comment sections."""
        since = _iso(self.clock() - timedelta(days=self.video_days))
        newest = sorted(
            (v for v in videos if videos[v]["published"] >= since),
            key=lambda v: videos[v]["published"],
            reverse=True,
        )[: self.max_videos]
        kept = {video_id: videos[video_id] for video_id in newest}
        videos.clear()
        videos.update(kept)

    def _search(
        self, cursors: Cursors, query: BrandQuery, watched: dict[str, dict[str, Any]]
    ) -> Iterator[Item]:
        terms = " | ".join(f'"{term}"' if " " in term else term for term in query.terms)
        key, now = f"search {terms}", self.clock()
        state = json_dict(cursors.get(key))
        if state.get("at") and now - _time(state["at"]) < self.search_interval:
            return  # searched recently: the day's allowance is spread over all brands
        since = _time(state["after"]) - SEARCH_OVERLAP if state.get("after") else None
        params: dict[str, str | int] = {
            "part": "snippet",
            "q": terms,
            "type": "video",
            "order": "date",
            "maxResults": 50,
            "publishedAfter": _iso(since or now - timedelta(days=self.video_days)),
        }
        newest, searched = state.get("after"), False
        try:
            for page in self._pages(cursors, "search", params, self.search_pages):
                searched = True
                for item in (page or {}).get("items") or []:
                    video = safe_record("youtube", video_record, item, query.brand, terms)
                    if not isinstance(video, Mention):  # a reject
                        yield video
                        continue
                    published = _iso(video.created_at)
                    newest = max(newest or published, published)
                    if video.native_id in watched:
                        continue
                    named = self.keep(video.text)
                    if named:  # a video naming the brand is a mention; others only hold comments
                        yield video
                    watched[video.native_id] = {
                        "brand": query.brand if named else None,
                        "stored": named,
                        "published": published,
                    }
        except _SearchesSpent:
            pass  # until midnight Pacific Time; the comments of known videos still come
        if searched:
            cursors.advance(key, json.dumps({"after": newest, "at": _iso(now)}))
            cursors.advance(VIDEOS_KEY, json.dumps(watched, sort_keys=True))

    def _channel(
        self, cursors: Cursors, channel: str, brand: str | None, watched: dict[str, Any]
    ) -> Iterator[Item]:
        key = f"channel {channel}"
        since = cursors.get(key)
        newest = yield from self._threads(
            cursors, {"allThreadsRelatedToChannelId": channel}, since, brand, watched, key
        )
        if newest and newest != since:
            cursors.advance(key, newest)

    def _video(self, cursors: Cursors, video_id: str, watched: dict[str, Any]) -> Iterator[Item]:
        entry = watched[video_id]
        seen = entry.get("seen")
        newest = yield from self._threads(
            cursors, {"videoId": video_id}, seen, entry.get("brand"), watched, f"video {video_id}"
        )
        if newest is None:  # comments turned off, or the video is gone: stop paying for it
            entry["closed"] = True  # (kept, so that a search finding it again does not add it)
        elif newest and newest != seen:
            entry["seen"] = newest
        cursors.advance(VIDEOS_KEY, json.dumps(watched, sort_keys=True))

    def _threads(
        self,
        cursors: Cursors,
        filter_: dict[str, str],
        since: str | None,
        brand: str | None,
        watched: dict[str, Any],
        query: str,
    ) -> Generator[Item, None, str | None]:
        """Newest threads first, back to the first one seen before; returns the newest
        thread's time ("" for none yet), or None when the comments cannot be read at all."""
        stored = {video_id for video_id, entry in watched.items() if entry.get("stored")}
        keep_all = brand is not None
        params: dict[str, str | int] = {
            "part": "snippet,replies",
            "order": "time",
            "maxResults": 100,
            "textFormat": "plainText",
            **filter_,
        }
        newest = since or ""
        for page in self._pages(cursors, "commentThreads", params, self.comment_pages):
            if page is None:
                return None
            reached = False
            for thread in page.get("items") or []:
                top = safe_record("youtube", thread_record, thread, stored, brand, query)
                if not isinstance(top, Mention):  # a reject
                    yield top
                    continue
                published = _iso(top.created_at)
                new = not since or published > since
                reached = reached or not new
                newest = max(newest, published)
                video_id = top.conversation_id
                replies = [
                    safe_record("youtube", comment_record, c, video_id, top.native_id, brand, query)
                    for c in (thread.get("replies") or {}).get("comments") or []
                ]
                texts = [top.text, *(r.text for r in replies if isinstance(r, Mention))]
                if not (keep_all or any(self.keep(text) for text in texts)):
                    continue  # an unbranded channel's thread that never names a brand
                yield top
                yield from replies
                if new and (top.replies or 0) > len(replies):
                    yield from self._replies(cursors, top.native_id, video_id, brand, query)
            if reached:
                break
        return newest

    def _replies(
        self, cursors: Cursors, top_id: str, video_id: str | None, brand: str | None, query: str
    ) -> Iterator[Item]:
        """All replies to a top-level comment (the inline ones again: upserts are idempotent)."""
        params: dict[str, str | int] = {
            "part": "snippet",
            "parentId": top_id,
            "maxResults": 100,
            "textFormat": "plainText",
        }
        for page in self._pages(cursors, "comments", params, self.reply_pages):
            for reply in (page or {}).get("items") or []:
                yield safe_record("youtube", comment_record, reply, video_id, top_id, brand, query)

    def _followed(
        self, cursors: Cursors, thread: Thread, watched: dict[str, Any]
    ) -> Iterator[Item]:
        """Replies under a recent UMOT comment (a reply's id is ``<top-level id>.<own id>``)."""
        top_id = thread.native_id.split(".")[0]
        if top_id == thread.conversation_id:  # the UMOT post is a stored video: watch it
            watched.setdefault(
                top_id, {"brand": thread.brand, "stored": True, "published": _iso(self.clock())}
            )
            return
        yield from self._replies(cursors, top_id, thread.conversation_id, thread.brand, "thread")

    def _spend(self, cursors: Cursors, endpoint: str) -> None:
        """Count one call before it is made; refuse it if it would overrun the budget."""
        day = pacific_day(self.clock())
        if day != self.quota.day:  # the run went past midnight Pacific Time
            self.quota = QuotaUse(day)
        cost = 1
        if endpoint == "search":
            if self.quota.searches >= self.daily_search_calls:
                raise _SearchesSpent
            cost = self.search_units
        if self.quota.units + cost > self.daily_quota_units:
            raise self._spent()
        self.quota.units += cost
        self.quota.searches += endpoint == "search"
        cursors.advance(QUOTA_KEY, json.dumps(asdict(self.quota)))

    def _spent(self, answered: bool = False) -> QuotaSpent:
        quota, budget = self.quota, self.daily_quota_units
        counted = (
            f"YouTube answered quotaExceeded after {quota.units:,} of {budget:,} units "
            "counted here; other users of the key's project count too"
            if answered
            else f"{quota.units:,} of {budget:,} units"
        )
        return QuotaSpent(
            f"YouTube quota for {quota.day} spent ({counted}); resuming after midnight Pacific Time"
        )

    def _pages(
        self, cursors: Cursors, endpoint: str, params: dict[str, str | int], pages: int
    ) -> Iterator[dict[str, Any] | None]:
        """Up to ``pages`` pages of a list, following ``nextPageToken``."""
        for _ in range(pages):
            page = self._get(cursors, endpoint, params)
            yield page
            if not (page or {}).get("nextPageToken"):
                return
            params = {**params, "pageToken": page["nextPageToken"]}

    def _get(
        self, cursors: Cursors, endpoint: str, params: dict[str, str | int]
    ) -> dict[str, Any] | None:
        """One page of an API list; None when the video or channel cannot be read."""
        url = f"{self.base_url}/{endpoint}"

        def attempt() -> dict[str, Any] | None:
            self._spend(cursors, endpoint)  # every attempt: Google charges failed calls too
            try:
                response = self.session.get(url, params=params, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as error:
                raise Transient(type(error).__name__, connection=True) from None
            if response.status_code == 200:
                try:
                    body = response.json()
                except ValueError:
                    raise CollectorError(f"YouTube {endpoint} did not answer JSON") from None
                if not isinstance(body, dict):
                    raise CollectorError(f"YouTube {endpoint} answered {type(body).__name__}")
                return body
            return self._refusal(cursors, endpoint, response)

        return self.policy.call(f"YouTube {endpoint}", attempt)

    def _refusal(self, cursors: Cursors, endpoint: str, response: requests.Response) -> None:
        """YouTube's error body in umot's terms (its ``reason`` says more than the status)."""
        status = response.status_code
        reasons, message = _reasons(response)
        if status == 429 or reasons & RATE_REASONS:
            raise RateLimited(wait_from_headers(response.headers))
        if status >= 500:
            raise Transient(f"HTTP {status}")
        if reasons & QUOTA_REASONS:
            if endpoint == "search":  # only the search allowance is spent
                self.quota.searches = max(self.quota.searches, self.daily_search_calls)
                cursors.advance(QUOTA_KEY, json.dumps(asdict(self.quota)))
                raise _SearchesSpent
            error = self._spent(answered=True)
            self.quota.units = max(self.quota.units, self.daily_quota_units)
            cursors.advance(QUOTA_KEY, json.dumps(asdict(self.quota)))
            raise error
        if reasons & KEY_REASONS or status == 401:
            why = ", ".join(sorted(reasons & KEY_REASONS)) or f"HTTP {status}"
            raise CredentialError(
                f"YouTube refused the API key in {self.key_env} ({why}): {message}"
            )
        if status == 404 or reasons & CLOSED_REASONS:
            return None
        why = ", ".join(sorted(reasons)) or "no reason given"
        raise CollectorError(f"YouTube {endpoint} answered HTTP {status} ({why}): {message}")


def _reasons(response: requests.Response) -> tuple[set[str], str]:
    """The ``reason``s of a Google error body (``errors[]`` and ``details[]``), its message."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return set(), response.reason or ""
    if not isinstance(error, dict):
        return set(), str(error)
    reasons = {
        str(entry["reason"])
        for entry in [*(error.get("errors") or []), *(error.get("details") or [])]
        if isinstance(entry, dict) and entry.get("reason")
    }
    return reasons, html_to_text(str(error.get("message") or ""))
