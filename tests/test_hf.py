"""Any Hugging Face model in place of umot's heads, with tiny local models (no hub)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nlp.encoder import ModelLoadError
from nlp.hf import SequenceClassificationScorer, ZeroShotScorer

WORDS = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "great",
    "bad",
    "order",
    "the",
    "post",
    "is",
    "about",
    "buying",
    "news",
    "velora",
]


def tiny_model(folder, id2label):
    """A 1-layer BERT classifier with a word-level tokenizer, saved like any HF model."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertForSequenceClassification

    folder.mkdir()
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.save(str(folder / "tokenizer.json"))
    (folder / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "PreTrainedTokenizerFast",
                "pad_token": "[PAD]",
                "unk_token": "[UNK]",
            }
        )
    )
    config = BertConfig(
        vocab_size=len(WORDS),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )
    BertForSequenceClassification(config).save_pretrained(folder)
    return str(folder)


def test_sequence_classifier_labels_are_mapped_and_merged(tmp_path):
    path = tiny_model(tmp_path / "m", {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2", 3: "mixed"})
    mapping = {
        "LABEL_0": "negative",
        "label_1": "neutral",
        "LABEL_2": "positive",
        "mixed": "neutral",
    }
    scorer = SequenceClassificationScorer(
        "sentiment", path, mapping, ["negative", "neutral", "positive"], device="cpu"
    )
    p = scorer.probabilities(["great order", "bad", "great order"])["sentiment"]
    assert p.shape == (3, 3)
    assert np.allclose(p.sum(axis=1), 1, atol=1e-5)
    assert np.allclose(p[0], p[2])
    raw = scorer.model.logits(["bad"])
    model_p = np.exp(raw) / np.exp(raw).sum()
    assert p[1][1] == pytest.approx(model_p[0][1] + model_p[0][3], abs=1e-5)


def test_unmapped_model_label_is_a_clear_error(tmp_path):
    path = tiny_model(tmp_path / "m", {0: "neg", 1: "pos"})
    with pytest.raises(ModelLoadError, match="does not map the model's label 'pos'"):
        SequenceClassificationScorer(
            "sentiment",
            path,
            {"neg": "negative"},
            ["negative", "neutral", "positive"],
            device="cpu",
        )
    with pytest.raises(ModelLoadError, match="not one of umot's labels"):
        SequenceClassificationScorer(
            "sentiment",
            path,
            {"neg": "negative", "pos": "great"},
            ["negative", "neutral", "positive"],
            device="cpu",
        )


def test_zero_shot_uses_the_entailment_logit_per_stage(tmp_path):
    path = tiny_model(tmp_path / "nli", {0: "entailment", 1: "neutral", 2: "contradiction"})
    stages = ["purchase", "none"]
    scorer = ZeroShotScorer(
        "stage",
        path,
        stages,
        {"purchase": "the post is about buying", "none": "the post is news"},
        device="cpu",
    )
    p = scorer.probabilities(["velora order", "news"])["stage"]
    assert p.shape == (2, 2) and np.allclose(p.sum(axis=1), 1, atol=1e-5)
    logits = scorer.model.logits(["velora order"] * 2, scorer.hypotheses)[:, 0]
    expected = np.exp(logits) / np.exp(logits).sum()
    assert np.allclose(p[0], expected, atol=1e-5)


def test_a_model_without_entailment_is_not_accepted_for_zero_shot(tmp_path):
    path = tiny_model(tmp_path / "m", {0: "negative", 1: "positive"})
    with pytest.raises(ModelLoadError, match="not an NLI model"):
        ZeroShotScorer("stage", path, ["none"], device="cpu")


def test_missing_models_name_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelLoadError, match=r"model\.sentiment\.name = .*folder holds"):
        SequenceClassificationScorer(
            "sentiment", str(tmp_path / "nothing-here"), {"a": "b"}, ["negative"], device="cpu"
        )
    with pytest.raises(
        ModelLoadError, match=r"model\.stage\.name = 'someone/no-such-model'.*offline"
    ):
        ZeroShotScorer("stage", "someone/no-such-model", ["none"], device="cpu")
