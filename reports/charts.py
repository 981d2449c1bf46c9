"""The report's two charts as inline SVG (matplotlib, no files, no external requests)."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

COLORS = {
    "negative": "#d1495b",
    "neutral": "#9aa5b1",
    "positive": "#2e9d6a",
    "unclassified": "#e3e7eb",
}


def _svg(figure: plt.Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # inline: drop the XML prolog and doctype


def daily_sentiment(daily: dict[date, Counter[str]]) -> str:
    days = sorted(daily)
    figure, axes = plt.subplots(figsize=(7.5, 2.8))
    bottom = [0] * len(days)
    for label in ("negative", "neutral", "positive", "unclassified"):
        values = [daily[day][label] for day in days]
        if not any(values) and label == "unclassified":
            continue
        axes.bar(
            range(len(days)), values, bottom=bottom, color=COLORS[label], label=label, width=0.7
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_xticks(range(len(days)), [f"{day:%a %d %b}" for day in days], fontsize=8)
    axes.set_ylabel("mentions", fontsize=8)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(axis="y", labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(fontsize=7, frameon=False, ncols=4, loc="upper left", bbox_to_anchor=(0, 1.15))
    return _svg(figure)


def stage_funnel(stages: list[str], counts: Counter[str]) -> str:
    figure, axes = plt.subplots(figsize=(7.5, 0.45 * len(stages) + 0.6))
    values = [counts[stage] for stage in stages]
    positions = list(range(len(stages)))[::-1]
    axes.barh(positions, values, color="#3d6fb6", height=0.6)
    axes.set_yticks(positions, stages, fontsize=8)
    for position, value in zip(positions, values, strict=True):
        axes.text(value, position, f" {value:,}", va="center", fontsize=8)
    axes.tick_params(axis="x", labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_xlabel("mentions in the week", fontsize=8)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    return _svg(figure)


def version_scores(versions: list[dict]) -> str:
    """Held-out macro-F1 per model version (stage and sentiment), oldest first."""
    names = [v["id"] for v in versions]
    figure, axes = plt.subplots(figsize=(5.5, 2.4))
    for task, color in (("stage", "#3d6fb6"), ("sentiment", COLORS["positive"])):
        values = [
            (v.get("comparison") or {}).get(f"held-out human labels, {task}", {}).get("candidate")
            for v in versions
        ]
        points = [(i, y) for i, y in enumerate(values) if y is not None]
        axes.plot(
            [i for i, _ in points], [y for _, y in points], marker="o", color=color, label=task
        )
    axes.set_xticks(range(len(names)), names, fontsize=8)
    axes.set_ylabel("held-out macro-F1", fontsize=8)
    axes.tick_params(axis="y", labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(fontsize=7, frameon=False)
    return _svg(figure)
