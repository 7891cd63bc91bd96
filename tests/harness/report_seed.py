"""Synthetic tracker-store data for the deflection report: N conversations written straight into Rasa's
`events` table (in the shape Rasa stores them, with real composed answers) plus hand-off and feedback rows,
with bulk inserts. `seed()` returns the numbers the report must show ("truth"), counted while generating.

Used by scripts/seed_report_db.py (benchmark: 100,000 conversations) and by tests/unit/test_report.py.
`varied_wording=True` (scripts/bench_inbox.py) words the questions the way many different people would
(Wording below): thousands of distinct texts instead of the few dozen the report's tests count on.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy.engine import Engine

from painfaq.content.compose import compose_answer, compose_feedback_prompt
from painfaq.content.loader import Content, load_content
from painfaq.stores import db

METADATA = {"model_id": "seeded0000000000000000000000000", "assistant_id": "painfaq-anxiety-back-pain"}
TS = "__TS__"
TS_SLOT = "@@TS@@"  # where the timestamp goes in a pre-serialised event

# Unanswered questions: each base text appears in variants that normalise to the same group.
OUT_OF_SCOPE = [
    "can anxiety cause chest pain",
    "what dose of ibuprofen should i take",
    "can stress cause headaches",
    "is my insurance accepted",
    "how much does the program cost",
    "can anxiety cause neck pain",
    "does stress cause hair loss",
    "can you recommend a physio near me",
    "is tramadol safe for back pain",
    "can depression cause back pain",
    "how do i cancel my subscription",
    "does anxiety cause jaw pain",
    "can i get a refund",
    "do you treat knee pain",
    "is heat or ice better",
]
UNSURE = [
    "my back feels weird when im nervous",
    "what about stretching",
    "is it in my head",
    "stress back thing",
    "why does it hurt more at night",
]
GREETINGS = ["hi", "hello", "hey there", "good morning"]
SAFETY = [
    ("red_flag", "emergency", "my legs went numb and i cant control my bladder"),
    ("crisis", "crisis", "i dont want to live anymore"),
]
ARCHETYPES = [  # (name, weight)
    ("deflected", 52),
    ("fallback_then_answer", 8),
    ("unresolved", 15),
    ("handoff", 8),
    ("handoff_cancelled", 2),
    ("safety", 3),
    ("no_answer", 12),
]


class Wording:
    """Many people, many wordings (seed(..., varied_wording=True)): each unanswered or unsure question is built
    from a template and its fillers, picked with a long-tailed (Zipf-like) weight, then sometimes given an
    opener and a trailing remark; answered questions get an opener or a remark too. Tens of thousands of
    distinct normalised texts are possible; a few are frequent, most are seen once or twice, as in a real
    inbox. The event shapes stay the ones Rasa stores; only the text differs."""

    CONDITIONS = ["anxiety", "stress", "depression", "panic attacks", "lack of sleep", "caffeine", "grief",
                  "burnout", "worry", "overthinking", "ptsd", "work stress"]  # fmt: skip
    PARTS = ["chest", "neck", "jaw", "shoulder", "knee", "hip", "stomach", "head", "arm", "foot", "leg", "wrist",
             "upper back", "tailbone"]  # fmt: skip
    DRUGS = ["tramadol", "ibuprofen", "paracetamol", "codeine", "naproxen", "aspirin", "diazepam", "gabapentin",
             "cbd oil", "amitriptyline"]  # fmt: skip
    SYMPTOMS = ["hair loss", "weight gain", "tinnitus", "dizziness", "nausea", "insomnia", "numb hands",
                "blurred vision", "heart palpitations", "shaking"]  # fmt: skip
    PEOPLE = ["physio", "chiropractor", "osteopath", "massage therapist", "psychologist", "gp", "acupuncturist",
              "pilates teacher"]  # fmt: skip
    PLACES = ["near me", "in london", "in leeds", "in manchester", "in dublin", "in bristol", "online", "in glasgow"]
    ACCOUNT = ["cancel my subscription", "reset my password", "change my email", "get a refund",
               "contact support", "delete my account", "update my card", "download my data", "get an invoice",
               "change my plan"]  # fmt: skip
    PRODUCTS = ["the program", "a session", "the app", "a consultation", "the course", "the premium plan"]
    THINGS = ["heat or ice", "a massage", "a back brace", "swimming", "a foam roller", "a tens machine",
              "a standing desk", "a new mattress"]  # fmt: skip
    ACTIVITIES = ["stretching", "yoga", "walking", "swimming", "running", "pilates", "massage", "heat", "ice",
                  "sleep", "sitting", "standing desks", "breathing", "meditation", "cycling", "lifting"]  # fmt: skip
    WHEN = ["at night", "in the morning", "after sitting", "when im stressed", "at work", "after exercise",
            "when i lie down", "before my period"]  # fmt: skip
    FEELINGS = ["weird", "tight", "stiff", "sore", "tense", "heavy"]
    STATES = ["nervous", "anxious", "stressed", "tired", "worried", "upset"]
    OPENERS = ["hi", "hello", "quick question", "sorry", "hey", "ok so", "um", "question", "please help",
               "i was wondering", "hi there", "can i ask"]  # fmt: skip
    REMARKS = ["please", "thanks", "asking for my mum", "since last week", "its been months", "for a friend",
               "im 45", "is that normal", "or not", "any advice", "really worried", "thank you"]  # fmt: skip

    def __init__(self, rng: random.Random):
        self.rng = rng
        c, p, d, s = self.CONDITIONS, self.PARTS, self.DRUGS, self.SYMPTOMS
        declined = (
            [f"can {x} cause {y} pain" for x in c for y in p]
            + [f"is {x} safe for {y} pain" for x in d for y in p]
            + [f"what dose of {x} should i take" for x in d]
            + [f"does {x} cause {y}" for x in c for y in s]
            + [f"can you recommend a {x} {y}" for x in self.PEOPLE for y in self.PLACES]
            + [f"do you treat {y} pain" for y in p]
            + [f"is {x} better for {y} pain" for x in self.THINGS for y in p]
            + [f"how do i {x}" for x in self.ACCOUNT]
            + [f"how much does {x} cost" for x in self.PRODUCTS]
            + list(OUT_OF_SCOPE)
        )
        unsure = (
            [f"what about {x}" for x in self.ACTIVITIES]
            + [f"why does it hurt more {x}" for x in self.WHEN]
            + [f"my back feels {x} when im {y}" for x in self.FEELINGS for y in self.STATES]
            + [f"{x} back thing" for x in c]
            + [f"is {x} ok" for x in self.ACTIVITIES]
            + list(UNSURE)
        )
        self.declined = self._shuffled(declined)
        self.unsure = self._shuffled(unsure)
        self.declined_weights = self._zipf(len(self.declined))
        self.unsure_weights = self._zipf(len(self.unsure))

    def _shuffled(self, texts: List[str]) -> List[str]:
        texts = sorted(set(texts))
        self.rng.shuffle(texts)  # which base is frequent: decided by the seed
        return texts

    @staticmethod
    def _zipf(n: int) -> List[float]:
        weights, total = [], 0.0
        for rank in range(1, n + 1):
            total += 1.0 / rank
            weights.append(total)  # cumulative, for rng.choices(cum_weights=...)
        return weights

    def dress(self, base: str, opener: float = 0.4, remark: float = 0.4) -> str:
        text = base
        if self.rng.random() < opener:
            text = f"{self.rng.choice(self.OPENERS)} {text}"
        if self.rng.random() < remark:
            text = f"{text} {self.rng.choice(self.REMARKS)}"
        return text

    def out_of_scope(self) -> str:
        return self.dress(self.rng.choices(self.declined, cum_weights=self.declined_weights)[0])

    def unsure_text(self) -> str:
        return self.dress(self.rng.choices(self.unsure, cum_weights=self.unsure_weights)[0])

    def answered(self, question: str) -> str:
        return self.dress(question, opener=0.3, remark=0.3)


def variant(text: str, rng: random.Random) -> str:
    """Same words, different case / punctuation / spacing: the report must group these together."""
    choice = rng.randrange(4)
    if choice == 0:
        return text
    if choice == 1:
        return text.capitalize() + "?"
    if choice == 2:
        return text.upper() + "!!"
    return "  " + text.replace(" ", "  ", 1) + " ?"


@dataclass
class Truth:
    conversations: int = 0
    outcomes: Counter = field(default_factory=Counter)
    by_day: Dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    answers: Counter = field(default_factory=Counter)
    gaps: Counter = field(default_factory=Counter)  # (reply kind, base text) -> messages
    safety_levels: Counter = field(default_factory=Counter)
    feedback: Dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    handoffs_submitted: int = 0
    handoff_status: Counter = field(default_factory=Counter)
    handoff_started: int = 0
    handoff_cancelled: int = 0
    events: int = 0
    user_messages: int = 0

    def as_dict(self) -> Dict[str, Any]:
        return {
            "conversations": self.conversations,
            "outcomes": dict(self.outcomes),
            "by_day": {d: dict(c) for d, c in self.by_day.items()},
            "answers": dict(self.answers),
            "gaps": {f"{k}|{t}": n for (k, t), n in self.gaps.items()},
            "safety_levels": dict(self.safety_levels),
            "feedback": {t: dict(c) for t, c in self.feedback.items()},
            "handoffs_submitted": self.handoffs_submitted,
            "handoff_status": dict(self.handoff_status),
            "handoff_started": self.handoff_started,
            "handoff_cancelled": self.handoff_cancelled,
            "events": self.events,
            "user_messages": self.user_messages,
        }


class Templates:
    """Pre-serialised event JSON with a timestamp placeholder: one json.dumps per kind, not per row."""

    MAX_CACHED = 20_000

    def __init__(self, content: Content):
        self.content = content
        self.cache: Dict[Any, str] = {}
        topics = list(content.topics.values())
        self.topic_ids = [t.id for t in topics]
        self.intents = [t.intent for t in topics]

    def _dump(self, event: Dict[str, Any]) -> str:
        return json.dumps(event).replace(f'"{TS}"', TS_SLOT)

    def action(self, name: str, policy: Optional[str] = "RulePolicy") -> str:
        key = ("action", name, policy)
        if key not in self.cache:
            self.cache[key] = self._dump(
                {
                    "event": "action",
                    "timestamp": TS,
                    "metadata": METADATA,
                    "name": name,
                    "policy": policy,
                    "confidence": 1.0,
                    "action_text": None,
                    "hide_rule_turn": True,
                }
            )
        return self.cache[key]

    def session_started(self) -> str:
        key = ("session_started",)
        if key not in self.cache:
            self.cache[key] = self._dump({"event": "session_started", "timestamp": TS, "metadata": METADATA})
        return self.cache[key]

    def featurization(self) -> str:
        key = ("featurization",)
        if key not in self.cache:
            self.cache[key] = self._dump(
                {
                    "event": "user_featurization",
                    "timestamp": TS,
                    "metadata": METADATA,
                    "use_text_for_featurization": False,
                }
            )
        return self.cache[key]

    def user(self, text: str, intent: str, confidence: float = 0.93) -> str:
        key = ("user", text, intent, confidence)
        if key not in self.cache:
            others = [i for i in self.intents[:9] if i != intent]
            ranking = [{"name": intent, "confidence": confidence}] + [
                {"name": o, "confidence": round(round(1 - confidence, 4) / len(others), 4)} for o in others
            ]
            event = self._dump(
                {
                    "event": "user",
                    "timestamp": TS,
                    "metadata": METADATA,
                    "text": text,
                    "parse_data": {
                        "intent": {"name": intent, "confidence": confidence},
                        "entities": [],
                        "text": text,
                        "message_id": uuid.uuid5(uuid.NAMESPACE_URL, intent + "|" + text).hex,
                        "metadata": {},
                        "text_tokens": [[0, len(text)]],
                        "intent_ranking": ranking,
                    },
                    "input_channel": "rest",
                    "message_id": "seeded",
                }
            )
            if len(self.cache) >= self.MAX_CACHED:  # varied wording: most texts are seen once
                return event
            self.cache[key] = event
        return self.cache[key]

    def bot(
        self, text: str, custom: Optional[Dict[str, Any]] = None, buttons: Optional[List[Dict[str, str]]] = None
    ) -> str:
        key = ("bot", text, json.dumps(custom, sort_keys=True), json.dumps(buttons))
        if key not in self.cache:
            self.cache[key] = self._dump(
                {
                    "event": "bot",
                    "timestamp": TS,
                    "metadata": METADATA,
                    "text": text,
                    "data": {
                        "elements": None,
                        "quick_replies": None,
                        "buttons": buttons,
                        "attachment": None,
                        "image": None,
                        "custom": custom,
                    },
                }
            )
        return self.cache[key]

    def slot(self, name: str, value: Any) -> str:
        key = ("slot", name, json.dumps(value))
        if key not in self.cache:
            self.cache[key] = self._dump(
                {"event": "slot", "timestamp": TS, "metadata": METADATA, "name": name, "value": value}
            )
        return self.cache[key]

    def active_loop(self, name: Optional[str]) -> str:
        key = ("loop", name)
        if key not in self.cache:
            self.cache[key] = self._dump({"event": "active_loop", "timestamp": TS, "metadata": METADATA, "name": name})
        return self.cache[key]


class ConversationWriter:
    def __init__(self, templates: Templates, sender: str, start: float, rows: List[Dict[str, Any]]):
        self.t = templates
        self.sender = sender
        self.ts = start
        self.rows = rows
        self.transcript: List[Dict[str, Any]] = []
        self.last_user: Optional[Dict[str, Any]] = None

    def _row(
        self,
        type_name: str,
        template: str,
        intent: Optional[str] = None,
        action: Optional[str] = None,
        step: float = 0.001,
    ) -> float:
        self.ts += step
        self.rows.append(
            {
                "sender_id": self.sender,
                "type_name": type_name,
                "timestamp": self.ts,
                "intent_name": intent,
                "action_name": action,
                "data": template.replace(TS_SLOT, repr(self.ts)),
            }
        )
        return self.ts

    def session_start(self) -> None:
        self._row("action", self.t.action("action_session_start", None), action="action_session_start")
        self._row("session_started", self.t.session_started())
        self._row("action", self.t.action("action_listen", None), action="action_listen")

    def user(self, text: str, intent: str, think: float, confidence: float = 0.93) -> None:
        ts = self._row("user", self.t.user(text, intent, confidence), intent=intent, step=think)
        self._row("user_featurization", self.t.featurization())
        self.last_user = {"role": "user", "text": text, "timestamp": ts, "intent": intent}
        self.transcript.append(self.last_user)

    def action(self, name: str) -> None:
        self._row("action", self.t.action(name), action=name)

    def bot(self, text: str, custom: Optional[Dict[str, Any]] = None, buttons=None) -> float:
        ts = self._row("bot", self.t.bot(text, custom, buttons))
        entry = {"role": "bot", "text": text, "timestamp": ts}
        if custom and custom.get("type"):
            entry["type"] = custom["type"]
            if custom["type"] == "safety" and self.last_user is not None:
                self.last_user["safety"] = True
        self.transcript.append(entry)
        return ts

    def slot(self, name: str, value: Any) -> None:
        self._row("slot", self.t.slot(name, value), action=name)

    def active_loop(self, name: Optional[str]) -> None:
        self._row("active_loop", self.t.active_loop(name), action=name)

    def listen(self) -> None:
        self._row("action", self.t.action("action_listen"), action="action_listen")


class Generator:
    def __init__(
        self, engine: Engine, start_day: date, days: int, seed: int, batch: int = 20_000, varied_wording: bool = False
    ):
        self.engine = engine
        self.rng = random.Random(seed)
        # Its own random stream: the default seeding draws exactly what it always drew.
        self.wording = Wording(random.Random(seed + 1)) if varied_wording else None
        self.content = load_content()
        self.templates = Templates(self.content)
        self.start_ts = datetime(start_day.year, start_day.month, start_day.day, tzinfo=timezone.utc).timestamp()
        self.days = days
        self.batch = batch
        self.rows: List[Dict[str, Any]] = []
        self.handoffs: List[Dict[str, Any]] = []
        self.feedback: List[Dict[str, Any]] = []
        self.truth = Truth()
        self.answers_cache = {t.id: compose_answer(self.content, t) for t in self.content.topics.values()}
        self.prompts = {t: compose_feedback_prompt(self.content, t) for t in self.content.topics}

    # ------------------------------------------------------------ turns

    def answer(self, w: ConversationWriter, topic_id: Optional[str] = None, text: Optional[str] = None) -> str:
        topic_id = topic_id or self.rng.choice(self.templates.topic_ids)
        topic = self.content.topics[topic_id]
        confidence = 0.93
        if text is None and self.wording is not None:
            text = self.wording.answered(topic.question.lower())
            if self.wording.rng.random() < 0.1:  # answered, but hesitantly: listed as "low_confidence"
                confidence = round(self.wording.rng.uniform(0.41, 0.59), 3)
        w.user(text or topic.question.lower(), topic.intent, self.think(), confidence)
        w.action("action_answer_faq")
        composed = self.answers_cache[topic_id]
        w.bot(composed.text, composed.payload, composed.buttons)
        prompt = self.prompts[topic_id]
        prompt_ts = w.bot(prompt.text, prompt.payload, prompt.buttons)
        w.slot("last_topic", topic_id)
        w.slot("more_shown", False)
        w.listen()
        self.truth.answers[topic_id] += 1
        if self.rng.random() < 0.3:
            helpful = self.rng.random() < 0.75
            payload = "/feedback_helpful" if helpful else "/feedback_not_helpful"
            w.user(payload, payload[1:], self.think())
            w.action("action_feedback")
            key = "feedback_thanks_helpful" if helpful else "feedback_thanks_not_helpful"
            w.bot(self.content.messages[key], {"type": "feedback_thanks"})
            w.listen()
            self.feedback.append(
                {
                    "sender_id": w.sender,
                    "created_at": w.ts,
                    "topic": topic_id,
                    "helpful": helpful,
                    "prompt_at": prompt_ts,
                }
            )
            self.truth.feedback[topic_id]["helpful" if helpful else "not_helpful"] += 1
        return topic_id

    def out_of_scope(self, w: ConversationWriter, failures_before: int) -> None:
        base = self.rng.choice(OUT_OF_SCOPE)
        if self.wording is not None:
            base = self.wording.out_of_scope()
        w.user(variant(base, self.rng), "out_of_scope", self.think())
        w.action("action_out_of_scope")
        w.bot(self.content.messages["out_of_scope"], {"type": "out_of_scope"})
        offer = failures_before == 1
        if offer:
            w.bot(self.content.messages["handoff_offer"], {"type": "handoff_offer"})
        w.slot("handoff_offered", offer)
        w.listen()
        self.truth.gaps[("out_of_scope", base)] += 1

    def did_you_mean(self, w: ConversationWriter) -> None:
        base = self.rng.choice(UNSURE)
        if self.wording is not None:
            base = self.wording.unsure_text()
        w.user(variant(base, self.rng), "nlu_fallback", self.think())
        w.action("action_did_you_mean")
        w.bot(self.content.messages["did_you_mean"], {"type": "did_you_mean"})
        w.slot("handoff_offered", False)
        w.listen()
        self.truth.gaps[("did_you_mean", base)] += 1

    def simple(self, w: ConversationWriter, text: str, intent: str, action: str, reply: str) -> None:
        w.user(text, intent, self.think())
        w.action(action)
        w.bot(reply)
        w.listen()

    def think(self) -> float:
        return self.rng.uniform(4.0, 40.0)

    # ------------------------------------------------------------ conversations

    def conversation(self, sender: str, start: float) -> None:
        rng = self.rng
        archetype = rng.choices([a for a, _ in ARCHETYPES], weights=[w for _, w in ARCHETYPES])[0]
        w = ConversationWriter(self.templates, sender, start, self.rows)
        w.session_start()
        if rng.random() < 0.3:
            self.simple(
                w, rng.choice(GREETINGS), "greet", "utter_greet", "Hi! I answer questions about anxiety and back pain."
            )
        outcome = archetype
        if archetype == "deflected":
            for _ in range(rng.randint(1, 3)):
                self.answer(w)
            if rng.random() < 0.15:  # an unanswered question in the middle, then an answer again
                self.out_of_scope(w, 0)
                self.answer(w)
            if rng.random() < 0.3:
                self.simple(w, "thanks", "thank", "utter_thanks", "You're welcome!")
        elif archetype == "fallback_then_answer":
            self.did_you_mean(w)
            topic = rng.choice(self.templates.topic_ids)
            self.answer(w, topic, f"/{self.content.topics[topic].intent}")
            outcome = "deflected"
        elif archetype == "unresolved":
            if rng.random() < 0.5:
                self.answer(w)
            failures = rng.randint(1, 2)
            for i in range(failures):
                if rng.random() < 0.25:
                    self.did_you_mean(w)
                else:
                    self.out_of_scope(w, i)
        elif archetype in ("handoff", "handoff_cancelled"):
            if rng.random() < 0.4:
                self.answer(w)
            self.out_of_scope(w, 0)
            self.handoff(w, cancel=archetype == "handoff_cancelled")
            outcome = "handoff"
        elif archetype == "safety":
            if rng.random() < 0.5:
                self.answer(w)
            intent, level, text = rng.choice(SAFETY)
            w.user(text, intent, self.think())
            w.action("action_safety_reply")
            w.bot("Please get help now.", {"type": "safety", "level": level})
            w.listen()
            self.truth.safety_levels[level] += 1
        else:  # no_answer
            if rng.random() < 0.5:
                self.simple(w, rng.choice(GREETINGS), "greet", "utter_greet", "Hi!")
            else:
                self.simple(w, "🙂🙂", "bad_input", "action_bad_input", self.content.messages["bad_input"])
        self.truth.conversations += 1
        self.truth.outcomes[outcome] += 1
        self.truth.by_day[datetime.fromtimestamp(start, tz=timezone.utc).date().isoformat()][outcome] += 1
        self.truth.user_messages += sum(1 for e in w.transcript if e["role"] == "user")

    def handoff(self, w: ConversationWriter, cancel: bool) -> None:
        rng = self.rng
        w.user("can i talk to a person", "request_human", self.think())
        w.action("handoff_form")
        w.active_loop("handoff_form")
        w.bot(self.content.messages["handoff_ask_question"], {"type": "handoff_ask", "slot": "handoff_question"})
        w.slot("requested_slot", "handoff_question")
        w.listen()
        self.truth.handoff_started += 1
        if cancel:
            w.user("never mind", "cancel", self.think())
            w.action("action_cancel_handoff")
            w.bot(self.content.messages["handoff_cancelled"], {"type": "handoff_cancelled"})
            w.slot("handoff_question", None)
            w.action("action_deactivate_loop")
            w.active_loop(None)
            w.slot("requested_slot", None)
            w.listen()
            self.truth.handoff_cancelled += 1
            return
        question = rng.choice(OUT_OF_SCOPE) + ", can someone help me with this"
        w.user(question, "out_of_scope", self.think())
        w.action("handoff_form")
        w.slot("handoff_question", question)
        w.bot(self.content.messages["handoff_ask_email"], {"type": "handoff_ask", "slot": "handoff_email"})
        w.slot("requested_slot", "handoff_email")
        w.listen()
        email = f"user{rng.randrange(10**6)}@example.org" if rng.random() < 0.7 else None
        w.user(email or "no", "out_of_scope" if email else "deny", self.think())
        w.action("handoff_form")
        w.slot("handoff_email", email or "none")
        w.slot("requested_slot", None)
        w.active_loop(None)
        w.action("action_submit_handoff")
        w.bot("Thank you. Your question has been passed to our support team.", {"type": "handoff", "stored": True})
        w.listen()
        status = rng.choices(["delivered", "pending", "not_configured"], weights=[7, 1, 2])[0]
        self.handoffs.append(
            {
                "sender_id": w.sender,
                "created_at": w.ts,
                "question": question,
                "email": email,
                "transcript": json.dumps(w.transcript),
                "status": status,
                "attempts": {"delivered": 1, "pending": 3, "not_configured": 0}[status],
                "last_error": "ConnectionError" if status == "pending" else None,
                "delivered_at": w.ts + 1 if status == "delivered" else None,
            }
        )
        self.truth.handoffs_submitted += 1
        self.truth.handoff_status[status] += 1

    # ------------------------------------------------------------ writing

    def flush(self, force: bool = False) -> None:
        if self.rows and (force or len(self.rows) >= self.batch):
            with self.engine.begin() as connection:
                connection.execute(db.events.insert(), self.rows)
            self.truth.events += len(self.rows)
            self.rows.clear()
        if force or len(self.handoffs) + len(self.feedback) >= self.batch:
            with self.engine.begin() as connection:
                if self.handoffs:
                    connection.execute(db.handoff_requests.insert(), self.handoffs)
                if self.feedback:
                    connection.execute(db.feedback.insert(), self.feedback)
            self.handoffs.clear()
            self.feedback.clear()

    def run(self, conversations: int, returning_share: float = 0.1) -> Truth:
        db.ensure_tables(self.engine, include_events=True)
        made = 0
        day_seconds = 86_400
        while made < conversations:
            sender = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            sessions = 2 if self.rng.random() < returning_share and conversations - made >= 2 else 1
            day = self.rng.randrange(self.days)
            # Each conversation stays inside its UTC day (the report counts it on the day it starts).
            first = self.start_ts + day * day_seconds + self.rng.uniform(0, day_seconds / 2 - 3600)
            for i in range(sessions):
                self.conversation(sender, first + i * (day_seconds / 2))  # the second one 12 h later, same day
                made += 1
            self.flush()
        self.flush(force=True)
        return self.truth


def seed(
    engine: Engine,
    conversations: int,
    start_day: date,
    days: int = 30,
    seed: int = 0,
    batch: int = 20_000,
    varied_wording: bool = False,
) -> Truth:
    """Write `conversations` synthetic conversations spread over `days` UTC days from `start_day`.

    `varied_wording`: questions in many wordings (Wording), for the review inbox's benchmark; off by default,
    so the report's tests keep the few dozen texts they count."""
    return Generator(engine, start_day, days, seed, batch, varied_wording).run(conversations)


def expected_outcomes_by_day(truth: Truth, start_day: date, days: int) -> List[Tuple[str, Dict[str, int]]]:
    return [
        (
            (start_day + timedelta(days=i)).isoformat(),
            dict(truth.by_day.get((start_day + timedelta(days=i)).isoformat(), {})),
        )
        for i in range(days)
    ]
