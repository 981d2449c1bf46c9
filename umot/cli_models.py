"""`umot model list|show|use|rollback`: the model versions beside the database."""

from __future__ import annotations

import json

import click
from rich.table import Table

from nlp.versions import VersionError, VersionStore, models_folder
from umot.cli import AppContext, pass_app
from umot.console import console


def _store(app: AppContext) -> VersionStore:
    return VersionStore(models_folder(app.database_path))


def _figure(meta: dict, check: str, which: str) -> str:
    value = (meta.get("comparison") or {}).get(check, {}).get(which)
    return "–" if value is None else f"{value:.3f}"


@click.group()
def model() -> None:
    """The model versions made by `umot train --from-labels`, and which one is in use.

    Versions live in a folder next to the database (`<database>.models/`). Without any,
    the weights bundled with umot are used. Switching makes `umot run` classify again,
    newest mentions first; human labels always stay on top.
    """


@model.command("list")
@pass_app
def list_(app: AppContext) -> None:
    """Every version with its held-out figures, parent and whether it is in use."""
    store = _store(app)
    current = store.current()
    table = Table(
        "version",
        "in use",
        "created",
        "parent",
        "labels",
        "held-out sentiment",
        "held-out stage",
        "dev stage",
    )
    table.add_row("bundled", "yes" if current is None else "", "", "", "", "", "", "")
    for meta in store.all():
        table.add_row(
            meta["id"],
            "yes" if meta["id"] == current else ("candidate" if not meta.get("promoted") else ""),
            meta.get("created_at", ""),
            meta.get("parent") or "bundled",
            f"{meta.get('counts', {}).get('human_labels', 0):,}"
            + (f" ({meta['brand']})" if meta.get("brand") else "")
            + (" +adapter" if meta.get("kind", "").startswith("adapter") else ""),
            _figure(meta, "held-out human labels, sentiment", "candidate"),
            _figure(meta, "held-out human labels, stage", "candidate"),
            _figure(meta, "journey_stage_dev, stage", "candidate"),
        )
    console.print(table)


@model.command()
@click.argument("version")
@pass_app
def show(app: AppContext, version: str) -> None:
    """Everything recorded about VERSION (JSON)."""
    try:
        click.echo(json.dumps(_store(app).meta(version), indent=2, ensure_ascii=False))
    except VersionError as error:
        raise click.ClickException(str(error)) from None


@model.command()
@click.argument("version")
@pass_app
def use(app: AppContext, version: str) -> None:
    """Put VERSION in use ("bundled" for the weights shipped with umot)."""
    try:
        _store(app).use(None if version == "bundled" else version)
    except VersionError as error:
        raise click.ClickException(str(error)) from None
    console.print(f"{version} is now in use; `umot run` classifies again, newest first.")


@model.command()
@pass_app
def rollback(app: AppContext) -> None:
    """Back to the version the current one was trained from."""
    try:
        now = _store(app).rollback()
    except VersionError as error:
        raise click.ClickException(str(error)) from None
    console.print(f"{now or 'bundled'} is now in use.")
