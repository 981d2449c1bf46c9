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
# Regularization strengths the stage head chooses from, by cross-validated macro-F1.
STAGE_C_GRID = (0.01, 0.03, 0.1)


@dataclass
class LoraSettings:
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.1
    epochs: float = 1.0
    learning_rate: float = 5e-4
    batch_size: int = 32
    max_length: int = 64
    stage_weight: float = 0.5
    stage_repeats: int = 2


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
    x: np.ndarray,
    y: np.ndarray,
    labels: Sequence[str],
    c: float,
    seed: int,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Standardize, fit a multinomial logistic regression, fold both into one linear layer."""
    from sklearn.linear_model import LogisticRegression

    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    model = LogisticRegression(C=c, max_iter=5000, random_state=seed)
    model.fit((x - mean) / std, y, sample_weight=weights)
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
    stage_labels: Sequence[str] = (),
    model: Any = None,
) -> Any:
    """Fine-tune one LoRA adapter for both tasks at once (multi-task); ``model`` continues
    an adapter already loaded for training instead of starting a new one.

    Each example carries a sentiment label, a stage label or both; a batch's loss is the
    sentiment loss over the rows that have one plus ``stage_weight`` times the stage loss
    over the rows that have one, through two throwaway linear heads. Adapting for
    sentiment alone moved the features away from what stage needs (5-fold stage F1 0.758
    with the sentiment-only adapter against 0.786 without any); learning both keeps both.
    Replies are read with their parent's text as context, as at inference.
    """
    import torch
    from peft import LoraConfig, get_peft_model

    seed_everything(seed)
    if model is None:
        config = LoraConfig(
            r=settings.rank,
            lora_alpha=settings.alpha,
            lora_dropout=settings.dropout,
            target_modules=["query", "key", "value", "dense"],
        )
        model = get_peft_model(encoder.model, config)
    heads = torch.nn.ModuleDict(
        {
            "sentiment": torch.nn.Linear(encoder.dimension, len(SENTIMENTS)),
            "stage": torch.nn.Linear(encoder.dimension, max(1, len(stage_labels))),
        }
    ).to(encoder.device)
    parameters = [p for p in model.parameters() if p.requires_grad] + list(heads.parameters())
    optimizer = torch.optim.AdamW(parameters, lr=settings.learning_rate, weight_decay=0.01)
    saved_length = encoder.max_length
    encoder.max_length = settings.max_length
    token_ids, own = encoder.encode([e.text for e in examples], [e.parent for e in examples])
    encoder.max_length = saved_length
    targets = {
        "sentiment": torch.tensor(
            [SENTIMENTS.index(e.sentiment) if e.sentiment else -100 for e in examples]
        ),
        "stage": torch.tensor(
            [list(stage_labels).index(e.stage) if e.stage else -100 for e in examples]
        ),
    }
    weights = {"sentiment": 1.0, "stage": settings.stage_weight}
    rng = random.Random(seed)
    # Stage examples are few: each epoch visits them `stage_repeats` times.
    visits = [
        i for i, e in enumerate(examples) for _ in range(settings.stage_repeats if e.stage else 1)
    ]
    # Batches of similar length (little padding), visited in random order each epoch.
    by_length = sorted(visits, key=lambda i: (len(token_ids[i]), rng.random()))
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
                lengths = None if own is None else [own[i] for i in batch]
                inputs = encoder.pad([token_ids[i] for i in batch], lengths)
                pooled = encoder.forward_pooled(inputs, model, parent_features=False)
                loss = pooled.new_zeros(())
                for task, head in heads.items():
                    wanted = targets[task][batch].to(encoder.device)
                    if (wanted >= 0).any():
                        loss = loss + weights[task] * torch.nn.functional.cross_entropy(
                            head(pooled), wanted, ignore_index=-100
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
    stage_c: float | None = None,
    context_tokens: int = 0,
    parent_features: bool = False,
    adapter_from: Path | None = None,
    progress: ProgressFactory | None = None,
) -> TrainResult:
    """Heads (and, with ``lora``, one adapter for both tasks) from labeled examples.

    ``sentiment_examples`` need a sentiment, ``stage_examples`` a stage (and mostly a
    sentiment too, which the sentiment head and the adapter also learn from).
    ``stage_c`` None picks it from ``STAGE_C_GRID`` by cross-validation on the stage data.
    ``adapter_from`` (a bundle folder with an adapter) refits only the heads on that
    adapter: minutes instead of most of an hour on two cores.
    """
    import torch

    started = time.perf_counter()
    seed_everything(seed)
    encoder = Encoder(
        encoder_name,
        cache_dir=cache_dir,
        device=device,
        batch_size=64,
        context_tokens=context_tokens,
        parent_features=parent_features,
    )
    log = []
    network = encoder.model
    adapter_model = None
    if adapter_from is not None:
        adapter_model, lora = _reused_adapter(encoder, adapter_from)
        network = adapter_model
        log.append(f"heads refit on the adapter of {adapter_from}")
    elif lora is not None:
        adapter_data = [*sentiment_examples, *stage_examples]
        visits = len(sentiment_examples) + lora.stage_repeats * len(stage_examples)
        bar = progress("fine-tuning LoRA", int(visits * lora.epochs)) if progress else None
        adapter_model = finetune_lora(encoder, adapter_data, lora, seed, bar, stage_labels)
        network = adapter_model
        log.append(
            f"LoRA r={lora.rank} on {len(sentiment_examples):,} sentiment and "
            f"{len(stage_examples):,} stage examples (both tasks), {lora.epochs} epoch(s)"
        )

    def embed(examples: Sequence[Example], label: str) -> np.ndarray:
        keys = {(e.text, e.parent) for e in examples}
        bar = progress(label, len(keys)) if progress else None
        return encoder.embed([e.text for e in examples], bar, network, [e.parent for e in examples])

    with_sentiment = [*sentiment_examples, *(e for e in stage_examples if e.sentiment)]
    with torch.inference_mode():
        sentiment_x = embed(with_sentiment, "embedding sentiment data")
        stage_x = embed(stage_examples, "embedding stage data")
    sentiment_x = sentiment_x[:, : encoder.dimension]  # the text's own pool
    sentiment_y = np.array([e.sentiment for e in with_sentiment])
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
    tried = {
        c: cross_validate_stage(stage_x, stage_y, langs, stage_labels, c, seed)
        for c in ((stage_c,) if stage_c is not None else STAGE_C_GRID)
    }
    stage_c = max(tried, key=lambda c: (round(tried[c][0].macro_f1, 4), -c))
    stage_cv, out_of_fold = tried[stage_c]
    if len(tried) > 1:
        log.append(
            "stage C by 5-fold macro-F1: "
            + ", ".join(f"{c:g} → {cv.macro_f1:.3f}" for c, (cv, _) in tried.items())
            + f"; chose {stage_c:g}"
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
        context_tokens=context_tokens,
        parent_features=parent_features,
        training={
            "seed": seed,
            "sentiment_examples": len(with_sentiment),
            "stage_examples": len(stage_examples),
            "lora": None if lora is None else vars(lora),
            "sentiment_c": sentiment_c,
            "stage_c": stage_c,
            "stage_c_cv": {str(c): round(cv.macro_f1, 4) for c, (cv, _) in tried.items()},
            "adapter_reused": adapter_from is not None,
            "stage_cv_macro_f1": round(stage_cv.macro_f1, 4),
            "stage_cv": stage_cv.as_dict(),
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
        len(with_sentiment),
        len(stage_examples),
        time.perf_counter() - started,
        log,
        adapter_model,
    )


def _reused_adapter(encoder: Encoder, folder: Path) -> tuple[Any, LoraSettings | None]:
    """The adapter of an existing bundle, loaded for embedding and saving again as is."""
    import json

    from peft import PeftModel

    from nlp.heads import HeadsError

    meta = folder / "heads.json"
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise HeadsError(f"cannot reuse the adapter in {folder}: {error}") from None
    if not info.get("adapter") or not (folder / info["adapter"]).is_dir():
        raise HeadsError(f"{folder} has no adapter to reuse; train one (without --keep-adapter)")
    if info.get("encoder") != encoder.name:
        raise HeadsError(
            f"the adapter in {folder} belongs to encoder {info.get('encoder')!r}, "
            f"not {encoder.name!r}"
        )
    model = PeftModel.from_pretrained(encoder.model, str(folder / info["adapter"]))
    model.eval()
    settings = (info.get("training") or {}).get("lora")
    return model, LoraSettings(**settings) if settings else None
