"""Measured speed-ups for serving Rasa 3.6, applied by the launchers in painfaq/serve_rasa.py and
painfaq/serve_actions.py before Rasa or the action server start. Each one keeps behaviour identical;
what each saves was measured with py-spy / /proc (see README, "Production profile").

* ``block_unused_imports``: importing TensorFlow 2.12 also imports JAX (only for TFLite conversion of
  JAX models) when it is installed: +66 MB resident and ~0.7 s per process. In the action server,
  spaCy's thinc imports TensorFlow itself (only for its TensorFlow model shims, which spaCy pipelines
  without TensorFlow layers never use): ~350 MB and ~2.5 s per action-server worker.
* ``load_diet_without_training_step``: to load a DIET model, Rasa 3.6 builds it by running one
  *training* step (``model.fit`` on one example: traces the forward, backward and optimizer graphs and
  creates the Adam slots), then loads the saved weights, then traces prediction. Here the saved weights
  are attached first (TensorFlow's deferred restoration: each variable gets its saved value as it is
  created) and the model is built by the prediction trace alone. The same variables get the same values
  (checked: every variable the model creates must be matched in the checkpoint, else Rasa's own loading
  runs instead); measured on this model: load 9.5-14.4 s -> 5.9 s, resident memory -160 MB, identical
  intent rankings on the NLU holdout (tests/test_speedups.py).
* ``preload_action_data``: the actions load the article content and the spaCy safety net on their first
  call (1.3 s on the first user's turn). The action-server launcher loads them before the server starts,
  in the main process, so forked Sanic workers share them instead of each loading its own copy.
* ``warm_up_agent``: a Rasa worker's first turn builds the action-response validator and runs the NLU
  graph for the first time; the Rasa launcher does both once the model is loaded, before the worker
  takes requests.
* ``release_freed_memory``: glibc keeps memory freed after model loading (TensorFlow tracing
  temporaries) in the heap; ``malloc_trim(0)`` returns it to the OS.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
from typing import Iterable

logger = logging.getLogger(__name__)

# Modules the serving processes never use but that their dependencies import when they are installed.
RASA_UNUSED_MODULES = ("jax",)
ACTION_SERVER_UNUSED_MODULES = ("jax", "tensorflow", "torch", "mxnet")


def block_unused_imports(modules: Iterable[str]) -> None:
    """Make ``import <module>`` raise ImportError, as if the package were not installed.

    Only for optional imports that the libraries guard with ``try: import ... except ImportError``.
    Must run before the importing library is imported.
    """
    for name in modules:
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]


def load_diet_without_training_step() -> None:
    """Load DIET models (not finetuning) without Rasa's one-step training; see the module docstring."""
    from rasa.nlu.classifiers.diet_classifier import DIET
    from rasa.utils.tensorflow.models import RasaModel

    if getattr(DIET, "_painfaq_fast_load", False):
        return
    original = RasaModel.load.__func__  # type: ignore[attr-defined]

    def load(cls, model_file_name, model_data_example, predict_data_example=None, finetune_mode=False, *args, **kwargs):
        if cls is not DIET or finetune_mode or predict_data_example is None:
            return original(cls, model_file_name, model_data_example, predict_data_example, finetune_mode,
                            *args, **kwargs)
        try:
            model = cls(*args, **kwargs)
            status = model.load_weights(model_file_name)  # deferred: applied as variables are created
            model.run_inference(predict_data_example)  # creates the prediction variables, traces predict
            status.assert_existing_objects_matched()  # every variable created got its saved value
            status.expect_partial()  # the optimizer's slots are in the checkpoint, not needed to predict
            return model
        except Exception:  # noqa: BLE001 - anything unexpected: Rasa's own way
            logger.warning("fast DIET load failed; loading it the way Rasa does", exc_info=True)
            return original(cls, model_file_name, model_data_example, predict_data_example, finetune_mode,
                            *args, **kwargs)

    DIET.load = classmethod(load)  # type: ignore[assignment]
    DIET._painfaq_fast_load = True  # type: ignore[attr-defined]


def preload_action_data() -> None:
    """Load what the actions load lazily (content, safety net) now; see the module docstring."""
    from painfaq.content import load_content
    from painfaq.safety import load_default_safety_net

    load_content()
    load_default_safety_net()


async def warm_up_agent(agent) -> None:  # noqa: ANN001 - rasa.core.agent.Agent
    """Run what the first turn would initialise lazily; never fails the start."""
    try:
        from painfaq import rasa_speedups

        rasa_speedups._action_response_validator()
    except (ImportError, AttributeError):
        pass
    try:
        await agent.parse_message("hello")
    except Exception:  # noqa: BLE001 - a warm-up problem must not stop the server
        logger.warning("warm-up parse failed", exc_info=True)


def release_freed_memory() -> None:
    """Return memory freed by the allocator to the OS (glibc only; a no-op elsewhere)."""
    import gc

    gc.collect()
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return
    try:
        libc = ctypes.CDLL(libc_name)
        if hasattr(libc, "malloc_trim"):
            libc.malloc_trim(0)
    except OSError:  # pragma: no cover - not glibc
        pass
