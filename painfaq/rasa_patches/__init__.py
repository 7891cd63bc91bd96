"""Every change this project makes to Rasa's and rasa_sdk's internals, in one place.

Each module says what it changes, why, and which test shows the behaviour stays the same:

* `action_validation`: the action-response validator built once, not per call (tests/unit/test_rasa_speedups.py);
* `speedups`: serving without TensorFlow/JAX, cached event-type lookup, graphs run directly, one spaCy
  pipeline per process, action data preloaded (tests/production/test_speedups.py);
* `tensorflow_stub`: a placeholder TensorFlow for models without TensorFlow components
  (tests/production/test_tensorflow_stub.py);
* `agent_loading`: a Rasa worker is warmed up and returns freed memory before it takes requests
  (tests/production/test_speedups.py);
* `action_timeout`: how long Rasa waits for the action server, Rasa's is a 300 s constant
  (tests/reliability/test_faults.py);
* `tracker_store_errors`: a tracker-store error fails the turn instead of silently starting a new
  conversation in memory (tests/reliability/test_faults*.py);
* `repeated_turns`: a retried request (same `X-Request-ID`) whose turn was already stored is answered from
  the tracker instead of being handled twice (tests/unit/test_repeated_turns.py);
* `listen_socket`: under supervision, Rasa serves on the listening socket the supervisor holds across
  restarts (tests/reliability/test_supervision.py);
* `replacing`: how they all change Rasa (`replace`), recorded so that tests can put Rasa's code back
  (`temporarily`, `undo`).

Nothing outside this package assigns to attributes of `rasa` or `rasa_sdk` modules or classes
(tests/unit/test_rasa_patches.py scans the repository), and nothing is patched on import: `apply_all(process)`
is the one entry point, called by the launchers only (painfaq/serving/rasa_server.py,
painfaq/serving/action_server.py). It first refuses a Rasa or rasa_sdk version the patches were not tested
with, because each one replaces private code that can change in any release.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Callable, Dict, Literal, Mapping, Optional

# The versions tests/production/test_speedups.py and the equivalence tests ran against.
TESTED_VERSIONS: Dict[str, str] = {"rasa": "3.6.21", "rasa-sdk": "3.6.2"}


class UntestedVersionError(RuntimeError):
    pass


def check_versions(installed: Optional[Mapping[str, str]] = None) -> None:
    """Raise UntestedVersionError unless the installed Rasa and rasa_sdk are the tested ones."""
    for package, tested in TESTED_VERSIONS.items():
        found = installed[package] if installed is not None else version(package)
        if found != tested:
            raise UntestedVersionError(
                f"painfaq.rasa_patches was written and tested for {package} {tested}, but {package} {found} is "
                f"installed. The patches replace private Rasa code; check each one against the new version (see "
                f"painfaq/rasa_patches/__init__.py), run `make test`, then update TESTED_VERSIONS."
            )


Process = Literal["rasa", "action_server"]


def apply_all(
    process: Process, *, model: str = "models", action_timeout_seconds: Optional[Callable[[], float]] = None
) -> None:
    """Everything `process` needs, before that process imports Rasa or rasa_sdk (idempotent).

    In this order: the version check (it reads package metadata and imports nothing), then what must come
    before Rasa is imported, then the patches of Rasa's modules.

    * `"rasa"` (`rasa run`): `model` is the `--model` argument, read to decide whether the TensorFlow
      placeholder can stand in; `action_timeout_seconds` returns the channel's action timeout in seconds, and is
      called only once the placeholder is in place, because reading the channel's settings imports Rasa.
    * `"action_server"` (`python -m rasa_sdk`): unused imports blocked, action data preloaded.
    """
    check_versions()
    if process == "rasa":
        if action_timeout_seconds is None:
            raise TypeError('apply_all("rasa") needs action_timeout_seconds')
        _apply_to_rasa_server(model, action_timeout_seconds)
    elif process == "action_server":
        _apply_to_action_server()
    else:
        raise ValueError(f"unknown process {process!r}: 'rasa' or 'action_server'")


def _apply_to_rasa_server(model: str, action_timeout_seconds: Callable[[], float]) -> None:
    from painfaq import settings
    from painfaq.rasa_patches import speedups, tensorflow_stub

    if speedups.enabled():
        # Before Rasa is imported: a model without TensorFlow components is served without TensorFlow.
        tensorflow_stub.install_if_model_allows(model)
    speedups.block_unused_imports(speedups.RASA_UNUSED_MODULES)

    from painfaq.rasa_patches import (
        action_timeout,
        action_validation,
        agent_loading,
        repeated_turns,
        tracker_store_errors,
    )

    action_validation.apply()
    speedups.apply_to_rasa()
    agent_loading.apply()
    action_timeout.apply(action_timeout_seconds())
    tracker_store_errors.apply()
    repeated_turns.apply()
    if settings.LISTEN_FD.is_set():
        from painfaq.rasa_patches import listen_socket

        listen_socket.apply(settings.LISTEN_FD.integer())


def _apply_to_action_server() -> None:
    from painfaq.rasa_patches import speedups

    # Before rasa_sdk and spaCy are imported: keep TensorFlow/JAX out of the action server (spaCy's thinc
    # imports them when installed; the actions never use them: ~350 MB and ~2.5 s per process).
    speedups.block_unused_imports(speedups.ACTION_SERVER_UNUSED_MODULES)
    # The content and the safety net, loaded now, before Sanic forks workers, not on the first user's turn.
    speedups.preload_action_data()
