"""Realistic edits a unit makes to its form before sending it back, for the edit fuzzer
(tests/test_fuzz_edits.py, tools/fuzz_edits.py).

A case is a filled form plus a sequence of edits (hypothesis draws them); each edit is
applied through openpyxl the way a unit would in Excel (unprotect, insert and delete rows
and columns, merge, sort, move the table, rename and copy sheets, retype codes, paste
formats and odd values), and the last step may save the file through LibreOffice in
another format, and :func:`wrap` may put it into the way it travels (a folder of inbox/,
a .zip with or without the UTF-8 flag, a saved e-mail). :func:`check_case` runs
``bdg-excel consolidate`` and asserts the promise: exit 0, every input byte archived,
every filled value through exactly or named in a finding.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from bdg_excel.forms import layout

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

ODD_VALUES = ["mười hai", "12_x0007_", "1.234,5", "  7 ", "=1+1", "-3", "1e308", "#N/A",
              "45%", "", " ", "١٢", "12\u00a0000", "x" * 300, "N/A", "0,5"]


@dataclass
class Edit:
    kind: str
    a: int = 0
    b: int = 0
    text: str = ""

    def __str__(self) -> str:
        return f"{self.kind}({self.a},{self.b},{self.text!r})"


@dataclass
class Case:
    edits: list[Edit]
    convert: str | None = None        # LibreOffice target format: xlsx, ods, xls
    container: str | None = None      # how it arrives: see CONTAINERS
    name: str = "tra-ve.xlsx"
    expected: dict[str, float | None] = field(default_factory=dict)  # code -> value an
    #   edit typed over the filled one (None: not a number, so a finding must name it)
    shown: dict[str, float] = field(default_factory=dict)  # code -> what the cell shows
    #   after a format was pasted on it (1 in a "0.00%" cell shows 100.00 %)


EDIT_KINDS = ("unprotect", "insert_rows_above", "insert_rows_in_table", "delete_empty_row",
              "insert_cols", "delete_col_after_table", "merge_over_input", "merge_title",
              "sort_rows", "move_table", "rename_sheet", "copy_sheet", "retype_code",
              "paste_format", "odd_value", "clear_value", "hide_meta", "delete_guide",
              "delete_table_row", "hide_row")


def _form(wb):
    return wb[layout.FORM_SHEET] if layout.FORM_SHEET in wb.sheetnames else wb.worksheets[0]


def _table(ws) -> tuple[int, int, dict[str, int], int]:
    """(header row, code column, code -> row, value column) of part A, 1-based."""
    head = code_col = val_col = None
    for row in ws.iter_rows():
        for c in row:
            if c.value == layout.CODE_HEADER and head is None:
                head, code_col = c.row, c.column
        if head is not None:
            break
    if head is None:
        return 0, 0, {}, 0
    for c in ws[head]:
        if isinstance(c.value, str) and c.value.startswith("Kết quả"):
            val_col = c.column
            break
    codes = {}
    for r in range(head + 1, min(ws.max_row, head + 200) + 1):
        v = ws.cell(r, code_col).value
        if isinstance(v, str) and v[:1].isdigit() and "." in v:
            codes[v] = r
        elif codes and v in (None, "") and ws.cell(r + 1, code_col).value in (None, ""):
            break
    return head, code_col, codes, val_col or code_col + 4


def apply(path: Path, case: Case) -> None:
    wb = openpyxl.load_workbook(path)
    for e in case.edits:
        ws = _form(wb)
        head, code_col, codes, val_col = _table(ws)
        ordered = sorted(codes.items(), key=lambda kv: kv[1])
        pick = ordered[e.a % len(ordered)] if ordered else None
        if e.kind == "unprotect":
            ws.protection.sheet = False
        elif e.kind == "insert_rows_above" and head:
            ws.insert_rows(1 + e.a % max(head - 1, 1), 1 + e.b % 3)
        elif e.kind == "insert_rows_in_table" and pick:
            ws.insert_rows(pick[1] + 1, 1 + e.b % 2)
        elif e.kind == "delete_empty_row" and head:
            r = 1 + e.a % max(head - 1, 1)
            if all(c.value in (None, "") for c in ws[r]):
                ws.delete_rows(r)
        elif e.kind == "insert_cols":
            ws.insert_cols(1 + e.a % max(code_col, 1), 1 + e.b % 2)
        elif e.kind == "delete_col_after_table":
            ws.delete_cols(ws.max_column + 1)
        elif e.kind == "merge_over_input" and pick:
            r = pick[1]
            ws.merge_cells(start_row=r, start_column=val_col, end_row=r, end_column=val_col + 1)
        elif e.kind == "merge_title":
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=3 + e.a % 5)
        elif e.kind == "sort_rows" and len(ordered) > 1:
            rows = [r for _, r in ordered]
            values = [[ws.cell(r, c).value for c in range(1, ws.max_column + 1)] for r in rows]
            values.sort(key=lambda v: str(v[code_col - 1]), reverse=bool(e.b % 2))
            for r, vals in zip(rows, values):
                for c, v in enumerate(vals, 1):
                    if not isinstance(ws.cell(r, c), openpyxl.cell.cell.MergedCell):
                        ws.cell(r, c).value = v
        elif e.kind == "move_table":
            ws.move_range(f"A1:{get_column_letter(ws.max_column)}{ws.max_row}",
                          rows=e.a % 4, cols=e.b % 3)
        elif e.kind == "rename_sheet":
            ws.title = ["Báo cáo", "Sheet1", "Biểu mẫu (đã điền)", "BM"][e.a % 4]
        elif e.kind == "copy_sheet":
            wb.copy_worksheet(ws)
        elif e.kind == "retype_code" and pick:
            try:
                ws.cell(pick[1], code_col).value = float(pick[0])   # "4.1" typed as a number
            except ValueError:
                ws.cell(pick[1], code_col).value = f" {pick[0]} "
        elif e.kind == "paste_format" and pick:
            cell = ws.cell(pick[1], val_col)
            if not isinstance(cell, openpyxl.cell.cell.MergedCell):
                cell.number_format = ["dd/mm/yyyy", "0.00%", "@", "#,##0", "mm:ss"][e.b % 5]
                if cell.number_format.endswith("%") and isinstance(cell.value, (int, float)):
                    case.shown[pick[0]] = cell.value * 100
                cell.font = Font(bold=True)
                cell.fill = PatternFill("solid", fgColor="FFFF00")
        elif e.kind == "odd_value" and pick:
            cell = ws.cell(pick[1], val_col)
            if not isinstance(cell, openpyxl.cell.cell.MergedCell):
                cell.value = e.text or ODD_VALUES[e.b % len(ODD_VALUES)]
                case.expected[pick[0]] = typed_value(cell.value)
                case.shown.pop(pick[0], None)
        elif e.kind == "clear_value" and pick:
            cell = ws.cell(pick[1], val_col)
            if not isinstance(cell, openpyxl.cell.cell.MergedCell):
                cell.value = None
                case.expected[pick[0]] = None
                case.shown.pop(pick[0], None)
        elif e.kind == "delete_table_row" and pick and len(ordered) > 1:
            ws.delete_rows(pick[1])          # its figure is gone: a finding must say so
            case.expected[pick[0]] = None
            case.shown.pop(pick[0], None)
        elif e.kind == "hide_row" and pick:
            ws.row_dimensions[pick[1]].hidden = True
        elif e.kind == "hide_meta" and layout.META_SHEET in wb.sheetnames:
            wb[layout.META_SHEET].sheet_state = "visible"
        elif e.kind == "delete_guide" and layout.GUIDE_SHEET in wb.sheetnames:
            del wb[layout.GUIDE_SHEET]
    wb.save(path)


def typed_value(text: str) -> float | None:
    """The number a person reading the cell sees in ``text`` (control characters are not
    seen: LibreOffice drops them), or None when it is not a number."""
    from bdg_excel.core import vn

    if text.startswith("="):
        return None
    text = re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)
    try:
        return vn.parse_number("".join(ch for ch in text if ch >= " "))
    except vn.NotANumber:
        return None


def convert(path: Path, fmt: str, profile_dir: Path) -> Path:
    """Save ``path`` through LibreOffice headless as ``fmt`` (its own profile)."""
    out = profile_dir.parent / "lo-out"
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile_dir.as_uri()}", "--headless",
                    "--norestore", "--convert-to", fmt, "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=180)
    made = out / f"{path.stem}.{fmt}"
    final = path.with_suffix(f".{fmt}")
    path.unlink()
    shutil.move(made, final)
    return final


#: how a return arrives besides dropped as it is
CONTAINERS = (None, "folder", "zip", "zip-no-utf8-flag", "zip-in-zip", "eml")


def wrap(path: Path, container: str | None) -> Path:
    """Put the return at ``path`` (in inbox/) into ``container``; the path now in inbox/."""
    import io
    import zipfile
    from email.message import EmailMessage

    if container is None:
        return path
    inbox, data, name = path.parent, path.read_bytes(), f"Báo cáo đơn vị {path.name}"
    path.unlink()
    if container == "folder":
        dest = inbox / "Đơn vị" / "năm 2026" / name
        dest.parent.mkdir(parents=True)
        dest.write_bytes(data)
        return dest
    if container == "eml":
        msg = EmailMessage()
        msg["From"], msg["Subject"] = "donvi@example.vn", "Gửi báo cáo"
        msg["Date"] = "Mon, 16 Nov 2026 08:00:00 +0700"
        msg.set_content("Kính gửi phòng.")
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
        dest = inbox / "thư đơn vị.eml"
        dest.write_bytes(bytes(msg))
        return dest

    def zipped(members: dict[str, bytes]) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for n, d in members.items():
                zf.writestr(n, d)
        return buf.getvalue()

    blob = zipped({f"bao-cao/{name}": data})
    if container == "zip-in-zip":
        blob = zipped({"trong.zip": blob})
    if container == "zip-no-utf8-flag":   # clear bit 11 of the flags, names stay UTF-8
        raw = bytearray(blob)
        for sig, at in ((b"PK\x03\x04", 7), (b"PK\x01\x02", 9)):
            i = raw.find(sig)
            while i >= 0:
                raw[i + at] &= 0xF7
                i = raw.find(sig, i + 4)
        blob = bytes(raw)
    dest = inbox / "gói báo cáo.zip"
    dest.write_bytes(blob)
    return dest


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_case(ws, filled: dict[str, float], case: Case) -> None:
    """Run consolidate on the workspace (the case's file in inbox/) and assert."""
    from bdg_excel.cli import main

    inputs = {p.name: sha(p) for p in ws.inbox.rglob("*") if p.is_file()}
    code = main(["consolidate", "-w", str(ws.root), "-q", "--workers", "1"])
    assert code == 0, f"consolidate exited {code} for {[str(e) for e in case.edits]}"
    archived = {sha(p) for p in ws.archive.rglob("*") if p.is_file()}
    assert set(inputs.values()) <= archived, "an input's bytes are not in archive/"
    assert not list(ws.inbox.iterdir()), "a file or folder was left in inbox/"
    db = sqlite3.connect(ws.ledger_path)
    try:
        (file_id, status), = db.execute("SELECT id, status FROM files ORDER BY id DESC LIMIT 1")
        vals = dict(db.execute("SELECT code, value FROM vals WHERE file_id = ?", (file_id,)))
        findings = db.execute("SELECT severity, code, target, message FROM findings "
                              "WHERE file_id = ?", (file_id,)).fetchall()
    finally:
        db.close()
    named = {c.strip() for _, _, t, _ in findings if t for c in t.split(",")}   # "1.1, 2.1"
    file_level = [f for f in findings if f[0] == "error" and not f[2]]
    for code, want in filled.items():
        want = case.expected.get(code, want)
        got = vals.get(code)
        if got is not None and any(w is not None and abs(got - w) < 1e-9 * max(1, abs(w))
                                   for w in (want, case.shown.get(code))):
            continue
        assert code in named or file_level or status == "rejected", (
            f"value of {code} ({want}) came through as {got!r} with no finding on it; "
            f"status {status}; edits {[str(e) for e in case.edits]}; findings {findings}")
