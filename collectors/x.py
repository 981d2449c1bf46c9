"""X / Twitter through tweepy's API v2 ``Client``: recent search, per-query ``since_id``.

One search per brand (its terms OR-ed), paged with ``next_token`` up to a per-run cap,
plus ``conversation_id:`` searches for recent UMOT posts so that the replies they draw
are stored too. tweepy's own rate-limit sleeping is off: waits go through
``RetryPolicy`` so that they are logged, capped and testable, and paid-tier errors
become one line a community manager can act on.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
import tweepy
from requests.adapters import HTTPAdapter

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
    log,
    wait_from_headers,
)
from storage import Rejected
from storage.mention import CONTEXT_QUERY

X_API = "https://api.twitter.com"
# tweepy logs whole request headers, the bearer token included, at DEBUG level: whatever
# logging a user turns on, those lines must never be written.
logging.getLogger("tweepy.client").setLevel(logging.INFO)
EXPANSIONS = ["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id"]
TWEET_FIELDS = [
    "author_id",
    "conversation_id",
    "created_at",
    "entities",
    "in_reply_to_user_id",
    "lang",
    "note_tweet",
    "public_metrics",
    "referenced_tweets",
]
USER_FIELDS = ["name", "username", "public_metrics", "verified"]
REFERENCE_FIELDS = {"replied_to": "parent_id", "quoted": "quoted_id", "retweeted": "reposted_id"}
# X's codes for "no linguistic content" or "undetermined", which are not languages.
NOT_LANGUAGES = frozenset({"und", "qme", "qam", "qct", "qht", "qst", "zxx", "art"})
PAGE_MAX = 100
PAGE_MIN = 10
# X escapes exactly these three in post text (``&amp;`` for every ``&``), nothing else.
_ESCAPED = re.compile(r"&(amp|lt|gt);")
_UNESCAPED = {"amp": "&", "lt": "<", "gt": ">"}
_NOT_FETCHED_AGAIN = "not fetched again once this search completes: the X cursor then moves past it"


class StaleCursor(Exception):
    """X refuses a ``since_id`` older than recent search's window."""


class _ApiAdapter(HTTPAdapter):
    """Gives tweepy's session a timeout, and sends it to another base URL if configured.

    tweepy builds every URL on ``https://api.twitter.com``; a proxy, a mirror or a test
    server is reached by rewriting that prefix here, below tweepy.
    """

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__()
        self.base_url, self.timeout = base_url.rstrip("/"), timeout

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if self.base_url != X_API and request.url and request.url.startswith(X_API):
            request.url = self.base_url + request.url[len(X_API) :]
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        return super().send(request, **kwargs)


def build_query(terms: Sequence[str], *, retweets: bool) -> str:
    quoted = [f'"{term}"' if " " in term else term for term in terms]
    query = quoted[0] if len(quoted) == 1 else "(" + " OR ".join(quoted) + ")"
    return query if retweets else f"{query} -is:retweet"


def unescape(text: str) -> str:
    """The text as written: X sends ``&``, ``<`` and ``>`` as HTML entities."""
    return _ESCAPED.sub(lambda found: _UNESCAPED[found.group(1)], text)


def _full_text(tweet: dict[str, Any]) -> str:
    # Long posts arrive truncated in `text`; the whole text is in `note_tweet`.
    return unescape((tweet.get("note_tweet") or {}).get("text") or tweet["text"])


def _reposted(tweet: dict[str, Any]) -> str | None:
    for reference in tweet.get("referenced_tweets") or []:
        if reference.get("type") == "retweeted":
            return reference.get("id")
    return None


def tweet_record(
    tweet: dict[str, Any],
    users: dict[str, dict[str, Any]],
    brand: str | None,
    query: str,
    referenced: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A Mention's fields from a v2 tweet; ``referenced`` is the page's ``includes.tweets``."""
    author = users.get(tweet.get("author_id", ""), {})
    metrics = tweet.get("public_metrics") or {}
    text = _full_text(tweet)
    if (original_id := _reposted(tweet)) is not None:
        # A retweet's text is "RT @name: " and a cut-off copy of the original, and its
        # public_metrics are the original's: it has no engagement of its own.
        original = (referenced or {}).get(original_id)
        if original is not None and original.get("text"):
            text = _full_text(original)
        metrics = dict.fromkeys(("like_count", "retweet_count", "reply_count", "quote_count"), 0)
    lang = tweet.get("lang")
    record: dict[str, Any] = {
        "platform": "x",
        "native_id": tweet["id"],
        "text": text,
        "created_at": tweet["created_at"],
        "author_id": tweet.get("author_id"),
        "author_handle": author.get("username"),
        "author_name": author.get("name"),
        "author_followers": (author.get("public_metrics") or {}).get("followers_count"),
        "url": f"https://x.com/{author.get('username') or 'i/web'}/status/{tweet['id']}",
        "lang": None if lang in NOT_LANGUAGES else lang,
        "conversation_id": tweet.get("conversation_id"),
        "likes": metrics.get("like_count"),
        "reposts": metrics.get("retweet_count"),
        "replies": metrics.get("reply_count"),
        "quotes": metrics.get("quote_count"),
        "brand": brand,
        "query": query,
        "raw": {"tweet": tweet, "author": author or None},
    }
    for reference in tweet.get("referenced_tweets") or []:
        if field := REFERENCE_FIELDS.get(reference["type"]):
            record[field] = reference["id"]
    return record


READS = "budget:reads"  # the cursor that counts posts read (X bills per post read)


@dataclass
class Reads:
    """Posts read today and this month (UTC): what X bills, and what the daily cap stops."""

    day: str
    month: str
    today: int = 0
    this_month: int = 0

    @classmethod
    def load(cls, load_cursor: Callable[[str], str | None], now: datetime | None = None) -> Reads:
        now = now or datetime.now(UTC)
        day, month = now.strftime("%Y-%m-%d"), now.strftime("%Y-%m")
        try:
            stored = json.loads(load_cursor(READS) or "{}")
        except ValueError:
            stored = {}
        stored = stored if isinstance(stored, dict) else {}
        return cls(
            day,
            month,
            int(stored.get("today") or 0) if stored.get("day") == day else 0,
            int(stored.get("this_month") or 0) if stored.get("month") == month else 0,
        )

    def add(self, posts: int) -> str:
        self.today += posts
        self.this_month += posts
        return json.dumps(dataclasses.asdict(self))


class XCollector:
    platform = "x"

    def __init__(
        self,
        name: str,
        *,
        bearer_token: str,
        token_env: str,
        queries: Sequence[BrandQuery],
        follow: Sequence[Thread] = (),
        max_results_per_query: int = 500,
        max_results_per_conversation: int = 200,
        include_retweets: bool = True,
        base_url: str = X_API,
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
        max_posts_per_day: int | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``max_posts_per_day`` stops the source for the (UTC) day once that many posts
        were read, included ones too: X bills every post it returns."""
        self.name = name
        self.token_env = token_env
        self.max_posts_per_day, self.clock = max_posts_per_day, clock
        self.queries, self.follow = list(queries), list(follow)
        self.max_results_per_query = max_results_per_query
        self.max_results_per_conversation = max_results_per_conversation
        self.include_retweets = include_retweets
        self.policy = policy or RetryPolicy()
        self.client = tweepy.Client(bearer_token, return_type=dict, wait_on_rate_limit=False)
        self.client.user_agent = f"{USER_AGENT} {self.client.user_agent}"
        adapter = _ApiAdapter(base_url, timeout)
        self.client.session.mount("https://", adapter)
        self.client.session.mount("http://", adapter)

    def collect(self, cursors: Cursors) -> Iterator[Item]:
        failed: list[str] = []
        matched: set[str] = set()  # ids yielded as search hits: never re-yielded as context
        searches = [
            (
                build_query(q.terms, retweets=self.include_retweets),
                q.brand,
                self.max_results_per_query,
            )
            for q in self.queries
        ] + [
            (
                f"conversation_id:{t.conversation_id or t.native_id}",
                t.brand,
                self.max_results_per_conversation,
            )
            for t in self.follow
        ]
        for query, brand, limit in searches:
            try:
                yield from self._search_all(cursors, query, brand, limit, matched)
            except (AccessDenied, BudgetSpent, HostUnreachable):
                raise
            except CollectorError as error:
                failed.append(str(error))
        if failed:
            raise CollectorError(f"{len(failed)} X searches failed; first: {failed[0]}")

    def _search_all(
        self, cursors: Cursors, query: str, brand: str | None, limit: int, matched: set[str]
    ) -> Iterator[Item]:
        since_id = cursors.get(query)
        newest: str | None = None
        next_token: str | None = None
        fetched = 0
        while fetched < limit:
            reads = Reads.load(cursors.get, self.clock())
            left = self._budget_left(reads)
            try:
                page = self._search(
                    query=query,
                    since_id=since_id,
                    next_token=next_token,
                    max_results=min(PAGE_MAX, max(PAGE_MIN, min(limit - fetched, left))),
                )
            except StaleCursor:
                # The last run is older than recent search's 7 days: take what is there.
                log.warning("X: cursor of %r is older than 7 days; starting over", query)
                since_id = next_token = None
                continue
            meta = page.get("meta") or {}
            newest = newest or meta.get("newest_id")
            includes = page.get("includes") or {}
            billed = len(page.get("data") or []) + len(includes.get("tweets") or [])
            cursors.advance(READS, reads.add(billed))
            users = {user["id"]: user for user in includes.get("users") or [] if "id" in user}
            referenced = {
                str(tweet["id"]): tweet
                for tweet in includes.get("tweets") or []
                if isinstance(tweet, dict) and "id" in tweet
            }
            for tweet in page.get("data") or []:
                fetched += 1
                item = safe_record("x", tweet_record, tweet, users, brand, query, referenced)
                if isinstance(item, Rejected):
                    item = dataclasses.replace(item, reason=f"{item.reason}; {_NOT_FETCHED_AGAIN}")
                else:
                    matched.add(item.native_id)
                yield item
            # Tweets replied to, quoted or reposted: the context that links threads up.
            # A tweet that is itself a hit (on this page or an earlier one) is not
            # yielded again as context: that copy knows neither its brand nor its query.
            for tweet_id, tweet in referenced.items():
                if tweet_id not in matched:
                    yield safe_record("x", tweet_record, tweet, users, None, CONTEXT_QUERY)
            next_token = meta.get("next_token")
            if not next_token:
                break
        if newest and (since_id is None or int(newest) > int(since_id)):
            cursors.advance(query, newest)

    def _budget_left(self, reads: Reads) -> int:
        if self.max_posts_per_day is None:
            return PAGE_MAX
        left = self.max_posts_per_day - reads.today
        if left <= 0:
            raise BudgetSpent(
                f"X budget for {reads.day} spent ({reads.today:,} of "
                f"{self.max_posts_per_day:,} posts read, max_posts_per_day); "
                "resuming tomorrow (UTC)"
            )
        return left

    def _search(self, **params: Any) -> dict[str, Any]:
        query = params["query"]

        def attempt() -> dict[str, Any]:
            try:
                return self.client.search_recent_tweets(
                    **{key: value for key, value in params.items() if value is not None},
                    expansions=EXPANSIONS,
                    tweet_fields=TWEET_FIELDS,
                    user_fields=USER_FIELDS,
                )
            except tweepy.TooManyRequests as error:
                problem = _problem(error.response)
                if "usage" in f"{problem.get('title', '')} {problem.get('type', '')}".lower():
                    raise AccessDenied(
                        "X: the monthly usage cap of this API plan is reached "
                        f"({problem.get('detail') or 'UsageCapExceeded'}); "
                        "collecting resumes when the cap resets"
                    ) from None
                raise RateLimited(wait_from_headers(error.response.headers)) from None
            except tweepy.TwitterServerError as error:
                raise Transient(f"HTTP {error.response.status_code}") from None
            except (requests.ConnectionError, requests.Timeout) as error:
                raise Transient(type(error).__name__, connection=True) from None
            except tweepy.Unauthorized:
                raise CredentialError(
                    f"X refused the bearer token in {self.token_env} (401 Unauthorized)"
                ) from None
            except tweepy.Forbidden as error:
                problem = _problem(error.response)
                if problem.get("reason") == "client-not-enrolled":
                    raise AccessDenied(
                        "X: this app may not use API v2 recent search (403 client-not-enrolled); "
                        "it needs a paid access tier (Basic or above) and the app attached "
                        "to a Project in the developer portal"
                    ) from None
                raise CollectorError(f"X refused the search (403): {_messages(error)}") from None
            except tweepy.BadRequest as error:
                if params.get("since_id") and any("since_id" in m for m in error.api_messages):
                    raise StaleCursor from None
                raise CollectorError(
                    f"X rejected the search {query!r}: {_messages(error)}"
                ) from None
            except tweepy.HTTPException as error:
                status = error.response.status_code
                raise CollectorError(f"X answered {status}: {_messages(error)}") from None

        return self.policy.call(f"X search {query!r}", attempt)


def _problem(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _messages(error: tweepy.HTTPException) -> str:
    return "; ".join(error.api_messages) or error.response.reason or "no details"
