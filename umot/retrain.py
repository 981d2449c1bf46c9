"""`umot train --from-labels`: new heads from the team's labels, promoted only if better.

The new heads are written as a model version beside the database. They are put in use
only when, per task, their macro-F1 on the held-out human labels is at least the current
model's (with at least ``MIN_HELD_OUT`` such labels) and the bundled held-out stage test
(journey_stage_dev) does not get worse by more than ``dev_tolerance`` (one point: on 360
posts, refits that differ only in their labels moved it by ±1 point in
benchmarks/learning.py); ``force`` overrides. Otherwise the version is
kept as a candidate, with the comparison, for `umot model use`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils

from nlp.classifier import HeadsScorer
from nlp.data import Example, load_jsonl, load_umsab, load_umsab_references
from nlp.heads import BUNDLED_HEADS, HeadsBundle
from nlp.int8 import INT8_HEADS
from nlp.label_training import (
    MIN_HELD_OUT,
    Comparison,
    EmbeddingCache,
    continue_adapter,
    macro_f1,
    refit_heads,
)
from nlp.versions import VersionStore, models_folder
from storage.labels import held_out, labeled_examples
from umot.config import Config

ProgressFactory = Callable[[str, int], Callable[[int], None]]
TASKS = ("sentiment", "stage")


class RetrainError(ValueError):
    """Nothing to train on, as asked."""


@dataclass
class BaseData:
    """What the bundled heads learned from: the stage corpus and the sentiment tweets."""

    stage_file: Path
    umsab: Path | None = None
    references: Path | None = None
    dev: Path | None = None

    def examples(self) -> list[Example]:
        found = load_jsonl(self.stage_file)
        if self.umsab is not None and self.umsab.is_dir():
            if self.references is not None and self.references.is_file():
                found += load_umsab_references(self.references, self.umsab, "train")
            found += load_umsab(self.umsab, "train")
        return found


@dataclass
class RetrainResult:
    version: str
    parent: str | None
    promoted: bool
    comparison: Comparison
    reasons: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def retrain_from_labels(
    db: sqlite_utils.Database,
    config: Config,
    database: Path,
    base_data: BaseData,
    *,
    weight: float = 3.0,
    force: bool = False,
    dev_tolerance: float = 0.01,
    brand: str | None = None,
    adapter: bool = False,
    seed: int = 13,
    progress: ProgressFactory | None = None,
) -> RetrainResult:
    """``brand`` trains on (and judges by) that brand's labels only; ``adapter`` also
    trains the LoRA adapter further on them before the heads are refit."""
    store = VersionStore(models_folder(database))
    store.sweep()
    parent = store.current()
    base_folder = store.current_path() or BUNDLED_HEADS
    common: dict[str, Any] = {
        "cache_dir": config.resolve(config.model.cache_dir),
        "device": config.model.device,
        "batch_size": config.model.batch_size,
    }
    scorer = HeadsScorer.load(base_folder, **common)
    base = base_data.examples()
    labeled = labeled_examples(db, brand)
    if brand is not None and not labeled:
        raise RetrainError(f"no human labels on mentions of brand {brand!r}")
    train = [r for r in labeled if not held_out(r["id"])]
    test = [r for r in labeled if held_out(r["id"])]
    staging = store.folder / f".adapter.{os.getpid()}"
    try:
        new_scorer = scorer
        if adapter:
            trained = continue_adapter(
                base_folder,
                scorer.bundle.info,
                base,
                [
                    Example(
                        text=r["text"],
                        lang=r["lang"],
                        sentiment=r["sentiment"],
                        stage=r["stage"],
                        id=r["id"],
                        parent=r["parent_text"],
                    )
                    for r in train
                ],
                cache_dir=common["cache_dir"],
                device=common["device"],
                seed=seed,
                progress=progress,
            )
            shutil.rmtree(staging, ignore_errors=True)
            HeadsBundle.load(base_folder).save(staging, trained)
            del trained
            new_scorer = HeadsScorer.load(staging, **common)
        result = _refit_and_compare(
            store.folder / "features.db",
            scorer,
            new_scorer,
            base,
            train,
            test,
            base_data.dev,
            weight,
            dev_tolerance,
            progress,
        )
        candidate, comparison, reasons = result
        promoted = force or not reasons
        counts = {
            "base_examples": len(base),
            "human_labels": len(labeled),
            "trained_on": len(train),
            "held_out": len(test),
        }
        meta: dict[str, Any] = {
            "created_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "parent": parent,
            "kind": (
                "adapter and heads trained on the team's labels"
                if adapter
                else "heads refit on the team's labels"
            ),
            "brand": brand,
            "label_weight": weight,
            "counts": counts,
            "comparison": comparison.rows,
            "promoted": promoted,
            "refused_because": reasons,
            "forced": force and bool(reasons),
        }
        adapter_source = (staging if adapter else base_folder) / (
            new_scorer.bundle.info.adapter or ""
        )

        def write(folder: Path) -> None:
            if new_scorer.bundle.info.adapter:
                shutil.copytree(adapter_source, folder / "adapter")
                candidate.info.adapter = "adapter"
            training = {"from_labels": counts, "brand": brand, "adapter_updated": adapter}
            candidate.info.training = {**candidate.info.training, **training}
            candidate.save(folder)
            if config.model.backend == "int8":
                _int8_heads(folder, candidate, base, train, weight, common, progress)

        version = store.add(write, meta)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if promoted:
        store.use(version)
    return RetrainResult(version, parent, promoted, comparison, reasons, counts)


def _refit_and_compare(
    cache_file: Path,
    current: HeadsScorer,
    new: HeadsScorer,
    base: list[Example],
    train: list[dict[str, Any]],
    test: list[dict[str, Any]],
    dev_file: Path | None,
    weight: float,
    dev_tolerance: float,
    progress: ProgressFactory | None,
) -> tuple[HeadsBundle, Comparison, list[str]]:
    """New heads on ``new``'s features; both models judged on the same held-out data."""
    current_cache = EmbeddingCache(cache_file, current)
    new_cache = current_cache if new is current else EmbeddingCache(cache_file, new)

    def feats(
        cache: EmbeddingCache, texts: list[str], parents: list[str | None], label: str
    ) -> np.ndarray:
        bar = progress(label, len(texts)) if progress else None
        return cache.features(texts, parents, bar)

    try:
        x = feats(
            new_cache,
            [e.text for e in base] + [r["text"] for r in train],
            [e.parent for e in base] + [r["parent_text"] for r in train],
            "features (cached after the first run)",
        )
        candidate = refit_heads(
            new.bundle,
            x,
            [e.sentiment for e in base] + [r["sentiment"] for r in train],
            [e.stage for e in base] + [r["stage"] for r in train],
            np.array([1.0] * len(base) + [weight] * len(train), dtype=np.float64),
        )
        del x
        comparison = Comparison()
        reasons: list[str] = []
        texts, parents = [r["text"] for r in test], [r["parent_text"] for r in test]
        held_now = feats(current_cache, texts, parents, "held-out labels")
        held_new = feats(new_cache, texts, parents, "held-out labels, new model")
        for task in TASKS:
            rows = [i for i, r in enumerate(test) if r[task]]
            truth = [test[i][task] for i in rows]
            now = macro_f1(current.bundle, held_now[rows], truth, task) if rows else None
            then = macro_f1(candidate, held_new[rows], truth, task) if rows else None
            comparison.add(f"held-out human labels, {task}", len(rows), now, then)
            if len(rows) < MIN_HELD_OUT:
                reasons.append(
                    f"only {len(rows)} held-out {task} labels, too few to tell "
                    f"(need {MIN_HELD_OUT})"
                )
            elif then is not None and now is not None and then < now:
                reasons.append(f"worse on held-out {task} labels ({then:.3f} < {now:.3f})")
        if dev_file is not None and dev_file.is_file():
            dev = [e for e in load_jsonl(dev_file) if e.stage]
            texts, parents = [e.text for e in dev], [e.parent for e in dev]
            truth = [e.stage or "" for e in dev]
            now = macro_f1(
                current.bundle, feats(current_cache, texts, parents, "dev"), truth, "stage"
            )
            then = macro_f1(candidate, feats(new_cache, texts, parents, "dev"), truth, "stage")
            comparison.add("journey_stage_dev, stage", len(dev), now, then)
            if then is not None and now is not None and then < now - dev_tolerance:
                reasons.append(
                    f"worse on journey_stage_dev stage ({then:.3f} < {now:.3f} by more than "
                    f"{dev_tolerance:.3f})"
                )
        # Features of encoders no longer in play are dead weight: keep these two only.
        current_cache.prune({current_cache.prefix, new_cache.prefix})
    finally:
        current_cache.close()
        if new_cache is not current_cache:
            new_cache.close()
    return candidate, comparison, reasons


def _int8_heads(
    folder: Path,
    candidate: HeadsBundle,
    base: list[Example],
    train: list[dict[str, Any]],
    weight: float,
    common: dict[str, Any],
    progress: ProgressFactory | None,
) -> None:
    """The version's heads for int8 features too, from the same data and weights, so the
    int8 backend serves the team's model instead of falling back to fp32."""
    int8 = HeadsScorer.load(
        folder, **{**common, "device": "cpu"}, backend="int8", heads_file="heads.safetensors"
    )
    cache = EmbeddingCache(folder.parent / "features-int8.db", int8)
    try:
        texts = [e.text for e in base] + [r["text"] for r in train]
        parents = [e.parent for e in base] + [r["parent_text"] for r in train]
        bar = progress("int8 features", len(texts)) if progress else None
        x = cache.features(texts, parents, bar)
        cache.prune({cache.prefix})  # one int8 encoder in play at a time
    finally:
        cache.close()
    heads = refit_heads(
        candidate,
        x,
        [e.sentiment for e in base] + [r["sentiment"] for r in train],
        [e.stage for e in base] + [r["stage"] for r in train],
        np.array([1.0] * len(base) + [weight] * len(train), dtype=np.float64),
    )
    heads.save_weights(folder / INT8_HEADS)
