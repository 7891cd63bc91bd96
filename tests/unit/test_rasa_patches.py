"""painfaq.rasa_patches: the one place that changes Rasa's internals, applied by the launchers only, and
refusing a Rasa or rasa_sdk version it was not tested with."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Iterator, Set, Tuple

import pytest

from painfaq import rasa_patches
from tests.harness.stack import REPO_ROOT, child_env

PATCHES = REPO_ROOT / "painfaq" / "rasa_patches"


def test_the_tested_versions_pass_and_others_are_refused():
    rasa_patches.check_versions(dict(rasa_patches.TESTED_VERSIONS))
    rasa_patches.check_versions()  # what this venv has installed
    with pytest.raises(rasa_patches.UntestedVersionError, match=r"rasa 3\.7\.0 is installed"):
        rasa_patches.check_versions({**rasa_patches.TESTED_VERSIONS, "rasa": "3.7.0"})
    with pytest.raises(rasa_patches.UntestedVersionError, match="rasa-sdk"):
        rasa_patches.check_versions({**rasa_patches.TESTED_VERSIONS, "rasa-sdk": "3.6.3"})


def last_line_printed(code: str) -> str:
    """Run `code` in a fresh interpreter (patches are process-wide) and return the last line it printed."""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=child_env(), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1]


def test_importing_the_project_changes_nothing_in_rasa():
    """Loading the model's components (as `rasa train` or `rasa shell` does) applies no patch."""
    code = (
        "from rasa.core.actions.action import RemoteAction; import rasa.core.run; "
        "original = (RemoteAction._validate_action_result, rasa.core.run.load_agent_on_start); "
        "import painfaq.nlu.question_focus, painfaq.nlu.intent_classifier, painfaq.nlu.input_guard, "
        "painfaq.nlu.safety_classifier, painfaq.serving.channel, painfaq.stores.tracker_store, actions.faq, actions.handoff, actions.feedback; "
        "print(original == (RemoteAction._validate_action_result, rasa.core.run.load_agent_on_start))"
    )
    assert last_line_printed(code) == "True"


def test_the_launcher_applies_them():
    code = (
        "from painfaq import rasa_patches; rasa_patches.apply_to_rasa_server(action_timeout_seconds=7.0); "
        "from rasa.core.actions.action import RemoteAction; import rasa.core.actions.action as a; "
        "from painfaq.rasa_patches import action_validation; "
        "print(RemoteAction._validate_action_result is action_validation._validate_action_result, "
        "a.DEFAULT_REQUEST_TIMEOUT)"
    )
    assert last_line_printed(code) == "True 7.0"


def rasa_names(tree: ast.Module) -> Set[str]:
    """Names a module binds to Rasa or rasa_sdk modules and classes by importing them."""
    names: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ("rasa", "rasa_sdk"):
                    names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("rasa", "rasa_sdk"):
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def root_name(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def assignments_to_rasa(path: Path) -> Iterator[Tuple[int, str]]:
    tree = ast.parse(path.read_text())
    names = rasa_names(tree)
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr" and node.args:
            targets = [node.args[0]]
        for target in targets:
            attribute = isinstance(target, ast.Attribute) or node.__class__ is ast.Call
            if attribute and root_name(target) in names:
                yield node.lineno, ast.unparse(target)


def test_the_scan_finds_an_assignment_to_rasa(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import rasa.core.run\nfrom rasa.core.actions.action import RemoteAction\n"
        "rasa.core.run.load_agent_on_start = None\nRemoteAction.x = 1\nsetattr(RemoteAction, 'y', 2)\n"
        "store = object()\nstore.attribute = 1\n"
    )
    assert [line for line, _ in assignments_to_rasa(sample)] == [3, 4, 5]


def test_no_module_outside_the_patches_package_assigns_to_rasa():
    offenders = []
    # (tests/ is not scanned: the patches' equivalence tests restore Rasa's originals to compare with them.)
    for folder in ("painfaq", "actions", "scripts"):
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            if PATCHES in path.parents:
                continue
            offenders += [
                f"{path.relative_to(REPO_ROOT)}:{line}: {target}" for line, target in assignments_to_rasa(path)
            ]
    assert offenders == [], "\n".join(offenders)
