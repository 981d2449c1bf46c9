"""The held-out checks of the classifier, each on data the model was not trained on.

Which data says what:
- ``journey_stage_dev.jsonl`` (shared, written by other hands, never trained on): the
  held-out stage test, and the only held-out Dutch sentiment figure;
- the team's stage labels of real UMSAB *val* tweets (``nlp/data/umsab_stage.jsonl``,
  split ``val``): real consumer posts, a small set;
- the demo stream against its generator's labels, standalone posts apart from replies and
  quotes (the replies are what the influence analysis counts as prospects);
- UMSAB val sentiment in six languages.
Cross-validation on the team's own corpus is computed by ``umot train`` (same authors as
the training data, so it says less) and read back from the bundle's metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from nlp.classifier import TASKS, Classifier
from nlp.data import (
    UMSAB_REFERENCES,
    Example,
    load_jsonl,
    load_umsab,
    load_umsab_references,
)
from nlp.metrics import Scores, score

SIX_LANGUAGES = ["en", "fr", "de", "es", "it", "pt"]
# A fixed stretch of the demo stream, so the figure is the same on every machine and day.
DEMO_LAST_DAY = date(2026, 10, 18)
DEMO_SEED = 7


@dataclass
class EvalSet:
    name: str
    examples: list[Example]
    tasks: tuple[str, ...]
    says: str  # what the figure can and cannot tell
    sentiment_languages: list[str] | None = None  # score sentiment only for these


@dataclass
class EvalResult:
    name: str
    says: str
    scores: dict[str, Scores] = field(default_factory=dict)


def held_out_sets(
    umsab: Path, dev: Path, references: Path | None = UMSAB_REFERENCES, demo_days: int = 42
) -> list[EvalSet]:
    """Every held-out set that can be read here; a missing one is skipped, not fatal."""
    sets: list[EvalSet] = []
    if dev.is_file():
        sets.append(
            EvalSet(
                "journey_stage_dev (held out)",
                load_jsonl(dev),
                ("stage", "sentiment"),
                "written by other hands and never trained on: the stage test; "
                "sentiment only for Dutch",
                sentiment_languages=["nl"],
            )
        )
    if references is not None and references.is_file() and umsab.is_dir():
        real = load_umsab_references(references, umsab, "val")
        if real:
            sets.append(
                EvalSet(
                    "real tweets (UMSAB val, stage)",
                    real,
                    ("stage",),
                    "real consumer posts labeled by the team; small, so each post moves the figure",
                )
            )
    standalone, replies = demo_examples(days=demo_days)
    sets += [
        EvalSet(
            "demo stream, standalone posts",
            standalone,
            TASKS,
            "generated text with generated labels: a check of the pipeline, not of "
            "real-world accuracy",
        ),
        EvalSet(
            "demo stream, replies and quotes",
            replies,
            TASKS,
            "the posts the influence analysis counts as prospects, read with the post they answer",
        ),
    ]
    if umsab.is_dir():
        sets.append(
            EvalSet(
                "UMSAB val sentiment",
                load_umsab(umsab, "val", SIX_LANGUAGES),
                ("sentiment",),
                "real tweets of all kinds, sentiment only (XLM-T scores 0.694 on test)",
            )
        )
    return sets


def demo_examples(seed: int = DEMO_SEED, days: int = 42) -> tuple[list[Example], list[Example]]:
    """The demo stream's posts with their true labels: standalone ones, and replies and
    quotes with the text they answer. Reposts (a copy of another post) are left out."""
    from collectors.demo.generator import DemoStream, stream_posts

    first = DEMO_LAST_DAY - timedelta(days=days - 1)
    posts = list(stream_posts(DemoStream(seed), first, DEMO_LAST_DAY))
    by_id = {post.native_id: post for post in posts}
    standalone: list[Example] = []
    replies: list[Example] = []
    for post in posts:
        if post.reposted_id:
            continue
        answered = by_id.get(post.parent_id or post.quoted_id or "")
        example = Example(
            post.text,
            post.lang,
            post.sentiment,
            post.stage,
            post.native_id,
            answered.text if answered else None,
        )
        (replies if post.parent_id or post.quoted_id else standalone).append(example)
    return standalone, replies


def evaluate_set(
    classifier: Classifier,
    evaluation: EvalSet,
    *,
    context: bool = True,
    progress: Callable[[int], None] | None = None,
) -> EvalResult:
    examples = evaluation.examples
    parents = [e.parent for e in examples] if context else None
    predictions = classifier.classify([e.text for e in examples], None, progress, parents)
    result = EvalResult(evaluation.name, evaluation.says)
    for task in evaluation.tasks:
        labels = classifier.scorers[task].labels[task]
        rows = [
            i
            for i, e in enumerate(examples)
            if getattr(e, task)
            and (
                task != "sentiment"
                or evaluation.sentiment_languages is None
                or e.lang in evaluation.sentiment_languages
            )
        ]
        if rows:
            result.scores[task] = score(
                [getattr(examples[i], task) for i in rows],
                [getattr(predictions[i], task) for i in rows],
                [examples[i].lang for i in rows],
                labels,
            )
    return result


def summary_rows(results: Sequence[EvalResult]) -> list[tuple[str, str, int, float, float]]:
    """(set, task, n, accuracy, macro-F1) for the overview table."""
    return [
        (result.name, task, scores.n, scores.accuracy, scores.macro_f1)
        for result in results
        for task, scores in result.scores.items()
    ]
