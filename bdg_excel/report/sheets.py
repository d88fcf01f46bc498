"""The sheets of the consolidated workbook, laid out as Vietnamese statistical forms.

Each sheet writer takes the xlsxwriter workbook, the shared :class:`~bdg_excel.core.xlsx.Formats`
and the :class:`~bdg_excel.report.results.Consolidation`. Every value that came from a return
is written with :func:`~bdg_excel.core.xlsx.put` (text as text: no formula injection).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import zip_longest

from ..core import vn
from ..core.findings import SEVERITY_LABELS
from ..core.xlsx import (LINE_PT, Formats, a4_landscape, clip_to_lines, col_units, merge_row, one_line_chars, paginate,
                         put, put_row, set_heights, wrapped_lines)
from ..forms.layout import TASK_STATUSES
from ..intake import ledger as lg
from ..plan import targets as tg
from ..plan.model import period_label
from .results import LATE, MISSING, ON_TIME, TIMING_LABELS, Consolidation

SUMMARY = "Tổng hợp"
TASKS = "Nhiệm vụ"
MATRIX = "Ma trận nhiệm vụ"
SUBMISSIONS = "Tình hình nộp"
REMIND = "Đơn vị cần nhắc"
FINDINGS = "Phát hiện"
DATA = "Dữ liệu"

FORM_NUMBER = "02/BĐG-TH"
TITLE = "BÁO CÁO TỔNG HỢP KẾT QUẢ THỰC HIỆN CHIẾN LƯỢC QUỐC GIA VỀ BÌNH ĐẲNG GIỚI"

SUBMISSION_LABELS = {lg.ACCEPTED: "Đã nhận, đạt yêu cầu", lg.NEEDS_FIXES: "Đã nhận, cần sửa",
                     MISSING: "Chưa nộp"}
#: Conditional formats of the assessment column, by how the label begins (so
#: "Chưa đạt (mục tiêu năm 2030)" is coloured like "Chưa đạt").
ASSESSMENT_COLOURS = {"Vượt": "#A9D08E", "Đạt": "#C6EFCE", "Chưa đạt": "#FFC7CE",
                      "Chưa có số liệu": "#EDEDED"}
STATUS_COLOURS = {"Đã hoàn thành": "#C6EFCE", "Đang thực hiện": "#FFEB9C",
                  "Chưa thực hiện": "#FFC7CE", "Chưa báo cáo": "#EDEDED"}
MAX_NAMES = 4   # more responsible units than this are counted, not listed


@dataclass
class Address:
    """Whom the consolidated workbook is sent to and who signs it: the coordinating
    office's own report to the level above (see :func:`bdg_excel.report.workbook.addressing`)."""
    office: str                         # Đơn vị báo cáo
    to: str                             # Đơn vị nhận báo cáo
    due: date | None = None             # the office's own deadline
    made: datetime | None = None        # the date the report was made
    signer_title: str = "THỦ TRƯỞNG ĐƠN VỊ"
    signer_name: str | None = None


def address_of(fm: Formats, c: Consolidation) -> Address:
    """The workbook's :class:`Address` (``fm.address``, set by the report writer), or the
    plain one of the plan."""
    a = getattr(fm, "address", None)
    if a is None:
        up = c.plan.upward
        a = Address(c.plan.issuer or "", (up.to if up and up.to else None) or "Sở Nội vụ",
                    up.deadline(int(c.period[:4])) if up and up.due else None, c.generated_at)
    return a


# -- shared blocks -------------------------------------------------------------------
def fit_widths(ws, headers: list[tuple[str, float, float]], rows: list[tuple[int, list]],
               head_row: int | None = None) -> dict[int, float]:
    """Column widths that fit Vietnamese text: the longest value (or the longest word of
    the header), between each column's minimum and maximum; longer text wraps, and each
    row (``rows`` holds (sheet row, values)) is made tall enough for its wrapped text.
    With ``head_row``, the header row is made tall enough for its wrapped headers.
    Returns column -> width."""
    ncols = len(headers)
    widths: dict[int, float] = {}
    # column by column (a table of 20,000 rows: as little Python per cell as possible)
    columns = list(zip_longest(*[values[:ncols] for _, values in rows]))
    columns += [(None,) * len(rows)] * (ncols - len(columns))
    lines = [1] * len(rows)
    for col, (text, lo, hi) in enumerate(headers):
        cells = columns[col]
        numbers = 0   # numbers never wrap: the column is as wide as the widest of them
        if set(map(type, cells)) <= {str, type(None)}:
            shown = cells
        else:
            shown = [v if v is None or v.__class__ is str else None for v in cells]
            numbers = _widest(v for v in cells if v is not None and v.__class__ is not str)
        lens = [len(s) if s is not None else 0 for s in shown]
        longest = max(max((len(w) for w in text.split()), default=0), max(lens, default=0))
        width = max(lo, min(hi, longest * 1.1 + 2), numbers * 1.1 + 2)
        ws.set_column(col, col, col_units(width))
        widths[col] = width
        # text of at most `sure` characters, without line breaks, takes one line (none of
        # the column's characters is wider than its widest); longer text is measured
        present = set().union(*set(filter(None, shown)))      # distinct texts' characters
        sure = one_line_chars(width, chars=present)
        newline = "\n" in present
        for i in [i for i, n in enumerate(lens) if n > sure or (newline and n)]:
            n = wrapped_lines(shown[i], width)
            if n > lines[i]:
                lines[i] = n
    set_heights(ws, [(row, n * LINE_PT + 3) for (row, _), n in zip(rows, lines) if n > 1])
    if head_row is not None:    # the header row (bold, wrapped): as tall as its longest
        n = max(wrapped_lines(text, widths[col], bold=True)
                for col, (text, _, _) in enumerate(headers))
        ws.set_row(head_row, max(45, n * LINE_PT + 3))
    return widths




def _widest(values) -> int:
    """``max(len(_shown(v)) for v in values)``, formatting each distinct value once and,
    of the integers (a numbering column: 20,000 of them), only the largest and the
    smallest: the length of a formatted integer grows with its magnitude."""
    ints, others, zeros = set(), set(), []
    for v in values:
        kind = v.__class__
        if kind is int:
            ints.add(v)
        elif kind is float and v == 0:
            zeros.append(v)           # 0.0 and -0.0 are equal but shown differently
        else:
            others.add((kind, v))     # True == 1 == 1.0: kept apart by their type
    shown = [v for _, v in others] + zeros
    if ints:
        shown += [max(ints), min(ints)]
    return max(map(len, map(_shown, shown)), default=0)


def _shown(v) -> str:
    return vn.format_number(v) if isinstance(v, (int, float)) else str(v)


def _sides(last_col: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """The left and right header/signature blocks: three and four columns on a wide
    table, two each on a narrow one (never wider than the table itself)."""
    if last_col >= 7:
        return (0, 2), (last_col - 3, last_col)
    half = max(0, last_col // 2)
    return (0, half), (min(last_col, half + 1), last_col)


def _merge(ws, row: int, cols: tuple[int, int], text: str, fmt) -> None:
    if cols[0] == cols[1]:
        ws.write_string(row, cols[0], text, fmt)
    else:
        ws.merge_range(row, cols[0], row, cols[1], text, fmt)


def plan_basis(plan) -> str | None:
    """"Ban hành kèm theo Kế hoạch số …" (or "… ngày …" for a plan without a number); None
    for a plan known by neither (never the bare words with nothing after them)."""
    if plan.number:
        return f"Ban hành kèm theo {plan.citation()}"
    issued = vn.parse_date(plan.date)
    return f"Ban hành kèm theo Kế hoạch ngày {vn.format_date(issued)}" if issued else None


def title_block(ws, fm: Formats, c: Consolidation, title: str, last_col: int) -> int:
    """Biểu số, reporting office and the body it reports to, the office's deadline, title,
    period, unit of measure. Returns the row of the table header. The heights of its first
    two rows are set by :func:`title_heights` once the columns' widths are known."""
    plan = c.plan
    a = address_of(fm, c)
    left, right = _sides(last_col)
    small = fm(italic=True, font_size=10, text_wrap=True)
    _merge(ws, 0, left, f"Biểu số: {FORM_NUMBER}", fm(bold=True))
    basis = plan_basis(plan)
    if basis:
        _merge(ws, 1, left, basis, small)
    if a.due:
        _merge(ws, 2, left, f"Hạn gửi báo cáo: {vn.format_date(a.due)}", small)
    _merge(ws, 0, right, f"Đơn vị báo cáo: {a.office}", fm(align="right", text_wrap=True))
    _merge(ws, 1, right, f"Đơn vị nhận báo cáo: {a.to}", fm(align="right", text_wrap=True))
    ws.bdg_title_texts = (f"Đơn vị báo cáo: {a.office}", f"Đơn vị nhận báo cáo: {a.to}",
                          basis, left, right)       # measured by title_heights
    ws.merge_range(4, 0, 4, last_col, title, fm(bold=True, align="center", font_size=14,
                                                  text_wrap=True))
    sub = plan.title + (f" ({plan.citation()[len('Kế hoạch '):]})" if plan.number else "")
    ws.merge_range(5, 0, 5, last_col, sub, fm(italic=True, align="center", text_wrap=True))
    ws.bdg_title_lines = (title, sub)     # rows 4 and 5: heights by title_heights
    ws.merge_range(6, 0, 6, last_col, f"Kỳ báo cáo: {period_label(c.period)}",
                   fm(bold=True, align="center"))
    _merge(ws, 7, right, "Đơn vị tính: theo cột Đơn vị tính", fm(italic=True, align="right"))
    return 8


def title_heights(ws, widths: dict[int, float]) -> None:
    """Rows 0 and 1 of :func:`title_block` as tall as their wrapped text in the columns'
    final widths (the basis is 10 pt, on the left; the addressing on the right)."""
    office, to, basis, left, right = ws.bdg_title_texts

    def block(cols):
        return sum(widths.get(col, 10) for col in range(cols[0], cols[1] + 1))
    for r, lines in ((0, wrapped_lines(office, block(right))),
                     (1, max(wrapped_lines(to, block(right)),
                             wrapped_lines(basis or "", block(left), size=10)))):
        if lines > 1:
            ws.set_row(r, lines * LINE_PT + 2)
    title, sub = ws.bdg_title_lines
    full = block((0, max(widths)))
    ws.set_row(4, wrapped_lines(title, full, size=14, bold=True) * TITLE_LINE_PT + 6)
    ws.set_row(5, wrapped_lines(sub, full) * LINE_PT + 4)


#: height of one line of the 14 pt bold title
TITLE_LINE_PT = 18.5


def table_header(ws, fm: Formats, row: int, headers: list) -> int:
    """Header row and the column-key row (A, B, 1, 2, …). Returns the first data row."""
    for col, h in enumerate(headers):
        ws.write_string(row, col, h[0], fm.header)
    ws.set_row(row, 45)
    for col in range(len(headers)):
        key = "A" if col == 0 else ("B" if col == 1 else str(col - 1))
        ws.write_string(row + 1, col, key, fm.key_row)
    return row + 2


SIGNATURE_ROWS = 8   # place and date, titles, "(Ký …)", space to sign, name


def signature(ws, fm: Formats, c: Consolidation, row: int, last_col: int) -> int:
    """Place and date made, Người lập biểu on the left, the head of the office (the title
    the plan signs with, when known) on the right. Kept on one page with the rows above
    it where it can be (a page break before it rather than a signature alone). Returns the
    row after it."""
    a = address_of(fm, c)
    left, right = _sides(last_col)
    d = a.made or c.generated_at
    place = c.plan.place or "……"
    centre = fm(italic=True, align="center")
    _merge(ws, row, right, f"{place}, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}", centre)
    _merge(ws, row + 1, left, "NGƯỜI LẬP BIỂU", fm(bold=True, align="center"))
    _merge(ws, row + 2, left, "(Ký, họ tên)", centre)
    titles = a.signer_title.upper().split("\n")
    _merge(ws, row + 1, right, "\n".join(titles), fm(bold=True, align="center", text_wrap=True))
    if len(titles) > 1:
        ws.set_row(row + 1, len(titles) * LINE_PT + 2)
    _merge(ws, row + 2, right, "(Ký, đóng dấu, họ tên)", centre)
    if a.signer_name:
        _merge(ws, row + 7, right, a.signer_name, fm(bold=True, align="center"))
    return row + SIGNATURE_ROWS


def _colour_by_prefix(ws, wb, first: int, last: int, col: int, colours: dict) -> None:
    if last < first:
        return
    for label, colour in colours.items():
        ws.conditional_format(first, col, last, col, {
            "type": "text", "criteria": "begins with", "value": label,
            "format": wb.add_format({"bg_color": colour}), "stop_if_true": True})


def _finish(ws, head: int, freeze_cols: int = 0) -> None:
    """An internal sheet (any number of rows): printed fitted to the page width."""
    ws.freeze_panes(head + 2, freeze_cols)
    a4_landscape(ws, (head, head + 1))


def _finish_upward(ws, head: int, last_row: int, last_col: int, keep: dict[int, int],
                   freeze_cols: int = 0, table_end: int | None = None) -> None:
    """A sheet that goes up: printed at a fixed scale with page breaks that keep each
    group in ``keep`` (last row -> first row) on one page, in Excel as in LibreOffice;
    the table's header repeated on its next pages (with ``table_end``: only if the table
    ending there goes on to another page)."""
    ws.freeze_panes(head + 2, freeze_cols)
    ws.print_area(0, 0, last_row, last_col)
    paginate(ws, last_row, last_col, repeat=(head, head + 1), keep=keep, table_end=table_end)


# -- Tổng hợp ------------------------------------------------------------------------
def summary(wb, fm: Formats, c: Consolidation) -> None:
    ws = wb.add_worksheet(SUMMARY)
    # widths for A4 landscape at no less than about 70 % (a few hundred px less than the
    # texts would like: the indicator text wraps, the target is its short form)
    headers = [("STT", 4, 5), ("Mã", 5, 7), ("Chỉ tiêu", 30, 58), ("Mục tiêu kế hoạch", 10, 14),
               ("Đơn vị tính", 7, 10), ("Đơn vị chịu trách nhiệm", 12, 16), ("Kết quả", 9, 14),
               ("Tử số", 7, 10), ("Mẫu số", 7, 10), ("Đánh giá", 10, 16), ("Tiến độ", 14, 22)]
    if c.previous_period:
        headers += [(f"Kỳ trước ({c.previous_period})", 9, 12), ("Thay đổi so với kỳ trước", 9, 12)]
    headers += [("Số đơn vị đã báo cáo", 8, 9), ("Ghi chú", 8, 16)]
    last = len(headers) - 1
    head = title_block(ws, fm, c, TITLE, last)
    row = first = table_header(ws, fm, head, headers)
    goals = {g.number: g.title for g in c.plan.goals}
    year = int(c.period[:4])
    current_goal, n, table = None, 0, []
    keep = {}                     # a goal's band row stays with its first target row
    for res in c.results:
        t = res.target
        if t.goal != current_goal:
            current_goal = t.goal
            ws.merge_range(row, 0, row, last, f"Mục tiêu {t.goal}: {goals.get(t.goal, '')}",
                           fm(bold=True, border=1, bg_color="#F2F2F2", text_wrap=True))
            keep[row + 1] = row
            row += 1
        n += 1
        # an indicator of several targets: each row names its own target ("90% người bị
        # bạo lực …"), the target column its short form
        what = res.indicator_text if t.text == res.indicator_text or not t.text else \
            t.text[:1].upper() + t.text[1:]
        names = res.responsible
        who = "; ".join(names) if len(names) <= MAX_NAMES else f"{len(names)} đơn vị"
        if t.measure == "yesno":
            result = res.answer_text
        else:
            result = res.value
        values = [(n, fm.center), (t.code, fm.center), (what, fm.text),
                  (tg.describe(t), fm.text), (t.unit, fm.center), (who or "(chưa giao)", fm.text),
                  (result, fm.number if t.measure != "yesno" else fm.center),
                  (res.numerator, fm.number), (res.denominator, fm.number),
                  (res.assessment.label, fm.center),
                  (tg.progress(t, res.value, year), fm.text)]
        if c.previous_period:
            values += [(res.previous, fm.number), (res.change, fm.number)]
        values += [(f"{res.units_reported}/{len(res.unit_values)}", fm.center),
                   (_note(res), fm.text)]
        for col, (value, f) in enumerate(values):
            put(ws, row, col, value, f)
        table.append((row, [v for v, _ in values]))
        row += 1
    _colour_by_prefix(ws, wb, first, row - 1, 9, ASSESSMENT_COLOURS)
    title_heights(ws, fit_widths(ws, headers, table, head_row=head))
    end = signature(ws, fm, c, row + 1, last)
    keep[end - 1] = max(first, row - 2)      # the signature with the last two rows
    _finish_upward(ws, head, end - 1, last, keep, 2)


def _note(res) -> str | None:
    notes = []
    t = res.target
    with_value = [uv for uv in res.unit_values if uv.value is not None and not uv.doubtful]
    if t.has_fraction and len(with_value) > 1 and res.value is None:
        notes.append("Không tổng hợp được: thiếu tử số/mẫu số của một số đơn vị "
                     "(không lấy trung bình các tỷ lệ)")
    elif t.has_fraction and len(with_value) > 1:
        notes.append("Tổng tử số × hệ số / tổng mẫu số")
    if res.contributed < res.units_reported:
        notes.append(f"Số liệu của {res.contributed}/{res.units_reported} đơn vị đã nộp được "
                     "tính vào kết quả")
    if res.unconfirmed:
        shown = [f"{uv.unit.name} ({_unconfirmed_value(uv)})"
                 for uv in res.unconfirmed[:MAX_NAMES]]
        more = len(res.unconfirmed) - len(shown)
        notes.append("Số liệu chưa xác nhận, không đưa vào tổng hợp (đơn vị cần sửa): "
                     + ", ".join(shown) + (f" và {more} đơn vị khác" if more > 0 else ""))
    if len(res.unit_values) <= MAX_NAMES:
        for uv in res.unit_values:
            if uv.note:
                notes.append(f"{uv.unit.name}: {uv.note}")
    return "; ".join(notes) or None


def _unconfirmed_value(uv) -> str:
    if uv.answer:
        return uv.answer
    return vn.format_number(uv.value) if uv.value is not None else "trống"


# -- Nhiệm vụ (list) and Ma trận nhiệm vụ --------------------------------------------
def tasks(wb, fm: Formats, c: Consolidation) -> None:
    ws = wb.add_worksheet(TASKS)
    headers = [("STT", 4, 5), ("Mã", 5, 7), ("Đơn vị", 16, 28), ("Nhiệm vụ", 30, 60),
               ("Tình trạng", 12, 16), ("Kết quả thực hiện, khó khăn, đề xuất", 30, 60)]
    row = table_header(ws, fm, 0, headers)
    table = []
    formats = [fm.center, fm.center, fm.text, fm.text, fm.center, fm.text]
    for i, tr in enumerate(c.tasks, 1):
        status = tr.status or ("Chưa báo cáo" if tr.submission_status == MISSING else None)
        values = [i, tr.code, tr.unit.name, tr.text, status, tr.result]
        put_row(ws, row, values, formats)
        table.append((row, values))
        row += 1
    _colour_by_prefix(ws, wb, 2, row - 1, 4, STATUS_COLOURS)
    fit_widths(ws, headers, table, head_row=0)
    _finish(ws, 0)


#: The task sheet that goes up: fixed widths (printed at about 75 %), the task's text on at
#: most two lines and the unit's words on at most three; in full in the internal workbook's
#: task list and the drafted report.
MATRIX_COLUMNS = [("STT", 4, 4), ("Mã", 5, 5), ("Nhiệm vụ", 92, 92), ("Tình trạng", 14, 14),
                  ("Kết quả thực hiện, khó khăn, đề xuất", 84, 84)]
TASK_LINES, RESULT_LINES = 2, 3


def task_matrix(wb, fm: Formats, c: Consolidation) -> None:
    """The tasks, one block per unit (readable at any number of units): a heading row with
    the unit and its counts by status, then each of its tasks with status and result (long
    texts shortened, see :data:`MATRIX_COLUMNS`); the totals by status at the end."""
    ws = wb.add_worksheet(MATRIX)
    headers = MATRIX_COLUMNS
    last = len(headers) - 1
    head = title_block(ws, fm, c, "TÌNH HÌNH THỰC HIỆN NHIỆM VỤ CỦA CÁC ĐƠN VỊ", last)
    row = first = table_header(ws, fm, head, headers)
    by_unit: dict[str, list] = {}
    for tr in c.tasks:
        by_unit.setdefault(tr.unit.key, []).append(tr)
    statuses = (*TASK_STATUSES, "Chưa báo cáo")
    total = dict.fromkeys(statuses, 0)
    band = fm(bold=True, border=1, bg_color="#F2F2F2", text_wrap=True)
    formats = [fm.center, fm.center, fm.text, fm.center, fm.text]
    table = []
    n_unit = 0
    clipped = False
    keep = {}                     # a unit's band row stays with its first task
    full = sum(hi for _, _, hi in headers)
    for sub in c.submissions:
        mine = by_unit.get(sub.unit.key)
        if not mine:
            continue
        n_unit += 1
        counts = dict.fromkeys(statuses, 0)
        rows = []
        for tr in mine:
            status = tr.status or "Chưa báo cáo"
            counts[status] = counts.get(status, 0) + 1
            text = clip_to_lines(tr.text, headers[2][2], TASK_LINES)
            result = clip_to_lines(tr.result, headers[4][2], RESULT_LINES)
            clipped |= text != tr.text or result != tr.result
            rows.append([None, tr.code, text, status, result])
        for k, v in counts.items():
            total[k] = total.get(k, 0) + v
        tally = "; ".join(f"{k}: {v}" for k, v in counts.items() if v)
        state = "chưa nộp báo cáo" if sub.status == MISSING else f"{len(mine)} nhiệm vụ"
        text = f"{n_unit}. {sub.unit.name} ({state}) – {tally}"
        merge_row(ws, row, 0, last, text, band)
        ws.set_row(row, wrapped_lines(text, full, bold=True) * LINE_PT + 3)
        keep[row + 1] = row
        row += 1
        for i, values in enumerate(rows, 1):
            values[0] = i
            put_row(ws, row, values, formats)
            table.append((row, values))
            row += 1
    _colour_by_prefix(ws, wb, first, row - 1, 3, STATUS_COLOURS)
    title_heights(ws, fit_widths(ws, headers, table, head_row=head))
    text = (f"Tổng hợp: {sum(total.values())} nhiệm vụ của {n_unit} đơn vị – "
            + "; ".join(f"{k}: {v}" for k, v in total.items() if v))
    ws.merge_range(row, 0, row, last, text, fm(bold=True, border=1, text_wrap=True))
    ws.set_row(row, wrapped_lines(text, full, bold=True) * LINE_PT + 3)
    if clipped:
        row += 1
        ws.merge_range(row, 0, row, last, "Nội dung dài được rút gọn (…); toàn văn nhiệm vụ "
                       "và kết quả của từng đơn vị có trong báo cáo kết quả thực hiện.",
                       fm(italic=True, font_size=10))
    end = signature(ws, fm, c, row + 2, last)
    keep[end - 1] = max(first, row - 1)      # the last task, the totals and the signature
    _finish_upward(ws, head, end - 1, last, keep)


# -- Tình hình nộp -----------------------------------------------------------------------
def _timing_text(s, today: date) -> str:
    kind = s.timing
    if kind == LATE:
        return f"Trễ {s.days_late} ngày"
    if kind == MISSING and (s.days_overdue(today) or 0) > 0:
        return f"Chưa nộp (quá hạn {s.days_overdue(today)} ngày)"
    return TIMING_LABELS[kind]


def submissions(wb, fm: Formats, c: Consolidation) -> None:
    """Per unit: status, on time / late (days) / missing, dates, resubmissions; a totals
    row. What goes up only: the units' addresses, files and the units to remind are in the
    internal workbook (:func:`reminders`)."""
    ws = wb.add_worksheet(SUBMISSIONS)
    headers = [("STT", 4, 5), ("Đơn vị", 30, 56), ("Tình trạng", 14, 24),
               ("Đúng hạn / trễ hạn", 14, 24), ("Số ngày trễ", 7, 9),
               ("Ngày nhận (lần đầu)", 11, 12), ("Ngày nhận bản đang dùng", 11, 12),
               ("Hạn nộp", 11, 12), ("Số bản bị thay thế", 8, 10)]
    last = len(headers) - 1
    head = title_block(ws, fm, c, "TÌNH HÌNH NỘP BÁO CÁO CỦA CÁC ĐƠN VỊ", last)
    row = table_header(ws, fm, head, headers)
    first = row
    table = []
    today = c.generated_at.date()
    formats = [fm.center, fm.text, fm.text, fm.center, fm.center, fm.date, fm.date, fm.date,
               fm.center]
    for i, s in enumerate(c.submissions, 1):
        rec = s.record
        values = [i, s.unit.name, SUBMISSION_LABELS.get(s.status, s.status),
                  _timing_text(s, today), s.days_late if s.timing == LATE else None,
                  s.first_received.date() if rec else None, s.received.date() if rec else None,
                  s.deadline, len(s.superseded) or None]
        put_row(ws, row, values, formats)
        table.append((row, values))
        row += 1
    _colour_by_prefix(ws, wb, first, row - 1, 3, {"Đúng hạn": "#C6EFCE", "Trễ": "#FFEB9C",
                                                  "Chưa nộp": "#FFC7CE"})
    k = c.completeness
    bold = fm(bold=True, border=1, text_wrap=True)
    totals = [None, f"Tổng cộng: {k.expected} đơn vị",
              "; ".join(x for x in (f"Đã nộp: {k.received}", f"chưa nộp: {k.missing}",
                                    f"cần sửa: {k.needs_fixes}" if k.needs_fixes else "") if x),
              f"{TIMING_LABELS[ON_TIME]}: {k.on_time}; trễ hạn: {k.late}"
              if any(sub.deadline for sub in c.submissions) else "Kế hoạch chưa có hạn nộp",
              None, None, None, None, k.resubmitted or None]
    put_row(ws, row, totals, [bold] * len(totals))
    widths = fit_widths(ws, headers, table, head_row=head)
    title_heights(ws, widths)
    lines = max(wrapped_lines(v, widths[col], bold=True)           # the totals are bold
                for col, v in enumerate(totals) if isinstance(v, str))
    ws.set_row(row, lines * LINE_PT + 3)
    table_end = row
    end = signature(ws, fm, c, row + 2, last)
    keep = {end - 1: max(first, row - 2)}    # the last units, the totals and the signature
    _finish_upward(ws, head, end - 1, last, keep, table_end=table_end)


def reminders(wb, fm: Formats, c: Consolidation) -> None:
    """Internal: the units to remind (missing, or whose return needs fixes), with their
    addresses and the file they sent; the office's own business, never sent upward."""
    ws = wb.add_worksheet(REMIND)
    headers = [("STT", 4, 5), ("Đơn vị", 16, 34), ("Tình trạng", 14, 22), ("Lý do", 24, 44),
               ("Email", 12, 30), ("Tệp đã nộp", 14, 40), ("Hạn nộp", 11, 12)]
    row = table_header(ws, fm, 0, headers)
    today = c.generated_at.date()
    formats = [fm.center, fm.text, fm.text, fm.text, fm.text, fm.text, fm.date]
    table = []
    for i, s in enumerate(c.completeness.to_remind, 1):
        if s.status == MISSING:
            over = s.days_overdue(today)
            why = f"Chưa nộp, quá hạn {over} ngày" if over and over > 0 else "Chưa nộp"
        else:
            why = "Báo cáo cần sửa và gửi lại (đã gửi phản hồi cho đơn vị)"
        values = [i, s.unit.name, SUBMISSION_LABELS.get(s.status, s.status), why,
                  s.unit.email, s.record.original_name if s.record else None, s.deadline]
        put_row(ws, row, values, formats)
        table.append((row, values))
        row += 1
    fit_widths(ws, headers, table, head_row=0)
    _finish(ws, 0)


# -- Phát hiện ---------------------------------------------------------------------------
def findings(wb, fm: Formats, c: Consolidation) -> None:
    ws = wb.add_worksheet(FINDINGS)
    headers = [("STT", 4, 5), ("Tệp", 14, 30), ("Đơn vị", 14, 26), ("Mức độ", 8, 10),
               ("Trang", 8, 16), ("Ô", 5, 7), ("Mã", 5, 8), ("Nội dung", 40, 80)]
    row = table_header(ws, fm, 0, headers)
    table = []
    formats = [fm.text] * len(headers)
    for i, (rec, f) in enumerate(c.findings, 1):
        values = [i, rec.original_name, rec.unit_name, SEVERITY_LABELS.get(f.severity),
                  f.sheet, f.cell, f.target, f.message]
        put_row(ws, row, values, formats)
        table.append((row, values))
        row += 1
    fit_widths(ws, headers, table, head_row=0)
    _finish(ws, 0)
