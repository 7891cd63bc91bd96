"""Evaluate the rule-based safety net (painfaq/safety/rules.py + content/safety.yml).

Prints recall on tests/safety/urgent_messages.yml (red flags and crisis separately, and per
category), the false-alarm rate on ordinary messages, every miss and every false alarm, and writes
results/safety.json.

Ordinary messages = tests/safety/ordinary_messages.yml + every example in data/nlu/faq.yml, data/nlu/real_style.yml, data/nlu/real_style_more.yml, data/nlu/real_style_general.yml, data/nlu/real_style_normal.yml,
data/nlu/followups.yml, data/nlu/chitchat.yml, data/nlu/out_of_scope.yml and tests/nlu/holdout.yml
(files that are missing are skipped). Examples of the intents red_flag / crisis in those files are
urgent, not ordinary, and are added to the urgent set.

A miss is an urgent message whose safety reply would be of the wrong kind or absent (a red flag
must get the red-flag reply; crisis must get the crisis reply).

Usage: .venv/bin/python scripts/eval_safety.py [--quiet]
Exit status 1 if recall < 100% or the false-alarm rate is above 2%.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

from painfaq.safety.rules import SafetyFinding, SafetyNet, finding_from_parse_data, load_default_safety_net

REPO_ROOT = Path(__file__).resolve().parent.parent

URGENT_FILE = REPO_ROOT / "tests" / "safety" / "urgent_messages.yml"
ORDINARY_FILE = REPO_ROOT / "tests" / "safety" / "ordinary_messages.yml"
NLU_ORDINARY_FILES = [
    REPO_ROOT / "data" / "nlu" / "faq.yml",
    REPO_ROOT / "data" / "nlu" / "real_style.yml",
    REPO_ROOT / "data" / "nlu" / "real_style_more.yml",
    REPO_ROOT / "data" / "nlu" / "real_style_general.yml",
    REPO_ROOT / "data" / "nlu" / "real_style_normal.yml",
    REPO_ROOT / "data" / "nlu" / "followups.yml",
    REPO_ROOT / "data" / "nlu" / "chitchat.yml",
    REPO_ROOT / "data" / "nlu" / "out_of_scope.yml",
    REPO_ROOT / "tests" / "nlu" / "holdout.yml",
]
RESULTS_FILE = REPO_ROOT / "results" / "safety.json"
SAFETY_INTENTS = ("red_flag", "crisis")
MAX_FALSE_ALARM_RATE = 0.02


@dataclass(frozen=True)
class UrgentMessage:
    text: str
    kind: str
    category: str
    source: str


@dataclass(frozen=True)
class OrdinaryMessage:
    text: str
    source: str


_ENTITY = re.compile(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})")


def _plain(example: str) -> str:
    """Rasa training-data example -> plain text (entity annotations removed)."""
    return _ENTITY.sub(r"\1", example).strip()


def load_nlu_examples(path: Path) -> List[Tuple[str, str]]:
    """(intent, text) for every example in a Rasa NLU YAML file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: List[Tuple[str, str]] = []
    for block in data.get("nlu", []) or []:
        intent = block.get("intent")
        if not intent:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                out.append((intent, _plain(line[2:])))
    return out


def load_urgent(path: Path = URGENT_FILE) -> List[UrgentMessage]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rel = str(path.relative_to(REPO_ROOT))
    return [UrgentMessage(m["text"], m["kind"], m["category"], rel) for m in data["messages"]]


def load_ordinary(path: Path = ORDINARY_FILE) -> List[OrdinaryMessage]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rel = str(path.relative_to(REPO_ROOT))
    return [OrdinaryMessage(str(text), rel) for text in data["messages"]]


def load_sets() -> Tuple[List[UrgentMessage], List[OrdinaryMessage], List[str]]:
    """The urgent set, the ordinary (false-alarm) set, and the list of files that were read."""
    urgent = load_urgent()
    ordinary = load_ordinary()
    used = [str(URGENT_FILE.relative_to(REPO_ROOT)), str(ORDINARY_FILE.relative_to(REPO_ROOT))]
    for path in NLU_ORDINARY_FILES:
        if not path.exists():
            continue
        rel = str(path.relative_to(REPO_ROOT))
        used.append(rel)
        for intent, text in load_nlu_examples(path):
            if intent in SAFETY_INTENTS:
                urgent.append(UrgentMessage(text, intent, "unspecified", rel))
            else:
                ordinary.append(OrdinaryMessage(text, f"{rel}:{intent}"))
    return urgent, ordinary, used


def _finding_dict(f: Optional[SafetyFinding]) -> Optional[Dict[str, str]]:
    if f is None:
        return None
    return {
        "kind": f.kind,
        "category": f.category,
        "level": f.level,
        "rule_id": f.rule_id,
        "matched_text": f.matched_text,
    }


def evaluate(net: SafetyNet) -> Dict[str, Any]:
    urgent, ordinary, used = load_sets()
    per_kind: Dict[str, Counter] = defaultdict(Counter)
    per_category: Dict[str, Counter] = defaultdict(Counter)
    misses: List[Dict[str, Any]] = []
    category_mismatches: List[Dict[str, Any]] = []
    for msg in urgent:
        finding = net.check(msg.text)
        hit = finding is not None and finding.kind == msg.kind
        per_kind[msg.kind]["total"] += 1
        per_kind[msg.kind]["hit"] += hit
        key = f"{msg.kind}/{msg.category}"
        per_category[key]["total"] += 1
        per_category[key]["hit"] += hit
        if not hit:
            misses.append(
                {
                    "text": msg.text,
                    "expected_kind": msg.kind,
                    "expected_category": msg.category,
                    "source": msg.source,
                    "got": _finding_dict(finding),
                }
            )
        elif finding is not None and msg.category != "unspecified" and finding.category != msg.category:
            category_mismatches.append(
                {"text": msg.text, "expected_category": msg.category, "got": _finding_dict(finding)}
            )
    false_alarms: List[Dict[str, Any]] = []
    for ordinary_msg in ordinary:
        finding = net.check(ordinary_msg.text)
        if finding is not None:
            false_alarms.append(
                {"text": ordinary_msg.text, "source": ordinary_msg.source, "got": _finding_dict(finding)}
            )

    def recall(c: Counter) -> float:
        return c["hit"] / c["total"] if c["total"] else 1.0

    urgent_total = sum(c["total"] for c in per_kind.values())
    urgent_hits = sum(c["hit"] for c in per_kind.values())
    return {
        "files": used,
        "urgent": {
            "total": urgent_total,
            "recall": urgent_hits / urgent_total if urgent_total else 1.0,
            "by_kind": {
                k: {"total": c["total"], "hit": c["hit"], "recall": recall(c)} for k, c in sorted(per_kind.items())
            },
            "by_category": {
                k: {"total": c["total"], "hit": c["hit"], "recall": recall(c)} for k, c in sorted(per_category.items())
            },
            "misses": misses,
            "category_mismatches": category_mismatches,
        },
        "ordinary": {
            "total": len(ordinary),
            "by_source": dict(Counter(m.source.split(":")[0] for m in ordinary)),
            "false_alarms": len(false_alarms),
            "false_alarm_rate": len(false_alarms) / len(ordinary) if ordinary else 0.0,
            "false_alarm_list": false_alarms,
        },
    }


def evaluate_model(model_path: Path) -> Dict[str, Any]:
    """Both layers through a trained Rasa model (pipeline with SafetyNetClassifier).

    nlu = what the NLU model alone predicted (before SafetyNetClassifier overrode it), final = the
    intent Rasa acts on (rules OR nlu). False alarms of the NLU layer are reported separately for
    messages the model was not trained on (tests/safety/ordinary_messages.yml, tests/nlu/holdout.yml).
    """
    import asyncio

    from rasa.core.agent import Agent

    urgent, ordinary, _ = load_sets()
    agent = Agent.load(str(model_path))

    async def parse_all(texts: List[str]) -> List[Dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    def layers(parsed: Dict[str, Any]) -> Tuple[Optional[str], Optional[str]]:
        safety = parsed.get("safety") or {}
        nlu = safety.get("nlu_intent") if safety else (parsed.get("intent") or {}).get("name")
        final = (parsed.get("intent") or {}).get("name")
        return nlu, final

    parsed_urgent = asyncio.run(parse_all([m.text for m in urgent]))
    parsed_ordinary = asyncio.run(parse_all([m.text for m in ordinary]))
    by_kind: Dict[str, Counter] = defaultdict(Counter)
    nlu_misses: List[Dict[str, Any]] = []
    for msg, parsed in zip(urgent, parsed_urgent):
        nlu, final = layers(parsed)
        by_kind[msg.kind]["total"] += 1
        by_kind[msg.kind]["nlu"] += nlu == msg.kind
        by_kind[msg.kind]["final"] += final == msg.kind
        if nlu != msg.kind:
            nlu_misses.append({"text": msg.text, "expected": msg.kind, "nlu": nlu})
    unseen_sources = (str(ORDINARY_FILE.relative_to(REPO_ROOT)), "tests/nlu/holdout.yml")
    counts: Counter = Counter()
    reply_levels: Counter = Counter()
    agent_content = load_default_safety_net().content
    nlu_false_alarms: List[Dict[str, Any]] = []
    for ordinary_msg, parsed in zip(ordinary, parsed_ordinary):
        nlu, final = layers(parsed)
        unseen = ordinary_msg.source.split(":")[0] in unseen_sources
        counts["total"] += 1
        counts["final_fa"] += final in SAFETY_INTENTS
        if final in SAFETY_INTENTS:
            # Which reply the user would get: the rules' urgent replies, or the NLU-only checklist.
            finding = finding_from_parse_data(parsed, agent_content)
            reply_levels[finding.level if finding else "none"] += 1
        counts["unseen"] += unseen
        if unseen and nlu in SAFETY_INTENTS:
            counts["unseen_nlu_fa"] += 1
            nlu_false_alarms.append({"text": ordinary_msg.text, "source": ordinary_msg.source, "nlu": nlu})
    return {
        "model": str(model_path),
        "urgent_recall": {
            kind: {"total": c["total"], "nlu_only": c["nlu"] / c["total"], "final": c["final"] / c["total"]}
            for kind, c in sorted(by_kind.items())
        },
        "final_false_alarm_rate": counts["final_fa"] / counts["total"] if counts["total"] else 0.0,
        "final_false_alarms_by_reply_level": dict(sorted(reply_levels.items())),
        "nlu_false_alarm_rate_unseen": counts["unseen_nlu_fa"] / counts["unseen"] if counts["unseen"] else 0.0,
        "unseen_ordinary_total": counts["unseen"],
        "nlu_misses": nlu_misses,
        "nlu_false_alarms_unseen": nlu_false_alarms,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quiet", action="store_true", help="only the summary")
    parser.add_argument("--output", type=Path, default=RESULTS_FILE)
    parser.add_argument(
        "--model", type=Path, help="also evaluate the NLU layer and both layers through this trained Rasa model"
    )
    args = parser.parse_args()

    results = evaluate(load_default_safety_net())
    if args.model:
        results["with_model"] = evaluate_model(args.model)
    u, o = results["urgent"], results["ordinary"]
    print("Safety net evaluation")
    print(f"  files: {', '.join(results['files'])}")
    for kind, c in u["by_kind"].items():
        print(f"  recall {kind:9s} {c['recall']:7.2%}  ({c['hit']}/{c['total']})")
    for cat, c in u["by_category"].items():
        print(f"      {cat:28s} {c['recall']:7.2%}  ({c['hit']}/{c['total']})")
    print(f"  recall overall   {u['recall']:7.2%}  ({u['total']} urgent messages)")
    print(
        f"  false alarms     {o['false_alarm_rate']:7.2%}  ({o['false_alarms']}/{o['total']} ordinary messages; "
        + ", ".join(f"{k}: {v}" for k, v in o["by_source"].items())
        + ")"
    )
    if not args.quiet:
        print(f"\nMisses ({len(u['misses'])}):")
        for m in u["misses"]:
            print(f"  - [{m['expected_kind']}/{m['expected_category']}] {m['text']!r} -> {m['got']}")
        print(f"\nFalse alarms ({o['false_alarms']}):")
        for m in o["false_alarm_list"]:
            g = m["got"]
            print(
                f"  - {m['text']!r} ({m['source']}) -> {g['kind']}/{g['category']} via {g['rule_id']}: {g['matched_text']!r}"
            )
        if u["category_mismatches"]:
            print(
                f"\nCaught with a different category than labelled ({len(u['category_mismatches'])}, not counted as misses):"
            )
            for m in u["category_mismatches"]:
                print(f"  - [{m['expected_category']}] {m['text']!r} -> {m['got']['category']} ({m['got']['rule_id']})")
    if args.model:
        m = results["with_model"]
        print(f"\nWith the trained model {m['model']}:")
        for kind, c in m["urgent_recall"].items():
            print(
                f"  recall {kind:9s} NLU layer alone {c['nlu_only']:7.2%}   rules OR NLU (final intent) {c['final']:7.2%}  ({c['total']})"
            )
        print(f"  false alarms, final intent (all ordinary): {m['final_false_alarm_rate']:7.2%}")
        print(
            f"  ... by the reply they get: {m['final_false_alarms_by_reply_level']} "
            "(check = the warning-sign checklist, not an urgent-care instruction)"
        )
        print(
            f"  false alarms, NLU layer alone on messages it was not trained on: {m['nlu_false_alarm_rate_unseen']:7.2%}"
            f" ({len(m['nlu_false_alarms_unseen'])}/{m['unseen_ordinary_total']})"
        )
        if not args.quiet:
            for fa in m["nlu_false_alarms_unseen"]:
                print(f"  - NLU false alarm: {fa['text']!r} -> {fa['nlu']} ({fa['source']})")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {args.output.relative_to(REPO_ROOT) if args.output.is_relative_to(REPO_ROOT) else args.output}")
    ok = u["recall"] == 1.0 and o["false_alarm_rate"] <= MAX_FALSE_ALARM_RATE
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
