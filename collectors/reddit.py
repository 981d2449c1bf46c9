"""Reddit through praw, read-only (application credentials, no user account).

Reddit's API searches submissions, not comments, so comments are found two ways: the
comment forests of matching submissions (which also gives umot the thread structure:
every comment keeps its ``parent_id``), and the newest comments of the configured
subreddits, filtered by the brand terms. prawcore already paces requests by Reddit's
``x-ratelimit-*`` headers and retries 5xx twice; a 429 that still gets through is waited
out through ``RetryPolicy``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

import praw
import prawcore
import requests

from collectors.base import BrandQuery, Cursors, Item, Thread, safe_record
from collectors.http import (
    USER_AGENT,
    AccessDenied,
    CollectorError,
    CredentialError,
    HostUnreachable,
    RateLimited,
    RetryPolicy,
    Transient,
    from_epoch,
    wait_from_headers,
)

REDDIT_URL = "https://www.reddit.com"
OAUTH_URL = "https://oauth.reddit.com"
DAY = 86_400.0
# What Reddit shows in place of a text its author deleted or a moderator or Reddit removed.
DELETED_BODIES = frozenset({"[deleted]", "[removed]", "[ Removed by Reddit ]"})


def time_filter(since: float, now: float | None = None) -> str:
    """The narrowest of Reddit's search windows that still reaches back to the cursor."""
    if not since:
        return "week"  # a first run looks one week back
    age = (time.time() if now is None else now) - since
    for name, days in (("day", 1), ("week", 7), ("month", 31), ("year", 366)):
        if age < days * DAY - 3600:
            return name
    return "all"


def _json_safe(thing: Any) -> dict[str, Any]:
    """The API fields praw keeps on a model, as JSON (Redditor/Subreddit objects as names)."""
    data: dict[str, Any] = {}
    for key, value in vars(thing).items():
        if key.startswith("_") or key in ("comments", "replies"):
            continue
        if value is None or isinstance(value, str | int | float | bool | list | dict):
            data[key] = value
        else:
            data[key] = str(value)
    return data


def _author(thing: Any) -> str | None:
    return None if thing.author is None else str(thing.author)  # deleted accounts: None


def submission_record(post: Any, brand: str | None, query: str) -> dict[str, Any]:
    body = post.selftext or ""
    text = post.title if not body or body.strip() in DELETED_BODIES else f"{post.title}\n\n{body}"
    return {
        "platform": "reddit",
        "native_id": post.name,  # the fullname, t3_...
        "text": text,
        "created_at": from_epoch(post.created_utc),
        "author_id": _author(post),
        "author_handle": _author(post),
        "url": f"https://www.reddit.com{post.permalink}",
        "conversation_id": post.name,
        "score": post.score,
        "replies": post.num_comments,
        "brand": brand,
        "query": query,
        "raw": {"submission": _json_safe(post)},
    }


def comment_url(comment: Any) -> str:
    """The comment's page; older payloads have no ``permalink``, so it is built from ids.

    Read from the instance's own fields: asking praw for a missing attribute would fetch
    the comment again, one request per comment.
    """
    fields = vars(comment)
    if permalink := fields.get("permalink"):
        return f"https://www.reddit.com{permalink}"
    link = str(fields["link_id"]).removeprefix("t3_")
    subreddit = fields.get("subreddit")
    where = f"/r/{subreddit}" if subreddit else ""
    return f"https://www.reddit.com{where}/comments/{link}/_/{comment.id}/"


def comment_record(comment: Any, brand: str | None, query: str) -> dict[str, Any]:
    return {
        "platform": "reddit",
        "native_id": comment.name,  # t1_...
        "text": comment.body,
        # Kept so that the replies below it stay linked; never classified or counted.
        "deleted": comment.body.strip() in DELETED_BODIES,
        "created_at": from_epoch(comment.created_utc),
        "author_id": _author(comment),
        "author_handle": _author(comment),
        "url": comment_url(comment),
        "parent_id": comment.parent_id,
        "conversation_id": comment.link_id,
        "score": comment.score,
        "brand": brand,
        "query": query,
        "raw": {"comment": _json_safe(comment)},
    }


class RedditCollector:
    platform = "reddit"

    def __init__(
        self,
        name: str,
        *,
        client_id: str,
        client_secret: str,
        credential_envs: tuple[str, str],
        user_agent: str,
        queries: Sequence[BrandQuery],
        keep: Callable[[str], bool],
        follow: Sequence[Thread] = (),
        subreddits: Sequence[str] = ("all",),
        limit_per_query: int = 250,
        thread_days: float = 3.0,
        max_threads: int = 25,
        more_comments: int = 8,
        subreddit_comments: int = 500,
        reddit_url: str = REDDIT_URL,
        oauth_url: str = OAUTH_URL,
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.name = name
        self.credential_envs = credential_envs
        self.queries, self.keep, self.follow = list(queries), keep, list(follow)
        self.subreddits = list(subreddits) or ["all"]
        self.limit_per_query = limit_per_query
        self.thread_days, self.max_threads = thread_days, max_threads
        self.more_comments, self.subreddit_comments = more_comments, subreddit_comments
        self.policy = policy or RetryPolicy()
        self.reddit = praw.Reddit(
            client_id=client_id,
            client_secret=client_secret,
            user_agent=f"{user_agent} {USER_AGENT}",
            reddit_url=reddit_url,
            oauth_url=oauth_url,
            timeout=timeout,
            check_for_updates=False,
            check_for_async=False,
        )
        self.reddit.read_only = True

    def collect(self, cursors: Cursors) -> Iterator[Item]:
        threads: dict[str, tuple[Any, str | None]] = {}
        failed: list[str] = []
        steps: list[tuple[str, Callable[[], Iterator[Item]]]] = [
            (f"search {q.brand}", partial(self._search, cursors, q, threads)) for q in self.queries
        ]
        steps += [
            (f"comments r/{sub}", partial(self._subreddit_comments, cursors, sub))
            for sub in self.subreddits
            if sub.lower() != "all"
        ]
        steps.append(("comment trees", partial(self._threads, threads)))
        for what, step in steps:
            try:
                yield from step()
            except CredentialError:
                first, second = self.credential_envs
                raise CredentialError(
                    f"Reddit refused the app credentials in {first} and {second} (401)"
                ) from None
            except (AccessDenied, HostUnreachable):
                raise
            except CollectorError as error:
                failed.append(f"{what}: {error}")
        if failed:
            raise CollectorError(f"{len(failed)} Reddit steps failed; first: {failed[0]}")

    def _search(
        self, cursors: Cursors, query: BrandQuery, threads: dict[str, tuple[Any, str | None]]
    ) -> Iterator[Item]:
        terms = " OR ".join(f'"{term}"' if " " in term else term for term in query.terms)
        since = float(cursors.get(terms) or 0)
        follow_after = time.time() - self.thread_days * DAY
        newest = since
        listing = self.reddit.subreddit("+".join(self.subreddits)).search(
            terms, sort="new", time_filter=time_filter(since), limit=self.limit_per_query
        )
        for post in self._paced(listing, f"Reddit search {terms!r}"):
            if post.created_utc <= since and post.created_utc < follow_after:
                break  # sorted newest first: the rest is stored and no longer followed
            newest = max(newest, post.created_utc)
            if post.created_utc > since:
                yield safe_record("reddit", submission_record, post, query.brand, terms)
            if post.created_utc >= follow_after and post.num_comments:
                threads.setdefault(post.id, (post, query.brand))
        if newest > since:
            cursors.advance(terms, repr(newest))

    def _subreddit_comments(self, cursors: Cursors, subreddit: str) -> Iterator[Item]:
        key = f"comments:r/{subreddit}"
        since = float(cursors.get(key) or 0)
        newest = since
        listing = self.reddit.subreddit(subreddit).comments(limit=self.subreddit_comments)
        for comment in self._paced(listing, f"Reddit comments r/{subreddit}"):
            if comment.created_utc <= since:
                break
            newest = max(newest, comment.created_utc)
            if self.keep(comment.body or ""):
                yield safe_record("reddit", comment_record, comment, None, key)
        if newest > since:
            cursors.advance(key, repr(newest))

    def _threads(self, found: dict[str, tuple[Any, str | None]]) -> Iterator[Item]:
        """Comment forests of matching submissions and of followed UMOT posts' threads."""
        todo = list(found.values())[: self.max_threads]
        for thread in self.follow:
            link = (thread.conversation_id or thread.native_id).removeprefix("t3_")
            if link not in found:
                todo.append((self.reddit.submission(id=link), thread.brand))
        for post, brand in todo[: self.max_threads + len(self.follow)]:
            forest = self.policy.call(
                f"Reddit thread {post.id}", partial(_guard, _forest, post, self.more_comments)
            )
            for comment in forest:
                yield safe_record("reddit", comment_record, comment, brand, "thread")

    def _paced(self, listing: Iterator[Any], what: str) -> Iterator[Any]:
        """Iterate a praw listing; each page fetch goes through the retry policy."""
        iterator = iter(listing)
        while True:
            try:
                item = self.policy.call(what, partial(_guard, next, iterator))
            except StopIteration:
                return
            yield item


def _forest(post: Any, more: int) -> list[Any]:
    try:
        post.comments.replace_more(limit=more)
    except prawcore.NotFound:
        return []  # removed since it was stored: nothing more to follow
    return post.comments.list()


def _guard(call: Callable[..., Any], *args: Any) -> Any:
    """prawcore's exceptions in umot's terms (credentials named by the caller)."""
    try:
        return call(*args)
    except prawcore.TooManyRequests as error:
        raise RateLimited(wait_from_headers(error.response.headers)) from None
    except prawcore.ServerError as error:
        raise Transient(f"HTTP {error.response.status_code}") from None
    except (prawcore.RequestException, requests.ConnectionError) as error:
        raise Transient(type(error).__name__, connection=True) from None
    except prawcore.OAuthException:
        raise CredentialError("Reddit refused the app credentials") from None
    except prawcore.ResponseException as error:
        status = error.response.status_code
        if status == 401:
            raise CredentialError("Reddit refused the app credentials") from None
        if status == 403:
            raise CollectorError(
                "Reddit: forbidden (a private, quarantined or banned subreddit?)"
            ) from None
        raise CollectorError(f"Reddit answered HTTP {status}") from None
