"""Roll-up: a lower level's consolidated workbook as a return to the level above.

A commune's consolidated workbook carries, besides its report sheets, a machine-readable
sheet :data:`DATA_SHEET` with one row per target code: the rolled-up value with its
numerator and denominator, the yes/no tally (``yes``, ``no``: how many units answered Có,
Không; added up, not reduced to one answer, at every level above) and how many units
reported. Dropped into the
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
from ..plan.admin import admin_key
from ..plan.model import Plan, Unit
from .checked import CheckedReturn, CheckedValue
from .returns import ReturnData

KIND = "consolidated"
#: form_version recorded in the ledger for such a workbook
FORM_VERSION = KIND
DATA_SHEET = "Dữ liệu tổng hợp"
SOURCE = "Bảng tổng hợp cấp dưới"     # the source of a value read from such a workbook
FIELDS = ("code", "measure", "factor", "value", "numerator", "denominator", "answer", "yes",
          "no", "units_reported", "units_expected", "assessment",
          # what each figure is (CONTRACT section 7): matched by the level above
          "national", "indicator", "text", "unit", "units_contributed")


# -- writing ---------------------------------------------------------------------------
def write_sheet(wb, fm, c) -> None:
    """The machine-readable figures per target code of a consolidation."""
    from ..core.xlsx import a4_landscape, col_units, put   # xlsxwriter: only when writing

    ws = wb.add_worksheet(DATA_SHEET)
    # every cell written, blanks too: feedback to this level marks the cell of a row left
    # out in place (an absent cell sends it to openpyxl, ~0.4 s for such a workbook)
    cell = fm()
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
               "units_expected": len(res.unit_values), "assessment": res.assessment.code,
               "national": t.national, "indicator": res.indicator_text, "text": t.text,
               "unit": t.unit, "units_contributed": res.contributed}
        for col, name in enumerate(FIELDS):
            put(ws, r, col, row[name], cell)
    ws.freeze_panes(1, 0)
    a4_landscape(ws, (0, 0))


# -- matching units ----------------------------------------------------------------------
_LEVELS = ("xã ", "phường ", "thị trấn ", "đặc khu ", "huyện ", "quận ", "thị xã ",
           "thành phố ", "tỉnh ")


def _bare(key: str) -> str | None:
    """"ubnd xã bình lư" -> "xã bình lư"; None unless it names an administrative level.
    "Sở Nội vụ tỉnh Lai Châu" is the province too (the office that consolidates for it)."""
    key = re.sub(r"^(ubnd|hđnd|sở nội vụ)( và ubnd)? ", "", key)
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
    if rows and not any(k in rec for rec in rows.values() for k in ("national", "unit")):
        out.add("no_identity", f"Bảng tổng hợp của {unit.name} không ghi mã quốc gia, nội dung "
                "và đơn vị tính của từng chỉ tiêu (tạo bằng phiên bản bdg-excel cũ), nên không "
                "biết mỗi số liệu là chỉ tiêu nào; không số liệu nào được tổng hợp. Đề nghị "
                "đơn vị tổng hợp lại bằng phiên bản mới rồi gửi lại.", WARNING)
        return out
    texts = {t.code: ind.text for ind in plan.indicators for t in ind.targets}
    pairs, left_out, unmatched = match_rows(expected, rows, texts)
    for t in expected:
        if t.code in pairs:
            code = pairs[t.code]
            out.values.append(_value(out, t, rows[code], cells.get(code)))
    who = unit.name
    for code, why in left_out:
        rec = rows[code]
        advice = ("Đơn vị không cần sửa: cấp trên không lấy số liệu chỉ tiêu này từ đơn vị "
                  "(có thể do sở, ngành báo cáo)."
                  if why.startswith(_NOT_ASSIGNED) else
                  "Kiểm tra mã quốc gia, nội dung và đơn vị tính của chỉ tiêu này trong kế "
                  "hoạch của đơn vị.")
        out.add("row_left_out", f"{who}: dòng {code} {_describe(rec)} không được tổng hợp: "
                f"{why}. {advice}", WARNING, cell=cells.get(code), target=code)
    absent = [t for t, why in unmatched if why == _ABSENT]
    if len(absent) > _LIST_AT_MOST:
        # a province asks every commune for every national indicator and a commune's plan
        # has a dozen: one finding naming them all, not a dozen lines per commune
        unmatched = [(t, why) for t, why in unmatched if why != _ABSENT]
        names = ", ".join(f"{t.code}{' (' + t.national + ')' if t.national else ''}"
                          for t in absent)
        out.add("missing_row", f"{who}: {len(absent)} chỉ tiêu {_ABSENT}: {names}; các chỉ "
                "tiêu này được ghi là chưa có số liệu của đơn vị.", WARNING,
                target=",".join(t.code for t in absent))
    for t, why in unmatched:
        out.add("missing_row", f"{who}: chỉ tiêu {t.code} ({_short(t.text)}"
                f"{', ' + t.national if t.national else ''}) {why}; chỉ tiêu này được ghi là "
                "chưa có số liệu của đơn vị.", WARNING, target=t.code)
    return out


_ABSENT = "không có trong bảng tổng hợp"
#: more rows than this absent from a lower level's workbook are named in one finding
_LIST_AT_MOST = 3


_NOT_ASSIGNED = "kế hoạch không giao chỉ tiêu quốc gia"


def _norm(text) -> str:
    """Indicator texts compared word by word: case, accents' encoding, punctuation aside."""
    return " ".join(re.findall(r"\w+", vn.canonical(text))) if isinstance(text, str) else ""


def _short(text, n: int = 60) -> str:
    text = vn.clean(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def _describe(rec: dict) -> str:
    """"'Tỷ lệ tảo hôn' (QG-4.4, đơn vị tính %)" for a row of the lower level's data."""
    text = vn.clean(rec.get("indicator") or rec.get("text") or "")
    extra = [x for x in (_national(rec), f"đơn vị tính {_unit(rec)}" if _unit(rec) else None) if x]
    return (f"'{_short(text)}'" if text else "") + (f" ({', '.join(extra)})" if extra else "")


def _national(rec: dict) -> str | None:
    return vn.clean(rec.get("national")) or None


def _unit(rec: dict) -> str | None:
    return vn.clean(rec.get("unit")) or None


def _has_figure(rec: dict) -> bool:
    return any(_num(rec.get(k)) is not None for k in ("value", "numerator", "yes", "no")) or \
        bool(vn.clean(rec.get("answer")))


def _texts(rec: dict) -> set[str]:
    return {x for x in (_norm(rec.get("indicator")), _norm(rec.get("text"))) if x}


def match_rows(expected: list, rows: dict[str, dict], indicator_texts: dict | None = None):
    """Which row of a lower level's data counts for each target row of this plan
    (CONTRACT section 7): the row with the same national code, else a row without one
    whose indicator text and unit of measure are the same; never across units of measure.
    Returns ({this plan's code: the lower row's code}, [(lower code, why left out)],
    [(target, why it has no figure)])."""
    from ..plan import catalog

    used: set[str] = set()
    why_not: dict[str, str] = {}
    pairs, unmatched = {}, []
    for t in expected:
        mine = {_norm(t.text), _norm((indicator_texts or {}).get(t.code))} - {""}
        same = [c for c, r in rows.items() if t.national and _national(r) == t.national]
        if len(same) > 1:
            why = f"có {len(same)} dòng cùng mã quốc gia {t.national}"
            for c in same:
                why_not[c] = why
            unmatched.append((t, why))
            continue
        if same:
            c = same[0]
            if catalog.same_measure(_unit(rows[c]), t.unit):
                pairs[t.code] = c
                used.add(c)
            else:
                why_not[c] = (f"cùng chỉ tiêu quốc gia {t.national} nhưng đơn vị tính khác "
                              f"('{_unit(rows[c]) or 'không ghi'}' so với '{t.unit or 'không ghi'}' "
                              f"của chỉ tiêu {t.code}), số liệu không quy đổi được")
                unmatched.append((t, f"có trong bảng tổng hợp (dòng {c}) nhưng khác đơn vị tính"))
            continue
        alike = [c for c, r in rows.items() if c not in used and not _national(r)
                 and mine & _texts(r)]
        fits = [c for c in alike if catalog.same_measure(_unit(rows[c]), t.unit)]
        if len(fits) > 1:
            fits = [c for c in fits if c[-1:] == t.code[-1:]] or fits
        if len(fits) == 1:
            pairs[t.code] = fits[0]
            used.add(fits[0])
            continue
        for c in alike:
            if c not in fits:
                why_not.setdefault(c, f"cùng nội dung với chỉ tiêu {t.code} nhưng đơn vị tính "
                                   f"khác ('{_unit(rows[c]) or 'không ghi'}' so với "
                                   f"'{t.unit or 'không ghi'}'), số liệu không quy đổi được")
        if fits:
            unmatched.append((t, "khớp nhiều dòng của bảng tổng hợp "
                              f"({', '.join(fits)}), không biết dòng nào"))
        elif alike:
            unmatched.append((t, f"có trong bảng tổng hợp (dòng {', '.join(alike)}) nhưng "
                              "khác đơn vị tính"))
        else:
            unmatched.append((t, _ABSENT))
    codes = {t.code: t for t in expected}
    left_out = []
    for c, r in rows.items():
        if c in used or not _has_figure(r):
            continue
        why = why_not.get(c)
        if why is None:
            why = (f"{_NOT_ASSIGNED} {_national(r)} cho đơn vị"
                   if _national(r) else "chỉ tiêu địa phương (không có mã quốc gia) không "
                   "trùng nội dung và đơn vị tính với chỉ tiêu nào kế hoạch giao cho đơn vị")
        t = codes.get(c)
        if t is not None and pairs.get(c) != c and _national(r) != t.national and \
                not (_national(r) is None and {_norm(t.text)} & _texts(r)):
            why += (f"; mã {c} trong kế hoạch này là chỉ tiêu khác ('{_short(t.text, 50)}'"
                    f"{', ' + t.national if t.national else ''}, {t.unit or 'không ghi đơn vị'})")
        left_out.append((c, why))
    return pairs, left_out, unmatched


def _value(out: CheckedReturn, t, rec: dict, cell: str | None) -> CheckedValue:
    reported, expected = _num(rec.get("units_reported")), _num(rec.get("units_expected"))
    contributed = _num(rec.get("units_contributed"))
    note = None
    if expected:
        note = (f"Tổng hợp từ {vn.format_number(reported if contributed is None else contributed or 0)}"
                f"/{vn.format_number(expected)} đơn vị")
    cv = CheckedValue(code=t.code, cell=cell, note=note, source=SOURCE, national=t.national)
    if t.measure == "yesno":
        # the lower level's tally travels as numerator (units that answered Có) and
        # denominator (units that answered): the level above adds tallies, so a province
        # whose communes answered 3 Có and 1 Không counts 3/4 at the ministry, not one
        # mixed answer lost
        answer = vn.clean(rec.get("answer")) or None
        yes, no = _num(rec.get("yes")) or 0, _num(rec.get("no")) or 0
        if not (yes or no) and answer in (tg.YES, tg.NO):
            yes, no = (1, 0) if answer == tg.YES else (0, 1)
        cv.answer = tg.YES if yes and not no else tg.NO if no and not yes else None
        if yes or no:
            cv.numerator, cv.denominator = yes, yes + no
            cv.note = (f"{note + '; ' if note else ''}{tg.YES}: {vn.format_number(yes)}/"
                       f"{vn.format_number(yes + no)} đơn vị")
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
