"""`umot user …` (who may use the workspace) and `umot serve` (the workspace itself)."""

from __future__ import annotations

import ipaddress
import os
import sys

import click
from rich.table import Table

from storage.users import (
    ROLES,
    UserError,
    add_user,
    list_users,
    remove_user,
    set_password,
    user_count,
)
from umot.cli import AppContext, pass_app
from umot.console import console, err_console

PASSWORD_ENV = "UMOT_PASSWORD"


def _password(prompt: str) -> str:
    """From $UMOT_PASSWORD (scripts), else asked twice without echo; never from an option."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise click.ClickException(
            f"no terminal to ask for the password on; set {PASSWORD_ENV} for scripts"
        )
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


@click.group()
def user() -> None:
    """Manage who can log in to the workspace (`umot serve`) and with which role.

    Roles: admin (everything), editor (triage, corrections, alerts, reports), viewer
    (read only). Passwords are read from a prompt, or from $UMOT_PASSWORD in scripts, and
    stored only as argon2 hashes.
    """


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="editor", show_default=True)
@pass_app
def user_add(app: AppContext, name: str, role: str) -> None:
    """Create user NAME (the password is asked for)."""
    db = app.open_db(create=True)
    try:
        add_user(db, name, _password(f"Password for {name}"), role)
    except UserError as error:
        raise click.ClickException(str(error)) from None
    console.print(f"Created {role} {name}. Open the workspace with `umot serve`.")


@user.command("list")
@pass_app
def user_list(app: AppContext) -> None:
    """List the users, their roles and last logins."""
    rows = list_users(app.open_db(create=True))
    if not rows:
        console.print("No users yet; create one with `umot user add NAME --role admin`.")
        return
    table = Table("user", "role", "created", "last login")
    for row in rows:
        table.add_row(row["name"], row["role"], row["created_at"], row["last_login_at"] or "never")
    console.print(table)


@user.command("remove")
@click.argument("name")
@pass_app
def user_remove(app: AppContext, name: str) -> None:
    """Remove user NAME and end their sessions (their history stays)."""
    try:
        remove_user(app.open_db(), name)
    except UserError as error:
        raise click.ClickException(str(error)) from None
    console.print(f"Removed {name}.")


@user.command("passwd")
@click.argument("name")
@pass_app
def user_passwd(app: AppContext, name: str) -> None:
    """Set a new password for NAME (logs them out everywhere)."""
    try:
        set_password(app.open_db(), name, _password(f"New password for {name}"))
    except UserError as error:
        raise click.ClickException(str(error)) from None
    console.print(f"Changed the password of {name}.")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _first_admin(app: AppContext) -> None:
    """With no user yet: ask for a first admin on a terminal, else refuse and say how."""
    db = app.open_db(create=True)
    if user_count(db):
        return
    if not sys.stdin.isatty():
        raise click.ClickException(
            "no user can log in yet; create one first with "
            "`umot user add NAME --role admin` (UMOT_PASSWORD=... for scripts)"
        )
    console.print("No user yet: create the first admin.")
    name = click.prompt("Admin user name")
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        add_user(db, name, password, "admin")
    except UserError as error:
        raise click.ClickException(str(error)) from None


@click.command()
@click.option("--host", help="Address to listen on.  [default: serve.host, 127.0.0.1]")
@click.option("--port", type=click.IntRange(1, 65535), help="Port.  [default: serve.port, 8000]")
@pass_app
def serve(app: AppContext, host: str | None, port: int | None) -> None:
    """Open the workspace: inbox, threads, triage, corrections, alerts, overview, reports.

    A web app over the same database as `umot run`, which can keep collecting beside it.
    Listens on 127.0.0.1:8000 unless told otherwise; anywhere else it belongs behind a
    reverse proxy that terminates TLS.
    """
    import uvicorn

    from umot.web.app import create_app

    config = app.config
    host = host or config.serve.host
    port = port or config.serve.port
    _first_admin(app)
    if not _is_loopback(host):
        err_console.print(
            f"[yellow]warning:[/] listening on {host}, not only this machine: put umot behind "
            "a reverse proxy that terminates TLS (passwords and session cookies travel in "
            "every request)"
        )
    web = create_app(config, app.database_path)
    console.print(f"umot workspace on http://{host}:{port}/ (Ctrl+C to stop)")
    uvicorn.run(web, host=host, port=port, log_level="warning", proxy_headers=True)
