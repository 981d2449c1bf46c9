"""YouTube Data API payloads as umot's mention fields, kept apart from paging and quota.

These are pure functions of one payload, so ``safe_record`` can turn a malformed one
into a reject without the collector's state being involved.
"""

from __future__ import annotations

import html
from collections.abc import Container
from typing import Any


def video_record(item: dict[str, Any], brand: str | None, query: str) -> dict[str, Any]:
    """A search result (``youtube#searchResult``); its title and description come escaped."""
    snippet, video_id = item["snippet"], item["id"]["videoId"]
    title = html.unescape(snippet["title"])
    description = html.unescape(snippet.get("description") or "")
    return {
        "platform": "youtube",
        "native_id": video_id,
        "text": f"{title}\n\n{description}" if description else title,
        "created_at": snippet["publishedAt"],
        "author_id": snippet.get("channelId"),
        "author_name": snippet.get("channelTitle"),
        "url": f"https://www.youtube.com/watch?v={video_id}",
        "conversation_id": video_id,
        "brand": brand,
        "query": query,
        "raw": {"video": item},
    }


def comment_record(
    comment: dict[str, Any],
    video_id: str | None,
    parent_id: str | None,
    brand: str | None,
    query: str,
    reply_count: int | None = None,
) -> dict[str, Any]:
    """A ``youtube#comment``: top-level (parent: the video if stored) or a reply."""
    snippet = comment["snippet"]
    name = snippet.get("authorDisplayName") or None
    author = snippet.get("authorChannelId")
    video_id = video_id or snippet.get("videoId")
    return {
        "platform": "youtube",
        "native_id": comment["id"],
        "text": snippet.get("textOriginal") or snippet["textDisplay"],
        "created_at": snippet["publishedAt"],
        "author_id": author.get("value") if isinstance(author, dict) else author,
        # Channels show "@handle" as their display name now; older ones a plain name.
        "author_handle": name[1:] if name and name.startswith("@") else None,
        "author_name": name,
        "url": video_id and f"https://www.youtube.com/watch?v={video_id}&lc={comment['id']}",
        "parent_id": snippet.get("parentId") or parent_id,
        "conversation_id": video_id,
        "likes": snippet.get("likeCount"),
        "replies": reply_count,
        "brand": brand,
        "query": query,
        "raw": {"comment": comment, "video_id": video_id},
    }


def thread_record(
    thread: dict[str, Any], stored_videos: Container[str], brand: str | None, query: str
) -> dict[str, Any]:
    """A thread's top-level comment, parented to its video only when that video is stored."""
    snippet = thread["snippet"]
    video_id = snippet["videoId"]
    parent = video_id if video_id in stored_videos else None
    top = snippet["topLevelComment"]
    return comment_record(top, video_id, parent, brand, query, snippet.get("totalReplyCount"))
