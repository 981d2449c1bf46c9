"""A fake Mastodon instance: ``/api/v1/timelines/tag/:tag`` (``since_id``/``max_id``
paging, newest first, ``limit`` ≤ 40), ``/api/v2/search`` (token only) and
``/api/v1/statuses/:id/context``, with Status entities shaped as documented (HTML
``content``, ``account``, ``in_reply_to_id``, counts, ``X-RateLimit-*`` headers).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.server import Request, Response

TOKEN = "test-mastodon-token"


class FakeMastodon:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.statuses: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, list[str]] = {}
        self.next_id = 110_000_000_000_000_000

    def status(
        self,
        html: str,
        username: str,
        minutes_ago: int,
        *,
        tags: tuple[str, ...] = (),
        reply_to: str | None = None,
        followers: int = 25,
        language: str | None = "nl",
    ) -> str:
        self.next_id += 1_000
        status_id = str(self.next_id)
        when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        self.statuses[status_id] = {
            "id": status_id,
            "created_at": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "in_reply_to_id": reply_to,
            "in_reply_to_account_id": self.statuses[reply_to]["account"]["id"]
            if reply_to
            else None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": language,
            "uri": f"https://social.example/users/{username}/statuses/{status_id}",
            "url": f"https://social.example/@{username}/{status_id}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 2,
            "content": html,
            "reblog": None,
            "account": {
                "id": str(abs(hash(username)) % 10**9),
                "username": username,
                "acct": f"{username}@social.example",
                "display_name": username.title(),
                "followers_count": followers,
                "url": f"https://social.example/@{username}",
            },
            "media_attachments": [],
            "mentions": [],
            "tags": [{"name": tag, "url": f"https://social.example/tags/{tag}"} for tag in tags],
        }
        if reply_to:
            self.statuses[reply_to]["replies_count"] += 1
        for tag in tags:
            self.tags.setdefault(tag.lower(), []).append(status_id)
        return status_id

    def handle(self, request: Request) -> Response:
        headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299"}
        parts = [part for part in request.path.split("/") if part]
        if parts[:4] == ["api", "v1", "timelines", "tag"] and len(parts) == 5:
            ids = self.tags.get(parts[4].lower(), [])
            return Response(200, self._page(ids, request.query), headers)
        if parts == ["api", "v2", "search"]:
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return Response(401, {"error": "The access token is invalid"})
            term = request.query["q"].lower()
            ids = [i for i, s in self.statuses.items() if term in s["content"].lower()]
            return Response(
                200,
                {"accounts": [], "hashtags": [], "statuses": self._page(ids, request.query)},
                headers,
            )
        if parts[:3] == ["api", "v1", "statuses"] and len(parts) == 5 and parts[4] == "context":
            if parts[3] not in self.statuses:
                return Response(404, {"error": "Record not found"})
            return Response(
                200, {"ancestors": [], "descendants": self._descendants(parts[3])}, headers
            )
        return Response(404, {"error": "Record not found"})

    def _page(self, ids: list[str], query: dict[str, str]) -> list[dict[str, Any]]:
        limit = min(int(query.get("limit", 20)), 40)
        since = int(query.get("since_id") or query.get("min_id") or 0)
        below = int(query.get("max_id") or 10**30)
        chosen = sorted((int(i) for i in ids if since < int(i) < below), reverse=True)
        return [self.statuses[str(i)] for i in chosen[:limit]]

    def _descendants(self, status_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for child in sorted(self.statuses.values(), key=lambda s: int(s["id"])):
            if child["in_reply_to_id"] == status_id:
                found.append(child)
                found.extend(self._descendants(child["id"]))
        return found
