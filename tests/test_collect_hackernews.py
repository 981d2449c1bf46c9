"""The Hacker News collector against a local fake of the Algolia HN Search API."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from collectors.hackernews import OVERLAP_SECONDS, HackerNewsCollector
from collectors.http import RetryPolicy
from tests.fakes.hackernews_api import FakeAlgoliaHN
from tests.fakes.server import FakeServer, Response
from umot.brands import BrandMatcher
from umot.config import Config, ConfigError, HackerNewsSource, parse_config
from umot.pipeline import run_collector
from umot.sources import build_collector

SEARCH = "/api/v1/search_by_date"


@pytest.fixture(scope="module")
def server():
    """One server for the file (stopping one takes half a second); each test its own data."""
    route: dict[str, FakeAlgoliaHN] = {}
    with FakeServer(lambda request: route["fake"].handle(request)) as running:
        running.route = route
        yield running


@pytest.fixture
def fake(server):
    algolia = FakeAlgoliaHN()
    server.route["fake"] = algolia
    server.requests.clear()
    algolia.server = server
    return algolia


def source(fake, **settings):
    return HackerNewsSource(enabled=True, base_url=f"{fake.server.url}/api/v1", **settings)


def run(db, settings, *, waits=None, config=None):
    config = config or Config()
    policy = RetryPolicy(sleep=(waits if waits is not None else []).append)
    collector = build_collector(
        "hackernews", settings, config=config, db=db, environ={}, policy=policy
    )
    return run_collector(db, collector, matcher=BrandMatcher(config.brands))


def stored(db):
    return {row["native_id"]: row for row in db.query("SELECT * FROM mentions")}


def searches(fake, query="Velora"):
    return [r for r in fake.server.requests_to(SEARCH) if r.query["query"] == query]


def test_stories_and_comments_are_mapped_with_their_thread_links(db, fake):
    story = fake.story(
        "Show HN: Velora, a cargo bike you can repair yourself",
        "fietsfan",
        120,
        url="https://velora.example/launch",
        points=42,
    )
    ask = fake.story(
        "Ask HN: Polderstroom or a local co-op?",
        "kwh",
        110,
        text="<p>Thinking of switching.<p>Anyone tried it?",
    )
    reply = fake.comment(
        "<p>Had a Velora for a year, the hub is solid.</p>", "anna", 100, parent=story
    )
    deeper = fake.comment("Which Velora model?", "bob", 90, parent=reply)

    report = run(db, source(fake))

    assert report.error is None, report.error
    assert (report.inserted, report.rejected) == (4, 0)
    rows = stored(db)
    top = rows[story]
    assert top["text"] == "Show HN: Velora, a cargo bike you can repair yourself"
    assert (top["brand"], top["query"], top["platform"]) == ("Velora", "Velora", "hackernews")
    assert top["url"] == f"https://news.ycombinator.com/item?id={story}"
    # num_comments counts every comment below the story, as on HN.
    assert (top["likes"], top["replies"], top["author_id"]) == (42, 2, "hackernews:fietsfan")
    author = db.execute("SELECT handle FROM authors WHERE id = 'hackernews:fietsfan'").fetchone()
    assert author == ("fietsfan",)
    assert top["conversation_id"] == f"hackernews:{story}" and top["parent_id"] is None
    assert json.loads(top["raw"])["story_url"] == "https://velora.example/launch"
    assert (
        rows[ask]["text"]
        == "Ask HN: Polderstroom or a local co-op?\n\nThinking of switching.\nAnyone tried it?"
    )
    assert rows[ask]["brand"] == "Polderstroom"
    assert rows[reply]["parent_id"] == f"hackernews:{story}"
    assert rows[deeper]["parent_id"] == f"hackernews:{reply}"
    assert rows[deeper]["conversation_id"] == f"hackernews:{story}"
    assert rows[deeper]["lang"] is None  # left for umot's language identification
    created = datetime.fromisoformat(rows[deeper]["created_at"].replace("Z", "+00:00"))
    assert created.timestamp() == fake.by_id[deeper]["created_at_i"]
    first = searches(fake)[0].query
    assert first["tags"] == "(story,comment)" and first["page"] == "0"
    assert first["numericFilters"].startswith("created_at_i>")
    assert {r.query["query"] for r in fake.server.requests_to(SEARCH)} == {
        "Velora",
        "Polderstroom",
        "Smaakdoos",
    }  # "#velora" is the same Algolia search as "Velora"


def test_comment_html_and_entities_become_clean_text(db, fake):
    story = fake.story("Smaakdoos raises prices", "chef", 60)
    html = (
        "I&#x27;ve had <i>Smaakdoos</i> for &quot;years&quot; &amp; it&#x27;s fine."
        '<p>See <a href="https:&#x2F;&#x2F;smaakdoos.example&#x2F;prijs" rel="nofollow">'
        "https:&#x2F;&#x2F;smaakdoos.example&#x2F;prijs</a><p>&gt; quoted 3 &lt; 4"
    )
    comment = fake.comment(html, "anna", 50, parent=story)

    run(db, source(fake))

    assert stored(db)[comment]["text"] == (
        "I've had Smaakdoos for \"years\" & it's fine.\n"
        "See https://smaakdoos.example/prijs\n> quoted 3 < 4"
    )


def test_a_second_run_fetches_only_newer_hits_and_late_indexed_ones(db, fake):
    fake.story("Velora opens a store", "a", 30)
    fake.story("Velora recall notice", "b", 20)
    first = run(db, source(fake))
    since = json.loads(db.execute("SELECT value FROM cursors").fetchone()[0])["since"]
    newer = fake.story("Velora price cut", "c", 1)
    late = fake.story("Velora on the radio", "d", 25)  # indexed after the first run

    second = run(db, source(fake))

    assert first.inserted == 2
    assert (second.fetched, second.inserted, second.updated) == (2, 2, 0)
    assert {newer, late} <= set(stored(db)) and db["mentions"].count == 4
    bounds = searches(fake)[-1].query["numericFilters"]
    assert bounds.startswith(f"created_at_i>{since - OVERLAP_SECONDS},")
    third = run(db, source(fake))
    assert (third.fetched, third.inserted) == (0, 0)


def test_more_than_1000_hits_are_fetched_by_narrowing_the_window(db, fake):
    for i in range(2400):  # one every 72 seconds over the last two days
        fake.story(f"Velora ride {i}", f"u{i % 50}", 2880 - i * 1.2)
    settings = source(fake, hits_per_page=500, max_hits_per_query=5000)

    report = run(db, settings)

    assert report.error is None, report.error
    assert report.inserted == 2400 and db["mentions"].count == 2400
    calls = searches(fake)
    assert all(int(c.query["page"]) * 500 < 1000 for c in calls)
    lows = [int(c.query["numericFilters"].split(",")[0].split(">")[1]) for c in calls]
    assert len(set(lows)) > 3  # the two days were cut into several windows


def test_the_cap_stops_at_the_oldest_hits_and_the_next_run_continues(db, fake):
    ids = [fake.story(f"Velora tip {i}", "a", 300 - i) for i in range(250)]
    settings = source(fake, hits_per_page=100, max_hits_per_query=100)

    first = run(db, settings)
    second = run(db, settings)

    assert first.inserted == 100 and set(stored(db)) >= set(ids[:100])
    assert second.inserted == 100 and set(stored(db)) == set(ids[:200])


def test_loose_algolia_matches_are_dropped(db, fake):
    kept = fake.story("Velora's new frame", "a", 40)
    fake.story("Veloraville council meets", "b", 39)  # a prefix
    fake.story("Valora chocolate review", "c", 38)  # one typo away
    fake.story("A cargo bike shop opens", "d", 37, url="https://velora.example/shop")
    story = fake.story("Energy prices", "e", 36)
    fake.comment("Polderstroom and Velora both raised prices", "f", 35, parent=story)

    report = run(db, source(fake))

    rows = stored(db)
    assert report.error is None and kept in rows
    assert report.fetched == 2  # the Polderstroom search finds the comment again: skipped
    assert len(searches(fake)) == 1 and len(rows) == 2
    both = next(row for key, row in rows.items() if key != kept)
    assert both["brand"] == "Velora"  # found by the first brand's search, stored once


def test_a_429_is_waited_out_and_the_search_succeeds(db, fake):
    fake.story("Velora news", "a", 10)
    fake.server.fail_next(
        SEARCH, Response(429, {"message": "Too many requests"}, {"Retry-After": "7"})
    )
    waits: list[float] = []

    report = run(db, source(fake), waits=waits)

    assert report.error is None and report.inserted == 1
    assert waits == [7.0]


def test_server_errors_are_retried_then_reported_and_other_terms_still_run(db, fake):
    fake.story("Polderstroom outage", "a", 10)
    fake.server.fail_next(SEARCH, Response(502, "Bad Gateway", content_type="text/plain"), 2)
    waits: list[float] = []

    recovered = run(db, source(fake), waits=waits)
    fake.server.fail_next(SEARCH, Response(503, {"message": "down"}), 5)
    failed = run(db, source(fake))

    assert recovered.error is None and recovered.inserted == 1 and waits == [2.0, 4.0]
    assert failed.error.startswith("1 of 3 Hacker News searches failed; first: 'Velora'")
    assert "gave up after 5 tries (HTTP 503)" in failed.error
    assert len(searches(fake, "Smaakdoos")) == 2  # the run went on after the failure


def test_malformed_hits_become_rejects(db, fake):
    good = fake.story("Velora is fine", "a", 10)
    no_id = fake.by_id[fake.story("Velora without id", "b", 9)]
    del no_id["objectID"]
    fake.by_id[fake.comment("Velora when?", "c", 8, parent=good)]["created_at_i"] = "soon"
    fake.by_id[fake.comment("Velora null", "d", 7, parent=good)]["comment_text"] = None
    fake.extra_hits["Velora"] = ["not a hit"]

    report = run(db, source(fake))

    assert report.error is None, report.error
    assert (report.inserted, report.rejected) == (1, 4)
    reasons = sorted(row[0] for row in db.execute("SELECT reason FROM rejects"))
    assert any("missing field 'objectID'" in r for r in reasons)
    assert any("comment_text is NoneType, not text" in r for r in reasons)
    assert any("string indices must be integers" in r for r in reasons)


def test_config_parses_the_source_and_phrase_quotes_terms(db, fake, tmp_path):
    config = parse_config(
        {
            "brands": [{"name": "Velora", "queries": ["Velora Care", "#velora"]}],
            "sources": {
                "hn": {"type": "hackernews", "enabled": True, "max_hits_per_query": 300},
                "hackernews": {"enabled": True, "base_url": f"{fake.server.url}/api/v1"},
            },
        },
        base_dir=tmp_path,
        origin="test.toml",
    )
    hn = config.sources["hn"]
    assert isinstance(hn, HackerNewsSource) and hn.max_hits_per_query == 300
    assert (hn.base_url, hn.hits_per_page, hn.lookback_days) == (
        "https://hn.algolia.com/api/v1",
        100,
        7.0,
    )
    assert hn.credential_envs() == []  # no key: builds with an empty environment
    assert isinstance(build_collector("hn", hn, config=config, environ={}), HackerNewsCollector)
    wanted = fake.story("Velora Care helpline review", "a", 5)
    fake.story("Velora careers page", "b", 4)  # Algolia's prefix match of the phrase

    report = run(db, config.sources["hackernews"], config=config)

    queries = [r.query["query"] for r in fake.server.requests_to(SEARCH)]
    assert queries == ['"Velora Care"', "velora"]
    assert report.inserted == 1 and set(stored(db)) == {wanted}
    with pytest.raises(ConfigError, match=r"sources\.hn\.hits_per_page"):
        parse_config(
            {"sources": {"hn": {"type": "hackernews", "hits_per_page": 5000}}},
            base_dir=tmp_path,
            origin="test.toml",
        )
