"""scripts/loadtest.py: refuses non-loopback targets unless told, bounded by requests and duration, and
counts errors by kind (against a small local HTTP server standing in for Rasa's REST channel)."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from scripts import loadtest


class FakeRest(BaseHTTPRequestHandler):
    calls = 0

    def do_POST(self) -> None:  # http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeRest.calls += 1
        if body["message"] == "boom":
            self.send_response(500)
            payload = b'{"error": "internal"}'
        elif body["message"] == "silence":
            self.send_response(200)
            payload = b"[]"
        else:
            self.send_response(200)
            payload = json.dumps([{"recipient_id": body["sender"], "text": "ok"}]).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def fake_rest() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeRest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhooks/rest/webhook"
    server.shutdown()


@pytest.mark.parametrize("url", ["http://localhost:5005/x", "http://127.0.0.1:5005/x", "http://[::1]:5005/x"])
def test_loopback_targets_are_allowed(url):
    assert loadtest.is_loopback_target(url)
    loadtest.parse_args(["--url", url])


@pytest.mark.parametrize("url", ["http://10.1.2.3:5005/x", "http://192.0.2.1/x", "http://93.184.216.34/x"])
def test_remote_targets_need_allow_remote(url):
    assert not loadtest.is_loopback_target(url)
    with pytest.raises(SystemExit):
        loadtest.parse_args(["--url", url])
    assert loadtest.parse_args(["--url", url, "--allow-remote"]).allow_remote


@pytest.mark.parametrize(
    "flags", [["-c", "0"], ["-n", "0"], ["-d", "0"], ["-d", "100000"], ["--url", "ftp://localhost/"]]
)
def test_bounds_are_enforced(flags):
    with pytest.raises(SystemExit):
        loadtest.parse_args(flags)


def test_bounded_by_requests_and_reports_percentiles(fake_rest):
    report = asyncio.run(loadtest.run_load(fake_rest, 5, 40, 30, ["a", "b", "c"], 5))
    assert report["requests"] == 40 and report["ok"] == 40 and report["errors"] == 0
    assert report["messages_per_s"] > 0
    lat = report["latency_ms"]
    assert lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"]


def test_bounded_by_duration(fake_rest):
    report = asyncio.run(loadtest.run_load(fake_rest, 2, 10**6, 0.5, ["a"], 5))
    assert report["duration_s"] < 3 and report["requests"] < 10**6


def test_errors_are_counted_by_kind(fake_rest):
    report = asyncio.run(loadtest.run_load(fake_rest, 1, 9, 30, ["a", "boom", "silence"], 5))
    assert report["ok"] == 3
    assert report["errors_by_kind"] == {"http_500": 3, "empty_reply": 3}
    assert report["error_rate"] == pytest.approx(6 / 9, abs=1e-3)


def test_connection_errors_are_counted():
    report = asyncio.run(loadtest.run_load("http://127.0.0.1:9/nothing-listens", 1, 3, 10, ["a"], 2))
    assert report["errors_by_kind"] == {"connection": 3} and report["ok"] == 0


def test_command_line_exit_code(fake_rest, tmp_path, capsys):
    out = tmp_path / "report.json"
    assert loadtest.main(["--url", fake_rest, "-c", "2", "-n", "10", "--json", str(out), "--warmup", "0"]) == 0
    assert json.loads(out.read_text())["ok"] == 10
    assert "latency ms" in capsys.readouterr().out
    messages = tmp_path / "messages.txt"
    messages.write_text("a\nboom\n")
    assert loadtest.main(["--url", fake_rest, "-c", "1", "-n", "4", "--messages", str(messages), "--warmup", "0"]) == 1
