"""Training from the team's labels: held-out judging, guarded promotion, versions, rollback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MODEL_CACHE

from nlp.heads import BUNDLED_HEADS
from nlp.label_training import EmbeddingCache
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


def labeled_database(path, count, label, brand="Velora", start=0):
    """``count`` mentions, each labeled by ``label(mention_id, text)`` → (sentiment, stage)."""
    db = open_database(path)
    mentions = [
        make_mention(
            brand=brand,
            native_id=f"t{n}",
            text=f"Velora {TOPICS[n % len(TOPICS)]} bericht {n}: "
            + ("echt slecht" if n % 3 == 0 else "prima zo" if n % 3 == 1 else "vraagje"),
        )
        for n in range(start, start + count)
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


def test_adapter_retrain_writes_a_new_adapter_and_drops_stale_features(team):
    folder, common = team
    labeled_database(folder / "team.db", 40, lambda key, text: ("negative", "experience"))
    umot(*common, "--force")  # heads only: features under the bundled adapter
    features = models_folder(folder / "team.db") / "features.db"
    output = umot(*common, "--force", "--adapter")

    assert "Trained the adapter and heads" in output and "v0002 is now in use" in output
    store = VersionStore(models_folder(folder / "team.db"))
    meta = store.meta("v0002")
    assert meta["kind"].startswith("adapter") and meta["parent"] == "v0001"
    new = (store.folder / "v0002" / "adapter" / "adapter_model.safetensors").read_bytes()
    old = (BUNDLED_HEADS / "adapter" / "adapter_model.safetensors").read_bytes()
    assert new != old  # the adapter itself learned, not only the heads
    assert (store.folder / "v0001" / "adapter" / "adapter_model.safetensors").read_bytes() == old
    assert not [p.name for p in store.folder.iterdir() if p.name.startswith(".")]
    fp32 = {"cache_dir": str(MODEL_CACHE), "device": "cpu", "backend": "torch"}
    scorer = build_classifier(Config.model_validate({"model": fp32}), folder / "team.db").scorers[
        "stage"
    ]
    cache = EmbeddingCache(features, scorer)
    try:  # the bundled adapter's features are gone; the old and new adapters' remain
        assert cache.prefix in cache.encoders() and len(cache.encoders()) == 2
    finally:
        cache.close()
    assert "+adapter" in umot("--db", "team.db", "model", "list")
    assert (store.folder / "v0002" / "heads-int8.safetensors").is_file()  # int8 is served
    int8 = {"cache_dir": str(MODEL_CACHE), "device": "cpu", "backend": "int8"}
    served = build_classifier(Config.model_validate({"model": int8}), folder / "team.db")
    assert served.scorers["stage"].int8 and "+int8+" in served.model_id


def test_brand_option_trains_and_judges_on_that_brands_labels_only(team):
    folder, common = team
    labeled_database(folder / "team.db", 30, lambda key, text: ("negative", "experience"))
    labeled_database(
        folder / "team.db", 12, lambda key, text: ("positive", "advocacy"), "Other", start=100
    )

    output = umot(*common, "--brand", "Other", "--force")
    meta = VersionStore(models_folder(folder / "team.db")).meta("v0001")
    assert meta["brand"] == "Other" and meta["counts"]["human_labels"] == 12
    assert "human labels of Other" in output
    missing = umot(*common, "--brand", "Nobody", code=1)
    assert "no human labels on mentions of brand 'Nobody'" in missing
    assert "go with --from-labels" in umot("train", "--brand", "Other", code=2)


KILL_HOOK = """
import os, sys, time
from nlp.heads import HeadsBundle

saving = HeadsBundle.save

def save_then_hang(self, folder, adapter_model=None):
    saving(self, folder, adapter_model)
    if folder.name.startswith(".v"):  # inside the new version, before it is complete
        open(os.environ["KILL_MARKER"], "w").write(str(folder))
        time.sleep(600)

HeadsBundle.save = save_then_hang
from umot.cli import cli
cli(sys.argv[1:])
"""


def test_a_retrain_killed_while_writing_leaves_the_current_model_in_use(team):
    folder, common = team
    labeled_database(folder / "team.db", 40, lambda key, text: ("negative", "experience"))
    umot(*common, "--force")
    store = VersionStore(models_folder(folder / "team.db"))
    assert store.current() == "v0001"
    (folder / "hook.py").write_text(KILL_HOOK)
    marker = folder / "killed-at"
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root), "KILL_MARKER": str(marker)}
    process = subprocess.Popen(
        [sys.executable, str(folder / "hook.py"), *common, "--force"],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the retrain never reached the write"
            time.sleep(0.1)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    half = Path(marker.read_text())
    assert half.is_dir() and (half / "heads.safetensors").is_file()  # it was mid-write
    assert store.ids() == ["v0001"] and store.current() == "v0001"
    config = Config.model_validate({"model": {"cache_dir": str(MODEL_CACHE), "device": "cpu"}})
    assert heads_folder(config, folder / "team.db") == store.folder / "v0001"
    assert "v0002" not in umot("--db", "team.db", "model", "list")

    assert half.name in store.sweep() and not half.exists()  # its process is gone
    assert "v0002 is now in use" in umot(*common, "--force")
