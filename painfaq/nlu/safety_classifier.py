"""Rasa NLU component: the rule-based safety net as an intent classifier.

Place it after the intent classifier (and InputGuard) and before FallbackClassifier:

    - name: painfaq.nlu.safety_classifier.SafetyNetClassifier

On every message it runs painfaq.safety.rules.SafetyNet.check. On a finding it sets the intent to
`red_flag` or `crisis` with confidence 1.0 at the top of intent_ranking (the other intents stay in
the ranking with confidence 0.0, so FallbackClassifier's ambiguity check cannot override it), adds
the entities `safety_category` and `safety_level`, and stores the whole finding under the message
key `safety` (kept in parse_data, so actions read it from tracker.latest_message["safety"];
painfaq.safety.rules.finding_from_parse_data rebuilds it).

When the rules find nothing, a second, learned layer decides (painfaq/safety/learned.py, trained with the
model on the NLU examples of `crisis` and `red_flag` against all others). With `learned_layer_files` set, only the
examples of those files train it: an example file added later for the intent classifier (written questions, say)
then cannot move crisis recall, which it did through this layer before (docs/real-users-history.md, sixteenth round). It reads the whole message,
whereas the intent classifier reads only the question of a long one:
- crisis probability >= `crisis_threshold`, and the message uses the language of despair, self-harm or
  ending things (`learned_crisis_cues` in content/safety.yml; the n-grams alone read "sharp pain next to my
  spine" as crisis): intent `crisis` with confidence 1.0, as for a rule finding (crisis is never softened);
- red-flag probability >= `red_flag_threshold`: the answer stays, and the message key `safety_suspected`
  tells the actions to add the warning-sign note under it. A guess never replaces an answer. When the
  message only denies red flags ("no numbness, no bladder problems - is it anxiety?", config
  `veto_negated_nlu`) no note is added; the diagnostics go to `safety_nlu_vetoed`;
- the intent classifier's own `crisis` / `red_flag` guesses are set aside and the rest of its ranking is
  rescaled, so they cannot make a topic look unsure either. The probabilities go to `safety_nlu`.
A model trained before this layer existed falls back to the intent classifier's guesses (crisis kept,
red_flag demoted to a note).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Text, Type

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.pipeline import Pipeline

from painfaq.content.premises import SPEAKS_OF_THE_BACK
from painfaq.nlu.question_focus import ORIGINAL_TEXT_KEY
from painfaq.nlu.rule_step import add_probability, confidence
from painfaq.safety import learned as safety_model
from painfaq.safety.rules import SafetyFinding, SafetyNet, load_default_safety_net, load_spacy_model

logger = logging.getLogger(__name__)

SAFETY_KEY = "safety"
VETO_KEY = "safety_nlu_vetoed"
SUSPECTED_KEY = "safety_suspected"
MODEL_FILE = "safety_nlu.joblib"
LEARNED_KEY = "safety_nlu"
CATEGORY_ENTITY = "safety_category"
LEVEL_ENTITY = "safety_level"


def learned_layer_data(files: List[Path]) -> TrainingData:
    """The examples of the given NLU files, as Rasa reads them (entity markup removed)."""
    from rasa.shared.nlu.training_data.loading import load_data

    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(f"learned_layer_files: no such file {', '.join(missing)}")
    return TrainingData().merge(*(load_data(str(f)) for f in files))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class SafetyNetClassifier(GraphComponent, IntentClassifier):
    """Overrides the intent with red_flag / crisis when the rule-based safety net finds one."""

    @classmethod
    def required_components(cls) -> List[Type]:
        # It must come after the intent classifier in config.yml (it rewrites that ranking), but its own
        # training needs none: Rasa checks required components against the training graph too.
        return []

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # None = content/safety.yml and models/spacy/en_painfaq (or $PAINFAQ_SPACY_MODEL).
            "safety_file": None,
            "spacy_model": None,
            # Overrule an NLU-only `red_flag` when the message only denies red flags ("no numbness,
            # no bladder problems, is it anxiety?"); see SafetyNet.only_negated_red_flags.
            "veto_negated_nlu": True,
            # The learned layer (painfaq/safety/learned.py) reads the whole message: crisis reply at or above
            # `crisis_threshold`, warning-sign note at or above `red_flag_threshold` (chosen on the dev set
            # of real messages and tests/safety; docs/real-users.md).
            "crisis_threshold": 0.6,
            "red_flag_threshold": 0.7,
            "C": 30.0,
            # NLU files whose examples train the learned layer (None: every example Rasa trains on).
            "learned_layer_files": None,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """Rasa caches a trained component by its config and training data only: with `learned_layer_files` the layer
        reads files of its own, so a change to one of them (or to the layer's code) must retrain it."""
        files = config.get("learned_layer_files")
        if not files:
            return None
        digest = hashlib.sha256()
        for source in [Path(safety_model.__file__), *(Path(f) for f in files)]:
            digest.update(str(source).encode())
            digest.update(source.read_bytes() if source.is_file() else b"missing")
        return digest.hexdigest()

    def __init__(
        self,
        config: Dict[Text, Any],
        net: Optional[SafetyNet] = None,
        model: Optional[Pipeline] = None,
        model_storage: Optional[ModelStorage] = None,
        resource: Optional[Resource] = None,
    ) -> None:
        self.component_config = config
        self._net = net
        self._model = model
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SafetyNetClassifier":
        return cls(config, model_storage=model_storage, resource=resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the whole-message layer on the NLU examples (their whole text, before QuestionFocus), or on those of
        `learned_layer_files` alone."""
        files = self.component_config.get("learned_layer_files")
        if files:
            training_data = learned_layer_data([Path(f) for f in files])
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        texts = [m.get(ORIGINAL_TEXT_KEY) or m.get(TEXT) for m in examples]
        self._model = safety_model.fit(texts, [m.get(INTENT) for m in examples], c=float(self.component_config["C"]))
        if self._model_storage is not None and self._resource is not None:
            with self._model_storage.write_to(self._resource) as directory:
                joblib.dump(self._model, directory / MODEL_FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "SafetyNetClassifier":
        """At inference the net is built when the model loads, so the first user does not wait for it."""
        component = cls.create(config, model_storage, resource, execution_context)
        try:
            with model_storage.read_from(resource) as directory:
                component._model = safety_model.ready_to_serve(joblib.load(directory / MODEL_FILE))
        except (ValueError, FileNotFoundError):
            logger.warning("Safety net: no learned layer in this model; the intent classifier's guess is used instead")
        _ = component.net
        return component

    @property
    def net(self) -> SafetyNet:
        """Built on first use: loading spaCy is skipped entirely during `rasa train`."""
        if self._net is None:
            safety_file = self.component_config.get("safety_file")
            spacy_model = self.component_config.get("spacy_model")
            if safety_file is None and spacy_model is None:
                self._net = load_default_safety_net()
            else:
                from painfaq.safety.rules import SAFETY_FILE

                nlp = load_spacy_model(Path(spacy_model) if spacy_model else None)
                self._net = SafetyNet.from_file(Path(safety_file) if safety_file else SAFETY_FILE, nlp)
        return self._net

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            # "/intent" button payloads are parsed by Rasa itself.
            if not text.strip() or text.startswith("/"):
                continue
            finding, note = self.net.assess(text)
            if finding is not None:
                self._apply(message, finding, text)
            elif self._model is not None:
                self._apply_learned_layer(message, text)
                if note and message.get(INTENT, {}).get(INTENT_NAME_KEY) != "crisis":
                    message.set(SUSPECTED_KEY, {"rule": "note_if_near"}, add_to_output=True)
            elif self._nlu_intent(message) == "red_flag":
                negated = self.component_config.get("veto_negated_nlu", True) and self.net.only_negated_red_flags(text)
                self._demote(message, VETO_KEY if negated else SUSPECTED_KEY)
            else:
                self._drop_red_flag(message)
        return messages

    def _apply_learned_layer(self, message: Message, text: str) -> None:
        """The whole-message model decides crisis and red-flag suspicions; the intent classifier's own
        crisis / red_flag guesses (made on the question of a long message) are set aside."""
        assert self._model is not None
        p = safety_model.probabilities(self._model, text)
        if self._nlu_intent(message) == "crisis" and not SPEAKS_OF_THE_BACK.search(text):
            ranking = self._crisis_declined(self._rescaled_without(message, {"red_flag"}))
        else:
            ranking = self._rescaled_without(message, {"red_flag", "crisis"})
        message.set(LEARNED_KEY, {k: round(v, 4) for k, v in p.items()}, add_to_output=True)
        if p.get("crisis", 0.0) >= float(self.component_config["crisis_threshold"]) and self.net.has_crisis_cue(text):
            # Like a rule finding: certain for the policies, so FallbackClassifier cannot turn it into a
            # "did you mean" (the probability stays in `safety_nlu`).
            crisis = {INTENT_NAME_KEY: "crisis", PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, crisis, add_to_output=True)
            message.set(
                INTENT_RANKING_KEY,
                [crisis] + [{**e, PREDICTED_CONFIDENCE_KEY: 0.0} for e in ranking],
                add_to_output=True,
            )
            return
        if ranking:
            message.set(INTENT, dict(ranking[0]), add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        if p.get("red_flag", 0.0) >= float(self.component_config["red_flag_threshold"]):
            negated = self.component_config.get("veto_negated_nlu", True) and self.net.only_negated_red_flags(text)
            suspicion = {"intent": "red_flag", "confidence": p["red_flag"]}
            message.set(VETO_KEY if negated else SUSPECTED_KEY, suspicion, add_to_output=True)

    @staticmethod
    def _nlu_intent(message: Message) -> Optional[str]:
        return (message.get(INTENT) or {}).get(INTENT_NAME_KEY)

    @staticmethod
    def _rescaled_without(message: Message, removed: Set[str]) -> List[Dict[Text, Any]]:
        """The ranking without the `removed` intents, the rest rescaled by what they held: the topic the
        person asked about, given that it is not a red flag or crisis (the safety layers decide those)."""
        ranking = message.get(INTENT_RANKING_KEY) or []
        kept = [dict(e) for e in ranking if e.get(INTENT_NAME_KEY) not in removed]
        mass = sum(float(e.get(PREDICTED_CONFIDENCE_KEY) or 0.0) for e in ranking if e.get(INTENT_NAME_KEY) in removed)
        if 0.0 < mass < 1.0:
            for entry in kept:
                entry[PREDICTED_CONFIDENCE_KEY] = float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0.0) / (1.0 - mass)
        return kept

    @staticmethod
    def _crisis_declined(ranking: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
        """The intent classifier's crisis reading, which neither the rules nor the whole-message model confirm, moves to
        out of scope when the message says nothing of the back: read first as despair, it asks for someone to talk to,
        not for the article's topic that held the next few percent. (One that speaks of the back, "I don't want surgery
        for my back, so what's the point?", keeps its topic.) On the dev set of real messages at parse level: 15
        out-of-scope posts more declined, 1 answerable one lost; without the back's exception 21 and 3."""
        mass = sum(confidence(e) for e in ranking if e.get(INTENT_NAME_KEY) == "crisis")
        kept = [dict(e) for e in ranking if e.get(INTENT_NAME_KEY) != "crisis"]
        if mass <= 0.0 or not kept:
            return kept
        add_probability(kept, "out_of_scope", mass)
        return sorted(kept, key=lambda e: -confidence(e))

    @classmethod
    def _drop_red_flag(cls, message: Message) -> None:
        """A red_flag further down the ranking must not make the topic look unsure either. A crisis
        prediction on top is left exactly as it is."""
        if cls._nlu_intent(message) == "crisis":
            return
        ranking = message.get(INTENT_RANKING_KEY) or []
        if not any(e.get(INTENT_NAME_KEY) == "red_flag" for e in ranking):
            return
        kept = cls._rescaled_without(message, {"red_flag"})
        if kept:
            message.set(INTENT, dict(kept[0]), add_to_output=True)
            message.set(INTENT_RANKING_KEY, kept, add_to_output=True)

    @classmethod
    def _demote(cls, message: Message, key: str) -> None:
        """Drop the NLU model's red_flag: the next intent in the ranking takes over (and
        FallbackClassifier may still turn a weak one into nlu_fallback). `key` records why."""
        vetoed = dict(message.get(INTENT) or {})
        ranking = cls._rescaled_without(message, {"red_flag", "crisis"})
        if not ranking:
            return
        message.set(INTENT, dict(ranking[0]), add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        message.set(
            key,
            {"intent": vetoed.get(INTENT_NAME_KEY), "confidence": vetoed.get(PREDICTED_CONFIDENCE_KEY)},
            add_to_output=True,
        )
        logger.debug(f"Safety net: NLU red_flag ({vetoed.get(PREDICTED_CONFIDENCE_KEY)}) demoted ({key})")

    @staticmethod
    def _apply(message: Message, finding: SafetyFinding, text: str) -> None:
        nlu_intent = dict(message.get(INTENT) or {})
        intent = {INTENT_NAME_KEY: finding.kind, PREDICTED_CONFIDENCE_KEY: 1.0}
        ranking = [intent] + [
            {**entry, PREDICTED_CONFIDENCE_KEY: 0.0}
            for entry in message.get(INTENT_RANKING_KEY) or []
            if entry.get(INTENT_NAME_KEY) != finding.kind
        ]
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)

        start = text.lower().find(finding.matched_text) if finding.matched_text else -1
        start, end = (start, start + len(finding.matched_text)) if start >= 0 else (0, len(text))
        entities = [
            e
            for e in message.get(ENTITIES) or []
            if e.get(ENTITY_ATTRIBUTE_TYPE) not in (CATEGORY_ENTITY, LEVEL_ENTITY)
        ]
        for name, value in ((CATEGORY_ENTITY, finding.category), (LEVEL_ENTITY, finding.level)):
            entities.append(
                {
                    ENTITY_ATTRIBUTE_TYPE: name,
                    ENTITY_ATTRIBUTE_VALUE: value,
                    ENTITY_ATTRIBUTE_START: start,
                    ENTITY_ATTRIBUTE_END: end,
                    ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
                    EXTRACTOR: SafetyNetClassifier.__name__,
                }
            )
        message.set(ENTITIES, entities, add_to_output=True)
        message.set(
            SAFETY_KEY,
            {
                "kind": finding.kind,
                "category": finding.category,
                "level": finding.level,
                "rule_id": finding.rule_id,
                "matched_text": finding.matched_text,
                # What the NLU model said before the override (diagnostics; eval of each layer alone).
                "nlu_intent": nlu_intent.get(INTENT_NAME_KEY),
                "nlu_confidence": nlu_intent.get(PREDICTED_CONFIDENCE_KEY),
            },
            add_to_output=True,
        )
        logger.debug(f"Safety net: {finding.kind}/{finding.category} ({finding.rule_id}) on {finding.matched_text!r}")
