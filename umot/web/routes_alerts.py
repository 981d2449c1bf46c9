"""Alerts: what fired, where it was delivered, and who acknowledged or resolved it."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from storage.workspace import ALERT_STATES, alerts_page, handle_alert
from umot.web.app import BadRequest, Workspace, page
from umot.web.routes_inbox import safe_back
from umot.web.security import User, editor_form


@page
async def alerts(request: Request, user: User) -> Response:
    workspace: Workspace = request.app.state.workspace
    params = request.query_params
    status = params.get("status") or None
    brand = params.get("brand") or None
    before = params.get("before") or ""
    if status and status not in ALERT_STATES:
        raise BadRequest(f"status must be one of {', '.join(ALERT_STATES)}")
    if brand and brand not in workspace.templates.globals["brands"]:
        raise BadRequest(f"brand must be a configured brand; got {brand[:60]!r}")
    if before and not before.isdigit():
        raise BadRequest("before must be an alert number")
    rows, next_id = await workspace.call(
        alerts_page, status=status, brand=brand, before_id=int(before) if before else None
    )
    kept = {k: v for k, v in (("status", status), ("brand", brand)) if v}
    return workspace.render(
        request,
        "alerts.html.j2",
        {
            "alerts": rows,
            "states": ALERT_STATES,
            "filters": kept,
            "next_url": f"/alerts?{urlencode({**kept, 'before': next_id})}" if next_id else None,
            "back": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        },
        user=user,
    )


@page
async def handle(request: Request, user: User) -> Response:
    workspace: Workspace = request.app.state.workspace
    form = await editor_form(request, user)
    alert_id = request.path_params["alert_id"]
    state = str(form.get("state") or "")
    note = str(form.get("note") or "")
    found = await workspace.call(handle_alert, alert_id, state, user.name, note)
    if not found:
        raise BadRequest(f"there is no alert {alert_id}")
    return RedirectResponse(safe_back(form.get("back"), "/alerts"), status_code=303)


ROUTES = [
    Route("/alerts", alerts, methods=["GET"]),
    Route("/alerts/{alert_id:int}", handle, methods=["POST"]),
]
