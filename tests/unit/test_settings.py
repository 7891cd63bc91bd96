"""painfaq.settings: every environment variable the project reads is declared once, with its default."""

from __future__ import annotations

import re
import subprocess
import sys

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
