"""Filling the annex workbook of the level above (``report --into``, CONTRACT section 6).

The annex is modified with openpyxl and left as it was except for the cells that receive
a figure: cells whose whole text is a placeholder (``{{4.1.ket_qua}}``), or — for an annex
that must not be edited — the cells a cell map names (CSV: ``sheet,cell,placeholder``).
Numbers are written as numbers into cells that keep their own style. Unknown placeholders
are listed and left in place; figures with no data are listed and their cells emptied.

openpyxl keeps styles, merged cells, formulas (as formulas: Excel and LibreOffice
recompute them on opening, we ask for that), column widths, other sheets, pictures (with
Pillow) and charts; it drops drawn shapes and text boxes. The annex is never overwritten:
the result goes to another file.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..core import errors, vn
from ..core.workspace import atomic_output
from ..core.findings import ERROR, WARNING, Finding
from ..plan import targets as tg
from ..plan.model import period_label
from .results import Consolidation, TargetResult

WHOLE_RE = re.compile(r"^\s*\{\{\s*([^{}]+?)\s*\}\}\s*$")
FIELDS = {"ket_qua": "kết quả tổng hợp", "chi_tieu": "mục tiêu", "danh_gia": "đánh giá",
          "tu_so": "tổng tử số", "mau_so": "tổng mẫu số"}
GLOBALS = {"don_vi_bao_cao": "đơn vị báo cáo", "ky": "kỳ báo cáo",
           "so_don_vi": "số đơn vị phải báo cáo", "so_don_vi_da_nop": "số đơn vị đã nộp"}


@dataclass
class Filled:
    sheet: str
    cell: str
    placeholder: str
    value: object


@dataclass
class AnnexResult:
    path: Path
    filled: list[Filled] = field(default_factory=list)
    #: unknown placeholders (left in place) and figures with no data (cell emptied)
    findings: list[Finding] = field(default_factory=list)


class _NoData:
    def __init__(self, why: str):
        self.why = why


def annex_values(c: Consolidation) -> dict[str, object]:
    """Placeholder name -> value (a number, a text, or :class:`_NoData`)."""
    comp = c.completeness
    values: dict[str, object] = {
        "don_vi_bao_cao": vn.nfc(c.plan.issuer or "") or _NoData("kế hoạch chưa ghi cơ quan"),
        "ky": period_label(c.period), "so_don_vi": comp.expected,
        "so_don_vi_da_nop": comp.received,
    }
    for res in c.results:
        code = res.target.code
        values[f"{code}.chi_tieu"] = tg.describe(res.target)
        values[f"{code}.danh_gia"] = res.assessment.label
        values[f"{code}.ket_qua"] = _result(res)
        for key, v in (("tu_so", res.numerator), ("mau_so", res.denominator)):
            if not res.target.has_fraction:
                values[f"{code}.{key}"] = _NoData("chỉ tiêu không tính theo tử số/mẫu số")
            else:
                values[f"{code}.{key}"] = _number(v) if v is not None else \
                    _NoData("chưa đủ tử số và mẫu số của các đơn vị")
    return values


def _number(v: float):
    v = vn.tidy_float(v)
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _result(res: TargetResult):
    if res.target.measure == "yesno":
        if not res.answers:
            return _NoData("chưa đơn vị nào trả lời")
        if len(res.answers) == 1:
            return next(iter(res.answers))
        return "; ".join(f"{k}: {n} đơn vị" for k, n in sorted(res.answers.items()))
    if res.value is None:
        return _NoData("chưa có số liệu" if not res.units_reported else
                       "các đơn vị chưa nhập hoặc thiếu tử số/mẫu số")
    return _number(res.value)


def fill_annex(c: Consolidation, annex: str | Path, out: str | Path, *,
               cell_map: str | Path | None = None) -> AnnexResult:
    """Write ``annex`` with the consolidated figures into ``out`` (never over ``annex``)."""
    annex, out = Path(annex), Path(out)
    if out.resolve() == annex.resolve():
        raise errors.UsageError(f"Tệp kết quả -o phải khác tệp phụ lục {annex.name}: phụ lục "
                                "gốc không bao giờ bị ghi đè.")
    if annex.suffix.lower() not in (".xlsx", ".xlsm"):
        raise errors.UsageError(f"Phụ lục {annex.name} phải là tệp .xlsx (mở bằng Excel rồi "
                                "lưu dạng .xlsx).")
    import openpyxl

    try:
        wb = openpyxl.load_workbook(annex, keep_vba=annex.suffix.lower() == ".xlsm")
    except Exception as exc:  # noqa: BLE001
        raise errors.BdgError(f"Không đọc được phụ lục {annex} ({type(exc).__name__}). Mở tệp "
                              "bằng Excel, lưu lại dạng .xlsx rồi thử lại.") from exc
    values = annex_values(c)
    result = AnnexResult(out)
    from ..forms.formtemplate import dropped_shapes

    result.findings += dropped_shapes(annex, "tệp kết quả", "annex_shapes_dropped")
    if cell_map is not None:
        targets = _read_map(Path(cell_map), wb, result)
    else:
        targets = [(ws.title, cell.coordinate, m.group(1))
                   for ws in wb.worksheets for row in ws.iter_rows() for cell in row
                   if isinstance(cell.value, str) and (m := WHOLE_RE.match(cell.value))]
    for sheet, ref, name in targets:
        cell = wb[sheet][ref]
        key = vn.clean(name).lower()
        if key not in values:
            result.findings.append(Finding(
                "annex_unknown_placeholder", f"Không biết ký hiệu {{{{{key}}}}}: "
                f"{_why_unknown(key, values)} Ô được để nguyên.", ERROR, file=annex.name,
                sheet=sheet, cell=ref))
            continue
        value = values[key]
        if isinstance(value, _NoData):
            cell.value = None
            result.findings.append(Finding(
                "annex_no_data", f"{{{{{key}}}}}: {value.why}; ô để trống.", WARNING,
                file=annex.name, sheet=sheet, cell=ref, target=key.split(".")[0]
                if "." in key else None))
            continue
        cell.value = value
        result.filled.append(Filled(sheet, ref, key, value))
    wb.calculation.fullCalcOnLoad = True     # formulas over our figures recompute on opening
    with atomic_output(out) as tmp:     # OutputLocked when Excel holds it open
        wb.save(tmp)
    return result


def _why_unknown(key: str, values: dict) -> str:
    code, _, what = key.rpartition(".")
    if code and what in FIELDS:
        return f"kế hoạch không có chỉ tiêu mã {code}."
    if code and any(k.startswith(code + ".") for k in values):
        return f"phần sau dấu chấm phải là một trong: {', '.join(FIELDS)}."
    return ("ký hiệu phải là {{MÃ.ket_qua}}, {{MÃ.chi_tieu}}, {{MÃ.danh_gia}}, {{MÃ.tu_so}}, "
            "{{MÃ.mau_so}} hoặc " + ", ".join("{{" + k + "}}" for k in GLOBALS) + ".")


def _read_map(path: Path, wb, result: AnnexResult) -> list[tuple[str, str, str]]:
    """Cell map rows ``sheet,cell,placeholder`` (a header row is skipped; the braces
    around the placeholder are optional)."""
    from openpyxl.utils.cell import coordinate_from_string
    from openpyxl.utils.exceptions import CellCoordinatesException

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.UsageError(f"Không đọc được bảng ánh xạ ô {path}: {exc}. Lưu tệp dạng CSV "
                                "UTF-8 với ba cột: trang, ô, ký hiệu.") from exc
    dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t") if text.strip() else csv.excel
    out = []
    for n, row in enumerate(csv.reader(text.splitlines(), dialect), 1):
        row = [vn.clean(x) for x in row]
        if not any(row):
            continue
        if n == 1 and len(row) >= 3 and vn.canonical(row[1]) in ("cell", "ô", "o"):
            continue
        if len(row) < 3:
            result.findings.append(Finding("annex_map_row", f"Dòng {n} của bảng ánh xạ cần ba "
                                           "cột: trang, ô, ký hiệu.", ERROR, file=path.name,
                                           row=n))
            continue
        sheet, ref, name = row[:3]
        m = WHOLE_RE.match(name)
        name = m.group(1) if m else name
        try:
            if coordinate_from_string(ref.upper())[1] < 1:
                raise ValueError(ref)
        except (ValueError, CellCoordinatesException):
            result.findings.append(Finding("annex_map_row", f"Dòng {n} của bảng ánh xạ: “{ref}” "
                                           "không phải địa chỉ ô (ví dụ D12).", ERROR,
                                           file=path.name, row=n))
            continue
        if sheet not in wb.sheetnames:
            result.findings.append(Finding("annex_map_row", f"Dòng {n} của bảng ánh xạ: phụ lục "
                                           f"không có trang “{sheet}” (các trang: "
                                           f"{', '.join(wb.sheetnames)}).", ERROR,
                                           file=path.name, row=n))
            continue
        cell = wb[sheet][ref.upper()]
        if type(cell).__name__ == "MergedCell":
            result.findings.append(Finding("annex_map_row", f"Dòng {n} của bảng ánh xạ: ô {ref} "
                                           "nằm trong vùng gộp ô; ghi ô đầu (trên cùng bên trái) "
                                           "của vùng.", ERROR, file=path.name, row=n))
            continue
        out.append((sheet, ref.upper(), name))
    return out


def report_into(ws, plan, period: str, annex: str | Path, out: str | Path, *,
                cell_map: str | Path | None = None, now=None) -> AnnexResult:
    """``bdg-excel report --into``: the consolidation from the ledger, into the annex."""
    from .consolidate import consolidate

    return fill_annex(consolidate(ws, plan, period, now=now), annex, out, cell_map=cell_map)
