"""Compare two models on the held-back fifth of the reviewers' labels: `make review-eval`.

    make review-eval OLD=models/painfaq-<old>.tar.gz   (NEW defaults to the model for the current data)

Right = the labelled topic (or a decline for "out of scope") with the confidence to answer; "did you
mean" = below the fallback threshold or the top two within its ambiguity margin; declined = out of scope
predicted for a topic question; wrong = another topic. Nothing here changes the running model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

from painfaq.content.loader import load_content
from painfaq.staff import export, inbox
from painfaq.stores import db

ROOT = Path(__file__).resolve().parent.parent


def thresholds() -> Tuple[float, float]:
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    fallback = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    return float(fallback["threshold"]), float(fallback["ambiguity_threshold"])


def outcome(parsed: Dict, expected: str, threshold: float, margin: float) -> str:
    ranking = [r for r in parsed.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
    if not ranking:
        return "declined"
    top = ranking[0]
    second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
    if top["name"] == "out_of_scope":
        return "right" if expected == "out_of_scope" else "declined"
    if top["confidence"] < threshold or top["confidence"] - second < margin:
        # The assistant asks back only between two topics; with "out of scope" as the runner-up it declines.
        if len(ranking) > 1 and ranking[1]["name"] == "out_of_scope":
            return "right" if expected == "out_of_scope" else "declined"
        return "did_you_mean"
    return "right" if top["name"] == expected else "wrong"


def score(model: str, examples: List[Tuple[str, str]]) -> Counter:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    threshold, margin = thresholds()

    async def run() -> Counter:
        counts: Counter = Counter()
        for text, expected in examples:
            counts[outcome(await agent.parse_message(text), expected, threshold, margin)] += 1
        return counts

    return asyncio.run(run())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", required=True, help="the running model")
    parser.add_argument("--new", required=True, help="the model trained with the reviewed examples")
    parser.add_argument("--db-url")
    parser.add_argument("--json", type=Path, default=ROOT / "results" / "review_eval.json")
    args = parser.parse_args(argv)
    engine = db.get_engine(args.db_url)
    inbox.sync(engine)
    examples = export.held_back(engine, load_content())
    if not examples:
        print("review-eval: no held-back labelled messages yet (one labelled group in five is held back)")
        return 0
    results = {"old": score(args.old, examples), "new": score(args.new, examples)}
    print(f"review-eval: {len(examples)} held-back labelled messages")
    print(f"  {'':14} {'old':>8} {'new':>8}")
    for key in ("right", "wrong", "did_you_mean", "declined"):
        print(f"  {key:14} {results['old'][key]:>8} {results['new'][key]:>8}")
    payload = {
        "messages": len(examples),
        "old_model": args.old,
        "new_model": args.new,
        **{name: dict(counts) for name, counts in results.items()},
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
