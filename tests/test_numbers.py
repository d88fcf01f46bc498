"""Every number right or flagged (issue 11).

- Vietnamese number reading, one rule for every notation: a property test shows that a
  number written in any accepted Vietnamese or English notation, typed as text or stored
  as a number, reads back as that number or is flagged, never as another number;
- plausibility per unit of measure of the plan, with returns saved by openpyxl and the
  same returns saved again by the real LibreOffice as .xlsx, .ods and .xls;
- percent cell formats honoured from every file type.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from bdg_excel.plan import planbook
from bdg_excel.core import vn
from bdg_excel.demo import Fill, fill_form
from bdg_excel.plan.model import Plan, infer_measure
from bdg_excel.intake.returns import read_return
from bdg_excel.intake.validate import check_return

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
SSCONVERT = shutil.which("ssconvert")

# -- the notations ------------------------------------------------------------------------
# (thousands separator, decimal separator) as people type them
NOTATIONS = [(".", ","), ("", ","), (" ", ","), ("\u00a0", ","),    # Vietnamese
             (",", "."), ("", "."), (" ", ".")]                        # English


def write(number: Decimal, thousands: str, decimal: str) -> str:
    sign = "-" if number < 0 else ""
    text = f"{abs(number):f}"
    whole, _, frac = text.partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    out = thousands.join(groups)
    return sign + out + (decimal + frac if frac else "")


numbers = st.one_of(
    st.integers(min_value=-10**9, max_value=10**9).map(Decimal),
    st.decimals(min_value=Decimal("-1e7"), max_value=Decimal("1e7"), places=3,
                allow_nan=False, allow_infinity=False),
    st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2),
)


@settings(max_examples=600, deadline=None)
@given(number=numbers, notation=st.sampled_from(NOTATIONS), percent=st.booleans(),
       lead=st.sampled_from(["", " ", "  ", "\u00a0"]), trail=st.sampled_from(["", " ", "\t"]),
       count=st.booleans())
def test_any_notation_reads_back_or_is_flagged(number, notation, percent, lead, trail, count):
    """``count``: the figure counts whole people, cases, births (then only whole numbers
    are meaningful and a dot before three digits is the Vietnamese thousands dot)."""
    if count:
        number = number.to_integral_value()
    text = lead + write(number, *notation) + (" %" if percent and lead else
                                              "%" if percent else "") + trail
    try:
        got = vn.read_number(text, count=count)
    except vn.NotANumber:
        return   # flagged: the unit is asked to confirm
    assert got.value == pytest.approx(float(number), rel=1e-12, abs=1e-9), text
    assert got.percent_sign == percent


@settings(max_examples=200, deadline=None)
@given(number=st.integers(min_value=0, max_value=10**9), notation=st.sampled_from(NOTATIONS))
def test_whole_counts_never_flagged_in_vietnamese_or_spaces(number, notation):
    """A count written the Vietnamese way (or grouped by spaces) is always read."""
    if notation[0] not in (".", " ", ""):
        return
    assert vn.read_number(write(Decimal(number), *notation), count=True).value == number


@pytest.mark.parametrize("text,count,value", [
    ("12.345", True, 12345), ("1.050", True, 1050), ("1.000.000", False, 1e6),
    ("1 234,5", False, 1234.5), ("1,234.5", False, 1234.5), ("0,75", False, 0.75),
    ("12.5", False, 12.5), ("45 %", False, 45), ("1,234.5", True, 1234.5),
])
def test_examples(text, count, value):
    assert vn.read_number(text, count=count).value == value


@pytest.mark.parametrize("text", ["12.345", "1,050", "-1.234"])
def test_single_separator_and_three_digits_ambiguous_unless_count(text):
    with pytest.raises(vn.AmbiguousNumber) as exc:
        vn.read_number(text)
    assert len(exc.value.readings) == 2
    if "," in text:   # 1,050 people: 1050 the English way, 1,05 the Vietnamese way
        with pytest.raises(vn.AmbiguousNumber):
            vn.read_number(text, count=True)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, "1e5", "inf", "NaN",
                                   "1.2.3", "12 5", "١٢"])
def test_non_numbers_refused(value):
    with pytest.raises(vn.NotANumber):
        vn.read_number(value)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(batch=st.lists(st.tuples(numbers, st.sampled_from(NOTATIONS), st.booleans()),
                      min_size=5, max_size=20))
def test_through_a_real_workbook(tmp_path, batch):
    """Typed as text or stored as a number cell by openpyxl, read back by calamine (the
    reader of returns): the number, or a flag."""
    import openpyxl
    from python_calamine import CalamineWorkbook

    wb = openpyxl.Workbook()
    ws = wb.active
    for i, (number, notation, as_text) in enumerate(batch, 1):
        ws.cell(row=i, column=1, value=write(number, *notation) if as_text else float(number))
    path = tmp_path / "so.xlsx"
    wb.save(path)
    cw = CalamineWorkbook.from_path(str(path))
    rows = cw.get_sheet_by_index(0).to_python()
    cw.close()
    for (number, _, _), row in zip(batch, rows):
        try:
            got = vn.read_number(row[0]).value
        except vn.NotANumber:
            continue
        assert got == pytest.approx(float(number), rel=1e-12, abs=1e-9)


# -- plausibility per unit of measure -------------------------------------------------------
TYT, CA = "Trạm Y tế xã", "Công an xã"


def stat_plan() -> dict:
    def ind(code, text, op, value, unit):
        return {"code": code, "goal": 1, "number": int(code.split(".")[1]), "text": text,
                "targets": [{"code": code, "op": op, "value": value, "max": None, "unit": unit,
                             "year": 2030, "text": text}]}
    return {
        "title": "Kế hoạch thống kê thử", "number": "7/KH-UBND", "issuer": "UBND xã Thử",
        "place": "Thử", "date": "2026-01-05", "period": {"start": 2026, "end": 2030},
        "goals": [{"number": 1, "title": "Y tế"}],
        "indicators": [
            ind("1.1", "Tỷ lệ phụ nữ được khám thai", ">=", 50, "%"),
            ind("1.2", "Tỷ số giới tính khi sinh", "<", 109, "bé trai/100 bé gái"),
            ind("1.3", "Tỷ suất tử vong mẹ", "<=", 50, "/100.000"),
            ind("1.4", "Số người được tư vấn", ">=", 100, "người"),
            ind("1.5", "Có phòng tư vấn", "qualitative", None, None),
        ],
        "units": [{"name": TYT, "indicators": ["1.1", "1.2", "1.3", "1.4", "1.5"],
                   "tasks": [], "email": "tramyte@thu.gov.vn"},
                  {"name": CA, "indicators": ["1.1", "1.2", "1.3", "1.4", "1.5"],
                   "tasks": [], "email": "congan@thu.gov.vn"}],
        "reports": [{"kind": "annual", "due": "11-30", "to": "UBND xã Thử"}],
    }


# case -> (fills, percent-formatted cells, expected values, expected error codes)
CASES = {
    # the silent errors, typed the Vietnamese way: all read right
    "vietnamese": ({"1.1": Fill(numerator="12.345", denominator="20.000"),
                    "1.2": Fill(numerator="1.050", denominator="1.000"),
                    "1.3": Fill(numerator=3, denominator="100.000"),
                    "1.4": Fill(value="1.234"), "1.5": Fill(value="Có")},
                   [], {"1.1": 61.725, "1.2": 105, "1.3": 3, "1.4": 1234}, set()),
    # figures in doubt: each flagged at its cell
    "doubtful": ({"1.1": Fill(value=0.75), "1.2": Fill(value=0.105),
                  "1.3": Fill(value=200000), "1.4": Fill(value=12.5), "1.5": Fill(value="Có")},
                 [], {}, {"percent_fraction_ambiguous", "sex_ratio_implausible",
                          "rate_out_of_range", "not_whole"}),
    # 45 % stored as 0.45 in a percent-formatted cell; absurd and negative figures
    "formats": ({"1.1": Fill(value=0.45), "1.3": Fill(numerator=1e304, denominator=5),
                 "1.4": Fill(value=-3), "1.2": Fill(numerator=530, denominator=500),
                 "1.5": Fill(value="Không")},
                ["1.1"], {"1.1": 45, "1.2": 106}, {"absurd_value", "negative"}),
    # a share above its whole; a decimal in doubt; a count with an English grouping
    "shares": ({"1.1": Fill(numerator=60, denominator=50), "1.2": Fill(value="105.123"),
                "1.3": Fill(numerator="2", denominator="10 000"), "1.4": Fill(value="1 500"),
                "1.5": Fill(value="Có")},
               [], {"1.3": 20, "1.4": 1500},
               {"numerator_gt_denominator", "percent_out_of_range", "ambiguous_number"}),
}


@pytest.fixture(scope="module")
def returns(tmp_path_factory):
    """Each case's return saved by openpyxl, and by LibreOffice as .xlsx, .ods and .xls."""
    import openpyxl

    from bdg_excel.workflow import generate, init_workspace, load

    root = tmp_path_factory.mktemp("numbers")
    ws = init_workspace(root / "ws")
    planbook.save_plan(Plan.from_json(stat_plan(), name="thong-ke"),
                       ws.templates / "thong-ke.xlsx")
    plan = load(ws)
    forms = {f.unit: f for f in generate(ws, plan, "2026")}
    made: dict[tuple[str, str], Path] = {}
    src = root / "openpyxl"
    for case, (fills, pct, _, _) in CASES.items():
        out = fill_form(forms[TYT].path, src / f"{case}.xlsx", fills)
        if pct:
            data = read_return(out)
            wb = openpyxl.load_workbook(out)
            for code in pct:
                wb[data.sheet][data.targets[code].refs["value"]].number_format = "0%"
            wb.save(out)
        made[(case, "openpyxl")] = out
    if SOFFICE:
        profile = (root / "lo-profile").as_uri()
        files = [str(p) for p in made.values()]
        for fmt in ("xlsx", "ods", "xls"):
            outdir = root / f"lo-{fmt}"
            subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless",
                            "--norestore", "--convert-to", fmt, "--outdir", str(outdir), *files],
                           check=True, capture_output=True, timeout=300)
            for case in CASES:
                made[(case, f"lo-{fmt}")] = outdir / f"{case}.{fmt}"
    if SSCONVERT:
        (root / "gnumeric").mkdir()
        for case in CASES:
            out = root / "gnumeric" / f"{case}.xls"
            subprocess.run([SSCONVERT, str(made[(case, "openpyxl")]), str(out)], check=True,
                           capture_output=True, timeout=300)
            made[(case, "gnumeric-xls")] = out
    return plan, made


SAVERS = ["openpyxl", pytest.param("lo-xlsx", marks=pytest.mark.libreoffice),
          pytest.param("lo-ods", marks=pytest.mark.libreoffice),
          pytest.param("lo-xls", marks=pytest.mark.libreoffice)]


@pytest.mark.parametrize("saver", SAVERS)
@pytest.mark.parametrize("case", list(CASES))
def test_rules_with_every_saver(returns, case, saver):
    plan, made = returns
    if (case, saver) not in made:
        pytest.skip(f"the program behind {saver} is not installed")
    path = made[(case, saver)]
    chk = check_return(read_return(path), plan, period="2026")
    assert chk.recognised, chk.findings
    _, _, values, errors = CASES[case]
    got = {v.code: v.value for v in chk.values}
    for code, value in values.items():
        assert got[code] == pytest.approx(value), (code, chk.findings)
    found = {f.code for f in chk.findings if f.severity == "error"}
    assert found == errors, [str(f) for f in chk.findings]
    for f in chk.findings:   # every finding says where
        if f.code in errors:
            assert f.file == path.name and f.sheet and f.cell and f.target
    assert chk.status == ("needs_fixes" if errors else "accepted")


# -- the same notations through LibreOffice and Gnumeric -----------------------------------


def _sample(n: int = 150):
    import random

    rnd = random.Random(11)
    out = []
    for _ in range(n):
        kind = rnd.randrange(3)
        number = (Decimal(rnd.randint(-10**7, 10**7)) if kind == 0 else
                  Decimal(rnd.randint(0, 10**8)) / 1000 if kind == 1 else
                  Decimal(rnd.randint(0, 10000)) / 100)
        notation = rnd.choice(NOTATIONS)
        pct = rnd.random() < 0.2
        text = write(number, *notation) + ("%" if pct else "")
        out.append((number, text if rnd.random() < 0.8 else float(number)))
    return out


@pytest.mark.parametrize("program,fmt", [
    pytest.param("soffice", "ods", marks=pytest.mark.libreoffice),
    pytest.param("soffice", "xls", marks=pytest.mark.libreoffice),
    pytest.param("soffice", "xlsx", marks=pytest.mark.libreoffice),
    ("ssconvert", "ods"),
    ("ssconvert", "xls")])
def test_notations_saved_by_other_programs(tmp_path, program, fmt):
    """Text and number cells written by openpyxl, saved again by LibreOffice or Gnumeric,
    read back by calamine: the number, or a flag, never another number."""
    import openpyxl
    from python_calamine import CalamineWorkbook

    exe = SOFFICE if program == "soffice" else SSCONVERT
    if exe is None:
        pytest.skip(f"{program} not installed")
    sample = _sample()
    wb = openpyxl.Workbook()
    for i, (_, cell) in enumerate(sample, 1):
        wb.active.cell(row=i, column=1, value=cell)
    src = tmp_path / "so.xlsx"
    wb.save(src)
    out = tmp_path / "out" / f"so.{fmt}"
    out.parent.mkdir()
    if program == "soffice":
        subprocess.run([exe, f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                        "--headless", "--norestore", "--convert-to", fmt, "--outdir",
                        str(out.parent), str(src)], check=True, capture_output=True, timeout=300)
    else:
        subprocess.run([exe, str(src), str(out)], check=True, capture_output=True, timeout=300)
    try:
        cw = CalamineWorkbook.from_path(str(out))
        rows = cw.get_sheet_by_index(0).to_python()
        cw.close()
    except Exception:
        # calamine cannot read Gnumeric's .ods: the reader falls back to odfpy (returns.py)
        assert program == "ssconvert" and fmt == "ods"
        from bdg_excel.intake.returns import _fallback_book
        book = _fallback_book(out, fmt)
        rows = next(iter(book.sheets.values()))
    read = flagged = 0
    for (number, cell), row in zip(sample, rows):
        try:
            got = vn.read_number(row[0]).value
        except vn.NotANumber:
            flagged += 1
            assert isinstance(cell, str), cell      # numbers stored as numbers always read
            continue
        read += 1
        assert got == pytest.approx(float(number), rel=1e-12, abs=1e-9), (cell, row[0])
    assert len(rows) >= len(sample) and read > len(sample) // 2


@pytest.mark.parametrize("case", list(CASES))
def test_gnumeric_xls_right_or_flagged(returns, case):
    """Gnumeric's .xls: calamine reads its number cells formatted "#,##0.##" as dates and
    xlrd cannot read its formats, so some figures cannot be read; each such figure is a
    finding at its cell, and every figure that is read is right."""
    plan, made = returns
    if (case, "gnumeric-xls") not in made:
        pytest.skip("Gnumeric (ssconvert) not installed")
    path = made[(case, "gnumeric-xls")]
    chk = check_return(read_return(path), plan, period="2026")
    assert chk.recognised, chk.findings
    flagged = {f.target for f in chk.findings if f.severity == "error"}
    got = {v.code: v.value for v in chk.values}
    for code, value in CASES[case][2].items():
        assert got.get(code) == pytest.approx(value) or code in flagged, (code, got)
    # the errors a careful reader must find are still found (or the cell is flagged)
    for code in CASES[case][3]:
        assert any(f.code == code for f in chk.findings) or flagged, code


@pytest.mark.parametrize("unit,value,ok", [
    ("bé trai/100 bé gái", 112, True), ("bé trai/100 bé gái", 0.105, False),
    ("trẻ trai/100 trẻ gái", 106, True), ("trẻ trai/100 trẻ gái", 1050, False),
    ("bé trai/1.000 bé gái", 1050, True), ("bé trai/1.000 bé gái", 105, False),
])
def test_sex_ratio_range_follows_the_plans_unit(unit, value, ok):
    from bdg_excel.plan import targets as tg
    from bdg_excel.plan.model import Target

    measure, factor = infer_measure(unit, "<")
    t = Target("1.2", "<", 109, unit=unit, measure=measure, factor=factor)
    assert tg.is_sex_ratio(t)
    lo, hi = tg.sex_ratio_range(t)
    assert (lo <= value <= hi) == ok


def test_percent_sign_where_no_percentage_is_expected(tmp_path):
    """"45%" typed as a count or as a numerator is flagged, not read as 45."""
    from cycle_helpers import plan_workspace

    ws, plan, forms = plan_workspace(tmp_path / "ws", stat_plan())
    out = fill_form(forms[TYT].path, tmp_path / "r.xlsx",
                    {"1.1": Fill(numerator="45%", denominator=100), "1.4": Fill(value="45%"),
                     "1.5": Fill(value="Có")})
    chk = check_return(read_return(out), plan, period="2026")
    hits = {(f.target, f.cell) for f in chk.findings if f.code == "unexpected_percent"}
    refs = read_return(out).targets
    assert hits == {("1.1", refs["1.1"].refs["numerator"]), ("1.4", refs["1.4"].refs["value"])}
    assert {v.code: v.value for v in chk.values}["1.4"] is None
