"""`umot user …` and `umot serve` from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest
from click.testing import CliRunner

from storage import open_database
from storage.users import check_password
from tests.test_browser import free_port
from umot.cli import cli


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("UMOT_CONFIG", raising=False)
    monkeypatch.delenv("UMOT_PASSWORD", raising=False)

    def invoke(*args: str, code: int = 0, env: dict[str, str] | None = None):
        result = CliRunner().invoke(cli, ["--db", "team.db", *args], env=env)
        assert result.exit_code == code, result.output
        return result

    return invoke


def test_users_are_added_listed_changed_and_removed(run, tmp_path):
    secret = {"UMOT_PASSWORD": "first-password-1"}
    run("user", "add", "anna", "--role", "admin", env=secret)
    run("user", "add", "vera", "--role", "viewer", env=secret)
    assert "exists" in run("user", "add", "anna", env=secret, code=1).output
    assert "at least 8" in run("user", "add", "kort", env={"UMOT_PASSWORD": "short"}, code=1).output
    assert "is not one of" in run("user", "add", "x", "--role", "boss", env=secret, code=2).output
    listing = run("user", "list").output
    assert "anna" in listing and "viewer" in listing and "first-password" not in listing

    run("user", "passwd", "anna", env={"UMOT_PASSWORD": "second-password-2"})
    db = open_database(tmp_path / "team.db")
    assert check_password(db, "anna", "first-password-1") is None
    assert check_password(db, "anna", "second-password-2")["role"] == "admin"
    stored = db.execute("SELECT password_hash FROM users WHERE name = 'anna'").fetchone()[0]
    assert stored.startswith("$argon2") and "second-password" not in stored
    db.close()

    run("user", "remove", "vera")
    assert "no user 'vera'" in run("user", "remove", "vera", code=1).output
    assert "UMOT_PASSWORD" in run("user", "add", "bram", code=1).output  # no tty, no variable


def test_serve_without_users_refuses_and_names_the_command(run):
    result = run("serve", code=1)
    assert "umot user add NAME --role admin" in result.output


def test_serve_listens_and_warns_off_loopback(tmp_path):
    env = {**os.environ, "UMOT_PASSWORD": "serve-password-1", "UMOT_DB": str(tmp_path / "s.db")}
    env.pop("UMOT_CONFIG", None)
    umot = [sys.executable, "-m", "umot"]
    subprocess.run([*umot, "user", "add", "anna"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [*umot, "serve", "--host", "0.0.0.0", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as page:
                    assert page.status == 200 and b'name="password"' in page.read()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "umot serve did not answer"
                time.sleep(0.2)
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=20)
    assert "reverse proxy that terminates TLS" in " ".join(errors.split())
