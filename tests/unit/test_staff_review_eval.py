"""`make review-eval` compares the model the servers run with the new one, never the new one with itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scripts import review_eval

ROOT = Path(__file__).resolve().parents[2]
RECORD_LINES = ('mkdir -p "$RUN_DIR"', 'readlink -f "$model" >"$RUN_DIR/serving_model"')


@pytest.fixture
def run_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RUN_DIR", str(tmp_path / "run"))
    return tmp_path / "run"


@pytest.mark.parametrize("script", ["scripts/run.sh", "scripts/run_production.sh"])
def test_the_launchers_record_the_model_they_serve(script, tmp_path, run_dir):
    lines = (ROOT / script).read_text().splitlines()
    assert all(line in lines for line in RECORD_LINES), f"{script} does not record its model"
    # Recorded after the model is chosen and before the servers start with it.
    chosen = next(i for i, line in enumerate(lines) if line.startswith("model="))
    started = next(i for i, line in enumerate(lines) if line.startswith("supervise"))
    assert chosen < lines.index(RECORD_LINES[1]) < started
    # The same lines, run: the record names the model by its absolute path, and review-eval reads it.
    running = tmp_path / "models" / "painfaq-old.tar.gz"
    running.parent.mkdir()
    running.write_bytes(b"model")
    subprocess.run(
        ["bash", "-euc", "\n".join(RECORD_LINES)],
        cwd=tmp_path,
        env={"RUN_DIR": str(run_dir), "model": "models/painfaq-old.tar.gz", "PATH": "/usr/bin:/bin"},
        check=True,
    )
    assert review_eval.serving_model_file().read_text().strip() == str(running)
    new = tmp_path / "models" / "painfaq-new.tar.gz"
    new.write_bytes(b"model")
    assert review_eval.old_model(None, str(new)) == str(running)


def test_an_explicit_old_model_wins(tmp_path, run_dir):
    run_dir.mkdir()
    (run_dir / "serving_model").write_text("/nonexistent/model.tar.gz\n")
    given, new = tmp_path / "given.tar.gz", tmp_path / "new.tar.gz"
    given.write_bytes(b"m")
    new.write_bytes(b"m")
    assert review_eval.old_model(str(given), str(new)) == str(given)


def test_no_recorded_model_and_no_old_is_a_clear_error(tmp_path, run_dir, capsys):
    new = tmp_path / "new.tar.gz"
    new.write_bytes(b"m")
    assert review_eval.main(["--new", str(new), "--db-url", f"sqlite:///{tmp_path / 'x.db'}"]) == 2
    error = capsys.readouterr().err
    assert "no running model is recorded" in error and "OLD=" in error


def test_comparing_the_new_model_with_itself_is_refused(tmp_path, run_dir):
    new = tmp_path / "models" / "painfaq-new.tar.gz"
    new.parent.mkdir()
    new.write_bytes(b"m")
    run_dir.mkdir()
    (run_dir / "serving_model").write_text(f"{new}\n")
    with pytest.raises(review_eval.ModelChoiceError, match="nothing new to compare"):
        review_eval.old_model(None, str(new))
    with pytest.raises(review_eval.ModelChoiceError, match="does not exist"):
        review_eval.old_model(str(tmp_path / "gone.tar.gz"), str(new))
