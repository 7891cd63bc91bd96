"""`python -m painfaq.serving.rasa_server run <rasa run options>`: exactly `rasa run`, with the project's
changes to Rasa applied first (painfaq/rasa_patches: what each changes and saves).

Same command line, same endpoints/credentials files, same Sanic server, same model.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import yaml

from painfaq import rasa_patches

if TYPE_CHECKING:
    from painfaq.serving.channel import Limits


def _argument(argv: List[str], names: tuple, default: str) -> str:
    """The value of an option as `rasa run` reads it (`--model x`, `-m x` or `--model=x`)."""
    for index, arg in enumerate(argv):
        if arg in names and index + 1 < len(argv):
            return argv[index + 1]
        for name in names:
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return default


def model_argument(argv: List[str]) -> str:
    """The model `rasa run` will load: `--model`/`-m`, default the models folder."""
    return _argument(argv, ("-m", "--model"), "models")


def channel_limits(credentials_file: str) -> "Limits":
    """The guarded channel's limits as the channel itself will read them (credentials file, then environment)."""
    # Imported here: the channel imports Rasa, which must come after the TensorFlow placeholder.
    from painfaq.serving.channel import GuardedRestInput, Limits

    path = Path(credentials_file)
    credentials = yaml.safe_load(path.read_text()) if path.is_file() else None
    section: Optional[dict] = None
    for key, value in (credentials or {}).items():
        if key.endswith(GuardedRestInput.__name__) or key == GuardedRestInput.name():
            section = value
    return Limits.from_credentials(section)


def _install(argv: List[str]) -> None:
    credentials = _argument(argv, ("--credentials",), "credentials.yml")
    rasa_patches.apply_all(
        "rasa", model=model_argument(argv), action_timeout_seconds=lambda: channel_limits(credentials).action_timeout
    )


def main() -> None:
    _install(sys.argv[1:])
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
