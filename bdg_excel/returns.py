"""Reading returned workbooks: fast (python-calamine), untrusting, never raising.

:func:`read_return` turns any file into a :class:`ReturnData`: the identification found
in the hidden sheet, and the raw cells of every coded row of part A (targets) and part B
(tasks), each with its cell address. Interpretation of the values is
:mod:`bdg_excel.validate`'s job. Problems reading the file are findings, never exceptions.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import layout, vn
from .findings import ERROR, WARNING, Finding

MAX_BYTES = 20 * 1024 * 1024          # a form is a few KB; refuse anything huge
MAX_UNCOMPRESSED = 200 * 1024 * 1024  # zip bomb guard for .xlsx/.ods
MAX_ROWS = 5000                       # rows of the form sheet we look at
MAX_COLS = 60

READABLE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


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
    targets: dict[str, RawRow] = field(default_factory=dict)
    tasks: dict[str, RawRow] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    readable: bool = True

    def finding(self, code: str, message: str, severity: str = ERROR, **loc) -> None:
        self.findings.append(Finding(code=code, message=message, severity=severity,
                                     file=self.name, **loc))


def sniff(path: Path) -> str:
    """What the file really is: xlsx, ods, xls, encrypted, empty, text, unknown."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head:
        return "empty"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError):
            return "broken_zip"
        if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
            return "xlsx"
        if "content.xml" in names:
            return "ods"
        if "word/document.xml" in names:
            return "docx"
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # OLE container: legacy .xls, or an encrypted OOXML workbook.
        with path.open("rb") as fh:
            blob = fh.read(64 * 1024)
        if "EncryptionInfo".encode("utf-16-le") in blob or b"EncryptedPackage" in blob or \
                "EncryptedPackage".encode("utf-16-le") in blob:
            return "encrypted"
        return "xls"
    if head.startswith(b"PK"):
        return "broken_zip"
    return "text"


def _zip_too_large(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return sum(i.file_size for i in zf.infolist()) > MAX_UNCOMPRESSED
    except (zipfile.BadZipFile, OSError):
        return True


def read_return(path: Path, name: str | None = None) -> ReturnData:
    path = Path(path)
    data = ReturnData(path=path, name=name or path.name)
    try:
        _read(data)
    except Exception as exc:  # noqa: BLE001 - a hostile file must never crash collection
        data.readable = False
        data.finding("unreadable", f"Không đọc được tệp ({type(exc).__name__}). Mở tệp bằng "
                     "Excel, lưu lại dưới dạng .xlsx rồi gửi lại.")
    return data


def _read(data: ReturnData) -> None:
    path = data.path
    size = path.stat().st_size
    if size > MAX_BYTES:
        data.readable = False
        data.finding("too_large", f"Tệp quá lớn ({size // 1024 // 1024} MB) so với một biểu "
                     "mẫu báo cáo. Gửi lại đúng tệp biểu mẫu đã điền.")
        return
    kind = sniff(path)
    problem = {
        "empty": "Tệp rỗng (0 byte). Gửi lại tệp biểu mẫu đã điền.",
        "broken_zip": "Tệp bị hỏng hoặc tải về chưa hết. Gửi lại tệp.",
        "zip": "Tệp nén không phải là bảng tính Excel. Gửi lại tệp biểu mẫu .xlsx.",
        "docx": "Đây là văn bản Word, không phải biểu mẫu Excel. Gửi lại tệp biểu mẫu .xlsx.",
        "text": "Tệp không phải là bảng tính Excel (có thể là CSV hoặc văn bản đổi đuôi). "
                "Gửi lại tệp biểu mẫu .xlsx đã điền.",
        "encrypted": "Tệp được đặt mật khẩu mở nên không đọc được. Gỡ mật khẩu (Tệp > Thông tin "
                     "> Bảo vệ sổ làm việc) rồi gửi lại.",
    }.get(kind)
    if problem:
        data.readable = False
        data.finding(f"file_{kind}", problem)
        return
    if kind in ("xlsx", "ods") and _zip_too_large(path):
        data.readable = False
        data.finding("zip_bomb", "Tệp giải nén ra quá lớn so với một biểu mẫu báo cáo (nghi là "
                     "tệp độc hại). Gửi lại đúng tệp biểu mẫu.")
        return

    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    try:
        names = wb.sheet_names
        if layout.META_SHEET in names:
            data.meta = _read_meta(wb.get_sheet_by_name(layout.META_SHEET))
        ordered = ([layout.FORM_SHEET] if layout.FORM_SHEET in names else []) + \
            [n for n in names if n not in (layout.FORM_SHEET, layout.META_SHEET)]
        for sheet_name in ordered:
            rows = _sheet_rows(wb.get_sheet_by_name(sheet_name))
            if _read_tables(data, sheet_name, rows):
                data.sheet = sheet_name
                data.header_unit = _header_unit(rows)
                break
        else:
            data.finding("no_table", f"Không tìm thấy bảng chỉ tiêu hay nhiệm vụ (dòng tiêu đề có "
                         f"cột '{layout.CODE_HEADER}') trong tệp. Dùng đúng biểu mẫu đã được gửi.",
                         sheet=layout.FORM_SHEET)
    finally:
        wb.close()


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
    r = 0
    while r < len(rows):
        mapping = layout.header_map(rows[r], layout.PART_B)
        part = "tasks"
        if mapping is None:
            mapping = layout.header_map(rows[r], layout.PART_A)
            part = "targets"
        if mapping is None:
            r += 1
            continue
        found = True
        r = _collect_rows(data, sheet, rows, r + 1, mapping, getattr(data, part))
    return found


_CODE_RE = re.compile(r"^(\d{1,2}\.\d{1,2}[a-z]?|NV\d{1,3})$", re.IGNORECASE)


def _collect_rows(data, sheet, rows, start, mapping, into: dict[str, RawRow]) -> int:
    code_col = mapping["code"]
    r = start
    blank_run = 0
    while r < len(rows):
        row = rows[r]
        raw = row[code_col] if code_col < len(row) else ""
        code = _code_text(raw)
        if layout.header_map(row, layout.PART_B) or layout.header_map(row, layout.PART_A):
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


def _header_unit(rows: list[list]) -> str | None:
    for row in rows[:12]:
        for cell in row:
            if isinstance(cell, str):
                m = _UNIT_RE.match(vn.clean(cell))
                if m:
                    return m.group(1).strip()
    return None
