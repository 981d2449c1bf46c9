"""Which configured brand a mention is about, for sources that do not say."""

from __future__ import annotations

import re
from collections.abc import Sequence

from storage import Mention
from umot.config import BrandConfig


class BrandMatcher:
    """Matches a brand's queries as whole words, case-insensitively (``#tag`` included).

    All queries are one alternation, so a text is scanned once whatever the number of
    brands; the brand named first in the text wins.
    """

    def __init__(self, brands: Sequence[BrandConfig]) -> None:
        self._owners: dict[str, tuple[str, str]] = {}
        for brand in brands:
            for query in brand.queries:
                self._owners.setdefault(query.casefold(), (brand.name, query))
        terms = sorted(self._owners, key=len, reverse=True)  # longest first: "Velora Care"
        alternation = "|".join(re.escape(term) for term in terms)
        self._pattern = re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)

    def match(self, text: str) -> tuple[str, str] | None:
        found = self._pattern.search(text)
        return None if found is None else self._owners.get(found.group(0).casefold())

    def assign(self, mention: Mention) -> Mention:
        if mention.brand is not None:
            return mention
        found = self.match(mention.text)
        if found is None:
            return mention
        brand, query = found
        return mention.model_copy(update={"brand": brand, "query": mention.query or query})
