"""Targets: how a figure is computed, how it is shown, and whether a result meets it."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..core import vn
from ..core.xlsx import shown_number
from .model import Target

#: Vietnamese labels for the comparator, as shown in forms and the plan workbook.
OP_LABELS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "=", "between": "từ … đến",
             "qualitative": "Định tính"}
OP_FROM_LABEL = {v: k for k, v in OP_LABELS.items()} | {k: k for k in OP_LABELS}

MEASURE_LABELS = {
    "percent": "Tỷ lệ % (tử số/mẫu số)",
    "rate": "Tỷ suất (tử số × hệ số/mẫu số)",
    "ratio": "Tỷ số (tử số/mẫu số)",
    "count": "Số lượng",
    "yesno": "Có/Không",
}
MEASURE_FROM_LABEL = {vn.canonical(v): k for k, v in MEASURE_LABELS.items()} | {
    k: k for k in MEASURE_LABELS}

ASSESSMENTS = ("met", "not_met", "no_data", "qualitative")
ASSESSMENT_LABELS = {"met": "Đạt", "exceeded": "Vượt", "not_met": "Chưa đạt",
                     "no_data": "Chưa có số liệu", "qualitative": "Định tính"}

YES = "Có"
NO = "Không"


def describe(t: Target) -> str:
    """Short Vietnamese statement of the target: "≥ 30 %", "< 109 bé trai/100 bé gái"."""
    if t.op == "qualitative":
        return "Định tính"
    unit = "" if not t.unit else (t.unit if t.unit.startswith("/") else f" {t.unit}")
    if t.op == "between":
        return f"Từ {vn.format_number(t.value)} đến {vn.format_number(t.max)}{unit}"
    return f"{OP_LABELS[t.op]} {vn.format_number(t.value)}{unit}"


def compute(measure: str, factor: float | None, numerator: float | None,
            denominator: float | None) -> float | None:
    """The figure from numerator and denominator (None when it cannot be computed)."""
    if measure not in ("percent", "rate", "ratio") or numerator is None or not denominator:
        return None
    value = numerator * (factor or 1.0) / denominator
    return vn.tidy_float(value) if math.isfinite(value) else None


# -- plausibility, per unit of measure -------------------------------------------------
#: Sex ratio at birth (boys per 100 girls) seen in human populations; outside it a figure
#: is most likely mistyped (1.050 read as 1,05; boys and girls swapped …).
SEX_RATIO = (90.0, 130.0)
#: Fewer births than this (boys + girls) make any sex ratio possible: a warning only.
SMALL_BIRTHS = 200

# Units of measure that are not counted in whole things (money, area, time, age …).
_CONTINUOUS = re.compile(r"\b(đồng|triệu|tỷ|ha|km|m2|m²|m3|kg|tấn|lít|giờ|tuổi|năm|tháng|"
                         r"ngày|điểm|usd)\b")


def is_sex_ratio(t: Target) -> bool:
    """"bé trai/100 bé gái", "trẻ trai/1.000 trẻ gái": boys per N girls."""
    if t.measure not in ("ratio", "rate") or not t.unit or "/" not in t.unit:
        return False
    head, _, tail = vn.canonical(t.unit).partition("/")
    return "trai" in head and "gái" in tail


def sex_ratio_range(t: Target) -> tuple[float, float]:
    scale = (t.factor or 100.0) / 100.0
    return SEX_RATIO[0] * scale, SEX_RATIO[1] * scale


def value_is_whole(t: Target) -> bool:
    """A count of whole people, cases, births, articles … (not money, area, age)."""
    return t.measure == "count" and not _CONTINUOUS.search(vn.canonical(t.unit or ""))


def parts_are_whole(t: Target) -> bool:
    """Numerator and denominator count whole people, cases or births (percentages, rates,
    sex ratios); a ratio "lần" may compare any two figures."""
    return t.measure in ("percent", "rate") or is_sex_ratio(t)


@dataclass(frozen=True)
class Assessment:
    code: str          # met | not_met | no_data | qualitative
    exceeded: bool = False
    #: True when the target's year is later than the reporting year: the result shows
    #: progress toward it, not a final verdict.
    interim: bool = False
    #: The year the target is set for (shown in interim labels).
    target_year: int | None = None

    @property
    def label(self) -> str:
        """Vietnamese label. The year rule: before the target's year a result that does not
        yet meet it is "Chưa đạt (mục tiêu năm 2030)" — progress, not a verdict; a result
        that already meets it is "Đạt"/"Vượt"; in or after the target year the plain labels."""
        if self.code == "met" and self.exceeded:
            return ASSESSMENT_LABELS["exceeded"]
        if self.code == "not_met" and self.interim and self.target_year:
            return f"{ASSESSMENT_LABELS['not_met']} (mục tiêu năm {self.target_year})"
        return ASSESSMENT_LABELS[self.code]


def evaluate(t: Target, value: float | None, year: int | None = None) -> Assessment:
    """Judge a reported value against a target row."""
    interim = bool(year and t.year and year < t.year)
    if t.op == "qualitative":
        return Assessment("qualitative", interim=interim, target_year=t.year)
    if value is None or t.value is None:
        return Assessment("no_data", interim=interim, target_year=t.year)
    v, goal = value, t.value
    eps = 1e-9
    if t.op == ">=":
        met, exceeded = v >= goal - eps, v > goal + eps
    elif t.op == ">":
        met, exceeded = v > goal + eps, False
    elif t.op == "<=":
        met, exceeded = v <= goal + eps, v < goal - eps
    elif t.op == "<":
        met, exceeded = v < goal - eps, False
    elif t.op == "=":
        met, exceeded = abs(v - goal) <= eps, False
    elif t.op == "between":
        hi = t.max if t.max is not None else goal
        met, exceeded = goal - eps <= v <= hi + eps, False
    else:  # pragma: no cover - guarded by plan check
        return Assessment("no_data", interim=interim, target_year=t.year)
    return Assessment("met" if met else "not_met", exceeded=exceeded and met, interim=interim,
                      target_year=t.year)


def progress(t: Target, value: float | None, year: int | None) -> str | None:
    """The "Tiến độ" text of a target row: how far the result is from the target and how
    many years are left (the distance as a result is shown: at most two decimals). None
    for qualitative rows and rows without a result."""
    if t.op == "qualitative" or value is None or t.value is None:
        return None
    left = (t.year - year) if (t.year and year) else None
    when = f"còn {left} năm (đến {t.year})" if left and left > 0 else (
        f"năm mục tiêu {t.year}" if left == 0 else None)
    a = evaluate(t, value, year)
    unit = "" if not t.unit else (t.unit if t.unit.startswith("/") else f" {t.unit}")
    if a.code == "met":
        text = "Đã đạt mục tiêu"
    elif t.op in (">=", ">") or (t.op == "between" and value < t.value):
        text = f"Cần tăng thêm {shown_number(t.value - value)}{unit}"
    elif t.op in ("<=", "<") or t.op == "between":
        bound = t.max if t.op == "between" and t.max is not None else t.value
        text = f"Cần giảm thêm {shown_number(value - bound)}{unit}"
    else:
        text = f"Cần đạt {describe(t)}"
    return f"{text}; {when}" if when else text
