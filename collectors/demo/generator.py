"""A seeded, realistic-looking stream of brand mentions for the embedded demo.

Each UTC day is generated from its own seed (``seed:date``), so any day can be rebuilt
on its own and the stream is identical on every machine: collecting it twice gives the
same ids, and tomorrow's run simply continues it. The stream has three invented brands,
five languages, three platforms, incident days with negative spikes, and reply/quote/
repost threads in which customers' experiences are answered by people still deciding,
some of whom buy later -- the raw material for alerts, the influence analysis and the
weekly report. The true stage and sentiment of every post is kept in ``raw["demo"]``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from collectors.demo.model import DEMO_BRANDS, Author, DemoBrand, Post, build_authors, stable_int
from collectors.demo.shapes import native_id, post_url, reddit_fullnames
from collectors.demo.text import BANKS, Writer

LANGUAGE_SHARE = {"nl": 0.42, "en": 0.24, "de": 0.12, "fr": 0.11, "es": 0.11}
PLATFORM_SHARE = {"x": 0.5, "reddit": 0.2, "mastodon": 0.3}
STAGE_SHARE = {
    "awareness": 0.14,
    "consideration": 0.2,
    "purchase": 0.15,
    "experience": 0.26,
    "advocacy": 0.12,
    "none": 0.13,
}
SENTIMENT_SHARE = {
    "awareness": {"neutral": 0.6, "positive": 0.3, "negative": 0.1},
    "consideration": {"neutral": 0.7, "positive": 0.15, "negative": 0.15},
    "purchase": {"positive": 0.45, "negative": 0.3, "neutral": 0.25},
    "experience": {"positive": 0.45, "negative": 0.43, "neutral": 0.12},
    "advocacy": {"positive": 0.55, "negative": 0.45},
    "none": {"neutral": 1.0},
}
# Hour-of-day weights (UTC): quiet nights, a lunch bump and a busy evening.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 6, 7, 7, 7, 8, 10, 9, 7, 7, 7, 8, 10, 12, 12, 10, 6, 3]
MAX_LAG_DAYS = 12  # the longest a generated post trails the day that generated it


def _pick(rng: random.Random, shares: dict[str, float]) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


class DemoStream:
    """Generates the posts of any UTC day, deterministically from the seed."""

    def __init__(self, seed: int = 7, mentions_per_day: int = 70) -> None:
        self.seed = seed
        self.mentions_per_day = mentions_per_day
        self.authors = build_authors(seed)
        self.writer = Writer()
        self.care = {
            b.name: Author(
                b.care_handle,
                f"{b.name} klantenservice",
                "nl",
                14_500,
                str(stable_int(seed, "care", b.name) % 10**12),
            )
            for b in DEMO_BRANDS
        }

    def incident(self, brand: DemoBrand, day: date) -> bool:
        """Roughly one bad day a fortnight per brand: outages, botched deliveries."""
        return stable_int(self.seed, "incident", brand.name, day.toordinal() // 2) % 7 == 0

    def posts_for_day(self, day: date) -> list[Post]:
        rng = random.Random(f"{self.seed}:{day.isoformat()}")
        self._counter = 0
        posts: list[Post] = []
        weekday_factor = 0.8 if day.weekday() >= 5 else 1.0
        for brand in DEMO_BRANDS:
            incident = self.incident(brand, day)
            expected = (
                self.mentions_per_day * brand.share * weekday_factor * (2.6 if incident else 1)
            )
            count = max(0, round(rng.gauss(expected, math.sqrt(expected))))
            for _ in range(count):
                posts.extend(self._root_with_thread(rng, brand, day, incident))
        return posts

    # -- one root post and what follows it ---------------------------------------------

    def _root_with_thread(
        self, rng: random.Random, brand: DemoBrand, day: date, incident: bool
    ) -> list[Post]:
        stage = _pick(rng, STAGE_SHARE)
        if incident and rng.random() < 0.5:
            stage = "experience"
        sentiment = _pick(rng, SENTIMENT_SHARE[stage])
        if incident and stage in ("experience", "advocacy", "purchase") and rng.random() < 0.7:
            sentiment = "negative"
        lang = _pick(rng, LANGUAGE_SHARE)
        platform = _pick(rng, PLATFORM_SHARE)
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        created = datetime(day.year, day.month, day.day, hour, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(3600)
        )
        author = rng.choice(self.authors[lang])
        text = self.writer.compose(rng, lang, stage, sentiment, brand, long=platform == "reddit")
        root = self._post(
            rng, platform, created, author, brand, lang, text, stage, sentiment, role="root"
        )
        posts = [root]
        if stage in ("experience", "advocacy"):
            chance = (
                0.3 + (0.25 if sentiment == "negative" else 0) + min(0.3, author.followers / 20_000)
            )
            if rng.random() < chance:
                posts.extend(self._thread(rng, root))
        root.replies = sum(1 for p in posts if p.parent_id == root.native_id) + rng.randrange(3)
        root.quotes = sum(1 for p in posts if p.quoted_id == root.native_id)
        root.reposts += sum(1 for p in posts if p.reposted_id == root.native_id)
        return posts

    def _thread(self, rng: random.Random, root: Post) -> list[Post]:
        posts: list[Post] = []
        later: list[Post] = []  # purchases by exposed prospects, outside the thread
        when = root.created_at
        cared = False
        for _ in range(1 + min(7, int(rng.expovariate(0.45)))):
            when += timedelta(minutes=5 + rng.expovariate(1 / 150))
            roll = rng.random()
            if root.sentiment == "negative" and not cared and roll < 0.2:
                cared = True
                author, role, stage, sentiment = (
                    self.care[root.brand.name],
                    "care",
                    "none",
                    "neutral",
                )
                bank_key = "care"
            elif roll < 0.68:
                author = rng.choice(self.authors[root.lang])
                role, stage, sentiment = "prospect", "consideration", root.sentiment
                if root.sentiment == "neutral":
                    sentiment = "neutral"
                bank_key = f"prospect_{'negative' if root.sentiment == 'negative' else 'positive'}"
            else:
                author = rng.choice(self.authors[root.lang])
                role, stage = "customer", "experience"
                sentiment = "negative" if root.sentiment == "negative" else "positive"
                bank_key = f"agree_{sentiment}"
            if author.handle == root.author.handle:
                continue
            text = self.writer.reply_text(rng, root, bank_key, sentiment)
            quote = root.platform == "x" and role == "prospect" and rng.random() < 0.3
            reply_to = root
            if posts and not quote and role != "care" and rng.random() < 0.25:
                reply_to = rng.choice(posts)  # a nested reply, deeper in the tree
            post = self._post(
                rng,
                root.platform,
                when,
                author,
                root.brand,
                root.lang,
                text,
                stage,
                sentiment,
                role=role,
            )
            if quote:
                post.quoted_id = root.native_id
                post.conversation_id = post.native_id
            else:
                post.parent_id = reply_to.native_id
                post.conversation_id = root.conversation_id
                if root.platform == "x" and reply_to.author.handle not in post.text:
                    post.text = f"@{reply_to.author.handle} {post.text}"
            posts.append(post)
            if role == "prospect" and rng.random() < (
                0.35 if root.sentiment != "negative" else 0.08
            ):
                later.append(self._conversion(rng, post))
        if root.platform == "x" and root.stage == "advocacy":
            for _ in range(rng.randrange(3)):
                fan = rng.choice(self.authors[root.lang])
                when += timedelta(minutes=rng.randrange(1, 240))
                repost = self._post(
                    rng,
                    "x",
                    when,
                    fan,
                    root.brand,
                    root.lang,
                    f"RT @{root.author.handle}: {root.text}",
                    root.stage,
                    root.sentiment,
                    role="repost",
                )
                repost.reposted_id = root.native_id
                repost.conversation_id = repost.native_id
                posts.append(repost)
        return posts + later

    def _conversion(self, rng: random.Random, prospect: Post) -> Post:
        """A prospect from a thread who buys some days later: conversion after exposure."""
        later = prospect.created_at + timedelta(days=rng.uniform(1, MAX_LAG_DAYS - 2))
        text = self.writer.fill(
            rng, rng.choice(BANKS[prospect.lang]["reply"]["convert"]), prospect.lang, prospect.brand
        )
        platform = _pick(rng, PLATFORM_SHARE)
        return self._post(
            rng,
            platform,
            later,
            prospect.author,
            prospect.brand,
            prospect.lang,
            text,
            "purchase",
            "positive",
            role="conversion",
        )

    def _post(
        self,
        rng: random.Random,
        platform: str,
        created: datetime,
        author: Author,
        brand: DemoBrand,
        lang: str,
        text: str,
        stage: str,
        sentiment: str,
        *,
        role: str,
    ) -> Post:
        self._counter += 1
        created = created.replace(microsecond=0)  # platforms report whole seconds
        scale = math.sqrt(author.followers + 10)
        likes = int(scale * rng.uniform(0.05, 0.5) * (1.6 if sentiment == "negative" else 1))
        post = Post(
            platform,
            native_id(platform, created, rng, (self.seed, self._counter)),
            created,
            author,
            brand,
            lang,
            text,
            stage,
            sentiment,
            role,
            likes=likes,
            reposts=likes // rng.randrange(4, 12),
        )
        post.conversation_id = post.native_id
        post.url = post_url(platform, lang, author.handle, post.native_id)
        if platform == "reddit":
            post.reposts = 0
        return post


def stream_posts(stream: DemoStream, first_day: date, last_day: date) -> Iterator[Post]:
    """All posts generated by the days first_day..last_day, oldest first."""
    posts: list[Post] = []
    day = first_day
    while day <= last_day:
        posts.extend(reddit_fullnames(stream.posts_for_day(day)))
        day += timedelta(days=1)
    posts.sort(key=lambda post: (post.created_at, post.native_id))
    yield from posts
