"""Thread context: a reply is read together with the post it answers, in one pass."""

from __future__ import annotations

import json
from contextlib import contextmanager

import numpy as np
import pytest

from nlp.data import DataError, load_jsonl, load_umsab_references, text_digest
from storage import upsert_mentions
from tests.conftest import make_mention
from umot.classify import classify_database

PARENT = "Mijn Velora accu is na drie weken kapot en de klantenservice reageert niet"
REPLY = "Oei, ik wilde er net een bestellen. Even afwachten dan"


@contextmanager
def reading_context(classifier, tokens=64):
    """The bundled heads read replies alone; switch context on as trained heads would."""
    encoder = classifier.scorers["stage"].encoder
    saved, encoder.context_tokens = encoder.context_tokens, tokens
    try:
        yield encoder
    finally:
        encoder.context_tokens = saved


def test_a_standalone_post_is_encoded_as_before_and_a_reply_gets_its_parent(classifier):
    with reading_context(classifier) as encoder:
        alone, own = encoder.encode([REPLY, "Velora"], None)
        assert own is None
        with_parent, own = encoder.encode([REPLY, "Velora"], [PARENT, None])
    assert with_parent[1] == alone[1]  # no parent: identical tokens
    assert with_parent[0][: len(alone[0])] == alone[0]  # the reply first, untouched
    assert len(with_parent[0]) > len(alone[0])
    assert own == [len(alone[0]), len(alone[1])]  # pooling reads the reply's own tokens
    sep = encoder.tokenizer.sep_token_id
    assert with_parent[0][len(alone[0])] == sep and with_parent[0][-1] == sep


def test_the_parent_changes_a_replys_features_but_not_a_standalone_posts(classifier):
    with reading_context(classifier) as encoder:
        plain = encoder.embed([REPLY, "Velora"])
        context = encoder.embed([REPLY, "Velora"], parents=[PARENT, None])
        batched = encoder.embed(["Velora"], parents=[None])
    assert np.allclose(context[1], plain[1], atol=1e-5)
    assert np.allclose(batched[0], plain[1], atol=1e-5)
    cosine = float(context[0] @ plain[0] / np.linalg.norm(context[0]) / np.linalg.norm(plain[0]))
    assert cosine < 0.9999  # the parent was read


def test_parent_features_come_from_the_same_pass_and_are_zero_without_a_parent(classifier):
    texts, parents = [REPLY, "Velora"], [PARENT, None]
    with reading_context(classifier) as encoder:
        saved = encoder.parent_features
        try:
            encoder.parent_features = False
            plain = encoder.embed(texts, parents=parents)
            encoder.parent_features = True
            both = encoder.embed(texts, parents=parents)
        finally:
            encoder.parent_features = saved
    width = encoder.dimension
    assert plain.shape == (2, width) and both.shape == (2, 2 * width)
    assert np.allclose(both[:, :width], plain, atol=1e-5)  # the text's own pool, unchanged
    assert np.abs(both[0, width:]).sum() > 0  # the parent's pool
    assert not both[1, width:].any()  # a standalone post has none


def test_context_is_used_only_by_heads_trained_with_it(classifier):
    with reading_context(classifier, tokens=0):  # heads trained without context
        without = classifier.classify([REPLY], parents=[PARENT])[0]
        assert without == classifier.classify([REPLY])[0]
    with reading_context(classifier, tokens=64):
        with_parent = classifier.classify([REPLY, REPLY], parents=[PARENT, None])
    assert with_parent[0].stage_scores != with_parent[1].stage_scores
    assert with_parent[1] == without


def test_the_database_queue_hands_replies_their_parent_text(db, classifier):
    parent = make_mention(native_id="p1", text=PARENT)
    reply = make_mention(native_id="r1", text=REPLY, parent_id="p1", author_id="7")
    quote = make_mention(native_id="q1", text="Dit dus 👆", quoted_id="p1", author_id="8")
    upsert_mentions(db, [parent, reply, quote], source="t")

    with reading_context(classifier):
        classify_database(db, classifier)
        expected = classifier.classify([REPLY, "Dit dus 👆"], parents=[PARENT, PARENT])
    stored = {
        row["mention_id"]: json.loads(row["stage_scores"])
        for row in db.query("SELECT mention_id, stage_scores FROM classifications")
    }
    assert stored["x:r1"] == expected[0].stage_scores
    assert stored["x:q1"] == expected[1].stage_scores


def test_labeled_files_carry_parent_text(tmp_path):
    path = tmp_path / "labeled.jsonl"
    path.write_text(
        json.dumps({"id": "a", "text": REPLY, "parent_text": PARENT, "stage": "consideration"})
        + "\n"
        + json.dumps({"id": "b", "text": "Velora", "stage": "none"})
        + "\n"
    )
    first, second = load_jsonl(path)
    assert (first.parent, second.parent) == (PARENT, None)
    path.write_text(json.dumps({"text": REPLY, "parent_text": 3}) + "\n")
    with pytest.raises(DataError, match="parent_text"):
        load_jsonl(path)


def test_umsab_references_read_text_and_sentiment_from_the_umsab_folder(tmp_path):
    folder = tmp_path / "umsab" / "english"
    folder.mkdir(parents=True)
    tweets = ["politics again", "my phone died after a week @user", "new phone who dis"]
    (folder / "train_text.txt").write_text("\n".join(tweets) + "\n")
    (folder / "train_labels.txt").write_text("1\n0\n2\n")
    refs = tmp_path / "refs.jsonl"
    refs.write_text(
        json.dumps(
            {
                "lang": "en",
                "split": "train",
                "line": 2,
                "stage": "experience",
                "sha1": text_digest(tweets[1]),
            }
        )
        + "\n"
        + json.dumps({"lang": "en", "split": "val", "line": 1, "stage": "none"})
        + "\n"
    )

    (example,) = load_umsab_references(refs, tmp_path / "umsab", "train")

    assert (example.text, example.sentiment, example.stage) == (tweets[1], "negative", "experience")
    assert "phone died" not in refs.read_text()  # the project stores references only
    refs.write_text(
        json.dumps({"lang": "en", "split": "train", "line": 2, "stage": "x", "sha1": "0000"}) + "\n"
    )
    with pytest.raises(DataError, match="not the labeled tweet"):
        load_umsab_references(refs, tmp_path / "umsab", "train")
    refs.write_text(json.dumps({"lang": "en", "split": "train", "line": 9, "stage": "x"}) + "\n")
    with pytest.raises(DataError, match="no line 9"):
        load_umsab_references(refs, tmp_path / "umsab")
