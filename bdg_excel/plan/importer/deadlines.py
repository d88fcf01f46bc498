"""Reporting deadlines and the office's own report upward, from any sentence of a plan.

A plan states them in "Tổ chức thực hiện", in a "Chế độ báo cáo" part or in its closing
paragraph, in many ways:

- "gửi báo cáo (chậm nhất ngày 25/11 hằng năm) về UBND xã", "trước ngày 05 tháng 12 hằng
  năm", "trước ngày 01/12/2026" (a one-off date);
- "định kỳ 6 tháng và hằng năm (trước ngày 10/6 và 05/12)": two deadlines, the first
  six-monthly, the second yearly;
- quarterly: "hằng quý … trước ngày 20/3, 20/6, 20/9 và 20/12", "hằng quý (trước ngày 20
  của tháng cuối quý)" — ``due`` is the first deadline of the year (CONTRACT section 3).

The coordinating office's own report ("… để tổng hợp, báo cáo UBND tỉnh", "tổng hợp, báo
cáo Sở Y tế trước ngày 25/12 hằng năm", "chủ trì … báo cáo kết quả … gửi Sở Nội vụ trước
ngày 01/12/2026") is the plan's ``upward``: whom the consolidated workbook goes to, and its
deadline when the sentence gives one. A clause is cut at "để tổng hợp": what comes before
is the units' report, what comes after is the office's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .text import key, strip_end

_DUE_WORD = r"(?:trước|chậm\s+nhất(?:\s+(?:là|vào))?|hạn\s+chót|hạn\s+cuối|muộn\s+nhất)\s+(?:vào\s+)?ngày"
#: "6 tháng trước 05/6, năm trước 15/12": a day/month right after "trước", without "ngày"
_DUE_SHORT = r"(?:trước|chậm\s+nhất)\s+(?=\d{1,2}\s*/\s*\d{1,2}\b)"
_DATE = r"(\d{1,2})\s*(?:/|-|\s+tháng\s+)\s*(\d{1,2})(?:\s*(?:/|-|\s+năm\s+)\s*(\d{4}))?"
DUE = re.compile(rf"(?:{_DUE_WORD}\s+|{_DUE_SHORT}){_DATE}((?:\s*(?:,|và|;)\s*{_DATE})*)", re.I)
_MORE = re.compile(rf"\s*(?:,|và)\s*{_DATE}", re.I)
_QUARTER_DAY = re.compile(rf"{_DUE_WORD}\s+(\d{{1,2}})\s+(?:của\s+)?tháng\s+(cuối|đầu)"
                          r"(?:\s+của)?\s+(?:mỗi\s+)?quý(\s+(?:sau|kế\s+tiếp|tiếp\s+theo))?",
                          re.I)
_QUARTERLY = re.compile(r"\b(?:hằng|hàng|mỗi|từng)\s+quý\b|\bbáo\s+cáo\s+quý\b|\btheo\s+quý\b",
                        re.I)
_SEMI = re.compile(r"(?:6|sáu)\s+tháng", re.I)
_REPORT = re.compile(r"báo\s+cáo", re.I)
#: the office's own report: "tổng hợp[, kết quả], báo cáo X", "chủ trì … báo cáo … gửi X"
_UPWARD = re.compile(r"\b(?:tổng\s+hợp|chủ\s+trì)\b[^;]*?\bbáo\s+cáo\b", re.I)
_CUT = re.compile(r"\s*,?\s*\bđể\s+(?=tổng\s+hợp)", re.I)
_TO = re.compile(r"(?:gửi\s+về|gửi\s+đến|gửi\s+lên|gửi|về|lên|cho)\s+(?=[A-ZĐÀ-Ỹ])")
_TO_END = re.compile(r"\s+(?:để|theo|kết\s+quả|tình\s+hình|trước|chậm\s+nhất|hạn|"
                     r"hàng\s+năm|hằng\s+năm|hằng\s+quý|hàng\s+quý|định\s+kỳ|đúng|trong|"
                     r"khi|khi\s+có|kịp\s+thời)\b|\s*[.;]", re.I)
_AUTHORITY = re.compile(r"(?:UBND|HĐND|Ủy\s+ban|Uỷ\s+ban|Sở|Bộ|Ban|Phòng|Chủ\s+tịch|Thường\s+"
                        r"trực|Hội\s+đồng|Văn\s+phòng|Trung\s+tâm|Cục|Tổng\s+cục|Chi\s+cục|Ban\s+"
                        r"Giám\s+hiệu|Hiệu\s+trưởng|Giám\s+đốc|Tỉnh\s+ủy|Huyện\s+ủy|Đảng\s+ủy|"
                        r"Thủ\s+trưởng|Lãnh\s+đạo|Công\s+chức)\b")


@dataclass
class Deadline:
    kind: str           # annual | semiannual | quarterly | once
    due: str            # MM-DD or YYYY-MM-DD
    to: str | None


@dataclass
class Found:
    reports: list[Deadline]
    upward_to: str | None = None
    upward_due: str | None = None
    upward_kind: str | None = None
    upward: bool = False
    bad: list[str] | None = None


def _valid(d: int, m: int, y: int | None) -> bool:
    try:
        date(y or 2024, m, d)
        return True
    except ValueError:
        return False


def _dates(m: re.Match) -> list[tuple[int, int, int | None]]:
    out = [(int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None)]
    for more in _MORE.finditer(m.group(4) or ""):
        out.append((int(more.group(1)), int(more.group(2)),
                    int(more.group(3)) if more.group(3) else None))
    return out


def _due(d: int, m: int, y: int | None) -> str:
    return f"{y:04d}-{m:02d}-{d:02d}" if y else f"{m:02d}-{d:02d}"


def clause_deadlines(clause: str, bad: list[str]) -> list[tuple[str, str]]:
    """(kind, due) for every deadline one clause states."""
    out: list[tuple[str, str]] = []
    low = clause.lower()
    quarterly = bool(_QUARTERLY.search(clause))
    m = _QUARTER_DAY.search(clause)
    if m:
        day = int(m.group(1))
        month = 3 if m.group(2).lower() == "cuối" and not m.group(3) else 1
        if _valid(day, month, None):
            out.append(("quarterly", f"{month:02d}-{day:02d}"))
        return out
    prev_end = 0
    for m in DUE.finditer(clause):
        dates = _dates(m)
        good = []
        for d, mo, y in dates:
            if _valid(d, mo, y):
                good.append((d, mo, y))
            else:
                bad.append(m.group(0))
        if not good:
            continue
        if quarterly:
            d, mo, y = min(good, key=lambda x: (x[1], x[0]))
            out.append(("quarterly", _due(d, mo, None)))
            continue
        semi = bool(_SEMI.search(low))
        # "6 tháng (trước ngày 15/6) và hằng năm (trước ngày 15/12)": the words just
        # before each deadline say its kind
        window = low[prev_end:m.start()]
        near = ("semiannual" if _SEMI.search(window) else
                "annual" if re.search(r"(?:hằng|hàng|cả|và|,)\s+năm\b|báo\s+cáo\s+năm|"
                                      r"^\W*năm\b", window)
                else None)
        prev_end = m.end()
        for i, (d, mo, y) in enumerate(good):
            if y and not (near and len(good) == 1 and (semi or near == "semiannual")):
                kind = "once"   # a dated one-off report (not "6 tháng (…) và năm (…)")
            elif near and len(good) == 1:
                kind = near
            elif semi and len(good) > 1:
                kind = "semiannual" if mo <= 7 and i == 0 else "annual"
            elif semi:
                kind = "semiannual"
            else:
                kind = "annual"
            out.append((kind, _due(d, mo, y)))
    return out


def due_text(due: str | None) -> str:
    """"25/11 hằng năm", "10/06/2026", "chưa rõ" for a ``due`` of a plan."""
    if not due:
        return "chưa rõ"
    parts = due.split("-")
    if len(parts) == 3:
        return f"{parts[2]}/{parts[1]}/{parts[0]}"
    return f"{parts[1]}/{parts[0]} hằng năm"


def recipient(text: str) -> str | None:
    """The body a report goes to: the last "gửi/về X" with X capitalised."""
    last = None
    for last in _TO.finditer(text):
        pass
    if last is None:
        return None
    return _cut_name(text[last.end():])


def _cut_name(text: str) -> str | None:
    m = _TO_END.search(text)
    name = text[:m.start()] if m else text
    name = strip_end(name).strip(" ,")
    if name.count("(") > name.count(")"):
        name = name + ")"
    return name or None


def _upward_to(text: str) -> str | None:
    """"… báo cáo UBND tỉnh", "… báo cáo kết quả … gửi Sở Nội vụ" -> the recipient."""
    m = re.search(r"\bbáo\s+cáo\s+(?:kết\s+quả\s+)?(?:về\s+|lên\s+|cho\s+|gửi\s+)?", text, re.I)
    if m and _AUTHORITY.match(text[m.end():]):
        return _cut_name(text[m.end():])
    to = recipient(text)
    return to if to and _AUTHORITY.match(to) else None


def scan(text: str) -> Found:
    """Everything about deadlines one paragraph says."""
    found = Found(reports=[], bad=[])
    text = strip_end(text)
    if not _REPORT.search(text):
        return found
    for clause in re.split(r";|(?<=[a-zà-ỹ)])\.\s+(?=[A-ZĐÀ-Ỹ])", text):
        if not _REPORT.search(clause):
            continue
        cut = _CUT.search(clause)
        own, office = (clause[:cut.start()], clause[cut.end():]) if cut else (clause, "")
        up = _UPWARD.search(own)
        if not cut and up:
            own, office = own[:up.start()], own[up.start():]
        if office:
            to = _upward_to(office[_UPWARD.search(office).end() - len("báo cáo"):]
                            if _UPWARD.search(office) else office)
            if to:
                found.upward = True
                found.upward_to = found.upward_to or to
                dues = clause_deadlines(office, found.bad)
                if dues and found.upward_due is None:
                    found.upward_kind, found.upward_due = dues[0]
            else:
                own = clause  # not an upward report after all
        if own and _REPORT.search(own):
            to = recipient(own)
            for kind, due in clause_deadlines(own, found.bad):
                found.reports.append(Deadline(kind, due, to))
    # a recipient named once for the whole paragraph ("… trước ngày 05/6; … 15/12")
    to = next((r.to for r in found.reports if r.to), None)
    for r in found.reports:
        r.to = r.to or to
    return found


def _name_key(name: str) -> str:
    k = key(re.sub(r"\s*\([^)]*\)", "", name))   # "UBND xã (qua Phòng …)" is UBND xã
    k = re.sub(r"^(?:chủ tịch|thường trực|lãnh đạo|thủ trưởng)\s+", "", k)  # its head
    return re.sub(r"\bubnd\b", "ủy ban nhân dân", k)


def is_own(name: str, issuer: str | None, report_to: list[str]) -> bool:
    """True when ``name`` ("UBND xã") is the plan's own office: its issuer or the body
    the units report to."""
    k = _name_key(name)
    return bool(k) and any(_name_key(o).startswith(k) for o in [issuer or "", *report_to] if o)
