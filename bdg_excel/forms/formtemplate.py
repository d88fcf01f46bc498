"""The form template: an ordinary workbook (``templates/bieu-mau.xlsx``) that an officer
restyles in Excel, and from which ``generate`` builds every unit's form.

Machinery: openpyxl modifies a copy of the officer's workbook for each unit. openpyxl
keeps cell styles, merged cells, row heights, column widths, print setup, other sheets,
pictures (with Pillow installed) and charts; it drops drawn shapes, text boxes and
comments' formatting. We chose it over a template library (xltpl) because the form needs
per-cell protection and data validation, which we set ourselves anyway, and openpyxl is
already a dependency. Rows are inserted with :func:`insert_rows`, which also moves what
openpyxl's own ``insert_rows`` leaves behind (merged cells, row heights, pictures, data
validation, print area).

Placeholders (``{{name}}``):

* anywhere in the workbook (inside any text): :data:`HEADER_FIELDS`;
* in the ONE indicator template row (the row holding ``{{ma}}`` and ``{{chi_tieu}}`` or
  ``{{muc_tieu}}``): :data:`TARGET_FIELDS`; the row is repeated for every target row;
* in the ONE task template row (``{{ma}}`` and ``{{nhiem_vu}}``): :data:`TASK_FIELDS`.

The reader (:mod:`bdg_excel.intake.returns`) finds the tables by their header rows, so the
header row above each template row must keep a cell ``Mã`` and one starting with
``Kết quả`` (part A) or ``Tình trạng`` (part B); :func:`check_template` says so.
"""

from __future__ import annotations

import re
from copy import copy
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..core import clock, errors, vn
from ..core.workspace import atomic_output
from ..core.findings import ERROR, WARNING, Finding
from ..core.xlsx import (A4_IN, FONT, LAYOUT_CHAR_PX, LINE_PT, PADDING_PX, PRINT_WIDTH_SLACK,
                         col_units, default_digit_px, page_breaks, stored_col_widths,
                         wrapped_lines)
from ..plan.model import Plan, Target, Unit, period_label, period_year
from . import layout

TEMPLATE_NAME = "bieu-mau.xlsx"
#: file names in templates/ that are templates, never plans
RESERVED_NAMES = (TEMPLATE_NAME, "tong-hop.xlsx")
HELP_SHEET = "Hướng dẫn mẫu"      # our notes on the placeholders; not copied into forms

PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")

HEADER_FIELDS = {
    "don_vi": "tên đơn vị báo cáo",
    "noi_nhan": "đơn vị nhận báo cáo",
    "ky": "kỳ báo cáo (năm 2026, 6 tháng đầu năm 2026 …)",
    "han_nop": "hạn gửi (dd/mm/yyyy)",
    "bieu_so": f"số hiệu biểu ({layout.FORM_NUMBER})",
    "tieu_de": "tên biểu",
    "ke_hoach": "dòng “Ban hành kèm theo Kế hoạch số … ngày … của …”",
    "so_ke_hoach": "số hiệu kế hoạch",
    "co_quan": "cơ quan ban hành kế hoạch",
    "dia_danh": "địa danh (nơi ký)",
    "nam": "năm của kỳ báo cáo",
    "huong_dan": "dòng hướng dẫn nhập liệu",
}
#: placeholder -> layout.PART_A column key
TARGET_FIELDS = {"stt": "stt", "ma": "code", "chi_tieu": "indicator", "muc_tieu": "target",
                 "don_vi_tinh": "unit", "ket_qua": "value", "tu_so": "numerator",
                 "mau_so": "denominator", "nguon": "source", "ghi_chu": "note"}
#: placeholder -> layout.PART_B column key
TASK_FIELDS = {"stt": "stt", "ma": "code", "nhiem_vu": "task", "tinh_trang": "status",
               "ket_qua": "result"}

ROW_NAMES = (TARGET_FIELDS.keys() | TASK_FIELDS.keys()) - HEADER_FIELDS.keys()

GREY = "FFD9D9D9"


@dataclass
class TemplateRow:
    kind: str                    # "targets" | "tasks"
    sheet: str
    row: int                     # 1-based
    fields: dict[str, int]       # column key -> 1-based column


def template_path(templates_dir: Path) -> Path | None:
    """``templates/bieu-mau.xlsx`` when the officer has one."""
    path = Path(templates_dir) / TEMPLATE_NAME
    return path if path.is_file() else None


# -- init ------------------------------------------------------------------------------

def write_template(path: str | Path) -> Path:
    """Write today's form as a template: the prefilled parts are placeholders."""
    from ..core.xlsx import a4_landscape, col_units, new_template_workbook
    from .generate import _Formats, _column_keys

    path = Path(path)
    wb = new_template_workbook(path)
    f = _Formats(wb)
    ws = wb.add_worksheet(layout.FORM_SHEET)
    last = len(layout.PART_A) - 1
    for i, col in enumerate(layout.PART_A):
        ws.set_column(i, i, col_units(col.width))

    def line(r, text, fmt, height=None):
        ws.merge_range(r, 0, r, last, text, fmt)
        if height:
            ws.set_row(r, height)

    def blocks(r, left, lf, right, rf):
        ws.merge_range(r, 0, r, 3, left, lf)
        ws.merge_range(r, 5, r, last, right, rf)
        ws.set_row(r, 2 * LINE_PT + 3)

    blocks(0, "Biểu số: {{bieu_so}}", f.bold_left, "Đơn vị báo cáo: {{don_vi}}", f.bold_left)
    blocks(1, "{{ke_hoach}}", f.italic_left, "Đơn vị nhận báo cáo: {{noi_nhan}}", f.left)
    line(3, "{{tieu_de}}", f.title, 22)
    line(4, "Kỳ báo cáo: {{ky}}", f.subtitle, 20)
    line(5, "Hạn gửi: {{han_nop}}", f.italic_centre)
    line(6, "Đơn vị tính: theo từng chỉ tiêu", f.italic_right)
    line(7, "{{huong_dan}}", f.italic_left, 3 * LINE_PT + 3)
    r = 9
    line(r, layout.PART_A_TITLE, f.part_title)
    for c, col in enumerate(layout.PART_A):
        ws.write_string(r + 1, c, col.header, f.header)
    ws.set_row(r + 1, 2 * LINE_PT + 3)
    for c, key in enumerate(_column_keys(layout.PART_A)):
        ws.write_string(r + 2, c, key, f.key)
    by_key = {v: k for k, v in TARGET_FIELDS.items()}
    for c, col in enumerate(layout.PART_A):
        fmt = (f.input_num if col.key in ("value", "numerator", "denominator") else
               f.input_text if col.input else
               f.centre if col.key in ("stt", "code", "unit") else f.text)
        ws.write_string(r + 3, c, "{{" + by_key[col.key] + "}}", fmt)
    ws.set_row(r + 3, 3 * LINE_PT + 3)
    r += 5
    line(r, layout.PART_B_TITLE, f.part_title)
    by_key = {v: k for k, v in TASK_FIELDS.items()}
    for c, col in enumerate(layout.PART_B):
        if c == len(layout.PART_B) - 1:
            ws.merge_range(r + 1, c, r + 1, last, col.header, f.header)
            ws.merge_range(r + 2, c, r + 2, last, "{{ket_qua}}", f.input_text)
            continue
        ws.write_string(r + 1, c, col.header, f.header)
        fmt = (f.input_choice if col.input else
               f.centre if col.key in ("stt", "code") else f.text)
        ws.write_string(r + 2, c, "{{" + by_key[col.key] + "}}", fmt)
    ws.set_row(r + 1, 2 * LINE_PT + 3)
    ws.set_row(r + 2, 3 * LINE_PT + 3)
    r += 4
    ws.merge_range(r, 5, r, last, "{{dia_danh}}, ngày …… tháng …… năm {{nam}}",
                   f.italic_centre)
    ws.merge_range(r + 1, 0, r + 1, 3, "NGƯỜI LẬP BIỂU", f.bold_centre)
    ws.merge_range(r + 1, 5, r + 1, last, "THỦ TRƯỞNG ĐƠN VỊ", f.bold_centre)
    ws.merge_range(r + 2, 0, r + 2, 3, "(Ký, họ tên)", f.italic_centre)
    ws.merge_range(r + 2, 5, r + 2, last, "(Ký, đóng dấu, họ tên)", f.italic_centre)
    for k in range(3):
        ws.merge_range(r + 3 + k, 0, r + 3 + k, 3, "", f.input_sign)
        ws.merge_range(r + 3 + k, 5, r + 3 + k, last, "", f.input_sign)
    a4_landscape(ws)
    ws.center_horizontally()
    _write_help(wb)
    ws.activate()
    wb.close()
    return path


def _write_help(wb) -> None:
    ws = wb.add_worksheet(HELP_SHEET)
    bold = wb.add_format({"font_name": FONT, "font_size": 12, "bold": True})
    text = wb.add_format({"font_name": FONT, "font_size": 12, "text_wrap": True,
                          "valign": "top"})
    ws.set_column(0, 0, col_units(22))
    ws.set_column(1, 1, col_units(90))
    rows = [
        ("MẪU BIỂU BÁO CÁO", ""),
        ("", "Sửa trình bày của trang “Biểu mẫu” tùy ý (phông chữ, cỡ chữ, quốc hiệu, biểu "
             "tượng, độ rộng cột, thêm cột, gộp ô, thiết lập in). Trang này không được chép "
             "vào biểu gửi đơn vị. Kiểm tra mẫu bằng lệnh: bdg-excel template check"),
        ("", "Dòng mẫu chỉ tiêu (có {{ma}} và {{chi_tieu}}) được lặp lại cho mỗi chỉ tiêu; "
             "dòng mẫu nhiệm vụ (có {{ma}} và {{nhiem_vu}}) cho mỗi nhiệm vụ. Giữ dòng tiêu "
             "đề ngay phía trên mỗi dòng mẫu với ô “Mã” và ô “Kết quả …” (bảng chỉ tiêu) hoặc "
             "“Tình trạng” (bảng nhiệm vụ)."),
        ("", "Ô của dòng mẫu không có ký hiệu: giữ nguyên; ô đã bỏ khóa (Format Cells > "
             "Protection) thì đơn vị nhập được."),
        ("Ký hiệu chung", "Dùng được ở mọi ô, kể cả giữa câu chữ:"),
        *[("{{" + k + "}}", v) for k, v in HEADER_FIELDS.items()],
        ("Dòng chỉ tiêu", ""),
        *[("{{" + k + "}}", layout.PART_A[layout.col_index(layout.PART_A, v)].header)
          for k, v in TARGET_FIELDS.items()],
        ("Dòng nhiệm vụ", ""),
        *[("{{" + k + "}}", layout.PART_B[layout.col_index(layout.PART_B, v)].header)
          for k, v in TASK_FIELDS.items()],
    ]
    for r, (a, b) in enumerate(rows):
        ws.write_string(r, 0, a, bold)
        if b:
            ws.write_string(r, 1, b, text)
            ws.set_row(r, wrapped_lines(b, 90) * LINE_PT + 3)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)


# -- reading a template ----------------------------------------------------------------

def _load(path: Path):
    import openpyxl

    try:
        return openpyxl.load_workbook(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the officer's to fix
        raise errors.PlanError(f"Không đọc được mẫu biểu {path} ({type(exc).__name__}). Mở "
                               f"tệp bằng Excel, lưu lại dạng .xlsx rồi thử lại.") from exc


def _names(value) -> list[str]:
    return PLACEHOLDER_RE.findall(value) if isinstance(value, str) and "{{" in value else []


def find_rows(wb) -> tuple[list[TemplateRow], list[Finding]]:
    """The template rows of every sheet, and what is wrong with them."""
    rows, found = [], []
    for ws in wb.worksheets:
        if ws.title == HELP_SHEET:
            continue
        for row in ws.iter_rows():
            names = {n: c.column for c in row for n in _names(c.value)}
            if not names.keys() & ROW_NAMES:
                continue
            r = row[0].row
            kind = "tasks" if names.keys() & {"nhiem_vu", "tinh_trang"} else "targets"
            fields = TASK_FIELDS if kind == "tasks" else TARGET_FIELDS
            if "ma" not in names:
                found.append(Finding("template_no_code", "Dòng mẫu thiếu ô {{ma}} (mã chỉ "
                                     "tiêu/nhiệm vụ): không có mã thì không đọc được biểu đã "
                                     "điền.", ERROR, sheet=ws.title, row=r))
                continue
            rows.append(TemplateRow(kind, ws.title, r,
                                    {fields[n]: c for n, c in names.items() if n in fields}))
    return rows, found


def check_template(path: str | Path) -> list[Finding]:
    """What is wrong with a form template, each with sheet and cell."""
    path = Path(path)
    wb = _load(path)
    return _check(wb, path.name) + dropped_shapes(path)


def dropped_shapes(path: Path, where: str = "biểu tạo ra",
                   code: str = "template_shapes_dropped") -> list[Finding]:
    """Drawn shapes and text boxes, which openpyxl does not keep (pictures and charts it
    keeps): one warning per sheet that has some."""
    import posixpath
    import zipfile

    def rels(z, part: str) -> dict[str, str]:
        folder, name = posixpath.split(part)
        try:
            xml = z.read(posixpath.join(folder, "_rels", name + ".rels")).decode("utf-8")
        except KeyError:
            return {}
        out = {}
        for m in re.finditer(r"<Relationship\b[^>]*>", xml):
            rid = re.search(r'\bId="([^"]+)"', m.group(0))
            target = re.search(r'\bTarget="([^"]+)"', m.group(0))
            if rid and target:
                out[rid.group(1)] = posixpath.normpath(posixpath.join(folder, target.group(1)))
        return out

    found = []
    try:
        with zipfile.ZipFile(path) as z:
            book = z.read("xl/workbook.xml").decode("utf-8")
            targets = rels(z, "xl/workbook.xml")
            for m in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", book):
                name = re.search(r'\bname="([^"]*)"', m.group(0))
                rid = re.search(r'\br:id="([^"]+)"|\bid="([^"]+)"', m.group(0))
                if not name or not rid:
                    continue
                sheet_part = targets.get(rid.group(1) or rid.group(2))
                if not sheet_part:
                    continue
                shapes = 0
                for target in rels(z, sheet_part).values():
                    if "/drawings/" in target and target.endswith(".xml"):
                        try:
                            xml = z.read(target).decode("utf-8")
                        except KeyError:
                            continue
                        shapes += len(re.findall(r"<(?:\w+:)?(?:sp|cxnSp)\b", xml))
                if shapes:
                    import html

                    found.append(Finding(
                        code, f"Trang có {shapes} hình vẽ hoặc hộp chữ (shape, text box): "
                        f"chúng sẽ không có trong {where}. Dùng hình ảnh (Insert > Pictures) "
                        "hoặc ghi chữ vào ô.", WARNING, path.name,
                        html.unescape(name.group(1))))
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        pass
    return found


def _check(wb, file: str) -> list[Finding]:
    rows, found = find_rows(wb)
    by_kind: dict[str, list[TemplateRow]] = {}
    for tr in rows:
        by_kind.setdefault(tr.kind, []).append(tr)
    row_keys = {(tr.sheet, tr.row): tr for tr in rows}
    for ws in wb.worksheets:
        if ws.title == HELP_SHEET:
            continue
        for row in ws.iter_rows():
            for c in row:
                for name in _names(c.value):
                    tr = row_keys.get((ws.title, c.row))
                    fields = (TASK_FIELDS if tr.kind == "tasks" else TARGET_FIELDS) if tr \
                        else {}
                    if name in HEADER_FIELDS or name in fields:
                        continue
                    if not tr and (name in TARGET_FIELDS or name in TASK_FIELDS):
                        msg = (f"Ký hiệu {{{{{name}}}}} chỉ dùng trong dòng mẫu của bảng chỉ "
                               f"tiêu hoặc nhiệm vụ (dòng có {{{{ma}}}}).")
                    else:
                        msg = (f"Ký hiệu {{{{{name}}}}} không có trong danh sách ký hiệu (xem "
                               f"trang “{HELP_SHEET}” hoặc docs/templates.md); sửa lại cho "
                               f"đúng hoặc xóa.")
                    found.append(Finding("template_unknown_placeholder", msg, ERROR,
                                         sheet=ws.title, cell=c.coordinate))
    for kind, label, name in (("targets", "chỉ tiêu", "{{chi_tieu}}"),
                              ("tasks", "nhiệm vụ", "{{nhiem_vu}}")):
        got = by_kind.get(kind, [])
        if not got:
            found.append(Finding("template_no_row", f"Mẫu không có dòng mẫu của bảng {label} "
                                 f"(một dòng có {{{{ma}}}} và {name}).", ERROR))
        for extra in got[1:]:
            found.append(Finding("template_two_rows", f"Mẫu có hơn một dòng mẫu của bảng "
                                 f"{label}; chỉ giữ một.", ERROR, sheet=extra.sheet,
                                 row=extra.row))
    for tr in rows:
        found.extend(_check_header(wb[tr.sheet], tr))
    if not any("don_vi" in _names(c.value) for ws in wb.worksheets if ws.title != HELP_SHEET
               for row in ws.iter_rows() for c in row):
        found.append(Finding("template_no_unit", "Mẫu không có ô {{don_vi}}: biểu sẽ không ghi "
                             "tên đơn vị báo cáo. Nên có một ô “Đơn vị báo cáo: {{don_vi}}”.",
                             WARNING))
    return [Finding(f.code, f.message, f.severity, file, f.sheet, f.cell, f.row, f.target)
            for f in found]


def _check_header(ws, tr: TemplateRow) -> list[Finding]:
    columns = layout.PART_B if tr.kind == "tasks" else layout.PART_A
    need = "status" if tr.kind == "tasks" else "value"
    if need not in tr.fields:
        ph = "{{tinh_trang}}" if tr.kind == "tasks" else "{{ket_qua}}"
        return [Finding("template_no_result", f"Dòng mẫu thiếu ô {ph}: đơn vị không có chỗ "
                        "nhập kết quả.", ERROR, sheet=ws.title, row=tr.row)]
    header = None
    for r in range(tr.row - 1, max(0, tr.row - 6), -1):
        values = [c.value for c in ws[r]]
        mapping = layout.header_map(values, columns)
        other = layout.header_map(values, layout.PART_B) if columns is layout.PART_A else None
        if mapping and not other:
            header = (r, mapping)
            break
    code_ref = f"{layout.col_letter(tr.fields['code'] - 1)}{tr.row}"
    if header is None:
        want = "“Tình trạng”" if tr.kind == "tasks" else "bắt đầu bằng “Kết quả”"
        return [Finding("template_no_header", f"Không thấy dòng tiêu đề phía trên dòng mẫu "
                        f"(trong 5 dòng): cần một ô “{layout.CODE_HEADER}” trên cột mã và một "
                        f"ô {want} trên cột kết quả, để đọc được biểu đã điền.", ERROR,
                        sheet=ws.title, cell=code_ref)]
    r, mapping = header
    found = []
    for key, col in tr.fields.items():
        if key in ("stt",) or not any(c.key == key and (c.input or key == "code")
                                      for c in columns):
            continue
        if mapping.get(key) != col - 1:
            head = columns[layout.col_index(columns, key)].header
            where = f"{layout.col_letter(col - 1)}{r}"
            found.append(Finding("template_header_mismatch", f"Tiêu đề ô {where} phải là "
                                 f"“{head}” (hoặc bắt đầu như vậy) để đọc được cột này của biểu "
                                 f"đã điền; một cột khác phía trước đang có tiêu đề đó, hoặc "
                                 f"tiêu đề đã bị đổi.", ERROR if key in ("code", "value", "status")
                                 else WARNING, sheet=ws.title, cell=where))
    return found


# -- building forms --------------------------------------------------------------------

def header_values(plan: Plan, unit: Unit, period: str, targets: list[Target]) -> dict[str, str]:
    from .generate import _deadline_line, _instruction, _issued_by

    report = plan.report_for(period)
    due = plan.deadline(period)
    deadline = _deadline_line(plan, period).removeprefix("Hạn gửi: ")
    return {
        "don_vi": unit.name, "noi_nhan": (report.to if report else None) or plan.issuer or "",
        "ky": period_label(period), "han_nop": vn.format_date(due) if due else deadline,
        "bieu_so": layout.FORM_NUMBER, "tieu_de": layout.TITLE, "ke_hoach": _issued_by(plan),
        "so_ke_hoach": plan.number or "", "co_quan": plan.issuer or "",
        "dia_danh": plan.place or "……", "nam": str(period_year(period)),
        "huong_dan": _instruction(targets, unit.tasks),
    }


def build_form(template: str | Path, plan: Plan, unit: Unit, period: str, path: str | Path,
               meta: dict[str, str], wb=None, check: bool = True) -> Path:
    """Write ``unit``'s form at ``path`` from the template (``wb``: the template already
    loaded, it is modified; ``check=False`` when the caller has checked it)."""
    template, path = Path(template), Path(path)
    wb = wb or _load(template)
    if check:
        _refuse_broken(template, wb)
    if HELP_SHEET in wb.sheetnames:
        del wb[HELP_SHEET]
    for name in (layout.META_SHEET,):
        if name in wb.sheetnames:
            del wb[name]
    rows, _ = find_rows(wb)
    targets = plan.unit_targets(unit)
    heads = header_values(plan, unit, period, targets)
    for ws in wb.worksheets:
        _fill_header(ws, heads)
    form_ws = None
    # bottom row first: inserting rows below it never moves the other template row
    for tr in sorted(rows, key=lambda t: (t.sheet, -t.row)):
        ws = wb[tr.sheet]
        form_ws = ws
        items = targets if tr.kind == "targets" else list(unit.tasks)
        _expand(ws, tr, len(items))
        for i, item in enumerate(items):
            if tr.kind == "targets":
                _fill_target(plan, ws, tr, tr.row + i, i, item)
            else:
                _fill_task(ws, tr, tr.row + i, i, item)
        if tr.kind == "targets" and items:
            _whole_numbers(ws, tr, len(items))
    if form_ws is not None:
        _paginate(form_ws)
        form_ws.protection.sheet = True
        form_ws.protection.formatRows = False
        form_ws.protection.formatColumns = False
        wb.active = wb.worksheets.index(form_ws)
        for ws in wb.worksheets:
            ws.sheet_view.tabSelected = ws is form_ws
    if layout.GUIDE_SHEET not in wb.sheetnames:   # the officer may have written their own
        _guide_sheet(wb, plan, unit, period, meta.get("form_version", ""),
                     form_ws.title if form_ws is not None else layout.FORM_SHEET)
    _meta_sheet(wb, meta)
    wb.properties.creator = layout.TOOL_MARK
    wb.properties.title = layout.TITLE
    with atomic_output(path) as tmp:     # OutputLocked when Excel holds it open
        wb.save(tmp)
    return path


#: inches of the paper sizes a template may use (A4 when unknown): width × height, portrait
_PAPER_IN = {1: (8.5, 11.0), 9: A4_IN, 11: (5.83, 8.27)}
_SIGNERS = ("LẬP BIỂU", "THỦ TRƯỞNG")


def _paginate(ws) -> None:
    """A form made from a template printed "fit to page width" (as ``template init``
    writes it) and longer than a page: print it at the fixed scale that fits the width,
    with page breaks that keep the signature block with the last two rows of the table
    above it. Excel ignores manual page breaks on a sheet fitted to the page, and would
    otherwise leave the signature alone on the last page. A template with its own scale or
    page breaks is left as the officer set it."""
    props = ws.sheet_properties.pageSetUpPr
    if not (props and props.fitToPage) or (ws.page_setup.fitToWidth or 1) != 1:
        return
    # Excel draws a column in whole-pixel digits, LibreOffice in exact ones: the wider
    digit = max(default_digit_px(ws.parent), default_digit_px(ws.parent, exact=True))
    fmt = ws.sheet_format
    default_w = (fmt.defaultColWidth or (fmt.baseColWidth or 8) + 0.71) * digit
    widths = stored_col_widths(ws)
    width = sum(widths[col] * digit if col in widths else default_w
                for col in range(1, (ws.max_column or 1) + 1))
    paper = _PAPER_IN.get(int(ws.page_setup.paperSize or 9), _PAPER_IN[9])
    if ws.page_setup.orientation == "landscape":
        paper = paper[::-1]
    m = ws.page_margins
    printable = ((paper[0] - m.left - m.right) * 96, (paper[1] - m.top - m.bottom) * 96)
    scale = max(10, min(100, int(printable[0] * 100 / (width * PRINT_WIDTH_SLACK))))
    default_h = (fmt.defaultRowHeight or 15) * 4 / 3
    last = ws.max_row
    heights = [0.0] * last                               # 0-based rows
    for r in range(1, last + 1):
        dim = ws.row_dimensions.get(r)
        if dim is not None and dim.hidden:
            continue
        heights[r - 1] = dim.ht * 4 / 3 if dim is not None and dim.ht else default_h
    texts = {}
    for row in ws.iter_rows(min_row=1, max_row=last):
        text = " ".join(str(c.value) for c in row if isinstance(c.value, str)).upper()
        if text:
            texts[row[0].row] = text
    sign = next((r for r, t in texts.items() if any(s in t for s in _SIGNERS)), None)
    keep: dict[int, int] = {}
    if sign is not None:
        if "NGÀY" in texts.get(sign - 1, "") and "THÁNG" in texts.get(sign - 1, ""):
            sign -= 1                                    # the place-and-date line above
        above = [r for r in texts if r < sign]
        if above:                                        # two table rows, 0-based
            keep[last - 1] = max(0, max(above) - 2)
    repeat = None
    if ws.print_title_rows:
        found = re.findall(r"\$?(\d+)", str(ws.print_title_rows))
        if len(found) >= 2:
            repeat = (int(found[0]) - 1, int(found[1]) - 1)
    breaks = page_breaks(heights, printable[1], scale, keep, repeat)
    if not breaks:
        return                                           # one page: as the template says
    from openpyxl.worksheet.pagebreak import Break, RowBreak

    props.fitToPage = False
    ws.page_setup.scale = scale
    ws.row_breaks = RowBreak()
    for b in breaks:                                     # a break after 1-based row b
        ws.row_breaks.append(Break(id=b))


def _refuse_broken(template: Path, wb) -> None:
    problems = [f for f in _check(wb, template.name) if f.severity == ERROR]
    if problems:
        raise errors.PlanError(f"Mẫu biểu {template} có lỗi, chưa tạo được biểu mẫu: "
                               + "; ".join(f"{f.location}: {f.message}" for f in problems[:5])
                               + " Chạy bdg-excel template check để xem đủ.")


def _fill_header(ws, heads: dict[str, str]) -> None:
    for row in ws.iter_rows():
        for c in row:
            if not isinstance(c.value, str) or "{{" not in c.value:
                continue
            text = PLACEHOLDER_RE.sub(
                lambda m: heads[m.group(1)] if m.group(1) in heads else m.group(0), c.value)
            if text != c.value:
                c.value = vn.nfc(text)


def _expand(ws, tr: TemplateRow, n: int) -> None:
    """Make room for ``n`` rows from the template row (copies of it), or delete it."""
    from openpyxl.formula.translate import Translator

    r = tr.row
    # the template's own validation of the row is replaced by ours
    for dv in list(ws.data_validations.dataValidation):
        if any(rng.min_row <= r <= rng.max_row for rng in dv.sqref.ranges):
            ws.data_validations.dataValidation.remove(dv)
    if n == 0:
        delete_rows(ws, r, 1)
        return
    if n > 1:
        insert_rows(ws, r + 1, n - 1)
        _extend_conditional_formats(ws, r, n)
        # a range ending on the template row (a total under the table) covers every copy
        _fix_formulas(ws, lambda row, end, start: row + n - 1 if end and row == r
                      and start <= r else row)
    src = list(ws[r])
    merges = [m for m in ws.merged_cells.ranges if m.min_row == r == m.max_row]
    height = ws.row_dimensions[r].height
    for k in range(1, n):
        for c in src:
            new = ws.cell(row=r + k, column=c.column)
            new.value = c.value
            if isinstance(c.value, str) and c.value.startswith("="):   # relative references
                new.value = Translator(c.value, origin=c.coordinate).translate_formula(
                    new.coordinate)
            if c.has_style:
                new._style = copy(c._style)
        for m in merges:
            ws.merge_cells(start_row=r + k, end_row=r + k, start_column=m.min_col,
                           end_column=m.max_col)
        if height is not None:
            ws.row_dimensions[r + k].height = height


def _extend_conditional_formats(ws, r: int, n: int) -> None:
    """A conditional format the officer put on the template row covers every copy of it."""
    from openpyxl.formatting.formatting import ConditionalFormattingList
    from openpyxl.worksheet.cell_range import CellRange, MultiCellRange

    new = ConditionalFormattingList()
    for cf in ws.conditional_formatting:
        out = MultiCellRange()
        for rng in cf.sqref.ranges:
            hi = rng.max_row + n - 1 if rng.max_row == r else rng.max_row
            out.add(CellRange(min_col=rng.min_col, max_col=rng.max_col, min_row=rng.min_row,
                              max_row=hi))
        for rule in cf.rules:
            new.add(str(out), rule)
    ws.conditional_formatting = new


def _shift_row_things(ws, first: int, delta: int) -> None:
    """After cells of rows >= ``first`` moved by ``delta`` rows: move merged cells, row
    heights, pictures, charts, data validation, conditional formats and the print area."""
    from openpyxl.worksheet.cell_range import CellRange
    from openpyxl.worksheet.merge import MergedCellRange

    def moved(row: int) -> int:
        return row + delta if row >= first else row

    kept = []
    for m in list(ws.merged_cells.ranges):
        if delta < 0 and first + delta <= m.min_row < first and m.max_row < first:
            continue                              # inside the deleted rows
        kept.append((m.min_col, m.max_col, moved(m.min_row), moved(m.max_row)))
    # rebuilt at once: moving one range onto another's old place must not drop either
    ws.merged_cells.ranges.clear()
    for c1, c2, r1, r2 in kept:
        ws.merged_cells.ranges.add(MergedCellRange(ws, CellRange(
            min_col=c1, max_col=c2, min_row=r1, max_row=r2).coord))
    dims = {r: d for r, d in ws.row_dimensions.items()}
    for r in sorted(dims, reverse=delta > 0):
        if r >= first or (delta < 0 and first + delta <= r < first):
            ws.row_dimensions.pop(r, None)
    for r, d in dims.items():
        if r >= first:
            d.index = moved(r)
            ws.row_dimensions[moved(r)] = d
    for drawing in list(ws._images) + list(ws._charts):
        anchor = drawing.anchor
        for part in (getattr(anchor, "_from", None), getattr(anchor, "to", None)):
            if part is not None and part.row + 1 >= first:
                part.row += delta
    for dv in ws.data_validations.dataValidation:
        dv.sqref = _shift_ranges(dv.sqref, first, delta)
    from openpyxl.formatting.formatting import ConditionalFormattingList

    old = ws.conditional_formatting
    new = ConditionalFormattingList()
    for cf in old:
        ref = str(_shift_ranges(cf.sqref, first, delta))
        for rule in cf.rules:
            new.add(ref, rule)
    ws.conditional_formatting = new
    if ws.print_area:
        from openpyxl.worksheet.cell_range import MultiCellRange

        area = ws.print_area
        parts = area.split(",") if isinstance(area, str) else list(area)
        areas = MultiCellRange(" ".join(a.rsplit("!", 1)[-1].replace("$", "")
                                        for a in parts))
        ws.print_area = [str(r) for r in _shift_ranges(areas, first, delta).ranges]


def _shift_ranges(multi, first: int, delta: int):
    from openpyxl.worksheet.cell_range import CellRange, MultiCellRange

    out = MultiCellRange()
    for rng in multi.ranges:
        lo = rng.min_row + delta if rng.min_row >= first else rng.min_row
        hi = rng.max_row + delta if rng.max_row >= first else rng.max_row
        if hi >= lo:
            out.add(CellRange(min_col=rng.min_col, max_col=rng.max_col, min_row=lo,
                              max_row=hi))
    return out


def insert_rows(ws, idx: int, amount: int) -> None:
    """openpyxl's insert_rows, and move what it leaves behind (formulas included)."""
    ws.insert_rows(idx, amount)
    _shift_row_things(ws, idx, amount)
    _fix_formulas(ws, lambda row, end, start: row + amount if row >= idx else row)


def delete_rows(ws, idx: int, amount: int) -> None:
    ws.delete_rows(idx, amount)
    _shift_row_things(ws, idx + amount, -amount)
    _fix_formulas(ws, lambda row, end, start: row - amount if row >= idx + amount else row)


_REF_RE = re.compile(r"^(\$?[A-Za-z]{1,3})?(\$?)(\d+)$")


def _fix_formulas(ws, move) -> None:
    """Rewrite the row numbers of the references to this sheet in every formula of ``ws``:
    ``move(row, is_range_end, range_start_row)`` gives the new row."""
    from openpyxl.formula.tokenizer import Tokenizer

    for row in ws.iter_rows():
        for cell in row:
            if not (isinstance(cell.value, str) and cell.value.startswith("=")):
                continue
            try:
                tok = Tokenizer(cell.value)
            except Exception:  # noqa: BLE001 - a formula we cannot parse is left as it is
                continue
            changed = False
            for item in tok.items:
                if item.type != "OPERAND" or item.subtype != "RANGE":
                    continue
                sheet, bang, ref = item.value.rpartition("!")
                if bang and sheet.strip("'") != ws.title:
                    continue
                parts = ref.split(":")
                matches = [_REF_RE.match(p) for p in parts]
                if len(parts) > 2 or not all(matches):
                    continue
                start = int(matches[0].group(3))
                new = []
                for i, m in enumerate(matches):
                    r = move(int(m.group(3)), i == len(parts) - 1 and len(parts) == 2, start)
                    new.append(f"{m.group(1) or ''}{m.group(2)}{r}")
                value = (sheet + bang if bang else "") + ":".join(new)
                if value != item.value:
                    item.value, changed = value, True
            if changed:
                cell.value = tok.render()


def _cells(ws, tr: TemplateRow, r: int) -> dict[str, object]:
    return {key: ws.cell(row=r, column=col) for key, col in tr.fields.items()}


def _set(cell, value) -> None:
    """Whole-cell placeholder -> the typed value; placeholder inside text -> replaced."""
    if isinstance(cell.value, str) and PLACEHOLDER_RE.fullmatch(cell.value.strip()):
        cell.value = value if not isinstance(value, str) else (vn.nfc(value) or None)
    elif isinstance(cell.value, str):
        cell.value = vn.nfc(PLACEHOLDER_RE.sub(lambda m: str(value or ""), cell.value))


def _unlock(cell, locked: bool = False, fill: str | None = None) -> None:
    from openpyxl.styles import PatternFill, Protection

    cell.protection = Protection(locked=locked, hidden=False)
    if fill:
        cell.fill = PatternFill("solid", start_color=fill, end_color=fill)


def _fill_target(plan: Plan, ws, tr: TemplateRow, r: int, i: int, t: Target) -> None:
    from .generate import _fraction_rule, _messages, _result_rule, _target_text, _unit_text

    ind = plan.indicator(t.indicator_code)
    cells = _cells(ws, tr, r)
    values = {"stt": i + 1, "code": t.code, "indicator": vn.nfc(ind.text if ind else t.text),
              "target": _target_text(t, ind), "unit": _unit_text(t)}
    for key, cell in cells.items():
        if key in values:
            _set(cell, values[key])
            continue
        _set(cell, None)
        if key in ("numerator", "denominator") and not t.has_fraction:
            _unlock(cell, locked=True, fill=GREY)
            continue
        _unlock(cell)
        if key == "value":
            _validate(ws, cell, _result_rule(t))
        elif key in ("numerator", "denominator"):
            _validate(ws, cell, _fraction_rule(t, key))
        elif key == "source":
            _validate(ws, cell, {"validate": "any", **_messages(
                "Nguồn số liệu", "Ghi nguồn số liệu, ví dụ: sổ theo dõi, báo cáo thống kê.")})
    _fit_height(ws, r, [(cells[k], values[k]) for k in ("indicator", "target") if k in cells])


def _fill_task(ws, tr: TemplateRow, r: int, i: int, task: str) -> None:
    from .generate import _error, _messages

    cells = _cells(ws, tr, r)
    values = {"stt": i + 1, "code": layout.task_code(i), "task": vn.nfc(task)}
    for key, cell in cells.items():
        if key in values:
            _set(cell, values[key])
            continue
        _set(cell, None)
        _unlock(cell)
        if key == "status":
            _validate(ws, cell, {
                "validate": "list", "source": list(layout.TASK_STATUSES),
                **_messages("Tình trạng nhiệm vụ", "Chọn một tình trạng trong danh sách."),
                **_error("Chọn một tình trạng trong danh sách.")})
    _fit_height(ws, r, [(cells["task"], values["task"])] if "task" in cells else [])


def _fit_height(ws, r: int, cells) -> None:
    """Grow the row so every wrapped text fits (openpyxl cannot autofit heights)."""
    lines = 1
    widths = stored_col_widths(ws)
    for cell, text in cells:
        span = next((m for m in ws.merged_cells.ranges if cell.coordinate in m), None)
        cols = range(span.min_col, span.max_col + 1) if span else [cell.column]
        width = sum(widths.get(col, 8.43) for col in cols)
        # the file's widths are digits of its default font, padding included
        width = (width * default_digit_px(ws.parent) - PADDING_PX) / LAYOUT_CHAR_PX
        size = (cell.font.sz or 11) if cell.font else 11
        lines = max(lines, wrapped_lines(str(text), width, size=size))
    need = lines * LINE_PT + 3
    current = ws.row_dimensions[r].height
    if current is None or current < need:
        ws.row_dimensions[r].height = need


def _whole_numbers(ws, tr: TemplateRow, n: int) -> None:
    """Whole numbers without a trailing decimal separator ("45", not "45,"), as in
    :mod:`bdg_excel.forms.generate`: the number format "#,##0.##" alone shows "45,"."""
    from openpyxl.formatting.rule import Rule
    from openpyxl.styles.differential import DifferentialStyle
    from openpyxl.styles.numbers import NumberFormat

    for key in ("value", "numerator", "denominator"):
        col = tr.fields.get(key)
        if col is None:
            continue
        letter = layout.col_letter(col - 1)
        top = f"{letter}{tr.row}"
        rule = Rule(type="expression", formula=[f"AND(ISNUMBER({top}),MOD({top},1)=0)"],
                    dxf=DifferentialStyle(numFmt=NumberFormat(numFmtId=3,
                                                              formatCode="#,##0")))
        ws.conditional_formatting.add(f"{top}:{letter}{tr.row + n - 1}", rule)


_OPERATORS = {">=": "greaterThanOrEqual", "between": "between"}


def _validate(ws, cell, rule: dict) -> None:
    """An xlsxwriter-style rule (as :mod:`bdg_excel.forms.generate` builds them) on one cell."""
    from openpyxl.worksheet.datavalidation import DataValidation

    kind = {"list": "list", "decimal": "decimal", "integer": "whole"}.get(rule["validate"])
    dv = DataValidation(type=kind, allow_blank=True, showInputMessage=True,
                        promptTitle=rule.get("input_title"), prompt=rule.get("input_message"))
    if kind == "list":
        dv.formula1 = '"' + ",".join(rule["source"]) + '"'
    elif kind:
        dv.operator = _OPERATORS[rule["criteria"]]
        dv.formula1 = str(rule.get("minimum", rule.get("value")))
        if "maximum" in rule:
            dv.formula2 = str(rule["maximum"])
    if rule.get("error_message"):
        dv.showErrorMessage = True
        dv.errorTitle, dv.error = rule.get("error_title"), rule["error_message"]
    dv.add(cell.coordinate)
    ws.add_data_validation(dv)


def _guide_sheet(wb, plan: Plan, unit: Unit, period: str, version: str, sheet: str) -> None:
    from openpyxl.styles import Alignment, Font, Protection

    from .generate import guide_lines

    ws = wb.create_sheet(layout.GUIDE_SHEET)
    ws.column_dimensions["A"].width = 110
    ws["A1"] = "HƯỚNG DẪN ĐIỀN BIỂU"
    ws["A1"].font = Font(name=FONT, size=14, bold=True)
    lines = [line.replace(f"“{layout.FORM_SHEET}”", f"“{sheet}”")   # a renamed form sheet
             for line in guide_lines(plan, unit, period, version)]
    for r, text in enumerate(lines, 3):
        cell = ws.cell(row=r, column=1, value=vn.nfc(text))
        cell.font = Font(name=FONT, size=12)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.protection = Protection(locked=True)
        ws.row_dimensions[r].height = wrapped_lines(text, 110) * LINE_PT + 3
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9
    ws.protection.sheet = True


def _meta_sheet(wb, meta: dict[str, str]) -> None:
    ws = wb.create_sheet(layout.META_SHEET)
    for r, (key, value) in enumerate(meta.items(), 1):
        ws.cell(row=r, column=1, value=key)
        ws.cell(row=r, column=2, value=value).number_format = "@"
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 60
    ws.sheet_state = "hidden"
    ws.protection.sheet = True


def generate_forms(template: Path, plan: Plan, out_dir: Path, period: str, *,
                   units: list[str] | None = None, workers: int = 1, progress=None,
                   generated_at: datetime | None = None):
    """``generate`` when ``templates/bieu-mau.xlsx`` exists: one form per unit, built
    from the template (same file names, identification and results as
    :func:`bdg_excel.forms.generate.generate_forms`), in plan order whatever ``workers`` is."""
    from .generate import _check_period, _chunks, _select_units, run_chunks

    _check_period(period)
    template = Path(template)
    chosen = _select_units(plan, units)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = generated_at or clock.now().astimezone()
    data = template.read_bytes()
    _refuse_broken(template, _load(template))     # said once, before any form is written
    position = {id(u): i for i, u in enumerate(plan.units)}
    indices = [position[id(u)] for u in chosen]
    total = len(indices)
    if progress:
        progress(0, total)
    if workers <= 1 or total <= 1:
        run = _run(plan, period, template, data)
        results = []
        for n, i in enumerate(indices, 1):
            results.extend(_build_chunk([i], out, stamp, run))
            if progress:
                progress(n, total)
        return results
    chunks = _chunks(indices, workers)
    return run_chunks(chunks, workers, (_init_worker, (plan, period, template, data)),
                      (_build_chunk, (out, stamp)), progress, total)


def _run(plan: Plan, period: str, template: Path, data: bytes) -> dict:
    from .generate import _run_info

    return {**_run_info(plan, period), "period": period, "template": template, "data": data}


_WORKER_RUN: dict = {}


def _init_worker(plan: Plan, period: str, template: Path, data: bytes) -> None:
    _WORKER_RUN.update(_run(plan, period, template, data))


def _build_chunk(indices: list[int], out: Path, stamp: datetime, run: dict | None = None):
    import io

    import openpyxl

    from .generate import GeneratedForm, meta_values

    run = run or _WORKER_RUN
    plan, period, results = run["plan"], run["period"], []
    for i in indices:
        unit = plan.units[i]
        wb = openpyxl.load_workbook(io.BytesIO(run["data"]))
        meta = meta_values(plan, unit, period, stamp, ids=run["ids"])
        path = build_form(run["template"], plan, unit, period, out / run["names"][unit.key],
                          meta, wb=wb, check=False)
        results.append(GeneratedForm(unit.name, path, meta["form_version"],
                                     len(plan.unit_targets(unit)), len(unit.tasks)))
    return results
