"""Workspace users, their roles and their login sessions.

Passwords are hashed with argon2 (argon2-cffi); only the hash is stored. A session is a
random token: the cookie carries it, the database keeps only its SHA-256, so a copy of
the database cannot be used to log in. Each session has its own CSRF token.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from storage.db import to_db_time, utc_now
from storage.transaction import write_transaction

ROLES = ("admin", "editor", "viewer")
SESSION_DAYS = 14
MIN_PASSWORD = 8
_hasher = PasswordHasher()
# Verified when the name is unknown, so a login takes as long for a wrong name as for a
# wrong password and does not tell which names exist.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class UserError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64 or any(c.isspace() or not c.isprintable() for c in name):
        raise UserError("a user name is 1 to 64 printable characters without spaces")
    return name


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password has at least {MIN_PASSWORD} characters")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")


def add_user(db: sqlite_utils.Database, name: str, password: str, role: str) -> None:
    name = _check_name(name)
    _check_password(password)
    _check_role(role)
    with write_transaction(db):
        if get_user(db, name):
            raise UserError(f"user {name!r} exists; change the password with `umot user passwd`")
        db.execute(
            "INSERT INTO users (name, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
            [name, _hasher.hash(password), role, utc_now()],
        )


def set_password(db: sqlite_utils.Database, name: str, password: str) -> None:
    _check_password(password)
    with write_transaction(db):
        if (
            db.execute(
                "UPDATE users SET password_hash = ? WHERE name = ?", [_hasher.hash(password), name]
            ).rowcount
            == 0
        ):
            raise UserError(f"no user {name!r}")
        db.execute("DELETE FROM sessions WHERE user_name = ?", [name])  # log out everywhere


def remove_user(db: sqlite_utils.Database, name: str) -> None:
    with write_transaction(db):
        db.execute("DELETE FROM sessions WHERE user_name = ?", [name])
        if db.execute("DELETE FROM users WHERE name = ?", [name]).rowcount == 0:
            raise UserError(f"no user {name!r}")


def get_user(db: sqlite_utils.Database, name: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT name, role, created_at FROM users WHERE name = ?", [name]))
    return rows[0] if rows else None


def list_users(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(db.query("SELECT name, role, created_at, last_login_at FROM users ORDER BY name"))


def user_count(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT count(*) FROM users").fetchone()[0]


def check_password(db: sqlite_utils.Database, name: str, password: str) -> dict[str, Any] | None:
    """The user when the password is right, else None (in the same time either way)."""
    row = db.execute("SELECT password_hash FROM users WHERE name = ?", [name]).fetchone()
    stored = row[0] if row else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    return get_user(db, name) if row else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: sqlite_utils.Database, name: str) -> str:
    """A new session for the user; returns the token the cookie carries."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with write_transaction(db):
        db.execute(
            "INSERT INTO sessions (token_hash, user_name, csrf_token, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                _digest(token),
                name,
                secrets.token_urlsafe(32),
                to_db_time(now),
                to_db_time(now + timedelta(days=SESSION_DAYS)),
            ],
        )
        db.execute("UPDATE users SET last_login_at = ? WHERE name = ?", [to_db_time(now), name])
        db.execute("DELETE FROM sessions WHERE expires_at < ?", [to_db_time(now)])
    return token


def session_user(db: sqlite_utils.Database, token: str) -> dict[str, Any] | None:
    """The user of a live session, with the session's CSRF token; None when expired."""
    rows = list(
        db.query(
            "SELECT u.name, u.role, s.csrf_token FROM sessions s "
            "JOIN users u ON u.name = s.user_name WHERE s.token_hash = ? AND s.expires_at > ?",
            [_digest(token), utc_now()],
        )
    )
    return rows[0] if rows else None


def end_session(db: sqlite_utils.Database, token: str) -> None:
    with write_transaction(db):
        db.execute("DELETE FROM sessions WHERE token_hash = ?", [_digest(token)])
