"""Sentiment and journey stage for a batch of texts, with calibrated probabilities.

The default scorer is umot's own: the bundled encoder (with its LoRA adapter, when the
bundle has one) and two trained heads, so one forward pass per distinct text gives both
tasks. Either task can instead come from any Hugging Face model (``nlp.hf``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from nlp.encoder import Encoder
from nlp.heads import BUNDLED_HEADS, HeadsBundle, HeadsError
from nlp.langid import detect_language
from storage.mention import is_textless

log = logging.getLogger("umot.classify")

Progress = Callable[[int], None]
_SURROGATES = re.compile("[\ud800-\udfff]")

TASKS = ("sentiment", "stage")
# What a post with nothing to read (only media placeholders such as "[image]", @names and
# links; see storage.mention.is_textless) is labelled, by rule rather than by the model,
# whose guess would be noise: no sentiment shown, no journey stage shown.
TEXTLESS_LABELS = {"sentiment": "neutral", "stage": "none"}


@dataclass(frozen=True)
class Prediction:
    lang: str | None
    sentiment: str
    sentiment_scores: dict[str, float]
    stage: str
    stage_scores: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "sentiment": self.sentiment,
            "sentiment_scores": self.sentiment_scores,
            "stage": self.stage,
            "stage_scores": self.stage_scores,
        }


class Scorer(Protocol):
    """Gives probabilities for one or more tasks, for each text."""

    model_id: str
    labels: dict[str, list[str]]  # task -> its labels, in column order

    def probabilities(
        self,
        texts: Sequence[str],
        progress: Progress | None = None,
        parents: Sequence[str | None] | None = None,
    ) -> dict[str, np.ndarray]: ...


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


class HeadsScorer:
    """Encoder + trained heads: both tasks from one forward pass."""

    def __init__(
        self, encoder: Encoder, bundle: HeadsBundle, int8_cache: Path | None = None
    ) -> None:
        """``int8_cache``: run the encoder with int8 layers (CPU), built or read there;
        ``bundle`` must then hold the heads fitted on int8 features."""
        self.encoder = encoder
        self.bundle = bundle
        self.int8 = int8_cache is not None
        backend = "+int8" if self.int8 else ""
        self.model_id = f"{bundle.info.encoder}{backend}+heads-{bundle.fingerprint()}"
        self.labels = {
            "sentiment": list(bundle.info.sentiment_labels),
            "stage": list(bundle.info.stage_labels),
        }
        self.network = encoder.model
        if bundle.info.adapter and bundle.folder is not None:
            from peft import PeftModel

            adapter = str(bundle.folder / bundle.info.adapter)
            self.network = PeftModel.from_pretrained(encoder.model, adapter).merge_and_unload()
            self.network.eval()
        if int8_cache is not None:
            from nlp.int8 import int8_key, int8_model

            info, folder = bundle.info, bundle.folder
            adapter = folder / info.adapter if info.adapter and folder is not None else None
            self.network = int8_model(self.network, int8_cache, int8_key(info.encoder, adapter))
        bundle.module.to(encoder.device).eval()

    @classmethod
    def load(
        cls,
        heads_dir: Path | None,
        *,
        cache_dir: Path,
        device: str = "auto",
        batch_size: int = 32,
        max_length: int | None = None,
        backend: str = "torch",
        heads_file: str | None = None,
    ) -> HeadsScorer:
        """``backend`` "int8": int8 encoder layers and the heads fitted on their features
        (CPU only; a GPU keeps its fp16/bf16). ``heads_file`` overrides which heads."""
        from nlp.int8 import INT8_HEADS

        int8 = backend == "int8"
        folder = heads_dir or BUNDLED_HEADS
        if int8 and heads_file is None and not (folder / INT8_HEADS).is_file():
            log.warning(
                "%s has no heads for int8 features (a version from `umot train "
                "--from-labels`, or heads trained with --no-int8): running fp32; "
                "`umot train --int8-only --out %s` fits them",
                folder,
                folder,
            )
            int8 = False
        bundle = HeadsBundle.load(
            folder, heads_file or (INT8_HEADS if int8 else "heads.safetensors")
        )
        info = bundle.info
        encoder = Encoder(
            info.encoder,
            cache_dir=cache_dir,
            device=device,
            batch_size=batch_size,
            max_length=max_length or info.max_length,
            prefix=info.prefix,
            pool_layers=info.pool_layers,
            context_tokens=info.context_tokens,
            parent_features=info.parent_features,
        )
        if int8 and encoder.device != "cpu":
            int8 = False
            bundle = HeadsBundle.load(folder)
        return cls(encoder, bundle, cache_dir if int8 else None)

    def pooled(
        self,
        texts: Sequence[str],
        progress: Progress | None = None,
        parents: Sequence[str | None] | None = None,
    ) -> np.ndarray:
        """Pooled embeddings through the (adapted) encoder; what the heads read."""
        return self.encoder.embed(texts, progress, self.network, parents)

    def probabilities(
        self,
        texts: Sequence[str],
        progress: Progress | None = None,
        parents: Sequence[str | None] | None = None,
    ) -> dict[str, np.ndarray]:
        """Both tasks per text; a reply reads the start of its ``parents`` entry as context
        when the heads were trained that way."""
        import torch

        result = {
            task: np.zeros((len(texts), len(self.labels[task])), np.float32) for task in TASKS
        }
        with torch.inference_mode():
            for batch, pooled in self.encoder.pooled_batches(texts, parents, self.network):
                heads = self.bundle.module(pooled.float())
                for task, logits in zip(TASKS, heads, strict=True):
                    result[task][batch] = torch.softmax(logits, dim=-1).cpu().numpy()
                if progress is not None:
                    progress(len(batch))
        return result


class Classifier:
    """Routes each task to its scorer, runs every scorer once per distinct text."""

    def __init__(self, scorers: dict[str, Scorer], stages: Sequence[str]) -> None:
        missing = [task for task in TASKS if task not in scorers]
        if missing:
            raise ValueError(f"no scorer for {missing}")
        if list(scorers["stage"].labels["stage"]) != list(stages):
            raise HeadsError(
                f"journey.stages {list(stages)} differ from the stages the model gives "
                f"{scorers['stage'].labels['stage']}; retrain with `umot train` "
                "or configure [model.stage]"
            )
        self.scorers = scorers
        # The textless rule needs its labels among the models' (stages are configurable).
        self._textless_rule = all(
            TEXTLESS_LABELS[task] in scorers[task].labels[task] for task in TASKS
        )
        ids = {task: scorer.model_id for task, scorer in scorers.items()}
        same = len(set(ids.values())) == 1
        self.model_id = ids["sentiment"] if same else ";".join(f"{t}={m}" for t, m in ids.items())

    def classify(
        self,
        texts: Sequence[str],
        langs: Sequence[str | None] | None = None,
        progress: Progress | None = None,
        parents: Sequence[str | None] | None = None,
    ) -> list[Prediction]:
        """One prediction per text; ``langs`` are languages the source already knows,
        ``parents`` the texts that replies and quotes answer (None for a standalone post)."""
        # Lone surrogates (broken JSON escapes) are not text; tokenizers refuse them.
        texts = [_SURROGATES.sub("\ufffd", text) for text in texts]
        contexts = [
            _SURROGATES.sub("\ufffd", parent) if parent else None
            for parent in (parents or [None] * len(texts))
        ]
        unique: dict[tuple[str, str | None], int] = {}
        for key in zip(texts, contexts, strict=True):
            if not self._by_rule(key[0]):
                unique.setdefault(key, len(unique))
        distinct = [text for text, _ in unique]
        distinct_parents = [parent for _, parent in unique]
        probabilities: dict[str, np.ndarray] = {}
        runs: dict[int, dict[str, np.ndarray]] = {}
        first = True
        for task in TASKS if distinct else ():
            scorer = self.scorers[task]
            if id(scorer) not in runs:  # a scorer serving both tasks runs once
                runs[id(scorer)] = scorer.probabilities(
                    distinct, progress if first else None, distinct_parents
                )
                first = False
            probabilities[task] = runs[id(scorer)][task]
        results = []
        for position, text in enumerate(texts):
            known = langs[position] if langs is not None else None
            if self._by_rule(text):
                results.append(self._textless_prediction(known))
                continue
            lang = known or detect_language(text)
            row = unique[(text, contexts[position])]
            results.append(self._prediction(lang, probabilities, row))
        return results

    def _by_rule(self, text: str) -> bool:
        return self._textless_rule and is_textless(text)

    def _textless_prediction(self, lang: str | None) -> Prediction:
        values: dict[str, Any] = {}
        for task in TASKS:
            chosen = TEXTLESS_LABELS[task]
            values[task] = chosen
            values[f"{task}_scores"] = {
                label: float(label == chosen) for label in self.scorers[task].labels[task]
            }
        return Prediction(lang=lang, **values)

    def _prediction(
        self, lang: str | None, probabilities: dict[str, np.ndarray], row: int
    ) -> Prediction:
        values: dict[str, Any] = {}
        for task in TASKS:
            labels = self.scorers[task].labels[task]
            p = probabilities[task][row]
            values[task] = labels[int(p.argmax())]
            values[f"{task}_scores"] = {
                label: round(float(x), 4) for label, x in zip(labels, p, strict=True)
            }
        return Prediction(lang=lang, **values)
