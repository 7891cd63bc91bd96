"""Wait until every URL given answers HTTP 200 (servers are up), or fail after a timeout."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Callable, List, Optional

import requests


def wait_ready(urls: List[str], timeout_s: float, abort: Optional[Callable[[], bool]] = None) -> bool:
    """True once every URL has answered 200; False after `timeout_s`. `abort()` true stops the wait (raises)."""
    deadline = time.monotonic() + timeout_s
    pending = list(urls)
    while pending and time.monotonic() < deadline:
        if abort is not None and abort():
            raise RuntimeError("gave up waiting: a server exited during start-up")
        for url in list(pending):
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    pending.remove(url)
            except requests.RequestException:
                pass
        if pending:
            time.sleep(0.5)
    return not pending


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args()
    if not wait_ready(args.urls, args.timeout):
        sys.exit(f"servers not ready after {args.timeout:.0f} s: {', '.join(args.urls)}")
