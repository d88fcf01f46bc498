"""The package shows its pipeline (issue 18, docs/architecture.md): every module of
bdg_excel/ belongs to one stage; a module imports only from its own stage, from earlier
stages and from the shared pieces; and no modules import each other in a circle.

The import graph is read from the source with ``ast``: absolute ``bdg_excel.…`` and
relative imports, at the top of a module or inside a function or an ``if TYPE_CHECKING``
block alike (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "bdg_excel"

#: the stages in pipeline order; a module may import from its own stage and earlier ones
STAGES = ("core", "plan", "forms", "intake", "report", "mail", "app")

#: modules that sit directly in bdg_excel/ and their stage: the package root holds only
#: the version; the entry points (one function per command, the CLI, the demo, the cycle
#: overview and the web page) sit on top of every stage
TOP_LEVEL = {"bdg_excel": "core", "bdg_excel.workflow": "app", "bdg_excel.cycle": "app",
             "bdg_excel.demo": "app", "bdg_excel.cli": "app", "bdg_excel.click_vi": "app",
             "bdg_excel.web": "app"}


def modules(root: Path = PACKAGE) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package's __init__)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts.pop()
        out[".".join(parts)] = (path, is_pkg)
    return out


def imports(mods: dict[str, tuple[Path, bool]]) -> dict[str, set[str]]:
    """Module -> the bdg_excel modules it imports (the nearest module for a name that is
    not one: ``from .model import Plan`` depends on ``bdg_excel.plan.model``)."""
    def owner(name: str) -> str:
        while name not in mods and "." in name:
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, set[str]] = {}
    for name, (path, is_pkg) in mods.items():
        package = name.split(".") if is_pkg else name.split(".")[:-1]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                deps |= {owner(a.name) for a in node.names
                         if a.name == "bdg_excel" or a.name.startswith("bdg_excel.")}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[:len(package) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                if mod != "bdg_excel" and not mod.startswith("bdg_excel."):
                    continue
                for a in node.names:
                    full = f"{mod}.{a.name}"
                    deps.add(full if full in mods else owner(mod))
        deps.discard(name)
        graph[name] = deps
    return graph


def stage_of(name: str) -> str | None:
    if name in TOP_LEVEL:
        return TOP_LEVEL[name]
    for prefix, stage in TOP_LEVEL.items():
        if name.startswith(prefix + ".") and prefix != "bdg_excel":
            return stage            # bdg_excel.web.app
    parts = name.split(".")
    if len(parts) >= 2 and parts[1] in STAGES:
        return parts[1]
    return None


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted;
    a component is every module that takes part in some import circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def violations(graph: dict[str, set[str]]) -> list[str]:
    """'a (stage) imports b (later stage)' for every import against the pipeline order."""
    out = []
    for name, deps in sorted(graph.items()):
        for dep in sorted(deps):
            a, b = stage_of(name), stage_of(dep)
            if a and b and STAGES.index(b) > STAGES.index(a):
                out.append(f"{name} ({a}) imports {dep} ({b})")
    return out


# -- the package itself -------------------------------------------------------------------
def test_every_module_belongs_to_a_stage():
    lost = [name for name in modules() if stage_of(name) is None]
    assert lost == [], f"modules outside every stage (add them to a stage package): {lost}"


def test_no_import_cycle_between_modules():
    assert cycles(imports(modules())) == []


def test_no_stage_imports_a_later_stage():
    assert violations(imports(modules())) == []


def test_the_graph_sees_the_pipeline():
    """The checker reads real dependencies: spot checks of edges the pipeline has."""
    graph = imports(modules())
    assert "bdg_excel.plan.model" in graph["bdg_excel.plan.targets"]
    assert "bdg_excel.intake.rollup" in graph["bdg_excel.intake.validate"]
    assert "bdg_excel.report.consistency" in graph["bdg_excel.report.consolidate"]
    assert "bdg_excel.workflow" in graph["bdg_excel.cli"]
    # a lazy import inside a function counts: cli imports the plan workbook in a command
    assert "bdg_excel.plan.planbook" in graph["bdg_excel.cli"]
    # the importer subpackage is part of the plan stage
    assert stage_of("bdg_excel.plan.importer.parse") == "plan"
    assert stage_of("bdg_excel.web.app") == "app"


# -- the checker on packages written for the test ------------------------------------------
def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, tuple[Path, bool]]:
    root = tmp_path / "bdg_excel"
    for rel, text in {"__init__.py": "", **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return modules(root)


@pytest.mark.parametrize("files, expected", [
    # a lazy import inside a function closes the circle
    ({"core/__init__.py": "", "core/a.py": "from . import b\n",
      "core/b.py": "def f():\n    from .a import x\n"},
     [["bdg_excel.core.a", "bdg_excel.core.b"]]),
    # an import only for type checking is a dependency too
    ({"report/__init__.py": "", "report/x.py": "from .y import Y\n",
      "report/y.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                     "    from bdg_excel.report.x import X\n"},
     [["bdg_excel.report.x", "bdg_excel.report.y"]]),
    # three modules across packages, absolute and relative spellings mixed
    ({"intake/__init__.py": "", "report/__init__.py": "",
      "intake/v.py": "import bdg_excel.intake.r as r\n",
      "intake/r.py": "from ..report import c\n",
      "report/c.py": "from bdg_excel.intake.v import check\n"},
     [["bdg_excel.intake.r", "bdg_excel.intake.v", "bdg_excel.report.c"]]),
    # a chain without a circle
    ({"core/__init__.py": "", "core/a.py": "from . import b\n", "core/b.py": "import os\n"},
     []),
])
def test_cycles_found_in_written_packages(tmp_path, files, expected):
    assert cycles(imports(_package(tmp_path, files))) == expected


def test_later_stage_import_found_in_written_package(tmp_path):
    mods = _package(tmp_path, {
        "plan/__init__.py": "", "forms/__init__.py": "", "core/__init__.py": "",
        "plan/model.py": "from ..core import vn\n\ndef f():\n    from ..forms.layout import X\n",
        "forms/layout.py": "from ..plan.model import Plan\n", "core/vn.py": "",
        "workflow.py": "from .forms import layout\n"})
    assert violations(imports(mods)) == [
        "bdg_excel.plan.model (plan) imports bdg_excel.forms.layout (forms)"]


def test_docs_list_every_module_in_its_stage():
    """docs/architecture.md's table names each module in the row of its stage, so the page
    a newcomer reads follows the package."""
    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = {}
    for line in doc.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].isdigit():
            rows[STAGES[int(cells[0])]] = rows.get(STAGES[int(cells[0])], "") + cells[2]
    assert set(rows) == set(STAGES)
    missing = []
    for name in modules():
        parts = name.split(".")
        if len(parts) < 2 or parts[-1] == "__init__":
            continue
        stage = stage_of(name)
        # a module of a subpackage (plan.importer.parse, web.app) is covered by its package
        shown = parts[2] if stage != "app" and len(parts) > 2 else parts[1]
        if parts[1] in STAGES and len(parts) == 2:
            continue                                  # the stage package itself
        if f"`{shown}" not in rows[stage]:
            missing.append(f"{name} ({stage})")
    assert missing == []
