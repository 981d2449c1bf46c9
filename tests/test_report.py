"""The weekly report: demo data, consistency with SQL, hostile text, empty weeks, schedule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from collectors.demo import DemoCollector
from reports.render import render
from reports.weekly import ReportError, Week, build_report, parse_week
from storage.writes import ClassificationRow, store_classifications
from tests.alert_helpers import add
from umot.brands import BrandMatcher
from umot.cli import cli
from umot.config import Config
from umot.pipeline import run_collector
from umot.reporting import due_week, journey_of, scheduled_report

CONFIG = Config()
JOURNEY = journey_of(CONFIG)
HOSTILE = (
    "<script>alert('x')</script><img src=x onerror=alert(1)> **bold** | pipe [link](javascript:x) "
    "مرحبا بالعالم 😡🔥 " + "A" * 3000
)


@pytest.fixture
def demo_db(db):
    """Three weeks of the demo, labelled with the demo's own truth (a known classifier)."""
    run_collector(
        db, DemoCollector(weeks=3, mentions_per_day=40), matcher=BrandMatcher(CONFIG.brands)
    )
    rows = [
        ClassificationRow(
            row["id"],
            None,
            truth["sentiment"],
            {truth["sentiment"]: 1.0},
            truth["stage"],
            {truth["stage"]: 1.0},
        )
        for row in db.query("SELECT id, raw FROM mentions")
        for truth in [json.loads(row["raw"])["demo"]]
    ]
    store_classifications(db, "demo-truth", rows)
    return db


def last_week(now=None):
    return parse_week(None, CONFIG.report.timezone, now)


def sql(db, query, *params):
    return db.execute(query, params).fetchone()[0]


def test_demo_report_numbers_match_the_database(demo_db):
    week = last_week()
    report = build_report(demo_db, JOURNEY, week)
    start, end = week.start.strftime("%Y-%m-%dT%H:%M:%SZ"), week.end.strftime("%Y-%m-%dT%H:%M:%SZ")
    in_week = (
        "FROM mentions m JOIN classifications c ON c.mention_id = m.id "
        "WHERE m.created_at >= ? AND m.created_at < ?"
    )

    assert (
        report.counts.mentions
        == sql(
            demo_db,
            "SELECT count(*) FROM mentions WHERE created_at >= ? AND created_at < ?",
            start,
            end,
        )
        > 100
    )
    assert report.counts.sentiment["negative"] == sql(
        demo_db, f"SELECT count(*) {in_week} AND c.sentiment = 'negative'", start, end
    )
    assert sum(sum(day.values()) for day in report.counts.daily.values()) == report.counts.mentions
    assert report.counts.stages["advocacy"] == sql(
        demo_db, f"SELECT count(*) {in_week} AND c.stage = 'advocacy'", start, end
    )
    assert report.influence.umot_posts == sql(
        demo_db, f"SELECT count(*) {in_week} AND c.stage IN ('experience', 'advocacy')", start, end
    )
    assert report.influence.prospects > 0 and report.top_umot
    assert report.top_umot[0].prospects >= report.top_umot[-1].prospects
    assert all(m["sentiment"] == "negative" for m in report.needing_reply)
    assert sum(report.transitions.values()) > 0
    previous = build_report(demo_db, JOURNEY, week.previous)
    assert report.headline[0].previous == previous.counts.mentions


def test_both_formats_have_every_section(demo_db):
    report = build_report(demo_db, JOURNEY, last_week())
    html, md = render(report, "html"), render(report, "md")
    for title in (
        "Headlines",
        "Volume and sentiment per day",
        "Journey stage funnel",
        "Stage transitions",
        "Negative experiences waiting for a reply",
        "UMOT posts that reached prospects",
        "Platforms and languages",
        "Alerts this week",
    ):
        assert title in html and f"## {title}" in md
    assert html.count("<svg") == 2
    assert "http" not in html.split("<main>")[0].replace(
        "http-equiv", ""
    )  # no external resources in the head


def test_hostile_text_is_escaped_in_html_and_markdown(db):
    add(
        db,
        sentiment="negative",
        stage="experience",
        followers=50_000,
        text=HOSTILE,
        hours_ago=24 * 3,
    )
    week = parse_week(None, CONFIG.report.timezone, datetime(2026, 11, 23, 12, tzinfo=UTC))
    report = build_report(db, JOURNEY, week)
    assert report.needing_reply

    html, md = render(report, "html"), render(report, "md")

    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "مرحبا بالعالم 😡🔥" in html and 'dir="auto"' in html
    assert "…" in html  # 3,000 A's are cut, and the text box wraps anywhere
    assert "<script>" not in md and r"\<script\>" in md and r"\*\*bold\*\*" in md
    assert r"\| pipe" in md and r"\[link\]\(javascript:x\)" in md  # no live link


def test_an_empty_week_says_so(db):
    report = build_report(db, JOURNEY, Week(2020, 2, "Europe/Amsterdam"))
    html, md = render(report, "html"), render(report, "md")
    assert report.empty
    assert "No mentions in this week." in html and "No mentions in this week." in md
    assert "<svg" not in html and "No alerts this week." in md


def test_weeks_follow_the_iso_calendar_in_the_report_time_zone():
    week = parse_week("2026-W47", "Europe/Amsterdam")
    assert (week.start, week.end) == (
        datetime(2026, 11, 15, 23, tzinfo=UTC),
        datetime(2026, 11, 22, 23, tzinfo=UTC),
    )
    assert (
        week.previous.label == "2026-W46"
        and parse_week("2026-W53", "UTC").following.label == "2027-W01"
    )
    assert parse_week(None, "UTC", datetime(2026, 1, 2, tzinfo=UTC)).label == "2025-W52"
    for bad in ("2026-47", "2025-W53", "W47"):
        with pytest.raises(ReportError):
            parse_week(bad, "UTC")


def test_the_scheduled_report_is_due_after_the_configured_hour_and_written_once(demo_db, tmp_path):
    config = Config.model_validate({"report": {"out_dir": str(tmp_path / "out")}})
    monday_morning = datetime(2026, 11, 23, 6, 59, tzinfo=UTC)  # 07:59 in Amsterdam
    assert due_week(config, monday_morning) is None
    assert due_week(config, monday_morning + timedelta(minutes=1)).label == "2026-W47"
    assert due_week(config, datetime(2026, 11, 29, 22, tzinfo=UTC)).label == "2026-W47"

    now = datetime.now(UTC) + timedelta(days=7)  # a week from now, last week is this week
    path = scheduled_report(demo_db, config, now)
    again = scheduled_report(demo_db, config, now)

    assert path is not None and path.exists() and again is None
    alert = next(demo_db.query("SELECT * FROM alerts WHERE rule = 'weekly_report'"))
    details = json.loads(alert["details"])
    assert details["html_path"].endswith(".html") and alert["message"].startswith("Weekly report")


def test_report_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("UMOT_CONFIG", raising=False)
    monkeypatch.delenv("UMOT_DB", raising=False)
    (tmp_path / "config.toml").write_text(
        '[database]\npath = "r.db"\n[sources.demo]\nweeks = 1\nmentions_per_day = 10\n'
    )
    runner = CliRunner()
    invoke = lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)  # noqa: E731
    assert invoke("collect").exit_code == 0

    made = invoke("report", "--format", "md", "--out", "week.md", "--brand", "Velora")
    wrong = invoke("report", "--week", "2026-47")
    unknown = invoke("report", "--brand", "Nope")

    assert made.exit_code == 0 and (tmp_path / "week.md").read_text().startswith(
        "# Weekly report · Velora"
    )
    assert made.stdout.strip().endswith("week.md")
    assert wrong.exit_code == 1 and "not an ISO week" in wrong.output
    assert unknown.exit_code == 1 and "no brand named 'Nope'" in unknown.output
    default = invoke("report")
    assert (
        default.exit_code == 0
        and len(list((tmp_path / "weekly-reports").glob("umot-report-*"))) == 2
    )


def test_an_unwritable_report_folder_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("UMOT_CONFIG", raising=False)
    monkeypatch.delenv("UMOT_DB", raising=False)
    (tmp_path / "taken").write_text("a file where the report folder should be")
    (tmp_path / "config.toml").write_text('[report]\nout_dir = "taken/reports"\n')
    runner = CliRunner()
    assert runner.invoke(cli, ["init"], catch_exceptions=False).exit_code == 0

    result = runner.invoke(cli, ["report"], catch_exceptions=False)

    assert result.exit_code == 1 and "cannot write the report to" in result.output
    assert (tmp_path / "taken").read_text().startswith("a file")
