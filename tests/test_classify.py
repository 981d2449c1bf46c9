"""The real classifier (bundled encoder + trained weights) end to end: a few texts only."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import make_mention

from storage import upsert_mentions
from umot.classify import classify_database, classify_file

TEXTS = [
    "Do not buy a Velora. Save yourself the trouble.",
    "Twijfel tussen Velora en Trapkracht, wie heeft tips?",
    "Vacature: Polderstroom zoekt een medewerker klantenservice.",
    "Zojuist besteld bij Smaakdoos! Benieuwd.",
]


def test_predictions_are_probabilities_in_input_order(classifier):
    batch = classifier.classify(TEXTS)
    one_by_one = [classifier.classify([text])[0] for text in TEXTS]
    for together, alone in zip(batch, one_by_one, strict=True):
        assert together.sentiment == alone.sentiment and together.stage == alone.stage
        assert together.stage_scores == pytest.approx(alone.stage_scores, abs=2e-3)
        assert sum(together.sentiment_scores.values()) == pytest.approx(1, abs=1e-3)
        assert sum(together.stage_scores.values()) == pytest.approx(1, abs=1e-3)
        assert together.sentiment == max(
            together.sentiment_scores, key=together.sentiment_scores.get
        )
    assert [p.lang for p in batch] == ["en", "nl", "nl", "nl"]


def test_clear_cases_get_the_right_labels(classifier):
    warning, question, job_ad, order = classifier.classify(TEXTS)
    assert warning.sentiment == "negative" and warning.stage == "advocacy"
    assert question.stage == "consideration"
    assert job_ad.stage == "none"
    assert order.stage == "purchase"


def test_identical_texts_are_run_once(classifier):
    seen = []
    results = classifier.classify(["zelfde tekst"] * 5 + ["andere tekst"], progress=seen.append)
    assert sum(seen) == 2
    assert len({json.dumps(r.as_dict(), sort_keys=True) for r in results[:5]}) == 1


def test_known_language_from_the_source_is_kept(classifier):
    assert classifier.classify(["Velora"], ["nl"])[0].lang == "nl"


def test_database_classification_is_incremental_and_resumable(db, classifier, monkeypatch):
    mentions = [
        make_mention(native_id=str(i), text=f"{TEXTS[i % 4]} #{i}", lang=None) for i in range(7)
    ]
    upsert_mentions(db, mentions, source="t")
    calls = {"n": 0}
    real = classifier.classify

    def crash_on_second_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(classifier, "classify", crash_on_second_batch)
    with pytest.raises(KeyboardInterrupt):
        classify_database(db, classifier, batch_size=3)
    monkeypatch.undo()
    assert db.execute("SELECT count(*) FROM classifications").fetchone()[0] == 3
    resumed = classify_database(db, classifier, batch_size=3)
    assert (resumed.classified, resumed.remaining) == (4, 0)
    again = classify_database(db, classifier, batch_size=3)
    assert again.classified == 0
    row = db.execute(
        "SELECT model_id, sentiment, sentiment_scores FROM classifications WHERE mention_id = 'x:0'"
    ).fetchone()
    assert row[0] == classifier.model_id and row[1] in json.loads(row[2])
    langs = dict(db.execute("SELECT native_id, lang FROM mentions").fetchall())
    assert langs["0"] == "en" and langs["1"] == "nl"  # detected and stored per mention
    statuses = [r[0] for r in db.execute("SELECT error FROM runs WHERE step = 'classify'")]
    assert statuses == ["interrupted", None, None]


def test_file_classification_writes_one_line_per_input(classifier, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"id": 1, "text": TEXTS[0]})
        + "\n\nnot json\n"
        + json.dumps({"id": "b", "text": TEXTS[2]})
        + "\n"
        + '{"id": 3}\n'
    )
    out = tmp_path / "out.jsonl"
    with source.open() as src, out.open("w") as dst:
        done, failed = classify_file(classifier, src, dst)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert (done, failed) == (2, 2)
    assert [line.get("id") for line in lines] == [1, None, "b", None]
    assert "invalid JSON" in lines[1]["error"] and "string 'text'" in lines[3]["error"]
    assert set(lines[0]) == {"id", "lang", "sentiment", "sentiment_scores", "stage", "stage_scores"}
    assert np.isclose(sum(lines[2]["stage_scores"].values()), 1, atol=1e-3)


def test_a_backlog_is_classified_newest_first_a_bounded_number_at_a_time(db, classifier):
    from storage import upsert_mentions
    from storage.queries import unclassified_mentions
    from tests.conftest import make_mention
    from umot.classify import classify_database

    mentions = [make_mention(native_id=f"b{i}", text=f"Velora bericht {i}") for i in range(5)]
    upsert_mentions(db, mentions, source="t")
    newest = [m.key for m in reversed(mentions)]
    queued = [
        r["id"] for b in unclassified_mentions(db, "m", batch_size=2, newest_first=True) for r in b
    ]
    assert queued == newest

    first = classify_database(db, classifier, limit=2, newest_first=True)
    assert (first.classified, first.remaining) == (2, 3)
    done = {r[0] for r in db.execute("SELECT mention_id FROM classifications")}
    assert done == set(newest[:2])
    second = classify_database(db, classifier, limit=2, newest_first=True)  # resumes
    assert (second.classified, second.remaining) == (2, 1)
    assert {r[0] for r in db.execute("SELECT mention_id FROM classifications")} == set(newest[:4])
