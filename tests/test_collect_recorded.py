"""The collectors against replays of payloads shaped like real recorded API responses.

The hand-written fakes (``tests/fakes/x_api.py`` ...) cover paging, cursors and failures;
these replays cover what real pages carry and the fakes did not: the same post both
matched and referenced, HTML-escaped text, retweets with the original's counts, legacy
language codes, boosts, media-only posts, deleted comments and ``more`` objects.
"""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from collectors.http import RetryPolicy
from storage import get_cursor, migrate, queries, upsert_mentions
from storage.mention import CONTEXT_QUERY
from storage.schema import MIGRATIONS
from storage.writes import index_new_text
from tests.conftest import make_mention
from tests.fakes.recorded import RecordedMastodon, RecordedReddit, RecordedX
from tests.fakes.server import FakeServer
from umot.brands import BrandMatcher
from umot.classify import classify_database
from umot.config import Config, MastodonSource, RedditSource, XSource
from umot.pipeline import run_collector
from umot.sources import build_collector

TOKEN = "recorded-bearer"
REDDIT_ID, REDDIT_SECRET = "recorded-id", "recorded-secret"
BRANDS = [
    {"name": "Velora", "queries": ["Velora", "#velora"], "own_handles": ["Velora_NL"]},
    {"name": "Polderstroom", "queries": ["Polderstroom"]},
    {"name": "H&M", "queries": ["H&M"]},
]
VELORA_QUERY = "(Velora OR #velora)"

# Ids in tests/fixtures/recorded/x_search_page*.json
COMPLAINT = "1993012877312456704"  # a hit, replied to and quoted by other hits
QUESTION = "1993009213642883072"  # context on page 1 (replied to), a hit on page 2
RETWEET, ORIGINAL = "1993031777093730304", "1992870342318792704"
LONG_POST = "1993040201551216640"
INDONESIAN, EMOJI_ONLY = "1993047316860825600", "1993050982049214464"
SALE_TWEET = "1993053106452807680"  # context only, names H&M as "H&amp;M"
QUOTE_OF_DELETED, DELETED = "1993057001245945856", "1992655019384037376"
NO_CREATED_AT = "1993058822504239104"


def config() -> Config:
    return Config.model_validate({"brands": BRANDS})


def run(db, name, source, environ, *, batch_size=20_000):
    settings = config()
    policy = RetryPolicy(sleep=[].append)
    collector = build_collector(
        name, source, config=settings, db=db, environ=environ, policy=policy
    )
    return run_collector(
        db, collector, matcher=BrandMatcher(settings.brands), batch_size=batch_size
    )


def stored(db, platform):
    rows = db.query(
        "SELECT m.*, a.handle, a.name AS author_name, a.followers FROM mentions m "
        "LEFT JOIN authors a ON a.id = m.author_id WHERE m.platform = ?",
        [platform],
    )
    return {row["native_id"]: row for row in rows}


@pytest.fixture
def x_server():
    with FakeServer(RecordedX(TOKEN).handle) as server:
        yield server


def collect_x(db, server, **kwargs):
    source = XSource(enabled=True, base_url=server.url)
    return run(db, "x", source, {"UMOT_X_BEARER_TOKEN": TOKEN}, **kwargs)


# ---- X ------------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [1, 20_000], ids=["batch-per-post", "one-batch"])
def test_x_a_post_both_matched_and_referenced_keeps_what_the_match_knows(db, x_server, batch_size):
    report = collect_x(db, x_server, batch_size=batch_size)

    assert report.error is None, report.error
    rows = stored(db, "x")
    # Matched, then referenced by two other hits on the same page.
    assert (rows[COMPLAINT]["brand"], rows[COMPLAINT]["query"]) == ("Velora", VELORA_QUERY)
    # Referenced on page 1 (context first), matched on page 2: the match wins.
    assert (rows[QUESTION]["brand"], rows[QUESTION]["query"]) == ("Velora", VELORA_QUERY)
    # Posts only seen as context keep that mark.
    assert rows[ORIGINAL]["query"] == rows[SALE_TWEET]["query"] == CONTEXT_QUERY
    assert all(row["query"] is not None for row in rows.values())


def test_x_a_later_context_copy_never_overwrites_a_stored_match(db, x_server):
    collect_x(db, x_server)
    # Whatever order later sightings come in, a context copy cannot take brand or query.
    stored_row = stored(db, "x")[COMPLAINT]
    context_copy = make_mention(
        native_id=COMPLAINT, brand=None, query=CONTEXT_QUERY, text="whatever", likes=40
    )
    upsert_mentions(db, [context_copy], source="x")

    row = stored(db, "x")[COMPLAINT]
    assert (row["brand"], row["query"], row["text"]) == (
        "Velora",
        VELORA_QUERY,
        stored_row["text"],
    )
    assert row["likes"] == 40  # counts still refresh


@pytest.mark.parametrize("order", ["match-first", "context-first"])
@pytest.mark.parametrize("batches", ["one-batch", "two-batches"])
def test_a_match_and_a_context_copy_combine_the_same_way_in_or_across_batches(db, order, batches):
    """Any source, any order: the match's brand and query win, the first text stays,
    the freshest counts are kept."""
    match = make_mention(native_id="77", brand="Velora", query="velora", text="Velora kapot")
    context = make_mention(
        native_id="77",
        brand=None,
        query=CONTEXT_QUERY,
        text="Velora kapot",
        likes=40,
        parent_id="70",
    )
    sightings = [match, context] if order == "match-first" else [context, match]
    if batches == "one-batch":
        upsert_mentions(db, sightings, source="x")
    else:
        for sighting in sightings:
            upsert_mentions(db, [sighting], source="x")

    (row,) = db.query("SELECT * FROM mentions")
    assert (row["brand"], row["query"], row["parent_id"]) == ("Velora", "velora", "x:70")
    assert row["likes"] == sightings[-1].likes


def test_x_text_is_stored_unescaped_and_brands_are_matched_on_it(db, x_server):
    collect_x(db, x_server)

    rows = stored(db, "x")
    assert rows[COMPLAINT]["text"].startswith("Velora Tour 5 > 3 weken oud")
    assert "Service & support" in rows[COMPLAINT]["text"]
    assert "&amp;" not in "".join(row["text"] for row in rows.values())
    # A context tweet that names "H&M" (sent as "H&amp;M") is matched to that brand.
    assert (
        rows[SALE_TWEET]["text"]
        == "Morgen 40% korting bij H&M <- wie gaat er mee?? @fleur_twijfelt"
    )
    assert rows[SALE_TWEET]["brand"] == "H&M"
    # A long post: the whole note, unescaped too.
    assert rows[LONG_POST]["text"].endswith("keeps parts in stock. Rating 4/5 <3")
    assert "rattles & the dealer" in rows[LONG_POST]["text"]
    hits = queries.search_mentions(db, "support")
    assert COMPLAINT in {hit["native_id"] for hit in hits}


def test_x_a_retweet_has_the_originals_text_and_no_engagement_of_its_own(db, x_server):
    collect_x(db, x_server)

    rows = stored(db, "x")
    retweet, original = rows[RETWEET], rows[ORIGINAL]
    assert retweet["reposted_id"] == f"x:{ORIGINAL}"
    assert retweet["text"] == original["text"]
    assert not retweet["text"].startswith("RT @") and not retweet["text"].endswith("…")
    assert "2025 & 2026" in retweet["text"]
    assert (retweet["likes"], retweet["reposts"], retweet["replies"], retweet["quotes"]) == (
        0,
        0,
        0,
        0,
    )
    assert (retweet["handle"], retweet["followers"]) == ("jeroen_forenst", 5208)
    assert (original["reposts"], original["likes"], original["followers"]) == (1843, 5120, 210344)


def test_x_language_codes_are_normalised(db, x_server):
    collect_x(db, x_server)

    rows = stored(db, "x")
    assert rows[INDONESIAN]["lang"] == "id"  # X's legacy "in"
    assert rows[EMOJI_ONLY]["lang"] is None  # "qme": no linguistic content
    assert rows[COMPLAINT]["lang"] == "nl"


def test_x_a_rejected_tweet_says_it_will_not_be_fetched_again(db, x_server):
    report = collect_x(db, x_server)

    assert report.rejected == 1
    (reject,) = queries.recent_rejects(db)
    assert reject["native_id"] == NO_CREATED_AT
    assert "created_at" in reject["reason"]
    assert "not fetched again" in reject["reason"]
    # The cursor moved past it: the next run asks only for newer posts.
    assert get_cursor(db, "x", VELORA_QUERY) == "1993061207167389696"
    again = collect_x(db, x_server)
    assert (again.inserted, again.rejected) == (0, 0)


def test_x_partial_errors_and_missing_originals_still_link_up(db, x_server):
    report = collect_x(db, x_server)

    rows = stored(db, "x")
    # The quoted tweet was deleted (an `errors` entry on the page): the link is kept.
    assert rows[QUOTE_OF_DELETED]["quoted_id"] == f"x:{DELETED}"
    assert DELETED not in rows
    reply_to_question = rows["1993061207167389696"]
    assert reply_to_question["parent_id"] == f"x:{QUESTION}"
    assert reply_to_question["conversation_id"] == f"x:{QUESTION}"
    # 11 + 2 hits and 3 context copies were yielded; the question was both (one row),
    # one hit was rejected; the complaint's context copies were never yielded.
    assert (report.fetched, report.inserted, report.rejected) == (16, 14, 1)


# ---- Mastodon -----------------------------------------------------------------------


@pytest.fixture
def mastodon_server():
    with FakeServer(RecordedMastodon().handle) as server:
        yield server


def collect_mastodon(db, server):
    source = MastodonSource(enabled=True, instances=[server.url], hashtags=["velora"])
    report = run(db, "mastodon", source, {})
    host = server.url.removeprefix("http://")
    return report, host


def follow_complaint_thread(db, server):
    """Collect, let the complaint count as a UMOT post, collect again: its replies (which
    name no tag) come from ``/context``, as media-only replies do on real instances."""
    _first, host = collect_mastodon(db, server)
    complaint = f"mastodon:{host}:{RecordedMastodon.THREAD}"
    db["classifications"].insert(
        {
            "mention_id": complaint,
            "model_id": "m",
            "stage": "experience",
            "sentiment": "negative",
            "classified_at": "2026-11-01T00:00:00Z",
        }
    )
    report, _host = collect_mastodon(db, server)
    assert server.requests_to(f"/api/v1/statuses/{RecordedMastodon.THREAD}/context")
    return report, host


def test_mastodon_a_boost_carries_the_boosted_posts_language_link_and_quote(db, mastodon_server):
    report, host = collect_mastodon(db, mastodon_server)

    assert report.error is None, report.error
    rows = stored(db, "mastodon")
    boost = rows[f"{host}:115600350022917734"]
    assert boost["lang"] == "de"  # the wrapper's language is null
    assert boost["url"] == "https://radler.example/@jana/115600298761002211"
    assert boost["reposted_id"] == f"mastodon:{host}:115600298812774400"
    assert boost["quoted_id"] == f"mastodon:{host}:115600301776126003"
    assert boost["text"].startswith("Genau das. Mein #Velora Händler wollte 180 €")
    assert (boost["likes"], boost["reposts"], boost["handle"]) == (0, 0, "ruben")
    # The boosted status is stored as context, so the boost's link resolves.
    boosted = rows[f"{host}:115600298812774400"]
    assert (boosted["handle"], boosted["likes"], boosted["query"]) == (
        "jana@radler.example",
        128,
        CONTEXT_QUERY,
    )
    assert boosted["brand"] == "Velora"


def test_mastodon_media_only_replies_are_kept_with_their_descriptions(db, mastodon_server):
    report, host = follow_complaint_thread(db, mastodon_server)

    assert report.rejected == 0
    rows = stored(db, "mastodon")
    # A media-only reply's content is only the @mention of the author it answers.
    video = rows[f"{host}:115600412992004117"]
    assert video["text"] == "@ingrid\n[video]"
    assert video["parent_id"] == f"mastodon:{host}:115600301776126003"
    assert video["brand"] == "Velora"  # the brand of the thread it sits in
    photos = rows[f"{host}:115600377130911872"]
    assert photos["text"] == (
        "@ingrid\n[image] Close-up van de accu van mijn Velora: de connector is zwart "
        "geblakerd en half gesmolten\n[image]"
    )
    warned = rows[f"{host}:115600320551810011"]
    assert warned["text"].startswith("klacht, lang verhaal\n\n@ingrid Zelfde hier.")
    assert (warned["handle"], warned["author_name"]) == ("sophie", None)  # display_name ""


def test_textless_posts_are_labelled_by_rule_and_described_ones_by_the_model(
    db, mastodon_server, classifier
):
    _report, host = follow_complaint_thread(db, mastodon_server)

    classify_database(db, classifier)

    labels = {
        row["mention_id"]: (row["sentiment"], row["stage"], row["stage_scores"])
        for row in db.query("SELECT * FROM classifications")
    }
    video = labels[f"mastodon:{host}:115600412992004117"]
    assert video[:2] == ("neutral", "none")
    assert '"none": 1.0' in video[2]
    photos = labels[f"mastodon:{host}:115600377130911872"]
    assert '"none": 1.0' not in photos[2]  # the description was read by the model


# ---- Reddit -------------------------------------------------------------------------


@pytest.fixture
def reddit_server():
    with FakeServer(RecordedReddit(REDDIT_ID, REDDIT_SECRET).handle) as server:
        yield server


def collect_reddit(db, server):
    source = RedditSource(
        enabled=True,
        reddit_url=server.url,
        oauth_url=server.url,
        subreddits=["thenetherlands"],
    )
    environ = {"UMOT_REDDIT_CLIENT_ID": REDDIT_ID, "UMOT_REDDIT_CLIENT_SECRET": REDDIT_SECRET}
    return run(db, "reddit", source, environ)


def test_reddit_more_objects_are_expanded_into_a_linked_forest(db, reddit_server):
    report = collect_reddit(db, reddit_server)

    assert report.error is None, report.error
    assert reddit_server.requests_to("/api/morechildren")
    rows = stored(db, "reddit")
    assert rows["t1_lz8d9xk"]["parent_id"] == "reddit:t1_lz8a0f1"  # behind a nested more
    assert rows["t1_lz8e2ab"]["parent_id"] == "reddit:t1_lz8d9xk"
    assert rows["t1_lz8h6pp"]["parent_id"] == "reddit:t3_1h3kq9x"  # behind a top-level more
    assert rows["t1_lz8g0hh"]["text"].startswith("Velora niet doen. Accu na 3 weken stuk & ze")
    assert rows["t1_lz8a0f1"]["url"] == (
        "https://www.reddit.com/r/thenetherlands/comments/1h3kq9x/ervaringen_met_velora_ebike/"
        "lz8a0f1/"
    )


def test_reddit_deleted_comments_keep_the_thread_but_are_not_mentions(db, reddit_server):
    collect_reddit(db, reddit_server)

    rows = stored(db, "reddit")
    deleted, removed = rows["t1_lz8b7mm"], rows["t1_lz8f4ty"]
    assert (deleted["deleted"], removed["deleted"]) == (1, 1)
    assert deleted["author_id"] is None
    below = rows["t1_lz8c1qa"]
    assert below["parent_id"] == "reddit:t1_lz8b7mm" and below["deleted"] == 0
    # The reply under the deleted comment is still downstream of the post; the deleted
    # comment itself is not counted there, nor queued for classification, nor in stats.
    downstream = {r["native_id"] for r in queries.downstream_of(db, "reddit:t3_1h3kq9x")}
    assert "t1_lz8c1qa" in downstream and "t1_lz8b7mm" not in downstream
    queued = {r["id"] for batch in queries.unclassified_mentions(db, "m") for r in batch}
    assert "reddit:t1_lz8b7mm" not in queued and "reddit:t1_lz8c1qa" in queued
    assert queries.count_unclassified(db, "m") == len(queued)
    counted = len(rows) - 2
    assert queries.table_counts(db)["mentions"] == counted
    assert sum(n for _, n in queries.grouped_counts(db, "platform")) == counted
    assert not queries.search_mentions(db, "deleted")
    # The report's rows and the spike rule's windows leave them out too.
    from datetime import UTC, datetime, timedelta

    from storage import insights
    from storage.signals import window_counts

    start, end = datetime.now(UTC) - timedelta(days=3), datetime.now(UTC)
    assert len(list(insights.period_rows(db, None, start, end))) == counted
    windows = window_counts(db, None, start, end, 3 * 86_400)
    assert sum(w["mentions"] for w in windows) == counted - sum(
        1 for row in rows.values() if row["brand"] is None and not row["deleted"]
    )
    db.execute("UPDATE mentions SET created_at = '2020-01-01T00:00:00Z' WHERE deleted = 1")
    assert queries.time_range(db)[0] > "2020-01-02"


def test_reddit_comments_without_permalink_get_a_url_built_from_their_ids(db, reddit_server):
    report = collect_reddit(db, reddit_server)

    assert report.rejected == 0
    rows = stored(db, "reddit")
    old = rows["t1_lz7q2ee"]
    assert old["url"] == "https://www.reddit.com/r/thenetherlands/comments/1h2zz01/_/lz7q2ee/"
    assert (old["brand"], old["conversation_id"]) == ("Velora", "reddit:t3_1h2zz01")
    assert rows["t1_lz7p9aa"]["brand"] == "Polderstroom"
    # Read from the payload: no per-comment request to look for a permalink.
    assert not reddit_server.requests_to("/api/info")


def test_a_version_3_database_is_mended_by_migration_4(tmp_path):
    """What older versions stored wrongly is repaired; everything else stays as it was."""
    database = sqlite_utils.Database(sqlite3.connect(tmp_path / "v3.db"))
    migrate(database, MIGRATIONS[:3])
    rows = [  # id, text, parent, reposted, reposts, lang
        ("reddit:t1_gone", "[deleted]", "reddit:t3_p", None, 5, None),
        ("reddit:t1_kept", "Velora [deleted] my order", "reddit:t3_p", None, 5, "en"),
        ("reddit:t3_p", "[removed]", None, None, 5, None),  # a post, not a comment
        ("x:orig", "Velora &amp; co roepen accu's terug &lt;3", None, None, 1843, "nl"),
        ("x:rt", "RT @wj: Velora &amp; co roepen…", None, "x:orig", 1843, "nl"),
        ("x:rt_lost", "RT @wj: original not stored…", None, "x:gone", 12, "in"),
        ("x:plain", "Velora, goed spul", None, None, 2, "nl"),
    ]
    for key, text, parent, reposted, reposts, lang in rows:
        platform, native = key.split(":")
        database.execute(
            "INSERT INTO mentions (id, platform, native_id, source, text, created_at, "
            "collected_at, updated_at, parent_id, reposted_id, reposts, lang) "
            "VALUES (?, ?, ?, 't', ?, '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z', "
            "'2026-11-01T00:00:00Z', ?, ?, ?, ?)",
            [key, platform, native, text, parent, reposted, reposts, lang],
        )
        database.execute(
            "INSERT INTO classifications (mention_id, model_id, lang, sentiment, stage, "
            "classified_at) VALUES (?, 'm', ?, 'neutral', 'none', '2026-11-01T00:00:00Z')",
            [key, lang],
        )
    index_new_text(database)

    migrate(database)

    mentions = {row["id"]: row for row in database.query("SELECT * FROM mentions")}
    assert {key for key, row in mentions.items() if row["deleted"]} == {"reddit:t1_gone"}
    assert mentions["x:orig"]["text"] == "Velora & co roepen accu's terug <3"
    assert mentions["x:rt"]["text"] == mentions["x:orig"]["text"]  # the original's text
    assert mentions["x:rt_lost"]["text"] == "RT @wj: original not stored…"  # nothing better
    assert (mentions["x:rt"]["reposts"], mentions["x:orig"]["reposts"]) == (0, 1843)
    assert mentions["x:rt_lost"]["lang"] == "id"
    labels = {row["mention_id"]: row for row in database.query("SELECT * FROM classifications")}
    # Deleted comments and rewritten texts lose their labels and are classified again.
    assert set(labels) == {"reddit:t1_kept", "reddit:t3_p", "x:rt_lost", "x:plain"}
    assert labels["x:rt_lost"]["lang"] == "id"
    assert {r["native_id"] for r in queries.search_mentions(database, "co")} == {"orig", "rt"}
    assert database.execute("INSERT INTO mentions_fts(mentions_fts) VALUES ('integrity-check')")
