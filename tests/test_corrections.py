"""A person's correction is the label everywhere: report counts, influence, alert rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reports.influence import Journey, influence
from reports.rules import RuleContext, negative_reach
from reports.weekly import Week, count_week
from storage import queries
from storage.inbox import InboxFilter, inbox_page
from storage.users import add_user
from storage.workspace import (
    TriageChange,
    WorkspaceError,
    apply_triage,
    history_of,
    set_labels,
)
from storage.writes import ClassificationRow, store_classifications
from tests.alert_helpers import MODEL, NOW, add
from umot.config import Config

SENTIMENTS = ("negative", "neutral", "positive")
STAGES = Config().journey.stages
JOURNEY = Journey(
    stages=STAGES, prospect_stages=("awareness", "consideration"), umot_stages=("experience",)
)


def correct(db, ids, **labels):
    return set_labels(db, ids, "anna", sentiments=SENTIMENTS, stages=STAGES, **labels)


def test_a_correction_changes_report_counts_influence_and_alerts(db):
    post = add(db, sentiment="negative", stage="experience", followers=50_000, hours_ago=2)
    reply = add(db, sentiment="neutral", stage="none", parent=post, hours_ago=1, author="piet")
    week = Week(*NOW.isocalendar()[:2], "UTC")
    context = RuleContext(db, Config(), MODEL, NOW)

    before = count_week(db, MODEL, week, None)
    _, totals_before = influence(db, MODEL, JOURNEY, NOW - timedelta(days=1), NOW, None)
    assert before.sentiment["negative"] == 1 and before.stages["consideration"] == 0
    assert totals_before["*"].prospects == 0
    assert [a.cause for a in negative_reach(context)] == [post]

    correct(db, [reply], stage="consideration")  # the reply was a prospect after all
    correct(db, [post], sentiment="neutral")  # and the post was not a complaint

    after = count_week(db, MODEL, week, None)
    _, totals_after = influence(db, MODEL, JOURNEY, NOW - timedelta(days=1), NOW, None)
    assert after.sentiment["negative"] == 0 and after.stages["consideration"] == 1
    assert totals_after["*"].prospects == 1
    assert negative_reach(context) == []


def test_human_labels_survive_a_new_model_and_keep_what_the_model_said(db):
    mention = add(db, sentiment="positive", stage="advocacy")
    assert correct(db, [mention], stage="experience") == 1
    assert correct(db, [mention], stage="experience") == 0  # no change, no history

    store_classifications(
        db,
        "newer-model",
        [ClassificationRow(mention, "nl", "negative", {"negative": 0.8}, "purchase", {})],
    )
    assert queries.latest_model_id(db) == "newer-model"
    row = inbox_page(db, "newer-model", InboxFilter()).rows[0]
    assert (row["stage"], row["sentiment"]) == ("experience", "negative")  # human on top
    assert (row["model_stage"], row["human_stage"]) == ("purchase", "experience")
    stored = db.execute(
        "SELECT model_id, model_stage, labeled_by FROM human_labels WHERE mention_id = ?",
        [mention],
    ).fetchone()
    assert stored == (MODEL, "advocacy", "anna")
    assert [(h["field"], h["old_value"], h["new_value"]) for h in history_of(db, mention)] == [
        ("stage", "advocacy", "experience")
    ]
    with pytest.raises(WorkspaceError, match="stage must be one of"):
        correct(db, [mention], stage="delighted")


def test_triage_keeps_history_and_checks_values(db):
    add_user(db, "bram", "long-enough-1", "editor")
    first, second = add(db), add(db)

    changed = apply_triage(
        db,
        [first, second, "x:does-not-exist"],
        TriageChange(status="pending", assignee="bram", priority="high", add_tags=("Accu",)),
        "anna",
    )
    apply_triage(db, [first], TriageChange(status="handled", note="Called back"), "anna")

    assert changed == 2
    fields = [(h["field"], h["old_value"], h["new_value"]) for h in history_of(db, first)]
    assert fields[:2] == [("note", None, "Called back"), ("status", "pending", "handled")]
    assert ("tag", None, "accu") in fields and ("assignee", None, "bram") in fields
    handled = inbox_page(db, MODEL, InboxFilter(status="handled")).rows
    assert [r["id"] for r in handled] == [first]
    assert [r["id"] for r in inbox_page(db, MODEL, InboxFilter(tag="accu")).rows] == [
        second,
        first,
    ]
    for bad, message in (
        (TriageChange(status="done"), "status must be"),
        (TriageChange(assignee="nobody-here"), "no user"),
        (TriageChange(priority="asap"), "priority must be"),
        (TriageChange(add_tags=("x" * 41,)), "a tag is"),
    ):
        with pytest.raises(WorkspaceError, match=message):
            apply_triage(db, [first], bad, "anna")
    assert len(history_of(db, first)) == len(fields)  # refused changes left no trace
