"""Secrets stay out of the database, logs, reports and errors; SQL and paths stay tame."""

from __future__ import annotations

import logging
import sqlite3

import pytest

from collectors.http import RetryPolicy
from reports.render import render
from reports.weekly import build_report, parse_week
from storage import open_database, queries, upsert_mentions
from tests.conftest import make_mention
from tests.fakes.server import FakeServer, Response
from umot.brands import BrandMatcher
from umot.config import Config, ConfigError, XSource, load_config
from umot.pipeline import run_collector
from umot.reporting import journey_of
from umot.sources import build_collector

SECRET = "sk-live-5ecr3t-T0ken"


def test_a_token_echoed_back_by_a_platform_never_reaches_db_logs_reports_or_errors(
    db, caplog, tmp_path
):
    def echo(request):  # a badly behaved server that repeats the credentials it got
        seen = request.headers.get("authorization", "")
        return Response(503 if len(server.requests) < 3 else 401, {"detail": f"bad {seen}"})

    server = FakeServer(echo)
    caplog.set_level(logging.DEBUG)
    with server:
        source = XSource(enabled=True, base_url=server.url)
        collector = build_collector(
            "x",
            source,
            config=Config(),
            db=db,
            environ={"UMOT_X_BEARER_TOKEN": SECRET},
            policy=RetryPolicy(sleep=lambda s: None),
        )
        report = run_collector(db, collector, matcher=BrandMatcher(Config().brands))

    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"  # it was sent
    assert report.error and SECRET not in report.error
    assert SECRET not in caplog.text
    dump = "\n".join(db.conn.iterdump())
    assert SECRET not in dump
    week = parse_week(None, "Europe/Amsterdam")
    html = render(build_report(db, journey_of(Config()), week), "html")
    assert SECRET not in html


def test_user_text_cannot_inject_sql_or_search_syntax(db):
    hostile = "'); DROP TABLE mentions; -- Velora"
    upsert_mentions(db, [make_mention(native_id="1", text=hostile)], source="t")

    assert [r["text"] for r in queries.search_mentions(db, "DROP TABLE")] == [hostile]
    for query in ('" OR 1=1 --', "text:*", "NEAR(a b)", "Velora*", "')"):
        queries.search_mentions(db, query)  # quoted as a phrase: no FTS syntax error
    assert db["mentions"].count == 1


@pytest.mark.parametrize(
    ("key", "value"),
    [("database", 'path = "umot\\u0000.db"'), ("report", 'out_dir = "reports\\nrm -rf"')],
)
def test_paths_in_the_configuration_are_validated(tmp_path, key, value):
    path = tmp_path / "config.toml"
    path.write_text(f"[{key}]\n{value}\n")
    with pytest.raises(ConfigError, match=rf"{key}\.(path|out_dir)"):
        load_config(path)


def test_backup_is_a_consistent_copy_and_never_overwrites_the_database(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from umot.cli import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("UMOT_CONFIG", raising=False)
    monkeypatch.delenv("UMOT_DB", raising=False)
    db = open_database(tmp_path / "umot.db")
    upsert_mentions(db, [make_mention(native_id=str(i)) for i in range(300)], source="t")
    runner = CliRunner()

    made = runner.invoke(cli, ["backup", "copy.db"], catch_exceptions=False)
    itself = runner.invoke(cli, ["backup", "umot.db"], catch_exceptions=False)

    assert made.exit_code == 0, made.output
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT count(*) FROM mentions").fetchone()[0] == 300
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert itself.exit_code == 1 and "cannot overwrite the database itself" in itself.output


def test_backup_into_a_missing_or_unwritable_place_is_a_clear_error(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from umot.cli import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("UMOT_CONFIG", raising=False)
    monkeypatch.delenv("UMOT_DB", raising=False)
    open_database(tmp_path / "umot.db").close()
    (tmp_path / "copy.db").mkdir()  # a folder in the way of the copy
    runner = CliRunner()

    missing = runner.invoke(cli, ["backup", "nowhere/copy.db"], catch_exceptions=False)
    folder = runner.invoke(cli, ["backup", "copy.db"], catch_exceptions=False)

    assert missing.exit_code == 1 and "folder nowhere does not exist" in missing.output
    assert folder.exit_code == 2 and "is a directory" in folder.output
