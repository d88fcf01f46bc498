"""Recognise a return and check its values against the plan. Findings, never exceptions.

:func:`check_return` takes what :mod:`bdg_excel.intake.returns` read and the plan, and decides:
which plan, unit, period and form version it is; the value of every target row (numbers
as people type them: "12,5", "12.5", "45%", 0,45 in a percent cell, stray spaces); the
status of every task; and every finding with file, sheet, cell and code.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ..core import vn
from ..core.findings import ERROR, INFO, WARNING
from ..forms import layout
from ..plan import targets as tg
from ..plan.model import Plan, Target, Unit
from . import rollup
from .checked import CheckedReturn, CheckedValue
from .returns import RawRow, ReturnData

REL_TOLERANCE = 0.005   # reported value vs numerator/denominator: 0.5 %


def check_return(data: ReturnData, plan: Plan, *, period: str | None = None,
                 sender: str | None = None, decided_unit: Unit | None = None) -> CheckedReturn:
    """``period`` is the period being collected (a return of another period is flagged);
    ``sender`` an e-mail address that may identify the unit when the file does not;
    ``decided_unit`` the unit the officer decided a held return is for (see
    :func:`bdg_excel.workflow.accept_return`)."""
    if rollup.is_consolidated(data.meta):
        return rollup.check_consolidated(data, plan, period=period, sender=sender)
    out = CheckedReturn(data=data, findings=list(data.findings))
    if not data.readable:
        return out
    _recognise(out, plan, period, sender)
    if decided_unit is not None and out.recognised:
        if decided_unit is not out.unit:
            out.add("unit_decided", f"Biểu mẫu của '{out.unit.name}' được cán bộ quyết định "
                    f"nhận cho '{decided_unit.name}'.", INFO)
        out.unit = decided_unit
    elif out.recognised and data.meta.get("tool") == layout.TOOL_MARK:
        _check_other_unit(out, plan, sender)
    if not out.recognised or out.held:
        return out
    expected = plan.unit_targets(out.unit)
    from ..forms.generate import form_version  # local import: the writer is not needed to read

    old_form = bool(out.form_version) and out.form_version != form_version(plan, out.unit)
    moved = _map_by_national(out, expected) if old_form else False
    _check_rows_present(out, expected, old_form, moved)
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
            if re.match(r"(?i)noi[-_ ]?bo[-_ ]", Path(data.name).name):
                # a lower level's internal workbook sent instead of its consolidated one
                data.sheet = None
                out.findings = [f for f in out.findings if f.code != "renamed_sheet"]
                out.add("internal_workbook", f"Tệp {data.name} là bảng nội bộ (phát hiện, dữ "
                        "liệu) của cơ quan gửi, không phải bảng tổng hợp gửi cấp trên. Đề nghị "
                        "gửi tệp Tong-hop_….xlsx nằm cùng thư mục outbox/ với tệp này.")
                return
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
        # the period the form's title names; only without one, the period collected
        out.period = data.header_period or period
        out.add("no_meta", f"Trang nhận dạng ẩn của biểu mẫu đã bị xóa; đã nhận ra đơn vị "
                f"'{unit.name}' từ {how}. Lần sau dùng nguyên biểu mẫu được gửi.", WARNING)
    if period and out.period and out.period != period:
        # the unit filled the form it was sent: nothing for it to change (no feedback);
        # the return is recorded under its own period and counted there, never here
        out.add("other_period", f"Báo cáo kỳ {out.period} (lần này đang tổng hợp kỳ {period}): "
                f"được ghi sổ cho kỳ {out.period} và tính khi tổng hợp kỳ đó.", INFO)


def _addresses(unit: Unit) -> set[str]:
    return {a.strip().lower() for a in re.split(r"[;,]", unit.email or "") if a.strip()}


def _unit_pointers(plan: Plan) -> tuple[dict[str, Unit], dict[str, Unit]]:
    """(unit name as words -> unit, address -> unit), built once per list of units: a
    10,000-unit plan is not scanned for every return."""
    units = plan.units
    cached = plan.__dict__.get("_pointer_cache")
    if cached is None or cached[0] is not units or cached[1] != len(units):
        by_words: dict[str, Unit] = {}
        by_address: dict[str, Unit] = {}
        for u in units:
            key = _words(u.key)
            if key:
                by_words.setdefault(key, u)
            for a in _addresses(u):
                by_address.setdefault(a, u)
        cached = (units, len(units), by_words, by_address)
        plan.__dict__["_pointer_cache"] = cached
    return cached[2], cached[3]


def _named_unit(plan: Plan, name: str) -> Unit | None:
    """The unit whose name the file name holds (the longest one), if any."""
    by_words, _ = _unit_pointers(plan)
    words = _words(Path(name).stem).split()[:40]
    best = None
    for i in range(len(words)):
        for j in range(len(words), i, -1):
            if best is not None and j - i <= len(best[0].split()):
                break
            hit = by_words.get(" ".join(words[i:j]))
            if hit is not None:
                best = (" ".join(words[i:j]), hit)
                break
    return best[1] if best else None


def _check_other_unit(out: CheckedReturn, plan: Plan, sender: str | None) -> None:
    """A return whose file name or sender points to another unit (A) than the form it
    carries (B's form): held, so that it never silently replaces B's figures."""
    form_unit = out.unit
    pointers = []
    if sender:
        s = sender.strip().lower()
        if s not in _addresses(form_unit):
            other = _unit_pointers(plan)[1].get(s)
            if other is not None and other.key != form_unit.key:
                pointers.append((other, f"thư được gửi từ địa chỉ {sender} của '{other.name}'"))
    named = _named_unit(plan, out.data.name)
    # a long name is cut in the form's file name: a unit named inside the form's own unit
    # name ("Trạm Y tế xã" in "Trạm Y tế xã Bình Lư …") points nowhere else
    if named is not None and named.key != form_unit.key and \
            f" {_words(named.key)} " not in f" {_words(form_unit.key)} ":
        pointers.append((named, f"tên tệp '{out.data.name}' mang tên '{named.name}'"))
    if not pointers:
        return
    other = pointers[0][0]
    why = "; ".join(how for _, how in pointers)
    out.held = True
    out.add("unit_mismatch", f"Đây là biểu mẫu của '{form_unit.name}' nhưng {why}. Số liệu "
            f"chưa được ghi nhận cho đơn vị nào, chờ cán bộ quyết định: nếu đúng là số liệu "
            f"của '{other.name}', gõ: bdg-excel accept \"{out.data.name}\" --unit "
            f"\"{other.name}\"; nếu là của '{form_unit.name}', gõ: bdg-excel accept "
            f"\"{out.data.name}\" --unit \"{form_unit.name}\". Nếu nhầm, đề nghị đơn vị gửi "
            "lại đúng biểu mẫu của mình.")


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


def _map_by_national(out: CheckedReturn, expected: list[Target]) -> bool:
    """An old form of a renumbered plan: its rows are keyed again by the plan's codes of
    today through the national codes the form recorded (its 4.3 that was QG-4.1 is today's
    4.1, whatever today's 4.3 is). A row whose national indicator the unit no longer
    reports is left out with a finding. True when the form recorded national codes."""
    recorded = out.data.national
    if not recorded:
        return False
    by_national = {t.national: t for t in expected if t.national}
    current = {t.code: t for t in expected}
    rows, mapped = out.data.targets, {}
    for code, row in rows.items():
        national = recorded.get(code)
        t = by_national.get(national) if national else None
        if t is not None:
            mapped[t.code] = row
            if t.code != code:
                out.add("row_moved", f"Dòng mã {code} của biểu mẫu cũ là chỉ tiêu quốc gia "
                        f"{national}; theo kế hoạch hiện hành, chỉ tiêu này mang mã {t.code} và "
                        f"số liệu được tính cho {t.code}.", INFO, cell=row.refs.get("code"),
                        target=t.code)
    for code, row in rows.items():
        national = recorded.get(code)
        if national in by_national:
            continue
        here = current.get(code)
        if code not in mapped and (here is None or (national is None and here.national is None)):
            mapped[code] = row          # a local row keeps its code; a code the unit no
            #                             longer reports is named below (unexpected_row)
        else:
            what = f"chỉ tiêu quốc gia {national}" if national else "chỉ tiêu địa phương"
            out.add("row_left_out", f"Dòng mã {code} của biểu mẫu cũ là {what}, không khớp chỉ "
                    "tiêu nào kế hoạch hiện hành giao cho đơn vị; dòng này không được tổng "
                    "hợp. Dùng biểu mẫu mới.", WARNING, cell=row.refs.get("code"), target=code)
    out.data.targets = mapped
    return True


def _check_rows_present(out: CheckedReturn, expected: list[Target], old_form: bool,
                        moved: bool = False) -> None:
    codes = {t.code for t in expected}
    missing = [t.code for t in expected if t.code not in out.data.targets]
    if old_form:
        how = "mã quốc gia ghi trong biểu mẫu" if moved else "mã chỉ tiêu"
        out.add("old_form", "Biểu mẫu là phiên bản cũ (kế hoạch đã được sửa sau khi gửi biểu); "
                f"số liệu được đối chiếu theo {how}.", WARNING)
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
                      source=_text(cells.get("source")), note=_text(cells.get("note")),
                      national=t.national)
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

    whole_parts = tg.parts_are_whole(t)
    reading = _reading(out, t, raw, refs.get("value"), "kết quả", tg.value_is_whole(t))
    value = reading.value if reading else None
    num = den = None
    if t.has_fraction:
        num = _number(out, t, cells.get("numerator"), refs.get("numerator"), "tử số", whole_parts)
        den = _number(out, t, cells.get("denominator"), refs.get("denominator"), "mẫu số",
                      whole_parts)
    cv.numerator, cv.denominator = num, den
    if whole_parts:
        for part, key, what in ((num, "numerator", "tử số"), (den, "denominator", "mẫu số")):
            _check_whole(out, t, part, refs.get(key), what)

    if (num is None) != (den is None) and t.has_fraction and \
            not _had_text(cells.get("numerator" if num is None else "denominator")) and \
            not isinstance(cells.get("numerator" if num is None else "denominator"), float):
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
                    f"lớn hơn mẫu số ({vn.format_number(den)}) ở ô {refs.get('numerator')}: một "
                    "tỷ lệ của một tổng thể không thể vượt 100%. Kiểm tra lại hai số này.",
                    cell=refs.get("numerator"), target=t.code)

    if value is not None and t.measure == "percent" and 0 < value <= 1 \
            and not reading.percent_sign:
        value = _percent_fraction(out, t, value, computed, raw, refs.get("value"))
    elif value is not None and t.measure == "percent" and isinstance(raw, float) \
            and 1 < value <= 10 and (computed is None or not _close(value, computed)) \
            and _cell_is_percent(out.data, refs.get("value")):
        # 1,2 in a percent cell is 120 % (flagged below); the format is read only where
        # the figure could be misread: a file is opened again for it at most once
        value = vn.tidy_float(value * 100)
    if value is None and computed is not None:
        value = computed
        out.add("computed", f"Chỉ tiêu {t.code}: kết quả tính từ tử số và mẫu số = "
                f"{vn.format_number(value)}.", INFO, cell=refs.get("value"), target=t.code)
    elif value is not None and computed is not None and not _close(value, computed):
        out.add("value_mismatch", f"Chỉ tiêu {t.code}: kết quả ghi {vn.format_number(value)} nhưng "
                f"tử số/mẫu số cho {vn.format_number(computed)} (ô {refs.get('value')}). Kiểm tra "
                "lại.", WARNING, cell=refs.get("value"), target=t.code)
    if value is not None:
        _plausible(out, t, value, num, den, refs.get("value"))
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


def _plausible(out: CheckedReturn, t: Target, value: float, num, den, cell) -> None:
    """What a careful statistician checks, per unit of measure of the plan."""
    shown = vn.format_number(value)
    if value < 0:
        out.add("negative", f"Chỉ tiêu {t.code}: kết quả âm ({shown}) ở ô {cell}. Nhập số không "
                "âm.", cell=cell, target=t.code)
        return
    if t.measure == "percent" and value > 100:
        out.add("percent_out_of_range", f"Chỉ tiêu {t.code}: tỷ lệ {shown}% vượt quá 100% (ô "
                f"{cell}). Nhập tỷ lệ từ 0 đến 100.", cell=cell, target=t.code)
    elif t.measure == "rate" and t.factor and value > t.factor and not tg.is_sex_ratio(t):
        out.add("rate_out_of_range", f"Chỉ tiêu {t.code}: tỷ suất {shown} {t.unit or ''} lớn hơn "
                f"{vn.format_number(t.factor)} (ô {cell}), điều không thể xảy ra. Kiểm tra tử "
                "số, mẫu số và kết quả rồi nhập lại.", cell=cell, target=t.code)
    elif tg.is_sex_ratio(t):
        lo, hi = tg.sex_ratio_range(t)
        if not lo <= value <= hi:
            births = (num or 0) + (den or 0)
            small = 0 < births < tg.SMALL_BIRTHS
            out.add("sex_ratio_implausible", f"Chỉ tiêu {t.code}: tỷ số giới tính khi sinh "
                    f"{shown} {t.unit or ''} (ô {cell}) nằm ngoài khoảng thường gặp "
                    f"{vn.format_number(lo)}–{vn.format_number(hi)}. "
                    + ("Số ca sinh ít nên có thể đúng; đề nghị đơn vị xác nhận." if small else
                       "Kiểm tra lại: tử số là số bé trai, mẫu số là số bé gái sinh ra, nhập "
                       "số nguyên không có dấu phân cách (ví dụ 1050)."),
                    WARNING if small else ERROR, cell=cell, target=t.code)
    elif t.measure == "count" and tg.value_is_whole(t):
        _check_whole(out, t, value, cell, "kết quả")


def _check_whole(out, t, value, cell, what) -> None:
    if value is not None and not float(value).is_integer():
        out.add("not_whole", f"Ô {cell} ({what} chỉ tiêu {t.code}) ghi {vn.format_number(value)}, "
                "nhưng đây là số người/ca/lượt nên phải là số nguyên. Nhập số nguyên; số từ "
                "1.000 trở lên viết liền hoặc ngăn cách hàng nghìn bằng dấu chấm (ví dụ 12500 "
                "hoặc 12.500).", cell=cell, target=t.code)


def _reading(out: CheckedReturn, t: Target, raw, cell: str | None, what: str,
             whole: bool) -> vn.Reading | None:
    try:
        reading = vn.read_number(raw, count=whole)
    except vn.AmbiguousNumber as exc:
        a, b = exc.readings[0], exc.readings[-1]
        out.add("ambiguous_number", f"Ô {cell} ({what} chỉ tiêu {t.code}) ghi '{_short(exc.text)}': "
                f"có thể là {vn.format_number(a)} hoặc {vn.format_number(b)}. Nhập lại không có dấu "
                f"chấm phân cách hàng nghìn, dùng dấu phẩy cho phần thập phân (ví dụ "
                f"{_plain(b)} hoặc {vn.format_number(a)}).", cell=cell, target=t.code)
        return None
    except vn.NotANumber:
        out.add("not_a_number", f"Ô {cell} ({what} chỉ tiêu {t.code}) ghi '{_short(str(raw))}', "
                "không phải là số. Nhập số (ví dụ 12,5); nếu chưa có số liệu, để trống và ghi lý "
                "do vào cột Ghi chú.", cell=cell, target=t.code)
        return None
    if reading.percent_sign and (t.measure != "percent" or what != "kết quả"):
        out.add("unexpected_percent", f"Ô {cell} ({what} chỉ tiêu {t.code}) ghi "
                f"'{_short(str(raw))}' có dấu %, nhưng ô này nhận "
                + ("số người/ca/lượt (số nguyên)" if what != "kết quả" else
                   f"số theo đơn vị tính '{t.unit or 'số lượng'}'")
                + ". Nhập lại số không có dấu %.", cell=cell, target=t.code)
        return None
    if reading.value is not None and abs(reading.value) > vn.ABSURD:
        out.add("absurd_value", f"Ô {cell} ({what} chỉ tiêu {t.code}) ghi một số quá lớn "
                f"({reading.value:.3g}) cho một báo cáo. Kiểm tra và nhập lại số đúng.",
                cell=cell, target=t.code)
        return None
    return reading


def _plain(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else vn.format_number(x)


def _number(out: CheckedReturn, t: Target, raw, cell: str | None, what: str,
            whole: bool = False) -> float | None:
    reading = _reading(out, t, raw, cell, what, whole)
    return reading.value if reading else None


def _percent_fraction(out, t, value, computed, raw, cell) -> float:
    """0,45 in a percent row: 45 % when the cell has a percent format or the numerator and
    denominator say so; 0,45 % when they say that; otherwise the unit must confirm."""
    as_pct = vn.tidy_float(value * 100)
    if computed is not None:
        if _close(as_pct, computed) and not _close(value, computed):
            return as_pct
        if _close(value, computed):
            return value
    if isinstance(raw, float) and _cell_is_percent(out.data, cell):
        return as_pct
    if computed is None:
        out.add("percent_fraction_ambiguous", f"Chỉ tiêu {t.code}: ô {cell} ghi "
                f"{vn.format_number(value)} không có dấu %: là {vn.format_number(value)}% hay "
                f"{vn.format_number(as_pct)}%? Nhập lại tỷ lệ kèm dấu % (ví dụ "
                f"{vn.format_number(as_pct)}%).", cell=cell, target=t.code)
    return value


def _cell_is_percent(data: ReturnData, cell: str | None) -> bool:
    """Whether a cell has a percent number format, from the file's own styles (any type)."""
    from .returns import cell_is_percent

    return cell_is_percent(data, cell)


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
