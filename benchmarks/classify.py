"""Classification speed: umot's classifier against the raw forward pass and a naive loop.

    python benchmarks/classify.py [--texts 2000] [--device cpu] [--heads FOLDER]

(a) umot: ``Classifier.classify`` on the texts (tokenizing, length-sorted batches,
    dynamic padding, both heads, language id); and again with each reply's and quote's
    parent text as context (more tokens per reply, when the heads read context);
(b) raw forward: only the encoder forward pass on the same pre-tokenized, already
    batched inputs -- the ceiling for (a);
(c) naive: a ``transformers.pipeline("feature-extraction")`` loop, one text at a time,
    mean-pooled and fed to the same heads;
(d) on CPU, (a) and (b) again with ``model.backend = "int8"`` (int8 encoder layers, the
    heads fitted on int8 features).
The texts are distinct demo mentions, so de-duplication does not flatter (a).
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from collectors.demo.generator import DemoStream, stream_posts
from nlp.classifier import Classifier, HeadsScorer
from umot.config import Config


def demo_texts(count: int) -> tuple[list[str], list[str | None]]:
    """Distinct demo texts, and for replies and quotes the text they answer."""
    texts: dict[str, str | None] = {}
    seen: dict[str, str] = {}
    day = date(2026, 1, 1)
    while len(texts) < count:
        for post in stream_posts(DemoStream(7, 70), day, day):
            seen[post.native_id] = post.text
            texts.setdefault(post.text, seen.get(post.parent_id or post.quoted_id or ""))
        day += timedelta(days=1)
    chosen = list(texts)[:count]
    return chosen, [texts[text] for text in chosen]


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--heads", default=None, help="heads folder (default: the bundled)")
    parser.add_argument(
        "--naive-texts", type=int, default=None, help="texts for the slow naive loop (default: all)"
    )
    parser.add_argument("--no-int8", action="store_true", help="skip the int8 rows")
    args = parser.parse_args()
    config = Config()
    scorer = HeadsScorer.load(
        Path(args.heads) if args.heads else None,
        cache_dir=config.resolve(config.model.cache_dir),
        device=args.device,
    )
    classifier = Classifier({"sentiment": scorer, "stage": scorer}, config.journey.stages)
    encoder, network = scorer.encoder, scorer.network
    texts, parents = demo_texts(args.texts)
    classifier.classify(texts[:64])  # warm-up

    seconds_umot = timed(lambda: classifier.classify(texts))
    seconds_context = timed(lambda: classifier.classify(texts, parents=parents))

    token_ids = encoder.tokenize(texts)
    batches = [encoder.pad([token_ids[i] for i in batch]) for batch in encoder.batches(token_ids)]

    def raw_forward() -> None:
        with torch.inference_mode():
            for inputs in batches:
                network(**inputs)

    seconds_raw = timed(raw_forward)

    from transformers import pipeline

    extractor = pipeline(
        "feature-extraction",
        model=network,
        tokenizer=encoder.tokenizer,
        device=torch.device(args.device),
    )
    naive_texts = texts[: args.naive_texts or len(texts)]

    def naive() -> None:
        with torch.inference_mode():
            for text in naive_texts:
                hidden = torch.tensor(
                    extractor(encoder.prefix + text, truncation=True, max_length=encoder.max_length)
                )[0]
                pooled = hidden.mean(0, keepdim=True)
                if encoder.parent_features:  # a standalone text: no parent to pool
                    pooled = torch.cat([pooled, torch.zeros_like(pooled)], dim=-1)
                scorer.bundle.module(pooled)

    seconds_naive = timed(naive)

    int8_rates: dict[str, float] = {}
    if args.device == "cpu" and not args.no_int8:
        int8 = HeadsScorer.load(
            Path(args.heads) if args.heads else None,
            cache_dir=config.resolve(config.model.cache_dir),
            device="cpu",
            backend="int8",
        )
        int8_classifier = Classifier({"sentiment": int8, "stage": int8}, config.journey.stages)
        int8_classifier.classify(texts[:64])  # warm-up
        seconds_int8 = timed(lambda: int8_classifier.classify(texts))

        def int8_forward() -> None:
            with torch.inference_mode():
                for inputs in batches:
                    int8.network(**inputs)

        int8_rates = {
            "umot classifier, int8": len(texts) / seconds_int8,
            "raw forward pass, int8 (same batches)": len(texts) / timed(int8_forward),
        }

    replies = sum(parent is not None for parent in parents)
    rates = {
        "umot classifier": len(texts) / seconds_umot,
        f"umot classifier, {replies:,} replies with context ({encoder.context_tokens} tokens)": len(
            texts
        )
        / seconds_context,
        "raw forward pass (same batches)": len(texts) / seconds_raw,
        "naive pipeline loop, batch 1": len(naive_texts) / seconds_naive,
        **int8_rates,
    }
    table = Table(
        title=f"classification speed, {len(texts):,} distinct demo texts, "
        f"{args.device}, {torch.get_num_threads()} threads"
    )
    for column in ("method", "texts/s", "vs raw forward", "vs naive"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for name, rate in rates.items():
        table.add_row(
            name,
            f"{rate:,.1f}",
            f"{rate / rates['raw forward pass (same batches)']:.0%}",
            f"{rate / rates['naive pipeline loop, batch 1']:.1f}x",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
