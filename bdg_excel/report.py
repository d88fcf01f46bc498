"""The consolidated workbook (xlsxwriter): what the office sends upward.

Sheets: Tổng hợp (every target row against its target, with the assessment, the progress
toward the target year and the change from the previous period), Ma trận nhiệm vụ (units ×
tasks), Nhiệm vụ (the same as a list), Tình hình nộp (on time / late / missing, totals,
units to remind), Biểu đồ (native charts), Phát hiện (findings and consistency checks),
Dữ liệu (the tidy data), Dữ liệu tổng hợp (the rolled-up figures per target code, read by
the level above, see :mod:`bdg_excel.rollup`) and the hidden identification sheet.

A plan whose units report no target row (tasks only) opens on the task matrix.
The sheet writers are in :mod:`bdg_excel.sheets` and :mod:`bdg_excel.charts`.
"""

from __future__ import annotations

from pathlib import Path

from . import layout, rollup, sheets, vn
from .charts import CHARTS, write_charts
from .consolidate import TIDY_FIELDS, Consolidation
from .perf import no_gc
from .sheets import (DATA, FINDINGS, MATRIX, SUBMISSIONS, SUMMARY,  # noqa: F401 - sheet names
                     TASKS)
from .workspace import Workspace, atomic_output
from .xlsx import WORKBOOK_OPTIONS, FastWorkbook, Formats, Sheet, a4_landscape, put_row

REPORT_KIND = rollup.KIND
ROLLUP = rollup.DATA_SHEET


def report_path(ws: Workspace, c: Consolidation) -> Path:
    return ws.outbox / f"{vn.safe_filename(f'Tong-hop_{c.plan.name}_{c.period}')}.xlsx"


def sheet_names(c: Consolidation) -> list[str]:
    """The visible sheets, in order."""
    names = [SUMMARY] if c.plan.indicators else []
    if c.tasks:
        names.insert(0 if not c.has_targets else 1, MATRIX)
        names.append(TASKS)
    names += [SUBMISSIONS, CHARTS, FINDINGS, DATA, ROLLUP]
    return names


def write_report(c: Consolidation, path: Path, summary_template: Path | None = None) -> Path:
    """``summary_template``: templates/tong-hop.xlsx, the officer's layout of the summary
    sheet (:mod:`bdg_excel.summarytemplate`)."""
    with no_gc():       # half a million cell records for 10,000 units
        return _write_report(c, path, summary_template)


def _write_report(c: Consolidation, path: Path, summary_template: Path | None = None) -> Path:
    writers = {SUMMARY: sheets.summary, MATRIX: sheets.task_matrix, TASKS: sheets.tasks,
               SUBMISSIONS: sheets.submissions, CHARTS: write_charts,
               FINDINGS: sheets.findings, DATA: _data, ROLLUP: rollup.write_sheet}
    if summary_template is not None:   # issue 16
        from functools import partial

        from .summarytemplate import write_sheet
        writers[SUMMARY] = partial(write_sheet, summary_template, SUMMARY)
    with atomic_output(path) as tmp:
        wb = FastWorkbook(str(tmp), WORKBOOK_OPTIONS)
        wb.worksheet_class = Sheet      # fast rows: the tables hold 10,000s of rows
        wb.set_properties({"title": sheets.TITLE, "author": c.plan.issuer or "",
                           "comments": "bdg-excel"})
        fm = Formats(wb)
        names = sheet_names(c)
        for name in names:
            writers[name](wb, fm, c)
        wb.get_worksheet_by_name(names[0]).activate()
        _meta(wb, c)
        wb.close()
        for sheet in wb.worksheets():
            if isinstance(sheet, Sheet):
                sheet.release()
    return path


def _data(wb, fm, c: Consolidation) -> None:
    ws = wb.add_worksheet(DATA)
    for col, name in enumerate(TIDY_FIELDS):
        ws.write_string(0, col, name, fm.header)
        ws.set_column(col, col, 14)
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
