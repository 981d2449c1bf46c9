"""The inbox: filters in the URL, keyset pages, new mentions while it is open, bulk actions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import sqlite_utils
from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from nlp.data import SENTIMENTS
from storage.db import to_db_time
from storage.inbox import (
    InboxFilter,
    NeedsReply,
    Page,
    filter_choices,
    inbox_page,
)
from storage.transaction import write_transaction
from storage.workspace import PRIORITIES, STATUSES, TriageChange, apply_triage, set_labels
from umot.web.app import BadRequest, Workspace, page
from umot.web.security import User, editor_form

FILTER_KEYS = (
    "brand",
    "platform",
    "lang",
    "sentiment",
    "stage",
    "since",
    "until",
    "status",
    "assignee",
    "tag",
    "q",
    "view",
)
PLATFORMS = ("x", "reddit", "mastodon", "bluesky", "youtube", "hackernews", "rss", "web", "import")
_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
_PLATFORM = re.compile(r"^[a-z0-9_-]{1,32}$")
MAX_IDS = 500
# "Needs reply" looks a week back (the weekly report's span) unless a start date is chosen:
# an answer to last month's complaint rarely helps, and the queue stays finishable (and
# quick at 1M mentions: 0.26 s at the 95th percentile with 14 days; see the README).
NEEDS_REPLY_DAYS = 7


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} must be a date like 2026-11-24, not {value[:40]!r}") from None


def parse_filter(params: QueryParams, workspace: Workspace) -> InboxFilter:
    """The inbox filter from the URL; anything out of range is a 400 with a reason."""
    config = workspace.config
    values = {key: (params.get(key) or "").strip() for key in FILTER_KEYS}
    f = InboxFilter()
    checks: list[tuple[str, bool, str]] = [
        ("brand", values["brand"] in workspace.templates.globals["brands"], "a configured brand"),
        ("platform", bool(_PLATFORM.match(values["platform"])), "a platform name"),
        ("lang", bool(_CODE.match(values["lang"])), "a language code such as nl or en"),
        ("sentiment", values["sentiment"] in SENTIMENTS, ", ".join(SENTIMENTS)),
        ("stage", values["stage"] in config.journey.stages, ", ".join(config.journey.stages)),
        ("status", values["status"] in STATUSES, ", ".join(STATUSES)),
        ("assignee", len(values["assignee"]) <= 64, "a user name"),
        ("tag", len(values["tag"]) <= 40, "a tag of at most 40 characters"),
        ("q", len(values["q"]) <= 200, "a search of at most 200 characters"),
        ("view", values["view"] in ("needs-reply",), "needs-reply"),
    ]
    for key, valid, expected in checks:
        if values[key] and not valid:
            raise BadRequest(f"{key} must be {expected}; got {values[key][:60]!r}")
    for key in ("brand", "platform", "lang", "sentiment", "stage", "status", "assignee", "q"):
        setattr(f, key, values[key] or None)
    f.tag = values["tag"].lower() or None
    f.needs_reply = values["view"] == "needs-reply"
    if values["since"]:
        f.since = to_db_time(datetime.combine(_day(values["since"], "since"), datetime.min.time()))
    elif f.needs_reply:
        f.since = to_db_time(datetime.now(UTC) - timedelta(days=NEEDS_REPLY_DAYS))
    if values["until"]:
        last = _day(values["until"], "until") + timedelta(days=1)  # the whole last day
        f.until = to_db_time(datetime.combine(last, datetime.min.time()))
    if f.since and f.until and f.since >= f.until:
        raise BadRequest("since must be before until")
    return f


def current_filters(params: QueryParams) -> dict[str, str]:
    return {key: params[key] for key in FILTER_KEYS if params.get(key)}


def needs_of(workspace: Workspace) -> NeedsReply:
    config = workspace.config
    return NeedsReply(tuple(config.journey.umot_stages), tuple(config.own_handles))


def _inbox(
    db: sqlite_utils.Database,
    workspace: Workspace,
    f: InboxFilter,
    cursor: str | None,
) -> tuple[Page, dict[str, list[str]], int]:
    model = workspace.model_id(db)
    result = inbox_page(db, model, f, cursor=cursor, needs=needs_of(workspace))
    newest = db.execute("SELECT coalesce(max(seq), 0) FROM mentions").fetchone()[0]
    return result, filter_choices(db), newest


@page
async def inbox(request: Request, user: User) -> Response:
    workspace: Workspace = request.app.state.workspace
    f = parse_filter(request.query_params, workspace)
    cursor = request.query_params.get("cursor") or None
    result, choices, newest = await workspace.call(lambda db: _inbox(db, workspace, f, cursor))
    filters = current_filters(request.query_params)
    next_url = (
        f"/?{urlencode({**filters, 'cursor': result.next_cursor})}" if result.next_cursor else None
    )
    return workspace.render(
        request,
        "inbox.html.j2",
        {
            "rows": result.rows,
            "filters": filters,
            "choices": choices,
            "platforms": PLATFORMS,
            "statuses": STATUSES,
            "priorities": PRIORITIES,
            "sentiments": SENTIMENTS,
            "next_url": next_url,
            "first_page": cursor is None,
            "needs_reply_days": NEEDS_REPLY_DAYS,
            "poll_seconds": workspace.config.serve.poll_seconds,
            "newest_seq": newest,
            "back": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        },
        user=user,
    )


@page
async def new_rows(request: Request, user: User) -> Response:
    """Rows that arrived after ``newer_than`` and match the filters, newest first (polled)."""
    workspace: Workspace = request.app.state.workspace
    f = parse_filter(request.query_params, workspace)
    seen = request.query_params.get("newer_than", "")
    if not seen.isdigit():
        raise BadRequest("newer_than must be a mention number")
    f.newer_than = int(seen)
    result, _, newest = await workspace.call(lambda db: _inbox(db, workspace, f, None))
    response = workspace.render(
        request,
        "inbox.html.j2",
        {"rows": result.rows, "statuses": STATUSES},
        block="rows",
        user=user,
    )
    response.headers["x-newest-seq"] = str(newest)
    return response


def safe_back(value: Any, default: str = "/") -> str:
    """Where a form returns to: a path on this site only."""
    text = str(value or "")
    parts = urlsplit(text)
    if not text.startswith("/") or text.startswith("//") or parts.scheme or parts.netloc:
        return default
    return text


def triage_change(form: FormData) -> TriageChange:
    def field(name: str) -> str | None:
        value = form.get(name)
        return None if value is None or value == "(keep)" else str(value).strip()

    def tags(name: str) -> tuple[str, ...]:
        return tuple(t for t in re.split(r"[,\n]", str(form.get(name) or "")) if t.strip())

    return TriageChange(
        status=field("status") or None,
        assignee=field("assignee"),
        priority=field("priority"),
        note=field("note"),
        add_tags=tags("add_tags"),
        remove_tags=tags("remove_tags"),
    )


def apply_form(
    db: sqlite_utils.Database, workspace: Workspace, ids: list[str], form: FormData, user: str
) -> int:
    """Triage and corrections from one form, in one transaction: a refused value (an
    unknown stage) leaves nothing half done."""
    changed = 0
    change = triage_change(form)
    sentiment = str(form.get("set_sentiment") or "") or None
    stage = str(form.get("set_stage") or "") or None
    with write_transaction(db):
        if not change.empty:
            changed += apply_triage(db, ids, change, user)
        if sentiment or stage:
            changed += set_labels(
                db,
                ids,
                user,
                sentiment=sentiment,
                stage=stage,
                sentiments=SENTIMENTS,
                stages=workspace.config.journey.stages,
            )
    return changed


@page
async def bulk(request: Request, user: User) -> Response:
    """Triage and/or correct the checked mentions (or one mention's own form)."""
    workspace: Workspace = request.app.state.workspace
    form = await editor_form(request, user)
    ids = [str(i) for i in form.getlist("ids") if str(i)]
    if not ids:
        raise BadRequest("choose at least one mention (tick its box) first")
    if len(ids) > MAX_IDS:
        raise BadRequest(f"at most {MAX_IDS} mentions at once")
    await workspace.call(lambda db: apply_form(db, workspace, ids, form, user.name))
    return RedirectResponse(safe_back(form.get("back")), status_code=303)


ROUTES = [
    Route("/", inbox, methods=["GET"]),
    Route("/inbox/new", new_rows, methods=["GET"]),
    Route("/mentions/bulk", bulk, methods=["POST"]),
]
