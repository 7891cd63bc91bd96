"""Write the measured figures into docs/ from results/*.json (and the list of environment variables from
painfaq/settings.py), so the docs never hold a figure or a default by hand.

A doc marks each table it wants with a pair of comments; everything between them is generated:

    <!-- figures: real_users -->
    ...
    <!-- /figures -->

    python -m scripts.docs_figures           # rewrite every block from results/
    python -m scripts.docs_figures --check   # exit 1 and name the stale blocks (tests/unit/test_docs_figures.py)

Only figures that a re-run on the same model reproduces are written (no latencies of the real-user or NLU
reports), so `make test`, which runs those reports again, leaves the docs in step.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from painfaq import settings

REPO_ROOT = settings.REPO_ROOT
RESULTS = REPO_ROOT / "results"
DOCS = REPO_ROOT / "docs"
BLOCK = re.compile(r"(<!-- figures: (?P<name>[a-z_]+) -->\n)(?P<body>.*?)(<!-- /figures -->)", re.DOTALL)

Results = Dict[str, Any]


def pct(value: Optional[float], digits: int = 1) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def real_users(results: Results) -> str:
    """The real-user report (make eval-real) next to the issue's targets."""
    sets = results["sets"]
    names = [name for name in ("dev", "test") if name in sets]

    def column(getter: Callable[[Results], str]) -> List[str]:
        return [getter(sets[name]) for name in names]

    def false_alarms(s: Results) -> str:
        return f"{pct(s['false_alarm_rate'])} ({s['false_alarms']})"

    rows = [
        ["answerable: right topic", *column(lambda s: pct(s["answerable"]["right"])), "≥ 95%"],
        ["answerable: wrong topic", *column(lambda s: pct(s["answerable"]["wrong"])), "≤ 2%"],
        ['answerable: "did you mean"', *column(lambda s: pct(s["answerable"]["did_you_mean"])), "≤ 3%"],
        ["answerable: declined", *column(lambda s: pct(s["answerable"]["declined"])), ""],
        ["answerable: safety reply instead", *column(lambda s: pct(s["answerable"]["false_alarm"])), ""],
        ["out of scope: declined (no article content)", *column(lambda s: pct(s["out_of_scope"]["declined"])), "≥ 95%"],
        ["out of scope: got article content", *column(lambda s: pct(s["out_of_scope"]["answered"])), ""],
        ["red flag recall", *column(lambda s: pct(s["red_flag_recall"])), "100%"],
        ["crisis recall", *column(lambda s: pct(s["crisis_recall"])), "100%"],
        ["false alarms (safety reply to an ordinary message)", *column(false_alarms), "≤ 1%"],
        [
            "messages (answerable / out of scope / red flag / crisis)",
            *column(lambda s: "/".join(str(s["counts"][k]) for k in ("answer", "out_of_scope", "red_flag", "crisis"))),
            "",
        ],
    ]
    out = table(["", *names, "target (test)"], rows)
    categories = [
        f"{name}: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sets[name]["false_alarms_by_category"].items())
        for name in names
        if sets[name].get("false_alarms_by_category")
    ]
    if categories:
        out += "\nFalse alarms by the kind of warning sign they were read as: " + "; ".join(categories) + ".\n"
    out += "\n" + "; ".join(f"{name} set sha256 `{sets[name]['sha256'][:16]}…`" for name in names) + ".\n"
    return out


def nlu(results: Results) -> str:
    """The team's own held-out sets (make eval-nlu)."""
    files = results["per_file"]
    both, holdout, blind = results["outcomes"], files.get("holdout.yml", {}), files.get("holdout_blind.yml", {})
    keys = [
        ("answerable: right topic", "answerable_right_answer"),
        ("answerable: wrong topic", "answerable_wrong_answer"),
        ('answerable: "did you mean"', "answerable_did_you_mean"),
        ("out of scope: no article content", "out_of_scope_no_article_content"),
    ]
    rows = [[label, pct(both.get(key)), pct(holdout.get(key)), pct(blind.get(key))] for label, key in keys]
    rows.append(["top intent accuracy (before fallback)", pct(results["accuracy_top_intent_before_fallback"]), "", ""])
    rows.append(["macro F1 over all intents", f"{results['macro_f1']:.3f}", "", ""])
    oos = results["out_of_scope"]
    rows.append(["out-of-scope precision / recall (intent)", f"{oos['precision']:.2f} / {oos['recall']:.2f}", "", ""])
    thresholds = f"thresholds {results['fallback_threshold']} / {results['ambiguity_threshold']}"
    return table([f"{results['examples']} messages, {thresholds}", "both sets", "holdout", "blind set"], rows)


def safety(results: Results) -> str:
    """Recall and false alarms of the rules on tests/safety and every training example (make eval-safety)."""
    urgent, kinds = results["urgent"], results["urgent"]["by_kind"]
    ordinary = results["ordinary"]
    rows = [[f"urgent messages: {kind}", f"{pct(k['recall'])} ({k['hit']}/{k['total']})"] for kind, k in kinds.items()]
    rows.append(["urgent messages: all", f"{pct(urgent['recall'])} ({urgent['total']})"])
    rows.append(
        [
            "ordinary messages: false alarms",
            f"{pct(ordinary['false_alarm_rate'], 2)} ({ordinary['false_alarms']}/{ordinary['total']})",
        ]
    )
    return table(["", "rules"], rows)


def bench(results: Results) -> str:
    """make bench: the three systems side by side, then the ratios to stock Rasa against their targets."""
    systems = results["systems"]
    order = [name for name in ("stock", "project", "production") if name in systems]

    def level(name: str, concurrency: int) -> Dict[str, Any]:
        return next((lv for lv in systems[name]["levels"] if lv["concurrency"] == concurrency), {})

    def cells(fmt: Callable[[str], str]) -> List[str]:
        return [fmt(name) for name in order]

    rows = [
        ["cold start", *cells(lambda n: f"{systems[n]['cold_start_s']} s")],
        ["c=1: p50 / p95", *cells(lambda n: f"{level(n, 1).get('p50_ms')} / {level(n, 1).get('p95_ms')} ms")],
        [
            "c=10: msg/s, p95",
            *cells(lambda n: f"{level(n, 10).get('messages_per_s')}, {level(n, 10).get('p95_ms')} ms"),
        ],
        [
            "c=50: msg/s, p95",
            *cells(lambda n: f"{level(n, 50).get('messages_per_s')}, {level(n, 50).get('p95_ms')} ms"),
        ],
        ["server CPU per turn (c=10)", *cells(lambda n: f"{level(n, 10).get('server_cpu_ms_per_turn')} ms")],
        [
            "memory RSS / PSS",
            *cells(
                lambda n: (
                    f"{systems[n]['memory']['rss_mb']:.0f} / {systems[n]['memory']['pss_mb']:.0f} MB "
                    f"({systems[n]['memory']['processes']} process{'es' if systems[n]['memory']['processes'] > 1 else ''})"
                )
            ),
        ],
    ]
    out = table(["", *(systems[name]["label"].split(" (")[0] for name in order)], rows)
    ratios, targets = results["ratios_to_stock"], results["targets_vs_stock"]
    shown = [name for name in ("project", "production") if name in ratios]

    def verdict(name: str, key: str, value: str) -> str:
        met = ratios[name]["meets_targets"].get(key)
        return value if met is None else f"{value}, {'met' if met else '**missed**'}"

    ratio_rows = [
        [
            f"p50 latency at c=1 (≤ {targets['p50_c1_ratio_max']}x)",
            *(verdict(n, "p50_c1", f"{ratios[n]['p50_c1']}x") for n in shown),
        ],
        [
            f"throughput at c=10 (≥ {targets['throughput_c10_ratio_min']}x, p95 ≤ {targets['p95_c10_ms_max']} ms)",
            *(
                verdict(n, "throughput_c10", f"{ratios[n]['throughput_c10']}x (p95 {ratios[n]['p95_c10_ms']} ms)")
                for n in shown
            ),
        ],
        [
            f"cold start (≤ {targets['cold_start_ratio_max']}x)",
            *(verdict(n, "cold_start", f"{ratios[n]['cold_start']}x") for n in shown),
        ],
        [
            f"memory, RSS (≤ {targets['memory_ratio_max']}x)",
            *(verdict(n, "memory", f"{ratios[n]['memory_rss']}x (PSS {ratios[n]['memory_pss']}x)") for n in shown),
        ],
    ]
    out += "\n" + table(["ratio to stock (target)", *(systems[n]["label"].split(" (")[0] for n in shown)], ratio_rows)
    return (
        out + f"\nTraining: {results['train_s']} s (stock `rasa init`: {systems['stock'].get('train_s', 'n/a')} s).\n"
    )


def chaos(results: Results) -> str:
    """make chaos: one column per profile (users, minutes and kill interval in the header)."""
    runs = results["runs"]

    def kills(run: Results) -> str:
        counts: Dict[str, int] = {}
        for kill in run["kills"]:
            what = kill.split(": ", 1)[-1].split(" (pid")[0]
            counts[what] = counts.get(what, 0) + 1
        return ", ".join(f"{what} {n}" for what, n in counts.items())

    def store(run: Results) -> str:
        tracker = run["tracker_store"]
        return f"{tracker['lost']} / {tracker['duplicated']} / {tracker['reordered']}"

    rows = [
        ["requests", *(f"{run['requests']:,}" for run in runs)],
        [
            "answered normally / with the apology",
            *(f"{run['answered_normally']:,} / {run['answered_with_apology']}" for run in runs),
        ],
        ["failed (no HTTP answer or 5xx)", *(f"**{run['failed']}**" for run in runs)],
        ["kills", *(kills(run) for run in runs)],
        ["worst time to the next normal answer after a kill", *(f"{run['worst_recovery_seconds']} s" for run in runs)],
        ["longest run of apologies", *(f"{run['longest_apology_run_seconds']} s" for run in runs)],
        ["tracker store: lost / duplicated / reordered", *(store(run) for run in runs)],
        ["processes left after stop", *(", ".join(run["processes_left_after_stop"]) or "none" for run in runs)],
    ]
    header = [
        f"{run['profile']} ({run['users']} users, {run['seconds'] / 60:.0f} min, a kill every {run['kill_every_seconds']:.0f} s)"
        for run in runs
    ]
    return table(["", *header], rows)


RENDERERS: Dict[str, Callable[[Results], str]] = {
    "real_users": real_users,
    "nlu": nlu,
    "safety": safety,
    "bench": bench,
    "chaos": chaos,
}


# Blocks written from the code rather than from results/: the list of environment variables.
FROM_CODE: Dict[str, Callable[[], str]] = {"settings": settings.markdown_table}


def render(name: str, results_dir: Path = RESULTS) -> str:
    if name in FROM_CODE:
        return FROM_CODE[name]()
    if name not in RENDERERS:
        raise KeyError(f"no figures named {name!r}; known: {', '.join(sorted([*RENDERERS, *FROM_CODE]))}")
    with open(results_dir / f"{name}.json", encoding="utf-8") as fh:
        return RENDERERS[name](json.load(fh))


def update(text: str, results_dir: Path = RESULTS) -> str:
    """The doc's text with every figures block rendered again."""
    return BLOCK.sub(lambda m: m.group(1) + render(m.group("name"), results_dir) + m.group(4), text)


def stale_blocks(docs: Sequence[Path], results_dir: Path = RESULTS) -> List[str]:
    stale = []
    for doc in docs:
        text = doc.read_text(encoding="utf-8")
        for m in BLOCK.finditer(text):
            if m.group("body") != render(m.group("name"), results_dir):
                stale.append(f"{doc.relative_to(REPO_ROOT)}: {m.group('name')}")
    return stale


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report blocks that differ from results/")
    args = parser.parse_args(argv)
    docs = sorted(DOCS.glob("*.md"))
    if args.check:
        stale = stale_blocks(docs)
        for line in stale:
            print(f"stale figures: {line} (run `make docs-figures`)")
        return 1 if stale else 0
    for doc in docs:
        text = doc.read_text(encoding="utf-8")
        new = update(text)
        if new != text:
            doc.write_text(new, encoding="utf-8")
            print(f"updated {doc.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
