"""Checks of the widget's source and the demo server that need no browser (they run everywhere)."""

from __future__ import annotations

import importlib.util
import re
import threading
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WIDGET_JS = ROOT / "web" / "widget.js"


def serve_demo():
    spec = importlib.util.spec_from_file_location("serve_demo_static", ROOT / "scripts" / "serve_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def code_lines():
    """widget.js without its comments."""
    text = re.sub(r"/\*.*?\*/", "", WIDGET_JS.read_text(encoding="utf-8"), flags=re.S)
    return [re.sub(r"(^|\s)//.*$", "", line) for line in text.splitlines()]


@pytest.mark.parametrize(
    "sink",
    [
        r"\.innerHTML",
        r"\.outerHTML",
        r"insertAdjacentHTML",
        r"document\.write",
        r"\beval\s*\(",
        r"new Function",
        r"createContextualFragment",
        r"DOMParser",
        r"setAttribute\(\s*[\"']on",
        r"setAttribute\(\s*[\"']style",
        r"\.srcdoc",
        r"setTimeout\(\s*[\"']",
        r"location\s*=",
    ],
)
def test_widget_uses_no_html_or_code_sinks(sink):
    hits = [line.strip() for line in code_lines() if re.search(sink, line)]
    assert hits == [], f"{sink} in web/widget.js: {hits}"


def test_href_is_only_set_from_checked_urls():
    """Only two `.href =` assignments: makeLink's (callers pass safeHttpUrl results) and the stylesheet's
    (the site's own configuration). A new one needs a look."""
    lines = [line.strip() for line in code_lines() if re.search(r"\.href\s*=(?!=)", line)]
    assert lines == ["a.href = href;", "link.href = href;"], lines


@pytest.mark.parametrize(
    "bad",
    [
        "javascript:alert(1)",
        "http://x/; script-src *",
        "http://x/'unsafe-inline'",
        "ftp://x",
        "http://x/?a=1",
        "http://user:pw@x",
        "http://x/ y",
        "localhost:5005",
        "http://x,http://y",
    ],
)
def test_serve_demo_rejects_unsafe_rasa_urls(bad):
    with pytest.raises(ValueError):
        serve_demo().normalize_rasa_url(bad)


def test_serve_demo_policy_and_config():
    module = serve_demo()
    policy = module.content_security_policy("http://localhost:5005/")
    assert "connect-src http://localhost:5005/webhooks/rest/webhook;" in policy
    assert "unsafe" not in policy and "frame-ancestors 'none'" in policy
    assert "frame-ancestors" not in module.content_security_policy("http://localhost:5005", for_meta=True)
    assert module.config_js("https://bot.example.org").endswith(
        'Object.freeze({"serverUrl": "https://bot.example.org"});\n'
    )
    # The static files match what the server generates for the default URL.
    meta = re.search(
        r'http-equiv="Content-Security-Policy" content="([^"]*)"', (ROOT / "web" / "index.html").read_text()
    )
    assert meta.group(1) == module.content_security_policy(module.DEFAULT_RASA_URL, for_meta=True)
    assert '"http://localhost:5005"' in (ROOT / "web" / "config.js").read_text()


def test_serve_demo_serves_page_with_headers_and_hides_the_rest():
    module = serve_demo()
    server = module.make_server(port=0, rasa_url="http://127.0.0.1:5999", quiet=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with urllib.request.urlopen(base + "/") as response:
            page = response.read().decode()
            assert (
                "connect-src http://127.0.0.1:5999/webhooks/rest/webhook" in response.headers["Content-Security-Policy"]
            )
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "connect-src http://127.0.0.1:5999/webhooks/rest/webhook" in page  # the <meta> policy too
        assert "<script>" not in page and "style=" not in page
        with urllib.request.urlopen(base + "/config.js") as response:
            assert "http://127.0.0.1:5999" in response.read().decode()
            assert response.headers["Content-Type"].startswith("text/javascript")
        for path in ("/README.md/..", "/../scripts/serve_demo.py", "/.git/config", "/nope/"):
            with pytest.raises(urllib.error.HTTPError) as error:
                urllib.request.urlopen(base + path)
            assert error.value.code == 404, path
    finally:
        server.shutdown()
        server.server_close()
