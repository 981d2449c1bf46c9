"""The inbox's keyset pages: every mention exactly once, in order, in every listing."""

from __future__ import annotations

import pytest

from storage.inbox import CursorError, InboxFilter, NeedsReply, inbox_page
from tests.alert_helpers import MODEL, add


def all_pages(db, f, limit=2):
    seen, cursor = [], None
    while True:
        page = inbox_page(db, MODEL, f, cursor=cursor, limit=limit, needs=NeedsReply())
        seen += page.rows
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def test_pages_cover_every_mention_once_newest_first(db):
    ids = [add(db, hours_ago=hours, text=f"Velora post {hours}") for hours in (5, 1, 3, 3, 9)]
    rows = all_pages(db, InboxFilter())
    assert sorted(r["id"] for r in rows) == sorted(ids)
    keys = [(r["created_at"], r["seq"]) for r in rows]
    assert keys == sorted(keys, reverse=True)


def test_search_pages_newest_collected_first(db):
    hits = [add(db, text=f"Velora garantie verlopen {n}") for n in range(5)]
    add(db, text="Velora levering te laat")
    rows = all_pages(db, InboxFilter(q="garantie"))
    assert [r["id"] for r in rows] == hits[::-1]
    assert [r["id"] for r in all_pages(db, InboxFilter(q="garantie", brand="Smaakdoos"))] == []


def test_needs_reply_pages_by_reach(db):
    loud = [
        add(db, sentiment="negative", stage="experience", followers=f)
        for f in (10, 5_000, 300, 300, 90_000)
    ]
    rows = all_pages(db, InboxFilter(needs_reply=True))
    assert sorted(r["id"] for r in rows) == sorted(loud)
    reach = [r["reach"] for r in rows]
    assert reach == sorted(reach, reverse=True)
    with pytest.raises(CursorError):
        inbox_page(db, MODEL, InboxFilter(needs_reply=True), cursor="2026-11-20T10:00:00Z|4")
