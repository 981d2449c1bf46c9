"""Can umot keep up with all of Bluesky? Matching the brands' terms on every post, one core.

    python benchmarks/bluesky.py [--events 200000] [--match-share 0.002]

Jetstream has no keyword filter: every post of the network arrives and is matched here.
This replays recorded-shape events (Jetstream's JSON: commits of ``app.bsky.feed.post``
with replies, quotes, facets and langs; deletions; identity events) with synthetic texts
and measures events per second:

- ``matching only``: the collector's per-event work, in process (raw prefilter on);
- ``matching, no prefilter``: every event parsed (brand terms JSON might escape);
- ``end to end``: a local websocket server in another process replays the events to
  `umot collect`'s code path (JetstreamCollector → pipeline → SQLite), profiles from a
  local AppView.

The network's usual rate: about 2.2 million posts a day (25/s on average, 36/s at peak
hours, published figures from 2026), so the target is ≥ 5 × 36 ≈ 180 events/s.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collectors.base import Cursors  # noqa: E402
from collectors.bluesky import AppView  # noqa: E402
from collectors.jetstream import JetstreamCollector  # noqa: E402
from storage import open_database  # noqa: E402
from umot.brands import BrandMatcher  # noqa: E402
from umot.config import Config  # noqa: E402
from umot.pipeline import run_collector  # noqa: E402

TARGET = 5 * 36
BRANDS = [
    {"name": "Velora", "queries": ["Velora", "#velorabike", "Velora S3"]},
    {"name": "Cortina", "queries": ["Cortina fietsen", "#cortinabikes"]},
]
WORDS = [
    "de",
    "het",
    "een",
    "fiets",
    "koffie",
    "morning",
    "today",
    "vote",
    "election",
    "weather",
    "cat",
    "dog",
    "art",
    "post",
    "reply",
    "love",
    "hate",
    "news",
    "music",
    "game",
    "stream",
    "photo",
    "sunset",
    "trein",
    "werk",
    "school",
    "bluesky",
    "thread",
    "link",
    "lol",
    "yes",
    "no",
    "maybe",
    "new",
    "old",
    "happy",
    "sad",
    "big",
    "small",
    "city",
    "rain",
    "sun",
    "friday",
    "weekend",
    "plan",
]


def events(count: int, match_share: float, seed: int = 3) -> list[str]:
    """Recorded-shape messages, written compactly as Jetstream's encoder writes them."""
    rng = random.Random(seed)
    start = int((time.time() - 3600) * 1_000_000)
    out = []
    for n in range(count):
        did = f"did:plc:{rng.getrandbits(100):025x}"[:32]
        time_us = start + n * 25
        roll = rng.random()
        if roll < 0.05:
            commit = {
                "rev": "3l",
                "operation": "delete",
                "collection": "app.bsky.feed.post",
                "rkey": f"3k{n:010d}",
            }
            out.append(
                json.dumps(
                    {"did": did, "time_us": time_us, "kind": "commit", "commit": commit},
                    separators=(",", ":"),
                )
            )
            continue
        if roll < 0.051:
            out.append(
                json.dumps(
                    {
                        "did": did,
                        "time_us": time_us,
                        "kind": "identity",
                        "identity": {"did": did, "handle": "x.bsky.social", "seq": n, "time": "t"},
                    },
                    separators=(",", ":"),
                )
            )
            continue
        words = rng.choices(WORDS, k=rng.randint(4, 40))
        if rng.random() < match_share:
            words.insert(rng.randint(0, len(words)), rng.choice(["Velora", "#velorabike"]))
        record: dict = {
            "$type": "app.bsky.feed.post",
            "text": " ".join(words),
            "createdAt": "2026-11-25T10:00:00.000Z",
            "langs": [rng.choice(["en", "nl", "pt", "ja", "de"])],
        }
        if rng.random() < 0.4:
            ref = {"uri": f"at://{did}/app.bsky.feed.post/3kparent", "cid": "bafy"}
            record["reply"] = {"root": ref, "parent": ref}
        if rng.random() < 0.15:
            record["facets"] = [
                {
                    "index": {"byteStart": 0, "byteEnd": 8},
                    "features": [
                        {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/a/b"}
                    ],
                }
            ]
        commit = {
            "rev": "3l",
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": f"3k{n:010d}",
            "record": record,
            "cid": "bafyreib",
        }
        out.append(
            json.dumps(
                {"did": did, "time_us": time_us, "kind": "commit", "commit": commit},
                separators=(",", ":"),
            )
        )
    return out


class _NoProfiles(AppView):
    def profiles(self, dids):  # type: ignore[override]
        return {did: None for did in dids}


def collector(terms: list[str], **options) -> JetstreamCollector:
    matcher = BrandMatcher(Config.model_validate({"brands": BRANDS}).brands)
    return JetstreamCollector(
        "bluesky",
        keep=lambda text: matcher.match(text) is not None,
        terms=terms,
        appview=_NoProfiles("http://127.0.0.1:9"),
        **options,
    )


def in_process(messages: list[str], terms: list[str]) -> tuple[float, int]:
    reader = collector(terms)
    started = time.perf_counter()
    for message in messages:
        for _ in reader._read(message):
            pass
    seconds = time.perf_counter() - started
    return len(messages) / seconds, reader.stats["matched"]


def _serve(messages: list[str], port_out) -> None:  # type: ignore[no-untyped-def]
    from websockets.sync.server import serve

    def handle(connection) -> None:  # type: ignore[no-untyped-def]
        for message in messages:
            connection.send(message)
        time.sleep(30)

    with serve(handle, "127.0.0.1", 0) as server:
        port_out.put(server.socket.getsockname()[1])
        server.serve_forever()


def end_to_end(messages: list[str]) -> tuple[float, int]:
    queue: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(messages, queue), daemon=True)
    server.start()
    port = queue.get(timeout=30)
    terms = [t for b in BRANDS for t in b["queries"]]
    stop = threading.Event()
    reader = collector(terms, endpoints=[f"ws://127.0.0.1:{port}"], seconds=None, stop=stop)

    class Counting:
        name = "bluesky"

        def collect(self, cursors: Cursors):  # type: ignore[no-untyped-def]
            for item in reader.collect(cursors):
                yield item
                if reader.stats["events"] >= len(messages):
                    stop.set()

    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Path(folder) / "bench.db")
        matcher = BrandMatcher(Config.model_validate({"brands": BRANDS}).brands)
        started = time.perf_counter()
        report = run_collector(db, Counting(), matcher=matcher)
        seconds = time.perf_counter() - started
        stored = db.execute("SELECT count(*) FROM mentions").fetchone()[0]
    server.terminate()
    if report.error:
        raise SystemExit(f"end to end failed: {report.error}")
    return reader.stats["events"] / seconds, stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--match-share", type=float, default=0.002)
    args = parser.parse_args()
    messages = events(args.events, args.match_share)
    terms = [t for b in BRANDS for t in b["queries"]]
    table = Table(title=f"Bluesky stream, {args.events:,} events, one core")
    for column in ("path", "events/s", "× target", "posts kept"):
        table.add_column(column, justify="right" if column != "path" else "left")
    for name, chosen in (("matching only", terms), ("matching, no prefilter", [*terms, "H&M"])):
        rate, kept = in_process(messages, chosen)
        table.add_row(name, f"{rate:,.0f}", f"{rate / TARGET:,.0f}×", f"{kept:,}")
    rate, stored = end_to_end(messages)
    table.add_row(
        "end to end (websocket → SQLite)", f"{rate:,.0f}", f"{rate / TARGET:,.0f}×", f"{stored:,}"
    )
    Console().print(table)
    print(f"target: {TARGET} events/s (5 × the network's peak-hour post rate)")


if __name__ == "__main__":
    main()
