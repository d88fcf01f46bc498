"""The plan workbook: save, load (also after an officer edited it), check, examples."""

from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from bdg_excel.plan import planbook as pb
from bdg_excel.core.errors import PlanError, UsageError
from bdg_excel.core.findings import ERROR, WARNING
from bdg_excel.plan.model import Goal, Indicator, Plan, Report, Target, Unit
from bdg_excel.plan.targets import OP_LABELS

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "tests" / "data" / "plans"


def plan_json(name: str) -> Plan:
    path = PLANS / f"{name}.json"
    if not path.exists():
        pytest.skip(f"{path} not written yet")
    return Plan.from_json(json.loads(path.read_text(encoding="utf-8")), name=name)


def small_plan() -> Plan:
    """A correct plan: check_plan finds nothing in it."""
    return Plan(
        title="Kế hoạch thử", number="1/KH-UBND", issuer="UBND xã Thử", place="Thử",
        date="2026-04-10", period_start=2026, period_end=2030,
        goals=[Goal(1, "Chính trị"), Goal(2, "Gia đình")],
        indicators=[
            Indicator("1.1", 1, 1, "Tỷ lệ nữ lãnh đạo đạt 30%", [
                Target("1.1", ">=", 30, unit="%", year=2030, text="Tỷ lệ nữ lãnh đạo đạt 30%",
                       measure="percent", factor=100.0)]),
            Indicator("2.1", 2, 1, "90% …; 70% …", [
                Target("2.1a", ">=", 90, unit="%", year=2030, text="90% …",
                       measure="percent", factor=100.0),
                Target("2.1b", ">=", 70, unit="%", year=2028, text="70% …",
                       measure="percent", factor=100.0)]),
        ],
        units=[Unit("Phòng Văn hóa – Xã hội", ["1.1", "2.1"], ["Tuyên truyền", "Tổng hợp"],
                    "vhxh@thu.gov.vn"),
               Unit("Công an xã", ["2.1"], ["=Phòng chống bạo lực"], "congan@thu.example")],
        reports=[Report("annual", "11-30", "UBND xã"), Report("once", "2026-12-01", "Sở")],
        name="thu")


def saved(plan: Plan, tmp_path: Path, name: str = "ke-hoach") -> Path:
    path = tmp_path / f"{name}.xlsx"
    pb.save_plan(plan, path)
    return path


def row_of(path: Path, sheet: str, first_cell: str) -> int:
    ws = openpyxl.load_workbook(path)[sheet]
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == first_cell)


def where(findings) -> set[tuple]:
    return {(f.code, f.sheet, f.row) for f in findings}


# -- round trip -------------------------------------------------------------------------

@pytest.mark.parametrize("name", pb.EXAMPLES)
def test_round_trip_of_the_plan_json(tmp_path, name):
    plan = plan_json(name)
    back = pb.load_plan(saved(plan, tmp_path, name))
    assert back.to_json() == plan.to_json()
    assert back.name == name
    assert [(t.code, t.measure, t.factor) for t in back.targets()] == \
        [(t.code, t.measure, t.factor) for t in plan.targets()]


def test_round_trip_keeps_contact_tasks_and_text_that_looks_like_a_formula(tmp_path):
    plan = small_plan()
    plan.units[0].contact = "+84 912 345 678"
    plan.units[1].tasks.append("-giảm bạo lực")
    path = saved(plan, tmp_path)
    back = pb.load_plan(path)
    assert back.to_json() == plan.to_json()
    assert back.units[0].contact == "+84 912 345 678"
    ws = openpyxl.load_workbook(path)["Nhiệm vụ"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if c.value]
    assert {c.data_type for c in cells if isinstance(c.value, str)} == {"s"}
    assert "=Phòng chống bạo lực" in [c.value for c in cells]


def test_round_trip_of_a_range_and_labels_typed_as_codes(tmp_path):
    plan = small_plan()
    plan.indicators[0].targets[0] = Target("1.1", "between", 10, 20.5, "/1.000", 2029, "x",
                                           "rate", 1000.0)
    path = saved(plan, tmp_path)
    assert pb.load_plan(path).targets()[0] == plan.targets()[0]
    wb = openpyxl.load_workbook(path)
    ws = wb["Chỉ tiêu"]
    ws["G2"], ws["L2"], ws["M2"] = "between", "rate", None  # raw codes, factor left empty
    ws["L3"] = None                                         # Cách tính left empty
    wb.save(path)
    back = pb.load_plan(path)
    assert back.targets()[0] == plan.targets()[0]          # factor inferred from "/1.000"
    assert (back.targets()[1].measure, back.targets()[1].factor) == ("percent", 100.0)


def test_builds_are_reproducible(tmp_path):
    a, b = saved(small_plan(), tmp_path, "a"), saved(small_plan(), tmp_path, "b")
    assert a.read_bytes() == b.read_bytes()


def test_workbook_is_made_for_an_officer(tmp_path):
    path = saved(small_plan(), tmp_path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Hướng dẫn", "Thông tin chung", "Mục tiêu", "Chỉ tiêu", "Đơn vị",
                             "Phân công", "Nhiệm vụ", "Báo cáo"]
    ws = wb["Chỉ tiêu"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]][:4] == ["Mã dòng", "Mục tiêu số", "Chỉ tiêu số",
                                            "Mã chỉ tiêu"]
    assert ws["A1"].font.b and ws["A1"].font.name == "Times New Roman"
    assert ws["H2"].value == 30 and ws["H2"].data_type == "n"  # numbers stay numbers
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert any(all(label in f for label in OP_LABELS.values()) for f in lists)
    info = wb["Thông tin chung"]
    assert info["B6"].is_date and info["B6"].number_format == "dd/mm/yyyy"
    assign = wb["Phân công"].data_validations.dataValidation
    assert any("'Đơn vị'!$A$2" in dv.formula1 for dv in assign)
    reports = wb["Báo cáo"]
    assert reports["A2"].value == "Hằng năm" and reports["B2"].value == "30/11"
    assert reports["B3"].is_date


def test_save_replaces_the_file_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "ke-hoach.xlsx"
    path.write_text("old")
    pb.save_plan(small_plan(), path)
    assert pb.load_plan(path).title == "Kế hoạch thử"
    assert [p.name for p in tmp_path.iterdir()] == ["ke-hoach.xlsx"]


# -- a workbook the officer edited ------------------------------------------------------

def test_workbook_edited_by_hand_still_loads(tmp_path):
    plan = small_plan()
    path = saved(plan, tmp_path)
    wb = openpyxl.load_workbook(path)

    ws = wb["Chỉ tiêu"]
    ws.insert_cols(1)                       # a column the officer added in front
    ws["A1"] = "Ghi chú"
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2, max_row=4)]
    for r, values in enumerate([rows[2], None, rows[0], rows[1]], start=2):  # moved + blank
        for c in range(1, ws.max_column + 1):
            ws.cell(r, c).value = values[c - 1] if values else None
    assert ws["B2"].value == "2.1b"
    ws["A4"] = "xem lại"
    ws["I2"] = "12,5"                       # 2.1b's value typed as text, decimal comma
    ws["L2"] = "2028"                       # its year typed as text

    ws = wb["Thông tin chung"]
    ws.insert_rows(1)                       # a title above the header
    ws["A1"] = "KẾ HOẠCH"
    ws["B7"] = "10/04/2026"                 # the date typed as text
    ws = wb["Phân công"]
    ws["A2"] = unicodedata.normalize("NFD", "phòng văn hoá - xã hội ")
    ws = wb["Nhiệm vụ"]                     # tasks moved: order comes from STT
    ws["B2"], ws["C2"], ws["B3"], ws["C3"] = 2, "Tổng hợp", 1, "Tuyên truyền"
    wb["Báo cáo"]["B2"] = date(2026, 11, 30)  # Excel turned 30/11 into a date
    wb.save(path)

    back = pb.load_plan(path)
    plan.indicators[1].targets[1].value = 12.5
    assert back.to_json() == plan.to_json()
    assert back.units[0].name == "Phòng Văn hóa – Xã hội"  # the Đơn vị sheet's spelling
    assert pb.check_plan(back) == []


# -- check ------------------------------------------------------------------------------

def test_correct_plan_has_no_findings(tmp_path):
    assert pb.check_plan(small_plan()) == []
    assert pb.check_plan_file(saved(small_plan(), tmp_path)) == []


def test_binh_lu_warns_exactly_about_3_1(tmp_path):
    path = saved(plan_json("binh-lu"), tmp_path, "binh-lu")
    findings = pb.check_plan_file(path)
    # 6.3 counts news items per quarter; the national indicator QG-6.3 is a percentage
    assert [(f.code, f.severity, f.target) for f in findings] == [
        ("unassigned", WARNING, "3.1"), ("national_unit_mismatch", WARNING, "6.3")]
    f = findings[0]
    assert f.message == ("Chỉ tiêu 3.1 chưa được giao cho đơn vị nào báo cáo: ghi tên đơn vị "
                         "vào trang Phân công.")
    assert (f.file, f.sheet, f.row) == ("binh-lu.xlsx", "Chỉ tiêu", row_of(path, "Chỉ tiêu", "3.1"))
    assert f"trang Chỉ tiêu, dòng {f.row}" in str(f)


def test_cells_broken_in_the_workbook_are_found_where_they_are(tmp_path):
    path = saved(small_plan(), tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Chỉ tiêu"]
    ws["G3"] = None                      # 2.1a: no comparator
    ws["H4"] = "bảy mươi"                # 2.1b: not a number
    ws = wb["Phân công"]                 # rows 2-4 hold the three assignments
    ws["A6"], ws["B6"] = "Phòng Không Có", "1.1"  # unknown unit
    ws["A7"], ws["B7"] = "Công an xã", "9.9"      # unknown indicator
    ws["A8"], ws["B8"] = "Công an xã", "2.1a"     # a row code, not the indicator code
    wb["Đơn vị"]["B2"] = "vhxh@"
    wb["Báo cáo"]["B2"] = "31/02"
    wb.save(path)

    findings = pb.check_plan_file(path)
    assert where(findings) == {
        ("missing_op", "Chỉ tiêu", 3), ("not_a_number", "Chỉ tiêu", 4),
        ("unknown_unit", "Phân công", 6), ("unknown_indicator", "Phân công", 7),
        ("unknown_indicator", "Phân công", 8), ("invalid_email", "Đơn vị", 2),
        ("invalid_due", "Báo cáo", 2)}
    assert all(f.severity == ERROR and f.file == "ke-hoach.xlsx" for f in findings)
    for f in findings:
        assert f"trang {f.sheet}, dòng {f.row}" in str(f)
    by_code = {f.code: f for f in findings}
    assert "Phòng Không Có" in by_code["unknown_unit"].message
    assert "bảy mươi" in by_code["not_a_number"].message
    assert any("mã chỉ tiêu 2.1" in f.message for f in findings if f.row == 8)


def broken_plan() -> Plan:
    plan = small_plan()
    plan.goals.append(Goal(3, "Y tế"))                                   # no indicators
    plan.indicators.append(Indicator("4.1", 4, 1, "Tỷ suất", [          # goal 4 unknown
        Target("4.1a", "between", 50, 20, "%", 2030, "x", "percent", 100.0),   # value > max
        Target("4.1a", ">=", 120, None, "%", 2035, "y", "percent", 100.0),     # dup, >100, year
        Target("4.1c", "~", 3, None, "ca", 2030, "z", "rate", None),           # op, factor
        Target("4.1d", "<", None, None, "ca", 2030, "w", "đếm", None)]))       # value, measure
    plan.units.append(Unit("Công an  xã", [], [], "ca@xa"))                     # dup, idle, email
    plan.reports = []
    return plan


def test_broken_plan_findings_name_sheet_and_row(tmp_path):
    plan = broken_plan()
    expected = {
        ("goal_without_indicators", "Mục tiêu", 4), ("unknown_goal", "Chỉ tiêu", 5),
        ("bad_range", "Chỉ tiêu", 5), ("duplicate_code", "Chỉ tiêu", 6),
        ("percent_range", "Chỉ tiêu", 6), ("year_outside_period", "Chỉ tiêu", 6),
        ("unknown_op", "Chỉ tiêu", 7), ("missing_factor", "Chỉ tiêu", 7),
        ("missing_value", "Chỉ tiêu", 8), ("unknown_measure", "Chỉ tiêu", 8),
        ("unassigned", "Chỉ tiêu", 5), ("duplicate_unit", "Đơn vị", 4),
        ("idle_unit", "Đơn vị", 4), ("invalid_email", "Đơn vị", 4),
        ("no_reports", "Báo cáo", None)}
    assert where(pb.check_plan(plan)) == expected
    # the rows are those of the workbook save_plan writes, read back
    path = saved(plan, tmp_path)
    assert where(pb.check_plan(pb.load_plan(path))) == expected
    assert row_of(path, "Chỉ tiêu", "4.1c") == 7
    severities = {f.code: f.severity for f in pb.check_plan(plan)}
    assert severities["year_outside_period"] == severities["unassigned"] == WARNING
    assert severities["bad_range"] == severities["unknown_op"] == ERROR


def test_assignment_to_unknown_indicator_and_bad_code_in_memory():
    plan = small_plan()
    plan.units[1].indicators.append("7.1")
    plan.indicators[0].code = "1.2"          # code does not match goal.number
    plan.indicators[0].targets[0].code = "1.2"
    plan.reports[0].due = "13-01"
    codes = where(pb.check_plan(plan))
    assert ("unknown_indicator", "Phân công", 5) in codes
    assert ("code_mismatch", "Chỉ tiêu", 2) in codes
    assert ("invalid_due", "Báo cáo", 2) in codes


# -- unreadable files -------------------------------------------------------------------

def test_info_and_goal_problems_are_found_where_they_are(tmp_path):
    path = saved(small_plan(), tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["Thông tin chung"]["B6"] = "mười tháng tư"
    wb["Thông tin chung"]["B8"] = 2020
    wb["Mục tiêu"]["A3"] = None
    wb.save(path)
    assert where(pb.check_plan_file(path)) == {
        ("invalid_date", "Thông tin chung", 6), ("bad_period", "Thông tin chung", 8),
        ("missing_goal_number", "Mục tiêu", 3), ("unknown_goal", "Chỉ tiêu", 3)}


@pytest.mark.libreoffice
def test_workbook_saved_by_libreoffice_loads(tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice not installed")
    plan = small_plan()
    (tmp_path / "src").mkdir()
    src = saved(plan, tmp_path / "src")
    out = tmp_path / "out"
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "xlsx", "--outdir", str(out), str(src)],
                   check=True, capture_output=True, timeout=180)
    back = pb.load_plan(out / src.name)
    assert back.to_json() == plan.to_json()
    assert pb.check_plan(back) == []


def test_missing_file_raises_plan_error_naming_it(tmp_path):
    with pytest.raises(PlanError, match="khong-co.xlsx"):
        pb.load_plan(tmp_path / "khong-co.xlsx")


def test_csv_renamed_xlsx_raises_plan_error_naming_it(tmp_path):
    path = tmp_path / "ke-hoach.xlsx"
    path.write_text("Mã,Giá trị\n1.1,30\n", encoding="utf-8")
    with pytest.raises(PlanError, match="ke-hoach.xlsx"):
        pb.load_plan(path)
    [finding] = pb.check_plan_file(path)
    assert finding.code == "unreadable_plan" and finding.file == "ke-hoach.xlsx"


def test_missing_sheet_raises_plan_error_naming_file_and_sheet(tmp_path):
    path = saved(small_plan(), tmp_path)
    wb = openpyxl.load_workbook(path)
    del wb["Đơn vị"]
    wb.save(path)
    with pytest.raises(PlanError, match=r"ke-hoach\.xlsx.*Đơn vị"):
        pb.load_plan(path)


def test_missing_header_raises_plan_error(tmp_path):
    path = saved(small_plan(), tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["Chỉ tiêu"]["A1"] = "Cột lạ"
    wb.save(path)
    with pytest.raises(PlanError, match="Mã dòng"):
        pb.load_plan(path)


# -- bundled examples -------------------------------------------------------------------

@pytest.mark.parametrize("name", pb.EXAMPLES)
def test_bundled_examples_hold_the_plan_json(name):
    path = pb.example_path(name)
    assert path.is_file(), "run tools/build_examples.py"
    plan = pb.load_plan(path)
    assert plan.name == name
    assert plan.to_json() == plan_json(name).to_json()
    assert (ROOT / "templates" / f"{name}.xlsx").read_bytes() == path.read_bytes()


@pytest.mark.parametrize("name", pb.EXAMPLES)
def test_bundled_examples_are_what_the_writer_writes_today(name, tmp_path):
    """A change to the plan workbook's layout (fonts, widths, row heights) reaches the
    bundled examples: they are byte for byte what save_plan writes now (the build is
    reproducible). If this fails, run tools/build_examples.py."""
    out = tmp_path / f"{name}.xlsx"
    pb.save_plan(plan_json(name), out)
    assert out.read_bytes() == pb.example_path(name).read_bytes(), \
        "run tools/build_examples.py"


def test_unknown_example_is_a_usage_error():
    with pytest.raises(UsageError, match="binh-lu"):
        pb.example_path("ha-noi")


# -- the parsed plan kept in .bdg/ (workflow.load) ---------------------------------------

def test_plan_cache_follows_the_workbook_and_survives_a_corrupt_cache(tmp_path):
    from bdg_excel.workflow import init_workspace, load

    ws = init_workspace(tmp_path / "ws")
    path = ws.templates / "ke-hoach.xlsx"
    pb.save_plan(small_plan(), path)
    first = load(ws)
    assert first.title == "Kế hoạch thử"
    caches = list(ws.state_dir.glob("plan-*.pickle"))
    assert len(caches) == 1
    assert load(ws).title == "Kế hoạch thử"        # from the cache
    edited = small_plan()
    edited.title = "Kế hoạch đã sửa"
    pb.save_plan(edited, path)                        # the officer edits the workbook
    assert load(ws).title == "Kế hoạch đã sửa"
    caches[0].write_bytes(b"not a pickle")            # corrupt cache: read the workbook
    assert load(ws).title == "Kế hoạch đã sửa"
    assert load(ws).title == "Kế hoạch đã sửa"        # and it was rewritten
    caches[0].write_bytes(caches[0].read_bytes()[:50])   # truncated
    assert load(ws) == pb.load_plan(path)
    assert [p.name for p in ws.state_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_plan_cache_of_the_flat_layout_is_read_again(tmp_path):
    """A cache written before the stage packages (issue 18) names ``bdg_excel.model.Plan``,
    which no longer exists: the workbook is read again and the cache rewritten."""
    import pickle

    from bdg_excel.workflow import PLAN_CACHE_FORMAT, init_workspace, load

    ws = init_workspace(tmp_path / "ws")
    path = ws.templates / "ke-hoach.xlsx"
    pb.save_plan(small_plan(), path)
    load(ws)
    cache, = ws.state_dir.glob("plan-*.pickle")
    # (1, Plan()) as pickle wrote it then: MARK, INT 1, GLOBAL of the class at its old
    # path, EMPTY_TUPLE, NEWOBJ, TUPLE, STOP
    old = b"(I1\ncbdg_excel.model\nPlan\n)\x81t."
    with pytest.raises(ModuleNotFoundError, match="bdg_excel.model"):
        pickle.loads(old)
    cache.write_bytes(old)
    assert load(ws) == pb.load_plan(path)
    key, plan = pickle.loads(cache.read_bytes())
    assert key[0] == PLAN_CACHE_FORMAT == 3 and type(plan).__module__ == "bdg_excel.plan.model"


def test_every_unit_without_an_address_is_warned_about():
    plan = small_plan()
    plan.units[0].email = None
    plan.units.append(Unit("Hội Phụ nữ xã", ["1.1"], []))
    found = [f for f in pb.check_plan(plan) if f.code == "missing_email"]
    assert [(f.severity, f.sheet, f.row) for f in found] == [("warning", "Đơn vị", 2),
                                                             ("warning", "Đơn vị", 4)]
    assert "Phòng Văn hóa – Xã hội" in found[0].message and "Email" in found[0].message
