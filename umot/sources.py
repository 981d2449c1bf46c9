"""From configured sources to collector objects: credentials, queries, threads to follow.

This is the only place that reads credentials (from the environment variables named in
config) and the only place that tells collectors which UMOT posts' threads to fetch, so
collectors stay free of config, storage and nlp.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlite_utils

from collectors.base import BrandQuery, Collector, Thread
from collectors.bluesky import AppView
from collectors.bluesky_account import BlueskyAccount
from collectors.demo import DemoCollector
from collectors.hackernews import HackerNewsCollector
from collectors.http import CredentialError, RetryPolicy, require_env
from collectors.jetstream import JetstreamCollector
from collectors.mastodon import MastodonCollector
from collectors.reddit import RedditCollector
from collectors.rss import RssCollector
from collectors.x import XCollector
from collectors.youtube import YouTubeCollector
from storage import queries
from umot.brands import BrandMatcher
from umot.config import (
    BlueskySource,
    Config,
    DemoSource,
    FeedConfig,
    HackerNewsSource,
    MastodonSource,
    NetworkSource,
    RedditSource,
    RssSource,
    XSource,
    YouTubeChannel,
    YouTubeSource,
)


class SourceUnavailable(ValueError):
    """A configured source cannot run: a missing credential or an unknown type."""


def build_collector(
    name: str,
    settings: object,
    *,
    config: Config,
    db: sqlite_utils.Database | None = None,
    environ: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
    listen: Listen | None = None,
) -> Collector:
    """``listen`` bounds a streaming source (how long, what stops it); default: its
    ``collect_seconds``."""
    environ = os.environ if environ is None else environ
    if isinstance(settings, BlueskySource):
        return _bluesky(name, settings, config, db, environ, policy, listen)
    try:
        return _build(name, settings, config, db, environ, policy)
    except CredentialError as error:
        raise SourceUnavailable(f"source {name!r}: {error}") from None


def _build(
    name: str,
    settings: object,
    config: Config,
    db: sqlite_utils.Database | None,
    environ: Mapping[str, str],
    policy: RetryPolicy | None,
) -> Collector:
    if isinstance(settings, DemoSource):
        return DemoCollector(
            name,
            seed=settings.seed,
            weeks=settings.weeks,
            mentions_per_day=settings.mentions_per_day,
        )
    if not isinstance(settings, NetworkSource):
        kind = getattr(settings, "type", type(settings).__name__)
        raise SourceUnavailable(f"source {name!r}: umot has no {kind!r} collector")
    policy = policy or RetryPolicy(max_wait_seconds=settings.max_wait_seconds)
    brand_queries = [BrandQuery(brand.name, tuple(brand.queries)) for brand in config.brands]
    matcher = BrandMatcher(config.brands)

    def keep(text: str) -> bool:
        return matcher.match(text) is not None

    if isinstance(settings, XSource):
        token = require_env(environ, settings.bearer_token_env, "an X API bearer token")
        return XCollector(
            name,
            bearer_token=token,
            token_env=settings.bearer_token_env,
            queries=brand_queries,
            follow=_follow(db, name, settings, config) if settings.fetch_conversations else [],
            max_results_per_query=settings.max_results_per_query,
            max_results_per_conversation=settings.max_results_per_conversation,
            include_retweets=settings.include_retweets,
            base_url=settings.base_url,
            timeout=settings.timeout_seconds,
            policy=policy,
            max_posts_per_day=settings.max_posts_per_day or None,
        )
    if isinstance(settings, RedditSource):
        what = "the client id of a Reddit app (https://www.reddit.com/prefs/apps)"
        client_id = require_env(environ, settings.client_id_env, what)
        secret = require_env(environ, settings.client_secret_env, "the Reddit app's secret")
        return RedditCollector(
            name,
            client_id=client_id,
            client_secret=secret,
            credential_envs=(settings.client_id_env, settings.client_secret_env),
            user_agent=settings.user_agent,
            queries=brand_queries,
            keep=keep,
            follow=_follow(db, name, settings, config),
            subreddits=settings.subreddits,
            limit_per_query=settings.limit_per_query,
            thread_days=settings.thread_days,
            max_threads=settings.max_threads,
            more_comments=settings.more_comments,
            subreddit_comments=settings.subreddit_comments,
            reddit_url=settings.reddit_url,
            oauth_url=settings.oauth_url,
            timeout=settings.timeout_seconds,
            policy=policy,
        )
    if isinstance(settings, MastodonSource):
        return MastodonCollector(
            name,
            instances=settings.instances,
            hashtags=mastodon_hashtags(settings, config),
            queries=brand_queries,
            follow=_follow(db, name, settings, config),
            token=environ.get(settings.access_token_env, "").strip() or None,
            token_env=settings.access_token_env,
            max_pages=settings.max_pages,
            policy=policy,
        )
    if isinstance(settings, YouTubeSource):
        what = "a YouTube Data API v3 key (Google Cloud console → APIs & Services → Credentials)"
        return YouTubeCollector(
            name,
            api_key=require_env(environ, settings.api_key_env, what),
            key_env=settings.api_key_env,
            queries=brand_queries,
            keep=keep,
            channels=[
                (c.id, c.brand) if isinstance(c, YouTubeChannel) else (c, None)
                for c in settings.channels
            ],
            follow=_follow(db, name, settings, config),
            daily_quota_units=settings.daily_quota_units,
            daily_search_calls=settings.daily_search_calls,
            search_units=settings.search_units,
            search_pages=settings.search_pages,
            video_days=settings.video_days,
            max_videos=settings.max_videos,
            comment_pages=settings.comment_pages,
            reply_pages=settings.reply_pages,
            base_url=settings.base_url,
            timeout=settings.timeout_seconds,
            policy=policy,
        )
    if isinstance(settings, RssSource):
        feeds = [
            (feed.url, feed.brand) if isinstance(feed, FeedConfig) else (feed, None)
            for feed in settings.feeds
        ]
        if not feeds:
            raise SourceUnavailable(f"source {name!r}: list feeds under [sources.{name}]")
        return RssCollector(name, feeds=feeds, keep=keep, policy=policy)
    if isinstance(settings, HackerNewsSource):
        by_brand = {brand.name: BrandMatcher([brand]) for brand in config.brands}
        return HackerNewsCollector(
            name,
            queries=brand_queries,
            keep=lambda text, brand: by_brand[brand].match(text) is not None,
            base_url=settings.base_url,
            hits_per_page=settings.hits_per_page,
            max_hits_per_query=settings.max_hits_per_query,
            lookback_days=settings.lookback_days,
            timeout=settings.timeout_seconds,
            policy=policy,
        )
    raise SourceUnavailable(f"source {name!r}: umot has no {settings.type!r} collector")


@dataclass(frozen=True)
class Listen:
    """How long a streaming source listens (None: until ``stop`` is set)."""

    seconds: float | None
    stop: threading.Event | None = None


def _bluesky(
    name: str,
    settings: BlueskySource,
    config: Config,
    db: sqlite_utils.Database | None,
    environ: Mapping[str, str],
    policy: RetryPolicy | None,
    listen: Listen | None,
) -> Collector:
    listen = listen or Listen(settings.collect_seconds)
    handle = environ.get(settings.handle_env, "").strip()
    password = environ.get(settings.app_password_env, "").strip()
    if bool(handle) != bool(password):
        missing = settings.app_password_env if handle else settings.handle_env
        raise SourceUnavailable(
            f"source {name!r}: set {missing} too (an account needs both), or neither"
        )
    matcher = BrandMatcher(config.brands)
    policy = policy or RetryPolicy(max_wait_seconds=settings.max_wait_seconds)
    appview = AppView(str(settings.appview_url), policy=policy, timeout=settings.timeout_seconds)
    return JetstreamCollector(
        name,
        keep=lambda text: matcher.match(text) is not None,
        terms=[term for brand in config.brands for term in brand.queries],
        appview=appview,
        endpoints=settings.endpoints,
        follow=_follow(db, name, settings, config),
        seconds=listen.seconds,
        stop=listen.stop,
        rewind_seconds=settings.rewind_seconds,
        idle_seconds=settings.idle_seconds,
        account=BlueskyAccount(
            handle,
            password,
            service=str(settings.service_url),
            envs=(settings.handle_env, settings.app_password_env),
            policy=policy,
            timeout=settings.timeout_seconds,
        )
        if handle
        else None,
        backfill_hours=settings.backfill_hours,
        backfill_after_seconds=settings.backfill_after_minutes * 60,
    )


def mastodon_hashtags(settings: MastodonSource, config: Config) -> list[tuple[str, str | None]]:
    """Configured tags, else each brand's ``#tag`` terms and its name as a tag."""
    if settings.hashtags:
        matcher = BrandMatcher(config.brands)
        tags = [tag.lstrip("#") for tag in settings.hashtags]
        return [(tag, (matcher.match(f"#{tag}") or (None,))[0]) for tag in tags]
    found: dict[str, str] = {}
    for brand in config.brands:
        for term in [*brand.queries, brand.name]:
            tag = term.lstrip("#").replace(" ", "").lower()
            if tag.isalnum() or tag.replace("_", "").isalnum():
                found.setdefault(tag, brand.name)
    return list(found.items())


def _follow(
    db: sqlite_utils.Database | None, source: str, settings: NetworkSource, config: Config
) -> list[Thread]:
    if db is None or settings.follow_umot_days == 0:
        return []
    rows = queries.umot_posts_to_follow(
        db,
        source,
        stages=list(config.journey.umot_stages),
        since=datetime.now(UTC) - timedelta(days=settings.follow_umot_days),
        limit=settings.max_followed_threads,
    )
    return [Thread(row["native_id"], row["conversation_id"], row["brand"]) for row in rows]
