"""The workspace's reads: the inbox (filters, keyset pages), "needs reply", threads.

Every list pages by keyset — (created_at, seq) of the last row shown — never OFFSET, so
page 500 costs what page 1 costs. Labels are the effective ones (a person's correction
beats the model's) of the given model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from storage.db import chunks
from storage.queries import downstream_of, thread_of
from storage.signals import ENGAGEMENT

PAGE_SIZE = 50
# The weekly report's order for posts needing a reply: followers + 10 × engagement.
REACH = f"(coalesce(a.followers, 0) + 10 * {ENGAGEMENT})"

SENTIMENT = "coalesce(h.sentiment, c.sentiment)"
STAGE = "coalesce(h.stage, c.stage)"
STATUS = "coalesce(t.status, 'open')"

_ROW = f"""
    m.seq, m.id, m.platform, m.brand, m.lang, m.text, m.url, m.created_at, m.source,
    m.parent_id, m.quoted_id, m.reposted_id, m.deleted,
    a.handle AS author_handle, a.name AS author_name, a.followers AS author_followers,
    {ENGAGEMENT} AS engagement, {REACH} AS reach,
    {SENTIMENT} AS sentiment, {STAGE} AS stage, c.sentiment_scores, c.stage_scores, c.model_id,
    h.sentiment AS human_sentiment, h.stage AS human_stage, h.labeled_by,
    c.sentiment AS model_sentiment, c.stage AS model_stage,
    {STATUS} AS status, t.assignee, t.priority, t.note,
    (SELECT group_concat(tag, ',') FROM mention_tags g WHERE g.mention_id = m.id) AS tags
"""
_JOINS = """
    LEFT JOIN authors a ON a.id = m.author_id
    LEFT JOIN classifications c ON c.mention_id = m.id AND c.model_id = :model
    LEFT JOIN human_labels h ON h.mention_id = m.id
    LEFT JOIN triage t ON t.mention_id = m.id
"""


@dataclass
class InboxFilter:
    """What the inbox shows; every field comes from (and goes back into) the URL."""

    brand: str | None = None
    platform: str | None = None
    lang: str | None = None
    sentiment: str | None = None
    stage: str | None = None
    since: str | None = None  # db time, inclusive
    until: str | None = None  # db time, exclusive
    status: str | None = None
    assignee: str | None = None
    tag: str | None = None
    q: str | None = None
    needs_reply: bool = False
    newer_than: int | None = None  # only mentions that arrived after this seq


@dataclass(frozen=True)
class NeedsReply:
    """What "needs reply" means: negative posts in these stages no own account answered."""

    stages: Sequence[str] = ("experience", "advocacy")
    own_handles: Sequence[str] = ()


@dataclass
class Page:
    rows: list[dict[str, Any]]
    next_cursor: str | None  # "created_at|seq" of the last row, when there is more


class CursorError(ValueError):
    """A page cursor that this listing did not hand out."""


def parse_cursor(cursor: str | None) -> tuple[str, int] | None:
    if not cursor:
        return None
    key, _, seq = cursor.rpartition("|")
    if not key or not seq.isdigit():
        raise CursorError("the page cursor is not valid; start from the first page")
    return key, int(seq)


def _where(
    db: sqlite_utils.Database,
    f: InboxFilter,
    params: dict[str, Any],
    needs: NeedsReply,
    *,
    fts_joined: bool = False,
) -> list[str]:
    where = ["m.deleted = 0"]
    for name, expression, value in (
        ("brand", "m.brand", f.brand),
        ("platform", "m.platform", f.platform),
        ("lang", "m.lang", f.lang),
        ("sentiment", SENTIMENT, f.sentiment),
        ("stage", STAGE, f.stage),
        ("assignee", "t.assignee", f.assignee),
        ("status", STATUS, f.status),
    ):
        if value:
            params[name] = value
            where.append(f"{expression} = :{name}")
    if f.since:
        params["since"] = f.since
        where.append("m.created_at >= :since")
    if f.until:
        params["until"] = f.until
        where.append("m.created_at < :until")
    if f.tag:
        params["tag"] = f.tag
        where.append(
            "EXISTS (SELECT 1 FROM mention_tags g WHERE g.mention_id = m.id AND g.tag = :tag)"
        )
    if f.q and not fts_joined:
        params["q"] = db.quote_fts(f.q)
        where.append("m.seq IN (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH :q)")
    if f.newer_than:
        params["newer_than"] = f.newer_than
        where.append("m.seq > :newer_than")
    if f.needs_reply:
        stages = []
        for number, stage in enumerate(needs.stages or ("",)):
            params[f"umot{number}"] = stage
            stages.append(f":umot{number}")
        where += [
            f"{SENTIMENT} = 'negative'",
            f"{STAGE} IN ({', '.join(stages)})",
            "m.reposted_id IS NULL",
            f"{STATUS} IN ('open', 'pending')",
            # Inside CASE, so the reply lookup runs last and only for candidates: as a
            # term of its own SQLite ran it first, for every mention of the window.
            f"CASE WHEN {SENTIMENT} = 'negative' THEN {_unanswered(needs.own_handles, params)} END",
        ]
    return where


def _unanswered(own_handles: Sequence[str], params: dict[str, Any]) -> str:
    """No reply below the post comes from one of the brands' own accounts."""
    handles = sorted({h.lower().lstrip("@") for h in own_handles}) or [""]
    marks = []
    for number, handle in enumerate(handles):
        params[f"own{number}"] = handle
        marks.append(f":own{number}")
    return (
        "NOT EXISTS (SELECT 1 FROM mentions r JOIN authors ra ON ra.id = r.author_id "
        f"WHERE r.parent_id = m.id AND lower(ra.handle) IN ({', '.join(marks)}))"
    )


def inbox_page(
    db: sqlite_utils.Database,
    model_id: str | None,
    f: InboxFilter,
    *,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    needs: NeedsReply = NeedsReply(),
) -> Page:
    """Newest first (or, for "needs reply", widest reach first), ``limit`` rows a page."""
    params: dict[str, Any] = {"model": model_id, "limit": limit + 1}
    # A search reads the full-text index newest-first (by rowid, which FTS5 walks in
    # order) and stops at the page's end, instead of sorting every match by time: 1.1 s
    # for a common word at 1M mentions before, a few ms after. Its order is therefore
    # newest *collected* first.
    searching = bool(f.q) and not f.needs_reply
    where = _where(db, f, params, needs, fts_joined=searching)
    after = parse_cursor(cursor)
    source = "mentions m"
    if f.needs_reply:
        order, key = "reach DESC, m.seq DESC", "reach"
        if after:
            if not after[0].isdigit():
                raise CursorError("the page cursor is not valid; start from the first page")
            params["after_reach"], params["after_seq"] = int(after[0]), after[1]
            where.append(
                f"({REACH} < :after_reach OR ({REACH} = :after_reach AND m.seq < :after_seq))"
            )
    elif searching:
        source = "mentions_fts f CROSS JOIN mentions m ON m.seq = f.rowid"
        order, key = "f.rowid DESC", "seq"
        params["q"] = db.quote_fts(f.q or "")
        where.append("mentions_fts MATCH :q")
        if after:
            params["after_seq"] = after[1]
            where.append("f.rowid < :after_seq")
    else:
        order, key = "m.created_at DESC, m.seq DESC", "created_at"
        if after:
            params["after_created"], params["after_seq"] = after
            where.append(
                "(m.created_at < :after_created OR "
                "(m.created_at = :after_created AND m.seq < :after_seq))"
            )
    if f.needs_reply:
        # Every candidate is sorted by reach: rank with the few columns that needs, then
        # read the whole rows of the one page.
        ranked = list(
            db.query(
                f"SELECT m.id, {REACH} AS reach FROM {source} {_JOINS} "
                f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT :limit",
                params,
            )
        )
        found = mention_rows(db, model_id, [r["id"] for r in ranked])
        rows = [found[r["id"]] for r in ranked if r["id"] in found]
    else:
        sql = (
            f"SELECT {_ROW} FROM {source} {_JOINS} WHERE {' AND '.join(where)} "
            f"ORDER BY {order} LIMIT :limit"
        )
        rows = list(db.query(sql, params))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = f"{rows[-1][key]}|{rows[-1]['seq']}" if more and rows else None
    _attach_parents(db, rows)
    return Page(rows, next_cursor)


def count_needing_reply(
    db: sqlite_utils.Database,
    model_id: str | None,
    brand: str | None,
    needs: NeedsReply,
    since: str | None = None,
) -> int:
    params: dict[str, Any] = {"model": model_id}
    where = _where(db, InboxFilter(brand=brand, needs_reply=True, since=since), params, needs)
    return db.execute(
        f"SELECT count(*) FROM mentions m {_JOINS} WHERE {' AND '.join(where)}", params
    ).fetchone()[0]


def _attach_parents(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> None:
    """Each row gets what it replies to or quotes (text and author), for thread context."""
    wanted = {r["parent_id"] or r["quoted_id"] for r in rows} - {None}
    found: dict[str, dict[str, Any]] = {}
    for part, marks in chunks(sorted(wanted)):
        for row in db.query(
            f"SELECT m.id, m.text, m.deleted, a.handle AS author_handle FROM mentions m "
            f"LEFT JOIN authors a ON a.id = m.author_id WHERE m.id IN ({marks})",
            part,
        ):
            found[row["id"]] = row
    for row in rows:
        row["parent"] = found.get(row["parent_id"] or row["quoted_id"] or "")


def mention_rows(
    db: sqlite_utils.Database, model_id: str | None, ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Inbox rows for given ids (labels, triage, author), by id."""
    out: dict[str, dict[str, Any]] = {}
    for part, _ in chunks(list(ids)):
        params: dict[str, Any] = {"model": model_id}
        names = []
        for number, mention_id in enumerate(part):
            params[f"id{number}"] = mention_id
            names.append(f":id{number}")
        for row in db.query(
            f"SELECT {_ROW} FROM mentions m {_JOINS} WHERE m.id IN ({', '.join(names)})", params
        ):
            out[row["id"]] = row
    return out


def thread_tree(
    db: sqlite_utils.Database, model_id: str | None, mention_id: str
) -> list[dict[str, Any]]:
    """The mention's whole thread in reading order, each post with its depth and labels.

    Posts come in tree order (a reply right below what it answers, siblings oldest first);
    deleted posts are kept as placeholders so the replies below them stay in place.
    """
    posts = thread_of(db, mention_id)
    if not posts:
        return []
    root = posts[0]
    everything = [root, *downstream_of(db, root["id"], include_deleted=True)]
    rows = mention_rows(db, model_id, [p["id"] for p in everything])
    children: dict[str | None, list[dict[str, Any]]] = {}
    ids = {p["id"] for p in everything}
    for post in everything[1:]:
        up = post["parent_id"] or post["quoted_id"] or post["reposted_id"]
        children.setdefault(up if up in ids else root["id"], []).append(post)
    ordered: list[dict[str, Any]] = []
    stack: list[tuple[dict[str, Any], int]] = [(root, 0)]
    seen: set[str] = set()
    while stack:
        post, depth = stack.pop()
        if post["id"] in seen:
            continue
        seen.add(post["id"])
        ordered.append({**rows.get(post["id"], post), "depth": depth})
        below = sorted(children.get(post["id"], []), key=lambda p: (p["created_at"], p["id"]))
        stack.extend((child, depth + 1) for child in reversed(below))
    _attach_parents(db, ordered)
    return ordered


def filter_choices(db: sqlite_utils.Database) -> dict[str, list[str]]:
    """Tags and users for the filter menus (small tables; brands and platforms come from
    the configuration, since a DISTINCT over a million mentions would scan them all)."""
    return {
        "tag": [r[0] for r in db.execute("SELECT DISTINCT tag FROM mention_tags ORDER BY 1")],
        "assignee": [r[0] for r in db.execute("SELECT name FROM users ORDER BY 1")],
    }


def imported_sentiment(db: sqlite_utils.Database, mention_id: str) -> dict[str, Any] | None:
    """What ``umot import --preset`` kept of the tool's own labels (``raw["imported"]``)."""
    row = db.execute("SELECT raw FROM mentions WHERE id = ?", [mention_id]).fetchone()
    try:
        raw = json.loads(row[0]) if row and row[0] else None
    except ValueError:
        return None
    imported = raw.get("imported") if isinstance(raw, dict) else None
    return imported if isinstance(imported, dict) else None
