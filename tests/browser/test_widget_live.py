"""The widget against the real Rasa + action servers (the `live_servers` fixture from tests/conftest.py).

Collected only when that fixture exists (see tests/browser/conftest.py). The demo page must be served from
an origin Rasa allows with --cors: `live_servers.demo_origin` if the fixture provides it, else
http://localhost:8080 (the `make run` default).
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import urlsplit

import pytest

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.timeout(120)]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
REPLY_TIMEOUT = 30_000  # ms; the first turn after startup can be slow


@pytest.fixture
def live_page_url(live_servers, demo):
    origin = (
        getattr(live_servers, "demo_origin", None) or os.environ.get("PAINFAQ_DEMO_ORIGIN") or "http://localhost:8080"
    )
    parts = urlsplit(origin)
    try:
        return demo(live_servers.rasa_url, host="127.0.0.1", port=parts.port or 80, url_host=parts.hostname)
    except OSError as error:
        pytest.fail(f"cannot serve the demo page on {origin} (the origin Rasa allows with --cors): {error}")


def ask(widget, text):
    count = widget.bot_messages().count()
    widget.ask(text, wait=False)
    widget.wait_for_reply(count, timeout=REPLY_TIMEOUT)


def test_live_conversation_in_the_browser(live_page_url, new_page, widget_for, artifacts_dir):
    session = new_page(live_page_url, viewport=DESKTOP)
    page = session.page
    widget = widget_for(page)
    widget.open()

    # An article question: an answer with a DOI link and the disclaimer.
    ask(widget, "can anxiety cause back pain?")
    answer = widget.last_bot()
    expect(answer).to_have_class(re.compile("pfw-msg--answer"))
    expect(answer).to_contain_text("The answer is yes")
    doi = answer.locator('a[href^="https://doi.org/"]')
    expect(doi.first).to_be_visible()
    expect(doi.first).to_have_attribute("rel", "noopener noreferrer")
    expect(answer).to_contain_text("not medical advice")
    expect(widget.panel.locator(".pfw-disclaimer")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "widget-live-desktop.png"))

    # A quick reply: its title becomes the user's bubble, the bot answers, the group is disabled.
    # Pin the answer by position: last_bot() is re-evaluated and would point at the next answer.
    pinned_answer = widget.bot_messages().nth(widget.bot_messages().count() - 1)
    group = pinned_answer.get_by_role("group", name="Suggested questions")
    first = group.get_by_role("button").first
    title = first.inner_text()
    answers_before = widget.log.locator(".pfw-msg--answer").count()
    count = widget.bot_messages().count()
    first.click()
    widget.wait_for_reply(count, timeout=REPLY_TIMEOUT)
    expect(widget.user_messages().last).to_contain_text(title)
    expect(widget.log.locator(".pfw-msg--answer")).to_have_count(answers_before + 1)
    for button in group.get_by_role("button").all():
        expect(button).to_be_disabled()

    # Out of scope: a decline with buttons, no article answer.
    ask(widget, "what dose of ibuprofen should I take?")
    decline = widget.last_bot()
    expect(decline).not_to_have_class(re.compile("pfw-msg--answer"))
    expect(decline.locator("a[href*='doi.org']")).to_have_count(0)
    assert decline.get_by_role("group", name="Suggested questions").get_by_role("button").count() >= 1

    # Reload: same conversation, shown again (panel re-opens as it was).
    before = widget.log.inner_text()
    page.reload()
    widget = widget_for(page)
    expect(widget.panel).to_be_visible()
    assert widget.log.inner_text() == before
    ask(widget, "does yoga help?")
    expect(widget.last_bot()).to_have_class(re.compile("pfw-msg--answer"))

    assert session.page_errors == [], session.page_errors
    assert session.csp_violations() == [], session.csp_violations()
    stored = page.evaluate("() => Object.entries(localStorage).filter(([k]) => k.startsWith('painfaq-widget'))")
    assert len(stored) == 1 and json.loads(stored[0][1])["senderId"]


def test_live_phone_width_and_axe(live_page_url, new_page, widget_for, artifacts_dir, axe_source):
    session = new_page(live_page_url, viewport=PHONE, bypass_csp=True)  # bypass only to inject axe-core
    page = session.page
    widget = widget_for(page)
    widget.open()
    # A starter button from the greeting: its payload is an intent the real bot knows.
    count = widget.bot_messages().count()
    widget.log.get_by_role("button", name="Can anxiety cause back pain?").click()
    widget.wait_for_reply(count, timeout=REPLY_TIMEOUT)
    expect(widget.last_bot()).to_have_class(re.compile("pfw-msg--answer"))
    ask(widget, "what dose of ibuprofen should I take?")

    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.screenshot(path=str(artifacts_dir / "widget-live-phone.png"))

    page.add_script_tag(path=str(axe_source))
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"
    )
    assert violations == [], violations
