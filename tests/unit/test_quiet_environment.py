"""The quiet defaults every process starts with are written once (scripts/lib/quiet.env) and read the same way by
the make targets (scripts/env.sh), the container entrypoint and the test harness (painfaq.settings)."""

from __future__ import annotations

import os
import subprocess

from painfaq import settings

REPO_ROOT = settings.REPO_ROOT


def environment_after_env_sh(preset: dict) -> dict:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **preset}
    out = subprocess.run(
        ["bash", "-c", "source scripts/env.sh && env -0"], cwd=REPO_ROOT, env=env, capture_output=True, check=True
    ).stdout.decode()
    return dict(item.split("=", 1) for item in out.split("\0") if "=" in item)


def test_env_sh_exports_exactly_the_quiet_defaults() -> None:
    quiet = settings.quiet_environment()
    assert quiet["TF_CPP_MIN_LOG_LEVEL"] == "2"
    exported = environment_after_env_sh({})
    assert {name: exported.get(name) for name in quiet} == quiet


def test_a_variable_already_set_wins() -> None:
    exported = environment_after_env_sh({"PYTHONWARNINGS": "default"})
    assert exported["PYTHONWARNINGS"] == "default"


def test_no_other_file_sets_the_quiet_variables() -> None:
    names = list(settings.quiet_environment())
    where = [REPO_ROOT / "deploy", REPO_ROOT / "scripts", REPO_ROOT / "tests" / "harness", REPO_ROOT / "painfaq"]
    offenders = []
    for folder in where:
        for path in folder.rglob("*"):
            if (
                not path.is_file()
                or path.suffix not in ("", ".py", ".sh", ".service", ".env", ".yml")
                or path.name == "quiet.env"
            ):
                continue
            text = path.read_text(encoding="utf-8", errors="ignore")
            offenders += [
                f"{path.relative_to(REPO_ROOT)}: {name}" for name in names if f"{name}=" in text or f'"{name}"' in text
            ]
    assert offenders == []
