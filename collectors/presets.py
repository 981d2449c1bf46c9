"""Read other listening tools' exports: column presets and ``--columns``.

A team moving to umot brings an export from the tool it used. Each preset names, per
umot column, the export's columns that can fill it (the first non-empty one wins, so a
Brandwatch row without "Full Text" falls back to its "Snippet"), how the tool writes
numeric dates, and its sentiment scale. The tool's sentiment is kept beside the post in
``raw["imported"]``; it never becomes umot's label. The values themselves are read in
``collectors.export_values``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from collectors.export_values import DateOrder

# "X as X": re-exported, so the old import path (tests/test_import_presets.py) keeps working.
from collectors.export_values import id_from_url as id_from_url
from collectors.export_values import language as language
from collectors.export_values import normalize_sentiment as normalize_sentiment
from collectors.export_values import parse_count as parse_count
from collectors.export_values import parse_when as parse_when
from collectors.export_values import platform_of as platform_of


class MappingError(ValueError):
    """A ``--columns`` text or a header that cannot be mapped onto umot's columns."""


@dataclass(frozen=True)
class Preset:
    """One tool's export: candidate columns per umot column (first non-empty wins)."""

    name: str
    label: str
    columns: dict[str, tuple[str, ...]]
    date_order: DateOrder | None = None
    numeric_sentiment: bool = False  # a signed score (<0 negative, 0 neutral, >0 positive)


PRESETS: dict[str, Preset] = {
    # Built from Brandwatch's mention field definitions (developers.brandwatch.com:
    # fullText, pageType, sentiment positive/negative/neutral, twitterFollowers, ...) and
    # the spelling of its UI exports as read by public importers ("Date", "Author",
    # "Full Text", "Title", "Thread Id", "Domain", "Url", six report lines above the
    # header). "Twitter Retweets"/"Twitter Reply Count" are the UI spelling of the API
    # fields twitterRetweets/twitterReplyCount; not confirmed from an actual export.
    "brandwatch": Preset(
        name="brandwatch",
        label="Brandwatch",
        columns={
            "text": ("Full Text", "Snippet", "Title"),
            "created_at": ("Date",),
            "url": ("Url",),
            "platform": ("Page Type", "Domain"),
            "author": ("Author",),
            "author_name": ("Full Name",),
            "followers": ("Twitter Followers",),
            "lang": ("Language",),
            "sentiment": ("Sentiment",),
            "reposts": ("Twitter Retweets",),
            "replies": ("Twitter Reply Count",),
            "query": ("Query Name",),
        },
    ),
    # Built from Talkwalker's document fields (developer.talkwalker.com: url, published
    # in epoch milliseconds, title, content, lang, sentiment as a signed integer such as
    # -5, source_type such as MESSAGEBOARD_REDDIT, extra_author_attributes.name) with
    # nested fields flattened by dots, as public importers of its exports read them.
    # Its exports' date format for "published" is not documented: numeric dates need
    # an unambiguous day or --date-order.
    "talkwalker": Preset(
        name="talkwalker",
        label="Talkwalker",
        columns={
            "text": ("content", "title"),
            "created_at": ("published",),
            "url": ("url",),
            "platform": ("source_type", "domain_url", "host_url"),
            "author": ("extra_author_attributes.short_name",),
            "author_name": ("extra_author_attributes.name",),
            "lang": ("lang",),
            "sentiment": ("sentiment",),
        },
        numeric_sentiment=True,
    ),
    # Built from a Meltwater export header published with a research project (Date,
    # Headline, URL, Opening Text, Hit Sentence, Source, Influencer, Language, Reach,
    # Sentiment, Input Name, Tweet Id, Twitter Screen Name, Twitter Followers,
    # Alternate Date Format, Time, ...) and public readers of such files (UTF-16,
    # tab-separated; Sentiment Positive/Negative/Neutral/Not Rated; newer exports add
    # Likes, Replies, Retweets, Comments, Shares).
    "meltwater": Preset(
        name="meltwater",
        label="Meltwater",
        columns={
            "text": ("Hit Sentence", "Opening Text", "Headline"),
            "created_at": ("Date", "Alternate Date Format"),
            "time": ("Time",),
            "url": ("URL",),
            "id": ("Tweet Id",),
            "platform": ("Source",),
            "author": ("Twitter Screen Name", "Influencer"),
            "followers": ("Twitter Followers",),
            "lang": ("Language",),
            "sentiment": ("Sentiment",),
            "likes": ("Likes",),
            "replies": ("Replies", "Comments"),
            "reposts": ("Retweets", "Shares"),
            "query": ("Input Name",),
        },
    ),
    # NOT confirmed from Sprout's documentation (its listening export is not publicly
    # described): built from the column words Sprout uses in its reports (Date, Network,
    # Message, Link/Permalink, Sentiment). Check the header and add --columns for what
    # differs; --columns entries replace these.
    "sprout": Preset(
        name="sprout",
        label="Sprout Social",
        columns={
            "text": ("Message", "Text", "Post"),
            "created_at": ("Date",),
            "time": ("Time",),
            "url": ("Link", "Permalink"),
            "platform": ("Network",),
            "author": ("From", "Author", "Profile"),
            "followers": ("Followers",),
            "lang": ("Language",),
            "sentiment": ("Sentiment",),
        },
    ),
}


def tool_label(tool: str | None) -> str:
    """How the workspace names where an imported sentiment came from."""
    preset = PRESETS.get(tool or "")
    return preset.label if preset else "Export"


# --- the --columns text ------------------------------------------------------------


def parse_columns(spec: str, targets: Collection[str]) -> list[tuple[str, str]]:
    """``'Full Text=text,"Date, UTC"=created_at'`` as (export column, umot column) pairs.

    A column name with a comma or "=" is quoted ("" inside quotes is one quote); the
    part after the last "=" is umot's column.
    """
    pairs: list[tuple[str, str]] = []
    for entry in _split_entries(spec):
        name, sep, target = entry.rpartition("=")
        name, target = name.strip(), target.strip().lower()
        if not sep or not name:
            raise MappingError(f"--columns entry {entry.strip()!r} is not COLUMN=FIELD")
        if name.startswith('"') and name.endswith('"') and len(name) >= 2:
            name = name[1:-1].replace('""', '"')
        if target not in targets:
            raise MappingError(
                f"--columns maps {name!r} to {target!r}, which is not a umot column; "
                f"use one of: {', '.join(targets)}"
            )
        pairs.append((name, target))
    if not pairs:
        raise MappingError("--columns is empty; give COLUMN=FIELD pairs, e.g. 'Full Text=text'")
    return pairs


def _split_entries(spec: str) -> Iterable[str]:
    """Split on commas outside double quotes."""
    entry, quoted = "", False
    for char in spec:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            if entry.strip():
                yield entry
            entry = ""
        else:
            entry += char
    if quoted:
        raise MappingError(f"--columns has an unclosed quote: {spec!r}")
    if entry.strip():
        yield entry
