"""The real-user evaluation sets (tests/real_users): well formed, split by source, the test set unchanged,
and none of it copied into the training data."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Dict, List

import pytest
import yaml

from painfaq.content.loader import load_content

REPO_ROOT = Path(__file__).resolve().parents[2]
SETS = REPO_ROOT / "tests" / "real_users"
# Written once: a changed test set would make its numbers incomparable (and could hide tuning on it).
TEST_SET_SHA256 = "39a1055ec6d5bf877ebfd2e28311bc334190efab98c8b765bb3cee4f9f40d35d"
LABELS = {"answer", "out_of_scope", "red_flag", "crisis"}


def load(name: str) -> List[Dict]:
    return [json.loads(line) for line in (SETS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if line]


def words(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def training_texts() -> List[str]:
    texts = []
    for path in sorted((REPO_ROOT / "data").rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in document.get("nlu", []) or []:
            for line in str(block.get("examples", "")).splitlines():
                if line.strip().startswith("- "):
                    texts.append(words(re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line.strip()[2:])))
        # The scope model's written examples (data/scope) are training data too.
        for examples in (document.get("scope_examples") or {}).values():
            texts += [words(str(text)) for text in examples]
    return texts


def test_the_test_set_is_unchanged():
    assert hashlib.sha256((SETS / "test.jsonl").read_bytes()).hexdigest() == TEST_SET_SHA256


@pytest.mark.parametrize("name", ["dev", "test"])
def test_rows_are_labelled_with_known_topics_and_sourced(name: str):
    topics = set(load_content().topics)
    rows = load(name)
    assert len(rows) >= 150
    for row in rows:
        assert row["expected"] in LABELS, row["id"]
        assert row["text"].strip() and row["source"].strip() and row["source_group"].strip(), row["id"]
        assert bool(row["topics"]) == (row["expected"] == "answer"), row["id"]
        assert set(row["topics"]) <= topics, (row["id"], row["topics"])
        assert row["labels"]["first"]["expected"] in LABELS and row["labels"]["second"]["expected"] in LABELS


def test_at_least_300_messages_split_by_source_without_overlap():
    dev, test = load("dev"), load("test")
    assert len(dev) + len(test) >= 300
    assert not {r["source_group"] for r in dev} & {r["source_group"] for r in test}
    assert not {words(r["text"]) for r in dev} & {words(r["text"]) for r in test}
    assert len({r["id"] for r in dev + test}) == len(dev + test)
    # A message collected twice (from two rounds) would count twice in every figure.
    for rows in (dev, test):
        assert len({words(r["text"]) for r in rows}) == len(rows)
    for rows in (dev, test):
        kinds = {r["expected"] for r in rows}
        assert kinds == LABELS, kinds


def test_no_real_message_is_in_the_training_data():
    training = training_texts()
    joined = "\n".join(training)
    for row in load("dev") + load("test"):
        text = words(row["text"])
        assert text not in training, row["id"]
        # No 12-word stretch of a real message either (a trimmed or edited copy).
        tokens = text.split()
        for start in range(0, max(len(tokens) - 11, 0), 6):
            window = " ".join(tokens[start : start + 12])
            assert window not in joined, (row["id"], window)
