"""Bluesky posts as mentions, and the public AppView that names their authors.

A post is keyed by its AT-URI (``at://did:plc:…/app.bsky.feed.post/<rkey>``), which is
what replies, quotes and deletions refer to, so threads link up without lookups. The
record itself (from Jetstream, or inside the AppView's post views) carries the text,
the reply's ``parent``/``root`` references, quote embeds, ``langs`` and link facets; the
author is only a DID, named through ``app.bsky.actor.getProfiles`` (cached).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from collectors.http import CollectorError, HttpClient, RetryPolicy
from storage.mention import is_textless, media_marker

PLATFORM = "bluesky"
POST_COLLECTION = "app.bsky.feed.post"
APPVIEW = "https://public.api.bsky.app"
PROFILES_PER_CALL = 25  # app.bsky.actor.getProfiles takes at most 25 actors
POSTS_PER_CALL = 25  # app.bsky.feed.getPosts takes at most 25 uris
# A client sets createdAt itself; a clock far ahead is not believed (the event time is).
CLOCK_SKEW = timedelta(minutes=5)


def post_uri(did: str, rkey: str) -> str:
    return f"at://{did}/{POST_COLLECTION}/{rkey}"


def web_url(uri: str) -> str | None:
    """The bsky.app page of a post; it accepts the DID in place of the handle."""
    parts = uri.removeprefix("at://").split("/")
    if len(parts) != 3 or parts[1] != POST_COLLECTION:
        return None
    return f"https://bsky.app/profile/{parts[0]}/post/{parts[2]}"


def _post_ref(value: Any) -> str | None:
    """The AT-URI of a strong ref that points at a post (not a feed, list or starter pack)."""
    uri = value.get("uri") if isinstance(value, dict) else None
    return uri if isinstance(uri, str) and f"/{POST_COLLECTION}/" in uri else None


def quoted_uri(embed: Any) -> str | None:
    """``app.bsky.embed.record`` quotes a record; ``recordWithMedia`` nests it once more."""
    if not isinstance(embed, dict):
        return None
    kind = embed.get("$type", "")
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        return quoted_uri({"$type": "app.bsky.embed.record", **(embed.get("record") or {})})
    if kind.startswith("app.bsky.embed.record"):
        return _post_ref(embed.get("record"))
    return None


def links(record: dict[str, Any]) -> list[str]:
    """Full link targets: the text shows them shortened, the facets hold them whole."""
    found: list[str] = []
    for facet in record.get("facets") or []:
        for feature in (facet or {}).get("features") or []:
            if (feature or {}).get("$type") == "app.bsky.richtext.facet#link":
                found.append(str(feature.get("uri")))
    embed = record.get("embed") or {}
    external = (embed.get("media") or embed).get("external") if isinstance(embed, dict) else None
    if isinstance(external, dict) and external.get("uri"):
        found.append(str(external["uri"]))
    return list(dict.fromkeys(uri for uri in found if uri.startswith(("http://", "https://"))))


def media_text(embed: Any) -> str:
    """Alt texts of a post's images (or a placeholder per image or video), one per line."""
    if not isinstance(embed, dict):
        return ""
    embed = embed.get("media") or embed  # recordWithMedia: the media part
    kind = embed.get("$type", "")
    if kind.startswith("app.bsky.embed.images"):
        lines = []
        for image in embed.get("images") or []:
            alt = " ".join(str((image or {}).get("alt") or "").split())
            lines.append(f"{media_marker('image')} {alt}" if alt else media_marker("image"))
        return "\n".join(lines)
    if kind.startswith("app.bsky.embed.video"):
        alt = " ".join(str(embed.get("alt") or "").split())
        return f"{media_marker('video')} {alt}" if alt else media_marker("video")
    return ""


def _created(record: dict[str, Any], seen: datetime | None) -> datetime:
    claimed = record.get("createdAt")
    try:
        created = datetime.fromisoformat(str(claimed).replace("Z", "+00:00"))
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
    except ValueError:
        if seen is None:
            raise ValueError(f"createdAt {claimed!r} is not a time") from None
        return seen
    if seen is not None and created > seen + CLOCK_SKEW:
        return seen
    return created


def post_fields(
    uri: str,
    record: dict[str, Any],
    *,
    seen: datetime | None = None,
    profile: Profile | None = None,
    counts: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Mention's fields from an ``app.bsky.feed.post`` record (``seen``: when the network
    saw it, which stands in for a createdAt that is missing or in the future)."""
    did = uri.removeprefix("at://").split("/")[0]
    text = str(record["text"])
    if is_textless(text):  # an image or video post: say what is attached
        text = "\n".join(part for part in (text, media_text(record.get("embed"))) if part)
    reply = record.get("reply") or {}
    parent, root = _post_ref(reply.get("parent")), _post_ref(reply.get("root"))
    langs = record.get("langs") or []
    counts = counts or {}
    raw: dict[str, Any] = {"createdAt": record.get("createdAt")}
    if found := links(record):
        raw["links"] = found
    return {
        "platform": PLATFORM,
        "native_id": uri,
        "text": text or media_marker("media"),
        "created_at": _created(record, seen),
        "author_id": did,
        "author_handle": profile.handle if profile else None,
        "author_name": profile.name if profile else None,
        "author_followers": profile.followers if profile else None,
        "url": web_url(uri),
        "lang": langs[0] if langs and isinstance(langs[0], str) else None,
        "parent_id": parent,
        "conversation_id": root or (uri if parent is None else None),
        "quoted_id": quoted_uri(record.get("embed")),
        "likes": counts.get("likeCount"),
        "reposts": counts.get("repostCount"),
        "replies": counts.get("replyCount"),
        "quotes": counts.get("quoteCount"),
        "raw": raw,
    }


def post_view_fields(view: dict[str, Any], profile: Profile | None = None) -> dict[str, Any]:
    """From an AppView post view (getPosts, searchPosts, getPostThread): the record plus
    its engagement counts and the author's handle."""
    author = view.get("author") or {}
    named = profile or Profile(
        author.get("handle"), author.get("displayName") or None, author.get("followersCount")
    )
    indexed = view.get("indexedAt")
    seen = datetime.fromisoformat(indexed.replace("Z", "+00:00")) if indexed else None
    return post_fields(view["uri"], view["record"], seen=seen, profile=named, counts=view)


class Profile:
    """What a post shows of its author."""

    __slots__ = ("followers", "handle", "name")

    def __init__(self, handle: str | None, name: str | None, followers: int | None) -> None:
        self.handle = handle if handle and handle != "handle.invalid" else None
        self.name, self.followers = name, followers


class AppView:
    """The public, keyless Bluesky AppView: profiles and posts by batch, profiles cached.

    A DID the AppView does not know (deleted, taken down, or a handle that no longer
    resolves) is remembered as unknown for a while: its posts are still stored, by DID.
    """

    def __init__(
        self,
        base_url: str = APPVIEW,
        *,
        policy: RetryPolicy | None = None,
        timeout: float = 30.0,
        ttl_seconds: float = 6 * 3600,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = HttpClient(policy, timeout=timeout)
        self.ttl, self.clock = ttl_seconds, clock
        self._profiles: dict[str, tuple[float, Profile | None]] = {}

    def forget(self, did: str) -> None:
        """An identity event renamed an account: drop what was cached about it."""
        self._profiles.pop(did, None)

    def profiles(self, dids: Iterable[str]) -> dict[str, Profile | None]:
        now = self.clock()
        wanted = list(dict.fromkeys(dids))
        missing = [d for d in wanted if d not in self._profiles or self._profiles[d][0] < now]
        for start in range(0, len(missing), PROFILES_PER_CALL):
            part = missing[start : start + PROFILES_PER_CALL]
            found: dict[str, Profile] = {}
            try:
                body = self._get("app.bsky.actor.getProfiles", [("actors", d) for d in part])
            except CollectorError:
                body = {}  # named later; the posts are stored by DID meanwhile
                expiry = now + 60
            else:
                expiry = now + self.ttl
            for view in body.get("profiles") or []:
                if isinstance(view, dict) and isinstance(view.get("did"), str):
                    found[view["did"]] = Profile(
                        view.get("handle"),
                        view.get("displayName") or None,
                        view.get("followersCount"),
                    )
            for did in part:
                self._profiles[did] = (expiry, found.get(did))
        return {did: self._profiles[did][1] for did in wanted}

    def posts(self, uris: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Post views for ``uris`` (deleted ones are simply absent), 25 per call."""
        for start in range(0, len(uris), POSTS_PER_CALL):
            part = uris[start : start + POSTS_PER_CALL]
            body = self._get("app.bsky.feed.getPosts", [("uris", uri) for uri in part])
            yield from (view for view in body.get("posts") or [] if isinstance(view, dict))

    def thread_replies(self, uri: str, depth: int = 6) -> Iterator[dict[str, Any]]:
        """Every reply below a post (``app.bsky.feed.getPostThread``, public): replies
        that never name the brand still belong to the conversation."""
        body = self._get("app.bsky.feed.getPostThread", [("uri", uri), ("depth", str(depth))])
        waiting = list((body.get("thread") or {}).get("replies") or [])
        while waiting:
            node = waiting.pop()
            if not isinstance(node, dict) or not isinstance(node.get("post"), dict):
                continue  # a notFoundPost or blockedPost
            yield node["post"]
            waiting.extend(node.get("replies") or [])

    def _get(self, method: str, params: list[tuple[str, str]]) -> dict[str, Any]:
        response = self.http.get(f"{self.base_url}/xrpc/{method}", params=params)
        if response.status_code == 404:
            return {}
        try:
            body = response.json()
        except ValueError:
            raise CollectorError(f"{method}: the AppView did not answer JSON") from None
        return body if isinstance(body, dict) else {}
