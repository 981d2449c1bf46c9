"""Keeping a team's database safe: ``umot backup``."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import click

from umot.cli import AppContext, pass_app
from umot.console import console, progress_bars


@click.command()
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def backup(app: AppContext, destination: Path) -> None:
    """Copy the database to DESTINATION while umot keeps running (SQLite's online backup).

    The copy is consistent even while `umot run` writes; it is written next to
    DESTINATION and renamed into place when complete, so a failed backup never
    replaces a good one.
    """
    source_path = app.database_path
    if destination.resolve() == source_path.resolve():
        raise click.ClickException("the backup cannot overwrite the database itself")
    if not destination.parent.is_dir():
        raise click.ClickException(f"folder {destination.parent} does not exist")
    db = app.open_db()
    partial = destination.with_name(f".{destination.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        target = sqlite3.connect(partial)
    except sqlite3.Error as error:
        raise click.ClickException(f"cannot write {destination}: {error}") from None
    try:
        with progress_bars() as add:
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            advance = add("backing up", pages)

            def step(status: int, remaining: int, total: int) -> None:
                advance(min(1024, total - remaining))

            db.conn.backup(target, pages=1024, progress=step)
        check = target.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.Error as error:
        target.close()
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"backup failed: {error}") from None
    target.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"the copy did not pass SQLite's check: {check}")
    os.replace(partial, destination)
    console.print(
        f"Backed up {source_path} to {destination} ({destination.stat().st_size / 1e6:,.1f} MB)."
    )
