"""The staff API as docs/support-staff.md documents it: the worked curl session runs as written against a
real server, and every answer has the fields the table lists."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Set

import pytest

from tests.unit.test_staff_access import staff_server  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "support-staff.md"
SECTION = "### The staff API, step by step"


def section() -> str:
    text = DOC.read_text()
    start = text.index(SECTION)
    end = text.find("\n**", start)
    return text[start:end]


def curl_script(base: str) -> List[str]:
    """The documented commands (not `make staff-user`: the fixture made the user), one per entry."""
    block = section().split("```bash\n", 1)[1].split("```", 1)[0]
    commands, current = [], ""
    for line in block.splitlines():
        if line.startswith("#") or line.startswith("make ") or not line.strip():
            continue
        current += line.rstrip("\\").rstrip() + " "
        if not line.endswith("\\"):
            commands.append(current.replace("localhost:8080", base.removeprefix("http://")).strip())
            current = ""
    return commands


def documented_fields() -> Dict[str, Set[str]]:
    """`METHOD /path` -> the top-level fields of its answer in the table."""
    out = {}
    for row in re.findall(r"^\| `([A-Z]+ /staff/api/[^`]*)` \|[^|]*(?:\\\|[^|]*)*\|(.*)\|$", section(), re.M):
        endpoint, answer = row
        braces = re.search(r"\{(.*?)\}(?!\])", answer.split(";")[0])
        fields = re.findall(r'"(\w+)"(?=[,}:\]]|\s*$)', braces.group(0)) if braces else []
        top = re.sub(r"\[\{.*?\}\]", "", braces.group(0)) if braces else ""
        out[endpoint] = {f for f in fields if f'"{f}"' in top}
    return out


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_documented_curl_session_works_as_written(staff_server, tmp_path):  # noqa: F811
    base, _ = staff_server
    commands = curl_script(base)
    assert len(commands) >= 7 and all("X-CSRF-Token" in c for c in commands if "POST" in c or "-d '{\"group" in c)
    answers = []
    env = {"PATH": "/usr/bin:/bin"}
    state = ""
    for command in commands:
        done = subprocess.run(
            ["bash", "-euc", state + command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, (command, done.stderr)
        if command.startswith("CSRF="):
            state = command + "\n"  # the variable the later commands use
            continue
        answers.append(json.loads(done.stdout))
    login, inbox, label, group, one, labels, rest, undo, logout = answers
    fields = documented_fields()
    assert set(login) == fields["POST /staff/api/login"]
    assert set(inbox) == fields["GET /staff/api/inbox"]
    assert set(inbox["groups"][0]) >= {"key", "count", "text", "guesses", "reply", "outcomes", "clicked", "labels"}
    assert set(label) == fields["POST /staff/api/labels"] == set(one)
    assert label["label"] == "out_of_scope" and label["labelled_by"] == "alice" and label["item_id"] is None
    assert set(group) == fields["GET /staff/api/group"] and [m["id"] for m in group["items"]] == [2, 1]
    assert one["item_id"] == 1 and one["text"] == "Can a mattress help?" and one["topic"] == "sleep"
    assert set(labels) == fields["GET /staff/api/labels"] == set(rest)
    assert [x["id"] for x in labels["labels"] + rest["labels"]] == [one["id"], label["id"]]
    assert (labels["next_offset"], rest["next_offset"], rest["total"]) == (1, None, 2)
    assert undo == {"undone": True} and logout == {"ok": True}


def test_the_table_lists_every_endpoint_the_server_has():
    from painfaq.staff import web

    documented = set(documented_fields())
    routes = set(re.findall(r"^\s+(GET|POST)\s+(/staff/api/\S+)", web.__doc__ or "", re.M))
    assert {f"{method} {path}" for method, path in routes} == documented


def test_the_readme_links_to_it_and_stays_small():
    readme = (ROOT / "README.md").read_text()
    assert "docs/support-staff.md#the-staff-api-step-by-step" in readme
    assert len(readme.encode("utf-8")) <= 10_000  # the README is a front door: at most 10 KB
    assert "see the README" not in DOC.read_text()
