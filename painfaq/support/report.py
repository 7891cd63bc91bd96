"""Deflection report for support staff: reads Rasa's tracker store (the `events` table) and the project's
hand-off and feedback tables for a date range, and writes a self-contained HTML page plus a JSON summary.

Definitions (also printed in the report):

* A **conversation** is one Rasa session of one user (a new session starts after 60 idle minutes; the
  `session_started` event marks it) with at least one message from the user, counted on the UTC day of its
  first event in the range. Only events inside the range are read.
* Every conversation gets exactly one **outcome**, the first that applies:
  1. *safety*: the bot gave a red-flag or crisis reply;
  2. *hand-off*: the user asked for a person (the hand-off form started);
  3. *unresolved*: the last reply to a question was the out-of-scope decline or "did you mean";
  4. *deflected*: at least one article answer;
  5. *no question answered*: anything else (greetings only, unreadable input, ...).
* **Deflection rate** = deflected conversations / all conversations.
* **Content gaps**: user messages answered with the out-of-scope decline or "did you mean", grouped by
  their normalised text (lower case, punctuation and extra spaces removed; email addresses and long
  numbers masked). Button clicks are not listed. Messages that got a safety reply are only counted.

Email addresses appear only in the hand-off list. Everything is UTC.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from painfaq.stores import db

REPLY_TYPES = ("answer", "out_of_scope", "did_you_mean", "safety")
GAP_KINDS = {"out_of_scope": "out of scope", "did_you_mean": "unsure (did you mean)"}
OUTCOMES = ("deflected", "unresolved", "handoff", "safety", "no_answer")
OUTCOME_LABELS = {
    "deflected": "Deflected",
    "unresolved": "Unresolved (ended on a decline / did you mean)",
    "handoff": "Asked for a person",
    "safety": "Safety reply given",
    "no_answer": "No question answered",
}
OUTCOME_COLORS = {
    "deflected": "#2a7f62",
    "unresolved": "#d08c1f",
    "handoff": "#3b6fb6",
    "safety": "#b8404a",
    "no_answer": "#9aa3ad",
}
FORM_ACTIONS = ("handoff_form", "action_submit_handoff")
STOPWORDS = set(
    """a about above after again all am an and any are as at be because been before being below between both
    but by can could did do does doing dont down during each few for from further had has have having he her
    here hers him his how i if im in into is isnt it its itself ive just me more most my myself no nor not now
    of off on once only or other our out over own same she should so some such than that thats the their them
    then there these they this those through to too under until up very was we were what whats when where which
    while who whom why will with would you your yours get got make makes much many really also cause causes""".split()
)
# The assistant's own subject: in nearly every question, so they say nothing about what is missing.
DOMAIN_WORDS = {"anxiety", "anxious", "back", "pain", "painful", "stress", "stressed", "hurt", "hurts"}
WITHHELD = "[withheld: this message got a safety reply]"


# ---------------------------------------------------------------- time range


def day_start(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()


def utc_day(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).date().isoformat()


def iso(timestamp: Optional[float]) -> Optional[str]:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


# ---------------------------------------------------------------- text helpers

_PUNCT = re.compile(r"[^\w\s']+")
_SPACES = re.compile(r"\s+")
_LONG_NUMBER = re.compile(r"\d[\d\s().-]{5,}\d")


def mask_text(text: str) -> str:
    """Emails and phone-like numbers masked: the form in which user text may appear outside the hand-off list."""
    return _LONG_NUMBER.sub("[number]", db.redact_emails(text))


def normalise(text: str) -> str:
    text = mask_text(text).lower().replace("\u2019", "'")
    text = _PUNCT.sub(" ", text.replace("[email]", " email_masked ").replace("[number]", " number_masked "))
    text = _SPACES.sub(" ", text).strip()
    return text.replace("email_masked", "[email]").replace("number_masked", "[number]")


def terms(normalised: str) -> List[str]:
    words = {w.strip("'") for w in normalised.split()}
    return sorted(
        w
        for w in words
        if len(w) >= 3 and w not in STOPWORDS and w not in DOMAIN_WORDS and not w.startswith("[") and not w.isdigit()
    )


# ---------------------------------------------------------------- aggregation


@dataclass
class Conversation:
    start: float
    user_messages: int = 0
    answers: int = 0
    last_reply: Optional[str] = None
    handoff: bool = False
    safety: bool = False

    def outcome(self) -> str:
        if self.safety:
            return "safety"
        if self.handoff:
            return "handoff"
        if self.last_reply in GAP_KINDS:
            return "unresolved"
        if self.answers:
            return "deflected"
        return "no_answer"


@dataclass
class Aggregate:
    conversations: int = 0
    outcomes: Counter = field(default_factory=Counter)
    by_day: Dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    answers: Counter = field(default_factory=Counter)
    messages: Counter = field(default_factory=Counter)
    gaps: Counter = field(default_factory=Counter)  # (kind, normalised text) -> count
    gap_examples: Dict[Tuple[str, str], str] = field(default_factory=dict)
    gap_terms: Counter = field(default_factory=Counter)
    safety_levels: Counter = field(default_factory=Counter)
    handoff_started: int = 0
    handoff_cancelled: int = 0
    events_read: int = 0


class Aggregator:
    """Consumes the events of one sender at a time, in id order, and folds them into an Aggregate."""

    def __init__(self) -> None:
        self.result = Aggregate()
        self.conversation: Optional[Conversation] = None
        self.pending_user: Optional[str] = None  # raw JSON of the user message awaiting its reply

    def new_sender(self) -> None:
        self.finish()

    def finish(self) -> None:
        conversation = self.conversation
        self.conversation = None
        self.pending_user = None
        if conversation is None or conversation.user_messages == 0:
            return
        outcome = conversation.outcome()
        self.result.conversations += 1
        self.result.outcomes[outcome] += 1
        self.result.by_day[utc_day(conversation.start)][outcome] += 1

    def event(
        self, type_name: str, timestamp: float, intent: Optional[str], action: Optional[str], data: Optional[str]
    ) -> None:
        self.result.events_read += 1
        if type_name == "session_started":
            self.finish()
            self.conversation = Conversation(start=timestamp)
            return
        if self.conversation is None:
            self.conversation = Conversation(start=timestamp)
        conversation = self.conversation
        if type_name == "user":
            conversation.user_messages += 1
            self.result.messages["user"] += 1
            self.pending_user = data
        elif type_name == "bot":
            self.bot(conversation, data)
        elif type_name == "action" and action in FORM_ACTIONS:
            if action == "handoff_form" and not conversation.handoff:
                conversation.handoff = True
                self.result.handoff_started += 1

    def bot(self, conversation: Conversation, data: Optional[str]) -> None:
        if not data or '"custom"' not in data:
            return
        try:
            custom = (json.loads(data).get("data") or {}).get("custom")
        except ValueError:
            return
        if not isinstance(custom, dict):
            return
        kind = custom.get("type")
        if kind == "handoff_cancelled":
            self.result.handoff_cancelled += 1
            return
        if kind not in REPLY_TYPES:
            return
        self.result.messages[kind] += 1
        if kind == "answer":
            self.result.answers[str(custom.get("topic"))] += 1
            conversation.answers += 1
        elif kind == "safety":
            conversation.safety = True
            self.result.safety_levels[str(custom.get("level") or "unknown")] += 1
        # Only the first reply to a user message classifies it (and decides the "last reply").
        user_raw, self.pending_user = self.pending_user, None
        if user_raw is None:
            return
        conversation.last_reply = kind
        if kind in GAP_KINDS:
            try:
                text = str(json.loads(user_raw).get("text") or "")
            except ValueError:
                return
            if not text.strip() or text.startswith("/"):
                return  # a button click ("None of these"), not the user's words
            key = (kind, normalise(text))
            if not key[1]:
                return
            self.result.gaps[key] += 1
            if key not in self.result.gap_examples:
                self.result.gap_examples[key] = mask_text(text.strip())[:300]
            self.result.gap_terms.update(terms(key[1]))


def read_events(engine: Engine, start_ts: float, end_ts: float, batch: int = 20_000) -> Aggregate:
    aggregator = Aggregator()
    e = db.events
    data = sa.case((e.c.type_name.in_(["user", "bot"]), e.c.data), else_=sa.null())
    query = (
        sa.select(e.c.sender_id, e.c.type_name, e.c.timestamp, e.c.intent_name, e.c.action_name, data)
        .where(
            e.c.timestamp >= start_ts,
            e.c.timestamp < end_ts,
            sa.or_(
                e.c.type_name.in_(["user", "bot", "session_started"]),
                sa.and_(e.c.type_name == "action", e.c.action_name.in_(FORM_ACTIONS)),
            ),
        )
        .order_by(e.c.sender_id, e.c.id)
    )
    current_sender = None
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=batch).execute(query)
        for rows in result.partitions(batch):
            for sender, type_name, timestamp, intent, action, raw in rows:
                if sender != current_sender:
                    aggregator.new_sender()
                    current_sender = sender
                aggregator.event(type_name, timestamp, intent, action, raw)
    aggregator.finish()
    return aggregator.result


def read_feedback(engine: Engine, start_ts: float, end_ts: float) -> Dict[str, Dict[str, int]]:
    f = db.feedback
    query = (
        sa.select(f.c.topic, f.c.helpful, sa.func.count())
        .where(f.c.created_at >= start_ts, f.c.created_at < end_ts)
        .group_by(f.c.topic, f.c.helpful)
    )
    per_topic: Dict[str, Dict[str, int]] = defaultdict(lambda: {"helpful": 0, "not_helpful": 0})
    with engine.connect() as connection:
        for topic, helpful, count in connection.execute(query):
            per_topic[topic]["helpful" if helpful else "not_helpful"] += int(count)
    return dict(per_topic)


def read_handoffs(engine: Engine, start_ts: float, end_ts: float, max_items: int) -> Dict[str, Any]:
    h = db.handoff_requests
    in_range = sa.and_(h.c.created_at >= start_ts, h.c.created_at < end_ts)
    with engine.connect() as connection:
        by_status = {
            s: int(n)
            for s, n in connection.execute(sa.select(h.c.status, sa.func.count()).where(in_range).group_by(h.c.status))
        }
        rows = list(
            connection.execute(
                sa.select(h).where(in_range).order_by(h.c.created_at.desc(), h.c.id.desc()).limit(max_items)
            )
        )
    items = []
    for row in rows:
        transcript = []
        for entry in json.loads(row.transcript or "[]"):
            text = WITHHELD if entry.get("role") == "user" and entry.get("safety") else entry.get("text", "")
            transcript.append({"role": entry.get("role"), "time": iso(entry.get("timestamp")), "text": text})
        items.append(
            {
                "id": row.id,
                "created_at": iso(row.created_at),
                "sender_id": row.sender_id,
                "question": row.question,
                "email": row.email,
                "delivery": row.status,
                "attempts": row.attempts,
                "transcript": transcript,
            }
        )
    return {"submitted": sum(by_status.values()), "delivery": by_status, "items": items}


# ---------------------------------------------------------------- the summary


def topic_labels() -> Dict[str, str]:
    try:
        from painfaq.content.loader import load_content

        return {t.id: t.question for t in load_content().topics.values()}
    except Exception:  # the report must work without the content file
        return {}


def read_content_requests(engine: Engine, start_ts: float, end_ts: float, max_items: int) -> Dict[str, Any]:
    """Groups the support staff labelled "needs new content" (review inbox) in the range, newest first."""
    labels = db.review_labels
    query = (
        sa.select(labels.c.text, labels.c.labelled_by, labels.c.labelled_at)
        .where(
            labels.c.label == "needs_content",
            labels.c.undone_at.is_(None),
            labels.c.labelled_at >= start_ts,
            labels.c.labelled_at < end_ts,
        )
        .order_by(labels.c.labelled_at.desc())
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return {
        "count": len(rows),
        "items": [
            {"text": mask_text(r.text)[:300], "labelled_by": r.labelled_by, "labelled_at": iso(r.labelled_at)}
            for r in rows[:max_items]
        ],
    }


def summarise(engine: Engine, start: date, end: date, max_items: int = 200) -> Dict[str, Any]:
    """Everything the report shows, as plain data (this is also the JSON summary)."""
    started = time.monotonic()
    start_ts, end_ts = day_start(start), day_start(end + timedelta(days=1))
    tables = set(sa.inspect(engine).get_table_names())  # read only: a missing table is an empty one
    agg = read_events(engine, start_ts, end_ts) if "events" in tables else Aggregate()
    feedback = read_feedback(engine, start_ts, end_ts) if db.feedback.name in tables else {}
    handoffs = (
        read_handoffs(engine, start_ts, end_ts, max_items)
        if db.handoff_requests.name in tables
        else {"submitted": 0, "delivery": {}, "items": []}
    )
    content_requests = (
        read_content_requests(engine, start_ts, end_ts, max_items)
        if db.review_labels.name in tables
        else {"count": 0, "items": []}
    )
    labels = topic_labels()

    topics = sorted(set(labels) | set(agg.answers) | set(feedback))
    answers_per_topic = sorted(
        ({"topic": t, "question": labels.get(t, t), "answers": agg.answers.get(t, 0)} for t in topics),
        key=lambda r: (-int(r["answers"]), str(r["topic"])),
    )
    feedback_rows = []
    for t in sorted(feedback, key=lambda t: (-(feedback[t]["helpful"] + feedback[t]["not_helpful"]), t)):
        helpful, not_helpful = feedback[t]["helpful"], feedback[t]["not_helpful"]
        feedback_rows.append(
            {
                "topic": t,
                "question": labels.get(t, t),
                "helpful": helpful,
                "not_helpful": not_helpful,
                "helpful_rate": round(helpful / (helpful + not_helpful), 4),
            }
        )
    gaps = sorted(agg.gaps.items(), key=lambda kv: (-kv[1], kv[0][1], kv[0][0]))
    days = []
    day = start
    while day <= end:
        counts = agg.by_day.get(day.isoformat(), Counter())
        total = sum(counts.values())
        days.append(
            {
                "date": day.isoformat(),
                "conversations": total,
                "deflected": counts.get("deflected", 0),
                "deflection_rate": round(counts.get("deflected", 0) / total, 4) if total else None,
                **{f"outcome_{o}": counts.get(o, 0) for o in OUTCOMES},
            }
        )
        day += timedelta(days=1)
    conversations = agg.conversations
    deflected = agg.outcomes.get("deflected", 0)
    return {
        "report": "painfaq deflection report",
        "range": {"from": start.isoformat(), "to": end.isoformat(), "timezone": "UTC"},
        "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "definitions": DEFINITIONS,
        "conversations": conversations,
        "deflected": deflected,
        "deflection_rate": round(deflected / conversations, 4) if conversations else None,
        "outcomes": {o: agg.outcomes.get(o, 0) for o in OUTCOMES},
        "messages": {
            "user": agg.messages.get("user", 0),
            "article_answers": agg.messages.get("answer", 0),
            "out_of_scope": agg.messages.get("out_of_scope", 0),
            "did_you_mean": agg.messages.get("did_you_mean", 0),
            "safety": agg.messages.get("safety", 0),
        },
        "answers_per_topic": answers_per_topic,
        "content_gaps": {
            "messages": sum(agg.gaps.values()),
            "distinct": len(agg.gaps),
            "top": [
                {"text": agg.gap_examples[key], "normalised": key[1], "reply": key[0], "count": count}
                for key, count in gaps[:max_items]
            ],
            "top_terms": [
                {"term": term, "messages": n}
                for term, n in sorted(agg.gap_terms.items(), key=lambda kv: (-kv[1], kv[0]))[:25]
            ],
        },
        "content_requests": content_requests,
        "feedback_per_topic": feedback_rows,
        "feedback_totals": {
            "helpful": sum(r["helpful"] for r in feedback_rows),
            "not_helpful": sum(r["not_helpful"] for r in feedback_rows),
        },
        "safety": {
            "replies": agg.messages.get("safety", 0),
            "conversations": agg.outcomes.get("safety", 0),
            "by_level": dict(sorted(agg.safety_levels.items())),
        },
        "handoffs": {
            "conversations_asking_for_a_person": agg.handoff_started,
            "cancelled": agg.handoff_cancelled,
            **handoffs,
        },
        "by_day": days,
        "stats": {"events_read": agg.events_read, "seconds": round(time.monotonic() - started, 2)},
        "max_items": max_items,
    }


DEFINITIONS = {
    "conversation": "One Rasa session of one user (a new one starts after 60 idle minutes) with at least one user "
    "message; counted on the UTC day of its first event in the range. Only events inside the range are read.",
    "outcome": "Each conversation gets the first that applies: safety (a red-flag or crisis reply was given); hand-off "
    "(the user asked for a person: the hand-off form started); unresolved (the last reply to a question was "
    "the out-of-scope decline or 'did you mean'); deflected (at least one article answer); no question answered.",
    "deflection_rate": "Deflected conversations divided by all conversations.",
    "content_gaps": "User messages answered with the out-of-scope decline or 'did you mean', grouped by normalised text "
    "(lower case, punctuation removed; emails and long numbers masked). Button clicks are not listed; "
    "messages that got a safety reply are only counted.",
    "content_requests": "Questions support staff labelled 'needs new content' in the review inbox (/staff/) in the "
    "range: the article does not answer them and someone should decide whether it should.",
    "feedback": "'Was this helpful?' ratings given in the range, by the topic of the rated answer (a re-rating replaces "
    "the earlier one).",
    "handoffs": "Requests submitted through the hand-off form in the range, newest first, with the conversation up to "
    "the request. The only place email addresses appear. User messages that got a safety reply are withheld.",
}


# ---------------------------------------------------------------- charts (matplotlib, embedded as SVG data URIs)


def _figure_to_data_uri(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML declaration and DOCTYPE (which names a URL)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "svg.hashsalt": "painfaq-report",  # stable element ids: the same data gives the same file
            "svg.fonttype": "path",  # text as paths: no font needed to view it
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return plt


def chart_answers_per_topic(summary: Dict[str, Any]) -> str:
    plt = _pyplot()
    rows = list(reversed(summary["answers_per_topic"]))
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.3 * len(rows) + 0.8)))
    if rows and any(r["answers"] for r in rows):
        labels = [r["question"] if len(r["question"]) <= 60 else r["question"][:57] + "..." for r in rows]
        values = [r["answers"] for r in rows]
        bars = ax.barh(labels, values, color="#2a7f62")
        ax.bar_label(bars, padding=3, fontsize=8)
        ax.set_xlabel("article answers")
        ax.margins(x=0.12)
    else:
        ax.text(0.5, 0.5, "No article answers in this range", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    ax.set_title("Answers per topic")
    return _figure_to_data_uri(fig)


def chart_deflection_over_time(summary: Dict[str, Any]) -> str:
    plt = _pyplot()
    days = summary["by_day"]
    fig, ax = plt.subplots(figsize=(11, 3.8))
    if summary["conversations"]:
        import matplotlib.dates as mdates

        x = [datetime.strptime(d["date"], "%Y-%m-%d") for d in days]
        bottom = [0] * len(days)
        width = 0.8 if len(days) < 200 else 1.0
        for outcome in ("deflected", "unresolved", "handoff", "safety", "no_answer"):
            values = [d[f"outcome_{outcome}"] for d in days]
            ax.bar(x, values, bottom=bottom, width=width, color=OUTCOME_COLORS[outcome], label=OUTCOME_LABELS[outcome])
            bottom = [b + v for b, v in zip(bottom, values)]
        ax.set_ylabel("conversations per day")
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=10))
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
        rate_ax = ax.twinx()
        rate_points = [(xi, d["deflection_rate"] * 100) for xi, d in zip(x, days) if d["deflection_rate"] is not None]
        rate_ax.plot(
            [p[0] for p in rate_points],
            [p[1] for p in rate_points],
            color="#1b2430",
            marker="o" if len(days) <= 45 else None,
            markersize=3,
            linewidth=1.5,
            label="deflection rate (%)",
        )
        rate_ax.set_ylim(0, 100)
        rate_ax.set_ylabel("deflection rate (%)")
        rate_ax.spines["top"].set_visible(False)
        handles, labels = ax.get_legend_handles_labels()
        h2, l2 = rate_ax.get_legend_handles_labels()
        ax.legend(
            handles + h2,
            labels + l2,
            fontsize=8,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.15),
            ncol=3,
            frameon=False,
        )
    else:
        ax.text(0.5, 0.5, "No conversations in this range", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    ax.set_title("Deflection over time")
    return _figure_to_data_uri(fig)


# ---------------------------------------------------------------- HTML

CSS = """
:root { --ink:#1b2430; --muted:#4a5563; --line:#d7dce2; --bg:#f6f8fa; --accent:#2a7f62; --warn:#b8404a; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 20px 60px; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 20px; margin: 36px 0 8px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 20px 0 6px; }
.sub { color: var(--muted); margin: 0 0 20px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; background: var(--bg); }
.card .n { font-size: 28px; font-weight: 700; line-height: 1.2; }
.card .l { color: var(--muted); font-size: 13px; }
.card.key { border-color: var(--accent); } .card.warn .n { color: var(--warn); }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg); font-weight: 600; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.bar { display: inline-block; height: 10px; background: #d08c1f; border-radius: 2px; vertical-align: middle; margin-right: 6px; }
.pill { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #eef1f4; }
.pill.pending { background: #fde8d8; } .pill.delivered { background: #dff2e9; }
img.chart { max-width: 100%; height: auto; display: block; margin: 8px 0; }
details { border: 1px solid var(--line); border-radius: 8px; margin: 8px 0; padding: 8px 12px; }
summary { cursor: pointer; font-weight: 600; }
.t { margin: 6px 0 0; padding: 0; list-style: none; font-size: 14px; }
.t li { padding: 4px 0; border-top: 1px dashed var(--line); white-space: pre-wrap; overflow-wrap: anywhere; }
.t .who { font-weight: 600; margin-right: 6px; } .t .when { color: var(--muted); font-size: 12px; margin-right: 6px; }
.note { color: var(--muted); font-size: 13px; }
dl.defs dt { font-weight: 600; margin-top: 8px; } dl.defs dd { margin: 2px 0 0 0; color: var(--muted); }
.terms span { display: inline-block; margin: 2px 4px 2px 0; padding: 2px 8px; border-radius: 12px; background: #fff3df; border: 1px solid #f0d6a8; font-size: 13px; }
@media print { details { break-inside: avoid; } }
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _pct(rate: Optional[float]) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _table(headers: List[Tuple[str, bool]], rows: Iterable[List[str]], empty: str) -> str:
    rows = list(rows)
    if not rows:
        return f'<p class="note">{_e(empty)}</p>'
    head = "".join(f'<th scope="col"{" class=num" if num else ""}>{_e(h)}</th>' for h, num in headers)
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=num' if num else ''}>{cell}</td>" for (_, num), cell in zip(headers, row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(summary: Dict[str, Any], charts: Dict[str, str]) -> str:
    s = summary
    outcomes = s["outcomes"]
    gaps = s["content_gaps"]
    handoffs = s["handoffs"]
    total = s["conversations"]
    parts: List[str] = []
    add = parts.append
    add('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">"
    )
    add(
        f"<title>Deflection report {_e(s['range']['from'])} to {_e(s['range']['to'])}</title><style>{CSS}</style></head><body><main>"
    )
    add(
        f'<h1>Assistant deflection report</h1><p class="sub">{_e(s["range"]["from"])} to {_e(s["range"]["to"])} (UTC), '
        f"generated {_e(s['generated_at'])}. Definitions are at the end.</p>"
    )

    add('<section aria-label="Key numbers"><div class="cards">')
    cards = [
        ("key", _pct(s["deflection_rate"]), f"deflection rate ({s['deflected']:,} of {total:,} conversations)"),
        ("", f"{total:,}", "conversations"),
        (
            "warn" if gaps["messages"] else "",
            f"{gaps['messages']:,}",
            f"unanswered questions ({gaps['distinct']:,} distinct)",
        ),
        (
            "",
            f"{handoffs['submitted']:,}",
            f"hand-off requests submitted ({handoffs['conversations_asking_for_a_person']:,} conversations asked for a person)",
        ),
        ("", f"{s['messages']['article_answers']:,}", "article answers"),
        ("", *_feedback_card(s["feedback_totals"])),
        (
            "warn" if s["safety"]["replies"] else "",
            f"{s['safety']['replies']:,}",
            "safety replies (urgent care / crisis)",
        ),
    ]
    for cls, number, label in cards:
        add(f'<div class="card {cls}"><div class="n">{_e(number)}</div><div class="l">{_e(label)}</div></div>')
    add("</div></section>")

    # Content gaps first: what support staff act on.
    add('<section id="gaps"><h2>Content gaps: questions the assistant could not answer</h2>')
    add(
        f'<p class="note">{gaps["messages"]:,} messages got the out-of-scope decline or a "did you mean"; '
        f"{gaps['distinct']:,} distinct after normalising. Most frequent first"
        + (f" (top {len(gaps['top'])} shown)" if gaps["distinct"] > len(gaps["top"]) else "")
        + ".</p>"
    )
    if gaps["top_terms"]:
        add(
            '<h3>Frequent words in those questions</h3><p class="terms">'
            + "".join(f"<span>{_e(t['term'])} <b>{t['messages']:,}</b></span>" for t in gaps["top_terms"])
            + "</p>"
        )
    biggest = max((g["count"] for g in gaps["top"]), default=1)
    add(
        _table(
            [("Question (as the user wrote it, first seen)", False), ("Bot reply", False), ("Times", True)],
            (
                [
                    f'<span class="bar" style="width:{max(2, round(60 * g["count"] / biggest))}px"></span>{_e(g["text"])}',
                    _e(GAP_KINDS[g["reply"]]),
                    f"{g['count']:,}",
                ]
                for g in gaps["top"]
            ),
            "No unanswered questions in this range.",
        )
    )
    add("</section>")

    requests = s.get("content_requests") or {"count": 0, "items": []}
    add('<section id="content-requests"><h2>Content requests from the review inbox</h2>')
    add(f'<p class="note">{requests["count"]:,} questions labelled "needs new content" by support staff.</p>')
    add(
        _table(
            [("Question", False), ("Labelled by", False), ("When (UTC)", False)],
            ([_e(r["text"]), _e(r["labelled_by"]), _e(r["labelled_at"])] for r in requests["items"]),
            "No content requests in this range.",
        )
    )
    add("</section>")

    add('<section id="topics"><h2>Answers per topic</h2>')
    add(
        f'<img class="chart" src="{charts["answers_per_topic"]}" alt="Bar chart of article answers per topic; the numbers are in the table below.">'
    )
    add(
        _table(
            [("Topic", False), ("Answers", True), ("Rated helpful", True), ("Rated not helpful", True)],
            (
                [
                    _e(r["question"]),
                    f"{r['answers']:,}",
                    f"{_fb(s, r['topic'], 'helpful'):,}",
                    f"{_fb(s, r['topic'], 'not_helpful'):,}",
                ]
                for r in s["answers_per_topic"]
            ),
            "No topics.",
        )
    )
    add("</section>")

    add('<section id="feedback"><h2>Feedback per topic ("Was this helpful?")</h2>')
    add(
        _table(
            [("Topic", False), ("Helpful", True), ("Not helpful", True), ("Helpful share", True)],
            (
                [_e(r["question"]), f"{r['helpful']:,}", f"{r['not_helpful']:,}", _pct(r["helpful_rate"])]
                for r in s["feedback_per_topic"]
            ),
            "No feedback in this range.",
        )
    )
    add("</section>")

    add('<section id="over-time"><h2>Deflection over time</h2>')
    add(
        f'<img class="chart" src="{charts["deflection_over_time"]}" alt="Stacked bars of conversations per day by outcome, with the daily deflection rate as a line; the numbers are in the tables.">'
    )
    add("<h3>Outcomes</h3>")
    add(
        _table(
            [("Outcome", False), ("Conversations", True), ("Share", True)],
            (
                [_e(OUTCOME_LABELS[o]), f"{outcomes[o]:,}", _pct(outcomes[o] / total if total else None)]
                for o in OUTCOMES
            ),
            "No conversations.",
        )
    )
    active_days = [d for d in s["by_day"] if d["conversations"]]
    add("<details><summary>Per day</summary>")
    add(
        _table(
            [("Day", False), ("Conversations", True), ("Deflected", True), ("Deflection rate", True)],
            (
                [_e(d["date"]), f"{d['conversations']:,}", f"{d['deflected']:,}", _pct(d["deflection_rate"])]
                for d in active_days
            ),
            "No conversations.",
        )
    )
    add("</details></section>")

    add('<section id="safety"><h2>Safety replies</h2>')
    add(
        f"<p>{s['safety']['replies']:,} red-flag or crisis replies in {s['safety']['conversations']:,} conversations. "
        "What those users wrote is not shown in this report.</p>"
    )
    add(
        _table(
            [("Level", False), ("Replies", True)],
            ([_e(level), f"{n:,}"] for level, n in s["safety"]["by_level"].items()),
            "None in this range.",
        )
    )
    add("</section>")

    add('<section id="handoffs"><h2>Hand-off requests</h2>')
    delivery = (
        ", ".join(f"{n:,} {status.replace('_', ' ')}" for status, n in sorted(handoffs["delivery"].items())) or "none"
    )
    add(
        f"<p>{handoffs['submitted']:,} submitted ({_e(delivery)}); {handoffs['conversations_asking_for_a_person']:,} conversations "
        f'asked for a person; {handoffs["cancelled"]:,} requests cancelled by the user. Webhook delivery: "pending" means the '
        'helpdesk webhook did not accept it yet (retry with <code>make handoff-redeliver</code>); "not configured" means no '
        "webhook was set.</p>"
    )
    if handoffs["submitted"] > len(handoffs["items"]):
        add(f'<p class="note">Newest {len(handoffs["items"])} shown.</p>')
    if not handoffs["items"]:
        add('<p class="note">No hand-off requests in this range.</p>')
    for item in handoffs["items"]:
        add(
            f"<details><summary>#{item['id']} · {_e(item['created_at'])} · {_e(item['email'] or 'no email given')} · "
            f'<span class="pill {_e(item["delivery"])}">{_e(item["delivery"].replace("_", " "))}</span></summary>'
        )
        add(
            f'<p><b>Question:</b> {_e(item["question"])}<br><span class="note">Conversation {_e(item["sender_id"])}, '
            f'{item["attempts"]} webhook attempts</span></p><ol class="t">'
        )
        for entry in item["transcript"]:
            who = "User" if entry["role"] == "user" else "Bot"
            add(
                f'<li><span class="who">{who}</span><span class="when">{_e(entry["time"])}</span>{_e(entry["text"])}</li>'
            )
        add("</ol></details>")
    add("</section>")

    add('<section id="definitions"><h2>Definitions</h2><dl class="defs">')
    for term, text in s["definitions"].items():
        add(f"<dt>{_e(term.replace('_', ' ').capitalize())}</dt><dd>{_e(text)}</dd>")
    add(f'</dl><p class="note">Read {s["stats"]["events_read"]:,} events in {s["stats"]["seconds"]} s.</p></section>')
    add("</main></body></html>\n")
    return "".join(parts)


def _fb(summary: Dict[str, Any], topic: str, key: str) -> int:
    return next((r[key] for r in summary["feedback_per_topic"] if r["topic"] == topic), 0)


def _feedback_card(totals: Dict[str, int]) -> Tuple[str, str]:
    rated = totals["helpful"] + totals["not_helpful"]
    if not rated:
        return "—", "answers rated helpful (no ratings yet)"
    return f"{totals['helpful'] / rated * 100:.0f}%", f"of {rated:,} rated answers were helpful"


# ---------------------------------------------------------------- entry point


def write_report(
    engine: Engine, start: date, end: date, out_dir: Path, max_items: int = 200
) -> Tuple[Path, Path, Dict[str, Any]]:
    summary = summarise(engine, start, end, max_items)
    charts = {
        "answers_per_topic": chart_answers_per_topic(summary),
        "deflection_over_time": chart_deflection_over_time(summary),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"deflection-report_{start.isoformat()}_{end.isoformat()}"
    html_path, json_path = out_dir / f"{stem}.html", out_dir / f"{stem}.json"
    html_path.write_text(render_html(summary, charts), encoding="utf-8")
    json_path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return html_path, json_path, summary
