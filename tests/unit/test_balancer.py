"""The front door's HAProxy configuration (painfaq/serving/balancer.py), checked by HAProxy itself."""

from __future__ import annotations

import os
import subprocess

import pytest

from painfaq.serving.balancer import config_text, haproxy_path


def haproxy() -> str:
    path = haproxy_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("HAProxy is not installed (.ci/run installs it)")
        pytest.skip("HAProxy is not installed")
    return path


@pytest.mark.parametrize("backups", [[], ["127.0.0.1:6006", "10.0.0.2:6006"]])
def test_haproxy_accepts_the_configuration(tmp_path, backups):
    config = tmp_path / "haproxy.cfg"
    config.write_text(config_text("127.0.0.1:5005", "127.0.0.1:6005", backups))
    result = subprocess.run([haproxy(), "-c", "-f", str(config)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_turn_is_buffered_whole_and_retried_when_its_server_dies():
    text = config_text("0.0.0.0:5005", "127.0.0.1:6005")
    assert "option http-buffer-request" in text  # without it HAProxy cannot send the request again
    assert "retry-on conn-failure empty-response junk-response" in text
    assert "response-timeout" not in text  # a slow turn is still running: sending it again would run it twice
    assert "X-Request-ID %[unique-id] unless" in text  # the repeated-turn check needs the same id on a retry


def test_one_instance_is_never_marked_down_and_backups_take_over_on_a_failed_readiness_check():
    alone = config_text("0.0.0.0:5005", "127.0.0.1:6005")
    assert "check" not in alone.split("backend rasa", 1)[1]  # a restart waits in the held port instead of a 503
    paired = config_text("0.0.0.0:5005", "127.0.0.1:6005", ["10.0.0.2:6006"])
    assert "option httpchk GET /webhooks/rest/ready" in paired
    assert "server local 127.0.0.1:6005 check" in paired
    assert "server backup1 10.0.0.2:6006 check inter 1s fall 2 rise 1 backup" in paired


def test_no_request_is_logged():
    # A URL can carry what a user typed; HAProxy logs nothing without a `log` directive.
    lines = [line.strip() for line in config_text("0.0.0.0:5005", "127.0.0.1:6005").splitlines()]
    assert not [line for line in lines if line.startswith("log ") or line.startswith("option httplog")]
