"""`python -m painfaq.serve_rasa run <rasa run options>`: exactly `rasa run`, with painfaq.speedups applied.

Same command line, same endpoints/credentials files, same Sanic server, same model; the differences are
listed (with what each saves) in painfaq/speedups.py.
"""
from __future__ import annotations

import sys
from typing import Any, List

from painfaq import speedups, tensorflow_stub


def _model_argument(argv: List[str]) -> str:
    """The value of `--model`/`-m` as `rasa run` reads it (default: the models folder)."""
    for index, arg in enumerate(argv):
        if arg in ("-m", "--model") and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--model="):
            return arg.split("=", 1)[1]
    return "models"


def _install(argv: List[str]) -> None:
    if speedups.enabled():
        # Before Rasa is imported: a model without TensorFlow components is served without TensorFlow.
        tensorflow_stub.install_if_model_allows(_model_argument(argv))
    speedups.block_unused_imports(speedups.RASA_UNUSED_MODULES)
    speedups.apply_to_rasa()

    import rasa.core.run

    original_load = rasa.core.run.load_agent_on_start
    if getattr(original_load, "_painfaq_wrapped", False):
        return

    async def load_agent_on_start(*args: Any, **kwargs: Any) -> Any:
        agent = await original_load(*args, **kwargs)
        await speedups.warm_up_agent(agent)
        speedups.release_freed_memory()
        return agent

    load_agent_on_start._painfaq_wrapped = True  # type: ignore[attr-defined]
    rasa.core.run.load_agent_on_start = load_agent_on_start  # type: ignore[assignment]


def main() -> None:
    _install(sys.argv[1:])
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    sys.exit(main())
