"""axe-core accessibility checks for browser tests, from the bundled npm package (no CDN)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def violations(page: Any, impacts: tuple[str, ...] = BLOCKING) -> list[dict[str, Any]]:
    """Run axe on the page as it is now; the violations of the given impacts."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => await window.axe.run(document, {resultTypes: ['violations']})"
    )
    return [v for v in result["violations"] if v.get("impact") in impacts]


def describe(found: list[dict[str, Any]]) -> str:
    lines = []
    for v in found:
        lines.append(f"{v['impact']}: {v['id']} ({v['help']})")
        for node in v.get("nodes", [])[:5]:
            target = ", ".join(node.get("target", []))
            lines.append(f"  at {target}: {node.get('html', '')[:200]}")
    return "\n".join(lines)


def assert_accessible(page: Any) -> None:
    """No serious or critical axe violations on the current page."""
    found = violations(page)
    assert not found, "axe found:\n" + describe(found)
