"""What every network collector shares: error types, retries, rate-limit waits, HTML text.

Platforms signal "slow down" in different headers (X: epoch seconds in
``x-rate-limit-reset``; Reddit: seconds left in ``x-ratelimit-reset``; Mastodon: an ISO
time in ``X-RateLimit-Reset``; anyone: ``Retry-After``), so they are read in one place,
and waits go through an injectable ``sleep`` so tests can check them without waiting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from importlib.metadata import PackageNotFoundError, version
from typing import TypeVar

import requests

log = logging.getLogger("umot.collectors")
T = TypeVar("T")

try:
    USER_AGENT = f"umot/{version('umot')} (social listening; +https://github.com/umot)"
except PackageNotFoundError:  # running from a source tree that was not installed
    USER_AGENT = "umot (social listening)"


class CollectorError(RuntimeError):
    """A source cannot continue; the message is one line a user can act on."""


class AccessDenied(CollectorError):
    """The platform refuses the whole source (plan, cap, credential): stop, do not retry."""


class CredentialError(AccessDenied):
    """A credential is missing or was refused; the message names its variable, never its value."""


class BudgetSpent(CollectorError):
    """A budget is spent (the team's daily cap, a platform's daily quota): the run stops
    cleanly with what it stored, and it is not a failure; the next day carries on."""


class HostUnreachable(CollectorError):
    """Connections keep failing: the host (or the network) is down, so skip its other work."""


class RateLimited(Exception):
    def __init__(self, wait_seconds: float | None, detail: str = "") -> None:
        super().__init__(detail or "rate limited")
        self.wait_seconds = wait_seconds


class Transient(Exception):
    """A failure worth trying again: 5xx, a dropped connection, a timeout."""

    def __init__(self, detail: str, *, connection: bool = False) -> None:
        super().__init__(detail)
        self.connection = connection


@dataclass
class RetryPolicy:
    attempts: int = 5  # for transient errors; rate-limit waits are counted separately
    backoff_seconds: float = 2.0  # doubles on every attempt
    rate_limit_waits: int = 8
    max_wait_seconds: float = 960.0  # X windows are 15 minutes; never sleep for hours
    sleep: Callable[[float], None] = field(default=time.sleep)

    def call(self, what: str, request: Callable[[], T]) -> T:
        """Run ``request``; wait out rate limits and back off on transient errors."""
        failures = waits = 0
        while True:
            try:
                return request()
            except RateLimited as limited:
                waits += 1
                if waits > self.rate_limit_waits:
                    raise CollectorError(
                        f"{what}: still rate limited after {self.rate_limit_waits} waits"
                    ) from None
                wait = limited.wait_seconds
                if wait is None:
                    wait = self.backoff_seconds * 2 ** (waits - 1)
                wait = min(max(wait, 1.0), self.max_wait_seconds)
                log.warning("%s: rate limited; waiting %.0f s for the reset", what, wait)
                self.sleep(wait)
            except Transient as error:
                failures += 1
                if failures >= self.attempts:
                    kind = HostUnreachable if error.connection else CollectorError
                    raise kind(f"{what}: gave up after {failures} tries ({error})") from None
                wait = self.backoff_seconds * 2 ** (failures - 1)
                log.warning("%s: %s; retrying in %.0f s", what, error, wait)
                self.sleep(wait)


def wait_from_headers(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds until a rate limit resets, from whichever header the platform sends."""
    now = time.time() if now is None else now
    lowered = {key.lower(): value for key, value in headers.items()}
    if retry_after := lowered.get("retry-after"):
        if retry_after.strip().isdigit():
            return float(retry_after)
        try:
            return parsedate_to_datetime(retry_after).timestamp() - now
        except (TypeError, ValueError):
            pass
    for name in ("x-rate-limit-reset", "x-ratelimit-reset"):
        value = lowered.get(name, "").strip()
        if not value:
            continue
        try:
            number = float(value)
        except ValueError:
            try:  # Mastodon: an ISO 8601 time
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() - now
            except ValueError:
                continue
        # An epoch (X) is a large number; a small one is seconds left (Reddit).
        return number - now if number > 1_000_000_000 else number
    return None


class HttpClient:
    """GET with timeouts, retries and rate-limit waits, for the plain-HTTP sources."""

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        token: str | None = None,
        token_env: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self.token_env, self.has_token = token_env, bool(token)
        self.timeout = timeout

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, str | int] | Sequence[tuple[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        passthrough: Collection[int] = (),
    ) -> requests.Response:
        """``passthrough``: client-error statuses the caller handles itself (an expired
        session, say) instead of failing."""

        def attempt() -> requests.Response:
            try:
                response = self.session.get(
                    url, params=params, headers=headers, timeout=self.timeout
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                raise Transient(type(error).__name__, connection=True) from None
            status = response.status_code
            if status in passthrough:
                return response
            if status == 429:
                raise RateLimited(wait_from_headers(response.headers))
            if status >= 500:
                raise Transient(f"HTTP {status}")
            if status in (401, 403) and self.token_env:
                if self.has_token:
                    raise CredentialError(
                        f"{_host(url)} refused the token in {self.token_env} (HTTP {status})"
                    )
                raise CredentialError(
                    f"{_host(url)} wants a token (HTTP {status}): set {self.token_env}"
                )
            if status >= 400 and status != 404:
                raise CollectorError(f"{_host(url)} answered HTTP {status} for {url}")
            return response

        return self.policy.call(_host(url), attempt)


def _host(url: str) -> str:
    return requests.utils.urlparse(url).netloc or url


class _TextExtractor(HTMLParser):
    _BREAKS = frozenset({"br", "p", "div", "li", "blockquote", "h1", "h2", "h3", "tr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of a post or feed body; paragraphs become line breaks."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).splitlines())
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def require_env(environ: Mapping[str, str], name: str, what: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise CredentialError(f"set {name} to {what}")
    return value
