"""The review queue: least sure first, never what a person labeled, per brand."""

from __future__ import annotations

import sqlite3

import sqlite_utils

from storage import open_database, upsert_mentions
from storage.review import label_counts, review_queue
from storage.schema import MIGRATIONS, migrate
from storage.workspace import set_labels
from storage.writes import ClassificationRow, certainty, store_classifications
from tests.conftest import make_mention
from umot.config import Config

STAGES = Config().journey.stages
SENTIMENTS = ("negative", "neutral", "positive")


def classified(db, brand, sentiment_scores, stage_scores, text):
    mention = make_mention(brand=brand, text=text)
    upsert_mentions(db, [mention], source="t")
    sentiment = max(sentiment_scores, key=sentiment_scores.get)
    stage = max(stage_scores, key=stage_scores.get)
    store_classifications(
        db,
        "m1",
        [ClassificationRow(mention.key, "nl", sentiment, sentiment_scores, stage, stage_scores)],
    )
    return mention.key


def test_margin_is_the_smaller_of_the_two_tasks():
    assert certainty({"negative": 0.9, "neutral": 0.1}, {"purchase": 0.5, "experience": 0.4}) == 0.1
    assert certainty({"neutral": 1.0}, {"none": 1.0}) == 1.0


def test_queue_orders_least_sure_first_and_skips_labeled_and_other_brands(db):
    sure = classified(
        db, "Velora", {"negative": 0.9, "neutral": 0.1}, {"experience": 0.95, "none": 0.05}, "a"
    )
    torn = classified(
        db, "Velora", {"negative": 0.5, "neutral": 0.45}, {"experience": 0.6, "none": 0.4}, "b"
    )
    stage_torn = classified(
        db, "Velora", {"negative": 0.9, "neutral": 0.1}, {"purchase": 0.41, "experience": 0.39}, "c"
    )
    other = classified(
        db, "Smaakdoos", {"negative": 0.34, "neutral": 0.33}, {"none": 0.5, "purchase": 0.5}, "d"
    )

    assert [r["id"] for r in review_queue(db, "m1", limit=4)] == [other, stage_torn, torn, sure]
    assert [r["id"] for r in review_queue(db, "m1", brand="Velora", limit=4)] == [
        stage_torn,
        torn,
        sure,
    ]
    assert review_queue(db, "m1", brand="Velora", skip=[stage_torn])[0]["id"] == torn

    set_labels(
        db, [stage_torn], "anna", stage="consideration", sentiments=SENTIMENTS, stages=STAGES
    )
    set_labels(db, [torn], "anna", sentiment="neutral", sentiments=SENTIMENTS, stages=STAGES)
    assert [r["id"] for r in review_queue(db, "m1", brand="Velora", limit=4)] == [sure]
    assert label_counts(db) == {"sentiment": {"neutral": 1}, "stage": {"consideration": 1}}
    assert review_queue(db, None) == []


def test_the_migration_fills_the_margin_of_stored_labels(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    old = sqlite_utils.Database(conn)
    migrate(old, MIGRATIONS[:-1])  # a database from before the review queue
    mention = make_mention()
    upsert_mentions(old, [mention], source="t")
    old.execute(
        "INSERT INTO classifications (mention_id, model_id, sentiment, sentiment_scores, stage, "
        "stage_scores, classified_at) VALUES (?, 'm0', 'negative', ?, 'purchase', ?, 'now')",
        [mention.key, '{"negative": 0.7, "neutral": 0.2}', '{"purchase": 0.4, "experience": 0.3}'],
    )
    old.conn.commit()
    conn.close()

    db = open_database(path)
    assert db.execute("SELECT margin FROM classifications").fetchone()[0] == 0.1
    assert [r["id"] for r in review_queue(db, "m0")] == [mention.key]
