"""One mention: its whole thread as a tree, its influence, its triage and history."""

from __future__ import annotations

from typing import Any

import sqlite_utils
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from collectors.presets import tool_label
from nlp.data import SENTIMENTS
from reports.influence import PostInfluence, analyze_post
from storage.inbox import imported_sentiment, mention_rows, thread_tree
from storage.workspace import PRIORITIES, STATUSES, history_of
from umot.reporting import journey_of
from umot.web.app import Workspace, page
from umot.web.security import User

MAX_THREAD = 2000  # posts drawn; a bigger thread says how many were left out


def _mention(
    db: sqlite_utils.Database, workspace: Workspace, mention_id: str
) -> dict[str, Any] | None:
    model = workspace.model_id(db)
    row = mention_rows(db, model, [mention_id]).get(mention_id)
    if row is None:
        return None
    thread = thread_tree(db, model, mention_id)
    influence: PostInfluence | None = None
    journey = journey_of(workspace.config)
    if model and row["stage"] in journey.umot_stages:
        post = {**row, "author": row["author_handle"], "author_id": _author_id(db, mention_id)}
        influence = analyze_post(db, model, journey, post, thread_size=0)
    return {
        "mention": row,
        "thread": thread[:MAX_THREAD],
        "thread_total": len(thread),
        "influence": influence,
        "history": history_of(db, mention_id),
        "imported": _imported_sentiment(db, mention_id),
        "users": [r[0] for r in db.execute("SELECT name FROM users ORDER BY name")],
    }


def _author_id(db: sqlite_utils.Database, mention_id: str) -> str | None:
    row = db.execute("SELECT author_id FROM mentions WHERE id = ?", [mention_id]).fetchone()
    return row[0] if row else None


def _imported_sentiment(db: sqlite_utils.Database, mention_id: str) -> dict[str, str] | None:
    """The export's own sentiment, named after its tool, beside umot's (never mixed in)."""
    imported = imported_sentiment(db, mention_id)
    if imported is None:
        return None
    said, scale = (str(imported.get(key) or "").strip() for key in ("sentiment", "sentiment_raw"))
    if not said and not scale:
        return None
    tool = imported.get("tool")
    return {
        "tool": tool_label(tool if isinstance(tool, str) else None),
        "value": said or scale,
        "raw": scale if said and scale.lower() != said else "",  # Talkwalker's -3, say
    }


@page
async def mention(request: Request, user: User) -> Response:
    workspace: Workspace = request.app.state.workspace
    mention_id = request.path_params["mention_id"]
    found = await workspace.call(lambda db: _mention(db, workspace, mention_id))
    if found is None:
        raise HTTPException(404, f"there is no mention {mention_id!r} in this database")
    return workspace.render(
        request,
        "mention.html.j2",
        {
            **found,
            "statuses": STATUSES,
            "priorities": PRIORITIES,
            "sentiments": SENTIMENTS,
            "back": request.url.path,
        },
        user=user,
    )


ROUTES = [Route("/mentions/{mention_id:path}", mention, methods=["GET"])]
