"""Recognise a return and check its values against the plan. Findings, never exceptions.

:func:`check_return` takes what :mod:`bdg_excel.returns` read and the plan, and decides:
which plan, unit, period and form version it is; the value of every target row (numbers
as people type them: "12,5", "12.5", "45%", 0,45 in a percent cell, stray spaces); the
status of every task; and every finding with file, sheet, cell and code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import layout, targets as tg, vn
from .findings import ERROR, INFO, WARNING, Finding, has_errors
from .model import Plan, Target, Unit
from .returns import RawRow, ReturnData

REL_TOLERANCE = 0.005   # reported value vs numerator/denominator: 0.5 %


@dataclass
class CheckedValue:
    code: str
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    answer: str | None = None      # "Có"/"Không" for yes/no rows
    source: str | None = None
    note: str | None = None
    cell: str | None = None

    def to_row(self) -> dict:
        return {"code": self.code, "value": self.value, "numerator": self.numerator,
                "denominator": self.denominator, "answer": self.answer,
                "source": self.source, "note": self.note, "cell": self.cell}


@dataclass
class CheckedReturn:
    data: ReturnData
    unit: Unit | None = None
    period: str | None = None
    form_version: str | None = None
    plan_matches: bool = False
    values: list[CheckedValue] = field(default_factory=list)
    tasks: list[dict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def recognised(self) -> bool:
        return self.data.readable and self.plan_matches and self.unit is not None \
            and self.period is not None

    @property
    def status(self) -> str:
        if not self.recognised:
            return "rejected"
        return "needs_fixes" if has_errors(self.findings) else "accepted"

    def add(self, code: str, message: str, severity: str = ERROR, *, cell=None,
            target=None) -> None:
        self.findings.append(Finding(code=code, message=message, severity=severity,
                                     file=self.data.name, sheet=self.data.sheet, cell=cell,
                                     target=target))


def check_return(data: ReturnData, plan: Plan, *, period: str | None = None,
                 sender: str | None = None) -> CheckedReturn:
    """``period`` is the period being collected (a return of another period is flagged);
    ``sender`` an e-mail address that may identify the unit when the file does not."""
    from . import rollup  # a lower level's consolidated workbook is a return too

    if rollup.is_consolidated(data.meta):
        return rollup.check_consolidated(data, plan, period=period, sender=sender)
    out = CheckedReturn(data=data, findings=list(data.findings))
    if not data.readable:
        return out
    _recognise(out, plan, period, sender)
    if not out.recognised:
        return out
    expected = plan.unit_targets(out.unit)
    from .forms import form_version  # local import: the writer is not needed to read

    old_form = bool(out.form_version) and out.form_version != form_version(plan, out.unit)
    _check_rows_present(out, expected, old_form)
    for target in expected:
        row = data.targets.get(target.code)
        if row is not None:
            out.values.append(_check_value(out, target, row))
    for i, task_text in enumerate(out.unit.tasks):
        code = layout.task_code(i)
        row = data.tasks.get(code)
        if row is None:
            out.add("missing_task_row", f"Thiếu dòng nhiệm vụ {code} ({_short(task_text)}). "
                    "Không xóa dòng trong biểu mẫu; dùng lại biểu mẫu đã được gửi.",
                    target=code)
            continue
        out.tasks.append(_check_task(out, code, task_text, row))
    return out


# -- recognition -------------------------------------------------------------------------
def _recognise(out: CheckedReturn, plan: Plan, period: str | None, sender: str | None):
    data, meta = out.data, out.data.meta
    if meta.get("tool") == layout.TOOL_MARK:
        if meta.get("plan_identity") != plan.identity():
            out.add("other_plan", f"Biểu mẫu này thuộc kế hoạch khác ('{meta.get('plan_title') or meta.get('plan_name')}'), "
                    f"không phải '{plan.title or plan.name}'. Kiểm tra lại tệp đính kèm.")
            return
        out.plan_matches = True
        out.unit = plan.unit(meta.get("unit_key") or meta.get("unit") or "") or \
            plan.unit(meta.get("unit") or "")
        if out.unit is None:
            out.add("unknown_unit", f"Đơn vị '{meta.get('unit')}' không có trong kế hoạch (kế hoạch "
                    "đã sửa?). Kiểm tra trang Đơn vị của kế hoạch.")
            return
        out.period = meta.get("period") or None
        out.form_version = meta.get("form_version") or None
    else:
        # The hidden identification sheet is gone: recognise from the form header, then
        # from the sender's address, then from the file name; always as a warning.
        if not data.targets and not data.tasks:
            out.add("not_a_form", "Tệp không phải là biểu mẫu báo cáo của kế hoạch này. Gửi lại "
                    "đúng tệp biểu mẫu đã nhận.")
            return
        out.plan_matches = True
        unit, how = _guess_unit(plan, data, sender)
        if unit is None:
            out.add("unrecognised", "Không nhận ra đơn vị báo cáo: trang nhận dạng ẩn của biểu "
                    "mẫu đã bị xóa. Dùng lại biểu mẫu gốc đã được gửi.")
            return
        out.unit = unit
        out.period = period
        out.add("no_meta", f"Trang nhận dạng ẩn của biểu mẫu đã bị xóa; đã nhận ra đơn vị "
                f"'{unit.name}' từ {how}. Lần sau dùng nguyên biểu mẫu được gửi.", WARNING)
    if period and out.period and out.period != period:
        # the unit filled the form it was sent: nothing for it to change (no feedback);
        # the return is recorded under its own period and counted there, never here
        out.add("other_period", f"Báo cáo kỳ {out.period} (lần này đang tổng hợp kỳ {period}): "
                f"được ghi sổ cho kỳ {out.period} và tính khi tổng hợp kỳ đó.", INFO)


def _guess_unit(plan: Plan, data: ReturnData, sender: str | None) -> tuple[Unit | None, str]:
    if data.header_unit:
        unit = plan.unit(data.header_unit)
        if unit:
            return unit, "dòng 'Đơn vị báo cáo' của biểu mẫu"
    if sender:
        for unit in plan.units:
            if unit.email and unit.email.lower() == sender.lower():
                return unit, f"địa chỉ thư {sender}"
    stem = f" {_words(Path(data.name).stem)} "
    best = None
    for unit in plan.units:
        key = _words(unit.key)
        if key and f" {key} " in stem and (best is None or len(key) > len(best.key)):
            best = unit
    return (best, "tên tệp") if best else (None, "")


def _words(text: str) -> str:
    """"BDG_2026_Trạm-Y-tế-xã" -> "bdg 2026 tram y te xa": names compared word by word."""
    return " ".join(re.findall(r"[a-z0-9]+", vn.strip_accents(vn.canonical(text)).lower()))


def _check_rows_present(out: CheckedReturn, expected: list[Target], old_form: bool) -> None:
    codes = {t.code for t in expected}
    missing = [t.code for t in expected if t.code not in out.data.targets]
    if old_form:
        out.add("old_form", "Biểu mẫu là phiên bản cũ (kế hoạch đã được sửa sau khi gửi biểu); "
                "số liệu được đối chiếu theo mã chỉ tiêu.", WARNING)
    if missing:
        hint = ("Biểu mẫu này là phiên bản cũ (kế hoạch đã được sửa): điền biểu mẫu mới."
                if old_form else "Không xóa dòng trong biểu mẫu; dùng lại biểu mẫu đã được gửi.")
        out.add("missing_row", f"Thiếu dòng của chỉ tiêu {', '.join(missing)}. {hint}",
                target=", ".join(missing))
    for code, row in out.data.targets.items():
        if code not in codes:
            out.add("unexpected_row", f"Mã {code} không thuộc các chỉ tiêu đơn vị báo cáo theo "
                    "kế hoạch; dòng này không được tổng hợp.", WARNING,
                    cell=row.refs.get("code"), target=code)


# -- values ------------------------------------------------------------------------------
def _check_value(out: CheckedReturn, t: Target, row: RawRow) -> CheckedValue:
    cells, refs = row.cells, row.refs
    cv = CheckedValue(code=t.code, cell=refs.get("value"),
                      source=_text(cells.get("source")), note=_text(cells.get("note")))
    raw = cells.get("value")
    if t.measure == "yesno":
        answer = _text(raw)
        if answer:
            key = vn.canonical(answer)
            if key in ("có", "co", "x", "đạt", "yes", "1"):
                cv.answer = tg.YES
            elif key in ("không", "khong", "chưa", "no", "0"):
                cv.answer = tg.NO
            else:
                out.add("bad_answer", f"Ô {refs.get('value')} (chỉ tiêu {t.code}) ghi '{answer}': "
                        f"chọn '{tg.YES}' hoặc '{tg.NO}' trong danh sách.", cell=refs.get("value"),
                        target=t.code)
        elif not cv.note:
            out.add("missing_answer", f"Chưa chọn kết quả cho chỉ tiêu {t.code} (ô "
                    f"{refs.get('value')}): chọn '{tg.YES}' hoặc '{tg.NO}'.",
                    cell=refs.get("value"), target=t.code)
        return cv

    value = _number(out, t, raw, refs.get("value"), "kết quả")
    num = den = None
    if t.has_fraction:
        num = _number(out, t, cells.get("numerator"), refs.get("numerator"), "tử số")
        den = _number(out, t, cells.get("denominator"), refs.get("denominator"), "mẫu số")
    cv.numerator, cv.denominator = num, den

    if (num is None) != (den is None) and t.has_fraction:
        which = "mẫu số" if den is None else "tử số"
        cell = refs.get("denominator" if den is None else "numerator")
        out.add("half_fraction", f"Chỉ tiêu {t.code}: thiếu {which} (ô {cell}). Nhập cả tử số và "
                "mẫu số, hoặc để trống cả hai.", cell=cell, target=t.code)
    computed = None
    if num is not None and den is not None:
        if den == 0:
            out.add("zero_denominator", f"Chỉ tiêu {t.code}: mẫu số bằng 0 (ô "
                    f"{refs.get('denominator')}). Nhập mẫu số lớn hơn 0.",
                    cell=refs.get("denominator"), target=t.code)
        else:
            computed = tg.compute(t.measure, t.factor, num, den)
        if t.measure == "percent" and num > den:
            out.add("numerator_gt_denominator", f"Chỉ tiêu {t.code}: tử số ({vn.format_number(num)}) "
                    f"lớn hơn mẫu số ({vn.format_number(den)}) ở ô {refs.get('numerator')}. "
                    "Kiểm tra lại hai số này.", cell=refs.get("numerator"), target=t.code)

    if value is not None and t.measure == "percent" and 0 < value <= 1:
        value = _percent_fraction(out, t, value, computed, raw, refs.get("value"))
    if value is None and computed is not None:
        value = computed
        out.add("computed", f"Chỉ tiêu {t.code}: kết quả tính từ tử số và mẫu số = "
                f"{vn.format_number(value)}.", INFO, cell=refs.get("value"), target=t.code)
    elif value is not None and computed is not None and not _close(value, computed):
        out.add("value_mismatch", f"Chỉ tiêu {t.code}: kết quả ghi {vn.format_number(value)} nhưng "
                f"tử số/mẫu số cho {vn.format_number(computed)} (ô {refs.get('value')}). Kiểm tra "
                "lại.", WARNING, cell=refs.get("value"), target=t.code)
    if value is not None:
        if value < 0:
            out.add("negative", f"Chỉ tiêu {t.code}: kết quả âm ({vn.format_number(value)}) ở ô "
                    f"{refs.get('value')}. Nhập số không âm.", cell=refs.get("value"),
                    target=t.code)
        elif t.measure == "percent" and value > 100:
            out.add("percent_out_of_range", f"Chỉ tiêu {t.code}: tỷ lệ {vn.format_number(value)}% "
                    f"vượt quá 100% (ô {refs.get('value')}). Nhập tỷ lệ từ 0 đến 100.",
                    cell=refs.get("value"), target=t.code)
    elif not _had_text(raw) and not any(f.target == t.code and f.severity == ERROR
                                        for f in out.findings):
        if cv.note:
            out.add("no_data", f"Chỉ tiêu {t.code}: chưa có số liệu ({_short(cv.note)}).",
                    WARNING, cell=refs.get("value"), target=t.code)
        else:
            out.add("missing_value", f"Chưa nhập kết quả chỉ tiêu {t.code} (ô {refs.get('value')}). "
                    "Nhập số liệu; nếu chưa có số liệu, ghi lý do vào cột Ghi chú.",
                    cell=refs.get("value"), target=t.code)
    cv.value = value
    return cv


def _number(out: CheckedReturn, t: Target, raw, cell: str | None, what: str) -> float | None:
    try:
        return vn.parse_number(raw, percent=t.measure == "percent")
    except vn.NotANumber:
        out.add("not_a_number", f"Ô {cell} ({what} chỉ tiêu {t.code}) ghi '{_short(str(raw))}', "
                "không phải là số. Nhập số (ví dụ 12,5); nếu chưa có số liệu, để trống và ghi lý "
                "do vào cột Ghi chú.", cell=cell, target=t.code)
        return None


def _percent_fraction(out, t, value, computed, raw, cell) -> float:
    """0,45 in a percent cell means 45 %: decide from the fraction or the cell format."""
    as_pct = vn.tidy_float(value * 100)
    if computed is not None:
        if _close(as_pct, computed) and not _close(value, computed):
            return as_pct
        return value
    if isinstance(raw, float) and _cell_is_percent(out.data, cell):
        return as_pct
    return value


def _cell_is_percent(data: ReturnData, cell: str | None) -> bool:
    """Whether a cell has a percent number format (only .xlsx; rare path, openpyxl)."""
    if not cell or data.path.suffix.lower() not in (".xlsx", ".xlsm"):
        return False
    try:
        import openpyxl

        wb = openpyxl.load_workbook(data.path, read_only=True)
        try:
            ws = wb[data.sheet]
            fmt = ws[cell].number_format or ""
        finally:
            wb.close()
        return "%" in fmt
    except Exception:  # noqa: BLE001 - a format we cannot read is simply not a percent
        return False


_STATUS_BY_KEY: dict[str, str] = {}
for _s in layout.TASK_STATUSES:
    _STATUS_BY_KEY.setdefault(vn.canonical(_s), _s)


@lru_cache(maxsize=1024)
def _status_key(text: str) -> str:
    return vn.canonical(text)


def _check_task(out: CheckedReturn, code: str, text: str, row: RawRow) -> dict:
    status_raw = _text(row.cells.get("status"))
    status = None
    if status_raw:
        status = _STATUS_BY_KEY.get(_status_key(status_raw))
        if status is None:
            out.add("bad_status", f"Ô {row.refs.get('status')} (nhiệm vụ {code}) ghi '{status_raw}': "
                    f"chọn một trong: {', '.join(layout.TASK_STATUSES)}.",
                    cell=row.refs.get("status"), target=code)
    else:
        out.add("missing_status", f"Chưa chọn tình trạng nhiệm vụ {code} (ô {row.refs.get('status')}): "
                f"chọn một trong: {', '.join(layout.TASK_STATUSES)}.", cell=row.refs.get("status"),
                target=code)
    return {"code": code, "text": text, "status": status,
            "result": _text(row.cells.get("result"))}


# -- helpers -----------------------------------------------------------------------------
def _text(raw) -> str | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return vn.clean(raw) or None


def _had_text(raw) -> bool:
    return isinstance(raw, str) and bool(raw.strip())


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(0.05, REL_TOLERANCE * max(abs(a), abs(b)))


def _short(text: str, n: int = 60) -> str:
    text = vn.clean(text)
    return text if len(text) <= n else text[: n - 1] + "…"
