"""Roll-up: a lower level's consolidated workbook as a return to the level above.

A commune's consolidated workbook carries, besides its report sheets, a machine-readable
sheet :data:`DATA_SHEET` with one row per target code: the rolled-up value with its
numerator and denominator, the yes/no tally and how many units reported. Dropped into the
inbox of a province (or, for plans of the old three-level system, a district) whose plan
lists the commune as a unit ("UBND xã Bình Lư") with the indicators it reports, the
workbook is recognised by its hidden identification sheet (``kind = consolidated``), the
commune is matched by the issuer of its plan, target rows map by code, and its figures
enter the higher consolidation with numerators and denominators, so the province rolls
ratios up as Σ tử số × hệ số / Σ mẫu số over its communes.
"""

from __future__ import annotations

import re

from ..core import vn
from ..core.findings import ERROR, INFO, WARNING
from ..forms import layout
from ..plan import targets as tg
from ..plan.model import Plan, Unit
from .checked import CheckedReturn, CheckedValue
from .returns import ReturnData

KIND = "consolidated"
#: form_version recorded in the ledger for such a workbook
FORM_VERSION = KIND
DATA_SHEET = "Dữ liệu tổng hợp"
FIELDS = ("code", "measure", "factor", "value", "numerator", "denominator", "answer", "yes",
          "no", "units_reported", "units_expected", "assessment")


# -- writing ---------------------------------------------------------------------------
def write_sheet(wb, fm, c) -> None:
    """The machine-readable figures per target code of a consolidation."""
    from ..core.xlsx import a4_landscape, col_units, put   # xlsxwriter: only when writing

    ws = wb.add_worksheet(DATA_SHEET)
    for col, name in enumerate(FIELDS):
        ws.write_string(0, col, name, fm.header)
        ws.set_column(col, col, col_units(13))
    for r, res in enumerate(c.results, 1):
        t = res.target
        yes, no = res.answers.get(tg.YES, 0), res.answers.get(tg.NO, 0)
        answer = tg.YES if yes and not no else tg.NO if no and not yes else None
        row = {"code": t.code, "measure": t.measure, "factor": t.factor, "value": res.value,
               "numerator": res.numerator, "denominator": res.denominator, "answer": answer,
               "yes": yes or None, "no": no or None, "units_reported": res.units_reported,
               "units_expected": len(res.unit_values), "assessment": res.assessment.code}
        for col, name in enumerate(FIELDS):
            put(ws, r, col, row[name])
    ws.freeze_panes(1, 0)
    a4_landscape(ws, (0, 0))


# -- matching units ----------------------------------------------------------------------
_ADMIN_WORDS = (("ủy ban nhân dân", "ubnd"), ("hội đồng nhân dân", "hđnd"))
_LEVELS = ("xã ", "phường ", "thị trấn ", "đặc khu ", "huyện ", "quận ", "thị xã ",
           "thành phố ", "tỉnh ")


def admin_key(name: str) -> str:
    """Canonical form with "Ủy ban nhân dân" written "ubnd": "Ủy ban nhân dân xã Bình Lư",
    "UBND xã Bình Lư" and "ubnd Xã  Bình Lư" give the same key."""
    key = vn.canonical(name)
    for long, short in _ADMIN_WORDS:
        key = key.replace(long, short)
    return key


def _bare(key: str) -> str | None:
    """"ubnd xã bình lư" -> "xã bình lư"; None unless it names an administrative level."""
    key = re.sub(r"^(ubnd|hđnd)( và ubnd)? ", "", key)
    return key if key.startswith(_LEVELS) else None


def match_unit(plan: Plan, *names: str | None) -> Unit | None:
    """The unit of ``plan`` a lower-level workbook's issuer names (exact canonical match,
    then "Ủy ban nhân dân" = "UBND", then the administrative name without "UBND")."""
    names = tuple(n for n in names if n)
    for name in names:
        unit = plan.unit(name)
        if unit:
            return unit
    by_admin = {admin_key(u.name): u for u in plan.units}
    by_bare: dict[str, list[Unit]] = {}
    for u in plan.units:
        b = _bare(admin_key(u.name))
        if b:
            by_bare.setdefault(b, []).append(u)
    for name in names:
        key = admin_key(name)
        if key in by_admin:
            return by_admin[key]
        b = _bare(key)
        if b and len(by_bare.get(b, [])) == 1:
            return by_bare[b][0]
    return None


# -- reading -----------------------------------------------------------------------------
def is_consolidated(meta: dict) -> bool:
    return meta.get("tool") == layout.TOOL_MARK and meta.get("kind") == KIND


def read_rows(path) -> tuple[dict[str, dict], dict[str, str]] | None:
    """code -> {field: value} from the data sheet, and code -> cell of its value; None
    when the workbook has no such sheet."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    try:
        if DATA_SHEET not in wb.sheet_names:
            return None
        rows = wb.get_sheet_by_name(DATA_SHEET).to_python()
    finally:
        wb.close()
    if not rows:
        return None
    head = [vn.clean(h) if isinstance(h, str) else "" for h in rows[0]]
    cols = {name: head.index(name) for name in FIELDS if name in head}
    if "code" not in cols:
        return None
    out, cells = {}, {}
    for r, row in enumerate(rows[1:], 1):
        rec = {k: (row[i] if i < len(row) else "") for k, i in cols.items()}
        code = rec.get("code")
        if isinstance(code, float):
            code = f"{code:g}"
        code = vn.clean(code).lower() if code else ""
        if code:
            out[code] = rec
            if "value" in cols:
                cells[code] = layout.cell_ref(r, cols["value"])
    return out, cells


def check_consolidated(data: ReturnData, plan: Plan, *, period: str | None = None,
                       sender: str | None = None) -> CheckedReturn:
    """Recognise a lower level's consolidated workbook as one unit's return of ``plan``."""
    out = CheckedReturn(data=data, findings=list(data.findings))
    data.sheet = DATA_SHEET
    if not data.readable:
        return out
    meta = data.meta
    issuer = meta.get("issuer")
    if meta.get("plan_identity") == plan.identity():
        out.add("own_report", "Đây là bảng tổng hợp của chính kế hoạch này (từ outbox/), không "
                "phải báo cáo của đơn vị cấp dưới; không thả tệp này vào inbox/.")
        return out
    out.plan_matches = True
    unit = match_unit(plan, issuer, meta.get("unit"))
    if unit is None and sender:
        unit = next((u for u in plan.units if u.email and u.email.lower() == sender.lower()),
                    None)
    if unit is None:
        out.add("unknown_unit", f"Bảng tổng hợp của '{issuer or '?'}' không khớp đơn vị nào trong "
                "kế hoạch. Thêm đơn vị này vào trang Đơn vị của kế hoạch (ví dụ 'UBND xã …') "
                "cùng các chỉ tiêu đơn vị báo cáo, rồi chạy lại.")
        return out
    out.unit = unit
    out.period = meta.get("period") or period
    out.form_version = FORM_VERSION
    if period and out.period != period:
        out.add("other_period", f"Bảng tổng hợp của kỳ {out.period} (lần này đang tổng hợp kỳ "
                f"{period}): được ghi sổ cho kỳ {out.period} và tính khi tổng hợp kỳ đó.", INFO)
    read = read_rows(data.path)
    if read is None:
        out.add("no_rollup_data", f"Bảng tổng hợp không có trang '{DATA_SHEET}' (tạo bằng phiên "
                "bản bdg-excel cũ hoặc đã bị xóa). Đề nghị đơn vị gửi lại bảng tổng hợp do "
                "bdg-excel tạo.")
        return out
    rows, cells = read
    expected = plan.unit_targets(unit)
    codes = {t.code for t in expected}
    missing = []
    for t in expected:
        rec = rows.get(t.code)
        if rec is None:
            missing.append(t.code)
            continue
        out.values.append(_value(out, t, rec, cells.get(t.code)))
    if missing:
        out.add("missing_row", f"Bảng tổng hợp không có chỉ tiêu {', '.join(missing)} mà kế hoạch "
                f"giao cho {unit.name}; các chỉ tiêu này được ghi là chưa có số liệu.", WARNING,
                target=", ".join(missing))
    extra = [code for code, rec in rows.items() if code not in codes and
             _num(rec.get("value")) is not None]
    if extra:
        out.add("unexpected_row", f"Chỉ tiêu {', '.join(extra)} có trong bảng tổng hợp nhưng kế "
                f"hoạch không giao cho {unit.name}; không được tổng hợp.", INFO,
                target=", ".join(extra))
    return out


def _value(out: CheckedReturn, t, rec: dict, cell: str | None) -> CheckedValue:
    reported, expected = _num(rec.get("units_reported")), _num(rec.get("units_expected"))
    note = None
    if expected:
        note = f"Tổng hợp từ {vn.format_number(reported or 0)}/{vn.format_number(expected)} đơn vị"
    cv = CheckedValue(code=t.code, cell=cell, note=note, source="Bảng tổng hợp cấp dưới")
    if t.measure == "yesno":
        answer = vn.clean(rec.get("answer")) or None
        cv.answer = answer if answer in (tg.YES, tg.NO) else None
        yes, no = _num(rec.get("yes")) or 0, _num(rec.get("no")) or 0
        if yes and no:
            cv.note = f"{note or ''}; {tg.YES}: {yes:g}, {tg.NO}: {no:g}".lstrip("; ")
        return cv
    cv.value = _num(rec.get("value"))
    if t.has_fraction:
        cv.numerator, cv.denominator = _num(rec.get("numerator")), _num(rec.get("denominator"))
        computed = tg.compute(t.measure, t.factor, cv.numerator, cv.denominator)
        if computed is not None:
            cv.value = computed
        elif cv.value is not None:
            out.add("no_fraction", f"Chỉ tiêu {t.code}: bảng tổng hợp chỉ có kết quả, không có tử "
                    "số và mẫu số, nên không cộng dồn được với các đơn vị khác. Đề nghị đơn vị "
                    "bổ sung tử số, mẫu số.", WARNING, cell=cell, target=t.code)
        if cv.denominator == 0:
            out.add("zero_denominator", f"Chỉ tiêu {t.code}: mẫu số bằng 0.", ERROR, cell=cell,
                    target=t.code)
    return cv


def _num(raw) -> float | None:
    try:
        return vn.parse_number(raw)
    except vn.NotANumber:
        return None
