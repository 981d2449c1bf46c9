from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from storage import Mention, open_database

_ids = count(1)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    database = open_database(tmp_path / "test.db")
    yield database
    database.close()


def make_mention(**overrides: Any) -> Mention:
    """A valid mention; tests override just what they are about."""
    fields: dict[str, Any] = {
        "platform": "x",
        "native_id": str(1000 + next(_ids)),
        "text": "Mijn Velora accu is na drie weken al kapot",
        "created_at": datetime.now(UTC) - timedelta(days=1),
        "author_id": "42",
        "author_handle": "sanne",
        "author_followers": 120,
        "likes": 1,
        "brand": "Velora",
    }
    fields.update(overrides)
    return Mention.model_validate(fields)


class ListCollector:
    """A collector that yields the items it was given: the pipeline's simplest source."""

    def __init__(self, items: list[Any], name: str = "list") -> None:
        self.items, self.name = items, name

    def collect(self, cursors: Any) -> Iterator[Any]:
        yield from self.items


MODEL_CACHE = Path(os.environ.get("UMOT_CACHE_DIR", "~/.cache/umot")).expanduser()


@pytest.fixture(scope="session")
def model_cache() -> Path:
    """Where the converted bundled encoder lives; built once, reused by every run."""
    from nlp.convert import ensure_converted

    ensure_converted(MODEL_CACHE)
    return MODEL_CACHE


@pytest.fixture(scope="session")
def classifier(model_cache):
    """The real default classifier (bundled encoder, adapter and heads), loaded once."""
    from nlp.classifier import Classifier, HeadsScorer
    from umot.config import Config

    heads = HeadsScorer.load(None, cache_dir=model_cache, device="cpu")
    return Classifier({"sentiment": heads, "stage": heads}, Config().journey.stages)
