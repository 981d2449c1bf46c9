"""Refitting the heads with the team's own labels, and judging the result on held-out ones.

The fast path: the encoder and its adapter stay as they are, so every text's features are
computed once and cached (keyed by the encoder, adapter and text); the two heads are
refit on the base training data plus the team's labels (weighted), which takes seconds
once the cache is warm. The labels held out by ``storage.labels.held_out`` are never
trained on; they decide, per task, whether the new heads are better than the current ones.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nlp.classifier import HeadsScorer
from nlp.heads import HeadsBundle, HeadsInfo
from nlp.metrics import score
from nlp.train import _fit_logistic

MIN_HELD_OUT = 30  # per task: fewer held-out labels cannot tell two models apart


def encoder_key(scorer: HeadsScorer) -> str:
    """Changes whenever the features would: encoder, adapter weights, context settings."""
    info = scorer.bundle.info
    digest = hashlib.sha256()
    digest.update(
        f"{info.encoder}|{info.max_length}|{info.pool_layers}|{info.context_tokens}|"
        f"{info.parent_features}|{info.prefix}".encode()
    )
    folder = scorer.bundle.folder
    if info.adapter and folder is not None:
        for path in sorted((folder / info.adapter).glob("*.safetensors")):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class EmbeddingCache:
    """Features per (encoder, text, parent) in a small SQLite file beside the versions."""

    def __init__(self, path: Path, scorer: HeadsScorer) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path)
        self.conn.execute("CREATE TABLE IF NOT EXISTS features (key TEXT PRIMARY KEY, v BLOB)")
        self.scorer = scorer
        self.prefix = encoder_key(scorer)

    def _key(self, text: str, parent: str | None) -> str:
        raw = f"{self.prefix}\x00{text}\x00{parent or ''}".encode()
        return hashlib.sha256(raw).hexdigest()

    def features(
        self,
        texts: Sequence[str],
        parents: Sequence[str | None],
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        keys = [self._key(t, p) for t, p in zip(texts, parents, strict=True)]
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            marks = ", ".join("?" for _ in part)
            for key, blob in self.conn.execute(
                f"SELECT key, v FROM features WHERE key IN ({marks})", part
            ):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        missing = [i for i, key in enumerate(keys) if key not in found]
        if missing:
            computed = self.scorer.pooled(
                [texts[i] for i in missing], progress, [parents[i] for i in missing]
            )
            with self.conn:
                self.conn.executemany(
                    "INSERT OR REPLACE INTO features (key, v) VALUES (?, ?)",
                    [(keys[i], computed[n].tobytes()) for n, i in enumerate(missing)],
                )
            for n, i in enumerate(missing):
                found[keys[i]] = computed[n]
        return np.stack([found[key] for key in keys]) if keys else np.zeros((0, 1), np.float32)


@dataclass
class Comparison:
    """Macro-F1 of the current and the new heads on the same held-out data, per check."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, name: str, n: int, current: float | None, candidate: float | None) -> None:
        self.rows[name] = {"n": n, "current": current, "candidate": candidate}


def _logits(bundle: HeadsBundle, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import torch

    with torch.inference_mode():
        sentiment, stage = bundle.module(torch.from_numpy(np.ascontiguousarray(x)))
    return sentiment.numpy(), stage.numpy()


def macro_f1(bundle: HeadsBundle, x: np.ndarray, truth: Sequence[str], task: str) -> float | None:
    if not len(truth):
        return None
    sentiment, stage = _logits(bundle, x)
    labels = bundle.info.sentiment_labels if task == "sentiment" else bundle.info.stage_labels
    scores = sentiment if task == "sentiment" else stage
    predicted = [labels[i] for i in scores.argmax(axis=1)]
    return score(list(truth), predicted, [None] * len(truth), labels).macro_f1


def refit_heads(
    base: HeadsBundle,
    x: np.ndarray,
    sentiments: Sequence[str | None],
    stages: Sequence[str | None],
    weights: np.ndarray,
    seed: int = 13,
) -> HeadsBundle:
    """New heads on the same features: base data and the team's labels, weighted."""
    info = base.info
    training = info.training or {}
    dim = x.shape[1] // 2 if info.parent_features else x.shape[1]
    bundle = HeadsBundle.create(HeadsInfo(**{**vars(info), "training": dict(training)}), dim)
    for task, values, width in (("sentiment", sentiments, dim), ("stage", stages, x.shape[1])):
        rows = np.array([i for i, v in enumerate(values) if v])
        labels = info.sentiment_labels if task == "sentiment" else info.stage_labels
        c = float(training.get(f"{task}_c") or 0.01)
        weight, bias = _fit_logistic(
            x[rows, :width], np.array([values[i] for i in rows]), labels, c, seed, weights[rows]
        )
        bundle.set_linear(task, weight, bias)
        bundle.set_temperature(task, float(getattr(base.module, f"{task}_temperature")))
    return bundle
