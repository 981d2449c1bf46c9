from __future__ import annotations

import json

import pytest

from nlp.data import DataError, load_jsonl, load_labeled, load_umsab
from nlp.langid import detect_language
from nlp.metrics import score
from nlp.train import fit_temperature


def test_scores_overall_and_per_language():
    truth = ["pos", "pos", "neg", "neg"]
    predicted = ["pos", "neg", "neg", "neg"]
    result = score(truth, predicted, ["nl", "nl", "en", "en"], ["neg", "pos"])
    assert result.accuracy == 0.75
    assert result.confusion == [[2, 0], [1, 1]]
    assert result.f1["neg"] == pytest.approx(0.8)
    assert result.macro_f1 == pytest.approx((0.8 + 2 / 3) / 2)
    assert result.by_language["en"].accuracy == 1.0
    assert result.by_language["nl"].macro_f1 == pytest.approx(2 / 3)  # only "pos" occurs


def test_temperature_cools_overconfident_logits():
    import numpy as np

    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, 400)
    noisy = np.where(rng.random(400) < 0.7, truth, 1 - truth)  # right 70% of the time
    logits = np.stack([(noisy == 0) * 10.0, (noisy == 1) * 10.0], axis=1)
    assert fit_temperature(logits, np.array(["a", "b"])[truth], ["a", "b"]) > 3


def test_umsab_folder_and_jsonl_loaders(tmp_path):
    folder = tmp_path / "umsab" / "dutch"
    folder.mkdir(parents=True)
    (folder / "val_text.txt").write_text("top\nslecht\n")
    (folder / "val_labels.txt").write_text("2\n0\n")
    examples = load_labeled(tmp_path / "umsab")
    assert [(e.text, e.sentiment, e.lang) for e in examples] == [
        ("top", "positive", "dutch"),
        ("slecht", "negative", "dutch"),
    ]
    (folder / "val_labels.txt").write_text("2\n")
    with pytest.raises(DataError, match="2 texts but 1 labels"):
        load_umsab(tmp_path / "umsab", "val")
    lines = tmp_path / "dev.jsonl"
    lines.write_text(
        json.dumps({"id": "a", "text": "x", "stage": "none", "lang": "nl"}) + "\n{oops\n"
    )
    with pytest.raises(DataError, match=r"dev\.jsonl: line 2: invalid JSON"):
        load_jsonl(lines)


def test_language_id_offline():
    assert detect_language("Mijn bestelling is nog steeds niet bezorgd, wat een gedoe") == "nl"
    assert detect_language("Meine Bestellung ist immer noch nicht angekommen") == "de"
    assert detect_language("😡😡 @user http://t.co/x") is None
