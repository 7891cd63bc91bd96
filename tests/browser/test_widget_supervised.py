"""The widget against `make run` (scripts/run.sh, supervised, HAProxy in front), with servers killed while a
message is on its way: the person sees the answer, not an error, and the conversation stores each message once.
What an operator checks by hand with `kill -9` while chatting in the widget."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time

import pytest

from painfaq.content.loader import load_content
from tests.harness.supervised import Supervised

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser, pytest.mark.reliability, pytest.mark.timeout(400)]


def first_words(topic: str) -> str:
    return load_content().topics[topic].passage[0].text[:40]


def test_a_message_on_its_way_survives_a_killed_rasa_and_a_killed_proxy(tmp_path, new_page, widget_for):
    run = Supervised(tmp_path / "run", max_restarts=5)
    try:
        assert "proxy" in (run.tmp / "run" / "supervision" / "supervisord.conf").read_text(), "no HAProxy in front"
        session = new_page(f"http://127.0.0.1:{run.web}/")
        widget = widget_for(session.page)
        widget.open()
        count = widget.bot_messages().count()
        widget.ask("does yoga help?", wait=False)
        widget.wait_for_reply(count, timeout=30_000)
        for program, question, topic in (
            ("rasa", "how long does it last?", "how_long"),
            ("proxy", "does breathing help?", "breathing"),
        ):
            actions, victim = run.pid("actions"), run.pid(program)
            os.kill(actions, signal.SIGSTOP)  # the turn stays in progress inside Rasa
            try:
                count = widget.bot_messages().count()
                widget.ask(question, wait=False)
                time.sleep(1.5)
                os.kill(victim, signal.SIGKILL)
            finally:
                os.kill(actions, signal.SIGCONT)
            widget.wait_for_reply(count, timeout=30_000)
            expect(widget.last_bot()).to_contain_text(first_words(topic))
            expect(widget.error).to_be_hidden()
            assert run.pid(program) != victim
        with sqlite3.connect(run.tmp / "tracker.db") as db:
            rows = db.execute("SELECT data FROM events WHERE type_name = 'user' ORDER BY id").fetchall()
        assert [json.loads(row[0])["text"] for row in rows] == [
            "does yoga help?",
            "how long does it last?",
            "does breathing help?",
        ]
    finally:
        run.stop()
