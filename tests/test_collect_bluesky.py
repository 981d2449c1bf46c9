"""Bluesky: Jetstream events and AppView views mapped to mentions, the live stream's
cursor, reconnects and deletions, against a fake Jetstream and AppView on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from collectors.base import Checkpoint, Cursors, Thread, Tombstone
from collectors.bluesky import AppView, post_fields, post_view_fields
from collectors.bluesky_account import BlueskyAccount
from collectors.http import RetryPolicy
from collectors.jetstream import CURSOR, JetstreamCollector, raw_prefilter
from storage import Mention, get_cursor, open_database
from tests.fakes.bluesky import Events, FakeAppView, FakeJetstream, did, uri
from tests.fakes.server import FakeServer, Response
from umot.brands import BrandMatcher
from umot.cli import cli
from umot.config import Config
from umot.pipeline import run_collector
from umot.runner import Runner

BRANDS = [{"name": "Velora", "queries": ["Velora", "#velorabike"]}]
QUICK = RetryPolicy(attempts=2, backoff_seconds=0.01, sleep=lambda s: None)


def test_a_post_record_maps_reply_quote_langs_links_and_alt_text():
    reply = {
        "$type": "app.bsky.feed.post",
        "text": "Mijn Velora is na twee weken weer terug bij de dealer 😤 velora.nl/serv…",
        "createdAt": "2026-11-20T09:15:02.118Z",
        "langs": ["nl"],
        "reply": {
            "root": {"uri": uri("root", "3kroot"), "cid": "bafyroot"},
            "parent": {"uri": uri("mid", "3kmid"), "cid": "bafymid"},
        },
        "facets": [
            {
                "index": {"byteStart": 60, "byteEnd": 80},
                "features": [
                    {
                        "$type": "app.bsky.richtext.facet#link",
                        "uri": "https://velora.nl/service/afspraak",
                    }
                ],
            },
            {
                "index": {"byteStart": 0, "byteEnd": 4},
                "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did("x")}],
            },
        ],
        "embed": {
            "$type": "app.bsky.embed.recordWithMedia",
            "record": {
                "$type": "app.bsky.embed.record",
                "record": {"uri": uri("brand", "3kquoted"), "cid": "bafyq"},
            },
            "media": {
                "$type": "app.bsky.embed.images",
                "images": [{"alt": "Kapotte ketting op de stoep", "image": {}}],
            },
        },
    }
    at = uri("sanne", "3kabc")
    fields = post_fields(at, reply)
    mention = Mention.model_validate(fields)
    assert mention.native_id == at and mention.author_id == did("sanne")
    assert mention.parent_id == uri("mid", "3kmid")
    assert mention.conversation_id == uri("root", "3kroot")
    assert mention.quoted_id == uri("brand", "3kquoted")
    assert mention.lang == "nl"
    assert mention.url == f"https://bsky.app/profile/{did('sanne')}/post/3kabc"
    assert mention.raw["links"] == ["https://velora.nl/service/afspraak"]
    assert mention.created_at == datetime(2026, 11, 20, 9, 15, 2, 118000, UTC)

    # An image-only post reads its alt text; a quote of a feed generator is not a quote.
    image_post = {
        "text": "",
        "createdAt": "2026-11-20T10:00:00Z",
        "embed": {
            "$type": "app.bsky.embed.images",
            "images": [{"alt": "Nieuwe Velora S3 in de etalage"}, {"alt": ""}],
        },
    }
    fields = post_fields(uri("kees", "3kimg"), image_post)
    assert fields["text"] == "[image] Nieuwe Velora S3 in de etalage\n[image]"
    assert fields["conversation_id"] == uri("kees", "3kimg")  # a thread of its own
    feed_quote = {
        "text": "this feed is great",
        "createdAt": "2026-11-20T10:00:00Z",
        "embed": {
            "$type": "app.bsky.embed.record",
            "record": {"uri": f"at://{did('f')}/app.bsky.feed.generator/bikes", "cid": "c"},
        },
    }
    assert post_fields(uri("kees", "3kfeed"), feed_quote)["quoted_id"] is None


def test_a_client_clock_in_the_future_gives_way_to_the_network_time():
    seen = datetime.now(UTC) - timedelta(minutes=1)
    ahead = {"text": "Velora!", "createdAt": "2031-01-01T00:00:00Z"}
    assert post_fields(uri("a", "1"), ahead, seen=seen)["created_at"] == seen
    garbled = {"text": "Velora!", "createdAt": "yesterday-ish"}
    assert post_fields(uri("a", "2"), garbled, seen=seen)["created_at"] == seen
    with pytest.raises(ValueError):
        post_fields(uri("a", "3"), garbled)  # no network time to fall back on


def test_a_post_view_carries_engagement_counts_and_the_handle():
    events = Events()
    event = events.post("anna", "3kview", "Velora levert snel, top service")
    appview = FakeAppView()
    appview.profile("anna", "anna.bsky.social", "Anna", 1_240)
    appview.post_view(event, likes=31, reposts=4, replies=7)
    view = next(iter(appview.posts.values()))
    mention = Mention.model_validate(post_view_fields(view))
    assert (mention.likes, mention.reposts, mention.replies) == (31, 4, 7)
    assert mention.author_handle == "anna.bsky.social"


def test_the_raw_prefilter_is_off_for_terms_json_might_escape():
    quick = raw_prefilter(["Velora", "velora bike"])
    assert quick is not None and quick('{"text":"een VELORA fiets"}')
    assert not quick('{"text":"een fiets"}')
    assert raw_prefilter(["H&M"]) is None and raw_prefilter([]) is None


def _stream_world():
    """Events with matches, noise, a reply, a quote, a rename, garbage and a deletion."""
    events = Events()
    appview = FakeAppView()
    appview.profile("anna", "anna.bsky.social", "Anna de Vries", 1_240)
    appview.profile("bram", "bram.example.nl", "Bram", 88)
    first = events.post("anna", "3ka1", "Net mijn Velora opgehaald, rijdt als een zonnetje ☀️")
    events.post("noise1", "3kn1", "Goedemorgen allemaal, koffie!", langs=["nl"])
    events.post(
        "bram",
        "3kb1",
        "@anna.bsky.social hoe lang moest je wachten op je Velora?",
        langs=["nl"],
        reply={
            "root": {"uri": uri("anna", "3ka1"), "cid": "c1"},
            "parent": {"uri": uri("anna", "3ka1"), "cid": "c1"},
        },
    )
    # Both get past the raw prefilter (they name the brand), so both must be parsed.
    events.raw('{"did":"did:plc:zzz","commit":{"record":{"text":"Velora is gre')
    events.raw('{"did":"did:plc:zzz","time_us":1,"kind":"labels","labels":["Velora"]}')
    events.identity("bram", "bram.velora-fan.nl")
    events.post(
        "ghost",
        "3kg1",
        "Twijfel tussen Velora en Cortina voor woon-werk, tips?",
        embed={
            "$type": "app.bsky.embed.record",
            "record": {"uri": uri("anna", "3ka1"), "cid": "c1"},
        },
    )  # a DID the AppView cannot name
    events.post("noise2", "3kn2", "velorail is a word that is not the brand")
    doomed = events.post("bram", "3kb2", "Velora: nooit meer. Drie keer een lekke band.")
    events.delete("bram", "3kb2")
    return events, appview, first, doomed


def _config_file(tmp_path, jetstream_urls, appview_url, **extra):
    endpoints = ", ".join(f'"{u}"' for u in jetstream_urls)
    lines = [
        "[database]",
        f'path = "{tmp_path / "bsky.db"}"',
        "[[brands]]",
        'name = "Velora"',
        'queries = ["Velora", "#velorabike"]',
        "[sources.bluesky]",
        'type = "bluesky"',
        "enabled = true",
        f"endpoints = [{endpoints}]",
        f'appview_url = "{appview_url}"',
        "idle_seconds = 0.5",
        *(f"{k} = {v}" for k, v in extra.items()),
    ]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_umot_collect_listens_stores_matches_and_marks_deletions(tmp_path, monkeypatch):
    monkeypatch.delenv("UMOT_CONFIG", raising=False)
    events, appview, first, doomed = _stream_world()
    with FakeJetstream(events) as stream, FakeServer(appview.handle) as api:
        config = _config_file(tmp_path, [stream.url], api.url)
        result = CliRunner().invoke(
            cli, ["--config", str(config), "collect", "--source", "bluesky", "--seconds", "1.5"]
        )
    assert result.exit_code == 0, result.output
    db = open_database(tmp_path / "bsky.db")
    rows = {
        r["native_id"]: r
        for r in db.query(
            "SELECT m.*, a.handle, a.followers FROM mentions m "
            "LEFT JOIN authors a ON a.id = m.author_id"
        )
    }
    assert set(rows) == {
        uri("anna", "3ka1"),
        uri("bram", "3kb1"),
        uri("ghost", "3kg1"),
        uri("bram", "3kb2"),
    }  # noise and "velorail" were not kept
    anna = rows[uri("anna", "3ka1")]
    assert (anna["handle"], anna["followers"]) == ("anna.bsky.social", 1_240)
    assert anna["brand"] == "Velora"
    reply = rows[uri("bram", "3kb1")]
    assert reply["parent_id"] == f"bluesky:{uri('anna', '3ka1')}"
    assert reply["lang"] == "nl"
    ghost = rows[uri("ghost", "3kg1")]
    assert ghost["handle"] is None and ghost["author_id"] == f"bluesky:{did('ghost')}"
    assert ghost["quoted_id"] == f"bluesky:{uri('anna', '3ka1')}"
    assert rows[uri("bram", "3kb2")]["deleted"] == 1  # deleted on the network afterwards
    assert anna["deleted"] == 0
    assert get_cursor(db, "bluesky", CURSOR) == str(events.items[-1]["time_us"])
    run = next(db.query("SELECT * FROM runs WHERE source = 'bluesky' ORDER BY id DESC"))
    assert run["fetched"] == len(events.items) and run["error"] is None
    assert len(api.requests_to("/xrpc/app.bsky.actor.getProfiles")) == 1  # batched
    assert first["time_us"] < doomed["time_us"]


def test_a_restart_resumes_a_few_seconds_back_without_duplicates(tmp_path, monkeypatch):
    monkeypatch.delenv("UMOT_CONFIG", raising=False)
    events, appview, _, _ = _stream_world()
    with FakeJetstream(events) as stream, FakeServer(appview.handle) as api:
        config = _config_file(tmp_path, [stream.url], api.url)
        args = ["--config", str(config), "collect", "--source", "bluesky", "--seconds", "1"]
        assert CliRunner().invoke(cli, args).exit_code == 0
        stored = get_cursor(open_database(tmp_path / "bsky.db"), "bluesky", CURSOR)
        events.post("carla", "3kc1", "#velorabike op de Veluwe vandaag 🚲")
        second = CliRunner().invoke(cli, args)
    assert second.exit_code == 0, second.output
    assert f"cursor={int(stored) - 5_000_000}" in stream.urls[-1]
    db = open_database(tmp_path / "bsky.db")
    assert db.execute("SELECT count(*) FROM mentions").fetchone()[0] == 5
    last = next(db.query("SELECT * FROM runs WHERE source = 'bluesky' ORDER BY id DESC"))
    assert last["inserted"] == 1


def _collector(endpoints, appview_url, **options):
    matcher = BrandMatcher(Config.model_validate({"brands": BRANDS}).brands)
    return JetstreamCollector(
        "bluesky",
        keep=lambda text: matcher.match(text) is not None,
        terms=["Velora", "#velorabike"],
        appview=AppView(appview_url, policy=QUICK),
        endpoints=endpoints,
        **{"seconds": 2.0, "idle_seconds": 0.3, "max_backoff_seconds": 0.05, **options},
    )


def test_a_dropped_refused_or_silent_endpoint_hands_over_without_losing_posts(tmp_path):
    events, appview, _, _ = _stream_world()
    with (
        FakeJetstream(events, "drop:2") as dropping,
        FakeJetstream(events, "refuse") as refusing,
        FakeJetstream(events, "silent") as silent,
        FakeJetstream(events) as healthy,
        FakeServer(appview.handle) as api,
    ):
        collector = _collector([dropping.url, refusing.url, silent.url, healthy.url], api.url)
        db = open_database(tmp_path / "h.db")
        report = run_collector(db, collector, matcher=BrandMatcher([]))
    assert report.error is None
    assert "cursor=" not in dropping.urls[0] and dropping.sent >= 2  # dropped after two
    assert refusing.sent == 0 and silent.sent == 0
    assert healthy.urls and "cursor=" in healthy.urls[0]  # resumed, not from "now"
    keys = [r[0] for r in db.execute("SELECT native_id FROM mentions")]
    assert len(keys) == len(set(keys)) == 4


def test_no_endpoint_at_all_ends_the_run_with_a_clear_error(tmp_path):
    with FakeJetstream(Events(), "refuse") as refusing, FakeServer(FakeAppView().handle) as api:
        collector = _collector([refusing.url, "ws://127.0.0.1:9"], api.url, seconds=30.0)
        db = open_database(tmp_path / "f.db")
        started = time.monotonic()
        report = run_collector(db, collector, matcher=BrandMatcher([]))
    assert report.error and "no Jetstream endpoint answered after 8 tries" in report.error
    assert time.monotonic() - started < 10
    run = next(db.query("SELECT * FROM runs WHERE source = 'bluesky'"))
    assert "no Jetstream endpoint" in run["error"]


def test_recent_umot_posts_get_fresh_engagement_counts_first(tmp_path):
    events = Events()
    event = events.post("anna", "3ka1", "Velora: beste aankoop van het jaar")
    appview = FakeAppView()
    appview.profile("anna", "anna.bsky.social", "Anna", 1_240)
    appview.post_view(event, likes=52, reposts=9, replies=14)
    with FakeServer(appview.handle) as api:
        collector = _collector(
            ["ws://127.0.0.1:9"], api.url, follow=[Thread(uri("anna", "3ka1"))], seconds=0.01
        )
        items = []
        for item in collector.collect(Cursors(lambda q: None)):
            items.append(item)
            if isinstance(item, Checkpoint):
                break
    mention = items[0]
    assert isinstance(mention, Mention) and (mention.likes, mention.replies) == (52, 14)


def test_events_after_a_rewind_are_not_yielded_twice():
    events, appview, _, _ = _stream_world()
    with (
        FakeJetstream(events, "drop:6") as dropping,
        FakeJetstream(events) as healthy,
        FakeServer(appview.handle) as api,
    ):
        collector = _collector([dropping.url, healthy.url], api.url, seconds=1.5)
        items = list(collector.collect(Cursors(lambda q: None)))
    posts = [i.native_id for i in items if isinstance(i, Mention)]
    assert len(posts) == len(set(posts)) == 4
    assert sum(isinstance(i, Tombstone) for i in items) == 1


def test_garbage_and_unknown_event_kinds_are_skipped_and_counted():
    events, appview, _, _ = _stream_world()
    with FakeJetstream(events) as healthy, FakeServer(appview.handle) as api:
        collector = _collector([healthy.url], api.url, seconds=0.8, idle_seconds=5.0)
        items = list(collector.collect(Cursors(lambda q: None)))
    assert collector.stats["unknown"] == 2  # the truncated message and the "labels" kind
    assert collector.stats["events"] == len(events.items)
    assert sum(isinstance(i, Mention) for i in items) == 4


def test_umot_run_listens_in_the_background_between_cycles(tmp_path):
    events, appview, _, _ = _stream_world()
    with FakeJetstream(events) as stream, FakeServer(appview.handle) as api:
        config = Config.model_validate(
            {
                "database": {"path": str(tmp_path / "run.db")},
                "brands": BRANDS,
                "sources": {
                    "bluesky": {
                        "type": "bluesky",
                        "enabled": True,
                        "endpoints": [stream.url],
                        "appview_url": api.url,
                        "segment_minutes": 0.02,
                    }
                },
            }
        )
        db = open_database(tmp_path / "run.db")
        runner = Runner(db, config, classifier_factory=lambda c: pytest.fail("no cycle"))
        assert runner.start_streams(tmp_path / "run.db") == ["bluesky"]
        deadline = time.monotonic() + 20
        while db.execute("SELECT count(*) FROM mentions").fetchone()[0] < 4:
            assert time.monotonic() < deadline, "the stream stored nothing"
            time.sleep(0.2)
        stopping = time.monotonic()
        runner.stop_streams()
        assert time.monotonic() - stopping < 5
    assert not [t for t in threading.enumerate() if t.name == "umot-stream-bluesky"]
    runs = list(db.query("SELECT * FROM runs WHERE source = 'bluesky'"))
    assert runs and all(r["finished_at"] for r in runs)  # one row per segment, closed


def test_a_source_unreachable_on_the_network_is_a_clear_error_not_a_crash(tmp_path):
    appview = FakeAppView()
    with FakeServer(appview.handle) as api:
        api.fail_next("/xrpc/app.bsky.actor.getProfiles", Response(503, {}), times=5)
        named = AppView(api.url, policy=QUICK).profiles([did("anna")])
    assert named == {did("anna"): None}  # stored by DID now, named on a later try


@pytest.fixture
def fresh_sessions():
    from collectors import bluesky_account

    bluesky_account._sessions.clear()
    yield
    bluesky_account._sessions.clear()


def test_replies_to_umot_posts_are_fetched_even_when_they_never_name_the_brand():
    events = Events()
    umot_post = events.post("anna", "3ka1", "Velora heeft mijn band in tien minuten gewisseld!")
    first = events.post("bram", "3kr1", "Klopt, bij mij ook zo snel geholpen 👍")
    nested = events.post("carla", "3kr2", "Waar zit die winkel?")
    appview = FakeAppView()
    appview.profile("bram", "bram.example.nl", "Bram", 88)
    appview.post_view(umot_post, likes=5, reposts=0, replies=1)
    appview.reply(umot_post, first)
    appview.reply(first, nested)
    appview.replies[uri("anna", "3ka1")].append(uri("gone", "3kx"))  # a deleted reply
    with FakeServer(appview.handle) as api:
        collector = _collector(
            ["ws://127.0.0.1:9"],
            api.url,
            follow=[Thread(uri("anna", "3ka1"), brand="Velora")],
            seconds=0.01,
        )
        items = [i for i in collector.collect(Cursors(lambda q: None)) if isinstance(i, Mention)]
    replies = {m.native_id: m for m in items if m.parent_id}
    assert set(replies) == {uri("bram", "3kr1"), uri("carla", "3kr2")}
    assert replies[uri("carla", "3kr2")].parent_id == uri("bram", "3kr1")
    assert all(m.brand == "Velora" for m in replies.values())  # the thread's brand
    assert replies[uri("bram", "3kr1")].author_followers == 88


def test_an_account_backfills_the_time_the_stream_was_not_heard(fresh_sessions):
    events = Events()
    old = events.post("anna", "3ko1", "Gisteren mijn Velora laten afstellen, top")
    loose = events.post("kees", "3ko2", "velorail trip was fun")
    appview = FakeAppView()
    appview.profile("anna", "anna.bsky.social", "Anna", 1_240)
    appview.post_view(old, likes=2, reposts=0, replies=0)
    appview.post_view(loose, likes=0, reposts=0, replies=0)
    with FakeServer(appview.handle) as api:
        account = BlueskyAccount("team.bsky.social", appview.password, service=api.url)
        account._token()
        appview.tokens.clear()  # the session expired since: renewed once, transparently
        collector = _collector(["ws://127.0.0.1:9"], api.url, seconds=0.01, account=account)
        items = [i for i in collector.collect(Cursors(lambda q: None)) if isinstance(i, Mention)]
        searches = api.requests_to("/xrpc/app.bsky.feed.searchPosts")
    assert [m.native_id for m in items] == [uri("anna", "3ko1")]  # "velorail" is not Velora
    assert items[0].author_followers == 1_240
    assert appview.logins == 2
    assert {r.query["q"] for r in searches} >= {"Velora", "velorabike"}
    since = datetime.fromisoformat(searches[-1].query["since"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - since) - timedelta(hours=24)) < timedelta(minutes=1)


def test_a_refused_app_password_ends_the_run_with_the_variables_named(tmp_path, fresh_sessions):
    appview = FakeAppView()
    with FakeServer(appview.handle) as api:
        account = BlueskyAccount("team.bsky.social", "wrong-password", service=api.url)
        collector = _collector(["ws://127.0.0.1:9"], api.url, seconds=0.01, account=account)
        report = run_collector(
            open_database(tmp_path / "a.db"), collector, matcher=BrandMatcher([])
        )
    assert "UMOT_BLUESKY_HANDLE and UMOT_BLUESKY_APP_PASSWORD" in report.error
    assert "wrong-password" not in report.error


def test_half_an_account_is_a_clear_configuration_error():
    from umot.config import BlueskySource
    from umot.sources import SourceUnavailable, build_collector

    config = Config.model_validate({"brands": BRANDS})
    with pytest.raises(SourceUnavailable, match="set UMOT_BLUESKY_APP_PASSWORD too"):
        build_collector(
            "bluesky",
            BlueskySource(enabled=True),
            config=config,
            environ={"UMOT_BLUESKY_HANDLE": "team.bsky.social"},
        )


def test_a_stream_that_stays_silent_is_reported_by_source_health(tmp_path):
    from reports.rules import RuleContext, source_health

    config = Config.model_validate(
        {
            "brands": BRANDS,
            "sources": {"bluesky": {"type": "bluesky", "enabled": True}},
            "alerts": {"rules": {"source_health": {"max_failed_runs": 3}}},
        }
    )
    db = open_database(tmp_path / "quiet.db")
    with FakeJetstream(Events(), "silent") as silent, FakeServer(FakeAppView().handle) as api:
        for _ in range(3):  # three segments of `umot run`, each hearing nothing
            collector = _collector(  # checkpoints come and go; only events count as heard
                [silent.url], api.url, seconds=30.0, idle_seconds=0.2, checkpoint_seconds=0.02
            )
            report = run_collector(db, collector, matcher=BrandMatcher([]))
            assert "no event for 0.2 s" in report.error
    alerts = source_health(RuleContext(db, config, "m", datetime.now(UTC)))
    assert [a.details["source"] for a in alerts] == ["bluesky"]
    assert "failed its last 3 runs" in alerts[0].message
