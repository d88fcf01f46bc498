"""Feedback for a unit whose return needs fixing: a copy of its own workbook with each
problem cell filled in a colour no input cell has, a first sheet "Cần sửa" that prints the
list of problems (sheet, cell, what is wrong, what to do) and the message to paste into the
reply e-mail; and that message as a .txt file. Written into outbox/phan-hoi/; the returned
file itself is never touched.

The copy is made by editing the workbook's XML directly (a few milliseconds per return,
see bench/bench.py ``--fix-share``): the problem cells get a copy of their own style with
the problem fill, and the list sheet is added as a new part. Only a workbook our reader
found safe to open is copied (it passed :mod:`bdg_excel.intake.untrusted`). When the XML is not
in a shape this editor knows, openpyxl makes the copy instead (slower, same content).

Feedback is written only for the return that is current for its unit; once a unit's
corrected return is accepted with nothing to say, its earlier feedback is moved to
``phan-hoi/da-thay-the/`` (:func:`retire_stale`).
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from datetime import date
from pathlib import Path

from ..core import clock, vn
from ..core.findings import ERROR, SEVERITY_LABELS, WARNING, Finding
from ..core.workspace import Workspace, atomic_output
from ..plan.deadlines import overdue_sentence, return_by
from ..plan.model import Plan, period_label

#: Problem fills: saturated red and violet, never the pale yellow (#FFF2CC) of input cells.
ERROR_FILL = "FF7C80"
WARNING_FILL = "B4A7D6"
LIST_SHEET = "Cần sửa"
REPLACED_DIR = "da-thay-the"
#: Findings that say the unit did what the form's instructions ask (a blank result with
#: the reason in Ghi chú): recorded for the office, never sent back as something to fix.
FOLLOWED_INSTRUCTIONS = frozenset({"no_data"})
#: How the "what to do" part of a finding's message begins.
_ACTIONS = ("Nhập", "Kiểm tra", "Chọn", "Ghi", "Gửi", "Sửa", "Điền", "Xóa", "Để trống",
            "Dùng", "Tải", "Đề nghị", "Chép", "Lưu", "Mở")
_ACTION_SPLIT = re.compile(r"(?<=[.;:])\s+(?=(?:%s)\b)" % "|".join(_ACTIONS))


def feedback_stem(unit: str | None, period: str | None, original: str) -> str:
    """One name per unit and period (a corrected return's feedback replaces the earlier
    one); for a file of no known unit, its whole name with the extension, so that
    ``bao-cao.xlsx`` and ``bao-cao.xls`` each get their own. The unit's part is made by
    the one rule for names in files, :func:`vn.unit_stem`. A file from a folder or a
    container keeps its path ("Don-vi-A/bc.xlsx" and "Don-vi-B/bc.xlsx" differ)."""
    who = vn.unit_stem(unit or original.replace("\\", "/").strip("/").replace("/", "-")
                       .replace(".", "-"))
    return "_".join(x for x in ("Phan-hoi", period and vn.safe_filename(period, 20), who) if x)


def to_send(findings) -> list[Finding]:
    """The findings a unit is asked to act on."""
    return [f for f in findings if f.severity in (ERROR, WARNING)
            and f.code not in FOLLOWED_INSTRUCTIONS]


def write_feedback(ws: Workspace, plan: Plan | None, cf,
                   today: date | None = None) -> list[Path]:
    """``cf`` is a collect.CollectedFile (``plan`` None for a file of another plan).
    Returns the paths written. The annotated copy is made only of a workbook our reader
    found safe to open (``cf.kind`` xlsx and readable); the message always. Nothing for
    a return that is no longer current (superseded by a later one of its unit)."""
    findings = to_send(cf.findings)
    if not findings or getattr(cf, "status", None) in ("superseded", "duplicate"):
        return []
    ws.feedback_dir.mkdir(parents=True, exist_ok=True)
    stem = feedback_stem(cf.unit, cf.period, cf.name)
    written = []
    book = ws.feedback_dir / f"{stem}.xlsx"
    from .returns import PROBLEMS  # a file refused unread is never opened here either

    text_body = message(plan, cf, findings, book, today)
    if cf.archive_path and getattr(cf, "kind", "xlsx") == "xlsx" and \
            not any(f.code in PROBLEMS for f in findings) and \
            any(f.cell and f.sheet for f in findings) and \
            annotate(cf.archive_path, findings, book, cf=cf, text=text_body):
        written.append(book)
    else:
        text_body = message(plan, cf, findings, None, today)
        if book.exists():       # an earlier return's copy: not this return's
            _retire(ws, book)
    text = ws.feedback_dir / f"{stem}.txt"
    with atomic_output(text) as tmp:
        tmp.write_text(text_body, encoding="utf-8")
    written.append(text)
    return written


def retire_stale(ws: Workspace, current: list[tuple[str | None, str | None, str]]) -> list[Path]:
    """Move the feedback of units whose current return needs none (``current``: (unit,
    period, original name) of each) into phan-hoi/da-thay-the/. Returns the new paths."""
    moved = []
    if not ws.feedback_dir.is_dir():
        return moved
    for unit, period, name in current:
        stem = feedback_stem(unit, period, name)
        for suffix in (".xlsx", ".txt"):
            path = ws.feedback_dir / f"{stem}{suffix}"
            if path.exists():
                moved.append(_retire(ws, path))
    return moved


def _retire(ws: Workspace, path: Path) -> Path:
    dest_dir = ws.feedback_dir / REPLACED_DIR
    dest_dir.mkdir(exist_ok=True)
    dest = dest_dir / path.name
    n = 1
    while dest.exists():
        n += 1
        dest = dest_dir / f"{path.stem}_{n}{path.suffix}"
    os.replace(path, dest)
    return dest


def message(plan: Plan | None, cf, findings: list[Finding], book: Path | None,
            today: date | None = None) -> str:
    errors = [f for f in findings if f.severity == ERROR]
    warnings = [f for f in findings if f.severity == WARNING]
    who = cf.unit or "Quý đơn vị"
    period = period_label(cf.period) if cf.period else ""
    lines = [f"Kính gửi: {who}", ""]
    lines.append(f"Chúng tôi đã nhận tệp báo cáo {_printable(cf.name)}"
                 + (f" (kỳ báo cáo {period})" if period else "") + ".")
    if errors:
        lines.append(f"Báo cáo còn {len(errors)} lỗi cần sửa:")
        lines += [f"  {i}. {_line(f)}" for i, f in enumerate(errors, 1)]
    if warnings:
        lines.append("Các điểm cần xem lại:" if errors else
                     "Báo cáo đã được chấp nhận; đề nghị xem lại các điểm sau:")
        lines += [f"  - {_line(f)}" for f in warnings]
    lines.append("")
    if book is not None:
        lines.append(f"Các ô cần sửa được tô màu đỏ (lỗi) hoặc tím (cần xem lại) trong tệp đính "
                     f"kèm {book.name}; trang \"{LIST_SHEET}\" của tệp đó liệt kê từng ô.")
    if errors:
        deadline = plan.deadline(cf.period) if cf.period and plan is not None else None
        when = f" {return_by(deadline, today or clock.today())}" if deadline else ""
        lines.append(f"Đề nghị đơn vị sửa và gửi lại biểu mẫu{when}."
                     + overdue_sentence(deadline, today or clock.today()))
    lines += ["", "Trân trọng."]
    return "\n".join(lines) + "\n"


def _line(f: Finding) -> str:
    where = f"Ô {f.cell}: " if f.cell and f"Ô {f.cell}" not in f.message and \
        f"ô {f.cell}" not in f.message else ""
    return _printable(where + f.message)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _printable(text: str) -> str:
    """Control characters a unit's text may carry (Excel's ``_x0007_``) shown as ``?``."""
    return _CONTROL.sub("?", text)


def split_action(message: str) -> tuple[str, str]:
    """(what is wrong, what to do) of a finding's message: the second part from the first
    sentence that begins with an instruction ("Nhập …", "Kiểm tra …"), else empty."""
    parts = _ACTION_SPLIT.split(message, maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (message, "")


def list_rows(findings: list[Finding]) -> list[tuple[str, str, str, str, str]]:
    """(sheet, cell, severity, what is wrong, what to do) per finding, errors first."""
    order = sorted(findings, key=lambda f: (f.severity != ERROR,))
    out = []
    for f in order:
        wrong, todo = split_action(_printable(f.message))
        out.append((f.sheet or "", f.cell or "", SEVERITY_LABELS.get(f.severity, f.severity),
                    wrong, todo))
    return out


# -- the annotated copy -----------------------------------------------------------------------
def annotate(source: Path, findings: list[Finding], out: Path, *, cf=None,
             text: str = "") -> bool:
    """Write the annotated copy of ``source`` to ``out``; False when neither way can."""
    info = _ListInfo(cf, text)
    try:
        data = _annotate_xml(source, findings, info)
    except Exception:  # noqa: BLE001 - an unusual or broken file: openpyxl tries, or none
        data = None
    if data is None:
        try:
            return _annotate_openpyxl(source, findings, out, info)
        except Exception:  # noqa: BLE001 - one file's feedback never stops the run
            return False
    with atomic_output(out) as tmp:
        tmp.write_bytes(data)
    return True


class _Unusual(Exception):
    """The XML is not in a shape the direct editor handles: openpyxl does it."""


class _ListInfo:
    def __init__(self, cf, text: str):
        self.name = _printable(getattr(cf, "name", "") or "")
        self.unit = getattr(cf, "unit", None) or ""
        self.period = getattr(cf, "period", None) or ""
        self.text = text

    def rows(self, findings) -> list[tuple[list, str]]:
        """The list sheet as rows of (cells, row style); styles: title, info, head, body,
        error, warning, plain."""
        rows: list[tuple[list, str]] = [
            (["PHẢN HỒI BÁO CÁO: CÁC Ô CẦN SỬA"], "title"),
            ([f"Tệp: {self.name}" + (f" – Đơn vị: {self.unit}" if self.unit else "")
              + (f" – Kỳ báo cáo: {period_label(self.period)}" if self.period else "")], "info"),
            (["Ô tô màu đỏ: lỗi phải sửa. Ô tô màu tím: cần xem lại. Sửa ngay trên biểu mẫu "
              "của đơn vị (không sửa trên tệp này) rồi gửi lại."], "info"),
            (["STT", "Trang", "Ô", "Mức độ", "Vấn đề", "Cần làm"], "head"),
        ]
        for i, (sheet, cell, sev, wrong, todo) in enumerate(list_rows(findings), 1):
            rows.append(([i, sheet, cell, sev, wrong, todo],
                         "error" if sev == SEVERITY_LABELS[ERROR] else "warning"))
        if self.text:
            rows.append(([], "plain"))
            rows.append((["Nội dung thư gửi đơn vị (chép vào thư điện tử):"], "info"))
            for line in self.text.rstrip("\n").split("\n"):
                rows.append(([line], "plain"))
        return [([_printable(v) if isinstance(v, str) else v for v in cells], style)
                for cells, style in rows]


LIST_WIDTHS = (5, 14, 7, 10, 60, 50)
_HEAD_ROW = 4


def _annotate_openpyxl(source: Path, findings: list[Finding], out: Path, info: _ListInfo) -> bool:
    import openpyxl
    from openpyxl.cell.cell import MergedCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    try:
        wb = openpyxl.load_workbook(source)
    except Exception:  # noqa: BLE001 - unreadable by openpyxl: the text message still goes
        return False
    for (sheet, cell), items in _by_cell(findings, set(wb.sheetnames)).items():
        ws = wb[sheet]
        try:
            c = ws[cell]
        except (ValueError, IndexError):
            continue
        if isinstance(c, MergedCell):       # the merged range's first cell carries the fill
            rng = next((r for r in ws.merged_cells.ranges if c.coordinate in r), None)
            if rng is None:
                continue
            c = ws.cell(rng.min_row, rng.min_col)
        colour = ERROR_FILL if any(i.severity == ERROR for i in items) else WARNING_FILL
        c.fill = PatternFill("solid", start_color="FF" + colour, end_color="FF" + colour)
    ls = wb.create_sheet(_free_name(LIST_SHEET, wb.sheetnames), 0)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, (cells, style) in enumerate(info.rows(findings), 1):
        for col, value in enumerate(cells, 1):
            if isinstance(value, str):      # a literal _x0007_ stays literal
                value = re.sub(r"_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1", value)
            c = ls.cell(r, col, value)
            c.alignment = wrap
            c.font = Font(name="Times New Roman", size=14 if style == "title" else 12,
                          bold=style in ("title", "head"))
            if style in ("head", "error", "warning"):
                c.border = box
            if style in ("error", "warning") and col == 3:
                colour = ERROR_FILL if style == "error" else WARNING_FILL
                c.fill = PatternFill("solid", start_color="FF" + colour, end_color="FF" + colour)
        if style not in ("head", "error", "warning") and cells:
            ls.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(LIST_WIDTHS))
    for col, width in enumerate(LIST_WIDTHS, 1):
        ls.column_dimensions[chr(64 + col)].width = width
    ls.page_setup.orientation = "landscape"
    ls.page_setup.paperSize = 9
    ls.page_setup.fitToWidth, ls.page_setup.fitToHeight = 1, 0
    ls.sheet_properties.pageSetUpPr.fitToPage = True
    ls.print_title_rows = f"{_HEAD_ROW}:{_HEAD_ROW}"
    ls.oddFooter.center.text = "Trang &P/&N"
    for other in wb.worksheets:
        other.sheet_view.tabSelected = other is ls
    wb.active = 0
    with atomic_output(out) as tmp:
        wb.save(tmp)
    return True


def _by_cell(findings, sheets: set[str]) -> dict[tuple[str, str], list[Finding]]:
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        if f.cell and f.sheet in sheets and re.fullmatch(r"\$?[A-Z]{1,3}\$?[0-9]{1,7}", f.cell):
            by_cell.setdefault((f.sheet, f.cell.replace("$", "")), []).append(f)
    return by_cell


def _free_name(name: str, taken) -> str:
    taken = {t.casefold() for t in taken}
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{name} ({n})"
    return candidate


# -- direct XML editing -------------------------------------------------------------------------
_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(["'])(.*?)\2""", re.S)
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SHEET_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def _attrs(tag: str) -> dict[str, str]:
    return {k: _unescape(v) for k, _, v in _ATTR.findall(tag)}


def _unescape(s: str) -> str:
    if "&" not in s:
        return s
    import html
    return html.unescape(s)


def _xml_text(value) -> str:
    """Text for an XML text node: escaped, with characters XML cannot carry written as
    OOXML's ``_xHHHH_`` (and a literal ``_xHHHH_`` protected by ``_x005F_``)."""
    s = str(value)
    s = re.sub(r"_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1", s)
    s = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", s)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _annotate_xml(source: Path, findings: list[Finding], info: _ListInfo) -> bytes | None:
    with zipfile.ZipFile(source) as zf:
        names = zf.namelist()
        wb_xml = zf.read("xl/workbook.xml").decode("utf-8")
        rels_xml = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
        ct_xml = zf.read("[Content_Types].xml").decode("utf-8")
        styles_name = "xl/styles.xml"
        if styles_name not in names or "<sheets" not in wb_xml or "<x:" in wb_xml:
            raise _Unusual
        styles = zf.read(styles_name).decode("utf-8")
        if re.search(r"<\w+:(?:cellXfs|fills|fonts|borders)\b", styles):
            raise _Unusual
        rels = {}
        for tag in re.findall(r"<Relationship\b[^>]*>", rels_xml):
            a = _attrs(tag)
            target = a.get("Target", "")
            target = target[1:] if target.startswith("/") else "xl/" + target
            rels[a.get("Id")] = os.path.normpath(target).replace(os.sep, "/")
        sheet_tags = re.findall(r"<sheet\b[^>]*>", wb_xml)
        parts = {}      # sheet name -> part
        sheet_ids = []
        for tag in sheet_tags:
            a = _attrs(tag)
            rid = next((v for k, v in a.items() if k.endswith(":id") or k == "id"), None)
            parts[a.get("name")] = rels.get(rid)
            sheet_ids.append(int(a.get("sheetId", "0") or 0))
        by_cell = _by_cell(findings, set(parts))
        # styles: the problem fills and the list sheet's fonts, border and formats
        styles, fill_ids = _append(styles, "fills", [
            f'<fill><patternFill patternType="solid"><fgColor rgb="FF{c}"/>'
            f'<bgColor indexed="64"/></patternFill></fill>' for c in (ERROR_FILL, WARNING_FILL)])
        styles, font_ids = _append(styles, "fonts", [
            f'<font><b/><sz val="{s}"/><name val="Times New Roman"/><family val="1"/></font>'
            for s in (14, 12)] + ['<font><sz val="12"/><name val="Times New Roman"/>'
                                  '<family val="1"/></font>'])
        styles, (border,) = _append(styles, "borders", [
            '<border><left style="thin"><color auto="1"/></left><right style="thin"><color '
            'auto="1"/></right><top style="thin"><color auto="1"/></top><bottom style="thin">'
            '<color auto="1"/></bottom><diagonal/></border>'])
        xfs = _xfs(styles)
        wrap = '<alignment vertical="top" wrapText="1"/>'
        title_f, bold_f, plain_f = font_ids
        list_xfs = {
            "title": f'<xf numFmtId="0" fontId="{title_f}" fillId="0" borderId="0" '
                     f'applyFont="1" applyAlignment="1">{wrap}</xf>',
            "head": f'<xf numFmtId="0" fontId="{bold_f}" fillId="0" borderId="{border}" '
                    f'applyFont="1" applyBorder="1" applyAlignment="1">'
                    '<alignment horizontal="center" vertical="center" wrapText="1"/></xf>',
            "info": f'<xf numFmtId="0" fontId="{plain_f}" fillId="0" borderId="0" '
                    f'applyFont="1" applyAlignment="1">{wrap}</xf>',
            "body": f'<xf numFmtId="0" fontId="{plain_f}" fillId="0" borderId="{border}" '
                    f'applyFont="1" applyBorder="1" applyAlignment="1">{wrap}</xf>',
        }
        for key, fill in (("error", fill_ids[0]), ("warning", fill_ids[1])):
            list_xfs[key] = (f'<xf numFmtId="0" fontId="{bold_f}" fillId="{fill}" '
                             f'borderId="{border}" applyFont="1" applyFill="1" applyBorder="1" '
                             f'applyAlignment="1"><alignment horizontal="center" '
                             'vertical="top"/></xf>')
        new_xfs: list[str] = []
        first_new = len(xfs)
        list_index = {}
        for key, xf in list_xfs.items():
            list_index[key] = first_new + len(new_xfs)
            new_xfs.append(xf)
        clones: dict[tuple[int, int], int] = {}
        # the problem cells of each sheet
        edited: dict[str, bytes] = {}
        by_sheet: dict[str, dict[str, int]] = {}
        for (sheet, cell), items in by_cell.items():
            fill = fill_ids[0] if any(i.severity == ERROR for i in items) else fill_ids[1]
            by_sheet.setdefault(sheet, {})[cell] = fill
        for sheet, cells in by_sheet.items():
            part = parts.get(sheet)
            if not part or part not in names:
                raise _Unusual
            xml = zf.read(part).decode("utf-8")
            if re.search(r"<\w+:c\b", xml):
                raise _Unusual
            merged = _merged_anchors(xml)
            anchored: dict[str, int] = {}         # a merged range: its first cell
            for cell, fill in cells.items():
                cell = merged.get(cell, cell)
                anchored[cell] = min(fill, anchored.get(cell, fill))    # error first
            for cell, fill in anchored.items():
                m = re.search(r'<c\b[^>]*?\br=["\']%s["\'][^>]*?>' % cell, xml)
                if m is None:
                    raise _Unusual          # a cell the file does not hold: openpyxl adds it
                tag = m.group()
                s = re.search(r"""\bs=["'](\d+)["']""", tag)
                old = int(s.group(1)) if s else 0
                if old >= len(xfs):
                    raise _Unusual
                key = (old, fill)
                if key not in clones:
                    clones[key] = first_new + len(new_xfs)
                    new_xfs.append(_with_fill(xfs[old], fill))
                new_tag = (tag[:s.start(1)] + str(clones[key]) + tag[s.end(1):]) if s else \
                    tag[:2] + f' s="{clones[key]}"' + tag[2:]
                xml = xml[:m.start()] + new_tag + xml[m.end():]
            edited[part] = xml.encode("utf-8")
        styles, _ = _append(styles, "cellXfs", new_xfs)
        # the list sheet, first in the workbook
        n = 1
        while f"xl/worksheets/bdg-phan-hoi{n}.xml" in names:
            n += 1
        part = f"xl/worksheets/bdg-phan-hoi{n}.xml"
        rid = "rIdBdg1"
        while f'"{rid}"' in rels_xml:
            rid += "x"
        name = _free_name(LIST_SHEET, parts)
        rels_xml = rels_xml.replace(
            "</Relationships>", f'<Relationship Id="{rid}" Type="{_SHEET_TYPE}" '
            f'Target="/{part}"/></Relationships>')
        ct_xml = ct_xml.replace("</Types>", f'<Override PartName="/{part}" '
                                f'ContentType="{_SHEET_CT}"/></Types>')
        sheet_tag = (f'<sheet name="{_xml_text(name)}" sheetId="{max(sheet_ids, default=0) + 1}" '
                     f'r:id="{rid}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
                     f'2006/relationships"/>')
        wb_xml = re.sub(r"(<sheets\b[^>]*>)", lambda m: m.group(1) + sheet_tag, wb_xml, count=1)
        wb_xml = re.sub(r'localSheetId="(\d+)"',
                        lambda m: f'localSheetId="{int(m.group(1)) + 1}"', wb_xml)
        wb_xml = re.sub(r'\b(activeTab|firstSheet)="\d+"', r'\1="0"', wb_xml)
        quoted = "'" + name.replace("'", "''") + "'"
        title = f'<definedName name="_xlnm.Print_Titles" localSheetId="0">' \
                f'{_xml_text(quoted)}!${_HEAD_ROW}:${_HEAD_ROW}</definedName>'
        if "<definedNames>" in wb_xml:
            wb_xml = wb_xml.replace("<definedNames>", "<definedNames>" + title, 1)
        elif "<definedNames/>" in wb_xml:
            wb_xml = wb_xml.replace("<definedNames/>", f"<definedNames>{title}</definedNames>", 1)
        else:
            wb_xml = re.sub(r"(</sheets>)", r"\1<definedNames>" + title.replace("\\", "\\\\")
                            + "</definedNames>", wb_xml, count=1)
        sheet_xml = _list_sheet(info.rows(findings), list_index)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zo:
            for item in zf.infolist():
                n_ = item.filename
                if n_ == "xl/workbook.xml":
                    data = wb_xml.encode("utf-8")
                elif n_ == "xl/_rels/workbook.xml.rels":
                    data = rels_xml.encode("utf-8")
                elif n_ == "[Content_Types].xml":
                    data = ct_xml.encode("utf-8")
                elif n_ == styles_name:
                    data = styles.encode("utf-8")
                elif n_ in edited:
                    data = edited[n_]
                else:
                    data = zf.read(item)
                if n_ in parts.values() and b"tabSelected" in data:
                    # Excel writes "1", LibreOffice "true": either leaves the form sheet
                    # grouped with the new one, and what the unit types goes into both
                    data = _TAB_SELECTED.sub(b'tabSelected="0"', data)
                zo.writestr(n_, data)
            zo.writestr(part, sheet_xml.encode("utf-8"))
        return out.getvalue()


_TAB_SELECTED = re.compile(rb"""tabSelected=["'](?:1|true)["']""")


def _merged_anchors(xml: str) -> dict[str, str]:
    """Every cell of a merged range -> the range's first cell (small ranges only)."""
    from xlsxwriter.utility import xl_cell_to_rowcol, xl_rowcol_to_cell

    out = {}
    for ref in re.findall(r"""<mergeCell\b[^>]*\bref=["']([A-Z]+\d+:[A-Z]+\d+)["']""", xml):
        a, b = ref.split(":")
        (r0, c0), (r1, c1) = xl_cell_to_rowcol(a), xl_cell_to_rowcol(b)
        if (r1 - r0 + 1) * (c1 - c0 + 1) > 400:
            continue
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                out[xl_rowcol_to_cell(r, c)] = a
    return out


def _append(styles: str, element: str, items: list[str]) -> tuple[str, list[int]]:
    """Append ``items`` to the ``<element count=…>`` list of styles.xml; their indexes."""
    m = re.search(r"<%s\b([^>]*?)(/?)>" % element, styles)
    if m is None:
        raise _Unusual
    if m.group(2):     # <fills/>: empty
        start = 0
        block = f"<{element}>" + "".join(items) + f"</{element}>"
        body_count = 0
        styles = styles[:m.start()] + block + styles[m.end():]
    else:
        end = styles.index(f"</{element}>", m.end())
        inner = styles[m.end():end]
        child = {"fills": "fill", "fonts": "font", "borders": "border",
                 "cellXfs": "xf"}[element]
        body_count = len(re.findall(r"<%s\b" % child, inner))
        start = body_count
        open_tag = re.sub(r'\s*\bcount=["\']\d+["\']', "", m.group(0)[:-1])
        open_tag = f'{open_tag} count="{body_count + len(items)}">'
        styles = styles[:m.start()] + open_tag + inner + "".join(items) + styles[end:]
    return styles, list(range(start, start + len(items)))


def _xfs(styles: str) -> list[str]:
    m = re.search(r"<cellXfs\b[^>]*>(.*?)</cellXfs>", styles, re.S)
    if m is None:
        raise _Unusual
    return re.findall(r"<xf\b[^>]*/>|<xf\b[^>]*[^/]>.*?</xf>", m.group(1), re.S)


def _with_fill(xf: str, fill: int) -> str:
    head_end = xf.index(">")
    head = xf[:head_end]
    head = re.sub(r'\s*\b(fillId|applyFill)=["\'][^"\']*["\']', "", head)
    closing = "/" if head.endswith("/") else ""
    head = head.rstrip("/")
    return f'{head} fillId="{fill}" applyFill="1"{closing}' + xf[head_end:]


def _list_sheet(rows: list[tuple[list, str]], xf: dict[str, int]) -> str:
    from xlsxwriter.utility import xl_rowcol_to_cell

    ncols = len(LIST_WIDTHS)
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                   for i, w in enumerate(LIST_WIDTHS, 1))
    body, merges = [], []
    for r, (cells, style) in enumerate(rows, 1):
        out = []
        widths = LIST_WIDTHS if style in ("head", "error", "warning") else (sum(LIST_WIDTHS),)
        lines = 1
        for col, value in enumerate(cells):
            ref = xl_rowcol_to_cell(r - 1, col)
            s = xf["body"] if style in ("error", "warning") else xf.get(style, xf["info"])
            if style in ("error", "warning") and col == 2:
                s = xf[style]
            if isinstance(value, int):
                out.append(f'<c r="{ref}" s="{s}"><v>{value}</v></c>')
            else:
                out.append(f'<c r="{ref}" s="{s}" t="inlineStr"><is><t xml:space="preserve">'
                           f'{_xml_text(value)}</t></is></c>')
                width = widths[col] if col < len(widths) else 10
                from ..core.xlsx import wrapped_lines
                lines = max(lines, wrapped_lines(str(value), width))
        if style not in ("head", "error", "warning") and cells:
            merges.append(f'<mergeCell ref="A{r}:{chr(64 + ncols)}{r}"/>')
        height = max(1, lines) * (19 if style == "title" else 15.75) + 3
        body.append(f'<row r="{r}" ht="{height:.2f}" customHeight="1">{"".join(out)}</row>')
    merge_xml = f'<mergeCells count="{len(merges)}">{"".join(merges)}</mergeCells>' \
        if merges else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<worksheet xmlns="{_MAIN_NS}" xmlns:r="http://schemas.openxmlformats.org/'
            f'officeDocument/2006/relationships"><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
            f'<sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15.75"/><cols>{cols}</cols>'
            f'<sheetData>{"".join(body)}</sheetData>{merge_xml}'
            f'<printOptions horizontalCentered="1"/>'
            f'<pageMargins left="0.5" right="0.4" top="0.6" bottom="0.6" header="0.3" '
            f'footer="0.3"/><pageSetup paperSize="9" orientation="landscape" fitToWidth="1" '
            f'fitToHeight="0"/><headerFooter><oddFooter>&amp;CTrang &amp;P/&amp;N</oddFooter>'
            f'</headerFooter></worksheet>')
