"""``umot report``: the weekly summary as self-contained HTML and Markdown."""

from __future__ import annotations

from pathlib import Path

import click

from reports.weekly import ReportError
from umot.cli import AppContext, pass_app
from umot.console import console
from umot.reporting import write_report


@click.command()
@click.option("--brand", help="Only this brand (default: all brands together).")
@click.option(
    "--week", metavar="YYYY-Www", help="ISO week, e.g. 2026-W47 (default: last full week)."
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(["html", "md"]),
    multiple=True,
    help="html and/or md (repeatable; default: report.formats from the configuration).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="A file (with one --format) or a folder (default: report.out_dir).",
)
@pass_app
def report(
    app: AppContext, brand: str | None, week: str | None, formats: tuple[str, ...], out: Path | None
) -> None:
    """Write the weekly report: headlines with week-over-week change, daily volume and
    sentiment, the stage funnel and transitions, negative experiences waiting for a reply,
    UMOT posts that reached prospects, platforms, languages and the week's alerts.

    Weeks run Monday to Sunday in report.timezone. The HTML file is self-contained
    (inline charts, no external requests) and can be mailed or opened offline.
    """
    db = app.open_db()
    try:
        written = write_report(
            db, app.config, week=week, brand=brand, formats=list(formats) or None, out=out
        )
    except ReportError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:  # an unwritable or missing folder, a full disk
        where = error.filename or out or app.config.report.out_dir
        raise click.ClickException(
            f"cannot write the report to {where}: {error.strerror}"
        ) from None
    result = written.report
    state = "no mentions" if result.empty else f"{result.counts.mentions:,} mentions"
    console.print(f"Weekly report {result.week.label} ({result.brand or 'all brands'}, {state}):")
    for path in written.paths.values():
        click.echo(str(path))
