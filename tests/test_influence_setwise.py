"""The set-based influence query gives what the per-post walk gave, on random graphs."""

from __future__ import annotations

import statistics
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.influence import Journey, influence
from storage import open_database, upsert_mentions
from storage.db import from_db_time, to_db_time
from storage.queries import downstream_of
from storage.writes import ClassificationRow, store_classifications
from tests.alert_helpers import MODEL, NOW
from tests.conftest import make_mention

STAGES = ("awareness", "consideration", "purchase", "experience", "advocacy", "none")
JOURNEY = Journey(
    stages=STAGES,
    prospect_stages=("awareness", "consideration"),
    umot_stages=("experience", "advocacy"),
    own_handles=frozenset({"veloracare"}),
)
AUTHORS = ("anna", "bob", "cas", "dirk", "VeloraCare", None)

node = st.fixed_dictionaries(
    {
        "author": st.sampled_from(AUTHORS),
        "stage": st.sampled_from(STAGES),
        "sentiment": st.sampled_from(("negative", "neutral", "positive")),
        "brand": st.sampled_from(("Velora", "Smaakdoos")),
        "jitter": st.integers(0, 8),  # posts mostly come after what they answer
        "link": st.sampled_from(("parent_id", "quoted_id", "reposted_id", "none", "thread")),
        "target": st.integers(0, 1_000),
        "deleted": st.booleans(),
        "labeled": st.booleans(),
    }
)


def build(db, nodes):
    """Mentions linked only to earlier ones (a thread starter may collect later posts)."""
    keys: list[str] = []
    for number, spec in enumerate(nodes):
        links = {}
        if keys and spec["link"] != "none":
            target = keys[spec["target"] % len(keys)].split(":", 1)[1]
            column = "conversation_id" if spec["link"] == "thread" else spec["link"]
            links[column] = target
        mention = make_mention(
            native_id=f"g{number}",
            text=f"Velora bericht {number}",
            created_at=NOW - timedelta(hours=24 * 9 - 5 * number - spec["jitter"]),
            author_id=spec["author"],
            author_handle=spec["author"],
            brand=spec["brand"],
            deleted=spec["deleted"] and number % 3 == 0,
            **links,
        )
        upsert_mentions(db, [mention], source="t")
        if spec["labeled"] or spec["stage"] in JOURNEY.umot_stages:
            store_classifications(
                db,
                MODEL,
                [ClassificationRow(mention.key, "nl", spec["sentiment"], {}, spec["stage"], {})],
            )
        keys.append(mention.key)


def per_post(db, post):
    """The first release's walk: one recursive query per post, one query per prospect."""
    below = []
    for row in downstream_of(db, post["id"]):
        handle = db.execute(
            "SELECT handle FROM authors WHERE id = ?", [row["author_id"]]
        ).fetchone()
        handle = handle[0] if handle else None
        if (
            row["author_id"] != post["author_id"]
            and (handle or "").lower() not in JOURNEY.own_handles
        ):
            below.append(row)
    labels = {
        r["mention_id"]: r
        for r in db.query("SELECT * FROM effective_labels WHERE model_id = ?", [MODEL])
    }
    first_seen, agree = {}, []
    for row in below:
        label = labels.get(row["id"], {})
        if label.get("stage") in JOURNEY.prospect_stages:
            first_seen.setdefault(row["author_id"] or row["id"], row)
            if label.get("sentiment") and post["sentiment"]:
                agree.append(label["sentiment"] == post["sentiment"])
    converted = 0
    for key, row in first_seen.items():
        if (
            row["author_id"]
            and db.execute(
                "SELECT 1 FROM mentions m JOIN effective_labels c ON c.mention_id = m.id "
                "AND c.model_id = ? WHERE m.author_id = ? AND m.brand IS ? AND m.created_at > ? "
                "AND c.stage IN ('purchase', 'experience', 'advocacy') LIMIT 1",
                [MODEL, key, post["brand"], row["created_at"]],
            ).fetchone()
        ):
            converted += 1
    lags = [(from_db_time(r["created_at"]) - from_db_time(post["created_at"])) for r in below]
    return (
        len(below),
        len({r["author_id"] or r["id"] for r in below}),
        len(first_seen),
        sum(agree) / len(agree) if agree else None,
        statistics.median(lag.total_seconds() / 3600 for lag in lags) if lags else None,
        converted,
        [r["text"] for r in below[:3]],
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(node, min_size=1, max_size=30))
def test_the_set_based_walk_matches_the_per_post_walk(nodes):
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Path(folder) / "g.db")
        build(db, nodes)
        start, end = NOW - timedelta(days=10), NOW + timedelta(hours=1)
        posts, totals = influence(db, MODEL, JOURNEY, start, end)
        rows = {
            r["id"]: r
            for r in db.query(
                "SELECT m.id, m.author_id, m.brand, m.created_at, c.sentiment FROM mentions m "
                "JOIN effective_labels c ON c.mention_id = m.id WHERE m.created_at >= ?",
                [to_db_time(start)],
            )
        }
        assert totals.get("*", None) is None or totals["*"].umot_posts == len(posts)
        for post in posts:
            expected = per_post(db, rows[post.mention_id])
            got = (
                post.downstream,
                post.downstream_authors,
                post.prospects,
                post.prospect_agreement,
                post.median_lag_hours if post.downstream else None,
                post.converted,
            )
            assert got == expected[:6], post.mention_id
            assert [t["text"] for t in post.thread] == expected[6]  # the first responses
        db.close()
