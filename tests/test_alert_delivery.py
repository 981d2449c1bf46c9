"""Alert delivery through real local servers: SMTP (aiosmtpd) and HTTP receivers."""

from __future__ import annotations

import json
import socket
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from reports.alerting import run_alerts
from tests.alert_helpers import NOW, add
from tests.fakes.server import FakeServer, Response
from umot.config import Config

HOSTILE = "<script>alert(1)</script> & <!channel> Velora is <b>slecht</b> 😡 עברית"


class Inbox:
    def __init__(self) -> None:
        self.messages = []
        self.logins = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"smtp-pass", handled=False)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=inbox.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    inbox.port = port
    yield inbox
    controller.stop()


class Receiver:
    def __init__(self, status=200):
        self.status = status
        self.bodies = []

    def handle(self, request):
        if self.status != 200:
            return Response(self.status, {"error": "down"})
        self.bodies.append(json.loads(request.body))
        return Response(200, "ok", content_type="text/plain")


@pytest.fixture
def receivers():
    slack, hook = Receiver(), Receiver()
    with FakeServer(slack.handle) as slack_server, FakeServer(hook.handle) as hook_server:
        yield slack, hook, {"SLACK_URL": slack_server.url + "/hook", "HOOK_URL": hook_server.url}


def make_config(smtp_port, **alerts):
    return Config.model_validate(
        {
            "alerts": {
                "channels": {
                    "mail": {
                        "type": "email",
                        "smtp_host": "127.0.0.1",
                        "smtp_port": smtp_port,
                        "smtp_tls": "none",
                        "smtp_user_env": "SMTP_USER",
                        "smtp_password_env": "SMTP_PASS",
                        "mail_from": "umot@example.com",
                        "mail_to": ["care@example.com"],
                    },
                    "slack": {"type": "slack", "url_env": "SLACK_URL"},
                    "hook": {"type": "webhook", "url_env": "HOOK_URL"},
                },
                **alerts,
            }
        }
    )


def env(urls):
    return {**urls, "SMTP_USER": "umot", "SMTP_PASS": "smtp-pass"}


def deliver(db, config, urls, now=NOW):
    return run_alerts(db, config, now=now, environ=env(urls), console_print=lambda text: None)


def test_every_channel_shows_the_post_escaped_for_its_format(db, smtp, receivers):
    slack, hook, urls = receivers
    key = add(db, sentiment="negative", stage="experience", followers=12_000, text=HOSTILE)

    report = deliver(db, make_config(smtp.port), urls)

    assert report.delivered == {"mail": 1, "slack": 1, "hook": 1}
    mail = smtp.messages[0]
    assert smtp.logins == [("umot", "smtp-pass")]
    assert mail["Subject"].startswith("[umot] Negative experience post about Velora by @")
    html_part = mail.get_body(("html",)).get_content()
    assert "<script>" not in html_part and "&lt;script&gt;alert(1)&lt;/script&gt;" in html_part
    assert "😡 עברית" in html_part
    text_part = mail.get_body(("plain",)).get_content()
    assert f"> {HOSTILE}" in text_part and "12,000 followers" in text_part
    slack_text = slack.bodies[0]["text"]
    assert "<!channel>" not in slack_text and "&lt;!channel&gt;" in slack_text
    assert "&gt; &lt;script&gt;" in slack_text  # quoted, and escaped
    alert = hook.bodies[0]["alerts"][0]
    assert alert["mention_id"] == key and alert["details"]["text"] == HOSTILE
    assert alert["details"]["why"].startswith("negative experience post with 12,000 followers")


def test_nothing_is_sent_twice_across_cycles(db, smtp, receivers):
    slack, hook, urls = receivers
    add(db, sentiment="negative", stage="experience", followers=12_000)
    config = make_config(smtp.port)

    deliver(db, config, urls)
    second = deliver(db, config, urls, now=NOW + timedelta(minutes=15))

    assert (second.raised, second.new, second.delivered) == (1, 0, {})
    assert (len(smtp.messages), len(slack.bodies), len(hook.bodies)) == (1, 1, 1)
    assert db["alerts"].count == 1


def test_cool_down_holds_the_next_alert_of_a_rule_and_brand_then_sends_it(db, smtp, receivers):
    _, hook, urls = receivers
    config = make_config(smtp.port, cooldown_minutes=60)
    add(db, sentiment="negative", stage="experience", followers=12_000, hours_ago=2)
    deliver(db, config, urls)
    add(db, sentiment="negative", stage="experience", followers=12_000, hours_ago=0.5)
    add(
        db,
        sentiment="negative",
        stage="experience",
        followers=9_000,
        brand="Smaakdoos",
        hours_ago=0.5,
    )

    during = deliver(db, config, urls, now=NOW + timedelta(minutes=20))
    after = deliver(db, config, urls, now=NOW + timedelta(minutes=61))

    assert during.delivered["hook"] == 1  # Smaakdoos is not cooling down
    assert hook.bodies[1]["alerts"][0]["brand"] == "Smaakdoos"
    assert after.delivered["hook"] == 1 and hook.bodies[2]["alerts"][0]["brand"] == "Velora"


def test_many_alerts_at_once_become_one_digest_per_channel(db, smtp, receivers):
    slack, hook, urls = receivers
    for _ in range(5):
        add(db, sentiment="negative", stage="advocacy", followers=30_000)

    report = deliver(db, make_config(smtp.port, digest_threshold=3), urls)

    assert report.delivered == {"mail": 5, "slack": 5, "hook": 5}
    assert len(smtp.messages) == len(slack.bodies) == len(hook.bodies) == 1
    assert smtp.messages[0]["Subject"] == "[umot] 5 umot alerts"
    assert hook.bodies[0]["count"] == 5


def test_a_failing_channel_is_recorded_and_retried_while_the_others_deliver(db, smtp):
    broken, fine = Receiver(status=500), Receiver()
    with FakeServer(broken.handle) as broken_server, FakeServer(fine.handle) as fine_server:
        urls = {"SLACK_URL": fine_server.url, "HOOK_URL": broken_server.url}
        config = make_config(smtp.port)
        add(db, sentiment="negative", stage="experience", followers=12_000)

        first = deliver(db, config, urls)
        broken.status = 200
        second = deliver(db, config, urls, now=NOW + timedelta(minutes=15))

    assert first.failed == {"hook": "hook: HTTP 500"}
    assert first.delivered == {"mail": 1, "slack": 1}
    assert second.delivered == {"hook": 1} and len(broken.bodies) == 1
    assert len(smtp.messages) == 1 and len(fine.bodies) == 1
    attempts = db.execute(
        "SELECT attempts, delivered_at IS NOT NULL FROM alert_deliveries WHERE channel = 'hook'"
    ).fetchone()
    assert attempts == (2, 1)


def test_a_refused_smtp_login_names_the_variables_not_the_password(db, smtp, receivers):
    _, _, urls = receivers
    add(db, sentiment="negative", stage="experience", followers=12_000)
    environ = {**env(urls), "SMTP_PASS": "wrong-s3cret"}

    report = run_alerts(
        db, make_config(smtp.port), now=NOW, environ=environ, console_print=lambda t: None
    )

    assert report.failed["mail"] == "email: 127.0.0.1 refused the login in SMTP_USER/SMTP_PASS"
    assert "s3cret" not in json.dumps(list(db.query("SELECT * FROM alert_deliveries")))


def test_the_weekly_report_goes_out_on_its_own_with_the_html_in_the_mail(
    db, smtp, receivers, tmp_path
):
    from storage.alerting import NewAlert, insert_alerts

    slack, hook, urls = receivers
    page = tmp_path / "umot-report-2026-W47.html"
    page.write_text("<!doctype html><html><body><h1>Weekly report · all brands</h1></body></html>")
    for _ in range(4):
        add(db, sentiment="negative", stage="advocacy", followers=30_000)
    insert_alerts(
        db,
        [
            NewAlert(
                "weekly_report",
                "2026-W47",
                None,
                "Weekly report 2026-W47: 498 mentions",
                severity="info",
                details={"html_path": str(page), "paths": {"html": str(page)}},
            )
        ],
        NOW,
    )

    report = deliver(db, make_config(smtp.port, digest_threshold=3), urls)

    assert report.delivered == {"mail": 5, "slack": 5, "hook": 5}
    assert len(smtp.messages) == 2  # the report, then one digest of the four alerts
    mail = next(m for m in smtp.messages if "Weekly report" in m["Subject"])
    assert "<h1>Weekly report · all brands</h1>" in mail.get_body(("html",)).get_content()
    summary = next(b for b in hook.bodies if b["alerts"][0]["rule"] == "weekly_report")
    assert summary["alerts"][0]["details"]["paths"]["html"] == str(page)
    assert any(str(page) in body["text"] for body in slack.bodies)
