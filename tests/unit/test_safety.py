"""Safety triage: the rule-based safety net (painfaq/safety/rules.py + content/safety.yml), its replies, the
Rasa component that runs it (painfaq/nlu/safety_classifier.py) and the safety NLU data.

The recall / false-alarm gates use the same sets and code as scripts/eval_safety.py.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any, Dict, List

import jsonschema
import pytest
import yaml

from painfaq.safety.rules import (
    SAFETY_FILE,
    SAFETY_SCHEMA_FILE,
    SafetyFinding,
    SafetyNet,
    finding_for_intent,
    finding_from_parse_data,
    load_default_safety_net,
    normalise_text,
    safety_reply,
)
from scripts import eval_safety

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def net() -> SafetyNet:
    return load_default_safety_net()


@pytest.fixture(scope="module")
def results(net: SafetyNet) -> Dict[str, Any]:
    return eval_safety.evaluate(net)


# ----------------------------------------------------------------------------- data file
def test_safety_yml_matches_schema() -> None:
    schema = json.loads(SAFETY_SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    content = yaml.safe_load(SAFETY_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(content)


def test_schema_rejects_unquoted_yaml_booleans() -> None:
    """`[no, not]` in YAML is `[False, 'not']`; the schema must catch it."""
    schema = json.loads(SAFETY_SCHEMA_FILE.read_text(encoding="utf-8"))
    content = yaml.safe_load(SAFETY_FILE.read_text(encoding="utf-8"))
    content["negation"]["cues"].append(False)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(content, schema)


def test_every_rule_category_is_declared_with_matching_kind(net: SafetyNet) -> None:
    categories = net.content["categories"]
    for rule in net.content["rules"]:
        assert categories[rule["category"]]["kind"] == rule["kind"], rule["id"]
    used = {rule["category"] for rule in net.content["rules"]}
    expected = {
        "cauda_equina",
        "saddle_numbness",
        "leg_weakness",
        "infection",
        "trauma",
        "cancer_history",
        "night_pain",
        "cardiac_vascular",
        "suicide",
        "self_harm",
        "harm_others",
    }
    assert expected <= used


# ----------------------------------------------------------------------------- recall / false alarms
def test_urgent_set_is_large_and_covers_every_category() -> None:
    urgent = eval_safety.load_urgent()
    assert len(urgent) >= 100
    categories = {(m.kind, m.category) for m in urgent}
    for category in (
        "cauda_equina",
        "saddle_numbness",
        "leg_weakness",
        "infection",
        "trauma",
        "cancer_history",
        "night_pain",
        "cardiac_vascular",
    ):
        assert ("red_flag", category) in categories
    for category in ("suicide", "self_harm", "harm_others"):
        assert ("crisis", category) in categories


def test_recall_is_100_percent(results: Dict[str, Any]) -> None:
    misses = results["urgent"]["misses"]
    assert not misses, "missed urgent messages:\n" + "\n".join(
        f"  [{m['expected_kind']}/{m['expected_category']}] {m['text']!r} -> {m['got']}" for m in misses
    )
    assert results["urgent"]["by_kind"]["red_flag"]["recall"] == 1.0
    assert results["urgent"]["by_kind"]["crisis"]["recall"] == 1.0


def test_false_alarm_rate_at_most_2_percent(results: Dict[str, Any]) -> None:
    ordinary = results["ordinary"]
    assert ordinary["total"] >= 150
    assert ordinary["false_alarm_rate"] <= eval_safety.MAX_FALSE_ALARM_RATE, "false alarms:\n" + "\n".join(
        f"  {m['text']!r} ({m['source']}) -> {m['got']['rule_id']}: {m['got']['matched_text']!r}"
        for m in ordinary["false_alarm_list"]
    )


# ----------------------------------------------------------------------------- negation
@pytest.mark.parametrize(
    "text",
    [
        "no numbness",
        "I don't have a fever",
        "without any bladder problems",
        "I have never had cancer",
        "no fever, chills or weight loss",
        "I don't have any numbness or tingling in my legs",
        "no history of cancer",
        "I haven't lost any weight",
        "there was no fall or accident",
        "I don't have trouble peeing",
        "no numbness, no weakness, no bladder issues, no fever, just a sore back",
        # a list joined by "or": every item denied (r20-079)
        "I have no symptoms of tiredness or sleepiness or shortness of breath",
    ],
)
def test_plain_negation_does_not_trigger(net: SafetyNet, text: str) -> None:
    assert net.check(text) is None


@pytest.mark.parametrize(
    "text, category",
    [
        ("no control of my bladder", "cauda_equina"),
        ("I have no control over my bowels", "cauda_equina"),
        ("I can't feel my legs", "leg_weakness"),
        ("I don't want to live", "suicide"),
        ("I don't want to live anymore", "suicide"),
        ("I haven't been able to pee since yesterday", "cauda_equina"),
        ("I can't walk without my legs giving way", "leg_weakness"),
        ("I don't have a fever, but I can't control my bladder", "cauda_equina"),
        ("I don't have a fever, I have chills", "infection"),
        ("I'm not sure why but my legs are numb", "leg_weakness"),
        ("I can't sleep, my legs are numb", "leg_weakness"),
        ("I'm not suicidal but I keep thinking everyone would be better off without me", "suicide"),
        # an inability listed after a verb's "not" is no symptom denied
        ("some nights it's so bad I can't move or even lay down", "night_pain"),
    ],
)
def test_negation_inside_the_symptom_still_triggers(net: SafetyNet, text: str, category: str) -> None:
    finding = net.check(text)
    assert finding is not None and finding.category == category, finding


def test_general_question_is_not_a_report_but_a_personal_one_is(net: SafetyNet) -> None:
    assert net.check("can anxiety cause chest tightness") is None
    assert net.check("can anxiety cause chest tightness? I've had it all day") is not None
    assert net.check("can anxiety cause my chest tightness") is not None
    assert net.check("I don't want to live with this pain forever, does PT help?") is None


def test_a_question_about_bodies_in_general_is_not_a_report(net: SafetyNet) -> None:
    # "we" and "you" are everyone in an explain-like-I'm-five question...
    assert net.check("ELI5: why do we get out of breath less, the more we exercise?") is None
    assert net.check("why does your body ache after a fever? does the back ache too?") is None
    assert net.check("ELI5: why do our necks hurt after we sleep in an odd position and no position helps?") is None
    # ...but the writer's own or a relative's symptom is a report whatever the opening.
    assert (
        net.check("why do we get out of breath? I get out of breath climbing one stair and my chest hurts") is not None
    )
    assert net.check("why do I get out of breath so easily? my chest is tight") is not None
    assert net.check("why do we have back pain and a fever, mom asked me, she has had both since Monday") is not None


# ----------------------------------------------------------------------------- precedence, typos, others
def test_crisis_wins_over_red_flag(net: SafetyNet) -> None:
    finding = net.check("I fell down the stairs last week and honestly I want to die")
    assert finding is not None and finding.kind == "crisis" and finding.level == "crisis"


def test_emergency_wins_over_same_day(net: SafetyNet) -> None:
    # (A fever counts next to a pain told in the message: the guide's "back pain with fever".)
    message = "My back aches, I have had a fever since Sunday and today I can't control my bladder"
    finding = net.check(message)
    assert finding is not None and finding.level == "emergency" and finding.category == "cauda_equina"
    all_findings = net.findings(message)
    assert [f.level for f in all_findings] == sorted(
        (f.level for f in all_findings), key=["crisis", "emergency", "same_day"].index
    )
    assert {"cauda_equina", "infection"} <= {f.category for f in all_findings}


def test_levels_per_category(net: SafetyNet) -> None:
    assert net.check("back pain and a fever").level == "same_day"
    assert net.check("I fell off a ladder").level == "emergency"
    assert net.check("tingling in my left foot").level == "same_day"
    assert net.check("both my legs went numb").level == "emergency"


@pytest.mark.parametrize(
    "text, kind",
    [
        ("my bladdder is leaking", "red_flag"),
        ("numbnes in my groin", "red_flag"),
        ("suicidle thoughts", "crisis"),
        ("I'M HAVING BLADDER PROBLEMS", "red_flag"),
        ("bak pain and cant controll my bladder", "red_flag"),
        ("fevr and chils", "red_flag"),
        ("I’ve lost 10lbs without trying", "red_flag"),
        # chat shorthand, written out before the message is read (typos.shorthand)
        ("im gonna end it tonight", "crisis"),
        ("my kids would be better off w/o me", "crisis"),
        ("cant breathe rn and my back hurts", "red_flag"),
    ],
)
def test_typos_case_and_punctuation(net: SafetyNet, text: str, kind: str) -> None:
    finding = net.check(text)
    assert finding is not None and finding.kind == kind


def test_chat_shorthand_is_whole_words_only(net: SafetyNet) -> None:
    # "w/o" inside "w/out", "rn" inside "turn", "bc" inside "abc": nothing is rewritten, nothing found.
    assert net.check("I turn my head w/out pain now, abc exercises helped my back") is None
    # "fell off a ladder last yr": "yr" is "year", so the fall is history (the note, not the urgent reply).
    assert net.check("my friend fell off a ladder last yr and broke her tailbone, she's fine now") is None


def test_fuzzy_correction_leaves_known_words_alone(net: SafetyNet) -> None:
    assert net.check("fewer bad days since yoga") is None
    assert net.check("I used to be a dancer") is None


@pytest.mark.parametrize(
    "text",
    [
        "my mother has a history of cancer and now her back hurts",
        "my husband can't control his bladder since his back went",
        "my son said he wants to kill himself",
        "my dad fell off the roof",
    ],
)
def test_messages_about_other_people(net: SafetyNet, text: str) -> None:
    assert net.check(text) is not None


def test_flag_buried_in_a_long_story(net: SafetyNet) -> None:
    story = (
        "I've been reading your article and trying the breathing and the yoga, which helps a bit with the tension. "
        "Work has been stressful and my shoulders are always up by my ears. "
        * 3
        + "Since yesterday I can't really feel my bum when I sit on the toilet. "
        + "Anyway, how long does anxiety back pain usually last? Thanks for the article, it was useful. " * 3
    )
    finding = net.check(story)
    assert finding is not None and finding.category == "saddle_numbness"


def test_empty_and_whitespace(net: SafetyNet) -> None:
    assert net.check("") is None
    assert net.check("   ") is None
    assert normalise_text("Bladdder.Also  10lbs") == "bladder. also 10 lbs"
    # A bracket glued to a word ("die(<-not sure...") would make one token of both and hide the word.
    assert normalise_text("I want to die(<-sorry") == "i want to die (<-sorry"
    finding = net.check("I tell myself I want to die(<-not sure if this breaks a rule) and I cry every day")
    assert finding is not None and finding.kind == "crisis"
    # A post's title glued to its body ("...end myselfSAD PAIN") as scraped datasets store them.
    assert normalise_text("I want to end myselfSAD PAIN") == "i want to end myself sad pain"
    finding = net.check("Nobody listens anymoreI want to end myselfSAD PAIN every day")
    assert finding is not None and finding.kind == "crisis"


# ----------------------------------------------------------------------------- replies
def _findings_for_every_reply(content: Dict[str, Any]) -> List[SafetyFinding]:
    out = []
    for name, category in content["categories"].items():
        out.append(
            SafetyFinding(kind=category["kind"], category=name, rule_id="t", matched_text="", level=category["level"])
        )
        if category["kind"] == "red_flag":
            other = "same_day" if category["level"] == "emergency" else "emergency"
            out.append(SafetyFinding(kind="red_flag", category=name, rule_id="t", matched_text="", level=other))
    return out


def test_replies_contain_the_numbers_and_no_blank_lines(net: SafetyNet) -> None:
    content = net.content
    numbers = content["numbers"]
    for finding in _findings_for_every_reply(content):
        text, payload = safety_reply(finding, content)
        assert "{" not in text and "}" not in text, text
        assert not re.search(r"\n[ \t]*\n", text), f"blank line in {finding}"
        assert numbers["emergency_number"] in text
        assert payload == {"type": "safety", "level": finding.level, "kind": finding.kind, "category": finding.category}
        if finding.kind == "red_flag":
            assert "urgent medical attention" in text
            assert "can't assess symptoms" in text
            if finding.level == "emergency":
                assert "emergency department" in text
            else:
                assert "urgent care" in text and "today" in text
        else:
            assert numbers["crisis_number"] in text
            assert numbers["international_helplines_url"] in text
            assert "call or text" in text.lower()
            assert len(text) < 700, "crisis reply must stay short"


def test_reply_numbers_come_from_the_data_file(net: SafetyNet) -> None:
    content = copy.deepcopy(net.content)
    content["numbers"].update(
        emergency_number="112",
        crisis_number="116 123",
        crisis_line_name="Samaritans",
        crisis_chat_url="example.org/chat",
        international_helplines_url="example.org/help",
    )
    red, _ = safety_reply(SafetyFinding("red_flag", "trauma", "t", "", "emergency"), content)
    crisis, _ = safety_reply(SafetyFinding("crisis", "suicide", "t", "", "crisis"), content)
    assert "112" in red and "911" not in red
    assert "116 123" in crisis and "Samaritans" in crisis and "example.org/help" in crisis
    assert "988" not in crisis and "911" not in crisis


def test_nlu_only_findings(net: SafetyNet) -> None:
    red = finding_for_intent("red_flag", net.content)
    crisis = finding_for_intent("crisis", net.content)
    # The model alone gets the warning-sign checklist, not "call 911 now"; crisis is never softened.
    assert red is not None and red.level == "check" and red.kind == "red_flag"
    assert crisis is not None and crisis.kind == "crisis" and crisis.level == "crisis"
    assert finding_for_intent("faq_yoga", net.content) is None
    text, payload = safety_reply(red, net.content)
    assert payload["level"] == "check"
    assert not re.search(r"\n[ \t]*\n", text)
    assert net.content["numbers"]["emergency_number"] in text and "emergency department" in text
    assert "today" in text and "can't assess symptoms" in text
    # Every red-flag category's warning sign is on the list, at its category's urgency.
    emergency_part, same_day_part = text.split("See a doctor today", 1)
    for category, sign in [
        ("cauda_equina", "bladder or bowels"),
        ("saddle_numbness", "between your legs"),
        ("trauma", "fall or accident"),
        ("cardiac_vascular", "chest pain"),
        ("leg_weakness", "weakness in your legs"),
        ("infection", "fever"),
        ("cancer_history", "cancer"),
        ("night_pain", "worse at night"),
    ]:
        level = net.content["categories"][category]["level"]
        assert sign in (emergency_part if level == "emergency" else same_day_part), (category, sign)


def test_finding_from_parse_data(net: SafetyNet) -> None:
    stored = {
        "intent": {"name": "red_flag"},
        "entities": [],
        "safety": {
            "kind": "red_flag",
            "category": "infection",
            "level": "same_day",
            "rule_id": "inf_fever",
            "matched_text": "fever",
        },
    }
    assert finding_from_parse_data(stored, net.content) == SafetyFinding(
        "red_flag", "infection", "inf_fever", "fever", "same_day"
    )
    by_entities = {
        "intent": {"name": "red_flag"},
        "entities": [
            {"entity": "safety_category", "value": "trauma"},
            {"entity": "safety_level", "value": "emergency"},
        ],
    }
    assert finding_from_parse_data(by_entities, net.content) == SafetyFinding("red_flag", "trauma", "", "", "emergency")
    nlu_only = {"intent": {"name": "crisis"}, "entities": []}
    assert finding_from_parse_data(nlu_only, net.content).kind == "crisis"
    assert finding_from_parse_data({"intent": {"name": "faq_yoga"}, "entities": []}, net.content) is None


# ----------------------------------------------------------------------------- Rasa component
@pytest.fixture(scope="module")
def component(net: SafetyNet, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from painfaq.nlu.safety_classifier import SafetyNetClassifier

    storage = LocalModelStorage(tmp_path_factory.mktemp("model_storage"))
    return SafetyNetClassifier.create(
        SafetyNetClassifier.get_default_config(),
        storage,
        Resource("safety_net_classifier"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def _message(text: str, intent: str = "faq_yoga", confidence: float = 0.95) -> Any:
    from rasa.shared.nlu.training_data.message import Message

    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence}, add_to_output=True)
    message.set(
        "intent_ranking",
        [{"name": intent, "confidence": confidence}, {"name": "faq_sleep", "confidence": 0.05}],
        add_to_output=True,
    )
    message.set("entities", [], add_to_output=True)
    return message


def test_component_is_registered_as_intent_classifier() -> None:
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe

    from painfaq.nlu.safety_classifier import SafetyNetClassifier

    registered = DefaultV1Recipe._from_registry(SafetyNetClassifier.__name__)
    assert registered.clazz is SafetyNetClassifier
    assert DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER in registered.types
    assert registered.is_trainable is True  # the whole-message layer (painfaq/safety/learned.py) trains with the model


def test_component_sets_red_flag_intent_and_entities(component: Any) -> None:
    message = _message("my back hurts and I suddenly can't control my bladder")
    component.process([message])
    assert message.get("intent") == {"name": "red_flag", "confidence": 1.0}
    ranking = message.get("intent_ranking")
    assert ranking[0] == {"name": "red_flag", "confidence": 1.0}
    assert all(entry["confidence"] == 0.0 for entry in ranking[1:])
    entities = {e["entity"]: e for e in message.get("entities")}
    assert entities["safety_category"]["value"] == "cauda_equina"
    assert entities["safety_level"]["value"] == "emergency"
    assert message.get("safety")["rule_id"]
    output = message.as_dict(only_output_properties=True)
    assert output["safety"]["category"] == "cauda_equina" and output["intent"]["name"] == "red_flag"


def test_component_sets_crisis_intent(component: Any) -> None:
    message = _message("the pain is so bad I don't want to live anymore", intent="faq_how_long")
    component.process([message])
    assert message.get("intent")["name"] == "crisis"
    assert (
        finding_from_parse_data(message.as_dict(only_output_properties=True), load_default_safety_net().content).kind
        == "crisis"
    )


def test_component_leaves_ordinary_messages_and_payloads_alone(component: Any) -> None:
    ordinary = _message("does yoga help back pain?")
    payload = _message("/faq_yoga")
    before = (copy.deepcopy(ordinary.data), copy.deepcopy(payload.data))
    component.process([ordinary, payload])
    assert (ordinary.data, payload.data) == before


def test_fallback_classifier_does_not_override_the_safety_intent(component: Any) -> None:
    from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier

    message = _message("I fell off a ladder and now my back is in agony", confidence=0.97)
    component.process([message])
    FallbackClassifier({"threshold": 0.5, "ambiguity_threshold": 0.1}).process([message])
    assert message.get("intent")["name"] == "red_flag"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("I do not have any saddle numbness", True),
        ("no numbness or tingling, just back pain. is it anxiety?", True),
        ("without any bladder or bowel problems, is my back pain from stress?", True),
        ("no fever but I'm peeing on myself", False),  # a real red flag next to a denied one
        ("no numbness but my legs feel weird", False),  # an undenied symptom word
        ("my legs are numb", False),
        ("does yoga help?", False),
    ],
)
def test_only_negated_red_flags(net: SafetyNet, text: str, expected: bool) -> None:
    assert net.only_negated_red_flags(text) is expected


def test_component_never_lets_an_nlu_only_red_flag_replace_the_answer(component: Any) -> None:
    denied = _message(
        "no numbness, no bladder problems, just a stiff back. is it anxiety?", intent="red_flag", confidence=0.7
    )
    denied.set(
        "intent_ranking",
        [{"name": "red_flag", "confidence": 0.7}, {"name": "faq_can_anxiety_cause_back_pain", "confidence": 0.2}],
    )
    component.process([denied])
    assert denied.get("intent")["name"] == "faq_can_anxiety_cause_back_pain"
    assert denied.get("safety_nlu_vetoed") == {"intent": "red_flag", "confidence": 0.7}
    assert denied.get("safety_suspected") is None  # denied symptoms: no warning note either

    # A story about an old injury that ends with an ordinary question: the model's guess becomes a note.
    story = _message(
        "I hurt my back moving house two years ago and work is stressful. does yoga help?",
        intent="red_flag",
        confidence=0.7,
    )
    story.set("intent_ranking", [{"name": "red_flag", "confidence": 0.7}, {"name": "faq_yoga", "confidence": 0.25}])
    component.process([story])
    assert story.get("intent")["name"] == "faq_yoga"
    assert [e["name"] for e in story.get("intent_ranking")] == ["faq_yoga"]
    assert story.get("safety_suspected") == {"intent": "red_flag", "confidence": 0.7}
    assert story.get("safety") is None

    rules = _message("I fell down the stairs yesterday and now my back hurts", intent="faq_yoga", confidence=0.9)
    component.process([rules])
    assert rules.get("intent")["name"] == "red_flag"  # the rules keep their urgent reply

    crisis = _message("I don't know what to do anymore, nothing matters", intent="crisis", confidence=0.6)
    component.process([crisis])
    assert crisis.get("intent")["name"] == "crisis"  # crisis predictions are never overruled


# ----------------------------------------------------------------------------- NLU data
def test_safety_nlu_data() -> None:
    examples = eval_safety.load_nlu_examples(REPO_ROOT / "data" / "nlu" / "safety.yml")
    by_intent: Dict[str, List[str]] = {}
    for intent, text in examples:
        by_intent.setdefault(intent, []).append(text)
    assert set(by_intent) == {"red_flag", "crisis"}
    assert len(by_intent["red_flag"]) >= 30 and len(by_intent["crisis"]) >= 30

    def norm(text: str) -> str:
        return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()

    mine = [norm(t) for _, t in examples]
    assert len(mine) == len(set(mine)), "duplicate examples in data/nlu/safety.yml"
    others = set()
    for path in sorted((REPO_ROOT / "data" / "nlu").glob("*.yml")) + [REPO_ROOT / "tests" / "nlu" / "holdout.yml"]:
        if path.name != "safety.yml" and path.exists():
            others.update(norm(t) for _, t in eval_safety.load_nlu_examples(path))
    test_texts = {norm(m.text) for m in eval_safety.load_urgent()} | {norm(m.text) for m in eval_safety.load_ordinary()}
    assert not set(mine) & others, "safety examples duplicated in other NLU files"
    assert not set(mine) & test_texts, "safety training examples duplicated in the safety test sets"


def test_history_and_already_checked_markers_only_apply_near_the_match(net: SafetyNet) -> None:
    """`unless_near` (content/safety.yml, matching.history_markers / already_checked_markers)."""
    assert net.check("fell off my bike as a kid, now my back aches when work is stressful") is None
    assert net.check("I fell off my bike this morning and my back is killing me") is not None
    # The marker must be in the same sentence as the event.
    assert net.check("I fell off a ladder yesterday. My knee healed years ago.") is not None
    assert net.check("my chest gets tight when I'm stressed (they checked my heart, it's fine)") is None
    assert net.check("my chest gets tight and it hurts to breathe") is not None
    # Cancer history stays a red flag however long ago it was.
    assert net.check("I had breast cancer years ago and now there's a new ache in my back") is not None


def test_a_red_flag_further_down_the_ranking_does_not_make_the_topic_unsure(component: Any) -> None:
    message = _message("my back aches since the stressful move, does yoga help?", intent="faq_yoga", confidence=0.45)
    message.set(
        "intent_ranking",
        [
            {"name": "faq_yoga", "confidence": 0.45},
            {"name": "red_flag", "confidence": 0.4},
            {"name": "faq_sleep", "confidence": 0.15},
        ],
    )
    component.process([message])
    assert [e["name"] for e in message.get("intent_ranking")] == ["faq_yoga", "faq_sleep"]
    assert abs(message.get("intent")["confidence"] - 0.75) < 1e-9
    assert message.get("safety_suspected") is None
    # A crisis prediction on top is never rescaled or reordered.
    crisis = _message("nothing matters anymore and my back hurts", intent="crisis", confidence=0.4)
    crisis.set(
        "intent_ranking",
        [
            {"name": "crisis", "confidence": 0.4},
            {"name": "faq_yoga", "confidence": 0.35},
            {"name": "red_flag", "confidence": 0.25},
        ],
    )
    component.process([crisis])
    assert crisis.get("intent") == {"name": "crisis", "confidence": 0.4}


def test_a_known_anxiety_pattern_gets_the_note_not_the_urgent_reply(net: SafetyNet) -> None:
    recurring = "my chest gets tight whenever I'm anxious and my upper back aches, is that tension?"
    assert net.check(recurring) is None and net.wants_note(recurring)
    # No pattern named, or something new and different: urgent as before.
    for text in (
        "chest tightness and back pain, is it anxiety?",
        "my chest gets tight when i get stressed but today it's crushing and going into my left arm",
    ):
        assert net.check(text) is not None and not net.wants_note(text)
    assert not net.wants_note("does yoga help with back pain")


def test_an_examined_heart_makes_chest_symptoms_a_known_pattern_anywhere_in_the_message(net: SafetyNet) -> None:
    story = (
        "I've had panic disorder for years. Last week the ER did an ecg, all fine. I get chest pain and my back aches."
    )
    assert net.check(story) is None and net.wants_note(story)
    # The same symptom without the examination (a panic story alone), with something acute next to it, or with
    # a heart history: urgent.
    for text in (
        "I get chest pain and my back aches.",
        "I've had panic disorder for years. I get chest pain and my back aches.",
        "I've had panic disorder for years. Right now I have chest pain and my back aches.",
        "I've had panic disorder for years and a stent since 2020. I get chest pain and my back aches.",
        "I've had panic disorder for years. My mum died of a heart attack. I get chest pain and my back aches.",
    ):
        assert net.check(text) is not None and not net.wants_note(text), text


def test_a_relatives_cancer_is_not_the_history_of_the_person_whose_back_hurts(net: SafetyNet) -> None:
    for text in (
        "My grandmother has bone cancer and I'm her caregiver. The stress is wrecking my back. How can I cope?",
        "my aunt had cancer, I'm worried about my own back pain from stress",
    ):
        assert net.check(text) is None and net.wants_note(text), text
    # The relative's own pain told, or the person's own history: a red flag.
    for text in (
        "my dad has prostate cancer and he has bad back pain now",
        "My mom had cancer and now her back hurts",
        "I'm a cancer survivor, 10 years clear, and lately my back aches",
    ):
        finding = net.check(text)
        assert finding is not None and finding.category == "cancer_history", text


def test_a_cancer_feared_is_health_anxiety_but_one_told_stays_a_red_flag(net: SafetyNet) -> None:
    """`note_if_in_sentence` and the fear check of `urgent_if_near`: "I have cancer" right after a fear tells none."""
    for text in (
        "i'm so terrified I have some kind of lymph node cancer, my back aches from the stress",
        "I am so paranoid I have cancer and my back hurts",
    ):
        assert net.check(text) is None and net.wants_note(text), text
    for text in (
        "I have cancer and I'm terrified of this new back pain",
        "I'm scared because I was diagnosed with breast cancer two years ago and now my back aches all the time",
    ):
        finding = net.check(text)
        assert finding is not None and finding.category == "cancer_history", text


def test_a_fall_in_a_past_year_is_history_but_a_number_of_minutes_is_not(net: SafetyNet) -> None:
    old = "I fell off a truck on deployment back in 2010, had surgery, mostly recovered. Stress makes my back ache."
    assert net.check(old) is None
    finding = net.check("I fell this morning, back in 5 minutes it started hurting")
    assert finding is not None and finding.category == "trauma"


def test_list_bullets_do_not_hide_a_symptom(net: SafetyNet) -> None:
    finding = net.check("my symptoms:\n-chest pain\n-left arm pain")
    assert finding is not None and finding.category == "cardiac_vascular"


def test_assess_is_check_and_wants_note_in_one_pass(net: SafetyNet) -> None:
    for text in (
        "my chest gets tight whenever I'm anxious, is that tension?",
        "I fell down the stairs today",
        "does yoga help with back pain",
        "",
    ):
        assert net.assess(text) == (net.check(text), net.wants_note(text))


def test_a_crisis_rule_with_a_message_condition_reads_short_messages_too(net: SafetyNet) -> None:
    # cr_text_unanswered needs "not answering" in the message; a short "thanks for everything" closes many chats.
    assert net.check("thanks for everything") is None
    assert net.check("I didn't do anything, it just started aching") is None
    finding = net.check("he texted thanks for everything and now he's not answering")
    assert finding is not None and finding.kind == "crisis"
    # A red-flag rule still leans on the conversation when the message is short ("had cancer" after a question).
    assert net.check("I had cancer") is not None


def test_safety_rules_have_no_duplicate_keys():
    """YAML keeps the last of two equal keys silently: a second `unless_preceded_by` in one rule would drop the first."""

    class _StrictLoader(yaml.SafeLoader):
        pass

    def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
        keys = [loader.construct_object(key, deep=deep) for key, _ in node.value]
        duplicated = {key for key in keys if keys.count(key) > 1}
        assert not duplicated, f"duplicate keys {duplicated} at line {node.start_mark.line + 1}"
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    _StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
    with open(SAFETY_FILE, encoding="utf-8") as fh:
        assert yaml.load(fh, Loader=_StrictLoader)


def test_a_word_for_word_phrase_counts_in_the_whole_message(net: SafetyNet) -> None:
    """`=` phrases in `*_in_message` lists are read word for word, as in `unless_preceded_by` (they were never matched)."""
    phrases = net._phrase_lemmas(["=wont be needing"])
    assert net._in_message(net._analyse("my back is done, i wont be needing the bike"), phrases)
    assert not net._in_message(net._analyse("my back is done, i will not be needing the bike"), phrases)
