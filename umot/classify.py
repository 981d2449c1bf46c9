"""Classifying mentions: building the configured classifier, the database queue, files.

The database is the queue: "to classify" means "has no classification by the current
model id". Each batch is written in one transaction, so an interrupted run resumes
where it stopped and never classifies a mention twice with the same model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import sqlite_utils

from nlp.classifier import Classifier, HeadsScorer, Scorer
from nlp.data import iter_jsonl
from nlp.heads import BUNDLED_HEADS
from nlp.hf import SequenceClassificationScorer, ZeroShotScorer, local_or_hub
from nlp.versions import VersionStore, models_folder
from storage import finish_run, start_run
from storage.queries import count_unclassified, unclassified_mentions
from storage.writes import ClassificationRow, store_classifications
from umot.config import Config, TaskModelConfig

DB_BATCH = 256
Progress = Callable[[int], None]


def heads_folder(config: Config, database: Path | None = None) -> Path:
    """``model.heads``; "bundled" means the model version in use beside the database (see
    `umot model`), or the weights shipped with umot when there is none."""
    if config.model.heads != "bundled":
        return config.resolve(config.model.heads)
    current = VersionStore(models_folder(database or config.database_path)).current_path()
    return current or BUNDLED_HEADS


def build_classifier(config: Config, database: Path | None = None) -> Classifier:
    model = config.model
    cache_dir = config.resolve(model.cache_dir)
    stages = config.journey.stages
    scorers: dict[str, Scorer] = {}
    if model.sentiment is None or model.stage is None:
        heads_dir = heads_folder(config, database)
        heads = HeadsScorer.load(
            heads_dir,
            cache_dir=cache_dir,
            device=model.device,
            batch_size=model.batch_size,
            max_length=model.max_length,
            backend=model.backend,
        )
        scorers = {"sentiment": heads, "stage": heads}
    for task in ("sentiment", "stage"):
        override: TaskModelConfig | None = getattr(model, task)
        if override is not None:
            labels = ["negative", "neutral", "positive"] if task == "sentiment" else stages
            name = local_or_hub(override.name, config.base_dir)
            common: dict[str, Any] = {"device": model.device, "batch_size": model.batch_size}
            if override.kind == "zero-shot":
                scorers[task] = ZeroShotScorer(task, name, labels, override.hypotheses, **common)
            else:
                scorers[task] = SequenceClassificationScorer(
                    task, name, override.labels, labels, max_length=model.max_length, **common
                )
    return Classifier(scorers, stages)


@dataclass
class ClassifyReport:
    model_id: str
    classified: int = 0
    remaining: int = 0
    error: str | None = None


def classify_database(
    db: sqlite_utils.Database,
    classifier: Classifier,
    *,
    batch_size: int = DB_BATCH,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> ClassifyReport:
    """Classify what ``classifier`` has not labeled yet; at most ``limit`` mentions per call
    (the rest stay for the next call: `umot run` works through a backlog cycle by cycle)."""
    report = ClassifyReport(classifier.model_id)
    if on_total is not None:
        on_total(count_unclassified(db, classifier.model_id))
    run_id = start_run(db, "classify", classifier.model_id)
    try:
        size = min(batch_size, limit) if limit else batch_size
        batches = unclassified_mentions(
            db, classifier.model_id, batch_size=size, newest_first=newest_first
        )
        for batch in batches:
            if limit is not None and report.classified >= limit:
                break
            batch = batch[: limit - report.classified] if limit is not None else batch
            predictions = classifier.classify(
                [row["text"] for row in batch],
                [row["lang"] for row in batch],
                parents=[row["parent_text"] for row in batch],
            )
            rows = [
                ClassificationRow(
                    row["id"], p.lang, p.sentiment, p.sentiment_scores, p.stage, p.stage_scores
                )
                for row, p in zip(batch, predictions, strict=True)
            ]
            report.classified += store_classifications(db, classifier.model_id, rows)
            if progress is not None:
                progress(len(batch))
    except KeyboardInterrupt:
        report.error = "interrupted"
        raise
    except Exception as error:
        report.error = f"{type(error).__name__}: {error}"
        raise
    finally:
        report.remaining = count_unclassified(db, classifier.model_id)
        finish_run(
            db,
            run_id,
            fetched=report.classified + report.remaining,
            inserted=report.classified,
            error=report.error,
        )
    return report


def classify_file(
    classifier: Classifier,
    source: TextIO,
    target: TextIO,
    *,
    chunk: int = 1024,
    progress: Progress | None = None,
) -> tuple[int, int]:
    """Write one output line per input line; bad lines get an ``error`` instead."""
    done = failed = 0
    pending: list[tuple[int, dict[str, Any] | str]] = []

    def flush() -> None:
        nonlocal done, failed
        good = [record for _, record in pending if isinstance(record, dict)]
        predictions = iter(
            classifier.classify(
                [r["text"] for r in good],
                [r.get("lang") for r in good],
                parents=[_optional_text(r.get("parent_text")) for r in good],
            )
        )
        for number, record in pending:
            if isinstance(record, str):
                target.write(json.dumps({"id": None, "line": number, "error": record}) + "\n")
                failed += 1
                continue
            result = {"id": record.get("id"), **next(predictions).as_dict()}
            target.write(json.dumps(result, ensure_ascii=False) + "\n")
            done += 1
        if progress is not None:
            progress(len(pending))
        pending.clear()

    for item in iter_jsonl(source):
        pending.append(item)
        if len(pending) >= chunk:
            flush()
    if pending:
        flush()
    return done, failed


def _optional_text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None
