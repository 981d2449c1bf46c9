"""Property-based: whatever arrives, it ends as a stored mention or a reject with a reason,
never as a crash and never at the cost of the rest of the batch."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.base import safe_record
from collectors.files import FileCollector
from collectors.mastodon import status_record
from collectors.rss import entry_record
from collectors.x import tweet_record
from storage import Mention, Rejected, open_database
from umot.brands import BrandMatcher
from umot.config import Config

# A 200 kB example text makes hypothesis warn about the size of its repr; that is the point.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
MATCHER = BrandMatcher(Config().brands)
FIELDS = [
    "id",
    "platform",
    "text",
    "created_at",
    "author_id",
    "author_handle",
    "author_followers",
    "url",
    "lang",
    "parent_id",
    "likes",
    "score",
    "brand",
    "raw",
    "extra_column",
]
WEIRD_TEXT = st.one_of(
    st.text(max_size=50),
    st.just(""),
    st.just("\x00\x01\x1b[31m control \x7f"),
    st.just("Velora " + "é" * 200_000),
    st.just("<script>alert(1)</script> Velora"),
    st.just("\ud800 lone surrogate"),
)
TIMES = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    st.just("2999-01-01T00:00:00Z"),
    st.just("1970-01-01T00:00:00Z"),
    st.just("yesterday"),
    st.integers(),
)
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    WEIRD_TEXT,
    TIMES,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
RECORDS = st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=len(FIELDS))
GOOD = st.fixed_dictionaries(
    {
        "id": st.integers(1, 50).map(str),  # few ids: duplicates with different content
        "text": WEIRD_TEXT,
        "created_at": TIMES,
    }
)
LINES = st.lists(
    st.one_of(
        RECORDS.map(lambda r: json.dumps(r, default=str).encode("utf-8", "surrogatepass")),
        GOOD.map(lambda r: json.dumps(r).encode()),
        st.binary(max_size=40),
        st.just(b"\xff\xfe not utf-8 \xc3\x28"),
        st.just(b"[1, 2, 3]"),
        st.just(b'{"id": "1", "text": '),
    ),
    max_size=25,
)
SLOW = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SLOW
@given(lines=LINES)
def test_jsonl_import_accounts_for_every_line(tmp_path_factory, lines):
    from umot.pipeline import run_collector

    folder = tmp_path_factory.mktemp("jsonl")
    path = folder / "in.jsonl"
    path.write_bytes(b"\n".join(line.replace(b"\n", b" ").replace(b"\r", b" ") for line in lines))
    db = open_database(folder / "t.db")

    report = run_collector(db, FileCollector(path), matcher=MATCHER)

    assert report.error is None
    assert report.fetched == report.inserted + report.updated + report.rejected
    assert db["mentions"].count == report.inserted
    assert db["rejects"].count == report.rejected
    assert all(row["reason"] for row in db.query("SELECT reason FROM rejects"))
    db.close()


@SLOW
@given(
    rows=st.lists(
        st.lists(st.one_of(WEIRD_TEXT, TIMES.map(str)), min_size=1, max_size=5), max_size=15
    )
)
def test_csv_import_accounts_for_every_row(tmp_path_factory, rows):
    import csv
    import io

    from umot.pipeline import run_collector

    folder = tmp_path_factory.mktemp("csv")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "text", "created_at"])
    for row in rows:
        writer.writerow(row)
    (folder / "in.csv").write_bytes(out.getvalue().encode("utf-8", "surrogatepass"))
    db = open_database(folder / "t.db")

    report = run_collector(db, FileCollector(folder / "in.csv"), matcher=MATCHER)

    assert report.error is None
    assert report.fetched == report.inserted + report.updated + report.rejected
    db.close()


PAYLOADS = st.recursive(
    st.dictionaries(
        st.sampled_from(
            [
                "id",
                "text",
                "created_at",
                "author_id",
                "content",
                "account",
                "public_metrics",
                "referenced_tweets",
                "reblog",
                "quote",
                "in_reply_to_id",
                "lang",
                "language",
                "url",
                "title",
                "summary",
                "link",
                "published_parsed",
            ]
        ),
        VALUES,
        max_size=10,
    ),
    lambda children: st.dictionaries(
        st.sampled_from(["account", "reblog", "quote", "public_metrics", "note_tweet"]),
        children,
        max_size=3,
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(payload=st.one_of(PAYLOADS, VALUES))
def test_platform_parsers_never_raise(payload):
    items = [
        safe_record("x", tweet_record, payload, {}, "Velora", "q"),
        safe_record("mastodon", status_record, payload, "host", None, "#velora"),
        safe_record("rss", entry_record, payload, {}, "https://feed", None),
    ]
    assert all(isinstance(item, Mention | Rejected) for item in items)
    assert all(item.reason for item in items if isinstance(item, Rejected))


def test_duplicates_with_different_content_keep_the_first_text_and_refresh_counts(db):
    from tests.conftest import ListCollector, make_mention
    from umot.pipeline import run_collector

    first = make_mention(native_id="7", text="eerste versie", likes=1)
    run_collector(db, ListCollector([first]), matcher=MATCHER)
    later = make_mention(
        native_id="7",
        text="bewerkte versie",
        likes=9,
        created_at=datetime.now(UTC) - timedelta(hours=1),
    )
    run_collector(db, ListCollector([later, later]), matcher=MATCHER)

    row = db.execute("SELECT text, likes FROM mentions").fetchall()
    assert row == [("eerste versie", 9)]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=st.lists(WEIRD_TEXT, min_size=1, max_size=4))
def test_the_classifier_takes_any_text(classifier, texts):
    predictions = classifier.classify(texts, [None] * len(texts))
    assert len(predictions) == len(texts)
    assert all(p.sentiment in ("negative", "neutral", "positive") for p in predictions)
