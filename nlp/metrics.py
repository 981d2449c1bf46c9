"""Accuracy, macro-F1 and confusion matrices, overall and per language."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Scores:
    labels: list[str]
    n: int
    accuracy: float
    macro_f1: float
    f1: dict[str, float]
    confusion: list[list[int]]  # rows: true label, columns: predicted label
    by_language: dict[str, Scores] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "f1": {k: round(v, 4) for k, v in self.f1.items()},
            "labels": self.labels,
            "confusion": self.confusion,
            "by_language": {k: v.as_dict() for k, v in self.by_language.items()},
        }


def _scores(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> Scores:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    labels = list(labels)
    present = [label for label in labels if label in truth]
    per_label = f1_score(truth, predicted, labels=labels, average=None, zero_division=0)
    return Scores(
        labels=labels,
        n=len(truth),
        accuracy=float(accuracy_score(truth, predicted)),
        # macro over the labels that occur in the data, as is usual for held-out sets
        macro_f1=float(
            f1_score(truth, predicted, labels=present, average="macro", zero_division=0)
        ),
        f1={label: float(value) for label, value in zip(labels, per_label, strict=True)},
        confusion=confusion_matrix(truth, predicted, labels=labels).tolist(),
    )


def score(
    truth: Sequence[str],
    predicted: Sequence[str],
    langs: Sequence[str | None],
    labels: Sequence[str],
) -> Scores:
    overall = _scores(truth, predicted, labels)
    groups: dict[str, list[int]] = defaultdict(list)
    for index, lang in enumerate(langs):
        groups[lang or "?"].append(index)
    if len(groups) > 1:
        for lang in sorted(groups):
            rows = groups[lang]
            overall.by_language[lang] = _scores(
                [truth[i] for i in rows], [predicted[i] for i in rows], labels
            )
    return overall
