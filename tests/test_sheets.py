"""Column widths and row heights of the consolidated workbook's tables."""

import xlsxwriter
from openpyxl import load_workbook

from bdg_excel.report.sheets import LINE_PT, fit_widths


def test_numbers_widen_their_column_and_never_wrap(tmp_path):
    path = tmp_path / "w.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("t")
    long_text = "Tăng cường công tác tuyên truyền, phổ biến pháp luật về bình đẳng giới " * 2
    rows = [(0, [10001, "ngắn"]), (1, [7, long_text]), (2, [123456.75, None])]  # 0-based
    fit_widths(ws, [("STT", 4, 5), ("Nội dung", 10, 30)], rows)
    wb.close()
    sheet = load_workbook(path)["t"]
    assert sheet.column_dimensions["A"].width >= len("123.456,75")   # wider than its max 5
    assert sheet.row_dimensions[1].height is None                     # a number: one line (1-based)
    assert sheet.row_dimensions[3].height is None
    assert sheet.row_dimensions[2].height >= 4 * LINE_PT              # wrapped text
