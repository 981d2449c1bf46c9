"""A fake Jetstream (a websocket server on 127.0.0.1) and a fake public AppView.

Events have Jetstream's documented shape: ``{"did", "time_us", "kind": "commit",
"commit": {"rev", "operation", "collection", "rkey", "record", "cid"}}`` plus
``identity`` and ``account`` events, written compactly as Jetstream's encoder writes
them. The server honours ``?cursor=`` (replays events from that time on), records every
URL it was asked for, and can drop a connection after N events, stay silent, or refuse.
The AppView answers ``app.bsky.actor.getProfiles`` and ``app.bsky.feed.getPosts``.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.fakes.server import Request, Response

POST = "app.bsky.feed.post"


def did(name: str) -> str:
    return f"did:plc:{name.ljust(24, 'x')[:24]}"


def uri(author: str, rkey: str) -> str:
    return f"at://{did(author)}/{POST}/{rkey}"


@dataclass
class Events:
    """A timeline of events, with times in microseconds counting up from ``start_us``."""

    start_us: int = field(default_factory=lambda: int((time.time() - 120) * 1_000_000))
    items: list[dict[str, Any]] = field(default_factory=list)

    def _next_us(self) -> int:
        return (self.items[-1]["time_us"] if self.items else self.start_us) + 1_000

    def post(self, author: str, rkey: str, text: str, **record: Any) -> dict[str, Any]:
        body = {"$type": POST, "text": text, "createdAt": _iso(self._next_us()), **record}
        return self._commit(author, rkey, "create", body)

    def delete(self, author: str, rkey: str) -> dict[str, Any]:
        return self._commit(author, rkey, "delete", None)

    def _commit(
        self, author: str, rkey: str, operation: str, record: dict[str, Any] | None
    ) -> dict[str, Any]:
        commit: dict[str, Any] = {
            "rev": f"3l{len(self.items):08d}",
            "operation": operation,
            "collection": POST,
            "rkey": rkey,
        }
        if record is not None:
            commit["record"] = record
            commit["cid"] = f"bafyreid{len(self.items):040d}"
        event = {"did": did(author), "time_us": self._next_us(), "kind": "commit", "commit": commit}
        self.items.append(event)
        return event

    def identity(self, author: str, handle: str) -> dict[str, Any]:
        event = {
            "did": did(author),
            "time_us": self._next_us(),
            "kind": "identity",
            "identity": {"did": did(author), "handle": handle, "seq": 1, "time": "x"},
        }
        self.items.append(event)
        return event

    def raw(self, text: str) -> None:
        """Anything at all: garbage, an unknown kind, a truncated message."""
        self.items.append({"raw": text, "time_us": self._next_us()})

    def messages_after(self, cursor: int | None) -> list[str]:
        chosen = [e for e in self.items if cursor is None or e["time_us"] >= cursor]
        return [e["raw"] if "raw" in e else json.dumps(e, separators=(",", ":")) for e in chosen]


def _iso(time_us: int) -> str:
    seconds = time_us / 1_000_000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + ".000Z"


class FakeJetstream:
    """``mode``: "serve" (all events, then stay open), "drop:N" (close after N events),
    "silent" (accept, send nothing) or "refuse" (HTTP 503 at the handshake)."""

    def __init__(self, events: Events, mode: str = "serve") -> None:
        self.events, self.mode = events, mode
        self.urls: list[str] = []
        self.sent = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}"

    def _process_request(self, connection: Any, request: Any) -> Any:
        self.urls.append(request.path)
        if self.mode == "refuse":
            return connection.respond(503, "jetstream is restarting\n")
        return None

    def _handle(self, connection: Any) -> None:
        query = parse_qs(urlparse(connection.request.path).query)
        cursor = int(query["cursor"][0]) if "cursor" in query else None
        if self.mode == "silent":
            with contextlib.suppress(Exception):  # however the client hangs up
                for _ in connection:  # say nothing; answer the client's close at once
                    pass
            return
        limit = int(self.mode.split(":")[1]) if self.mode.startswith("drop:") else None
        for number, message in enumerate(self.events.messages_after(cursor)):
            if limit is not None and number >= limit:
                return  # the connection closes mid-stream
            connection.send(message)
            self.sent += 1
        self._closing.wait(5)  # open and quiet, as a live stream between posts

    def __enter__(self) -> FakeJetstream:
        from websockets.sync.server import serve

        self._server = serve(self._handle, "127.0.0.1", 0, process_request=self._process_request)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._server.shutdown()


class FakeAppView:
    """Profiles by DID (unknown DIDs are left out, as the AppView does) and post views."""

    def __init__(self) -> None:
        self.profiles: dict[str, dict[str, Any]] = {}
        self.posts: dict[str, dict[str, Any]] = {}
        self.replies: dict[str, list[str]] = {}  # post uri -> reply uris
        self.password = "abcd-efgh-ijkl-mnop"  # an app password's shape
        self.tokens: set[str] = set()
        self.logins = 0

    def profile(self, author: str, handle: str, name: str, followers: int) -> None:
        self.profiles[did(author)] = {
            "did": did(author),
            "handle": handle,
            "displayName": name,
            "followersCount": followers,
            "followsCount": 12,
            "postsCount": 340,
        }

    def post_view(self, event: dict[str, Any], likes: int, reposts: int, replies: int) -> None:
        commit = event["commit"]
        at = f"at://{event['did']}/{POST}/{commit['rkey']}"
        author = self.profiles.get(event["did"], {"did": event["did"], "handle": "handle.invalid"})
        self.posts[at] = {
            "uri": at,
            "cid": commit["cid"],
            "author": {k: author[k] for k in ("did", "handle") if k in author},
            "record": commit["record"],
            "replyCount": replies,
            "repostCount": reposts,
            "likeCount": likes,
            "quoteCount": 0,
            "indexedAt": commit["record"]["createdAt"],
        }

    def reply(self, parent: dict[str, Any], event: dict[str, Any], likes: int = 0) -> None:
        """``event`` (a post's create event) becomes a reply to ``parent``: its record gets
        the reply refs, and the AppView shows it in the parent's thread."""
        parent_uri = f"at://{parent['did']}/{POST}/{parent['commit']['rkey']}"
        child = f"at://{event['did']}/{POST}/{event['commit']['rkey']}"
        above = parent["commit"]["record"].get("reply") or {}
        parent_ref = {"uri": parent_uri, "cid": parent["commit"]["cid"]}
        event["commit"]["record"]["reply"] = {
            "root": above.get("root", parent_ref),
            "parent": parent_ref,
        }
        self.post_view(event, likes=likes, reposts=0, replies=0)
        self.replies.setdefault(parent_uri, []).append(child)

    def _thread(self, at: str, depth: int) -> dict[str, Any]:
        node: dict[str, Any] = {"$type": "app.bsky.feed.defs#threadViewPost"}
        node["post"] = self.posts[at]
        if depth > 0:
            node["replies"] = [
                self._thread(child, depth - 1)
                if child in self.posts
                else {"$type": "app.bsky.feed.defs#notFoundPost", "uri": child, "notFound": True}
                for child in self.replies.get(at, [])
            ]
        return node

    def _search(self, request: Request) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return Response(400, {"error": "ExpiredToken", "message": "Token has expired"})
        words = request.query["q"].strip('"').lower()
        since = request.query.get("since", "")
        found = [
            view
            for view in self.posts.values()
            if words in view["record"]["text"].lower() and view["indexedAt"] >= since
        ]
        found.sort(key=lambda view: view["indexedAt"], reverse=True)
        start = int(request.query.get("cursor") or 0)
        page = found[start : start + int(request.query.get("limit", 25))]
        body: dict[str, Any] = {"posts": page, "hitsTotal": len(found)}
        if start + len(page) < len(found):
            body["cursor"] = str(start + len(page))
        return Response(200, body)

    def handle(self, request: Request) -> Response:
        if request.path == "/xrpc/com.atproto.server.createSession":
            login = json.loads(request.body or b"{}")
            if login.get("password") != self.password:
                return Response(401, {"error": "AuthenticationRequired"})
            self.logins += 1
            token = f"jwt-{self.logins}"
            self.tokens.add(token)
            return Response(200, {"accessJwt": token, "refreshJwt": "r", "did": did("team")})
        if request.path == "/xrpc/app.bsky.feed.searchPosts":
            return self._search(request)
        if request.path == "/xrpc/app.bsky.feed.getPostThread":
            at = request.query["uri"]
            if at not in self.posts:
                return Response(400, {"error": "NotFound", "message": "Post not found"})
            return Response(200, {"thread": self._thread(at, int(request.query["depth"]))})
        if request.path == "/xrpc/app.bsky.actor.getProfiles":
            actors = request.lists.get("actors", [])
            if len(actors) > 25:
                return Response(400, {"error": "InvalidRequest", "message": "actors > 25"})
            found = [self.profiles[a] for a in actors if a in self.profiles]
            return Response(200, {"profiles": found})
        if request.path == "/xrpc/app.bsky.feed.getPosts":
            uris = request.lists.get("uris", [])
            if len(uris) > 25:
                return Response(400, {"error": "InvalidRequest", "message": "uris > 25"})
            return Response(200, {"posts": [self.posts[u] for u in uris if u in self.posts]})
        return Response(404, {"error": "MethodNotImplemented"})
