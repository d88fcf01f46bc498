"""Reading returned workbooks: fast (python-calamine), untrusting, never raising.

:func:`read_return` turns any file into a :class:`ReturnData`: the identification found
in the hidden sheet, and the raw cells of every coded row of part A (targets) and part B
(tasks), each with its cell address. Interpretation of the values is
:mod:`bdg_excel.intake.validate`'s job. Problems reading the file are findings, never exceptions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path

from ..core import vn
from ..core.findings import ERROR, INFO, WARNING, Finding
from ..forms import layout
from . import untrusted

MAX_ROWS = 5000                       # rows of the form sheet we look at
MAX_COLS = 60

#: input columns of each part: a formula there is looked at (see :func:`_check_formulas`)
INPUT_KEYS = tuple(c.key for c in layout.PART_A + layout.PART_B if c.input)

# Why a file cannot be read, by finding code (``file_<kind>`` for what sniffing found).
PROBLEMS = {
    "file_empty": "Tệp rỗng (0 byte). Gửi lại tệp biểu mẫu đã điền.",
    "file_broken_zip": "Tệp bị hỏng hoặc tải về chưa hết. Gửi lại tệp.",
    "file_zip": "Tệp nén không phải là bảng tính Excel. Gửi lại tệp biểu mẫu .xlsx.",
    "file_docx": "Đây là văn bản Word, không phải biểu mẫu Excel. Gửi lại tệp biểu mẫu .xlsx.",
    "file_doc": "Đây là văn bản Word, không phải biểu mẫu Excel. Gửi lại tệp biểu mẫu .xlsx.",
    "file_pdf": "Đây là tệp PDF, không phải biểu mẫu Excel. Gửi lại tệp biểu mẫu .xlsx đã điền.",
    "file_csv": "Tệp là dữ liệu CSV (văn bản), không phải biểu mẫu Excel: các ô, dòng nhận dạng "
                "và định dạng đã mất. Điền vào tệp biểu mẫu .xlsx đã nhận rồi gửi lại.",
    "file_text": "Tệp không phải là bảng tính Excel (có thể là văn bản đổi đuôi). Gửi lại tệp "
                 "biểu mẫu .xlsx đã điền.",
    "file_xlsb": "Tệp là sổ làm việc nhị phân Excel (.xlsb): loại tệp này không được đọc vì "
                 "không kiểm tra an toàn được. Mở tệp bằng Excel, chọn Lưu thành (Save As) > "
                 "Sổ làm việc Excel (.xlsx) rồi gửi lại tệp .xlsx.",
    "file_unknown": "Không nhận ra loại tệp. Gửi lại tệp biểu mẫu .xlsx đã điền.",
    "file_encrypted": "Tệp được đặt mật khẩu mở nên không đọc được. Gỡ mật khẩu (Tệp > Thông tin "
                      "> Bảo vệ sổ làm việc > Mã hóa bằng mật khẩu, xóa mật khẩu) rồi gửi lại.",
    "too_large": "Tệp quá lớn ({detail}) so với một biểu mẫu báo cáo. Gửi lại đúng tệp biểu mẫu "
                 "đã điền.",
    "zip_bomb": "Tệp giải nén ra quá lớn so với một biểu mẫu báo cáo (nghi là tệp độc hại); tệp "
                "không được mở. Gửi lại đúng tệp biểu mẫu.",
    "xml_entities": "Tệp chứa khai báo thực thể XML (DOCTYPE/ENTITY), điều mà Excel không bao "
                    "giờ tạo ra (nghi là tệp độc hại); tệp không được mở. Gửi lại đúng tệp "
                    "biểu mẫu lưu bằng Excel.",
    "bad_xml": "Nội dung bên trong tệp bị hỏng (XML không hợp lệ). Mở tệp bằng Excel, lưu lại "
               "rồi gửi lại.",
    "sheet_too_large": "Trang '{sheet}' có dữ liệu đến ô {corner} ({rows} dòng): quá lớn đối với "
                       "một biểu mẫu nên tệp không được đọc. Xóa các dòng/cột thừa (hoặc trang "
                       "thừa) rồi gửi lại.",
    "unreadable": "Không đọc được tệp ({detail}). Mở tệp bằng Excel, lưu lại dưới dạng .xlsx "
                  "rồi gửi lại.",
}


@dataclass
class RawRow:
    code: str
    row: int                               # 0-based sheet row
    cells: dict[str, object]               # column key -> raw value
    refs: dict[str, str]                   # column key -> "F12"


@dataclass
class ReturnData:
    path: Path
    name: str                              # the file name as received
    meta: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None
    header_unit: str | None = None         # "Đơn vị báo cáo: …" read from the form sheet
    header_period: str | None = None       # "Kỳ báo cáo: năm 2026" read back ("2026")
    targets: dict[str, RawRow] = field(default_factory=dict)
    tasks: dict[str, RawRow] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    readable: bool = True
    kind: str | None = None                # what the bytes are: xlsx, ods, xls, csv …

    @property
    def national(self) -> dict[str, str | None] | None:
        """Row code -> national code the form recorded (None: a form without them)."""
        return layout.national_codes(self.meta)

    def finding(self, code: str, message: str, severity: str = ERROR, **loc) -> None:
        self.findings.append(Finding(code=code, message=message, severity=severity,
                                     file=self.name, **loc))


def read_return(path: Path, name: str | None = None) -> ReturnData:
    path = Path(path)
    data = ReturnData(path=path, name=name or path.name)
    try:
        _read(data)
    except Exception as exc:  # noqa: BLE001 - a hostile file must never crash collection
        data.readable = False
        code = "file_encrypted" if _says_encrypted(exc) else "unreadable"
        data.finding(code, PROBLEMS[code].format(detail=type(exc).__name__))
    return data


def _says_encrypted(exc: Exception) -> bool:
    text = str(exc).lower()
    return "password" in text or "encrypt" in text


def _refuse(data: ReturnData, code: str, detail: str = "") -> None:
    data.readable = False
    if code not in PROBLEMS:
        code = f"file_{code}" if f"file_{code}" in PROBLEMS else "unreadable"
    if code == "sheet_too_large":
        sheet, rows, cols, *more = detail.split("|")
        corner = layout.cell_ref(int(rows) - 1, max(int(cols) - 1, 0))
        data.finding(code, PROBLEMS[code].format(
            sheet=sheet, rows=f"hơn {rows}" if more else rows,
            corner=f"{corner} và còn tiếp" if more else corner), sheet=sheet)
    else:
        data.finding(code, PROBLEMS[code].format(detail=detail))


def _read(data: ReturnData) -> None:
    found = untrusted.inspect(data.path)
    data.kind = found.kind
    if found.problem:
        _refuse(data, found.problem, found.detail)
        return
    if found.kind not in ("xlsx", "ods", "xls"):
        _refuse(data, f"file_{found.kind}" if f"file_{found.kind}" in PROBLEMS else "file_unknown")
        return

    from python_calamine import CalamineWorkbook

    try:
        _read_book(data, found, _open_workbook(CalamineWorkbook, data.path),
                   dates_suspect=found.kind == "xls")
    except Exception:  # noqa: BLE001 - calamine could not cope: the fallback reader
        book = _fallback_book(data.path, found.kind)
        if book is None:
            raise
        data.meta, data.sheet, data.header_unit = {}, None, None
        data.targets, data.tasks = {}, {}
        data.findings = []
        _read_book(data, found, book, dates_suspect=False)


class _DatesInXls(Exception):
    """calamine gave a date in an .xls form sheet: Gnumeric's number formats make it take
    plain numbers for dates, so xlrd (which reads the formats right) reads the file."""


def _read_book(data: ReturnData, found, wb, *, dates_suspect: bool) -> None:
    try:
        names = wb.sheet_names
        if layout.META_SHEET in names:
            data.meta = _read_meta(wb.get_sheet_by_name(layout.META_SHEET))
            if data.meta.get("kind") == "consolidated":
                return  # a lower level's consolidated workbook: bdg_excel.intake.rollup reads it
        ordered = ([layout.FORM_SHEET] if layout.FORM_SHEET in names else []) + \
            [n for n in names if n not in (layout.FORM_SHEET, layout.META_SHEET)]
        for sheet_name in ordered:
            rows = _sheet_rows(wb.get_sheet_by_name(sheet_name))
            if dates_suspect and any(isinstance(v, (date, time, timedelta)) for r in rows
                                     for v in r):
                raise _DatesInXls(sheet_name)
            if _read_tables(data, sheet_name, rows):
                data.sheet = sheet_name
                data.header_unit = _header_unit(rows)
                data.header_period = _header_period(rows)
                _check_formulas(data, found.formulas.get(sheet_name, {}))
                _check_other_forms(data, wb, [
                    n for n in ordered if n != sheet_name and
                    # the safety scan's extents: a sheet of one or two columns (the guide)
                    # cannot hold the table, and is not read again
                    found.extents.get(n, (1, 3))[1] >= 3])
                break
        else:
            data.finding("no_table", f"Không tìm thấy bảng chỉ tiêu hay nhiệm vụ (dòng tiêu đề có "
                         f"cột '{layout.CODE_HEADER}') trong tệp. Dùng đúng biểu mẫu đã được gửi.",
                         sheet=layout.FORM_SHEET)
    finally:
        wb.close()


class _Sheet:
    """A sheet as :func:`_sheet_rows` reads it (calamine's iter_rows and start)."""

    def __init__(self, rows: list[list]):
        self.rows, self.start = rows, (0, 0)

    def iter_rows(self):
        return iter(self.rows)


class _Book:
    def __init__(self, sheets: dict[str, list[list]]):
        self.sheets = sheets
        self.sheet_names = list(sheets)

    def get_sheet_by_name(self, name: str) -> _Sheet:
        return _Sheet(self.sheets[name])

    def close(self) -> None:
        pass


def _fallback_book(path: Path, kind: str | None) -> _Book | None:
    """The workbook read by the format's reference reader, for what calamine cannot read
    right: .xls through xlrd, .ods through odfpy (Gnumeric's .ods), .xlsx through openpyxl.
    The file has passed the safety scan. Values typed as calamine gives them: numbers as
    float, text as str, empty as ""."""
    sheets: dict[str, list[list]] = {}
    if kind == "xls":
        import xlrd

        book = xlrd.open_workbook(str(path), on_demand=True)
        try:
            for i in range(book.nsheets):
                sh = book.sheet_by_index(i)
                rows = []
                for r in range(min(sh.nrows, MAX_ROWS)):
                    row = []
                    for c in range(min(sh.ncols, MAX_COLS)):
                        cell = sh.cell(r, c)
                        if cell.ctype == xlrd.XL_CELL_DATE:
                            row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                        elif cell.ctype == xlrd.XL_CELL_NUMBER:
                            row.append(float(cell.value))
                        elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                            row.append(bool(cell.value))
                        elif cell.ctype == xlrd.XL_CELL_TEXT:
                            row.append(cell.value)
                        else:
                            row.append("")
                    rows.append(row)
                sheets[sh.name] = rows
        finally:
            book.release_resources()
        return _Book(sheets)
    if kind in ("ods", "xlsx"):
        import pandas as pd

        frames = pd.read_excel(path, engine="odf" if kind == "ods" else "openpyxl",
                               header=None, sheet_name=None, nrows=MAX_ROWS, dtype=object)
        for name, df in frames.items():
            rows = []
            for rec in df.iloc[:, :MAX_COLS].itertuples(index=False):
                rows.append([_typed(v) for v in rec])
            sheets[str(name)] = rows
        return _Book(sheets)
    return None


def _typed(v):
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, bool) or isinstance(v, str):
        return v
    if isinstance(v, int):
        return float(v)
    if hasattr(v, "to_pydatetime"):
        return v.to_pydatetime()
    return v


def _inputs(data: ReturnData) -> dict:
    return {(part, code): tuple(row.cells.get(k) for k in INPUT_KEYS)
            for part in ("targets", "tasks") for code, row in getattr(data, part).items()}


def _check_other_forms(data: ReturnData, wb, others: list[str]) -> None:
    """The sheet read must be the unit's form, never a guess made silently: a form sheet
    renamed by the unit is named; another sheet holding the table too (a copy left
    beside it) is ignored if it holds the same figures and an error if not."""
    if data.sheet != layout.FORM_SHEET:
        data.finding("renamed_sheet", f"Không có trang '{layout.FORM_SHEET}' chứa bảng số liệu; "
                     f"số liệu được đọc từ trang '{data.sheet}'. Không đổi tên, không xóa trang "
                     "biểu mẫu; kiểm tra lại đúng trang đã điền.", WARNING, sheet=data.sheet)
    mine = None
    for other in others:
        rows = _sheet_rows(wb.get_sheet_by_name(other))
        if not any(layout.maybe_header(r) for r in rows):
            continue
        copy = ReturnData(path=data.path, name=data.name)
        if not _read_tables(copy, other, rows):
            continue
        if mine is None:
            mine = _inputs(data)
        if _inputs(copy) == mine:
            data.finding("copied_sheet", f"Trang '{other}' là bản sao của trang biểu mẫu, cùng "
                         f"số liệu; chỉ trang '{data.sheet}' được đọc. Nên xóa trang thừa.",
                         INFO, sheet=other)
        else:
            data.finding("several_forms", f"Tệp có hai trang chứa bảng số liệu khác nhau: "
                         f"'{data.sheet}' (được đọc) và '{other}'. Không rõ trang nào là báo "
                         "cáo: chép số liệu đúng vào trang biểu mẫu, xóa trang thừa rồi gửi lại.",
                         ERROR, sheet=other)


def _open_workbook(reader, path: Path):
    """calamine opens a path it can hand to Rust as UTF-8; a name that is not UTF-8 (a
    Windows archive unzipped on Linux) is opened as a file object instead."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        with open(path, "rb") as fh:
            return reader.from_filelike(fh)
    return reader.from_path(str(path))


def _check_formulas(data: ReturnData, formulas: dict[str, bool]) -> None:
    """Formulas in input cells: calamine gave the value saved with the formula; without
    one the cell reads empty, which would silently lose the unit's number."""
    if not formulas:
        return
    for row in list(data.targets.values()) + list(data.tasks.values()):
        for key in INPUT_KEYS:
            ref = row.refs.get(key)
            if ref is None or ref not in formulas:
                continue
            if formulas[ref]:
                data.finding("formula", f"Ô {ref} (mã {row.code}) chứa công thức; dùng giá trị Excel "
                             f"đã tính và lưu kèm ({_shown(row.cells.get(key))}). Nên nhập số trực "
                             "tiếp.", INFO, sheet=data.sheet, cell=ref, target=row.code)
            else:
                row.cells[key] = None
                data.finding("formula_no_value", f"Ô {ref} (mã {row.code}) chứa công thức nhưng tệp "
                             "không lưu giá trị đã tính (tệp được tạo bằng chương trình khác Excel?). "
                             "Nhập số trực tiếp vào ô, hoặc mở tệp bằng Excel, lưu lại rồi gửi lại.",
                             sheet=data.sheet, cell=ref, target=row.code)


def _shown(value) -> str:
    if isinstance(value, float):
        return vn.format_number(value)
    return str(value) if value not in (None, "") else "trống"


def _sheet_rows(sheet) -> list[list]:
    rows = []
    for i, row in enumerate(sheet.iter_rows()):
        if i >= MAX_ROWS:
            break
        rows.append(list(row[:MAX_COLS]))
    # iter_rows starts at row 1 but at the first USED column: re-anchor at column A so
    # cell references are real.
    left = (sheet.start or (0, 0))[1]
    if left:
        rows = [[""] * left + r for r in rows]
    return rows


def _read_meta(sheet) -> dict[str, str]:
    meta = {}
    for row in _sheet_rows(sheet)[:200]:
        if len(row) >= 2 and isinstance(row[0], str) and row[0].strip():
            value = row[1]
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            meta[row[0].strip()] = vn.clean(value)
    return meta


def _read_tables(data: ReturnData, sheet: str, rows: list[list]) -> bool:
    """Find part A and part B by their header rows; collect coded rows below each."""
    found = False
    heads = {r for r, row in enumerate(rows) if layout.maybe_header(row)}
    r = 0
    while r < len(rows):
        if r not in heads:
            r += 1
            continue
        mapping = layout.header_map(rows[r], layout.PART_B)
        part = "tasks"
        if mapping is None:
            mapping = layout.header_map(rows[r], layout.PART_A)
            part = "targets"
        if mapping is None:
            r += 1
            continue
        found = True
        r = _collect_rows(data, sheet, rows, r + 1, mapping, getattr(data, part), heads)
    return found


_CODE_RE = re.compile(r"^(\d{1,2}\.\d{1,2}[a-z]?|NV\d{1,3})$", re.IGNORECASE)


def _collect_rows(data, sheet, rows, start, mapping, into: dict[str, RawRow],
                  heads: set[int]) -> int:
    code_col = mapping["code"]
    r = start
    blank_run = 0
    while r < len(rows):
        row = rows[r]
        raw = row[code_col] if code_col < len(row) else ""
        code = _code_text(raw)
        if r in heads and (layout.header_map(row, layout.PART_B) or
                           layout.header_map(row, layout.PART_A)):
            return r
        if not code:
            blank_run += 1
            if blank_run > 3 and any(isinstance(c, str) and c.strip() for c in row[:2]):
                return r  # a section title or the signature block
            r += 1
            continue
        blank_run = 0
        if _CODE_RE.match(code):
            code = code.upper() if code.upper().startswith("NV") else code.lower()
            if code in into:
                data.finding("duplicate_row", f"Mã {code} xuất hiện hai lần; chỉ dòng đầu tiên "
                             "được dùng. Xóa dòng thừa.", WARNING, sheet=sheet,
                             cell=layout.cell_ref(r, code_col), target=code)
            else:
                cells = {k: (row[c] if c < len(row) else "") for k, c in mapping.items()}
                refs = {k: layout.cell_ref(r, c) for k, c in mapping.items()}
                into[code] = RawRow(code=code, row=r, cells=cells, refs=refs)
        r += 1
    return r


def _code_text(raw) -> str:
    if isinstance(raw, float):
        # A code like "4.1" retyped by hand and stored as a number.
        return f"{raw:g}"
    return vn.clean(raw) if isinstance(raw, str) else ""


_UNIT_RE = re.compile(r"^đơn vị báo cáo\s*:\s*(.+)$", re.IGNORECASE)
_PERIOD_RE = re.compile(r"^kỳ báo cáo\s*:\s*(.+)$", re.IGNORECASE)


def _header_period(rows: list[list]) -> str | None:
    """The period the form's title names, for a form whose hidden sheet is gone."""
    from ..plan.model import period_from_label

    for row in rows[:12]:
        for cell in row:
            if isinstance(cell, str) and ":" in cell:
                m = _PERIOD_RE.match(vn.clean(cell))
                if m:
                    return period_from_label(m.group(1))
    return None


def _header_unit(rows: list[list]) -> str | None:
    for row in rows[:12]:
        for cell in row:
            if isinstance(cell, str) and ":" in cell:   # the pattern needs one
                m = _UNIT_RE.match(vn.clean(cell))
                if m:
                    return m.group(1).strip()
    return None


# -- number formats ------------------------------------------------------------------------
# calamine gives a cell's value but not its number format: 45 % typed in Excel, LibreOffice
# or Gnumeric is stored as 0.45 in every file type. Where a value is in doubt, the format is
# read from the file itself (once per file), the file having passed untrusted.inspect.

def cell_is_percent(data: ReturnData, cell: str | None) -> bool:
    """Whether ``cell`` of the form sheet has a percent number format (.xlsx, .xlsm, .ods,
    .xls). A format that cannot be read is not a percent (the value is then flagged)."""
    if not cell or not data.sheet:
        return False
    cache = data.__dict__.setdefault("_percent_cells", {})
    if data.sheet not in cache:
        try:
            reader = {"xlsx": _xlsx_percent_cells, "ods": _ods_percent_cells,
                      "xls": _xls_percent_cells}.get(data.kind or "")
            cache[data.sheet] = reader(data.path, data.sheet) if reader else set()
        except Exception:  # noqa: BLE001 - a format we cannot read is simply not a percent
            cache[data.sheet] = set()
    return cell in cache[data.sheet]


def _xlsx_percent_cells(path: Path, sheet: str) -> set[str]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        ws = wb[sheet]
        return {c.coordinate for row in ws.iter_rows(max_row=MAX_ROWS, max_col=MAX_COLS)
                for c in row if getattr(c, "coordinate", None) and
                isinstance(c.value, (int, float)) and "%" in (c.number_format or "")}
    finally:
        wb.close()


def _xls_percent_cells(path: Path, sheet: str) -> set[str]:
    import xlrd

    book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    try:
        sh = book.sheet_by_name(sheet)
        out = set()
        for r in range(min(sh.nrows, MAX_ROWS)):
            for c in range(min(sh.ncols, MAX_COLS)):
                if sh.cell_type(r, c) != xlrd.XL_CELL_NUMBER:
                    continue
                xf = book.xf_list[sh.cell_xf_index(r, c)]
                fmt = book.format_map.get(xf.format_key)
                if fmt is not None and "%" in fmt.format_str:
                    out.add(layout.cell_ref(r, c))
        return out
    finally:
        book.release_resources()


_ODS = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
        "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0"}


def _ods_percent_cells(path: Path, sheet: str) -> set[str]:
    """Cells of ``sheet`` whose value type is "percentage" (ODF stores 45 % as 0.45 with
    office:value-type="percentage", whatever program saved it)."""
    import zipfile

    from defusedxml.ElementTree import iterparse

    t, o = "{%s}" % _ODS["table"], "{%s}" % _ODS["office"]
    out: set[str] = set()
    with zipfile.ZipFile(path) as zf, zf.open("content.xml") as fh:
        in_sheet, row, col, depth = False, 0, 0, 0
        for event, el in iterparse(fh, events=("start", "end")):
            tag = el.tag
            if tag == t + "table":
                if event == "start":
                    in_sheet, row = el.get(t + "name") == sheet, 0
                elif in_sheet:
                    break
            elif not in_sheet or row >= MAX_ROWS:
                pass
            elif tag == t + "table-row":
                if event == "start":
                    col = 0
                else:
                    row += int(el.get(t + "number-rows-repeated", "1"))
            elif tag in (t + "table-cell", t + "covered-table-cell") and event == "start":
                n = min(int(el.get(t + "number-columns-repeated", "1")), MAX_COLS)
                if el.get(o + "value-type") == "percentage":
                    out.update(layout.cell_ref(row, c) for c in range(col, min(col + n, MAX_COLS)))
                col += n
            if event == "end" and tag != t + "table":
                el.clear()
    return out
