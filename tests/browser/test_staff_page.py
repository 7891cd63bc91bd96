"""The review inbox in Chromium: log in, see grouped messages, label them with the keyboard, undo; hostile
text stays text; axe-core finds no violations."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from painfaq.stores import db
from tests.harness.axe import axe_violations
from tests.harness.staff_seed import STAFF_PASSWORD, XSS, staff_database

PASSWORD = STAFF_PASSWORD


@pytest.fixture
def staff_site(tmp_path, monkeypatch, demo):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv("PAINFAQ_DB_URL", url)
    engine = staff_database(url)
    yield demo("http://127.0.0.1:5005") + "staff/", engine
    db.dispose_engines()


def log_in(page, base):
    page.goto(base)
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#inbox tbody tr").first).to_be_visible()


def test_label_with_the_keyboard_then_undo(staff_site, new_page):
    base, engine = staff_site
    session = new_page()
    page = session.page
    log_in(page, base)
    rows = page.locator("#inbox tbody tr")
    expect(rows).to_have_count(6)
    expect(page.locator("#summary")).to_contain_text("1 messages got a safety reply and are not shown")
    # Most frequent first; the selected row is marked.
    expect(rows.first).to_have_attribute("aria-selected", "true")
    first_text = rows.first.locator("td").nth(1).inner_text()
    page.keyboard.press("o")  # out of scope
    expect(page.locator("#status")).to_contain_text("out of scope")
    expect(rows).to_have_count(5)  # "unlabelled only" is on
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("t")
    expect(page.locator("#topic-picker")).to_be_focused()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(4)
    page.keyboard.press("u")
    expect(page.locator("#status")).to_contain_text("taken back")
    expect(rows).to_have_count(5)
    with engine.connect() as conn:
        labels = conn.execute(sa.select(db.review_labels.c.label, db.review_labels.c.undone_at)).all()
    assert sorted((label, undone is None) for label, undone in labels) == [("out_of_scope", True), ("topic", False)]
    assert first_text not in [rows.nth(i).locator("td").nth(1).inner_text() for i in range(5)]
    assert session.page_errors == [] and session.csp_violations() == []


def test_open_a_group_and_label_one_message_with_the_keyboard(staff_site, new_page):
    base, engine = staff_site
    session = new_page()
    page = session.page
    log_in(page, base)
    rows = page.locator("#inbox tbody tr")
    expect(rows.first).to_have_attribute("aria-selected", "true")
    group_text = rows.first.locator("td").nth(1).inner_text()
    page.keyboard.press("Enter")  # the first group has two messages
    messages = page.locator("#messages tbody tr")
    expect(messages).to_have_count(2)
    expect(page.locator("#group-title")).to_contain_text("2 messages")
    expect(messages.first).to_be_focused()
    page.keyboard.press("j")
    expect(messages.nth(1)).to_have_attribute("aria-selected", "true")
    second_text = messages.nth(1).locator("td").nth(1).inner_text()
    page.keyboard.press("t")
    page.locator("#topic-picker").select_option(index=2)
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("one message")
    expect(messages.nth(1).locator("td.label")).to_contain_text("one message")
    expect(messages.first.locator("td.label")).to_have_text("")
    expect(rows).to_have_count(6)  # the group itself is still unlabelled
    page.keyboard.press("Escape")
    expect(page.locator("#group-section")).to_be_hidden()
    expect(rows.first).to_be_focused()
    page.keyboard.press("o")  # now the whole group
    expect(rows).to_have_count(5)
    links = sa.Table("painfaq_review_item_labels", sa.MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        labels = conn.execute(
            sa.select(db.review_labels.c.text, db.review_labels.c.label, links.c.item_id).select_from(
                db.review_labels.outerjoin(links, links.c.label_id == db.review_labels.c.id)
            )
        ).all()
    assert sorted((text, label, item is not None) for text, label, item in labels) == sorted(
        [(second_text, "topic", True), (group_text, "out_of_scope", False)]
    )
    assert session.page_errors == [] and session.csp_violations() == []


def test_hostile_text_is_shown_as_text(staff_site, new_page):
    base, _ = staff_site
    session = new_page()
    page = session.page
    log_in(page, base)
    expect(page.get_by_text(XSS, exact=False)).to_be_visible()
    assert page.locator("#inbox img").count() == 0
    assert page.evaluate("document.body.dataset.pwned") is None
    assert session.dialogs == [] and session.page_errors == []


def test_axe_finds_no_violations(staff_site, new_page, axe_source):
    base, _ = staff_site
    session = new_page(bypass_csp=True)  # axe is injected as a script
    page = session.page
    page.goto(base)
    for state in ("login", "inbox", "group"):
        if state == "inbox":
            log_in(page, base)
        if state == "group":
            page.keyboard.press("Enter")
            expect(page.locator("#messages tbody tr").first).to_be_visible()
        results = axe_violations(page, axe_source)
        assert results == [], f"axe violations on the {state} view: {json.dumps(results, indent=1)}"
