"""Measured speed-ups for serving Rasa 3.6, applied by the launchers in painfaq/serve_rasa.py and
painfaq/serve_actions.py before Rasa or the action server start. Each one keeps behaviour identical;
what each saves was measured with py-spy / /proc (see README, "Production profile").

* ``block_unused_imports``: importing TensorFlow 2.12 also imports JAX (only for TFLite conversion of
  JAX models) when it is installed: +66 MB resident and ~0.7 s per process. In the action server,
  spaCy's thinc imports TensorFlow itself (only for its TensorFlow model shims, which spaCy pipelines
  without TensorFlow layers never use): ~350 MB and ~2.5 s per action-server worker.
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
