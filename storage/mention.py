"""The one record type every collector produces, and its validation.

Validation happens here, once, so that every source (API, demo, file import) rejects
the same bad input with the same reasons, and storage can trust what it receives.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

MAX_TEXT_CHARS = 100_000
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=1)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ID_TEXT = re.compile(r"^[^\s]{1,200}$")
_SURROGATES = re.compile("[\ud800-\udfff]")
# ISO 639 codes withdrawn in 1989 that platforms still send (X gives "in" for Indonesian).
_LEGACY_LANGUAGES = {"in": "id", "iw": "he", "ji": "yi", "jw": "jv"}

# The query of a post stored only because a matched post replies to, quotes or reposts
# it. Such a context sighting never overrides the brand and query a match knows.
CONTEXT_QUERY = "referenced"

# What a post with no words but attached media is stored as, so that a media-only reply
# keeps its place in a thread. The classifier does not guess labels for such text.
MEDIA_KINDS = ("image", "video", "gif", "audio", "media")
# What carries no words of the author's own: media placeholders, @handles, links.
_NO_WORDS = re.compile(
    rf"\[(?:{'|'.join(MEDIA_KINDS)})\]|(?<![\w@])@[\w.@-]+|https?://\S+|[\s.,:;!?()\-–—…]+"
)


def media_marker(kind: str) -> str:
    """The placeholder for one attachment without a description: ``[image]``, ``[video]``."""
    return f"[{kind if kind in MEDIA_KINDS else 'media'}]"


def is_textless(text: str) -> bool:
    """Whether a text has nothing a classifier can read: only media placeholders, @handles
    and links (a media-only reply is "@name [video]" on Mastodon, "@name https://t.co/…"
    on X). Emoji count as words: "👀" under a launch says something."""
    return not _NO_WORDS.sub("", text)


def _blank_to_none(value: Any) -> Any:
    """CSV cells and sloppy JSON give '' for missing; treat it as missing."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _to_id(value: Any) -> Any:
    """Platform ids arrive as ints (Mastodon, old tweets) or strings; store strings."""
    value = _blank_to_none(value)
    if isinstance(value, bool):
        raise ValueError("an id must be a string or an integer, not a boolean")
    if isinstance(value, int):
        return str(value)
    return value


def _to_count(value: Any) -> Any:
    value = _blank_to_none(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


OptionalId = Annotated[str | None, BeforeValidator(_to_id)]
Count = Annotated[Annotated[int, Field(ge=0)] | None, BeforeValidator(_to_count)]
OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]


class Mention(BaseModel):
    """A public post that mentions a brand, as seen on one platform.

    Ids (``native_id``, ``parent_id``, ...) are the platform's own; storage prefixes
    them with the platform to make them unique across platforms.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=False)

    platform: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    native_id: Annotated[str, BeforeValidator(_to_id)]
    text: str
    created_at: datetime
    author_id: OptionalId = None
    author_handle: OptionalText = None
    author_name: OptionalText = None
    author_followers: Count = None
    url: OptionalText = None
    lang: OptionalText = None
    parent_id: OptionalId = None
    quoted_id: OptionalId = None
    reposted_id: OptionalId = None
    conversation_id: OptionalId = None
    likes: Count = None
    reposts: Count = None
    replies: Count = None
    quotes: Count = None
    score: Annotated[int | None, BeforeValidator(_to_count)] = None
    brand: OptionalText = None
    query: OptionalText = None
    # The platform shows the post as deleted or removed ("[deleted]" on Reddit): it is
    # stored so that the replies below it stay linked, but it is neither classified nor
    # counted as a mention.
    deleted: bool = False
    raw: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_lone_surrogates(cls, data: Any) -> Any:
        """JSON can spell a lone surrogate ("\\ud800"); it is not text and SQLite refuses it."""
        if isinstance(data, dict):
            return {
                key: _SURROGATES.sub("\ufffd", value) if isinstance(value, str) else value
                for key, value in data.items()
            }
        return data

    @field_validator("native_id", "parent_id", "quoted_id", "reposted_id", "conversation_id")
    @classmethod
    def _id_shape(cls, value: str | None) -> str | None:
        if value is not None and not _ID_TEXT.match(value):
            raise ValueError("must be 1-200 characters without spaces")
        return value

    @field_validator("text")
    @classmethod
    def _clean_text(cls, value: str) -> str:
        value = _CONTROL_CHARS.sub("", value)
        if not value.strip():
            raise ValueError("is empty")
        if len(value) > MAX_TEXT_CHARS:
            raise ValueError(f"is longer than {MAX_TEXT_CHARS:,} characters")
        return value

    @field_validator("created_at")
    @classmethod
    def _plausible_time(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        if value < EARLIEST:
            raise ValueError(f"is before {EARLIEST:%Y-%m-%d}")
        if value > datetime.now(UTC) + FUTURE_TOLERANCE:
            raise ValueError("is in the future")
        return value

    @field_validator("url")
    @classmethod
    def _web_url(cls, value: str | None) -> str | None:
        # Only web links: a javascript: or data: URL would become a live link in reports.
        if value is not None and not re.match(r"^https?://[^\s]+$", value, re.IGNORECASE):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("lang")
    @classmethod
    def _lang_code(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().lower().replace("_", "-")
        if not re.match(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$", value):
            raise ValueError("must be a language code such as 'nl' or 'en'")
        primary = value.split("-")[0]
        return _LEGACY_LANGUAGES.get(primary, primary)

    @field_validator("raw")
    @classmethod
    def _raw_is_json(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            json.dumps(value, default=str)
        return value

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.native_id}"


@dataclass(frozen=True)
class Rejected:
    """Input that could not become a Mention; stored in ``rejects`` with the reason."""

    reason: str
    record: Any = None
    platform: str | None = None
    native_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def describe_validation_error(error: ValidationError) -> str:
    parts = []
    for problem in error.errors(include_url=False):
        where = ".".join(str(part) for part in problem["loc"]) or "record"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown field"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def mention_or_reject(record: Mapping[str, Any]) -> Mention | Rejected:
    """Build a Mention from field values, or say exactly why not."""
    try:
        return Mention.model_validate(dict(record))
    except ValidationError as error:
        platform = record.get("platform")
        native_id = record.get("native_id")
        return Rejected(
            reason=describe_validation_error(error),
            record=dict(record),
            platform=platform if isinstance(platform, str) else None,
            native_id=str(native_id) if isinstance(native_id, str | int) else None,
        )
    except (TypeError, ValueError) as error:
        return Rejected(reason=f"record: {error}", record=dict(record))
