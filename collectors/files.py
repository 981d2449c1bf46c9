"""Import mentions from JSONL or CSV files, e.g. exports of other listening tools.

The format (documented in the README) uses the column names below; anything else in a
record is kept in ``raw``. Another tool's export is read through an ``ExportMap`` (a
preset and/or ``--columns``). A bad line or row becomes a ``Rejected`` with its line
number and the reason, and the rest of the file is still imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collectors.base import Cursors, Item
from collectors.export_values import (
    DateOrder,
    id_from_url,
    language,
    normalize_sentiment,
    parse_count,
    parse_when,
    platform_of,
)
from collectors.file_rows import (
    ImportFormatError,
    csv_records,
    first_rows,
    header_lacks,
    jsonl_records,
)
from collectors.presets import PRESETS, MappingError, parse_columns
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
# What --columns can map an export's column to: umot's columns, plus the tool's own
# sentiment (kept in raw) and a time of day kept apart from the date.
TARGETS = (*COLUMNS, "sentiment", "time")
FORMATS = ("jsonl", "csv")
REQUIRED = {"id", "text", "created_at"}  # in umot's own format
_COUNTS = ("followers", "likes", "reposts", "replies", "quotes")
_TEXTS = ("author_id", "author_name", "url", "parent_id", "quoted_id", "reposted_id")
_TEXTS += ("conversation_id", "brand", "query")


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


@dataclass(frozen=True)
class ExportMap:
    """How an export's columns become umot's: per umot column, the export columns that
    can fill it (first non-empty wins); ``--columns`` entries replace a preset's."""

    tool: str
    columns: dict[str, tuple[str, ...]]
    explicit: tuple[str, ...] = ()  # named in --columns, so they must be in the header
    date_order: DateOrder | None = None
    numeric_sentiment: bool = False

    @classmethod
    def build(
        cls, preset: str | None, columns: str | None, date_order: DateOrder | None
    ) -> ExportMap:
        chosen = PRESETS.get(preset.lower()) if preset else None
        if preset and chosen is None:
            raise ImportFormatError(f"no preset {preset!r}; choose one of: {', '.join(PRESETS)}")
        plan = {target: list(names) for target, names in (chosen.columns if chosen else {}).items()}
        try:
            pairs = parse_columns(columns, TARGETS) if columns is not None else []
        except MappingError as error:
            raise ImportFormatError(str(error)) from None
        for target in {target for _, target in pairs}:
            plan[target] = [name for name, named in pairs if named == target]
        return cls(
            tool=chosen.name if chosen else "custom",
            columns={target: tuple(names) for target, names in plan.items()},
            explicit=tuple(name for name, _ in pairs),
            date_order=date_order or (chosen.date_order if chosen else None),
            numeric_sentiment=bool(chosen and chosen.numeric_sentiment),
        )

    def resolve(self, names: Iterable[str]) -> dict[str, list[str]]:
        """The candidates present among ``names``, matched ignoring case and spaces."""
        present: dict[str, str] = {}
        for name in names:
            present.setdefault(name.strip().casefold(), name)
        return {
            target: [present[c.casefold()] for c in candidates if c.casefold() in present]
            for target, candidates in self.columns.items()
        }

    def header_problem(self, header: list[str]) -> str | None:
        names = {name.strip().casefold() for name in header}
        absent = [name for name in self.explicit if name.strip().casefold() not in names]
        if absent:
            return f"--columns names {', '.join(map(repr, absent))}, not in the header"
        for needed in (("text",), ("created_at",), ("url", "id")):
            candidates = [c for target in needed for c in self.columns.get(target, ())]
            if not any(c.casefold() in names for c in candidates):
                looked = f" (looked for {', '.join(candidates)})" if candidates else ""
                return f"no column for {' or '.join(needed)}{looked}"
        return None

    def find_header(self, rows: list[list[str]], file: str) -> int:
        """The index of the header among the file's first rows, or a clear error."""
        for index, row in enumerate(rows):
            if self.header_problem(row) is None:
                return index
        if not rows:
            raise ImportFormatError(f"{file} is empty or has no header row")
        wanted = {c.casefold() for names in self.columns.values() for c in names}
        best = max(rows, key=lambda row: sum(n.strip().casefold() in wanted for n in row))
        preset = PRESETS.get(self.tool)
        kind = f"does not look like a {preset.label} export: " if preset else ""
        raise ImportFormatError(
            f"{file} {kind}{self.header_problem(best)}. Its columns are: "
            f"{', '.join(name.strip() for name in best if name.strip())}. Name them with "
            '--columns, e.g. --columns "Message=text,Date=created_at,Link=url"'
        )

    def to_fields(
        self, record: dict[str, Any], resolved: dict[str, list[str]], platform: str
    ) -> dict[str, Any] | str:
        """Mention fields from one row, or the reason it cannot be one."""
        values: dict[str, str] = {}
        used: set[str] = set()
        for target, names in resolved.items():
            for name in names:
                if cell := _cell(record.get(name)):
                    values[target] = cell
                    used.add(name)
                    break
        for needed in ("text", "created_at"):
            if needed not in values:
                where = ", ".join(self.columns.get(needed, ()))
                return f"{needed}: is empty" + (f" (in {where})" if where else "")
        try:
            created = parse_when(values["created_at"], self.date_order, values.get("time"))
        except ValueError as error:
            return f"created_at: {error}"
        url, given_id = values.get("url"), values.get("id", "").strip("\"' ")
        if not url and not given_id:
            return "no url and no id: nothing tells this post apart from others"
        network = platform_of(values.get("platform")) or platform_of(url) or platform
        fields: dict[str, Any] = {
            "platform": network,
            "native_id": given_id or id_from_url(url or "", network),
            "text": values["text"],
            "created_at": created,
        }
        for target in _COUNTS:
            if target in values:
                try:
                    fields[COLUMNS[target]] = parse_count(values[target])
                except ValueError as error:
                    return f"{target}: {error}"
        if "score" in values:
            fields["score"] = values["score"]
        if "lang" in values:
            fields["lang"] = language(values["lang"])
        if "author" in values:
            fields["author_handle"] = values["author"].lstrip("@") or None
        fields.update({COLUMNS[t]: values[t] for t in _TEXTS if t in values})
        imported = {"tool": self.tool}
        if "platform" in values:
            imported["source"] = values["platform"]
        if "sentiment" in values:
            imported["sentiment_raw"] = values["sentiment"]
            if found := normalize_sentiment(values["sentiment"], self.numeric_sentiment):
                imported["sentiment"] = found
        rest = {key: value for key, value in record.items() if key not in used and _cell(value)}
        fields["raw"] = {"imported": imported, **({"export": rest} if rest else {})}
        return fields


def _check_plain_header(path: Path) -> None:
    """umot's own format needs id, text and created_at; an export of a known tool is
    named, so that its user learns about --preset instead of just being refused."""
    rows = list(first_rows(path))
    if not rows or {name.strip() for name in rows[0]} >= REQUIRED:
        return  # an empty file is reported when it is read
    for preset in PRESETS.values():
        mapping = ExportMap.build(preset.name, None, None)
        if any(mapping.header_problem(row) is None for row in rows):
            raise ImportFormatError(
                f"{path.name} looks like a {preset.label} export, not umot's format: "
                f"import it with --preset {preset.name}"
            )
    raise header_lacks(path, REQUIRED - {name.strip() for name in rows[0]})


def _cell(value: Any) -> str:
    """A cell as text; JSON lists (Talkwalker's source_type) are joined."""
    if value is None or isinstance(value, dict):
        return ""
    if isinstance(value, list):
        return ", ".join(_cell(part) for part in value if _cell(part))
    return str(value).strip()


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested JSON objects as dotted keys ("extra_author_attributes.name"), the way
    the tools name those fields in their CSV exports."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


class FileCollector:
    """Reads one file; its 'cursor' is unnecessary because upserts are idempotent."""

    def __init__(
        self,
        path: str | Path,
        *,
        fmt: str | None = None,
        platform: str = "import",
        brand: str | None = None,
        preset: str | None = None,
        columns: str | None = None,
        date_order: DateOrder | None = None,
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
        self.map: ExportMap | None = None
        if preset or columns is not None:
            self.map = ExportMap.build(preset, columns, date_order)
            if self.format == "csv":  # a wrong header is said now, before anything is stored
                self.map.find_header(list(first_rows(self.path)), self.path.name)
        elif date_order:
            raise ImportFormatError("--date-order applies to exports read with --preset/--columns")
        elif self.format == "csv":
            _check_plain_header(self.path)

    def collect(self, cursors: Cursors | None = None) -> Iterator[Item]:
        if self.map is not None:
            yield from self._collect_export(self.map)
            return
        rows = (
            jsonl_records(self.path) if self.format == "jsonl" else csv_records(self.path, REQUIRED)
        )
        for line, record in rows:
            if isinstance(record, Rejected):
                yield record
                continue
            fields = record_to_fields(record, self.platform)
            yield self._mention(line, fields, record)

    def _collect_export(self, mapping: ExportMap) -> Iterator[Item]:
        """Rows of another tool's export; without a known network the platform is "web"."""
        fallback = "web" if self.platform == "import" else self.platform
        if self.format == "jsonl":
            rows = jsonl_records(self.path)
        else:
            rows = csv_records(
                self.path, set(), find_header=lambda r: mapping.find_header(r, self.path.name)
            )
        resolved: dict[str, list[str]] | None = None
        for line, record in rows:
            if isinstance(record, Rejected):
                yield record
                continue
            if self.format == "jsonl":
                record = flatten(record)
            if resolved is None or self.format == "jsonl":
                resolved = mapping.resolve(record)
            fields = mapping.to_fields(record, resolved, fallback)
            if isinstance(fields, str):
                yield Rejected(f"line {line}: {fields}", record)
                continue
            yield self._mention(line, fields, record)

    def _mention(self, line: int, fields: dict[str, Any], record: dict[str, Any]) -> Item:
        if self.brand and not fields.get("brand"):
            fields["brand"] = self.brand
        item = mention_or_reject(fields)
        if isinstance(item, Rejected):
            item = Rejected(f"line {line}: {item.reason}", record, item.platform, item.native_id)
        return item
