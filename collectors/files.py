"""Import mentions from JSONL or CSV files, e.g. exports of other listening tools.

The format (documented in the README) uses the column names below; anything else in a
record is kept in ``raw``. A bad line or row becomes a ``Rejected`` with its line number
and the reason, and the rest of the file is still imported.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from collectors.base import Cursors, Item
from storage import Rejected, mention_or_reject

# File column -> Mention field. Columns named like the field itself are accepted too.
COLUMNS = {
    "platform": "platform",
    "id": "native_id",
    "text": "text",
    "created_at": "created_at",
    "author": "author_handle",
    "author_id": "author_id",
    "author_name": "author_name",
    "followers": "author_followers",
    "url": "url",
    "lang": "lang",
    "parent_id": "parent_id",
    "quoted_id": "quoted_id",
    "reposted_id": "reposted_id",
    "conversation_id": "conversation_id",
    "likes": "likes",
    "reposts": "reposts",
    "replies": "replies",
    "quotes": "quotes",
    "score": "score",
    "brand": "brand",
    "query": "query",
}
_FIELD_NAMES = set(COLUMNS.values())
FORMATS = ("jsonl", "csv")


class ImportFormatError(ValueError):
    """The file as a whole cannot be read (unknown format, missing header)."""


def detect_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffixes and suffixes[-1] in (".csv", ".tsv"):
        return "csv"
    raise ImportFormatError(
        f"cannot tell the format of {path.name} from its name; pass --format jsonl or csv"
    )


def record_to_fields(record: dict[str, Any], default_platform: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in record.items():
        name = COLUMNS.get(key) or (key if key in _FIELD_NAMES else None)
        if name is None:
            extra[key] = value
        else:
            fields[name] = value
    if not fields.get("platform"):
        fields["platform"] = default_platform
    if isinstance(fields.get("platform"), str):
        fields["platform"] = fields["platform"].strip().lower()
    raw = fields.get("raw") if isinstance(fields.get("raw"), dict) else {}
    if extra:
        raw = {**raw, **extra}
    fields["raw"] = raw or None
    return fields


class FileCollector:
    """Reads one file; its 'cursor' is unnecessary because upserts are idempotent."""

    def __init__(
        self,
        path: str | Path,
        *,
        fmt: str | None = None,
        platform: str = "import",
        brand: str | None = None,
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ImportFormatError(f"{self.path} does not exist or is not a file")
        self.format = fmt or detect_format(self.path)
        if self.format not in FORMATS:
            raise ImportFormatError(f"unknown format {self.format!r}; use jsonl or csv")
        self.platform = platform
        self.brand = brand
        self.name = f"import:{self.path.name}"

    def collect(self, cursors: Cursors | None = None) -> Iterator[Item]:
        rows = (
            jsonl_records(self.path)
            if self.format == "jsonl"
            else csv_records(self.path, {"id", "text", "created_at"})
        )
        for line, record in rows:
            if isinstance(record, Rejected):
                yield record
                continue
            fields = record_to_fields(record, self.platform)
            if self.brand and not fields.get("brand"):
                fields["brand"] = self.brand
            item = mention_or_reject(fields)
            if isinstance(item, Rejected):
                item = Rejected(
                    f"line {line}: {item.reason}", record, item.platform, item.native_id
                )
            yield item


def _has_bad_bytes(value: str | None) -> bool:
    return value is not None and any("\udc80" <= char <= "\udcff" for char in value)


def _escape(record: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        if isinstance(value, str)
        else value
        for key, value in record.items()
    }


def jsonl_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | Rejected]]:
    """(line number, object) per non-empty line; a bad line is a ``Rejected``."""
    with path.open("rb") as handle:
        for number, raw_line in enumerate(handle, start=1):
            if not raw_line.strip():
                continue
            try:
                text = raw_line.decode("utf-8-sig" if number == 1 else "utf-8")
                record = json.loads(text)
            except UnicodeDecodeError as error:
                yield (
                    number,
                    Rejected(
                        f"line {number}: not valid UTF-8 ({error.reason} at byte {error.start})",
                        raw_line,
                    ),
                )
                continue
            except json.JSONDecodeError as error:
                yield (
                    number,
                    Rejected(
                        f"line {number}: invalid JSON: {error.msg} (column {error.colno})",
                        raw_line,
                    ),
                )
                continue
            if not isinstance(record, dict):
                yield (
                    number,
                    Rejected(
                        f"line {number}: expected a JSON object, got {type(record).__name__}",
                        raw_line,
                    ),
                )
                continue
            yield number, record


def csv_records(path: Path, required: set[str]) -> Iterator[tuple[int, dict[str, Any] | Rejected]]:
    """(line number, row) per CSV/TSV row; ``required`` columns must be in the header."""
    data = path.read_bytes()
    # surrogateescape keeps the file readable; rows holding bad bytes are rejected.
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    # Long fields are judged by the Mention rules (text up to 100,000 characters),
    # not by the csv module's 128 KB default, which would end the whole file.
    csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    if not reader.fieldnames:
        raise ImportFormatError(f"{path.name} is empty or has no header row")
    missing = required - {name.strip() for name in reader.fieldnames}
    if missing:
        raise ImportFormatError(
            f"{path.name}: header lacks the column(s) {', '.join(sorted(missing))}"
        )
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:  # e.g. an unterminated quote: this row, not the file
            yield reader.line_num, Rejected(f"line {reader.line_num}: {error}", None)
            continue
        number = reader.line_num
        if None in row:
            yield number, Rejected(f"line {number}: more cells than header columns", row)
            continue
        record = {key.strip(): value for key, value in row.items()}
        if any(_has_bad_bytes(value) for value in record.values()):
            yield number, Rejected(f"line {number}: not valid UTF-8", _escape(record))
            continue
        yield number, record
