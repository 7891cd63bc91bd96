"""Write the reviewers' labels to data/nlu/reviewed.yml: `make review-export` (then `make review-eval`).

Checks each label's intent against domain.yml, skips wordings already in the training data, reports
conflicting labels (and labels that contradict an example of another intent) instead of writing them, holds
one labelled group in five back for `make review-eval`, then runs `rasa data validate` on the training data
with the new file and fails (exit status 1) unless it is clean.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Tuple

import yaml

from painfaq.content.loader import load_content
from painfaq.staff import export, inbox
from painfaq.stores import db

ROOT = Path(__file__).resolve().parent.parent


def validate(data_dir: Path) -> Tuple[bool, str]:
    """`rasa data validate` on `data_dir` with the project's config and domain: (clean, output).

    The project's data goes through scripts/validate_data.sh, the check `make test` runs; another directory
    (a copy, in tests) through the same command and the same rule: any warning fails.
    """
    if data_dir.resolve() == (ROOT / "data").resolve():
        command = ["bash", str(ROOT / "scripts" / "validate_data.sh")]
    else:
        command = [
            sys.executable, "-m", "rasa", "data", "validate", "--config", "config.yml", "--domain", "domain.yml",
            "--data", str(data_dir), "--fail-on-warnings",
        ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    output = done.stdout + done.stderr
    return done.returncode == 0 and "UserWarning" not in output, output


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-url", help="SQLAlchemy database URL (default: the tracker store's)")
    parser.add_argument(
        "--out", type=Path, default=export.REVIEWED_FILE, help="written here; its folder's parent is validated"
    )
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
    print(f"  already in the training data (same intent): {report.duplicates}")
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
        print(f"  CONFLICT between labels, not written: {conflict['group_key']!r}: {conflict['labels']}")
    for contradiction in report.training_conflicts:
        print(
            f"  CONFLICT with the training data, not written: {contradiction['text']!r} labelled "
            f"{contradiction['intent']}, but data/nlu has it as {', '.join(contradiction['training_intents'])} "
            "(relabel it, or fix data/nlu)"
        )
    data_dir = args.out.parent.parent
    print(f"review-export: rasa data validate on {data_dir} ...", flush=True)
    clean, output = validate(data_dir)
    if not clean:
        print(output[-4000:], file=sys.stderr)
        print("review-export: rasa data validate is not clean (above); fix it before training", file=sys.stderr)
        return 1
    print("review-export: training data valid. Next: make review-eval (the running model vs the new one).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
