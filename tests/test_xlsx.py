"""xlsx.Sheet (the fast worksheet of the consolidated workbook) writes exactly what
xlsxwriter's own Worksheet writes."""

from __future__ import annotations

import zipfile
from datetime import date, datetime

import xlsxwriter

from bdg_excel.core.xlsx import WORKBOOK_OPTIONS, Formats, Sheet, put, put_row

ROWS = [
    [1, "Phòng Văn hóa – Xã hội", None, 12.5, "", "=1+1", "a < b & c", True, False],
    [2, None, None, None, None, None, None, None, None],
    [3, "x" * 20000, float("nan"), -0.0, 1e-20, 123456789012345678, date(2026, 11, 20),
     datetime(2026, 11, 20, 9, 30), " lề "],
    [4, "dòng 1\ndòng 2", 0, 3, "\x01 điều khiển", "=", "", "+84 912", 7.25],
    [5, None, date(2026, 1, 31), None, None, datetime(2025, 12, 31, 23, 59), None, None, None],
]


def _write(path, fast: bool) -> None:
    wb = xlsxwriter.Workbook(str(path), {**WORKBOOK_OPTIONS, "nan_inf_to_errors": True})
    if fast:
        wb.worksheet_class = Sheet
    fm = Formats(wb)
    formats = [fm.center, fm.text, None, fm.number, fm.text, None, fm.date, fm.date, None]
    ws = wb.add_worksheet("Bảng")
    ws.set_column(2, 2, 12, fm(italic=True))          # a column format for unformatted cells
    ws.set_row(5, 30, fm(bold=True))                    # a row format
    ws.merge_range(0, 0, 0, 4, "Tiêu đề", fm.header)
    for r, values in enumerate(ROWS * 20, 2):
        if fast:
            put_row(ws, r, values, formats)
        else:
            for c, (v, f) in enumerate(zip(values, formats)):
                put(ws, r, c, v, f)
    put_row(ws, 200, [5, "cột lệch"], [fm.center, fm.text], col=3)
    ws.set_row(300, 20)                                 # a row with attributes only
    ws.autofilter(1, 0, 81, 8)
    wb.close()


def test_sheet_writes_what_worksheet_writes(tmp_path):
    plain, fast = tmp_path / "plain.xlsx", tmp_path / "fast.xlsx"
    _write(plain, False)
    _write(fast, True)
    with zipfile.ZipFile(plain) as a, zipfile.ZipFile(fast) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            if name != "docProps/core.xml":         # creation time
                assert a.read(name) == b.read(name), name


def test_put_row_on_a_plain_worksheet_is_put(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "w.xlsx"), WORKBOOK_OPTIONS)
    ws = wb.add_worksheet()
    put_row(ws, 0, [1, "a", None], [None, None, None])
    assert ws.table[0][0].number == 1 and 2 not in ws.table[0]
    wb.close()


def test_fast_workbook_stores_the_same_members_deflated_faster(tmp_path):
    from bdg_excel.core.xlsx import FastWorkbook

    def write(cls, path):
        wb = cls(str(path), WORKBOOK_OPTIONS)
        ws = wb.add_worksheet("Bảng")
        for r in range(500):
            ws.write_string(r, 0, f"Phòng Văn hóa – Xã hội {r}")
            ws.write_number(r, 1, r * 1.5)
        wb.close()

    write(xlsxwriter.Workbook, tmp_path / "plain.xlsx")
    write(FastWorkbook, tmp_path / "fast.xlsx")
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as a, zipfile.ZipFile(tmp_path / "fast.xlsx") as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert b.getinfo(name).compress_type == zipfile.ZIP_DEFLATED
            if not name.startswith("docProps/core"):   # holds the creation time
                assert a.read(name) == b.read(name), name
    assert FastWorkbook._store_workbook is not xlsxwriter.Workbook._store_workbook
    assert zipfile.ZipFile.writestr is not None and xlsxwriter.workbook.ZipFile is zipfile.ZipFile
