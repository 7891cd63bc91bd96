"""Content, domain, rules and training data agree: a topic added to the content file without an intent,
a rule or training examples fails here instead of silently never being answered."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

from painfaq.content.loader import load_content

ROOT = Path(__file__).resolve().parents[2]
MIN_EXAMPLES = 20


def nlu_examples() -> Counter:
    counts: Counter = Counter()
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text())["nlu"]:
            if "intent" in block:
                counts[block["intent"]] += sum(
                    1 for line in block["examples"].splitlines() if line.strip().startswith("- ")
                )
    return counts


def test_every_topic_has_an_intent_a_rule_and_enough_examples():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    rules = (ROOT / "data" / "rules" / "faq.yml").read_text()
    counts = nlu_examples()
    for intent in load_content().faq_intents:
        assert intent in domain["intents"], intent
        assert f"intent: {intent}\n" in rules, intent
        assert counts[intent] >= MIN_EXAMPLES, (intent, counts[intent])


def test_every_domain_intent_has_enough_training_examples():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    counts = nlu_examples()
    rule_set = {"bad_input"}  # assigned by the InputGuard component; a few examples only
    for intent in domain["intents"]:
        minimum = 5 if intent in rule_set else MIN_EXAMPLES
        assert counts[intent] >= minimum, (intent, counts[intent])


def test_suggestion_payloads_point_at_domain_intents():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    for response in domain["responses"].values():
        for variant in response:
            for button in variant.get("buttons", []):
                assert button["payload"].lstrip("/") in domain["intents"], button
