"""Refitting the heads with the team's own labels, and judging the result on held-out ones.

The fast path: the encoder and its adapter stay as they are, so every text's features are
computed once and cached (keyed by the encoder, adapter and text); the two heads are
refit on the base training data plus the team's labels (weighted), which takes seconds
once the cache is warm. The labels held out by ``storage.labels.held_out`` are never
trained on; they decide, per task, whether the new heads are better than the current ones.
The slow path (``continue_adapter``) also trains the LoRA adapter further on the labels;
its features are new, so everything is embedded again under the new adapter's key.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nlp.classifier import HeadsScorer
from nlp.data import Example
from nlp.encoder import Encoder
from nlp.heads import HeadsBundle, HeadsInfo
from nlp.metrics import score
from nlp.train import LoraSettings, ProgressFactory, _fit_logistic, finetune_lora

MIN_HELD_OUT = 30  # per task: fewer held-out labels cannot tell two models apart


def encoder_key(scorer: HeadsScorer) -> str:
    """Changes whenever the features would: encoder, adapter weights, context settings."""
    info = scorer.bundle.info
    digest = hashlib.sha256()
    digest.update(
        f"{info.encoder}|{info.max_length}|{info.pool_layers}|{info.context_tokens}|"
        f"{info.parent_features}|{info.prefix}|{'int8' if scorer.int8 else 'fp32'}".encode()
    )
    folder = scorer.bundle.folder
    if info.adapter and folder is not None:
        for path in sorted((folder / info.adapter).glob("*.safetensors")):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class EmbeddingCache:
    """Features per (encoder, text, parent) in a small SQLite file beside the versions.

    Rows carry the encoder key, so features of an encoder (or adapter) that is no longer
    in use can be dropped with ``prune``: a new adapter invalidates every cached feature.
    """

    def __init__(self, path: Path, scorer: HeadsScorer) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path)
        columns = [row[1] for row in self.conn.execute("PRAGMA table_info(features)")]
        if columns and "encoder" not in columns:  # the first layout; a cache, so dropped
            with self.conn:
                self.conn.execute("DROP TABLE features")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS features "
            "(encoder TEXT NOT NULL, key TEXT NOT NULL, v BLOB, PRIMARY KEY (encoder, key))"
        )
        self.scorer = scorer
        self.prefix = encoder_key(scorer)

    @staticmethod
    def _key(text: str, parent: str | None) -> str:
        return hashlib.sha256(f"{text}\x00{parent or ''}".encode()).hexdigest()

    def encoders(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT DISTINCT encoder FROM features")}

    def prune(self, keep: set[str]) -> int:
        """Drop the features of every encoder not in ``keep``; returns the rows dropped."""
        marks = ", ".join("?" for _ in keep) or "''"
        with self.conn:
            dropped = self.conn.execute(
                f"DELETE FROM features WHERE encoder NOT IN ({marks})", sorted(keep)
            ).rowcount
        if dropped:
            self.conn.execute("VACUUM")
        return dropped

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
                f"SELECT key, v FROM features WHERE encoder = ? AND key IN ({marks})",
                [self.prefix, *part],
            ):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        missing = sorted({key: i for i, key in enumerate(keys) if key not in found}.values())
        if missing:
            computed = self.scorer.pooled(
                [texts[i] for i in missing], progress, [parents[i] for i in missing]
            )
            with self.conn:
                self.conn.executemany(
                    "INSERT OR REPLACE INTO features (encoder, key, v) VALUES (?, ?, ?)",
                    [(self.prefix, keys[i], computed[n].tobytes()) for n, i in enumerate(missing)],
                )
            for n, i in enumerate(missing):
                found[keys[i]] = computed[n]
        return np.stack([found[key] for key in keys]) if keys else np.zeros((0, 1), np.float32)

    def close(self) -> None:
        self.conn.close()


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


# The adapter's update from the team's labels: each label is seen LABEL_REPEATS times per
# epoch, beside a seeded replay sample of the base data (REPLAY_PER_LABEL per label, at
# least REPLAY_MIN) so the adapter learns the team's conventions without forgetting what
# it knew; one epoch at a lower rate than the first training, since it starts trained.
LABEL_REPEATS = 2
REPLAY_PER_LABEL = 2
REPLAY_MIN = 1000
ADAPTER_UPDATE = {"epochs": 1.0, "learning_rate": 2e-4, "stage_repeats": 1}


def adapter_update_data(
    base: Sequence[Example], labeled: Sequence[Example], seed: int = 13
) -> list[Example]:
    """The labels (repeated) and a replay sample of the base data, seeded."""
    rng = random.Random(seed)
    replay = rng.sample(
        list(base), min(len(base), max(REPLAY_MIN, REPLAY_PER_LABEL * len(labeled)))
    )
    return [*labeled] * LABEL_REPEATS + replay


def continue_adapter(
    folder: Path,
    info: HeadsInfo,
    base: Sequence[Example],
    labeled: Sequence[Example],
    *,
    cache_dir: Path,
    device: str = "auto",
    seed: int = 13,
    progress: ProgressFactory | None = None,
) -> Any:
    """The bundle's adapter (or a new one when it has none) trained further on the labels.

    Returns the peft model, to be saved beside heads refit on its features.
    """
    from peft import PeftModel

    encoder = Encoder(
        info.encoder,
        cache_dir=cache_dir,
        device=device,
        batch_size=64,
        max_length=info.max_length,
        prefix=info.prefix,
        pool_layers=info.pool_layers,
        context_tokens=info.context_tokens,
        parent_features=info.parent_features,
    )
    earlier = (info.training or {}).get("lora") or {}
    known = {name: value for name, value in earlier.items() if name in LoraSettings.__annotations__}
    settings = LoraSettings(**{**known, **ADAPTER_UPDATE})
    model = None
    if info.adapter:
        model = PeftModel.from_pretrained(
            encoder.model, str(folder / info.adapter), is_trainable=True
        )
    data = adapter_update_data(base, labeled, seed)
    bar = (
        progress("fine-tuning the adapter", int(len(data) * settings.epochs)) if progress else None
    )
    return finetune_lora(encoder, data, settings, seed, bar, info.stage_labels, model=model)
