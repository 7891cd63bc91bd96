"""Container health check (deploy/docker/Dockerfile): exit 0 when the server this container runs is ready.

A container runs one server; the first that answers decides: Rasa's readiness (`/webhooks/rest/ready`,
200 once the model is loaded), the action server's `/health`, the demo/staff server's `/`.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

URLS = (
    f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}/webhooks/rest/ready",
    f"http://127.0.0.1:{os.environ.get('ACTION_PORT', '5055')}/health",
    f"http://127.0.0.1:{os.environ.get('WEB_PORT', '8080')}/",
)


def check() -> int:
    for url in URLS:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - fixed loopback URLs
                return 0 if response.status == 200 else 1
        except urllib.error.HTTPError:
            return 1  # it answers, but is not ready
        except OSError:
            continue  # nothing listens there: another server's container
    return 1


if __name__ == "__main__":
    sys.exit(check())
