"""A workspace over a small real database, and a logged-in test client."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import MODEL_CACHE
from starlette.testclient import TestClient

from storage import open_database
from storage.users import add_user
from tests.alert_helpers import add
from umot.config import Config
from umot.retrain import BaseData
from umot.web.app import create_app

PASSWORDS = {"anna": "anna-password-1", "bram": "bram-password-1", "vera": "vera-password-1"}
ROLES = {"anna": "admin", "bram": "editor", "vera": "viewer"}
HOSTILE = (
    "<script>alert('x')</script> <img src=x onerror=alert(1)> "
    "\u202eVelora עברית\u202c " + "A" * 3000
)


def build_database(path: Path) -> dict[str, str]:
    """Users, a thread with a UMOT post, a hostile post, an answered and an alert."""
    db = open_database(path)
    for name, password in PASSWORDS.items():
        add_user(db, name, password, ROLES[name])
    ids: dict[str, str] = {}
    ids["umot"] = add(
        db,
        sentiment="negative",
        stage="experience",
        followers=9_000,
        hours_ago=30,
        text="Mijn Velora accu is na drie weken kapot, klantenservice reageert niet",
        author="klant",
    )
    ids["prospect"] = add(
        db,
        stage="consideration",
        sentiment="negative",
        parent=ids["umot"],
        hours_ago=29,
        text="Oei, ik wilde er net een bestellen. Even afwachten dan",
        author="twijfelaar",
    )
    ids["nested"] = add(
        db, stage="experience", parent=ids["prospect"], hours_ago=28, author="derde"
    )
    ids["answered"] = add(
        db, sentiment="negative", stage="advocacy", hours_ago=20, text="Blijf weg bij Velora"
    )
    add(db, parent=ids["answered"], author="VeloraCare", hours_ago=19, text="Sorry! DM ons")
    ids["hostile"] = add(db, sentiment="neutral", stage="none", hours_ago=10, text=HOSTILE)
    ids["smaakdoos"] = add(
        db,
        brand="Smaakdoos",
        sentiment="positive",
        stage="advocacy",
        hours_ago=5,
        text="Smaakdoos is top, aanrader",
    )
    db.execute(
        "INSERT INTO alerts (rule, brand, cause, mention_id, message, created_at, severity, "
        "released_at) VALUES ('negative_reach', 'Velora', 'c1', ?, ?, '2026-11-20T10:00:00Z', "
        "'critical', '2026-11-20T10:00:00Z')",
        [ids["umot"], "A negative experience with reach about Velora"],
    )
    db.conn.commit()
    db.close()
    return ids


def workspace_config(tmp_path: Path, **extra: object) -> Config:
    return Config.model_validate(
        {
            "report": {"out_dir": str(tmp_path / "reports")},
            "model": {"cache_dir": str(MODEL_CACHE), "device": "cpu"},
            **extra,
        }
    )


def tiny_base_data(tmp_path: Path) -> BaseData:
    """A few dozen examples instead of the shared data: retrains in seconds."""
    from tests.test_cli_nlp import write_training_data

    umsab, stages = write_training_data(tmp_path)
    return BaseData(stages, umsab, None, None)


def workspace_client(tmp_path: Path) -> tuple[TestClient, dict[str, str], Path]:
    path = tmp_path / "web.db"
    ids = build_database(path)
    app = create_app(workspace_config(tmp_path), path, tiny_base_data(tmp_path))
    return TestClient(app, follow_redirects=False), ids, path


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token field on the page"
    return found.group(1)


def log_in(client: TestClient, name: str) -> str:
    """Log in as ``name``; returns the session's CSRF token."""
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": name, "password": PASSWORDS[name], "csrf_token": token, "next": "/"},
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/").text)
