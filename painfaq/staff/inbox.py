"""The review inbox: what the assistant failed or hesitated on, grouped, with the reviewers' labels.

`sync` reads new events from Rasa's `events` table (SQLite or PostgreSQL) after a cursor and stores one
row per user message that got an out-of-scope decline, a "did you mean" (with the button then clicked), a
"not helpful" rating, a hand-off request, or an answer given with low confidence. What it must remember of
a conversation for the next sync (the turn a later rating or click refers to) is kept by
painfaq.staff.context. Texts are masked as in
the deflection report; turns that got a safety reply are counted per day, never stored. `inbox` groups
near-identical wording (same words after lower-casing, punctuation and masking: painfaq.support.report
.normalise), most frequent first, paged, from indexed columns only.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from painfaq.staff import context, tables
from painfaq.stores import db
from painfaq.support.report import mask_text, normalise

OUTCOMES = ("out_of_scope", "did_you_mean", "not_helpful", "handoff", "low_confidence")
LABELS = ("topic", "out_of_scope", "needs_content", "ignore")
# An answer given below this confidence is shown for review (the "did you mean" threshold is 0.4).
LOW_CONFIDENCE = 0.6
CURSOR = "cursor"
SAFETY_PREFIX = "safety:"  # + YYYY-MM-DD: safety turns that day
MAX_TEXT = 1000
MAX_REPLY = 500


class LabelError(ValueError):
    pass


def sender_tag(sender: str) -> str:
    return hashlib.sha256(sender.encode("utf-8")).hexdigest()[:12]


def utc_day(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d")


@dataclass
class _UserTurn:
    event_id: int
    timestamp: float
    text: str
    guesses: List[Dict[str, Any]]
    confidence: float


@dataclass
class _Sender:
    last_seen: float = 0.0
    pending: Optional[_UserTurn] = None  # the user message awaiting its first reply
    last_question: Optional[_UserTurn] = None  # the last message in the person's own words
    last_answered: Optional[_UserTurn] = None
    last_answer_reply: str = ""
    last_answer_reply_event: Optional[int] = None
    last_did_you_mean: Optional[int] = None  # event id of the item awaiting the click

    def refs(self) -> context.Refs:
        def event(turn: Optional[_UserTurn]) -> Optional[int]:
            return turn.event_id if turn is not None else None

        return context.Refs(
            self.last_seen,
            pending=event(self.pending),
            last_question=event(self.last_question),
            last_answered=event(self.last_answered),
            answer_reply=self.last_answer_reply_event if self.last_answered is not None else None,
            did_you_mean=self.last_did_you_mean,
        )


@dataclass
class _Batch:
    items: List[Dict[str, Any]] = field(default_factory=list)
    clicks: Dict[int, str] = field(default_factory=dict)
    safety_days: Dict[str, int] = field(default_factory=dict)


def _guesses(parse_data: Dict[str, Any]) -> List[Dict[str, Any]]:
    ranking = parse_data.get("intent_ranking") or []
    out = []
    for entry in ranking:
        name = entry.get("name")
        if name and name != "nlu_fallback":
            out.append({"intent": name, "confidence": round(float(entry.get("confidence") or 0.0), 3)})
        if len(out) == 3:
            break
    return out


def _item(turn: _UserTurn, sender: str, outcome: str, reply: str) -> Dict[str, Any]:
    return {
        "event_id": turn.event_id,
        "sender_tag": sender_tag(sender),
        "timestamp": turn.timestamp,
        "outcome": outcome,
        "text": mask_text(turn.text.strip())[:MAX_TEXT],
        "group_key": normalise(turn.text)[:500],
        "guesses": json.dumps(turn.guesses),
        "reply": mask_text(reply)[:MAX_REPLY],
        "clicked": None,
    }


def _state(conn: Connection, name: str, default: float = 0.0) -> float:
    value = conn.execute(sa.select(db.review_state.c.value).where(db.review_state.c.name == name)).scalar()
    return float(value) if value is not None else default


def _set_state(conn: Connection, name: str, value: float) -> None:
    if conn.execute(sa.update(db.review_state).where(db.review_state.c.name == name).values(value=value)).rowcount:
        return
    conn.execute(sa.insert(db.review_state).values(name=name, value=value))


def _insert_new(conn: Connection, rows: List[Dict[str, Any]]) -> None:
    """Insert rows not stored yet (a turn re-read after an unfinished sync is not stored twice)."""
    if not rows:
        return
    items = db.review_items
    ids = sorted({row["event_id"] for row in rows})
    existing = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = sa.select(items.c.event_id, items.c.outcome).where(items.c.event_id.in_(chunk))
        existing |= {(event_id, outcome) for event_id, outcome in conn.execute(query)}
    fresh = {(r["event_id"], r["outcome"]): r for r in rows if (r["event_id"], r["outcome"]) not in existing}
    if fresh:
        conn.execute(sa.insert(items), list(fresh.values()))


def _user_turn(event_id: int, timestamp: float, raw: Optional[str]) -> Optional[Tuple[_UserTurn, str]]:
    """The turn and its intent, from a user event's stored JSON."""
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return None
    parse_data = data.get("parse_data") or {}
    intent = parse_data.get("intent") or {}
    turn = _UserTurn(
        event_id,
        timestamp,
        str(data.get("text") or ""),
        _guesses(parse_data),
        float(intent.get("confidence") or 0.0),
    )
    return turn, str(intent.get("name") or "")


def _bot_text(raw: Optional[str]) -> str:
    try:
        return str(json.loads(raw or "{}").get("text") or "")
    except ValueError:
        return ""


class _Reader:
    """Folds events (in id order) into review items, starting from each conversation's stored context."""

    def __init__(self) -> None:
        self.senders: Dict[str, _Sender] = {}
        self.batch = _Batch()

    def restore(self, conn: Connection, senders: Iterable[str]) -> None:
        """Take up where the last sync left these conversations (those not met yet in this one)."""
        new = [s for s in senders if s not in self.senders]
        saved = context.load(conn, new) if new else {}
        ids = sorted({event_id for refs in saved.values() for event_id in refs.event_ids()})
        rows: Dict[int, Any] = {}
        e = db.events
        for start in range(0, len(ids), 500):
            query = sa.select(e.c.id, e.c.timestamp, e.c.data).where(e.c.id.in_(ids[start : start + 500]))
            rows.update((row.id, row) for row in conn.execute(query))

        def turn(event_id: Optional[int]) -> Optional[_UserTurn]:
            # Gone when the retention job deleted the conversation's events meanwhile.
            row = rows.get(event_id) if event_id is not None else None
            parsed = _user_turn(row.id, float(row.timestamp or 0.0), row.data) if row is not None else None
            return parsed[0] if parsed else None

        for sender in new:
            state = self.senders[sender] = _Sender()
            refs = saved.get(sender)
            if refs is None:
                continue
            state.last_seen = refs.last_seen
            state.pending = turn(refs.pending)
            state.last_question = turn(refs.last_question)
            state.last_answered = turn(refs.last_answered)
            reply = rows.get(refs.answer_reply) if refs.answer_reply is not None else None
            state.last_answer_reply = _bot_text(reply.data) if reply is not None else ""
            state.last_answer_reply_event = refs.answer_reply
            state.last_did_you_mean = refs.did_you_mean

    def user(self, event_id: int, sender: str, timestamp: float, raw: Optional[str]) -> None:
        state = self.senders.setdefault(sender, _Sender())
        state.last_seen = max(state.last_seen, timestamp)
        parsed = _user_turn(event_id, timestamp, raw)
        if parsed is None:
            return
        turn, intent = parsed
        text = turn.text
        if text.startswith("/"):  # a button, not the person's words
            if state.last_did_you_mean is not None:
                self.batch.clicks[state.last_did_you_mean] = text[:255]
                state.last_did_you_mean = None
            if intent == "feedback_not_helpful" and state.last_answered is not None:
                self.batch.items.append(_item(state.last_answered, sender, "not_helpful", state.last_answer_reply))
                state.last_answered = None
            if intent == "request_human" and state.last_question is not None:
                self.batch.items.append(_item(state.last_question, sender, "handoff", ""))
                state.last_question = None
            state.pending = None
            return
        state.last_did_you_mean = None
        if intent == "feedback_not_helpful" and state.last_answered is not None:
            self.batch.items.append(_item(state.last_answered, sender, "not_helpful", state.last_answer_reply))
            state.last_answered = None
        if intent == "request_human":
            self.batch.items.append(_item(state.last_question or turn, sender, "handoff", ""))
            state.last_question = None
            state.pending = None
            return
        state.pending = turn

    def bot(self, event_id: int, sender: str, timestamp: float, raw: Optional[str]) -> None:
        state = self.senders.get(sender)
        if state is not None:
            state.last_seen = max(state.last_seen, timestamp)
        if state is None or state.pending is None or not raw or '"custom"' not in raw:
            return
        try:
            data = json.loads(raw)
        except ValueError:
            return
        custom = (data.get("data") or {}).get("custom")
        kind = custom.get("type") if isinstance(custom, dict) else None
        if kind not in ("answer", "out_of_scope", "did_you_mean", "safety"):
            return
        turn, state.pending = state.pending, None
        reply = str(data.get("text") or "")
        if kind == "safety":
            day = utc_day(turn.timestamp)
            self.batch.safety_days[day] = self.batch.safety_days.get(day, 0) + 1
            return
        state.last_question = turn
        if kind == "answer":
            state.last_answered, state.last_answer_reply, state.last_answer_reply_event = turn, reply, event_id
            if turn.confidence < LOW_CONFIDENCE:
                self.batch.items.append(_item(turn, sender, "low_confidence", reply))
            return
        self.batch.items.append(_item(turn, sender, kind, reply))
        if kind == "did_you_mean":
            state.last_did_you_mean = turn.event_id


def sync(engine: Engine, batch_size: int = 20_000) -> int:
    """Read the events stored since the last sync; returns how many events were read."""
    tables.ensure(engine)
    with engine.connect() as conn:
        cursor = int(_state(conn, CURSOR))
    reader, read, last_id = _read(engine, cursor, batch_size)
    if read and not _write(engine, cursor, reader, last_id):
        return 0  # another sync stored the same events meanwhile
    return read


def _read(engine: Engine, cursor: int, batch_size: int) -> Tuple[_Reader, int, int]:
    """Fold the events after `cursor` into a reader: (reader, events read, the last event's id)."""
    e = db.events
    reader = _Reader()
    read = 0
    last_id = cursor
    query = (
        sa.select(e.c.id, e.c.sender_id, e.c.type_name, e.c.timestamp, e.c.data)
        .where(e.c.id > cursor, e.c.type_name.in_(["user", "bot"]))
        .order_by(e.c.id)
    )
    with engine.connect() as conn, engine.connect() as lookup:
        result = conn.execution_options(stream_results=True, yield_per=batch_size).execute(query)
        for rows in result.partitions(batch_size):
            reader.restore(lookup, {row[1] for row in rows})
            for event_id, sender, type_name, timestamp, raw in rows:
                read += 1
                last_id = event_id
                if type_name == "user":
                    reader.user(event_id, sender, float(timestamp or 0.0), raw)
                else:
                    reader.bot(event_id, sender, float(timestamp or 0.0), raw)
    return reader, read, last_id


def _write(engine: Engine, cursor: int, reader: _Reader, last_id: int) -> bool:
    """Store what was read after `cursor`, in one transaction; False (nothing stored) when another sync has
    moved the cursor since this one read it (the staff page's sync and a make target's can overlap)."""
    with engine.begin() as conn:
        if not _claim(conn, cursor):
            return False
        _insert_new(conn, reader.batch.items)
        for event_id, payload in reader.batch.clicks.items():
            conn.execute(
                sa.update(db.review_items)
                .where(db.review_items.c.event_id == event_id, db.review_items.c.outcome == "did_you_mean")
                .values(clicked=payload)
            )
        for day, count in reader.batch.safety_days.items():
            _set_state(conn, SAFETY_PREFIX + day, _state(conn, SAFETY_PREFIX + day) + count)
        # A turn still waiting for its reply, like the answer a later rating refers to, is in the context the
        # next sync starts from: the cursor moves past everything read.
        _set_state(conn, CURSOR, float(last_id))
        context.save(conn, {sender: state.refs() for sender, state in reader.senders.items()})
    return True


def _claim(conn: Connection, cursor: int) -> bool:
    """Lock the cursor's row for this transaction, then check it still is where this sync started.

    The no-op update takes PostgreSQL's row lock or SQLite's write lock, so concurrent syncs write one after
    the other, and the later one sees the earlier one's cursor. (Two very first syncs, with no cursor row
    yet, can still collide on inserting it: the later one fails, and the next sync reads on.)
    """
    state = db.review_state
    locked = conn.execute(sa.update(state).where(state.c.name == CURSOR).values(value=state.c.value)).rowcount
    if not locked:
        conn.execute(sa.insert(state).values(name=CURSOR, value=0.0))
    return int(_state(conn, CURSOR)) == cursor


def _day_range(start: Optional[date], end: Optional[date]) -> tuple:
    lo = datetime(start.year, start.month, start.day, tzinfo=timezone.utc).timestamp() if start else 0.0
    hi = datetime(end.year, end.month, end.day, tzinfo=timezone.utc).timestamp() + 86400 if end else 1e12
    return lo, hi


def inbox(
    engine: Engine,
    start: Optional[date] = None,
    end: Optional[date] = None,
    outcomes: Optional[Sequence[str]] = None,
    page: int = 1,
    per_page: int = 50,
    include_labelled: bool = True,
) -> Dict[str, Any]:
    """One page of groups, most frequent first, for the date range (UTC days, inclusive) and outcomes."""
    tables.ensure(engine)
    items, labels = db.review_items, db.review_labels
    lo, hi = _day_range(start, end)
    wanted = [o for o in (outcomes or OUTCOMES) if o in OUTCOMES]
    matching = [items.c.timestamp >= lo, items.c.timestamp < hi, items.c.outcome.in_(wanted)]
    where = list(matching)
    # A group is labelled by a label for the whole group; one for a single message of it leaves it listed.
    active = sa.select(labels.c.group_key).where(
        labels.c.undone_at.is_(None), labels.c.id.not_in(sa.select(tables.item_labels.c.label_id))
    )
    if not include_labelled:
        where.append(items.c.group_key.not_in(active))
    page = max(1, page)
    per_page = max(1, min(200, per_page))
    with engine.connect() as conn:
        # One pass over the messages in range: the page's groups, and (a window over the grouped rows) how many
        # groups there are; counted apart only for a page past the last.
        groups = conn.execute(
            sa.select(
                items.c.group_key,
                sa.func.count().label("count"),
                sa.func.max(items.c.timestamp).label("last_seen"),
                sa.func.max(items.c.id).label("latest"),
                sa.func.count().over().label("total"),
            )
            .where(*where)
            .group_by(items.c.group_key)
            .order_by(sa.desc("count"), sa.desc("last_seen"), items.c.group_key)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        if groups:
            total = groups[0].total
        elif page > 1:
            total = conn.execute(sa.select(sa.func.count(sa.distinct(items.c.group_key))).where(*where)).scalar() or 0
        else:
            total = 0
        keys = [g.group_key for g in groups]
        outcome_counts: Dict[str, Dict[str, int]] = {k: {} for k in keys}
        clicks: Dict[str, Dict[str, int]] = {k: {} for k in keys}
        examples: Dict[int, Any] = {}
        current: Dict[str, List[Dict[str, Any]]] = {k: [] for k in keys}
        if keys:
            # The page's groups only, read through the group_key index: the date and outcome filters are in
            # the count, not in WHERE, where SQLite (no planner statistics) would pick the outcome/time index
            # and read every message in range for 50 groups. The label filter is a group's: all of a listed
            # group's messages pass it.
            in_range = sa.func.sum(sa.case((sa.and_(*matching), 1), else_=0))
            for key, outcome, clicked, count in conn.execute(
                sa.select(items.c.group_key, items.c.outcome, items.c.clicked, in_range)
                .where(items.c.group_key.in_(keys))
                .group_by(items.c.group_key, items.c.outcome, items.c.clicked)
            ):
                if not count:
                    continue
                outcome_counts[key][outcome] = outcome_counts[key].get(outcome, 0) + count
                if clicked is not None:
                    clicks[key][clicked] = clicks[key].get(clicked, 0) + count
            latest = [g.latest for g in groups]
            for row in conn.execute(
                sa.select(items.c.id, items.c.text, items.c.guesses, items.c.reply).where(items.c.id.in_(latest))
            ):
                examples[row.id] = row
            for row in conn.execute(_labels_query().where(labels.c.group_key.in_(keys), labels.c.undone_at.is_(None))):
                current[row.group_key].append(_label_dict(row))
        safety = conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(db.review_state.c.value), 0)).where(
                db.review_state.c.name.like(SAFETY_PREFIX + "%"),
                db.review_state.c.name >= SAFETY_PREFIX + (start.isoformat() if start else ""),
                db.review_state.c.name <= SAFETY_PREFIX + (end.isoformat() if end else "9999"),
            )
        ).scalar()
    out = []
    for g in groups:
        example = examples.get(g.latest)
        out.append(
            {
                "key": g.group_key,
                "count": g.count,
                "last_seen": g.last_seen,
                "text": example.text if example else "",
                "guesses": json.loads(example.guesses) if example else [],
                "reply": example.reply if example else "",
                "outcomes": outcome_counts[g.group_key],
                "clicked": clicks[g.group_key],
                "labels": current[g.group_key],
            }
        )
    return {
        "groups": out,
        "page": page,
        "per_page": per_page,
        "total_groups": total,
        "safety_replies_not_shown": int(safety or 0),
        "outcomes": list(wanted),
    }


def _labels_query() -> Any:
    """Labels with the message they are for (`item_id`; None: for the whole group)."""
    labels, links = db.review_labels, tables.item_labels
    return sa.select(labels, links.c.item_id).select_from(labels.outerjoin(links, links.c.label_id == labels.c.id))


def _label_dict(row: Any) -> Dict[str, Any]:
    return {
        "id": row.id,
        "group_key": row.group_key,
        "item_id": row.item_id,
        "text": row.text,
        "label": row.label,
        "topic": row.topic,
        "labelled_by": row.labelled_by,
        "labelled_at": row.labelled_at,
        "undone_at": row.undone_at,
    }


def add_label(
    engine: Engine,
    group_key: Optional[str],
    label: str,
    topic: Optional[str],
    username: str,
    topics: Iterable[str],
    item_id: Optional[int] = None,
) -> Dict[str, Any]:
    """Label a group, or with `item_id` one message of it. A reviewer's new label for a group (or a message)
    replaces their previous one for it (which stays, undone); a group's and its messages' labels are apart."""
    if (group_key is None) == (item_id is None):
        raise LabelError("give either group_key (a group) or item_id (one message)")
    if label not in LABELS:
        raise LabelError(f"label must be one of {', '.join(LABELS)}")
    if label == "topic":
        if topic not in set(topics):
            raise LabelError("topic: not a topic of the article")
    else:
        topic = None
    tables.ensure(engine)
    items, labels, links = db.review_items, db.review_labels, tables.item_labels
    now = time.time()
    with engine.begin() as conn:
        if item_id is not None:
            found = conn.execute(sa.select(items.c.group_key, items.c.text).where(items.c.id == item_id)).first()
            if found is None:
                raise LabelError("no such message in the inbox")
            group_key, example = found.group_key, found.text
            previous = sa.select(links.c.label_id).where(links.c.item_id == item_id)
            replaced = labels.c.id.in_(previous)
        else:
            example = conn.execute(
                sa.select(items.c.text).where(items.c.group_key == group_key).order_by(items.c.id.desc()).limit(1)
            ).scalar()
            if example is None:
                raise LabelError("no such group in the inbox")
            replaced = labels.c.id.not_in(sa.select(links.c.label_id))
        conn.execute(
            sa.update(labels)
            .where(
                labels.c.group_key == group_key,
                labels.c.labelled_by == username,
                labels.c.undone_at.is_(None),
                replaced,
            )
            .values(undone_at=now)
        )
        label_id = conn.execute(
            sa.insert(labels).values(
                group_key=group_key, text=example, label=label, topic=topic, labelled_by=username, labelled_at=now
            )
        ).inserted_primary_key[0]
        if item_id is not None:
            conn.execute(sa.insert(links).values(label_id=label_id, item_id=item_id))
        row = conn.execute(_labels_query().where(labels.c.id == label_id)).first()
    return _label_dict(row)


def undo_label(engine: Engine, label_id: int) -> bool:
    labels = db.review_labels
    with engine.begin() as conn:
        return bool(
            conn.execute(
                sa.update(labels)
                .where(labels.c.id == label_id, labels.c.undone_at.is_(None))
                .values(undone_at=time.time())
            ).rowcount
        )


def list_labels(
    engine: Engine, include_undone: bool = False, limit: int = 500, offset: int = 0
) -> List[Dict[str, Any]]:
    """Labels, newest first; `limit` and `offset` page through them."""
    tables.ensure(engine)
    labels = db.review_labels
    query = _labels_query().order_by(labels.c.labelled_at.desc(), labels.c.id.desc()).limit(limit).offset(offset)
    if not include_undone:
        query = query.where(labels.c.undone_at.is_(None))
    with engine.connect() as conn:
        return [_label_dict(row) for row in conn.execute(query)]


def count_labels(engine: Engine, include_undone: bool = False) -> int:
    labels = db.review_labels
    query = sa.select(sa.func.count()).select_from(labels)
    if not include_undone:
        query = query.where(labels.c.undone_at.is_(None))
    with engine.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


def group_items(engine: Engine, group_key: str, limit: int = 200) -> List[Dict[str, Any]]:
    """The messages of one group, newest first, each with the active labels given to it alone."""
    tables.ensure(engine)
    items, labels = db.review_items, db.review_labels
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(items).where(items.c.group_key == group_key).order_by(items.c.id.desc()).limit(limit)
        ).all()
        ids = [row.id for row in rows]
        own: Dict[int, List[Dict[str, Any]]] = {i: [] for i in ids}
        if ids:
            for label in conn.execute(
                _labels_query().where(tables.item_labels.c.item_id.in_(ids), labels.c.undone_at.is_(None))
            ):
                own[label.item_id].append(_label_dict(label))
    return [
        {
            "id": row.id,
            "timestamp": row.timestamp,
            "outcome": row.outcome,
            "text": row.text,
            "guesses": json.loads(row.guesses),
            "reply": row.reply,
            "clicked": row.clicked,
            "labels": own[row.id],
        }
        for row in rows
    ]


def group_texts(engine: Engine, group_keys: Sequence[str], per_group: int = 5) -> Dict[str, List[str]]:
    """The distinct (masked) wordings in each group, most recent first."""
    items = db.review_items
    out: Dict[str, List[str]] = {k: [] for k in group_keys}
    if not group_keys:
        return out
    with engine.connect() as conn:
        for key, text in conn.execute(
            sa.select(items.c.group_key, items.c.text)
            .where(items.c.group_key.in_(list(group_keys)))
            .order_by(items.c.id.desc())
        ):
            if text not in out[key] and len(out[key]) < per_group:
                out[key].append(text)
    return out
