"""The per-address rate limit holds across real processes: two Rasa instances, one of them with two Sanic
workers, count one client's requests in the same Redis (PAINFAQ_RATE_LIMIT_REDIS_URL, as
scripts/run_production.sh sets it). Counted per process, the client would get three times the limit.
"""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, List

import pytest
import requests

from tests.harness import services as svc
from tests.harness.stack import Server
from tests.production.conftest import running_cluster

pytestmark = pytest.mark.e2e

BURST = 30
PER_MINUTE = 60


@pytest.fixture(scope="module")
def limited_instances(services: svc.Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[List[Server]]:
    limits = {
        "PAINFAQ_RATE_PER_ADDRESS": f"{BURST}/{PER_MINUTE}",
        "PAINFAQ_RATE_PER_SENDER": "off",
        "PAINFAQ_IN_FLIGHT_PER_ADDRESS": "100",
    }
    with running_cluster(services, tmp_path_factory.mktemp("limited"), limits) as cluster:
        yield cluster.instances


def test_one_address_gets_the_configured_rate_across_instances_and_workers(limited_instances):
    urls = itertools.cycle(f"{server.url}/webhooks/rest/webhook" for server in limited_instances)
    jobs = [(next(urls), f"limit-{i}") for i in range(120)]

    def send(job: tuple) -> tuple:
        url, sender = job
        # A new connection per request, so the kernel spreads them over instance 0's two workers.
        response = requests.post(url, json={"sender": sender, "message": "/greet"}, timeout=60)
        return url, response.status_code

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(send, jobs))
    elapsed = time.monotonic() - started

    allowed = sum(1 for _, status in results if status == 200)
    refused = sum(1 for _, status in results if status == 429)
    assert allowed + refused == len(jobs), results
    expected = BURST + PER_MINUTE / 60 * elapsed
    # Within 10% of the configured figure (counted per process it would be about three times as much).
    assert abs(allowed - expected) <= 0.1 * expected, (allowed, expected, elapsed)
    for server in limited_instances:
        statuses = {status for url, status in results if url.startswith(server.url)}
        assert statuses == {200, 429}, (server.url, statuses)
