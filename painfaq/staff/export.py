"""From reviewers' labels to training data, and the held-back fifth that measures the gain.

`export` writes the active "this is topic X" and "out of scope" labels to `data/nlu/reviewed.yml` as
training examples (every distinct wording of the group, deduplicated against the rest of data/nlu),
after checking each intent against the domain. Conflicts are reported, not written: a group that reviewers
labelled differently, one wording labelled with two intents, and a wording the rest of data/nlu already
has as an example of another intent (Rasa would learn both; `rasa data validate` rejects it). One group in five (chosen by a hash of its wording, so the choice never changes)
is held back from training: `held_back` returns it for `make review-eval`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

import yaml
from sqlalchemy.engine import Engine

from painfaq import settings
from painfaq.content.loader import Content
from painfaq.staff.inbox import group_texts, list_labels
from painfaq.support.report import normalise

REVIEWED_FILE = settings.REPO_ROOT / "data" / "nlu" / "reviewed.yml"
OUT_OF_SCOPE_INTENT = "out_of_scope"


@dataclass
class Decision:
    group_key: str
    intent: str
    texts: List[str]
    item_id: Optional[int] = None  # a label for this one message, not its whole group


@dataclass
class ExportReport:
    written: Dict[str, int] = field(default_factory=dict)  # intent -> examples written
    held_back: int = 0
    held_back_texts: List[str] = field(default_factory=list)
    duplicates: int = 0  # already in data/nlu with the same intent
    conflicts: List[Dict[str, object]] = field(default_factory=list)  # between reviewers' labels
    # A wording data/nlu has as an example of another intent: {"text", "group_key", "intent", "training_intents"}.
    training_conflicts: List[Dict[str, Any]] = field(default_factory=list)
    unknown_intents: List[str] = field(default_factory=list)
    not_training: Dict[str, int] = field(default_factory=dict)  # needs_content / ignore


def is_held_back(group_key: str) -> bool:
    return int(hashlib.sha256(group_key.encode("utf-8")).hexdigest(), 16) % 5 == 0


def _intent_for(label: Dict[str, object], content: Content) -> Optional[str]:
    if label["label"] == "out_of_scope":
        return OUT_OF_SCOPE_INTENT
    if label["label"] == "topic":
        topic = content.topics.get(str(label["topic"]))
        return topic.intent if topic else None
    return None


def decisions(engine: Engine, content: Content) -> Tuple[List[Decision], ExportReport]:
    """The intent of every labelled group and message (not needs_content / ignore), conflicts set aside."""
    report = ExportReport()
    # (group key, None) for a group's labels, (group key, item id) for one message's.
    by_target: Dict[Tuple[str, Optional[int]], Dict[str, Set[str]]] = {}
    item_texts: Dict[int, str] = {}
    for label in list_labels(engine, limit=1_000_000):
        kind = str(label["label"])
        if kind in ("needs_content", "ignore"):
            report.not_training[kind] = report.not_training.get(kind, 0) + 1
        intent = _intent_for(label, content) or kind
        item_id = label["item_id"]
        if item_id is not None:
            item_texts[int(item_id)] = str(label["text"])
        target = (str(label["group_key"]), item_id)
        by_target.setdefault(target, {}).setdefault(intent, set()).add(str(label["labelled_by"]))
    chosen: Dict[Tuple[str, Optional[int]], str] = {}
    for (key, item_id), intents in by_target.items():
        if len(intents) > 1:
            conflict: Dict[str, object] = {"group_key": key, "labels": {k: sorted(v) for k, v in intents.items()}}
            if item_id is not None:
                conflict["item_id"] = item_id
            report.conflicts.append(conflict)
            continue
        (intent,) = intents
        if intent in ("needs_content", "ignore"):
            continue
        chosen[(key, item_id)] = intent
    texts = group_texts(engine, sorted({key for key, item_id in chosen if item_id is None}))
    out = [
        Decision(key, intent, texts[key] if item_id is None else [item_texts[item_id]], item_id)
        for (key, item_id), intent in sorted(chosen.items(), key=lambda pair: (pair[0][0], pair[0][1] or 0))
    ]
    return out, report


def _clean(text: str) -> str:
    # Masks ("[email]") and brackets would read as entity annotations in Rasa's training format.
    return re.sub(r"\s+", " ", text.replace("[", "").replace("]", "")).strip()


def existing_examples(nlu_dir: Path, skip: Path) -> Dict[str, Set[str]]:
    """Normalised training example -> the intents it is an example of (lookup tables and synonyms are not)."""
    seen: Dict[str, Set[str]] = {}
    for path in sorted(nlu_dir.glob("*.yml")):
        if path.resolve() == skip.resolve():
            continue
        for block in (yaml.safe_load(path.read_text()) or {}).get("nlu", []):
            intent = block.get("intent")
            if not intent:
                continue
            for line in str(block.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    key = normalise(re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line.strip()[2:]))
                    seen.setdefault(key, set()).add(str(intent))
    return seen


def export(
    engine: Engine,
    content: Content,
    domain_intents: Set[str],
    out: Path = REVIEWED_FILE,
    include_held_back: bool = False,
) -> ExportReport:
    """`include_held_back`: also the measuring fifth (after `make review-eval` has compared the models)."""
    chosen, report = decisions(engine, content)
    training = existing_examples(out.parent, out)
    # Every wording with the intents the labels give it, before anything is held back, so a conflict shows
    # now and not only when the held-back groups are learned.
    wordings: Dict[str, Dict[str, Tuple[str, str]]] = {}  # normalised -> intent -> (wording, group key)
    for decision in chosen:
        if decision.intent not in domain_intents:
            report.unknown_intents.append(decision.intent)
            continue
        for text in decision.texts:
            cleaned = _clean(text)
            key = normalise(cleaned)
            if key:
                wordings.setdefault(key, {}).setdefault(decision.intent, (cleaned, decision.group_key))
    examples: Dict[str, List[str]] = {}
    held: Set[str] = set()
    for key, intents in wordings.items():
        if len(intents) > 1:
            groups = {intent: [group] for intent, (_, group) in intents.items()}
            report.conflicts.append({"group_key": key, "labels": groups})
            continue
        ((intent, (cleaned, group_key)),) = intents.items()
        others = training.get(key, set()) - {intent}
        if others:
            report.training_conflicts.append(
                {"text": cleaned, "group_key": group_key, "intent": intent, "training_intents": sorted(others)}
            )
            continue
        if key in training:
            report.duplicates += 1
            continue
        if is_held_back(group_key) and not include_held_back:
            if group_key not in held:
                held.add(group_key)
                report.held_back_texts.append(cleaned)
            continue
        examples.setdefault(intent, []).append(cleaned)
    report.held_back = len(held)
    lines = [
        "# Written by `make review-export` from the support staff's labels (painfaq/staff/export.py).",
        "# Do not edit by hand: label in the review inbox (http://localhost:8080/staff/) and export again.",
        'version: "3.1"',
        "nlu:",
    ]
    for intent in sorted(examples):
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines.extend(f"    - {yaml_safe(text)}" for text in examples[intent])
        report.written[intent] = len(examples[intent])
    if not examples:
        lines[-1] = "nlu: []"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return report


def yaml_safe(text: str) -> str:
    # In a block scalar only a leading character can change the meaning of a line; none here does.
    return text.replace("\n", " ")


def held_back(engine: Engine, content: Content) -> List[Tuple[str, str]]:
    """(text, expected intent) for the labelled groups kept out of training."""
    chosen, _ = decisions(engine, content)
    return [(text, d.intent) for d in chosen if is_held_back(d.group_key) for text in d.texts]
