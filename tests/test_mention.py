from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from storage import Mention, Rejected, mention_or_reject

GOOD = {"platform": "x", "native_id": "1", "text": "Velora!", "created_at": "2026-11-01T10:00:00Z"}


def reason_for(**changes: object) -> str:
    result = mention_or_reject({**GOOD, **changes})
    assert isinstance(result, Rejected), result
    return result.reason


def test_valid_record_is_normalised():
    mention = mention_or_reject(
        {
            **GOOD,
            "native_id": 123,
            "likes": "7",
            "lang": "NL-be",
            "created_at": "2026-11-01T11:00:00+01:00",
            "url": "",
        }
    )
    assert isinstance(mention, Mention)
    assert mention.native_id == "123"
    assert mention.likes == 7
    assert mention.lang == "nl"
    assert mention.url is None
    assert mention.created_at == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert mention.key == "x:123"


def test_naive_and_epoch_times_are_utc():
    naive = mention_or_reject({**GOOD, "created_at": "2026-11-01 10:00:00"})
    epoch = mention_or_reject({**GOOD, "created_at": 1_793_527_200})
    assert isinstance(naive, Mention) and isinstance(epoch, Mention)
    assert naive.created_at.tzinfo is not None
    assert epoch.created_at == datetime.fromtimestamp(1_793_527_200, UTC)


def test_reasons_name_the_field():
    assert reason_for(text="   ").startswith("text: is empty")
    assert "text" in reason_for(text=None)
    assert "created_at: is in the future" in reason_for(
        created_at=(datetime.now(UTC) + timedelta(days=3)).isoformat()
    )
    assert "created_at: is before 1990" in reason_for(created_at="1970-01-02T00:00:00Z")
    assert "url: must be an http(s) URL" in reason_for(url="javascript:alert(1)")
    assert "likes" in reason_for(likes=-1)
    assert "lang" in reason_for(lang="dutch language")
    assert "native_id" in reason_for(native_id="has space")
    assert "platform" in reason_for(platform="X Twitter")
    assert reason_for(colour="red") == "colour: unknown field"


def test_control_characters_are_removed_but_newlines_kept():
    mention = mention_or_reject({**GOOD, "text": "a\x00b\x07c\nd\te"})
    assert isinstance(mention, Mention)
    assert mention.text == "abc\nd\te"


def test_huge_text_is_rejected_with_reason():
    assert "longer than" in reason_for(text="x" * 1_000_000)


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.binary(max_size=10),
    st.lists(st.integers(), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*list(Mention.model_fields), "junk"]), values))
def test_any_record_becomes_a_mention_or_a_reason(record):
    result = mention_or_reject(record)
    assert isinstance(result, Mention | Rejected)
    if isinstance(result, Rejected):
        assert result.reason
