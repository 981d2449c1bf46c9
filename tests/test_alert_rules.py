"""Each alert rule on crafted database states: it fires where it should, stays quiet elsewhere."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reports.rules import (
    RuleContext,
    negative_reach,
    negative_umot_exposure,
    robust_z,
    source_health,
    spike,
)
from storage import finish_run, start_run
from tests.alert_helpers import MODEL, NOW, add
from umot.config import Config


def context(db, config=None, now=NOW):
    return RuleContext(db, config or Config(), MODEL, now)


def config_with(**rules):
    return Config.model_validate({"alerts": {"rules": rules}})


def test_negative_reach_fires_on_followers_or_engagement_and_says_why(db):
    loud = add(db, sentiment="negative", stage="experience", followers=20_000)
    engaged = add(db, sentiment="negative", stage="advocacy", followers=10, likes=80)
    add(db, sentiment="negative", stage="experience", followers=10, likes=3)  # no reach
    add(db, sentiment="positive", stage="advocacy", followers=50_000)  # not negative
    add(db, sentiment="negative", stage="consideration", followers=50_000)  # not UMOT
    add(db, sentiment="negative", stage="experience", followers=50_000, hours_ago=100)  # old
    add(db, sentiment="negative", stage="experience", followers=50_000, author="VeloraCare")

    alerts = {a.cause: a for a in negative_reach(context(db))}

    assert set(alerts) == {loud, engaged}
    assert "20,000 followers (threshold 5,000)" in alerts[loud].details["why"]
    assert "80 engagement" in alerts[engaged].details["why"]
    assert alerts[loud].details["sentiment_confidence"] == pytest.approx(0.9)


def test_negative_reach_thresholds_per_brand_and_switch(db):
    add(db, sentiment="negative", stage="experience", followers=2_000, brand="Velora")
    add(db, sentiment="negative", stage="experience", followers=2_000, brand="Smaakdoos")
    config = config_with(negative_reach={"brands": {"Velora": {"min_followers": 1_000}}})

    assert [a.brand for a in negative_reach(context(db, config))] == ["Velora"]
    off = config_with(negative_reach={"enabled": False, "brands": {"Velora": {"min_followers": 1}}})
    assert [a.brand for a in negative_reach(context(db, off))] == []


def test_exposure_needs_prospects_downstream_of_a_negative_umot_post(db):
    umot = add(db, sentiment="negative", stage="advocacy", hours_ago=10)
    add(db, stage="consideration", parent=umot, hours_ago=9, author="twijfelaar")
    add(db, stage="awareness", quoted=umot, hours_ago=8, author="nieuwsgierig")
    add(db, stage="experience", parent=umot, hours_ago=7)  # a customer, not a prospect
    lonely = add(db, sentiment="negative", stage="experience", hours_ago=5)
    add(db, stage="experience", parent=lonely, hours_ago=4)
    happy = add(db, sentiment="positive", stage="advocacy", hours_ago=5)
    add(db, stage="consideration", parent=happy, hours_ago=4)

    alerts = negative_umot_exposure(context(db))

    assert [a.cause for a in alerts] == [umot]
    assert alerts[0].message == "2 prospects saw a negative advocacy post about Velora"
    assert {p["author"] for p in alerts[0].details["prospects"]} == {"twijfelaar", "nieuwsgierig"}
    stricter = config_with(negative_umot_exposure={"min_prospects": 3})
    assert negative_umot_exposure(context(db, stricter)) == []


def _steady(db, per_window, windows, negative_every=0):
    for window in range(1, windows + 1):
        for i in range(per_window):
            negative = negative_every and i % negative_every == 0
            add(
                db,
                sentiment="negative" if negative else "neutral",
                hours_ago=6 * window + 1 + i * 0.1,
            )


def test_volume_spike_against_a_steady_baseline(db):
    _steady(db, per_window=4, windows=28)
    for i in range(30):  # the last complete window: 06:00-12:00
        add(db, hours_ago=1 + i * 0.1)

    alerts = spike(context(db))

    assert [a.cause for a in alerts] == ["Velora:volume:2026-11-20T06:00:00Z"]
    assert alerts[0].details["baseline_median"] == 4
    assert alerts[0].details["z"] >= 4


def test_no_spike_for_normal_variation_or_a_quiet_brand(db):
    _steady(db, per_window=4, windows=28)
    for i in range(7):  # busier than usual, but within reason
        add(db, hours_ago=1 + i * 0.1)
    for i in range(9):  # a brand with no history: 9 posts is below min_mentions
        add(db, brand="Smaakdoos", hours_ago=1 + i * 0.1)

    assert spike(context(db)) == []


def test_negative_share_spike(db):
    _steady(db, per_window=10, windows=28, negative_every=10)  # 10% negative
    for i in range(10):
        add(db, sentiment="negative" if i < 7 else "neutral", hours_ago=1 + i * 0.1)

    alerts = spike(context(db))

    assert [a.cause for a in alerts] == ["Velora:negative_share:2026-11-20T06:00:00Z"]
    assert alerts[0].severity == "critical" and alerts[0].details["share"] == 0.7


def test_robust_z_uses_the_floor_when_the_baseline_is_flat():
    z, median = robust_z(6, [4.0] * 10, floor=2.0)
    assert (z, median) == (1.0, 4.0)


def _run(db, source, *, error=None, fetched=1):
    run_id = start_run(db, "collect", source)
    finish_run(db, run_id, fetched=fetched, error=error)
    return run_id


def test_source_health_failing_streak_raises_one_alert_per_streak(db):
    config = config_with(source_health={"max_failed_runs": 3})
    _run(db, "demo")
    first = _run(db, "demo", error="boom")
    _run(db, "demo", error="boom")
    assert source_health(context(db, config)) == []  # two failures: not yet

    _run(db, "demo", error="HTTP 503")
    _run(db, "demo", error="HTTP 503")
    alerts = source_health(context(db, config))

    assert [a.cause for a in alerts] == [f"demo:failing:{first}"]  # stable while it lasts
    assert alerts[0].details["last_error"] == "HTTP 503"
    _run(db, "demo")
    assert source_health(context(db, config)) == []


def test_source_health_silence(db):
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    _run(db, "demo", fetched=0)
    assert source_health(context(db, now=now + timedelta(hours=1))) == []  # too new to judge
    day_later = context(db, now=now + timedelta(hours=25))
    assert [a.cause for a in source_health(day_later)] == ["demo:silent:never"]

    _run(db, "demo", fetched=5)
    assert source_health(context(db, now=now + timedelta(hours=1))) == []
    alerts = source_health(day_later)
    assert len(alerts) == 1 and alerts[0].cause.startswith("demo:silent:2")


def test_a_repost_does_not_count_its_originals_engagement(db):
    """X copies the original's retweet_count onto every retweet; older umot versions
    stored it as the retweet's own. Neither the rule nor the report counts it."""
    from storage import insights

    original = add(db, sentiment="negative", stage="experience", followers=10, likes=80)
    repost = add(
        db,
        sentiment="negative",
        stage="experience",
        followers=10,
        reposted=original,
        reposts=1843,
        author="retweeter",
    )

    assert [a.cause for a in negative_reach(context(db))] == [original]
    rows = insights.unanswered_negative(
        db, MODEL, ["experience"], [], NOW - timedelta(days=1), NOW, None, 10
    )
    engagement = {row["id"]: row["engagement"] for row in rows}
    assert engagement == {original: 80, repost: 0}
