from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import make_mention

from collectors.base import Cursors, Item
from storage import Rejected, get_cursor
from umot.brands import BrandMatcher
from umot.config import BrandConfig
from umot.pipeline import run_collector

MATCHER = BrandMatcher(
    [
        BrandConfig(name="Velora", queries=["Velora", "#velora"]),
        BrandConfig(name="Smaakdoos", queries=["Smaakdoos"]),
    ]
)


class ScriptedCollector:
    """Yields a fixed script of items, advancing its cursor, and can fail half-way."""

    def __init__(
        self, items: list[Item], fail_after: int | None = None, error: BaseException | None = None
    ) -> None:
        self.name = "scripted"
        self.items = items
        self.fail_after = fail_after
        self.error = error or ConnectionError("platform went away")

    def collect(self, cursors: Cursors) -> Iterator[Item]:
        for index, item in enumerate(self.items):
            if index == self.fail_after:
                raise self.error
            yield item
            cursors.advance("q", str(index))


def test_valid_items_stored_and_bad_ones_rejected_in_the_same_batch(db):
    items = [
        make_mention(native_id="1"),
        Rejected("text: is empty", {"id": "2"}),
        make_mention(native_id="3"),
    ]
    report = run_collector(db, ScriptedCollector(items), matcher=MATCHER)
    assert (report.fetched, report.inserted, report.rejected, report.error) == (3, 2, 1, None)
    assert db.execute("SELECT count(*) FROM rejects").fetchone()[0] == 1
    run = db.execute("SELECT status, inserted, rejected FROM runs").fetchone()
    assert run == ("ok", 2, 1)


def test_a_failing_source_keeps_what_it_yielded_and_records_the_error(db):
    items = [make_mention(native_id=str(i)) for i in range(7)]
    report = run_collector(
        db, ScriptedCollector(items, fail_after=5), matcher=MATCHER, batch_size=2
    )
    assert report.inserted == 5
    assert report.error == "ConnectionError: platform went away"
    assert get_cursor(db, "scripted", "q") == "4"  # never past what was stored
    status, error = db.execute("SELECT status, error FROM runs").fetchone()
    assert status == "error" and "platform went away" in error


def test_interrupt_stores_the_batch_logs_it_and_reraises(db):
    items = [make_mention(native_id=str(i)) for i in range(4)]
    collector = ScriptedCollector(items, fail_after=3, error=KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        run_collector(db, collector, matcher=MATCHER, batch_size=100)
    assert db.execute("SELECT count(*) FROM mentions").fetchone()[0] == 3
    assert db.execute("SELECT error FROM runs").fetchone()[0] == "interrupted"


def test_brand_is_matched_from_text_when_the_source_does_not_say(db):
    items = [
        make_mention(native_id="1", brand=None, text="Mijn #velora is top"),
        make_mention(native_id="2", brand=None, text="smaakdoos bezorgt weer laat"),
        make_mention(native_id="3", brand=None, text="Veloraptor is geen merk"),
        make_mention(native_id="4", brand="Smaakdoos", text="Velora of Smaakdoos?"),
    ]
    run_collector(db, ScriptedCollector(items), matcher=MATCHER)
    brands = dict(db.execute("SELECT native_id, brand FROM mentions").fetchall())
    assert brands == {"1": "Velora", "2": "Smaakdoos", "3": None, "4": "Smaakdoos"}


def test_a_slow_source_is_stored_every_few_seconds_not_only_when_a_batch_is_full(db, monkeypatch):
    import umot.pipeline as pipeline

    clock = iter(range(0, 10_000, 3))  # every item arrives three "seconds" after the last
    monkeypatch.setattr(pipeline.time, "monotonic", lambda: next(clock))
    stored_during = []

    class Slow:
        name = "slow"

        def collect(self, cursors):
            for i in range(6):
                stored_during.append(db["mentions"].count)
                yield make_mention(native_id=str(900 + i))

    run_collector(
        db, Slow(), matcher=BrandMatcher([BrandConfig(name="Velora", queries=["Velora"])])
    )

    assert stored_during[-1] >= 3  # flushed along the way, long before 20,000 items
    assert db["mentions"].count == 6
