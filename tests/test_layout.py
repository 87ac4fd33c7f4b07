"""The package's layout: modules under 600 lines, no import cycle, imports that point down the flow.

The stages, in the order data flows through them (docs/architecture.md): the shared top-level modules,
registry, study, derive, models, simulate and report, then the whole-study workflows
(pipeline, roles, multiverse, sensitivity, demo) and the command line. A module may import from its own stage or an earlier one, never from a later one; imports
inside functions count too, because a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "hormonestats"
MAX_LINES = 600
#: lines of a function's code, its docstring not counted (docs/architecture.md, rule 14)
MAX_FUNCTION_LINES = 150

#: stage of each top-level name of the package; a module's stage is that of its first part
STAGES = {
    "errors": 0, "log": 0, "_yaml": 0, "_files": 0, "display": 0, "parallel": 0, "checks": 0,
    "results": 0, "options": 0, "figure_style": 0,
    "registry": 1, "study": 2, "datasets": 2, "derive": 3, "models": 4, "simulate": 5,
    "report": 6, "workflows": 7, "cli": 9, "__main__": 10, "__init__": 10,
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules) -> set[str]:
    """Package modules that ``name`` imports (module level and inside functions)."""
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if name != "__init__" else []
    if not is_pkg:
        base = base[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*anchor, *(node.module.split(".") if node.module else [])])
            elif node.module and node.module.startswith("hormonestats"):
                target = node.module.removeprefix("hormonestats").lstrip(".")
            else:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}" if target else alias.name
                found.add(sub if sub in modules else target)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("hormonestats."):
                    found.add(alias.name.removeprefix("hormonestats."))
    return {m for m in found if m in modules and m != name}


def _graph():
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def test_no_module_over_600_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def _code_lines(node) -> int:
    """Lines of a function from ``def`` to its end, less its docstring."""
    lines = node.end_lineno - node.lineno + 1
    first = node.body[0] if node.body else None
    if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
        lines -= first.end_lineno - first.lineno + 1
    return lines


def test_no_function_over_150_lines():
    long = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if (n := _code_lines(node)) > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(PACKAGE)}:{node.name}"] = n
    assert long == {}


def test_import_graph_has_no_cycle():
    """No cycle, the command line included. A package's ``__init__`` importing its own modules
    (to assemble or re-export them) is the one edge left out; a module importing its own
    package back (``from . import helper`` resolved by ``__init__``) counts."""
    graph = _graph()
    edges = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in graph.items()}
    state, cycles = defaultdict(int), []

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state[nxt] == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif state[nxt] == 0:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(edges):
        if state[node] == 0:
            visit(node, [node])
    assert cycles == []


def test_imports_point_down_the_flow():
    upward = []
    for name, targets in _graph().items():
        if name in ("__init__", "__main__"):
            continue
        stage = STAGES[name.split(".")[0]]
        for target in targets:
            if STAGES[target.split(".")[0]] > stage:
                upward.append(f"{name} -> {target}")
    assert upward == []


def test_every_stage_is_known():
    assert {name.split(".")[0] for name in _modules()} <= set(STAGES)


def test_models_take_tables_and_import_no_processing_or_report():
    """``models/`` is table in, estimate out: it never reaches into derive/ or report/."""
    crossing = [f"{name} -> {target}" for name, targets in _graph().items()
                if name.split(".")[0] == "models" for target in targets
                if target.split(".")[0] in ("derive", "report", "workflows")]
    assert crossing == []
