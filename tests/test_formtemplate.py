"""Form templates (issue 16): an officer restyles templates/bieu-mau.xlsx in Excel (or
LibreOffice); generate builds every form from it; the returns read back exactly like
today's forms."""

from __future__ import annotations

import io
from decimal import Decimal
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
import xlsxwriter

from bdg_excel.forms import formtemplate, layout
from bdg_excel.plan import planbook
from bdg_excel.cli import main
from bdg_excel.plan.model import Plan
from bdg_excel.workflow import consolidate_workspace, generate, init_workspace, load

from cycle_helpers import Fill, return_form, run_cli

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
UNITS = ("Trường Tiểu học Nậm Loỏng", "Trạm Y tế phường")
EXTRA = "Nguồn số liệu chi tiết"


def _plan() -> dict:
    """A percent row with numerator/denominator, a count, a rate per 1.000, a yes/no row
    and one indicator with two target rows; one unit has no task, the other two."""
    def ind(code, text, targets):
        goal, number = code.split(".")
        return {"code": code, "goal": int(goal), "number": int(number), "text": text,
                "targets": targets}

    def tgt(code, op, value, unit, text):
        return {"code": code, "op": op, "value": value, "max": None, "unit": unit,
                "year": 2027, "text": text}

    return {
        "title": "Kế hoạch bình đẳng giới phường Thử", "number": "12/KH-UBND",
        "issuer": "Ủy ban nhân dân phường Tân Thử", "place": "Tân Thử", "date": "2026-02-03",
        "period": {"start": 2026, "end": 2030},
        "goals": [{"number": 1, "title": "Giáo dục"}, {"number": 2, "title": "Y tế"}],
        "indicators": [
            ind("1.1", "Tỷ lệ nữ cán bộ quản lý trường học",
                [tgt("1.1", ">=", 40, "%", "Tỷ lệ nữ cán bộ quản lý trường học")]),
            ind("1.2", "Số buổi sinh hoạt chuyên đề về giới",
                [tgt("1.2", ">=", 6, "buổi", "Số buổi sinh hoạt chuyên đề về giới")]),
            ind("2.1", "Tỷ suất tử vong mẹ; tỷ lệ phụ nữ mang thai được khám thai",
                [tgt("2.1a", "<=", 2, "/1.000", "Tỷ suất tử vong mẹ dưới 2/1.000"),
                 tgt("2.1b", ">=", 90, "%", "90% phụ nữ mang thai được khám thai đủ 4 lần")]),
            ind("2.2", "Có phòng tư vấn sức khỏe sinh sản",
                [tgt("2.2", "qualitative", None, None, "Có phòng tư vấn sức khỏe sinh sản")]),
        ],
        "units": [{"name": UNITS[0], "indicators": ["1.1", "1.2"], "tasks": [],
                   "email": None},
                  {"name": UNITS[1], "indicators": ["2.1", "2.2"],
                   "tasks": ["Tư vấn sức khỏe sinh sản cho vị thành niên",
                             "Truyền thông phòng, chống bạo lực gia đình tại trạm"],
                   "email": None}],
        "reports": [{"kind": "annual", "due": "11-30", "to": "Phòng Văn hóa – Xã hội phường"}],
    }


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def restyled_template(path: Path) -> Path:
    """What an officer makes of the template: the national motto and an emblem on top,
    header cells moved, Arial 11, the indicator text merged over two columns, an extra
    input column "Nguồn số liệu chi tiết" BEFORE "Nguồn số liệu", an extra sheet, print
    setup of its own."""
    wb = xlsxwriter.Workbook(str(path))
    base = {"font_name": "Arial", "font_size": 11, "text_wrap": True, "valign": "vcenter"}
    plain = wb.add_format(base)
    bold = wb.add_format({**base, "bold": True, "align": "center"})
    head = wb.add_format({**base, "bold": True, "border": 1, "bg_color": "#E2EFDA",
                          "align": "center"})
    cell = wb.add_format({**base, "border": 1})
    entry = wb.add_format({**base, "border": 1, "locked": False, "bg_color": "#FFF2CC"})
    ws = wb.add_worksheet(layout.FORM_SHEET)
    widths = [5, 8, 30, 20, 22, 10, 14, 10, 10, 18, 18, 16]
    for i, w in enumerate(widths):
        ws.set_column(i, i, w)
    ws.merge_range("A1:D1", "{{co_quan}}", bold)
    ws.merge_range("F1:L1", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold)
    ws.merge_range("F2:L2", "Độc lập - Tự do - Hạnh phúc", bold)
    ws.insert_image("A2", "emblem.png", {"image_data": io.BytesIO(_png())})
    ws.write("K4", "Mẫu {{bieu_so}}", plain)
    ws.merge_range("A5:E5", "Kính gửi: {{noi_nhan}}", plain)
    ws.merge_range("F5:L5", "Đơn vị báo cáo: {{don_vi}}", plain)
    ws.merge_range("A7:L7", "{{tieu_de}} – {{ky}}", bold)
    ws.merge_range("A8:L8", "Hạn nộp: {{han_nop}} (kế hoạch {{so_ke_hoach}})", plain)
    heads = ["STT", "Mã", "Chỉ tiêu", None, "Mục tiêu kế hoạch", "Đơn vị tính",
             "Kết quả thực hiện", "Tử số", "Mẫu số", EXTRA, "Nguồn số liệu", "Ghi chú"]
    marks = ["{{stt}}", "{{ma}}", "{{chi_tieu}}", None, "{{muc_tieu}}", "{{don_vi_tinh}}",
             "{{ket_qua}}", "{{tu_so}}", "{{mau_so}}", None, "{{nguon}}", "{{ghi_chu}}"]
    ws.merge_range("C10:D10", "Chỉ tiêu", head)
    ws.merge_range("C11:D11", "{{chi_tieu}}", cell)
    for c, (h, m) in enumerate(zip(heads, marks)):
        if h is None:
            continue
        if c != 2:
            ws.write(9, c, h, head)
            ws.write(10, c, m or "", entry if c >= 6 else cell)
    ws.set_row(10, 40)
    ws.conditional_format("G11", {"type": "cell", "criteria": ">", "value": 100,
                                  "format": wb.add_format({"font_color": "#C00000"})})
    ws.write("A13", "B. NHIỆM VỤ", bold)
    ws.write_row("A14", ["STT", "Mã", "Nhiệm vụ"], head)
    ws.write("E14", "Tình trạng", head)
    ws.merge_range("C14:D14", "Nhiệm vụ", head)
    ws.merge_range("F14:L14", "Kết quả thực hiện, khó khăn, đề xuất", head)
    ws.write_row("A15", ["{{stt}}", "{{ma}}"], cell)
    ws.merge_range("C15:D15", "{{nhiem_vu}}", cell)
    ws.write("E15", "{{tinh_trang}}", entry)
    ws.merge_range("F15:L15", "{{ket_qua}}", entry)
    ws.merge_range("H17:L17", "{{dia_danh}}, ngày … tháng … năm {{nam}}", plain)
    ws.merge_range("H18:L18", "THỦ TRƯỞNG ĐƠN VỊ", bold)
    ws.set_portrait()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.print_area("A1:L20")
    notes = wb.add_worksheet("Ghi chú của phòng")
    notes.write("A1", "Biểu này thay mẫu cũ từ năm 2026.")
    wb.close()
    return path


def _saved_by(src: Path, how: str, tmp_path: Path) -> Path:
    if how == "xlsxwriter":
        return src
    if how == "openpyxl":
        out = tmp_path / "openpyxl" / src.name
        out.parent.mkdir()
        openpyxl.load_workbook(src).save(out)
        return out
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) not installed")
    outdir = tmp_path / "lo"
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir),
                    str(src)], check=True, capture_output=True, timeout=180)
    return outdir / src.name


def _workspace(tmp_path: Path, template: Path | None):
    ws = init_workspace(tmp_path / "ws")
    planbook.save_plan(Plan.from_json(_plan(), name="ke-hoach"), ws.templates / "ke-hoach.xlsx")
    if template is not None:
        shutil.copyfile(template, ws.templates / formtemplate.TEMPLATE_NAME)
    return ws, load(ws)


FILLS = {UNITS[0]: {"1.1": Fill(numerator=7, denominator=16, source="Sổ nhân sự", note="ước"),
                    "1.2": Fill(value=9, source="Sổ sinh hoạt")},
         UNITS[1]: {"2.1a": Fill(numerator=1, denominator=1250), "2.1b": Fill(value=92.5),
                    "2.2": Fill(value="Có", note="từ tháng 3")}}
TASKS = {"NV1": ("Đã hoàn thành", "Tư vấn 120 lượt"),
         "NV2": ("Đang thực hiện", "Đã in 500 tờ rơi")}


@pytest.mark.parametrize("saved_by", ["xlsxwriter", "openpyxl", "libreoffice"])
def test_restyled_template_generates_forms_whose_returns_read_back(tmp_path, saved_by):
    src = restyled_template(tmp_path / "bieu-mau.xlsx")
    ws, plan = _workspace(tmp_path, _saved_by(src, saved_by, tmp_path))
    assert plan.name == "ke-hoach"                      # the template is not a plan
    assert formtemplate.check_template(ws.templates / "bieu-mau.xlsx") == []
    forms = {f.unit: f for f in generate(ws, plan, "2026")}
    assert set(forms) == set(UNITS)

    # the officer's look is kept
    path = forms[UNITS[1]].path
    wb = openpyxl.load_workbook(path)
    sheet = wb[layout.FORM_SHEET]
    assert wb.sheetnames[:2] == [layout.FORM_SHEET, "Ghi chú của phòng"]
    assert layout.GUIDE_SHEET in wb.sheetnames
    assert UNITS[1] in wb[layout.GUIDE_SHEET]["A3"].value
    assert wb[layout.META_SHEET].sheet_state == "hidden"
    assert "Ghi chú của phòng" in wb.sheetnames and formtemplate.HELP_SHEET not in wb.sheetnames
    with zipfile.ZipFile(path) as z:
        assert any(n.startswith("xl/media/") for n in z.namelist()), "the emblem was lost"
    assert len(sheet._images) == 1
    assert sheet["F1"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert sheet["F5"].value == f"Đơn vị báo cáo: {UNITS[1]}"
    assert sheet["A5"].value == "Kính gửi: Phòng Văn hóa – Xã hội phường"
    assert sheet["K4"].value == "Mẫu 01/BĐG"
    assert sheet["A8"].value == "Hạn nộp: 30/11/2026 (kế hoạch 12/KH-UBND)"
    assert sheet.page_setup.orientation == "portrait"
    rows = {sheet.cell(row=r, column=2).value: r for r in range(1, sheet.max_row + 1)}
    assert [c for c in rows if c and c[0] in "12N"] == ["2.1a", "2.1b", "2.2", "NV1", "NV2"]
    for code in ("2.1a", "2.1b", "2.2"):
        r = rows[code]
        assert f"C{r}:D{r}" in {str(m) for m in sheet.merged_cells.ranges}
        assert sheet.cell(row=r, column=3).font.name == "Arial"
        assert sheet.row_dimensions[r].height >= 39.5
        assert sheet.cell(row=r, column=7).protection.locked is False        # result
        assert sheet.cell(row=r, column=10).protection.locked is False       # extra column
        assert sheet.cell(row=r, column=2).protection.locked is not False    # code
    r = rows["NV2"]
    assert f"F{r}:L{r}" in {str(m) for m in sheet.merged_cells.ranges}
    assert sheet.cell(row=rows["2.2"], column=8).protection.locked is not False  # no tử số
    assert sheet.protection.sheet
    validated = {str(rng) for dv in sheet.data_validations.dataValidation
                 for rng in dv.sqref.ranges}
    assert {f"G{rows[c]}" for c in ("2.1a", "2.1b", "2.2")} <= validated
    assert f"E{rows['NV1']}" in validated
    # the officer's conditional format on the result cell covers every target row
    officer_cf = [str(cf.sqref) for cf in sheet.conditional_formatting
                  if any(rule.operator == "greaterThan" for rule in cf.rules)]
    assert officer_cf == [f"G{rows['2.1a']}:G{rows['2.2']}"]
    # the signature line moved down with the rows and kept its merge
    sig = next(r for r in range(1, sheet.max_row + 1)
               if str(sheet.cell(row=r, column=8).value or "").startswith("Tân Thử"))
    assert sig > rows["NV2"] and f"H{sig}:L{sig}" in {str(m) for m in sheet.merged_cells.ranges}
    assert sheet.print_area.endswith("$A$1:$L$23")      # 20 + 2 more target rows + 1 task row

    # the unit without tasks: the task template row is gone, the header stays
    other = openpyxl.load_workbook(forms[UNITS[0]].path)[layout.FORM_SHEET]
    assert not any("{{" in str(c.value) for row in other.iter_rows() for c in row if c.value)

    when = datetime(2026, 11, 20, 9)
    return_form(ws, forms, UNITS[0], FILLS[UNITS[0]], when=when)
    return_form(ws, forms, UNITS[1], FILLS[UNITS[1]], TASKS, when=when)
    res = consolidate_workspace(ws, plan, "2026", workers=1)
    assert [f.code for rec, f in res.consolidation.findings if f.severity == "error"] == []
    got = {(r["unit"], r["code"]): r for r in res.consolidation.tidy}
    assert got[(UNITS[0], "1.1")]["value"] == pytest.approx(43.75)
    assert (got[(UNITS[0], "1.1")]["numerator"], got[(UNITS[0], "1.1")]["denominator"]) == (7, 16)
    assert got[(UNITS[0], "1.2")]["value"] == 9
    assert got[(UNITS[1], "2.1a")]["value"] == pytest.approx(0.8)
    assert got[(UNITS[1], "2.1b")]["value"] == pytest.approx(92.5)
    assert {r["status"] for r in got.values()} == {"accepted"}
    by_code = {uv.unit.name + t.code: uv for t_res in res.consolidation.results
               for t in [t_res.target] for uv in t_res.unit_values}
    assert by_code[UNITS[0] + "1.1"].source == "Sổ nhân sự"       # not the extra column
    assert by_code[UNITS[0] + "1.1"].note == "ước"
    assert by_code[UNITS[1] + "2.2"].answer == "Có"
    assert by_code[UNITS[1] + "2.2"].note == "từ tháng 3"
    tasks = {(t.unit.name, t.code): (t.status, t.result) for t in res.consolidation.tasks}
    assert tasks[(UNITS[1], "NV1")] == TASKS["NV1"]
    assert tasks[(UNITS[1], "NV2")] == TASKS["NV2"]


run = run_cli      # (exit code, stdout, stderr) of bdg-excel ARGS, in process


def test_template_init_writes_todays_form_and_generate_uses_it(tmp_path, capsys):
    ws, plan = _workspace(tmp_path, None)
    code, out, _ = run(capsys, "template", "init", "-w", str(ws.root))
    assert code == 0 and "bieu-mau.xlsx" in out
    code, _, err = run(capsys, "template", "init", "-w", str(ws.root))
    assert code == 2 and "không ghi đè" in err            # never overwritten
    code, out, _ = run(capsys, "template", "check", "-w", str(ws.root))
    assert code == 0 and "không có lỗi" in out
    assert load(ws).name == "ke-hoach"
    forms = {f.unit: f for f in generate(ws, plan, "2026")}
    sheet = openpyxl.load_workbook(forms[UNITS[1]].path)[layout.FORM_SHEET]
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert f"Đơn vị báo cáo: {UNITS[1]}" in texts
    assert not any("{{" in t for t in texts)
    when = datetime(2026, 11, 21, 9)
    return_form(ws, forms, UNITS[1], FILLS[UNITS[1]], TASKS, when=when)
    got = {(r["unit"], r["code"]): r["value"]
           for r in consolidate_workspace(ws, plan, "2026", workers=1).consolidation.tidy}
    assert got[(UNITS[1], "2.1b")] == pytest.approx(92.5)


def test_template_check_lists_problems_with_sheet_and_cell(tmp_path, capsys):
    path = tmp_path / "bieu-mau.xlsx"
    formtemplate.write_template(path)
    wb = openpyxl.load_workbook(path)
    ws = wb[layout.FORM_SHEET]
    ws["A3"] = "Người ký: {{nguoi_ky}}"                  # unknown placeholder
    ws["F1"] = "Đơn vị báo cáo: ……"                      # the unit's name no longer shown
    ws["F11"] = "Số liệu"                                # the result header renamed
    row = next(r for r in range(1, 40) if ws.cell(row=r, column=3).value == "{{nhiem_vu}}")
    for c in range(1, 6):                                # the task template row removed
        ws.cell(row=row, column=c).value = None
    ws["C40"] = "{{muc_tieu}}"                           # a row placeholder outside a row
    ws["C40"].value = "{{chi_tieu}} {{ket_qua}}"
    wb.save(path)
    found = formtemplate.check_template(path)
    codes = {(f.code, f.sheet, f.cell) for f in found}
    assert ("template_unknown_placeholder", layout.FORM_SHEET, "A3") in codes
    assert any(f.code == "template_no_row" and "nhiệm vụ" in f.message for f in found)
    assert any(f.code == "template_no_code" and f.row == 40 for f in found)
    assert any(f.code == "template_no_header" for f in found), found
    assert any(f.code == "template_no_unit" and f.severity == "warning" for f in found)
    code, out, _ = run(capsys, "template", "check", str(path))
    assert code == 0
    assert "ô A3" in out and "{{nguoi_ky}}" in out


def test_generate_refuses_a_broken_template_naming_the_problem(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BDG_TODAY", "2026-10-01")
    src = tmp_path / "bieu-mau.xlsx"
    formtemplate.write_template(src)
    wb = openpyxl.load_workbook(src)
    wb[layout.FORM_SHEET]["B3"] = "{{khong_co}}"
    wb.save(src)
    ws, plan = _workspace(tmp_path, src)
    code, _, err = run(capsys, "generate", "-w", str(ws.root), "--period", "2026")
    assert code == 1
    assert "ô B3" in err and "khong_co" in err
    assert not list(ws.forms_dir.glob("*.xlsx"))


def test_workers_give_the_same_forms_in_plan_order(tmp_path):
    from python_calamine import CalamineWorkbook

    src = restyled_template(tmp_path / "bieu-mau.xlsx")
    ws, plan = _workspace(tmp_path, src)
    stamp = datetime(2026, 10, 1, 8).astimezone()
    one = formtemplate.generate_forms(src, plan, tmp_path / "one", "2026", generated_at=stamp)
    two = formtemplate.generate_forms(src, plan, tmp_path / "two", "2026", workers=2,
                                      generated_at=stamp)
    assert [g.unit for g in one] == [g.unit for g in two] == list(UNITS)
    for a, b in zip(one, two):
        assert a.form_version == b.form_version and a.path.name == b.path.name
        wa, wb = (CalamineWorkbook.from_path(str(g.path)) for g in (a, b))
        for name in wa.sheet_names:
            assert wa.get_sheet_by_name(name).to_python() == wb.get_sheet_by_name(name).to_python()


def test_template_made_returns_are_validated_with_their_own_cells(tmp_path):
    src = restyled_template(tmp_path / "bieu-mau.xlsx")
    ws, plan = _workspace(tmp_path, src)
    forms = {f.unit: f for f in generate(ws, plan, "2026")}
    return_form(ws, forms, UNITS[1], {"2.1a": Fill(value="khoảng 3"), "2.1b": Fill(value=150),
                                      "2.2": Fill(value="Có")}, TASKS,
                when=datetime(2026, 11, 20, 9))
    res = consolidate_workspace(ws, plan, "2026", workers=1)
    errors = {(f.target, f.cell) for rec, f in res.consolidation.findings
              if f.severity == "error"}
    # the result column is G in this template (F in the built-in form), rows 11–13
    assert errors == {("2.1a", "G11"), ("2.1b", "G12")}
    assert res.consolidation.submissions[1].status == "needs_fixes"
    feedback = list((ws.outbox / "phan-hoi").glob("*.xlsx"))
    assert len(feedback) == 1
    sheet = openpyxl.load_workbook(feedback[0])[layout.FORM_SHEET]
    assert sheet["G11"].value == "khoảng 3" and sheet["C11"].font.name == "Arial"


def test_what_openpyxl_drops_is_said_and_what_it_keeps_is_kept(tmp_path):
    """Pictures and charts survive a template; shapes and text boxes do not, and template
    check says so for the sheet that has them."""
    path = formtemplate.write_template(tmp_path / "bieu-mau.xlsx")
    # the officer's template: the built-in template's texts, a text box on the form sheet
    # and a chart on a sheet of their own
    tpl = tmp_path / "officer.xlsx"
    wbx = xlsxwriter.Workbook(str(tpl))
    fs = wbx.add_worksheet(layout.FORM_SHEET)
    for row in openpyxl.load_workbook(path)[layout.FORM_SHEET].iter_rows():
        for c in row:
            if c.value is not None:
                fs.write_string(c.row - 1, c.column - 1, str(c.value))
    fs.insert_textbox("L2", "Mẫu của huyện")
    data = wbx.add_worksheet("Số liệu năm trước")
    data.write_column("A1", [3, 5, 8])
    chart = wbx.add_chart({"type": "column"})
    chart.add_series({"values": "='Số liệu năm trước'!$A$1:$A$3"})
    data.insert_chart("C2", chart)
    wbx.close()
    found = formtemplate.check_template(tpl)
    assert [(f.code, f.sheet, f.severity) for f in found] == [
        ("template_shapes_dropped", layout.FORM_SHEET, "warning")]
    ws, plan = _workspace(tmp_path, tpl)
    form = generate(ws, plan, "2026")[1].path
    with zipfile.ZipFile(form) as z:
        names = z.namelist()
    assert any(n.startswith("xl/charts/chart") for n in names)       # the chart is kept
    assert not any("Mẫu của huyện".encode() in zipfile.ZipFile(form).read(n) for n in names
                   if n.startswith("xl/drawings/"))                    # the text box is not


def _ordered_template(path: Path, order: list[str], extra_at: int | None) -> Path:
    """A template whose indicator columns come in ``order`` (layout.PART_A keys), with the
    extra column "Nguồn số liệu chi tiết" inserted at ``extra_at``."""
    by_key = {v: k for k, v in formtemplate.TARGET_FIELDS.items()}
    heads = {c.key: c.header for c in layout.PART_A}
    cols = [(heads[k], "{{" + by_key[k] + "}}") for k in order]
    if extra_at is not None:
        cols.insert(extra_at, (EXTRA, ""))
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(layout.FORM_SHEET)
    ws.write("A1", "Đơn vị báo cáo: {{don_vi}}")
    for c, (head, mark) in enumerate(cols):
        ws.write_string(3, c, head)
        ws.write_string(4, c, mark)
    ws.write_row("A8", ["Mã", "Nhiệm vụ", "Tình trạng", "Kết quả thực hiện, khó khăn, đề xuất"])
    ws.write_row("A9", ["{{ma}}", "{{nhiem_vu}}", "{{tinh_trang}}", "{{ket_qua}}"])
    wb.close()
    return path


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(order=[c.key for c in layout.PART_A], extra=layout.col_index(layout.PART_A, "source"),
         value=Decimal("12.5"), num=3, den=40)      # the extra column just before its namesake
@given(order=st.permutations([c.key for c in layout.PART_A]),
       extra=st.one_of(st.none(), st.integers(0, len(layout.PART_A))),
       value=st.decimals(0, 100, places=2, allow_nan=False), num=st.integers(0, 500),
       den=st.integers(1, 5000))
def test_any_column_order_reads_back(tmp_path, order, extra, value, num, den):
    from bdg_excel.demo import fill_form
    from bdg_excel.intake.returns import read_return

    import tempfile

    root = Path(tempfile.mkdtemp(dir=tmp_path))     # one folder per example
    tpl = _ordered_template(root / "bieu-mau.xlsx", order, extra)
    assert [f for f in formtemplate.check_template(tpl) if f.severity == "error"] == []
    ws, plan = _workspace(root, tpl)
    form = {f.unit: f for f in generate(ws, plan, "2026")}[UNITS[1]].path
    # the unit types into the cells the template put there, found by position, not by header
    columns = list(order)
    if extra is not None:
        columns.insert(extra, "extra")
    book = openpyxl.load_workbook(form)
    sheet = book[layout.FORM_SHEET]
    rows = {sheet.cell(row=r, column=columns.index("code") + 1).value: r
            for r in range(1, sheet.max_row + 1)}
    typed = {"2.1a": {"numerator": num, "denominator": den, "source": "Sổ A", "extra": "x"},
             "2.1b": {"value": float(value), "note": "ghi chú", "extra": "y"}}
    for code, cells in typed.items():
        for key, v in cells.items():
            if key not in columns:
                continue
            sheet.cell(row=rows[code], column=columns.index(key) + 1, value=v)
    out = root / "filled.xlsx"
    book.save(out)
    fill_form(out, out, {}, {"NV2": ("Đang thực hiện", "đang làm")})
    data = read_return(out)
    assert data.findings == [] and data.meta["unit"] == UNITS[1]
    assert set(data.targets) == {"2.1a", "2.1b", "2.2"} and set(data.tasks) == {"NV1", "NV2"}
    a, b = data.targets["2.1a"].cells, data.targets["2.1b"].cells
    assert (a["numerator"], a["denominator"], a["source"]) == (num, den, "Sổ A")
    assert b["value"] == pytest.approx(float(value)) and b["note"] == "ghi chú"
    assert data.tasks["NV2"].cells["status"] == "Đang thực hiện"
    code_col = order.index("code") + (extra is not None and extra <= order.index("code"))
    assert data.targets["2.1a"].refs["code"] == f"{layout.col_letter(code_col)}5"


def test_template_check_missing_result_and_code_columns(tmp_path, capsys):
    path = tmp_path / "mau.xlsx"
    assert main(["template", "init", "-o", str(path)]) == 0
    wb = openpyxl.load_workbook(path)
    ws = wb[layout.FORM_SHEET]
    target_row = next(r for r in range(1, 40) if ws.cell(row=r, column=3).value == "{{chi_tieu}}")
    ws.cell(row=target_row, column=6).value = None              # {{ket_qua}} removed
    task_row = next(r for r in range(1, 40) if ws.cell(row=r, column=3).value == "{{nhiem_vu}}")
    ws.cell(row=task_row, column=2).value = "Mã NV"              # {{ma}} removed
    wb.save(path)
    found = {(f.code, f.row) for f in formtemplate.check_template(path)}
    assert ("template_no_result", target_row) in found
    assert ("template_no_code", task_row) in found
    capsys.readouterr()
    assert main(["template", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"dòng {target_row}" in out and "{{ket_qua}}" in out and "lỗi" in out


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed")
def test_template_made_form_filled_and_saved_by_libreoffice_reads_back(tmp_path):
    src = restyled_template(tmp_path / "bieu-mau.xlsx")
    ws, plan = _workspace(tmp_path, src)
    forms = {f.unit: f for f in generate(ws, plan, "2026")}
    # the unit fills the form, opens it in LibreOffice and saves it there
    filled = return_form(ws, forms, UNITS[0], FILLS[UNITS[0]], when=datetime(2026, 11, 20, 9))
    (tmp_path / "filled").mkdir()
    filled = filled.rename(tmp_path / "filled" / filled.name)
    saved = _saved_by(filled, "libreoffice", tmp_path)
    shutil.copyfile(saved, ws.inbox / "tra-ve-tu-libreoffice.xlsx")
    res = consolidate_workspace(ws, plan, "2026", workers=1)
    got = {(r["unit"], r["code"]): r for r in res.consolidation.tidy}
    assert got[(UNITS[0], "1.1")]["value"] == pytest.approx(43.75)
    assert got[(UNITS[0], "1.2")]["value"] == 9
    assert got[(UNITS[0], "1.1")]["status"] == "accepted"


def test_renamed_form_sheet_is_read_and_named_in_the_guide(tmp_path):
    from bdg_excel.intake.returns import read_return

    src = restyled_template(tmp_path / "bieu-mau.xlsx")
    wb = openpyxl.load_workbook(src)
    wb[layout.FORM_SHEET].title = "Báo cáo năm"
    wb.save(src)
    ws, plan = _workspace(tmp_path, src)
    form = generate(ws, plan, "2026")[1].path
    book = openpyxl.load_workbook(form)
    sheet = book["Báo cáo năm"]
    r = next(r for r in range(1, 30) if sheet.cell(row=r, column=2).value == "2.1b")
    sheet.cell(row=r, column=7).value = "nhiều"
    book.save(tmp_path / "filled.xlsx")
    data = read_return(tmp_path / "filled.xlsx")
    assert data.sheet == "Báo cáo năm" and data.targets["2.1b"].cells["value"] == "nhiều"
    assert data.targets["2.1b"].refs["value"] == f"G{r}"
    guide = " ".join(str(c.value) for c in book[layout.GUIDE_SHEET]["A"] if c.value)
    assert "“Báo cáo năm”" in guide and f"“{layout.FORM_SHEET}”" not in guide


def test_a_formula_in_the_template_row_follows_each_row(tmp_path):
    path = formtemplate.write_template(tmp_path / "bieu-mau.xlsx")
    wb = openpyxl.load_workbook(path)
    sheet = wb[layout.FORM_SHEET]
    r = next(r for r in range(1, 40) if sheet.cell(row=r, column=2).value == "{{ma}}")
    sheet.cell(row=r - 2, column=11).value = "Gấp đôi"
    sheet.cell(row=r, column=11).value = f"=IF(F{r}=\"\",\"\",F{r}*2)"
    sheet.cell(row=r + 8, column=11).value = f"=SUM(K{r}:K{r})+0*$F${r + 1}"   # a total below
    sheet.cell(row=r - 1, column=11).value = f"=COUNT(F{r}:F{r})"             # a count above
    wb.save(path)
    ws, plan = _workspace(tmp_path, path)
    form = openpyxl.load_workbook(generate(ws, plan, "2026")[1].path)[layout.FORM_SHEET]
    rows = [i for i in range(r, r + 3)]
    assert [form.cell(row=i, column=2).value for i in rows] == ["2.1a", "2.1b", "2.2"]
    assert [form.cell(row=i, column=11).value for i in rows] == [
        f"=IF(F{i}=\"\",\"\",F{i}*2)" for i in rows]
    # the unit has 3 target rows and 2 tasks: 2 + 1 rows inserted
    assert form.cell(row=r + 8 + 3, column=11).value == f"=SUM(K{r}:K{r + 2})+0*$F${r + 3}"
    assert form.cell(row=r - 1, column=11).value == f"=COUNT(F{r}:F{r + 2})"


@pytest.mark.parametrize("template", ["init", "restyled"])
def test_a_long_template_made_form_keeps_its_signature_with_the_table_in_excel(tmp_path,
                                                                              template):
    """A template printed "fit to page width" (template init's, or an officer's portrait
    one in Arial with a Calibri default font) made into a form longer than a page: printed
    at the fixed scale that fits the width, with page breaks Excel follows (no automatic
    break is needed), and the signature block on a page with table rows."""
    from print_helpers import excel_pages

    src = tmp_path / "bieu-mau.xlsx"
    if template == "init":
        formtemplate.write_template(src)
    else:
        restyled_template(src)
    ws, plan = _workspace(tmp_path, src)
    unit = plan.unit(UNITS[1])
    unit.tasks = [f"Nhiệm vụ {i}: tuyên truyền, phổ biến pháp luật về bình đẳng giới cho "
                  f"cán bộ, hội viên và nhân dân trên địa bàn" for i in range(1, 41)]
    (form,) = formtemplate.generate_forms(src, plan, tmp_path / "out", "2026",
                                          units=[unit.name])
    pages, automatic = excel_pages(form.path, layout.FORM_SHEET)
    assert len(pages) >= 2 and not automatic
    sheet = openpyxl.load_workbook(form.path)[layout.FORM_SHEET]
    text = {c.row: str(c.value) for row in sheet.iter_rows() for c in row
            if isinstance(c.value, str)}
    sign = min(r for r, t in text.items() if "THỦ TRƯỞNG" in t.upper())
    page = next(p for p in pages if sign in p)
    assert any(t.startswith("Nhiệm vụ") for r, t in text.items() if r in page and r < sign)
    if SOFFICE is None or (template == "restyled" and not _has_font("Carlito")):
        return       # without Calibri's metrics LibreOffice draws Calibri columns wider
    # LibreOffice prints the same pages: none more (a column cut off onto pages of its
    # own), each with the form's rows on it
    from print_helpers import libreoffice_pages

    printed = libreoffice_pages(form.path, tmp_path)
    form_pages = [t for t in printed if "HƯỚNG DẪN" not in t and "thay mẫu cũ" not in t]
    assert len(form_pages) == len(pages)
    assert all("Nhiệm vụ" in t for t in form_pages)


def _has_font(family: str) -> bool:
    """Whether fontconfig knows ``family`` (LibreOffice draws with what it finds)."""
    if shutil.which("fc-list") is None:
        return False
    out = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
    return family.lower() in out.lower()


def test_a_short_template_made_form_prints_as_the_template_says(tmp_path):
    src = restyled_template(tmp_path / "bieu-mau.xlsx")
    ws, plan = _workspace(tmp_path, src)
    (form,) = formtemplate.generate_forms(src, plan, tmp_path / "out", "2026",
                                          units=[UNITS[0]])
    sheet = openpyxl.load_workbook(form.path)[layout.FORM_SHEET]
    assert sheet.sheet_properties.pageSetUpPr.fitToPage       # one page: left fitted
    assert not sheet.row_breaks.brk
