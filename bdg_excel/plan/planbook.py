"""The plan workbook: the whole plan in an Excel file an officer reads and edits.

One sheet per kind of thing, one row per thing, a bold frozen header row, dropdowns
where a value comes from a list. :func:`save_plan` writes a new workbook (xlsxwriter,
atomically); :func:`load_plan` reads it back, also after the officer edited it in
Excel, LibreOffice or WPS: sheets and columns are found by their (canonical) names,
never by position. :func:`check_plan` lists what the officer should fix, each finding
located at the sheet and row it came from.

Sheets: Hướng dẫn (guidance, ignored on load), Thông tin chung, Mục tiêu, Chỉ tiêu
(one row per target row), Đơn vị, Phân công (one row per unit × indicator), Nhiệm vụ,
Báo cáo.
"""

from __future__ import annotations

import os
import re
import secrets
import string
from dataclasses import dataclass, field, replace
from functools import lru_cache
from datetime import date, datetime
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from ..core import vn
from ..core.errors import OutputLocked, PlanError, PlanHasErrors, UsageError
from ..core.findings import ERROR, WARNING, Finding
from ..core.perf import no_gc
from ..core.xlsx import (DATE_FORMAT, FONT, LINE_PT, a4_landscape, col_units, workbook_options,
                         wrapped_lines)
from . import admin, catalog
from .model import MEASURES, OPS, RATIO_MEASURES, REPORT_KINDS, Goal, Indicator, Plan, \
    Report, ReviewItem, Target, Unit, Upward, infer_measure
from .targets import MEASURE_FROM_LABEL, MEASURE_LABELS, OP_FROM_LABEL, OP_LABELS

EXAMPLES = ("binh-lu", "tam-duong", "lai-chau-vp")

GUIDE_SHEET = "Hướng dẫn"
INFO_SHEET = "Thông tin chung"
GOALS_SHEET = "Mục tiêu"
TARGETS_SHEET = "Chỉ tiêu"
UNITS_SHEET = "Đơn vị"
ASSIGN_SHEET = "Phân công"
TASKS_SHEET = "Nhiệm vụ"
REPORTS_SHEET = "Báo cáo"
#: what plan import read, with its source and how sure it is (Plan.review); informational
REVIEW_SHEET = "Rà soát"
REVIEW_KIND_LABELS = {"target": "Chỉ tiêu", "assignment": "Phân công", "deadline": "Hạn báo cáo",
                      "national": "Mã quốc gia", "unit": "Đơn vị", "upward": "Báo cáo lên"}
_REVIEW_KIND_FROM_TEXT = {vn.canonical(v): k for k, v in REVIEW_KIND_LABELS.items()}
REQUIRED_SHEETS = (INFO_SHEET, GOALS_SHEET, TARGETS_SHEET, UNITS_SHEET, ASSIGN_SHEET)

REPORT_KIND_LABELS = {"annual": "Hằng năm", "semiannual": "6 tháng", "quarterly": "Hằng quý",
                      "once": "Một lần"}
#: The row of the Báo cáo sheet that holds the office's own report to the level above
#: (Plan.upward): whom the consolidated workbook goes to, and its deadline.
UPWARD_LABEL = "Tổng hợp gửi cấp trên"
_KIND_FROM_TEXT = {vn.canonical(v): k for k, v in REPORT_KIND_LABELS.items()} | {
    k: k for k in REPORT_KINDS} | {"hàng năm": "annual", "sáu tháng": "semiannual",
                                   "6 tháng đầu năm": "semiannual", "hàng quý": "quarterly",
                                   "quý": "quarterly", vn.canonical(UPWARD_LABEL): "upward",
                                   "báo cáo tổng hợp": "upward", "cấp trên": "upward",
                                   "upward": "upward"}
_OP_FROM_TEXT = {vn.canonical(k): v for k, v in OP_FROM_LABEL.items()} | {
    "từ ... đến": "between", "=>": ">=", "=<": "<="}

MAX_ROWS = 2000  # rows covered by dropdowns (room for the officer's additions)
_HEADER_SCAN = 10  # the header row is looked for in the first rows of a sheet


Loc = tuple[str, "int | None"]  # (sheet, 1-based row)


@dataclass(frozen=True)
class _Col:
    key: str
    header: str
    width: float
    kind: str = "text"  # text | code (typed text stays text) | number | int | date
    aliases: tuple[str, ...] = ()
    note: str = ""      # shown when the officer selects a cell of the column


INFO_HEADERS = (_Col("label", "Thông tin", 24), _Col("value", "Nội dung", 80))
INFO_ROWS = (("number", "Số kế hoạch"), ("issuer", "Cơ quan ban hành"),
             ("title", "Tên kế hoạch"), ("place", "Địa danh"),
             ("date", "Ngày ban hành"), ("start", "Năm bắt đầu"), ("end", "Năm kết thúc"))

COLUMNS: dict[str, tuple[_Col, ...]] = {
    GOALS_SHEET: (
        _Col("number", "Số mục tiêu", 12, "int", ("mục tiêu số", "số")),
        _Col("title", "Tên mục tiêu", 80, aliases=("mục tiêu",)),
    ),
    TARGETS_SHEET: (
        _Col("code", "Mã dòng", 9, "code", ("mã",), "Mã của dòng: 3.2 nếu chỉ tiêu có một "
             "mục tiêu; 3.2a, 3.2b… nếu có nhiều mục tiêu."),
        _Col("goal", "Mục tiêu số", 9, "int"),
        _Col("number", "Chỉ tiêu số", 9, "int"),
        _Col("indicator", "Mã chỉ tiêu", 9, "code"),
        _Col("indicator_text", "Nội dung chỉ tiêu", 50),
        _Col("text", "Nội dung mục tiêu", 40, aliases=("mục tiêu cụ thể",),
             note="Phần nội dung của chỉ tiêu ứng với dòng này."),
        _Col("op", "So sánh", 10, aliases=("phép so sánh",),
             note="Chọn trong danh sách; “từ … đến”: ghi cả Giá trị và Giá trị tối đa."),
        _Col("value", "Giá trị", 10, "number", ("giá trị mục tiêu",)),
        _Col("max", "Giá trị tối đa", 10, "number"),
        _Col("unit", "Đơn vị tính", 14, aliases=("đvt",)),
        _Col("year", "Năm đạt", 9, "int", ("năm",)),
        _Col("measure", "Cách tính", 22, note="Để trống: tự suy ra từ Đơn vị tính."),
        _Col("factor", "Hệ số", 10, "number",
             note="Tỷ lệ %: 100; /100.000: 100000; /1.000: 1000; lần: 1."),
        _Col("national", "Mã quốc gia", 11, "code", ("mã chỉ tiêu quốc gia", "mã qg"),
             "Chỉ tiêu của Chiến lược quốc gia mà dòng này thực hiện (QG-4.1, QG-3.2a; danh "
             "mục: lệnh bdg-excel catalog). Để trống nếu là chỉ tiêu riêng. Dấu ? sau mã: "
             "chưa chắc chắn, kiểm tra rồi xóa dấu ?."),
    ),
    UNITS_SHEET: (
        _Col("name", "Tên đơn vị", 45, aliases=("đơn vị",)),
        _Col("email", "Email", 32, aliases=("e-mail", "thư điện tử", "địa chỉ email")),
        _Col("contact", "Người liên hệ / điện thoại", 32,
             aliases=("người liên hệ", "điện thoại")),
    ),
    ASSIGN_SHEET: (
        _Col("unit", "Đơn vị", 45, aliases=("tên đơn vị",), note="Chọn trong danh sách "
             "đơn vị (trang Đơn vị)."),
        _Col("indicator", "Mã chỉ tiêu", 12, "code", ("chỉ tiêu", "mã"),
             "Mã chỉ tiêu (3.2), không phải mã dòng (3.2a)."),
        _Col("auto", "Nội dung chỉ tiêu (tự động)", 60),
    ),
    TASKS_SHEET: (
        _Col("unit", "Đơn vị", 40, aliases=("tên đơn vị",)),
        _Col("stt", "STT", 6, "int", ("số thứ tự",)),
        _Col("text", "Nội dung nhiệm vụ", 80, aliases=("nhiệm vụ",)),
    ),
    REPORTS_SHEET: (
        _Col("kind", "Loại", 22, aliases=("loại báo cáo",)),
        _Col("due", "Hạn nộp", 14, "code", ("hạn", "thời hạn"),
             "Hằng năm, 6 tháng, hằng quý: ngày/tháng (30/11; hằng quý: hạn đầu tiên trong "
             "năm). Một lần: ngày/tháng/năm."),
        _Col("to", "Gửi về", 60, aliases=("nơi nhận",)),
    ),
    REVIEW_SHEET: (
        _Col("confidence", "Mức chắc chắn", 12, "percent",
             note="Phần trăm: mục dưới 80% cần xem lại; các mục chưa chắc xếp trước."),
        _Col("kind", "Loại", 14),
        _Col("ref", "Mục", 28),
        _Col("value", "Đã đọc", 28),
        _Col("source", "Nguồn", 12),
        _Col("sentence", "Câu trong văn bản", 70),
        _Col("note", "Ghi chú", 45),
    ),
}
_REQUIRED_COLUMNS = {INFO_SHEET: ("label", "value"), GOALS_SHEET: ("number",),
                     TARGETS_SHEET: ("code",), UNITS_SHEET: ("name",),
                     ASSIGN_SHEET: ("unit", "indicator"), TASKS_SHEET: ("unit", "text"),
                     REPORTS_SHEET: ("kind", "due"), REVIEW_SHEET: ("confidence", "kind")}

GUIDANCE = (
    "Tệp kế hoạch của bdg-excel: sửa trực tiếp trên các trang, mỗi dòng là một mục "
    "(một mục tiêu, một dòng chỉ tiêu, một đơn vị, một phân công, một nhiệm vụ).",
    "Trang Chỉ tiêu: chỉ tiêu có nhiều mục tiêu ghi thành nhiều dòng, mã 3.2a, 3.2b…; "
    "chọn So sánh và Cách tính trong danh sách.",
    "Trang Phân công: mỗi dòng giao một chỉ tiêu cho một đơn vị báo cáo; đơn vị phải có "
    "trong trang Đơn vị.",
    "Có thể thêm, xóa, sắp xếp dòng và thêm cột ghi chú; không đổi tên trang và tiêu đề cột.",
    "Trang Báo cáo: hạn các đơn vị gửi báo cáo; dòng “Tổng hợp gửi cấp trên” là báo cáo "
    "tổng hợp của cơ quan mình gửi cấp trên (cột Gửi về) và hạn của nó.",
    "Sửa xong, chạy lệnh “bdg-excel plan check” để kiểm tra kế hoạch.",
)


def _match_key(text: str) -> str:
    """Canonical header/label text without a trailing "(…)" hint."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", vn.canonical(text))


# ---------------------------------------------------------------------------------
# Where things are: (kind, index…) -> (sheet, 1-based row). load_plan records where it
# read each thing; for a plan not read from a workbook, the rows save_plan would write.

@dataclass
class Sources:
    file: str | None = None
    rows: dict[tuple, Loc] = field(default_factory=dict)
    #: problems found while reading cells (a number that is not a number …)
    problems: list[Finding] = field(default_factory=list)


def _layout_rows(plan: Plan) -> dict[tuple, tuple[str, int]]:
    rows: dict[tuple, tuple[str, int]] = {}
    for i, (key, _) in enumerate(INFO_ROWS):
        rows[("info", key)] = (INFO_SHEET, i + 2)
    for gi in range(len(plan.goals)):
        rows[("goal", gi)] = (GOALS_SHEET, gi + 2)
    for ii, ti, n in _enumerate_targets(plan):
        rows[("target", ii, ti)] = (TARGETS_SHEET, n + 2)
        rows.setdefault(("indicator", ii), (TARGETS_SHEET, n + 2))
    for ui in range(len(plan.units)):
        rows[("unit", ui)] = (UNITS_SHEET, ui + 2)
    for n, (ui, ai, _, _) in enumerate(_assignments(plan)):
        rows[("assign", ui, ai)] = (ASSIGN_SHEET, n + 2)
    for n, (ui, ti, _, _) in enumerate(_tasks(plan)):
        rows[("task", ui, ti)] = (TASKS_SHEET, n + 2)
    for ri in range(len(plan.reports)):
        rows[("report", ri)] = (REPORTS_SHEET, ri + 2)
    rows[("upward",)] = (REPORTS_SHEET, len(plan.reports) + 2)
    return rows


def _enumerate_targets(plan: Plan):
    n = 0
    for ii, ind in enumerate(plan.indicators):
        for ti in range(len(ind.targets)):
            yield ii, ti, n
            n += 1


def _assignments(plan: Plan):
    for ui, u in enumerate(plan.units):
        for ai, code in enumerate(u.indicators):
            yield ui, ai, u, code


def _tasks(plan: Plan):
    for ui, u in enumerate(plan.units):
        for ti, text in enumerate(u.tasks):
            yield ui, ti, u, text


# ---------------------------------------------------------------------------------
# Writing

def save_plan(plan: Plan, path) -> None:
    """Write ``plan`` as a new plan workbook at ``path`` (atomically replaced)."""
    path = Path(path)
    # Not mkstemp: its file is private (0600); this one gets the usual permissions.
    tmp = str(path.with_name(f".{path.stem}.{os.getpid()}.{secrets.token_hex(4)}.xlsx"))
    try:
        _write(plan, tmp)
        os.replace(tmp, path)
    except PermissionError as exc:
        raise OutputLocked(f"Không ghi được tệp {path.name}: tệp đang mở trong Excel hoặc "
                           f"chỉ cho phép đọc. Đóng tệp rồi chạy lại.") from exc
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _write(plan: Plan, filename: str) -> None:
    wb = xlsxwriter.Workbook(filename, workbook_options(in_memory=False))
    # A fixed creation date makes the file depend on the plan only (reproducible builds).
    wb.set_properties({"title": plan.title, "created": datetime.combine(
        _iso_date(plan.date) or date(2000, 1, 1), datetime.min.time())})
    base = {"font_name": FONT, "font_size": 12, "valign": "top",
            "text_wrap": True}
    fmt = {
        "text": wb.add_format(base), "code": wb.add_format(base | {"num_format": "@"}),
        "number": wb.add_format(base | {"num_format": "General"}),
        "int": wb.add_format(base | {"num_format": "0"}),
        "percent": wb.add_format(base | {"num_format": '0"%"'}),
        "date": wb.add_format(base | {"num_format": DATE_FORMAT, "align": "left"}),
        "header": wb.add_format(base | {"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                        "align": "center", "valign": "vcenter"}),
        "title": wb.add_format(base | {"bold": True, "font_size": 14, "text_wrap": False}),
    }

    guide = wb.add_worksheet(GUIDE_SHEET)
    guide.set_column(0, 0, col_units(110), fmt["text"])
    guide.write_string(0, 0, "HƯỚNG DẪN SỬ DỤNG TỆP KẾ HOẠCH", fmt["title"])
    guide.set_row(0, 22)
    lines = [(1, plan.title or "")] + [(3 + i, f"{i + 1}. {line}")
                                       for i, line in enumerate(GUIDANCE)]
    for r, text in lines:
        guide.write_string(r, 0, text, fmt["text"])
        _fit_row(guide, r, [(text, 110)])
    a4_landscape(guide)

    ws = _sheet(wb, INFO_SHEET, INFO_HEADERS, fmt)
    values = {"number": plan.number, "issuer": plan.issuer, "title": plan.title,
              "place": plan.place, "date": _iso_date(plan.date) or plan.date,
              "start": plan.period_start, "end": plan.period_end}
    for i, (key, label) in enumerate(INFO_ROWS):
        ws.write_string(i + 1, 0, label, fmt["text"])
        _put(ws, i + 1, 1, values[key], fmt, "int" if key in ("start", "end") else "text")
        if isinstance(values[key], str):
            _fit_row(ws, i + 1, [(values[key], INFO_HEADERS[1].width)])

    _table(wb, GOALS_SHEET, [[g.number, g.title] for g in plan.goals], fmt)
    _table(wb, TARGETS_SHEET, [
        [t.code, ind.goal, ind.number, ind.code, ind.text, t.text,
         OP_LABELS.get(t.op, t.op), t.value, t.max, t.unit, t.year,
         MEASURE_LABELS.get(t.measure, t.measure), t.factor, catalog.cell_text(plan, t)]
        for ind in plan.indicators for t in ind.targets], fmt,
        lists={"op": list(OP_LABELS.values()), "measure": list(MEASURE_LABELS.values())})
    _table(wb, UNITS_SHEET, [[u.name, u.email, u.contact] for u in plan.units], fmt)

    texts = {i.code: i.text for i in plan.indicators}
    units_ref = _column_ref(UNITS_SHEET, "name")
    codes_ref = _column_ref(TARGETS_SHEET, "indicator")
    codes = [code for *_, code in _assignments(plan)]
    ws = _table(wb, ASSIGN_SHEET, [[u.name, code, None] for _, _, u, code in
                                   _assignments(plan)], fmt,
                lists={"unit": "=" + units_ref, "indicator": "=" + codes_ref})
    # Beside each code, the indicator's text (a formula, with its value cached for
    # readers that do not recalculate); ignored by load_plan.
    text_ref = _column_ref(TARGETS_SHEET, "indicator_text")
    code_col, auto_col = (_col_index(ASSIGN_SHEET, k) for k in ("indicator", "auto"))
    for r in range(1, len(codes) + 51):
        cell = f"{xl_col_to_name(code_col)}{r + 1}"
        ws.write_formula(r, auto_col, f'=IFERROR(INDEX({text_ref},MATCH({cell},{codes_ref},0)),"")',
                         fmt["text"], texts.get(codes[r - 1], "") if r <= len(codes) else "")
    _table(wb, TASKS_SHEET, [[u.name, ti + 1, text] for _, ti, u, text in _tasks(plan)],
           fmt, lists={"unit": "=" + units_ref})
    upward = ([[UPWARD_LABEL, _due_cell(Report("once", plan.upward.due)), plan.upward.to]]
              if plan.upward else [])
    _table(wb, REPORTS_SHEET, [[REPORT_KIND_LABELS.get(r.kind, r.kind), _due_cell(r), r.to]
                               for r in plan.reports] + upward, fmt,
           lists={"kind": list(REPORT_KIND_LABELS.values()) + [UPWARD_LABEL]})
    if plan.review:
        _table(wb, REVIEW_SHEET, [
            [round(r.confidence * 100), REVIEW_KIND_LABELS.get(r.kind, r.kind),
             REPORT_KIND_LABELS.get(r.ref, r.ref) if r.kind == "deadline" else r.ref, r.value,
             r.source, r.sentence, r.note]
            for r in sorted(plan.review, key=lambda r: r.confidence)], fmt)
    wb.close()


def _sheet(wb, name: str, cols: tuple[_Col, ...], fmt: dict):
    ws = wb.add_worksheet(name)
    for c, col in enumerate(cols):
        ws.set_column(c, c, col_units(col.width), fmt[col.kind])
        ws.write_string(0, c, col.header, fmt["header"])
    ws.freeze_panes(1, 0)
    _fit_row(ws, 0, [(col.header, col.width) for col in cols], bold=True)
    a4_landscape(ws)
    ws.repeat_rows(0)
    return ws


def _fit_row(ws, r: int, texts: list[tuple[str, float]], bold: bool = False) -> None:
    """Make row ``r`` as tall as its longest wrapped text (xlsxwriter cannot autofit, and
    LibreOffice shows a default-height row's wrapped text over the next rows)."""
    lines = max((wrapped_lines(t, w, bold=bold) for t, w in texts if t), default=1)
    if lines > 1:
        ws.set_row(r, lines * LINE_PT + 3)


def _table(wb, name: str, rows: list[list], fmt: dict, lists: dict | None = None):
    cols = COLUMNS[name]
    ws = _sheet(wb, name, cols, fmt)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            _put(ws, r, c, value, fmt, cols[c].kind)
        _fit_row(ws, r, [(v, col.width) for v, col in zip(row, cols) if isinstance(v, str)])
    ws.autofilter(0, 0, max(len(rows), 1), len(cols) - 1)
    for c, col in enumerate(cols):
        options: dict = {}
        if lists and col.key in lists:
            options = {"validate": "list", "source": lists[col.key],
                       "error_title": col.header,
                       "error_message": "Chọn một giá trị trong danh sách."}
        if col.note:
            options |= {"input_title": col.header[:32], "input_message": col.note[:255]}
            options.setdefault("validate", "any")
        if options:
            ws.data_validation(1, c, MAX_ROWS, c, options)
    return ws


def _col_index(sheet: str, key: str) -> int:
    return next(i for i, c in enumerate(COLUMNS[sheet]) if c.key == key)


def _column_ref(sheet: str, key: str) -> str:
    letter = xl_col_to_name(_col_index(sheet, key))
    return f"'{sheet}'!${letter}$2:${letter}${MAX_ROWS}"


def _put(ws, r: int, c: int, value, fmt: dict, kind: str) -> None:
    if value is None or value == "":
        ws.write_blank(r, c, None, fmt[kind])
    elif isinstance(value, (date, datetime)):
        ws.write_datetime(r, c, value, fmt["date"])
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(r, c, value, fmt["number" if kind in ("text", "code") else kind])
    else:  # text is always text, even "=…", "+84…", "-…", "@…"
        ws.write_string(r, c, str(value), fmt[kind])


def _iso_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _due_cell(r: Report):
    """One-off deadline: a real date; yearly deadline "MM-DD": text "dd/mm"."""
    if not r.due:
        return None
    if d := _iso_date(r.due):
        return d
    m = re.fullmatch(r"(\d{1,2})-(\d{1,2})", r.due)
    return f"{int(m[2]):02d}/{int(m[1]):02d}" if m else r.due


# ---------------------------------------------------------------------------------
# Reading

def load_plan(path) -> Plan:
    """Read a plan workbook. ``plan.name`` is the file name without extension; where
    each thing was read is kept in ``plan._sources`` (a :class:`Sources`) for
    :func:`check_plan`. Raises :class:`PlanError` when the file cannot be used."""
    with no_gc():       # a record per row: 50,000 of them for 10,000 units
        return _load_plan(Path(path))


def _load_plan(path: Path) -> Plan:
    book = _open(path)
    reader = _Reader(path.name)
    sheets = {vn.canonical(n): n for n in book.sheet_names}

    def table(sheet: str) -> list[tuple[int, dict]]:
        real = sheets.get(vn.canonical(sheet))
        if real is None:
            if sheet in REQUIRED_SHEETS:
                raise PlanError(f"Tệp {path.name} thiếu trang “{sheet}”: tệp không phải tệp "
                                f"kế hoạch của bdg-excel hoặc trang đã bị đổi tên. Đặt lại "
                                f"tên trang là “{sheet}”.")
            return []
        cols = INFO_HEADERS if sheet == INFO_SHEET else COLUMNS[sheet]
        rows = book.get_sheet_by_name(real).to_python(skip_empty_area=False)
        return _records(rows, cols, _REQUIRED_COLUMNS[sheet], path.name, sheet)

    plan = Plan(name=path.stem)
    src = reader.sources
    info = {}
    labels = {_match_key(label): key for key, label in INFO_ROWS}
    for row, rec in table(INFO_SHEET):
        key = labels.get(_match_key(_text(rec.get("label")) or ""))
        if key and key not in info:
            info[key] = rec.get("value")
            src.rows[("info", key)] = (INFO_SHEET, row)
    plan.number, plan.issuer = _text(info.get("number")), _text(info.get("issuer"))
    plan.title, plan.place = _text(info.get("title")) or "", _text(info.get("place"))
    at = {key: src.rows.get(("info", key), (INFO_SHEET, None)) for key, _ in INFO_ROWS}
    plan.date = reader.date(info.get("date"), at["date"], "Ngày ban hành")
    plan.period_start = reader.int(info.get("start"), at["start"], "Năm bắt đầu")
    plan.period_end = reader.int(info.get("end"), at["end"], "Năm kết thúc")

    goals = [(row, Goal(reader.int(rec.get("number"), (GOALS_SHEET, row), "Số mục tiêu"),
                        _text(rec.get("title")) or "")) for row, rec in table(GOALS_SHEET)]
    goals.sort(key=lambda g: (g[1].number is None, g[1].number or 0))
    for gi, (row, goal) in enumerate(goals):
        plan.goals.append(goal)
        src.rows[("goal", gi)] = (GOALS_SHEET, row)

    records = table(TARGETS_SHEET)
    _read_targets(plan, records, reader)
    _read_national(plan, records)

    for ui, (row, rec) in enumerate(table(UNITS_SHEET)):
        plan.units.append(Unit(_text(rec.get("name")) or "", email=_text(rec.get("email")),
                               contact=_text(rec.get("contact"))))
        src.rows[("unit", ui)] = (UNITS_SHEET, row)
    by_key: dict[str, int] = {}
    for ui, u in enumerate(plan.units):
        by_key.setdefault(u.key, ui)
    reader.know_units(by_key, plan.units)

    for row, rec in table(ASSIGN_SHEET):
        ui = reader.unit(rec.get("unit"), by_key, ASSIGN_SHEET, row)
        code = _code(rec.get("indicator"))
        if ui is None:
            continue
        if not code:
            reader.problem("missing_code", ASSIGN_SHEET, row, "Dòng phân công chưa có mã chỉ "
                           "tiêu: ghi mã chỉ tiêu (ví dụ 3.2) vào cột Mã chỉ tiêu.")
            continue
        plan.units[ui].indicators.append(code)
        src.rows[("assign", ui, len(plan.units[ui].indicators) - 1)] = (ASSIGN_SHEET, row)

    tasks = []
    for row, rec in table(TASKS_SHEET):
        ui = reader.unit(rec.get("unit"), by_key, TASKS_SHEET, row)
        text = _text(rec.get("text"))
        if ui is not None and text:
            stt = reader.number(rec.get("stt"), (TASKS_SHEET, row), "STT")
            tasks.append((ui, stt if stt is not None else float("inf"), row, text))
    for ui, _, row, text in sorted(tasks, key=lambda t: t[:2]):
        plan.units[ui].tasks.append(text)
        src.rows[("task", ui, len(plan.units[ui].tasks) - 1)] = (TASKS_SHEET, row)

    for row, rec in table(REPORTS_SHEET):
        raw_kind = _text(rec.get("kind")) or ""
        kind = _KIND_FROM_TEXT.get(vn.canonical(raw_kind), raw_kind)
        if kind == "upward":
            if plan.upward is None:  # a second such row: the first one counts
                plan.upward = Upward(_text(rec.get("to")),
                                     reader.due(rec.get("due"), "once", row))
                src.rows[("upward",)] = (REPORTS_SHEET, row)
            continue
        plan.reports.append(Report(kind, reader.due(rec.get("due"), kind, row),
                                   _text(rec.get("to"))))
        src.rows[("report", len(plan.reports) - 1)] = (REPORTS_SHEET, row)

    # national links are judged from the column "Mã quốc gia" (its "?" marks, read above);
    # the sheet's other rows are what plan import read
    plan.review += [item for item in (_review_item(rec) for _, rec in table(REVIEW_SHEET)
                                      if rec.get("kind") is not None)
                    if item.kind != "national"]
    plan.review.sort(key=lambda r: r.confidence)
    plan._sources = src  # type: ignore[attr-defined]
    return plan


def _review_item(rec: dict) -> ReviewItem:
    """A row of the sheet "Rà soát" (informational: never a finding)."""
    kind = _text(rec.get("kind")) or ""
    try:
        conf = min(max(float(rec.get("confidence")) / 100, 0.0), 1.0)
    except (TypeError, ValueError):
        conf = 0.0
    kind = _REVIEW_KIND_FROM_TEXT.get(vn.canonical(kind), kind)
    ref = _text(rec.get("ref")) or ""
    if kind == "deadline":
        ref = _KIND_FROM_TEXT.get(vn.canonical(ref), ref)
    return ReviewItem(kind, ref, _text(rec.get("value")) or "",
                      _text(rec.get("source")) or "", _text(rec.get("sentence")) or "",
                      conf, _text(rec.get("note")) or "")


def _open(path: Path):
    from python_calamine import CalamineWorkbook

    if not path.is_file():
        raise PlanError(f"Không tìm thấy tệp kế hoạch {path}: kiểm tra lại đường dẫn và "
                        f"tên tệp.")
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several types for unreadable files
        raise PlanError(f"Tệp {path.name} không phải là bảng tính Excel hoặc đã bị hỏng: mở "
                        f"tệp bằng Excel, lưu lại dạng .xlsx rồi thử lại.") from exc


def _records(rows: list[list], cols: tuple[_Col, ...], required: tuple[str, ...],
             file: str, sheet: str) -> list[tuple[int, dict]]:
    """(1-based row, {column key: value}) for each non-blank row under the header row."""
    wanted = {_match_key(a): c.key for c in cols for a in (c.header, *c.aliases)}
    for h, cells in enumerate(rows[:_HEADER_SCAN]):
        index: dict[str, int] = {}
        for i, cell in enumerate(cells):
            key = wanted.get(_match_key(cell)) if isinstance(cell, str) else None
            if key and key not in index:
                index[key] = i
        if all(k in index for k in required):
            break
    else:
        missing = next(c.header for c in cols if c.key in required)
        raise PlanError(f"Tệp {file}, trang “{sheet}”: không tìm thấy dòng tiêu đề có cột "
                        f"“{missing}”. Khôi phục tiêu đề cột như tệp mẫu.")
    out = []
    for r, cells in enumerate(rows[h + 1:], start=h + 2):
        rec = {k: _blank(cells[i]) if i < len(cells) else None for k, i in index.items()}
        if any(v is not None for k, v in rec.items() if k != "auto"):
            out.append((r, rec))
    return out


def _blank(value):
    if isinstance(value, str):
        value = _clean(value) if value else value
    return None if value == "" else value


@lru_cache(maxsize=1 << 16)
def _clean(text: str) -> str:
    """vn.clean, remembered: a plan of 10,000 units repeats each unit's name on the
    assignment and task sheets, and the same task texts thousands of times."""
    return vn.clean(text)


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (date, datetime)):
        return vn.format_date(value)
    return (_clean(value) if isinstance(value, str) else vn.clean(value)) or None


def _code(value) -> str | None:
    """A code as typed: "3.2", "3.2a"; a number the spreadsheet made of "3.2" too."""
    if isinstance(value, float):
        return f"{vn.tidy_float(value):g}"
    text = _text(value)
    return text.replace(" ", "") if text else None


def _code_key(code: str) -> tuple:
    m = re.fullmatch(r"(\d+)\.(\d+)([a-z]*)", code or "")
    return (0, int(m[1]), int(m[2]), m[3]) if m else (1, 0, 0, code or "")


class _Reader:
    """Turns cell values into plan values, recording what it could not read."""

    def __init__(self, file: str):
        self.sources = Sources(file=file)
        self._by_key: dict | None = None
        self._names: list[str] = []
        self._units: dict[str, int | None] = {}      # name as written -> unit index

    def problem(self, code: str, sheet: str, row: int | None, message: str,
                target: str | None = None, severity: str = ERROR) -> None:
        self.sources.problems.append(Finding(code, message, severity, sheet=sheet, row=row,
                                             target=target))

    def number(self, value, where: Loc, label: str, target: str | None = None):
        try:
            return vn.parse_number(value)
        except vn.AmbiguousNumber as exc:
            a, b = exc.readings[0], exc.readings[-1]
            self.problem("ambiguous_number", *where,
                         f"Cột {label}: “{value}” có thể là {vn.format_number(a)} hoặc "
                         f"{vn.format_number(b)}: ghi số không có dấu chấm phân cách hàng "
                         f"nghìn, dùng dấu phẩy cho phần thập phân.", target)
            return None
        except vn.NotANumber:
            self.problem("not_a_number", *where,
                         f"Cột {label}: “{value}” không phải là số: ghi một số, ví dụ 12,5.",
                         target)
            return None

    def int(self, value, where: Loc, label: str, target: str | None = None):
        n = self.number(value, where, label, target)
        return int(n) if n is not None else None

    def date(self, value, where: Loc, label: str) -> str | None:
        if value is None:
            return None
        d = vn.parse_date(value)
        if d is None:
            self.problem("invalid_date", *where, f"{label} “{value}” không phải "
                         f"là ngày: ghi theo dạng ngày/tháng/năm, ví dụ 10/04/2026.")
        return d.isoformat() if d else None

    def due(self, value, kind: str, row: int) -> str | None:
        if isinstance(value, (date, datetime)):
            return value.strftime("%Y-%m-%d" if kind == "once" else "%m-%d")
        text = _text(value)
        if text is None:
            return None
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text):
            y, mo, d = int(m[1]), int(m[2]), int(m[3])
        elif m := re.fullmatch(r"(\d{1,2})-(\d{1,2})", text):  # the JSON's MM-DD
            y, mo, d = None, int(m[1]), int(m[2])
        elif m := re.fullmatch(r"(\d{1,2})[/.](\d{1,2})(?:[/.](\d{4}))?", text):
            y, mo, d = (int(m[3]) if m[3] else None), int(m[2]), int(m[1])
        else:
            self.problem("invalid_due", REPORTS_SHEET, row, f"Hạn nộp “{text}” không đọc "
                         f"được: ghi ngày/tháng (30/11), báo cáo một lần ghi ngày/tháng/năm.")
            return None
        if y is not None and kind == "once":
            return f"{y:04d}-{mo:02d}-{d:02d}"
        return f"{mo:02d}-{d:02d}"

    def know_units(self, by_key: dict[str, int], units: list[Unit]) -> None:
        """Units named exactly as on the Units sheet need no canonical form (a plan of
        10,000 units names each on several rows of the assignment and task sheets)."""
        self._by_key = by_key
        self._units = {u.name: by_key[u.key] for u in units}
        self._names = [u.name for u in units]

    def unit(self, value, by_key: dict[str, int], sheet: str, row: int) -> int | None:
        name = _text(value)
        if not name:
            self.problem("missing_unit", sheet, row, "Dòng này chưa có tên đơn vị: chọn đơn "
                         "vị trong danh sách (trang Đơn vị).")
            return None
        if by_key is not self._by_key:
            self._by_key, self._units = by_key, {}
        if name in self._units:       # each unit is named on several rows
            ui = self._units[name]
        else:
            ui = self._units[name] = by_key.get(vn.canonical(name))
        if ui is None:
            close = closest_unit(name, self._names)
            hint = f" Có phải là “{close}”?" if close else ""
            self.problem("unknown_unit", sheet, row, f"Đơn vị “{name}” không có trong trang "
                         f"Đơn vị: thêm đơn vị vào trang Đơn vị hoặc sửa tên cho đúng.{hint}")
        return ui


def closest_unit(name: str, names: list[str]) -> str | None:
    """The unit name closest to a misspelt ``name`` (difflib, on canonical forms without
    accents), or None when none is close enough."""
    import difflib

    if not names:
        return None
    plain = {vn.strip_accents(vn.canonical(n)): n for n in names}
    hit = difflib.get_close_matches(vn.strip_accents(vn.canonical(name)), list(plain), n=1,
                                    cutoff=0.75)
    return plain[hit[0]] if hit else None


def _read_targets(plan: Plan, records: list[tuple[int, dict]], reader: _Reader) -> None:
    groups: dict[str, list[tuple[int, dict, str]]] = {}
    for row, rec in records:
        code = _code(rec.get("code")) or _code(rec.get("indicator"))
        if not code:
            reader.problem("missing_code", TARGETS_SHEET, row, "Dòng chỉ tiêu chưa có mã: "
                           "ghi mã dòng (ví dụ 3.2 hoặc 3.2a) vào cột Mã dòng.")
            continue
        ind_code = _code(rec.get("indicator")) or code.rstrip(string.ascii_lowercase)
        groups.setdefault(ind_code, []).append((row, rec, code))

    indicators = []
    for ind_code, rows in groups.items():
        first = rows[0][1]
        where = (TARGETS_SHEET, rows[0][0])
        parts = [p for p in ind_code.split(".") if p.isdigit()]
        goal = reader.int(first.get("goal"), where, "Mục tiêu số", ind_code)
        number = reader.int(first.get("number"), where, "Chỉ tiêu số", ind_code)
        ind = Indicator(ind_code, goal if goal is not None else int(parts[0]) if parts else 0,
                        number if number is not None else
                        int(parts[1]) if len(parts) > 1 else 0,
                        next((_text(r.get("indicator_text")) for _, r, _ in rows
                              if r.get("indicator_text") is not None), ""))
        targets = sorted(((row, _target(rec, code, row, reader)) for row, rec, code in rows),
                         key=lambda t: _code_key(t[1].code))
        ind.targets = [t for _, t in targets]
        indicators.append((ind, [row for row, _ in targets]))
    indicators.sort(key=lambda x: _code_key(x[0].code))
    for ii, (ind, rows) in enumerate(indicators):
        plan.indicators.append(ind)
        reader.sources.rows[("indicator", ii)] = (TARGETS_SHEET, rows[0])
        for ti, row in enumerate(rows):
            reader.sources.rows[("target", ii, ti)] = (TARGETS_SHEET, row)


def _read_national(plan: Plan, records: list[tuple[int, dict]]) -> None:
    """The column "Mã quốc gia"; a workbook written before it existed gets its links from
    the rows' text, listed for review like an import's."""
    if not any("national" in rec for _, rec in records):
        plan.review.extend(catalog.review_links(plan, catalog.link_plan(plan)))
        return
    for _, rec in records:
        t = plan.target(_code(rec.get("code")) or _code(rec.get("indicator")) or "")
        if t is not None:
            t.national, unsure = catalog.read_cell(rec.get("national"))
            if unsure:
                catalog.mark_unsure(plan, t.code)


def _target(rec: dict, code: str, row: int, reader: _Reader) -> Target:
    where = (TARGETS_SHEET, row)
    raw_op = _text(rec.get("op")) or ""
    op = _OP_FROM_TEXT.get(vn.canonical(raw_op), raw_op)
    unit, text = _text(rec.get("unit")), _text(rec.get("text")) or ""
    t = Target(code, op, reader.number(rec.get("value"), where, "Giá trị", code),
               reader.number(rec.get("max"), where, "Giá trị tối đa", code), unit,
               reader.int(rec.get("year"), where, "Năm đạt", code), text)
    inferred, inferred_factor = infer_measure(unit, op, text)
    raw_measure = _text(rec.get("measure"))
    t.measure = MEASURE_FROM_LABEL.get(vn.canonical(raw_measure), raw_measure) \
        if raw_measure else inferred
    t.factor = reader.number(rec.get("factor"), where, "Hệ số", code)
    if t.factor is None and t.measure == inferred:
        t.factor = inferred_factor
    elif t.factor is None and t.measure == "percent":
        t.factor = 100.0
    return t


# ---------------------------------------------------------------------------------
# Checking

_EMAIL = re.compile(r"[^@\s;,<>]+@[^@\s;,<>]+\.[A-Za-z]{2,}")
_NUMERIC_OPS = (">=", ">", "<=", "<", "=", "between")
_KIND_SHEETS = {"info": INFO_SHEET, "goal": GOALS_SHEET, "indicator": TARGETS_SHEET,
                "target": TARGETS_SHEET, "unit": UNITS_SHEET, "assign": ASSIGN_SHEET,
                "task": TASKS_SHEET, "report": REPORTS_SHEET, "upward": REPORTS_SHEET}
_REPORTED_ON_LOAD = ("missing_value", "missing_due", "missing_period")


def require_no_errors(plan: Plan, path=None) -> list[Finding]:
    """The findings of :func:`check_plan` when they are warnings only; raises
    :class:`PlanHasErrors` (carrying every finding) when there is an error: forms written
    from such a plan would lose an indicator, show "≥  %" or an unknown deadline."""
    found = check_plan(plan, path)
    errors = [f for f in found if f.severity == ERROR]
    if errors:
        name = Path(path).name if path else (plan.name + ".xlsx" if plan.name else "kế hoạch")
        raise PlanHasErrors(f"Tệp kế hoạch {name} có {len(errors)} lỗi; chưa tạo hay gửi biểu "
                            "mẫu nào. Sửa các lỗi dưới đây trong tệp kế hoạch rồi chạy lại "
                            "(kiểm tra bằng: bdg-excel plan check).", found)
    return found


def check_plan_file(path) -> list[Finding]:
    """Load and check a plan workbook; a workbook that cannot be read is one finding."""
    try:
        plan = load_plan(path)
    except PlanError as exc:
        return [Finding("unreadable_plan", str(exc), ERROR, file=Path(path).name)]
    return check_plan(plan, path)


def check_plan(plan: Plan, path=None) -> list[Finding]:
    """Problems in a plan, each at the sheet and row of the plan workbook it came from
    (for a plan not read from a workbook: the row :func:`save_plan` would write)."""
    src: Sources | None = getattr(plan, "_sources", None)
    rows = src.rows if src else _layout_rows(plan)
    file = Path(path).name if path else (src.file if src else None)
    found: list[Finding] = list(src.problems) if src else []
    unreadable = {(f.sheet, f.row) for f in found}

    def add(code: str, where: tuple, message: str, target: str | None = None,
            severity: str = ERROR) -> None:
        sheet, row = rows.get(where) or (_KIND_SHEETS[where[0]], None)
        if code in _REPORTED_ON_LOAD and (sheet, row) in unreadable:
            return  # already reported: the cell holds something that is not a number/date
        found.append(Finding(code, message, severity, sheet=sheet, row=row, target=target))

    # General information
    if not plan.title:
        add("missing_title", ("info", "title"), "Chưa có tên kế hoạch: ghi vào dòng “Tên kế "
            "hoạch”.", severity=WARNING)
    if plan.period_start is None or plan.period_end is None:
        add("missing_period", ("info", "start" if plan.period_start is None else "end"),
            "Chưa có thời kỳ kế hoạch: ghi Năm bắt đầu và Năm kết thúc.", severity=WARNING)
    elif plan.period_start > plan.period_end:
        add("bad_period", ("info", "end"), f"Năm kết thúc {plan.period_end} trước năm bắt "
            f"đầu {plan.period_start}: sửa lại thời kỳ kế hoạch.")

    # Goals and indicators
    seen: dict = {}
    for gi, g in enumerate(plan.goals):
        if g.number is None:
            add("missing_goal_number", ("goal", gi), "Dòng mục tiêu chưa có Số mục tiêu: ghi "
                "số (1, 2, …) hoặc xóa dòng.")
        elif g.number in seen:
            add("duplicate_goal", ("goal", gi), f"Mục tiêu số {g.number} bị ghi hai lần: xóa "
                f"dòng trùng hoặc sửa số mục tiêu.")
        seen[g.number] = gi
        if g.number is not None and not any(i.goal == g.number for i in plan.indicators):
            add("goal_without_indicators", ("goal", gi), f"Mục tiêu số {g.number} chưa có chỉ "
                f"tiêu nào: thêm chỉ tiêu vào trang Chỉ tiêu hoặc xóa mục tiêu.",
                severity=WARNING)
    responsible = plan.responsible()
    codes_seen: set[str] = set()
    target_seen: set[str] = set()
    for ii, ind in enumerate(plan.indicators):
        where = ("indicator", ii)
        if ind.code in codes_seen:
            add("duplicate_code", where, f"Mã chỉ tiêu {ind.code} bị ghi hai lần: sửa mã cho "
                f"đúng.", ind.code)
        codes_seen.add(ind.code)
        if ind.goal not in seen:
            add("unknown_goal", where, f"Chỉ tiêu {ind.code} thuộc mục tiêu số {ind.goal}, "
                f"nhưng trang Mục tiêu không có mục tiêu này: thêm mục tiêu hoặc sửa cột Mục "
                f"tiêu số.", ind.code)
        if ind.code != f"{ind.goal}.{ind.number}":
            add("code_mismatch", where, f"Mã chỉ tiêu {ind.code} không khớp với Mục tiêu số "
                f"{ind.goal} và Chỉ tiêu số {ind.number}: mã phải là “mục tiêu.chỉ tiêu”.",
                ind.code)
        if not ind.targets:
            add("no_targets", where, f"Chỉ tiêu {ind.code} chưa có dòng mục tiêu nào: thêm "
                f"dòng vào trang Chỉ tiêu.", ind.code)
        if not responsible.get(ind.code):
            add("unassigned", where, f"Chỉ tiêu {ind.code} chưa được giao cho đơn vị nào báo "
                f"cáo: ghi tên đơn vị vào trang Phân công.", ind.code, WARNING)
        for ti, t in enumerate(ind.targets):
            _check_target(plan, ind, t, ("target", ii, ti), target_seen, add)

    # Units, assignments, tasks
    indicator_codes = {i.code for i in plan.indicators}
    target_codes = {t.code for t in plan.targets()}
    unit_keys: set[str] = set()
    no_address: list[int] = []
    for ui, u in enumerate(plan.units):
        where = ("unit", ui)
        if not u.name:
            add("missing_unit", where, "Dòng đơn vị chưa có tên: ghi Tên đơn vị hoặc xóa dòng.")
        elif u.key in unit_keys:
            add("duplicate_unit", where, f"Đơn vị “{u.name}” bị ghi hai lần: xóa dòng trùng "
                f"(các phân công đều tính cho dòng đầu tiên).")
        unit_keys.add(u.key)
        if u.email and not all(_EMAIL.fullmatch(a.strip())
                               for a in re.split(r"[;,]", u.email) if a.strip()):
            add("invalid_email", where, f"Địa chỉ email “{u.email}” của {u.name} không đúng: "
                f"sửa lại (ví dụ tramyte@binhlu.gov.vn).")
        elif u.name and not u.email:
            no_address.append(ui)
        if not u.indicators and not u.tasks:
            add("idle_unit", where, f"Đơn vị “{u.name}” chưa được giao chỉ tiêu hay nhiệm vụ "
                f"nào: phân công cho đơn vị hoặc xóa dòng.", severity=WARNING)
        for ai, code in enumerate(u.indicators):
            if code not in indicator_codes:
                base = code.rstrip(string.ascii_lowercase)
                hint = (f" (mã {code} là mã dòng; ghi mã chỉ tiêu {base})"
                        if code in target_codes else "")
                add("unknown_indicator", ("assign", ui, ai), f"Không có chỉ tiêu mã {code} "
                    f"trong trang Chỉ tiêu{hint}: sửa mã chỉ tiêu giao cho {u.name}.", code)
            elif code in u.indicators[:ai]:
                add("duplicate_assignment", ("assign", ui, ai), f"Chỉ tiêu {code} được giao "
                    f"cho {u.name} hai lần: xóa dòng trùng.", code, WARNING)

    if len(no_address) > _NAME_AT_MOST:
        # a province's 38 communes, a ministry's 34 provinces: one warning, not 38
        rows_ = [r for r in (rows.get(("unit", ui), (None, None))[1] for ui in no_address) if r]
        add("missing_email", ("unit", no_address[0]), f"{len(no_address)} đơn vị chưa có địa "
            f"chỉ thư ({_row_ranges(rows_) or 'trang Đơn vị'}): ghi vào cột Email để gửi biểu "
            f"và thư nhắc qua thư điện tử (nếu không, bdg-excel send chỉ ghi thư nháp không có "
            f"người nhận cho các đơn vị này).", severity=WARNING)
    else:
        for ui in no_address:
            add("missing_email", ("unit", ui), f"Đơn vị “{plan.units[ui].name}” chưa có địa chỉ "
                f"thư: ghi vào cột Email để gửi biểu và thư nhắc qua thư điện tử (nếu không, "
                f"bdg-excel send chỉ ghi thư nháp không có người nhận cho đơn vị này).",
                severity=WARNING)
    for code, others, n in admin.shared_with_communes(plan):
        ui = next(i for i, u in enumerate(plan.units) if u.name == others[0])
        add("shared_with_communes", ("assign", ui, plan.units[ui].indicators.index(code)),
            f"Chỉ tiêu {code} được giao cho cả {', '.join(others)} và {n} xã, phường: số liệu "
            f"của các đơn vị này được cộng với nhau. Nếu {others[0]} báo cáo số liệu chung của "
            f"cả tỉnh, xóa các dòng giao chỉ tiêu {code} cho xã, phường ở trang Phân công để "
            f"không tính hai lần.", code, WARNING)

    # Reports
    if not plan.reports:
        add("no_reports", ("report", 0), "Chưa có thời hạn báo cáo: ghi loại báo cáo và hạn "
            "nộp vào trang Báo cáo.", severity=WARNING)
    for ri, r in enumerate(plan.reports):
        where = ("report", ri)
        if r.kind not in REPORT_KINDS:
            add("unknown_kind", where, f"Loại báo cáo “{r.kind}” không hợp lệ: chọn "
                f"{', '.join(REPORT_KIND_LABELS.values())}.")
        if not r.due:
            add("missing_due", where, "Báo cáo chưa có hạn nộp: ghi ngày/tháng (ví dụ 30/11).",
                severity=WARNING)
        elif not _valid_due(r):
            add("invalid_due", where, f"Hạn nộp “{r.due}” không hợp lệ: báo cáo hằng năm, 6 "
                f"tháng, hằng quý ghi ngày/tháng có thật (30/11); báo cáo một lần ghi "
                f"ngày/tháng/năm.")
    up = plan.upward
    if up is not None:
        if not up.to:
            add("missing_upward_to", ("upward",), f"Dòng “{UPWARD_LABEL}” chưa ghi nơi nhận: "
                f"ghi cơ quan cấp trên vào cột Gửi về.", severity=WARNING)
        if up.due and not (_valid_due(Report("once", up.due))
                           or _valid_due(Report("annual", up.due))):
            add("invalid_due", ("upward",), f"Hạn “{up.due}” của báo cáo tổng hợp gửi cấp "
                f"trên không hợp lệ: ghi ngày/tháng (15/12) hoặc ngày/tháng/năm.")
    _check_national(plan, rows, found)
    return [replace(f, file=f.file or file) for f in found]


#: more units than this without an address are named in one warning
_NAME_AT_MOST = 10


def _row_ranges(rows: list[int]) -> str:
    """[2, 3, 4, 7] -> "dòng 2–4, 7"."""
    rows, parts, i = sorted(rows), [], 0
    while i < len(rows):
        j = i
        while j + 1 < len(rows) and rows[j + 1] == rows[j] + 1:
            j += 1
        parts.append(f"{rows[i]}–{rows[j]}" if j > i else f"{rows[i]}")
        i = j + 1
    return "dòng " + ", ".join(parts) if parts else ""


def _check_national(plan: Plan, rows: dict, found: list[Finding]) -> None:
    """National links (plan.catalog.link_findings) at the cell of the row's code or unit."""
    where = {t.code: ("target", ii, ti) for ii, ind in enumerate(plan.indicators)
             for ti, t in enumerate(ind.targets)}
    for code, fcode, severity, message in catalog.link_findings(plan):
        sheet, row = rows.get(where[code]) or (TARGETS_SHEET, None)
        col = {"national_unit_mismatch": "unit",
               "national_earlier_figure": "value"}.get(fcode, "national")
        cell = f"{xl_col_to_name(_col_index(TARGETS_SHEET, col))}{row}" if row else None
        found.append(Finding(fcode, message, severity, sheet=sheet, cell=cell, row=row,
                             target=code))


def _check_target(plan: Plan, ind: Indicator, t: Target, where: tuple, seen: set, add) -> None:
    code = t.code
    if code in seen:
        add("duplicate_code", where, f"Mã dòng {code} bị ghi hai lần: các dòng của một chỉ "
            f"tiêu có nhiều mục tiêu mang mã {ind.code}a, {ind.code}b…", code)
    seen.add(code)
    if not re.fullmatch(r"\d+\.\d+[a-z]?", code) or t.indicator_code != ind.code:
        add("bad_code", where, f"Mã dòng {code} không hợp lệ với chỉ tiêu {ind.code}: ghi "
            f"{ind.code} hoặc {ind.code}a, {ind.code}b…", code)
    if not t.op:
        add("missing_op", where, f"Dòng {code} chưa có phép so sánh: chọn trong cột So sánh "
            f"(≥, >, ≤, <, =, “từ … đến” hoặc “Định tính”).", code)
        return
    if t.op not in OPS:
        add("unknown_op", where, f"So sánh “{t.op}” của dòng {code} không hợp lệ: chọn trong "
            f"danh sách (≥, >, ≤, <, =, “từ … đến”, “Định tính”).", code)
    if t.op in _NUMERIC_OPS and t.value is None:
        add("missing_value", where, f"Dòng {code} chưa có giá trị mục tiêu: ghi số vào cột "
            f"Giá trị, hoặc chọn So sánh “Định tính”.", code)
    if t.op == "between":
        if t.max is None:
            add("missing_max", where, f"Dòng {code} so sánh “từ … đến” nhưng chưa có Giá trị "
                f"tối đa: ghi giá trị cận trên.", code)
        elif t.value is not None and t.value > t.max:
            add("bad_range", where, f"Dòng {code}: Giá trị {vn.format_number(t.value)} lớn "
                f"hơn Giá trị tối đa {vn.format_number(t.max)}: đổi chỗ hai giá trị.", code)
    if t.measure not in MEASURES:
        add("unknown_measure", where, f"Cách tính “{t.measure}” của dòng {code} không hợp lệ: "
            f"chọn trong danh sách hoặc để trống.", code)
    elif t.measure in RATIO_MEASURES and not t.factor:
        add("missing_factor", where, f"Dòng {code} tính theo {MEASURE_LABELS[t.measure]} "
            f"nhưng chưa có Hệ số: ghi 100 cho tỷ lệ %, 100000 cho “/100.000”, 1 cho “lần”.",
            code)
    if t.measure == "percent" and any(v is not None and not 0 <= v <= 100
                                      for v in (t.value, t.max)):
        add("percent_range", where, f"Dòng {code} là tỷ lệ % nhưng giá trị "
            f"{vn.format_number(t.value)} nằm ngoài 0–100: sửa Giá trị hoặc Đơn vị tính.", code)
    start, end = plan.period_start, plan.period_end
    if t.year is not None and start is not None and end is not None \
            and start <= end and not start <= t.year <= end \
            and not catalog.earlier_national_figure(plan, t):
        add("year_outside_period", where, f"Năm đạt {t.year} của dòng {code} nằm ngoài thời "
            f"kỳ kế hoạch {start}–{end}: kiểm tra lại cột Năm đạt.", code, WARNING)


def _valid_due(r: Report) -> bool:
    pattern = r"\d{4}-\d{2}-\d{2}" if r.kind == "once" else r"\d{2}-\d{2}"
    if not r.due or not re.fullmatch(pattern, r.due):
        return False
    parts = [int(p) for p in r.due.split("-")]
    try:
        date(*parts) if len(parts) == 3 else date(2024, *parts)  # 2024: 29/02 is valid
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------------------
# Bundled examples

def example_path(name: str) -> Path:
    """The bundled plan workbook ``name`` (one of :data:`EXAMPLES`)."""
    if name not in EXAMPLES:
        raise UsageError(f"Không có kế hoạch mẫu “{name}”: chọn một trong "
                         f"{', '.join(EXAMPLES)}.")
    return Path(__file__).parent.parent / "examples" / f"{name}.xlsx"
