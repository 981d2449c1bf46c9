"""The review queue: label the mentions the model is least sure about, one key per label."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import sqlite_utils
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from nlp.data import SENTIMENTS
from nlp.versions import VersionError, VersionStore, models_folder
from reports import charts
from storage.review import label_counts, review_queue
from storage.workspace import restore_labels, set_labels
from umot.web.app import BadRequest, Workspace, image, page
from umot.web.security import Forbidden, User, editor_form

MAX_SKIPPED = 50  # skipped mentions carried in the URL; older skips come back


def _skipped(value: str | None) -> list[str]:
    return [i for i in (value or "").split(",") if i][-MAX_SKIPPED:]


def _brand(workspace: Workspace, value: Any) -> str | None:
    brand = str(value or "") or None
    if brand and brand not in workspace.templates.globals["brands"]:
        raise BadRequest(f"brand must be a configured brand; got {brand[:60]!r}")
    return brand


def _label(value: Any, allowed: list[str] | tuple[str, ...], name: str) -> str | None:
    text = str(value or "") or None
    if text is not None and text not in allowed:
        raise BadRequest(f"{name} must be one of {', '.join(allowed)}")
    return text


def _next(
    db: sqlite_utils.Database, workspace: Workspace, brand: str | None, skip: list[str]
) -> tuple[dict[str, Any] | None, dict[str, dict[str, int]]]:
    model = workspace.model_id(db)
    queue = review_queue(db, model, brand=brand, skip=skip, limit=1)
    return (queue[0] if queue else None), label_counts(db)


@page
async def review(request: Request, user: User) -> Response:
    workspace: Workspace = request.app.state.workspace
    params = request.query_params
    brand = _brand(workspace, params.get("brand"))
    skip = _skipped(params.get("skip"))
    row, counts = await workspace.call(lambda db: _next(db, workspace, brand, skip))
    versions = VersionStore(models_folder(workspace.database)).all()
    chart = image(charts.version_scores(versions)) if versions else None
    undo = {k: params.get(k, "") for k in ("undo", "was_sentiment", "was_stage")}
    skip_url = "/review?" + urlencode(
        {
            k: v
            for k, v in (("brand", brand), ("skip", ",".join([*skip, row["id"]] if row else skip)))
            if v
        }
    )
    return workspace.render(
        request,
        "review.html.j2",
        {
            "row": row,
            "brand": brand,
            "skip": ",".join(skip),
            "skip_url": skip_url,
            "counts": counts,
            "sentiments": SENTIMENTS,
            "undo": undo if undo["undo"] else None,
            "versions_chart": chart,
            "versions": versions,
            "job": workspace.retrain.snapshot(),
            "current_version": VersionStore(models_folder(workspace.database)).current(),
        },
        user=user,
    )


@page
async def label(request: Request, user: User) -> Response:
    workspace: Workspace = request.app.state.workspace
    form = await editor_form(request, user)
    stages = workspace.config.journey.stages
    mention_id = str(form.get("id") or "")
    sentiment = _label(form.get("sentiment"), SENTIMENTS, "sentiment")
    stage = _label(form.get("stage"), stages, "stage")
    if not mention_id or not (sentiment or stage):
        raise BadRequest("choose a stage and/or a sentiment for the mention")
    brand = _brand(workspace, form.get("brand"))
    changed = await workspace.call(
        set_labels,
        [mention_id],
        user.name,
        sentiment=sentiment,
        stage=stage,
        sentiments=SENTIMENTS,
        stages=stages,
    )
    back: dict[str, str] = {"brand": brand or "", "skip": str(form.get("skip") or "")}
    if changed:
        back |= {
            "undo": mention_id,
            "was_sentiment": str(form.get("was_sentiment") or ""),
            "was_stage": str(form.get("was_stage") or ""),
        }
    return RedirectResponse("/review?" + urlencode({k: v for k, v in back.items() if v}), 303)


@page
async def undo(request: Request, user: User) -> Response:
    """Put the mention's human labels back as they were before the last label."""
    workspace: Workspace = request.app.state.workspace
    form = await editor_form(request, user)
    mention_id = str(form.get("id") or "")
    if not mention_id:
        raise BadRequest("nothing to undo")
    await workspace.call(
        restore_labels,
        mention_id,
        user.name,
        sentiment=_label(form.get("was_sentiment"), SENTIMENTS, "sentiment"),
        stage=_label(form.get("was_stage"), workspace.config.journey.stages, "stage"),
    )
    brand = _brand(workspace, form.get("brand"))
    return RedirectResponse("/review" + (f"?{urlencode({'brand': brand})}" if brand else ""), 303)


def require_admin(user: User) -> None:
    if user.role != "admin":
        raise Forbidden("only an admin can retrain or switch the model")


@page
async def retrain(request: Request, user: User) -> Response:
    """Start `umot train --from-labels` in the background (one at a time)."""
    workspace: Workspace = request.app.state.workspace
    await editor_form(request, user)
    require_admin(user)
    workspace.retrain.start(user.name)
    return RedirectResponse("/review", 303)


@page
async def retrain_status(request: Request, user: User) -> Response:
    """The retrain panel alone, polled by the review page while a retrain runs."""
    workspace: Workspace = request.app.state.workspace
    return workspace.render(
        request, "_partials/_retrain.html.j2", {"job": workspace.retrain.snapshot()}, user=user
    )


@page
async def promote(request: Request, user: User) -> Response:
    """Put the retrained version in use after all (the comparison was shown)."""
    workspace: Workspace = request.app.state.workspace
    form = await editor_form(request, user)
    require_admin(user)
    store = VersionStore(models_folder(workspace.database))
    try:
        store.use(str(form.get("version") or ""))
    except VersionError as error:
        raise BadRequest(str(error)) from None
    return RedirectResponse("/review", 303)


ROUTES = [
    Route("/review", review, methods=["GET"]),
    Route("/review/label", label, methods=["POST"]),
    Route("/review/undo", undo, methods=["POST"]),
    Route("/review/retrain", retrain, methods=["POST"]),
    Route("/review/retrain", retrain_status, methods=["GET"]),
    Route("/review/promote", promote, methods=["POST"]),
]
