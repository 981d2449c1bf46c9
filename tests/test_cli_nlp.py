"""`umot classify`, `evaluate` and `train` through the CLI, on small data."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import MODEL_CACHE

from umot.cli import cli

STAGES = ["awareness", "consideration", "purchase", "experience", "advocacy", "none"]
STAGE_TEXTS = {
    "awareness": [
        "Saw a Velora ad today",
        "Net een reclame van Velora gezien",
        "Never heard of Velora before",
        "Velora billboards everywhere",
        "Mijn oude fiets is kapot, tijd om rond te kijken",
        "A friend mentioned Velora",
    ],
    "consideration": [
        "Velora or Trapkracht, any advice?",
        "Is Velora worth it?",
        "Iemand ervaring met Velora?",
        "Twijfel tussen Velora en Trapkracht",
        "How is Velora support?",
        "Looking at the Velora Stad, thoughts?",
    ],
    "purchase": [
        "Just ordered my Velora",
        "Zojuist besteld bij Velora",
        "Velora delivery delayed again",
        "Payment at Velora failed twice",
        "Mijn Velora wordt morgen bezorgd",
        "Signed up with Velora today",
    ],
    "experience": [
        "Three months with my Velora, love it",
        "Mijn Velora accu is kapot",
        "Velora support fixed it in a day",
        "Velora app keeps crashing",
        "Weer een bestelling bij Velora, prima",
        "Velora repair took weeks",
    ],
    "advocacy": [
        "Highly recommend Velora",
        "Blijf weg bij Velora",
        "Do not buy Velora",
        "Neem gewoon Velora, echt top",
        "Warning: avoid Velora",
        "Everyone should get a Velora",
    ],
    "none": [
        "Velora shares up two percent",
        "Vacature bij Velora",
        "Velora opens office in Utrecht",
        "Velora sponsors the marathon",
        "Velora is also a town name",
        "Velora CEO interviewed on radio",
    ],
}


@pytest.fixture
def run(tmp_path, monkeypatch, model_cache):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("UMOT_CONFIG", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "config.toml").write_text(f'[model]\ncache_dir = "{MODEL_CACHE}"\ndevice = "cpu"\n')

    def invoke(*args: str, code: int = 0):
        result = CliRunner().invoke(cli, list(args))
        assert result.exit_code == code, result.output
        return result

    return invoke


def write_training_data(tmp_path):
    umsab = tmp_path / "umsab" / "english"
    umsab.mkdir(parents=True)
    texts = [
        "great bike",
        "terrible service",
        "it is a bike",
        "love it",
        "hate it",
        "ok I guess",
        "superb",
        "awful",
        "fine",
        "wonderful",
        "broken again",
        "meh",
    ] * 2
    labels = ["2", "0", "1", "2", "0", "1", "2", "0", "1", "2", "0", "1"] * 2
    (umsab / "train_text.txt").write_text("\n".join(texts) + "\n")
    (umsab / "train_labels.txt").write_text("\n".join(labels) + "\n")
    stages = tmp_path / "stages.jsonl"
    with stages.open("w") as handle:
        for stage, items in STAGE_TEXTS.items():
            for number, text in enumerate(items):
                record = {"text": text, "stage": stage, "lang": "en", "sentiment": "neutral"}
                if number % 2:  # replies carry the post they answer
                    record["parent_text"] = f"What do you all think of Velora? ({stage})"
                handle.write(json.dumps(record) + "\n")
    return tmp_path / "umsab", stages


def test_classify_file_and_evaluate(run, tmp_path):
    (tmp_path / "in.jsonl").write_text(
        json.dumps({"id": "a", "text": "Do not buy Velora, it broke after a week."})
        + "\n"
        + json.dumps({"id": "b", "text": "Velora zoekt een nieuwe medewerker"})
        + "\n"
    )
    run("classify", "in.jsonl", "-o", "out.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [row["id"] for row in rows] == ["a", "b"]
    assert rows[0]["sentiment"] == "negative"
    labeled = tmp_path / "labeled.jsonl"
    labeled.write_text(
        "".join(
            json.dumps({"text": t, "stage": s, "lang": "en"}) + "\n"
            for s, items in STAGE_TEXTS.items()
            for t in items[:2]
        )
    )
    report = json.loads(run("evaluate", str(labeled), "--json").stdout)
    assert report["stage"]["n"] == 12 and "sentiment" not in report
    assert 0 <= report["stage"]["macro_f1"] <= 1
    assert sum(map(sum, report["stage"]["confusion"])) == 12
    human = run("evaluate", str(labeled)).output
    assert "confusion matrix" in human and "macro-F1" in human


def test_train_is_reproducible_and_its_heads_are_usable(run, tmp_path):
    umsab, stages = write_training_data(tmp_path)
    common = ["train", "--umsab", str(umsab), "--stages", str(stages), "--references", ""]
    common += ["--seed", "3"]
    output = run(*common, "--no-lora", "--out", "heads1").output
    assert "5-fold cross-validation" in output
    run(*common, "--no-lora", "--out", "heads2")
    assert (tmp_path / "heads1/heads.safetensors").read_bytes() == (
        tmp_path / "heads2/heads.safetensors"
    ).read_bytes()
    info = json.loads((tmp_path / "heads1/heads.json").read_text())
    assert info["stage_labels"] == STAGES and info["training"]["stage_examples"] == 36
    run(*common, "--lora", "--epochs", "1", "--out", "lora1")
    adapter = tmp_path / "lora1/adapter/adapter_model.safetensors"
    assert adapter.is_file()
    trained = adapter.read_bytes()
    assert json.loads((tmp_path / "lora1/heads.json").read_text())["parent_features"] is True

    # Refitting the heads keeps the adapter byte for byte and says how C was chosen.
    refit = run(*common, "--keep-adapter", "--out", "lora1").output
    assert "chose" in refit and adapter.read_bytes() == trained
    refit_info = json.loads((tmp_path / "lora1/heads.json").read_text())["training"]
    assert refit_info["adapter_reused"] is True
    assert refit_info["stage_c"] in (0.01, 0.03, 0.1) and len(refit_info["stage_c_cv"]) == 3
    assert "no adapter to reuse" in run(*common, "--keep-adapter", "--out", "heads1", code=1).output
    with (tmp_path / "config.toml").open("a") as handle:
        handle.write('heads = "lora1"\n')
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": 1, "text": "great bike"}) + "\n")
    run("classify", "in.jsonl", "-o", "out.jsonl")
    assert json.loads((tmp_path / "out.jsonl").read_text())["sentiment"] in (
        "negative",
        "neutral",
        "positive",
    )


def test_model_errors_are_clear(run, tmp_path):
    (tmp_path / "empty").mkdir()
    with (tmp_path / "config.toml").open("a") as handle:
        handle.write('heads = "empty"\n')
    assert "no trained heads" in run("classify", "-", code=1).output
    (tmp_path / "config.toml").write_text(
        f'[model]\ncache_dir = "{MODEL_CACHE}"\n[journey]\nstages = ["lurk", "buy"]\n'
        'prospect_stages = ["lurk"]\numot_stages = ["buy"]\n'
    )
    assert "differ from the stages" in run("classify", "-", code=1).output
    missing = run("evaluate", "nope.jsonl", code=2).output
    assert "does not exist" in missing


def test_evaluate_without_data_runs_every_held_out_check(run, tmp_path):
    umsab, stages = write_training_data(tmp_path)
    for split in ("val",):
        (umsab / "english" / f"{split}_text.txt").write_text("love it\nawful\nfine\n")
        (umsab / "english" / f"{split}_labels.txt").write_text("2\n0\n1\n")
    refs = tmp_path / "refs.jsonl"
    refs.write_text(
        json.dumps({"lang": "en", "split": "val", "line": 2, "stage": "experience"}) + "\n"
    )
    common = ["evaluate", "--umsab", str(umsab), "--dev", str(stages), "--demo-days", "2"]

    report = json.loads(run(*common, "--references", str(refs), "--json").stdout)

    sets = report["sets"]
    assert set(sets) == {
        "journey_stage_dev (held out)",
        "real tweets (UMSAB val, stage)",
        "demo stream, standalone posts",
        "demo stream, replies and quotes",
        "UMSAB val sentiment",
    }
    assert sets["journey_stage_dev (held out)"]["stage"]["n"] == 36
    assert "sentiment" not in sets["journey_stage_dev (held out)"]  # Dutch only; none here
    assert sets["real tweets (UMSAB val, stage)"]["stage"]["n"] == 1
    assert sets["UMSAB val sentiment"]["sentiment"]["n"] == 3
    assert sets["demo stream, replies and quotes"]["stage"]["n"] > 0
    assert report["context"] is True
    human = run(*common, "--references", "", "--no-context").output
    assert "held-out overview" in human and "real tweets (UMSAB val, stage)" not in human
    assert "without the post they answer" in human
