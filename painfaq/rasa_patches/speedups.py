"""Measured speed-ups for serving Rasa 3.6, applied by the launchers in painfaq/serving/rasa_server.py and
painfaq/serving/action_server.py before Rasa or the action server start. Each one keeps behaviour identical;
what each saves was measured with py-spy / /proc (docs/benchmarks.md, docs/architecture.md).

* ``tensorflow_stub`` (painfaq/rasa_patches/tensorflow_stub.py): a model with no TensorFlow component (this project's)
  is served without importing TensorFlow: ~400 MB resident and ~2.5 s less per Rasa process.
* ``block_unused_imports``: importing TensorFlow 2.12 also imports JAX (only for TFLite conversion of
  JAX models) when it is installed: +66 MB resident and ~0.7 s per process. In the action server,
  spaCy's thinc imports TensorFlow itself (only for its TensorFlow model shims, which spaCy pipelines
  without TensorFlow layers never use): ~350 MB and ~2.5 s per action-server worker.
* ``preload_action_data``: the actions load the article content and the spaCy safety net on their first
  call (1.3 s on the first user's turn). The action-server launcher loads them before the server starts,
  in the main process, so forked Sanic workers share them instead of each loading its own copy.
* ``warm_up_agent``: a Rasa worker's first turn builds the action-response validator and runs the NLU
  graph for the first time; the Rasa launcher does both once the model is loaded, before the worker
  takes requests.
* (The leaner SQL tracker-store queries are methods of the project's tracker store now, not a patch:
  painfaq/stores/lean_queries.py.)
* ``cache_event_type_lookup``: turning a stored event back into an object, Rasa finds its class by
  walking every subclass of Event and checking each for abstract methods, per event: 7.7 % of a Rasa
  worker's CPU, and 90 % of rebuilding a 50-event tracker (2.2 ms -> 0.2 ms with the cache). The lookup is
  cached by type name; the cache is emptied whenever a new Event subclass is defined, so it always
  answers what Rasa's walk would.
* ``run_graphs_directly``: Rasa runs the model's graph (three times a turn: NLU, and the policies before
  and after the action) through dask's synchronous scheduler, and works out the sub-graph needed for the
  targets each time. Here the sub-graph is worked out once per target list and the nodes are called
  directly in dependency order, each once, with the same inputs; errors propagate as with dask.
* ``share_spacy_pipeline``: Rasa's SpacyNLP loaded the project's spaCy pipeline twice per process (its
  `create` and its graph node) and the safety net a third time: 0.45 s each at every start. Loaded once by
  Rasa here, and offered to the safety net (painfaq.safety.rules.load_spacy_model); a pipeline with a
  parser (which Rasa disables) is not shared.
* ``release_freed_memory``: glibc keeps memory freed after model loading (training-data and
  featurizer temporaries) in the heap; ``malloc_trim(0)`` returns it to the OS.

`PAINFAQ_SPEEDUPS=off` turns all of them off (to compare, or to rule them out when debugging). Each is
compared with Rasa's own code path in tests/production/test_speedups.py (share_spacy_pipeline in
tests/unit/test_rasa_speedups.py).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
from typing import Iterable

from painfaq import settings
from painfaq.rasa_patches.replacing import replace

logger = logging.getLogger(__name__)

# Modules the serving processes never use but that their dependencies import when they are installed.
RASA_UNUSED_MODULES = ("jax",)
ACTION_SERVER_UNUSED_MODULES = ("jax", "tensorflow", "torch", "mxnet")


def block_unused_imports(modules: Iterable[str]) -> None:
    """Make ``import <module>`` raise ImportError, as if the package were not installed.

    Only for optional imports that the libraries guard with ``try: import ... except ImportError``.
    Must run before the importing library is imported.
    """
    if not enabled():
        return
    for name in modules:
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]


def enabled() -> bool:
    return settings.SPEEDUPS.switch()


def apply_to_rasa() -> None:
    """The Rasa-server speed-ups that are safe in any process that imports Rasa (idempotent)."""
    if not enabled():
        return
    cache_event_type_lookup()
    run_graphs_directly()
    share_spacy_pipeline()


def preload_action_data() -> None:
    """Load what the actions load lazily (content, safety net) now; see the module docstring."""
    if not enabled():
        return
    from painfaq.content.loader import load_content
    from painfaq.safety.rules import load_default_safety_net

    load_content()
    load_default_safety_net()


async def warm_up_agent(agent) -> None:  # rasa.core.agent.Agent
    """Run what the first turn would initialise lazily; never fails the start."""
    if not enabled():
        return
    try:
        from painfaq.rasa_patches import action_validation as rasa_speedups

        rasa_speedups._action_response_validator()
    except (ImportError, AttributeError):
        pass
    try:
        await agent.parse_message("hello")
    except Exception:  # a warm-up problem must not stop the server
        logger.warning("warm-up parse failed", exc_info=True)


def share_spacy_pipeline() -> None:
    """SpacyNLP.load_model loads each model once per process and shares it; see the module docstring."""
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    from painfaq.safety.rules import share_spacy_pipeline as offer_to_safety_net

    if getattr(SpacyNLP, "_painfaq_shared_pipeline", False):
        return
    original = SpacyNLP.__dict__["load_model"].__func__
    loaded: dict = {}

    def load_model(spacy_model_name):  # Rasa's signature
        if spacy_model_name not in loaded:
            model = original(spacy_model_name)
            loaded[spacy_model_name] = model
            if "parser" not in model.model.component_names:
                offer_to_safety_net(spacy_model_name, model.model)
        return loaded[spacy_model_name]

    replace(SpacyNLP, "load_model", staticmethod(load_model))
    replace(SpacyNLP, "_painfaq_shared_pipeline", True)


def cache_event_type_lookup() -> None:
    """Event.resolve_by_type answered from a cache; see the module docstring."""
    from rasa.shared.core.events import Event

    if getattr(Event, "_painfaq_cached_lookup", False):
        return
    original = Event.__dict__["resolve_by_type"].__func__
    cache: dict = {}

    def resolve_by_type(type_name, default=None):  # Rasa's signature
        try:
            return cache[type_name]
        except KeyError:
            pass
        found = original(type_name, default)
        if found is not None and getattr(found, "type_name", None) == type_name:
            cache[type_name] = found
        return found

    def __init_subclass__(cls, **kwargs):
        cache.clear()  # a new event class: Rasa's walk may now answer differently
        super(Event, cls).__init_subclass__(**kwargs)

    replace(Event, "__init_subclass__", classmethod(__init_subclass__))
    replace(Event, "resolve_by_type", staticmethod(resolve_by_type))
    replace(Event, "_painfaq_cached_lookup", True)


def _run_graph(graph: dict, targets: list) -> list:
    """dask.get for the graphs Rasa builds: a task is a tuple (callable, *keys of other tasks); anything
    else (Rasa's inputs: (name, value)) is a value. Each task runs once, after its dependencies."""
    results: dict = {}

    def compute(key):
        if key in results:
            return results[key]
        task = graph[key]
        if isinstance(task, tuple) and task and callable(task[0]):
            args = [compute(arg) if _is_key(arg, graph) else arg for arg in task[1:]]
            value = task[0](*args)
        else:
            value = task
        results[key] = value
        return value

    return [compute(target) for target in targets]


def _is_key(value, graph: dict) -> bool:
    try:
        return value in graph
    except TypeError:  # unhashable: a value, as for dask
        return False


def run_graphs_directly() -> None:
    """DaskGraphRunner.run without dask; see the module docstring."""
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner import dask as dask_runner
    from rasa.engine.runner.dask import DaskGraphRunner

    if getattr(DaskGraphRunner, "_painfaq_direct", False):
        return

    def run(self, inputs=None, targets=None):  # Rasa's signature
        run_targets = targets if targets else self._graph_schema.target_names
        schemas = self.__dict__.setdefault("_painfaq_minimal_schemas", {})
        key = tuple(run_targets)
        minimal_schema = schemas.get(key)
        if minimal_schema is None:
            minimal_schema = schemas[key] = self._graph_schema.minimal_graph_schema(run_targets)
        run_graph = self._build_dask_graph(minimal_schema)
        if inputs:
            self._add_inputs_to_graph(inputs, run_graph)
        if dask_runner.logger.isEnabledFor(logging.DEBUG):
            dask_runner.logger.debug(
                f"Running graph with inputs: {inputs}, targets: {targets} and {self._execution_context}."
            )
        try:
            return dict(_run_graph(run_graph, list(run_targets)))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e

    replace(DaskGraphRunner, "run", run)
    replace(DaskGraphRunner, "_painfaq_direct", True)


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
