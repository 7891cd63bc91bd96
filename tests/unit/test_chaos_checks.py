"""The chaos report's checks (scripts/chaos.py): what counts as lost, duplicated or reordered, and recovery."""

from __future__ import annotations

from scripts.chaos import check_conversation, longest_apology_run, recovery_after

SENT = [("a", "normal"), ("b", "apology"), ("c", "failed"), ("d", "normal")]


def test_a_complete_conversation_has_no_problem():
    assert check_conversation(SENT, ["a", "b", "c", "d"]) == {"lost": 0, "duplicated": 0, "reordered": 0}
    # A turn that got no HTTP answer may be missing: its process died with it.
    assert check_conversation(SENT, ["a", "b", "d"]) == {"lost": 0, "duplicated": 0, "reordered": 0}


def test_loss_duplication_and_order_are_found():
    assert check_conversation(SENT, ["a", "d"])["lost"] == 1  # "b" got a reply but was not stored
    assert check_conversation(SENT, ["a", "b", "d", "d"])["duplicated"] == 1
    assert check_conversation(SENT, ["a", "d", "b"])["reordered"] >= 1


def test_recovery_and_apology_runs():
    replies = [(1.0, "normal"), (2.0, "apology"), (3.5, "apology"), (4.0, "normal"), (9.0, "failed")]
    assert recovery_after([(1.5, "kill"), (5.0, "kill")], replies) == [2.5, None]
    assert longest_apology_run(replies) == 1.5
