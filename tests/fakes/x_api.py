"""A fake of X API v2 recent search (``GET /2/tweets/search/recent``).

Payloads follow the documented shape: ``data`` (tweets with ``public_metrics``,
``referenced_tweets``, ``conversation_id``), ``includes.users`` / ``includes.tweets``
for the requested expansions, and ``meta`` with ``newest_id``, ``oldest_id``,
``result_count`` and ``next_token``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.server import Request, Response

TOKEN = "test-bearer-token"
STALE_SINCE = "'since_id' must be a tweet id created after the start of the recent search window."
BAD_MAX_RESULTS = "The `max_results` query parameter value is not between 10 and 100"
TWITTER_EPOCH_MS = 1288834974657


def snowflake(when: datetime, sequence: int = 0) -> str:
    return str((int(when.timestamp() * 1000) - TWITTER_EPOCH_MS) << 22 | sequence)


class FakeX:
    def __init__(self) -> None:
        self.tweets: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.broken: list[Any] = []  # served as-is in the next answer's `data`

    def user(self, user_id: str, username: str, followers: int = 10) -> str:
        self.users[user_id] = {
            "id": user_id,
            "name": username.title(),
            "username": username,
            "public_metrics": {"followers_count": followers, "following_count": 3},
        }
        return user_id

    def tweet(
        self,
        text: str,
        author_id: str,
        minutes_ago: int,
        *,
        replied_to: str | None = None,
        quoted: str | None = None,
        retweeted: str | None = None,
        lang: str = "nl",
        likes: int = 0,
    ) -> str:
        when = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes_ago)
        tweet_id = snowflake(when, len(self.tweets))
        references = [
            {"type": kind, "id": target}
            for kind, target in (
                ("replied_to", replied_to),
                ("quoted", quoted),
                ("retweeted", retweeted),
            )
            if target
        ]
        parent = self.tweets.get(replied_to or "")
        self.tweets[tweet_id] = {
            "id": tweet_id,
            "text": text,
            "author_id": author_id,
            "created_at": when.isoformat().replace("+00:00", ".000Z"),
            "lang": lang,
            "conversation_id": parent["conversation_id"] if parent else tweet_id,
            "edit_history_tweet_ids": [tweet_id],
            "public_metrics": {
                "retweet_count": 0,
                "reply_count": 0,
                "like_count": likes,
                "quote_count": 0,
                "bookmark_count": 0,
                "impression_count": likes * 40,
            },
            **({"referenced_tweets": references} if references else {}),
        }
        return tweet_id

    def _matches(self, query: str, tweet: dict[str, Any]) -> bool:
        if query.startswith("conversation_id:"):
            return (
                tweet["conversation_id"] == query.split(":", 1)[1]
                and tweet["id"] != tweet["conversation_id"]
            )
        no_retweets = "-is:retweet" in query
        terms = query.replace("-is:retweet", "").strip().strip("()").split(" OR ")
        kinds = {ref["type"] for ref in tweet.get("referenced_tweets", [])}
        if no_retweets and "retweeted" in kinds:
            return False
        text = tweet["text"].lower()
        return any(term.strip().strip('"').lower() in text for term in terms)

    def handle(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return Response(
                401,
                {
                    "title": "Unauthorized",
                    "type": "about:blank",
                    "status": 401,
                    "detail": "Unauthorized",
                },
            )
        if request.path != "/2/tweets/search/recent":
            return Response(404, {"title": "Not Found Error", "status": 404})
        params = request.query
        size = int(params.get("max_results", 10))
        if not 10 <= size <= 100:
            return Response(
                400,
                {
                    "errors": [
                        {
                            "parameters": {"max_results": [str(size)]},
                            "message": BAD_MAX_RESULTS,
                        }
                    ],
                    "title": "Invalid Request",
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                },
            )
        since = int(params.get("since_id", 0))
        if since and (since >> 22) + TWITTER_EPOCH_MS < (time.time() - 7 * 86400) * 1000:
            return Response(
                400,
                {
                    "errors": [
                        {
                            "parameters": {"since_id": [str(since)]},
                            "message": f"Invalid 'since_id':'{since}'. {STALE_SINCE}",
                        }
                    ],
                    "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                },
            )
        found = sorted(
            (
                t
                for t in self.tweets.values()
                if int(t["id"]) > since and self._matches(params["query"], t)
            ),
            key=lambda t: int(t["id"]),
            reverse=True,
        )
        offset = int(params.get("next_token", "0") or 0)
        page = found[offset : offset + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta["newest_id"], meta["oldest_id"] = page[0]["id"], page[-1]["id"]
        if offset + size < len(found):
            meta["next_token"] = str(offset + size)
        body: dict[str, Any] = {"meta": meta}
        if self.broken:
            body["data"], self.broken = list(self.broken), []
        if page:
            body["data"] = body.get("data", []) + page
            referenced = [
                self.tweets[ref["id"]]
                for tweet in page
                for ref in tweet.get("referenced_tweets", [])
                if ref["id"] in self.tweets
            ]
            authors = {t["author_id"] for t in page + referenced}
            body["includes"] = {
                "users": [self.users[a] for a in sorted(authors) if a in self.users]
            }
            if referenced:
                body["includes"]["tweets"] = referenced
        return Response(200, body, {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "449"})
