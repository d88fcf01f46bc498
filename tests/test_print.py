"""The plan workbook prints and displays without cut or overlapping text: every sheet A4
landscape fitted to the width with page numbers, and every row as tall as its wrapped
text (xlsxwriter cannot autofit; LibreOffice draws a default-height row's wrapped text
over the rows below)."""

from __future__ import annotations

import openpyxl
import pytest

from bdg_excel.plan import planbook
from bdg_excel.core.xlsx import LINE_PT, wrapped_lines


@pytest.mark.parametrize("name", ["binh-lu", "tam-duong", "lai-chau-vp"])
def test_plan_workbook_rows_fit_their_text_and_pages_fit_the_width(tmp_path, plan_of, name):
    path = tmp_path / "plan.xlsx"
    planbook.save_plan(plan_of(name), path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == planbook.GUIDE_SHEET
    checked = 0
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert str(ws.page_setup.paperSize) == "9", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (ws.page_setup.fitToWidth or 1) == 1 and ws.page_setup.fitToHeight == 0
        assert "&P" in ws.oddFooter.center.text, ws.title
        widths = {k: d.width for k, d in ws.column_dimensions.items()}
        for row in ws.iter_rows(min_row=2):
            need = 1
            for c in row:
                if isinstance(c.value, str) and not c.value.startswith("="):
                    width = widths.get(c.column_letter) or 8.43
                    need = max(need, wrapped_lines(c.value, width * 8 / 7))  # layout chars
            if need > 1:
                height = ws.row_dimensions[row[0].row].height
                assert height and height >= need * LINE_PT, (ws.title, row[0].row, need, height)
                checked += 1
    assert checked >= 5
