"""`python -m painfaq.serve_actions --actions actions ...`: the project's action server (painfaq.action_server
when present, else `python -m rasa_sdk`; same command line) without TensorFlow/JAX loaded into it: spaCy's
thinc imports them when they are installed, the actions never use them (~350 MB and ~2.5 s per worker;
painfaq/speedups.py). Workers: rasa_sdk reads ACTION_SERVER_SANIC_WORKERS (Rasa reads SANIC_WORKERS).
"""
from __future__ import annotations

import importlib
import importlib.util
import sys

from painfaq import speedups


def main() -> None:
    speedups.block_unused_imports(speedups.ACTION_SERVER_UNUSED_MODULES)
    speedups.preload_action_data()
    # The hardened server (loopback default, shared secret, no echo of trackers) if this checkout has it.
    module = "painfaq.action_server" if importlib.util.find_spec("painfaq.action_server") else "rasa_sdk.__main__"
    importlib.import_module(module).main()


if __name__ == "__main__":
    sys.exit(main())
