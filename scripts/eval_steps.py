"""What each NLU step does to real people's messages: a per-step account on the dev set.

Every message of the chosen sets (dev by default; never the test set, which nobody tunes on) is parsed once by the
trained model, and a Rasa `GraphNodeHook` records the intent each NLU component left behind. Between two steps a
message may move from one outcome to another (an answerable question from "declined" to "right", an out-of-scope
post from "answered" to "declined", a red flag from "missed" to "caught"); the report counts those moves per step,
so a change to one step can be judged by what it did on real messages, and a step that costs more than it gains shows.

The outcomes are read from the parse, not from the reply over REST (`make eval-real` reads replies): "did you mean" here
is the fallback intent, which the reply may still turn into a decline. A step's account is what it changed given the
steps before it, not what removing it would change.

Usage: .venv/bin/python -m scripts.eval_steps [--model PATH] [--sets dev] [--out results/nlu_steps.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from scripts.eval_real import (
    GOOD_OUTCOMES,
    LABELS,
    SETS_DIR,
    RealMessage,
    Reply,
    load_set,
    outcome_for,
    sha256_of,
    shown,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS = REPO_ROOT / "results" / "nlu_steps.json"
SAFETY_INTENTS = ("red_flag", "crisis")
FALLBACK_INTENT = "nlu_fallback"
TOPIC_PREFIX = "faq_"
# (step, intent name or None) in the order the graph ran the NLU components.
Trace = List[Tuple[str, Optional[str]]]


def outcome_of(message: RealMessage, intent: Optional[str]) -> str:
    """The outcome a parse's top intent stands for: `scripts.eval_real`'s bucket for the reply that intent leads to."""
    return outcome_for(message, reply_for(intent))


def reply_for(intent: Optional[str]) -> Reply:
    """The reply an intent leads to, as `scripts.eval_real.read_reply` reduces a real one."""
    if intent in SAFETY_INTENTS:
        return Reply("safety", safety_kind=intent)
    if intent == FALLBACK_INTENT:
        return Reply("did_you_mean")
    if intent and intent.startswith(TOPIC_PREFIX):
        return Reply("answer", topic=intent[len(TOPIC_PREFIX) :])
    return Reply("declined")


@dataclass
class StepAccount:
    """What one step changed: moves per expected label, and the net change in good outcomes."""

    moves: Dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    net_good: Counter = field(default_factory=Counter)
    changed: int = 0

    def add(self, expected: str, before: str, after: str) -> None:
        self.changed += 1
        self.moves[expected][f"{before} -> {after}"] += 1
        good = GOOD_OUTCOMES[expected]
        self.net_good[expected] += int(after in good) - int(before in good)


def account(messages: Sequence[RealMessage], traces: Sequence[Trace]) -> Dict[str, StepAccount]:
    """Per step, the outcome moves it made; the first step with an intent sets the starting outcome."""
    steps: Dict[str, StepAccount] = {}
    for message, trace in zip(messages, traces):
        previous: Optional[str] = None
        for step, intent in trace:
            steps.setdefault(step, StepAccount())
            if intent is None:
                continue
            current = outcome_of(message, intent)
            if previous is not None and current != previous:
                steps[step].add(message.expected, previous, current)
            previous = current
    return steps


def summarise(messages: Sequence[RealMessage], steps: Dict[str, StepAccount]) -> List[Dict[str, Any]]:
    totals = Counter(m.expected for m in messages)
    rows = []
    for step, acc in steps.items():
        rows.append(
            {
                "step": step,
                "messages_moved": acc.changed,
                "net_good": {label: acc.net_good[label] for label in LABELS if acc.net_good[label]},
                # In points of each label's rate, the unit of the targets (right answers, declines, recall).
                "net_points": {
                    label: round(100 * acc.net_good[label] / totals[label], 2)
                    for label in LABELS
                    if totals[label] and acc.net_good[label]
                },
                "moves": {label: dict(acc.moves[label].most_common()) for label in LABELS if acc.moves[label]},
            }
        )
    return rows


class IntentTraceHook:
    """A `GraphNodeHook` that notes the top intent each NLU component leaves on the message it returns."""

    def __init__(self) -> None:
        self.trace: Trace = []

    def on_before_node(self, node_name: str, execution_context: Any, config: Any, received_inputs: Any) -> Dict:
        return {}

    def on_after_node(
        self, node_name: str, execution_context: Any, config: Any, output: Any, input_hook_data: Dict
    ) -> None:
        from rasa.shared.nlu.training_data.message import Message

        if not (node_name.startswith("run_") and isinstance(output, list) and output):
            return
        if not isinstance(output[0], Message):
            return
        intent = output[0].get("intent") or {}
        name = step_name(node_name)
        # The same component twice in a pipeline (two CountVectorsFeaturizers) keeps two accounts.
        seen = sum(1 for step, _ in self.trace if step == name or step.startswith(f"{name} ("))
        self.trace.append((f"{name} ({seen + 1})" if seen else name, intent.get("name")))


def step_name(node_name: str) -> str:
    """'run_painfaq.nlu.premise_gate.PremiseGate10' -> 'PremiseGate'."""
    name = node_name[len("run_") :].rsplit(".", 1)[-1]
    return name.rstrip("0123456789")


async def trace_messages(model: Path, messages: Sequence[RealMessage]) -> List[Trace]:
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    hook = IntentTraceHook()
    traces: List[Trace] = []
    with tempfile.TemporaryDirectory() as storage_path:
        storage, metadata = LocalModelStorage.from_model_archive(Path(storage_path), model)
        schema = metadata.predict_schema
        runner = DaskGraphRunner.create(
            graph_schema=schema,
            model_storage=storage,
            execution_context=ExecutionContext(graph_schema=schema, model_id=metadata.model_id),
            hooks=[hook],
        )
        nlu_nodes = [name for name in schema.nodes if name.startswith("run_") and "Policy" not in name]
        for message in messages:
            hook.trace = []
            runner.run(inputs={"__message__": [UserMessage(message.text)]}, targets=nlu_nodes[-1:])
            traces.append(hook.trace)
    return traces


def print_table(rows: List[Dict[str, Any]]) -> None:
    print(f"{'step':28s} {'moved':>6s}  net good outcomes (points of each label's rate)")
    for row in rows:
        net = ", ".join(
            f"{label} {row['net_good'][label]:+d} ({row['net_points'][label]:+.2f})" for label in row["net_good"]
        )
        print(f"{row['step']:28s} {row['messages_moved']:6d}  {net or '-'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="model archive")
    parser.add_argument("--sets", nargs="+", default=["dev"], help="set names in tests/real_users or .jsonl paths")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    results: Dict[str, Any] = {"model": Path(args.model).name, "sets": {}}
    for name in args.sets:
        path = Path(name) if name.endswith(".jsonl") else SETS_DIR / f"{name}.jsonl"
        if path.resolve() == (SETS_DIR / "test.jsonl").resolve():
            print("the test set is never read step by step (nobody tunes on it)", file=sys.stderr)
            return 2
        messages = load_set(path)
        traces = asyncio.run(trace_messages(Path(args.model), messages))
        rows = summarise(messages, account(messages, traces))
        print(f"\n{path.stem}: {shown(path)} ({len(messages)} messages) sha256 {sha256_of(path)}")
        print_table(rows)
        results["sets"][path.stem] = {"file": shown(path), "sha256": sha256_of(path), "steps": rows}
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {shown(Path(args.out))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
