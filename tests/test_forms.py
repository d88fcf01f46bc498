"""Form generation: forms read back with openpyxl (and python-calamine, as the reader does).

The expected assignment of target rows to units is written here from the plan texts in
/work/shared/plans (the "Chịu trách nhiệm … báo cáo …" sentences), not from the code
under test.
"""

from __future__ import annotations

import json
import re
import unicodedata
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.cell import MergedCell
from python_calamine import CalamineWorkbook

from bdg_excel.core import errors, vn, xlsx
from bdg_excel.forms import generate as forms, layout
from bdg_excel.plan import targets
from bdg_excel.forms.layout import PART_A, PART_B, col_index
from bdg_excel.plan.model import Indicator, Plan, Target, Unit
from print_helpers import excel_pages

PLANS = Path(__file__).parent / "data" / "plans"
STAMP = datetime(2026, 5, 4, 8, 30, tzinfo=timezone.utc)
PERIODS = {"binh-lu": "2026", "tam-duong": "2025", "lai-chau-vp": "2026"}

# Unit -> target-row codes, in the order the plan's sentence names them.
EXPECTED = {
    "binh-lu": {
        # "Mục tiêu 1; chỉ tiêu 1, 2 của mục tiêu 2; chỉ tiêu 1, 2 của mục tiêu 6"
        "Phòng Văn hóa – Xã hội": ["1.1", "2.1", "2.2", "6.1", "6.2"],
        "Phòng Kinh tế": ["2.3"],                      # chỉ tiêu 3 của mục tiêu 2
        "Văn phòng HĐND và UBND xã": [],
        # "các chỉ tiêu của mục tiêu 4; chỉ tiêu 3, 4 của mục tiêu 3"
        "Trạm Y tế xã": ["4.1", "4.2", "4.3", "3.3", "3.4"],
        # "các chỉ tiêu của mục tiêu 05"; 5.2 has two targets (99,9% …; 99,9% …)
        "Các trường thuộc UBND xã": ["5.1", "5.2a", "5.2b", "5.3", "5.4"],
        "Trung tâm Dịch vụ tổng hợp": ["6.3", "6.4"],  # chỉ tiêu 3, 4 của mục tiêu 6
        "Công an xã": ["3.2a", "3.2b"],                # chỉ tiêu 2 của mục tiêu 3 (90%; 70%)
        "Ủy ban Mặt trận Tổ quốc Việt Nam xã, các tổ chức chính trị- xã hội": [],
    },
    "tam-duong": {
        # "Chỉ tiêu 1, 2 của Mục tiêu 2; Chỉ tiêu 3 của Mục tiêu 3; Chỉ tiêu 3 của
        # Mục tiêu 5; Chỉ tiêu 1, 2 của Mục tiêu 6"
        "Phòng Lao động - Thương binh và Xã hội": ["2.1", "2.2", "3.3", "5.3", "6.1", "6.2"],
        "Phòng Tài chính – Kế hoạch": ["2.3"],        # Chỉ tiêu 3 của Mục 2
        "Phòng Tư pháp": [],
        "Phòng Nội vụ": ["1.1"],                       # chỉ tiêu của Mục tiêu 1
        "Trung tâm Y tế huyện": ["4.1", "4.2", "4.3"],  # các chỉ tiêu của Mục tiêu 4
        "Phòng Giáo dục và Đào tạo": ["5.1", "5.2a", "5.2b"],  # Chỉ tiêu 1, 2 của MT 5
        # "Chỉ tiêu 2 của Mục 3 và Chỉ tiêu 3, 4 của Mục tiêu 6"
        "Phòng Văn hóa và Thông tin": ["3.2a", "3.2b", "6.3", "6.4"],
        "Đài Truyền thanh – Truyền hình huyện": [],
        "Công an huyện": [],
        # "Chỉ tiêu 1 của Mục tiêu 3; Chỉ tiêu 4 của Mục tiêu 5" (50%; 30%)
        "Chi cục Thống kê huyện": ["3.1", "5.4a", "5.4b"],
        "Ủy ban Mặt trận Tổ quốc Việt Nam và các đoàn thể": [],
        "Các cơ quan, ban, ngành liên quan": [],
        "UBND các xã, thị trấn": [],
    },
    "lai-chau-vp": {  # tasks only: no sentence assigns an indicator
        "Các phòng, ban, trung tâm": [],
        "Phòng Hành chính – Quản trị": [],
    },
}


def load_plan(name: str) -> Plan:
    return Plan.from_json(json.loads((PLANS / f"{name}.json").read_text("utf-8")), name)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """plan name -> (plan, [GeneratedForm]) for the three bundled plans."""
    out = {}
    for name, period in PERIODS.items():
        plan = load_plan(name)
        folder = tmp_path_factory.mktemp(name)
        out[name] = plan, forms.generate_forms(plan, folder, period, generated_at=STAMP)
    return out


# -- reading a form back ---------------------------------------------------------------

def _find_row(rows, headers) -> int | None:
    n = len(headers)
    return next((i for i, r in enumerate(rows) if list(r[:n]) == list(headers)), None)


def _table(rows, start: int) -> list[tuple]:
    out = []
    for r in rows[start:]:
        if r[1] in (None, ""):
            break
        out.append(r)
    return out


def read_form(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    ws = wb[layout.FORM_SHEET]
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    a = _find_row(rows, [c.header for c in PART_A])
    b = _find_row(rows, [c.header for c in PART_B])
    return {
        "wb": wb, "ws": ws, "rows": rows, "a_header": a, "b_header": b,
        "a_rows": _table(rows, a + 2) if a is not None else [],
        "b_rows": _table(rows, b + 1) if b is not None else [],
    }


def all_values(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)]
            for ws in wb.worksheets}


def form_for(generated, plan_name: str, unit_name: str):
    plan, results = generated[plan_name]
    unit = plan.unit(unit_name)
    g = next(g for g in results if g.unit == unit.name)
    return plan, unit, g


# -- content ---------------------------------------------------------------------------

@pytest.mark.parametrize("plan_name", list(EXPECTED))
def test_every_unit_has_a_form_with_exactly_its_target_rows(generated, plan_name):
    plan, results = generated[plan_name]
    assert sorted(g.unit for g in results) == sorted(u.name for u in plan.units)
    assert {vn.canonical(u) for u in EXPECTED[plan_name]} == {u.key for u in plan.units}
    for unit_name, codes in EXPECTED[plan_name].items():
        _, unit, g = form_for(generated, plan_name, unit_name)
        form = read_form(g.path)
        assert [r[1] for r in form["a_rows"]] == codes, unit_name
        assert g.n_targets == len(codes)
        for r in form["a_rows"]:
            assert isinstance(r[1], str)  # "4.1" stays text, never the number 4.1
        if not codes:
            assert form["a_header"] is None
            assert layout.PART_A_TITLE not in _texts(form["rows"])


@pytest.mark.parametrize("plan_name", list(EXPECTED))
def test_part_b_holds_the_units_tasks(generated, plan_name):
    plan, results = generated[plan_name]
    for g in results:
        unit = plan.unit(g.unit)
        form = read_form(g.path)
        assert [r[1] for r in form["b_rows"]] == [layout.task_code(i)
                                                  for i in range(len(unit.tasks))]
        assert [r[2] for r in form["b_rows"]] == unit.tasks
        assert g.n_tasks == len(unit.tasks)
        if not unit.tasks:
            assert form["b_header"] is None


def test_lai_chau_forms_have_part_b_only(generated):
    plan, results = generated["lai-chau-vp"]
    for g in results:
        form = read_form(g.path)
        assert form["a_header"] is None and form["b_header"] is not None


def test_tam_duong_statistics_office_has_part_a_only(generated):
    _, _, g = form_for(generated, "tam-duong", "Chi cục Thống kê huyện")
    form = read_form(g.path)
    assert [r[1] for r in form["a_rows"]] == ["3.1", "5.4a", "5.4b"]
    assert form["b_header"] is None


def test_header_rows_match_layout(generated):
    _, _, g = form_for(generated, "binh-lu", "Trạm Y tế xã")
    form = read_form(g.path)
    rows, a, b = form["rows"], form["a_header"], form["b_header"]
    assert list(rows[a][:len(PART_A)]) == [c.header for c in PART_A]
    assert rows[a - 1][0] == layout.PART_A_TITLE
    assert list(rows[a + 1][:len(PART_A)]) == ["A", "B", "C", "D", "E", "1", "2", "3", "4", "5"]
    assert list(rows[b][:len(PART_B)]) == [c.header for c in PART_B]
    assert rows[b - 1][0] == layout.PART_B_TITLE
    assert b > a
    merged = {str(m) for m in form["ws"].merged_cells.ranges}
    desc = col_index(PART_B, "result")
    for r in range(b, b + 1 + len(form["b_rows"])):
        assert f"{layout.cell_ref(r, desc)}:{layout.cell_ref(r, layout.PART_B_LAST_COL)}" in merged


def test_heading_block(generated):
    _, _, g = form_for(generated, "binh-lu", "Trạm Y tế xã")
    texts = _texts(read_form(g.path)["rows"])
    assert f"Biểu số: {layout.FORM_NUMBER}" in texts
    assert ("Ban hành kèm theo Kế hoạch số 645/KH-UBND ngày 10/04/2026 của "
            "Ủy ban nhân dân xã Bình Lư") in texts
    assert "Đơn vị báo cáo: Trạm Y tế xã" in texts
    assert "Đơn vị nhận báo cáo: Ủy ban nhân dân xã (qua Phòng Văn hóa – Xã hội)" in texts
    assert layout.TITLE in texts
    assert "Kỳ báo cáo: năm 2026" in texts
    assert any(t.startswith("Hạn gửi: trước ngày 30/11/2026 — gửi về Ủy ban nhân dân xã")
               for t in texts)
    assert "Đơn vị tính: theo từng chỉ tiêu" in texts
    assert "Bình Lư, ngày …… tháng …… năm 2026" in texts
    for t in ("NGƯỜI LẬP BIỂU", "(Ký, họ tên)", "THỦ TRƯỞNG ĐƠN VỊ", "(Ký, đóng dấu, họ tên)"):
        assert t in texts


def test_heading_omits_unknown_parts_and_follows_the_period(generated, tmp_path):
    plan = load_plan("tam-duong")  # no number, no date
    unit = plan.unit("Phòng Nội vụ")
    path = forms.write_form(plan, unit, "2025-H1", tmp_path / "f.xlsx")
    texts = _texts(read_form(path)["rows"])
    assert "Ban hành kèm theo Kế hoạch của Ủy ban nhân dân huyện Tam Đường" in texts
    assert "Kỳ báo cáo: 6 tháng đầu năm 2025" in texts
    assert any(t.startswith("Hạn gửi: trước ngày 05/06/2025") for t in texts)
    plan.reports = []
    path = forms.write_form(plan, unit, "2025", tmp_path / "g.xlsx")
    texts = _texts(read_form(path)["rows"])
    assert "Hạn gửi: theo thông báo của đơn vị nhận báo cáo" in texts


def test_target_column_shows_the_statement_and_multi_target_texts(generated):
    plan, _, g = form_for(generated, "binh-lu", "Công an xã")
    rows = {r[1]: r for r in read_form(g.path)["a_rows"]}
    tcol = col_index(PART_A, "target")
    for code in ("3.2a", "3.2b"):
        t = plan.target(code)
        assert rows[code][tcol].startswith(t.text)
        assert targets.describe(t) in rows[code][tcol]
    _, _, g = form_for(generated, "binh-lu", "Trạm Y tế xã")
    rows = {r[1]: r for r in read_form(g.path)["a_rows"]}
    assert rows["4.1"][tcol].startswith("< 109 bé trai/100 bé gái")
    assert rows["4.1"][col_index(PART_A, "unit")] == "bé trai/100 bé gái"


def test_unit_with_nothing_assigned_gets_a_note(tmp_path):
    plan = load_plan("binh-lu")
    plan.units.append(Unit("Hội Nông dân xã"))
    path = forms.write_form(plan, plan.units[-1], "2026", tmp_path / "f.xlsx")
    form = read_form(path)
    assert form["a_header"] is None and form["b_header"] is None
    assert any("không giao chỉ tiêu hay nhiệm vụ" in t for t in _texts(form["rows"]))
    assert _meta(path)["targets"] == "" and _meta(path)["tasks"] == ""


# -- protection, validation, print setup -----------------------------------------------

def _expected_inputs(plan: Plan, unit: Unit, form: dict) -> set[str]:
    cells = set()
    for i, t in enumerate(plan.unit_targets(unit)):
        r = form["a_header"] + 2 + i
        keys = ["value", "source", "note"] + (["numerator", "denominator"]
                                               if t.has_fraction else [])
        cells |= {layout.cell_ref(r, col_index(PART_A, k)) for k in keys}
    for i in range(len(unit.tasks)):
        r = form["b_header"] + 1 + i
        cells |= {layout.cell_ref(r, col_index(PART_B, k)) for k in ("status", "result")}
    return cells


def _unlocked(ws) -> dict[str, int]:
    """Unlocked cells (top-left cell of merged ranges) -> 0-based row."""
    return {c.coordinate: c.row - 1 for row in ws.iter_rows() for c in row
            if not isinstance(c, MergedCell) and c.protection.locked is False}


@pytest.mark.parametrize("plan_name", list(EXPECTED))
def test_protected_and_exactly_the_input_cells_unlocked(generated, plan_name):
    plan, results = generated[plan_name]
    for g in results:
        unit = plan.unit(g.unit)
        form = read_form(g.path)
        ws = form["ws"]
        assert ws.protection.sheet is True
        assert ws.protection.password is None
        assert ws.protection.formatRows is False  # False = allowed in OOXML
        assert ws.protection.formatColumns is False
        unlocked = _unlocked(ws)
        sign = form["rows"].index(next(r for r in form["rows"] if r[0] == "(Ký, họ tên)"))
        table = {c for c, r in unlocked.items() if r < sign}
        assert table == _expected_inputs(plan, unit, form), unit.name
        signature = {c: r for c, r in unlocked.items() if r > sign}
        assert signature and all(form["rows"][r][0] is None for r in signature.values())
        assert set(unlocked) == table | set(signature)


def _validation_for(ws, coord: str):
    hits = [dv for dv in ws.data_validations.dataValidation
            if any(coord in rng for rng in dv.sqref.ranges)]
    assert len(hits) == 1, coord
    return hits[0]


@pytest.mark.parametrize("plan_name", list(EXPECTED))
def test_every_input_cell_has_a_validation_with_a_vietnamese_message(generated, plan_name):
    plan, results = generated[plan_name]
    for g in results:
        form = read_form(g.path)
        ws = form["ws"]
        for coord in _expected_inputs(plan, plan.unit(g.unit), form):
            dv = _validation_for(ws, coord)
            assert dv.showInputMessage and dv.promptTitle and dv.prompt
            assert len(dv.promptTitle) <= 32 and len(dv.prompt) <= 255
            assert unicodedata.is_normalized("NFC", dv.prompt)


def test_validation_rules_follow_the_measure(generated):
    plan, unit, g = form_for(generated, "binh-lu", "Trạm Y tế xã")
    form = read_form(g.path)
    ws, a = form["ws"], form["a_header"]
    rows = {t.code: a + 2 + i for i, t in enumerate(plan.unit_targets(unit))}
    value = col_index(PART_A, "value")
    pct = _validation_for(ws, layout.cell_ref(rows["3.3"], value))      # ≥ 100 %
    assert (pct.type, pct.formula1, pct.formula2) == ("decimal", "0", "100")
    assert pct.operator in (None, "between")  # "between" is the OOXML default
    rate = _validation_for(ws, layout.cell_ref(rows["4.2"], value))     # /100.000
    assert (rate.type, rate.operator, rate.formula1) == ("decimal", "greaterThanOrEqual", "0")
    yesno = _validation_for(ws, layout.cell_ref(rows["3.4"], value))    # qualitative
    assert yesno.type == "list" and yesno.formula1 == f'"{targets.YES},{targets.NO}"'
    num = _validation_for(ws, layout.cell_ref(rows["4.2"], col_index(PART_A, "numerator")))
    assert (num.type, num.operator, num.formula1) == ("decimal", "greaterThanOrEqual", "0")
    status = _validation_for(ws, layout.cell_ref(form["b_header"] + 1, col_index(PART_B, "status")))
    assert status.type == "list" and status.formula1 == '"' + ",".join(layout.TASK_STATUSES) + '"'
    # counts are whole numbers: Trung tâm Dịch vụ tổng hợp 6.3 "≥ 4 tin, bài/quý"
    plan, unit, g = form_for(generated, "binh-lu", "Trung tâm Dịch vụ tổng hợp")
    form = read_form(g.path)
    count = _validation_for(form["ws"], layout.cell_ref(form["a_header"] + 2, value))
    assert (count.type, count.operator, count.formula1) == ("whole", "greaterThanOrEqual", "0")
    # number cells are formatted as numbers, input cells yellow, greyed cells locked
    cell = form["ws"][layout.cell_ref(form["a_header"] + 2, value)]
    assert cell.number_format == forms.NUM_FORMAT
    assert cell.fill.fgColor.rgb.endswith(forms.YELLOW.lstrip("#"))
    grey = form["ws"][layout.cell_ref(form["a_header"] + 2, col_index(PART_A, "numerator"))]
    assert grey.protection.locked and grey.fill.fgColor.rgb.endswith(forms.GREY.lstrip("#"))


def test_print_setup(generated):
    _, _, g = form_for(generated, "binh-lu", "Trạm Y tế xã")
    form = read_form(g.path)
    ws, a = form["ws"], form["a_header"]
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) == 9
    # a fixed scale, not "fit to page": Excel ignores manual page breaks on a fitted sheet
    assert not (ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage)
    scale = int(ws.page_setup.scale)
    # parts A and B: part A's header is never repeated above part B
    assert not ws.print_title_rows
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    assert ws["A1"].font.name == "Times New Roman"
    widths = {}  # xlsxwriter groups equal neighbouring columns: <col min=7 max=8>
    for dim in list(ws.column_dimensions.values()):
        if dim.min:
            widths.update({c: dim.width for c in range(dim.min, dim.max + 1)})
    # the default font (Normal style) is Times New Roman 12: 8 px a width unit, the same in
    # Excel and LibreOffice; each column keeps its layout width in pixels (7 px a character)
    with zipfile.ZipFile(g.path) as z:
        styles = z.read("xl/styles.xml").decode()
    first_font = re.search(r"<font>(.*?)</font>", styles).group(1)
    assert 'val="Times New Roman"' in first_font and '<sz val="12"/>' in first_font
    px = [widths[i + 1] * 8 for i in range(len(PART_A))]
    assert px == pytest.approx([c.width * 7 + 5 for c in PART_A], abs=2)
    # the whole width fits the printable width of A4 landscape at that scale
    assert sum(px) * scale / 100 <= xlsx.PRINTABLE_PX[0]
    assert scale >= 70
    # a part-A-only form repeats the part-A header; a part-B-only form the part-B header
    _, _, g = form_for(generated, "binh-lu", "Trung tâm Dịch vụ tổng hợp")
    if not load_plan("binh-lu").unit("Trung tâm Dịch vụ tổng hợp").tasks:
        form = read_form(g.path)
        a = form["a_header"]
        assert form["ws"].print_title_rows.replace("$", "") == f"{a + 1}:{a + 2}"
    _, _, g = form_for(generated, "lai-chau-vp", "Phòng Hành chính – Quản trị")
    form = read_form(g.path)
    b = form["b_header"]
    assert form["ws"].print_title_rows.replace("$", "") == f"{b + 1}:{b + 1}"


def test_sheets_order_guide_and_meta(generated):
    plan, unit, g = form_for(generated, "binh-lu", "Trạm Y tế xã")
    wb = openpyxl.load_workbook(g.path)
    assert wb.sheetnames == [layout.FORM_SHEET, layout.GUIDE_SHEET, layout.META_SHEET]
    assert wb.active.title == layout.FORM_SHEET
    guide = wb[layout.GUIDE_SHEET]
    assert guide.protection.sheet and guide.sheet_state == "visible"
    text = " ".join(str(c.value) for row in guide.iter_rows() for c in row if c.value)
    assert "30/11/2026" in text and ".xlsx" in text and "tử số" in text
    meta = wb[layout.META_SHEET]
    assert meta.sheet_state == "hidden"
    keys = [meta.cell(r + 1, 1).value for r in range(len(layout.META_KEYS))]
    assert keys == list(layout.META_KEYS)
    assert meta.cell(len(layout.META_KEYS) + 1, 1).value is None
    for r in range(len(layout.META_KEYS)):
        assert meta.cell(r + 1, 2).data_type == "s"
    values = _meta(g.path)
    assert values == {
        "tool": layout.TOOL_MARK, "layout": str(layout.LAYOUT_VERSION),
        "plan_name": "binh-lu", "plan_identity": plan.identity(),
        "plan_fingerprint": plan.fingerprint(), "plan_number": "645/KH-UBND",
        "plan_title": plan.title, "unit": "Trạm Y tế xã", "unit_key": unit.key,
        "period": "2026", "form_version": g.form_version,
        "generated_at": "2026-05-04T08:30:00+00:00",
        "targets": "4.1,4.2,4.3,3.3,3.4", "tasks": "NV1,NV2",
        "national": layout.national_meta((t.code, t.national) for t in plan.unit_targets(unit)),
    }
    assert values["national"].split(";")[0].startswith("4.1=")


def _meta(path: Path) -> dict[str, str]:
    ws = openpyxl.load_workbook(path)[layout.META_SHEET]
    return {k: v or "" for k, v in ws.iter_rows(min_col=1, max_col=2, values_only=True)}


def _texts(rows) -> list[str]:
    return [v for r in rows for v in r if isinstance(v, str)]


# -- text, names, robustness -----------------------------------------------------------

def test_text_is_nfc_even_when_the_plan_is_not(tmp_path):
    plan = load_plan("binh-lu")
    unit = plan.unit("Trạm Y tế xã")
    unit.name = unicodedata.normalize("NFD", unit.name)
    unit.tasks = [unicodedata.normalize("NFD", t) for t in unit.tasks]
    plan.indicator("4.1").text = unicodedata.normalize("NFD", plan.indicator("4.1").text)
    [g] = forms.generate_forms(plan, tmp_path, "2026", units=["Trạm Y tế xã"])
    assert unicodedata.is_normalized("NFC", g.path.name)
    for sheet, rows in all_values(g.path).items():
        for v in (v for r in rows for v in r if isinstance(v, str)):
            assert unicodedata.is_normalized("NFC", v), (sheet, v)


_WIN_BAD = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def test_file_names_are_readable_valid_on_windows_and_unique(generated, tmp_path):
    for plan, results in generated.values():
        names = [g.path.name for g in results]
        assert len({n.casefold() for n in names}) == len(names)
        for n in names:
            assert n.endswith(".xlsx") and not _WIN_BAD.search(n) and len(n) < 120
            assert not n.startswith(".") and not n[:-5].endswith((".", " "))
    _, _, g = form_for(generated, "binh-lu", "Trạm Y tế xã")
    assert g.path.name == "BDG_2026_Trạm-Y-tế-xã.xlsx"
    # names that differ only in characters Windows forbids still give distinct files
    plan = Plan(title="KH", units=[Unit("Tổ A/B"), Unit("Tổ A:B"), Unit("CON")])
    results = forms.generate_forms(plan, tmp_path, "2026")
    names = [g.path.name for g in results]
    assert len(set(names)) == 3 and all(not _WIN_BAD.search(n) for n in names)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)  # no temp files left


def test_plan_text_that_looks_like_a_formula_stays_text(tmp_path):
    plan = Plan(title="=KH", number="=1+1", issuer="@UBND", place="-Bình Lư",
                indicators=[Indicator("1.1", 1, 1, "=SUM(A1:A9)", [
                    Target("1.1", ">=", 50, unit="%", text="=SUM(A1:A9)", measure="percent",
                           factor=100)])],
                units=[Unit("=Đơn vị", ["1.1"], ["=HYPERLINK(\"http://x\")", "+cmd"])])
    [g] = forms.generate_forms(plan, tmp_path, "2026")
    form = read_form(g.path)
    assert form["a_rows"][0][col_index(PART_A, "indicator")] == "=SUM(A1:A9)"
    assert [r[2] for r in form["b_rows"]] == ["=HYPERLINK(\"http://x\")", "+cmd"]
    assert "Đơn vị báo cáo: =Đơn vị" in _texts(form["rows"])
    assert _meta(g.path)["plan_number"] == "=1+1"
    with zipfile.ZipFile(g.path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in z.read(name).decode()
    rows = CalamineWorkbook.from_path(str(g.path)).get_sheet_by_name(
        layout.FORM_SHEET).to_python(skip_empty_area=False)
    assert "=SUM(A1:A9)" in [v for r in rows for v in r]


def test_calamine_finds_both_header_rows(generated):
    for plan_name, unit_name in (("binh-lu", "Trạm Y tế xã"), ("tam-duong", "Phòng Nội vụ")):
        _, _, g = form_for(generated, plan_name, unit_name)
        form = read_form(g.path)
        rows = CalamineWorkbook.from_path(str(g.path)).get_sheet_by_name(
            layout.FORM_SHEET).to_python(skip_empty_area=False)
        found = {}
        for i, row in enumerate(rows):
            for name, cols in (("B", PART_B), ("A", PART_A)):
                m = layout.header_map(list(row), cols)
                if m:
                    found.setdefault(name, []).append((i, m))
                    break
        assert [i for i, _ in found["A"]] == [form["a_header"]]
        assert [i for i, _ in found["B"]] == [form["b_header"]]
        assert found["A"][0][1] == {c.key: i for i, c in enumerate(PART_A)}
        assert found["B"][0][1] == {c.key: i for i, c in enumerate(PART_B)}
        codes = [str(r[1]) for r in rows[form["a_header"] + 2:][:len(form["a_rows"])]]
        assert codes == [r[1] for r in form["a_rows"]]


# -- versions, selection, workers ------------------------------------------------------

def test_form_version_tracks_what_the_unit_reports():
    plan = load_plan("binh-lu")
    unit = plan.unit("Trạm Y tế xã")
    v = forms.form_version(plan, unit)
    assert re.fullmatch(r"[0-9a-f]{8}", v)
    fresh = load_plan("binh-lu")
    assert forms.form_version(fresh, fresh.unit("Trạm Y tế xã")) == v
    other = plan.unit("Công an xã")
    plan.target("3.2a").value = 95  # another unit's target
    plan.date = "2026-05-01"
    assert forms.form_version(plan, unit) == v
    assert forms.form_version(plan, other) != forms.form_version(load_plan("binh-lu"), other)
    plan.target("4.2").value = 45
    assert forms.form_version(plan, unit) != v
    v2 = forms.form_version(plan, unit)
    unit.tasks.append("Nhiệm vụ mới")
    assert forms.form_version(plan, unit) != v2


def test_units_are_matched_on_canonical_names(tmp_path):
    plan = load_plan("binh-lu")
    results = forms.generate_forms(plan, tmp_path, "2026",
                                   units=["  trạm y tế XÃ ", "Phòng Văn hoá - Xã hội"])
    assert [g.unit for g in results] == ["Phòng Văn hóa – Xã hội", "Trạm Y tế xã"]
    with pytest.raises(errors.UsageError) as exc:
        forms.generate_forms(plan, tmp_path, "2026", units=["Trạm Y tế huyện"])
    assert "Trạm Y tế huyện" in str(exc.value) and "Công an xã" in str(exc.value)
    with pytest.raises(errors.UsageError):
        forms.generate_forms(plan, tmp_path, "năm 2026")


def test_workers_give_the_same_forms(tmp_path):
    plan = load_plan("tam-duong")
    calls = []
    one = forms.generate_forms(plan, tmp_path / "one", "2025", generated_at=STAMP)
    two = forms.generate_forms(plan, tmp_path / "two", "2025", workers=2,
                               generated_at=STAMP, progress=lambda n, t: calls.append((n, t)))
    strip = lambda gs: [(g.unit, g.path.name, g.form_version, g.n_targets, g.n_tasks)
                        for g in gs]
    assert strip(one) == strip(two)
    assert calls[-1] == (len(plan.units), len(plan.units))
    assert [n for n, _ in calls] == sorted(n for n, _ in calls)
    for a, b in zip(one, two):
        assert all_values(a.path) == all_values(b.path)


def test_write_form_replaces_an_existing_file(tmp_path):
    plan = load_plan("binh-lu")
    unit = plan.unit("Công an xã")
    path = tmp_path / "form.xlsx"
    path.write_bytes(b"old")
    assert forms.write_form(plan, unit, "2026", path, generated_at=STAMP) == path
    assert read_form(path)["a_rows"]
    assert [p.name for p in tmp_path.iterdir()] == ["form.xlsx"]


def test_an_unwritable_output_is_reported_not_left_half_written(tmp_path):
    plan = load_plan("binh-lu")
    target = tmp_path / "form.xlsx"
    target.mkdir()  # stands in for a file Windows refuses to replace
    with pytest.raises(errors.OutputLocked) as exc:
        forms.write_form(plan, plan.unit("Công an xã"), "2026", target)
    assert "form.xlsx" in str(exc.value)
    assert [p.name for p in tmp_path.iterdir()] == ["form.xlsx"]  # temp file removed


@pytest.mark.libreoffice
def test_long_form_prints_parts_apart_and_the_signature_with_rows(tmp_path, plan_of):
    """A unit with many target rows and tasks, printed by LibreOffice: no page shows part
    A's header above part B, and the page with the signature block also holds table rows."""
    from print_helpers import SOFFICE, libreoffice_pages

    if not SOFFICE:
        pytest.skip("LibreOffice not installed")
    plan = plan_of("tam-duong")
    unit = max(plan.units, key=lambda u: len(u.indicators))
    unit.tasks = [f"Nhiệm vụ thử số {i}: tổ chức tuyên truyền, phổ biến pháp luật về bình đẳng "
                  f"giới cho cán bộ, hội viên và nhân dân trên địa bàn" for i in range(1, 19)]
    period = str(plan.period_start)
    (g,) = forms.generate_forms(plan, tmp_path / "f", period, units=[unit.name],
                                generated_at=STAMP)
    pages = libreoffice_pages(g.path, tmp_path, layout=True)
    form_pages = [p for p in pages if "NV" in p or "Mục tiêu kế hoạch" in p or "NGƯỜI" in p]
    assert len(form_pages) >= 2
    b_pages = [p for p in form_pages if "NV" in p]
    for p in b_pages:
        if "B. KẾT QUẢ" not in p:
            assert "Mục tiêu kế hoạch" not in p          # part A header not repeated
    sign = next(p for p in form_pages if "NGƯỜI LẬP BIỂU" in p)
    assert re.search(r"NV\d+", sign)                     # never alone on its page
    # nothing cut at the right: every page's table keeps its last column
    assert all("Ghi chú" in p or "đề xuất" in p or "NGƯỜI" in p
               for p in form_pages if "STT" in p)


@pytest.mark.parametrize("plan_name,n_tasks,n_targets", [
    ("binh-lu", 0, None), ("binh-lu", 7, None), ("tam-duong", 18, None),
    ("lai-chau-vp", 30, None), ("tam-duong", 44, 1), ("binh-lu", 12, 0),
    ("lai-chau-vp", 0, 40)])
def test_excel_prints_the_form_on_our_page_breaks(tmp_path, plan_of, plan_name, n_tasks,
                                                  n_targets):
    """Simulating Excel's pagination from the file (fixed scale, row heights, manual
    breaks): every page starts where bdg-excel broke it (no automatic break, so Excel and
    LibreOffice print the same pages), the signature block shares its page with the last
    table rows, and part B's title, header and first task start a page together."""
    plan = plan_of(plan_name)
    unit = max(plan.units, key=lambda u: len(u.indicators))
    words = ["tuyên truyền", "phổ biến pháp luật về bình đẳng giới", "cho cán bộ, hội viên",
             "và nhân dân", "ở các thôn, bản vùng sâu, vùng xa", "lồng ghép giới"]
    if n_tasks:
        unit.tasks = [f"Nhiệm vụ {i}: " + ", ".join(words[: 1 + (i * 5) % len(words)])
                      for i in range(1, n_tasks + 1)]
    else:
        unit.tasks = []
    if n_targets is not None:          # 0, one, or every indicator of the plan
        unit.indicators = [i.code for i in plan.indicators][:n_targets]
    (g,) = forms.generate_forms(plan, tmp_path, str(plan.period_start), units=[unit.name],
                                generated_at=STAMP)
    pages, automatic = excel_pages(g.path, layout.FORM_SHEET)
    assert not automatic, [len(p) for p in pages]
    ws = openpyxl.load_workbook(g.path)[layout.FORM_SHEET]
    text = {r: " ".join(str(c.value) for c in row if c.value is not None)
            for r, row in enumerate(ws.iter_rows(), 1)}
    sign_row = next(r for r, t in text.items() if "NGƯỜI LẬP BIỂU" in t)
    sign_page = next(p for p in pages if sign_row in p)
    table_rows = [r for r in sign_page if r < sign_row and re.match(r"^\d+ ", text[r])]
    assert table_rows, "the signature block sits alone on its page"
    part_b = next((r for r, t in text.items() if t.startswith("B. KẾT QUẢ")), None)
    if part_b is not None:
        page = next(p for p in pages if part_b in p)
        assert part_b + 2 in page                         # title, header, first task
        a_header = next((r for r, t in text.items() if t.startswith("STT Mã Chỉ tiêu")), None)
        for p in pages:
            if any(r > part_b for r in p) and a_header:
                assert ws.print_title_rows is None        # part A's header never repeated
