"""The chat widget in a real browser against a stub Rasa REST server (no Rasa needed).

Covers: XSS payloads from the bot and from the user stay inert text; sources are real, safe links;
quick replies; keyboard use and ARIA; a 375 px phone screen; server down -> error + Retry; history
after reload; urgent-care styling; the demo page's CSP; an axe-core scan; screenshots in test-artifacts/.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.harness.axe import axe_violations

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


DOI_WITH_PARENS = "https://doi.org/10.1016/S0140-6736(20)30183-5"
DOI_SICI = "https://doi.org/10.1002/(SICI)1097-4571(199806)49:8%3C693::AID-ASI4%3E3.0.CO;2-0"

# Each payload, if it ever ran, would set window.__xss or open a dialog.
XSS_PAYLOADS = [
    "<img src=x onerror=\"window.__xss='img'\">",
    "<script>window.__xss='script'</script>",
    '"><svg onload="window.__xss=\'svg\'">',
    "'><svg/onload=alert('svg2')>",
    "<iframe src=\"javascript:parent.__xss='iframe'\"></iframe>",
    "javascript:window.__xss='bare-js-url'",
    "[click me](javascript:window.__xss='markdown')",
    "<a href=\"javascript:window.__xss='anchor'\">click me</a>",
    "<a href=\"jAvAsCrIpT&colon;window.__xss='entity'\">x</a>",
    "<body onload=\"window.__xss='body'\">",
    "<details open ontoggle=\"window.__xss='details'\"><summary>x</summary></details>",
    "<input autofocus onfocus=\"window.__xss='input'\">",
    "<video><source onerror=\"window.__xss='video'\"></video>",
    "<object data=\"javascript:window.__xss='object'\"></object>",
    "<embed src=\"javascript:window.__xss='embed'\">",
    "<math><mtext><table><mglyph><style><img src=x onerror=\"window.__xss='mxss'\">",
    "<svg><script>window.__xss='svg-script'</script></svg>",
    "<form><button formaction=\"javascript:window.__xss='form'\">go</button></form>",
    '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=\'meta\'">',
    "<base href=\"javascript:window.__xss='base'//\">",
    "<marquee onstart=\"window.__xss='marquee'\">x</marquee>",
    "<div style=\"background:url(javascript:window.__xss='css')\">x</div>",
    "{{constructor.constructor('window.__xss=\"template\"')()}}",
    "${window.__xss='template-literal'}",
    "data:text/html,<script>window.__xss='data'</script>",
    'https://example.org/"><img src=x onerror="window.__xss=\'in-url\'">',
    '<img src="https://example.org/x.png" onload="window.__xss=\'onload\'">',
    "&lt;img src=x onerror=window.__xss='entity-escaped'&gt;",
    "<noscript><p title=\"</noscript><img src=x onerror=window.__xss='noscript'>\">",
    "\u003cimg src=x onerror=alert('unicode')\u003e",
]
assert len(XSS_PAYLOADS) >= 20

DANGEROUS_URLS = [
    "javascript:window.__xss='citation'",
    " javascript:alert('citation-space')",
    "JaVaScRiPt:alert('citation-case')",
    "java\tscript:alert('citation-tab')",
    "data:text/html,<script>alert('citation-data')</script>",
    "vbscript:msgbox('x')",
    "//evil.example/protocol-relative",
    "/relative/path",
    "https://user:pass@evil.example/credentials",
]

UNSAFE_ELEMENTS = "img, script, svg:not(.pfw-icon), iframe, object, embed, style, video, audio, source, details, math, marquee, base, meta, link, noscript, form:not(.pfw-form), input:not(.pfw-input), textarea, select"


def xss_bot_reply(sender, message):
    """A reply that puts the payloads everywhere the bot can put text: text, buttons, answer, safety."""
    replies = []
    for payload in XSS_PAYLOADS:
        replies.append({"recipient_id": sender, "text": f"Bot says: {payload}"})
    replies.append(
        {
            "recipient_id": sender,
            "text": "Buttons with payloads",
            "buttons": [{"title": p, "payload": p} for p in XSS_PAYLOADS[:6]]
            + [{"title": "Run this", "payload": "javascript:window.__xss='button-payload'"}],
        }
    )
    citations = [{"label": f"Label {p}", "url": u} for p, u in zip(XSS_PAYLOADS, DANGEROUS_URLS)]
    citations += [
        {"label": "Lancet (parentheses in DOI)", "url": DOI_WITH_PARENS},
        {"label": "SICI DOI", "url": DOI_SICI},
        {"label": XSS_PAYLOADS[2], "url": 'https://example.org/?q="><svg onload=alert(1)>'},
    ]
    passage = "\n".join(XSS_PAYLOADS[:10]) + f"\nRead more at javascript:alert('passage') or {DOI_WITH_PARENS}."
    replies.append(
        {
            "recipient_id": sender,
            "custom": {
                "type": "answer",
                "topic": "<b>x</b>",
                "question": XSS_PAYLOADS[0],
                "lead": XSS_PAYLOADS[1],
                "passage": passage,
                "citations": citations,
                "disclaimer": XSS_PAYLOADS[3],
                "suggestions": [{"title": XSS_PAYLOADS[4], "payload": "javascript:alert('suggestion')"}],
            },
        }
    )
    replies.append({"recipient_id": sender, "text": f"Safety {XSS_PAYLOADS[5]}"})
    replies.append({"recipient_id": sender, "custom": {"type": "safety", "level": "<img src=x onerror=alert(1)>"}})
    replies.append({"recipient_id": sender, "custom": {"type": "<script>alert(1)</script>", "html": XSS_PAYLOADS[0]}})
    replies.append({"recipient_id": sender, "image": "javascript:alert('image')"})
    return replies


def assert_inert(session, widget):
    page = session.page
    page.wait_for_timeout(300)  # give any injected handler (onerror, onload, autofocus) time to fire
    assert page.evaluate("() => window.__xss") is None, "an XSS payload executed"
    assert session.dialogs == [], f"a payload opened a dialog: {session.dialogs}"
    assert session.page_errors == [], f"page errors: {session.page_errors}"
    unsafe = widget.root.locator(UNSAFE_ELEMENTS)
    assert unsafe.count() == 0, (
        f"unexpected elements in the widget: {unsafe.evaluate_all('n => n.map(e => e.outerHTML)')}"
    )
    links = widget.root.locator("a").evaluate_all(
        "links => links.map(a => ({href: a.getAttribute('href'), protocol: a.protocol, rel: a.rel, target: a.target}))"
    )
    for link in links:
        assert link["protocol"] in ("https:", "http:"), link
        assert "noopener" in link["rel"] and "noreferrer" in link["rel"], link
        assert link["target"] == "_blank", link
    # No element anywhere in the widget carries an event-handler attribute or inline style attribute.
    handlers = widget.root.evaluate(
        """root => [root, ...root.querySelectorAll('*')].flatMap(e => [...e.attributes]
             .filter(a => a.name.startsWith('on') || a.name === 'style' || a.name === 'srcdoc'
                          || /^\\s*(javascript|data|vbscript):/i.test(a.value))
             .map(a => e.tagName + ' ' + a.name + '=' + a.value))"""
    )
    # The root's own style attribute is set by the widget (CSS custom properties), never from data.
    assert [h for h in handlers if not h.startswith("DIV style=--pfw")] == [], handlers
    return links


@pytest.mark.parametrize("enforce_csp", [True, False], ids=["with-csp", "csp-bypassed"])
def test_bot_xss_payloads_stay_text(stub_rasa, demo, new_page, widget_for, enforce_csp):
    """With the CSP bypassed too, so a rendering bug could not hide behind the page's policy."""
    stub_rasa.replies["show me"] = xss_bot_reply
    session = new_page(demo(stub_rasa.url), bypass_csp=not enforce_csp)
    widget = widget_for(session.page)
    widget.open()
    widget.ask("show me")
    expect(widget.log).to_contain_text("Bot says: <img src=x onerror=")
    expect(widget.log).to_contain_text("Bot says: <script>window.__xss='script'</script>")
    links = assert_inert(session, widget)

    hrefs = [link["href"] for link in links]
    assert DOI_WITH_PARENS in hrefs, hrefs  # citation link with parentheses, intact
    assert hrefs.count(DOI_WITH_PARENS) >= 2  # and linkified from the passage text, without the final "."
    assert DOI_SICI in hrefs
    assert not any("evil.example" in h or h.startswith("/") for h in hrefs), hrefs
    # Dangerous citation URLs fall back to their label as plain text.
    expect(widget.log).to_contain_text("Label <img src=x onerror=")
    expect(widget.log).to_contain_text("javascript:alert('passage')")

    # The javascript: button payload is only sent back to the server as text.
    widget.log.get_by_role("button", name="Run this").click()
    expect(widget.user_messages().last).to_contain_text("Run this")
    widget.wait_for_reply(widget.bot_messages().count() - 1)
    assert stub_rasa.messages()[-1] == "javascript:window.__xss='button-payload'"
    assert_inert(session, widget)

    # The transcript comes back from localStorage after a reload: still inert.
    session.page.reload()
    widget.open()
    expect(widget.log).to_contain_text("Bot says: <svg><script>")
    assert_inert(session, widget)
    if enforce_csp:
        assert session.csp_violations() == [], session.csp_violations()


def test_user_xss_payloads_stay_text(stub_rasa, demo, new_page, widget_for):
    session = new_page(demo(stub_rasa.url), bypass_csp=True)
    widget = widget_for(session.page)
    widget.open()
    for payload in XSS_PAYLOADS:
        widget.ask(payload)
    assert stub_rasa.messages() == [p.strip() for p in XSS_PAYLOADS]
    bubbles = (
        widget.user_messages().locator(".pfw-bubble").evaluate_all("nodes => nodes.map(n => n.lastChild.textContent)")
    )
    assert bubbles == [p.strip() for p in XSS_PAYLOADS]
    assert_inert(session, widget)


def test_answer_shows_sources_as_links_and_skips_the_text_twin(stub_rasa, demo, new_page, widget_for, make_answer):
    citations = [
        {
            "label": "Hinge Health: Can Anxiety Cause Back Pain?",
            "url": "https://www.hingehealth.com/resources/articles/can-anxiety-cause-back-pain/",
        },
        {
            "label": "Demyttenaere et al. (2007). Mental disorders among persons with chronic back or neck pain",
            "url": "https://doi.org/10.1016/j.pain.2007.01.022",
        },
        {"label": "Parentheses (2020)", "url": DOI_WITH_PARENS},
    ]
    suggestions = [
        {"title": "Does yoga help?", "payload": "/faq_yoga"},
        {"title": "Can physical therapy help?", "payload": "/faq_physical_therapy"},
    ]
    stub_rasa.replies["anxiety?"] = lambda s, m: make_answer(
        s,
        "Can anxiety cause back pain?",
        "The answer is yes.\n• Muscle tension.\n• Inactivity.",
        citations,
        suggestions,
    )
    stub_rasa.replies["/faq_yoga"] = lambda s, m: make_answer(
        s, "Does yoga help?", "Yoga encourages you to focus on your breathing.", citations[:1], []
    )
    session = new_page(demo(stub_rasa.url))
    widget = widget_for(session.page)
    widget.open()
    widget.ask("anxiety?")

    answer = widget.last_bot()
    expect(widget.bot_messages()).to_have_count(2)  # greeting + one answer: the plain-text twin is skipped
    expect(answer.locator(".pfw-answer-question")).to_have_text("Can anxiety cause back pain?")
    expect(answer.locator("li")).to_contain_text(["Muscle tension.", "Inactivity."])
    for citation in citations:
        link = answer.get_by_role("link", name=re.compile(re.escape(citation["label"])))
        expect(link).to_have_attribute("href", citation["url"])
        expect(link).to_have_attribute("rel", "noopener noreferrer")
        expect(link).to_have_attribute("target", "_blank")
    expect(answer).to_contain_text("not medical advice")

    # Quick reply: payload sent, title shown as the user's bubble, the group disabled afterwards.
    group = answer.get_by_role("group", name="Suggested questions")
    group.get_by_role("button", name="Does yoga help?").click()
    widget.wait_for_reply(2)
    assert stub_rasa.messages()[-1] == "/faq_yoga"
    expect(widget.user_messages().last).to_have_text(re.compile(r"Does yoga help\?$"))
    for button in group.get_by_role("button").all():
        expect(button).to_be_disabled()
    expect(widget.last_bot()).to_contain_text("Yoga encourages you")
    assert session.csp_violations() == []


def test_urgent_care_reply_stands_out(stub_rasa, demo, new_page, widget_for):
    stub_rasa.replies["numb legs and I can't control my bladder"] = lambda s, m: [
        {"recipient_id": s, "text": "These symptoms need urgent care. Call your local emergency number now."},
        {"recipient_id": s, "custom": {"type": "safety", "level": "emergency"}},
    ]
    stub_rasa.replies["I want to end it all"] = lambda s, m: [
        {
            "recipient_id": s,
            "text": "I'm really sorry you're feeling this way. Please reach out to a crisis line now, e.g. https://988lifeline.org.",
        },
        {"recipient_id": s, "custom": {"type": "safety", "level": "crisis"}},
    ]
    session = new_page(demo(stub_rasa.url))
    widget = widget_for(session.page)
    widget.open()
    widget.ask("numb legs and I can't control my bladder")
    alert = widget.log.get_by_role("alert")
    expect(alert).to_contain_text("urgent care")
    expect(alert).to_contain_text("Urgent: get help now")
    expect(widget.last_bot()).to_have_class(re.compile(r"pfw-msg--safety.*pfw-level-emergency"))
    border = widget.last_bot().locator(".pfw-bubble").evaluate("n => getComputedStyle(n).borderLeftWidth")
    assert float(border.rstrip("px")) >= 4
    widget.ask("I want to end it all")
    expect(widget.last_bot()).to_have_class(re.compile("pfw-level-crisis"))
    expect(widget.last_bot().get_by_role("link")).to_have_attribute("href", "https://988lifeline.org/")


def test_warning_sign_checklist_has_its_own_label_and_tone(stub_rasa, demo, new_page, widget_for):
    stub_rasa.replies["my bladder and bowels are normal"] = lambda s, m: [
        {"recipient_id": s, "text": "Some back pain needs a doctor quickly, so please check these warning signs."},
        {"recipient_id": s, "custom": {"type": "safety", "level": "check"}},
    ]
    session = new_page(demo(stub_rasa.url))
    widget = widget_for(session.page)
    widget.open()
    widget.ask("my bladder and bowels are normal")
    expect(widget.last_bot()).to_have_class(re.compile(r"pfw-msg--safety.*pfw-level-check"))
    expect(widget.log.get_by_role("alert")).to_contain_text("Please check these warning signs")
    background = widget.last_bot().locator(".pfw-bubble").evaluate("n => getComputedStyle(n).backgroundColor")
    assert background == "rgb(255, 243, 226)"  # the same-day tone, not the emergency red


def test_keyboard_and_aria(stub_rasa, demo, new_page, widget_for):
    session = new_page(demo(stub_rasa.url))
    page = session.page
    widget = widget_for(page)
    widget.wait_ready()

    launcher = widget.launcher
    assert launcher.evaluate("n => n.tagName") == "BUTTON"
    expect(launcher).to_have_attribute("aria-expanded", "false")
    panel_id = launcher.get_attribute("aria-controls")
    assert page.locator(f"#{panel_id}").count() == 1

    # Reach the launcher with Tab from the top of the page (skip link and article links come first).
    for _ in range(20):
        page.keyboard.press("Tab")
        if launcher.evaluate("n => n === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the launcher")
    outline = launcher.evaluate("n => [getComputedStyle(n).outlineStyle, getComputedStyle(n).outlineWidth]")
    assert outline[0] != "none" and float(outline[1].rstrip("px")) >= 2, outline

    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(widget.input).to_be_focused()

    log = widget.log
    expect(log).to_have_attribute("role", "log")
    expect(log).to_have_attribute("aria-live", "polite")
    assert widget.input.evaluate("n => n.labels.length") == 1
    expect(widget.panel).to_have_attribute("role", "dialog")
    expect(page.get_by_role("dialog", name="Anxiety & back pain questions")).to_be_visible()
    expect(widget.panel.locator(".pfw-disclaimer")).to_contain_text("not medical advice")

    page.keyboard.type("hello there")
    page.keyboard.press("Enter")
    expect(widget.user_messages().last).to_contain_text("hello there")
    expect(widget.last_bot()).to_contain_text("Echo: hello there")
    expect(widget.input).to_have_value("")

    # Every control shows a visible focus indicator when reached by keyboard.
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        style = page.evaluate(
            "() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " return [e.className, s.outlineStyle, s.outlineWidth, e.closest('.pfw-root') !== null]; }"
        )
        if not style[3]:
            break
        assert style[1] != "none" and float(style[2].rstrip("px")) >= 2, style

    widget.input.focus()
    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(launcher).to_be_focused()

    # Enter on the launcher opens again; Escape from a quick-reply button also returns to the launcher.
    page.keyboard.press("Enter")
    expect(widget.input).to_be_focused()
    widget.log.get_by_role("button").first.focus()
    page.keyboard.press("Escape")
    expect(launcher).to_be_focused()


def test_a_long_story_reaches_the_server_whole(stub_rasa, demo, new_page, widget_for):
    """Real people paste a long story that asks last: the field must not cut the question off (it once stopped at 500)."""
    widget = widget_for(new_page(demo(stub_rasa.url)).page)
    widget.open()
    story = "I sit at a desk all day and the deadlines never stop. " * 60 + "Can stress cause back pain?"
    assert len(story) > 3000
    widget.ask(story)
    expect(widget.last_bot()).to_contain_text("Can stress cause back pain?")
    assert stub_rasa.requests[-1]["message"] == story


def test_phone_width_fits_without_horizontal_scroll(stub_rasa, demo, new_page, widget_for, make_answer):
    long_url = "https://doi.org/10.1000/" + "x" * 150
    stub_rasa.replies["long"] = lambda s, m: make_answer(
        s,
        "A long question " * 5,
        "W" * 120 + " " + long_url,
        [{"label": "A very long label " * 6, "url": long_url}],
        [{"title": "A very long suggestion title that should wrap on a phone " * 2, "payload": "/x"}],
    )
    session = new_page(demo(stub_rasa.url), viewport=PHONE)
    page = session.page
    widget = widget_for(page)
    widget.open()
    widget.ask("long")
    widget.ask("x" * 300)
    sizes = page.evaluate(
        """() => ({doc: document.documentElement.scrollWidth, body: document.body.scrollWidth,
                  log: [document.querySelector('.pfw-log').scrollWidth, document.querySelector('.pfw-log').clientWidth]})"""
    )
    assert sizes["doc"] <= PHONE["width"] and sizes["body"] <= PHONE["width"], sizes
    assert sizes["log"][0] <= sizes["log"][1], sizes
    box = widget.panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    for locator in (
        widget.input,
        page.locator(".pfw-send"),
        page.locator(".pfw-close"),
        page.locator(".pfw-disclaimer"),
    ):
        b = locator.bounding_box()
        assert b and b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"], (locator, b)
    expect(page.locator(".pfw-disclaimer")).to_be_in_viewport()
    # The panel covers the page on a phone, so Tab stays inside it (in both directions).
    widget.input.focus()
    for key in ["Tab"] * 25 + ["Shift+Tab"] * 25:
        page.keyboard.press(key)
        assert page.evaluate("() => !!document.activeElement.closest('.pfw-panel')"), key
    widget.input.focus()
    page.keyboard.press("Escape")
    expect(widget.launcher).to_be_in_viewport()


def test_server_down_shows_error_and_retry_recovers(demo, new_page, widget_for, start_stub_rasa):
    port = free_port()  # nothing listens here yet
    session = new_page(demo(f"http://127.0.0.1:{port}"))
    widget = widget_for(session.page)
    widget.open()
    widget.ask("can anxiety cause back pain?", wait=False)
    expect(widget.typing).to_be_visible()  # sending again for a while (retryForMs, 12 s), then the error
    expect(widget.error).to_be_visible(timeout=25000)
    expect(widget.error).to_have_attribute("role", "alert")
    expect(widget.error).to_contain_text("Can't reach the assistant")
    expect(widget.typing).to_be_hidden()
    expect(widget.user_messages().last).to_contain_text("can anxiety cause back pain?")

    stub = start_stub_rasa(port)  # the server comes back
    widget.error.get_by_role("button", name="Retry").click()
    expect(widget.last_bot()).to_contain_text("Echo: can anxiety cause back pain?")
    expect(widget.error).to_be_hidden()
    assert stub.messages() == ["can anxiety cause back pain?"]
    expect(widget.user_messages()).to_have_count(1)  # the retry did not repeat the user's bubble

    stub.status = 500  # an error of the assistant's own: shown at once, not sent again
    widget.ask("again", wait=False)
    expect(widget.error).to_contain_text("error 500")
    stub.status = 200
    widget.error.get_by_role("button", name="Retry").click()
    expect(widget.last_bot()).to_contain_text("Echo: again")


def test_a_message_is_sent_again_with_the_same_id_while_the_server_restarts(stub_rasa, demo, new_page, widget_for):
    """A restarting server (503 from the channel, 502/504 from a proxy) is not an error for the user: the widget
    sends the message again with the same X-Request-ID, so the assistant answers it once."""
    stub_rasa.statuses = [503, 502]
    session = new_page(demo(stub_rasa.url))
    widget = widget_for(session.page)
    widget.open()
    widget.ask("does yoga help?", wait=False)
    expect(widget.last_bot()).to_contain_text("Echo: does yoga help?", timeout=10000)
    expect(widget.error).to_be_hidden()
    ids = [r["request_id"] for r in stub_rasa.requests]
    assert len(ids) == 3 and len(set(ids)) == 1 and len(ids[0]) == 32, ids
    widget.ask("and breathing?")
    assert stub_rasa.requests[-1]["request_id"] not in ids  # a new message, a new id


def test_typing_indicator_while_waiting(stub_rasa, demo, new_page, widget_for):
    stub_rasa.delay = 1.0
    session = new_page(demo(stub_rasa.url))
    widget = widget_for(session.page)
    widget.open()
    widget.ask("slow", wait=False)
    expect(widget.typing).to_be_visible()
    expect(widget.typing).to_have_attribute("role", "status")
    expect(widget.last_bot()).to_contain_text("Echo: slow", timeout=5000)
    expect(widget.typing).to_be_hidden()


def test_reload_keeps_history_and_session(stub_rasa, demo, new_page, widget_for, make_answer):
    stub_rasa.replies["first"] = lambda s, m: make_answer(
        s,
        "Q",
        "An answer.",
        [{"label": "Source", "url": "https://doi.org/10.1/x"}],
        [{"title": "Does yoga help?", "payload": "/faq_yoga"}],
    )
    session = new_page(demo(stub_rasa.url))
    page = session.page
    widget = widget_for(page)
    widget.open()
    widget.ask("first")
    widget.last_bot().get_by_role("button", name="Does yoga help?").click()
    widget.wait_for_reply(2)
    before = widget.log.inner_text()

    page.reload()
    widget = widget_for(page)
    expect(widget.panel).to_be_visible()  # it was open: it opens again, with the conversation
    expect(widget.launcher).to_have_attribute("aria-expanded", "true")
    assert widget.log.inner_text() == before
    expect(widget.log.get_by_role("button", name="Does yoga help?")).to_be_disabled()
    widget.ask("second")

    senders = {r["sender"] for r in stub_rasa.requests}
    assert len(senders) == 1, senders
    sender = senders.pop()
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", sender), sender
    stored = json.loads(
        page.evaluate("() => Object.entries(localStorage).find(([k]) => k.startsWith('painfaq-widget'))[1]")
    )
    assert stored["senderId"] == sender

    # A second tab of the same browser shows the same conversation, live.
    tab = session.context.new_page()
    tab.goto(page.url)
    second = widget_for(tab)
    expect(second.log).to_contain_text("second")
    widget.ask("from the first tab")
    expect(second.log).to_contain_text("Echo: from the first tab")
    tab.close()

    # A different browser profile gets a different random id.
    other = widget_for(new_page(page.url).page)
    other.open()
    other.ask("hi")
    assert stub_rasa.requests[-1]["sender"] != sender

    # "Start over" clears the transcript and starts a new session id.
    widget.panel.get_by_role("button", name=re.compile("Start over")).click()
    expect(widget.user_messages()).to_have_count(0)
    widget.ask("fresh")
    assert stub_rasa.requests[-1]["sender"] not in (sender, stub_rasa.requests[-2]["sender"])


def test_demo_page_sends_a_strict_csp(stub_rasa, demo, new_page, widget_for):
    base = demo(stub_rasa.url)
    session = new_page()
    response = session.page.goto(base)
    policy = response.headers["content-security-policy"]
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == f"{stub_rasa.url}/webhooks/rest/webhook"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    meta = session.page.locator('meta[http-equiv="Content-Security-Policy"]').get_attribute("content")
    assert f"connect-src {stub_rasa.url}/webhooks/rest/webhook" in meta and "unsafe" not in meta
    assert session.page.locator("script:not([src])").count() == 0  # no inline scripts on the page
    assert response.headers["x-content-type-options"] == "nosniff"

    # The page works under that policy without a single violation report.
    widget = widget_for(session.page)
    widget.open()
    widget.ask("hello")
    assert session.csp_violations() == [], session.csp_violations()
    # And the policy really is enforced: Trusted Types turn HTML strings and inline scripts into errors.
    outcome = session.page.evaluate(
        """() => { const out = [];
             try { document.body.insertAdjacentHTML('beforeend', '<img src=x onerror="window.__xss=1">');
                   out.push('html accepted'); } catch (e) { out.push('html blocked'); }
             try { const s = document.createElement('script'); s.textContent = 'window.__xss=2';
                   document.head.appendChild(s); out.push('script added'); } catch (e) { out.push('script blocked'); }
             return out; }"""
    )
    assert outcome == ["html blocked", "script blocked"]
    session.page.wait_for_timeout(200)
    assert session.page.evaluate("() => window.__xss") is None


def test_one_script_tag_embeds_the_widget(stub_rasa, demo, new_page, widget_for, tmp_path):
    """A host page on another origin with nothing but one <script> tag gets a working, themed widget."""
    base = demo(stub_rasa.url)
    (tmp_path / "host.html").write_text(
        "<!doctype html><html lang='en'><head><title>Host</title></head><body><h1>Someone else's page</h1>"
        f"<script src='{base}widget.js' data-server-url='{stub_rasa.url}' data-title='Custom title'"
        " data-primary-color='#6a1b9a' data-launcher-label='Chat with us'></script></body></html>",
        encoding="utf-8",
    )

    class HostPage(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *args):
            pass

    host = ThreadingHTTPServer(("127.0.0.1", 0), HostPage)
    threading.Thread(target=host.serve_forever, daemon=True).start()
    session = new_page(f"http://127.0.0.1:{host.server_address[1]}/host.html")
    page = session.page
    widget = widget_for(page)
    expect(widget.launcher).to_contain_text("Chat with us")
    expect(page.locator("link[data-pfw-stylesheet]")).to_have_count(1)  # widget.css loaded by the script
    assert widget.launcher.evaluate("n => getComputedStyle(n).backgroundColor") == "rgb(106, 27, 154)"
    widget.open()
    expect(page.get_by_role("dialog", name="Custom title")).to_be_visible()
    widget.ask("embedded")
    expect(widget.last_bot()).to_contain_text("Echo: embedded")
    host.shutdown()
    host.server_close()


def _conversation(stub_rasa, make_answer):
    """A realistic exchange for the axe scan and the screenshots."""
    citations = [
        {
            "label": "Hinge Health: Can Anxiety Cause Back Pain? The Truth About the Mind-Body Connection",
            "url": "https://www.hingehealth.com/resources/articles/can-anxiety-cause-back-pain/",
        },
        {
            "label": "Demyttenaere et al. (2007). Mental disorders among persons with chronic back or neck pain: Results from the world mental health surveys. PAIN",
            "url": "https://doi.org/10.1016/j.pain.2007.01.022",
        },
        {
            "label": "Aquin et al. (2017). Anxiety Disorders and General Medical Conditions: Current Research and Future Directions. Focus (American Psychiatric Publishing)",
            "url": "https://doi.org/10.1176/appi.focus.20160044",
        },
    ]
    passage = (
        "Can anxiety cause back pain? The answer is yes. Research suggests a strong association between the two: "
        "One study found that people with chronic back or neck pain were almost twice as likely to have anxiety as "
        "those who didn’t have any discomfort."
    )
    suggestions = [
        {"title": "How does anxiety lead to back pain?", "payload": "/faq_how_anxiety_causes_back_pain"},
        {"title": "How can I relieve back pain caused by anxiety?", "payload": "/faq_relief_overview"},
        {"title": "How can I tell if my back pain is related to anxiety?", "payload": "/faq_signs"},
    ]
    stub_rasa.replies["can anxiety cause back pain?"] = lambda s, m: make_answer(
        s, "Can anxiety cause back pain?", passage, citations, suggestions
    )
    stub_rasa.replies["sudden numbness in my legs"] = lambda s, m: [
        {
            "recipient_id": s,
            "text": "Sudden numbness in your legs can be a sign of a serious problem. Please call your local emergency number or go to an emergency department now.",
        },
        {"recipient_id": s, "custom": {"type": "safety", "level": "emergency"}},
    ]


def test_axe_finds_no_violations_in_the_open_widget(stub_rasa, demo, new_page, widget_for, make_answer, axe_source):
    _conversation(stub_rasa, make_answer)
    base = demo(stub_rasa.url)
    for viewport in (DESKTOP, PHONE):
        session = new_page(base, viewport=viewport, bypass_csp=True)  # axe is injected as a script
        page = session.page
        widget = widget_for(page)
        widget.open()
        widget.ask("sudden numbness in my legs")
        widget.ask("can anxiety cause back pain?")
        results = axe_violations(page, axe_source)
        assert results == [], f"axe violations at {viewport['width']}px: {json.dumps(results, indent=1)}"
        # Also with the error state showing (a 500 is shown at once; a 503 would be sent again first).
        stub_rasa.status = 500
        widget.ask("anything", wait=False)
        expect(widget.error).to_be_visible()
        results = page.evaluate(
            "async () => (await axe.run(document.querySelector('.pfw-root'))).violations.map(v => v.id)"
        )
        stub_rasa.status = 200
        assert results == [], results


def test_screenshots_of_the_open_widget(stub_rasa, demo, new_page, widget_for, make_answer, artifacts_dir):
    _conversation(stub_rasa, make_answer)
    base = demo(stub_rasa.url)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        session = new_page(base, viewport=viewport)
        widget = widget_for(session.page)
        widget.open()
        widget.ask("can anxiety cause back pain?")
        session.page.evaluate("() => document.activeElement && document.activeElement.blur()")
        path = artifacts_dir / f"widget-{name}.png"
        session.page.screenshot(path=str(path))
        assert path.stat().st_size > 10_000
        widget.ask("sudden numbness in my legs")
        session.page.screenshot(path=str(artifacts_dir / f"widget-{name}-urgent.png"))
