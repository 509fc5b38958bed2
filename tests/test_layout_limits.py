"""Size limits of the source tree (STYLE.md): no module in ``src/pingan`` over 1,000 lines
(migrations aside) and no function over 150 lines. Split by concern when one grows (see how
``coverage/siting/`` and ``demo/city/`` are cut).

``ALLOWED`` is empty: every offender has been split. Keep it so (a new entry needs a reason
in review); an entry that no longer offends fails too, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

MAX_MODULE_LINES = 1000
MAX_FUNCTION_LINES = 150

ALLOWED: frozenset[str] = frozenset()

SRC = Path(__file__).resolve().parents[1] / "src" / "pingan"


def _functions(tree: ast.AST, prefix: str = "") -> list[tuple[str, int, int]]:
    """``(qualified name, first line, line count)`` of every function, methods included."""
    out: list[tuple[str, int, int]] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}{node.name}"
            if not isinstance(node, ast.ClassDef):
                assert node.end_lineno is not None
                out.append((name, node.lineno, node.end_lineno - node.lineno + 1))
            out += _functions(node, f"{name}.")
    return out


def _offenders() -> list[str]:
    found: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("store/migrations/"):
            continue
        text = path.read_text(encoding="utf-8")
        n_lines = len(text.splitlines())
        if n_lines > MAX_MODULE_LINES:
            found.append(rel)
        for name, _, length in _functions(ast.parse(text, filename=rel)):
            if length > MAX_FUNCTION_LINES:
                found.append(f"{rel}:{name}")
    return found


def test_no_module_or_function_over_the_limits() -> None:
    new = sorted(set(_offenders()) - ALLOWED)
    assert not new, (
        f"over {MAX_MODULE_LINES} lines a module or {MAX_FUNCTION_LINES} a function "
        f"(split by concern): {', '.join(new)}"
    )


def test_the_allow_list_only_names_current_offenders() -> None:
    stale = sorted(ALLOWED - set(_offenders()))
    assert not stale, f"remove from ALLOWED (no longer over the limits): {', '.join(stale)}"


def test_the_walk_sees_the_tree() -> None:
    """The limits are measured on the real tree (a wrong path would pass vacuously)."""
    rels = {p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py")}
    assert {"coverage/siting/mclp.py", "demo/city/build.py", "store/planner.py"} <= rels
    tree = ast.parse("class A:\n    def f(self):\n        return 1\n")
    assert _functions(tree) == [("A.f", 2, 2)]
