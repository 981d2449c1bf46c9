"""Reading import files row by row: JSONL lines and CSV/TSV rows, with line numbers.

A bad line or row becomes a ``Rejected`` naming its line, never the end of the file; the
encoding (UTF-8, or UTF-16 with a byte order mark) and the delimiter are found from the
file itself. Shared by mention import and label import.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from collectors.presets import PRESETS
from storage import Rejected

HEADER_ROWS = 20  # Brandwatch puts report lines above the header: look this far for it


class ImportFormatError(ValueError):
    """The file as a whole cannot be read (unknown format, missing header)."""


def header_lacks(path: Path, missing: set[str]) -> ImportFormatError:
    return ImportFormatError(
        f"{path.name}: header lacks the column(s) {', '.join(sorted(missing))}; for "
        f"another tool's export use --preset ({', '.join(PRESETS)}) or --columns"
    )


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


def read_text(path: Path, limit: int | None = None) -> str:
    """The file as text: UTF-16 when it starts with a UTF-16 byte order mark (Meltwater
    exports), else UTF-8, where surrogateescape keeps bad bytes for their row's reject."""
    with path.open("rb") as handle:
        data = handle.read(limit if limit is not None else -1)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:  # a prefix may end inside a character: only the whole file must be clean
            return data.decode("utf-16", "replace" if limit is not None else "strict")
        except UnicodeDecodeError as error:
            raise ImportFormatError(f"{path.name} is not valid UTF-16 ({error.reason})") from None
    return data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")


def _delimiter(path: Path, text: str) -> str:
    """Tab for .tsv; else whichever of comma, tab and semicolon the first line has most of
    (Meltwater writes tabs into .csv files, a Dutch spreadsheet semicolons)."""
    if path.suffix.lower() == ".tsv":
        return "\t"
    first = text.lstrip("\r\n").split("\n", 1)[0]
    return max((",", "\t", ";"), key=first.count) if first else ","


def _rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """(line number, cells) per non-empty row; a malformed row is its csv.Error."""
    # Long fields are judged by the Mention rules (text up to 100,000 characters),
    # not by the csv module's 128 KB default, which would end the whole file.
    csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # e.g. an unterminated quote: this row, not the file
            yield reader.line_num, error
            continue
        if row:
            yield reader.line_num, row


def first_rows(path: Path) -> Iterator[list[str]]:
    """The first rows (from the first MiB), to find and check a header cheaply."""
    text = read_text(path, limit=1 << 20)
    for count, (_, row) in enumerate(_rows(text, _delimiter(path, text))):
        if count >= HEADER_ROWS or isinstance(row, csv.Error):
            return
        yield row


def csv_records(
    path: Path,
    required: set[str],
    *,
    find_header: Callable[[list[list[str]]], int] | None = None,
) -> Iterator[tuple[int, dict[str, Any] | Rejected]]:
    """(line number, row) per CSV/TSV row; ``required`` columns must be in the header,
    which is the first row unless ``find_header`` picks one of the first rows."""
    text = read_text(path)
    rows = _rows(text, _delimiter(path, text))
    ahead = list(itertools.islice(rows, HEADER_ROWS if find_header else 1))
    if not ahead:
        raise ImportFormatError(f"{path.name} is empty or has no header row")
    cells = [[] if isinstance(row, csv.Error) else row for _, row in ahead]
    index = find_header(cells) if find_header else 0
    if isinstance(ahead[index][1], csv.Error):
        raise ImportFormatError(f"{path.name}: the header row is not valid CSV: {ahead[index][1]}")
    header = [name.strip() for name in cells[index]]
    if missing := required - set(header):
        raise header_lacks(path, missing)
    for number, row in itertools.chain(ahead[index + 1 :], rows):
        if isinstance(row, csv.Error):
            yield number, Rejected(f"line {number}: {row}", None)
            continue
        if len(row) > len(header):
            yield number, Rejected(f"line {number}: more cells than header columns", row)
            continue
        record: dict[str, Any] = dict(zip(header, row, strict=False))
        record.update((name, None) for name in header[len(row) :])
        if any(_has_bad_bytes(value) for value in record.values()):
            yield number, Rejected(f"line {number}: not valid UTF-8", _escape(record))
            continue
        yield number, record
