"""The X collector against a local fake of API v2 recent search."""

from __future__ import annotations

import time

import pytest

from collectors.http import RetryPolicy
from storage import get_cursor, queries
from tests.fakes.server import FakeServer, Response
from tests.fakes.x_api import TOKEN, FakeX
from umot.brands import BrandMatcher
from umot.config import Config, XSource
from umot.pipeline import run_collector
from umot.sources import SourceUnavailable, build_collector

ENV = {"UMOT_X_BEARER_TOKEN": TOKEN}


@pytest.fixture
def fake_x():
    fake = FakeX()
    with FakeServer(fake.handle) as server:
        fake.server = server
        yield fake


def collect(db, fake, *, waits=None, environ=ENV, **settings):
    config = Config()
    source = XSource(enabled=True, base_url=fake.server.url, **settings)
    policy = RetryPolicy(sleep=(waits if waits is not None else []).append)
    collector = build_collector("x", source, config=config, db=db, environ=environ, policy=policy)
    return run_collector(db, collector, matcher=BrandMatcher(config.brands))


def mark_as_umot_post(db, key):
    """A stored post that drew replies and is classified advocacy: its thread is followed."""
    db.execute("UPDATE mentions SET replies = 1 WHERE id = ?", [key])
    db["classifications"].insert(
        {
            "mention_id": key,
            "model_id": "m",
            "stage": "advocacy",
            "sentiment": "positive",
            "classified_at": "2026-01-01T00:00:00Z",
        }
    )


def stored(db):
    rows = db.query(
        "SELECT m.*, a.handle AS author_handle, a.followers AS author_followers "
        "FROM mentions m LEFT JOIN authors a ON a.id = m.author_id"
    )
    return {row["native_id"]: row for row in rows}


def test_pages_are_followed_and_everything_is_stored_once(db, fake_x):
    author = fake_x.user("7", "sanne", followers=15_000)
    ids = [fake_x.tweet(f"Velora rit nummer {i}", author, 300 - i) for i in range(150)]
    fake_x.tweet("Iets heel anders", author, 5)

    report = collect(db, fake_x)

    assert report.error is None
    assert (report.inserted, report.rejected) == (150, 0)
    assert set(stored(db)) == set(ids)
    pages = [r for r in fake_x.server.requests if "Velora" in r.query["query"]]
    assert [page.query.get("next_token") for page in pages] == [None, "100"]
    assert "public_metrics" in pages[0].query["user.fields"]
    row = stored(db)[ids[0]]
    assert (row["brand"], row["author_followers"], row["author_handle"]) == (
        "Velora",
        15_000,
        "sanne",
    )
    assert row["url"] == f"https://x.com/sanne/status/{ids[0]}"


def test_second_run_asks_since_the_newest_and_stores_only_new_posts(db, fake_x):
    author = fake_x.user("7", "sanne")
    first = [fake_x.tweet(f"#velora dag {i}", author, 100 - i) for i in range(12)]
    assert collect(db, fake_x).inserted == 12
    assert get_cursor(db, "x", "(Velora OR #velora)") == max(first, key=int)

    later = [fake_x.tweet(f"Velora later {i}", author, 10 - i) for i in range(3)]
    report = collect(db, fake_x)

    assert (report.inserted, report.updated) == (3, 0)
    last = [r for r in fake_x.server.requests if "Velora" in r.query["query"]][-1]
    assert last.query["since_id"] == max(first, key=int)
    assert db["mentions"].count == 15
    assert set(later) <= set(stored(db))


def test_rate_limit_is_waited_out_until_the_reset(db, fake_x):
    fake_x.tweet("Velora top", fake_x.user("1", "a"), 5)
    reset = int(time.time()) + 42
    fake_x.server.fail_next(
        "/2/tweets/search/recent",
        Response(
            429,
            {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
            {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
        ),
    )
    waits: list[float] = []

    report = collect(db, fake_x, waits=waits)

    assert report.error is None and report.inserted == 1
    assert len(waits) == 1 and 38 <= waits[0] <= 43


def test_server_errors_are_retried_with_growing_backoff(db, fake_x):
    fake_x.tweet("Velora top", fake_x.user("1", "a"), 5)
    fake_x.server.fail_next(
        "/2/tweets/search/recent", Response(503, {"title": "Service Unavailable"}), times=2
    )
    waits: list[float] = []

    report = collect(db, fake_x, waits=waits)

    assert report.error is None and report.inserted == 1
    assert waits == [2.0, 4.0]


def test_a_query_that_keeps_failing_is_reported_and_the_other_brands_still_collect(db, fake_x):
    author = fake_x.user("1", "a")
    fake_x.tweet("Velora top", author, 5)
    fake_x.tweet("Polderstroom duur", author, 4)
    fake_x.server.fail_next("/2/tweets/search/recent", Response(502, {}), times=5)

    report = collect(db, fake_x)

    assert "1 X searches failed" in report.error and "gave up after 5 tries" in report.error
    assert {row["brand"] for row in stored(db).values()} == {"Polderstroom"}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            403,
            {
                "title": "Client Forbidden",
                "reason": "client-not-enrolled",
                "type": "https://api.twitter.com/2/problems/client-forbidden",
            },
            "paid access tier",
        ),
        (
            429,
            {
                "title": "UsageCapExceeded",
                "detail": "Usage cap exceeded: Monthly product cap",
                "period": "Monthly",
                "scope": "Product",
                "product_name": "standard-basic",
                "type": "https://api.twitter.com/2/problems/usage-capped",
            },
            "monthly usage cap",
        ),
    ],
)
def test_paid_tier_refusals_stop_the_source_with_one_clear_line(db, fake_x, status, body, expected):
    fake_x.tweet("Velora top", fake_x.user("1", "a"), 5)
    fake_x.server.fail_next("/2/tweets/search/recent", Response(status, body))
    waits: list[float] = []

    report = collect(db, fake_x, waits=waits)

    assert expected in report.error and waits == []
    assert len(fake_x.server.requests) == 1  # no pointless retries of the other brands


def test_a_wrong_token_names_the_variable_and_never_shows_the_token(db, fake_x):
    report = collect(db, fake_x, environ={"UMOT_X_BEARER_TOKEN": "s3cret-wrong-token"})

    assert "UMOT_X_BEARER_TOKEN" in report.error and "401" in report.error
    assert "s3cret" not in report.error
    assert "s3cret" not in str(list(db.query("SELECT * FROM runs")))


def test_a_missing_token_is_one_line_naming_the_variable(db, fake_x):
    with pytest.raises(SourceUnavailable, match="set UMOT_X_BEARER_TOKEN to an X API bearer token"):
        collect(db, fake_x, environ={})


def test_malformed_posts_are_rejected_with_reasons_and_the_rest_kept(db, fake_x):
    author = fake_x.user("1", "a")
    good = fake_x.tweet("Velora prima", author, 5)
    fake_x.broken += [
        {"id": "991", "author_id": "1", "created_at": "2026-01-01T00:00:00.000Z"},
        {"id": "992", "text": "Velora", "created_at": "not a time"},
        "a string where a tweet should be",
    ]

    report = collect(db, fake_x)

    assert report.inserted == 1 and good in stored(db)
    reasons = sorted(row["reason"] for row in db.query("SELECT reason FROM rejects"))
    assert len(reasons) == 3
    assert any("missing field 'text'" in r for r in reasons)
    assert any(r.startswith("created_at:") for r in reasons)


def test_replies_quotes_and_retweets_link_up_into_one_thread(db, fake_x):
    anna, bob, cas = (
        fake_x.user("1", "anna", 9000),
        fake_x.user("2", "bob"),
        fake_x.user("3", "cas"),
    )
    root = fake_x.tweet("Mijn Velora fiets is na 2 weken kapot. Nooit meer.", anna, 120)
    reply = fake_x.tweet("@anna Velora? Ik twijfelde juist", bob, 100, replied_to=root)
    quote = fake_x.tweet("Dit over Velora...", cas, 90, quoted=root)
    repost = fake_x.tweet(
        "RT @anna: Mijn Velora fiets is na 2 weken kapot.", cas, 80, retweeted=root
    )

    collect(db, fake_x)

    rows = stored(db)
    assert rows[reply]["parent_id"] == f"x:{root}"
    assert rows[quote]["quoted_id"] == f"x:{root}"
    assert rows[repost]["reposted_id"] == f"x:{root}"
    assert rows[reply]["conversation_id"] == f"x:{root}"
    downstream = {row["native_id"] for row in queries.downstream_of(db, f"x:{root}")}
    assert {reply, quote, repost} <= downstream


def test_conversations_of_umot_posts_are_fetched_so_silent_replies_are_stored(db, fake_x):
    anna, bob = fake_x.user("1", "anna"), fake_x.user("2", "bob")
    root = fake_x.tweet("Velora heeft mijn klacht super opgelost, aanrader!", anna, 200)
    collect(db, fake_x)
    # The reply never names the brand, so only the conversation search can find it.
    silent = fake_x.tweet("@anna welk model heb je? ik zoek er een", bob, 100, replied_to=root)
    mark_as_umot_post(db, f"x:{root}")

    report = collect(db, fake_x)

    assert report.error is None
    assert any(r.query["query"] == f"conversation_id:{root}" for r in fake_x.server.requests)
    row = stored(db)[silent]
    assert (row["parent_id"], row["brand"]) == (f"x:{root}", "Velora")
    assert get_cursor(db, "x", f"conversation_id:{root}") == silent


def test_a_followed_reply_that_another_reply_answers_keeps_its_conversation_query(db, fake_x):
    """Within a followed conversation, a reply is both a hit and the post the next reply
    answers: its referenced copy must not take its brand and query away."""
    anna, bob, cas = fake_x.user("1", "anna"), fake_x.user("2", "bob"), fake_x.user("3", "cas")
    root = fake_x.tweet("Velora heeft mijn klacht super opgelost, aanrader!", anna, 200)
    collect(db, fake_x)
    first = fake_x.tweet("@anna welk model heb je? ik zoek er een", bob, 100, replied_to=root)
    second = fake_x.tweet("@bob de Tour 5, zelfde als ik", cas, 90, replied_to=first)
    mark_as_umot_post(db, f"x:{root}")

    collect(db, fake_x)

    rows = stored(db)
    for reply in (first, second):
        assert (rows[reply]["brand"], rows[reply]["query"]) == (
            "Velora",
            f"conversation_id:{root}",
        )
    assert rows[second]["parent_id"] == f"x:{first}"


def test_a_cursor_older_than_the_search_window_starts_over_instead_of_failing(db, fake_x):
    from datetime import UTC, datetime, timedelta

    from storage import set_cursor
    from tests.fakes.x_api import snowflake

    fake_x.tweet("Velora vandaag", fake_x.user("1", "a"), 5)
    stale = snowflake(datetime.now(UTC) - timedelta(days=9))
    set_cursor(db, "x", "(Velora OR #velora)", stale)

    report = collect(db, fake_x)

    assert report.error is None and report.inserted == 1
    velora = [r for r in fake_x.server.requests if "Velora" in r.query["query"]]
    assert [r.query.get("since_id") for r in velora] == [stale, None]


def test_an_unreachable_host_ends_the_source_after_one_query_not_after_every_query(db):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = XSource(enabled=True, base_url=f"http://127.0.0.1:{port}")
    waits: list[float] = []
    collector = build_collector(
        "x", source, config=Config(), db=db, environ=ENV, policy=RetryPolicy(sleep=waits.append)
    )

    report = run_collector(db, collector, matcher=BrandMatcher(Config().brands))

    assert waits == [2.0, 4.0, 8.0, 16.0]  # one query's retries, then the source stops
    assert "gave up after 5 tries (ConnectionError)" in report.error


def test_the_daily_read_budget_stops_x_cleanly_and_counts_the_month(db, fake_x):
    from collectors.x import Reads

    author = fake_x.user("7", "sanne")
    for i in range(150):
        fake_x.tweet(f"Velora rit {i}", author, 300 - i)

    report = collect(db, fake_x, max_posts_per_day=120)

    day = time.strftime("%Y-%m-%d", time.gmtime())
    assert report.error is None  # stopping on budget is not a failure
    assert report.note == (
        f"X budget for {day} spent (120 of 120 posts read, max_posts_per_day); "
        "resuming tomorrow (UTC)"
    )
    assert report.inserted == 120  # a first page of 100, then only the 20 left
    pages = [r for r in fake_x.server.requests if "Velora" in r.query["query"]]
    assert [p.query["max_results"] for p in pages] == ["100", "20"]
    reads = Reads.load(lambda query: get_cursor(db, "x", query))
    assert (reads.today, reads.this_month) == (120, 120)

    asked = len(fake_x.server.requests)
    again = collect(db, fake_x, max_posts_per_day=120)
    assert again.note.startswith("X budget for") and len(fake_x.server.requests) == asked
