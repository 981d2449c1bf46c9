"""Any Hugging Face model in place of umot's heads, for one task.

- ``sequence-classification``: a fine-tuned classifier (e.g.
  ``cardiffnlp/twitter-xlm-roberta-base-sentiment``); ``labels`` maps each of the model's
  labels onto one of umot's (several may map to one; their probabilities add up).
- ``zero-shot``: an NLI model; each umot label gets a hypothesis such as "This post is
  about comparing options before buying.", and the label whose hypothesis the post
  entails most wins (softmax over the entailment logits, as the HF zero-shot pipeline).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from nlp.encoder import ModelLoadError, half_dtype, load_pretrained, pick_device

Progress = Callable[[int], None]

DEFAULT_STAGE_HYPOTHESES = {
    "awareness": "The author has just noticed the brand or a need, without looking into it.",
    "consideration": "The author is comparing options or asking for advice before buying.",
    "purchase": "The author is ordering, paying, signing up or waiting for a delivery.",
    "experience": "The author reports on using the product or its customer service.",
    "advocacy": "The author recommends the brand to others or warns them against it.",
    "none": "The post is news, a job ad, spam or not about being a customer.",
}


class _HuggingFaceModel:
    def __init__(
        self, name: str, setting: str, *, device: str, batch_size: int, max_length: int
    ) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.name = name
        self.model_id = f"hf:{name}"
        self.device = pick_device(device)
        self.batch_size = batch_size
        self.max_length = max_length
        self.tokenizer = load_pretrained(AutoTokenizer, name, setting)
        self.model = (
            load_pretrained(
                AutoModelForSequenceClassification, name, setting, dtype=half_dtype(self.device)
            )
            .to(self.device)
            .eval()
        )
        self.id2label = {int(i): str(label) for i, label in self.model.config.id2label.items()}

    def logits(
        self,
        first: Sequence[str],
        second: Sequence[str] | None = None,
        progress: Progress | None = None,
    ) -> np.ndarray:
        import torch

        out = np.zeros((len(first), len(self.id2label)), np.float32)
        order = sorted(range(len(first)), key=lambda i: -len(first[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                encoded = self.tokenizer(
                    [first[i] for i in batch],
                    [second[i] for i in batch] if second is not None else None,
                    truncation=True,
                    max_length=self.max_length,
                    padding=True,
                    return_tensors="pt",
                )
                encoded = {k: v.to(self.device) for k, v in encoded.items()}
                out[batch] = self.model(**encoded).logits.float().cpu().numpy()
                if progress is not None:
                    progress(len(batch))
        return out


class SequenceClassificationScorer:
    def __init__(
        self,
        task: str,
        name: str,
        labels: Mapping[str, str],
        umot_labels: Sequence[str],
        *,
        device: str = "auto",
        batch_size: int = 32,
        max_length: int = 128,
    ) -> None:
        setting = f"model.{task}.name"
        self.model = _HuggingFaceModel(
            name, setting, device=device, batch_size=batch_size, max_length=max_length
        )
        self.model_id = self.model.model_id
        self.task = task
        self.labels = {task: list(umot_labels)}
        normalized = {key.lower(): value for key, value in labels.items()}
        self.columns: list[int] = []
        for index in range(len(self.model.id2label)):
            model_label = self.model.id2label[index]
            target = normalized.get(model_label.lower())
            if target is None:
                raise ModelLoadError(
                    f"model.{task}.labels does not map the model's label {model_label!r} "
                    f"(its labels: {list(self.model.id2label.values())})"
                )
            if target not in umot_labels:
                raise ModelLoadError(
                    f"model.{task}.labels maps {model_label!r} to {target!r}, which is not "
                    f"one of umot's labels {list(umot_labels)}"
                )
            self.columns.append(list(umot_labels).index(target))

    def probabilities(
        self,
        texts: Sequence[str],
        progress: Progress | None = None,
        parents: Sequence[str | None] | None = None,  # single-text models: context unused
    ) -> dict[str, np.ndarray]:
        from nlp.classifier import softmax

        model_p = softmax(self.model.logits(texts, progress=progress))
        umot_p = np.zeros((len(texts), len(self.labels[self.task])), np.float32)
        for column, target in enumerate(self.columns):
            umot_p[:, target] += model_p[:, column]
        return {self.task: umot_p}


class ZeroShotScorer:
    def __init__(
        self,
        task: str,
        name: str,
        umot_labels: Sequence[str],
        hypotheses: Mapping[str, str] | None = None,
        *,
        device: str = "auto",
        batch_size: int = 32,
        max_length: int = 256,
    ) -> None:
        self.model = _HuggingFaceModel(
            name, f"model.{task}.name", device=device, batch_size=batch_size, max_length=max_length
        )
        self.model_id = f"zero-shot:{name}"
        self.task = task
        self.labels = {task: list(umot_labels)}
        label_ids = {label.lower(): index for index, label in self.model.id2label.items()}
        if "entailment" not in label_ids:
            raise ModelLoadError(
                f"model.{task}.name = {name!r} is not an NLI model: its labels "
                f"{list(self.model.id2label.values())} have no 'entailment'"
            )
        self.entailment = label_ids["entailment"]
        texts = {**DEFAULT_STAGE_HYPOTHESES, **(hypotheses or {})}
        missing = [label for label in umot_labels if label not in texts]
        if missing:
            raise ModelLoadError(f"model.{task}.hypotheses lacks a sentence for {missing}")
        self.hypotheses = [texts[label] for label in umot_labels]

    def probabilities(
        self,
        texts: Sequence[str],
        progress: Progress | None = None,
        parents: Sequence[str | None] | None = None,  # single-text models: context unused
    ) -> dict[str, np.ndarray]:
        from nlp.classifier import softmax

        k = len(self.hypotheses)
        premises = [text for text in texts for _ in range(k)]
        hypotheses = self.hypotheses * len(texts)
        logits = self.model.logits(premises, hypotheses)[:, self.entailment]
        return {self.task: softmax(logits.reshape(len(texts), k)).astype(np.float32)}


def local_or_hub(name: str, base_dir: Path) -> str:
    """Relative folder paths in the config are relative to the config file."""
    if name.startswith((".", "~")) or (base_dir / name).is_dir():
        return str((base_dir / Path(name).expanduser()).resolve())
    return name
