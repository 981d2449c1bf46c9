"""Training umot's heads (and optionally a LoRA adapter) on the shared labeled data.

Reproducible: every random choice is seeded. The stage figures come from stratified
5-fold cross-validation on the stage data (the heads are then refit on all of it); the
sentiment head is judged on data it never saw, with ``umot evaluate``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nlp.data import SENTIMENTS, Example
from nlp.encoder import Encoder
from nlp.heads import HeadsBundle, HeadsInfo
from nlp.metrics import Scores, score

ProgressFactory = Callable[[str, int], Callable[[int], None]]
TEMPERATURES = np.linspace(0.25, 4.0, 76)


@dataclass
class LoraSettings:
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.1
    epochs: float = 1.0
    learning_rate: float = 5e-4
    batch_size: int = 32
    max_length: int = 64


@dataclass
class TrainResult:
    bundle: HeadsBundle
    stage_cv: Scores
    sentiment_examples: int
    stage_examples: int
    seconds: float
    log: list[str] = field(default_factory=list)
    adapter_model: Any = None  # the peft model, saved beside the heads


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _fit_logistic(
    x: np.ndarray, y: np.ndarray, labels: Sequence[str], c: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Standardize, fit a multinomial logistic regression, fold both into one linear layer."""
    from sklearn.linear_model import LogisticRegression

    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    model = LogisticRegression(C=c, max_iter=5000, random_state=seed)
    model.fit((x - mean) / std, y)
    order = [list(model.classes_).index(label) for label in labels]
    coef, intercept = model.coef_[order], model.intercept_[order]
    weight = coef / std
    bias = intercept - (coef * (mean / std)).sum(axis=1)
    return weight.astype(np.float32), bias.astype(np.float32)


def _logits(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    return x @ weight.T + bias


def fit_temperature(logits: np.ndarray, y: np.ndarray, labels: Sequence[str]) -> float:
    """The temperature that minimizes held-out log loss: calibrated probabilities."""
    index = np.array([list(labels).index(label) for label in y])
    best, best_loss = 1.0, np.inf
    for temperature in TEMPERATURES:
        scaled = logits / temperature
        scaled = scaled - scaled.max(axis=1, keepdims=True)
        log_p = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
        loss = -log_p[np.arange(len(y)), index].mean()
        if loss < best_loss:
            best, best_loss = float(temperature), loss
    return best


def cross_validate_stage(
    x: np.ndarray,
    y: np.ndarray,
    langs: Sequence[str | None],
    labels: Sequence[str],
    c: float,
    seed: int,
    folds: int = 5,
) -> tuple[Scores, np.ndarray]:
    from sklearn.model_selection import StratifiedKFold

    out_of_fold = np.zeros((len(y), len(labels)), np.float32)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_index, test_index in splitter.split(x, y):
        weight, bias = _fit_logistic(x[train_index], y[train_index], labels, c, seed)
        out_of_fold[test_index] = _logits(x[test_index], weight, bias)
    predicted = [labels[i] for i in out_of_fold.argmax(axis=1)]
    return score(list(y), predicted, list(langs), labels), out_of_fold


def finetune_lora(
    encoder: Encoder,
    examples: Sequence[Example],
    settings: LoraSettings,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> Any:
    """Fine-tune a LoRA adapter (and a throwaway sentiment head) on sentiment labels."""
    import torch
    from peft import LoraConfig, get_peft_model

    seed_everything(seed)
    config = LoraConfig(
        r=settings.rank,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=["query", "key", "value", "dense"],
    )
    model = get_peft_model(encoder.model, config)
    head = torch.nn.Linear(encoder.dimension, len(SENTIMENTS)).to(encoder.device)
    parameters = [p for p in model.parameters() if p.requires_grad] + list(head.parameters())
    optimizer = torch.optim.AdamW(parameters, lr=settings.learning_rate, weight_decay=0.01)
    saved_length = encoder.max_length
    encoder.max_length = settings.max_length
    token_ids = encoder.tokenize([e.text for e in examples])
    encoder.max_length = saved_length
    targets = torch.tensor([SENTIMENTS.index(e.sentiment) for e in examples])
    rng = random.Random(seed)
    # Batches of similar length (little padding), visited in random order each epoch.
    by_length = sorted(range(len(examples)), key=lambda i: (len(token_ids[i]), rng.random()))
    batches = [
        by_length[i : i + settings.batch_size]
        for i in range(0, len(by_length), settings.batch_size)
    ]
    steps = max(1, int(len(batches) * settings.epochs))
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=settings.learning_rate, total_steps=steps, pct_start=0.1
    )
    model.train()
    with torch.enable_grad():
        step = 0
        while step < steps:
            rng.shuffle(batches)
            for batch in batches[: steps - step]:
                inputs = encoder.pad([token_ids[i] for i in batch])
                pooled = encoder.forward_pooled(inputs, model)
                loss = torch.nn.functional.cross_entropy(
                    head(pooled), targets[batch].to(encoder.device)
                )
                loss.backward()
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                step += 1
                if progress is not None:
                    progress(len(batch))
    model.eval()
    return model


def train(
    *,
    encoder_name: str,
    cache_dir: Path,
    sentiment_examples: Sequence[Example],
    stage_examples: Sequence[Example],
    stage_labels: Sequence[str],
    seed: int = 13,
    lora: LoraSettings | None = None,
    device: str = "auto",
    sentiment_c: float = 0.01,
    stage_c: float = 0.01,
    progress: ProgressFactory | None = None,
) -> TrainResult:
    import torch

    started = time.perf_counter()
    seed_everything(seed)
    encoder = Encoder(encoder_name, cache_dir=cache_dir, device=device, batch_size=64)
    log = []
    network = encoder.model
    adapter_model = None
    if lora is not None:
        bar = (
            progress("fine-tuning LoRA", int(len(sentiment_examples) * lora.epochs))
            if progress
            else None
        )
        adapter_model = finetune_lora(encoder, sentiment_examples, lora, seed, bar)
        network = adapter_model
        log.append(
            f"LoRA r={lora.rank} on {len(sentiment_examples):,} sentiment texts, "
            f"{lora.epochs} epoch(s)"
        )

    def embed(texts: list[str], label: str) -> np.ndarray:
        bar = progress(label, len(set(texts))) if progress else None
        return encoder.embed(texts, bar, network)

    with torch.inference_mode():
        sentiment_x = embed([e.text for e in sentiment_examples], "embedding sentiment data")
        stage_x = embed([e.text for e in stage_examples], "embedding stage data")
    sentiment_y = np.array([e.sentiment for e in sentiment_examples])
    stage_y = np.array([e.stage for e in stage_examples])

    # Sentiment: temperature from a 10% hold-out, then the head refit on everything.
    order = np.random.default_rng(seed).permutation(len(sentiment_y))
    held, fit = order[: len(order) // 10], order[len(order) // 10 :]
    weight, bias = _fit_logistic(sentiment_x[fit], sentiment_y[fit], SENTIMENTS, sentiment_c, seed)
    sentiment_t = fit_temperature(
        _logits(sentiment_x[held], weight, bias), sentiment_y[held], SENTIMENTS
    )
    sentiment_w, sentiment_b = _fit_logistic(
        sentiment_x, sentiment_y, SENTIMENTS, sentiment_c, seed
    )

    # Stage: honest figures from cross-validation; temperature from out-of-fold logits.
    langs = [e.lang for e in stage_examples]
    stage_cv, out_of_fold = cross_validate_stage(
        stage_x, stage_y, langs, stage_labels, stage_c, seed
    )
    stage_t = fit_temperature(out_of_fold, stage_y, stage_labels)
    stage_w, stage_b = _fit_logistic(stage_x, stage_y, stage_labels, stage_c, seed)

    info = HeadsInfo(
        encoder=encoder_name,
        sentiment_labels=list(SENTIMENTS),
        stage_labels=list(stage_labels),
        prefix=encoder.prefix,
        max_length=encoder.max_length,
        pool_layers=encoder.pool_layers,
        training={
            "seed": seed,
            "sentiment_examples": len(sentiment_examples),
            "stage_examples": len(stage_examples),
            "lora": None if lora is None else vars(lora),
            "sentiment_c": sentiment_c,
            "stage_c": stage_c,
            "stage_cv_macro_f1": round(stage_cv.macro_f1, 4),
            "temperatures": {"sentiment": sentiment_t, "stage": stage_t},
        },
    )
    bundle = HeadsBundle.create(info, encoder.dimension)
    bundle.set_linear("sentiment", sentiment_w, sentiment_b)
    bundle.set_linear("stage", stage_w, stage_b)
    bundle.set_temperature("sentiment", sentiment_t)
    bundle.set_temperature("stage", stage_t)
    return TrainResult(
        bundle,
        stage_cv,
        len(sentiment_examples),
        len(stage_examples),
        time.perf_counter() - started,
        log,
        adapter_model,
    )
