"""Logging in and out."""

from __future__ import annotations

import asyncio
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from storage.users import SESSION_DAYS, check_password, end_session, start_session
from umot.web.app import Workspace, page
from umot.web.security import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    User,
    checked_form,
    cookie_options,
)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another origin."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _login_page(request: Request, error: str = "", status: int = 200) -> Response:
    workspace: Workspace = request.app.state.workspace
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = workspace.render(
        request,
        "login.html.j2",
        {
            "error": error,
            "next": _safe_next(request.query_params.get("next")),
            "login_token": token,
        },
        status=status,
    )
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, **cookie_options(request))
    return response


async def login_form(request: Request) -> Response:
    return _login_page(request)


async def login(request: Request) -> Response:
    workspace: Workspace = request.app.state.workspace
    await checked_form(request, request.cookies.get(LOGIN_COOKIE, ""))
    form = await request.form()
    name = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    client = request.client.host if request.client else "?"
    keys = (f"user:{name.lower()}", f"addr:{client}")
    wait = workspace.throttle.delay(*keys)
    if wait:
        await asyncio.sleep(wait)  # slows guessing down without holding a worker thread
    user = await workspace.call(check_password, name, password) if name and password else None
    if user is None:
        workspace.throttle.failed(*keys)
        return _login_page(request, "That user name and password do not match.", status=401)
    workspace.throttle.succeeded(*keys)
    token = await workspace.call(start_session, user["name"])
    response = RedirectResponse(_safe_next(str(form.get("next") or "")), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=SESSION_DAYS * 86400, **cookie_options(request)
    )
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@page
async def logout(request: Request, user: User) -> Response:
    workspace: Workspace = request.app.state.workspace
    await checked_form(request, user.csrf_token)
    await workspace.call(end_session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


ROUTES = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
