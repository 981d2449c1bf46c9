"""From configured sources to collector objects."""

from __future__ import annotations

from collectors.base import Collector
from collectors.demo import DemoCollector
from umot.config import DemoSource


class SourceUnavailable(ValueError):
    """A configured source cannot be run by this version of umot."""


def build_collector(name: str, settings: object) -> Collector:
    if isinstance(settings, DemoSource):
        return DemoCollector(
            name,
            seed=settings.seed,
            weeks=settings.weeks,
            mentions_per_day=settings.mentions_per_day,
        )
    kind = getattr(settings, "type", type(settings).__name__)
    raise SourceUnavailable(
        f"source {name!r}: the {kind!r} collector is not part of this version of umot yet; "
        f"set sources.{name}.enabled = false"
    )
