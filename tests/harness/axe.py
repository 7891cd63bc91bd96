"""axe-core in a Playwright page (tests/browser): the violations it finds."""

from __future__ import annotations

from pathlib import Path


def axe_violations(page, axe_source: Path) -> list:
    """Inject axe-core into the page (a context with bypass_csp) and list its violations on the document."""
    page.add_script_tag(path=str(axe_source))
    return page.evaluate(
        """async () => {
             const r = await axe.run(document, {resultTypes: ['violations']});
             return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
           }"""
    )
