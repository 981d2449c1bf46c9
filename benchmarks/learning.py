"""Learning the demo stream's conventions from labels: a learning curve.

    python benchmarks/learning.py [--sizes 50,100,200,400,800] [--days 42] [--adapter]

The demo stream labels by rules of its own (a prospect's "stuck between A and B" reply is
consideration). Starting from the bundled model, this labels N demo mentions with their
true labels through the workspace's path (``set_labels``), chosen by the review queue
(least sure first) or at random, refits the heads with `umot train --from-labels`'s code
(``retrain_from_labels``, forced so every point is measured), and scores stage and
sentiment macro-F1 on the demo mentions never labeled, plus journey_stage_dev. Prints a
table and writes docs/learning-curve.png. ``--adapter`` trains the LoRA adapter further too
(`umot train --from-labels --adapter`), scoring with the new adapter's features; it takes
minutes per point, so it is usually run for one size (``--sizes 400``, no chart).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.classifier import HeadsScorer  # noqa: E402
from nlp.data import CORPUS, UMSAB_REFERENCES  # noqa: E402
from nlp.heads import HeadsBundle  # noqa: E402
from nlp.label_training import EmbeddingCache, macro_f1  # noqa: E402
from nlp.versions import VersionStore, models_folder  # noqa: E402
from storage import open_database  # noqa: E402
from storage.review import review_queue  # noqa: E402
from storage.workspace import set_labels  # noqa: E402
from umot.classify import build_classifier, classify_database  # noqa: E402
from umot.config import Config  # noqa: E402
from umot.pipeline import collect_sources  # noqa: E402
from umot.retrain import BaseData, retrain_from_labels  # noqa: E402

SENTIMENTS = ("negative", "neutral", "positive")


def demo_database(folder: Path, days: int) -> tuple[Path, Config]:
    config = Config.model_validate(
        {
            "database": {"path": str(folder / "demo.db")},
            "sources": {"demo": {"weeks": max(1, days // 7)}},
        }
    )
    db = open_database(config.database_path)
    collect_sources(db, config, config.enabled_sources())
    classify_database(db, build_classifier(config))
    db.close()
    return config.database_path, config


def truth(db) -> dict[str, dict[str, str]]:
    found = {}
    for key, raw in db.execute("SELECT id, raw FROM mentions WHERE deleted = 0"):
        demo = (json.loads(raw or "{}") or {}).get("demo")
        if demo and demo.get("stage") and demo.get("role") != "repost":
            found[key] = {"sentiment": demo["sentiment"], "stage": demo["stage"]}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,100,200,400,800")
    parser.add_argument("--days", type=int, default=42)
    parser.add_argument("--umsab", default=str(ROOT.parent / "shared/data/umsab"))
    parser.add_argument("--dev", default=str(ROOT.parent / "shared/data/journey_stage_dev.jsonl"))
    parser.add_argument("--chart", default=str(ROOT / "docs/learning-curve.png"))
    parser.add_argument("--adapter", action="store_true", help="also train the adapter")
    parser.add_argument("--strategies", default="review queue,random")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    base = BaseData(CORPUS, Path(args.umsab), UMSAB_REFERENCES, Path(args.dev))
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source, config = demo_database(folder, args.days)
        db = open_database(source)
        labels = truth(db)
        texts = dict(db.execute("SELECT id, text FROM mentions"))
        parents = dict(
            db.execute(
                "SELECT m.id, p.text FROM mentions m JOIN mentions p "
                "ON p.id = coalesce(m.parent_id, m.quoted_id)"
            )
        )
        model = db.execute("SELECT model_id FROM classifications LIMIT 1").fetchone()[0]
        queue = [r["id"] for r in review_queue(db, model, limit=len(labels)) if r["id"] in labels]
        db.close()
        scorer = HeadsScorer.load(None, cache_dir=config.resolve(config.model.cache_dir))
        cache = EmbeddingCache(folder / "features.db", scorer)
        everyone = sorted(labels)
        features = cache.features([texts[k] for k in everyone], [parents.get(k) for k in everyone])
        index = {key: i for i, key in enumerate(everyone)}

        def scores(
            bundle: HeadsBundle, unlabeled: list[str], adapted: HeadsScorer | None = None
        ) -> tuple[float, float]:
            if adapted is None:
                seen = features[[index[k] for k in unlabeled]]
            else:  # a new adapter: its own features
                seen = adapted.pooled(
                    [texts[k] for k in unlabeled], None, [parents.get(k) for k in unlabeled]
                )
            return tuple(  # type: ignore[return-value]
                macro_f1(bundle, seen, [labels[k][task] for k in unlabeled], task)
                for task in ("stage", "sentiment")
            )

        table = Table(
            title="learning the demo's conventions (macro-F1 on never-labeled demo mentions)"
        )
        for column in ("labels", "chosen", "stage", "sentiment", "dev stage"):
            table.add_column(column, justify="right")
        start_stage, start_sentiment = scores(scorer.bundle, everyone)
        table.add_row("0", "–", f"{start_stage:.3f}", f"{start_sentiment:.3f}", "")
        curve: dict[str, list[tuple[int, float]]] = {
            name: [] for name in args.strategies.split(",")
        }
        for strategy in curve:
            order = (
                queue
                if strategy == "review queue"
                else random.Random(7).sample(everyone, len(everyone))
            )
            for size in sizes:
                work = folder / f"{strategy[:6]}-{size}.db"
                shutil.copy(source, work)
                db = open_database(work)
                chosen = order[:size]
                for key in chosen:
                    set_labels(
                        db,
                        [key],
                        "bench",
                        sentiments=SENTIMENTS,
                        stages=config.journey.stages,
                        **labels[key],
                    )
                models_folder(work).mkdir(exist_ok=True)
                shutil.copy(folder / "features.db", models_folder(work) / "features.db")
                result = retrain_from_labels(
                    db, config, work, base, force=True, adapter=args.adapter
                )
                db.close()
                store = VersionStore(models_folder(work))
                bundle = HeadsBundle.load(store.folder / result.version)
                unlabeled = [k for k in everyone if k not in set(chosen)]
                adapted = None
                if args.adapter:
                    adapted = HeadsScorer.load(
                        store.folder / result.version,
                        cache_dir=config.resolve(config.model.cache_dir),
                    )
                stage, sentiment = scores(bundle, unlabeled, adapted)
                dev = result.comparison.rows.get("journey_stage_dev, stage", {}).get("candidate")
                table.add_row(
                    str(size),
                    strategy,
                    f"{stage:.3f}",
                    f"{sentiment:.3f}",
                    f"{dev:.3f}" if dev else "–",
                )
                curve[strategy].append((size, stage))
                shutil.copy(models_folder(work) / "features.db", folder / "features.db")
        console.print(table)
        if args.adapter or len(sizes) < 2:
            return
        figure, axes = plt.subplots(figsize=(6, 3.2))
        for strategy, points in curve.items():
            axes.plot(
                [0, *(p[0] for p in points)],
                [start_stage, *(p[1] for p in points)],
                marker="o",
                label=strategy,
            )
        axes.axhline(0.70, color="#999", linestyle=":", label="target 0.70")
        axes.set_xlabel("demo mentions labeled")
        axes.set_ylabel("stage macro-F1, unlabeled")
        axes.legend(frameon=False, fontsize=8)
        axes.spines[["top", "right"]].set_visible(False)
        figure.savefig(args.chart, bbox_inches="tight", dpi=120)
        console.print(f"chart: {args.chart}")


if __name__ == "__main__":
    main()
