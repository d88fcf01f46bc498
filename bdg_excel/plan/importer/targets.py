"""Target sentences: "đạt ít nhất 30% vào năm 2030" -> (">=", 30, None, "%", 2030).

The rules, in the order they are applied to one clause of an indicator:

1. Years, dates and references ("năm 2030", "2021-2025", "(8/3)", "Mục tiêu 2") are
   masked so that their digits are not taken for the target figure.
2. The first remaining number is the figure; "từ A-B" / "từ A đến B" gives a range.
3. The words right before the number give the comparator (the nearest one wins:
   "giảm xuống dưới 18" is "<", "giảm xuống ở mức 50,15" is "<="), and "trở lên" /
   "trở xuống" after it; a bare number is ">=" unless the clause says "giảm".
4. The words right after it give the unit: "%", "lần", "bé trai/100 bé gái",
   "/100.000" (also "42/100.000 trẻ sinh sống"), "/1.000" ("18 ca sinh/1.000 phụ nữ"),
   a counted noun ("04 tin, bài") with its period ("mỗi quý" -> "tin, bài/quý").
5. No number at all: a qualitative target.

An indicator holding several targets ("90% …; 70% …", "… 50% từ năm 2025 trở đi. Tỷ lệ
… 30% vào năm 2025") is split at semicolons and sentence ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import split_sentences, strip_end

NUM = r"\d+(?:[.,]\d+)*"

# Comparators, matched at the end of the text before the number (lower case).
_BEFORE = [
    (r"(?:≥|>=|=>)", ">="),
    (r"(?:≤|<=|=<)", "<="),
    (r">", ">"),
    (r"<", "<"),
    (r"không\s+(?:dưới|thấp hơn|ít hơn)", ">="),
    (r"(?:ít nhất|tối thiểu|tối thiểu là)", ">="),
    (r"không\s+(?:quá|vượt quá|cao hơn|nhiều hơn|vượt)", "<="),
    (r"tối đa", "<="),
    (r"(?:trên|hơn|cao hơn|nhiều hơn|vượt)", ">"),
    (r"(?:dưới|thấp hơn|ít hơn)", "<"),
    (r"(?:còn|ở mức|mức|xuống|giảm|giảm xuống|giảm còn|chỉ còn|duy trì ở mức)", "<="),
    (r"(?:bằng|là)", "="),
    (r"(?:đạt|lên|tăng lên|phấn đấu|phần đầu|có|được|đạt được)", ">="),
]
_FILLER = re.compile(r"(?:\s+(?:khoảng|mức khoảng|tỷ lệ|từ|là|đạt))+$")
_AFTER = [(re.compile(r"^\s*trở\s+lên"), ">="), (re.compile(r"^\s*trở\s+xuống"), "<=")]

_COUNT_NOUNS = (
    r"tin,\s*bài|tin\s+bài|bài\s+viết|tin|bài|lớp(?:\s+tập\s+huấn)?|buổi|lượt(?:\s+người)?|"
    r"hội\s+nghị|cuộc|người|mô\s+hình|câu\s+lạc\s+bộ|chương\s+trình|chuyên\s+mục|"
    r"chuyên\s+đề|sản\s+phẩm|đợt|phóng\s+sự|ca|trường\s+hợp|vụ|đơn\s+vị|cơ\s+quan|"
    r"hộ|xã|thôn|bản|tổ|nhóm|điểm|văn\s+bản|kế\s+hoạch|đề\s+án|dự\s+án|hoạt\s+động|"
    r"cán\s+bộ|học\s+viên|phụ\s+nữ|lao\s+động|doanh\s+nghiệp|hợp\s+tác\s+xã")
_COUNT = re.compile(rf"^\s*({_COUNT_NOUNS})(?![\wÀ-ỹ])", re.I)
_PER = re.compile(r"(?:mỗi|hằng|hàng|trung bình mỗi)\s+(quý|tháng|năm|tuần)|/\s*(quý|tháng|năm)\b",
                  re.I)
_SEX_RATIO = re.compile(r"^\s*(bé|trẻ)\s+trai\s*/\s*100\s*(bé|trẻ)\s+gái", re.I)
_PER_BASE = re.compile(r"^((?:\s+[^\s/\d;,.]+){0,3}?)\s*/\s*(\d{1,3}(?:\.\d{3})+|\d+)(?![\d,])")
_PERCENT = re.compile(r"^\s*(%|phần\s+trăm)", re.I)
_TIMES = re.compile(r"^\s*lần(?![\wÀ-ỹ])", re.I)
_RANGE = re.compile(rf"\btừ\s+({NUM})\s*(%|lần)?\s*(?:-|–|—|đến|tới)\s*({NUM})", re.I)

_MASKS = [
    # ages are not targets: "phụ nữ từ 15 đến 49 tuổi", "lao động dưới 45 tuổi"
    re.compile(r"\b(?:từ\s+)?\d{1,3}(?:\s*(?:-|–|đến|tới)\s*\d{1,3})?\s+tuổi\b", re.I),
    re.compile(r"(?:năm|giai đoạn|niên khóa|niên khoá)\s+(?:19|20)\d{2}(?:\s*[-–—]\s*(?:19|20)\d{2})?",
               re.I),
    re.compile(r"\b(?:19|20)\d{2}\s*[-–—]\s*(?:19|20)\d{2}\b"),
    re.compile(r"\b(?:19|20)\d{2}\b(?!\s*(?:%|/|lần|phần))"),
    re.compile(r"\(\s*\d{1,2}/\d{1,2}(?:/\d{2,4})?\s*\)"),
    re.compile(r"ngày\s+\d{1,2}(?:/\d{1,2}(?:/\d{2,4})?)?", re.I),
    re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b"),
    re.compile(r"(?:mục tiêu|chỉ tiêu|mục|điều|khoản|số)\s+\d+[\w/.-]*", re.I),
    re.compile(r"\b\d+/[A-ZĐ][\w-]*"),  # document numbers "28/NQ-CP"
]
_YEAR = [
    re.compile(r"(?:vào|đến|tới|trong|đến hết|hết|từ)\s+năm\s+((?:19|20)\d{2})", re.I),
    re.compile(r"\bnăm\s+((?:19|20)\d{2})", re.I),
]


@dataclass
class ParsedTarget:
    op: str
    value: float | None
    max: float | None
    unit: str | None
    year: int | None
    text: str


def find_year(text: str) -> int | None:
    """The target year a text states ("vào năm 2030", "từ năm 2025 trở đi")."""
    for rx in _YEAR:
        m = rx.search(text)
        if m:
            return int(m.group(1))
    return None


def to_number(s: str) -> float:
    """"50,15" -> 50.15, "04" -> 4, "100.000" -> 100000, "1.5" -> 1.5."""
    s = s.strip()
    if "," in s:
        return float(s.replace(".", "").replace(",", "."))
    if "." in s:
        groups = s.split(".")
        if all(len(g) == 3 for g in groups[1:]):
            return float("".join(groups))
        return float(s)
    return float(s)


def _mask(text: str) -> str:
    out = text
    for rx in _MASKS:
        out = rx.sub(lambda m: " " * len(m.group(0)), out)
    return out


def split_clauses(text: str) -> list[str]:
    """One clause per target: at semicolons and sentence ends, when at least one of the
    pieces states a figure; qualifiers ("trong đó …") stay with the clause before."""
    pieces = []
    for sentence in split_sentences(text):
        pieces.extend(p for p in (strip_end(x) for x in sentence.split(";")) if p)
    if len(pieces) < 2 or not any(has_figure(p) for p in pieces):
        return [strip_end(text)]
    merged: list[str] = []
    for p in pieces:
        if merged and re.match(r"(?:trong đó|riêng|nhất là|đặc biệt|ưu tiên|kể cả)\b", p, re.I):
            merged[-1] = f"{merged[-1]}; {p}"
        else:
            merged.append(p)
    return merged


def has_figure(text: str) -> bool:
    return re.search(r"\d", _mask(text)) is not None


def parse_clause(text: str, default_year: int | None) -> ParsedTarget:
    """One target from one clause. Never raises: no figure gives a qualitative target."""
    clause = strip_end(text)
    year = find_year(clause) or default_year
    masked = _mask(clause)
    low = masked.lower()
    rng = _RANGE.search(low)
    m = re.search(NUM, masked)
    if m is None:
        return ParsedTarget("qualitative", None, None, None, year, clause)
    if rng and rng.start(1) <= m.start() + 1 and rng.start() <= m.start():
        lo, hi = to_number(rng.group(1)), to_number(rng.group(3))
        unit = _unit(masked[rng.end(3):], clause) or (rng.group(2) or None)
        return ParsedTarget("between", lo, hi, unit, year, clause)
    # The figure: the first number with "%" after it ("khám thai ít nhất 4 lần đạt 90%"
    # is 90%), else the first with a comparator before it, else the first number.
    cands = list(re.finditer(NUM, masked))
    pct = [c for c in cands if _PERCENT.match(masked[c.end():])]
    ops = [c for c in cands if _explicit_op(low[:c.start()], masked[c.end():].lower())]
    m = (pct or ops or cands)[0]
    value = to_number(m.group(0))
    after = masked[m.end():]
    unit = _unit(after, clause)
    op = _explicit_op(low[:m.start()], after.lower())
    if op == "<=" and re.search(r"\bgiảm\s*$", low[:m.start()]) and "so với" in low:
        op = ">="   # "Giảm 10% số vụ … so với năm 2022": the reduction is the target
    if op is None:
        op = "<=" if re.search(r"\bgiảm\b", low) else ">="
    return ParsedTarget(op, value, None, unit, year, clause)


def _explicit_op(before: str, after: str) -> str | None:
    for rx, op in _AFTER:
        if rx.search(after):
            return op
    tail = _FILLER.sub("", " " + before.rstrip(" :,"))
    for pattern, op in _BEFORE:
        if re.search(rf"(?:^|\s)(?:{pattern})$", tail):
            return op
    return None


def _unit(after: str, clause: str) -> str | None:
    if _PERCENT.match(after):
        return "%"
    if _SEX_RATIO.match(after):
        return "bé trai/100 bé gái"
    m = _PER_BASE.match(after)
    if m:
        return f"/{m.group(2)}"
    if _TIMES.match(after):
        return "lần"
    m = _COUNT.match(after) or _counted_noun(after)
    if m:
        noun = re.sub(r"\s+", " ", m.group(1))
        noun = re.sub(r"tin,\s*bài|tin bài", "tin, bài", noun, flags=re.I)
        per = _PER.search(clause)
        if per:
            return f"{noun}/{(per.group(1) or per.group(2)).lower()}"
        return noun
    return None


_STOP = {"có", "về", "được", "cho", "của", "trong", "trên", "tại", "là", "đạt", "so", "với",
         "và", "hoặc", "để", "từ", "đến", "theo", "mỗi", "hằng", "hàng", "trở", "thuộc", "ở",
         "vào", "năm", "bị", "đã", "sẽ", "nhằm", "nhân", "tham", "trước", "sau", "khi", "nào",
         "này", "đó", "các", "những", "ít", "nhất", "trên", "dưới", "tối", "thiểu", "đa"}


class _Noun:
    """A match-like object for a counted noun found by :func:`_counted_noun`."""

    def __init__(self, text: str) -> None:
        self._text = text

    def group(self, _n: int) -> str:
        return self._text


def _counted_noun(after: str) -> _Noun | None:
    """"03 phiên giao dịch việc làm có ưu tiên …" -> "phiên giao dịch việc làm": the
    lower-case words after a count, up to a function word (at most five)."""
    words = []
    for w in after.split()[:6]:
        clean = w.strip(",;.:()")
        if not clean or not clean[0].isalpha() or not clean.islower() or clean in _STOP:
            break
        words.append(clean)
        if clean != w:  # punctuation ends the phrase
            break
    return _Noun(" ".join(words[:5])) if words and len(words) <= 5 else None


def parse_targets(text: str, default_year: int | None) -> list[ParsedTarget]:
    """Every target an indicator's text states (at least one)."""
    clauses = split_clauses(text)
    whole_year = find_year(text)
    out = []
    for c in clauses:
        t = parse_clause(c, whole_year or default_year)
        out.append(t)
    return out
