"""Container health check (deploy/docker/Dockerfile): exit 0 when the server this container runs is ready.

A container runs one server; the first that answers decides: Rasa's readiness (`/webhooks/rest/ready`,
200 once the model is loaded), the action server's `/health`, the demo/staff server's `/`.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from typing import Tuple

from painfaq import settings


def urls() -> Tuple[str, ...]:
    return (
        f"http://127.0.0.1:{settings.RASA_PORT.text()}/webhooks/rest/ready",
        f"http://127.0.0.1:{settings.ACTION_PORT.text()}/health",
        f"http://127.0.0.1:{settings.WEB_PORT.text()}/",
    )


def check() -> int:
    for url in urls():
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # fixed loopback URLs
                return 0 if response.status == 200 else 1
        except urllib.error.HTTPError:
            return 1  # it answers, but is not ready
        except OSError:
            continue  # nothing listens there: another server's container
    return 1


if __name__ == "__main__":
    sys.exit(check())
