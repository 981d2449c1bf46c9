"""The workspace under load: page speed at scale, and many users beside a running collector.

    python benchmarks/serve.py [--mentions 1000000] [--users 20] [--seconds 60]

1. Speed: builds a database of ``--mentions`` synthetic mentions (as benchmarks/scale.py,
   with a 500-reply thread), then times each page in-process (the app's own time, no
   network): the inbox's first page, every single filter, the next page, "needs reply",
   and the mention page of the 500-reply thread; 95th percentile of ``--repeat`` runs.
2. Load: serves the same database with uvicorn on 127.0.0.1 while a collector thread
   stores new mentions every half second, and ``--users`` simulated people log in,
   browse, filter, open threads and label mentions (each person their own mentions, so
   every label has one right final value) for ``--seconds``. Then every label is checked
   in the database. Any failed request or lost label fails the run (exit code 1).

Prints one table per part.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from rich.console import Console
from rich.table import Table
from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import build

from storage import Mention, open_database, upsert_mentions
from storage.users import add_user
from storage.workspace import TriageChange, apply_triage
from storage.writes import ClassificationRow, store_classifications
from umot.config import Config
from umot.web.app import create_app

PASSWORD = "load-test-password"
STAGES = ("awareness", "consideration", "purchase", "experience", "advocacy", "none")
FILTERS = {
    "first page": "",
    "brand": "brand=Velora",
    "platform": "platform=reddit",
    "language": "lang=nl",
    "sentiment": "sentiment=negative",
    "stage": "stage=purchase",
    "status": "status=handled",
    "assignee": "assignee=user01",
    "tag": "tag=accu",
    "search": "q=garantie",
    "time range": "since={week_ago}&until={today}",
    "needs reply": "view=needs-reply",
}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def prepare(path: Path, size: int) -> tuple[str, list[str]]:
    """The synthetic database plus users, some triage, tags, and a 500-reply thread."""
    config = Config()
    build(path, size, config, 64)
    db = open_database(path)
    for number in range(1, 21):
        add_user(db, f"user{number:02d}", PASSWORD, "editor")
    recent = [r[0] for r in db.execute("SELECT id FROM mentions ORDER BY seq DESC LIMIT 3000")]
    apply_triage(db, recent[:200], TriageChange(status="handled", assignee="user01"), "user01")
    apply_triage(db, recent[200:400], TriageChange(add_tags=("accu",)), "user02")
    now = datetime.now(UTC) - timedelta(hours=2)
    root = Mention.model_validate(
        {
            "platform": "x",
            "native_id": "900000000",
            "text": "Velora accu kapot na een week, wie herkent dit?",
            "created_at": now,
            "author_id": "root",
            "brand": "Velora",
        }
    )
    replies = [
        Mention.model_validate(
            {
                "platform": "x",
                "native_id": str(900000001 + i),
                "text": f"Velora: bij mij ook ({i})",
                "created_at": now + timedelta(seconds=i + 1),
                "author_id": f"r{i}",
                "brand": "Velora",
                "parent_id": "900000000" if i % 4 == 0 else str(900000001 + i - 1 - i % 4),
                "conversation_id": "900000000",
            }
        )
        for i in range(500)
    ]
    upsert_mentions(db, [root, *replies], source="bench")
    store_classifications(
        db,
        "scale-model",
        [
            ClassificationRow(m.key, "nl", "negative", {}, STAGES[i % 6], {})
            for i, m in enumerate([root, *replies])
        ],
    )
    db.close()
    return root.key, recent[400:3000]


def log_in(client: httpx.Client | TestClient, name: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    response = client.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code == 303, response.text
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text)
    assert found
    return found.group(1)


def speed(path: Path, thread_root: str, repeat: int) -> Table:
    config = Config()
    app = create_app(config, path)
    today = datetime.now(UTC).date()
    values = {"week_ago": (today - timedelta(days=7)).isoformat(), "today": today.isoformat()}
    table = Table(title="workspace page times, in-process (ms)")
    for column in ("page", "rows", "p50", "p95"):
        table.add_column(column, justify="left" if column == "page" else "right")
    with TestClient(app, follow_redirects=False) as client:
        log_in(client, "user01")
        pages = {name: "/?" + query.format(**values) for name, query in FILTERS.items()}
        first = client.get("/").text
        cursor = re.search(r'href="(/\?[^"]*cursor=[^"]+)"', first)
        if cursor:
            pages["next page"] = cursor.group(1).replace("&amp;", "&")
        pages["mention, 500-reply thread"] = f"/mentions/{thread_root}"
        for name, url in pages.items():
            times, rows = [], 0
            for _ in range(repeat):
                began = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200, (url, response.status_code)
                rows = response.text.count("<article") + response.text.count('<li class="depth')
            table.add_row(
                name, str(rows), f"{statistics.median(times):.0f}", f"{percentile(times, 0.95):.0f}"
            )
    return table


class Collector(threading.Thread):
    """Stores a batch of new mentions every half second, as `umot run` does beside it."""

    def __init__(self, path: Path, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.path, self.stop, self.stored, self.errors = path, stop, 0, 0

    def run(self) -> None:
        db = open_database(self.path)
        number = 0
        while not self.stop.is_set():
            batch = []
            for _ in range(50):
                number += 1
                batch.append(
                    Mention.model_validate(
                        {
                            "platform": "mastodon",
                            "native_id": f"load{number}",
                            "text": f"Velora nieuwe melding {number}",
                            "created_at": datetime.now(UTC),
                            "author_id": f"load{number % 97}",
                            "brand": "Velora",
                        }
                    )
                )
            try:
                upsert_mentions(db, batch, source="load")
                self.stored += len(batch)
            except Exception:
                self.errors += 1
            self.stop.wait(0.5)
        db.close()


def person(base: str, name: str, mine: list[str], stop: threading.Event, results: dict) -> None:
    """Browses, filters, opens threads and labels its own mentions until told to stop."""
    rng = random.Random(name)
    labels: dict[str, str] = {}
    failures: list[str] = []
    times: list[float] = []
    with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as client:
        token = log_in(client, name)
        while not stop.is_set():
            action = rng.random()
            began = time.perf_counter()
            if action < 0.4:
                query = rng.choice(list(FILTERS.values())).format(
                    week_ago="2026-01-01", today="2030-01-01"
                )
                response = client.get("/?" + query)
            elif action < 0.6:
                response = client.get(f"/mentions/{rng.choice(mine)}")
            else:
                target, stage = rng.choice(mine), rng.choice(STAGES)
                response = client.post(
                    "/mentions/bulk",
                    data={"ids": target, "set_stage": stage, "csrf_token": token, "back": "/"},
                )
                if response.status_code == 303:
                    labels[target] = stage
            times.append((time.perf_counter() - began) * 1000)
            if response.status_code not in (200, 303):
                failures.append(
                    f"{response.request.method} {response.request.url}: {response.status_code}"
                )
    results[name] = {"labels": labels, "failures": failures, "times": times}


def load(path: Path, users: int, seconds: float, mentions: list[str]) -> tuple[Table, bool]:
    port = 8765 + random.Random().randrange(1000)
    server = uvicorn.Server(
        uvicorn.Config(create_app(Config(), path), host="127.0.0.1", port=port, log_level="error")
    )
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    while not server.started:
        time.sleep(0.05)
    stop = threading.Event()
    collector = Collector(path, stop)
    collector.start()
    results: dict[str, dict] = {}
    share = len(mentions) // users
    people = [
        threading.Thread(
            target=person,
            args=(
                f"http://127.0.0.1:{port}",
                f"user{n + 1:02d}",
                mentions[n * share : (n + 1) * share],
                stop,
                results,
            ),
        )
        for n in range(users)
    ]
    for thread in people:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in people:
        thread.join()
    collector.join()
    server.should_exit = True
    serving.join(10)

    db = open_database(path)
    expected = {i: s for r in results.values() for i, s in r["labels"].items()}
    found = dict(
        db.execute(
            "SELECT mention_id, stage FROM human_labels WHERE labeled_by LIKE 'user%'"
        ).fetchall()
    )
    db.close()
    lost = [i for i, stage in expected.items() if found.get(i) != stage]
    failures = [f for r in results.values() for f in r["failures"]]
    times = [t for r in results.values() for t in r["times"]]
    table = Table(title=f"load: {users} users and a collector for {seconds:.0f} s, loopback")
    for column in (
        "requests",
        "failed",
        "p50 ms",
        "p95 ms",
        "labels set",
        "labels lost",
        "mentions collected",
        "collector errors",
    ):
        table.add_column(column, justify="right")
    table.add_row(
        f"{len(times):,}",
        str(len(failures)),
        f"{statistics.median(times):.0f}",
        f"{percentile(times, 0.95):.0f}",
        f"{len(expected):,}",
        str(len(lost)),
        f"{collector.stored:,}",
        str(collector.errors),
    )
    for failure in failures[:5]:
        print("failed:", failure)
    return table, not failures and not lost and not collector.errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "serve.db"
        began = time.perf_counter()
        root, mine = prepare(path, args.mentions)
        console.print(f"built {args.mentions:,} mentions in {time.perf_counter() - began:.0f} s")
        console.print(speed(path, root, args.repeat))
        table, ok = load(path, args.users, args.seconds, mine)
        console.print(table)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
