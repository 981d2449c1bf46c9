"""The ``umot`` command line."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import click
import sqlite_utils
from rich.table import Table
from rich.text import Text

from storage import SCHEMA_VERSION, StorageError, open_database, queries, schema_version
from storage.db import describe_sqlite_error
from storage.writes import mark_abandoned_runs
from umot import __version__
from umot.config import Config, ConfigError, load_config
from umot.console import console, setup_logging


class AppContext:
    def __init__(self, config_path: str | None, db_path: str | None) -> None:
        self._config_path = config_path
        self._db_path = db_path
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = load_config(self._config_path)
            except ConfigError as error:
                raise click.ClickException(str(error)) from None
        return self._config

    def override_model(self, **settings: object) -> None:
        """Command options that override ``[model]`` settings for this run only."""
        model = self.config.model.model_copy(update=settings)
        self._config = self.config.model_copy(update={"model": model})

    @property
    def database_path(self) -> Path:
        return Path(self._db_path) if self._db_path else self.config.database_path

    def open_db(self, *, create: bool = False) -> sqlite_utils.Database:
        try:
            db = open_database(self.database_path, create=create)
            mark_abandoned_runs(db)  # a killed process left them 'running': say so
        except StorageError as error:
            raise click.ClickException(str(error)) from None
        except sqlite3.Error as error:
            reason = describe_sqlite_error(error) or str(error)
            raise click.ClickException(f"{self.database_path}: {reason}") from None
        return db


pass_app = click.make_pass_decorator(AppContext)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="umot")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="UMOT_CONFIG",
    help="Configuration file (default: ./config.toml, else built-in demo defaults).",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    envvar="UMOT_DB",
    help="Database file; overrides database.path from the configuration.",
)
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, db_path: str | None) -> None:
    """umot: social listening along the customer journey.

    Collects brand mentions, stores them in SQLite, classifies their sentiment and
    journey stage, alerts on negative experiences and writes weekly reports. Start with
    `umot init` and `umot run --once`; `umot run` keeps it going.
    """
    setup_logging()
    ctx.obj = AppContext(config_path, db_path)


@cli.command()
@pass_app
def init(app: AppContext) -> None:
    """Create the database (or bring an existing one to the current schema)."""
    path = app.database_path
    existed = path.exists()
    db = app.open_db(create=True)
    verb = "Up to date" if existed else "Created"
    console.print(f"{verb}: {path} (schema version {schema_version(db)}/{SCHEMA_VERSION})")


def _count_table(title: str, rows: list[tuple[str | None, int]], total: int) -> Table:
    table = Table(title=title)
    table.add_column(title.split(" ")[-1])
    table.add_column("mentions", justify="right")
    table.add_column("share", justify="right")
    for name, count in rows:
        label = Text(name) if name is not None else Text("(unknown)", style="dim")
        table.add_row(label, f"{count:,}", f"{count / total:.0%}" if total else "-")
    return table


def collect_stats(db: sqlite_utils.Database) -> dict[str, Any]:
    first, last = queries.time_range(db)
    data: dict[str, Any] = {
        "database": str(Path(db.conn.execute("PRAGMA database_list").fetchone()[2])),
        "schema_version": schema_version(db),
        "counts": queries.table_counts(db),
        "first_mention": first,
        "last_mention": last,
        "by_brand": queries.grouped_counts(db, "brand"),
        "by_platform": queries.grouped_counts(db, "platform"),
        "by_lang": queries.grouped_counts(db, "lang"),
        "recent_runs": queries.recent_runs(db, 5),
    }
    model_id = queries.latest_model_id(db)
    if model_id is not None:
        data["model"] = model_id
        data["by_sentiment"] = queries.classification_counts(db, model_id, "sentiment")
        data["by_stage"] = queries.classification_counts(db, model_id, "stage")
    return data


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@pass_app
def stats(app: AppContext, as_json: bool) -> None:
    """Show what the database holds: totals, brands, platforms, languages, recent runs."""
    data = collect_stats(app.open_db())
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    counts = data["counts"]
    total = counts["mentions"]
    console.print(
        f"[bold]{total:,} mentions[/bold] by {counts['authors']:,} authors in "
        f"{Text(data['database'])}"
    )
    if total:
        console.print(f"from {data['first_mention']} to {data['last_mention']}")
    console.print(
        f"classified: {counts['classifications']:,} · alerts: {counts['alerts']:,} · "
        f"rejected records: {counts['rejects']:,} · runs: {counts['runs']:,}"
    )
    for key, title in (
        ("by_brand", "Mentions by brand"),
        ("by_platform", "Mentions by platform"),
        ("by_lang", "Mentions by lang"),
    ):
        if data[key]:
            console.print(_count_table(title, data[key], total))
    if "model" in data:
        console.print(Text(f"classifications by {data['model']}:"))
        classified = sum(n for _, n in data["by_stage"])
        for key, title in (
            ("by_sentiment", "Mentions by sentiment"),
            ("by_stage", "Mentions by stage"),
        ):
            console.print(_count_table(title, data[key], classified))
    if data["recent_runs"]:
        table = Table(title="Recent runs")
        for column in ("started", "step", "source", "status", "new", "updated", "rejected"):
            table.add_column(column)
        for run in data["recent_runs"]:
            table.add_row(
                run["started_at"],
                run["step"],
                Text(run["source"] or ""),
                Text(run["status"]),
                str(run["inserted"]),
                str(run["updated"]),
                str(run["rejected"]),
            )
        console.print(table)


@cli.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@pass_app
def search(app: AppContext, query: str, limit: int) -> None:
    """Full-text search in mention texts (words, any language, accents ignored)."""
    rows = queries.search_mentions(app.open_db(), query, limit=limit)
    if not rows:
        console.print("No mentions match.")
        return
    table = Table(show_lines=True)
    for column in ("created", "brand", "platform", "author"):
        table.add_column(column, overflow="fold")
    table.add_column("text", overflow="fold", ratio=3)
    for row in rows:
        table.add_row(
            row["created_at"][:16].replace("T", " "),
            Text(row["brand"] or ""),
            row["platform"],
            Text(row["author_handle"] or ""),
            Text(row["text"]),
        )
    console.print(table)


@cli.command()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@pass_app
def rejects(app: AppContext, limit: int) -> None:
    """List records that could not be stored, newest first, with the reason."""
    rows = queries.recent_rejects(app.open_db(), limit)
    if not rows:
        console.print("No rejected records.")
        return
    table = Table(show_lines=True)
    for column in ("when", "source", "reason", "record"):
        table.add_column(column, overflow="fold")
    for row in rows:
        record = (row["record"] or "")[:300]
        table.add_row(row["created_at"], Text(row["source"]), Text(row["reason"]), Text(record))
    console.print(table)


@cli.command("config")
@pass_app
def show_config(app: AppContext) -> None:
    """Validate the configuration and print it with every default filled in."""
    config = app.config
    data = config.model_dump(mode="json")
    data["database"]["resolved_path"] = str(config.database_path)
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def main() -> None:
    cli()


def _register_commands() -> None:
    from umot.cli_collect import collect, import_, sources
    from umot.cli_labels import label
    from umot.cli_models import model
    from umot.cli_nlp import classify, evaluate
    from umot.cli_ops import backup
    from umot.cli_report import report
    from umot.cli_run import alerts, run
    from umot.cli_train import train
    from umot.cli_web import serve, user

    for command in (
        collect,
        import_,
        sources,
        classify,
        evaluate,
        train,
        run,
        alerts,
        report,
        backup,
        user,
        serve,
        label,
        model,
    ):
        cli.add_command(command)


_register_commands()
