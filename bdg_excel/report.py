"""The consolidated workbook (xlsxwriter): what the office sends upward.

Sheets: Tổng hợp (every target row against its target), Nhiệm vụ (tasks and statuses),
Tình hình nộp (who reported, when, on time or late), Phát hiện (findings), Dữ liệu (the
tidy data), and a hidden identification sheet so a higher level recognises the workbook.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from . import layout, ledger as lg, targets as tg, vn
from .consolidate import MISSING, TIDY_FIELDS, Consolidation
from .findings import SEVERITY_LABELS
from .model import period_label
from .workspace import Workspace, atomic_output
from .xlsx import WORKBOOK_OPTIONS, Formats, a4_landscape, put

SUMMARY = "Tổng hợp"
TASKS = "Nhiệm vụ"
SUBMISSIONS = "Tình hình nộp"
FINDINGS = "Phát hiện"
DATA = "Dữ liệu"
REPORT_KIND = "consolidated"

SUBMISSION_LABELS = {lg.ACCEPTED: "Đã nhận, đạt yêu cầu", lg.NEEDS_FIXES: "Đã nhận, cần sửa",
                     MISSING: "Chưa nộp"}

ASSESSMENT_COLOURS = {"Đạt": "#C6EFCE", "Vượt": "#A9D08E", "Chưa đạt": "#FFC7CE",
                      "Chưa có số liệu": "#EDEDED"}


def report_path(ws: Workspace, c: Consolidation) -> Path:
    return ws.outbox / f"{vn.safe_filename(f'Tong-hop_{c.plan.name}_{c.period}')}.xlsx"


def write_report(c: Consolidation, path: Path) -> Path:
    with atomic_output(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        fm = Formats(wb)
        _summary(wb, fm, c)
        _tasks(wb, fm, c)
        _submissions(wb, fm, c)
        _findings(wb, fm, c)
        _data(wb, fm, c)
        _meta(wb, c)
        wb.close()
    return path


def _title_block(ws, fm, c: Consolidation, title: str, last_col: int) -> int:
    plan = c.plan
    ws.merge_range(0, 0, 0, 3, "Biểu số: 02/BĐG-TH", fm(bold=True))
    ws.merge_range(0, last_col - 3, 0, last_col, f"Đơn vị báo cáo: {plan.issuer or ''}",
                   fm(align="right"))
    to = next((r.to for r in plan.reports if r.to), None) or "Sở Nội vụ"
    ws.merge_range(1, last_col - 3, 1, last_col, f"Đơn vị nhận báo cáo: {to}", fm(align="right"))
    ws.merge_range(3, 0, 3, last_col, title, fm(bold=True, align="center", font_size=14))
    sub = plan.title + (f" (số {plan.number})" if plan.number else "")
    ws.merge_range(4, 0, 4, last_col, sub, fm(italic=True, align="center", text_wrap=True))
    ws.set_row(4, 32)
    ws.merge_range(5, 0, 5, last_col, f"Kỳ báo cáo: {period_label(c.period)}",
                   fm(align="center"))
    return 7


def _table_header(ws, fm, row: int, headers: list[tuple[str, float]]) -> int:
    for col, (text, width) in enumerate(headers):
        ws.write_string(row, col, text, fm.header)
        ws.set_column(col, col, width)
    ws.set_row(row, 36)
    for col in range(len(headers)):
        key = "A" if col == 0 else ("B" if col == 1 else str(col - 1))
        ws.write_string(row + 1, col, key, fm.key_row)
    return row + 2


def _summary(wb, fm, c: Consolidation) -> None:
    ws = wb.add_worksheet(SUMMARY)
    headers = [("STT", 5), ("Mã", 7), ("Chỉ tiêu", 44), ("Mục tiêu kế hoạch", 26),
               ("Đơn vị tính", 11), ("Đơn vị chịu trách nhiệm", 22), ("Kết quả", 11),
               ("Tử số", 10), ("Mẫu số", 10), ("Đánh giá", 13), ("Số đơn vị đã báo cáo", 10),
               ("Ghi chú", 24)]
    top = _title_block(ws, fm, c, "BÁO CÁO TỔNG HỢP KẾT QUẢ THỰC HIỆN CHIẾN LƯỢC QUỐC GIA VỀ "
                       "BÌNH ĐẲNG GIỚI", len(headers) - 1)
    head = top
    row = _table_header(ws, fm, head, headers)
    first_data = row
    goals = {g.number: g.title for g in c.plan.goals}
    current_goal = None
    n = 0
    for res in c.results:
        t = res.target
        if t.goal != current_goal:
            current_goal = t.goal
            ws.merge_range(row, 0, row, len(headers) - 1,
                           f"Mục tiêu {t.goal}: {goals.get(t.goal, '')}", fm(bold=True, border=1,
                                                                            bg_color="#F2F2F2"))
            row += 1
        n += 1
        reported = [uv for uv in res.unit_values if uv.status != MISSING]
        target_text = tg.describe(t) if t.text == res.indicator_text else \
            f"{t.text} ({tg.describe(t)})"
        put(ws, row, 0, n, fm.center)
        put(ws, row, 1, t.code, fm.center)
        put(ws, row, 2, res.indicator_text, fm.text)
        put(ws, row, 3, target_text, fm.text)
        put(ws, row, 4, t.unit, fm.center)
        put(ws, row, 5, "; ".join(res.responsible) or "(chưa giao)", fm.text)
        if t.measure == "yesno":
            tally = ", ".join(f"{k}: {v}" for k, v in sorted(res.answers.items()))
            put(ws, row, 6, tally or None, fm.center)
        else:
            put(ws, row, 6, res.value, fm.number)
        put(ws, row, 7, res.numerator, fm.number)
        put(ws, row, 8, res.denominator, fm.number)
        put(ws, row, 9, res.assessment.label, fm.center)
        put(ws, row, 10, f"{len(reported)}/{len(res.unit_values)}", fm.center)
        put(ws, row, 11, _note(res), fm.text)
        row += 1
    if row > first_data:
        for label, colour in ASSESSMENT_COLOURS.items():
            ws.conditional_format(first_data, 9, row - 1, 9, {
                "type": "cell", "criteria": "==", "value": f'"{label}"',
                "format": wb.add_format({"bg_color": colour})})
    _signature(ws, fm, c, row + 1, len(headers) - 1)
    ws.freeze_panes(head + 2, 2)
    a4_landscape(ws, (head, head + 1))
    ws.activate()


def _note(res) -> str | None:
    notes = []
    t = res.target
    with_value = [uv for uv in res.unit_values if uv.value is not None]
    if t.has_fraction and len(with_value) > 1 and res.value is None:
        notes.append("Không tổng hợp được: thiếu tử số/mẫu số của một số đơn vị")
    if res.assessment.interim and t.year:
        notes.append(f"Mục tiêu đến năm {t.year}")
    for uv in res.unit_values:
        if uv.note:
            notes.append(f"{uv.unit.name}: {uv.note}")
    return "; ".join(notes) or None


def _signature(ws, fm, c: Consolidation, row: int, last_col: int) -> None:
    place = c.plan.place or "……"
    ws.merge_range(row, last_col - 4, row, last_col,
                   f"{place}, ngày … tháng … năm {c.generated_at.year}",
                   fm(italic=True, align="center"))
    ws.merge_range(row + 1, 0, row + 1, 3, "NGƯỜI LẬP BIỂU", fm(bold=True, align="center"))
    ws.merge_range(row + 2, 0, row + 2, 3, "(Ký, họ tên)", fm(italic=True, align="center"))
    ws.merge_range(row + 1, last_col - 4, row + 1, last_col, "THỦ TRƯỞNG ĐƠN VỊ",
                   fm(bold=True, align="center"))
    ws.merge_range(row + 2, last_col - 4, row + 2, last_col, "(Ký, đóng dấu, họ tên)",
                   fm(italic=True, align="center"))


def _tasks(wb, fm, c: Consolidation) -> None:
    ws = wb.add_worksheet(TASKS)
    headers = [("STT", 5), ("Mã", 7), ("Đơn vị", 26), ("Nhiệm vụ", 60), ("Tình trạng", 16),
               ("Kết quả thực hiện, khó khăn, đề xuất", 50)]
    row = _table_header(ws, fm, 0, headers)
    for i, tr in enumerate(c.tasks, 1):
        status = tr.status or ("Chưa báo cáo" if tr.submission_status == MISSING else None)
        for col, (value, f) in enumerate([(i, fm.center), (tr.code, fm.center),
                                          (tr.unit.name, fm.text), (tr.text, fm.text),
                                          (status, fm.center), (tr.result, fm.text)]):
            put(ws, row, col, value, f)
        row += 1
    ws.freeze_panes(2, 0)
    a4_landscape(ws, (0, 1))


def _submissions(wb, fm, c: Consolidation) -> None:
    ws = wb.add_worksheet(SUBMISSIONS)
    headers = [("STT", 5), ("Đơn vị", 30), ("Tình trạng", 20), ("Ngày nhận", 12),
               ("Hạn nộp", 12), ("Đúng hạn / trễ", 16), ("Tệp", 34), ("Số lần nộp lại", 10),
               ("Email", 26)]
    row = _table_header(ws, fm, 0, headers)
    for i, s in enumerate(c.submissions, 1):
        if s.record is None:
            timing = "Chưa nộp"
        elif s.days_late:
            timing = f"Trễ {s.days_late} ngày"
        else:
            timing = "Đúng hạn" if s.deadline else None
        values = [(i, fm.center), (s.unit.name, fm.text),
                  (SUBMISSION_LABELS.get(s.status, s.status), fm.text),
                  (s.received.date() if s.received else None, fm.date),
                  (s.deadline, fm.date), (timing, fm.center),
                  (s.record.original_name if s.record else None, fm.text),
                  (len(s.superseded) or None, fm.center), (s.unit.email, fm.text)]
        for col, (value, f) in enumerate(values):
            put(ws, row, col, value, f)
        row += 1
    ws.freeze_panes(2, 0)
    a4_landscape(ws, (0, 1))


def _findings(wb, fm, c: Consolidation) -> None:
    ws = wb.add_worksheet(FINDINGS)
    headers = [("STT", 5), ("Tệp", 30), ("Đơn vị", 24), ("Mức độ", 10), ("Trang", 12),
               ("Ô", 7), ("Mã", 8), ("Nội dung", 70)]
    row = _table_header(ws, fm, 0, headers)
    for i, (rec, f) in enumerate(c.findings, 1):
        values = [i, rec.original_name, rec.unit_name, SEVERITY_LABELS.get(f.severity),
                  f.sheet, f.cell, f.target, f.message]
        for col, value in enumerate(values):
            put(ws, row, col, value, fm.text)
        row += 1
    ws.freeze_panes(2, 0)
    a4_landscape(ws, (0, 1))


def _data(wb, fm, c: Consolidation) -> None:
    ws = wb.add_worksheet(DATA)
    for col, name in enumerate(TIDY_FIELDS):
        ws.write_string(0, col, name, fm.header)
        ws.set_column(col, col, 14)
    for r, rec in enumerate(c.tidy, 1):
        for col, name in enumerate(TIDY_FIELDS):
            put(ws, r, col, rec[name])
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(1, len(c.tidy)), len(TIDY_FIELDS) - 1)


def _meta(wb, c: Consolidation) -> None:
    ws = wb.add_worksheet(layout.META_SHEET)
    rows = {"tool": layout.TOOL_MARK, "kind": REPORT_KIND, "layout": str(layout.LAYOUT_VERSION),
            "plan_name": c.plan.name, "plan_identity": c.plan.identity(),
            "plan_title": c.plan.title, "issuer": c.plan.issuer or "", "period": c.period,
            "generated_at": c.generated_at.replace(microsecond=0).isoformat()}
    for r, (k, v) in enumerate(rows.items()):
        ws.write_string(r, 0, k)
        ws.write_string(r, 1, v)
    ws.hide()
