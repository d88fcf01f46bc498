"""Helpers for the consolidation, report and roll-up tests: workspaces on plans built in
the test (from plan JSON), forms filled as units would, arrival times set on the files."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

from bdg_excel.plan import planbook
from bdg_excel.demo import Fill, fill_form, simulate_returns
from bdg_excel.plan.model import Plan
from bdg_excel.workflow import consolidate_workspace, generate, init_workspace, load

DATA = Path(__file__).parent / "data"

__all__ = ["DATA", "drop", "Fill", "plan_workspace", "return_form", "arrive", "consolidate", "sheet_rows",
           "table", "run_cli", "simulated_cycle"]


def plan_workspace(root: Path, data: dict, name: str = "ke-hoach", period: str = "2026"):
    """(ws, plan, forms by unit name) for a plan given as contract JSON."""
    ws = init_workspace(root)
    planbook.save_plan(Plan.from_json(data, name=name), ws.templates / f"{name}.xlsx")
    plan = load(ws)
    forms = {f.unit: f for f in generate(ws, plan, period)}
    return ws, plan, forms


def simulated_cycle(root: Path, period: str = "2026"):
    """(ws, plan, consolidation result) for the Bình Lư example with the demo's returns."""
    ws = init_workspace(root / "ws", "binh-lu")
    plan = load(ws)
    simulate_returns(ws, plan, period, generate(ws, plan, period))
    return ws, plan, consolidate_workspace(ws, plan, period, workers=1)


def arrive(path: Path, when: datetime) -> Path:
    """The file's modification time is when it arrived (collect uses it)."""
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def return_form(ws, forms, unit: str, fills: dict, tasks: dict | None = None, *,
                when: datetime, name: str | None = None) -> Path:
    out = ws.inbox / (name or f"{forms[unit].path.stem}.xlsx")
    fill_form(forms[unit].path, out, fills, tasks)
    return arrive(out, when)


def consolidate(ws, plan, period: str = "2026", now: datetime | None = None):
    res = consolidate_workspace(ws, plan, period, workers=1)
    return res


def drop(src: Path, inbox: Path, when: datetime, name: str | None = None) -> Path:
    dest = inbox / (name or src.name)
    shutil.copyfile(src, dest)
    return arrive(dest, when)


def sheet_rows(path: Path, sheet: str) -> list[list]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    try:
        return wb.get_sheet_by_name(sheet).to_python()
    finally:
        wb.close()


def table(path: Path, sheet: str, key: str = "Mã", must: str = "Kết quả") -> dict:
    """key value -> {header: value} of the table whose header row holds ``key`` and
    ``must`` (data starts after the column-key row)."""
    rows = sheet_rows(path, sheet)
    head = next(i for i, r in enumerate(rows) if key in r and must in r)
    names = rows[head]
    out = {}
    for r in rows[head + 2:]:
        if all(v in ("", None) for v in r):
            break                     # the table ends at the first empty row
        k = r[names.index(key)]
        if isinstance(k, str) and k:
            out[k] = {n: r[i] for i, n in enumerate(names) if n}
    return out


def run_cli(capsys, *args) -> tuple[int, str, str]:
    """``bdg-excel ARGS`` in process: (exit code, standard output, standard error)."""
    from bdg_excel.cli import main

    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err
