"""House rules of the tree (issue 11): no file too big to hold in one's head.

Walks the tree, so a new file is held to the rules without being listed here.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Longest Python module under src/.
PYTHON_LINES = 600
#: Longest React component (.tsx) under web/src/.
COMPONENT_LINES = 300
#: Generated, not written: the OpenAPI types (`npm run api:types`).
GENERATED = {ROOT / "web" / "src" / "api" / "schema.d.ts"}


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def _too_long(paths: Iterable[Path], cap: int) -> list[str]:
    found = []
    for path in sorted(paths):
        if path in GENERATED or "node_modules" in path.parts:
            continue
        length = _lines(path)
        if length > cap:
            found.append(f"{path.relative_to(ROOT)}: {length} lines")
    return found


def test_the_rules_see_the_tree() -> None:
    """A walk that finds nothing proves nothing: the files are where the rules look."""
    assert (ROOT / "src" / "till" / "services" / "sales.py").is_file()
    assert any((ROOT / "web" / "src").rglob("*.tsx"))


def test_no_python_module_over_600_lines() -> None:
    too_long = _too_long((ROOT / "src").rglob("*.py"), PYTHON_LINES)
    assert not too_long, f"split these modules (at most {PYTHON_LINES} lines): " + "; ".join(too_long)


def test_no_component_over_300_lines() -> None:
    too_long = _too_long((ROOT / "web" / "src").rglob("*.tsx"), COMPONENT_LINES)
    assert not too_long, f"split these components (at most {COMPONENT_LINES} lines): " + "; ".join(too_long)
