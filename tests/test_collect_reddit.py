"""The Reddit collector (praw, read-only) against a local fake of Reddit's OAuth API."""

from __future__ import annotations

import pytest

from collectors.http import RetryPolicy
from storage import get_cursor, queries
from tests.fakes.reddit_api import CLIENT_ID, CLIENT_SECRET, FakeReddit
from tests.fakes.server import FakeServer, Response
from umot.brands import BrandMatcher
from umot.config import Config, RedditSource
from umot.pipeline import run_collector
from umot.sources import SourceUnavailable, build_collector

ENV = {"UMOT_REDDIT_CLIENT_ID": CLIENT_ID, "UMOT_REDDIT_CLIENT_SECRET": CLIENT_SECRET}


@pytest.fixture
def fake_reddit():
    fake = FakeReddit()
    with FakeServer(fake.handle) as server:
        fake.server = server
        yield fake


def collect(db, fake, *, waits=None, environ=ENV, **settings):
    config = Config()
    source = RedditSource(
        enabled=True, reddit_url=fake.server.url, oauth_url=fake.server.url, **settings
    )
    policy = RetryPolicy(sleep=(waits if waits is not None else []).append)
    collector = build_collector(
        "reddit", source, config=config, db=db, environ=environ, policy=policy
    )
    return run_collector(db, collector, matcher=BrandMatcher(config.brands))


def stored(db):
    return {row["native_id"]: row for row in db.query("SELECT * FROM mentions")}


def test_submissions_and_their_comment_forest_are_stored_with_parent_links(db, fake_reddit):
    post = fake_reddit.post("Ervaring met Velora?", "anna", 120, body="Mijn fiets is stuk.")
    first = fake_reddit.comment("Bij mij ook, nooit meer", "bob", 100, parent=post)
    nested = fake_reddit.comment("Welk model had je? Ik twijfel nog", "cas", 90, parent=first)
    deleted = fake_reddit.comment("[deleted]", None, 80, parent=post)

    report = collect(db, fake_reddit)

    assert report.error is None, report.error
    rows = stored(db)
    assert set(rows) == {post, first, nested, deleted}
    assert rows[post]["text"] == "Ervaring met Velora?\n\nMijn fiets is stuk."
    assert rows[first]["parent_id"] == f"reddit:{post}"
    assert rows[nested]["parent_id"] == f"reddit:{first}"
    assert rows[nested]["conversation_id"] == f"reddit:{post}"
    assert rows[nested]["brand"] == "Velora"  # inherited from the thread it sits in
    assert (rows[deleted]["author_id"], rows[deleted]["deleted"]) == (None, 1)
    # The deleted comment is kept as a thread link, but is not a mention downstream.
    assert {r["native_id"] for r in queries.downstream_of(db, f"reddit:{post}")} == {
        first,
        nested,
    }
    whole_tree = queries.downstream_of(db, f"reddit:{post}", include_deleted=True)
    assert {r["native_id"] for r in whole_tree} == {first, nested, deleted}


def test_search_listing_pages_are_followed(db, fake_reddit):
    posts = [fake_reddit.post(f"Polderstroom vraag {i}", "p", 200 - i) for i in range(130)]

    report = collect(db, fake_reddit, limit_per_query=250, thread_days=0)

    assert report.inserted == 130 and set(stored(db)) == set(posts)
    pages = fake_reddit.server.requests_to("/r/all/search")
    pages = [page for page in pages if "Polderstroom" in page.query["q"]]
    assert [page.query.get("after") for page in pages] == [None, posts[30]]  # newest first
    token = fake_reddit.server.requests_to("/api/v1/access_token")
    assert len(token) == 1  # one app-only token for the whole run


def test_second_run_stores_only_what_is_new(db, fake_reddit):
    old = fake_reddit.post("Smaakdoos pakket 1", "a", 3000)
    assert collect(db, fake_reddit, thread_days=0).inserted == 1
    cursor = float(get_cursor(db, "reddit", "Smaakdoos OR #smaakdoos"))
    assert cursor == fake_reddit.posts[old.removeprefix("t3_")]["created_utc"]

    new = fake_reddit.post("Smaakdoos pakket 2", "b", 5)
    report = collect(db, fake_reddit, thread_days=0)

    assert (report.inserted, report.updated) == (1, 0)
    assert set(stored(db)) == {old, new}


def test_new_comments_in_a_followed_thread_arrive_on_the_next_run(db, fake_reddit):
    post = fake_reddit.post("Velora review", "anna", 60)
    fake_reddit.comment("eens", "bob", 50, parent=post)
    collect(db, fake_reddit)
    late = fake_reddit.comment("ik bestel er morgen een", "dirk", 1, parent=post)

    report = collect(db, fake_reddit)

    assert report.inserted == 1 and late in stored(db)
    assert db["mentions"].count == 3


def test_named_subreddits_are_scanned_for_comments_that_name_a_brand(db, fake_reddit):
    other = fake_reddit.post("Welke energieleverancier?", "q", 100, sub="thenetherlands")
    hit = fake_reddit.comment("Polderstroom is prima", "r", 90, parent=other)
    fake_reddit.comment("Geen idee", "s", 80, parent=other)

    report = collect(db, fake_reddit, subreddits=["thenetherlands"])

    assert report.error is None, report.error
    assert set(stored(db)) == {hit}
    assert stored(db)[hit]["brand"] == "Polderstroom"


def test_server_errors_are_retried_and_429_is_waited_out(db, fake_reddit):
    post = fake_reddit.post("Velora", "anna", 60)
    fake_reddit.server.fail_next("/r/all/search", Response(503, {"message": "busy"}))
    fake_reddit.server.fail_next(
        "/r/all/search", Response(429, {"message": "Too Many Requests"}, {"retry-after": "7"})
    )
    waits: list[float] = []

    report = collect(db, fake_reddit, waits=waits, thread_days=0)

    assert report.error is None, report.error
    assert post in stored(db)
    assert 7.0 in waits  # the 429's Retry-After; prawcore itself slept before retrying the 503


def test_refused_credentials_name_both_variables_and_never_the_secret(db, fake_reddit):
    env = {"UMOT_REDDIT_CLIENT_ID": CLIENT_ID, "UMOT_REDDIT_CLIENT_SECRET": "wrong-s3cret"}

    report = collect(db, fake_reddit, environ=env)

    assert "UMOT_REDDIT_CLIENT_ID" in report.error and "UMOT_REDDIT_CLIENT_SECRET" in report.error
    assert "s3cret" not in report.error


def test_missing_credentials_are_one_line(db, fake_reddit):
    with pytest.raises(SourceUnavailable, match="set UMOT_REDDIT_CLIENT_ID"):
        collect(db, fake_reddit, environ={})


def test_search_window_reaches_back_to_the_cursor():
    from collectors.reddit import time_filter

    now = 1_800_000_000.0
    day = 86_400
    assert time_filter(0, now) == "week"
    assert time_filter(now - 3600, now) == "day"
    assert time_filter(now - 3 * day, now) == "week"
    assert time_filter(now - 20 * day, now) == "month"
    assert time_filter(now - 200 * day, now) == "year"
    assert time_filter(now - 800 * day, now) == "all"


def test_an_exhausted_rate_limit_budget_delays_the_next_request(db, fake_reddit):
    post = fake_reddit.post("Velora", "anna", 60)
    fake_reddit.comment("ja", "bob", 50, parent=post)
    fake_reddit.rate_headers = {
        "x-ratelimit-remaining": "0",
        "x-ratelimit-used": "100",
        "x-ratelimit-reset": "1",
    }

    collect(db, fake_reddit, thread_days=3)

    search = fake_reddit.server.requests_to("/r/all/search")[0]
    thread = fake_reddit.server.requests_to("/comments/")[0]
    assert thread.received - search.received >= 0.9  # praw waited for the reset


def test_malformed_things_become_rejects_and_the_thread_is_kept(db, fake_reddit):
    post = fake_reddit.post("Velora draad", "anna", 60)
    good = fake_reddit.comment("prima", "bob", 50, parent=post)
    bad = fake_reddit.comment("kapot", "cas", 40, parent=post)
    del fake_reddit.comments[bad.removeprefix("t1_")]["created_utc"]

    report = collect(db, fake_reddit)

    assert report.error is None, report.error
    assert {post, good} <= set(stored(db)) and bad not in stored(db)
    reason, native = db.execute("SELECT reason, native_id FROM rejects").fetchone()
    assert "created_utc" in reason and native == bad


def test_a_followed_thread_that_was_removed_is_skipped(db, fake_reddit):
    post = fake_reddit.post("Velora aanrader", "anna", 60)
    fake_reddit.comment("welke?", "bob", 50, parent=post)
    collect(db, fake_reddit)
    db["classifications"].insert(
        {
            "mention_id": f"reddit:{post}",
            "model_id": "m",
            "stage": "advocacy",
            "classified_at": "2026-01-01T00:00:00Z",
        }
    )
    del fake_reddit.posts[post.removeprefix("t3_")]  # removed by the moderators

    report = collect(db, fake_reddit)

    assert report.error is None, report.error
    assert fake_reddit.server.requests_to(f"/comments/{post.removeprefix('t3_')}")
