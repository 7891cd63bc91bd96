"""The safety net's learned layer (painfaq/safety/learned.py) and how SafetyNetClassifier uses it: it reads the
whole message, trains and persists with the Rasa model, and sets aside the intent classifier's own guesses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, List, Tuple

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from painfaq.nlu.question_focus import ORIGINAL_TEXT_KEY
from painfaq.safety import learned as safety_model

REPO_ROOT = Path(__file__).resolve().parents[2]


def nlu_examples() -> List[Tuple[str, str]]:
    examples = []
    for path in sorted((REPO_ROOT / "data" / "nlu").glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if "intent" in block:
                for line in block["examples"].splitlines():
                    if line.strip().startswith("- "):
                        examples.append((re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line.strip()[2:]), block["intent"]))
    return examples


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from painfaq.nlu.safety_classifier import SafetyNetClassifier

    storage = LocalModelStorage(tmp_path_factory.mktemp("safety_storage"))
    resource = Resource("safety")
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**SafetyNetClassifier.get_default_config(), "crisis_threshold": 0.6, "red_flag_threshold": 0.7}
    component = SafetyNetClassifier.create(config, storage, resource, context)
    messages = [Message(data={"text": text, "intent": intent}) for text, intent in nlu_examples()]
    # One focused training example: the layer must learn from the whole text.
    messages[0].set(ORIGINAL_TEXT_KEY, "a long story " + messages[0].get("text"))
    component.train(TrainingData(messages))
    return SafetyNetClassifier.load(config, storage, resource, context)


def parsed(text: str, ranking: List[Tuple[str, float]]) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": ranking[0][0], "confidence": ranking[0][1]}, add_to_output=True)
    message.set("intent_ranking", [{"name": n, "confidence": c} for n, c in ranking], add_to_output=True)
    message.set("entities", [], add_to_output=True)
    return message


def test_labels_are_crisis_red_flag_or_other():
    assert [safety_model.label_for(i) for i in ("crisis", "red_flag", "faq_yoga", "out_of_scope")] == [
        "crisis",
        "red_flag",
        "other",
        "other",
    ]


def test_the_layer_is_persisted_and_loaded_with_the_model(trained: Any):
    assert trained._model is not None
    p = safety_model.probabilities(trained._model, "does yoga help with back pain from stress")
    assert set(p) == {"crisis", "red_flag", "other"} and abs(sum(p.values()) - 1.0) < 1e-6


def test_the_loaded_layer_scores_without_copying_its_coefficients(trained: Any):
    """Column-major coefficients: scipy multiplies by `coef_.T` in place instead of copying it per message."""
    import copy

    import numpy as np

    classifier = trained._model.named_steps["classifier"]
    assert classifier.coef_.T.flags["C_CONTIGUOUS"]
    row_major = copy.deepcopy(trained._model)
    row_major.named_steps["classifier"].coef_ = np.ascontiguousarray(classifier.coef_)
    text = "I can't go on like this, my back hurts and nothing helps"
    assert safety_model.probabilities(trained._model, text) == pytest.approx(
        safety_model.probabilities(row_major, text)
    )


def test_the_classifiers_crisis_guess_on_a_fragment_is_set_aside(trained: Any):
    message = parsed(
        "I don't want drugs and I don't want surgery for my back, so what's the point?",
        [("crisis", 0.8), ("faq_relief_overview", 0.15), ("out_of_scope", 0.05)],
    )
    trained.process([message])
    assert message.get("intent")["name"] == "faq_relief_overview"
    assert abs(message.get("intent")["confidence"] - 0.75) < 1e-9
    assert 0.0 <= message.get("safety_nlu")["crisis"] < 0.6


def test_a_crisis_guess_unconfirmed_in_a_message_without_the_back_is_declined(trained: Any):
    """Read first as despair by the intent classifier, confirmed by neither safety layer, and saying nothing of the
    back: not a question about the article's topic that held the rest."""
    message = parsed(
        "I'm so done with everyone at school, nobody ever listens, so what's the point?",
        [("crisis", 0.7), ("faq_relief_overview", 0.2), ("out_of_scope", 0.1)],
    )
    trained.process([message])
    assert message.get("intent")["name"] == "out_of_scope"
    assert message.get("intent")["confidence"] == pytest.approx(0.8)
    # Not the top reading: set aside as before, the rest rescaled.
    message = parsed(
        "I'm so done with everyone at school, nobody ever listens, so what's the point?",
        [("faq_relief_overview", 0.5), ("crisis", 0.3), ("out_of_scope", 0.2)],
    )
    trained.process([message])
    assert message.get("intent")["name"] == "faq_relief_overview"
    assert message.get("intent")["confidence"] == pytest.approx(0.5 / 0.7)


def test_crisis_language_anywhere_in_the_story_gets_the_crisis_reply(trained: Any):
    text = (
        "My back has hurt for ten years and work is a mess. Honestly I dont see the point of anything anymore and "
        "I think everyone would be better off if I just disappeared for good. Anyway does physio help?"
    )
    message = parsed(text, [("faq_physical_therapy", 0.9), ("out_of_scope", 0.1)])
    trained.process([message])
    assert message.get("intent") == {"name": "crisis", "confidence": 1.0}
    assert all(e["confidence"] == 0.0 for e in message.get("intent_ranking")[1:])


def test_rules_still_come_first(trained: Any):
    message = parsed("I fell down the stairs this morning and my back hurts, does yoga help?", [("faq_yoga", 0.9)])
    trained.process([message])
    assert message.get("intent")["name"] == "red_flag" and message.get("safety")["rule_id"]


def test_without_the_language_of_despair_the_layer_cannot_give_the_crisis_reply(trained: Any, monkeypatch):
    """`learned_crisis_cues` (content/safety.yml): an ordinary symptom question the n-grams score as crisis
    keeps its answer; the same score with words of despair or self-harm gives the crisis reply."""
    monkeypatch.setattr(
        safety_model, "probabilities", lambda model, text: {"crisis": 0.9, "red_flag": 0.0, "other": 0.1}
    )
    symptom = parsed(
        "I have been experiencing sharp pain in the mid point of my back, right next to my spine?",
        [("out_of_scope", 0.7), ("faq_signs", 0.3)],
    )
    trained.process([symptom])
    assert symptom.get("intent")["name"] == "out_of_scope"
    despair = parsed("my back hurts every day and honestly I feel like giving up", [("faq_relief_overview", 0.9)])
    trained.process([despair])
    assert despair.get("intent") == {"name": "crisis", "confidence": 1.0}


def test_every_crisis_training_example_carries_a_crisis_cue(trained: Any):
    """A crisis example the cue list does not cover could be learned but never acted on: extend the list."""
    crisis = [text for text, intent in nlu_examples() if intent == "crisis"]
    assert len(crisis) > 20
    assert [text for text in crisis if not trained.net.has_crisis_cue(text)] == []
    ordinary = ["does yoga help with back pain from stress", "I have a dull ache next to my spine, is it anxiety?"]
    assert not any(trained.net.has_crisis_cue(text) for text in ordinary)


def test_a_weak_cue_alone_does_not_let_the_layer_give_the_crisis_reply(trained: Any):
    """`learned_crisis_weak_cues`: "life" or "living" alone is in most stories; with a strong cue or a second
    weak word it counts."""
    net = trained.net
    assert not net.has_crisis_cue("Some positive things are happening for once in my life, athletics went well")
    assert not net.has_crisis_cue("I'm 22 and living in the UK, too scared to visit my home town")
    assert net.has_crisis_cue("my life feels hopeless since the pain started")
    assert net.has_crisis_cue("is this life even worth being alive for")
    # One family of words, twice, is still one weak cue.
    assert not net.has_crisis_cue("flying was a living hell; now I'm living a life free of that fear")


def test_someone_elses_death_told_is_no_crisis_cue(trained: Any):
    """The word "died" is a cue only when the person nearly did; a death told as news or grief needs another cue."""
    net = trained.net
    assert not net.has_crisis_cue("a girl my mom babysat died in a house fire years ago, my back aches thinking of it")
    assert net.has_crisis_cue("I almost died when I took all those pills")
    assert net.has_crisis_cue("my grandma died and I want to die too")


def test_pills_and_pain_killers_named_in_passing_are_no_crisis_cue(trained: Any):
    """Every medicine review names pills, and every pain that went away is "gone": weak cues (r81 round: 4 dev false
    alarms, no crisis post lost). Pills kept ready stay a cue."""
    net = trained.net
    assert not net.has_crisis_cue("I used over the counter pain killers for years, now the pills are not working")
    assert not net.has_crisis_cue("the ache in my back is gone now")
    assert net.has_crisis_cue("i have pills saved up and i think tonight might be the night")
    assert net.has_crisis_cue("everyone would be better off without me")
    assert net.has_crisis_cue("life is hard and I can't deal")
    # a weak cue next to another weak word still counts
    assert net.has_crisis_cue("I want my life to be gone")


def test_waking_up_dead_tired_or_a_jumping_heart_is_no_crisis_cue(trained: Any):
    """Morning anxiety ("I wake up panicked every morning", "a feeling of dead dread", "my heart about to jump out of my
    chest") is in most anxiety posts; waking up is a cue only when it is not wished."""
    net = trained.net
    assert not net.has_crisis_cue("I wake up panicked every morning with a terrible feeling of dead dread")
    assert not net.has_crisis_cue("why am I waking up with a heart about to jump out of my chest?")
    assert not net.has_crisis_cue("I'm dead tired when I wake up and my back is stiff")
    assert net.has_crisis_cue("i dont want to wake up tomorrow")
    assert net.has_crisis_cue("I hope I never wake up")
    assert net.has_crisis_cue("I feel dead inside")
    assert net.has_crisis_cue("I keep thinking of jumping off the bridge")


def _train_layer(tmp_path: Path, name: str, config: dict, messages: List[Message]) -> Any:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from painfaq.nlu.safety_classifier import SafetyNetClassifier

    (tmp_path / name).mkdir()
    storage = LocalModelStorage(tmp_path / name)
    context = ExecutionContext(GraphSchema({}), name)
    full_config = {**SafetyNetClassifier.get_default_config(), **config}
    component = SafetyNetClassifier.create(full_config, storage, Resource(name), context)
    component.train(TrainingData(messages))
    return component._model


def learned_layer_data_messages(path: Path) -> List[Message]:
    from painfaq.nlu.safety_classifier import learned_layer_data

    return list(learned_layer_data([path]).intent_examples)


LAYER_FILE = """version: "3.1"
nlu:
- intent: crisis
  examples: |
    - i want to end my life
    - i have a plan to kill myself
    - nobody would miss me if i was gone
- intent: red_flag
  examples: |
    - my legs went numb and i cant pee
    - back pain and a high fever since last night
    - i fell down the stairs and my back is agony
- intent: faq_yoga
  examples: |
    - does yoga help with back pain
    - which [yoga](remedy) poses ease a tense back
- intent: out_of_scope
  examples: |
    - how do i renew my passport
    - whats the weather tomorrow
"""


def test_with_learned_layer_files_other_training_examples_do_not_move_the_layer(tmp_path: Path) -> None:
    """The point of `learned_layer_files`: examples added for the intent classifier elsewhere leave the layer as it was."""
    layer_file = tmp_path / "layer.yml"
    layer_file.write_text(LAYER_FILE, encoding="utf-8")
    config = {"learned_layer_files": [str(layer_file)]}
    base = [Message(data={"text": "does yoga help with back pain", "intent": "faq_yoga"})]
    extra = [
        Message(data={"text": f"i just want to end this back pain for good {i}", "intent": "faq_relief_overview"})
        for i in range(30)
    ]
    probe = "i want this to end, i cant go on"

    alone = safety_model.probabilities(_train_layer(tmp_path, "alone", config, base), probe)
    with_extra = safety_model.probabilities(_train_layer(tmp_path, "extra", config, base + extra), probe)
    assert alone == with_extra
    assert alone["crisis"] > alone["other"]
    # Without the setting, the same extra examples are part of the layer's "other" class and move it.
    unpinned = safety_model.probabilities(
        _train_layer(tmp_path, "unpinned", {}, learned_layer_data_messages(layer_file) + extra), probe
    )
    assert unpinned["crisis"] < alone["crisis"]


def test_the_layer_reads_its_files_as_rasa_does_and_refuses_a_missing_one(tmp_path: Path) -> None:
    from painfaq.nlu.safety_classifier import learned_layer_data

    layer_file = tmp_path / "layer.yml"
    layer_file.write_text(LAYER_FILE, encoding="utf-8")
    texts = {m.get("text") for m in learned_layer_data([layer_file]).intent_examples}
    assert "which yoga poses ease a tense back" in texts and len(texts) == 10
    with pytest.raises(FileNotFoundError):
        learned_layer_data([layer_file, tmp_path / "gone.yml"])


def test_a_change_to_a_learned_layer_file_retrains_the_layer(tmp_path: Path) -> None:
    from painfaq.nlu.safety_classifier import SafetyNetClassifier

    layer_file = tmp_path / "layer.yml"
    layer_file.write_text(LAYER_FILE, encoding="utf-8")
    config = {"learned_layer_files": [str(layer_file)]}
    before = SafetyNetClassifier.fingerprint_addon(config)
    assert before is not None and SafetyNetClassifier.fingerprint_addon(config) == before
    layer_file.write_text(LAYER_FILE + "    - how do i bake bread\n", encoding="utf-8")
    assert SafetyNetClassifier.fingerprint_addon(config) != before
    assert SafetyNetClassifier.fingerprint_addon({"learned_layer_files": None}) is None


def test_the_layer_files_hold_every_crisis_and_red_flag_example() -> None:
    """A file left out of `learned_layer_files` may only teach the intent classifier: the layer must see every crisis
    and red-flag example, or a new one would silently not train it."""
    from painfaq.nlu.safety_classifier import learned_layer_data

    pipeline = yaml.safe_load((REPO_ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    (safety,) = [c for c in pipeline if c["name"].endswith("SafetyNetClassifier")]
    listed = [REPO_ROOT / f for f in safety["learned_layer_files"]]
    seen = {(m.get("text"), m.get("intent")) for m in learned_layer_data(listed).intent_examples}
    safety_examples = {(t, i) for t, i in nlu_examples() if i in safety_model.SAFETY_LABELS}
    assert len(safety_examples) > 50 and safety_examples <= seen


def test_a_life_of_pain_refused_is_no_crisis_cue(trained: Any):
    """ "I don't want to live the rest of my life in this much pain" asks for relief (the rule cr_not_want_live reads
    it as ordinary too); not wanting to live at all, or like this, stays a cue."""
    net = trained.net
    assert not net.has_crisis_cue(
        "any tips to relieve the back pain? I don't want to live the rest of my life in this much pain"
    )
    assert not net.has_crisis_cue("my back aches every day and I don't want to live with this pain forever")
    assert net.has_crisis_cue("my back aches every day and I don't want to live anymore")
    assert net.has_crisis_cue("I don't want to live like this")


def test_a_death_feared_in_a_scare_is_no_crisis_cue_unless_wished(trained: Any):
    """ "They all thought I was gonna die" tells a scare; "I thought I was going to die and I wanted to" wishes it."""
    net = trained.net
    assert not net.has_crisis_cue("I choked at dinner, they all thought I was gonna die and my back still aches")
    assert net.has_crisis_cue("I thought I was going to die and I wanted to")
    assert net.has_crisis_cue("some days I want to die")


def test_a_death_feared_from_an_illness_is_no_crisis_cue(trained: Any):
    """Health anxiety fears a death ("afraid I'm gonna die because of leukemia", "felt like I am dying for 7 days" after
    a vaccine dose, r79); a death wished or planned is still a cue."""
    net = trained.net
    assert not net.has_crisis_cue("I'm terrified and afraid I'm gonna die because of leukemia, my neck aches")
    assert not net.has_crisis_cue("after the first dose I felt like I am dying for about 7 days with fever and aches")
    assert net.has_crisis_cue("I'm not afraid, I'm gonna die soon and I've made peace with it")
    assert net.has_crisis_cue("some nights I just want to die, the back pain never stops")
