from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
import sqlite_utils
from conftest import make_mention

from storage import (
    SCHEMA_VERSION,
    Rejected,
    SchemaError,
    StorageError,
    migrate,
    open_database,
    queries,
    schema_version,
    store_rejects,
    upsert_mentions,
)
from storage.schema import MIGRATIONS


def test_new_database_is_wal_with_foreign_keys_and_current_schema(db):
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert schema_version(db) == SCHEMA_VERSION
    assert {
        "mentions",
        "authors",
        "classifications",
        "cursors",
        "alerts",
        "runs",
        "rejects",
        "mentions_fts",
    } <= set(db.table_names())


def test_same_mention_twice_is_stored_once_and_counts_refresh(db):
    first = make_mention(native_id="777", likes=3, replies=None)
    assert upsert_mentions(db, [first], source="t").inserted == 1
    again = first.model_copy(update={"likes": 10, "replies": 4, "text": "edited text"})
    result = upsert_mentions(db, [again], source="t")
    assert (result.inserted, result.updated) == (0, 1)
    rows = list(db.query("SELECT text, likes, replies FROM mentions"))
    assert rows == [{"text": first.text, "likes": 10, "replies": 4}]


def test_refresh_never_blanks_known_fields(db):
    first = make_mention(native_id="5", likes=8, lang="nl", url="https://x.com/a/status/5")
    upsert_mentions(db, [first], source="t")
    upsert_mentions(
        db, [first.model_copy(update={"likes": None, "lang": None, "url": None})], source="t"
    )
    row = db.execute("SELECT likes, lang, url FROM mentions").fetchone()
    assert row == (8, "nl", "https://x.com/a/status/5")


def test_duplicates_inside_one_batch_keep_the_last_counts(db):
    mention = make_mention(native_id="9", likes=1)
    result = upsert_mentions(db, [mention, mention.model_copy(update={"likes": 5})], source="t")
    assert result.inserted == 1
    assert db.execute("SELECT likes FROM mentions").fetchone()[0] == 5


def test_same_native_id_on_two_platforms_are_two_mentions(db):
    upsert_mentions(
        db,
        [
            make_mention(platform="x", native_id="1"),
            make_mention(platform="mastodon", native_id="1"),
        ],
        source="t",
    )
    assert db.execute("SELECT count(*) FROM mentions").fetchone()[0] == 2


def test_authors_are_upserted_with_latest_followers(db):
    upsert_mentions(db, [make_mention(author_followers=10)], source="t")
    upsert_mentions(db, [make_mention(author_followers=99)], source="t")
    assert list(db.query("SELECT id, followers FROM authors")) == [{"id": "x:42", "followers": 99}]


def test_full_text_search_follows_inserts_and_ignores_count_updates(db):
    mention = make_mention(text="De bezorging van Smaakdoos was vreselijk laat")
    upsert_mentions(db, [mention], source="t")
    assert [r["id"] for r in queries.search_mentions(db, "bezorging")] == [mention.key]
    upsert_mentions(db, [mention.model_copy(update={"likes": 50})], source="t")
    assert len(queries.search_mentions(db, "bezorging")) == 1
    assert queries.search_mentions(db, 'bezorging" OR "x') == []  # user input is not syntax


def test_rejects_keep_reason_and_record(db):
    store_rejects(
        db,
        [
            Rejected("text: is empty", {"id": 1, "text": ""}),
            Rejected("line 3: not valid UTF-8", b"\xff\xfe"),
        ],
        source="imp",
    )
    rows = list(db.query("SELECT reason, record FROM rejects ORDER BY id"))
    assert rows[0]["reason"] == "text: is empty"
    assert json.loads(rows[0]["record"]) == {"id": 1, "text": ""}
    assert rows[1]["record"] == "\\xff\\xfe"


def test_failed_batch_leaves_nothing_half_written(db, monkeypatch):
    good = make_mention(native_id="1")
    import storage.writes as writes

    def explode(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    original = writes._mention_row
    monkeypatch.setattr(
        writes,
        "_mention_row",
        lambda m, s, n: explode() if m.native_id == "2" else original(m, s, n),
    )
    with pytest.raises(sqlite3.OperationalError):
        upsert_mentions(db, [good, make_mention(native_id="2")], source="t")
    assert db.execute("SELECT count(*) FROM mentions").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM authors").fetchone()[0] == 0


# -- migrations -----------------------------------------------------------------------------


def test_opening_twice_runs_no_migration(tmp_path):
    path = tmp_path / "m.db"
    open_database(path).close()
    db = sqlite_utils.Database(sqlite3.connect(path))
    assert migrate(db) == 0


def _v1_row(db, native_id, text):
    db.execute(
        "INSERT INTO mentions (id, platform, native_id, source, text, created_at, collected_at, "
        "updated_at) VALUES (?, 'x', ?, 't', ?, '2026-01-01T00:00:00Z', "
        "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        [f"x:{native_id}", native_id, text],
    )


def test_old_database_is_migrated_forward_keeping_data(tmp_path):
    db = sqlite_utils.Database(sqlite3.connect(tmp_path / "old.db"))
    migrate(db, MIGRATIONS[:1])
    _v1_row(db, "1", "oude Velora klacht")

    def add_column(database):
        database.execute("ALTER TABLE mentions ADD COLUMN sarcasm REAL")

    assert migrate(db, [*MIGRATIONS[:1], add_column]) == 1
    assert schema_version(db) == 2
    assert "sarcasm" in db["mentions"].columns_dict
    assert db.execute("SELECT count(*) FROM mentions").fetchone()[0] == 1


def test_every_migration_keeps_rows_and_their_full_text_index(tmp_path):
    db = sqlite_utils.Database(sqlite3.connect(tmp_path / "v1.db"))
    migrate(db, MIGRATIONS[:1])
    _v1_row(db, "1", "oude Velora klacht")  # indexed by version 1's trigger

    migrate(db)
    upsert_mentions(db, [make_mention(native_id="2", text="nieuwe Velora klacht")], source="t")

    assert schema_version(db) == SCHEMA_VERSION
    assert {r["native_id"] for r in queries.search_mentions(db, "klacht")} == {"1", "2"}
    assert db.execute("INSERT INTO mentions_fts(mentions_fts) VALUES ('integrity-check')")


def test_failing_migration_rolls_back_completely(tmp_path):
    db = sqlite_utils.Database(sqlite3.connect(tmp_path / "f.db"))
    migrate(db, MIGRATIONS[:1])

    def broken(database):
        database.execute("CREATE TABLE half_done (x)")
        database.execute("THIS IS NOT SQL")

    with pytest.raises(sqlite3.OperationalError):
        migrate(db, [*MIGRATIONS[:1], broken])
    assert schema_version(db) == 1
    assert "half_done" not in db.table_names()


def test_database_from_a_newer_umot_is_refused(tmp_path):
    path = tmp_path / "new.db"
    open_database(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StorageError, match="upgrade umot"):
        open_database(path)
    db = sqlite_utils.Database(sqlite3.connect(path))
    with pytest.raises(SchemaError):
        migrate(db)


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database" * 100)
    with pytest.raises(StorageError, match="cannot use database"):
        open_database(path)
    assert path.read_text().startswith("these are my notes")


def test_missing_database_without_create_says_how_to_make_it(tmp_path):
    with pytest.raises(StorageError, match="umot init"):
        open_database(tmp_path / "absent.db", create=False)


# -- queries --------------------------------------------------------------------------------


def test_unclassified_mentions_excludes_what_the_model_already_did(db):
    mentions = [make_mention(native_id=str(i)) for i in range(5)]
    upsert_mentions(db, mentions, source="t")
    with db.atomic():
        db.execute(
            "INSERT INTO classifications (mention_id, model_id, classified_at) "
            "VALUES (?, 'm1', '2026-11-01T00:00:00Z')",
            [mentions[1].key],
        )
    todo_m1 = [
        row["id"]
        for batch in queries.unclassified_mentions(db, "m1", batch_size=2)
        for row in batch
    ]
    assert todo_m1 == [m.key for i, m in enumerate(mentions) if i != 1]
    assert queries.count_unclassified(db, "m2") == 5


def test_mentions_between_filters_time_and_brand(db):
    start = datetime(2026, 11, 2, tzinfo=UTC)
    upsert_mentions(
        db,
        [
            make_mention(native_id="a", created_at=start - timedelta(seconds=1)),
            make_mention(native_id="b", created_at=start),
            make_mention(native_id="c", created_at=start + timedelta(days=1), brand="Other"),
            make_mention(native_id="d", created_at=start + timedelta(days=7)),
        ],
        source="t",
    )
    window = queries.mentions_between(db, start, start + timedelta(days=7))
    assert [row["native_id"] for row in window] == ["b", "c"]
    only_velora = queries.mentions_between(db, start, start + timedelta(days=7), brand="Velora")
    assert [row["native_id"] for row in only_velora] == ["b"]


def _thread(db):
    """root <- r1 <- r2 (nested reply), root <- q (quote), root <- rt (repost),
    plus an orphan reply in the same conversation whose parent was never collected."""
    t = datetime(2026, 11, 1, 12, tzinfo=UTC)
    posts = [
        make_mention(native_id="root", created_at=t, conversation_id="root"),
        make_mention(
            native_id="r1",
            parent_id="root",
            conversation_id="root",
            created_at=t + timedelta(minutes=5),
        ),
        make_mention(
            native_id="r2",
            parent_id="r1",
            conversation_id="root",
            created_at=t + timedelta(minutes=9),
        ),
        make_mention(
            native_id="q",
            quoted_id="root",
            conversation_id="q",
            created_at=t + timedelta(minutes=7),
        ),
        make_mention(native_id="rt", reposted_id="root", created_at=t + timedelta(minutes=8)),
        make_mention(
            native_id="orphan",
            parent_id="missing",
            conversation_id="root",
            created_at=t + timedelta(minutes=30),
        ),
        make_mention(native_id="unrelated", created_at=t + timedelta(minutes=1)),
    ]
    upsert_mentions(db, posts, source="t")


def test_downstream_of_follows_replies_quotes_reposts_and_conversation(db):
    _thread(db)
    down = {row["native_id"]: row["depth"] for row in queries.downstream_of(db, "x:root")}
    assert down == {"r1": 1, "q": 1, "rt": 1, "r2": 2, "orphan": None}
    assert [row["native_id"] for row in queries.downstream_of(db, "x:r1")] == ["r2"]


def test_thread_of_any_member_gives_the_whole_thread(db):
    _thread(db)
    for member in ("x:root", "x:r2", "x:q"):
        ids = [row["native_id"] for row in queries.thread_of(db, member)]
        assert ids[0] == "root"
        assert set(ids) == {"root", "r1", "r2", "q", "rt", "orphan"}
    assert queries.thread_of(db, "x:nope") == []
