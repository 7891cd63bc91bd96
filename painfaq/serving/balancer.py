"""The front door: HAProxy in front of Rasa's REST channel, retrying a turn whose Rasa process died.

    python -m painfaq.serving.balancer --out .run/haproxy.cfg --listen 0.0.0.0:5005 --server 127.0.0.1:41234 \
        [--backup 10.0.0.2:5006 ...] [--health-checks]

A request in flight on a Rasa process that is killed gets no answer: its connection dies with the process,
and nothing in Rasa can help. HAProxy keeps the request and sends it again (`retry-on`): to the same port,
where supervisord holds the listening socket while Rasa restarts (scripts/run.sh), to another worker of the
same port (SO_REUSEPORT), or to a backup instance once the local one fails its readiness check (the
production profile with `--backup`). Each request gets an `X-Request-ID` (the client's own, if it sent a
well-formed one), so a retry of a turn that was in fact stored is answered from the tracker, not handled twice
(painfaq/rasa_patches/repeated_turns.py).

No request is logged: a URL can carry what a user typed (docs/reliability.md, logs hold no user text).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import List, Optional, Sequence

from painfaq import settings

# A message is at most 2,000 characters: a request fits one buffer, which L7 retries need.
RETRY_ON = "conn-failure empty-response junk-response"
# A request id the REST channel accepts (painfaq/serving/channel.py reads the same pattern).
REQUEST_ID_PATTERN = r"[A-Za-z0-9._:-]{8,128}"


def haproxy_path() -> Optional[str]:
    return shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if Path(p).is_file()), None
    )


def config_text(
    listen: str,
    server: str,
    backups: Sequence[str] = (),
    health_checks: bool = False,
    turn_timeout_seconds: Optional[float] = None,
) -> str:
    """HAProxy's configuration.

    Without health checks (one instance behind a held port) the server is never marked down: a request that
    arrives while Rasa restarts waits in the held socket's backlog instead of getting a 503. With health
    checks (`GET /webhooks/rest/ready`, once a second) a failing local Rasa hands its traffic to the backups.
    """
    checks = backups or health_checks
    check = " check inter 1s fall 2 rise 1" if checks else ""
    if turn_timeout_seconds is None:
        turn_timeout_seconds = settings.TURN_TIMEOUT.number()
    server_timeout = int(turn_timeout_seconds + 5)
    lines = [
        "global",
        "    maxconn 2000",
        "    # A graceful stop (SIGUSR1) lets the turns in progress finish, for at most this long.",
        "    hard-stop-after 15s",
        "    # No `log` line: no request is logged (a URL can carry user text).",
        "",
        "defaults",
        "    mode http",
        "    # Keep-alive with the clients, a fresh connection to Rasa for each request: a Rasa worker that shuts",
        "    # down closes its idle connections, and a request sent on one as it closes may not be retried.",
        "    option http-server-close",
        "    # The whole request before a server is picked: a request HAProxy passed on as it arrived cannot be",
        "    # sent again (measured: without it, turns in flight on a killed Rasa got a 502 or a closed connection).",
        "    option http-buffer-request",
        "    # Also the pause before a retry (min(this, 1 s)); connecting on this machine or a LAN takes far less.",
        "    timeout connect 500ms",
        "    timeout http-request 10s",
        "    timeout client 75s",
        f"    timeout server {server_timeout}s",
        "    timeout queue 30s",
        "    timeout check 2s",
        "    # Send a request again when its server refused, closed or broke the connection before answering;",
        "    # 0.5 s apart, up to 10 s in all (a Rasa restart takes 3-7 s; a held port answers the connection at once).",
        "    retries 20",
        f"    retry-on {RETRY_ON}",
        "    option redispatch 1",
        "",
        "frontend rest",
        f"    bind {listen}",
        "    unique-id-format %[uuid()]",
        f"    http-request set-header X-Request-ID %[unique-id] unless {{ req.hdr(x-request-id) -m reg ^{REQUEST_ID_PATTERN}$ }}",
        "    # Rasa counts rate limits per client address: it reads this header (SANIC_PROXIES_COUNT).",
        "    option forwardfor",
        "    default_backend rasa",
        "",
        "backend rasa",
    ]
    if checks:
        lines.append("    option httpchk GET /webhooks/rest/ready")
    lines.append(f"    server local {server}{check}")
    for number, backup in enumerate(backups, start=1):
        lines.append(f"    server backup{number} {backup}{check} backup")
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="where to write haproxy.cfg")
    parser.add_argument("--listen", required=True, help="HOST:PORT the clients connect to")
    parser.add_argument("--server", required=True, help="HOST:PORT of this instance's Rasa")
    parser.add_argument("--backup", action="append", default=[], help="HOST:PORT of another instance's Rasa")
    parser.add_argument("--health-checks", action="store_true", help="check readiness (implied by --backup)")
    parser.add_argument("--turn-timeout", type=float, help="seconds (default: PAINFAQ_TURN_TIMEOUT)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(config_text(args.listen, args.server, args.backup, args.health_checks, args.turn_timeout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
