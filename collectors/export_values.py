"""Values in other tools' exports read as umot's: dates, counts, networks, ids, sentiment.

Values are read with care rather than guessed: "03/04/2026" with no known day/month
order is rejected with the reason, never silently read one way. Kept apart from the
presets, which only say where in an export these values are found.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

DateOrder = Literal["dmy", "mdy"]


# --- dates -------------------------------------------------------------------------

_MONTH_NAMES = (  # English and Dutch, January first
    "jan january januari|feb february februari|mar march mrt maart|apr april|may mei|"
    "jun june juni|jul july juli|aug august augustus|sep sept september|"
    "oct october okt oktober|nov november|dec december"
)
_MONTHS = {
    name: number
    for number, names in enumerate(_MONTH_NAMES.split("|"), start=1)
    for name in names.split()
}
_TIME = re.compile(
    r"(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?\s*(?P<ampm>[ap]\.?m\.?)?",
    re.IGNORECASE,
)
_ZONE = re.compile(r"\s*(?:(?P<utc>Z|UTC|GMT)|(?P<sign>[+-])(?P<zh>\d{2}):?(?P<zm>\d{2}))")
_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})")
_DAY_MONTH = re.compile(r"(\d{1,2})[-/. ]+([a-z]+)\.?[-/. ,]+(\d{2}|\d{4})", re.IGNORECASE)
_MONTH_DAY = re.compile(r"([a-z]+)\.?[-/. ]+(\d{1,2}),?[-/. ]+(\d{4})", re.IGNORECASE)


def parse_when(value: str, order: DateOrder | None = None, time: str | None = None) -> datetime:
    """A post's time from an export's date (and separate time) text; no zone means UTC.

    Reads ISO 8601, Unix seconds or milliseconds, "02-Nov-2026 02:31PM", "Nov 2, 2026",
    and numeric dates such as 02/11/2026 14:31 in the given day/month ``order``; without
    an order only an unambiguous numeric date (a day above 12) is read.
    """
    text = " ".join(value.split())
    if re.fullmatch(r"\d{9,13}(?:\.\d+)?", text):
        number = float(text)
        return datetime.fromtimestamp(number / 1000 if number >= 1e11 else number, UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is not None:
        return _with_time(parsed, time) if len(text) == 10 else parsed
    clock, zone = None, None
    for found in _TIME.finditer(text):
        clock = found  # the last h:mm is the time of day; only a zone may follow it
    if clock and text[clock.end() :].strip():
        if not (found_zone := _ZONE.fullmatch(text[clock.end() :])):
            raise ValueError(f"cannot read {value.strip()!r} as a date")
        zone = _zone(found_zone)
    date_text = text[: clock.start()] if clock else text
    date_text = re.sub(r"^[a-z]+,\s*", "", date_text.strip(" ,@T"), flags=re.IGNORECASE)
    day = _date(date_text, order, value)
    hour, minute, second = _clock(clock) if clock else (0, 0, 0)
    result = datetime(day[0], day[1], day[2], hour, minute, second, tzinfo=zone)
    return _with_time(result, time) if clock is None else result


def _with_time(day: datetime, time: str | None) -> datetime:
    if not time or not time.strip():
        return day
    found = _TIME.fullmatch(time.strip())
    if found is None:
        raise ValueError(f"cannot read the time {time.strip()!r}")
    hour, minute, second = _clock(found)
    return day.replace(hour=hour, minute=minute, second=second)


def _zone(found: re.Match[str]) -> timezone:
    if found["utc"]:
        return UTC
    offset = timedelta(hours=int(found["zh"]), minutes=int(found["zm"]))
    return timezone(-offset if found["sign"] == "-" else offset)


def _clock(found: re.Match[str]) -> tuple[int, int, int]:
    hour, minute, second = int(found["h"]), int(found["m"]), int(found["s"] or 0)
    if found["ampm"]:
        if not 1 <= hour <= 12:
            raise ValueError(f"{found[0]!r} is not a 12-hour time")
        hour = hour % 12 + (12 if found["ampm"].lower().startswith("p") else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{found[0]!r} is not a time of day")
    return hour, minute, second


def _date(text: str, order: DateOrder | None, value: str) -> tuple[int, int, int]:
    """(year, month, day), checked to exist."""
    if found := _YMD.fullmatch(text):
        year, month, day = (int(part) for part in found.groups())
    elif found := _DAY_MONTH.fullmatch(text):
        day, month, year = int(found[1]), _month(found[2], value), _year(found[3])
    elif found := _MONTH_DAY.fullmatch(text):
        month, day, year = _month(found[1], value), int(found[2]), int(found[3])
    elif found := _NUMERIC.fullmatch(text):
        first, second, year = int(found[1]), int(found[2]), _year(found[3])
        if order is None:
            if first <= 12 and second <= 12 and first != second:
                raise ValueError(
                    f"{value.strip()!r} could be day-first or month-first; "
                    "pass --date-order dmy or mdy"
                )
            order = "dmy" if first > 12 else "mdy"
        day, month = (first, second) if order == "dmy" else (second, first)
    else:
        raise ValueError(f"cannot read {value.strip()!r} as a date")
    try:
        datetime(year, month, day)
    except ValueError:
        raise ValueError(f"{value.strip()!r} is not a date (no such day)") from None
    return year, month, day


def _month(name: str, value: str) -> int:
    month = _MONTHS.get(name.lower())
    if month is None:
        raise ValueError(f"cannot read {value.strip()!r} as a date (month {name!r})")
    return month


def _year(text: str) -> int:
    return int(text) + 2000 if len(text) == 2 else int(text)


# --- counts, platforms, ids, sentiment, language -------------------------------------


def parse_count(value: str) -> int:
    """A follower or engagement count: 12345, 12,345, 12.345, 12 345, 1.2K, 3M, 12.0."""
    text = value.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if re.fullmatch(r"\d+", text):
        return int(text)
    if found := re.fullmatch(r"\d{1,3}(?P<sep>[,. '’])\d{3}(?:(?P=sep)\d{3})*", text):
        return int(re.sub(r"\D", "", found[0]))
    if found := re.fullmatch(r"(\d+(?:[.,]\d+)?)\s*([kKmM])", text):
        scale = 1_000 if found[2].lower() == "k" else 1_000_000
        return round(float(found[1].replace(",", ".")) * scale)
    if re.fullmatch(r"\d+\.0+", text):  # a spreadsheet's float
        return int(float(text))
    raise ValueError(f"cannot read {value.strip()!r} as a count")


_NETWORKS = {  # the networks' names and domains; "x" is known only among these words
    "x": "twitter twitter.com x.com t.co",
    "reddit": "reddit reddit.com redd.it",
    "facebook": "facebook facebook.com fb.com fb.watch",
    "instagram": "instagram instagram.com",
    "youtube": "youtube youtube.com youtu.be",
    "tiktok": "tiktok tiktok.com",
    "linkedin": "linkedin linkedin.com",
    "mastodon": "mastodon",
    "bluesky": "bluesky bsky bsky.app",
    "threads": "threads threads.net",
    "tumblr": "tumblr tumblr.com",
    "pinterest": "pinterest pinterest.com",
    "hackernews": "hackernews news.ycombinator.com",
}
_NETWORK_OF = {word: network for network, words in _NETWORKS.items() for word in words.split()}


def _host(url: str) -> str:
    host = (urlsplit(url.strip()).hostname or "").lower()
    return re.sub(r"^(?:www|mobile|m|old|new)\.", "", host)


def platform_of(value: str | None) -> str | None:
    """umot's platform for a network name, domain or URL ("Twitter", "reddit.com",
    "MESSAGEBOARD_REDDIT", "https://x.com/..."); None when it is none of the known ones."""
    if not value or not value.strip():
        return None
    text = re.sub(r"\s*,\s*", ",", value.strip().lower())
    if "://" in text:
        host = _host(text)
        return _NETWORK_OF.get(host) or _NETWORK_OF.get(".".join(host.split(".")[-2:]))
    words = [w.strip(".").removeprefix("www.") for w in re.split(r"[^a-z0-9.]+", text) if w]
    known = [_NETWORK_OF.get(word, "x" if word == "x" else "") for word in words]
    # A code list ("MESSAGEBOARD,MESSAGEBOARD_REDDIT") may name its network among other
    # words; an outlet's name ("Bike Threads Forum", "Project X") may not.
    if any(known) and (" " not in text or all(known)):
        return next(network for network in known if network)
    return None


_TRACKING = re.compile(r"^(?:utm_\w+|fbclid|gclid|igshid|mc_cid|mc_eid|ref_src)$")


def id_from_url(url: str, platform: str) -> str:
    """A stable id for a post the export gives no id for: the platform's own id when the
    URL shows it, spelled as umot's collectors store it (so a post both imported and
    collected is stored once), else a short hash of the URL without scheme, "www.",
    tracking parameters, fragment and trailing slash."""
    parts = urlsplit(url.strip())
    host, path = _host(url), parts.path
    if platform == "x" and (found := re.search(r"/status(?:es)?/(\d+)", path)):
        return found[1]
    if platform == "reddit":
        if found := re.search(r"/comments/([a-z0-9]+)(?:/[^/]*/([a-z0-9]+))?", path, re.I):
            return f"t1_{found[2]}" if found[2] else f"t3_{found[1]}"
        if host == "redd.it" and (found := re.fullmatch(r"/([a-z0-9]+)/?", path, re.I)):
            return f"t3_{found[1]}"
    if platform == "mastodon" and (found := re.fullmatch(r"/@[^/]+/(\d+)/?", path)):
        return f"{host}:{found[1]}"
    query_of = dict(parse_qsl(parts.query))
    if platform == "youtube" and (video := query_of.get("v") or _youtube_video(host, path)):
        return query_of.get("lc") or video
    if platform == "hackernews" and query_of.get("id", "").isdigit():
        return query_of["id"]
    if platform == "bluesky" and (found := re.fullmatch(r"/profile/(did:[^/]+)/post/(\w+)", path)):
        return f"at://{found[1]}/app.bsky.feed.post/{found[2]}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k))
    normal = f"{host}{path.rstrip('/')}" + (f"?{urlencode(query)}" if query else "")
    return "url-" + hashlib.sha256(normal.encode()).hexdigest()[:16]


def _youtube_video(host: str, path: str) -> str | None:
    found = re.fullmatch(r"/(?:shorts/|embed/)?([\w-]{11})/?", path)
    return found[1] if found and (host == "youtu.be" or "/" in path[1:]) else None


_SENTIMENT_WORDS = {
    word: sentiment
    for sentiment, words in (
        ("positive", "positive pos positief"),
        ("negative", "negative neg negatief"),
        ("neutral", "neutral neu neutraal"),
    )
    for word in words.split()
}


def normalize_sentiment(value: str, numeric: bool) -> str | None:
    """negative/neutral/positive from a tool's label, or from its signed score when the
    tool's scale is known to be one; None for "Not Rated", "mixed" or an unknown scale."""
    text = value.strip().lower()
    if text in _SENTIMENT_WORDS:
        return _SENTIMENT_WORDS[text]
    if numeric and re.fullmatch(r"[+-]?\d+(?:\.\d+)?", text):
        score = float(text)
        return "negative" if score < 0 else "positive" if score > 0 else "neutral"
    return None


_LANGUAGES = {
    name: code
    for code, names in (
        ("en", "english engels"),
        ("nl", "dutch nederlands flemish vlaams"),
        ("de", "german deutsch duits"),
        ("fr", "french français francais frans"),
        ("es", "spanish español espanol spaans"),
        ("it", "italian italiano italiaans"),
        ("pt", "portuguese português portugees"),
    )
    for name in names.split()
}


def language(value: str) -> str | None:
    """A language code from a code or a common language name; None when unknown (the
    row is still imported: umot detects the language itself)."""
    text = value.strip().lower()
    if re.fullmatch(r"[a-z]{2,3}(?:[-_][a-z0-9]{2,8})?", text):
        return text
    return _LANGUAGES.get(text)
