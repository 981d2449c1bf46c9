"""A fake of Reddit's OAuth API as praw uses it in read-only mode.

``POST /api/v1/access_token`` (client credentials), ``GET /r/{subs}/search`` and
``GET /r/{sub}/comments`` (Listings of ``t3``/``t1`` things with ``after`` paging) and
``GET /comments/{id}/`` (the submission and its comment forest, replies nested), with
the ``x-ratelimit-*`` headers Reddit sends.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from tests.fakes.server import Request, Response

CLIENT_ID, CLIENT_SECRET = "test-client-id", "test-client-secret"
ACCESS_TOKEN = "fake-reddit-access-token"
RATE_HEADERS = {"x-ratelimit-remaining": "99", "x-ratelimit-used": "1", "x-ratelimit-reset": "300"}


class FakeReddit:
    def __init__(self) -> None:
        self.posts: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, dict[str, Any]] = {}
        self._counter = 1000
        self.rate_headers = dict(RATE_HEADERS)

    def _id(self) -> str:
        self._counter += 1
        digits, number = "", self._counter
        while number:
            number, digit = divmod(number, 36)
            digits = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + digits
        return digits

    def post(
        self,
        title: str,
        author: str,
        minutes_ago: int,
        *,
        body: str = "",
        sub: str = "thenetherlands",
    ) -> str:
        post_id = self._id()
        self.posts[post_id] = {
            "id": post_id,
            "name": f"t3_{post_id}",
            "title": title,
            "selftext": body,
            "author": author,
            "created_utc": float(int(time.time()) - minutes_ago * 60),
            "subreddit": sub,
            "subreddit_name_prefixed": f"r/{sub}",
            "permalink": f"/r/{sub}/comments/{post_id}/post/",
            "url": f"https://www.reddit.com/r/{sub}/comments/{post_id}/post/",
            "score": 5,
            "upvote_ratio": 0.9,
            "num_comments": 0,
            "over_18": False,
        }
        return f"t3_{post_id}"

    def comment(self, body: str, author: str | None, minutes_ago: int, *, parent: str) -> str:
        comment_id = self._id()
        link = (
            parent
            if parent.startswith("t3_")
            else self.comments[parent.removeprefix("t1_")]["link_id"]
        )
        post = self.posts[link.removeprefix("t3_")]
        post["num_comments"] += 1
        self.comments[comment_id] = {
            "id": comment_id,
            "name": f"t1_{comment_id}",
            "body": body,
            "author": author if author else "[deleted]",
            "created_utc": float(int(time.time()) - minutes_ago * 60),
            "parent_id": parent,
            "link_id": link,
            "subreddit": post["subreddit"],
            "permalink": f"{post['permalink']}{comment_id}/",
            "score": 1,
        }
        return f"t1_{comment_id}"

    # ---- HTTP -------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.path == "/api/v1/access_token":
            return self._token(request)
        if request.headers.get("authorization") != f"bearer {ACCESS_TOKEN}":
            return Response(401, {"message": "Unauthorized", "error": 401})
        parts = [part for part in request.path.split("/") if part]
        if len(parts) == 3 and parts[0] == "r" and parts[2] == "search":
            return self._search(parts[1], request.query)
        if len(parts) == 3 and parts[0] == "r" and parts[2] == "comments":
            return self._subreddit_comments(parts[1], request.query)
        if len(parts) == 2 and parts[0] == "comments":
            return self._thread(parts[1])
        return Response(404, {"message": "Not Found", "error": 404})

    def _token(self, request: Request) -> Response:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return Response(401, {"message": "Unauthorized", "error": 401})
        return Response(
            200,
            {
                "access_token": ACCESS_TOKEN,
                "token_type": "bearer",
                "expires_in": 86400,
                "scope": "*",
            },
        )

    def _listing(self, things: list[tuple[str, dict[str, Any]]], query: dict[str, str]) -> Response:
        names = [data["name"] for _, data in things]
        start = names.index(query["after"]) + 1 if query.get("after") in names else 0
        size = min(int(query.get("limit", 25)), 100)  # Reddit never sends more than 100
        page = things[start : start + size]
        after = page[-1][1]["name"] if start + size < len(things) and page else None
        body = {
            "kind": "Listing",
            "data": {
                "after": after,
                "before": None,
                "dist": len(page),
                "children": [{"kind": kind, "data": data} for kind, data in page],
            },
        }
        return Response(200, body, dict(self.rate_headers))

    def _search(self, subs: str, query: dict[str, str]) -> Response:
        wanted = set(subs.lower().split("+"))
        terms = [term.strip('"').lower() for term in query["q"].split(" OR ")]
        found = [
            post
            for post in self.posts.values()
            if ("all" in wanted or post["subreddit"].lower() in wanted)
            and any(term in f"{post['title']} {post['selftext']}".lower() for term in terms)
        ]
        found.sort(key=lambda post: post["created_utc"], reverse=True)
        return self._listing([("t3", post) for post in found], query)

    def _subreddit_comments(self, sub: str, query: dict[str, str]) -> Response:
        found = sorted(
            (c for c in self.comments.values() if c["subreddit"].lower() == sub.lower()),
            key=lambda c: c["created_utc"],
            reverse=True,
        )
        return self._listing([("t1", c) for c in found], query)

    def _tree(self, parent: str) -> Any:
        children = [c for c in self.comments.values() if c["parent_id"] == parent]
        if not children:
            return ""
        return {
            "kind": "Listing",
            "data": {
                "after": None,
                "before": None,
                "children": [
                    {"kind": "t1", "data": {**c, "replies": self._tree(c["name"])}}
                    for c in children
                ],
            },
        }

    def _thread(self, post_id: str) -> Response:
        post = self.posts.get(post_id)
        if post is None:
            return Response(404, {"message": "Not Found", "error": 404})
        submission = {
            "kind": "Listing",
            "data": {"after": None, "children": [{"kind": "t3", "data": post}]},
        }
        comments = self._tree(post["name"]) or {
            "kind": "Listing",
            "data": {"after": None, "children": []},
        }
        return Response(200, [submission, comments], dict(self.rate_headers))
