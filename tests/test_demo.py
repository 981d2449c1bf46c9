from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from collectors.base import Cursors
from collectors.demo import DemoCollector
from collectors.demo.generator import DemoStream, stream_posts
from storage import Mention
from umot.brands import BrandMatcher
from umot.config import Config
from umot.pipeline import run_collector

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def posts(seed=7, days=14):
    return list(
        stream_posts(
            DemoStream(seed, 70), date(2026, 10, 1), date(2026, 10, 1) + timedelta(days=days - 1)
        )
    )


def test_stream_is_deterministic_per_seed():
    first, again, other = posts(7, 3), posts(7, 3), posts(8, 3)
    assert [(p.native_id, p.text) for p in first] == [(p.native_id, p.text) for p in again]
    assert {p.native_id for p in first}.isdisjoint({p.native_id for p in other})


def test_every_link_points_at_an_earlier_post_in_the_stream():
    stream = posts()
    by_id = {(p.platform, p.native_id): p for p in stream}
    assert len(by_id) == len(stream)  # ids are unique
    links = 0
    for post in stream:
        for target in (post.parent_id, post.quoted_id, post.reposted_id):
            if target is not None:
                links += 1
                parent = by_id[(post.platform, target)]
                assert parent.created_at < post.created_at
        root = by_id[(post.platform, post.conversation_id)]
        assert root.created_at <= post.created_at
    assert links > 300


def test_threads_put_prospects_under_shared_experiences():
    stream = posts()
    by_id = {(p.platform, p.native_id): p for p in stream}
    roles = Counter(p.role for p in stream)
    assert roles["prospect"] > 100 and roles["care"] > 10 and roles["repost"] > 5
    for post in stream:
        if post.role == "prospect":
            target = post.parent_id or post.quoted_id
            thread_root = by_id[(post.platform, post.conversation_id if post.parent_id else target)]
            assert thread_root.stage in ("experience", "advocacy")
            assert post.stage == "consideration"
    platforms_with_nesting = {
        p.platform for p in stream if p.parent_id and by_id[(p.platform, p.parent_id)].parent_id
    }
    assert "reddit" in platforms_with_nesting  # comment trees, not just flat replies
    reddit_comments = [p for p in stream if p.platform == "reddit" and p.parent_id]
    assert all(
        p.native_id.startswith("t1_") and p.conversation_id.startswith("t3_")
        for p in reddit_comments
    )
    assert any(p.quoted_id for p in stream if p.platform == "x")


def test_some_exposed_prospects_later_buy():
    stream = posts()
    exposed = {}
    for p in stream:
        if p.role == "prospect":
            exposed.setdefault(p.author.handle, p.created_at)  # the stream is sorted by time
    buyers = [p for p in stream if p.role == "conversion"]
    assert buyers
    for buy in buyers:
        assert buy.stage == "purchase" and buy.created_at > exposed[buy.author.handle]


def test_stream_is_multilingual_varied_and_has_incident_spikes():
    stream = posts(days=28)
    langs = Counter(p.lang for p in stream)
    assert set(langs) == {"nl", "en", "de", "fr", "es"} and langs.most_common(1)[0][0] == "nl"
    roots = [p.text for p in stream if p.role == "root"]
    assert len(set(roots)) / len(roots) > 0.9
    assert len(Counter(p.brand.name for p in stream)) == 3
    assert {p.platform for p in stream} == {"x", "reddit", "mastodon"}
    stream_source = DemoStream(7, 70)
    by_kind = {True: Counter(), False: Counter()}
    days = {True: set(), False: set()}
    for p in stream:
        if p.role == "root":
            incident = stream_source.incident(p.brand, p.created_at.date())
            by_kind[incident][p.sentiment] += 1
            days[incident].add((p.brand.name, p.created_at.date()))
    assert days[True], "four weeks should contain incident days"
    share = {k: c["negative"] / sum(c.values()) for k, c in by_kind.items()}
    volume = {k: sum(by_kind[k].values()) / len(days[k]) for k in by_kind}
    assert share[True] > 1.5 * share[False]
    assert volume[True] > 1.8 * volume[False]


def test_collector_yields_valid_mentions_only_up_to_now():
    items = list(DemoCollector(weeks=1, clock=lambda: NOW).collect(Cursors(lambda q: None)))
    assert items and all(isinstance(item, Mention) for item in items)
    assert all(NOW - timedelta(weeks=1) < m.created_at <= NOW for m in items)
    assert {m.raw["demo"]["stage"] for m in items} == set(Config().journey.stages)


def test_collecting_later_adds_only_the_new_part(db):
    matcher = BrandMatcher(Config().brands)
    clock = {"now": NOW}
    collector = DemoCollector(weeks=2, clock=lambda: clock["now"])
    first = run_collector(db, collector, matcher=matcher)
    again = run_collector(db, collector, matcher=matcher)
    clock["now"] = NOW + timedelta(days=2)
    later = run_collector(db, collector, matcher=matcher)
    assert first.inserted > 1000
    assert (again.fetched, again.inserted) == (0, 0)
    assert later.inserted > 50 and later.updated == 0
    total = db.execute("SELECT count(*) FROM mentions").fetchone()[0]
    assert total == first.inserted + later.inserted
    newest = db.execute("SELECT max(created_at) FROM mentions").fetchone()[0]
    assert newest <= (NOW + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
