"""Training from the team's labels: held-out judging, guarded promotion, versions, rollback."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import MODEL_CACHE

from nlp.versions import VersionError, VersionStore, models_folder
from storage import open_database, upsert_mentions
from storage.labels import held_out
from storage.workspace import set_labels
from tests.conftest import make_mention
from tests.test_cli_nlp import write_training_data
from umot.classify import build_classifier, heads_folder
from umot.cli import cli
from umot.config import Config

STAGES = Config().journey.stages
SENTIMENTS = ("negative", "neutral", "positive")
TOPICS = ["accu", "levering", "app", "prijs", "garantie", "service", "zadel", "remmen"]


@pytest.fixture
def team(tmp_path, monkeypatch, model_cache):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("UMOT_CONFIG", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "config.toml").write_text(f'[model]\ncache_dir = "{MODEL_CACHE}"\ndevice = "cpu"\n')
    umsab, stages = write_training_data(tmp_path)
    common = ["--db", "team.db", "train", "--from-labels", "--umsab", str(umsab)]
    common += ["--stages", str(stages), "--references", "", "--dev", ""]
    return tmp_path, common


def umot(*args, code=0):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result.output


def labeled_database(path, count, label):
    """``count`` mentions, each labeled by ``label(mention_id, text)`` → (sentiment, stage)."""
    db = open_database(path)
    mentions = [
        make_mention(
            native_id=f"t{n}",
            text=f"Velora {TOPICS[n % len(TOPICS)]} bericht {n}: "
            + ("echt slecht" if n % 3 == 0 else "prima zo" if n % 3 == 1 else "vraagje"),
        )
        for n in range(count)
    ]
    upsert_mentions(db, mentions, source="t")
    for mention in mentions:
        sentiment, stage = label(mention.key, mention.text)
        set_labels(
            db,
            [mention.key],
            "anna",
            sentiment=sentiment,
            stage=stage,
            sentiments=SENTIMENTS,
            stages=STAGES,
        )
    db.close()
    return [m.key for m in mentions]


def test_too_few_held_out_labels_keep_a_candidate_until_forced(team):
    folder, common = team
    labeled_database(folder / "team.db", 40, lambda key, text: ("negative", "experience"))

    first = umot(*common)
    assert "kept as a candidate" in first and "too few to tell" in first
    store = VersionStore(models_folder(folder / "team.db"))
    assert store.ids() == ["v0001"] and store.current() is None
    meta = store.meta("v0001")
    assert meta["counts"]["held_out"] + meta["counts"]["trained_on"] == 40
    held = sum(held_out(f"x:t{n}") for n in range(40))
    assert meta["counts"]["held_out"] == held  # the same share every run

    forced = umot(*common, "--force")
    assert "v0002 is now in use (forced)" in forced
    config = Config.model_validate({"model": {"cache_dir": str(MODEL_CACHE), "device": "cpu"}})
    assert heads_folder(config, folder / "team.db") == store.folder / "v0002"
    assert (
        build_classifier(config, folder / "team.db").model_id
        != build_classifier(config, folder / "nothing.db").model_id
    )  # the version's heads, not the bundled ones

    listing = umot("--db", "team.db", "model", "list")
    assert "v0001" in listing and "candidate" in listing and "v0002" in listing
    assert json.loads(umot("--db", "team.db", "model", "show", "v0002"))["parent"] is None
    assert "bundled is now in use" in umot("--db", "team.db", "model", "rollback")
    assert "nothing to roll back" in umot("--db", "team.db", "model", "rollback", code=1)
    umot("--db", "team.db", "model", "use", "v0001")
    assert store.current() == "v0001"
    assert "no model version 'v9'" in umot("--db", "team.db", "model", "use", "v9", code=1)


def test_new_heads_that_are_worse_on_held_out_labels_are_not_used(team, classifier):
    folder, common = team
    predictions = {}

    def label(key, text):
        if held_out(key):  # held out: exactly what the current model says
            if key not in predictions:
                p = classifier.classify([text])[0]
                predictions[key] = (p.sentiment, p.stage)
            return predictions[key]
        return "positive", "none"  # trained on: one contradicting label for everything

    labeled_database(folder / "team.db", 220, label)
    output = umot(*common, "--label-weight", "50")

    assert "kept as a candidate" in output and "worse on held-out" in output
    store = VersionStore(models_folder(folder / "team.db"))
    assert store.current() is None
    rows = store.meta("v0001")["comparison"]
    assert rows["held-out human labels, stage"]["current"] == pytest.approx(1.0)
    assert rows["held-out human labels, stage"]["candidate"] < 1.0


def test_a_version_written_halfway_leaves_nothing(tmp_path):
    store = VersionStore(tmp_path / "m.models")

    def broken(folder):
        (folder / "heads.json").write_text("{}")
        raise KeyboardInterrupt  # as if killed while writing

    with pytest.raises(KeyboardInterrupt):
        store.add(broken, {"parent": None})
    assert store.ids() == [] and list(store.folder.iterdir()) == []
    with pytest.raises(VersionError):
        store.use("v0001")
