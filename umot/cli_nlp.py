"""CLI commands for classification: ``classify``, ``evaluate``, ``train``."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from nlp.data import (
    UMSAB_REFERENCES,
    DataError,
    load_labeled,
)
from nlp.encoder import ModelLoadError
from nlp.heads import HeadsError
from nlp.metrics import Scores
from umot.console import console, err_console, progress_bars

SHARED_DATA = Path("../shared/data")
VAL_LANGUAGES = "en,fr,de,es,it,pt"


def load_classifier(app: object):  # noqa: ANN201 - avoids importing torch for --help
    from umot.classify import build_classifier

    try:
        return build_classifier(app.config, app.database_path)  # type: ignore[attr-defined]
    except (ModelLoadError, HeadsError) as error:
        raise click.ClickException(str(error)) from None


@click.command()
@click.argument("input_file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    show_default=True,
    help="Where to write the JSONL results (with INPUT_FILE).",
)
@click.pass_obj
def classify(app: object, input_file: str | None, output: str) -> None:
    """Classify sentiment and journey stage.

    With INPUT_FILE (JSONL, one object per line with at least "id" and "text", and for a
    reply or quote optionally the "parent_text" it answers; "-" for stdin) write one
    result line per input line. Without it, classify every mention in the database that
    the current model has not classified yet (resumable); replies and quotes are read
    with the stored post they answer.
    """
    from umot.classify import classify_database, classify_file

    if input_file is None:
        db = app.open_db()  # type: ignore[attr-defined]
        classifier = load_classifier(app)
        with progress_bars() as add:
            holder: dict[str, Callable[[int], None]] = {}
            report = classify_database(
                db,
                classifier,
                progress=lambda n: holder["bar"](n),
                on_total=lambda total: holder.__setitem__("bar", add("classifying", total)),
            )
        console.print(
            f"Classified {report.classified:,} mentions with {report.model_id}; "
            f"{report.remaining:,} left."
        )
        return
    classifier = load_classifier(app)
    try:
        source = sys.stdin if input_file == "-" else open(input_file, encoding="utf-8")  # noqa: SIM115
    except OSError as error:
        raise click.ClickException(f"cannot read {input_file}: {error.strerror}") from None
    target_path = None if output == "-" else Path(output)
    with source, _atomic_output(target_path) as target, progress_bars() as add:
        done, failed = classify_file(classifier, source, target, progress=add("classifying", None))
    err_console.print(f"{done:,} classified, {failed:,} lines with errors (see their 'error').")


@contextmanager
def _atomic_output(path: Path | None) -> Iterator:
    """Write next to the target and rename at the end: no half-written result files."""
    if path is None:
        yield sys.stdout
        return
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, then renamed
        "w", encoding="utf-8", dir=path.parent or ".", prefix=f".{path.name}.", delete=False
    )
    try:
        with handle:
            yield handle
        Path(handle.name).replace(path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _scores_table(title: str, scores: Scores) -> Table:
    table = Table(title=title)
    for column in ("language", "n", "accuracy", "macro-F1"):
        table.add_column(column, justify="left" if column == "language" else "right")
    for lang, part in scores.by_language.items():
        table.add_row(lang, f"{part.n:,}", f"{part.accuracy:.3f}", f"{part.macro_f1:.3f}")
    table.add_row(
        "[bold]all[/bold]",
        f"{scores.n:,}",
        f"[bold]{scores.accuracy:.3f}[/bold]",
        f"[bold]{scores.macro_f1:.3f}[/bold]",
    )
    return table


def _confusion_table(title: str, scores: Scores) -> Table:
    table = Table(title=title)
    table.add_column("true \\ predicted")
    for label in scores.labels:
        table.add_column(label[:12], justify="right")
    table.add_column("F1", justify="right")
    for label, row in zip(scores.labels, scores.confusion, strict=True):
        table.add_row(label, *[str(n) for n in row], f"{scores.f1[label]:.3f}")
    return table


def print_scores(task: str, scores: Scores) -> None:
    console.print(_scores_table(f"{task}: accuracy and macro-F1", scores))
    console.print(_confusion_table(f"{task}: confusion matrix", scores))


@click.command()
@click.argument("data", required=False, type=click.Path(exists=True))
@click.option("--split", default="val", show_default=True, help="Split of a UMSAB-style folder.")
@click.option(
    "--languages",
    default=None,
    help=f"Comma-separated language codes to keep, e.g. {VAL_LANGUAGES}.",
)
@click.option(
    "--umsab",
    type=click.Path(file_okay=False),
    default=str(SHARED_DATA / "umsab"),
    show_default=True,
    help="UMSAB folder for the held-out suite (val tweets and the real stage test).",
)
@click.option(
    "--dev",
    type=click.Path(dir_okay=False),
    default=str(SHARED_DATA / "journey_stage_dev.jsonl"),
    show_default=True,
    help="The held-out stage set written by other hands, for the suite.",
)
@click.option(
    "--references",
    default=str(UMSAB_REFERENCES),
    show_default="nlp/data/umsab_stage.jsonl",
    help="The team's stage labels of UMSAB tweets; the val ones are the real test ('' skips).",
)
@click.option(
    "--demo-days",
    default=42,
    show_default=True,
    type=click.IntRange(1, 365),
    help="Days of the demo stream (up to 2026-10-18) the suite classifies.",
)
@click.option(
    "--context/--no-context",
    default=True,
    show_default=True,
    help="Read replies together with the post they answer ('parent_text').",
)
@click.option(
    "--backend",
    type=click.Choice(["torch", "int8"]),
    help="Score this inference backend.  [default: model.backend]",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_obj
def evaluate(
    app: object,
    data: str | None,
    split: str,
    languages: str | None,
    umsab: str,
    dev: str,
    references: str,
    demo_days: int,
    context: bool,
    backend: str | None,
    as_json: bool,
) -> None:
    """Score the classifier on labeled data: accuracy, macro-F1, confusion matrices.

    Without DATA, run every held-out check: the shared journey_stage_dev set (stage, and
    Dutch sentiment), the team's stage labels of real UMSAB val tweets, the demo stream
    (standalone posts and replies apart), UMSAB val sentiment in six languages, and the
    cross-validation figures stored by `umot train`.

    DATA is labeled JSONL ("text" with "sentiment" and/or "stage", optional "lang" and
    "parent_text") or a UMSAB-style folder (<language>/<split>_text.txt and _labels.txt).
    """
    from umot.evaluation import EvalSet, evaluate_set, held_out_sets

    try:
        if data is None:
            refs = Path(references) if references else None
            sets = held_out_sets(Path(umsab), Path(dev), refs, demo_days=demo_days)
        else:
            wanted = [code.strip() for code in languages.split(",")] if languages else None
            examples = load_labeled(Path(data), split, wanted)
            if not examples:
                raise click.ClickException("no labeled examples left after the language filter")
            sets = [EvalSet(data, examples, ("sentiment", "stage"), "")]
    except DataError as error:
        raise click.ClickException(str(error)) from None
    if backend is not None:
        app.override_model(backend=backend)  # type: ignore[attr-defined]
    classifier = load_classifier(app)
    results = []
    with progress_bars() as add:
        for evaluation in sets:
            keys = {(e.text, e.parent if context else None) for e in evaluation.examples}
            bar = add(f"classifying {evaluation.name}", len(keys))
            results.append(evaluate_set(classifier, evaluation, context=context, progress=bar))
    if data is not None and not results[0].scores:
        raise click.ClickException("the data has no 'sentiment' or 'stage' labels")
    cv = _stored_cross_validation(classifier)
    if as_json:
        report: dict[str, object] = {"model": classifier.model_id, "context": context}
        if data is not None:
            report.update(data=data, **{k: v.as_dict() for k, v in results[0].scores.items()})
        else:
            report["sets"] = {
                r.name: {k: v.as_dict() for k, v in r.scores.items()} for r in results
            }
            report["stage_cross_validation"] = cv
        click.echo(json.dumps(report, indent=2))
        return
    console.print(
        f"model: {classifier.model_id} (replies read {'with' if context else 'without'}"
        " the post they answer)"
    )
    for result in results:
        for task, scores in result.scores.items():
            title = task if data is not None else f"{result.name} — {task}"
            print_scores(title, scores)
        if result.says:
            console.print(Text(f"  {result.name}: {result.says}", style="dim"))
    if data is None:
        _print_overview(results, cv)


def _stored_cross_validation(classifier: object) -> object:
    """The stage cross-validation `umot train` measured on the team's corpus, if stored."""
    scorer = classifier.scorers["stage"]  # type: ignore[attr-defined]
    bundle = getattr(scorer, "bundle", None)
    return None if bundle is None else bundle.info.training.get("stage_cv")


def _print_overview(results: list, cv: object) -> None:
    from umot.evaluation import summary_rows

    table = Table(title="held-out overview")
    for column in ("data", "task", "n", "accuracy", "macro-F1"):
        table.add_column(column, justify="left" if column in ("data", "task") else "right")
    for name, task, n, accuracy, macro_f1 in summary_rows(results):
        table.add_row(Text(name), task, f"{n:,}", f"{accuracy:.3f}", f"{macro_f1:.3f}")
    if isinstance(cv, dict):
        table.add_row(
            "own corpus, 5-fold CV (from training; same authors, says less)",
            "stage",
            f"{cv['n']:,}",
            f"{cv['accuracy']:.3f}",
            f"{cv['macro_f1']:.3f}",
        )
    console.print(table)
