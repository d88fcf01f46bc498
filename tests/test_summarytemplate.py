"""templates/tong-hop.xlsx (issue 16): the consolidated workbook's summary sheet in the
province's own layout."""

from __future__ import annotations

from datetime import datetime

import openpyxl
import pytest
import xlsxwriter

from bdg_excel.report import summarytemplate
from bdg_excel.cli import main
from bdg_excel.report.workbook import SUMMARY
from bdg_excel.workflow import consolidate_workspace, generate

from cycle_helpers import Fill, return_form, sheet_rows
from test_formtemplate import TASKS, UNITS, _workspace


def province_layout(path):
    """Header texts in merged cells, a template row with the indicator merged over C:D,
    a red bold Arial result cell with its own number format, a line under the table."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Mẫu của tỉnh")
    head = wb.add_format({"bold": True, "border": 2, "bg_color": "#FCE4D6",
                          "font_name": "Arial"})
    text = wb.add_format({"border": 1, "text_wrap": True, "font_name": "Arial"})
    num = wb.add_format({"border": 1, "num_format": "0.000", "bold": True,
                         "font_color": "#C00000", "font_name": "Arial"})
    ws.set_column("A:A", 6)
    ws.set_column("C:D", 24)
    ws.set_column("H:H", 45)
    ws.merge_range("A1:G1", "Đơn vị: {{don_vi_bao_cao}} — {{ky}}", head)
    ws.write("A2", "Đã nộp {{so_don_vi_da_nop}}/{{so_don_vi}}")
    ws.write_row("A4", ["Mã", "Đánh giá", "Chỉ tiêu", None, "Kết quả", "Tử số", "Mẫu số"], head)
    ws.merge_range("C4:D4", "Chỉ tiêu", head)
    ws.write("A5", "{{ma}}", text)
    ws.write("H5", "{{tien_do}}", text)
    ws.write("B5", "{{danh_gia}}", text)
    ws.merge_range("C5:D5", "{{chi_tieu}} ({{muc_tieu}})", text)
    ws.write("E5", "{{ket_qua}}", num)
    ws.write("F5", "{{tu_so}}", num)
    ws.write("G5", "{{mau_so}}", num)
    ws.set_row(4, 45)
    ws.merge_range("A7:G7", "Nơi lập: {{dia_danh}}, năm {{nam}}", text)
    wb.close()
    return path


@pytest.fixture
def consolidated(tmp_path):
    ws, plan = _workspace(tmp_path, None)
    province_layout(ws.templates / summarytemplate.TEMPLATE_NAME)
    assert summarytemplate.check_template(ws.templates / summarytemplate.TEMPLATE_NAME) == []
    forms = {f.unit: f for f in generate(ws, plan, "2026")}
    when = datetime(2026, 11, 20, 9)
    return_form(ws, forms, UNITS[0], {"1.1": Fill(numerator=3, denominator=8),
                                      "1.2": Fill(value=11)}, when=when)
    return_form(ws, forms, UNITS[1], {"2.1a": Fill(numerator=3, denominator=2000),
                                      "2.2": Fill(value="Không")}, TASKS, when=when)
    return consolidate_workspace(ws, plan, "2026", workers=1)


def test_summary_sheet_follows_the_template(consolidated):
    path = consolidated.path
    rows = sheet_rows(path, SUMMARY)
    assert rows[0][0] == "Đơn vị: Ủy ban nhân dân phường Tân Thử — năm 2026"
    assert rows[1][0] == "Đã nộp 2/2"
    table = {r[0]: r for r in rows[4:9]}
    assert list(table) == ["1.1", "1.2", "2.1a", "2.1b", "2.2"]
    assert table["1.1"][4] == pytest.approx(37.5) and table["1.1"][5:7] == [3, 8]
    assert table["1.2"][4] == 11
    assert table["2.1a"][4] == pytest.approx(1.5) and table["2.1a"][5:7] == [3, 2000]
    assert table["2.1b"][4] in ("", None) and table["2.1b"][1] == "Chưa có số liệu"
    assert table["2.2"][4] == "Không"
    assert table["1.1"][7].startswith("Cần tăng thêm 2,5 %")   # 37,5 % toward 40 %
    assert table["1.1"][2].startswith("Tỷ lệ nữ cán bộ quản lý trường học (≥ 40 %")
    assert rows[10][0] == "Nơi lập: Tân Thử, năm 2026"        # the line under the table moved
    sheet = openpyxl.load_workbook(path)[SUMMARY]
    merges = {str(m) for m in sheet.merged_cells.ranges}
    assert {"A1:G1", "C4:D4", "A11:G11"} | {f"C{r}:D{r}" for r in range(5, 10)} <= merges
    assert sheet["E6"].font.b and sheet["E6"].font.name == "Arial"
    assert sheet["E6"].number_format == "0.000"
    assert sheet["A4"].border.left.style == "medium"
    assert sheet.row_dimensions[7].height == pytest.approx(45, abs=0.5)
    widths = {c: d.width for d in sheet.column_dimensions.values()
              for c in range(d.min, d.max + 1)}
    # the template's 24.7 digits of Calibri 11 (7 px) are the same pixels in digits of the
    # consolidated workbook's Times New Roman 12 (8 px)
    assert widths[3] == widths[4] == pytest.approx(24.7 * 7 / 8, abs=0.15)
    # the rest of the consolidated workbook is still there
    names = openpyxl.load_workbook(path, read_only=True).sheetnames
    assert "Tình hình nộp" in names and "Dữ liệu tổng hợp" in names


def test_template_init_tong_hop_and_check(tmp_path, capsys):
    ws, plan = _workspace(tmp_path, None)
    assert main(["template", "init", "--tong-hop", "-w", str(ws.root)]) == 0
    path = ws.templates / summarytemplate.TEMPLATE_NAME
    assert path.is_file() and summarytemplate.check_template(path) == []
    wb = openpyxl.load_workbook(path)
    wb.active["A3"] = "{{khong_co}}"
    wb.save(path)
    capsys.readouterr()
    assert main(["template", "check", "-w", str(ws.root)]) == 0
    out = capsys.readouterr().out
    assert "tong-hop.xlsx" in out and "ô A3" in out and "khong_co" in out


@pytest.mark.parametrize("saved_by", ["xlsxwriter", "openpyxl", "libreoffice"])
def test_pictures_of_the_template_are_kept_in_place_and_size(tmp_path, saved_by):
    """An emblem above the table stays where it is; a seal below the table moves down with
    the rows the table gained; both keep their size (two-cell anchors from Excel and
    LibreOffice, one-cell anchors from openpyxl)."""
    import io
    import shutil
    import subprocess

    from test_formtemplate import SOFFICE, _png

    src = tmp_path / "src" / summarytemplate.TEMPLATE_NAME
    src.parent.mkdir()
    province_layout(src)
    wb = openpyxl.load_workbook(src)
    sheet = wb.worksheets[0]
    from openpyxl.drawing.image import Image

    emblem = Image(io.BytesIO(_png()))
    emblem.width, emblem.height = 60, 60
    sheet.add_image(emblem, "I1")
    seal = Image(io.BytesIO(_png()))
    seal.width, seal.height = 80, 40
    sheet.add_image(seal, "B9")
    wb.save(src)
    if saved_by == "xlsxwriter":          # pictures with two-cell anchors
        src = _province_layout_with_pictures(tmp_path / "xw" / summarytemplate.TEMPLATE_NAME)
    elif saved_by == "libreoffice":
        if SOFFICE is None:
            pytest.skip("LibreOffice not installed")
        subprocess.run([SOFFICE, f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                        "--headless", "--convert-to", "xlsx:Calc MS Excel 2007 XML",
                        "--outdir", str(tmp_path / "lo-out"), str(src)],
                       check=True, capture_output=True, timeout=180)
        src = tmp_path / "lo-out" / src.name
    ws, plan = _workspace(tmp_path, None)
    shutil.copyfile(src, ws.templates / summarytemplate.TEMPLATE_NAME)
    forms = {f.unit: f for f in generate(ws, plan, "2026")}
    return_form(ws, forms, UNITS[0], {"1.1": Fill(numerator=3, denominator=8)}, TASKS,
                when=datetime(2026, 11, 20, 9))
    c = consolidate_workspace(ws, plan, "2026", workers=1)
    out = openpyxl.load_workbook(c.path)[SUMMARY]
    images = sorted(out._images, key=lambda im: im.anchor._from.row)
    assert len(images) == 2
    n_rows = len(c.consolidation.results)
    top, low = (im.anchor._from for im in images)
    assert (top.row, top.col) == (0, 8)                    # I1: above the table, in place
    assert (low.row, low.col) == (8 + n_rows - 1, 1)       # B9: moved with the table
    import re
    import zipfile

    with zipfile.ZipFile(c.path) as z:
        drawings = "".join(z.read(n).decode() for n in z.namelist()
                           if n.startswith("xl/drawings/drawing"))
    sizes = {(round(int(cx) / 9525), round(int(cy) / 9525)) for cx, cy in
             re.findall(r'<a:ext cx="(\d+)" cy="(\d+)"/>', drawings)}
    for w, h in [(60, 60), (80, 40)]:
        assert any(abs(w - a) <= 3 and abs(h - b) <= 3 for a, b in sizes), sizes


def _province_layout_with_pictures(path):
    """province_layout with the two pictures inserted by xlsxwriter (two-cell anchors)."""
    import io

    from test_formtemplate import _png

    path.parent.mkdir(parents=True, exist_ok=True)
    province_layout(path)
    wb = openpyxl.load_workbook(path)
    src_ws = wb.worksheets[0]
    out = xlsxwriter.Workbook(str(path))
    ws = out.add_worksheet(src_ws.title)
    ws.set_column("A:A", 6)
    ws.set_column("C:D", 24)
    ws.set_column("H:H", 45)
    for row in src_ws.iter_rows():
        for c in row:
            if c.value is not None:
                ws.write(c.row - 1, c.column - 1, c.value)
    ws.set_row(4, 45)
    ws.insert_image("I1", "emblem.png", {"image_data": io.BytesIO(_png()),
                                         "x_scale": 1.5, "y_scale": 1.5})
    ws.insert_image("B9", "seal.png", {"image_data": io.BytesIO(_png()),
                                       "x_scale": 2, "y_scale": 1})
    out.close()
    return path
