"""Sessions, CSRF, roles, login throttling and the security headers of every response."""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

SESSION_COOKIE = "umot_session"
LOGIN_COOKIE = "umot_login"  # the login form's CSRF token (double submit: no session yet)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# No inline script or style, nothing from another origin, never framed.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
# A weekly report is umot's own file with inline styles and inline SVG charts, no script.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; "
    "base-uri 'none'; form-action 'none'"
)
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}

CAN_EDIT = ("admin", "editor")


class Forbidden(Exception):
    """The request is refused (403); the message says why."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    csrf_token: str

    @property
    def can_edit(self) -> bool:
        return self.role in CAN_EDIT


def require_editor(user: User) -> None:
    if not user.can_edit:
        raise Forbidden(f"{user.name} is a viewer: viewers can read but not change anything")


async def checked_form(request: Request, expected: str) -> FormData:
    """The posted form, once its CSRF token (field or header) matches ``expected``."""
    form = await request.form()
    sent = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD) or ""
    if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, expected):
        raise Forbidden("the form's security token is missing or stale; reload the page and retry")
    return form


async def editor_form(request: Request, user: User) -> FormData:
    """The form of a change: its CSRF token checked first, then the user's right to edit."""
    form = await checked_form(request, user.csrf_token)
    require_editor(user)
    return form


def cookie_options(request: Request) -> dict[str, Any]:
    return {
        "httponly": True,
        "samesite": "lax",
        "secure": request.url.scheme == "https",
        "path": "/",
    }


class LoginThrottle:
    """Failed logins per user name and per client address within a sliding window.

    After ``free`` failures each further attempt waits (1, 2, 4 … up to ``max_delay``
    seconds) before it is even checked; the wait is reported so the page can say it.
    """

    def __init__(self, free: int = 3, window: float = 900.0, max_delay: float = 8.0) -> None:
        self.free, self.window, self.max_delay = free, window, max_delay
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        stamps = self._failures.setdefault(key, deque())
        while stamps and now - stamps[0] > self.window:
            stamps.popleft()
        return stamps

    def delay(self, *keys: str) -> float:
        now = time.monotonic()
        with self._lock:
            count = max(len(self._recent(key, now)) for key in keys)
        if count < self.free:
            return 0.0
        return min(self.max_delay, 2.0 ** (count - self.free))

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
