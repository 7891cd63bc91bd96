"""The command lines that start the two servers through their launchers, and `rasa train`, built in one place.

The container entrypoint (painfaq/serving/container.py) and the test harness (tests/harness/stack.py,
tests/harness/reliability_helpers.py) use these; scripts/run.sh and scripts/run_production.sh, being shell,
write the same commands out. Both go through the launchers (painfaq/serving/rasa_server.py,
action_server.py), which apply the project's changes to Rasa (painfaq.rasa_patches.apply_all).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional, Sequence, Union

from painfaq import settings

PathLike = Union[str, Path]


def rasa_command(
    model: str,
    port: Union[int, str],
    endpoints: PathLike,
    *,
    interface: Optional[str] = None,
    cors: Optional[str] = None,
    extra: Sequence[str] = (),
    stock_rasa: bool = False,
    python: str = sys.executable,
) -> List[str]:
    """`rasa run` with the REST channel's credentials.yml; `stock_rasa` starts Rasa without the launcher
    (no patches), for comparisons only."""
    entry = ["-m", "rasa", "run"] if stock_rasa else ["-m", "painfaq.serving.rasa_server", "run"]
    command = [python, *entry, "--model", model]
    if interface:
        command += ["--interface", interface]
    command += ["--port", str(port), "--endpoints", str(endpoints)]
    command += ["--credentials", str(settings.REPO_ROOT / "credentials.yml")]
    if cors:
        command += ["--cors", cors]
    return command + list(extra)


def action_server_command(port: Union[int, str], python: str = sys.executable) -> List[str]:
    """The rasa_sdk action server serving the project's `actions` package."""
    return [python, "-m", "painfaq.serving.action_server", "--actions", "actions", "--port", str(port)]


def train_command(
    data: PathLike = "data",
    out: PathLike = "models",
    *,
    fixed_model_name: Optional[str] = None,
    python: str = sys.executable,
) -> List[str]:
    """`rasa train` on the project's config and domain (run from the repository root), quiet; scripts/model.sh
    writes the same command out for `make train`."""
    command = [python, "-m", "rasa", "train", "--config", "config.yml", "--domain", "domain.yml"]
    command += ["--data", str(data), "--out", str(out)]
    if fixed_model_name:
        command += ["--fixed-model-name", fixed_model_name]
    return command + ["--quiet"]
