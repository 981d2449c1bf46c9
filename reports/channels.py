"""Alert channels: console, Slack-compatible webhook, generic JSON webhook, SMTP e-mail.

Each channel renders the same alerts in its own format and escapes what users wrote for
that format: Slack's ``&``/``<``/``>`` (so a post cannot ping ``<!channel>`` or forge a
link), HTML in e-mail, nothing to do for JSON (the encoder quotes). Sending raises on
failure; the caller records it and retries on a later cycle.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import requests

from collectors.http import USER_AGENT

DETAILED = 10  # a digest shows this many alerts in full, then one line each


class ChannelError(RuntimeError):
    """A channel could not deliver; the message never contains a secret."""


def _quoted(text: str, prefix: str = "> ") -> str:
    return "\n".join(prefix + line for line in text.splitlines() or [""])


def _mention_lines(details: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs shown for an alert about a mention."""
    lines = []
    if details.get("author") is not None or details.get("followers") is not None:
        who = f"@{details['author']}" if details.get("author") else "unknown author"
        reach = []
        if details.get("followers") is not None:
            reach.append(f"{details['followers']:,} followers")
        if details.get("engagement") is not None:
            reach.append(f"{details['engagement']:,} engagement")
        lines.append(("Author", f"{who} ({', '.join(reach)})" if reach else who))
    if details.get("sentiment"):
        parts = []
        for name in ("sentiment", "stage"):
            value, confidence = details.get(name), details.get(f"{name}_confidence")
            if value:
                parts.append(f"{value} ({confidence:.0%})" if confidence is not None else value)
        lines.append(("Classified", " · ".join(parts)))
    if details.get("platform"):
        lines.append(
            ("Where", f"{details['platform']}, {details.get('created_at') or ''}".strip(", "))
        )
    if details.get("url"):
        lines.append(("Link", details["url"]))
    if details.get("paths"):
        lines.append(("Report", ", ".join(str(path) for path in details["paths"].values())))
    for key in ("source", "last_error"):
        if details.get(key):
            lines.append((key.replace("_", " ").capitalize(), str(details[key])))
    return lines


def plain_text(alert: Mapping[str, Any]) -> str:
    details = alert.get("details") or {}
    out = [f"[{alert['severity'].upper()}] {alert['message']}"]
    if details.get("why"):
        out.append(f"Why: {details['why']}")
    out += [f"{label}: {value}" for label, value in _mention_lines(details)]
    if details.get("text"):
        out.append(_quoted(details["text"]))
    for prospect in details.get("prospects") or []:
        out.append(f"  ↳ @{prospect['author'] or '?'} ({prospect['stage']}):")
        out.append(_quoted(prospect["text"], "    > "))
    return "\n".join(out)


def digest_title(alerts: Sequence[Mapping[str, Any]]) -> str:
    if len(alerts) == 1:
        return alerts[0]["message"]
    critical = sum(alert["severity"] == "critical" for alert in alerts)
    extra = f" ({critical} critical)" if critical else ""
    return f"{len(alerts)} umot alerts{extra}"


def plain_digest(alerts: Sequence[Mapping[str, Any]]) -> str:
    if len(alerts) == 1:
        return plain_text(alerts[0])
    parts = [digest_title(alerts), ""]
    parts += [plain_text(alert) + "\n" for alert in alerts[:DETAILED]]
    rest = alerts[DETAILED:]
    if rest:
        parts.append(f"… and {len(rest)} more:")
        parts += [f"- [{a['severity']}] {a['message']}" for a in rest]
        parts.append("See them all with `umot alerts`.")
    return "\n".join(parts)


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(alerts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Slack's incoming-webhook body: mrkdwn in ``text``, user text escaped and quoted."""

    def one(alert: Mapping[str, Any]) -> str:
        details = alert.get("details") or {}
        icon = ":rotating_light:" if alert["severity"] == "critical" else ":warning:"
        lines = [f"{icon} *{slack_escape(alert['message'])}*"]
        if details.get("why"):
            lines.append(f"_Why:_ {slack_escape(details['why'])}")
        for label, value in _mention_lines(details):
            shown = (
                f"<{value}|open>"
                if label == "Link" and value.startswith("http")
                else slack_escape(value)
            )
            lines.append(f"*{label}:* {shown}")
        if details.get("text"):
            lines.append(_quoted(slack_escape(details["text"][:1500]), "&gt; "))
        return "\n".join(lines)

    blocks = [one(alert) for alert in alerts[:DETAILED]]
    if len(alerts) > DETAILED:
        blocks.append(f"… and {len(alerts) - DETAILED} more; see `umot alerts`.")
    header = f"*{slack_escape(digest_title(alerts))}*\n\n" if len(alerts) > 1 else ""
    return {"text": header + "\n\n".join(blocks), "unfurl_links": False}


def webhook_payload(alerts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    keys = ("id", "rule", "brand", "severity", "cause", "mention_id", "message", "created_at")
    return {
        "source": "umot",
        "type": "alerts",
        "count": len(alerts),
        "alerts": [
            {**{k: alert.get(k) for k in keys}, "details": alert.get("details") or {}}
            for alert in alerts
        ],
    }


def html_digest(alerts: Sequence[Mapping[str, Any]]) -> str:
    def one(alert: Mapping[str, Any]) -> str:
        details = alert.get("details") or {}
        color = "#b00020" if alert["severity"] == "critical" else "#a15c00"
        rows = "".join(
            f"<tr><th align='left' style='padding-right:8px'>{html.escape(label)}</th>"
            f"<td>{_html_value(label, value)}</td></tr>"
            for label, value in _mention_lines(details)
        )
        text = details.get("text")
        quote = (
            "<blockquote style='white-space:pre-wrap;border-left:3px solid #ccc;margin:8px 0;"
            f"padding-left:8px;overflow-wrap:anywhere'>{html.escape(text)}</blockquote>"
            if text
            else ""
        )
        why = f"<p>Why: {html.escape(details['why'])}</p>" if details.get("why") else ""
        return (
            f"<div style='margin-bottom:20px'><h3 style='color:{color};margin:0'>"
            f"{html.escape(alert['message'])}</h3>{why}<table>{rows}</table>{quote}</div>"
        )

    body = "".join(one(alert) for alert in alerts[:DETAILED])
    if len(alerts) > DETAILED:
        body += f"<p>… and {len(alerts) - DETAILED} more; see <code>umot alerts</code>.</p>"
    return (
        "<!doctype html><html><body style='font-family:sans-serif'>"
        f"<h2>{html.escape(digest_title(alerts))}</h2>{body}</body></html>"
    )


def _html_value(label: str, value: str) -> str:
    if label == "Link" and value.startswith(("http://", "https://")):
        return f"<a href='{html.escape(value, quote=True)}'>{html.escape(value)}</a>"
    return html.escape(value)


# ---- sending ------------------------------------------------------------------------


def post_json(url: str, payload: dict[str, Any], timeout: float, what: str) -> None:
    try:
        response = requests.post(
            url, json=payload, timeout=timeout, headers={"User-Agent": USER_AGENT}
        )
    except requests.RequestException as error:
        raise ChannelError(f"{what}: {type(error).__name__}") from None
    if not 200 <= response.status_code < 300:
        raise ChannelError(f"{what}: HTTP {response.status_code}")


def _report_html(alerts: Sequence[Mapping[str, Any]]) -> str | None:
    """A weekly report goes out as its own self-contained HTML page."""
    if len(alerts) != 1 or alerts[0].get("rule") != "weekly_report":
        return None
    path = (alerts[0].get("details") or {}).get("html_path")
    try:
        return Path(path).read_text(encoding="utf-8") if path else None
    except OSError:
        return None


def send_email(
    settings: Any, environ: Mapping[str, str], alerts: Sequence[Mapping[str, Any]]
) -> None:
    message = EmailMessage()
    subject = f"[umot] {digest_title(alerts)}"
    message["Subject"] = " ".join(subject.split())[:200]  # no header injection via newlines
    message["From"] = settings.mail_from
    message["To"] = ", ".join(settings.mail_to)
    message.set_content(plain_digest(alerts))
    message.add_alternative(_report_html(alerts) or html_digest(alerts), subtype="html")
    user = environ.get(settings.smtp_user_env or "", "") if settings.smtp_user_env else ""
    password = (
        environ.get(settings.smtp_password_env or "", "") if settings.smtp_password_env else ""
    )
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.timeout_seconds
    try:
        if settings.smtp_tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if settings.smtp_tls == "starttls":
                client.starttls(context=ssl.create_default_context())
            if user:
                client.login(user, password)
            client.send_message(message)
    except smtplib.SMTPAuthenticationError:
        names = f"{settings.smtp_user_env}/{settings.smtp_password_env}"
        raise ChannelError(f"email: {host} refused the login in {names}") from None
    except (OSError, smtplib.SMTPException) as error:
        raise ChannelError(f"email: {host}:{port}: {type(error).__name__}: {error}") from None


Sender = Callable[[Sequence[Mapping[str, Any]]], None]


def build_sender(
    name: str, settings: Any, environ: Mapping[str, str], console_print: Callable[[str], None]
) -> Sender:
    """A function that delivers a batch of alerts through one configured channel."""
    if settings.type == "console":
        return lambda alerts: console_print(plain_digest(alerts))
    if settings.type == "email":
        return lambda alerts: send_email(settings, environ, alerts)
    url = environ.get(settings.url_env or "", "").strip()

    def send(alerts: Sequence[Mapping[str, Any]]) -> None:
        if not url:
            raise ChannelError(f"{name}: set {settings.url_env} to the {settings.type} URL")
        payload = slack_payload(alerts) if settings.type == "slack" else webhook_payload(alerts)
        post_json(url, payload, settings.timeout_seconds, name)

    return send
