"""Local servers that replay the payloads in ``tests/fixtures/recorded/``.

The files copy real API responses field by field (nesting, nulls, HTML escaping,
truncation, ``includes`` and ``errors`` on X pages, ``more`` objects in Reddit comment
forests, boosts and quotes on Mastodon), with texts, names and ids the team wrote. Times
are moved so that the newest post in a file is an hour old: the collectors' windows and
the alert rules see them as recent.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.fakes.server import Request, Response

RECORDED = Path(__file__).parent.parent / "fixtures" / "recorded"
_ISO_TIMES = ("created_at", "edited_at")
_EPOCH_TIMES = ("created_utc", "created")


def _times(node: Any) -> list[datetime]:
    found: list[datetime] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _ISO_TIMES and isinstance(value, str) and "T" in value:
                found.append(datetime.fromisoformat(value.replace("Z", "+00:00")))
            elif key in _EPOCH_TIMES and isinstance(value, int | float):
                found.append(datetime.fromtimestamp(value, UTC))
            else:
                found += _times(value)
    elif isinstance(node, list):
        for value in node:
            found += _times(value)
    return found


def _shifted(node: Any, delta: timedelta) -> Any:
    if isinstance(node, dict):
        moved = {}
        for key, value in node.items():
            if key in _ISO_TIMES and isinstance(value, str) and "T" in value:
                when = datetime.fromisoformat(value.replace("Z", "+00:00")) + delta
                moved[key] = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            elif key in (*_EPOCH_TIMES, "edited") and isinstance(value, int | float):
                moved[key] = value if value is False else float(int(value + delta.total_seconds()))
            else:
                moved[key] = _shifted(value, delta)
        return moved
    if isinstance(node, list):
        return [_shifted(value, delta) for value in node]
    return node


def recorded(*names: str, newest_age: timedelta = timedelta(hours=1)) -> list[Any]:
    """The named files, every time in them moved by one amount (the same for all files),
    so that the newest is ``newest_age`` old."""
    payloads = [json.loads((RECORDED / name).read_text(encoding="utf-8")) for name in names]
    newest = max(max(_times(payload)) for payload in payloads)
    delta = datetime.now(UTC) - newest_age - newest
    return [_shifted(payload, delta) for payload in payloads]


class RecordedX:
    """``GET /2/tweets/search/recent``: the two recorded pages for the Velora query
    (``next_token`` leads from the first to the second), empty pages for anything else
    and for any search with a ``since_id`` (nothing new)."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.first, self.second = recorded("x_search_page1.json", "x_search_page2.json")

    def handle(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Response(401, {"title": "Unauthorized", "status": 401, "detail": "Unauthorized"})
        if request.path != "/2/tweets/search/recent":
            return Response(404, {"title": "Not Found Error", "status": 404})
        query = request.query
        if "Velora" not in query.get("query", "") or query.get("since_id"):
            return Response(200, {"meta": {"result_count": 0}})
        if query.get("next_token") == self.first["meta"]["next_token"]:
            return Response(200, self.second)
        return Response(200, self.first)


class RecordedReddit:
    """The OAuth token, a search that finds the recorded submission, its comment forest
    (``GET /comments/:id``), the comments behind its ``more`` objects (``POST
    /api/morechildren``) and an older subreddit comment listing without permalinks."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self.thread, self.more, self.comments = recorded(
            "reddit_comments_thread.json",
            "reddit_morechildren.json",
            "reddit_subreddit_comments.json",
        )

    def handle(self, request: Request) -> Response:
        headers = {
            "x-ratelimit-remaining": "98",
            "x-ratelimit-used": "2",
            "x-ratelimit-reset": "412",
        }
        parts = [part for part in request.path.split("/") if part]
        if parts == ["api", "v1", "access_token"]:
            if request.headers.get("authorization") != f"Basic {self.basic}":
                return Response(401, {"message": "Unauthorized", "error": 401})
            return Response(
                200,
                {
                    "access_token": "recorded-token",
                    "token_type": "bearer",
                    "expires_in": 86400,
                    "scope": "*",
                },
            )
        if len(parts) == 3 and parts[0] == "r" and parts[2] == "search":
            found = [] if "Velora" not in request.query.get("q", "") else self.thread[0]["data"]
            children = found["children"] if found else []
            body = {
                "kind": "Listing",
                "data": {"after": None, "dist": len(children), "children": children},
            }
            return Response(200, body, headers)
        if len(parts) == 2 and parts[0] == "comments":
            return Response(200, self.thread, headers)
        if parts == ["api", "morechildren"]:  # only the children asked for, as Reddit does
            wanted = set((request.form() or request.query).get("children", "").split(","))
            things = [t for t in self.more["json"]["data"]["things"] if t["data"]["id"] in wanted]
            return Response(200, {"json": {"errors": [], "data": {"things": things}}}, headers)
        if len(parts) == 3 and parts[0] == "r" and parts[2] == "comments":
            return Response(200, self.comments, headers)
        return Response(404, {"message": "Not Found", "error": 404})


class RecordedMastodon:
    """``GET /api/v1/timelines/tag/velora``: the recorded statuses once, then nothing
    newer; ``/context`` of the recorded complaint: its replies, media-only ones among them
    (they name no tag, so only a followed thread finds them)."""

    THREAD = "115600301776126003"

    def __init__(self) -> None:
        self.statuses, self.context = recorded("mastodon_tag_velora.json", "mastodon_context.json")

    def handle(self, request: Request) -> Response:
        parts = [part for part in request.path.split("/") if part]
        if parts[:4] == ["api", "v1", "timelines", "tag"]:
            fresh = parts[4].lower() == "velora" and not request.query.get("since_id")
            first_page = not request.query.get("max_id")
            return Response(200, self.statuses if fresh and first_page else [])
        if parts[:3] == ["api", "v1", "statuses"] and parts[-1] == "context":
            found = self.context if parts[3] == self.THREAD else {"descendants": []}
            return Response(200, {"ancestors": [], "descendants": found["descendants"]})
        return Response(404, {"error": "Record not found"})
