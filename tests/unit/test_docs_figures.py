"""The figures in docs/ are the ones in results/ (scripts/docs_figures.py writes them; nobody types them)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from scripts import docs_figures

DOCS = sorted(docs_figures.DOCS.glob("*.md"))


def test_every_figures_block_matches_results() -> None:
    stale = docs_figures.stale_blocks(DOCS)
    assert not stale, f"docs out of step with results/ (run `make docs-figures`): {stale}"


def test_each_doc_with_measured_figures_reads_them_from_results() -> None:
    blocks = {m.group("name") for doc in DOCS for m in docs_figures.BLOCK.finditer(doc.read_text(encoding="utf-8"))}
    assert blocks == {*docs_figures.RENDERERS, *docs_figures.FROM_CODE}, blocks


def test_a_changed_result_makes_its_block_stale(tmp_path: Path) -> None:
    results = tmp_path / "results"
    shutil.copytree(docs_figures.RESULTS, results, ignore=shutil.ignore_patterns("stories*", "*.log"))
    data = json.loads((results / "safety.json").read_text(encoding="utf-8"))
    data["ordinary"]["false_alarms"] += 1
    (results / "safety.json").write_text(json.dumps(data), encoding="utf-8")
    stale = docs_figures.stale_blocks(DOCS, results)
    assert stale == ["docs/safety.md: safety"]
    assert f"({data['ordinary']['false_alarms']}/" in docs_figures.render("safety", results)


def test_update_rewrites_only_the_block() -> None:
    text = "before\n<!-- figures: safety -->\nold table\n<!-- /figures -->\nafter\n"
    updated = docs_figures.update(text)
    assert updated.startswith("before\n<!-- figures: safety -->\n| ")
    assert updated.endswith("<!-- /figures -->\nafter\n")
    assert "old table" not in updated
