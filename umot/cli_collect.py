"""Commands that bring mentions in: ``collect``, ``import`` and ``sources``."""

from __future__ import annotations

import json
import os

import click
from rich.table import Table
from rich.text import Text

from collectors.files import FORMATS, FileCollector, ImportFormatError
from collectors.presets import PRESETS, DateOrder
from storage import get_cursor, queries
from umot.access import ACCESS, usage
from umot.brands import BrandMatcher
from umot.cli import AppContext, pass_app
from umot.console import console, err_console, progress_bars
from umot.pipeline import CollectReport, collect_sources, run_collector
from umot.sources import Listen


def _print_reports(reports: list[CollectReport], title: str) -> None:
    table = Table(title=title)
    for column in ("source", "fetched", "new", "updated", "rejected", "result"):
        table.add_column(column, justify="left" if column in ("source", "result") else "right")
    for report in reports:
        result = (
            Text(report.error, style="red")
            if report.error
            else Text(report.note, style="yellow")
            if report.note
            else Text("ok", style="green")
        )
        table.add_row(
            Text(report.source),
            f"{report.fetched:,}",
            f"{report.inserted:,}",
            f"{report.updated:,}",
            f"{report.rejected:,}",
            result,
        )
    console.print(table)
    if any(report.rejected for report in reports):
        console.print("Rejected records are kept with their reasons: see `umot rejects`.")


@click.command()
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="NAME",
    help="Collect only this configured source (repeatable); default: all enabled.",
)
@click.option(
    "--seconds",
    type=click.FloatRange(0, min_open=True),
    help="How long streaming sources (Bluesky) listen; default: their collect_seconds.",
)
@pass_app
def collect(app: AppContext, sources: tuple[str, ...], seconds: float | None) -> None:
    """Run the configured sources once and store what they find.

    Streaming sources (Bluesky's Jetstream) listen for --seconds, then stop; `umot run`
    listens to them all the time.
    """
    config = app.config
    if sources:
        unknown = [name for name in sources if name not in config.sources]
        if unknown:
            raise click.ClickException(
                f"no source named {unknown[0]!r}; configured: {', '.join(config.sources)}"
            )
        chosen = {name: config.sources[name] for name in sources}
    else:
        chosen = config.enabled_sources()
    if not chosen:
        raise click.ClickException("no source is enabled; set enabled = true under [sources.*]")
    db = app.open_db(create=True)
    with progress_bars() as add_task:
        reports, skipped = collect_sources(
            db,
            config,
            chosen,
            add_task=add_task,
            on_skip=lambda why: err_console.print(Text(f"skipped: {why}", style="yellow")),
            listen=Listen(seconds) if seconds is not None else None,
        )
    _print_reports(reports, "Collected")
    if skipped or any(report.error for report in reports):
        raise SystemExit(1)


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="File format; default: from the file name (.jsonl/.ndjson/.json, .csv/.tsv).",
)
@click.option(
    "--platform",
    default="import",
    show_default=True,
    help="Platform for records without a platform column (in an export read with "
    "--preset/--columns: for posts on no known network, else web).",
)
@click.option("--brand", help="Brand for records without a brand (default: matched from text).")
@click.option(
    "--preset",
    type=click.Choice(list(PRESETS), case_sensitive=False),
    help="Read the export of this tool (its columns, dates and sentiment scale).",
)
@click.option(
    "--columns",
    metavar='"COLUMN=FIELD,..."',
    help="Map an export's columns onto umot's (text, created_at, url, id, author, "
    "followers, lang, platform, sentiment, time, ...); quote names with commas; "
    "entries replace the preset's for that field.",
)
@click.option(
    "--date-order",
    type=click.Choice(["dmy", "mdy"]),
    help="How to read numeric dates such as 03/04/2026 in an export (day or month "
    "first); without it such an ambiguous date is rejected.",
)
@pass_app
def import_(
    app: AppContext,
    files: tuple[str, ...],
    fmt: str | None,
    platform: str,
    brand: str | None,
    preset: str | None,
    columns: str | None,
    date_order: DateOrder | None,
) -> None:
    """Import mentions from JSONL or CSV files (format in the README).

    Importing the same file again stores nothing twice; bad records are kept in
    `rejects` with the reason, and the rest of the file is imported.

    Exports of other tools: --preset reads a known tool's export, --columns maps any
    export's columns onto umot's columns:

    \b
      umot import mentions.csv --preset brandwatch
      umot import export.csv --columns "Full Text=text,Date=created_at,Url=url"

    \b
    Presets:
      brandwatch  Brandwatch Consumer Research mentions export
      talkwalker  Talkwalker project export (CSV or the API's JSON lines)
      meltwater   Meltwater content export (also UTF-16 with tabs)
      sprout      Sprout Social listening export (columns unconfirmed: check them)

    A post without an id gets a stable one from its URL. The tool's own sentiment is
    kept with the post and shown beside umot's in the workspace, never used as umot's.
    """
    try:
        readers = [
            FileCollector(
                path,
                fmt=fmt,
                platform=platform,
                brand=brand,
                preset=preset,
                columns=columns,
                date_order=date_order,
            )
            for path in files
        ]
    except ImportFormatError as error:
        raise click.ClickException(str(error)) from None
    db = app.open_db(create=True)
    matcher = BrandMatcher(app.config.brands)
    reports = []
    with progress_bars() as add_task:
        for reader in readers:
            try:
                reports.append(
                    run_collector(
                        db,
                        reader,
                        matcher=matcher,
                        step="import",
                        progress=add_task(f"importing {reader.path.name}"),
                    )
                )
            except ImportFormatError as error:
                raise click.ClickException(str(error)) from None
    _print_reports(reports, "Imported")
    if any(report.error for report in reports):
        raise SystemExit(1)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@pass_app
def sources(app: AppContext, as_json: bool) -> None:
    """List the configured sources: enabled, credentials, last run and last error.

    Credentials are shown by the name of their environment variable and whether it is
    set; their values are never printed.
    """
    config = app.config
    path = app.database_path
    db = app.open_db() if path.exists() else None
    last = queries.last_runs(db, "collect") if db is not None else {}
    rows = []
    for name, settings in config.sources.items():
        envs = getattr(settings, "credential_envs", list)()
        run = last.get(name) or {}

        def load_cursor(query: str, source: str = name) -> str | None:
            return get_cursor(db, source, query) if db is not None else None

        rows.append(
            {
                "name": name,
                "type": settings.type,
                "enabled": settings.enabled,
                "access": ACCESS.get(settings.type, ""),
                "usage": usage(settings.type, settings, load_cursor),
                "credentials": [
                    {"env": env, "required": required, "set": bool(os.environ.get(env, "").strip())}
                    for env, required in envs
                ],
                "last_run": run.get("started_at"),
                "last_status": run.get("status"),
                "last_fetched": run.get("fetched"),
                "last_inserted": run.get("inserted"),
                "last_error": run.get("last_error"),
                "last_error_at": run.get("last_error_at"),
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="Sources")
    columns = ("source", "type", "enabled", "cost and access", "credentials", "last run")
    for column in (*columns, "new", "last error"):
        table.add_column(column, justify="right" if column == "new" else "left")
    for row in rows:
        credentials = Text()
        for entry in row["credentials"]:
            mark, style = (
                ("set", "green")
                if entry["set"]
                else (("missing", "red") if entry["required"] else ("not set", "dim"))
            )
            credentials.append(f"{entry['env']} ", style="bold")
            credentials.append(f"{mark}\n", style=style)
        error, failing = row["last_error"], row["last_status"] == "error"
        table.add_row(
            Text(row["name"]),
            row["type"],
            Text("yes", style="green") if row["enabled"] else Text("no", style="dim"),
            Text(row["access"] + (f"\n{row['usage']}" if row["usage"] else "")),
            credentials if row["credentials"] else Text("none needed", style="dim"),
            f"{row['last_run'] or 'never'} {row['last_status'] or ''}".strip(),
            "" if row["last_inserted"] is None else f"{row['last_inserted']:,}",
            Text(error, style="red")
            if error and failing
            else Text(f"none since {row['last_error_at']}" if error else "-", style="dim"),
        )
    console.print(table)
