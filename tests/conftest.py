from __future__ import annotations

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
