"""Building database states for alert tests: mentions with classifications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from storage import upsert_mentions
from storage.writes import ClassificationRow, store_classifications
from tests.conftest import make_mention

MODEL = "test-model"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
_ids = count(1)


def add(
    db,
    *,
    sentiment="neutral",
    stage="none",
    hours_ago=1.0,
    followers=100,
    likes=0,
    author=None,
    brand="Velora",
    text="Velora post",
    parent=None,
    quoted=None,
    reposted=None,
    reposts=None,
    classify=True,
    source="test",
):
    """Store one mention (and its classification); returns its key."""
    number = next(_ids)
    mention = make_mention(
        native_id=str(5_000_000 + number),
        text=text,
        created_at=NOW - timedelta(hours=hours_ago),
        author_id=author or f"a{number}",
        author_handle=author or f"user{number}",
        author_followers=followers,
        likes=likes,
        brand=brand,
        parent_id=parent.split(":", 1)[1] if parent else None,
        quoted_id=quoted.split(":", 1)[1] if quoted else None,
        reposted_id=reposted.split(":", 1)[1] if reposted else None,
        reposts=reposts,
        url=f"https://x.com/u/status/{5_000_000 + number}",
    )
    upsert_mentions(db, [mention], source=source)
    if classify:
        store_classifications(
            db,
            MODEL,
            [
                ClassificationRow(
                    mention.key, "nl", sentiment, {sentiment: 0.9}, stage, {stage: 0.8}
                )
            ],
        )
    return mention.key
