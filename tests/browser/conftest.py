"""Fixtures for the chat-widget browser tests (Python Playwright driving Debian's Chromium).

* Chromium comes from the system (`apt-get install chromium`), never from `playwright install`. Without it
  the tests skip with a message, except when the CI environment variable is set: then they fail.
* `stub_rasa` is a tiny REST-channel stand-in (threading http.server) whose replies each test scripts.
* `demo` starts scripts/serve_demo.py (the real demo server, with its CSP) in a thread.
* Tests that need the real Rasa + action servers ask for the `live_servers` fixture from tests/conftest.py;
  while that fixture does not exist they are deselected (see pytest_collection_modifyitems).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE_JS = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real Chromium (tests/browser)")
    config.addinivalue_line("markers", "live: needs the real Rasa and action servers (live_servers fixture)")


def pytest_collection_modifyitems(config, items):
    """Deselect tests that need `live_servers` while tests/conftest.py does not provide it."""
    missing = []
    for item in items:
        if "live_servers" in getattr(item, "fixturenames", ()):
            info = getattr(item, "_fixtureinfo", None)
            if info is not None and not info.name2fixturedefs.get("live_servers"):
                missing.append(item)
    if missing:
        config.hook.pytest_deselected(items=missing)
        items[:] = [item for item in items if item not in missing]


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so browser tests must run, not skip)", pytrace=False)
    pytest.skip(reason)


def load_serve_demo():
    spec = importlib.util.spec_from_file_location("serve_demo", ROOT / "scripts" / "serve_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if not path:
        _unavailable("Chromium not found: install it with `apt-get install -y chromium` to run the browser tests")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is in requirements.lock
        _unavailable("Python Playwright is not installed in this environment")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageSession:
    """A page plus what it reported: dialogs (dismissed), uncaught errors and console messages."""

    def __init__(self, context, page):
        self.context = context
        self.page = page
        self.dialogs: List[str] = []
        self.page_errors: List[str] = []
        self.console: List[str] = []
        page.on("dialog", self._on_dialog)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))

    def _on_dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def csp_violations(self) -> List[str]:
        return [line for line in self.console if "Content Security Policy" in line or "Trusted Type" in line]


@pytest.fixture
def new_page(browser):
    """new_page(url=None, viewport=DESKTOP, bypass_csp=False) -> PageSession; contexts close after the test."""
    contexts = []

    def make(url: Optional[str] = None, viewport: Dict[str, int] = DESKTOP, bypass_csp: bool = False) -> PageSession:
        context = browser.new_context(viewport=viewport, bypass_csp=bypass_csp, reduced_motion="reduce")
        context.set_default_timeout(10_000)
        contexts.append(context)
        session = PageSession(context, context.new_page())
        if url:
            session.page.goto(url)
        return session

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def axe_source() -> Path:
    if not AXE_JS.exists():
        _unavailable("axe-core is not installed: run `npm ci --prefix tests/browser`")
    return AXE_JS


# ---------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


Responder = Callable[[str, str], Any]


class StubRasa:
    """Answers POST /webhooks/rest/webhook like Rasa's REST channel, with scripted replies.

    `replies[message]` is a list of bot messages (or a callable (sender, message) -> list); other messages
    get `default(sender, message)`, an echo unless a test sets it. Every request is recorded.
    """

    def __init__(self, port: int = 0):
        self.replies: Dict[str, Any] = {}
        self.default: Responder = lambda sender, message: [{"recipient_id": sender, "text": f"Echo: {message}"}]
        self.requests: List[Dict[str, Any]] = []
        self.status = 200
        self.statuses: List[int] = []  # the next requests' statuses, one each, before `status` again
        self.delay = 0.0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _cors(self):
                self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin") or "*")
                self.send_header("Vary", "Origin")

            def do_OPTIONS(self):  # noqa: N802
                self.send_response(204)
                self._cors()
                self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
                self.send_header("Access-Control-Allow-Headers", "Content-Type, X-Request-ID")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path != "/webhooks/rest/webhook":
                    self.send_response(404)
                    self.end_headers()
                    return
                body = json.loads(raw or b"{}")
                sender, message = body.get("sender"), body.get("message")
                stub.requests.append(
                    {
                        "sender": sender,
                        "message": message,
                        "origin": self.headers.get("Origin"),
                        "request_id": self.headers.get("X-Request-ID"),
                    }
                )
                if stub.delay:
                    time.sleep(stub.delay)
                status = stub.statuses.pop(0) if stub.statuses else stub.status
                if status != 200:
                    payload = json.dumps({"error": "stub failure"}).encode()
                    self.send_response(status)
                else:
                    reply = stub.replies.get(message, stub.default)
                    if callable(reply):
                        reply = reply(sender, message)
                    payload = json.dumps(reply).encode()
                    self.send_response(200)
                self._cors()
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, name="stub-rasa", daemon=True
        )
        self.thread.start()

    def messages(self) -> List[str]:
        return [r["message"] for r in self.requests]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub_rasa():
    stub = StubRasa()
    yield stub
    stub.stop()


@pytest.fixture
def start_stub_rasa():
    """start_stub_rasa(port) -> StubRasa on a given port (for "the server comes back" tests)."""
    started = []

    def start(port: int = 0) -> StubRasa:
        stub = StubRasa(port)
        started.append(stub)
        return stub

    yield start
    for stub in started:
        stub.stop()


@pytest.fixture
def demo():
    """demo(rasa_url, host="127.0.0.1", port=0) -> base URL of the demo page (scripts/serve_demo.py)."""
    serve_demo = load_serve_demo()
    servers = []

    def start(rasa_url: str, host: str = "127.0.0.1", port: int = 0, url_host: str = "127.0.0.1") -> str:
        server = serve_demo.start_in_thread(host=host, port=port, rasa_url=rasa_url, quiet=True)
        servers.append(server)
        return f"http://{url_host}:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- driving the widget


class Widget:
    """Drives the widget on a page through what a user sees and does."""

    def __init__(self, page):
        from playwright.sync_api import expect

        self.page = page
        self.expect = expect
        self.root = page.locator(".pfw-root")
        self.launcher = page.locator(".pfw-launcher")
        self.panel = page.locator(".pfw-panel")
        self.log = page.locator(".pfw-log")
        self.input = page.get_by_label("Your question")
        self.typing = page.locator(".pfw-typing")
        self.error = page.locator(".pfw-error")

    def wait_ready(self):
        self.expect(self.launcher).to_be_visible()

    def open(self):
        self.wait_ready()
        if self.launcher.get_attribute("aria-expanded") != "true":
            self.launcher.click()
        self.expect(self.panel).to_be_visible()

    def bot_messages(self):
        return self.log.locator(".pfw-msg--bot")

    def user_messages(self):
        return self.log.locator(".pfw-msg--user")

    def ask(self, text: str, wait: bool = True):
        count = self.bot_messages().count()
        self.input.fill(text)
        self.input.press("Enter")
        if wait:
            self.wait_for_reply(count)

    def wait_for_reply(self, previous_count: int, timeout: float = 10_000):
        self.expect(self.bot_messages().nth(previous_count)).to_be_attached(timeout=timeout)
        self.expect(self.typing).to_be_hidden(timeout=timeout)

    def last_bot(self):
        return self.bot_messages().last


@pytest.fixture
def widget_for():
    return Widget


# ---------------------------------------------------------------- bot replies shaped like the real bot's

DISCLAIMER = (
    "This assistant shares general education from one Hinge Health article. It is not medical advice and "
    "cannot assess your symptoms; for advice about your own health, talk to a doctor or physical therapist."
)


def answer_reply(
    sender: str,
    question: str,
    passage: str,
    citations: List[Dict[str, str]],
    suggestions: List[Dict[str, str]],
    topic: str = "topic",
    disclaimer: str = DISCLAIMER,
) -> List[Dict[str, Any]]:
    """What Rasa's REST channel returns for the bot's answer: text + buttons, then the custom payload."""
    source_lines = [f"• {c['label']}. {c['url']}" for c in citations]
    text = "\n".join([passage, "Sources:", *source_lines, disclaimer])
    return [
        {"recipient_id": sender, "text": text, "buttons": suggestions},
        {
            "recipient_id": sender,
            "custom": {
                "type": "answer",
                "topic": topic,
                "question": question,
                "lead": None,
                "passage": passage,
                "citations": citations,
                "disclaimer": disclaimer,
                "suggestions": suggestions,
            },
        },
    ]


@pytest.fixture
def make_answer():
    return answer_reply
