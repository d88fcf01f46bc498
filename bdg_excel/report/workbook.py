"""The consolidated workbook (xlsxwriter): what the office sends to the level above, and
the internal workbook the office keeps.

The workbook sent upward (``Tong-hop_….xlsx``), addressed from the plan's ``upward`` or the
workspace configuration (:func:`addressing`): Tổng hợp (every target row against its
target, with the assessment, the progress toward the target year and the change from the
previous period), Ma trận nhiệm vụ (the tasks, one block per unit, long texts shortened),
Tình hình nộp (on time / late / missing, totals), Biểu đồ (native charts on one printed
page); no addresses, files or reminders: those are internal. Hidden and never
printed: the charts' figures, Dữ liệu tổng hợp (the rolled-up figures per target code,
read by the level above, see :mod:`bdg_excel.intake.rollup`) and the identification sheet.

The internal workbook (``Noi-bo_….xlsx``): Phát hiện (findings and consistency checks),
Đơn vị cần nhắc (units to remind, with their addresses and files), Nhiệm vụ (every task in
full as a filterable list) and Dữ liệu (the tidy data).

A plan whose units report no target row (tasks only) opens on the task sheet.
The sheet writers are in :mod:`bdg_excel.report.sheets` and :mod:`bdg_excel.report.charts`.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime
from pathlib import Path

from ..core import vn
from ..core.perf import no_gc
from ..core.workspace import Workspace, atomic_output
from ..core.xlsx import (FastWorkbook, Formats, Sheet, a4_landscape, col_units,
                         put_row, workbook_options)
from ..forms import layout
from ..intake import rollup
from ..plan.model import Plan, Upward
from . import sheets
from .charts import CHARTS, write_charts
from .results import TIDY_FIELDS, Consolidation
from .sheets import (DATA, FINDINGS, MATRIX, REMIND, SUBMISSIONS,  # noqa: F401 - sheet names
                     SUMMARY, TASKS, Address)

REPORT_KIND = rollup.KIND
ROLLUP = rollup.DATA_SHEET
INTERNAL_SHEETS = [FINDINGS, REMIND, TASKS, DATA]


def report_path(ws: Workspace, c: Consolidation) -> Path:
    return ws.outbox / f"{vn.safe_filename(f'Tong-hop_{c.plan.name}_{c.period}')}.xlsx"


def internal_path(report: Path) -> Path:
    """The internal workbook beside the report: ``Noi-bo_Tong-hop_….xlsx``."""
    return report.with_name(f"Noi-bo_{report.name}")


SO_NOI_VU = "Sở Nội vụ"


def _text(v) -> str | None:
    return vn.clean(v) if isinstance(v, str) and vn.clean(v) else None


def _lines(v) -> str | None:
    """A title of several lines ("KT. CHỦ TỊCH" / "PHÓ CHỦ TỊCH"), each cleaned."""
    if not isinstance(v, str):
        return None
    lines = [vn.clean(x) for x in v.replace("\\n", "\n").split("\n")]
    return "\n".join(x for x in lines if x) or None


def addressing(plan: Plan, config: dict | None, period: str, made: datetime) -> Address:
    """Whom the report goes to and who signs it. The receiving body: the plan's ``upward``
    (CONTRACT section 3), else ``[upward] to`` of bdg-excel.toml (also when the plan says
    only "Sở Nội vụ"), else the Sở Nội vụ of the province ``[upward] province`` / ``[office]
    province`` names, else "Sở Nội vụ" (a commune or ward reports to it since 2025). The deadline: the plan's, else ``[upward]
    due`` (MM-DD or YYYY-MM-DD). The signer: ``[upward] signer_title`` / ``signer_name``
    (the plan's signature, "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"), else "Thủ trưởng đơn vị"."""
    config = config or {}
    up_cfg = config.get("upward") if isinstance(config.get("upward"), dict) else {}
    office_cfg = config.get("office") if isinstance(config.get("office"), dict) else {}
    up = plan.upward or Upward()
    to = _text(up.to)
    if not to or vn.canonical(to) == vn.canonical(SO_NOI_VU):
        # the plan names no body, or only "Sở Nội vụ": the workspace may say which one
        to = _text(up_cfg.get("to")) or to
    if not to or vn.canonical(to) == vn.canonical(SO_NOI_VU):
        province = _text(up_cfg.get("province")) or _text(office_cfg.get("province"))
        if province:
            low = province.lower()
            province = province if low.startswith(("tỉnh ", "thành phố ")) else f"tỉnh {province}"
            to = f"{SO_NOI_VU} {province}"
        else:
            to = to or SO_NOI_VU
    year = int(period[:4])
    due = None
    for raw in (up.due, up_cfg.get("due")):
        if _text(raw):
            try:
                due = Upward(None, _text(raw)).deadline(year)
            except (ValueError, TypeError):
                due = None
            if due:
                break
    title = _lines(up_cfg.get("signer_title")) or _lines(getattr(plan, "signer_title", None)) \
        or "THỦ TRƯỞNG ĐƠN VỊ"
    name = _text(up_cfg.get("signer_name")) or _text(getattr(plan, "signer", None))
    office = plan.issuer or _text(office_cfg.get("name")) or ""
    return Address(office, to, due, made, title, name)


def sheet_names(c: Consolidation) -> list[str]:
    """The visible sheets of the workbook sent upward, in order."""
    names = [SUMMARY] if c.plan.indicators else []
    if c.tasks:
        names.insert(0 if not c.has_targets else 1, MATRIX)
    names += [SUBMISSIONS, CHARTS, ROLLUP]
    return names


def write_report(c: Consolidation, path: Path, *, config: dict | None = None,
                 internal: bool = True, summary_template: Path | None = None) -> Path:
    """The workbook sent upward at ``path`` and, with ``internal``, the office's own
    workbook beside it (:func:`internal_path`). ``summary_template``: templates/tong-hop.xlsx,
    the officer's layout of the summary sheet (:mod:`bdg_excel.report.summarytemplate`)."""
    address = addressing(c.plan, config, c.period, c.generated_at)
    with no_gc():       # half a million cell records for 10,000 units
        child = _fork(lambda: _write(c, internal_path(path), INTERNAL_SHEETS, address,
                                     meta=False)) if internal else None
        _write(c, path, sheet_names(c), address, meta=True, summary_template=summary_template)
        if internal and not _joined(child):
            # not forked, or the copy failed: written here, where its error (if any) is raised
            _write(c, internal_path(path), INTERNAL_SHEETS, address, meta=False)
    return path


def _fork(job) -> int | None:
    """Run ``job`` in a forked copy of this process, beside the caller (the two workbooks
    of 10,000 units take a second each to write): the child's pid, or None where forking
    is not safe or not possible (Windows; a process with other threads, such as the web
    page's or a progress bar's), so the caller does the job itself."""
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return None
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:                               # the child: do the job, never return
        code = 1
        try:
            job()
            code = 0
        finally:
            os._exit(code)
    return pid


def _joined(pid: int | None) -> bool:
    """Whether the forked job finished well (False: not forked, or it failed)."""
    if pid is None:
        return False
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return False
    return os.waitstatus_to_exitcode(status) == 0


def _write(c: Consolidation, path: Path, names: list[str], address: Address, *,
           meta: bool, summary_template: Path | None = None) -> Path:
    writers = {SUMMARY: sheets.summary, MATRIX: sheets.task_matrix, TASKS: sheets.tasks,
               SUBMISSIONS: sheets.submissions, CHARTS: write_charts,
               FINDINGS: sheets.findings, REMIND: sheets.reminders, DATA: _data,
               ROLLUP: rollup.write_sheet}
    if summary_template is not None:   # issue 16
        from functools import partial

        from .summarytemplate import write_sheet
        writers[SUMMARY] = partial(write_sheet, summary_template, SUMMARY)
    with atomic_output(path) as tmp:
        wb = FastWorkbook(str(tmp), workbook_options())
        wb.worksheet_class = Sheet      # fast rows: the tables hold 10,000s of rows
        wb.set_properties({"title": sheets.TITLE, "author": c.plan.issuer or "",
                           "comments": "bdg-excel"})
        fm = Formats(wb)
        fm.address = address
        for name in names:
            writers[name](wb, fm, c)
        if ROLLUP in names:
            wb.get_worksheet_by_name(ROLLUP).hide()     # for the level above's roll-up
        wb.get_worksheet_by_name(names[0]).activate()
        if meta:
            _meta(wb, c)
        wb.close()
        for sheet in wb.worksheets():
            if isinstance(sheet, Sheet):
                sheet.release()
    return path


#: Column widths of the tidy data (fixed: the table has a row per unit and target row)
DATA_WIDTHS = {"plan": 14, "period": 9, "unit": 34, "code": 8, "value": 13, "numerator": 13,
               "denominator": 13, "assessment": 13, "status": 13, "received_at": 21,
               "source_file": 40, "source_sha256": 70, "national": 10}


def _data(wb, fm, c: Consolidation) -> None:
    ws = wb.add_worksheet(DATA)
    for col, name in enumerate(TIDY_FIELDS):
        ws.write_string(0, col, name, fm.header)
        ws.set_column(col, col, col_units(DATA_WIDTHS.get(name, 14)))
    plain = [None] * len(TIDY_FIELDS)
    for r, rec in enumerate(c.tidy, 1):
        put_row(ws, r, [rec[name] for name in TIDY_FIELDS], plain)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(1, len(c.tidy)), len(TIDY_FIELDS) - 1)
    a4_landscape(ws, (0, 0))


def _meta(wb, c: Consolidation) -> None:
    ws = wb.add_worksheet(layout.META_SHEET)
    rows = {"tool": layout.TOOL_MARK, "kind": REPORT_KIND, "layout": str(layout.LAYOUT_VERSION),
            "plan_name": c.plan.name, "plan_identity": c.plan.identity(),
            "plan_fingerprint": c.plan.fingerprint(), "plan_number": c.plan.number or "",
            "plan_title": c.plan.title, "issuer": c.plan.issuer or "",
            "place": c.plan.place or "", "period": c.period, "data_sheet": ROLLUP,
            "generated_at": c.generated_at.replace(microsecond=0).isoformat()}
    for r, (k, v) in enumerate(rows.items()):
        ws.write_string(r, 0, k)
        ws.write_string(r, 1, v)
    ws.hide()
