"""Held-out NLU evaluation and fallback-threshold tuning.

Parses every example in tests/nlu/holdout.yml with the trained model (the full pipeline: input guard,
safety net, fallback classifier) and reports accuracy, per-intent precision/recall/F1, out-of-scope
precision/recall, and what the user would see: an answer, a "did you mean", or a decline.
`--sweep` replays the raw rankings under other fallback thresholds to justify the chosen ones.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import yaml
from sklearn.metrics import precision_recall_fscore_support

from painfaq.content.loader import load_content

REPO_ROOT = Path(__file__).resolve().parent.parent

# holdout.yml was written beside the training data; holdout_blind.yml by someone who never saw it.
HOLDOUT_FILES = [REPO_ROOT / "tests" / "nlu" / "holdout.yml", REPO_ROOT / "tests" / "nlu" / "holdout_blind.yml"]
RESULTS = REPO_ROOT / "results" / "nlu.json"
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"


def load_examples(paths: List[Path]) -> List[Tuple[str, str, str]]:
    examples = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for block in data["nlu"]:
            for line in block["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    examples.append((line[2:].strip(), block["intent"], path.name))
    return examples


async def parse_all(model: str, texts: List[str]) -> List[Dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    return [await agent.parse_message(text) for text in texts]


def raw_ranking(parse: Dict[str, Any]) -> List[Tuple[str, float]]:
    return [(r["name"], r["confidence"]) for r in parse.get("intent_ranking", []) if r["name"] != FALLBACK]


def decide(parse: Dict[str, Any], threshold: float, ambiguity: float) -> str:
    """The intent the bot would act on under the given thresholds (nlu_fallback if unsure)."""
    final = parse["intent"]["name"]
    if parse["intent"].get("confidence") == 1.0 and final in {"red_flag", "crisis", "bad_input"}:
        return final  # set by a rule-based component, not subject to thresholds
    ranking = raw_ranking(parse)
    if not ranking:
        return final
    top, top_conf = ranking[0]
    second_conf = ranking[1][1] if len(ranking) > 1 else 0.0
    if top_conf < threshold or top_conf - second_conf < ambiguity:
        # action_did_you_mean asks back only between two topics; with "out of scope" in the top two it declines.
        if OUT_OF_SCOPE in (top, ranking[1][0] if len(ranking) > 1 else None):
            return OUT_OF_SCOPE
        return FALLBACK
    return top


def outcome_metrics(gold: List[str], predicted: List[str], faq_intents: set) -> Dict[str, float]:
    answerable = [(g, p) for g, p in zip(gold, predicted) if g in faq_intents]
    oos = [(g, p) for g, p in zip(gold, predicted) if g == OUT_OF_SCOPE]
    return {
        "answerable_right_answer": sum(p == g for g, p in answerable) / max(len(answerable), 1),
        "answerable_wrong_answer": sum(p in faq_intents and p != g for g, p in answerable) / max(len(answerable), 1),
        "answerable_did_you_mean": sum(p == FALLBACK for g, p in answerable) / max(len(answerable), 1),
        # Out of scope handled honestly = no article content: declined or a "did you mean" question.
        "out_of_scope_no_article_content": sum(p not in faq_intents for g, p in oos) / max(len(oos), 1),
        "out_of_scope_declined": sum(p == OUT_OF_SCOPE for g, p in oos) / max(len(oos), 1),
    }


def report(model: str, threshold: float, ambiguity: float, sweep: bool) -> Dict[str, Any]:
    examples = load_examples(HOLDOUT_FILES)
    texts = [t for t, _, _ in examples]
    gold = [g for _, g, _ in examples]
    files = [f for _, _, f in examples]
    parses = asyncio.run(parse_all(model, texts))
    faq_intents = set(load_content().faq_intents)
    predicted = [decide(p, threshold, ambiguity) for p in parses]
    top_raw = [raw_ranking(p)[0][0] if raw_ranking(p) else p["intent"]["name"] for p in parses]

    labels = sorted(set(gold))
    precision, recall, f1, support = precision_recall_fscore_support(gold, predicted, labels=labels, zero_division=0)
    per_intent = {
        label: {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support)
    }
    result: Dict[str, Any] = {
        "model": Path(model).name,
        "examples": len(examples),
        "fallback_threshold": threshold,
        "ambiguity_threshold": ambiguity,
        "accuracy_top_intent_before_fallback": round(sum(a == b for a, b in zip(gold, top_raw)) / len(gold), 4),
        "accuracy_after_fallback": round(sum(a == b for a, b in zip(gold, predicted)) / len(gold), 4),
        "macro_f1": round(sum(v["f1"] for v in per_intent.values()) / len(per_intent), 4),
        "out_of_scope": per_intent.get(OUT_OF_SCOPE, {}),
        "outcomes": {k: round(v, 4) for k, v in outcome_metrics(gold, predicted, faq_intents).items()},
        "per_file": {
            name: {
                k: round(v, 4)
                for k, v in outcome_metrics(
                    [g for g, f in zip(gold, files) if f == name],
                    [p for p, f in zip(predicted, files) if f == name],
                    faq_intents,
                ).items()
            }
            for name in sorted(set(files))
        },
        "per_intent": per_intent,
        "errors": [{"text": t, "expected": g, "got": p} for t, g, p in zip(texts, gold, predicted) if g != p],
    }
    if sweep:
        grid = []
        for t in [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7]:
            for a in [0.0, 0.05, 0.1, 0.15, 0.2]:
                decided = [decide(p, t, a) for p in parses]
                grid.append(
                    {
                        "threshold": t,
                        "ambiguity": a,
                        **{k: round(v, 4) for k, v in outcome_metrics(gold, decided, faq_intents).items()},
                    }
                )
        result["sweep"] = grid
    return result


def main() -> None:
    logging.disable(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--config", default=str(REPO_ROOT / "config.yml"))
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument(
        "--min-right-answer",
        type=float,
        default=0.80,
        help="fail (exit 1) if fewer answerable holdout questions get the right answer",
    )
    args = parser.parse_args()
    config = yaml.safe_load(Path(args.config).read_text())
    fallback = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    result = report(args.model, fallback["threshold"], fallback["ambiguity_threshold"], args.sweep)

    print(f"NLU holdout ({result['examples']} examples, model {result['model']})")
    print(f"  accuracy (top intent, before fallback): {result['accuracy_top_intent_before_fallback']:.1%}")
    print(
        f"  accuracy (after fallback {result['fallback_threshold']}/{result['ambiguity_threshold']}): {result['accuracy_after_fallback']:.1%}"
    )
    print(f"  macro F1: {result['macro_f1']:.3f}")
    oos = result["out_of_scope"]
    print(f"  out_of_scope precision {oos.get('precision')} recall {oos.get('recall')}")
    for key, value in result["outcomes"].items():
        print(f"  {key}: {value:.1%}")
    for name, outcomes in result["per_file"].items():
        print(
            f"  {name}: answerable right {outcomes['answerable_right_answer']:.1%}, wrong {outcomes['answerable_wrong_answer']:.1%}, OOS without article content {outcomes['out_of_scope_no_article_content']:.1%}"
        )
    print("  per intent F1 (lowest first):")
    for label, scores in sorted(result["per_intent"].items(), key=lambda kv: kv[1]["f1"]):
        print(
            f"    {label:36s} P {scores['precision']:.2f} R {scores['recall']:.2f} F1 {scores['f1']:.2f} (n={scores['support']})"
        )
    if args.sweep:
        print(
            "  threshold sweep (threshold, ambiguity: right / wrong / did-you-mean on answerable; OOS without content):"
        )
        for row in result["sweep"]:
            print(
                f"    {row['threshold']:.2f} {row['ambiguity']:.2f}: {row['answerable_right_answer']:.1%} / {row['answerable_wrong_answer']:.1%} / {row['answerable_did_you_mean']:.1%}; {row['out_of_scope_no_article_content']:.1%}"
            )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written {out}")
    if result["outcomes"]["answerable_right_answer"] < args.min_right_answer:
        sys.exit(f"answerable right-answer rate below the floor {args.min_right_answer:.0%}")


if __name__ == "__main__":
    main()
