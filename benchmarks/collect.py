"""Collector throughput against the local fake platform APIs (no internet).

    python benchmarks/collect.py [--posts 3000]

Runs each real collector (tweepy, praw, HTTP + feedparser) through the real pipeline into
a fresh SQLite file, with the platform served on 127.0.0.1, and prints one table: posts
stored, HTTP requests, seconds and posts per second, for a first run and for a second
run that finds nothing new. On real platforms the network and the rate limits set the
pace; this shows what umot itself costs per post.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collectors.http import RetryPolicy
from storage import open_database
from tests.fakes.feeds import FakeFeeds
from tests.fakes.mastodon_api import FakeMastodon
from tests.fakes.reddit_api import CLIENT_ID, CLIENT_SECRET, FakeReddit
from tests.fakes.server import FakeServer
from tests.fakes.x_api import TOKEN, FakeX
from umot.brands import BrandMatcher
from umot.config import Config, MastodonSource, RedditSource, RssSource, XSource
from umot.pipeline import run_collector
from umot.sources import build_collector

BRANDS = ["Velora", "Polderstroom", "Smaakdoos"]


def fill_x(posts: int) -> FakeX:
    fake = FakeX()
    authors = [fake.user(str(i), f"user{i}", followers=i * 13) for i in range(200)]
    roots: list[str] = []
    for i in range(posts):
        text = f"{BRANDS[i % 3]} ervaring nummer {i}: levering was {'top' if i % 2 else 'traag'}"
        parent = roots[-1] if roots and i % 4 == 0 else None
        tweet = fake.tweet(text, authors[i % 200], posts - i, replied_to=parent)
        if parent is None:
            roots.append(tweet)
    return fake


def fill_reddit(posts: int) -> FakeReddit:
    fake = FakeReddit()
    for i in range(posts // 5):
        post = fake.post(f"{BRANDS[i % 3]} vraag {i}", f"u{i % 97}", 600 + i, body="Ervaringen?")
        parent = post
        for j in range(4):
            parent = fake.comment(f"antwoord {j} op {i}", f"c{j}", 500 + i - j, parent=parent)
    return fake


def fill_mastodon(posts: int) -> FakeMastodon:
    fake = FakeMastodon()
    for i in range(posts):
        brand = BRANDS[i % 3]
        fake.status(
            f"<p>{brand} #{brand.lower()} post {i}</p>",
            f"m{i % 50}",
            posts - i,
            tags=(brand.lower(),),
        )
    return fake


def fill_feeds(posts: int) -> FakeFeeds:
    fake = FakeFeeds()
    for i in range(posts):
        fake.entry(
            f"/feed{i % 10}.xml", f"e{i}", f"{BRANDS[i % 3]} in het nieuws {i}", "<p>Artikel</p>", i
        )
    return fake


def measure(
    name: str, source: object, fake: object, environ: dict[str, str], folder: Path
) -> list[tuple]:
    rows = []
    config = Config()
    with FakeServer(fake.handle) as server:
        source = source(server.url)
        db = open_database(folder / f"{name}.db")
        for label in ("first run", "second run"):
            before = len(server.requests)
            collector = build_collector(
                name, source, config=config, db=db, environ=environ, policy=RetryPolicy()
            )
            start = time.perf_counter()
            report = run_collector(db, collector, matcher=BrandMatcher(config.brands))
            seconds = time.perf_counter() - start
            assert report.error is None, report.error
            rows.append((name, label, report.inserted, len(server.requests) - before, seconds))
        db.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=3000, help="posts per platform")
    posts = parser.parse_args().posts
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results += measure(
            "x",
            lambda url: XSource(enabled=True, base_url=url, max_results_per_query=posts),
            fill_x(posts),
            {"UMOT_X_BEARER_TOKEN": TOKEN},
            folder,
        )
        results += measure(
            "reddit",
            lambda url: RedditSource(
                enabled=True, reddit_url=url, oauth_url=url, limit_per_query=1000, max_threads=posts
            ),
            fill_reddit(posts),
            {"UMOT_REDDIT_CLIENT_ID": CLIENT_ID, "UMOT_REDDIT_CLIENT_SECRET": CLIENT_SECRET},
            folder,
        )
        results += measure(
            "mastodon",
            lambda url: MastodonSource(enabled=True, instances=[url], max_pages=posts // 40 + 2),
            fill_mastodon(posts),
            {},
            folder,
        )
        feeds = fill_feeds(posts)
        results += measure(
            "rss",
            lambda url: RssSource(enabled=True, feeds=[f"{url}/feed{i}.xml" for i in range(10)]),
            feeds,
            {},
            folder,
        )
    table = Table(title=f"Collectors against local fake APIs ({posts:,} posts per platform)")
    for column in ("source", "run", "stored", "requests", "seconds", "posts/s"):
        table.add_column(column, justify="left" if column in ("source", "run") else "right")
    for name, label, stored, requests, seconds in results:
        rate = f"{stored / seconds:,.0f}" if stored else "-"
        table.add_row(name, label, f"{stored:,}", f"{requests:,}", f"{seconds:.2f}", rate)
    Console().print(table)


if __name__ == "__main__":
    main()
