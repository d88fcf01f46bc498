"""Form generation: one protected .xlsx per responsible unit, prefilled with exactly its
target rows (part A) and tasks (part B).

Sheets, column order, headers and meta keys come from :mod:`bdg_excel.forms.layout`, which the
return reader uses too. Row numbers are NOT part of the contract: the reader finds each
table by its header row, so the layout of the heading block may change freely.

Form sheet, top to bottom (0-based rows; part A starts at row 9)::

    0   Biểu số: 01/BĐG                          | Đơn vị báo cáo: <unit>
    1   Ban hành kèm theo Kế hoạch số … ngày … của … | Đơn vị nhận báo cáo: <to>
    2   (spacer)
    3   TITLE (centred)
    4   Kỳ báo cáo: năm 2026
    5   Hạn gửi: trước ngày 30/11/2026 — gửi về …
    6   Đơn vị tính: theo từng chỉ tiêu (right)
    7   instruction line
    8   (spacer)
    A   PART_A_TITLE / header row (layout.PART_A) / column-key row / one row per target
        (spacer)
    B   PART_B_TITLE / header row (layout.PART_B) / one row per task
        (spacer)
        "<place>, ngày … tháng … năm <year>" / NGƯỜI LẬP BIỂU | THỦ TRƯỞNG ĐƠN VỊ /
        (Ký, họ tên) | (Ký, đóng dấu, họ tên) / SIGN_ROWS unlocked rows
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError

from ..core import clock, errors, vn
from ..core.xlsx import (FONT, LINE_PT, NUMBER_FORMAT as NUM_FORMAT,
                         col_units, paginate, workbook_options, wrapped_lines)
from ..plan import targets
from ..plan.model import PERIOD_RE, Plan, Target, Unit, period_label, period_year
from . import layout
from .layout import PART_A, PART_B, col_index

SIGN_ROWS = 3                     # unlocked rows under the signature titles
LAST_COL = len(PART_A) - 1        # the sheet's last table column (J)
LEFT_BLOCK = (0, 3)               # A–D: Biểu số, Người lập biểu
RIGHT_BLOCK = (5, LAST_COL)       # F–J: reporting units, Thủ trưởng đơn vị
INT_FORMAT = "#,##0"
YELLOW = "#FFF2CC"
GREY = "#D9D9D9"
HEAD_FILL = "#DDEBF7"

_PERIOD_RE = PERIOD_RE   # "2026", "2026-H1", "2026-Q3"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class GeneratedForm:
    unit: str          # the unit's name as the plan writes it
    path: Path
    form_version: str
    n_targets: int
    n_tasks: int


# -- identification --------------------------------------------------------------------

def form_version(plan: Plan, unit: Unit, *, identity: str | None = None) -> str:
    """8 hex digits; changes when a plan revision changes what the unit reports.
    ``identity`` may pass ``plan.identity()`` when it is already known."""
    rows = [[t.code, t.op, t.value, t.max, t.unit, t.year, t.measure, t.factor]
            for t in plan.unit_targets(unit)]
    blob = json.dumps([layout.LAYOUT_VERSION, identity or plan.identity(), unit.key, rows,
                       [vn.nfc(x) for x in unit.tasks]], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:8]


def form_filename(plan: Plan, unit: Unit, period: str) -> str:
    """"BDG_2026_Trạm-Y-tế-xã.xlsx", unique among the plan's units."""
    return form_filenames(plan, period)[unit.key]


def form_filenames(plan: Plan, period: str) -> dict[str, str]:
    """Unit key -> file name. A short hash of the unit key is appended when two units
    would otherwise get the same name (Windows compares names case-insensitively)."""
    prefix = f"BDG_{vn.safe_filename(period, 20)}_"
    return {key: f"{prefix}{stem}.xlsx" for key, stem in unit_file_stems(plan).items()}


def unit_file_stems(plan: Plan) -> dict[str, str]:
    """Unit key -> the unit's part of a file name (:func:`vn.unit_stem`), with a short hash
    of the unit key appended when two units would otherwise get the same name (Windows
    compares names case-insensitively). Forms and mail drafts use it."""
    stems = {u.key: vn.unit_stem(u.name) for u in plan.units}
    counts: dict[str, int] = {}
    for stem in stems.values():
        counts[stem.casefold()] = counts.get(stem.casefold(), 0) + 1
    return {key: (stem if counts[stem.casefold()] == 1 else
                  f"{stem}-{hashlib.sha256(key.encode()).hexdigest()[:6]}")
            for key, stem in stems.items()}


# -- generation ------------------------------------------------------------------------

def generate_forms(plan: Plan, out_dir: str | Path, period: str, *,
                   units: list[str] | None = None, workers: int = 1,
                   progress: Progress | None = None,
                   generated_at: datetime | None = None) -> list[GeneratedForm]:
    """Write one form per unit (all units, or those named in ``units``) into ``out_dir``.

    Results are in plan order and identical whatever ``workers`` is."""
    _check_period(period)
    chosen = _select_units(plan, units)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = generated_at or clock.now().astimezone()
    total = len(chosen)
    if progress:
        progress(0, total)
    position = {id(u): i for i, u in enumerate(plan.units)}
    indices = [position[id(u)] for u in chosen]
    if workers <= 1 or total <= 1:
        run = _run_info(plan, period)
        results = []
        for n, i in enumerate(indices, 1):
            results.extend(_write_chunk([i], out, period, stamp, run))
            if progress:
                progress(n, total)
        return results
    chunks = _chunks(indices, workers)
    return run_chunks(chunks, workers, (_init_worker, (plan, period)),
                      (_write_chunk, (out, period, stamp)), progress, total)


def run_chunks(chunks: list, workers: int, init: tuple, job: tuple, progress,
               total: int) -> list:
    """Run ``job = (function, extra args)`` on each chunk in a process pool whose workers
    start with ``init = (initializer, initargs)``; the results in chunk order, progress
    counted in forms as chunks finish."""
    by_chunk: dict[int, list] = {}
    fn, args = job
    with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), initializer=init[0],
                             initargs=init[1]) as pool:
        futures = {pool.submit(fn, chunk, *args): k for k, chunk in enumerate(chunks)}
        done = 0
        for fut in as_completed(futures):
            by_chunk[futures[fut]] = fut.result()
            done += len(by_chunk[futures[fut]])
            if progress:
                progress(done, total)
    return [g for k in range(len(chunks)) for g in by_chunk[k]]


def _check_period(period: str) -> None:
    if not isinstance(period, str) or not _PERIOD_RE.fullmatch(period):
        raise errors.UsageError(
            f"Kỳ báo cáo “{period}” không hợp lệ: ghi năm (ví dụ 2026) hoặc "
            f"6 tháng đầu năm (ví dụ 2026-H1) hoặc quý (ví dụ 2026-Q3).")


def _select_units(plan: Plan, names: list[str] | None) -> list[Unit]:
    if names is None:
        return list(plan.units)
    wanted: list[Unit] = []
    for name in names:
        unit = plan.unit(name)
        if unit is None:
            listed = "; ".join(u.name for u in plan.units) or "(chưa có đơn vị nào)"
            raise errors.UsageError(
                f"Kế hoạch không có đơn vị “{vn.clean(name)}”. "
                f"Các đơn vị trong kế hoạch: {listed}.")
        wanted.append(unit)
    return [u for u in plan.units if any(u is w for w in wanted)]


def _chunks(items: list[int], workers: int) -> list[list[int]]:
    size = max(1, -(-len(items) // (workers * 4)))
    return [items[i:i + size] for i in range(0, len(items), size)]


def _run_info(plan: Plan, period: str) -> dict:
    """What every form of one run shares, computed once (fingerprint and file names look
    at the whole plan: computed per form they would make a run quadratic in units)."""
    return {"plan": plan, "ids": (plan.identity(), plan.fingerprint()),
            "names": form_filenames(plan, period)}


_WORKER_RUN: dict = {}  # set in each worker process by _init_worker


def _init_worker(plan: Plan, period: str) -> None:
    _WORKER_RUN.update(_run_info(plan, period))


def _write_chunk(indices: list[int], out: Path, period: str, stamp: datetime,
                 run: dict | None = None) -> list[GeneratedForm]:
    run = run or _WORKER_RUN
    plan, results = run["plan"], []
    for i in indices:
        unit = plan.units[i]
        meta = meta_values(plan, unit, period, stamp, ids=run["ids"])
        path = _write(plan, unit, period, out / run["names"][unit.key], meta)
        results.append(GeneratedForm(unit.name, path, meta["form_version"],
                                     len(plan.unit_targets(unit)), len(unit.tasks)))
    return results


def write_form(plan: Plan, unit: Unit, period: str, path: str | Path, *,
               generated_at: datetime | None = None) -> Path:
    """Write the unit's form as a new .xlsx at ``path`` (atomically: temp file + rename)."""
    _check_period(period)
    stamp = generated_at or clock.now().astimezone()
    return _write(plan, unit, period, Path(path), meta_values(plan, unit, period, stamp))


def _write(plan: Plan, unit: Unit, period: str, path: Path, meta: dict[str, str]) -> Path:
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp")
    try:
        wb = xlsxwriter.Workbook(str(tmp), workbook_options())
        wb.set_properties({"title": layout.TITLE, "subject": period_label(period),
                           "author": layout.TOOL_MARK, "company": vn.nfc(plan.issuer or "")})
        _FormWriter(wb, plan, unit, period).write()
        _write_guide(wb, plan, unit, period, meta["form_version"])
        _write_meta(wb, meta)
        wb.close()
        os.replace(tmp, path)
    except (OSError, FileCreateError) as exc:
        raise errors.OutputLocked(
            f"Không ghi được tệp {path}: {exc}. Tệp có thể đang mở trong Excel, hoặc thư "
            f"mục chỉ đọc hay đã đầy: đóng tệp, kiểm tra thư mục rồi chạy lại.") from exc
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


# -- the form sheet --------------------------------------------------------------------

class _FormWriter:
    """Writes the form sheet row by row; ``self.row`` is the next free row (0-based)."""

    def __init__(self, wb: xlsxwriter.Workbook, plan: Plan, unit: Unit, period: str):
        self.wb, self.plan, self.unit, self.period = wb, plan, unit, period
        self.ws = wb.add_worksheet(layout.FORM_SHEET)
        self.f = _Formats(wb)
        self.targets = plan.unit_targets(unit)
        self.row = 0
        self.widths = [c.width for c in PART_A]

    def write(self) -> None:
        ws = self.ws
        for i, w in enumerate(self.widths):
            ws.set_column(i, i, col_units(w))
        self._heading()
        header_rows = None
        part_b = None
        if self.targets:
            header_rows = self._part_a()
        if self.unit.tasks:
            part_b = self.row
            rows = self._part_b()
            # part A's header is never repeated above part B: with both parts, none is
            header_rows = None if header_rows else rows
        if not self.targets and not self.unit.tasks:
            self._line(_NOTHING_ASSIGNED, self.f.note, height=2 * LINE_PT)
        signature = self.row
        self._signatures()
        ws.protect("", {"format_rows": True, "format_columns": True,
                        "select_locked_cells": True, "select_unlocked_cells": True})
        ws.center_horizontally()
        ws.print_area(0, 0, self.row - 1, LAST_COL)
        self._paginate(header_rows, part_b, signature)
        ws.activate()

    def _paginate(self, header_rows, part_b: int | None, signature: int) -> None:
        """Print at a fixed scale (see :func:`core.xlsx.paginate`): part B's title and
        header start a page together with its first task, and the signature block never
        sits alone: it takes the last two rows of the table above it onto its page."""
        keep = {self.row - 1: max(0, signature - 2)}
        if part_b is not None:
            keep[part_b + 2] = part_b
        paginate(self.ws, self.row - 1, LAST_COL, repeat=header_rows, keep=keep)

    # heading block ---------------------------------------------------------------------
    def _heading(self) -> None:
        p, f = self.plan, self.f
        report = p.report_for(self.period)
        to = (report.to if report else None) or p.issuer or ""
        self._blocks(f"Biểu số: {layout.FORM_NUMBER}", f.bold_left,
                     f"Đơn vị báo cáo: {self.unit.name}", f.bold_left)
        self._blocks(_issued_by(p), f.italic_left, f"Đơn vị nhận báo cáo: {to}", f.left)
        self.row += 1
        self._line(layout.TITLE, f.title, height=22)
        self._line(f"Kỳ báo cáo: {period_label(self.period)}", f.subtitle, height=20)
        self._line(_deadline_line(p, self.period), f.italic_centre)
        self._line("Đơn vị tính: theo từng chỉ tiêu", f.italic_right)
        self._line(_instruction(self.targets, self.unit.tasks), f.italic_left)
        self.row += 1

    def _blocks(self, left: str, lfmt, right: str, rfmt) -> None:
        r = self.row
        self._merge(r, *LEFT_BLOCK, left, lfmt)
        self._merge(r, *RIGHT_BLOCK, right, rfmt)
        self.ws.set_row(r, self._fit([(left, LEFT_BLOCK), (right, RIGHT_BLOCK)]))
        self.row += 1

    def _line(self, text: str, fmt, height: float | None = None) -> None:
        self._merge(self.row, 0, LAST_COL, text, fmt)
        self.ws.set_row(self.row, max(height or 0, self._fit([(text, (0, LAST_COL))])))
        self.row += 1

    # part A ----------------------------------------------------------------------------
    def _part_a(self) -> tuple[int, int]:
        ws, f = self.ws, self.f
        self._line(layout.PART_A_TITLE, f.part_title)
        header = self.row
        self._header_row(PART_A)
        for c, key in enumerate(_column_keys(PART_A)):
            ws.write_string(self.row, c, key, f.key)
        self.row += 1
        first = self.row
        for n, t in enumerate(self.targets, 1):
            self._target_row(n, t)
        # whole numbers without a trailing decimal separator ("45", not "45,")
        v, d = col_index(PART_A, "value"), col_index(PART_A, "denominator")
        top = layout.cell_ref(first, v)
        ws.conditional_format(first, v, self.row - 1, d, {
            "type": "formula", "format": f.int_cf,
            "criteria": f"=AND(ISNUMBER({top}),MOD({top},1)=0)"})
        self._text_validation(first, "source", "Nguồn số liệu",
                              "Ghi nguồn số liệu, ví dụ: sổ theo dõi, báo cáo thống kê, "
                              "kết quả điều tra của đơn vị.")
        self._text_validation(first, "note", "Ghi chú",
                              "Ghi chú thêm nếu cần, ví dụ: số liệu ước tính, lý do chưa "
                              "có số liệu.")
        self.row += 1
        return header, header + 1

    def _header_row(self, columns) -> None:
        texts = [c.header for c in columns]
        for c, text in enumerate(texts):
            self.ws.write_string(self.row, c, text, self.f.header)
        spans = [(i, i) for i in range(len(texts))]
        if columns is PART_B:
            spans[-1] = (len(texts) - 1, layout.PART_B_LAST_COL)
            self._merge(self.row, *spans[-1], texts[-1], self.f.header)
        self.ws.set_row(self.row, self._fit(list(zip(texts, spans)), bold=True))
        self.row += 1

    def _target_row(self, n: int, t: Target) -> None:
        ws, f, r = self.ws, self.f, self.row
        ind = self.plan.indicator(t.indicator_code)
        cells = {
            "stt": n, "code": t.code,
            "indicator": vn.nfc(ind.text if ind else t.text),
            "target": _target_text(t, ind), "unit": _unit_text(t),
        }
        for key, value in cells.items():
            c = col_index(PART_A, key)
            if key == "stt":
                ws.write_number(r, c, value, f.centre)
            else:
                ws.write_string(r, c, value, f.centre if key in ("code", "unit") else f.text)
        self._result_cell(r, t)
        for key in ("numerator", "denominator"):
            c = col_index(PART_A, key)
            if t.has_fraction:
                ws.write_blank(r, c, None, f.input_num)
                ws.data_validation(r, c, r, c, _fraction_rule(t, key))
            else:
                ws.write_blank(r, c, None, f.grey)
        for key in ("source", "note"):
            ws.write_blank(r, col_index(PART_A, key), None, f.input_text)
        ws.set_row(r, self._fit([(cells[k], (col_index(PART_A, k),) * 2)
                                 for k in ("indicator", "target", "unit")]))
        self.row += 1

    def _result_cell(self, r: int, t: Target) -> None:
        c = col_index(PART_A, "value")
        fmt = self.f.input_choice if t.measure == "yesno" else self.f.input_num
        self.ws.write_blank(r, c, None, fmt)
        self.ws.data_validation(r, c, r, c, _result_rule(t))

    def _text_validation(self, first: int, key: str, title: str, message: str) -> None:
        c = col_index(PART_A, key)
        self.ws.data_validation(first, c, self.row - 1, c,
                                {"validate": "any", **_messages(title, message)})

    # part B ----------------------------------------------------------------------------
    def _part_b(self) -> tuple[int, int]:
        ws, f = self.ws, self.f
        self._line(layout.PART_B_TITLE, f.part_title)
        header = self.row
        self._header_row(PART_B)
        first = self.row
        s, d = col_index(PART_B, "status"), col_index(PART_B, "result")
        for i, task in enumerate(self.unit.tasks):
            r = self.row
            text = vn.nfc(task)
            ws.write_number(r, col_index(PART_B, "stt"), i + 1, f.centre)
            ws.write_string(r, col_index(PART_B, "code"), layout.task_code(i), f.centre)
            ws.write_string(r, col_index(PART_B, "task"), text, f.text)
            ws.write_blank(r, s, None, f.input_choice)
            self._merge(r, d, layout.PART_B_LAST_COL, "", f.input_text)
            ws.set_row(r, max(3 * LINE_PT, self._fit([(text, (2, 2))])))
            self.row += 1
        ws.data_validation(first, s, self.row - 1, s, {
            "validate": "list", "source": list(layout.TASK_STATUSES),
            **_messages("Tình trạng nhiệm vụ", "Chọn một tình trạng trong danh sách: "
                        + "; ".join(layout.TASK_STATUSES) + "."),
            **_error("Chọn một tình trạng trong danh sách.")})
        ws.data_validation(first, d, self.row - 1, d, {
            "validate": "any", **_messages(
                "Kết quả, khó khăn, đề xuất", "Mô tả ngắn kết quả thực hiện nhiệm vụ, "
                "khó khăn, vướng mắc và đề xuất, kiến nghị (nếu có).")})
        self.row += 1
        return header, header

    # signature block -------------------------------------------------------------------
    def _signatures(self) -> None:
        f, year = self.f, period_year(self.period)
        place = vn.nfc(self.plan.place) if self.plan.place else "……"
        self._merge(self.row, *RIGHT_BLOCK, f"{place}, ngày …… tháng …… năm {year}",
                    f.italic_centre)
        self.row += 1
        self._blocks("NGƯỜI LẬP BIỂU", f.bold_centre, "THỦ TRƯỞNG ĐƠN VỊ", f.bold_centre)
        self._blocks("(Ký, họ tên)", f.italic_centre, "(Ký, đóng dấu, họ tên)",
                     f.italic_centre)
        first = self.row
        for _ in range(SIGN_ROWS):
            for block in (LEFT_BLOCK, RIGHT_BLOCK):
                self._merge(self.row, *block, "", f.input_sign)
            self.ws.set_row(self.row, 24)
            self.row += 1
        for block in (LEFT_BLOCK, RIGHT_BLOCK):
            self.ws.data_validation(first, block[0], self.row - 1, block[1], {
                "validate": "any", **_messages("Chữ ký, họ tên",
                                               "Ký và ghi rõ họ tên (có thể để trống "
                                               "khi gửi bản điện tử).")})

    # helpers ---------------------------------------------------------------------------
    def _merge(self, r: int, c1: int, c2: int, text: str, fmt) -> None:
        text = vn.nfc(text)
        if c1 != c2:
            self.ws.merge_range(r, c1, r, c2, None, fmt)
        if text:
            self.ws.write_string(r, c1, text, fmt)
        else:
            self.ws.write_blank(r, c1, None, fmt)

    def _fit(self, cells, bold: bool = False) -> float:
        """Row height (pt) so that every (text, (first_col, last_col)) fits wrapped."""
        lines = 1
        for text, (c1, c2) in cells:
            lines = max(lines, wrapped_lines(str(text), sum(self.widths[c1:c2 + 1]),
                                             bold=bold))
        return lines * LINE_PT + 3


_NOTHING_ASSIGNED = ("Kế hoạch không giao chỉ tiêu hay nhiệm vụ cụ thể nào cho đơn vị "
                     "này trong kỳ báo cáo. Đơn vị chỉ cần ký và gửi lại biểu.")


def _column_keys(columns) -> list[str]:
    """The column-key row: letters for descriptive columns, numbers for input columns."""
    keys, letter, number = [], 0, 0
    for col in columns:
        if col.input:
            number += 1
            keys.append(str(number))
        else:
            keys.append(layout.col_letter(letter))
            letter += 1
    return keys


# -- texts -----------------------------------------------------------------------------

def _issued_by(plan: Plan) -> str:
    cite = vn.clean(plan.citation())     # "Kế hoạch số …" or "… kèm theo Quyết định số …"
    parts = [f"Ban hành kèm theo {cite}"]
    issued = vn.parse_date(plan.date)
    if issued:
        parts.append(f"ngày {vn.format_date(issued)}")
    if plan.issuer:
        parts.append(f"của {vn.clean(plan.issuer)}")
    return " ".join(parts)


def _deadline_line(plan: Plan, period: str) -> str:
    due = plan.deadline(period)
    report = plan.report_for(period)
    text = (f"Hạn gửi: trước ngày {vn.format_date(due)}" if due
            else "Hạn gửi: theo thông báo của đơn vị nhận báo cáo")
    if report and report.to:
        text += f" — gửi về {vn.clean(report.to)}"
    return text


def _instruction(rows: list[Target], tasks: list[str]) -> str:
    parts = ["Chỉ nhập vào các ô nền vàng (các ô khác đã được khóa)."]
    if rows:
        parts.append("Nhập số bằng chữ số, không kèm chữ hay dấu % (ví dụ 45 hoặc 12,5); "
                     "chỉ tiêu tính theo tỷ lệ % thì nhập số phần trăm (45 nghĩa là 45 %).")
        if any(t.has_fraction for t in rows):
            parts.append("Chỉ tiêu là tỷ lệ, tỷ suất, tỷ số: nhập cả tử số và mẫu số.")
    if tasks:
        parts.append("Nhiệm vụ: chọn tình trạng trong danh sách và mô tả ngắn kết quả.")
    return "Hướng dẫn: " + " ".join(parts)


def _target_text(t: Target, ind) -> str:
    statement = targets.describe(t)
    if t.year and not t.is_qualitative:
        statement += f" (năm {t.year})"
    own = vn.nfc(t.text)
    multi = ind is not None and len(ind.targets) > 1
    if own and (multi or ind is None or vn.clean(own) != vn.clean(ind.text)):
        return f"{own}\n{statement}"
    return statement


def _unit_text(t: Target) -> str:
    if t.unit:
        return vn.nfc(t.unit)
    if t.measure == "yesno":
        return f"{targets.YES}/{targets.NO}"
    if t.measure == "ratio" and t.factor == 1:
        return "lần"
    return ""


def _messages(title: str, message: str) -> dict:
    """Excel limits: input title 32, message 255 characters."""
    return {"input_title": vn.nfc(title)[:32], "input_message": vn.nfc(message)[:255]}


def _error(message: str) -> dict:
    return {"error_title": "Giá trị không hợp lệ", "error_message": vn.nfc(message)[:255]}


def _result_rule(t: Target) -> dict:
    unit = _unit_text(t)
    if t.measure == "yesno":
        return {"validate": "list", "source": [targets.YES, targets.NO],
                **_messages("Kết quả (Có/Không)",
                            "Chọn Có hoặc Không trong danh sách; giải thích thêm ở cột "
                            "Ghi chú."),
                **_error("Chọn Có hoặc Không trong danh sách.")}
    if t.measure == "percent":
        return {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100,
                **_messages("Kết quả (%)", "Nhập số phần trăm từ 0 đến 100, ví dụ 45 "
                            "nghĩa là 45 %. Nếu có tử số và mẫu số, nhập vào hai cột bên "
                            "cạnh."),
                **_error("Nhập một số từ 0 đến 100 (số phần trăm, không kèm chữ).")}
    if t.measure in ("rate", "ratio"):
        title = "Kết quả (tỷ suất)" if t.measure == "rate" else "Kết quả (tỷ số)"
        per = f" theo đơn vị {unit}" if unit else ""
        return {"validate": "decimal", "criteria": ">=", "value": 0,
                **_messages(title, f"Nhập một số không âm{per}. Nếu có tử số và mẫu số, "
                            f"nhập vào hai cột bên cạnh: kết quả = tử số × "
                            f"{vn.format_number(t.factor or 1)} / mẫu số."),
                **_error("Nhập một số không âm (không kèm chữ).")}
    per = f" ({unit})" if unit else ""
    return {"validate": "integer", "criteria": ">=", "value": 0,
            **_messages("Kết quả (số lượng)", f"Nhập một số nguyên không âm{per}."),
            **_error("Nhập một số nguyên không âm (không kèm chữ).")}


def _fraction_rule(t: Target, key: str) -> dict:
    factor = vn.format_number(t.factor or 1)
    if key == "numerator":
        title, message = "Tử số", f"Nhập tử số (số không âm). Kết quả = tử số × {factor} " \
                                  f"/ mẫu số."
    else:
        title, message = "Mẫu số", f"Nhập mẫu số (số lớn hơn 0). Kết quả = tử số × " \
                                   f"{factor} / mẫu số."
    return {"validate": "decimal", "criteria": ">=", "value": 0,
            **_messages(title, message), **_error("Nhập một số không âm (không kèm chữ).")}


# -- formats ---------------------------------------------------------------------------

class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        base = {"font_name": FONT, "font_size": 12, "valign": "vcenter", "text_wrap": True}
        cell = {**base, "border": 1}
        entry = {**cell, "locked": False, "bg_color": YELLOW}

        def add(**props):
            return wb.add_format({**base, **props})

        self.bold_left = add(bold=True, align="left")
        self.bold_centre = add(bold=True, align="center")
        self.left = add(align="left")
        self.italic_left = add(italic=True, align="left")
        self.italic_centre = add(italic=True, align="center")
        self.italic_right = add(italic=True, align="right")
        self.title = add(bold=True, font_size=14, align="center")
        self.subtitle = add(bold=True, font_size=13, align="center")
        self.part_title = add(bold=True, font_size=13, align="left")
        self.note = add(italic=True, align="left", border=1)
        self.header = wb.add_format({**cell, "bold": True, "align": "center",
                                     "bg_color": HEAD_FILL})
        self.key = wb.add_format({**cell, "italic": True, "align": "center",
                                  "bg_color": HEAD_FILL})
        self.text = wb.add_format({**cell, "align": "left"})
        self.centre = wb.add_format({**cell, "align": "center"})
        self.grey = wb.add_format({**cell, "bg_color": GREY})
        self.input_num = wb.add_format({**entry, "align": "right", "num_format": NUM_FORMAT})
        self.input_choice = wb.add_format({**entry, "align": "center"})
        self.input_text = wb.add_format({**entry, "align": "left"})
        self.input_sign = wb.add_format({**base, "locked": False, "align": "center"})
        self.int_cf = wb.add_format({"num_format": INT_FORMAT})


# -- guide and meta sheets -------------------------------------------------------------

def _write_guide(wb: xlsxwriter.Workbook, plan: Plan, unit: Unit, period: str,
                 version: str) -> None:
    ws = wb.add_worksheet(layout.GUIDE_SHEET)
    fmt = wb.add_format({"font_name": FONT, "font_size": 12, "text_wrap": True,
                         "valign": "top"})
    ws.set_column(0, 0, col_units(110))
    lines = guide_lines(plan, unit, period, version)
    ws.write_string(0, 0, "HƯỚNG DẪN ĐIỀN BIỂU", wb.add_format(
        {"font_name": FONT, "font_size": 14, "bold": True}))
    for i, text in enumerate(lines, 2):
        ws.write_string(i, 0, vn.nfc(text), fmt)
        ws.set_row(i, wrapped_lines(text, 110) * LINE_PT + 3)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.protect("", {"format_rows": True, "format_columns": True})


def guide_lines(plan: Plan, unit: Unit, period: str, version: str) -> list[str]:
    """The lines of the guide sheet (also used by :mod:`bdg_excel.forms.formtemplate`)."""
    report = plan.report_for(period)
    due = plan.deadline(period)
    send = "Gửi biểu về " + (vn.clean(report.to) if report and report.to
                             else "đơn vị nhận báo cáo")
    send += f" trước ngày {vn.format_date(due)}." if due else " đúng hạn được thông báo."
    lines = [
        f"Biểu này dành cho: {unit.name}. Kỳ báo cáo: {period_label(period)}.",
        f"1. Chỉ nhập vào các ô nền vàng trên trang “{layout.FORM_SHEET}”; các ô khác đã "
        f"được khóa để giữ nguyên cấu trúc biểu.",
        "2. Phần A: mỗi dòng là một chỉ tiêu kế hoạch giao cho đơn vị. Nhập kết quả bằng "
        "chữ số (ví dụ 45 hoặc 12,5), không nhập chữ vào ô số. Chỉ tiêu tính theo tỷ lệ % "
        "thì nhập số phần trăm: 45 nghĩa là 45 %, không gõ dấu %.",
        "3. Chỉ tiêu là tỷ lệ, tỷ suất hoặc tỷ số: nhập cả tử số và mẫu số; kết quả được "
        "tính lại từ tử số và mẫu số (ví dụ tỷ lệ % = tử số × 100 / mẫu số; tỷ suất trên "
        "100.000 = tử số × 100.000 / mẫu số). Ô tử số, mẫu số tô xám là không cần nhập.",
        "4. Chỉ tiêu Có/Không: chọn trong danh sách. Chưa có số liệu: để trống ô kết quả "
        "và ghi lý do ở cột Ghi chú. Ghi nguồn số liệu ở cột Nguồn số liệu.",
        "5. Phần B: với mỗi nhiệm vụ, chọn tình trạng (" + "; ".join(layout.TASK_STATUSES)
        + ") và mô tả ngắn kết quả, khó khăn, đề xuất.",
        "6. Không đổi tên, xóa hoặc thêm trang tính; không xóa, chèn dòng hay cột trong biểu. "
        "Có thể đổi tên tệp.",
        f"7. Lưu tệp dạng Excel (.xlsx), không lưu dạng .xls hay .pdf. {send}",
        f"Biểu số {layout.FORM_NUMBER}, mã phiên bản {version}.",
    ]
    return lines


def meta_values(plan: Plan, unit: Unit, period: str, generated_at: datetime, *,
                ids: tuple[str, str] | None = None) -> dict[str, str]:
    """What the hidden meta sheet records, by layout.META_KEYS. ``ids`` may pass
    ``(plan.identity(), plan.fingerprint())`` when they are already known."""
    rows = plan.unit_targets(unit)
    identity, fingerprint = ids or (plan.identity(), plan.fingerprint())
    values = {
        "tool": layout.TOOL_MARK, "layout": str(layout.LAYOUT_VERSION),
        "plan_name": plan.name, "plan_identity": identity,
        "plan_fingerprint": fingerprint, "plan_number": plan.number or "",
        "plan_title": plan.title, "unit": unit.name, "unit_key": unit.key,
        "period": period, "form_version": form_version(plan, unit, identity=identity),
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "targets": ",".join(t.code for t in rows),
        "tasks": ",".join(layout.task_code(i) for i in range(len(unit.tasks))),
        "national": layout.national_meta((t.code, t.national) for t in rows),
    }
    return {k: vn.nfc(values[k] or "") for k in layout.META_KEYS}


def _write_meta(wb: xlsxwriter.Workbook, meta: dict[str, str]) -> None:
    ws = wb.add_worksheet(layout.META_SHEET)
    ws.set_column(0, 0, col_units(18))
    ws.set_column(1, 1, col_units(60))
    for r, (key, value) in enumerate(meta.items()):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, value)
    ws.hide()
    ws.protect("")
