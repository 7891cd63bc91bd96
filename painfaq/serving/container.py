"""Container entrypoint (deploy/docker/Dockerfile): `rasa`, `actions` or `staff` runs that one server in the
foreground, listening on all interfaces of the container, configured by environment (docs/production.md)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Dict, List

from painfaq import settings
from painfaq.serving.commands import action_server_command, rasa_command


def newest_model() -> str:
    models = sorted((settings.REPO_ROOT / "models").glob("painfaq-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit("container: no trained model in models/ (the image build runs scripts/model.sh)")
    return str(models[-1])


def command(server: str, env: Dict[str, str]) -> List[str]:
    """The server's command line; `env` is the environment it will run with (settings are read from it, and
    the action server's listening address is added to it)."""
    python = sys.executable
    if server == "rasa":
        return rasa_command(newest_model(), settings.RASA_PORT.text(env), "endpoints.production.yml")
    if server == "actions":
        env.setdefault("SANIC_HOST", "0.0.0.0")
        return action_server_command(settings.ACTION_PORT.text(env))
    if server == "staff":
        return [python, str(Path("scripts") / "serve_demo.py"), "--host", "0.0.0.0",
                "--port", settings.WEB_PORT.text(env), "--rasa-url", settings.RASA_URL.text(env)]  # fmt: skip
    raise SystemExit(f"container: unknown server {server!r}; one of: rasa, actions, staff")


def main() -> None:
    server = sys.argv[1] if len(sys.argv) > 1 else "rasa"
    env = dict(os.environ)  # process environment: handed on whole to the server (execve)
    for name, value in settings.quiet_environment().items():
        env.setdefault(name, value)
    argv = command(server, env)
    os.chdir(settings.REPO_ROOT)
    os.execve(argv[0], argv, env)


if __name__ == "__main__":
    main()
