"""painfaq.rasa_patches: the one place that changes Rasa's internals, applied by the launchers only, and
refusing a Rasa or rasa_sdk version it was not tested with."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Set, Tuple

import pytest

from painfaq import rasa_patches
from tests.harness.stack import REPO_ROOT, child_env

PATCHES = REPO_ROOT / "painfaq" / "rasa_patches"
RASA_PACKAGES = ("rasa", "rasa_sdk")


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
        "from painfaq import rasa_patches; rasa_patches.apply_all('rasa', action_timeout_seconds=lambda: 7.0); "
        "from rasa.core.actions.action import RemoteAction; import rasa.core.actions.action as a; "
        "from painfaq.rasa_patches import action_validation; "
        "print(RemoteAction._validate_action_result is action_validation._validate_action_result, "
        "a.DEFAULT_REQUEST_TIMEOUT)"
    )
    assert last_line_printed(code) == "True 7.0"


def test_an_untested_version_is_refused_before_anything_is_changed():
    """The version check comes first: refused, the process still has no TensorFlow placeholder, no blocked
    import and no Rasa module loaded."""
    code = (
        "import sys; from painfaq import rasa_patches; from painfaq.rasa_patches import tensorflow_stub; "
        "rasa_patches.TESTED_VERSIONS['rasa'] = '0.0.1'\n"
        "try:\n    rasa_patches.apply_all('rasa', action_timeout_seconds=lambda: 7.0)\n"
        "except rasa_patches.UntestedVersionError:\n"
        "    print(tensorflow_stub.installed(), 'jax' in sys.modules, 'rasa.core' in sys.modules)\n"
    )
    assert last_line_printed(code) == "False False False"


def rasa_names(tree: ast.Module) -> Set[str]:
    """Names a module binds to Rasa or rasa_sdk modules and classes by importing them."""
    names: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in RASA_PACKAGES:
                    names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in RASA_PACKAGES:
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def root_name(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


# Calls that set or delete an attribute of their first argument: setattr/delattr, pytest's
# monkeypatch.setattr/delattr, unittest.mock's patch("dotted.path") and patch.object(owner, ...).
SETTING_CALLS = {"setattr", "delattr", "patch", "object"}


def call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def is_rasa_path(node: ast.expr) -> bool:
    """A dotted path in a string, as monkeypatch.setattr("rasa.x.y", ...) and patch("rasa.x.y") take."""
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.split(".")[0] in RASA_PACKAGES


def assignments_to_rasa(path: Path) -> Iterator[Tuple[int, str]]:
    """Assignments, deletions and setattr-like calls whose target is rooted in a name bound to Rasa."""
    tree = ast.parse(path.read_text())
    names = rasa_names(tree)
    for node in ast.walk(tree):
        targets: List[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        elif isinstance(node, ast.Call) and call_name(node) in SETTING_CALLS and node.args:
            first = node.args[0]
            if is_rasa_path(first) or root_name(first) in names:
                yield node.lineno, ast.unparse(node)
            continue
        for target in targets:
            if isinstance(target, ast.Attribute) and root_name(target) in names:
                yield node.lineno, ast.unparse(target)


def test_the_scan_finds_an_assignment_to_rasa(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import rasa.core.run\nfrom rasa.core.actions.action import RemoteAction\n"
        "rasa.core.run.load_agent_on_start = None\nRemoteAction.x = 1\nsetattr(RemoteAction, 'y', 2)\n"
        "store = object()\nstore.attribute = 1\n"
        "def test(monkeypatch):\n"
        "    from rasa_sdk import Action as A\n"
        "    monkeypatch.setattr(A, 'run', None)\n"
        "    monkeypatch.setattr('rasa.core.run.serve_application', None)\n"
        "    monkeypatch.setattr('painfaq.support.handoff.submit', None)\n"
        "    monkeypatch.setattr(store, 'x', 1)\n"
        "    del RemoteAction.x\n"
        "    with mock.patch.object(RemoteAction, 'run'), mock.patch('rasa_sdk.endpoint.run'):\n"
        "        pass\n"
    )
    assert sorted(line for line, _ in assignments_to_rasa(sample)) == [3, 4, 5, 10, 11, 14, 15, 15]


def python_files(folder: str) -> Iterator[Path]:
    for path in sorted((REPO_ROOT / folder).rglob("*.py")):
        if PATCHES not in path.parents and "node_modules" not in path.parts:
            yield path


def test_no_module_outside_the_patches_package_assigns_to_rasa():
    offenders = []
    # Tests too: an equivalence test applies a patch through painfaq.rasa_patches.replacing.temporarily,
    # which puts Rasa's own code back afterwards, and never assigns to Rasa itself.
    for folder in ("painfaq", "actions", "scripts", "tests"):
        for path in python_files(folder):
            offenders += [
                f"{path.relative_to(REPO_ROOT)}:{line}: {target}" for line, target in assignments_to_rasa(path)
            ]
    assert offenders == [], "\n".join(offenders)


def patching_functions() -> Set[str]:
    """Names of the package's functions that change Rasa: they call `replace`, or one that does."""
    bodies = {}
    for path in PATCHES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and path.stem != "replacing":
                called = {call_name(call) for call in ast.walk(node) if isinstance(call, ast.Call)}
                bodies[node.name] = bodies.get(node.name, set()) | called
    found = {"replace"}
    while True:
        more = {name for name, called in bodies.items() if called & found} - found
        if not more:
            return found - {"replace"}
        found |= more


def patches_applied_for_good(path: Path, patching: Set[str]) -> Iterator[Tuple[int, str]]:
    """Calls of a patching function imported from painfaq.rasa_patches, made directly (not handed to
    replacing.temporarily): they would change Rasa for every test after this one."""
    tree = ast.parse(path.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("painfaq.rasa_patches"):
            imported.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            imported.update(a.asname or a.name for a in node.names if a.name.startswith("painfaq.rasa_patches"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and call_name(node) in patching:
            func = node.func
            if (isinstance(func, ast.Name) and func.id in imported) or root_name(func) in imported:
                yield node.lineno, ast.unparse(node)


def test_no_test_applies_a_patch_in_the_pytest_process_for_good(tmp_path):
    patching = patching_functions()
    assert {"apply", "apply_all", "run_graphs_directly", "cache_event_type_lookup"} <= patching
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "from painfaq.rasa_patches import action_validation, speedups\nfrom painfaq.rasa_patches.replacing import "
        "temporarily\naction_validation.apply()\nwith temporarily(speedups.run_graphs_directly):\n    pass\n"
        "speedups.release_freed_memory()\n"
    )
    assert [line for line, _ in patches_applied_for_good(sample, patching)] == [3]
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{line}: {call}"
        for path in python_files("tests")
        for line, call in patches_applied_for_good(path, patching)
    ]
    assert offenders == [], "apply it inside `with replacing.temporarily(...)`, or in a subprocess:\n" + "\n".join(
        offenders
    )
