"""Corrections of an existing plan workbook, made in place with openpyxl: the officer's
formatting, extra columns, notes and row order stay as they are; only the cells of the
corrected thing change.

>>> set_target("ke-hoach.xlsx", "2.1", value="55", year="2030")        # doctest: +SKIP
>>> set_assignment("ke-hoach.xlsx", "Trạm Y tế xã", indicators="4.1, 4.2")   # doctest: +SKIP
>>> set_deadline("ke-hoach.xlsx", "annual", due="30/11")               # doctest: +SKIP
>>> set_national("ke-hoach.xlsx", "3.2a", "QG-3.2a")                    # doctest: +SKIP

Each function reads the workbook with :func:`~bdg_excel.plan.planbook.load_plan` (where
each thing is), checks the new values, writes them and returns the :class:`Change` list
(sheet, cell, old, new). A value that cannot be used raises
:class:`~bdg_excel.core.errors.PlanEditError` naming the file, sheet and cell, and
nothing is written. A workbook open in Excel or LibreOffice is not written
(:class:`~bdg_excel.core.errors.OutputLocked`). Values come as the officer types them
("12,5", "≥", "30/11", "4.1, 4.2"). Callers that share a workspace take its lock.

``review_note``: the rows of the sheet "Rà soát" about the corrected thing get 100 % and
this note, so the review no longer lists them as unsure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ..core import vn
from ..core.errors import OutputLocked, PlanEditError
from ..core.workspace import atomic_output, open_elsewhere
from ..core.xlsx import DATE_FORMAT
from .model import OPS, REPORT_KINDS, Plan, Target, infer_measure
from .planbook import (ASSIGN_SHEET, COLUMNS, REPORT_KIND_LABELS, REPORTS_SHEET,
                       REVIEW_KIND_LABELS, REVIEW_SHEET, TARGETS_SHEET, TASKS_SHEET, UNITS_SHEET,
                       UPWARD_LABEL, _KIND_FROM_TEXT, _OP_FROM_TEXT, _match_key, load_plan)
from .targets import MEASURE_LABELS, OP_LABELS

__all__ = ["Change", "KEEP", "set_target", "set_national", "set_assignment", "set_deadline",
           "confirm", "report_kind"]

_NATIONAL_RE = re.compile(r"QG-\d{1,2}\.\d{1,2}[a-z]?")


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


#: Default of every field: leave the cell as it is (None clears it).
KEEP = _Keep()


@dataclass(frozen=True)
class Change:
    sheet: str
    cell: str
    old: object
    new: object

    def __str__(self) -> str:
        return f"trang {self.sheet}, ô {self.cell}: {_show(self.old)} → {_show(self.new)}"


def _show(value) -> str:
    if value is None or value == "":
        return "(trống)"
    if isinstance(value, (date, datetime)):
        return vn.format_date(value)
    if isinstance(value, float):
        return vn.format_number(value)
    return str(value)


# ---------------------------------------------------------------------------------
# The workbook being corrected

class _Book:
    def __init__(self, path):
        from openpyxl import load_workbook

        self.path = Path(path)
        self.plan: Plan = load_plan(self.path)     # PlanError when it cannot be read
        self.rows: dict[tuple, tuple] = self.plan._sources.rows  # type: ignore[attr-defined]
        self.wb = load_workbook(self.path)
        self.changes: list[Change] = []
        self._sheets = {vn.canonical(ws.title): ws for ws in self.wb.worksheets}

    def error(self, sheet: str | None, cell: str | None, message: str) -> PlanEditError:
        where = ", ".join([f"Tệp {self.path.name}"] + ([f"trang “{sheet}”"] if sheet else [])
                          + ([f"ô {cell}"] if cell else []))
        return PlanEditError(f"{where}: {message} Chưa lưu gì.", sheet, cell)

    def sheet(self, name: str):
        ws = self._sheets.get(vn.canonical(name))
        if ws is None:
            raise self.error(name, None, f"không có trang “{name}” trong tệp kế hoạch.")
        return ws

    def columns(self, name: str, extra: dict[str, tuple[str, ...]] | None = None):
        """(worksheet, header row, {column key: 1-based column}) of a plan sheet."""
        ws = self.sheet(name)
        wanted = {_match_key(a): c.key for c in COLUMNS[name] for a in (c.header, *c.aliases)}
        for key, names in (extra or {}).items():
            wanted |= {_match_key(n): key for n in names}
        first = COLUMNS[name][0].key
        for r in range(1, 11):
            found: dict[str, int] = {}
            for cell in ws[r]:
                key = wanted.get(_match_key(cell.value)) if isinstance(cell.value, str) else None
                if key and key not in found:
                    found[key] = cell.column
            if first in found:
                return ws, r, found
        raise self.error(name, None, "không tìm thấy dòng tiêu đề cột.")

    def put(self, ws, row: int, col: int, value, number_format: str | None = None) -> None:
        cell = ws.cell(row=row, column=col)
        old = cell.value
        if isinstance(old, datetime) and isinstance(value, date) and not isinstance(value, datetime):
            old = old.date()
        if old == value or (old in (None, "") and value in (None, "")):
            return
        cell.value = value
        if number_format:
            cell.number_format = number_format
        self.changes.append(Change(ws.title, cell.coordinate, old, value))

    def copy_style(self, ws, src_row: int, dst_row: int, last_col: int) -> None:
        from copy import copy

        for c in range(1, last_col + 1):
            src, dst = ws.cell(src_row, c), ws.cell(dst_row, c)
            if src.has_style and not dst.has_style:
                dst._style = copy(src._style)
        height = ws.row_dimensions[src_row].height
        if height and not ws.row_dimensions[dst_row].height:
            ws.row_dimensions[dst_row].height = height

    def free_row(self, ws, header: int, cols: list[int]) -> int:
        """The row after the last one with a value in any of ``cols``."""
        last = header
        for r in range(header + 1, ws.max_row + 1):
            if any(ws.cell(r, c).value not in (None, "") for c in cols):
                last = r
        return last + 1

    def mark_reviewed(self, kind: str, refs: tuple[str, ...], note: str | None) -> None:
        """The rows of the sheet "Rà soát" about (``kind``, one of ``refs``) get 100 % and
        ``note`` after the importer's own note."""
        if not note or vn.canonical(REVIEW_SHEET) not in self._sheets:
            return
        ws, header, cols = self.columns(REVIEW_SHEET)
        if not all(k in cols for k in ("confidence", "kind", "ref")):
            return
        labels = {vn.canonical(kind), vn.canonical(REVIEW_KIND_LABELS.get(kind, kind))}
        keys = {vn.canonical(r) for r in refs if r}
        for r in range(header + 1, ws.max_row + 1):
            if vn.canonical(str(ws.cell(r, cols["kind"]).value or "")) in labels and \
                    vn.canonical(str(ws.cell(r, cols["ref"]).value or "")) in keys:
                self.put(ws, r, cols["confidence"], 100)
                if "note" in cols:
                    old = _text(ws.cell(r, cols["note"]).value) or ""
                    if note not in old:
                        self.put(ws, r, cols["note"], f"{old} {note}".strip())

    def save(self) -> list[Change]:
        if not self.changes:
            return []
        if open_elsewhere(self.path):
            raise OutputLocked(f"Tệp {self.path.name} đang mở trong Excel hoặc LibreOffice: đóng "
                               f"tệp rồi lưu lại (chưa lưu gì).")
        with atomic_output(self.path) as tmp:
            self.wb.save(tmp)
        return self.changes


def _where(book: _Book, kind_key: tuple, sheet: str) -> int:
    loc = book.rows.get(kind_key)
    if not loc or loc[0] != sheet or not loc[1]:
        raise book.error(sheet, None, "không tìm thấy dòng cần sửa; kiểm tra lại tệp kế hoạch.")
    return loc[1]


def _cell_name(col: int, row: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col)}{row}"


def _text(value) -> str | None:
    text = vn.clean(value) if value is not None else ""
    return text or None


# ---------------------------------------------------------------------------------
# Target rows

def _find_target(book: _Book, code: str) -> tuple[Target, int]:
    code = (_text(code) or "").replace(" ", "")
    for ii, ind in enumerate(book.plan.indicators):
        for ti, t in enumerate(ind.targets):
            if t.code == code:
                return t, _where(book, ("target", ii, ti), TARGETS_SHEET)
    raise book.error(TARGETS_SHEET, None, f"không có dòng chỉ tiêu mã “{code}”.")


def set_target(path, code: str, *, op=KEEP, value=KEEP, max=KEEP, unit=KEEP, year=KEEP,
               text=KEEP, review_note: str | None = None) -> list[Change]:
    """Correct target row ``code``: comparison (``>=``, ``≥``, ``between``/“từ … đến”,
    ``qualitative``/“Định tính” …), value, upper bound, unit of measure, year, and the
    target's words as the form shows them (``text``)."""
    book = _Book(path)
    t, row = _find_target(book, code)
    ws, _, cols = book.columns(TARGETS_SHEET)

    def at(key: str) -> str | None:
        return _cell_name(cols[key], row) if key in cols else None

    new_op = t.op
    if op is not KEEP:
        raw = _text(op) or ""
        new_op = _OP_FROM_TEXT.get(vn.canonical(raw), raw)
        if new_op not in OPS:
            raise book.error(TARGETS_SHEET, at("op"), f"so sánh “{raw}” không hợp lệ: chọn ≥, >, "
                             "≤, <, =, “từ … đến” hoặc “Định tính”.")

    def number(raw, key: str, label: str):
        if raw is KEEP:
            return getattr(t, "max" if key == "max" else key)
        try:
            return vn.parse_number(raw if not isinstance(raw, str) else raw.replace("%", ""))
        except vn.NotANumber:
            raise book.error(TARGETS_SHEET, at(key), f"{label} “{raw}” không phải là số: ghi "
                             "một số, ví dụ 12,5.") from None

    new_value = number(value, "value", "Giá trị")
    new_max = number(max, "max", "Giá trị tối đa")
    new_unit = t.unit if unit is KEEP else _text(unit)
    new_year = t.year
    if year is not KEEP:
        y = number(year, "year", "Năm đạt")
        if y is not None and (not float(y).is_integer() or not 1900 <= y <= 2100):
            raise book.error(TARGETS_SHEET, at("year"), f"Năm đạt “{year}” không hợp lệ: ghi "
                             "năm có bốn chữ số, ví dụ 2030.")
        new_year = int(y) if y is not None else None
    if new_op == "qualitative":
        new_value = new_max = None
    elif new_op != "between":
        new_max = None
    if new_op != "qualitative" and new_value is None:
        raise book.error(TARGETS_SHEET, at("value"), f"dòng {t.code} so sánh "
                         f"“{OP_LABELS[new_op]}” cần Giá trị: ghi một số, hoặc chọn “Định tính”.")
    if new_op == "between":
        if new_max is None:
            raise book.error(TARGETS_SHEET, at("max"), f"dòng {t.code} so sánh “từ … đến” cần "
                             "Giá trị tối đa.")
        if new_value > new_max:
            raise book.error(TARGETS_SHEET, at("max"), f"Giá trị {vn.format_number(new_value)} "
                             f"lớn hơn Giá trị tối đa {vn.format_number(new_max)}.")
    measure, factor = infer_measure(new_unit, new_op, t.text)
    if measure == "percent" and any(v is not None and not 0 <= v <= 100
                                    for v in (new_value, new_max)):
        raise book.error(TARGETS_SHEET, at("value"), f"dòng {t.code} là tỷ lệ % nhưng giá trị "
                         "nằm ngoài 0–100: sửa Giá trị hoặc Đơn vị tính.")

    book.put(ws, row, cols["op"], OP_LABELS[new_op])
    for key, new in (("value", new_value), ("max", new_max), ("year", new_year)):
        if key in cols:
            book.put(ws, row, cols[key], new)
    if "unit" in cols:
        book.put(ws, row, cols["unit"], new_unit)
    if text is not KEEP and "text" in cols:
        book.put(ws, row, cols["text"], _text(text))
    # how the figure is computed follows the unit, unless the officer chose it by hand
    old_measure, old_factor = infer_measure(t.unit, t.op, t.text)
    if (new_unit, new_op) != (t.unit, t.op) and (t.measure, t.factor) == (old_measure, old_factor):
        if "measure" in cols:
            book.put(ws, row, cols["measure"], MEASURE_LABELS.get(measure, measure))
        if "factor" in cols:
            book.put(ws, row, cols["factor"], factor)
    book.mark_reviewed("target", (t.code,), review_note)
    return book.save()


def _national(text) -> str | None:
    """"qg-3.2A", "3.2a", " QG - 3.2a " -> "QG-3.2a"; empty -> None."""
    s = re.sub(r"\s+", "", _text(text) or "")
    if not s:
        return None
    s = re.sub(r"^qg-?", "", s, flags=re.IGNORECASE)
    return "QG-" + s.lower()


def _national_column(book: _Book):
    """(worksheet, 1-based column) of the national code on the Chỉ tiêu sheet. A workbook
    written before that column gets it after its last header, filled with the links
    load_plan made from the rows' text ("QG-4.2?" where it is not sure), so adding it
    changes no other row."""
    from . import catalog

    ws, header, cols = book.columns(TARGETS_SHEET)
    if "national" in cols:
        return ws, cols["national"]
    col = max(cols.values()) + 1
    while ws.cell(header, col).value not in (None, ""):
        col += 1
    spec = next(c for c in COLUMNS[TARGETS_SHEET] if c.key == "national")
    book.put(ws, header, col, spec.header)
    from copy import copy
    ws.cell(header, col)._style = copy(ws.cell(header, cols["code"])._style)
    ws.column_dimensions[_cell_name(col, 1)[:-1]].width = spec.width
    for ii, ind in enumerate(book.plan.indicators):
        for ti, t in enumerate(ind.targets):
            row = book.rows.get(("target", ii, ti), (None, None))[1]
            if row:
                book.put(ws, row, col, catalog.cell_text(book.plan, t), "@")
    return ws, col


def set_national(path, code: str, national: str | None, *,
                 review_note: str | None = None) -> list[Change]:
    """Link target row ``code`` to national code ``national`` ("QG-3.2a", "3.2a"; None or
    "" for a local indicator). The code must be in the national catalog
    (:func:`bdg_excel.plan.catalog.load`); the link is then sure (no "?")."""
    book = _Book(path)
    t, row = _find_target(book, code)
    new = _national(national)
    ws, col = _national_column(book)
    if new is not None:
        from . import catalog
        if not _NATIONAL_RE.fullmatch(new) or catalog.load().get(new) is None:
            raise book.error(TARGETS_SHEET, _cell_name(col, row), f"mã quốc gia “{national}” "
                             "không có trong danh mục chỉ tiêu quốc gia (xem: bdg-excel catalog); "
                             "để trống nếu chỉ tiêu là của riêng địa phương.")
    book.put(ws, row, col, new)
    book.mark_reviewed("national", (t.code,), review_note)
    return book.save()


# ---------------------------------------------------------------------------------
# Assignments and tasks

def _codes(value) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else re.split(r"[,;\s]+", value or "")
    out: list[str] = []
    for item in items:
        code = (_text(item) or "").replace(" ", "").rstrip(".")
        if code and code not in out:
            out.append(code)
    return out


def _lines(value) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else (value or "").splitlines()
    return [t for t in (_text(i) for i in items) if t]


def set_assignment(path, unit: str, *, indicators=KEEP, tasks=KEEP,
                   review_note: str | None = None) -> list[Change]:
    """Set the indicators unit ``unit`` reports (codes "4.1", a list or "4.1, 4.2") and/or
    its tasks (a list, or one per line), in that order. The unit's existing rows on the
    Phân công / Nhiệm vụ sheets are reused in place; rows no longer needed are emptied,
    new ones added after the last row."""
    book = _Book(path)
    plan = book.plan
    u = plan.unit(unit or "")
    if u is None:
        raise book.error(UNITS_SHEET, None, f"không có đơn vị “{unit}”: chọn một đơn vị của "
                         "trang Đơn vị (hoặc thêm đơn vị vào trang đó trước).")
    ui = plan.units.index(u)
    if indicators is not KEEP:
        codes = _codes(indicators)
        known = {i.code for i in plan.indicators}
        rows = {t.code: t.indicator_code for t in plan.targets()}
        ws, header, cols = book.columns(ASSIGN_SHEET)
        for code in codes:
            if code not in known:
                hint = (f" (“{code}” là mã dòng; ghi mã chỉ tiêu {rows[code]})"
                        if code in rows else f" (các mã có: {', '.join(sorted(known))})")
                raise book.error(ASSIGN_SHEET, None, f"không có chỉ tiêu mã “{code}” trong "
                                 f"trang Chỉ tiêu{hint}.")
        old = [_where(book, ("assign", ui, ai), ASSIGN_SHEET) for ai in range(len(u.indicators))]
        _rewrite(book, ws, header, cols, old, [{"unit": u.name, "indicator": c} for c in codes],
                 formula_col=cols.get("auto"))
    if tasks is not KEEP:
        texts = _lines(tasks)
        ws, header, cols = book.columns(TASKS_SHEET)
        old = [_where(book, ("task", ui, ti), TASKS_SHEET) for ti in range(len(u.tasks))]
        _rewrite(book, ws, header, cols, sorted(old),
                 [{"unit": u.name, "stt": n + 1, "text": t} for n, t in enumerate(texts)])
    book.mark_reviewed("assignment", (u.name, unit), review_note)
    book.mark_reviewed("unit", (u.name, unit), review_note)
    return book.save()


def _rewrite(book: _Book, ws, header: int, cols: dict[str, int], old_rows: list[int],
             records: list[dict], formula_col: int | None = None) -> None:
    """Write ``records`` into ``old_rows`` in order, empty the rows left over, add rows
    after the sheet's last one for the rest (style and formula from the row above)."""
    keys = [k for k in cols if k != "auto"]
    last_col = max(cols.values())
    spare = list(old_rows)
    for rec in records:
        if spare:
            row = spare.pop(0)
        else:
            row = book.free_row(ws, header, [cols[k] for k in keys])
            above = row - 1 if row - 1 > header else None
            if above:
                book.copy_style(ws, above, row, last_col)
                _copy_formula(ws, formula_col, above, row)
        for key in keys:
            if key in rec:
                book.put(ws, row, cols[key], rec[key])
    for row in spare:
        for key in keys:
            book.put(ws, row, cols[key], None)


def _copy_formula(ws, col: int | None, src: int, dst: int) -> None:
    from openpyxl.formula.translate import Translator

    if col is None or ws.cell(dst, col).value not in (None, ""):
        return
    formula = ws.cell(src, col).value
    if isinstance(formula, str) and formula.startswith("="):
        ws.cell(dst, col).value = Translator(formula, origin=ws.cell(src, col).coordinate) \
            .translate_formula(ws.cell(dst, col).coordinate)


# ---------------------------------------------------------------------------------
# Report deadlines

def report_kind(value) -> str | None:
    """``annual`` … ``once`` or ``upward`` from a kind or its Vietnamese name."""
    raw = _text(value) or ""
    return _KIND_FROM_TEXT.get(vn.canonical(raw))


def _due(book: _Book, raw, kind: str, cell: str | None):
    """The due cell's new value: "dd/mm" text for a yearly report, a date for a one-off."""
    text = _text(raw) if not isinstance(raw, (date, datetime)) else raw
    if text is None:
        return None
    if isinstance(text, (date, datetime)):
        d = text if not isinstance(text, datetime) else text.date()
        return d if kind in ("once", "upward") else f"{d.day:02d}/{d.month:02d}"
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?", text) or \
        re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if m and len(m[1]) == 4:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m:
        y, mo, d = (int(m[3]) if m[3] else None), int(m[2]), int(m[1])
    else:
        raise book.error(REPORTS_SHEET, cell, f"hạn “{text}” không đọc được: ghi ngày/tháng "
                         "(30/11), báo cáo một lần ghi ngày/tháng/năm (15/01/2027).")
    try:
        date(y or 2024, mo, d)          # 2024: 29/02 exists
    except ValueError:
        raise book.error(REPORTS_SHEET, cell, f"ngày “{text}” không có thật: sửa lại "
                         "ngày/tháng.") from None
    if kind == "once" and y is None:
        raise book.error(REPORTS_SHEET, cell, f"báo cáo một lần cần cả năm: ghi "
                         f"{d:02d}/{mo:02d}/năm (ví dụ {d:02d}/{mo:02d}/2027).")
    if y is not None and kind in ("once", "upward"):
        return date(y, mo, d)
    return f"{d:02d}/{mo:02d}"


def set_deadline(path, kind: str, *, due=KEEP, to=KEEP, new_kind=KEEP,
                 review_note: str | None = None) -> list[Change]:
    """Correct the report of kind ``kind`` (``annual``, ``semiannual``, ``quarterly``,
    ``once`` or their Vietnamese names; ``upward`` for the office's own report to the level
    above): its deadline ``due`` ("30/11"; a one-off "15/01/2027"), whom it goes to, or
    its kind. A kind the plan does not have yet is added as a new row."""
    book = _Book(path)
    plan = book.plan
    ws, header, cols = book.columns(REPORTS_SHEET)
    wanted = report_kind(kind)
    if wanted is None:
        raise book.error(REPORTS_SHEET, None, f"loại báo cáo “{kind}” không hợp lệ: chọn "
                         f"{', '.join(REPORT_KIND_LABELS.values())} hoặc “{UPWARD_LABEL}”.")
    final = wanted
    if new_kind is not KEEP:
        final = report_kind(new_kind) or ""
        if final not in REPORT_KINDS or wanted == "upward":
            raise book.error(REPORTS_SHEET, None, f"không đổi được loại báo cáo thành "
                             f"“{new_kind}”: chọn {', '.join(REPORT_KIND_LABELS.values())}.")
        if final != wanted and any(r.kind == final for r in plan.reports):
            raise book.error(REPORTS_SHEET, None, f"kế hoạch đã có báo cáo loại "
                             f"“{REPORT_KIND_LABELS[final]}”: sửa dòng đó.")
    if wanted == "upward":
        row = book.rows.get(("upward",), (None, None))[1] if plan.upward else None
    else:
        ri = next((i for i, r in enumerate(plan.reports) if r.kind == wanted), None)
        row = _where(book, ("report", ri), REPORTS_SHEET) if ri is not None else None
    if row is None:
        row = book.free_row(ws, header, list(cols.values()))
        if row - 1 > header:
            book.copy_style(ws, row - 1, row, max(cols.values()))
    due_cell = _cell_name(cols["due"], row)
    label = UPWARD_LABEL if final == "upward" else REPORT_KIND_LABELS[final]
    book.put(ws, row, cols["kind"], label)
    if due is not KEEP or final != wanted:
        raw = due
        if due is KEEP:
            raw = ws.cell(row, cols["due"]).value
        value = _due(book, raw, final, due_cell)
        book.put(ws, row, cols["due"], value,
                 DATE_FORMAT if isinstance(value, date) else "@")
    if to is not KEEP and "to" in cols:
        book.put(ws, row, cols["to"], _text(to))
    refs = (wanted, REPORT_KIND_LABELS.get(wanted, UPWARD_LABEL), _text(kind) or "")
    book.mark_reviewed("upward" if wanted == "upward" else "deadline", refs, review_note)
    return book.save()


def confirm(path, kind: str, ref: str, note: str) -> list[Change]:
    """The officer checked review item (``kind``, ``ref``) and it is right: its rows on the
    sheet "Rà soát" get 100 % and ``note``."""
    book = _Book(path)
    refs = (ref,)
    if kind in ("deadline", "upward"):
        refs += (REPORT_KIND_LABELS.get(ref, ""),)
    book.mark_reviewed(kind, refs, note)
    return book.save()


