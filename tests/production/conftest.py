"""Fixtures for the production profile: the session's throwaway PostgreSQL + Redis (tests/conftest.py), the action
server and two Rasa instances sharing them, started as scripts/run_production.sh starts them.

Locally the tests skip with a clear message when PostgreSQL or Redis are not installed; when the CI
environment variable is set they fail instead (CI installs both: see .ci/run).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional

import pytest
import requests

from painfaq.serving.production import check
from tests.harness import services as svc
from tests.harness.stack import (
    PRODUCTION_ENDPOINTS,
    Server,
    current_model,
    free_port,
    production_env,
    start_action_server,
    start_rasa_server,
    wait_until_ready,
)


@pytest.fixture(scope="module")
def services(request: pytest.FixtureRequest, postgres_server: svc.Postgres, redis_server: svc.Redis) -> svc.Services:
    """The session's PostgreSQL (a database per module, as a fresh server would have) and Redis (emptied)."""
    redis_server.client().flushdb()
    return svc.Services(
        postgres=postgres_server.database(request.module.__name__.rsplit(".", 1)[-1]), redis=redis_server
    )


@dataclass
class Cluster:
    services: svc.Services
    actions: Server
    instances: List[Server]  # two Rasa instances (different ports), same PostgreSQL, Redis and action server
    workdir: Path

    def send(self, instance: int, sender: str, message: str, timeout: float = 60) -> list:
        response = requests.post(
            f"{self.instances[instance].url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=timeout,
        )
        response.raise_for_status()
        return response.json()

    def events(self, sender: str) -> List[tuple]:
        """Rasa's rows for `sender` in PostgreSQL, in storage (id) order."""
        return self.services.postgres.query(
            "SELECT id, type_name, action_name, intent_name, timestamp, data FROM events "
            "WHERE sender_id = %s ORDER BY id",
            (sender,),
        )

    def logs(self) -> str:
        return "\n".join(s.log_tail() for s in [self.actions, *self.instances])


@contextmanager
def running_cluster(services: svc.Services, workdir: Path, env_overrides: Optional[dict] = None) -> Iterator[Cluster]:
    """Action server (2 workers) + Rasa instance 0 (2 Sanic workers) + Rasa instance 1 (1 worker), started as
    scripts/run_production.sh starts them; `env_overrides` (e.g. rate limits) replace the load-test settings."""
    model = current_model()
    action_port = free_port()
    env = production_env(services.env(), f"http://127.0.0.1:{action_port}/webhook", load_test=not env_overrides)
    env.update(env_overrides or {})
    check(env)  # what run_production.sh does first: reach both servers, create the tracker table once
    actions = start_action_server(env, workers=2, port=action_port, workdir=workdir)
    instances = [
        start_rasa_server(model, PRODUCTION_ENDPOINTS, env, workers=2, workdir=workdir, name="rasa-0"),
        start_rasa_server(model, PRODUCTION_ENDPOINTS, env, workers=1, workdir=workdir, name="rasa-1"),
    ]
    started = Cluster(services=services, actions=actions, instances=instances, workdir=workdir)
    try:
        wait_until_ready([actions, *instances], timeout=300)
        yield started
    finally:
        servers = [*instances, actions]
        for server in servers:  # signal all first: they shut down in parallel
            if server.alive():
                server.process.terminate()
        for server in servers:
            server.stop()


@pytest.fixture(scope="module")
def cluster(services: svc.Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with running_cluster(services, tmp_path_factory.mktemp("cluster")) as started:
        yield started
