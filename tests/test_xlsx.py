"""xlsx.Sheet (the fast worksheet of the consolidated workbook) writes exactly what
xlsxwriter's own Worksheet writes."""

from __future__ import annotations

import zipfile
from datetime import date, datetime

import xlsxwriter

from bdg_excel.core.xlsx import (Formats, Sheet, merge_row, put, put_row, set_heights,
                                 workbook_options)

ROWS = [
    [1, "Phòng Văn hóa – Xã hội", None, 12.5, "", "=1+1", "a < b & c", True, False],
    [2, None, None, None, None, None, None, None, None],
    [3, "x" * 20000, float("nan"), -0.0, 1e-20, 123456789012345678, date(2026, 11, 20),
     datetime(2026, 11, 20, 9, 30), " lề "],
    [4, "dòng 1\ndòng 2", 0, 3, "\x01 điều khiển", "=", "", "+84 912", 7.25],
    [5, None, date(2026, 1, 31), None, None, datetime(2025, 12, 31, 23, 59), None, None, None],
]


def _write(path, fast: bool) -> None:
    wb = xlsxwriter.Workbook(str(path), workbook_options(nan_inf_to_errors=True))
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
    for r in range(220, 260, 3):                        # heading rows merged across
        merge_row(ws, r, 0, 4, f"{r}. Phòng Văn hóa – Xã hội (3 nhiệm vụ)", fm.header)
    # heights of rows with cells, of a row with a format, of a row outside the table
    set_heights(ws, [(r, 15.75 * (1 + r % 3) + 3) for r in range(2, 80)] + [(5, 40), (400, 30)])
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
    wb = xlsxwriter.Workbook(str(tmp_path / "w.xlsx"), workbook_options())
    ws = wb.add_worksheet()
    put_row(ws, 0, [1, "a", None], [None, None, None])
    assert ws.table[0][0].number == 1 and 2 not in ws.table[0]
    wb.close()


def test_fast_workbook_stores_the_same_members_deflated_faster(tmp_path):
    from bdg_excel.core.xlsx import FastWorkbook

    def write(cls, path):
        wb = cls(str(path), workbook_options())
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


# -- measuring text and printing at a fixed scale -----------------------------------------

from bdg_excel.core import xlsx  # noqa: E402


def test_widths_keep_their_pixels_in_the_times_new_roman_unit():
    # a layout character is 7 px (Calibri 11's digit); the workbook's unit 8 px
    for w in (1, 5, 7, 12.5, 46, 110):
        assert abs(xlsx.col_px(w) - (w * 7 + 5)) <= 1
    assert xlsx.col_units(8) == 7


def test_text_is_measured_in_times_new_roman():
    assert xlsx.text_px("0123456789") == 10 * 8            # digits: half an em, 8 px at 12 pt
    assert xlsx.text_px("Đường") == xlsx.text_px("Đường".replace("ờ", "ơ"))   # tones: base
    assert xlsx.text_px("Mm", bold=True) > xlsx.text_px("Mm")
    assert xlsx.text_px("abc", size=24) == 2 * xlsx.text_px("abc")
    assert xlsx.text_px("中") == 16                          # unknown: a whole em, never less


def test_wrapped_lines_wraps_at_spaces_as_excel_does():
    word = "nhiệm"
    w = 20                                                   # 145 px: 139 px of text room
    room = (xlsx.col_px(w) - 6) * 0.96
    line = " ".join([word] * 20)
    one = max(k for k in range(1, 20) if xlsx.text_px(" ".join([word] * k)) <= room)
    assert xlsx.wrapped_lines(" ".join([word] * one), w) == 1
    assert xlsx.wrapped_lines(" ".join([word] * (one + 1)), w) == 2
    assert xlsx.wrapped_lines(line, w) == -(-20 // one)
    assert xlsx.wrapped_lines("a\nb\n\nc", w) == 4           # explicit breaks kept
    assert xlsx.wrapped_lines("x" * 200, w) == -(-xlsx.text_px("x" * 200) // room)
    assert xlsx.wrapped_lines(line, w, bold=True) >= xlsx.wrapped_lines(line, w)
    assert xlsx.wrapped_lines(line, w, size=10) <= xlsx.wrapped_lines(line, w)
    assert xlsx.wrapped_lines("", w) == 1
    sure = xlsx.one_line_chars(w)
    assert xlsx.wrapped_lines("W" * sure, w) == 1            # the widest letters still fit


def test_default_digit_of_a_workbook(tmp_path):
    import openpyxl
    from openpyxl.styles import Font

    path = tmp_path / "ours.xlsx"
    wb = xlsxwriter.Workbook(str(path), workbook_options())
    wb.add_worksheet()
    wb.close()
    assert xlsx.default_digit_px(openpyxl.load_workbook(path)) == 8
    excel = openpyxl.Workbook()                               # Calibri 11
    assert xlsx.default_digit_px(excel) == 7
    excel._fonts[0] = Font(name="Arial", sz=10)
    assert xlsx.default_digit_px(excel) == 7


def _paginated(tmp_path, heights, **kw):
    import openpyxl

    path = tmp_path / "p.xlsx"
    wb = xlsxwriter.Workbook(str(path), workbook_options())
    ws = wb.add_worksheet()
    ws.set_column(0, 4, xlsx.col_units(40))                  # 5 × 285 px: scale 70 %
    for r, h in enumerate(heights):
        ws.write_string(r, 0, f"r{r}")
        if h is not None:
            ws.set_row_pixels(r, h)
    breaks = xlsx.paginate(ws, len(heights) - 1, 4, **kw)
    wb.close()
    return breaks, openpyxl.load_workbook(path).active


def test_paginate_prints_at_a_fixed_scale_and_breaks_where_a_page_is_full(tmp_path):
    breaks, ws = _paginated(tmp_path, [100] * 30)
    scale = int(ws.page_setup.scale)
    assert scale == int(1036 * 100 / (5 * xlsx.col_px(40) * 1.03))
    assert not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage
    per_page = int(679 * 100 / scale * 0.985 // 100)
    assert breaks == list(range(per_page, 30, per_page))
    assert [b.id for b in ws.row_breaks.brk] == breaks       # a break after row id (1-based)
    assert ws.print_title_rows is None


def test_paginate_keeps_groups_together_also_chained_ones(tmp_path):
    plain, _ = _paginated(tmp_path, [100] * 30)
    b = plain[0]                                              # first row of page 2
    # rows b-2..b on one page, and b-3..b-2 (a heading and its first row): both move
    breaks, _ = _paginated(tmp_path, [100] * 30, keep={b: b - 2, b - 2: b - 3})
    assert breaks[0] == b - 3
    # a group taller than a page is split where it must be, never looping
    breaks, _ = _paginated(tmp_path, [100] * 30, keep={29: 0})
    assert breaks and breaks[0] == plain[0]


def test_paginate_repeats_the_header_only_while_its_table_goes_on(tmp_path):
    heights = [30, 30] + [100] * 8 + [30] * 30
    _, ws = _paginated(tmp_path, heights, repeat=(0, 1), table_end=9)   # table fits page 1
    assert ws.print_title_rows is None
    breaks, ws = _paginated(tmp_path, heights, repeat=(0, 1), table_end=30)
    assert ws.print_title_rows == "$1:$2" and breaks


def test_every_workbook_has_the_same_times_new_roman_fonts_without_a_theme_scheme(tmp_path):
    """The default font is Times New Roman 12, family Roman; no font is tied to the theme
    (Excel shows a "minor" scheme font in the theme's own font); and the second workbook
    made in a process is the same as the first (xlsxwriter keeps the options' dict)."""
    import re

    styles = []
    for i in range(2):
        path = tmp_path / f"w{i}.xlsx"
        wb = xlsxwriter.Workbook(str(path), workbook_options())
        Formats(wb).header
        wb.add_worksheet().write_string(0, 0, "Đơn vị", Formats(wb).text)
        wb.close()
        with zipfile.ZipFile(path) as z:
            styles.append(z.read("xl/styles.xml").decode())
    assert styles[0] == styles[1]
    fonts = re.findall(r"<font>(.*?)</font>", styles[0])
    assert fonts and all('<name val="Times New Roman"/>' in f and '<family val="1"/>' in f
                         and "scheme" not in f for f in fonts)
    assert '<sz val="12"/>' in fonts[0]


def test_one_line_chars_counts_the_widest_character_present():
    any_text = xlsx.one_line_chars(30)
    digits = xlsx.one_line_chars(30, chars=set("0123456789"))
    assert digits == 2 * any_text or digits == 2 * any_text + 1     # 8 px digits, 16 px em
    for chars in ("0123456789", "abcdefghijklmnopqrstuvwxyz ", "Công an xã Số 0123456789",
                  "WMmw@", "中文"):
        n = xlsx.one_line_chars(30, chars=set(chars))
        widest = max(chars, key=lambda ch: xlsx.text_px(ch))
        assert xlsx.wrapped_lines(widest * n, 30) == 1
