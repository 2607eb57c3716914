"""Accessibility scan with the self-hosted axe-core (WCAG 2.1 A/AA rules)."""

from __future__ import annotations

from pathlib import Path

AXE_JS = Path(__file__).resolve().parent.parent / "static" / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page) -> list[dict]:
    """Run axe-core on the current page and return its violations (empty means none found)."""
    # Scan the page as a person sees it: after the navigation that a click started has ended, with
    # stylesheets and fonts in place (a scan of a half-loaded page flaked on a loaded machine).
    page.wait_for_load_state("load")
    page.evaluate("async () => { await document.fonts.ready; }")
    # Evaluated through the DevTools protocol: the pages' CSP forbids inline scripts, rightly.
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def assert_accessible(page) -> None:
    """Fail with a readable list when axe finds a WCAG 2.1 A/AA violation."""
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"
