"""Labeled data: UMSAB-style folders and umot's labeled JSONL (``text`` + labels)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

SENTIMENTS = ("negative", "neutral", "positive")
UMSAB_LANGS = {
    "arabic": "ar",
    "english": "en",
    "french": "fr",
    "german": "de",
    "hindi": "hi",
    "italian": "it",
    "portuguese": "pt",
    "spanish": "es",
}


# umot's own labeled data, written by the team under docs/annotation-guide.md.
DATA_DIR = Path(__file__).with_name("data")
CORPUS = DATA_DIR / "journey_stage.jsonl"
UMSAB_REFERENCES = DATA_DIR / "umsab_stage.jsonl"


class DataError(ValueError):
    """Labeled data cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Example:
    text: str
    lang: str | None
    sentiment: str | None = None
    stage: str | None = None
    id: str | None = None
    parent: str | None = None  # the text a reply or quote answers


def load_umsab(folder: Path, split: str, languages: list[str] | None = None) -> list[Example]:
    """``<language>/<split>_text.txt`` with labels 0/1/2 on the same lines of ``_labels``."""
    examples: list[Example] = []
    found = False
    for directory in sorted(folder.iterdir()):
        lang = UMSAB_LANGS.get(directory.name, directory.name)
        if languages and lang not in languages:
            continue
        text_file = directory / f"{split}_text.txt"
        label_file = directory / f"{split}_labels.txt"
        if not text_file.is_file() or not label_file.is_file():
            continue
        found = True
        texts = text_file.read_text(encoding="utf-8").splitlines()
        labels = label_file.read_text(encoding="utf-8").splitlines()
        if len(texts) != len(labels):
            raise DataError(f"{text_file}: {len(texts)} texts but {len(labels)} labels")
        for number, (text, label) in enumerate(zip(texts, labels, strict=True), start=1):
            if label.strip() not in ("0", "1", "2"):
                raise DataError(f"{label_file}:{number}: label {label!r} is not 0, 1 or 2")
            examples.append(
                Example(text, lang, SENTIMENTS[int(label)], id=f"{lang}-{split}-{number}")
            )
    if not found:
        raise DataError(f"{folder} has no <language>/{split}_text.txt and {split}_labels.txt")
    return examples


def iter_jsonl(handle: TextIO) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, object with a string 'text') or (line number, what is wrong)."""
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, f"line {number}: invalid JSON ({error.msg})"
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            yield number, f"line {number}: needs a JSON object with a string 'text'"
            continue
        yield number, record


def load_jsonl(path: Path) -> list[Example]:
    examples = []
    with path.open(encoding="utf-8") as handle:
        for number, record in iter_jsonl(handle):
            if isinstance(record, str):
                raise DataError(f"{path}: {record}")
            parent = record.get("parent_text")
            if parent is not None and not isinstance(parent, str):
                raise DataError(f"{path}: line {number}: 'parent_text' must be a string")
            examples.append(
                Example(
                    record["text"],
                    record.get("lang"),
                    record.get("sentiment"),
                    record.get("stage"),
                    str(record.get("id", number)),
                    parent or None,
                )
            )
    return examples


def load_umsab_references(path: Path, umsab: Path, split: str | None = None) -> list[Example]:
    """Stage labels the team gave to UMSAB tweets, with text and sentiment read from the
    UMSAB folder itself: the project stores line references, never the tweets.

    Each line of ``path``: ``{"lang", "split", "line" (1-based), "stage", "sha1"}``; the
    tweet's ``sha1`` prefix guards against a different copy of UMSAB.
    """
    folders = {code: name for name, code in UMSAB_LANGS.items()}
    cache: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    examples = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            ref = json.loads(line)
            if split is not None and ref["split"] != split:
                continue
            key = (ref["lang"], ref["split"])
            if key not in cache:
                folder = umsab / folders.get(ref["lang"], ref["lang"])
                try:
                    texts = (folder / f"{ref['split']}_text.txt").read_text("utf-8").splitlines()
                    labels = (folder / f"{ref['split']}_labels.txt").read_text("utf-8").splitlines()
                except OSError as error:
                    raise DataError(
                        f"{path}:{number}: cannot read UMSAB in {folder}: {error}"
                    ) from None
                cache[key] = (texts, labels)
            texts, labels = cache[key]
            index = int(ref["line"]) - 1
            if not 0 <= index < len(texts):
                raise DataError(f"{path}:{number}: UMSAB {key} has no line {ref['line']}")
            text = texts[index]
            if ref.get("sha1") and text_digest(text) != ref["sha1"]:
                raise DataError(
                    f"{path}:{number}: UMSAB {key} line {ref['line']} is not the labeled tweet "
                    "(another copy or version of UMSAB?)"
                )
            examples.append(
                Example(
                    text,
                    ref["lang"],
                    SENTIMENTS[int(labels[index])],
                    ref["stage"],
                    f"umsab-{ref['lang']}-{ref['split']}-{ref['line']}",
                )
            )
    return examples


def text_digest(text: str) -> str:
    """A short fingerprint of a tweet: enough to check a reference, not to recover it."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def load_labeled(
    path: Path, split: str = "val", languages: list[str] | None = None
) -> list[Example]:
    """A UMSAB-style folder or a labeled JSONL file, whichever ``path`` is."""
    if path.is_dir():
        return load_umsab(path, split, languages)
    if path.is_file():
        examples = load_jsonl(path)
        return [e for e in examples if not languages or e.lang in languages]
    raise DataError(f"{path} does not exist")
