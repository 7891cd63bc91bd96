"""scripts/model.sh names the model after what changes its predictions, and nothing else: a new pin of a
library that trains or featurizes, or a new spaCy pipeline builder, means a new model; a new pin of a dev tool
(ruff, pytest) does not."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.harness.stack import REPO_ROOT

# What scripts/model.sh reads, copied to a scratch checkout so the real files are never edited.
INPUTS = ["config.yml", "domain.yml", "data", "painfaq/nlu", "painfaq/content/premises.py", "painfaq/safety/learned.py"]
INPUTS += ["requirements.lock"]
INPUTS += ["scripts/model.sh", "scripts/env.sh", "scripts/lib/quiet.env", "scripts/build_spacy_pipeline.py"]


def model_name(root: Path) -> str:
    result = subprocess.run(
        ["bash", str(root / "scripts" / "model.sh"), "--name"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def edit(path: Path, pattern: str, replacement: str) -> None:
    text, count = re.subn(pattern, replacement, path.read_text(), count=1, flags=re.MULTILINE)
    assert count == 1, pattern
    path.write_text(text)


def test_only_prediction_inputs_change_the_model_name(tmp_path):
    for name in INPUTS:
        source, target = REPO_ROOT / name, tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    assert model_name(tmp_path) == model_name(REPO_ROOT)
    first = model_name(tmp_path)
    assert re.fullmatch(r"painfaq-[0-9a-f]{16}", first)

    lock = tmp_path / "requirements.lock"
    edit(lock, r"^ruff==.*$", "ruff==0.0.1")
    edit(lock, r"^pytest==.*$", "pytest==0.0.1")
    assert model_name(tmp_path) == first, "a dev tool's pin must not retrain"

    for pin in ("rasa", "spacy-lookups-data", "scikit-learn"):
        edit(lock, rf"^{re.escape(pin)}==.*$", f"{pin}==0.0.1")
        assert model_name(tmp_path) != first, pin
        shutil.copy2(REPO_ROOT / "requirements.lock", lock)
    assert model_name(tmp_path) == first

    (tmp_path / "scripts" / "build_spacy_pipeline.py").write_text("# another lemma pipeline\n", encoding="utf-8")
    assert model_name(tmp_path) != first
    shutil.copy2(REPO_ROOT / "scripts" / "build_spacy_pipeline.py", tmp_path / "scripts" / "build_spacy_pipeline.py")
    assert model_name(tmp_path) == first

    # The premise words the NLU's PremiseGate reads (painfaq/content/premises.py) change predictions too.
    premises = tmp_path / "painfaq" / "content" / "premises.py"
    premises.write_text(premises.read_text() + "\n# one more word\n", encoding="utf-8")
    assert model_name(tmp_path) != first
