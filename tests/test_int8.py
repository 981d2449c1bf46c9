"""int8 inference: close to fp32, built once and atomically, and a backend switch that
re-classifies only what that backend's model has not labeled."""

from __future__ import annotations

import numpy as np
import pytest

from nlp.classifier import Classifier, HeadsScorer
from nlp.int8 import int8_model
from storage import open_database, upsert_mentions
from tests.conftest import make_mention
from umot.classify import classify_database
from umot.config import Config

TEXTS = [
    "Mijn Velora accu is na drie weken al kapot, klantenservice reageert niet",
    "Twijfel tussen Velora en Cortina, wie heeft ervaring met de S3?",
    "Net mijn nieuwe Velora opgehaald, zin in de eerste rit!",
    "Velora's app werkt eindelijk, top update",
    "Ik raad iedereen Velora aan, drie jaar zonder problemen",
    "Does anyone know if Velora ships to Belgium?",
    "Worst purchase ever. Velora won't answer my emails.",
    "Velora sponsort de wielerronde dit weekend",
]


@pytest.fixture(scope="module")
def int8_scorer(model_cache):
    return HeadsScorer.load(None, cache_dir=model_cache, device="cpu", backend="int8")


def test_int8_agrees_with_fp32_and_has_its_own_model_id(classifier, int8_scorer):
    fp32 = classifier.scorers["stage"]
    full = fp32.probabilities(TEXTS)
    small = int8_scorer.probabilities(TEXTS)
    for task in ("sentiment", "stage"):
        agree = (full[task].argmax(1) == small[task].argmax(1)).mean()
        assert agree >= 0.75, task
        assert np.abs(full[task] - small[task]).mean() < 0.1, task
    assert "+int8+" in int8_scorer.model_id and int8_scorer.model_id != fp32.model_id
    assert int8_scorer.bundle.weights_file == "heads-int8.safetensors"


def test_an_interrupted_int8_build_leaves_nothing_and_the_next_one_finishes(
    tmp_path, int8_scorer, classifier, monkeypatch
):
    import torch

    network = classifier.scorers["stage"].network
    saving = torch.save

    def killed(obj, path, *args, **kwargs):
        with open(path, "wb") as handle:
            handle.write(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", killed)
    with pytest.raises(KeyboardInterrupt):
        int8_model(network, tmp_path, "k1")
    assert list((tmp_path / "int8").iterdir()) == []  # no half file under any name
    monkeypatch.setattr(torch, "save", saving)
    built = int8_model(network, tmp_path, "k1")
    assert (tmp_path / "int8" / "k1.pt").is_file()
    again = int8_model(network, tmp_path, "k1")  # read back, same weights
    first = {k: v for k, v in built.state_dict().items() if isinstance(v, torch.Tensor)}
    second = {k: v for k, v in again.state_dict().items() if isinstance(v, torch.Tensor)}
    assert first.keys() == second.keys()
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_switching_backends_classifies_only_what_that_backend_has_not(
    tmp_path, classifier, int8_scorer
):
    db = open_database(tmp_path / "switch.db")
    upsert_mentions(
        db, [make_mention(native_id=f"s{n}", text=text) for n, text in enumerate(TEXTS)], source="t"
    )
    stages = Config().journey.stages
    int8 = Classifier({"sentiment": int8_scorer, "stage": int8_scorer}, stages)
    assert classify_database(db, classifier).classified == len(TEXTS)
    assert classify_database(db, int8).classified == len(TEXTS)  # its own model id
    assert classify_database(db, classifier).classified == 0  # back: nothing again
    assert classify_database(db, int8).classified == 0
    models = {row[0] for row in db.execute("SELECT DISTINCT model_id FROM classifications")}
    assert models == {classifier.model_id, int8.model_id}
