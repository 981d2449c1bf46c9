"""The workspace's ASGI app: one Starlette app over the same SQLite file as `umot run`.

Route handlers only parse the request, call storage (in a worker thread, each with its own
connection) and render a template; everything else lives in ``storage`` and ``reports``.
"""

from __future__ import annotations

import base64
import functools
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import sqlite_utils
from jinja2 import Environment, FileSystemLoader
from jinja2_fragments import render_block
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nlp.data import CORPUS, UMSAB_REFERENCES
from storage import StorageError, open_database
from storage.db import describe_sqlite_error
from storage.inbox import CursorError
from storage.queries import latest_model_id
from storage.users import session_user
from storage.workspace import WorkspaceError
from umot.config import Config
from umot.retrain import BaseData
from umot.web import filters as template_filters
from umot.web.retrain_job import RetrainJob
from umot.web.security import CSP, SECURITY_HEADERS, SESSION_COOKIE, Forbidden, LoginThrottle, User

HERE = Path(__file__).parent
T = TypeVar("T")
Handler = Callable[[Request, User], Awaitable[Response]]


def image(svg: str) -> str:
    """An inline chart as a data: image (the CSP allows no inline styles in the page)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


class BadRequest(ValueError):
    """A request the user can fix (a bad filter, an unknown value): 400 with the message."""


class Workspace:
    """What every handler needs: configuration, the database, templates, throttling."""

    def __init__(
        self, config: Config, database: Path | None = None, retrain_base: BaseData | None = None
    ) -> None:
        self.config = config
        self.database = database or config.database_path
        self.retrain = RetrainJob(config, self.database, retrain_base or default_base_data())
        self._local = threading.local()
        self.throttle = LoginThrottle()
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        template_filters.install(self.templates)
        self.templates.globals["stages"] = list(config.journey.stages)
        self.templates.globals["brands"] = [b.name for b in config.brands]

    def db(self) -> sqlite_utils.Database:
        """This thread's connection (SQLite connections stay in the thread that made them)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = open_database(self.database)
            self._local.db = db
        return db

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a storage function with this thread's connection, off the event loop."""
        return await run_in_threadpool(lambda: function(self.db(), *args, **kwargs))

    def model_id(self, db: sqlite_utils.Database) -> str | None:
        return latest_model_id(db)

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any],
        *,
        block: str | None = None,
        status: int = 200,
        user: User | None = None,
    ) -> HTMLResponse:
        values = {"request": request, "user": user, "path": request.url.path, **context}
        if block:
            html = render_block(self.templates, template, block, **values)
        else:
            html = self.templates.get_template(template).render(**values)
        return HTMLResponse(html, status_code=status)

    async def current_user(self, request: Request) -> User | None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        row = await self.call(session_user, token)
        return User(row["name"], row["role"], row["csrf_token"]) if row else None


def page(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A handler that needs a logged-in user; without one, to /login (or 401 for scripts)."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        workspace: Workspace = request.app.state.workspace
        user = await workspace.current_user(request)
        if user is None:
            if request.method == "GET" and "x-requested-with" not in request.headers:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?{urlencode({'next': target})}", 303)
            return Response("log in first", status_code=401)
        return await handler(request, user)

    return wrapped


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    workspace: Workspace = request.app.state.workspace
    return workspace.render(
        request, "error.html.j2", {"title": title, "message": message}, status=status
    )


async def _bad_request(request: Request, error: Exception) -> Response:
    return _error_page(request, 400, "That request cannot be answered", str(error))


async def _forbidden(request: Request, error: Exception) -> Response:
    return _error_page(request, 403, "Not allowed", str(error))


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    titles = {404: "Not found", 405: "Not allowed here"}
    return _error_page(
        request, error.status_code, titles.get(error.status_code, "Error"), str(error.detail)
    )


async def _server_error(request: Request, error: Exception) -> Response:
    return _error_page(
        request,
        500,
        "Something went wrong",
        "umot hit an error it did not expect; nothing was changed. The server log has the details.",
    )


async def _database_error(request: Request, error: Exception) -> Response:
    reason = describe_sqlite_error(error) or str(error)
    return _error_page(
        request,
        503,
        "The database could not be used",
        f"Nothing was changed: {reason}. Try again in a moment.",
    )


class SecurityHeaders:
    """Adds the security headers (and the CSP, unless the route set its own) to responses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.decode().lower() for name, _ in headers}
                extra = dict(SECURITY_HEADERS)
                extra.setdefault("content-security-policy", CSP)
                for name, value in extra.items():
                    if name not in present:
                        headers.append((name.encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def default_base_data() -> BaseData:
    """What `umot train --from-labels` reads by default: the corpus, and the shared
    UMSAB tweets and dev set when they sit at ../shared/data (else the corpus alone)."""
    shared = Path("../shared/data")
    return BaseData(CORPUS, shared / "umsab", UMSAB_REFERENCES, shared / "journey_stage_dev.jsonl")


def create_app(
    config: Config, database: Path | None = None, retrain_base: BaseData | None = None
) -> Starlette:
    from umot.web import (
        routes_alerts,
        routes_auth,
        routes_inbox,
        routes_mention,
        routes_pages,
        routes_review,
    )

    workspace = Workspace(config, database, retrain_base)
    workspace.db()  # fail now, not on the first request, if the database cannot be used
    routes = [
        *routes_auth.ROUTES,
        *routes_inbox.ROUTES,
        *routes_mention.ROUTES,
        *routes_alerts.ROUTES,
        *routes_pages.ROUTES,
        *routes_review.ROUTES,
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={
            BadRequest: _bad_request,
            WorkspaceError: _bad_request,
            CursorError: _bad_request,
            Forbidden: _forbidden,
            HTTPException: _http_error,
            sqlite3.OperationalError: _database_error,
            StorageError: _database_error,
            500: _server_error,
        },
    )
    app.state.workspace = workspace
    return app


__all__ = ["BadRequest", "Route", "Workspace", "create_app", "image", "page"]
