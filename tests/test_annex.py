"""report --into (issue 16, CONTRACT section 6): the consolidated figures go into the annex
workbook the level above sent — through placeholders, or through a cell map — and
nothing else in it changes."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from bdg_excel.report.annex import fill_annex
from bdg_excel.cli import main
from bdg_excel.report.consolidate import consolidate
from bdg_excel.workflow import consolidate_workspace, generate

from cycle_helpers import Fill, return_form
from test_formtemplate import TASKS, UNITS, _workspace

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
SHEET = "Phụ lục II"
# code -> row of the annex table
ROWS = {"1.1": 6, "1.2": 7, "2.1a": 8, "2.1b": 9, "2.2": 10}


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    """Both units returned: 1.1 as 7/16, 1.2 left empty; 2.1a as 1/1.250 per 1.000,
    2.1b as 92,5 % without numerator/denominator, 2.2 Có."""
    tmp = tmp_path_factory.mktemp("annex")
    ws, plan = _workspace(tmp, None)
    forms = {f.unit: f for f in generate(ws, plan, "2026")}
    when = datetime(2026, 11, 20, 9)
    return_form(ws, forms, UNITS[0], {"1.1": Fill(numerator=7, denominator=16)}, when=when)
    return_form(ws, forms, UNITS[1], {"2.1a": Fill(numerator=1, denominator=1250),
                                      "2.1b": Fill(value="92,5"), "2.2": Fill(value="Có")},
                TASKS, when=when)
    consolidate_workspace(ws, plan, "2026", workers=1, now=datetime(2026, 12, 1, 8))
    return ws, plan, consolidate(ws, plan, "2026", now=datetime(2026, 12, 1, 8))


def annex_workbook(path: Path, placeholders: bool = True) -> Path:
    """The Sở Nội vụ's annex: a merged title, a table with merged text cells, styled result
    cells, formulas over the results, another sheet."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(SHEET)
    bold = wb.add_format({"bold": True, "align": "center", "font_name": "Times New Roman"})
    head = wb.add_format({"bold": True, "border": 1, "bg_color": "#D9E1F2"})
    num = wb.add_format({"border": 1, "num_format": "0.00", "font_color": "#C00000",
                         "bold": True})
    text = wb.add_format({"border": 1, "text_wrap": True})
    ws.set_column("A:A", 6)
    ws.set_column("B:C", 25)
    ws.set_column("D:H", 14)
    ws.merge_range("A1:H1", "PHỤ LỤC II. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU BÌNH ĐẲNG GIỚI", bold)
    ws.write("A2", "Đơn vị:")
    ws.merge_range("B2:D2", "{{don_vi_bao_cao}}" if placeholders else "", text)
    ws.write("E2", "Kỳ:")
    ws.write("F2", "{{ky}}" if placeholders else "")
    ws.write("A3", "Số đơn vị:")
    ws.write("B3", "{{so_don_vi}}" if placeholders else "")
    ws.write("C3", "{{so_don_vi_da_nop}}" if placeholders else "")
    ws.write_row("A5", ["STT", "Chỉ tiêu", None, "Mục tiêu", "Kết quả", "Đánh giá", "Tử số",
                        "Mẫu số"], head)
    ws.merge_range("B5:C5", "Chỉ tiêu", head)
    for i, (code, r) in enumerate(ROWS.items(), 1):
        ws.write(r - 1, 0, i, text)
        ws.merge_range(r - 1, 1, r - 1, 2, f"Chỉ tiêu {code} theo Kế hoạch của tỉnh", text)
        ph = (lambda f: "{{" + f"{code}.{f}" + "}}") if placeholders else (lambda f: "")
        ws.write(r - 1, 3, ph("chi_tieu"), text)
        ws.write(r - 1, 4, ph("ket_qua"), num)
        ws.write(r - 1, 5, ph("danh_gia"), text)
        ws.write(r - 1, 6, ph("tu_so"), num)
        ws.write(r - 1, 7, ph("mau_so"), num)
    ws.write_formula("E12", "=SUM(E6:E9)", num)
    ws.write_formula("G12", "=IF(H6>0,G6/H6*100,\"\")", num)
    if placeholders:
        ws.write("A14", "{{9.9.ket_qua}}")          # no such target row
        ws.write("B14", "{{1.1.ketqua}}")           # misspelt field
        ws.write("C14", "Ghi chú: {{1.1.ket_qua}} là số ước tính")   # not the whole text
    other = wb.add_worksheet("Hướng dẫn")
    other.write("A1", "Điền đủ các ô màu đỏ.")
    wb.close()
    return path


def _values(path: Path, sheet: str = SHEET) -> dict[str, object]:
    ws = openpyxl.load_workbook(path)[sheet]
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}


def _check_figures(got: dict, res) -> None:
    assert got["B2"] == "Ủy ban nhân dân phường Tân Thử"
    assert got["F2"] == "năm 2026"
    assert (got["B3"], got["C3"]) == (2, 2)
    assert got["E6"] == pytest.approx(43.75) and isinstance(got["E6"], float)
    assert (got["G6"], got["H6"]) == (7, 16) and isinstance(got["G6"], int)
    assert got["D6"] == "≥ 40 %"
    assert got["F6"] in ("Đạt", "Vượt")                   # 43,75 % against ≥ 40 %
    assert "E7" not in got and "F7" in got                 # 1.2: no data, assessment says so
    assert got["F7"] == "Chưa có số liệu"
    assert got["E8"] == pytest.approx(0.8) and (got["G8"], got["H8"]) == (1, 1250)
    assert got["E9"] == pytest.approx(92.5) and "G9" not in got and "H9" not in got
    assert got["E10"] == "Có"
    assert "G10" not in got                                # a yes/no row has no numerator
    # formulas and the rest of the annex are untouched
    assert got["E12"] == "=SUM(E6:E9)"
    assert got["G12"] == '=IF(H6>0,G6/H6*100,"")'
    assert got["A1"].startswith("PHỤ LỤC II") and got["B6"].startswith("Chỉ tiêu 1.1")
    no_data = {f.cell for f in res.findings if f.code == "annex_no_data"}
    assert {"E7", "G7", "H7", "G9", "H9", "G10", "H10"} <= no_data


def _check_untouched(src: Path, out: Path) -> None:
    a, b = openpyxl.load_workbook(src), openpyxl.load_workbook(out)
    assert a.sheetnames == b.sheetnames
    assert b["Hướng dẫn"]["A1"].value == "Điền đủ các ô màu đỏ."
    sa, sb = a[SHEET], b[SHEET]
    assert {str(m) for m in sa.merged_cells.ranges} == {str(m) for m in sb.merged_cells.ranges}
    for ref in ("E6", "G8", "D6", "A5"):
        assert sb[ref].font.b == sa[ref].font.b and sb[ref].font.color == sa[ref].font.color
        assert sb[ref].number_format == sa[ref].number_format
        assert (sb[ref].fill.patternType, sb[ref].fill.fgColor.rgb) == \
            (sa[ref].fill.patternType, sa[ref].fill.fgColor.rgb)
        assert sb[ref].border.left.style == sa[ref].border.left.style == "thin"
    assert sb.column_dimensions["B"].width == sa.column_dimensions["B"].width


def test_placeholders_are_filled_and_the_rest_is_left_alone(cycle, tmp_path):
    ws, plan, c = cycle
    src = annex_workbook(tmp_path / "phu-luc.xlsx")
    before = src.read_bytes()
    res = fill_annex(c, src, tmp_path / "out.xlsx")
    assert src.read_bytes() == before                      # the annex itself is never written
    got = _values(res.path)
    _check_figures(got, res)
    _check_untouched(src, res.path)
    unknown = {f.cell: f.message for f in res.findings if f.code == "annex_unknown_placeholder"}
    assert set(unknown) == {"A14", "B14"}
    assert "9.9" in unknown["A14"] and "ket_qua" in unknown["B14"]
    assert got["A14"] == "{{9.9.ket_qua}}"                 # left in place
    assert got["C14"] == "Ghi chú: {{1.1.ket_qua}} là số ước tính"
    assert all(f.sheet == SHEET and f.file == "phu-luc.xlsx" for f in res.findings)


def test_cell_map_fills_an_annex_that_must_not_be_edited(cycle, tmp_path):
    ws, plan, c = cycle
    src = annex_workbook(tmp_path / "phu-luc.xlsx", placeholders=False)
    rows = ["trang,ô,ký hiệu", f"{SHEET},B2,don_vi_bao_cao", f"{SHEET},F2,{{{{ky}}}}",
            f"{SHEET},B3,so_don_vi", f"{SHEET},C3,so_don_vi_da_nop"]
    for code, r in ROWS.items():
        for col, field in zip("DEFGH", ("chi_tieu", "ket_qua", "danh_gia", "tu_so", "mau_so")):
            rows.append(f"{SHEET},{col}{r},{code}.{field}")
    rows += ["Trang khác,A1,1.1.ket_qua", f"{SHEET},C6,1.1.ket_qua", f"{SHEET},Z0,ky",
             f"{SHEET},A15,4.4.ket_qua"]
    cell_map = tmp_path / "anh-xa.csv"
    cell_map.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    res = fill_annex(c, src, tmp_path / "out.xlsx", cell_map=cell_map)
    got = _values(res.path)
    _check_figures(got, res)
    _check_untouched(src, res.path)
    bad = [f for f in res.findings if f.code == "annex_map_row"]
    assert [f.row for f in bad] == [len(rows) - 3, len(rows) - 2, len(rows) - 1]
    assert "Trang khác" in bad[0].message and "gộp" in bad[1].message and "Z0" in bad[2].message
    assert [f.cell for f in res.findings if f.code == "annex_unknown_placeholder"] == ["A15"]


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed")
def test_formulas_recompute_over_the_figures_in_libreoffice(cycle, tmp_path):
    from python_calamine import CalamineWorkbook

    ws, plan, c = cycle
    res = fill_annex(c, annex_workbook(tmp_path / "phu-luc.xlsx"), tmp_path / "out.xlsx")
    outdir = tmp_path / "lo"
    subprocess.run([SOFFICE, f"-env:UserInstallation={(tmp_path / 'prof').as_uri()}",
                    "--headless", "--norestore", "--convert-to", "xlsx:Calc MS Excel 2007 XML",
                    "--outdir", str(outdir), str(res.path)], check=True, capture_output=True,
                   timeout=180)
    rows = CalamineWorkbook.from_path(str(outdir / "out.xlsx")).get_sheet_by_name(
        SHEET).to_python()
    assert rows[11][4] == pytest.approx(43.75 + 0.8 + 92.5)
    assert rows[11][6] == pytest.approx(7 / 16 * 100)


def test_report_into_command(cycle, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BDG_TODAY", "2026-12-01")
    ws, plan, c = cycle
    src = annex_workbook(tmp_path / "phu-luc.xlsx")
    out = tmp_path / "gui-so" / "phu-luc-da-dien.xlsx"
    code = main(["report", "-w", str(ws.root), "--period", "2026", "--into", str(src),
                 "-o", str(out)])
    text = capsys.readouterr().out
    assert code == 0 and out.is_file()
    assert "ô A14" in text and "9.9" in text and str(out) in text
    assert _values(out)["E8"] == pytest.approx(0.8)
    code = main(["report", "-w", str(ws.root), "--period", "2026", "--into", str(src),
                 "-o", str(src)])
    assert code == 2 and "không bao giờ bị ghi đè" in capsys.readouterr().err
