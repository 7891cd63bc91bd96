"""The per-step account of scripts/eval_steps.py: outcomes read from a parse, moves counted per step, and a real trace
of the trained model through Rasa's GraphNodeHook."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rasa.shared.nlu.training_data.message import Message

from scripts.eval_real import RealMessage
from scripts.eval_steps import IntentTraceHook, account, outcome_of, step_name, summarise, trace_messages
from tests.harness.stack import current_model


def message(expected: str, topics: tuple = (), text: str = "x") -> RealMessage:
    return RealMessage(id="m", text=text, source="s", source_group="g", expected=expected, topics=list(topics))


def test_outcomes_follow_the_real_user_report_buckets() -> None:
    answerable = message("answer", ("yoga",))
    assert outcome_of(answerable, "faq_yoga") == "right"
    assert outcome_of(answerable, "faq_sleep") == "wrong"
    assert outcome_of(answerable, "nlu_fallback") == "did_you_mean"
    assert outcome_of(answerable, "out_of_scope") == "declined"
    assert outcome_of(answerable, "red_flag") == "false_alarm"
    assert outcome_of(message("out_of_scope"), "faq_yoga") == "answered"
    assert outcome_of(message("out_of_scope"), "greet") == "declined"
    # A crisis message needs the crisis reading; a red flag is caught by either safety reading.
    assert outcome_of(message("crisis"), "red_flag") == "missed"
    assert outcome_of(message("crisis"), "crisis") == "caught"
    assert outcome_of(message("red_flag"), "crisis") == "caught"
    assert outcome_of(message("red_flag"), "faq_yoga") == "missed"


def test_a_step_is_credited_with_the_moves_it_made_and_nothing_else() -> None:
    messages = [message("answer", ("yoga",)), message("out_of_scope"), message("out_of_scope")]
    traces = [
        [("Featurizer", None), ("Classifier", "out_of_scope"), ("Rescue", "faq_yoga"), ("Gate", "faq_yoga")],
        [("Featurizer", None), ("Classifier", "faq_sleep"), ("Rescue", "faq_sleep"), ("Gate", "out_of_scope")],
        [("Featurizer", None), ("Classifier", "out_of_scope"), ("Rescue", "faq_yoga"), ("Gate", "out_of_scope")],
    ]
    steps = account(messages, traces)
    assert list(steps) == ["Featurizer", "Classifier", "Rescue", "Gate"]
    # The classifier sets where each message starts: it moved nothing.
    assert steps["Classifier"].changed == 0
    assert steps["Rescue"].moves["answer"] == {"declined -> right": 1}
    assert steps["Rescue"].moves["out_of_scope"] == {"declined -> answered": 1}
    assert steps["Rescue"].net_good == {"answer": 1, "out_of_scope": -1}
    assert steps["Gate"].net_good == {"out_of_scope": 2}
    rows = {row["step"]: row for row in summarise(messages, steps)}
    assert rows["Gate"]["net_points"] == {"out_of_scope": 100.0}
    assert rows["Rescue"]["net_points"] == {"answer": 100.0, "out_of_scope": -50.0}
    assert rows["Featurizer"]["messages_moved"] == 0 and rows["Featurizer"]["net_good"] == {}


def test_step_names_drop_the_module_and_the_node_number() -> None:
    assert step_name("run_painfaq.nlu.premise_gate.PremiseGate10") == "PremiseGate"
    assert step_name("run_FallbackClassifier19") == "FallbackClassifier"


def test_the_hook_reads_the_intent_each_nlu_node_returned_and_keeps_repeated_steps_apart() -> None:
    hook = IntentTraceHook()
    parsed = Message(data={"text": "hi"})
    hook.on_after_node("run_CountVectorsFeaturizer5", None, {}, [parsed], {})
    hook.on_after_node("run_CountVectorsFeaturizer6", None, {}, [parsed], {})
    parsed.set("intent", {"name": "greet", "confidence": 0.9})
    hook.on_after_node("run_LinearIntentClassifier8", None, {}, [parsed], {})
    hook.on_after_node("nlu_message_converter", None, {}, [parsed], {})  # not a component's run
    hook.on_after_node("run_RulePolicy1", None, {}, {"policy": "output"}, {})  # not messages
    assert hook.trace == [
        ("CountVectorsFeaturizer", None),
        ("CountVectorsFeaturizer (2)", None),
        ("LinearIntentClassifier", "greet"),
    ]


def test_a_real_trace_ends_where_the_parse_does() -> None:
    """The trained model's NLU steps, in order, and the last intent is the parse's (a crisis message read as crisis)."""
    messages = [
        message("crisis", text="i want to kill myself tonight"),
        message("answer", ("yoga",), "does yoga help?"),
    ]
    traces = asyncio.run(trace_messages(Path(current_model()), messages))
    crisis_trace, yoga_trace = traces
    steps = [step for step, _ in crisis_trace]
    assert (
        steps.index("LinearIntentClassifier") < steps.index("SafetyNetClassifier") < steps.index("FallbackClassifier")
    )
    assert crisis_trace[-1][1] == "crisis"
    assert [intent for _, intent in yoga_trace if intent][-1] == "faq_yoga"
