"""Small helpers for writing new workbooks with xlsxwriter, shared by every writer.

Text is always written as text (``write_string``): a value coming from a return that
starts with = + - @ can never become a formula in anything we produce.
"""

from __future__ import annotations

import types
import zipfile
from datetime import date, datetime
from itertools import count
from pathlib import Path

from xlsxwriter import workbook as _workbook_module
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

try:    # xlsxwriter's cell records (internal; without them Sheet falls back to put())
    from xlsxwriter.worksheet import (CellBlankTuple as _Blank, CellDatetimeTuple as _Datetime,
                                      CellNumberTuple as _Number, CellStringTuple as _String)
except ImportError:   # pragma: no cover
    _Blank = _Datetime = _Number = _String = None

FONT = "Times New Roman"
NUMBER_FORMAT = "#,##0.##"
DATE_FORMAT = "dd/mm/yyyy"
WORKBOOK_OPTIONS = {"in_memory": True, "strings_to_formulas": False,
                    "strings_to_numbers": False, "strings_to_urls": False}


LINE_PT = 15.75   # height of one line of 12 pt Times New Roman


def wrapped_lines(text: str, chars_per_line: float) -> int:
    """How many lines ``text`` takes wrapped at ``chars_per_line`` (explicit breaks kept):
    xlsxwriter cannot autofit row heights, so writers set them from this."""
    per = max(1, int(chars_per_line))
    return sum(max(1, -(-len(part) // per)) for part in text.split("\n"))


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


def a4_landscape(ws, repeat_rows: tuple[int, int] | None = None) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.6)
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
    return Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False})
