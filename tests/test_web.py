"""The workspace's routes: every page and action, and every refusal."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from storage import open_database
from tests.web_helpers import HOSTILE, PASSWORDS, csrf_of, log_in, workspace_client
from umot.web.security import LoginThrottle


@pytest.fixture
def web(tmp_path):
    client, ids, path = workspace_client(tmp_path)
    with client:
        yield client, ids, path


def stored(path, sql, params=()):
    db = open_database(path)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def test_pages_need_a_session(web):
    client, ids, _ = web
    for page in ("/", "/alerts", "/overview", "/reports", f"/mentions/{ids['umot']}"):
        response = client.get(page)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert client.post("/mentions/bulk", data={"ids": ids["umot"]}).status_code == 401
    assert client.get("/static/app.css").status_code == 200  # static files are public


def test_login_sets_a_safe_cookie_and_refuses_bad_passwords(web):
    client, _, _ = web
    token = csrf_of(client.get("/login").text)
    wrong = client.post(
        "/login", data={"username": "anna", "password": "nope", "csrf_token": token}
    )
    assert wrong.status_code == 401 and "do not match" in wrong.text
    missing = client.post("/login", data={"username": "anna", "password": PASSWORDS["anna"]})
    assert missing.status_code == 403
    right = client.post(
        "/login",
        data={
            "username": "anna",
            "password": PASSWORDS["anna"],
            "csrf_token": token,
            "next": "https://evil.example/",
        },
    )
    assert right.status_code == 303 and right.headers["location"] == "/"  # no open redirect
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    page = client.get("/")
    assert page.status_code == 200 and "Inbox" in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)  # no inline script


def test_failed_logins_are_slowed_down():
    throttle = LoginThrottle(free=2, window=60, max_delay=4)
    assert throttle.delay("user:a", "addr:1") == 0
    for _ in range(2):
        throttle.failed("user:a", "addr:1")
    assert throttle.delay("user:a", "addr:2") == 1  # the name alone is enough
    throttle.failed("user:a")
    throttle.failed("user:a")
    assert throttle.delay("user:a") == 4
    throttle.succeeded("user:a")
    assert throttle.delay("user:a") == 0


def test_inbox_shows_labels_context_and_escapes_hostile_text(web):
    client, _, _ = web
    log_in(client, "anna")
    page = client.get("/").text
    assert page.index("Smaakdoos is top") < page.index("Blijf weg bij Velora")  # newest first
    assert "replying to @klant" in page  # thread context
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;x&#39;)" in page
    assert "<img src=x" not in page
    assert "negative" in page and "90%" in page  # sentiment with the model's confidence


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("brand=Smaakdoos", ["Smaakdoos is top"], ["Blijf weg"]),
        ("stage=advocacy&sentiment=negative", ["Blijf weg"], ["Smaakdoos is top"]),
        ("q=klantenservice", ["accu is na drie weken"], ["Blijf weg"]),
        (
            "view=needs-reply&since=2026-11-01",
            ["accu is na drie weken"],
            ["Blijf weg", "Smaakdoos"],
        ),
    ],
)
def test_inbox_filters(web, query, shown, hidden):
    client, _, _ = web
    log_in(client, "bram")
    page = client.get(f"/?{query}").text
    rows = page[page.index('id="rows"') :]
    for text in shown:
        assert text in rows
    for text in hidden:
        assert text not in rows


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sentiment=angry", "sentiment must be"),
        ("stage=bliss", "stage must be"),
        ("since=yesterday", "since must be a date"),
        ("since=2026-11-10&until=2026-11-01", "since must be before until"),
        ("brand=Nope", "brand must be a configured brand"),
        ("cursor=garbage", "cursor is not valid"),
        ("view=everything", "view must be"),
    ],
)
def test_bad_filters_are_400_with_a_reason(web, query, message):
    client, _, _ = web
    log_in(client, "vera")
    response = client.get(f"/?{query}")
    assert response.status_code == 400 and message in response.text
    assert "Traceback" not in response.text


def test_new_mentions_arrive_by_polling(web):
    client, _, path = web
    log_in(client, "anna")
    newest = stored(path, "SELECT max(seq) FROM mentions")[0][0]
    response = client.get(f"/inbox/new?newer_than={newest}", headers={"x-requested-with": "t"})
    assert response.status_code == 200 and "article" not in response.text
    older = client.get(f"/inbox/new?newer_than={newest - 1}&brand=Smaakdoos").text
    assert older.count("<article") == 1 and "Smaakdoos is top" in older
    assert client.get("/inbox/new?newer_than=x").status_code == 400


def test_bulk_triage_and_correction_need_an_editor_and_a_token(web):
    client, ids, path = web
    form = {"ids": [ids["umot"], ids["answered"]], "status": "handled", "back": "/"}
    viewer_token = log_in(client, "vera")
    refused = client.post("/mentions/bulk", data={**form, "csrf_token": viewer_token})
    assert refused.status_code == 403 and "viewer" in refused.text

    token = log_in(client, "bram")
    assert client.post("/mentions/bulk", data=form).status_code == 403  # no token
    assert client.post("/mentions/bulk", data={**form, "csrf_token": "stale"}).status_code == 403
    assert stored(path, "SELECT count(*) FROM triage")[0][0] == 0  # nothing changed

    done = client.post(
        "/mentions/bulk",
        data={**form, "csrf_token": token, "set_stage": "purchase", "add_tags": "accu, Retour"},
    )
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert stored(path, "SELECT status FROM triage ORDER BY mention_id") == [("handled",)] * 2
    assert (
        sorted(stored(path, "SELECT stage, labeled_by FROM human_labels"))
        == [("purchase", "bram")] * 2
    )
    assert sorted(r[0] for r in stored(path, "SELECT DISTINCT tag FROM mention_tags")) == [
        "accu",
        "retour",
    ]
    history = stored(
        path,
        "SELECT user_name, field, old_value, new_value FROM mention_history WHERE mention_id = ?",
        [ids["umot"]],
    )
    assert ("bram", "status", "open", "handled") in history
    assert ("bram", "stage", "experience", "purchase") in history
    header = client.post(
        "/mentions/bulk",
        data={"ids": ids["umot"], "status": "pending"},
        headers={"x-csrf-token": token},
    )
    assert header.status_code == 303  # the header carries the token for scripted requests
    bad = client.post(
        "/mentions/bulk", data={"ids": ids["umot"], "status": "done", "csrf_token": token}
    )
    assert bad.status_code == 400 and "status must be" in bad.text
    assert client.post("/mentions/bulk", data={"csrf_token": token}).status_code == 400
    half = client.post(
        "/mentions/bulk",
        data={
            "ids": ids["hostile"],
            "status": "ignored",
            "set_stage": "bliss",
            "csrf_token": token,
        },
    )
    assert half.status_code == 400 and "stage must be" in half.text
    assert stored(path, "SELECT count(*) FROM triage WHERE status = 'ignored'") == [(0,)]


def test_mention_page_draws_the_thread_and_the_influence(web):
    client, ids, _ = web
    log_in(client, "anna")
    page = client.get(f"/mentions/{ids['umot']}").text
    tree = page[page.index('class="tree"') :]
    assert tree.index("@klant") < tree.index("@twijfelaar") < tree.index("@derde")
    assert 'class="depth-2' in tree  # the nested reply sits below the prospect
    assert "Prospects exposed" in page
    assert re.search(r"Prospects exposed</dt><dd>1</dd>", page)
    assert "https://x.com/u/status/" in page  # link to the original
    reply = client.get(f"/mentions/{ids['prospect']}").text
    assert "Prospects exposed" not in reply  # not a UMOT post
    missing = client.get(f"/mentions/{quote('x:404')}")
    assert missing.status_code == 404 and "no mention" in missing.text


def test_alerts_show_delivery_and_can_be_acknowledged_and_resolved(web):
    client, _, path = web
    token = log_in(client, "bram")
    page = client.get("/alerts").text
    assert "A negative experience with reach about Velora" in page
    assert "no channel configured" in page
    alert_id = stored(path, "SELECT id FROM alerts")[0][0]
    assert client.post(f"/alerts/{alert_id}", data={"state": "acknowledged"}).status_code == 403
    client.post(
        f"/alerts/{alert_id}",
        data={"state": "acknowledged", "note": "Bellen", "csrf_token": token},
    )
    assert stored(path, "SELECT status, handled_by, handled_note FROM alerts") == [
        ("acknowledged", "bram", "Bellen")
    ]
    client.post(f"/alerts/{alert_id}", data={"state": "resolved", "csrf_token": token})
    assert stored(path, "SELECT status FROM alerts")[0][0] == "resolved"
    assert "Acknowledge" not in client.get("/alerts?status=resolved").text
    assert client.get("/alerts?status=lost").status_code == 400
    assert (
        client.post("/alerts/999", data={"state": "resolved", "csrf_token": token}).status_code
        == 400
    )


def test_overview_and_reports(web, tmp_path):
    client, _, _ = web
    token = log_in(client, "anna")
    overview = client.get("/overview?week=2026-W47")
    assert overview.status_code == 200 and "Needs reply now" in overview.text
    assert "data:image/svg+xml;base64," in overview.text
    assert client.get("/overview?week=2026-W99").status_code == 400

    written = client.post("/reports", data={"week": "2026-W47", "csrf_token": token})
    assert written.status_code == 303
    name = written.headers["location"].rsplit("/", 1)[1]
    assert (tmp_path / "reports" / name).is_file()
    report = client.get(f"/reports/{name}")
    assert (
        report.status_code == 200
        and "default-src 'none'" in report.headers["content-security-policy"]
    )
    assert name in client.get("/reports").text
    assert client.get("/reports/..%2Fweb.db").status_code == 404
    assert client.get("/reports/umot-report-nope.html").status_code == 404
    bad = client.post("/reports", data={"week": "last week", "csrf_token": token})
    assert bad.status_code == 400 and "ISO week" in bad.text


def test_logout_ends_the_session(web):
    client, _, path = web
    token = log_in(client, "anna")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/").status_code == 303
    assert stored(path, "SELECT count(*) FROM sessions")[0][0] == 0


def test_hostile_text_in_the_mention_page_is_text(web):
    client, ids, _ = web
    log_in(client, "anna")
    page = client.get(f"/mentions/{ids['hostile']}").text
    assert "<img src=x onerror" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "A" * 3000 in page  # shown whole on its own page (CSS wraps it)
    assert HOSTILE[:10] not in page


def test_needs_reply_looks_back_a_week_unless_told(web):
    from datetime import UTC, datetime, timedelta

    from storage import upsert_mentions
    from storage.writes import ClassificationRow, store_classifications
    from tests.alert_helpers import MODEL
    from tests.conftest import make_mention

    client, _, path = web
    db = open_database(path)
    fresh = make_mention(text="Velora kapot, vandaag nog", created_at=datetime.now(UTC))
    old = make_mention(
        text="Velora kapot, vorige maand", created_at=datetime.now(UTC) - timedelta(days=30)
    )
    upsert_mentions(db, [fresh, old], source="t")
    store_classifications(
        db,
        MODEL,
        [ClassificationRow(m.key, "nl", "negative", {}, "experience", {}) for m in (fresh, old)],
    )
    db.close()
    log_in(client, "bram")
    recent = client.get("/?view=needs-reply").text
    assert "vandaag nog" in recent and "vorige maand" not in recent
    assert "from the last 7 days" in recent
    older = client.get("/?view=needs-reply&since=2026-01-01").text
    assert "vandaag nog" in older and "vorige maand" in older
    assert "of the last 7 days" in client.get("/overview").text


def test_review_queue_labels_least_sure_first_and_undoes(web):
    client, ids, path = web
    db = open_database(path)
    db.execute("UPDATE classifications SET margin = 0.9")
    db.execute("UPDATE classifications SET margin = 0.05 WHERE mention_id = ?", [ids["answered"]])
    db.conn.commit()
    db.close()
    token = log_in(client, "bram")

    page = client.get("/review").text
    assert "Blijf weg bij Velora" in page and 'name="stage" value="advocacy"' in page
    saved = client.post(
        "/review/label",
        data={
            "id": ids["answered"],
            "stage": "experience",
            "sentiment": "negative",
            "csrf_token": token,
        },
    )
    assert saved.status_code == 303 and "undo=" in saved.headers["location"]
    assert stored(path, "SELECT stage, sentiment, labeled_by FROM human_labels") == [
        ("experience", "negative", "bram")
    ]
    after = client.get(saved.headers["location"]).text
    next_form = after.split('<form id="review"')[1].split("</form>")[0]
    assert f'value="{ids["answered"]}"' not in next_form  # the queue moved on
    assert 'action="/review/undo"' in after

    client.post("/review/undo", data={"id": ids["answered"], "csrf_token": token})
    assert stored(path, "SELECT count(*) FROM human_labels") == [(0,)]
    assert "Blijf weg bij Velora" in client.get("/review").text  # back in the queue

    bad = client.post(
        "/review/label", data={"id": ids["answered"], "stage": "bliss", "csrf_token": token}
    )
    assert bad.status_code == 400
    log_in(client, "vera")
    assert "Save and next" not in client.get("/review").text  # viewers only look


def test_review_page_charts_held_out_scores_per_model_version(web):
    from nlp.versions import VersionStore, models_folder

    client, _, path = web
    log_in(client, "anna")
    assert "None yet" in client.get("/review").text
    store = VersionStore(models_folder(path))
    for stage in (0.61, 0.72):
        store.add(
            lambda folder: None,
            {"comparison": {"held-out human labels, stage": {"candidate": stage}}},
        )
    page = client.get("/review").text
    assert 'class="chart" src="data:image/svg+xml;base64,' in page and "None yet" not in page


def test_one_retrain_at_a_time(tmp_path):
    import threading

    from storage.workspace import WorkspaceError
    from umot.config import Config
    from umot.retrain import BaseData
    from umot.web.retrain_job import RetrainJob

    release, working = threading.Event(), threading.Event()

    def slow(db, config, database, base, progress):
        advance = progress("features", 10)
        advance(4)
        working.set()
        release.wait(10)
        raise RuntimeError("the encoder went away")

    job = RetrainJob(Config(), tmp_path / "j.db", BaseData(tmp_path / "none.jsonl"))
    job.start("anna", run=slow)
    with pytest.raises(WorkspaceError, match=r"already running \(started by anna"):
        job.start("bram", run=slow)
    working.wait(10)
    state = job.snapshot()
    assert (state.status, state.step, state.done, state.total) == ("running", "features", 4, 10)
    release.set()
    job.wait(10)
    assert job.snapshot().status == "failed" and "encoder went away" in job.snapshot().error


def test_retrain_from_the_workspace_needs_an_admin_and_can_promote(web):
    client, ids, path = web
    db = open_database(path)
    from storage.workspace import set_labels

    for key in ids.values():
        set_labels(
            db,
            [key],
            "bram",
            stage="experience",
            sentiments=("negative", "neutral", "positive"),
            stages=("awareness", "consideration", "purchase", "experience", "advocacy", "none"),
        )
    db.close()
    token = log_in(client, "bram")
    assert client.post("/review/retrain", data={"csrf_token": token}).status_code == 403
    token = log_in(client, "anna")
    assert client.post("/review/retrain").status_code == 403  # no CSRF token
    assert client.post("/review/retrain", data={"csrf_token": token}).status_code == 303
    client.app.state.workspace.retrain.wait(120)
    panel = client.get("/review/retrain").text
    assert "v0001" in panel and "kept as a candidate" in panel and "too few to tell" in panel
    assert (
        client.post("/review/promote", data={"version": "v0001", "csrf_token": token}).status_code
        == 303
    )
    assert "In use: <strong>v0001</strong>" in client.get("/review").text
    bad = client.post("/review/promote", data={"version": "v9", "csrf_token": token})
    assert bad.status_code == 400


def test_mention_page_shows_the_imported_sentiment_beside_umots(web, tmp_path):
    from collectors.files import FileCollector
    from collectors.presets import id_from_url
    from storage.writes import ClassificationRow, store_classifications
    from tests.alert_helpers import MODEL
    from umot.brands import BrandMatcher
    from umot.config import Config
    from umot.pipeline import run_collector

    client, ids, path = web
    brandwatch, other = tmp_path / "brandwatch.csv", tmp_path / "other.csv"
    brandwatch.write_text(
        "Date,Url,Full Text,Sentiment\n"
        "2026-11-19 09:00:00.0,https://x.com/a/status/1859000000000000001,"
        "Velora bezorgt snel,negative\n"
    )
    other.write_text(
        "Datum,Link,Bericht,Stemming\n"
        '2026-11-19 10:00,https://www.nu.nl/velora,Velora in het nieuws,"<img src=x '
        'onerror=alert(1)> boos"\n'
    )
    db = open_database(path)
    matcher = BrandMatcher(Config().brands)
    run_collector(db, FileCollector(brandwatch, preset="brandwatch"), matcher=matcher)
    columns = "Bericht=text,Datum=created_at,Link=url,Stemming=sentiment"
    run_collector(db, FileCollector(other, columns=columns), matcher=matcher)
    store_classifications(
        db, MODEL, [ClassificationRow("x:1859000000000000001", "nl", "positive", {}, "none", {})]
    )
    db.close()
    log_in(client, "vera")
    page = client.get(f"/mentions/{quote('x:1859000000000000001')}").text
    labels = page[page.index('class="text full"') : page.index('class="badge status"')]
    assert 'badge sentiment-positive"' in labels  # umot's own label, unchanged
    assert re.search(r'class="badge imported"[^>]*>Brandwatch: negative</span>', labels)
    key = "web:" + id_from_url("https://www.nu.nl/velora", "web")
    hostile = client.get(f"/mentions/{quote(key)}").text
    assert "<img src=x onerror" not in hostile
    assert "Export: &lt;img src=x onerror=alert(1)&gt; boos</span>" in hostile
    assert "not classified yet" in hostile  # the export's word is not umot's label
    assert 'class="badge imported"' not in client.get(f"/mentions/{ids['umot']}").text
    assert stored(path, "SELECT count(*) FROM human_labels") == [(0,)]
