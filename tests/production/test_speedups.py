"""painfaq.speedups, used by the production profile's launchers (painfaq/serve_rasa.py, serve_actions.py):
the fast DIET loading gives exactly the predictions of Rasa's own loading, and the launchers really
keep JAX out of Rasa and TensorFlow out of the action server."""
from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from painfaq import speedups
from painfaq.stack import REPO_ROOT, child_env, current_model

HOLDOUT = REPO_ROOT / "tests" / "nlu" / "holdout.yml"


def holdout_texts(limit: int = 150) -> list:
    texts = []
    for item in yaml.safe_load(HOLDOUT.read_text()).get("nlu", []):
        for line in (item.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- ") and line[2:].strip():
                texts.append(line[2:].strip())
    return texts[:limit]


def rankings(agent, texts):
    async def parse_all():
        out = []
        for text in texts:
            result = await agent.parse_message(text)
            out.append([(r["name"], r["confidence"]) for r in result["intent_ranking"][:5]])
        return out

    return asyncio.run(parse_all())


def test_fast_diet_load_predicts_exactly_like_rasas_loading(caplog):
    from rasa.core.agent import Agent
    from rasa.nlu.classifiers.diet_classifier import DIET

    import painfaq.rasa_input_guard  # noqa: F401 - importing the model's components applies the speed-ups

    model = current_model()
    texts = holdout_texts()
    assert len(texts) >= 50
    calls = []
    try:
        # Rasa's own loading first: take the patch off (the model's components put it on when imported).
        if "load" in DIET.__dict__:
            del DIET.load
        DIET._painfaq_fast_load = False
        stock = rankings(Agent.load(model), texts)
        assert "load" not in DIET.__dict__
        speedups.load_diet_without_training_step()
        patched = DIET.__dict__["load"].__func__

        def counting(cls, *args, **kwargs):
            calls.append(cls)
            return patched(cls, *args, **kwargs)

        DIET.load = classmethod(counting)
        with caplog.at_level(logging.WARNING, logger="painfaq.speedups"):
            fast = rankings(Agent.load(model), texts)
    finally:
        if "load" in DIET.__dict__:
            del DIET.load
        DIET._painfaq_fast_load = False
        speedups.load_diet_without_training_step()  # as the rest of the session expects
    assert calls == [DIET], "the DIET model should have been loaded through the fast path"
    assert "fast DIET load failed" not in caplog.text, "fell back to Rasa's loading"
    for text, ours, theirs in zip(texts, fast, stock):
        assert [name for name, _ in ours] == [name for name, _ in theirs], text
        assert [c for _, c in ours] == pytest.approx([c for _, c in theirs], abs=1e-5), text


@pytest.mark.parametrize(
    "module, absent",
    [("painfaq.serve_actions", ["tensorflow", "jax"]), ("painfaq.serve_rasa", ["jax"])],
)
def test_launchers_keep_unused_libraries_out(module, absent):
    """Import what each server imports at start, after the launcher's blocking, in a fresh interpreter."""
    imports = {
        "painfaq.serve_actions": "import actions.actions, rasa_sdk.endpoint",
        "painfaq.serve_rasa": "import tensorflow, rasa.core.agent, painfaq.rasa_safety",
    }[module]
    blocked = "speedups.ACTION_SERVER_UNUSED_MODULES" if module.endswith("actions") else "speedups.RASA_UNUSED_MODULES"
    code = (
        f"import sys; from painfaq import speedups; speedups.block_unused_imports({blocked}); {imports}; "
        f"print([m for m in {absent!r} if sys.modules.get(m) is not None])"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=child_env(), capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"
