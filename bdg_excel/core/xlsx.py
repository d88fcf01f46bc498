"""Small helpers for writing new workbooks with xlsxwriter, shared by every writer.

Text is always written as text (``write_string``): a value coming from a return that
starts with = + - @ can never become a formula in anything we produce.
"""

from __future__ import annotations

import types
from functools import lru_cache
import zipfile
from datetime import date, datetime
from itertools import count, repeat
from pathlib import Path

from . import vn
from xlsxwriter import workbook as _workbook_module
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

try:    # xlsxwriter's cell records (internal; without them Sheet falls back to put())
    from xlsxwriter.worksheet import (CellBlankTuple as _Blank, CellDatetimeTuple as _Datetime,
                                      CellNumberTuple as _Number, CellStringTuple as _String)
except ImportError:   # pragma: no cover
    _Blank = _Datetime = _Number = _String = None
try:
    from xlsxwriter.worksheet import RowInfo as _RowInfo
except ImportError:   # pragma: no cover
    _RowInfo = None

FONT = "Times New Roman"
NUMBER_FORMAT = "#,##0.##"
NUMBER_DECIMALS = 2     # the most decimals NUMBER_FORMAT shows
DATE_FORMAT = "dd/mm/yyyy"


def shown_number(x: float | None) -> str:
    """A number as a cell of :data:`NUMBER_FORMAT` shows it, in Vietnamese notation
    (96,44; 1.234,5): what a document quoting the workbook must print."""
    if x is None:
        return ""
    from decimal import ROUND_HALF_UP, Decimal     # 0,995 shows as 1, as in Excel

    step = Decimal(1).scaleb(-NUMBER_DECIMALS)
    return vn.format_number(float(Decimal(repr(vn.tidy_float(float(x)))).quantize(
        step, rounding=ROUND_HALF_UP)) + 0.0)


#: Every workbook bdg-excel writes has Times New Roman 12 as its default font (the Normal
#: style), as administrative documents do (:func:`workbook_options`). The default font
#: sets the unit of column widths (its digit: 8 px at 96 dpi) and Times New Roman has the same metrics everywhere (Liberation
#: Serif, metric-compatible, stands in for it in LibreOffice), so a sheet's printed width and
#: its wrapped lines are known before Excel or LibreOffice opens it. (With Excel's Calibri,
#: a reader without Calibri draws every column a different width.)
def workbook_options(**extra) -> dict:
    """Options for a new xlsxwriter Workbook: text stays text, Times New Roman 12 default.
    A new dict each time: xlsxwriter keeps and changes the default format's dict. Fonts
    carry no theme scheme (Excel would show a "minor" scheme font in the theme's Calibri)
    and the family of Times New Roman (1, serif: what a reader without it substitutes)."""
    return {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
            "strings_to_urls": False,
            "default_format_properties": {"font_name": FONT, "font_size": 12,
                                          "font_family": 1, "font_scheme": "none"},
            "default_column_width": 72, "default_row_height": 21, **extra}
DIGIT_PX, PADDING_PX = 8, 5
#: Widths in bdg-excel's layouts are "characters" of 7 px (Excel's classic unit, the digit
#: of Calibri 11); :func:`col_units` turns one into the workbook's unit, same pixels.
LAYOUT_CHAR_PX = 7

LINE_PT = 15.75   # height of one line of 12 pt Times New Roman


def col_units(width: float) -> float:
    """A layout width (characters of 7 px) in the column unit of a workbook made with
    :func:`workbook_options` (Times New Roman 12 digits, 8 px): the same width in pixels."""
    return width * LAYOUT_CHAR_PX / DIGIT_PX


def col_px(width: float) -> int:
    """Pixels (96 dpi) of a column of layout width ``width``, as Excel draws it."""
    return int(col_units(width) * DIGIT_PX + 0.5) + PADDING_PX


# Advance widths of Times New Roman in 1/2048 em, read from Liberation Serif 2 (same
# metrics); letters with tone marks are as wide as their base letter.
_METRIC_CHARS = (" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
                 "abcdefghijklmnopqrstuvwxyz{|}~ăâđêôơưĂÂĐÊÔƠƯ–—“”‘’…≥≤×·•")
_TNR_REGULAR = dict(zip(_METRIC_CHARS, (
    512, 682, 836, 1024, 1024, 1706, 1593, 369, 682, 682, 1024, 1155, 512, 682, 512,
    569, 1024, 1024, 1024, 1024, 1024, 1024, 1024, 1024, 1024, 1024, 569, 569, 1155,
    1155, 1155, 909, 1886, 1479, 1366, 1366, 1479, 1251, 1139, 1479, 1479, 682, 797,
    1479, 1251, 1821, 1479, 1479, 1139, 1479, 1366, 1139, 1251, 1479, 1479, 1933, 1479,
    1479, 1251, 682, 569, 682, 961, 1024, 682, 909, 1024, 909, 1024, 909, 682, 1024,
    1024, 569, 569, 1024, 569, 1593, 1024, 1024, 1024, 1024, 682, 797, 569, 1024, 1024,
    1479, 1024, 1024, 909, 983, 410, 983, 1108, 909, 909, 1024, 909, 1024, 1083, 1110,
    1479, 1479, 1479, 1251, 1479, 1479, 1589, 1024, 2048, 909, 909, 682, 682, 2048,
    1124, 1124, 1155, 682, 717,)))
_TNR_BOLD = dict(zip(_METRIC_CHARS, (
    512, 682, 1137, 1024, 1024, 2048, 1706, 569, 682, 682, 1024, 1167, 512, 682, 512,
    569, 1024, 1024, 1024, 1024, 1024, 1024, 1024, 1024, 1024, 1024, 682, 682, 1167,
    1167, 1167, 1024, 1905, 1479, 1366, 1479, 1479, 1366, 1251, 1593, 1593, 797, 1024,
    1593, 1366, 1933, 1479, 1593, 1251, 1593, 1479, 1139, 1366, 1479, 1479, 2048, 1479,
    1479, 1366, 682, 569, 682, 1190, 1024, 682, 1024, 1139, 909, 1139, 909, 682, 1024,
    1139, 569, 682, 1139, 569, 1706, 1139, 1024, 1139, 1139, 909, 797, 682, 1139, 1024,
    1479, 1024, 1024, 909, 807, 451, 807, 1065, 1024, 1024, 1139, 909, 1024, 1134, 1229,
    1479, 1479, 1479, 1366, 1593, 1593, 1630, 1024, 2048, 1024, 1024, 682, 682, 2048,
    1124, 1124, 1167, 683, 717,)))
_EM = 2048
_WIDE = 2048          # a character outside the table: as wide as an em (never too narrow)
#: Room kept in every wrapped line: Excel draws text on screen with whole-pixel glyphs,
#: slightly wider than the printed font, and the cell keeps a margin each side
_LINE_ROOM = 0.96
_CELL_MARGIN_PX = 6


def _with_tones(table: dict[str, int]) -> dict[str, int]:
    import unicodedata
    out = dict(table)
    for ch in list(table):
        for mark in "\u0300\u0301\u0303\u0309\u0323":
            toned = unicodedata.normalize("NFC", ch + mark)
            if len(toned) == 1:
                out.setdefault(toned, table[ch])
    return out


_TNR_REGULAR = _with_tones(_TNR_REGULAR)
_TNR_BOLD = _with_tones(_TNR_BOLD)


def text_px(text: str, size: float = 12, bold: bool = False) -> float:
    """Width in pixels (96 dpi) of ``text`` on one line in Times New Roman ``size`` pt."""
    table = _TNR_BOLD if bold else _TNR_REGULAR
    units = sum(map(table.get, text, repeat(_WIDE)))
    return units * size * 4 / 3 / _EM


#: the width of a digit in em, by font, for the default fonts workbooks come with
_DIGIT_EM = {"calibri": 0.507, "carlito": 0.507, "arial": 0.556, "liberation sans": 0.556,
             "times new roman": 0.5, "liberation serif": 0.5, "aptos narrow": 0.47,
             "cambria": 0.555, "tahoma": 0.546, "verdana": 0.636}


def stored_col_widths(ws) -> dict[int, float]:
    """Column (1-based) -> width as an openpyxl sheet's file stores it (digits of its
    default font, padding included); hidden columns 0. One <col> element may span several
    columns (xlsxwriter groups equal neighbours)."""
    out: dict[int, float] = {}
    for dim in list(ws.column_dimensions.values()):
        if dim.min and dim.width:
            for col in range(dim.min, (dim.max or dim.min) + 1):
                out[col] = 0.0 if dim.hidden else dim.width
    return out


def default_digit_px(wb, exact: bool = False) -> float:
    """Pixels of a digit of an openpyxl workbook's default font (the unit of its column
    widths): 7 for Excel's Calibri 11 (Excel rounds to whole pixels), 8 for Times New
    Roman 12. ``exact``: the unrounded width (7.4 for Calibri 11), which LibreOffice uses:
    the wider of the two is what a page must hold."""
    try:
        font = wb._fonts[0]
        name, size = (font.name or "Calibri").lower(), float(font.sz or 11)
    except (AttributeError, IndexError, TypeError, ValueError):
        name, size = "calibri", 11.0
    px = size * 4 / 3 * _DIGIT_EM.get(name, 0.507)
    return px if exact else max(1, round(px))


def one_line_chars(width: float, size: float = 12, chars: str | set[str] = "",
                   bold: bool = False) -> int:
    """Text of at most this many characters certainly fits one line of a cell ``width``
    layout characters wide: text made of ``chars`` only (the widest of them counts), or
    any text (no character is counted wider than an em)."""
    room = (col_px(width) - _CELL_MARGIN_PX) * _LINE_ROOM
    table = _TNR_BOLD if bold else _TNR_REGULAR
    widest = max(map(table.get, chars, repeat(_WIDE)), default=_WIDE) if chars else _WIDE
    return max(0, int(room / (size * 4 / 3 * widest / _EM)))


@lru_cache(maxsize=1 << 16)
def wrapped_lines(text: str, width: float, *, size: float = 12, bold: bool = False) -> int:
    """How many lines ``text`` takes in a cell ``width`` layout characters wide (the sum of
    the merged columns' widths), wrapped at spaces as Excel and LibreOffice wrap it, in
    Times New Roman ``size`` pt; explicit line breaks are kept. xlsxwriter cannot autofit
    row heights, so writers set them from this."""
    room = (col_px(width) - _CELL_MARGIN_PX) * _LINE_ROOM * _EM * 3 / 4 / size
    table = _TNR_BOLD if bold else _TNR_REGULAR
    get = table.get
    text = str(text)
    if "\n" not in text and sum(map(get, text, repeat(_WIDE))) <= room:
        return 1                                        # the common case: one line
    space = table[" "]
    total = 0
    for para in text.split("\n"):
        lines, used = 1, 0.0
        for word in para.split(" "):
            w = sum(map(get, word, repeat(_WIDE)))
            if used and used + space + w > room:        # the word starts a new line
                lines += 1
                used = 0.0
            elif used:
                used += space
            while w > room:                             # a word longer than the line
                lines += 1
                w -= room
            used += w
        total += lines
    return total


def clip_to_lines(text: str | None, width: float, lines: int) -> str | None:
    """``text`` cut at a word so that it takes at most ``lines`` lines of a cell ``width``
    layout characters wide, ending in "…" where it was cut (line breaks become spaces)."""
    if not text or wrapped_lines(text, width) <= lines:
        return text
    words = " ".join(str(text).split()).split(" ")
    lo, hi = 0, len(words)              # the most words that fit with the ellipsis
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if wrapped_lines(" ".join(words[:mid]) + " …", width) <= lines:
            lo = mid
        else:
            hi = mid - 1
    return (" ".join(words[:lo]).rstrip(",;:.") + " …") if lo else str(text)[:20] + "…"


def put(ws, row: int, col: int, value, fmt=None) -> None:
    """Write one cell by the Python type of ``value``; None leaves a (formatted) blank."""
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, "Có" if value else "Không", fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, fmt)
    elif isinstance(value, (datetime, date)):
        ws.write_datetime(row, col, value if isinstance(value, datetime)
                          else datetime(value.year, value.month, value.day), fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def merge_row(ws, row: int, first_col: int, last_col: int, value, fmt) -> None:
    """Merge columns first_col..last_col of ``row`` holding ``value``: at once on a
    :class:`Sheet`, by ``merge_range`` on any other worksheet."""
    fast = getattr(ws, "merge_row", None)
    if fast is not None:
        fast(row, first_col, last_col, value, fmt)
    else:
        ws.merge_range(row, first_col, row, last_col, value, fmt)


def set_heights(ws, heights) -> None:
    """Row heights (row, pt): at once on a :class:`Sheet`, by ``set_row`` elsewhere."""
    fast = getattr(ws, "set_heights", None)
    if fast is not None:
        fast(heights)
    else:
        for row, height in heights:
            ws.set_row(row, height)


def put_row(ws, row: int, values: list, formats: list, col: int = 0) -> None:
    """:func:`put` for each of ``values`` (with the format at the same position), from
    column ``col``: at once on a :class:`Sheet`, cell by cell on any other worksheet."""
    fast = getattr(ws, "put_row", None)
    if fast is not None:
        fast(row, values, formats, col)
        return
    for c, (value, fmt) in enumerate(zip(values, formats), col):
        put(ws, row, c, value, fmt)


class Sheet(Worksheet):
    """A worksheet for tables of tens of thousands of rows (the consolidated workbook of
    10,000 units holds over half a million cells): :meth:`put_row` stores a row of cells
    without xlsxwriter's per-call checks, and plain cells (text, number, date, blank) are
    serialised without its per-attribute escaping. The file is byte for byte what
    xlsxwriter's Worksheet writes (tests/test_xlsx.py compares them); anything unusual
    (booleans, very long text, comments, constant_memory) takes xlsxwriter's own path.

    Use it with ``workbook.worksheet_class = Sheet`` before adding the sheets."""

    _fast = _String is not None

    def put_row(self, row: int, values: list, formats: list, col: int = 0) -> None:
        if not self._fast or self.constant_memory or not 0 <= row < self.xls_rowmax \
                or col < 0 or col + len(values) > self.xls_colmax:
            for c, (value, fmt) in enumerate(zip(values, formats), col):
                put(self, row, c, value, fmt)
            return
        cells = self.table[row]
        new = tuple.__new__       # the records are named tuples: skip their __new__
        sst = self.str_table      # SharedStringTable._get_shared_string_index, inlined:
        strings = sst.string_table    # string -> index; sst.count is added to at the end
        shared = 0
        longest = self.xls_strmax // 2
        for c, value, fmt in zip(count(col), values, formats):
            kind = value.__class__
            if kind is str and value and len(value) <= longest:
                index = strings.get(value)
                if index is None:
                    index = strings[value] = sst.unique_count
                    sst.unique_count += 1
                shared += 1
                cells[c] = new(_String, (index, fmt))
            elif kind is int or (kind is float and value - value == 0):   # finite
                cells[c] = new(_Number, (value, fmt))
            elif value is None:
                if fmt is None:
                    continue
                cells[c] = new(_Blank, (fmt,))
            elif kind is datetime or kind is date:
                if kind is date:
                    value = datetime(value.year, value.month, value.day)
                cells[c] = new(_Datetime, (self._convert_date_time(value),
                                           fmt if fmt is not None else self.default_date_format))
            else:           # "" and booleans, NaN, long text: as put() does
                put(self, row, c, value, fmt)
        sst.count += shared
        if cells:           # the dimensions (cells stored before were counted then)
            self._check_dimensions(row, min(cells))
            self._check_dimensions(row, max(cells))

    def merge_row(self, row: int, first_col: int, last_col: int, value, fmt) -> None:
        """``merge_range`` over columns of one row, without xlsxwriter's per-cell overlap
        bookkeeping (the caller merges rows it writes once): a heading row per unit of a
        10,000-unit table."""
        if not self._fast or self.constant_memory or last_col <= first_col:
            self.merge_range(row, first_col, row, last_col, value, fmt)
            return
        self.merge.append([row, first_col, row, last_col])
        n = last_col - first_col + 1
        self.put_row(row, [value] + [None] * (n - 1), [fmt] * n, first_col)

    def set_heights(self, heights) -> None:
        """``set_row(row, height)`` for each (row, height in pt) of rows that already hold
        cells, without xlsxwriter's per-call checks (a table of 30,000 wrapped rows)."""
        if not self._fast or self.constant_memory or _RowInfo is None:
            for row, height in heights:
                self.set_row(row, height)
            return
        info, sizes = self.row_info, self.row_sizes
        lo, hi = self.dim_rowmin, self.dim_rowmax
        for row, height in heights:
            if lo is None or not lo <= row <= hi or row in info:
                self.set_row(row, height)          # anything unusual: xlsxwriter's path
                continue
            px = int(height * 4.0 / 3.0 + 0.5)
            info[row] = _RowInfo(height=px, row_format=None, hidden=False, level=0,
                                 collapsed=False)
            sizes[row] = [px, False]

    def release(self) -> None:
        """Drop the cell records once the workbook is closed. The workbook and its sheets
        refer to each other, so otherwise the records wait for the cyclic collector,
        which walks every one of them (0.3 s for 10,000 units) before freeing them."""
        self.table.clear()

    def _write_rows(self) -> None:
        """The <row> elements, as xlsxwriter writes them, a row's cells joined at once."""
        if not self._fast or self.constant_memory or self.comments:
            super()._write_rows()
            return
        table, row_info, col_info = self.table, self.row_info, self.col_info
        rows = [r for r in range(self.dim_rowmin, self.dim_rowmax + 1)
                if r in row_info or table.get(r)]
        spans: dict[int, list[int]] = {}          # the "spans" of each block of 16 rows
        for r in rows:
            cells = table.get(r)
            if cells:
                lo, hi = min(cells), max(cells)
                span = spans.get(r // 16)
                if span is None:
                    spans[r // 16] = [lo, hi]
                else:
                    span[0], span[1] = min(span[0], lo), max(span[1], hi)
        self.row_spans = {k: f"{lo + 1}:{hi + 1}" for k, (lo, hi) in spans.items()}
        heads: dict[int, str] = {}              # column -> '<c r="A'
        styles: dict[object, str] = {}          # format -> ' s="…"'
        col_styles: dict[int, str] = {}         # column format of cells without one
        write = self.fh.write
        for r in rows:
            cells = table.get(r)
            span = self.row_spans.get(r // 16)
            info = row_info.get(r)
            if not cells:
                self._write_empty_row(r, span, info)
                continue
            self._write_row(r, span, info)
            row_style = f' s="{info.row_format._get_xf_index()}"' \
                if info is not None and info.row_format else None
            num = str(r + 1)
            parts = []
            for col, cell in sorted(cells.items()):
                kind = cell.__class__
                if kind is _String:
                    value, fmt = cell
                    tail = f' t="s"><v>{value}</v></c>'
                elif kind is _Number or kind is _Datetime:
                    value, fmt = cell
                    tail = f"><v>{value:.16G}</v></c>"
                elif kind is _Blank:
                    fmt = cell[0]
                    tail = "/>"
                else:
                    write("".join(parts))
                    parts = []
                    self._write_cell(r, col, cell)
                    continue
                head = heads.get(col)
                if head is None:
                    head = heads[col] = f'<c r="{xl_col_to_name(col)}'
                if fmt:
                    style = styles.get(fmt)
                    if style is None:
                        style = styles[fmt] = f' s="{fmt._get_xf_index()}"'
                elif row_style is not None:
                    style = row_style
                else:
                    style = col_styles.get(col)
                    if style is None:
                        ci = col_info.get(col)
                        style = col_styles[col] = \
                            f' s="{ci.column_format._get_xf_index()}"' \
                            if ci is not None and ci.column_format is not None else ""
                parts.append(f'{head}{num}"{style}{tail}')
            parts.append("</row>")
            write("".join(parts))

    def _write_cell(self, row: int, col: int, cell) -> None:
        kind = cell.__class__
        if kind is _String and not self.constant_memory:
            tail = f' t="s"><v>{cell.string}</v></c>'
        elif kind is _Number or kind is _Datetime:
            tail = f"><v>{cell.number:.16G}</v></c>"
        elif kind is _Blank:
            tail = "/>"
        else:
            super()._write_cell(row, col, cell)
            return
        names = self.__dict__.get("_col_names")
        if names is None:
            names = self.__dict__["_col_names"] = {}
        name = names.get(col)
        if name is None:
            name = names[col] = xl_col_to_name(col)
        fmt = cell.format
        if fmt:
            style = f' s="{fmt._get_xf_index()}"'
        else:
            style = ""
            info = self.row_info.get(row)
            if info is not None and info.row_format:
                style = f' s="{info.row_format._get_xf_index()}"'
            else:
                info = self.col_info.get(col)
                if info is not None and info.column_format is not None:
                    style = f' s="{info.column_format._get_xf_index()}"'
        self.fh.write(f'<c r="{name}{row + 1}"{style}{tail}')


#: zlib level of the consolidated workbook's members. xlsxwriter always uses zlib's
#: default (6): for the 24 MB of XML of 10,000 units that is 0.34 s, level 1 0.09 s for a
#: file a quarter larger (3.6 MB instead of 2.9 MB).
ZIP_LEVEL = 1


class _LevelZipFile(zipfile.ZipFile):
    """A ZipFile that deflates what is written with :meth:`writestr` at ``ZIP_LEVEL``."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        super().writestr(zinfo_or_arcname, data, compress_type,
                         ZIP_LEVEL if compresslevel is None else compresslevel)


def _store_at_level():
    """xlsxwriter's ``Workbook._store_workbook`` seeing :class:`_LevelZipFile` as
    ``ZipFile``: the same function body with its own globals, so nothing of xlsxwriter or
    zipfile is patched for anyone else. None if xlsxwriter's internals are not as
    expected (then the workbook is stored as xlsxwriter does)."""
    try:
        func = Workbook._store_workbook
        if func.__code__.co_freevars or "ZipFile" not in func.__code__.co_names \
                or _workbook_module.ZipFile is not zipfile.ZipFile:
            return None
        scope = dict(vars(_workbook_module), ZipFile=_LevelZipFile)
        return types.FunctionType(func.__code__, scope, func.__name__, func.__defaults__)
    except Exception:   # pragma: no cover
        return None


class FastWorkbook(Workbook):
    """A Workbook stored with a faster zlib level (:data:`ZIP_LEVEL`); the members are the
    same bytes as xlsxwriter's, only deflated differently."""

    _store = _store_at_level()
    if _store is not None:
        _store_workbook = _store
    del _store


class Formats:
    """A workbook's formats, created once (xlsxwriter formats must not be re-created)."""

    def __init__(self, wb, size: int = 12):
        base = {"font_name": FONT, "font_size": size, "valign": "vcenter"}
        self.wb = wb
        self.base = base
        self._cache: dict[tuple, object] = {}

    def __call__(self, **props):
        key = tuple(sorted(props.items()))
        if key not in self._cache:
            self._cache[key] = self.wb.add_format({**self.base, **props})
        return self._cache[key]

    # common ones
    @property
    def text(self):
        return self(text_wrap=True, border=1)

    @property
    def center(self):
        return self(text_wrap=True, border=1, align="center")

    @property
    def number(self):
        return self(border=1, num_format=NUMBER_FORMAT)

    @property
    def date(self):
        return self(border=1, num_format=DATE_FORMAT, align="center")

    @property
    def header(self):
        return self(bold=True, text_wrap=True, border=1, align="center", bg_color="#D9E1F2")

    @property
    def key_row(self):
        return self(italic=True, border=1, align="center", font_size=10)


A4_IN = (8.27, 11.69)             # width × height, portrait
#: the margins of every sheet we print (:func:`a4_landscape`)
MARGINS_IN = {"left": 0.5, "right": 0.4, "top": 0.6, "bottom": 0.6}
#: A4 landscape less those margins, in px at 96 dpi: 10.79 in × 7.07 in (1036 × 679)
PRINTABLE_PX = (round((A4_IN[1] - MARGINS_IN["left"] - MARGINS_IN["right"]) * 96),
                round((A4_IN[0] - MARGINS_IN["top"] - MARGINS_IN["bottom"]) * 96))
#: a little room for rounding in the renderer's column widths
PRINT_WIDTH_SLACK = 1.03


def print_scale(ws, last_col: int) -> int:
    """The print scale (%) at which columns 0..last_col fill at most the printable width
    of A4 landscape, from the widths the sheet was given (exact: see workbook_options)."""
    default = ws.default_col_width                      # px
    px = 0
    for col in range(last_col + 1):
        info = ws.col_info.get(col)
        px += info.width if info is not None and info.width is not None else default
    return max(10, min(100, int(PRINTABLE_PX[0] * 100 / (px * PRINT_WIDTH_SLACK))))


def paginate(ws, last_row: int, last_col: int, *, repeat: tuple[int, int] | None = None,
             keep: dict[int, int] | None = None, table_end: int | None = None) -> list[int]:
    """Print rows 0..last_row of ``ws`` on A4 landscape at a fixed scale that fits the
    width, with manual page breaks placed by the rows' heights so that every group in
    ``keep`` (last row -> first row: rows first..last on one page) stays together: a
    heading with its first rows, a signature block with the last rows of the table.
    A fixed scale, not "fit to page width": Excel ignores manual page breaks on a sheet
    printed fitted to the page. With ``table_end``, the header rows ``repeat`` are
    repeated only when the table they head (ending at that row) continues on another page.
    Returns the breaks (the first row of each new page)."""
    scale = print_scale(ws, last_col)
    default = ws.default_row_height
    info = ws.row_info
    heights = [info[r].height if r in info and info[r].height is not None else default
               for r in range(last_row + 1)]
    keep = keep or {}
    if repeat and table_end is not None:    # without the header: does the table go on?
        alone = page_breaks(heights, PRINTABLE_PX[1], scale, keep)
        if not any(b <= table_end for b in alone):
            repeat = None
    breaks = page_breaks(heights, PRINTABLE_PX[1], scale, keep, repeat)
    a4_landscape(ws, repeat)
    ws.set_print_scale(scale)
    if breaks:
        ws.set_h_pagebreaks(breaks)
    return breaks


def page_breaks(heights: list[float], printable_px: float, scale: int,
                keep: dict[int, int], repeat: tuple[int, int] | None = None) -> list[int]:
    """Where pages start (0-based rows) when rows of ``heights`` (px) print at ``scale`` %
    on pages ``printable_px`` tall, with the rows ``repeat`` on top of every later page,
    and each group of ``keep`` (last row -> first row) kept on one page where it fits."""
    page = printable_px * 100 / scale * 0.985           # px of rows one page holds
    repeat_px = sum(heights[repeat[0]:repeat[1] + 1]) if repeat else 0.0
    repeat_last = repeat[1] if repeat else -1
    covers: dict[int, list[int]] = {}      # row -> first rows of the groups it would split
    for last, first in keep.items():
        for row in range(first + 1, last + 1):
            covers.setdefault(row, []).append(first)
    breaks: list[int] = []
    used, start = 0.0, 0
    for r, h in enumerate(heights):
        if used + h > page and r > start:
            b = r
            while True:                            # move the break up to keep groups,
                firsts = [f for f in covers.get(b, ()) if start < f < b]
                if not firsts:                     # also a group it then splits
                    break
                b = min(firsts)
            breaks.append(b)
            start = b
            used = sum(heights[b:r]) + (repeat_px if b > repeat_last else 0)
        used += h
    return breaks


def a4_landscape(ws, repeat_rows: tuple[int, int] | None = None) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_margins(**MARGINS_IN)
    ws.set_footer("&CTrang &P/&N")
    if repeat_rows:
        ws.repeat_rows(*repeat_rows)


def new_template_workbook(path: str | Path) -> Workbook:
    """A new workbook at ``path`` for the officer to restyle (``template init``): text
    stays text (a placeholder is never taken for a formula or a number); an existing file
    is never overwritten."""
    from .errors import UsageError

    path = Path(path)
    if path.exists():
        raise UsageError(f"Tệp {path} đã có; không ghi đè. Xóa hoặc đổi tên tệp đó, "
                         f"hoặc ghi ra tệp khác bằng -o TỆP.")
    path.parent.mkdir(parents=True, exist_ok=True)
    return Workbook(str(path), workbook_options(in_memory=False))
