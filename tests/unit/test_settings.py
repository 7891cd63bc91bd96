"""painfaq.settings: every environment variable the project reads is declared once, with its default."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterator, Set, Tuple

from painfaq import settings
from tests.harness.stack import REPO_ROOT

# Quoted names the code reads as variables (environ, settings, credentials `[PAINFAQ_...]` comments excluded).
PROJECT_VARIABLE = re.compile(r"[\"']((?:PAINFAQ|HANDOFF)_[A-Z_]+)[\"']")
NOT_VARIABLES = {"PAINFAQ_PLACEHOLDER"}  # an attribute the TensorFlow placeholder module carries


def test_every_project_variable_named_in_the_code_is_declared():
    named = set()
    for path in (REPO_ROOT / "painfaq").rglob("*.py"):
        named |= set(PROJECT_VARIABLE.findall(path.read_text()))
    undeclared = sorted(named - set(settings.ALL) - NOT_VARIABLES)
    assert undeclared == []


def test_values_are_read_when_asked_for(monkeypatch):
    monkeypatch.delenv("HANDOFF_WEBHOOK_ATTEMPTS", raising=False)
    assert settings.HANDOFF_WEBHOOK_ATTEMPTS.integer() == 3
    monkeypatch.setenv("HANDOFF_WEBHOOK_ATTEMPTS", "7")
    assert settings.HANDOFF_WEBHOOK_ATTEMPTS.integer() == 7
    monkeypatch.setenv("HANDOFF_WEBHOOK_ATTEMPTS", "")  # empty means unset
    assert settings.HANDOFF_WEBHOOK_ATTEMPTS.integer() == 3
    monkeypatch.setenv("PAINFAQ_SPEEDUPS", "off")
    assert settings.SPEEDUPS.switch() is False
    monkeypatch.setenv("PAINFAQ_CONTENT_DIR", "elsewhere")
    assert settings.CONTENT_DIR.path() == REPO_ROOT / "elsewhere"


def test_the_table_lists_every_variable():
    result = subprocess.run([sys.executable, "-m", "painfaq.settings"], capture_output=True, text=True, check=True)
    for name in settings.ALL:
        assert name in result.stdout


# Reads of the process environment that are not settings: each marked `# process environment: <why>` on its
# line or the line above (e.g. the whole environment handed to a child process, ${VAR} in an endpoints file).
PLUMBING_MARK = "process environment:"
# Calls on os.environ whose value is dropped: they set a variable for a library or a child process.
WRITES = {"setdefault", "update", "pop"}


def is_environment(node: ast.AST, from_os: Set[str]) -> bool:
    """`os.environ`, `os.getenv`, or `environ` / `getenv` imported from os."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os":
        return node.attr in ("environ", "getenv")
    return isinstance(node, ast.Name) and node.id in from_os


def environment_reads(path: Path) -> Iterator[Tuple[int, str]]:
    source = path.read_text()
    tree = ast.parse(source)
    lines = source.splitlines()
    from_os = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "os"
        for alias in node.names
        if alias.name in ("environ", "getenv")
    }
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if not is_environment(node, from_os):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Subscript) and isinstance(parent.ctx, (ast.Store, ast.Del)):
            continue  # os.environ[...] = value
        if isinstance(parent, ast.Attribute) and parent.attr in WRITES:
            call = parents.get(parent)
            if isinstance(call, ast.Call) and isinstance(parents.get(call), ast.Expr):
                continue  # os.environ.setdefault(...) as a statement
        line = node.lineno
        if any(PLUMBING_MARK in lines[index] for index in (line - 1, line - 2) if index >= 0):
            continue
        yield line, lines[line - 1].strip()


def test_the_scan_finds_environment_reads(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nfrom os import environ as env, getenv\n"
        "a = os.environ.get('A')\nb = os.getenv('B')\nc = env['C']\nd = getenv('D')\ne = 'E' in os.environ\n"
        "os.environ['F'] = '1'\nos.environ.setdefault('G', '1')\nos.environ.update({'H': '1'})\n"
        "i = os.environ.setdefault('I', '1')\n"
        "child = dict(os.environ)  # process environment: handed on whole\n"
    )
    assert [line for line, _ in sorted(environment_reads(sample))] == [3, 4, 5, 6, 7, 11]


def test_only_painfaq_settings_reads_the_environment():
    paths = [*(REPO_ROOT / "painfaq").rglob("*.py"), *(REPO_ROOT / "scripts").glob("*.py")]
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{line}: {text}"
        for path in sorted(paths)
        if path != REPO_ROOT / "painfaq" / "settings.py"
        for line, text in environment_reads(path)
    ]
    assert offenders == [], "declare the variable in painfaq/settings.py and read it from there:\n" + "\n".join(
        offenders
    )


# Variables of the tools underneath that the launch scripts pass on with a default of their own.
THIRD_PARTY = re.compile(r"^(SANIC_|TF_|DB_|REDIS_|PYTHONWARNINGS$|CI$|ACTION_SERVER_URL$|ENDPOINTS$)")
SHELL_DEFAULT = re.compile(r"\$\{([A-Z_][A-Z0-9_]*):-([^}]*)\}")


def shell_defaults() -> Iterator[Tuple[str, str, str]]:
    scripts = [*(REPO_ROOT / "scripts").rglob("*.sh"), REPO_ROOT / ".ci" / "run"]
    for path in scripts:
        for name, default in SHELL_DEFAULT.findall(path.read_text()):
            yield str(path.relative_to(REPO_ROOT)), name, default


def test_every_variable_the_launch_scripts_read_is_declared_with_the_same_default():
    found = list(shell_defaults())
    assert len(found) > 20  # the scan sees the scripts
    mismatched = []
    for where, name, default in found:
        if THIRD_PARTY.match(name):
            continue
        if name not in settings.ALL:
            mismatched.append(f"{where}: {name} is not declared in painfaq/settings.py")
            continue
        declared = settings.ALL[name].default
        # A computed default (a free port, a fresh token, the demo page's origin) is described, not repeated.
        if "$" not in default and declared is not None and default != declared:
            mismatched.append(f"{where}: {name} defaults to {default!r}, painfaq/settings.py says {declared!r}")
    assert mismatched == []


def test_each_variable_is_read_as_the_kind_it_declares(monkeypatch):
    monkeypatch.setenv("PAINFAQ_TURN_TIMEOUT", "12.5")
    assert settings.TURN_TIMEOUT.number() == 12.5
    try:
        settings.TURN_TIMEOUT.integer()
    except TypeError as error:
        assert "PAINFAQ_TURN_TIMEOUT is declared as number" in str(error)
    else:
        raise AssertionError("an integer read of a number setting must fail")
    assert settings.TURN_TIMEOUT.text() == "12.5"  # the text is always available


def test_values_that_do_not_parse_as_their_kind_are_reported():
    environ = {"PAINFAQ_TURN_TIMEOUT": "soon", "RASA_WORKERS": "two", "PAINFAQ_SPEEDUPS": "maybe", "RASA_PORT": "5005"}
    assert settings.problems(environ) == [
        "PAINFAQ_SPEEDUPS='maybe' is not on or off",
        "PAINFAQ_TURN_TIMEOUT='soon' is not a number",
        "RASA_WORKERS='two' is not an integer",
    ]
    assert settings.problems({}) == []  # every default parses as its kind
