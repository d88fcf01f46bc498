"""Consistency checks of a consolidation: figures that are possible to type but unlikely
to be true. They become warnings in the findings sheet (they never reject a return).

- a percentage whose numerator is larger than its denominator;
- a percentage outside 0–100;
- a rate, ratio or percentage more than :data:`JUMP` times (or less than 1/JUMP of) the
  same unit's value of the previous period held in the ledger.
"""

from __future__ import annotations

from typing import Iterator

from ..core import vn
from ..core.findings import WARNING, Finding
from ..forms import layout
from ..intake.ledger import FileRecord
from ..plan.model import RATIO_MEASURES
from .results import Consolidation

JUMP = 3.0


def check(c: "Consolidation", previous: "Consolidation | None" = None
          ) -> Iterator[tuple["FileRecord", Finding]]:
    prev_values: dict[tuple[str, str], float] = {}
    if previous is not None:
        for res in previous.results:
            for uv in res.unit_values:
                if uv.value is not None:
                    prev_values[(uv.unit.key, res.target.code)] = uv.value
    for res in c.results:
        t = res.target
        if t.measure == "yesno":
            continue
        for uv in res.unit_values:
            rec = uv.record
            if rec is None:
                continue
            where = {"file": rec.original_name, "cell": uv.cell, "target": t.code,
                     "sheet": _sheet(rec)}
            name = uv.unit.name
            if t.measure == "percent" and uv.numerator is not None and \
                    uv.denominator is not None and uv.numerator > uv.denominator:
                yield rec, Finding(
                    "numerator_gt_denominator",
                    f"{name}, chỉ tiêu {t.code}: tử số ({vn.format_number(uv.numerator)}) lớn hơn "
                    f"mẫu số ({vn.format_number(uv.denominator)}). Đề nghị đơn vị kiểm tra lại.",
                    WARNING, **where)
            if uv.value is None:
                continue
            if t.measure == "percent" and not (0 <= uv.value <= 100):
                yield rec, Finding(
                    "percent_out_of_range",
                    f"{name}, chỉ tiêu {t.code}: tỷ lệ {vn.format_number(uv.value)}% nằm ngoài "
                    "khoảng 0–100%. Đề nghị đơn vị kiểm tra lại.", WARNING, **where)
            before = prev_values.get((uv.unit.key, t.code))
            if t.measure in RATIO_MEASURES and before and before > 0 and uv.value > 0:
                ratio = uv.value / before
                if ratio > JUMP or ratio < 1 / JUMP:
                    how = (f"gấp {vn.format_number(round(ratio, 1))} lần" if ratio > 1 else
                           f"chỉ bằng {vn.format_number(round(ratio * 100, 1))}%")
                    yield rec, Finding(
                        "off_previous",
                        f"{name}, chỉ tiêu {t.code}: kết quả {vn.format_number(uv.value)} {how} "
                        f"kỳ trước ({previous.period}: {vn.format_number(before)}). Đề nghị "
                        "đơn vị kiểm tra lại số liệu.", WARNING, **where)


def _sheet(rec: "FileRecord") -> str:
    from ..intake import rollup   # its reader: only for a file with a finding to place

    if rec.form_version == rollup.FORM_VERSION:
        return rollup.DATA_SHEET
    return layout.FORM_SHEET
