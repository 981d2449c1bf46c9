"""A fake Algolia HN Search API: ``/api/v1/search_by_date`` as documented.

Hits are shaped like Algolia's (``objectID`` as a string, ``created_at``/``created_at_i``,
``_tags``, HTML ``story_text``/``comment_text`` with HN's entities, ``story_id`` and
``parent_id`` as numbers, ``_highlightResult``), newest first, filtered by ``tags`` (an OR
group in parentheses) and ``numericFilters`` on ``created_at_i``. It matches as loosely
as Algolia (word prefixes, one typo in words of four letters or more, the story URL and
the author count), and like Algolia it serves no hit past the 1,000th of a query
(``paginationLimitedTo``): ``nbHits`` says how many there are, ``nbPages`` stops early.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.server import Request, Response

PAGINATION_LIMIT = 1000
_WORD = re.compile(r"[a-z0-9]+")
_TAG = re.compile(r"<[^>]*>")
_FILTER = re.compile(r"^created_at_i(<=|>=|<|>|=)(-?\d+)$")
_OPERATORS: dict[str, Callable[[int, int], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
}


def _words(text: str) -> list[str]:
    return _WORD.findall(_TAG.sub(" ", text).lower())


def _one_typo(a: str, b: str) -> bool:
    """Whether b is a with one letter changed, added or dropped (Algolia's typo tolerance)."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _word_matches(token: str, word: str) -> bool:
    return word.startswith(token) or (len(token) >= 4 and _one_typo(token, word))


def _matches(query: str, words: list[str]) -> bool:
    """Every quoted phrase and every other word of the query appears, loosely."""
    phrases = [_words(p) for p in re.findall(r'"([^"]*)"', query)]
    phrases += [[w] for w in _words(re.sub(r'"[^"]*"', " ", query))]
    for phrase in phrases:
        starts = range(len(words) - len(phrase) + 1)
        if phrase and not any(
            all(_word_matches(t, w) for t, w in zip(phrase, words[i:], strict=False))
            for i in starts
        ):
            return False
    return True


class FakeAlgoliaHN:
    def __init__(self) -> None:
        # (created_at_i and id for filtering and order, searchable words, the hit as
        # served): a test may break the served hit without breaking the filters.
        self.items: list[tuple[int, int, list[str], dict[str, Any]]] = []
        self.by_id: dict[str, dict[str, Any]] = {}
        self.next_id = 41_000_000
        self.extra_hits: dict[str, list[Any]] = {}  # by query: first page, as they are

    def _add(self, hit: dict[str, Any], when: datetime, searchable: str) -> str:
        self.next_id += 7
        object_id = str(self.next_id)
        seconds = int(when.timestamp())
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        hit.update(objectID=object_id, created_at=stamp, created_at_i=seconds, updated_at=stamp)
        hit["story_id"] = hit.get("story_id") or self.next_id
        hit["_tags"] = [*hit["_tags"], f"author_{hit['author']}", f"story_{hit['story_id']}"]
        self.items.append((seconds, self.next_id, _words(searchable), hit))
        self.by_id[object_id] = hit
        return object_id

    def story(
        self,
        title: str,
        author: str,
        minutes_ago: float,
        *,
        url: str | None = None,
        text: str | None = None,
        points: int = 1,
    ) -> str:
        when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        hit: dict[str, Any] = {
            "_tags": ["story"],
            "author": author,
            "children": [],
            "num_comments": 0,
            "points": points,
            "title": title,
            "_highlightResult": {"title": {"value": title, "matchLevel": "full"}},
        }
        if url is not None:
            hit["url"] = url
        if text is not None:
            hit["story_text"] = text
        return self._add(hit, when, f"{title} {url or ''} {text or ''} {author}")

    def comment(self, html: str, author: str, minutes_ago: float, *, parent: str) -> str:
        when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        above = self.by_id[parent]
        story = self.by_id[str(above["story_id"])]
        hit: dict[str, Any] = {
            "_tags": ["comment"],
            "author": author,
            "children": [],
            "comment_text": html,
            "parent_id": int(parent),
            "points": None,
            "story_id": int(story["objectID"]),
            "story_title": story["title"],
            "story_url": story.get("url"),
            "_highlightResult": {"comment_text": {"value": html, "matchLevel": "full"}},
        }
        object_id = self._add(hit, when, f"{html} {author}")
        above["children"].append(int(object_id))
        story["num_comments"] += 1
        return object_id

    def handle(self, request: Request) -> Response:
        if request.path != "/api/v1/search_by_date":
            return Response(404, {"message": "Not Found", "status": 404})
        query = request.query.get("query", "")
        tags = request.query.get("tags", "")
        wanted = set(tags.strip("()").split(",")) if tags else None
        filters = []
        for part in filter(None, request.query.get("numericFilters", "").split(",")):
            found = _FILTER.match(part)
            if found is None:
                return Response(400, {"message": f"invalid numericFilters {part!r}"})
            filters.append((_OPERATORS[found.group(1)], int(found.group(2))))
        per_page = min(int(request.query.get("hitsPerPage", 20)), PAGINATION_LIMIT)
        page = int(request.query.get("page", 0))
        chosen = [
            (seconds, number, hit)
            for seconds, number, words, hit in self.items
            if (wanted is None or wanted & set(hit.get("_tags") or []) or "_tags" not in hit)
            and all(test(seconds, bound) for test, bound in filters)
            and _matches(query, words)
        ]
        chosen.sort(key=lambda found: found[:2], reverse=True)  # newest first
        reachable = [hit for _, _, hit in chosen][:PAGINATION_LIMIT]
        hits: list[Any] = reachable[page * per_page : (page + 1) * per_page]
        if page == 0:
            hits = [*self.extra_hits.get(query, []), *hits]
        return Response(
            200,
            {
                "hits": hits,
                "nbHits": len(chosen),
                "page": page,
                "nbPages": math.ceil(len(reachable) / per_page),
                "hitsPerPage": per_page,
                "exhaustiveNbHits": True,
                "query": query,
                "params": f"query={query}&page={page}",
                "processingTimeMS": 1,
            },
        )
