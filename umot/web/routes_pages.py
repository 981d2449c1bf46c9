"""Overview (this week against last) and the weekly reports, written and to write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from reports import charts
from reports.weekly import ReportError, Week, build_report, parse_week
from storage import queries
from storage.db import to_db_time
from storage.inbox import count_needing_reply
from umot.reporting import journey_of, write_report
from umot.web.app import BadRequest, Workspace, image, page
from umot.web.routes_inbox import NEEDS_REPLY_DAYS, needs_of
from umot.web.security import REPORT_CSP, User, editor_form

REPORT_SUFFIXES = {".html": "text/html; charset=utf-8", ".md": "text/plain; charset=utf-8"}


def _overview(
    db: sqlite_utils.Database, workspace: Workspace, brand: str | None, week: Week
) -> dict[str, Any]:
    config = workspace.config
    now = datetime.now(UTC)
    report = build_report(db, journey_of(config), week, brand=brand, top_n=5)
    model = queries.latest_model_id(db)
    sources = queries.last_runs(db, "collect")
    return {
        "report": report,
        "daily_chart": image(charts.daily_sentiment(report.counts.daily)),
        "funnel_chart": image(charts.stage_funnel(report.stages, report.counts.stages)),
        "needs_reply": count_needing_reply(
            db,
            model,
            brand,
            needs_of(workspace),
            to_db_time(now - timedelta(days=NEEDS_REPLY_DAYS)),
        ),
        "needs_reply_days": NEEDS_REPLY_DAYS,
        "sources": [
            {"name": name, "enabled": settings.enabled, "run": sources.get(name)}
            for name, settings in config.sources.items()
        ],
    }


@page
async def overview(request: Request, user: User) -> Response:
    workspace: Workspace = request.app.state.workspace
    brand = request.query_params.get("brand") or None
    if brand and brand not in workspace.templates.globals["brands"]:
        raise BadRequest(f"brand must be a configured brand; got {brand[:60]!r}")
    text = request.query_params.get("week") or None
    try:
        week = parse_week(text, workspace.config.report.timezone)
    except ReportError as error:
        raise BadRequest(str(error)) from None
    found = await workspace.call(lambda db: _overview(db, workspace, brand, week))
    zone = ZoneInfo(workspace.config.report.timezone)
    year, number, _ = datetime.now(UTC).astimezone(zone).date().isocalendar()
    current = f"{year}-W{number:02d}"
    return workspace.render(
        request,
        "overview.html.j2",
        {**found, "brand": brand, "week": week, "current_week": current},
        user=user,
    )


def _report_folder(workspace: Workspace) -> Path:
    return workspace.config.resolve(workspace.config.report.out_dir)


def _written(folder: Path) -> list[dict[str, Any]]:
    if not folder.is_dir():
        return []
    files = [p for p in folder.glob("umot-report-*") if p.suffix in REPORT_SUFFIXES and p.is_file()]
    return [
        {
            "name": p.name,
            "size": p.stat().st_size,
            "modified": datetime.fromtimestamp(p.stat().st_mtime, UTC),
        }
        for p in sorted(files, key=lambda p: p.name, reverse=True)
    ]


@page
async def reports(request: Request, user: User) -> Response:
    workspace: Workspace = request.app.state.workspace
    default_week = parse_week(None, workspace.config.report.timezone).label
    return workspace.render(
        request,
        "reports.html.j2",
        {"files": _written(_report_folder(workspace)), "default_week": default_week},
        user=user,
    )


@page
async def report_file(request: Request, user: User) -> Response:
    workspace: Workspace = request.app.state.workspace
    name = request.path_params["name"]
    folder = _report_folder(workspace)
    path = folder / name
    if "/" in name or not name.startswith("umot-report-") or path.suffix not in REPORT_SUFFIXES:
        raise HTTPException(404, "no such report")
    if not path.is_file():
        raise HTTPException(404, f"report {name} does not exist (any more)")
    response = FileResponse(path, media_type=REPORT_SUFFIXES[path.suffix])
    response.headers["content-security-policy"] = REPORT_CSP
    response.headers["x-frame-options"] = "SAMEORIGIN"
    return response


@page
async def write(request: Request, user: User) -> Response:
    workspace: Workspace = request.app.state.workspace
    form = await editor_form(request, user)
    week = str(form.get("week") or "").strip() or None
    brand = str(form.get("brand") or "").strip() or None
    try:
        written = await workspace.call(
            lambda db: write_report(db, workspace.config, week=week, brand=brand, formats=["html"])
        )
    except ReportError as error:
        raise BadRequest(str(error)) from None
    return RedirectResponse(f"/reports/{written.paths['html'].name}", status_code=303)


ROUTES = [
    Route("/overview", overview, methods=["GET"]),
    Route("/reports", reports, methods=["GET"]),
    Route("/reports", write, methods=["POST"]),
    Route("/reports/{name}", report_file, methods=["GET"]),
]
