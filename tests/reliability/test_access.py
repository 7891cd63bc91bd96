"""Access: the Rasa HTTP API is off, the action server answers only the Rasa server, browsers only from the
configured origins, and the abuse limits answer 429 with Retry-After. Against the servers `make run` starts."""

from __future__ import annotations

import concurrent.futures
import socket
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from tests.harness.reliability_helpers import non_loopback_address, raw_post, say
from tests.harness.stack import SESSION_ACTION_TOKEN

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

EVIL = "https://evil.example"


def sender() -> str:
    return f"access-{uuid.uuid4()}"


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/conversations/someone/tracker"),
        ("POST", "/conversations/someone/messages"),
        ("POST", "/model/parse"),
        ("GET", "/status"),
        ("PUT", "/model"),
        ("GET", "/domain"),
        ("POST", "/conversations/someone/trigger_intent"),
    ],
)
def test_rasa_http_api_is_off(live_servers, method, path):
    response = requests.request(method, live_servers.rasa_url + path, json={"text": "hi"}, timeout=10)
    assert response.status_code in (404, 405), (path, response.status_code)


def minimal_action_call(action: str = "action_bad_input") -> dict:
    return {
        "next_action": action,
        "sender_id": "x",
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": "x",
            "slots": {},
            "latest_message": {"text": "hi"},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": None,
        },
    }


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": SESSION_ACTION_TOKEN}])
def test_action_server_refuses_calls_without_the_shared_secret(live_servers, headers):
    for path, method in (("/webhook", "POST"), ("/actions", "GET")):
        response = requests.request(
            method, live_servers.action_url + path, json=minimal_action_call(), headers=headers, timeout=10
        )
        assert response.status_code == 401, (path, response.text)
        assert response.json()["error"] == "unauthorized"
        assert "tracker" not in response.text


def test_action_server_accepts_the_rasa_server_secret(live_servers):
    headers = {"Authorization": f"Bearer {SESSION_ACTION_TOKEN}"}
    response = requests.post(
        live_servers.action_url + "/webhook", json=minimal_action_call(), headers=headers, timeout=30
    )
    assert response.status_code == 200, response.text
    assert requests.get(live_servers.action_url + "/health", timeout=10).status_code == 200


def test_action_server_errors_do_not_echo_the_conversation(live_servers):
    headers = {"Authorization": f"Bearer {SESSION_ACTION_TOKEN}"}
    call = minimal_action_call()
    call["tracker"] = "secret user text"  # rasa_sdk fails on it (and would echo the whole request back)
    response = requests.post(live_servers.action_url + "/webhook", json=call, headers=headers, timeout=30)
    assert response.status_code == 500
    assert response.json() == {"error": "internal error"}


def test_action_server_listens_on_loopback_only(live_servers):
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    port = urlsplit(live_servers.action_url).port
    with pytest.raises(OSError):
        socket.create_connection((address, port), timeout=3).close()


def test_cors_preflight_only_for_the_configured_origin(live_servers):
    def preflight(origin: str) -> requests.Response:
        return requests.options(
            live_servers.webhook,
            timeout=10,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )

    allowed = preflight(live_servers.demo_origin)
    assert allowed.headers.get("Access-Control-Allow-Origin") == live_servers.demo_origin
    for origin in (EVIL, "null", live_servers.demo_origin + ".evil.example", "http://localhost:1"):
        refused = preflight(origin)
        assert "Access-Control-Allow-Origin" not in refused.headers, origin


@pytest.mark.parametrize("origin", [EVIL, "null", "http://localhost:18080.evil.example"])
def test_requests_from_other_origins_are_refused(live_servers, origin):
    reply = say(live_servers.webhook, sender(), "does yoga help?", headers={"Origin": origin})
    assert reply.status == 403
    assert reply.json()["error"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in reply.headers


def test_requests_from_the_configured_origin_work(live_servers):
    reply = say(live_servers.webhook, sender(), "hello", headers={"Origin": live_servers.demo_origin})
    assert reply.status == 200 and reply.json()
    assert reply.headers.get("access-control-allow-origin") == live_servers.demo_origin


def test_per_sender_rate_limit(live_servers):
    """Defaults (credentials.yml): a burst of 10 messages per sender, then 30 a minute."""
    me = sender()
    replies = [say(live_servers.webhook, me, "/greet", source="127.0.0.3") for _ in range(14)]
    statuses = [r.status for r in replies]
    first_refusal = statuses.index(429)
    assert first_refusal >= 10 and set(statuses[:first_refusal]) == {200}, statuses
    reply = replies[first_refusal]
    assert reply.json()["error"] == "rate_limited" and int(reply.headers["retry-after"]) >= 1
    # Another conversation from the same address is not affected.
    assert say(live_servers.webhook, sender(), "/greet", source="127.0.0.3").status == 200


def test_per_address_rate_limit_counts_every_request(live_servers):
    """Defaults: a burst of 60 requests per client address, then 120 a minute; malformed ones count too."""
    statuses = [raw_post(live_servers.webhook, b"{}", source="127.0.0.4").status for _ in range(70)]
    assert statuses.count(400) >= 55 and statuses[-1] == 429
    reply = say(live_servers.webhook, sender(), "/greet", source="127.0.0.4")
    assert reply.status == 429 and reply.headers["retry-after"]
    assert reply.json()["error"] == "rate_limited"
    # Other addresses are not affected.
    assert say(live_servers.webhook, sender(), "/greet", source="127.0.0.5").status == 200


def test_turns_in_progress_per_address_are_capped(live_servers):
    """Defaults: 4 turns in progress at once per address; more at the same moment get 429 at once."""
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        replies = list(
            pool.map(
                lambda i: say(
                    live_servers.webhook,
                    sender(),
                    "how can I tell if my back pain is from anxiety?",
                    source="127.0.0.8",
                ),
                range(16),
            )
        )
    statuses = [r.status for r in replies]
    assert statuses.count(200) >= 4
    refused = [r for r in replies if r.status == 429]
    assert refused, statuses
    assert all(r.json()["error"] == "too_many_in_progress" for r in refused)
