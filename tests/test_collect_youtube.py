"""The YouTube collector against a local fake of the Data API v3 (no key, no internet)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collectors.http import RetryPolicy
from collectors.youtube import pacific_day, quota_used_today
from storage import get_cursor
from tests.fakes.server import FakeServer, Response
from tests.fakes.youtube_api import KEY, QUOTA_EXCEEDED, FakeYouTube
from umot.brands import BrandMatcher
from umot.config import Config, ConfigError, YouTubeChannel, YouTubeSource, parse_config
from umot.pipeline import run_collector
from umot.sources import SourceUnavailable, build_collector

ENV = {"UMOT_YOUTUBE_API_KEY": KEY}
BRANDED = "UCveloraofficial00000001"
UNBRANDED = "UCfietsvlogger000000000a"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="module")
def server():
    with FakeServer(lambda request: Response(500, {})) as server:  # one: shutdown takes 0.5 s
        yield server


@pytest.fixture
def fake(server):
    fake = FakeYouTube()
    server.handle, fake.server = fake.handle, server
    server.requests.clear()
    server._failures.clear()  # a failed test's unused faults must not reach the next one
    return fake


@pytest.fixture
def clock():
    return Clock()


def collect(db, fake, clock, *, waits=None, environ=ENV, **settings):
    config = Config()
    source = YouTubeSource(enabled=True, base_url=f"{fake.server.url}/youtube/v3", **settings)
    policy = RetryPolicy(sleep=(waits if waits is not None else []).append)
    collector = build_collector(
        "youtube", source, config=config, db=db, environ=environ, policy=policy
    )
    collector.clock = clock
    return run_collector(db, collector, matcher=BrandMatcher(config.brands))


def stored(db):
    rows = db.query(
        "SELECT m.*, a.handle AS author_handle FROM mentions m "
        "LEFT JOIN authors a ON a.id = m.author_id"
    )
    return {row["native_id"]: row for row in rows}


def used(db, clock):
    return quota_used_today(lambda query: get_cursor(db, "youtube", query), clock())


def calls(fake, endpoint):
    return fake.server.requests_to(f"/youtube/v3/{endpoint}")


def test_comments_and_replies_keep_their_parents_and_the_video(db, fake, clock):
    video = fake.video(
        "Velora Stad 3 review: drie maanden later",
        "Mijn eerlijke mening over de Velora &amp; de accu",
        minutes_ago=300,
    )
    top = fake.comment(video, "Zelfde fiets hier, de accu houdt het prima vol", "sanne", likes=4)
    replies = [
        fake.reply(top, "Hoeveel km haal jij op een lading?", "bram", minutes_ago=20),
        fake.reply(top, "Rond de 70 km in de winter", "sanne", minutes_ago=15),
        fake.reply(top, "Same here, about 45 miles", "mike_rides", minutes_ago=5),
    ]
    other = fake.comment(video, "Great review, thanks!", "mike_rides", minutes_ago=100)

    report = collect(db, fake, clock)

    assert report.error is None, report.error
    rows = stored(db)
    assert rows[video]["text"] == (
        "Velora Stad 3 review: drie maanden later\n\nMijn eerlijke mening over de Velora & de accu"
    )
    assert rows[video]["url"] == f"https://www.youtube.com/watch?v={video}"
    for comment in (top, other):
        assert rows[comment]["parent_id"] == f"youtube:{video}"
    for reply in replies:  # two came inline, the third through comments.list
        assert rows[reply]["parent_id"] == f"youtube:{top}"
        assert rows[reply]["brand"] == "Velora"
    assert {rows[key]["conversation_id"] for key in [top, other, *replies]} == {f"youtube:{video}"}
    assert (rows[top]["likes"], rows[top]["replies"], rows[top]["author_handle"]) == (4, 3, "sanne")
    assert rows[top]["url"] == f"https://www.youtube.com/watch?v={video}&lc={top}"
    assert [c.query["parentId"] for c in calls(fake, "comments")] == [top]
    search = calls(fake, "search")[0]
    assert (search.query["type"], search.query["order"]) == ("video", "date")
    assert search.headers["x-goog-api-key"] == KEY
    assert all("key" not in request.query for request in fake.server.requests)
    assert used(db, clock) == 2  # one page of threads, one of replies; search has its own


def test_a_video_that_does_not_name_the_brand_only_gives_comments_that_do(db, fake, clock):
    video = fake.video("Woon-werkverkeer vlog #12", "Regen, wind en files", tags="velora")
    named = fake.comment(video, "Welke fiets is dit? Een Velora?", "joost")
    fake.comment(video, "Mooie route!", "lisa")

    report = collect(db, fake, clock)

    assert report.error is None, report.error
    rows = stored(db)
    assert set(rows) == {named}
    assert rows[named]["brand"] == "Velora" and rows[named]["parent_id"] is None


def test_threads_page_back_once_and_later_runs_stop_at_what_they_saw(db, fake, clock):
    video = fake.video("Polderstroom rekening uitgelegd", minutes_ago=600)
    for i in range(130):
        fake.comment(video, f"Reactie {i} op de uitleg", f"kijker{i}", minutes_ago=500 - i)

    first = collect(db, fake, clock)
    new = fake.comment(video, "Eindelijk snap ik mijn jaarafrekening", "noor", minutes_ago=1)
    clock.advance(hours=1)
    second = collect(db, fake, clock)
    clock.advance(minutes=10)
    third = collect(db, fake, clock)

    assert first.error is None and first.inserted == 131
    pages = [r.query.get("pageToken") for r in calls(fake, "commentThreads")]
    assert pages == [None, "100", None, None]  # later runs: one page, it holds what was seen
    assert second.inserted == 1 and new in stored(db)
    searches = [r for r in calls(fake, "search") if r.query["q"].startswith("Polderstroom")]
    assert len(searches) == 2  # the third run came too soon after the second
    published = fake.videos[video]["snippet"]["publishedAt"]
    resumed = datetime.fromisoformat(searches[1].query["publishedAfter"])
    assert resumed == datetime.fromisoformat(published) - timedelta(hours=1)
    assert stored(db)[video]["brand"] == "Polderstroom"  # found once, not stored again
    assert third.error is None


def test_the_day_budget_stops_the_run_and_the_next_pacific_day_carries_on(db, fake, clock):
    videos = [fake.video(f"Smaakdoos unboxing {i}", minutes_ago=300 - i) for i in range(3)]
    comments = [
        fake.comment(video, f"Smaakdoos week {i} was lekker") for i, video in enumerate(videos)
    ]
    day = pacific_day(clock())

    first = collect(db, fake, clock, daily_quota_units=2)
    asked = len(fake.server.requests)
    again = collect(db, fake, clock, daily_quota_units=2)

    line = f"YouTube quota for {day} spent (2 of 2 units); resuming after midnight Pacific Time"
    assert first.note == line and again.note == line  # a clean stop, not a failure
    assert first.error is None and again.error is None
    assert len(fake.server.requests) == asked  # spent: the same day asks nothing more
    assert set(comments[1:]) <= set(stored(db)) and comments[0] not in stored(db)
    assert used(db, clock) == 2

    clock.advance(days=1)
    third = collect(db, fake, clock, daily_quota_units=10)

    assert third.error is None, third.error
    assert comments[0] in stored(db)
    assert used(db, clock) == 3 and pacific_day(clock()) != day


def test_youtube_saying_quota_exceeded_stops_cleanly_and_keeps_what_came_before(db, fake, clock):
    first = fake.video("Velora onderhoud", minutes_ago=100)
    second = fake.video("Velora banden wisselen", minutes_ago=200)
    kept = fake.comment(first, "Handige uitleg over de Velora ketting")
    fake.comment(second, "Welke bandenmaat heeft de Velora?")
    fake.units_left = 1  # the project's other users spent the rest

    report = collect(db, fake, clock)
    asked = len(fake.server.requests)
    again = collect(db, fake, clock)

    assert "YouTube answered quotaExceeded after 2 of 10,000 units" in report.note
    assert report.note.endswith("resuming after midnight Pacific Time")
    assert kept in stored(db) and report.inserted == 3  # both videos and the first comment
    assert used(db, clock) == 10_000
    assert again.note.startswith("YouTube quota for") and len(fake.server.requests) == asked


def test_a_spent_search_allowance_skips_searches_but_comments_still_come(db, fake, clock):
    video = fake.video("Vlog", channel=BRANDED, channel_title="Velora")
    comment = fake.comment(video, "Wanneer komt de nieuwe accu?")
    fake.server.fail_next("/youtube/v3/search", QUOTA_EXCEEDED)

    report = collect(db, fake, clock, channels=[YouTubeChannel(id=BRANDED, brand="Velora")])

    assert report.error is None, report.error
    assert len(calls(fake, "search")) == 1  # the other brands' searches were not tried
    assert stored(db)[comment]["brand"] == "Velora"


def test_a_rate_limit_is_waited_out_and_server_errors_are_retried(db, fake, clock):
    video = fake.video("Polderstroom storing vandaag", minutes_ago=100)
    comment = fake.comment(video, "Hier ook geen stroom sinds 9 uur")
    fake.server.fail_next("/youtube/v3/commentThreads", Response(429, {}, {"Retry-After": "7"}))
    fake.server.fail_next("/youtube/v3/commentThreads", Response(503, {}), times=2)
    waits: list[float] = []

    report = collect(db, fake, clock, waits=waits)

    assert report.error is None, report.error
    assert waits == [7.0, 2.0, 4.0]
    assert comment in stored(db)
    assert used(db, clock) == 4  # Google charges failed calls too


def test_a_video_that_keeps_failing_is_reported_and_the_others_still_collect(db, fake, clock):
    broken = fake.video("Smaakdoos recepten", minutes_ago=50)
    fine = fake.video("Smaakdoos review", minutes_ago=500)
    fake.comment(broken, "Smaakdoos pasta was top")
    kept = fake.comment(fine, "Smaakdoos is te duur geworden")
    fake.server.fail_next("/youtube/v3/commentThreads", Response(502, {}), times=5)

    report = collect(db, fake, clock)

    assert report.error.startswith(f"1 YouTube steps failed; first: video {broken}")
    assert kept in stored(db)


def test_named_channels_keep_every_comment_or_only_branded_ones(db, fake, clock):
    own = fake.video("Zo stel je je zadel af", channel=BRANDED, channel_title="Velora")
    vlog = fake.video("Dagje fietsen", channel=UNBRANDED)
    closed = fake.video("Polderstroom uitleg", minutes_ago=30)
    fake.closed.add(closed)
    own_comment = fake.comment(own, "Dank, eindelijk zit ik goed")
    named = fake.comment(vlog, "Is dat een Velora of een Gazelle?")
    fake.comment(vlog, "Prachtig weer was het")
    channels = [YouTubeChannel(id=BRANDED, brand="Velora"), UNBRANDED]

    first = collect(db, fake, clock, channels=channels)
    clock.advance(hours=1)
    collect(db, fake, clock, channels=channels)

    assert first.error is None, first.error
    rows = stored(db)
    assert set(rows) == {own_comment, named, closed}  # the last one: a video naming a brand
    assert rows[own_comment]["brand"] == "Velora" and rows[own_comment]["parent_id"] is None
    asked = [r.query.get("allThreadsRelatedToChannelId") for r in calls(fake, "commentThreads")]
    assert asked.count(BRANDED) == asked.count(UNBRANDED) == 2
    closed_calls = [r for r in calls(fake, "commentThreads") if r.query.get("videoId") == closed]
    assert len(closed_calls) == 1  # comments off: not asked again


def test_replies_under_a_followed_umot_comment_are_fetched(db, fake, clock):
    video = fake.video("Velora kopen?", minutes_ago=400)
    top = fake.comment(video, "Mijn Velora is na een jaar nog als nieuw", "eva", minutes_ago=300)
    fake.reply(top, "Goed om te horen!", "VeloraCare", minutes_ago=200)
    collect(db, fake, clock)
    db["classifications"].insert(
        {
            "mention_id": f"youtube:{top}",
            "model_id": "m",
            "stage": "advocacy",
            "sentiment": "positive",
            "classified_at": "2026-01-01T00:00:00Z",
        }
    )
    late = fake.reply(top, "Welk model heb je?", "tim", minutes_ago=5)

    collect(db, fake, clock, max_videos=0)  # only the follow step reads comments now

    assert stored(db)[late]["parent_id"] == f"youtube:{top}"
    assert [r.query["parentId"] for r in calls(fake, "comments")] == [top]


def test_malformed_items_become_rejects_and_the_rest_is_kept(db, fake, clock):
    video = fake.video("Velora tips", minutes_ago=100)
    broken_video = fake.video("Velora accu", minutes_ago=90)
    del fake.videos[broken_video]["id"]["videoId"]
    good = fake.comment(video, "Handig, dank voor de Velora tips")
    bad = fake.comment(video, "Velora?")
    del fake.threads[bad]["snippet"]["topLevelComment"]
    top = fake.comment(video, "Mijn Velora piept")
    reply = fake.reply(top, "Smeer de ketting")
    del fake.replies[top][0]["snippet"]

    report = collect(db, fake, clock)

    assert report.rejected == 3 and {good, top, video} <= set(stored(db))
    reasons = [row[0] for row in db.execute("SELECT reason FROM rejects ORDER BY id")]
    assert any("'videoId'" in reason for reason in reasons)
    assert any("'topLevelComment'" in reason for reason in reasons)
    assert any("'snippet'" in reason for reason in reasons) and reply not in stored(db)


def test_a_missing_or_refused_key_is_one_line_naming_its_variable(db, fake, clock):
    with pytest.raises(SourceUnavailable, match="UMOT_YOUTUBE_API_KEY"):
        collect(db, fake, clock, environ={})
    fake.video("Velora", minutes_ago=10)

    report = collect(db, fake, clock, environ={"UMOT_YOUTUBE_API_KEY": "wrong-key"})

    assert report.error.startswith(
        "YouTube refused the API key in UMOT_YOUTUBE_API_KEY (API_KEY_INVALID)"
    )
    assert "wrong-key" not in report.error
    assert len(fake.server.requests) == 1  # not retried, the other brands not tried


def test_config_reads_channels_as_ids_or_tables_and_checks_them(tmp_path):
    config = parse_config(
        {
            "sources": {
                "youtube": {
                    "enabled": True,
                    "channels": [UNBRANDED, {"id": BRANDED, "brand": "Velora"}],
                    "daily_quota_units": 5000,
                }
            }
        },
        base_dir=tmp_path,
        origin="config.toml",
    )
    source = config.sources["youtube"]
    assert source.channels == [UNBRANDED, YouTubeChannel(id=BRANDED, brand="Velora")]
    assert source.credential_envs() == [("UMOT_YOUTUBE_API_KEY", True)]
    with pytest.raises(ConfigError, match=r"sources\.youtube\.channels"):
        parse_config(
            {"sources": {"youtube": {"channels": ["@VeloraCare"]}}},
            base_dir=tmp_path,
            origin="config.toml",
        )
