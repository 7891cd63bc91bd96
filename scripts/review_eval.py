"""Compare two models on the held-back fifth of the reviewers' labels: `make review-eval`.

    make review-eval [OLD=models/painfaq-<old>.tar.gz]   (NEW is the model for the current data)

OLD defaults to the model `make run` / `make run-production` serve: they record its path in
.run/serving_model ($RUN_DIR). The model for the current data cannot stand in for it, since its name
hashes the training data, and so names the new model once `make review-export` has written the labels.

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
from typing import Dict, List, Optional, Tuple

import yaml

from painfaq import settings
from painfaq.content.loader import load_content
from painfaq.staff import export, inbox
from painfaq.stores import db

ROOT = Path(__file__).resolve().parent.parent


class ModelChoiceError(ValueError):
    pass


def serving_model_file() -> Path:
    """Where scripts/run.sh and scripts/run_production.sh record the model they serve."""
    return settings.RUN_DIR.path() / "serving_model"


def old_model(given: Optional[str], new: str) -> str:
    """The model to compare against: `given`, else the one the servers were last started with."""
    if given:
        path = Path(given)
    else:
        record = serving_model_file()
        if not record.is_file() or not record.read_text().strip():
            raise ModelChoiceError(
                f"no running model is recorded ({record} is written by make run / make run-production); "
                "start the servers once, or name the model they run: make review-eval OLD=models/<model>.tar.gz"
            )
        path = Path(record.read_text().strip())
    if not path.is_file():
        raise ModelChoiceError(f"the old model {path} does not exist (removed by make clean?); pass OLD=...")
    if path.resolve() == Path(new).resolve():
        raise ModelChoiceError(
            f"the old model {path} is the model for the current data: there is nothing new to compare. "
            "Run make review-export first (it writes the labels into the training data), or pass another OLD=..."
        )
    return str(path)


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
    parser.add_argument("--old", help="the running model (default: the one recorded by make run / run-production)")
    parser.add_argument("--new", required=True, help="the model trained with the reviewed examples")
    parser.add_argument("--db-url")
    parser.add_argument("--json", type=Path, default=ROOT / "results" / "review_eval.json")
    args = parser.parse_args(argv)
    try:
        old = old_model(args.old, args.new)
    except ModelChoiceError as error:
        print(f"review-eval: {error}", file=sys.stderr)
        return 2
    engine = db.get_engine(args.db_url)
    inbox.sync(engine)
    examples = export.held_back(engine, load_content())
    if not examples:
        print("review-eval: no held-back labelled messages yet (one labelled group in five is held back)")
        return 0
    results = {"old": score(old, examples), "new": score(args.new, examples)}
    print(f"review-eval: {len(examples)} held-back labelled messages; old {old}, new {args.new}")
    print(f"  {'':14} {'old':>8} {'new':>8}")
    for key in ("right", "wrong", "did_you_mean", "declined"):
        print(f"  {key:14} {results['old'][key]:>8} {results['new'][key]:>8}")
    payload = {
        "messages": len(examples),
        "old_model": old,
        "new_model": args.new,
        **{name: dict(counts) for name, counts in results.items()},
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
