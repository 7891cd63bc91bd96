"""The deflection report: a hand-written database whose numbers are known exactly, a seeded one checked
against what the seeder generated, an empty one, the CLI, privacy (emails, safety texts), no network."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import sqlalchemy as sa

from painfaq.content.loader import load_content
from painfaq.stores import db
from painfaq.support.report import normalise, summarise, write_report
from tests.harness.report_seed import seed

ROOT = Path(__file__).resolve().parents[2]
START, END = date(2026, 3, 1), date(2026, 3, 3)


def ts(day: int, hour: int, minute: int = 0, second: float = 0) -> float:
    return datetime(2026, 3, day, hour, minute, tzinfo=timezone.utc).timestamp() + second


class Tracker:
    """Writes one user's events the way Rasa's SQL tracker store does (only what the report reads matters)."""

    def __init__(self, rows: List[Dict[str, Any]], sender: str, start: float):
        self.rows, self.sender, self.t = rows, sender, start

    def _add(self, type_name: str, data: Dict[str, Any], intent: Optional[str] = None, action: Optional[str] = None):
        self.t += 1
        self.rows.append(
            {
                "sender_id": self.sender,
                "type_name": type_name,
                "timestamp": self.t,
                "intent_name": intent,
                "action_name": action,
                "data": json.dumps({"event": type_name, "timestamp": self.t, **data}),
            }
        )
        return self

    def session(self):
        self._add("action", {"name": "action_session_start"}, action="action_session_start")
        return self._add("session_started", {}).listen()

    def listen(self):
        return self._add("action", {"name": "action_listen"}, action="action_listen")

    def user(self, text: str, intent: str):
        self._add("user", {"text": text, "parse_data": {"intent": {"name": intent}}}, intent=intent)
        return self._add("user_featurization", {})

    def action(self, name: str):
        return self._add("action", {"name": name}, action=name)

    def bot(self, text: str, custom: Optional[Dict[str, Any]] = None):
        return self._add("bot", {"text": text, "data": {"buttons": None, "custom": custom}})

    def answer(self, text: str, topic: str):
        self.user(text, f"faq_{topic}").action("action_answer_faq")
        self.bot(f"(article passage on {topic})", {"type": "answer", "topic": topic})
        return self.bot("Was this helpful?", {"type": "feedback_prompt", "topic": topic}).listen()

    def decline(self, text: str):
        self.user(text, "out_of_scope").action("action_out_of_scope")
        return self.bot("Sorry, I can only answer ...", {"type": "out_of_scope"}).listen()


def known_database(engine) -> None:
    """Nine users; expected numbers in test_report_numbers_on_a_known_database."""
    rows: List[Dict[str, Any]] = []
    # A (day 1): greeting, an answer -> deflected. Rated helpful.
    Tracker(rows, "A", ts(1, 9)).session().user("hi", "greet").action("utter_greet").bot("Hi!").listen().answer(
        "does yoga help?", "yoga"
    )
    # B (day 1): the same question twice, in two spellings -> unresolved; one content gap, counted twice.
    Tracker(rows, "B", ts(1, 10)).session().decline("Can anxiety cause chest pain?").decline(
        "can anxiety cause  CHEST pain"
    )
    # C (day 2): an answer, then a decline that contains an email address -> unresolved.
    Tracker(rows, "C", ts(2, 8)).session().answer("is sleep related?", "sleep").decline(
        "email me at bob@example.com about ibuprofen doses"
    )
    # D (day 2): "did you mean", a button click, an answer -> deflected; the click is not a content gap.
    d = Tracker(rows, "D", ts(2, 9)).session().answer("how long does it last", "how_long")
    d.user("stretching??", "nlu_fallback").action("action_did_you_mean").bot(
        "Did you mean ...", {"type": "did_you_mean"}
    ).listen()
    d.user("/out_of_scope", "out_of_scope").action("action_out_of_scope").bot(
        "Sorry ...", {"type": "out_of_scope"}
    ).listen()
    d.answer("/faq_exercise", "exercise")
    # E (day 2): a red flag -> safety; its text must never appear in the report.
    Tracker(rows, "E", ts(2, 10)).session().user("my legs went numb since this morning", "red_flag").action(
        "action_safety_reply"
    ).bot("Please call 911 now.", {"type": "safety", "level": "emergency"}).listen()
    # F (day 3): declined question, then the hand-off form, submitted with an email -> hand-off.
    f = Tracker(rows, "F", ts(3, 9)).session().decline("can you bill my insurance?")
    f.user("talk to a person", "request_human").action("handoff_form").bot(
        "What would you like to ask them?", {"type": "handoff_ask"}
    ).listen()
    f.user("who do I call about billing", "out_of_scope").action("handoff_form").bot(
        "Email?", {"type": "handoff_ask"}
    ).listen()
    f.user("jane.doe@example.org", "out_of_scope").action("handoff_form").action("action_submit_handoff").bot(
        "Thank you. A person will reply to jane.doe@example.org", {"type": "handoff", "stored": True}
    ).listen()
    # A again (day 3), a second session: only a greeting -> no question answered.
    Tracker(rows, "A", ts(3, 12)).session().user("hello again", "greet").action("utter_greet").bot("Hi!").listen()
    # H (day 3): asks for a person, then "never mind" -> hand-off (asked), cancelled.
    Tracker(rows, "H", ts(3, 13)).session().user("human please", "request_human").action("handoff_form").bot(
        "What would you like to ask them?", {"type": "handoff_ask"}
    ).listen().user("never mind", "cancel").action("action_cancel_handoff").bot(
        "Okay, cancelled.", {"type": "handoff_cancelled"}
    ).action("action_deactivate_loop").listen()
    # Outside the range: the day before, and a session start with no user message (not a conversation).
    Tracker(rows, "old", ts(1, 0) - 3600).session().decline("outside the range question")
    Tracker(rows, "silent", ts(2, 15)).session()
    # J (day 3): an out-of-scope question with crisis language gets the safety reply instead -> safety.
    Tracker(rows, "J", ts(3, 23, 50)).session().user("cant sleep and i want to end it all", "out_of_scope").action(
        "action_out_of_scope"
    ).bot("You can call or text 988.", {"type": "safety", "level": "crisis"}).listen()

    db.ensure_tables(engine, include_events=True)
    transcript = [
        {"role": "user", "text": "my legs went numb since this morning", "timestamp": ts(3, 8), "safety": True},
        {"role": "bot", "text": "Please call 911 now.", "timestamp": ts(3, 8, 0, 1), "type": "safety"},
        {"role": "user", "text": "can you bill my insurance?", "timestamp": ts(3, 9)},
        {"role": "user", "text": "jane.doe@example.org", "timestamp": ts(3, 9, 2)},
    ]
    with engine.begin() as connection:
        connection.execute(db.events.insert(), rows)
        connection.execute(
            db.handoff_requests.insert(),
            [
                {
                    "sender_id": "F",
                    "created_at": ts(3, 9, 3),
                    "question": "who do I call about billing",
                    "email": "jane.doe@example.org",
                    "transcript": json.dumps(transcript),
                    "status": "pending",
                    "attempts": 3,
                    "last_error": "ConnectionError",
                },
                {
                    "sender_id": "old",
                    "created_at": ts(1, 0) - 60,
                    "question": "old one",
                    "email": "old@example.org",
                    "transcript": "[]",
                    "status": "delivered",
                    "attempts": 1,
                    "last_error": None,
                },
            ],
        )
        connection.execute(
            db.feedback.insert(),
            [
                {
                    "sender_id": "A",
                    "created_at": ts(1, 9, 5),
                    "topic": "yoga",
                    "helpful": True,
                    "prompt_at": ts(1, 9, 4),
                },
                {
                    "sender_id": "D",
                    "created_at": ts(2, 9, 5),
                    "topic": "how_long",
                    "helpful": False,
                    "prompt_at": ts(2, 9, 4),
                },
                {
                    "sender_id": "D",
                    "created_at": ts(2, 9, 9),
                    "topic": "exercise",
                    "helpful": True,
                    "prompt_at": ts(2, 9, 8),
                },
                {"sender_id": "old", "created_at": ts(1, 0) - 60, "topic": "yoga", "helpful": False, "prompt_at": None},
            ],
        )


@pytest.fixture
def engine(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    yield engine
    engine.dispose()


def check_known_numbers(summary: Dict[str, Any]) -> None:
    assert summary["conversations"] == 9
    assert summary["outcomes"] == {"deflected": 2, "unresolved": 2, "handoff": 2, "safety": 2, "no_answer": 1}
    assert summary["deflected"] == 2 and summary["deflection_rate"] == pytest.approx(2 / 9, abs=1e-4)
    assert summary["messages"] == {"user": 19, "article_answers": 4, "out_of_scope": 5, "did_you_mean": 1, "safety": 2}
    answers = {r["topic"]: r["answers"] for r in summary["answers_per_topic"] if r["answers"]}
    assert answers == {"yoga": 1, "sleep": 1, "how_long": 1, "exercise": 1}
    assert len(summary["answers_per_topic"]) == len(
        load_content().topics
    )  # every topic is listed, unanswered ones with 0
    gaps = [(g["reply"], g["normalised"], g["count"]) for g in summary["content_gaps"]["top"]]
    assert gaps == [
        ("out_of_scope", "can anxiety cause chest pain", 2),
        ("out_of_scope", "can you bill my insurance", 1),
        ("out_of_scope", "email me at [email] about ibuprofen doses", 1),
        ("did_you_mean", "stretching", 1),
    ]
    assert summary["content_gaps"]["messages"] == 5 and summary["content_gaps"]["distinct"] == 4
    assert summary["content_gaps"]["top"][0]["text"] == "Can anxiety cause chest pain?"  # first seen, as written
    assert {t["term"]: t["messages"] for t in summary["content_gaps"]["top_terms"]} == {
        "chest": 2,
        "bill": 1,
        "doses": 1,
        "email": 1,
        "ibuprofen": 1,
        "insurance": 1,
        "stretching": 1,
    }
    assert [(r["topic"], r["helpful"], r["not_helpful"]) for r in summary["feedback_per_topic"]] == [
        ("exercise", 1, 0),
        ("how_long", 0, 1),
        ("yoga", 1, 0),
    ]
    assert summary["feedback_totals"] == {"helpful": 2, "not_helpful": 1}
    assert summary["safety"] == {"replies": 2, "conversations": 2, "by_level": {"crisis": 1, "emergency": 1}}
    handoffs = summary["handoffs"]
    assert (handoffs["submitted"], handoffs["conversations_asking_for_a_person"], handoffs["cancelled"]) == (1, 2, 1)
    assert handoffs["delivery"] == {"pending": 1}
    [item] = handoffs["items"]
    assert item["email"] == "jane.doe@example.org" and item["question"] == "who do I call about billing"
    assert item["transcript"][0]["text"] == "[withheld: this message got a safety reply]"
    per_day = {d["date"]: (d["conversations"], d["deflected"]) for d in summary["by_day"]}
    assert per_day == {"2026-03-01": (2, 1), "2026-03-02": (3, 1), "2026-03-03": (4, 0)}


def test_report_numbers_on_a_known_database(engine, tmp_path):
    known_database(engine)
    html_path, json_path, summary = write_report(engine, START, END, tmp_path / "out")
    check_known_numbers(summary)
    assert json.loads(json_path.read_text())["outcomes"] == summary["outcomes"]

    page = html_path.read_text()
    # Emails only in the hand-off list; the safety users' words nowhere.
    handoff_section = page[page.index('<section id="handoffs">') : page.index('<section id="definitions">')]
    assert "jane.doe@example.org" in handoff_section
    assert "jane.doe@example.org" not in page.replace(handoff_section, "")
    assert "bob@example.com" not in page and "bob@example.com" not in json_path.read_text()
    assert "email me at [email] about ibuprofen doses" in page
    for private in ("legs went numb", "end it all", "old@example.org"):
        assert private not in page and private not in json_path.read_text()
    assert "jane.doe@example.org" not in json.dumps({k: v for k, v in summary.items() if k != "handoffs"})
    # The content gaps come first, most frequent first.
    assert page.index('id="gaps"') < page.index('id="topics"') < page.index('id="handoffs"')
    assert page.index("Can anxiety cause chest pain?") < page.index("stretching??")


def test_report_is_self_contained(engine, tmp_path):
    known_database(engine)
    html_path, _, _ = write_report(engine, START, END, tmp_path / "out")
    page = html_path.read_text()
    assert "default-src 'none'" in page  # a browser would refuse any network fetch anyway
    assert not re.search(r"<(script|link|iframe|object|embed)\b", page, re.I)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.I)
    assert "@import" not in page and "url(" not in page
    charts = re.findall(r'<img class="chart" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="[^"]+"', page)
    assert len(charts) == 2
    import base64

    for chart in charts:
        svg = base64.b64decode(chart).decode()
        assert svg.startswith("<svg") and 'xlink:href="http' not in svg and "<image" not in svg


def test_report_on_a_seeded_database_matches_what_was_generated(engine, tmp_path):
    truth = seed(engine, 600, START, days=3, seed=7)
    summary = summarise(engine, START, END)
    assert summary["conversations"] == truth.conversations == 600
    assert {k: v for k, v in summary["outcomes"].items() if v} == dict(truth.outcomes)
    assert {r["topic"]: r["answers"] for r in summary["answers_per_topic"] if r["answers"]} == dict(truth.answers)
    assert {(g["reply"], g["normalised"]): g["count"] for g in summary["content_gaps"]["top"]} == {
        (kind, normalise(text)): n for (kind, text), n in truth.gaps.items()
    }
    assert summary["safety"]["by_level"] == dict(truth.safety_levels)
    assert {
        r["topic"]: {"helpful": r["helpful"], "not_helpful": r["not_helpful"]} for r in summary["feedback_per_topic"]
    } == {
        t: {"helpful": c.get("helpful", 0), "not_helpful": c.get("not_helpful", 0)} for t, c in truth.feedback.items()
    }
    assert summary["handoffs"]["submitted"] == truth.handoffs_submitted
    assert summary["handoffs"]["delivery"] == dict(truth.handoff_status)
    assert summary["handoffs"]["conversations_asking_for_a_person"] == truth.handoff_started
    assert summary["handoffs"]["cancelled"] == truth.handoff_cancelled
    assert summary["messages"]["user"] == truth.user_messages
    for day in summary["by_day"]:
        expected = truth.by_day.get(day["date"], {})
        assert {
            o: day[f"outcome_{o}"]
            for o in ("deflected", "unresolved", "handoff", "safety", "no_answer")
            if day[f"outcome_{o}"]
        } == dict(expected)


def test_report_on_an_empty_database(engine, tmp_path):
    # No tables at all (a tracker store nobody has talked to yet), then empty tables.
    for attempt in ("no tables", "empty tables"):
        html_path, json_path, summary = write_report(engine, START, END, tmp_path / attempt.replace(" ", "-"))
        assert summary["conversations"] == 0 and summary["deflection_rate"] is None
        assert summary["outcomes"] == {o: 0 for o in ("deflected", "unresolved", "handoff", "safety", "no_answer")}
        assert summary["content_gaps"]["top"] == [] and summary["handoffs"]["items"] == []
        assert all(r["answers"] == 0 for r in summary["answers_per_topic"])
        page = html_path.read_text()
        assert "No unanswered questions in this range." in page and "No hand-off requests in this range." in page
        assert json.loads(json_path.read_text())["conversations"] == 0
        db.ensure_tables(engine, include_events=True)
    assert set(sa.inspect(engine).get_table_names()) >= {"events", "painfaq_handoff_requests", "painfaq_feedback"}


def test_the_range_is_inclusive_utc_days(engine):
    known_database(engine)
    only_day_3 = summarise(engine, date(2026, 3, 3), date(2026, 3, 3))
    assert only_day_3["conversations"] == 4 and only_day_3["handoffs"]["submitted"] == 1
    only_day_1 = summarise(engine, date(2026, 3, 1), date(2026, 3, 1))
    assert only_day_1["conversations"] == 2 and only_day_1["feedback_totals"] == {"helpful": 1, "not_helpful": 0}


def test_report_cli(engine, tmp_path):
    known_database(engine)
    out = tmp_path / "reports"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "report.py"),
            "--db-url",
            str(engine.url),
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-03",
            "--out-dir",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "9 conversations, deflection rate 22.2%, 5 unanswered questions, 1 hand-off requests" in result.stdout
    assert (out / "deflection-report_2026-03-01_2026-03-03.html").exists()
    summary = json.loads((out / "deflection-report_2026-03-01_2026-03-03.json").read_text())
    check_known_numbers(summary)
    bad = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "report.py"),
            "--db-url",
            str(engine.url),
            "--from",
            "2026-03-05",
            "--to",
            "2026-03-01",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "--from is after --to" in bad.stderr
