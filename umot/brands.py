"""Which configured brand a mention is about, for sources that do not say."""

from __future__ import annotations

import re
from collections.abc import Sequence

from storage import Mention
from umot.config import BrandConfig


class BrandMatcher:
    """Matches a brand's queries as whole words, case-insensitively (``#tag`` included)."""

    def __init__(self, brands: Sequence[BrandConfig]) -> None:
        self._patterns = [
            (brand.name, query, re.compile(rf"(?<!\w){re.escape(query)}(?!\w)", re.IGNORECASE))
            for brand in brands
            for query in brand.queries
        ]

    def match(self, text: str) -> tuple[str, str] | None:
        for brand, query, pattern in self._patterns:
            if pattern.search(text):
                return brand, query
        return None

    def assign(self, mention: Mention) -> Mention:
        if mention.brand is not None:
            return mention
        found = self.match(mention.text)
        if found is None:
            return mention
        brand, query = found
        return mention.model_copy(update={"brand": brand, "query": mention.query or query})
