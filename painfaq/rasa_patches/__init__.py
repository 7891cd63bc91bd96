"""Every change this project makes to Rasa's and rasa_sdk's internals, in one place.

Each module says what it changes, why, and which test shows the behaviour stays the same:

* `action_validation`: the action-response validator built once, not per call (tests/unit/test_rasa_speedups.py);
* `speedups`: serving without TensorFlow/JAX, lean SQL tracker-store queries, cached event-type lookup,
  graphs run directly, memory returned after loading (tests/production/test_speedups.py);
* `tensorflow_stub`: a placeholder TensorFlow for models without TensorFlow components
  (tests/production/test_tensorflow_stub.py);
* `agent_loading`: a Rasa worker is warmed up before it takes requests;
* `action_timeout`: how long Rasa waits for the action server (Rasa's is a 300 s constant);
* `tracker_store_errors`: a tracker-store error fails the turn instead of silently starting a new
  conversation in memory (tests/reliability/test_faults*.py).
* `repeated_turns`: a retried request (same `X-Request-ID`) whose turn was already stored is answered from
  the tracker instead of being handled twice (tests/unit/test_repeated_turns.py);
* `listen_socket`: under supervision, Rasa serves on the listening socket the supervisor holds across
  restarts (tests/reliability/test_supervision.py).

Nothing outside this package assigns to attributes of `rasa` or `rasa_sdk` modules or classes, and nothing
is patched on import: `apply_all()` is called by the launchers only (painfaq/serving/rasa_server.py,
painfaq/serving/action_server.py). It refuses a Rasa or rasa_sdk version the patches were not tested with,
because each one replaces private code that can change in any release.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Dict, Mapping, Optional

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


def apply_to_rasa_server(action_timeout_seconds: float) -> None:
    """Before `rasa run` starts: everything the Rasa server process needs (idempotent)."""
    check_versions()
    from painfaq.rasa_patches import (
        action_timeout,
        action_validation,
        agent_loading,
        repeated_turns,
        speedups,
        tracker_store_errors,
    )

    action_validation.apply()
    speedups.apply_to_rasa()
    agent_loading.apply()
    action_timeout.apply(action_timeout_seconds)
    tracker_store_errors.apply()
    repeated_turns.apply()
    from painfaq import settings

    if settings.LISTEN_FD.is_set():
        from painfaq.rasa_patches import listen_socket

        listen_socket.apply(settings.LISTEN_FD.integer())


def apply_to_action_server() -> None:
    """Before the rasa_sdk action server starts (idempotent)."""
    check_versions()
    from painfaq.rasa_patches import speedups

    speedups.block_unused_imports(speedups.ACTION_SERVER_UNUSED_MODULES)
