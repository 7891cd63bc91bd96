"""Real-user evaluation: what the assistant replies to messages real people wrote publicly.

Sends every message of tests/real_users/dev.jsonl and tests/real_users/test.jsonl over the REST channel
of the real servers (action server + Rasa, as `make run` starts them; rate limits lifted for this one
client) and reads only the replies, as a user would:

- answerable messages: right topic / wrong topic / "did you mean" / declined / safety reply (false alarm);
- out-of-scope messages: declined (no article content) / answered with article content / "did you mean";
- red flags and crisis: recall (a red-flag or crisis reply; a crisis message needs the crisis reply);
- false alarms: a safety reply to an ordinary (answerable or out-of-scope) message.

The test set is never tuned on: its sha256 is printed and stored, and its misses are not listed. Dev-set
misses are listed with `--show-misses`. Results go to results/real_users.json.

Usage: .venv/bin/python scripts/eval_real.py [--model PATH] [--sets dev test] [--show-misses] [--floor dev:right=0.5 ...]
Exit status 1 when a regression floor (`--floor`) is not met.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

REPO_ROOT = Path(__file__).resolve().parent.parent
SETS_DIR = REPO_ROOT / "tests" / "real_users"
RESULTS = REPO_ROOT / "results" / "real_users.json"
LABELS = ("answer", "out_of_scope", "red_flag", "crisis")
GOOD_OUTCOMES = {"answer": ("right",), "out_of_scope": ("declined",), "red_flag": ("caught",), "crisis": ("caught",)}


@dataclass(frozen=True)
class RealMessage:
    id: str
    text: str
    source: str
    source_group: str
    expected: str
    topics: List[str]


@dataclass(frozen=True)
class Reply:
    """What the user saw, reduced to one outcome: answer / did_you_mean / declined / safety / other."""

    outcome: str
    topic: Optional[str] = None
    safety_kind: Optional[str] = None
    safety_level: Optional[str] = None
    safety_category: Optional[str] = None
    warning_note: bool = False


def load_set(path: Path) -> List[RealMessage]:
    messages = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row["expected"] not in LABELS:
            raise ValueError(f"{path.name}:{number}: unknown label {row['expected']!r}")
        messages.append(
            RealMessage(
                id=row["id"],
                text=row["text"],
                source=row["source"],
                source_group=row["source_group"],
                expected=row["expected"],
                topics=list(row.get("topics") or []),
            )
        )
    return messages


def shown(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_reply(bot_messages: List[Dict[str, Any]]) -> Reply:
    """Reduce the REST reply (a list of bot messages) to what the user got, safety first."""
    customs = [m["custom"] for m in bot_messages if isinstance(m.get("custom"), dict)]
    types = [c.get("type") for c in customs]
    note = "warning_note" in types
    for custom in customs:
        if custom.get("type") == "safety":
            return Reply(
                "safety",
                safety_kind=custom.get("kind"),
                safety_level=custom.get("level"),
                safety_category=custom.get("category"),
            )
    for custom in customs:
        if custom.get("type") == "answer":
            return Reply("answer", topic=custom.get("topic"), warning_note=note)
    if "did_you_mean" in types:
        return Reply("did_you_mean", warning_note=note)
    if "out_of_scope" in types:
        return Reply("declined", warning_note=note)
    return Reply("other", warning_note=note)


def outcome_for(message: RealMessage, reply: Reply) -> str:
    """The report's bucket for one message."""
    if message.expected == "answer":
        if reply.outcome == "answer":
            return "right" if reply.topic in message.topics else "wrong"
        if reply.outcome == "safety":
            return "false_alarm"
        return "did_you_mean" if reply.outcome == "did_you_mean" else "declined"
    if message.expected == "out_of_scope":
        if reply.outcome == "safety":
            return "false_alarm"
        if reply.outcome == "answer":
            return "answered"
        return "did_you_mean" if reply.outcome == "did_you_mean" else "declined"
    if message.expected == "crisis":
        return "caught" if reply.outcome == "safety" and reply.safety_kind == "crisis" else "missed"
    # red_flag: any red-flag reply; a crisis reply is urgent guidance too.
    return "caught" if reply.outcome == "safety" else "missed"


def rate(count: int, total: int) -> Optional[float]:
    return round(count / total, 4) if total else None


def summarise(messages: List[RealMessage], outcomes: List[str], replies: List[Reply]) -> Dict[str, Any]:
    by_label: Dict[str, Counter] = {label: Counter() for label in LABELS}
    for message, outcome in zip(messages, outcomes):
        by_label[message.expected][outcome] += 1
    totals = {label: sum(counter.values()) for label, counter in by_label.items()}
    answerable, oos = by_label["answer"], by_label["out_of_scope"]
    ordinary = totals["answer"] + totals["out_of_scope"]
    notes = sum(1 for m, r in zip(messages, replies) if r.warning_note and m.expected in ("answer", "out_of_scope"))
    red_flag_urgent = sum(
        1
        for m, r in zip(messages, replies)
        if m.expected == "red_flag" and r.outcome == "safety" and r.safety_level in ("emergency", "same_day", "crisis")
    )
    return {
        "messages": len(messages),
        "counts": totals,
        "answerable": {
            k: rate(answerable[k], totals["answer"])
            for k in ("right", "wrong", "did_you_mean", "declined", "false_alarm")
        },
        "out_of_scope": {
            k: rate(oos[k], totals["out_of_scope"]) for k in ("declined", "answered", "did_you_mean", "false_alarm")
        },
        "red_flag_recall": rate(by_label["red_flag"]["caught"], totals["red_flag"]),
        "red_flag_urgent_reply": rate(red_flag_urgent, totals["red_flag"]),
        "crisis_recall": rate(by_label["crisis"]["caught"], totals["crisis"]),
        "false_alarms": answerable["false_alarm"] + oos["false_alarm"],
        "false_alarm_rate": rate(answerable["false_alarm"] + oos["false_alarm"], ordinary),
        "warning_notes_on_ordinary": notes,
        # Which kind of warning sign the false alarms were read as (an aggregate: which rules over-fire).
        "false_alarms_by_category": dict(
            Counter(
                r.safety_category or r.safety_kind or "?"
                for m, r in zip(messages, replies)
                if m.expected in ("answer", "out_of_scope") and r.outcome == "safety"
            ).most_common()
        ),
    }


def run_set(send, messages: List[RealMessage]) -> Tuple[List[Reply], List[float]]:
    """Each message from a new sender (a first message, as real people's were); the reply and its latency."""
    replies, latencies = [], []
    for message in messages:
        sender = f"eval-real-{uuid.uuid4().hex[:12]}"
        started = time.perf_counter()
        bot_messages = send(sender, message.text)
        latencies.append(1000 * (time.perf_counter() - started))
        replies.append(read_reply(bot_messages))
    return replies, latencies


# metric -> (how to read it from a set's summary, True if higher is better)
FLOOR_METRICS = {
    "right": (lambda s: s["answerable"]["right"], True),
    "wrong": (lambda s: s["answerable"]["wrong"], False),
    "oos_declined": (lambda s: s["out_of_scope"]["declined"], True),
    "red_flag_recall": (lambda s: s["red_flag_recall"], True),
    "crisis_recall": (lambda s: s["crisis_recall"], True),
    "false_alarm_rate": (lambda s: s["false_alarm_rate"], False),
}


def check_floor(spec: str, results: Dict[str, Dict[str, Any]]) -> List[str]:
    """`dev:right=0.5` -> [] if met (or the set was not run), else one failure line."""
    set_name, _, rest = spec.partition(":")
    metric, _, value = rest.partition("=")
    if metric not in FLOOR_METRICS or not value:
        raise SystemExit(f"bad --floor {spec!r}: use SET:METRIC=VALUE with METRIC in {sorted(FLOOR_METRICS)}")
    if set_name not in results:
        return []
    read, higher_is_better = FLOOR_METRICS[metric]
    measured = read(results[set_name]) or 0.0
    limit = float(value)
    met = measured >= limit if higher_is_better else measured <= limit
    return [] if met else [f"{set_name}: {metric} {measured:.3f} {'<' if higher_is_better else '>'} {limit}"]


def pct(value: Optional[float]) -> str:
    return "   -  " if value is None else f"{100 * value:5.1f}%"


def print_table(results: Dict[str, Dict[str, Any]]) -> None:
    names = list(results)
    rows = [
        ("answerable: right topic", lambda r: pct(r["answerable"]["right"])),
        ("answerable: wrong topic", lambda r: pct(r["answerable"]["wrong"])),
        ("answerable: did you mean", lambda r: pct(r["answerable"]["did_you_mean"])),
        ("answerable: declined", lambda r: pct(r["answerable"]["declined"])),
        ("out of scope: declined", lambda r: pct(r["out_of_scope"]["declined"])),
        ("out of scope: got article content", lambda r: pct(r["out_of_scope"]["answered"])),
        ("red flag recall", lambda r: pct(r["red_flag_recall"])),
        ("crisis recall", lambda r: pct(r["crisis_recall"])),
        ("false alarms (ordinary messages)", lambda r: f"{pct(r['false_alarm_rate'])} ({r['false_alarms']})"),
        ("messages (answer/oos/red/crisis)", lambda r: "/".join(str(r["counts"][k]) for k in LABELS)),
        ("latency over REST p50 / p95 (ms)", lambda r: f"{r['latency_ms']['p50']} / {r['latency_ms']['p95']}"),
    ]
    print(f"{'':36}" + "".join(f"{n:>18}" for n in names))
    for label, cell in rows:
        print(f"{label:36}" + "".join(f"{cell(results[n]):>18}" for n in names))
    for name in names:
        counts = results[name]["false_alarms_by_category"]
        print(f"false alarms on {name} read as: " + (", ".join(f"{k} {v}" for k, v in counts.items()) or "none"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model archive (default: the one for the current data)")
    parser.add_argument(
        "--sets",
        nargs="+",
        default=["dev", "test"],
        help="dev, test, or the path of another set in the same format (e.g. candidates being labelled)",
    )
    parser.add_argument("--show-misses", action="store_true", help="list the misses of every set but the test set")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument(
        "--floor",
        action="append",
        default=[],
        metavar="SET:METRIC=VALUE",
        help="regression floor, e.g. dev:right=0.5 or test:false_alarm_rate=0.25 (a ceiling for "
        "false_alarm_rate and wrong); metrics: " + ", ".join(sorted(FLOOR_METRICS)),
    )
    args = parser.parse_args()

    sets = {
        name if name in ("dev", "test") else Path(name).stem: (
            SETS_DIR / f"{name}.jsonl" if name in ("dev", "test") else Path(name).resolve()
        )
        for name in args.sets
    }
    for name, path in sets.items():
        print(f"{name}: {shown(path)} sha256 {sha256_of(path)}")

    # One client sends every message: lift the per-address and per-sender limits for this stack only.
    os.environ["PAINFAQ_RATE_PER_ADDRESS"] = "off"
    os.environ["PAINFAQ_RATE_PER_SENDER"] = "off"
    from tests.harness.stack import start_stack

    stack = start_stack(model=args.model)
    results: Dict[str, Dict[str, Any]] = {}
    misses: List[str] = []
    try:
        for name, path in sets.items():
            messages = load_set(path)
            started = time.monotonic()
            replies, latencies = run_set(stack.send, messages)
            outcomes = [outcome_for(m, r) for m, r in zip(messages, replies)]
            summary = summarise(messages, outcomes, replies)
            summary.update(
                file=shown(path),
                sha256=sha256_of(path),
                sources=sorted({m.source_group for m in messages}),
                seconds=round(time.monotonic() - started, 1),
                latency_ms={
                    "p50": round(statistics.median(latencies), 1),
                    "p95": round(statistics.quantiles(latencies, n=20)[-1], 1),
                    "mean_words": round(statistics.mean(len(m.text.split()) for m in messages), 1),
                },
            )
            results[name] = summary
            if name != "test" and args.show_misses:
                for m, r, o in zip(messages, replies, outcomes):
                    if o not in GOOD_OUTCOMES[m.expected]:
                        got = r.topic or r.safety_level or r.outcome
                        misses.append(f"[{m.id}] {m.expected}{m.topics or ''} -> {o} ({got}): {m.text[:300]!r}")
    finally:
        stack.stop()

    print()
    print_table(results)
    for line in misses:
        print(line)
    Path(args.out).write_text(json.dumps({"generated_by": "scripts/eval_real.py", "sets": results}, indent=2) + "\n")
    print(f"\nwrote {args.out}")

    failures = [f for spec in args.floor for f in check_floor(spec, results)]
    for failure in failures:
        print("FLOOR NOT MET:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
