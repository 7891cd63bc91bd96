"""`make review-export`: labels that contradict the training data are conflicts, and the written data must
pass `rasa data validate` or the export fails."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

from painfaq.content.loader import load_content
from painfaq.staff import export, inbox
from painfaq.stores import db
from scripts import review_export
from tests.harness.staff_seed import DAY, bot, store_events, user

ROOT = Path(__file__).resolve().parents[2]
INTENTS = set(yaml.safe_load((ROOT / "domain.yml").read_text())["intents"])


@pytest.fixture
def engine(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    db.ensure_tables(engine, include_events=True)
    yield engine
    engine.dispose()


@pytest.fixture
def data_dir(tmp_path):
    """The committed training data (not the working tree's, which may be half-way through an edit)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD", "data"], capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(tmp_path)
    return tmp_path / "data"


def label_conversations(engine) -> None:
    store_events(
        engine,
        [
            # An example of faq_exercise in data/nlu/faq.yml, labelled "out of scope": a contradiction.
            ("s1", user("Does walking help stress back pain?", "out_of_scope", 0.5)),
            ("s1", bot("out_of_scope")),
            # An example of faq_yoga, labelled yoga: already there.
            ("s2", user("does yoga help", "faq_yoga", 0.5)),
            ("s2", bot("answer")),
            ("s3", user("can a new mattress fix it", "out_of_scope", 0.9)),
            ("s3", bot("out_of_scope")),
        ],
        start=DAY,
    )
    inbox.sync(engine)
    topics = list(load_content().topics)
    inbox.add_label(engine, "does walking help stress back pain", "out_of_scope", None, "alice", topics)
    inbox.add_label(engine, "does yoga help", "topic", "yoga", "alice", topics)
    inbox.add_label(engine, "can a new mattress fix it", "out_of_scope", None, "alice", topics)


def test_a_label_contradicting_a_training_example_is_a_conflict(engine, data_dir):
    label_conversations(engine)
    out = data_dir / "nlu" / "reviewed.yml"
    report = export.export(engine, load_content(), INTENTS, out, include_held_back=True)
    assert report.training_conflicts == [
        {
            "text": "Does walking help stress back pain?",
            "group_key": "does walking help stress back pain",
            "intent": "out_of_scope",
            "training_intents": ["faq_exercise"],
        }
    ]
    assert report.duplicates == 1  # "does yoga help": the same intent as in data/nlu
    assert report.written == {"out_of_scope": 1}
    assert "walking" not in out.read_text() and "can a new mattress fix it" in out.read_text()


def test_export_fails_unless_the_data_validates(engine, data_dir, monkeypatch, capsys):
    label_conversations(engine)
    url = str(engine.url)
    checked = []

    def fake_validate(path: Path):
        checked.append(path)
        return clean, "UserWarning: something" if not clean else ""

    monkeypatch.setattr(review_export, "validate", fake_validate)
    out = data_dir / "nlu" / "reviewed.yml"
    clean = False
    assert review_export.main(["--db-url", url, "--out", str(out)]) == 1
    printed = capsys.readouterr()
    assert "not clean" in printed.err
    assert "CONFLICT with the training data" in printed.out and "faq_exercise" in printed.out
    clean = True
    assert review_export.main(["--db-url", url, "--out", str(out)]) == 0
    assert checked == [data_dir, data_dir] and out.exists()


def test_validate_runs_rasa_and_fails_on_a_warning(data_dir):
    broken = data_dir / "nlu" / "reviewed.yml"
    broken.write_text('version: "3.1"\nnlu:\n- intent: faq_no_such_topic\n  examples: |\n    - hello there\n')
    clean, output = review_export.validate(data_dir)
    assert not clean, output[-2000:]
    broken.unlink()
    clean, output = review_export.validate(data_dir)
    assert clean, output[-2000:]
