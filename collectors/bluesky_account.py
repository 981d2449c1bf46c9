"""Bluesky with an account: search, to fill the time the live stream was not heard.

``app.bsky.feed.searchPosts`` refuses anonymous callers since early 2025, so it goes
through the account's PDS with an app password (``UMOT_BLUESKY_HANDLE``,
``UMOT_BLUESKY_APP_PASSWORD``; never the account's main password). Sessions are kept for
the process and reused: ``createSession`` allows only a few hundred logins a day.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import requests

from collectors.http import CollectorError, CredentialError, HttpClient, RetryPolicy

SERVICE = "https://bsky.social"
SESSION_SECONDS = 90 * 60  # access tokens live about two hours; renew before that
_sessions: dict[tuple[str, str], tuple[float, str]] = {}


class BlueskyAccount:
    def __init__(
        self,
        handle: str,
        app_password: str,
        *,
        service: str = SERVICE,
        envs: tuple[str, str] = ("UMOT_BLUESKY_HANDLE", "UMOT_BLUESKY_APP_PASSWORD"),
        policy: RetryPolicy | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.handle, self._password = handle.lstrip("@"), app_password
        self.service, self.envs = service.rstrip("/"), envs
        self.http = HttpClient(policy, timeout=timeout)

    def _token(self, renew: bool = False) -> str:
        key = (self.service, self.handle)
        cached = _sessions.get(key)
        if cached and not renew and time.monotonic() - cached[0] < SESSION_SECONDS:
            return cached[1]
        try:
            response = self.http.session.post(
                f"{self.service}/xrpc/com.atproto.server.createSession",
                json={"identifier": self.handle, "password": self._password},
                timeout=self.http.timeout,
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            raise CollectorError(f"Bluesky login: {type(error).__name__}") from None
        if response.status_code in (400, 401):
            raise CredentialError(
                f"Bluesky refused the login in {self.envs[0]} and {self.envs[1]} "
                f"(HTTP {response.status_code}); use an app password (Settings → Privacy "
                "and security → App passwords)"
            )
        if response.status_code >= 300:
            raise CollectorError(f"Bluesky login answered HTTP {response.status_code}")
        token = str(response.json()["accessJwt"])
        _sessions[key] = (time.monotonic(), token)
        return token

    def search(self, term: str, since: datetime, *, max_pages: int = 5) -> Iterator[dict[str, Any]]:
        """Post views naming ``term`` (as a phrase), newest first, back to ``since``."""
        query = f'"{term}"' if " " in term.strip() else term.strip()
        cursor: str | None = None
        for _ in range(max_pages):
            params = {"q": query, "sort": "latest", "since": _iso(since), "limit": "100"}
            if cursor:
                params["cursor"] = cursor
            body = self._get("app.bsky.feed.searchPosts", params)
            yield from (p for p in body.get("posts") or [] if isinstance(p, dict))
            cursor = body.get("cursor")
            if not cursor or not body.get("posts"):
                return

    def _get(self, method: str, params: dict[str, str]) -> dict[str, Any]:
        """One authenticated call; an expired session is renewed once."""
        for renew in (False, True):
            response = self.http.get(
                f"{self.service}/xrpc/{method}",
                params=params,
                headers={"Authorization": f"Bearer {self._token(renew)}"},
                passthrough=(400, 401),  # ExpiredToken, or a session revoked meanwhile
            )
            if response.status_code in (400, 401):
                continue
            body = response.json()
            return body if isinstance(body, dict) else {}
        raise CollectorError(f"{method}: Bluesky refused the session twice in a row")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
