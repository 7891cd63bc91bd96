"""Write the reviewers' labels to data/nlu/reviewed.yml: `make review-export` (then `make train`).

Checks each label's intent against domain.yml, skips wordings already in the training data, reports
conflicting labels instead of writing them, and holds one labelled group in five back for `make review-eval`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from painfaq.content.loader import load_content
from painfaq.staff import export, inbox
from painfaq.stores import db

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-url", help="SQLAlchemy database URL (default: the tracker store's)")
    parser.add_argument("--out", type=Path, default=export.REVIEWED_FILE)
    parser.add_argument(
        "--all", action="store_true", help="include the held-back fifth too (after make review-eval has measured)"
    )
    args = parser.parse_args(argv)
    engine = db.get_engine(args.db_url)
    inbox.sync(engine)
    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text()).get("intents") or [])
    report = export.export(engine, load_content(), intents, args.out, include_held_back=args.all)
    written = sum(report.written.values())
    print(f"review-export: {written} examples for {len(report.written)} intents -> {args.out}")
    for intent, count in sorted(report.written.items()):
        print(f"  {intent:32} {count}")
    print(f"  already in the training data: {report.duplicates}")
    if report.held_back:
        print(f"  held back to measure (make review-eval), not learned yet: {report.held_back} groups, e.g.")
        for text in report.held_back_texts[:5]:
            print(f"    {text[:80]!r}")
        print("  once measured, learn them too: make review-export ALL=1 && make train")
    if report.not_training:
        print("  not training data: " + ", ".join(f"{k} {v}" for k, v in sorted(report.not_training.items())))
    for intent in report.unknown_intents:
        print(f"  NOT WRITTEN: intent {intent!r} is not in domain.yml")
    for conflict in report.conflicts:
        print(f"  CONFLICT, not written: {conflict['group_key']!r}: {conflict['labels']}")
    print("Next: make train, then make review-eval to compare the running model with the new one.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
