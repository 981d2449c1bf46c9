"""Faults: SIGKILL mid-collection, mid-classification and mid-report; a full disk; a
read-only database. After each, nothing stored is lost or doubled and the log says what
happened."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage import open_database
from tests.conftest import ListCollector, make_mention
from umot.brands import BrandMatcher
from umot.config import Config
from umot.pipeline import run_collector

UMOT = str(Path(sys.executable).with_name("umot"))


def scalar(path, sql):
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchone()[0]


def umot(folder, *args, **kwargs):
    env = {**os.environ, "UMOT_CONFIG": str(folder / "config.toml"), "COLUMNS": "200"}
    return subprocess.run(
        [UMOT, *args], cwd=folder, env=env, capture_output=True, text=True, **kwargs
    )


def start(folder, *args):
    env = {**os.environ, "UMOT_CONFIG": str(folder / "config.toml")}
    return subprocess.Popen(
        [UMOT, *args], cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def wait_for(path, sql, minimum, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if path.exists() and scalar(path, sql) >= minimum:
                return
        except sqlite3.OperationalError:  # the table is not there yet
            pass
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {sql} >= {minimum}")


def kill(process):
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def healthy(path):
    assert scalar(path, "PRAGMA integrity_check") == "ok"
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO mentions_fts(mentions_fts) VALUES ('integrity-check')")
    assert scalar(path, "SELECT count(*) - count(DISTINCT id) FROM mentions") == 0


def config(folder, weeks, per_day, cache=None):
    model = f'[model]\ncache_dir = "{cache}"\n' if cache else ""
    (folder / "config.toml").write_text(
        f'[database]\npath = "umot.db"\n{model}'
        f"[sources.demo]\nweeks = {weeks}\nmentions_per_day = {per_day}\n"
    )


def test_sigkill_during_collection_loses_and_doubles_nothing(tmp_path):
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    for folder in (clean, killed):
        folder.mkdir()
        config(folder, weeks=12, per_day=300)
    assert umot(clean, "collect").returncode == 0
    expected = scalar(clean / "umot.db", "SELECT count(*) FROM mentions")

    process = start(killed, "collect")
    wait_for(killed / "umot.db", "SELECT count(*) FROM mentions", 4000)
    kill(process)
    partial = scalar(killed / "umot.db", "SELECT count(*) FROM mentions")
    healthy(killed / "umot.db")
    resumed = umot(killed, "collect")

    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert 4000 <= partial < expected
    total = scalar(killed / "umot.db", "SELECT count(*) FROM mentions")
    assert expected <= total <= expected + 5  # the demo stream may have moved on a little
    healthy(killed / "umot.db")
    runs = (
        sqlite3.connect(killed / "umot.db")
        .execute("SELECT status, error FROM runs ORDER BY id")
        .fetchall()
    )
    assert runs[0] == ("aborted", "the process ended without finishing (killed or crashed)")
    assert runs[-1][0] == "ok"


def test_sigkill_during_classification_then_each_mention_is_classified_once(tmp_path, model_cache):
    config(tmp_path, weeks=1, per_day=80, cache=model_cache)
    assert umot(tmp_path, "collect").returncode == 0
    db = tmp_path / "umot.db"
    mentions = scalar(db, "SELECT count(*) FROM mentions")

    process = start(tmp_path, "classify")
    wait_for(db, "SELECT count(*) FROM classifications", 1)
    kill(process)
    assert 0 < scalar(db, "SELECT count(*) FROM classifications") < mentions
    healthy(db)
    resumed = umot(tmp_path, "classify", timeout=600)

    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert scalar(db, "SELECT count(*) FROM classifications") == mentions
    assert scalar(db, "SELECT count(DISTINCT mention_id) FROM classifications") == mentions
    statuses = [
        r[0]
        for r in sqlite3.connect(db).execute(
            "SELECT status FROM runs WHERE step = 'classify' ORDER BY id"
        )
    ]
    assert statuses == ["aborted", "ok"]


def test_sigkill_while_writing_reports_never_leaves_a_half_file(tmp_path):
    config(tmp_path, weeks=4, per_day=150)
    assert umot(tmp_path, "collect").returncode == 0
    db = open_database(tmp_path / "umot.db")
    rows = [
        (r["id"], json.loads(r["raw"])["demo"]) for r in db.query("SELECT id, raw FROM mentions")
    ]
    db.conn.executemany(
        "INSERT INTO classifications (mention_id, model_id, sentiment, stage, classified_at) "
        "VALUES (?, 'truth', ?, ?, '2026-01-01T00:00:00Z')",
        [(key, truth["sentiment"], truth["stage"]) for key, truth in rows],
    )
    db.conn.commit()
    folder = tmp_path / "weekly-reports"
    for delay in (0.3, 0.8, 1.2, 1.6, 2.0, 2.5):
        process = start(tmp_path, "report")
        time.sleep(delay)
        kill(process)
        for page in folder.glob("umot-report-*.html"):
            assert page.read_text().rstrip().endswith("</html>"), f"half-written after {delay} s"
    assert umot(tmp_path, "report").returncode == 0
    assert not list(folder.glob(".*.tmp"))  # leftovers of killed writes are cleared
    assert len(list(folder.glob("umot-report-*"))) == 2


def test_a_full_disk_is_a_clear_error_and_keeps_what_was_stored(db):
    matcher = BrandMatcher(Config().brands)
    run_collector(
        db, ListCollector([make_mention(native_id=str(i)) for i in range(50)]), matcher=matcher
    )
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages + 2}")  # the disk fills up now
    big = [make_mention(native_id=str(1000 + i), text="Velora " + "x" * 5000) for i in range(200)]

    report = run_collector(db, ListCollector(big), matcher=matcher)

    assert (
        report.error == "the disk is full; free some space and run again (nothing stored is lost)"
    )
    assert db.execute("SELECT count(*) FROM mentions").fetchone()[0] == 50


def test_a_read_only_database_is_a_clear_error(db):
    db.execute("PRAGMA query_only = ON")
    report = run_collector(
        db, ListCollector([make_mention()]), matcher=BrandMatcher(Config().brands)
    )
    assert report.error == "the database is read-only; check the file's and folder's permissions"


@pytest.mark.parametrize("garbage", [b"this is not a database at all" * 100, b"\x00" * 4096])
def test_a_file_that_is_not_a_database_is_refused_clearly(tmp_path, garbage):
    from storage import StorageError

    path = tmp_path / "umot.db"
    path.write_bytes(garbage)
    with pytest.raises(StorageError, match=r"not a SQLite database|cannot use database"):
        open_database(path)
    assert path.read_bytes() == garbage  # untouched
