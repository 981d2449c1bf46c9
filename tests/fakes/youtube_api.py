"""A fake YouTube Data API v3: ``search`` (videos, ``order=date``, ``publishedAfter``),
``commentThreads`` (by ``videoId`` or ``allThreadsRelatedToChannelId``, newest first, a
few replies inline) and ``comments`` (replies by ``parentId``), paged with
``nextPageToken``, with resources and error bodies shaped as documented. The key is
expected in the ``X-Goog-Api-Key`` header.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.server import Request, Response

KEY = "test-youtube-key"
INLINE_REPLIES = 2  # the real API inlines "a limited number"; few here, to need comments.list


def when(minutes_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def error(status: int, reason: str, message: str, domain: str = "youtube.api") -> Response:
    """Google's error body: ``{"error": {"code", "message", "errors": [{... "reason"}]}}``."""
    detail = {"message": message, "domain": domain, "reason": reason}
    return Response(status, {"error": {"code": status, "message": message, "errors": [detail]}})


QUOTA_EXCEEDED = error(
    403,
    "quotaExceeded",
    'The request cannot be completed because you have exceeded your <a href="/youtube/v3/'
    'getting-started#quota">quota</a>.',
    "youtube.quota",
)


class FakeYouTube:
    def __init__(self) -> None:
        self.videos: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, str] = {}
        self.threads: dict[str, dict[str, Any]] = {}  # top-level comment id -> thread
        self.replies: dict[str, list[dict[str, Any]]] = {}
        self.posted: dict[str, str] = {}
        self.closed: set[str] = set()  # videos with comments turned off
        self.units_left: int | None = None  # the project's quota, when a test sets one
        self._n = 0

    def _id(self, prefix: str, width: int) -> str:
        self._n += 1
        return f"{prefix}{self._n:0{width}d}"

    def video(
        self,
        title: str,
        description: str = "",
        *,
        channel: str = "UCfietsvlogger000000000a",
        channel_title: str = "Fietsvlogger",
        minutes_ago: float = 60,
        tags: str = "",
    ) -> str:
        video_id = self._id("vid", 8)
        self.tags[video_id] = tags  # searched, as on YouTube, but not in the snippet
        published = when(minutes_ago)
        self.videos[video_id] = {
            "kind": "youtube#searchResult",
            "etag": f"etag-{video_id}",
            "id": {"kind": "youtube#video", "videoId": video_id},
            "snippet": {
                "publishedAt": published,
                "channelId": channel,
                "title": title,
                "description": description,
                "thumbnails": {
                    "default": {"url": f"https://i.ytimg.example/vi/{video_id}/default.jpg"}
                },
                "channelTitle": channel_title,
                "liveBroadcastContent": "none",
                "publishTime": published,
            },
        }
        return video_id

    def _comment(
        self, comment_id: str, video_id: str, text: str, author: str, minutes_ago: float, likes: int
    ) -> dict[str, Any]:
        channel = self.videos[video_id]["snippet"]["channelId"]
        return {
            "kind": "youtube#comment",
            "etag": f"etag-{comment_id}",
            "id": comment_id,
            "snippet": {
                "channelId": channel,
                "videoId": video_id,
                "textDisplay": text.replace("&", "&amp;"),
                "textOriginal": text,
                "authorDisplayName": f"@{author}",
                "authorProfileImageUrl": f"https://yt3.ggpht.example/{author}.jpg",
                "authorChannelUrl": f"http://www.youtube.com/@{author}",
                "authorChannelId": {"value": f"UC{author:_<22}"[:24]},
                "canRate": True,
                "viewerRating": "none",
                "likeCount": likes,
                "publishedAt": when(minutes_ago),
                "updatedAt": when(minutes_ago),
            },
        }

    def comment(
        self,
        video_id: str,
        text: str,
        author: str = "anna",
        *,
        minutes_ago: float = 30,
        likes: int = 0,
    ) -> str:
        comment_id = self._id("Ugx", 20)
        top = self._comment(comment_id, video_id, text, author, minutes_ago, likes)
        channel = top["snippet"]["channelId"]
        self.threads[comment_id] = {
            "kind": "youtube#commentThread",
            "etag": f"etag-t-{comment_id}",
            "id": comment_id,
            "snippet": {
                "channelId": channel,
                "videoId": video_id,
                "topLevelComment": top,
                "canReply": True,
                "totalReplyCount": 0,
                "isPublic": True,
            },
        }
        self.replies[comment_id] = []
        self.posted[comment_id] = top["snippet"]["publishedAt"]  # kept if a test breaks the thread
        return comment_id

    def reply(
        self, top_id: str, text: str, author: str = "bram", *, minutes_ago: float = 10
    ) -> str:
        reply_id = f"{top_id}.{self._id('A', 21)}"
        thread = self.threads[top_id]
        comment = self._comment(
            reply_id, thread["snippet"]["videoId"], text, author, minutes_ago, likes=0
        )
        comment["snippet"]["parentId"] = top_id
        self.replies[top_id].append(comment)
        thread["snippet"]["totalReplyCount"] += 1
        return reply_id

    def handle(self, request: Request) -> Response:
        if request.headers.get("x-goog-api-key") != KEY:
            refused = error(400, "badRequest", "API key not valid. Please pass a valid API key.")
            refused.body["error"]["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                }
            ]
            return refused
        route = request.path.removeprefix("/youtube/v3")
        if route != "/search" and self.units_left is not None:
            if self.units_left <= 0:  # the project's quota, spent by others as well
                return QUOTA_EXCEEDED
            self.units_left -= 1
        if route == "/search":
            return self._search(request.query)
        if route == "/commentThreads":
            return self._threads(request.query)
        if route == "/comments":
            replies = self.replies.get(request.query.get("parentId", ""))
            if replies is None:
                return error(404, "commentNotFound", "The parent comment could not be found.")
            return self._page("youtube#commentListResponse", replies, request.query, 20, 100)
        return error(404, "notFound", "Not Found")

    def _search(self, query: dict[str, str]) -> Response:
        terms = [t.strip().strip('"').casefold() for t in query.get("q", "").split("|")]
        after = query.get("publishedAfter", "")
        found = [
            video
            for video_id, video in self.videos.items()
            if video["snippet"]["publishedAt"] >= after
            and any(term in self._searchable(video_id) for term in terms)
        ]
        found.sort(key=lambda video: video["snippet"]["publishedAt"], reverse=True)
        return self._page("youtube#searchListResponse", found, query, 5, 50)

    def _searchable(self, video_id: str) -> str:
        snippet = self.videos[video_id]["snippet"]
        return f"{snippet['title']} {snippet['description']} {self.tags[video_id]}".casefold()

    def _threads(self, query: dict[str, str]) -> Response:
        if video_id := query.get("videoId"):
            if video_id not in self.videos:
                return error(404, "videoNotFound", "The video identified by videoId is not found.")
            if video_id in self.closed:
                return error(403, "commentsDisabled", "The video has disabled comments.")
            chosen = [t for t in self.threads.values() if t["snippet"]["videoId"] == video_id]
        else:
            channel = query["allThreadsRelatedToChannelId"]
            chosen = [t for t in self.threads.values() if t["snippet"]["channelId"] == channel]
        chosen.sort(key=lambda thread: self.posted[thread["id"]])
        threads = []
        for thread in reversed(chosen):  # order=time: newest first
            replies = self.replies[thread["id"]]
            if "replies" in query.get("part", "") and replies:
                thread = {**thread, "replies": {"comments": replies[:INLINE_REPLIES]}}
            threads.append(thread)
        return self._page("youtube#commentThreadListResponse", threads, query, 20, 100)

    def _page(
        self, kind: str, items: list[dict[str, Any]], query: dict[str, str], default: int, most: int
    ) -> Response:
        size = min(int(query.get("maxResults", default)), most)
        start = int(query.get("pageToken", "0"))
        body: dict[str, Any] = {
            "kind": kind,
            "etag": f"etag-{kind}-{start}",
            "pageInfo": {"totalResults": len(items), "resultsPerPage": size},
            "items": items[start : start + size],
        }
        if start + size < len(items):
            body["nextPageToken"] = str(start + size)
        return Response(200, body)
