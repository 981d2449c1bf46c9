from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from umot.cli import cli

SMALL_DEMO = """
[database]
path = "listen.db"
[sources.demo]
weeks = 1
mentions_per_day = 15
"""


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("UMOT_CONFIG", raising=False)
    monkeypatch.delenv("UMOT_DB", raising=False)
    monkeypatch.setenv("COLUMNS", "220")  # wide enough that rich does not fold cells
    (tmp_path / "config.toml").write_text(SMALL_DEMO)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def count(path, sql="SELECT count(*) FROM mentions"):
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchone()[0]


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help(run, command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Usage: cli " + command in result.output or f"{command} [OPTIONS]" in result.output
    assert len(cli.commands[command].help or "") > 20


def test_init_collect_stats_round_trip(run, tmp_path):
    assert "Created" in run("init").output
    assert "Up to date" in run("init").output
    first = run("collect")
    assert first.exit_code == 0, first.output
    stored = count(tmp_path / "listen.db")
    assert stored > 100 and f"{stored:,}" in first.output
    again = run("collect")
    assert count(tmp_path / "listen.db") == stored
    assert "│ demo   │       0 │   0 │" in again.output
    stats = json.loads(run("stats", "--json").output)
    assert stats["counts"]["mentions"] == stored
    assert sum(n for _, n in stats["by_brand"]) == stored
    assert {lang for lang, _ in stats["by_lang"]} == {"nl", "en", "de", "fr", "es"}
    assert [r["step"] for r in stats["recent_runs"]] == ["collect", "collect"]
    human = run("stats").output
    assert f"{stored:,} mentions" in human and "Polderstroom" in human


def test_import_then_search_and_rejects(run, tmp_path):
    export = tmp_path / "export.jsonl"
    export.write_text(
        json.dumps(
            {
                "id": "1",
                "platform": "mastodon",
                "text": "[bold red]Velora[/] <script>",
                "created_at": "2026-11-01T10:00:00Z",
                "author": "[link=x]eva",
            }
        )
        + "\n"
        + '{"id": "2", "text": ""}\n'
    )
    result = run("import", str(export))
    assert result.exit_code == 0
    assert "1 │" in result.output and "rejects" in result.output
    assert run("import", str(export)).exit_code == 0
    assert count(tmp_path / "listen.db") == 1
    found = run("search", "velora").output
    assert "[bold red]Velora[/] <script>" in found  # shown literally, not as markup
    assert "[link=x]eva" in found
    listed = run("rejects").output
    assert "text:" in listed and "created_at" in listed


def test_import_errors_are_clear(run, tmp_path):
    result = CliRunner().invoke(cli, ["import", "missing.jsonl"])
    assert result.exit_code == 1 and "does not exist" in result.output
    (tmp_path / "bad.csv").write_text("who,what\n")
    result = CliRunner().invoke(cli, ["import", "bad.csv"])
    assert result.exit_code == 1 and "header lacks" in result.output


def test_bad_config_names_the_key_and_stores_nothing(run, tmp_path):
    (tmp_path / "config.toml").write_text("[sources.demo]\nweeks = 'many'\n")
    result = CliRunner().invoke(cli, ["collect"])
    assert result.exit_code == 1
    assert "sources.demo.weeks" in result.output
    assert not (tmp_path / "umot.db").exists() and not (tmp_path / "listen.db").exists()


def test_collect_single_named_source_and_unknown_name(run, tmp_path):
    assert run("collect", "--source", "demo").exit_code == 0
    result = CliRunner().invoke(cli, ["collect", "--source", "tiktok"])
    assert result.exit_code == 1 and "no source named 'tiktok'" in result.output


def test_stats_without_database_says_to_init(run):
    result = CliRunner().invoke(cli, ["--db", "elsewhere.db", "stats"])
    assert result.exit_code == 1 and "umot init" in result.output


def test_config_command_shows_effective_settings(run, tmp_path):
    data = json.loads(run("config").output)
    assert data["sources"]["demo"]["weeks"] == 1
    assert data["database"]["resolved_path"] == str(tmp_path / "listen.db")
