"""Shell scripts that run under `set -o pipefail` must not pipe into `head`: head exits after its lines,
the writer gets SIGPIPE, and pipefail turns that into exit 141 whenever the writer is still writing (a
race that once failed CI after one second)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIPE_INTO_HEAD = re.compile(r"\|\s*head\b")


def shell_scripts() -> list[Path]:
    scripts = sorted((ROOT / "scripts").rglob("*.sh")) + [ROOT / ".ci" / "run"]
    return [path for path in scripts if "pipefail" in path.read_text()]


def test_the_ci_entry_point_runs_under_pipefail():
    assert ROOT / ".ci" / "run" in shell_scripts()


def test_no_pipefail_script_pipes_into_head_unguarded():
    offenders = []
    for path in shell_scripts():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#", 1)[0]
            if PIPE_INTO_HEAD.search(code) and not code.rstrip().endswith("|| true"):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "use `sed -n 1p` (reads to the end) instead:\n" + "\n".join(offenders)
