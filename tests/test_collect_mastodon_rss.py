"""The Mastodon and RSS collectors against local fake servers."""

from __future__ import annotations

import pytest

from collectors.http import RetryPolicy, html_to_text, wait_from_headers
from storage import queries
from tests.fakes.feeds import FakeFeeds
from tests.fakes.mastodon_api import TOKEN, FakeMastodon
from tests.fakes.server import FakeServer, Response
from umot.brands import BrandMatcher
from umot.config import Config, FeedConfig, MastodonSource, RssSource
from umot.pipeline import run_collector
from umot.sources import build_collector


@pytest.fixture
def fake_mastodon():
    fake = FakeMastodon()
    with FakeServer(fake.handle) as server:
        fake.server = server
        yield fake


@pytest.fixture
def fake_feeds():
    fake = FakeFeeds()
    with FakeServer(fake.handle) as server:
        fake.server = server
        yield fake


def run(db, source, *, name, waits=None, environ=None):
    config = Config()
    policy = RetryPolicy(sleep=(waits if waits is not None else []).append)
    collector = build_collector(
        name, source, config=config, db=db, environ=environ or {}, policy=policy
    )
    return run_collector(db, collector, matcher=BrandMatcher(config.brands))


def stored(db):
    return {row["native_id"]: row for row in db.query("SELECT * FROM mentions")}


def mastodon(fake, **settings):
    return MastodonSource(enabled=True, instances=[fake.server.url], **settings)


def test_hashtag_timeline_pages_back_and_the_next_run_starts_at_the_newest(db, fake_mastodon):
    ids = [
        fake_mastodon.status(
            f"<p>Rit {i} met mijn <a href='#'>#Velora</a></p>", "anna", 500 - i, tags=("velora",)
        )
        for i in range(95)
    ]
    host = fake_mastodon.server.url.removeprefix("http://")

    first = run(db, mastodon(fake_mastodon), name="mastodon")

    assert first.error is None, first.error
    assert first.inserted == 95
    calls = fake_mastodon.server.requests_to("/api/v1/timelines/tag/velora")
    assert [c.query.get("max_id") for c in calls] == [None, ids[55], ids[15]]
    newer = fake_mastodon.status("<p>Weer een #velora dag</p>", "bob", 1, tags=("velora",))

    second = run(db, mastodon(fake_mastodon), name="mastodon")

    assert (second.inserted, second.updated) == (1, 0)
    assert (
        fake_mastodon.server.requests_to("/api/v1/timelines/tag/velora")[-1].query["since_id"]
        == ids[-1]
    )
    row = stored(db)[f"{host}:{newer}"]
    assert row["text"] == "Weer een #velora dag" and row["brand"] == "Velora"


def test_replies_get_parent_links_and_umot_threads_are_fetched(db, fake_mastodon):
    root = fake_mastodon.status(
        "<p>Smaakdoos was top, echt een aanrader #smaakdoos</p>", "anna", 300, tags=("smaakdoos",)
    )
    run(db, mastodon(fake_mastodon), name="mastodon")
    host = fake_mastodon.server.url.removeprefix("http://")
    reply = fake_mastodon.status("<p>Welke box heb je genomen?</p>", "bob", 100, reply_to=root)
    deeper = fake_mastodon.status("<p>De vega box</p>", "anna", 90, reply_to=reply)
    db.execute("UPDATE mentions SET replies = 1 WHERE native_id = ?", [f"{host}:{root}"])
    db["classifications"].insert(
        {
            "mention_id": f"mastodon:{host}:{root}",
            "model_id": "m",
            "stage": "advocacy",
            "sentiment": "positive",
            "classified_at": "2026-01-01T00:00:00Z",
        }
    )

    report = run(db, mastodon(fake_mastodon), name="mastodon")

    assert report.error is None, report.error
    rows = stored(db)
    assert rows[f"{host}:{reply}"]["parent_id"] == f"mastodon:{host}:{root}"
    assert rows[f"{host}:{deeper}"]["parent_id"] == f"mastodon:{host}:{reply}"
    assert rows[f"{host}:{deeper}"]["brand"] == "Smaakdoos"
    downstream = {r["native_id"] for r in queries.downstream_of(db, f"mastodon:{host}:{root}")}
    assert downstream == {f"{host}:{reply}", f"{host}:{deeper}"}


def test_search_needs_the_token_and_uses_it(db, fake_mastodon):
    fake_mastodon.status("<p>Polderstroom rekening klopt niet</p>", "anna", 30)

    without = run(db, mastodon(fake_mastodon), name="mastodon")
    searched_without = len(fake_mastodon.server.requests_to("/api/v2/search"))
    with_token = run(
        db, mastodon(fake_mastodon), name="mastodon", environ={"UMOT_MASTODON_TOKEN": TOKEN}
    )

    assert (without.inserted, searched_without) == (0, 0)
    assert with_token.inserted == 1
    search = fake_mastodon.server.requests_to("/api/v2/search")[0]
    assert search.headers["authorization"] == f"Bearer {TOKEN}"


def test_a_refused_token_names_its_variable_and_the_other_instances_still_run(db, fake_mastodon):
    good = fake_mastodon.status("<p>#velora</p>", "anna", 30, tags=("velora",))
    dead = FakeServer(
        lambda request: Response(401, {"error": "This API requires an authenticated user"})
    )
    with dead:
        source = MastodonSource(enabled=True, instances=[dead.url, fake_mastodon.server.url])
        report = run(db, source, name="mastodon")

    assert "wants a token" in report.error and "UMOT_MASTODON_TOKEN" in report.error
    assert any(key.endswith(f":{good}") for key in stored(db))


def test_malformed_statuses_become_rejects(db, fake_mastodon):
    fake_mastodon.status("<p>#velora goed</p>", "anna", 30, tags=("velora",))
    bad = fake_mastodon.status("<p>#velora</p>", "bob", 20, tags=("velora",))
    del fake_mastodon.statuses[bad]["account"]

    report = run(db, mastodon(fake_mastodon), name="mastodon")

    assert (report.inserted, report.rejected) == (1, 1)
    assert "missing field 'account'" in db.execute("SELECT reason FROM rejects").fetchone()[0]


def test_feeds_keep_brand_entries_dedupe_by_id_and_use_conditional_get(db, fake_feeds):
    fake_feeds.entry(
        "/nieuws.xml", "a-1", "Velora haalt fietsen terug", "<p>Een <b>terugroepactie</b>.</p>"
    )
    fake_feeds.entry("/nieuws.xml", "a-2", "Weerbericht", "Regen.")
    fake_feeds.entry("/andere.xml", "a-1", "Velora haalt fietsen terug", "Zelfde artikel.")
    url = fake_feeds.server.url
    source = RssSource(enabled=True, feeds=[f"{url}/nieuws.xml", f"{url}/andere.xml"])

    first = run(db, source, name="rss")
    second = run(db, source, name="rss")

    assert first.error is None, first.error
    assert db["mentions"].count == 1  # the other article is not a mention; a-1 stored once
    row = next(iter(stored(db).values()))
    assert (
        row["text"] == "Velora haalt fietsen terug\n\nEen terugroepactie."
        and row["brand"] == "Velora"
    )
    assert row["lang"] == "nl" and row["url"] == "https://news.example/a-1"
    assert second.fetched == 0  # both feeds answered 304 Not Modified
    assert fake_feeds.server.requests_to("/nieuws.xml")[-1].headers["if-none-match"] == '"v2"'


def test_a_review_feed_about_one_brand_keeps_every_entry(db, fake_feeds):
    fake_feeds.entry("/reviews.xml", "r1", "Vijf sterren", "Snelle levering, lekker eten.")
    source = RssSource(
        enabled=True,
        feeds=[FeedConfig(url=f"{fake_feeds.server.url}/reviews.xml", brand="Smaakdoos")],
    )

    report = run(db, source, name="rss")

    assert report.inserted == 1
    assert next(iter(stored(db).values()))["brand"] == "Smaakdoos"


def test_a_broken_feed_is_reported_and_the_good_ones_still_load(db, fake_feeds):
    fake_feeds.entry("/goed.xml", "g1", "Polderstroom verlaagt tarief", "Nieuws.")
    fake_feeds.raw["/kapot.xml"] = b"<html><body>Dit is geen feed"
    url = fake_feeds.server.url
    source = RssSource(
        enabled=True, feeds=[f"{url}/kapot.xml", f"{url}/ontbreekt.xml", f"{url}/goed.xml"]
    )

    report = run(db, source, name="rss")

    assert report.inserted == 1
    assert report.error.startswith("2 of 3 feeds failed")


def test_feed_server_errors_are_retried(db, fake_feeds):
    fake_feeds.entry("/nieuws.xml", "a-1", "Velora nieuws", "x")
    fake_feeds.server.fail_next(
        "/nieuws.xml", Response(500, "oops", content_type="text/plain"), times=2
    )
    waits: list[float] = []

    report = run(
        db,
        RssSource(enabled=True, feeds=[f"{fake_feeds.server.url}/nieuws.xml"]),
        name="rss",
        waits=waits,
    )

    assert report.error is None and report.inserted == 1
    assert waits == [2.0, 4.0]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "30"}, 30.0),
        ({"x-rate-limit-reset": "1000000100"}, 100.0),  # X: epoch seconds
        ({"x-ratelimit-reset": "45"}, 45.0),  # Reddit: seconds left
        ({"X-RateLimit-Reset": "2001-09-09T01:48:20.000Z"}, 100.0),  # Mastodon: ISO time
        ({}, None),
    ],
)
def test_rate_limit_headers_of_each_platform(headers, expected):
    assert wait_from_headers(headers, now=1_000_000_000.0) == expected


def test_html_becomes_readable_text():
    html = "<p>Eerste &amp; <a href='x'>#tag</a></p><p>Tweede<br>regel</p><script>x</script>"
    assert html_to_text(html).startswith("Eerste & #tag\n\nTweede\nregel")


@pytest.mark.parametrize(
    "quote",
    [
        {"state": "accepted", "quoted_status": {"id": "77", "content": "<p>x</p>"}},
        {"state": "accepted", "quoted_status_id": "77"},
    ],
)
def test_quotes_and_boosts_link_to_their_original(quote):
    from collectors.mastodon import status_record

    fake = FakeMastodon()
    status = fake.statuses[fake.status("<p>Kijk hier</p>", "anna", 5)]
    record = status_record({**status, "quote": quote, "quotes_count": 3}, "h", None, "#x")
    assert (record["quoted_id"], record["quotes"]) == ("h:77", 3)

    original = fake.statuses[fake.status("<p>Velora is top</p>", "bob", 9)]
    boost = status_record({**status, "content": "", "reblog": original}, "h", None, "#x")
    assert (boost["reposted_id"], boost["text"]) == (f"h:{original['id']}", "Velora is top")
