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
from nlp.heads import BUNDLED_HEADS
from nlp.label_training import (
    MIN_HELD_OUT,
    Comparison,
    EmbeddingCache,
    macro_f1,
    refit_heads,
)
from nlp.versions import VersionStore, models_folder
from storage.labels import held_out, labeled_examples
from umot.config import Config

ProgressFactory = Callable[[str, int], Callable[[int], None]]
TASKS = ("sentiment", "stage")


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
    progress: ProgressFactory | None = None,
) -> RetrainResult:
    store = VersionStore(models_folder(database))
    parent = store.current()
    base_folder = store.current_path() or BUNDLED_HEADS
    scorer = HeadsScorer.load(
        base_folder,
        cache_dir=config.resolve(config.model.cache_dir),
        device=config.model.device,
        batch_size=config.model.batch_size,
    )
    cache = EmbeddingCache(store.folder / "features.db", scorer)
    base = base_data.examples()
    labeled = labeled_examples(db)
    train = [r for r in labeled if not held_out(r["id"])]
    test = [r for r in labeled if held_out(r["id"])]

    def feats(texts: list[str], parents: list[str | None], label: str) -> np.ndarray:
        bar = progress(label, len(texts)) if progress else None
        return cache.features(texts, parents, bar)

    x = feats(
        [e.text for e in base] + [r["text"] for r in train],
        [e.parent for e in base] + [r["parent_text"] for r in train],
        "features (cached after the first run)",
    )
    candidate = refit_heads(
        scorer.bundle,
        x,
        [e.sentiment for e in base] + [r["sentiment"] for r in train],
        [e.stage for e in base] + [r["stage"] for r in train],
        np.array([1.0] * len(base) + [weight] * len(train), dtype=np.float64),
    )
    comparison = Comparison()
    reasons: list[str] = []
    held = feats([r["text"] for r in test], [r["parent_text"] for r in test], "held-out labels")
    for task in TASKS:
        rows = [i for i, r in enumerate(test) if r[task]]
        truth = [test[i][task] for i in rows]
        current = macro_f1(scorer.bundle, held[rows], truth, task) if rows else None
        new = macro_f1(candidate, held[rows], truth, task) if rows else None
        comparison.add(f"held-out human labels, {task}", len(rows), current, new)
        if len(rows) < MIN_HELD_OUT:
            reasons.append(
                f"only {len(rows)} held-out {task} labels, too few to tell (need {MIN_HELD_OUT})"
            )
        elif new is not None and current is not None and new < current:
            reasons.append(f"worse on held-out {task} labels ({new:.3f} < {current:.3f})")
    if base_data.dev is not None and base_data.dev.is_file():
        dev = [e for e in load_jsonl(base_data.dev) if e.stage]
        xd = feats([e.text for e in dev], [e.parent for e in dev], "journey_stage_dev")
        truth = [e.stage or "" for e in dev]
        current = macro_f1(scorer.bundle, xd, truth, "stage")
        new = macro_f1(candidate, xd, truth, "stage")
        comparison.add("journey_stage_dev, stage", len(dev), current, new)
        if new is not None and current is not None and new < current - dev_tolerance:
            reasons.append(
                f"worse on journey_stage_dev stage ({new:.3f} < {current:.3f} by more than "
                f"{dev_tolerance:.3f})"
            )
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
        "kind": "heads refit on the team's labels",
        "label_weight": weight,
        "counts": counts,
        "comparison": comparison.rows,
        "promoted": promoted,
        "refused_because": reasons,
        "forced": force and bool(reasons),
    }

    def write(folder: Path) -> None:
        if scorer.bundle.info.adapter:
            shutil.copytree(base_folder / scorer.bundle.info.adapter, folder / "adapter")
            candidate.info.adapter = "adapter"
        candidate.info.training = {**candidate.info.training, "from_labels": counts}
        candidate.save(folder)

    version = store.add(write, meta)
    if promoted:
        store.use(version)
    return RetrainResult(version, parent, promoted, comparison, reasons, counts)
