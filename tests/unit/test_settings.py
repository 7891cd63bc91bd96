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
