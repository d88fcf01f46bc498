"""The consolidated workbook's summary sheet from ``templates/tong-hop.xlsx`` (issue 16).

The officer's template holds a header block (any text, with the placeholders of
:data:`HEADER_FIELDS` anywhere inside it) and ONE template row whose cells hold
:data:`ROW_FIELDS` placeholders; the row is repeated for every target row of the plan.
The consolidated workbook is written by xlsxwriter (:mod:`bdg_excel.report.workbook`), so the
template's sheet is re-created there: values, fonts, fills, borders, alignment, number
formats, merged cells, column widths, row heights and page orientation are copied.
Pictures and charts of the template are not copied (documented in docs/templates.md).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..core import errors, vn
from ..core.findings import ERROR, Finding
from ..core.xlsx import LAYOUT_CHAR_PX, default_digit_px, put, stored_col_widths
from ..plan import targets as tg
from ..plan.model import period_label
from .annex import _NoData, _result
from .results import Consolidation, TargetResult

TEMPLATE_NAME = "tong-hop.xlsx"
PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")
HEADER_FIELDS = {"don_vi_bao_cao": "cơ quan tổng hợp", "ky": "kỳ báo cáo",
                 "so_don_vi": "số đơn vị phải báo cáo", "so_don_vi_da_nop": "số đơn vị đã nộp",
                 "noi_nhan": "nơi nhận báo cáo tổng hợp", "so_ke_hoach": "số hiệu kế hoạch",
                 "dia_danh": "địa danh", "nam": "năm"}
ROW_FIELDS = {"stt": "số thứ tự", "ma": "mã chỉ tiêu", "chi_tieu": "nội dung chỉ tiêu",
              "muc_tieu": "mục tiêu", "don_vi_tinh": "đơn vị tính", "ket_qua": "kết quả",
              "tu_so": "tổng tử số", "mau_so": "tổng mẫu số", "danh_gia": "đánh giá",
              "so_don_vi_nop": "số đơn vị đã báo cáo chỉ tiêu",
              "don_vi_giao": "các đơn vị được giao", "tien_do": "tiến độ so với mục tiêu",
              "ky_truoc": "kết quả kỳ trước", "thay_doi": "thay đổi so với kỳ trước"}

_BORDERS = {"thin": 1, "medium": 2, "dashed": 3, "dotted": 4, "thick": 5, "double": 6,
            "hair": 7, "mediumDashed": 8, "dashDot": 9, "mediumDashDot": 10,
            "dashDotDot": 11, "mediumDashDotDot": 12, "slantDashDot": 13}


def template_path(templates_dir: Path) -> Path | None:
    path = Path(templates_dir) / TEMPLATE_NAME
    return path if path.is_file() else None


def _load(path: Path):
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path)
    except Exception as exc:  # noqa: BLE001
        raise errors.PlanError(f"Không đọc được mẫu bảng tổng hợp {path} ({type(exc).__name__})."
                               " Mở tệp bằng Excel, lưu lại dạng .xlsx rồi thử lại.") from exc
    return wb


def _find(wb):
    """(sheet, template row) — the first row holding a row placeholder."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and any(
                        n in ROW_FIELDS for n in PLACEHOLDER_RE.findall(c.value)):
                    return ws, c.row
    return wb.worksheets[0], None


def check_template(path: str | Path) -> list[Finding]:
    path = Path(path)
    wb = _load(path)
    ws, trow = _find(wb)
    found = []
    if trow is None:
        found.append(Finding("summary_no_row", "Mẫu bảng tổng hợp không có dòng mẫu (một dòng "
                             "có {{ma}} và {{ket_qua}}).", ERROR, file=path.name, sheet=ws.title))
    for row in ws.iter_rows():
        for c in row:
            for name in PLACEHOLDER_RE.findall(c.value) if isinstance(c.value, str) else []:
                ok = name in HEADER_FIELDS or (c.row == trow and name in ROW_FIELDS)
                if not ok:
                    found.append(Finding("summary_unknown_placeholder", f"Ký hiệu {{{{{name}}}}} "
                                         "không dùng được ở ô này (xem docs/templates.md).",
                                         ERROR, file=path.name, sheet=ws.title,
                                         cell=c.coordinate))
    return found


def header_values(c: Consolidation) -> dict[str, str]:
    comp = c.completeness
    upward = getattr(c.plan, "upward", None)
    return {"don_vi_bao_cao": c.plan.issuer or "", "ky": period_label(c.period),
            "so_don_vi": str(comp.expected), "so_don_vi_da_nop": str(comp.received),
            "noi_nhan": (getattr(upward, "to", None) or "") if upward else "",
            "so_ke_hoach": c.plan.number or "", "dia_danh": c.plan.place or "……",
            "nam": c.period[:4]}


def row_values(n: int, res: TargetResult, year: int) -> dict[str, object]:
    t = res.target
    result = _result(res)
    return {"stt": n, "ma": t.code, "chi_tieu": vn.nfc(res.indicator_text),
            "muc_tieu": tg.describe(t), "don_vi_tinh": t.unit or "",
            "ket_qua": None if isinstance(result, _NoData) else result,
            "tu_so": res.numerator, "mau_so": res.denominator,
            "danh_gia": res.assessment.label,
            "so_don_vi_nop": f"{res.units_reported}/{len(res.unit_values)}",
            "don_vi_giao": "; ".join(res.responsible),
            "tien_do": tg.progress(t, res.value, year), "ky_truoc": res.previous,
            "thay_doi": res.change}


def _colour(color) -> str | None:
    rgb = getattr(color, "rgb", None) if color is not None else None
    if isinstance(rgb, str) and len(rgb) == 8 and getattr(color, "type", "rgb") == "rgb":
        return "#" + rgb[2:]
    return None


def _format_props(cell) -> dict:
    p: dict = {}
    f = cell.font
    if f is not None:
        if f.name:
            p["font_name"] = f.name
        if f.sz:
            p["font_size"] = float(f.sz)
        if f.b:
            p["bold"] = True
        if f.i:
            p["italic"] = True
        if f.u:
            p["underline"] = 1
        if _colour(f.color):
            p["font_color"] = _colour(f.color)
    fill = cell.fill
    if fill is not None and fill.fill_type == "solid" and _colour(fill.fgColor):
        p["bg_color"] = _colour(fill.fgColor)
    b = cell.border
    for side in ("left", "right", "top", "bottom"):
        s = getattr(b, side, None)
        if s is not None and s.style in _BORDERS:
            p[side] = _BORDERS[s.style]
    a = cell.alignment
    if a is not None:
        if a.horizontal in ("left", "center", "right", "justify", "fill"):
            p["align"] = a.horizontal
        if a.vertical in ("top", "center", "bottom", "justify"):
            p["valign"] = "vcenter" if a.vertical == "center" else a.vertical
        if a.wrap_text:
            p["text_wrap"] = True
    if cell.number_format and cell.number_format != "General":
        p["num_format"] = cell.number_format
    return p


def write_sheet(template: Path, name: str, wb, fm, c: Consolidation) -> None:
    """Add the summary sheet ``name`` to the xlsxwriter workbook ``wb`` from the template."""
    src_wb = _load(Path(template))
    src, trow = _find(src_wb)
    ws = wb.add_worksheet(name)
    formats: dict = {}

    def fmt(cell):
        key = cell.style_id if cell.has_style else None
        if key not in formats:
            formats[key] = wb.add_format(_format_props(cell)) if cell.has_style else None
        return formats[key]

    heads = header_values(c)
    n_rows = len(c.results)
    extra = (n_rows - 1) if trow else 0

    def out_row(r: int) -> int:                 # 1-based template row -> 0-based output row
        return r - 1 if trow is None or r <= trow else r - 1 + extra

    digit = default_digit_px(src.parent)
    for dim in list(src.column_dimensions.values()):
        if dim.width and dim.customWidth is not False and dim.min:
            # the file stores the width in digits of its own default font, with the cell
            # padding: the same pixels here, whatever the template's default font
            ws.set_column_pixels(dim.min - 1, (dim.max or dim.min) - 1,
                                 max(0, round(dim.width * digit)))
    for r, dim in src.row_dimensions.items():
        if dim.height and r != trow:
            ws.set_row(out_row(r), dim.height)
    merged = {}
    for m in src.merged_cells.ranges:
        merged[(m.min_row, m.min_col)] = m
    covered = {(r, col) for m in src.merged_cells.ranges
               for r in range(m.min_row, m.max_row + 1) for col in range(m.min_col, m.max_col + 1)
               if (r, col) != (m.min_row, m.min_col)}

    def write(r_out: int, cell, value, r_src: int) -> None:
        f = fmt(cell)
        m = merged.get((r_src, cell.column))
        if m is not None:
            rows = m.max_row - m.min_row
            ws.merge_range(r_out, m.min_col - 1, r_out + rows, m.max_col - 1, None, f)
        if isinstance(value, str) and value.startswith("="):
            ws.write_formula(r_out, cell.column - 1, value, f)
        else:
            put(ws, r_out, cell.column - 1, value, f)

    def fill_text(text: str, values: dict) -> object:
        m = PLACEHOLDER_RE.fullmatch(text.strip())
        if m and m.group(1) in values:
            return values[m.group(1)]
        return vn.nfc(PLACEHOLDER_RE.sub(
            lambda x: "" if values.get(x.group(1)) is None and x.group(1) in values
            else str(values.get(x.group(1), x.group(0))), text))

    heights: dict[int, float] = {}
    for row in src.iter_rows():
        for cell in row:
            r = cell.row
            if (r, cell.column) in covered or (cell.value is None and not cell.has_style):
                continue
            if r == trow:
                for i, res in enumerate(c.results):
                    vals = row_values(i + 1, res, int(c.period[:4]))
                    v = fill_text(cell.value, vals) if isinstance(cell.value, str) else cell.value
                    write(r - 1 + i, cell, v, r)
                    if isinstance(v, str) and cell.alignment is not None and \
                            cell.alignment.wrap_text:
                        heights[i] = max(heights.get(i, 0), _text_height(src, cell, v, merged))
                continue
            v = fill_text(cell.value, heads) if isinstance(cell.value, str) else cell.value
            write(out_row(r), cell, v, r)
    if trow is not None:
        template_height = src.row_dimensions[trow].height or 0
        for i in range(len(c.results)):
            if template_height or heights.get(i):
                ws.set_row(trow - 1 + i, max(template_height, heights.get(i, 0)))
    _pictures(src, ws, out_row, digit)
    if src.page_setup.orientation == "landscape":
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(int(src.page_setup.paperSize or 9))
    ws.fit_to_pages(1, 0)
    ws.hide_gridlines(2 if not src.sheet_view.showGridLines else 0)


EMU_PER_PX = 9525


def _pictures(src, ws, out_row, digit: float) -> None:
    """The template's pictures (an emblem, a logo) at the same place and size: rows below
    the template row move down with the table. openpyxl reads them with Pillow."""
    from io import BytesIO

    widths = stored_col_widths(src)

    def col_px(col: int) -> float:          # 0-based column's width in pixels
        return widths[col + 1] * digit if col + 1 in widths else 8.43 * digit + 5

    def row_px(row: int) -> float:          # 0-based row's height in pixels
        dim = src.row_dimensions.get(row + 1)
        return (dim.height if dim is not None and dim.height else 15) * 4 / 3

    for img in getattr(src, "_images", []):
        anchor = img.anchor
        start = getattr(anchor, "_from", None)
        if start is None:                   # an absolute anchor: not kept
            continue
        x_off, y_off = start.colOff / EMU_PER_PX, start.rowOff / EMU_PER_PX
        ext = getattr(anchor, "ext", None)
        end = getattr(anchor, "to", None)
        if ext is not None and ext.width:   # one-cell anchor: the size is given
            width, height = ext.width / EMU_PER_PX, ext.height / EMU_PER_PX
        elif end is not None:               # two-cell anchor: from cell to cell
            width = sum(col_px(c) for c in range(start.col, end.col)) \
                - x_off + end.colOff / EMU_PER_PX
            height = sum(row_px(r) for r in range(start.row, end.row)) \
                - y_off + end.rowOff / EMU_PER_PX
        else:
            width, height = img.width, img.height
        try:
            data = img._data()
        except Exception:  # noqa: BLE001 — a picture Pillow cannot re-read is left out
            continue
        ws.insert_image(out_row(start.row + 1), start.col, f"hinh.{img.format or 'png'}", {
            "image_data": BytesIO(data), "x_offset": round(x_off), "y_offset": round(y_off),
            "x_scale": width / img.width if img.width else 1,
            "y_scale": height / img.height if img.height else 1,
            "object_position": 1})


def write_template(path: str | Path) -> Path:
    """A starting summary template (the officer restyles it in Excel)."""
    from ..core.xlsx import FONT, col_units, new_template_workbook

    path = Path(path)
    wb = new_template_workbook(path)
    base = {"font_name": FONT, "font_size": 12, "valign": "vcenter", "text_wrap": True}
    bold = wb.add_format({**base, "bold": True, "align": "center"})
    plain = wb.add_format({**base, "align": "center"})
    head = wb.add_format({**base, "bold": True, "align": "center", "border": 1,
                          "bg_color": "#DDEBF7"})
    cell = wb.add_format({**base, "border": 1})
    centre = wb.add_format({**base, "border": 1, "align": "center"})
    number = wb.add_format({**base, "border": 1, "num_format": "#,##0.##"})
    ws = wb.add_worksheet("Tổng hợp")
    cols = [("STT", 5, "{{stt}}", centre), ("Mã", 7, "{{ma}}", centre),
            ("Chỉ tiêu", 46, "{{chi_tieu}}", cell), ("Mục tiêu", 18, "{{muc_tieu}}", centre),
            ("Kết quả", 12, "{{ket_qua}}", number), ("Tử số", 11, "{{tu_so}}", number),
            ("Mẫu số", 11, "{{mau_so}}", number), ("Đánh giá", 14, "{{danh_gia}}", centre),
            ("Số đơn vị đã báo cáo", 12, "{{so_don_vi_nop}}", centre)]
    last = len(cols) - 1
    ws.merge_range(0, 0, 0, 3, "{{don_vi_bao_cao}}", bold)
    ws.merge_range(0, 5, 0, last, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold)
    ws.merge_range(1, 5, 1, last, "Độc lập - Tự do - Hạnh phúc", bold)
    ws.merge_range(3, 0, 3, last, "BÁO CÁO TỔNG HỢP KẾT QUẢ THỰC HIỆN CHIẾN LƯỢC QUỐC GIA VỀ "
                   "BÌNH ĐẲNG GIỚI", bold)
    ws.merge_range(4, 0, 4, last, "Kỳ báo cáo: {{ky}} — {{so_don_vi_da_nop}}/{{so_don_vi}} đơn "
                   "vị đã nộp", plain)
    for c, (text, width, ph, f) in enumerate(cols):
        ws.set_column(c, c, col_units(width))
        ws.write_string(6, c, text, head)
        ws.write_string(7, c, ph, f)
    ws.set_row(6, 2 * 15.75 + 3)
    ws.set_row(7, 33)
    ws.merge_range(9, 5, 9, last, "{{dia_danh}}, ngày …… tháng …… năm {{nam}}", plain)
    ws.merge_range(10, 5, 10, last, "THỦ TRƯỞNG CƠ QUAN", bold)
    ws.set_landscape()
    ws.set_paper(9)
    wb.close()
    return path


def _text_height(src, cell, text: str, merged: dict) -> float:
    """Row height (pt) for ``text`` wrapped in ``cell`` (and the cells merged with it)."""
    from ..core.xlsx import LINE_PT, wrapped_lines

    m = merged.get((cell.row, cell.column))
    cols = range(m.min_col, m.max_col + 1) if m is not None else [cell.column]
    widths = stored_col_widths(src)
    width = sum(widths.get(col, 8.43) for col in cols) \
        * default_digit_px(src.parent) / LAYOUT_CHAR_PX       # in layout characters
    size = float(cell.font.sz or 11) if cell.font is not None else 11.0
    return wrapped_lines(text, width, size=size) * LINE_PT * size / 12 + 3
