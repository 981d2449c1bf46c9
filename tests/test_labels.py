"""Human labels out of one installation and into another; the stable held-out share."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from storage import open_database, upsert_mentions
from storage.labels import held_out
from storage.workspace import set_labels
from storage.writes import ClassificationRow, store_classifications
from tests.conftest import make_mention
from umot.cli import cli
from umot.config import Config

STAGES = Config().journey.stages
SENTIMENTS = ("negative", "neutral", "positive")


def database(path, labels: bool):
    """Four classified mentions with the same ids in every database made here."""
    db = open_database(path)
    mentions = [make_mention(native_id=f"77{n}", text=f"Velora post {n}") for n in range(4)]
    upsert_mentions(db, mentions, source="t")
    store_classifications(
        db, "m1", [ClassificationRow(m.key, "nl", "neutral", {}, "none", {}) for m in mentions]
    )
    ids = [m.key for m in mentions]
    if labels:
        set_labels(db, ids[:2], "anna", stage="consideration", sentiments=SENTIMENTS, stages=STAGES)
        set_labels(db, ids[1:3], "bram", sentiment="negative", sentiments=SENTIMENTS, stages=STAGES)
    db.close()
    return ids


def labels_in(path):
    db = open_database(path)
    try:
        return sorted(
            db.execute("SELECT mention_id, sentiment, stage, labeled_by FROM human_labels")
        )
    finally:
        db.close()


def umot(*args, code=0):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_labels_round_trip_between_databases(tmp_path, suffix):
    database(tmp_path / "a.db", labels=True)
    database(tmp_path / "b.db", labels=False)  # the same mentions, no labels yet
    exported = tmp_path / f"labels.{suffix}"

    assert "Wrote 3 human labels" in umot(
        "--db", str(tmp_path / "a.db"), "label", "export", str(exported)
    )
    output = umot("--db", str(tmp_path / "b.db"), "label", "import", str(exported))

    assert "3 mentions labeled" in output
    assert labels_in(tmp_path / "b.db") == labels_in(tmp_path / "a.db")
    again = umot("--db", str(tmp_path / "b.db"), "label", "import", str(exported))
    assert "0 mentions labeled, 3 already had these labels" in again


def test_bad_rows_are_reported_and_the_rest_imported(tmp_path):
    ids = database(tmp_path / "a.db", labels=False)
    source = tmp_path / "in.jsonl"
    platform, native = ids[3].split(":", 1)
    source.write_text(
        "\n".join(
            [
                json.dumps({"id": ids[0], "stage": "purchase", "user": "carla"}),
                json.dumps({"id": "x:nope", "stage": "purchase"}),
                json.dumps({"id": ids[1], "stage": "bliss"}),
                "{not json",
                json.dumps({"stage": "purchase"}),
                json.dumps({"platform": platform, "native_id": native, "sentiment": "positive"}),
            ]
        )
        + "\n"
    )

    output = umot("--db", str(tmp_path / "a.db"), "label", "import", str(source), code=1)

    assert "2 mentions labeled" in output and "4 rows rejected" in output
    for line, reason in (
        (2, "no mention 'x:nope'"),
        (3, "stage must be"),
        (4, "invalid JSON"),
        (5, "no mention id"),
    ):
        assert f"line {line}: {reason}" in output
    assert labels_in(tmp_path / "a.db") == sorted(
        [(ids[0], None, "purchase", "carla"), (ids[3], "positive", None, "import")]
    )
    assert "cannot tell the format" in umot("label", "export", str(tmp_path / "x.txt"), code=1)


def test_the_held_out_share_is_stable_and_about_a_fifth():
    ids = [f"x:{n}" for n in range(5000)]
    first = [held_out(i) for i in ids]
    assert first == [held_out(i) for i in ids]  # same mentions held out on every run
    assert 0.18 < sum(first) / len(ids) < 0.22
    assert [held_out(i, seed=14) for i in ids] != first
