"""The launchers' preflight reports a variable that does not parse as its kind, before any server starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from painfaq.serving import preflight


def test_a_value_of_the_wrong_kind_stops_the_launch_with_one_line(monkeypatch, capsys, tmp_path: Path) -> None:
    monkeypatch.setenv("PAINFAQ_TURN_TIMEOUT", "soon")
    assert preflight.main(["--settings-only"]) == 2
    out = capsys.readouterr().out
    assert "PAINFAQ_TURN_TIMEOUT='soon' is not a number" in out
    assert "Traceback" not in out


@pytest.mark.parametrize("value", ["12", "7.5"])
def test_good_values_pass(monkeypatch, value: str) -> None:
    monkeypatch.setenv("PAINFAQ_TURN_TIMEOUT", value)
    assert preflight.main(["--settings-only"]) == 0
