"""From configured sources to collector objects: credentials, queries, threads to follow.

This is the only place that reads credentials (from the environment variables named in
config) and the only place that tells collectors which UMOT posts' threads to fetch, so
collectors stay free of config, storage and nlp.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import sqlite_utils

from collectors.base import BrandQuery, Collector, Thread
from collectors.demo import DemoCollector
from collectors.http import CredentialError, RetryPolicy, require_env
from collectors.mastodon import MastodonCollector
from collectors.reddit import RedditCollector
from collectors.rss import RssCollector
from collectors.x import XCollector
from storage import queries
from umot.brands import BrandMatcher
from umot.config import (
    Config,
    DemoSource,
    FeedConfig,
    MastodonSource,
    NetworkSource,
    RedditSource,
    RssSource,
    XSource,
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
) -> Collector:
    environ = os.environ if environ is None else environ
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
    if isinstance(settings, RssSource):
        feeds = [
            (feed.url, feed.brand) if isinstance(feed, FeedConfig) else (feed, None)
            for feed in settings.feeds
        ]
        if not feeds:
            raise SourceUnavailable(f"source {name!r}: list feeds under [sources.{name}]")
        return RssCollector(name, feeds=feeds, keep=keep, policy=policy)
    raise SourceUnavailable(f"source {name!r}: umot has no {settings.type!r} collector")


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
