from __future__ import annotations

import json

import pytest

from collectors.files import FileCollector, ImportFormatError
from umot.brands import BrandMatcher
from umot.config import BrandConfig
from umot.pipeline import run_collector

MATCHER = BrandMatcher([BrandConfig(name="Velora", queries=["Velora"])])
GOOD = {
    "platform": "x",
    "id": "100",
    "text": "Velora levert snel",
    "created_at": "2026-11-01T09:00:00Z",
    "author": "bram",
    "followers": 12,
    "likes": 3,
    "tool_sentiment": "pos",
}


def write_jsonl(path, lines):
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_jsonl_import_keeps_good_lines_and_explains_bad_ones(db, tmp_path):
    path = write_jsonl(
        tmp_path / "export.jsonl",
        [
            json.dumps(GOOD).encode(),
            b'{"id": "101", "text": broken json',
            json.dumps({**GOOD, "id": "102"}).encode()[:-1] + b', "x": "\xff"}',
            b"[1, 2, 3]",
            json.dumps({**GOOD, "id": "103", "created_at": "not a date"}).encode(),
            b"",
            json.dumps({**GOOD, "id": "104", "platform": None, "text": "Nog een Velora"}).encode(),
        ],
    )
    report = run_collector(db, FileCollector(path), matcher=MATCHER, step="import")
    assert (report.inserted, report.rejected) == (2, 4)
    reasons = [row[0] for row in db.execute("SELECT reason FROM rejects ORDER BY id")]
    assert reasons[0].startswith("line 2: invalid JSON")
    assert reasons[1].startswith("line 3: not valid UTF-8")
    assert reasons[2] == "line 4: expected a JSON object, got list"
    assert reasons[3].startswith("line 5: created_at")
    rows = {r["id"]: r for r in db.query("SELECT id, brand, raw, author_id FROM mentions")}
    assert set(rows) == {"x:100", "import:104"}
    assert rows["x:100"]["brand"] == "Velora"
    assert json.loads(rows["x:100"]["raw"]) == {"tool_sentiment": "pos"}
    assert rows["x:100"]["author_id"] == "x:bram"


def test_importing_the_same_file_twice_stores_nothing_twice(db, tmp_path):
    path = write_jsonl(
        tmp_path / "a.jsonl", [json.dumps({**GOOD, "id": str(i)}).encode() for i in range(50)]
    )
    first = run_collector(db, FileCollector(path), matcher=MATCHER, batch_size=7)
    second = run_collector(db, FileCollector(path), matcher=MATCHER, batch_size=7)
    assert (first.inserted, second.inserted, second.updated) == (50, 0, 50)
    assert db.execute("SELECT count(*) FROM mentions").fetchone()[0] == 50


def test_csv_import_with_bom_quotes_newlines_and_bad_rows(db, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(
        "\ufeffid,platform,text,created_at,likes,lang\n"
        '1,reddit,"Velora, echt ""top""\nnieuwe regel",2026-11-02T10:00:00Z,4,nl\n'
        "2,reddit,Velora,2026-11-02T10:00:00Z,many,nl\n"
        "3,reddit,Velora,2026-11-02T10:00:00Z,1,nl,extra\n".encode()
        + b"4,reddit,Velora \xff,2026-11-02T10:00:00Z,1,nl\n"
        + b"5,reddit,,2026-11-02T10:00:00Z,,\n"
    )
    report = run_collector(db, FileCollector(path), matcher=MATCHER)
    assert (report.inserted, report.rejected) == (1, 4)
    text, likes = db.execute("SELECT text, likes FROM mentions").fetchone()
    assert text == 'Velora, echt "top"\nnieuwe regel' and likes == 4
    reasons = [row[0] for row in db.execute("SELECT reason FROM rejects ORDER BY id")]
    assert reasons[0].startswith("line 4: likes")
    assert reasons[1] == "line 5: more cells than header columns"
    assert reasons[2] == "line 6: not valid UTF-8"
    assert reasons[3].startswith("line 7: text")


def test_csv_without_required_columns_is_refused_before_storing(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("name,message\nbram,hi\n")
    with pytest.raises(ImportFormatError, match="created_at, id, text"):
        list(FileCollector(path).collect())


def test_unknown_extension_and_missing_file_are_clear_errors(tmp_path):
    (tmp_path / "data.xlsx").write_text("x")
    with pytest.raises(ImportFormatError, match="--format"):
        FileCollector(tmp_path / "data.xlsx")
    with pytest.raises(ImportFormatError, match="does not exist"):
        FileCollector(tmp_path / "nope.jsonl")
