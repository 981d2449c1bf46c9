"""Feeds served by the fake server: RSS 2.0 and Atom, with ETag/Last-Modified support."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

from tests.fakes.server import Request, Response


class FakeFeeds:
    def __init__(self) -> None:
        self.feeds: dict[str, list[dict[str, str]]] = {}
        self.etags: dict[str, str] = {}
        self.raw: dict[str, bytes] = {}

    def entry(self, path: str, guid: str, title: str, body: str, minutes_ago: int = 60) -> None:
        when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        self.feeds.setdefault(path, []).append(
            {"guid": guid, "title": title, "body": body, "date": format_datetime(when)}
        )
        self.etags[path] = f'"v{len(self.feeds[path])}"'

    def handle(self, request: Request) -> Response:
        if request.path in self.raw:
            return Response(200, self.raw[request.path], content_type="application/rss+xml")
        if request.path not in self.feeds:
            return Response(404, "not found", content_type="text/plain")
        etag = self.etags[request.path]
        if request.headers.get("if-none-match") == etag:
            return Response(304, b"", {"ETag": etag})
        items = "".join(
            f'<item><guid isPermaLink="false">{escape(e["guid"])}</guid>'
            f"<title>{escape(e['title'])}</title>"
            f"<link>https://news.example/{escape(e['guid'])}</link>"
            f"<description>{escape(e['body'])}</description>"
            f"<pubDate>{e['date']}</pubDate></item>"
            for e in self.feeds[request.path]
        )
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Nieuws {request.path}</title><link>https://news.example/</link>"
            f"<language>nl-NL</language>{items}</channel></rss>"
        )
        return Response(200, xml, {"ETag": etag}, content_type="application/rss+xml")
