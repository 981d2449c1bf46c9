"""`umot import` of other tools' exports: presets, --columns, dates, ids and sentiment.

The fixtures under tests/fixtures/exports are small invented exports shaped like each
tool's (see collectors/presets.py for what each preset is built from).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from collectors.files import TARGETS, ExportMap, ImportFormatError
from collectors.presets import (
    PRESETS,
    MappingError,
    id_from_url,
    normalize_sentiment,
    parse_columns,
    parse_count,
    parse_when,
    platform_of,
)
from umot.cli import cli

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


@pytest.fixture
def umot(tmp_path, monkeypatch):
    """Run the real CLI in an empty folder whose configuration keeps the database there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("UMOT_CONFIG", raising=False)
    monkeypatch.delenv("UMOT_DB", raising=False)
    monkeypatch.setenv("COLUMNS", "240")
    (tmp_path / "config.toml").write_text('[database]\npath = "umot.db"\n')
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def stored(tmp_path: Path, db: str = "umot.db") -> dict[str, dict]:
    """Every mention with its author and raw JSON, by key."""
    with sqlite3.connect(tmp_path / db) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            "SELECT m.*, a.handle, a.name AS author_name, a.followers FROM mentions m "
            "LEFT JOIN authors a ON a.id = m.author_id"
        ).fetchall()
    return {row["id"]: {**dict(row), "raw": json.loads(row["raw"] or "null")} for row in rows}


def rejects(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "umot.db") as conn:
        return [row[0] for row in conn.execute("SELECT reason FROM rejects ORDER BY id")]


def imported(row: dict) -> dict:
    return row["raw"]["imported"]


# key: (platform, created_at, url, author handle, start of text, tool sentiment, as given)
EXPECTED = {
    "brandwatch": {
        "x:1852738401122334455": (
            "x",
            "2026-11-02T14:31:07Z",
            "https://twitter.com/fietsfan_nl/status/1852738401122334455",
            "fietsfan_nl",
            "Mijn Velora accu laadt niet meer op",
            "negative",
            "negative",
        ),
        "reddit:t1_lx9def1": (
            "reddit",
            "2026-11-03T08:05:00Z",
            "https://www.reddit.com/r/ebikes/comments/1gq2abc/velora_range/lx9def1/",
            "pedal_pusher",
            "Had my Velora for a year now",
            "positive",
            "positive",
        ),
        "x:1853700000000000001": (
            "x",
            "2026-11-05T11:00:00Z",
            "https://x.com/trapper/status/1853700000000000001",
            "trapper",
            'Velora, echt "top"\nnieuwe regel',
            "positive",
            "positive",
        ),
    },
    "talkwalker": {
        "x:1854100000000000003": (
            "x",
            "2026-11-04T10:30:00Z",
            "https://x.com/polderfan/status/1854100000000000003",
            "polderfan",
            "Polderstroom heeft de app eindelijk gerepareerd",
            "positive",
            "3",
        ),
        "reddit:t1_lxa9zzz": (
            "reddit",
            "2026-11-05T07:15:00Z",
            "https://www.reddit.com/r/thenetherlands/comments/1gr5kkk/polderstroom/lxa9zzz/",
            None,
            "Iemand ervaring met Polderstroom?",
            "neutral",
            "0",
        ),
    },
    "meltwater": {
        "x:1854200000000000004": (
            "x",
            "2026-11-06T09:12:00Z",
            "http://twitter.com/stroomklant/statuses/1854200000000000004",
            "stroomklant",
            "Polderstroom rekent ineens 40 euro extra",
            "negative",
            "Negative",
        ),
        "reddit:t3_1gs7xyz": (
            "reddit",
            "2026-11-08T18:30:00Z",
            "https://www.reddit.com/r/thenetherlands/comments/1gs7xyz/polderstroom_ervaringen/",
            "u/groenestroom",
            "Switched to Polderstroom last month",
            "positive",
            "Positive",
        ),
    },
    "sprout": {
        "facebook:" + id_from_url("https://www.facebook.com/velora/posts/123456789", "facebook"): (
            "facebook",
            "2026-11-08T10:00:00Z",
            "https://www.facebook.com/velora/posts/123456789",
            "Jan Jansen",
            "Velora service duurt echt te lang",
            "negative",
            "Negative",
        ),
        "instagram:" + id_from_url("https://www.instagram.com/p/DCx1abcd/", "instagram"): (
            "instagram",
            "2026-11-21T14:31:00Z",
            "https://www.instagram.com/p/DCx1abcd/",
            "koffieliefhebber",
            "Net mijn Velora opgehaald",
            "positive",
            "Positive",
        ),
    },
}
EXTRA = {"brandwatch": [], "talkwalker": [], "meltwater": [], "sprout": ["--date-order", "mdy"]}


@pytest.mark.parametrize("preset", sorted(EXPECTED))
def test_each_preset_imports_its_export(umot, tmp_path, preset):
    result = umot("import", str(EXPORTS / f"{preset}.csv"), "--preset", preset, *EXTRA[preset])
    assert result.exit_code == 0, result.output
    rows = stored(tmp_path)
    assert rejects(tmp_path) == []
    assert len(rows) == {"brandwatch": 4, "talkwalker": 3, "meltwater": 3, "sprout": 3}[preset]
    for key, (platform, when, url, handle, text, sentiment, given) in EXPECTED[preset].items():
        row = rows[key]
        assert (row["platform"], row["created_at"], row["url"]) == (platform, when, url)
        assert row["handle"] == handle and row["text"].startswith(text)
        assert imported(row)["tool"] == preset
        assert (imported(row)["sentiment"], imported(row)["sentiment_raw"]) == (sentiment, given)
    # umot's own labels stay umot's: nothing is classified or labelled by importing
    with sqlite3.connect(tmp_path / "umot.db") as conn:
        assert conn.execute("SELECT count(*) FROM classifications").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM human_labels").fetchone()[0] == 0


def test_preset_details_news_rows_counts_and_kept_columns(umot, tmp_path):
    for preset in ("brandwatch", "meltwater", "talkwalker"):
        assert umot("import", str(EXPORTS / f"{preset}.csv"), "--preset", preset).exit_code == 0
    rows = stored(tmp_path)
    news = [row for row in rows.values() if row["platform"] == "web"]
    assert len(news) == 3  # nu.nl and ad.nl articles: no known network, so "web"
    article = next(row for row in news if "winkel" in row["url"])
    assert article["text"] == "Velora opent eerste winkel in Utrecht"  # Title: Full Text empty
    assert article["raw"]["export"]["Reach"] == "250000"  # unmapped columns are kept
    melt = rows["x:1854200000000000004"]
    assert (melt["followers"], melt["likes"], melt["replies"], melt["reposts"]) == (2048, 15, 3, 4)
    assert rows["x:1852738401122334455"]["followers"] == 12345  # "12,345"
    assert rows["x:1853700000000000001"]["followers"] == 1200  # "1.2K"
    dated = next(row for row in news if "tarieven" in row["url"])
    assert dated["created_at"] == "2026-11-07T16:05:00Z"  # Date 07-Nov-2026 + Time 04:05 PM
    assert imported(dated) == {"tool": "meltwater", "source": "NU.nl", "sentiment_raw": "Not Rated"}
    assert rows["reddit:t3_1gs7xyz"]["lang"] == "en"  # "English"


def test_the_refused_brandwatch_header_is_accepted_with_preset_or_columns(umot, tmp_path):
    export = tmp_path / "brandwatch-export.csv"
    export.write_text(
        "Date,Url,Author,Full Text,Sentiment\n"
        "2026-11-02 14:31:07.0,https://twitter.com/anouk/status/1852000000000000009,anouk,"
        '"Velora levert snel, top",positive\n'
    )
    refused = umot("import", str(export))
    assert refused.exit_code == 1 and "looks like a Brandwatch export" in refused.output
    assert "--preset brandwatch" in refused.output
    assert not (tmp_path / "umot.db").exists()  # refused before anything was created

    columns = "Full Text=text,Date=created_at,Url=url,Author=author,Sentiment=sentiment"
    for db, options, tool in (
        ("preset.db", ["--preset", "brandwatch"], "brandwatch"),
        ("columns.db", ["--columns", columns], "custom"),
    ):
        assert umot("--db", db, "import", str(export), *options).exit_code == 0
        row = stored(tmp_path, db)["x:1852000000000000009"]
        assert (row["text"], row["created_at"], row["handle"]) == (
            "Velora levert snel, top",
            "2026-11-02T14:31:07Z",
            "anouk",
        )
        assert imported(row) == {"tool": tool, "sentiment_raw": "positive", "sentiment": "positive"}


def test_ids_from_urls_are_stable_across_imports(umot, tmp_path):
    export = str(EXPORTS / "talkwalker.csv")
    first = umot("import", export, "--preset", "talkwalker")
    again = umot("import", export, "--preset", "talkwalker")
    assert first.exit_code == again.exit_code == 0
    keys = set(stored(tmp_path))
    assert len(keys) == 3 and any(key.startswith("web:url-") for key in keys)
    with sqlite3.connect(tmp_path / "umot.db") as conn:
        runs = conn.execute("SELECT inserted FROM runs ORDER BY id").fetchall()
    assert [run[0] for run in runs] == [3, 0]  # the second import stored nothing new
    # One post, written differently: the same id; another post: another id.
    same = [
        "https://www.nu.nl/economie/1/velora.html",
        "http://nu.nl/economie/1/velora.html/",
        "https://WWW.NU.NL/economie/1/velora.html?utm_source=x&utm_medium=y#reacties",
    ]
    assert len({id_from_url(url, "web") for url in same}) == 1
    assert id_from_url("https://www.nu.nl/economie/2/velora.html", "web") != id_from_url(
        same[0], "web"
    )
    assert id_from_url("https://x.com/a/status/18?s=20", "x") == "18"
    assert id_from_url("https://old.reddit.com/r/a/comments/abc/t/def/", "reddit") == "t1_def"
    assert id_from_url("https://youtu.be/dQw4w9WgXcQ", "youtube") == "dQw4w9WgXcQ"


def test_bad_rows_are_reported_and_the_good_rows_stored(umot, tmp_path):
    export = tmp_path / "export.csv"
    export.write_text(
        "Bericht;Datum;Link;Volgers\n"  # a Dutch spreadsheet's semicolons
        "Velora is top;21-11-2026 10:00;https://www.nu.nl/a;1.234\n"
        ";21-11-2026 10:00;https://www.nu.nl/b;\n"
        "Velora geen datum;gisteren;https://www.nu.nl/c;\n"
        "Velora 31 februari;31-02-2026 10:00;https://www.nu.nl/d;\n"
        "Velora zonder link;21-11-2026 10:00;;\n"
        "Velora dubbelzinnig;03-04-2026 10:00;https://www.nu.nl/e;\n"
        "Velora volgers;21-11-2026 10:00;https://www.nu.nl/f;veel\n"
        "Velora te vroeg;21-11-1980 10:00;https://www.nu.nl/g;\n"
        "Velora nog een;22-11-2026 09:30;https://www.nu.nl/h;12\n"
    )
    columns = "Bericht=text,Datum=created_at,Link=url,Volgers=followers"
    result = umot("import", str(export), "--columns", columns)
    assert result.exit_code == 0, result.output
    assert sorted(row["text"] for row in stored(tmp_path).values()) == [
        "Velora is top",
        "Velora nog een",
    ]
    reasons = rejects(tmp_path)
    assert reasons[0] == "line 3: text: is empty (in Bericht)"
    assert reasons[1] == "line 4: created_at: cannot read 'gisteren' as a date"
    assert reasons[2] == "line 5: created_at: '31-02-2026 10:00' is not a date (no such day)"
    assert reasons[3].startswith("line 6: no url and no id")
    assert reasons[4].startswith("line 7: created_at: '03-04-2026 10:00' could be day-first")
    assert "--date-order" in reasons[4]
    assert reasons[5] == "line 8: followers: cannot read 'veel' as a count"
    assert reasons[6].startswith("line 9: created_at: is before 1990")
    assert len(reasons) == 7

    again = umot("import", str(export), "--columns", columns, "--date-order", "dmy")
    assert again.exit_code == 0
    ambiguous = next(r for r in stored(tmp_path).values() if r["text"] == "Velora dubbelzinnig")
    assert ambiguous["created_at"] == "2026-04-03T10:00:00Z"


def test_unknown_preset_columns_and_fields_are_clear_errors(umot, tmp_path):
    export = str(EXPORTS / "brandwatch.csv")
    unknown = umot("import", export, "--preset", "hootsuite")
    assert unknown.exit_code == 2
    assert all(name in unknown.output for name in PRESETS)
    field = umot("import", export, "--columns", "Full Text=body")
    assert field.exit_code == 1 and "'body', which is not a umot column" in field.output
    assert "created_at" in field.output
    column = umot("import", export, "--preset", "brandwatch", "--columns", "Fulltext=text")
    assert column.exit_code == 1 and "'Fulltext', not in the header" in column.output
    assert "Full Text" in column.output and "Sentiment" in column.output  # its columns
    other = umot("import", str(EXPORTS / "sprout.csv"), "--preset", "brandwatch")
    assert other.exit_code == 1
    assert "does not look like a Brandwatch export: no column for text" in other.output
    assert "Message" in other.output
    no_url = umot("import", export, "--columns", "Full Text=text,Date=created_at")
    assert no_url.exit_code == 1 and "no column for url or id" in no_url.output
    alone = umot("import", export, "--date-order", "dmy")
    assert alone.exit_code == 1 and "--date-order applies" in alone.output
    assert not (tmp_path / "umot.db").exists()


def test_help_documents_the_options_and_presets(umot):
    text = umot("import", "--help").output
    assert "--preset" in text and "--columns" in text and "--date-order" in text
    assert all(name in text for name in PRESETS)
    assert "Full Text=text,Date=created_at,Url=url" in text


def test_talkwalker_json_lines_with_nested_fields(umot, tmp_path):
    export = tmp_path / "talkwalker.jsonl"
    post = {
        "url": "https://www.reddit.com/r/fietsen/comments/1gt0aaa/velora/lxb1bbb/",
        "published": int(datetime(2026, 11, 10, 12, 0, tzinfo=UTC).timestamp() * 1000),
        "content": "Velora gekocht, tot nu toe prima",
        "lang": "nl",
        "sentiment": -2,
        "source_type": ["MESSAGEBOARD", "MESSAGEBOARD_REDDIT"],
        "extra_author_attributes": {"name": "Fietser", "short_name": "fietser_123"},
        "reach": 0,
    }
    export.write_text(json.dumps(post) + "\n" + json.dumps({**post, "url": ""}) + "\n")
    assert umot("import", str(export), "--preset", "talkwalker").exit_code == 0
    row = stored(tmp_path)["reddit:t1_lxb1bbb"]
    assert (row["created_at"], row["handle"], row["author_name"]) == (
        "2026-11-10T12:00:00Z",
        "fietser_123",
        "Fietser",
    )
    assert imported(row)["sentiment"] == "negative" and imported(row)["sentiment_raw"] == "-2"
    assert rejects(tmp_path) == [
        "line 2: no url and no id: nothing tells this post apart from others"
    ]


def test_columns_text_is_parsed_with_quotes():
    pairs = parse_columns('Full Text=text, "Date, UTC"=created_at,"a ""b"" = c"=url', TARGETS)
    assert pairs == [("Full Text", "text"), ("Date, UTC", "created_at"), ('a "b" = c', "url")]
    for bad, message in (
        ("Full Text", "is not COLUMN=FIELD"),
        ('"Date=created_at', "unclosed quote"),
        (" , ", "is empty"),
        ("x=sentiment_score", "not a umot column"),
    ):
        with pytest.raises(MappingError, match=message):
            parse_columns(bad, TARGETS)
    mapping = ExportMap.build("brandwatch", "Snippet=text,Mood=sentiment", None)
    assert mapping.columns["text"] == ("Snippet",)  # --columns replace the preset's entry
    assert mapping.columns["url"] == ("Url",)  # and keep the rest
    with pytest.raises(ImportFormatError, match="choose one of: brandwatch"):
        ExportMap.build("nope", None, None)


@pytest.mark.parametrize(
    ("text", "order", "time", "expected"),
    [
        ("2026-11-02 14:31:07.0", None, None, datetime(2026, 11, 2, 14, 31, 7)),
        (
            "2019-10-10T17:48:54.588+0000",
            None,
            None,
            datetime(2019, 10, 10, 17, 48, 54, 588000, UTC),
        ),
        ("1762093867000", None, None, datetime(2025, 11, 2, 14, 31, 7, tzinfo=UTC)),
        ("1762093867", None, None, datetime(2025, 11, 2, 14, 31, 7, tzinfo=UTC)),
        ("02-Nov-2026 02:31PM", None, None, datetime(2026, 11, 2, 14, 31)),
        ("02-Nov-26", None, "02:31 PM", datetime(2026, 11, 2, 14, 31)),
        ("Nov 2, 2026 12:05 AM", None, None, datetime(2026, 11, 2, 0, 5)),
        ("maandag, 2 november 2026 09:15", None, None, datetime(2026, 11, 2, 9, 15)),
        ("21/11/2026 14:31", None, None, datetime(2026, 11, 21, 14, 31)),
        ("11/21/2026 2:31 pm", None, None, datetime(2026, 11, 21, 14, 31)),
        ("03/04/2026", "dmy", None, datetime(2026, 4, 3)),
        ("03/04/2026", "mdy", None, datetime(2026, 3, 4)),
        ("04.04.2026 10:00", None, None, datetime(2026, 4, 4, 10, 0)),  # same either way
        ("2026-11-02", None, "14:31", datetime(2026, 11, 2, 14, 31)),
        (
            "2 nov. 2026 14:31 +0100",
            None,
            None,
            datetime(2026, 11, 2, 14, 31, tzinfo=timezone(timedelta(hours=1))),
        ),
    ],
)
def test_dates_in_the_tools_formats(text, order, time, expected):
    assert parse_when(text, order, time) == expected


@pytest.mark.parametrize(
    ("text", "order", "time", "reason"),
    [
        ("03/04/2026", None, None, "could be day-first or month-first"),
        ("02-11-2026 10:00", None, None, "could be day-first or month-first"),
        ("31/02/2026", "dmy", None, "no such day"),
        ("13/13/2026", None, None, "no such day"),
        ("2026-11-02 25:00", None, None, "not a time of day"),
        ("2026-11-02 13:00 PM", None, None, "not a 12-hour time"),
        ("2026-11-02 14:31 uur", None, None, "cannot read"),
        ("02 Brumaire 2026", None, None, "month 'Brumaire'"),
        ("02-Nov-2026", None, "kwart over", "cannot read the time"),
        ("46328.6", None, None, "cannot read"),  # a spreadsheet's serial day: not guessed
    ],
)
def test_unreadable_or_ambiguous_dates_are_refused(text, order, time, reason):
    with pytest.raises(ValueError, match=reason):
        parse_when(text, order, time)


def test_counts_platforms_and_sentiment_scales():
    assert [parse_count(v) for v in ("12345", "12,345", "1.234.567", "12 345", "1,5K", "3M")] == [
        12345,
        12345,
        1234567,
        12345,
        1500,
        3000000,
    ]
    for bad in ("1.5", "1,23", "veel", "-3"):
        with pytest.raises(ValueError, match="as a count"):
            parse_count(bad)
    assert [
        platform_of(v)
        for v in ("Twitter", "x.com", "MESSAGEBOARD_REDDIT", "LinkedIn", "news", "nu.nl", "")
    ] == ["x", "x", "reddit", "linkedin", None, None, None]
    assert platform_of("https://mobile.twitter.com/a/status/1") == "x"
    assert [
        platform_of(v) for v in ("X (Twitter)", "Project X Magazine", "Bike Threads Forum")
    ] == [
        "x",
        None,
        None,
    ]  # an outlet's name is not a network because one of its words is
    assert normalize_sentiment("-3", numeric=True) == "negative"
    assert normalize_sentiment("0", numeric=True) == "neutral"
    assert normalize_sentiment("-3", numeric=False) is None  # a scale umot does not know
    assert normalize_sentiment("Negatief", numeric=False) == "negative"
    assert normalize_sentiment("Not Rated", numeric=False) is None
