"""`umot label import|export`: the team's human labels in and out, as JSONL or CSV."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path

import click

from collectors.file_rows import ImportFormatError, csv_records, jsonl_records
from collectors.files import detect_format
from nlp.data import SENTIMENTS
from storage.labels import EXPORT_FIELDS, export_rows, import_labels
from umot.cli import AppContext, pass_app
from umot.console import console

FORMAT = click.Choice(["jsonl", "csv"])


@click.group()
def label() -> None:
    """Move human labels (sentiment and stage corrections) between installations and tools.

    Rows carry the mention's `id` (platform:native_id, or `platform` and `native_id`),
    `sentiment` and/or `stage`, and the `user` who set them.
    """


@label.command("export")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=FORMAT, help="Default: from the file name.")
@pass_app
def export(app: AppContext, destination: Path, fmt: str | None) -> None:
    """Write every human label to DESTINATION (written aside, then renamed into place)."""
    try:
        fmt = fmt or detect_format(destination)
    except ImportFormatError as error:
        raise click.ClickException(str(error)) from None
    if not destination.parent.is_dir():
        raise click.ClickException(f"folder {destination.parent} does not exist")
    rows = list(export_rows(app.open_db()))
    handle, temporary = tempfile.mkstemp(prefix=f".{destination.name}.", dir=destination.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            if fmt == "csv":
                writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
                writer.writeheader()
                writer.writerows(rows)
            else:
                out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        os.chmod(temporary, 0o644)
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    console.print(f"Wrote {len(rows):,} human labels to {destination}.")


@label.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=FORMAT, help="Default: from the file name.")
@click.option("--user", default="import", show_default=True, help="For rows without `user`.")
@pass_app
def import_(app: AppContext, source: Path, fmt: str | None, user: str) -> None:
    """Read human labels from SOURCE; bad rows are listed with their line and reason."""
    config = app.config
    try:
        fmt = fmt or detect_format(source)
        records = jsonl_records(source) if fmt == "jsonl" else csv_records(source, set())
        result = import_labels(
            app.open_db(),
            records,
            sentiments=SENTIMENTS,
            stages=config.journey.stages,
            default_user=user,
        )
    except ImportFormatError as error:
        raise click.ClickException(str(error)) from None
    console.print(
        f"{result.labeled:,} mentions labeled, {result.unchanged:,} already had these labels, "
        f"{len(result.rejected):,} rows rejected."
    )
    for line, reason in result.rejected[:20]:
        console.print(f"  line {line}: {reason}", markup=False, highlight=False)
    if len(result.rejected) > 20:
        console.print(f"  … and {len(result.rejected) - 20:,} more")
    if result.rejected:
        raise SystemExit(1)
