"""`umot collect --source` and `umot sources` with real collectors on local fakes."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from tests.fakes.feeds import FakeFeeds
from tests.fakes.server import FakeServer
from tests.fakes.x_api import TOKEN, FakeX
from umot.cli import cli


@pytest.fixture
def fakes():
    x, feeds = FakeX(), FakeFeeds()
    with FakeServer(x.handle) as x_server, FakeServer(feeds.handle) as feed_server:
        author = x.user("1", "anna", 4000)
        x.tweet("Velora levert snel", author, 30)
        x.tweet("Polderstroom storing?", author, 20)
        feeds.entry("/news.xml", "n1", "Smaakdoos breidt uit", "Nieuws", 40)
        yield x_server.url, f"{feed_server.url}/news.xml"


@pytest.fixture
def run(tmp_path, monkeypatch, fakes):
    x_url, feed_url = fakes
    monkeypatch.chdir(tmp_path)
    for name in ("UMOT_CONFIG", "UMOT_DB", "UMOT_X_BEARER_TOKEN", "UMOT_REDDIT_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "240")
    (tmp_path / "config.toml").write_text(
        f"""
[database]
path = "listen.db"
[sources.demo]
weeks = 1
mentions_per_day = 5
[sources.x]
enabled = true
base_url = "{x_url}"
[sources.reddit]
enabled = true
[sources.news]
type = "rss"
enabled = true
feeds = ["{feed_url}"]
"""
    )
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def test_one_source_collects_on_its_own(run, tmp_path, monkeypatch):
    monkeypatch.setenv("UMOT_X_BEARER_TOKEN", TOKEN)

    result = run("collect", "--source", "x")

    assert result.exit_code == 0, result.output
    with sqlite3.connect(tmp_path / "listen.db") as conn:
        assert conn.execute("SELECT DISTINCT source FROM mentions").fetchall() == [("x",)]
        assert conn.execute("SELECT count(*) FROM mentions").fetchone()[0] == 2


def test_a_missing_credential_skips_that_source_and_the_rest_collect(run, tmp_path):
    result = run("collect")

    assert result.exit_code == 1
    assert "skipped: source 'x': set UMOT_X_BEARER_TOKEN" in result.output
    assert "skipped: source 'reddit': set UMOT_REDDIT_CLIENT_ID" in result.output
    with sqlite3.connect(tmp_path / "listen.db") as conn:
        sources = {row[0] for row in conn.execute("SELECT DISTINCT source FROM mentions")}
    assert sources == {"demo", "news"}


def test_sources_lists_health_without_revealing_secrets(run, monkeypatch):
    monkeypatch.setenv("UMOT_X_BEARER_TOKEN", "wrong-but-s3cret")
    run("collect")

    table = run("sources")
    rows = {row["name"]: row for row in json.loads(run("sources", "--json").stdout)}

    assert table.exit_code == 0 and "s3cret" not in table.output
    assert rows["x"]["credentials"] == [
        {"env": "UMOT_X_BEARER_TOKEN", "required": True, "set": True}
    ]
    assert "refused the bearer token in UMOT_X_BEARER_TOKEN" in rows["x"]["last_error"]
    assert rows["news"]["last_status"] == "ok" and rows["news"]["last_inserted"] == 1
    assert rows["reddit"]["last_error"].startswith("source 'reddit': set UMOT_REDDIT_CLIENT_ID")
    assert set(rows) == {"demo", "x", "reddit", "news"}
    assert rows["demo"]["credentials"] == []
    assert "UMOT_REDDIT_CLIENT_ID" in table.output and "missing" in table.output


def test_sources_shows_what_each_costs_and_what_x_has_read(run, monkeypatch):
    monkeypatch.setenv("UMOT_X_BEARER_TOKEN", TOKEN)
    assert run("collect", "--source", "x").exit_code == 0

    rows = {row["name"]: row for row in json.loads(run("sources", "--json").output)}

    assert rows["x"]["access"].startswith("paid: pay-per-use")
    assert rows["x"]["usage"].startswith("2 posts read today, 2 this month (≈ $0.01 at")
    assert rows["x"]["usage"].endswith("stops at 1,000 a day")
    assert "Reddit's approval" in rows["reddit"]["access"]
    assert rows["news"]["access"].startswith("free") and rows["news"]["usage"] == ""
    table = run("sources").output
    assert "cost and access" in table and "posts read today" in table
