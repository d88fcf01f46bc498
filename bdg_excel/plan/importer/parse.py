"""The rule-based parser: plan details, sections, goals and indicators.

Input is the list of logical :class:`~.text.Line` objects; output a :class:`Plan` plus
findings for everything that could not be interpreted. Sections are recognised by their
headings' words, never by their numbers ("V. TỔ CHỨC THỰC HIỆN" may be numbered IV, or
twice, in a real plan). Goals are recognised by "Mục tiêu N", else by "Trong lĩnh vực …",
else by labelled headings with items under them, else one goal holds every item.
The unit part (TỔ CHỨC THỰC HIỆN) is in :mod:`.units`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ...core.findings import INFO, WARNING, Finding
from .. import catalog
from ..model import Goal, Indicator, Plan, ReviewItem, Target
from ..model import infer_measure
from .goals import decide as decide_goals
from .targets import find_year, parse_targets
from .text import Line, key, keys, strip_end

SECTION_KINDS = [  # (kind, words of the heading, Vietnamese label for the summary)
    ("purpose", ("mục đích", "yêu cầu"), "Mục đích, yêu cầu"),
    ("goals", ("mục tiêu", "chỉ tiêu"), "Mục tiêu"),
    ("organisation", ("tổ chức thực hiện", "phân công", "nhiệm vụ của các", "trách nhiệm của các",
                      "nhiệm vụ của thành viên", "trách nhiệm thực hiện"), "Tổ chức thực hiện"),
    ("reporting", ("chế độ báo cáo", "thông tin báo cáo"), "Chế độ báo cáo"),
    ("tasks", ("nhiệm vụ", "giải pháp"), "Nhiệm vụ, giải pháp"),
    ("budget", ("kinh phí", "nguồn lực"), "Kinh phí"),
]
SECTION_LABELS = {k: label for k, _, label in SECTION_KINDS} | {"other": "Phần khác"}


@dataclass
class Section:
    kind: str
    heading: Line | None
    lines: list[Line] = field(default_factory=list)


@dataclass
class Context:
    """What the parse of one document collects besides the plan."""
    source: str | None
    findings: list[Finding] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    #: a Word document: findings name the paragraph and its first words, not a line
    paragraphs: bool = False
    #: a PDF: findings name the page and the first words
    pages: bool = False
    #: (unit names, indicator code, line) from the "Đơn vị chủ trì" column of a table
    table_assignments: list = field(default_factory=list)
    #: what was read, with its source and how sure the reading is (Plan.review)
    review: list[ReviewItem] = field(default_factory=list)
    #: the plan's own number of a field heading -> the goal the catalog decided ({3: 4})
    goal_aliases: dict[int, int] = field(default_factory=dict)

    def note(self, kind: str, ref: str, value: str, line: Line | None, confidence: float,
             note: str = "") -> None:
        self.review.append(ReviewItem(kind, ref, value, self.where(line),
                                      line.full if line is not None else "",
                                      round(confidence, 2), note))

    def where(self, line: Line | None) -> str:
        """Where a line is, as the officer finds it: "trang 3", "đoạn 41", "dòng 12"."""
        if line is None:
            return ""
        if self.pages and line.page:
            return f"trang {line.page}"
        return f"{'đoạn' if self.paragraphs else 'dòng'} {line.lineno}"

    def add(self, code: str, message: str, line: Line | None = None, *,
            severity: str = WARNING, target: str | None = None) -> None:
        row = line.lineno if line else None
        if line is not None and (self.paragraphs or self.pages):
            words = line.full.split()
            first = " ".join(words[:8]) + (" …" if len(words) > 8 else "")
            where = f"Trang {line.page}" if self.pages else f"Đoạn {line.lineno}"
            message = f"{where} (“{first}”): {message}"
            row = None
        self.findings.append(Finding(code=code, message=message, severity=severity,
                                     file=self.source, row=row, target=target))


# -- plan details ------------------------------------------------------------------------
_NUMBER = re.compile(r"^Số\s*:?\s*(\S*)", re.I)
_PLACE_DATE = re.compile(
    r"^(?P<place>[^,]{2,60}),\s*ngày\s*(?P<d>\d{1,2})?\s*(?:tháng|/)\s*(?P<m>\d{1,2})?\s*"
    r"(?:năm|/)\s*(?P<y>\d{4})?", re.I)
_PLACE_DATE_SLASH = re.compile(r"^(?P<place>[^,]{2,60}),\s*ngày\s*(?P<d>\d{1,2})/(?P<m>\d{1,2})/"
                               r"(?P<y>\d{4})", re.I)
_ISSUER = re.compile(r"(?:^|[;,.]\s*)((?:[A-ZĐÀ-Ỹ][^;,.]*?))\s+(?:ban hành|xây dựng|triển khai"
                     r"|thực hiện)\s+(?:Kế hoạch|kế hoạch|KẾ HOẠCH)")
_ADMIN_TAIL = re.compile(r"\b(tỉnh|huyện|xã|phường|thị trấn|thành phố|thị xã|quận)$", re.I)
_ATTACHED = re.compile(r"kèm\s+theo\s+(?:quyết\s+định|công\s+văn|văn\s+bản)\s+số\s+"
                       r"(?P<num>\d+[^\s,;)]*)(?:\s+ngày\s+(?P<d>\d{1,2})\s*(?:/|\s+tháng\s+)\s*"
                       r"(?P<m>\d{1,2})\s*(?:/|\s+năm\s+)\s*(?P<y>\d{4}))?", re.I)
_PERIOD = re.compile(r"(?:giai\s+đoạn|năm\s+học|niên\s+kho[áa])\s+((?:19|20)\d{2})\s*[-–—]\s*((?:19|20)\d{2})", re.I)
_YEAR_ONLY = re.compile(r"\bnăm\s+((?:19|20)\d{2})\b", re.I)


def is_section_heading(line: Line) -> str | None:
    """The section kind when ``line`` is a top-level heading ("II. MỤC TIÊU")."""
    letters = [c for c in line.text if c.isalpha()]
    upper = bool(letters) and sum(c.isupper() for c in letters) / len(letters) > 0.9
    if not (line.kind == "roman" or (upper and line.kind in ("", "decimal"))):
        return None
    if len(line.text) > 90 or (line.kind == "roman" and not upper and line.text.endswith(".")):
        return None
    k = key(line.text)
    if not upper and line.kind != "roman":
        return None
    for kind, words, _ in SECTION_KINDS:
        found = (any(key(w) in k for w in words) if line.kind == "roman"
                 else k.startswith(keys(*words)))
        if found:
            if kind == "goals" and key("mục đích") in k:
                return "purpose"
            return kind
    return "other" if line.kind == "roman" else None


#: a signature block's title or a person's role: never a unit
SIGNATURE = re.compile(
    r"^(?:(?:TM|KT|TL|TUQ)\.\s*[A-ZĐÀ-Ỹ][A-ZĐÀ-Ỹ\s]*"
    r"|(?:Q\.\s*)?(?:PHÓ\s+)?(?:CHỦ\s+TỊCH|TRƯỞNG\s+BAN|GIÁM\s+ĐỐC|HIỆU\s+TRƯỞNG|TRƯỞNG\s+PHÒNG"
    r"|BÍ\s+THƯ|THỦ\s+TRƯỞNG|CHÁNH\s+VĂN\s+PHÒNG)"
    r"|NGƯỜI\s+KÝ|NƠI\s+NHẬN)\b[\s:]*$")


def is_closing(line: Line) -> bool:
    k = line.key
    return k.startswith(keys("trên đây là", "nơi nhận")) and not line.label


def split_sections(lines: list[Line]) -> tuple[list[Line], list[Section], list[Line]]:
    """(header lines, sections, closing lines)."""
    header: list[Line] = []
    sections: list[Section] = []
    closing: list[Line] = []
    for i, line in enumerate(lines):
        if is_closing(line) or (sections and SIGNATURE.match(line.text) and line.text.isupper()):
            closing = lines[i:]    # "Trên đây là …", "Nơi nhận:", or a signature block
            break
        kind = is_section_heading(line)
        if kind:
            sections.append(Section(kind, line))
        elif sections:
            sections[-1].lines.append(line)
        else:
            header.append(line)
    return header, sections, closing


def parse_details(header: list[Line], plan: Plan, ctx: Context) -> None:
    title_at = None
    for i, line in enumerate(header):
        k = line.key
        if plan.number is None and (m := _NUMBER.match(re.sub(r"(?<=\d)\s*/\s*", "/", line.text))) \
                and "/" in line.text:
            num = m.group(1)
            plan.number = num if re.match(r"\d", num) else None
            if plan.number is None:
                ctx.add("no_number", "Số hiệu kế hoạch để trống; để trống số.", line,
                        severity=INFO)
            continue
        m = _PLACE_DATE_SLASH.match(line.text) or _PLACE_DATE.match(line.text)
        if m and plan.place is None and "ngày" in k:
            plan.place = m.group("place").strip()
            try:
                if m.group("d") and m.group("m") and m.group("y"):
                    plan.date = date(int(m.group("y")), int(m.group("m")),
                                     int(m.group("d"))).isoformat()
            except ValueError:
                ctx.add("bad_date", f"Ngày ban hành không hợp lệ: “{line.text}”.", line)
            if plan.date is None:
                ctx.add("no_date", "Kế hoạch chưa ghi đủ ngày ban hành; để trống ngày.",
                        line, severity=INFO)
            continue
        if title_at is None and k.startswith(key("kế hoạch")) and len(k) < 200:
            title_at = i
            rest = strip_end(line.text[len("kế hoạch"):].strip(" :-–"))
            subtitle = rest or (header[i + 1].text if i + 1 < len(header) else "")
            if subtitle.isupper():  # "THỰC HIỆN …" / "GIAI ĐOẠN …" on several lines
                for nxt in header[i + 2:]:
                    if not nxt.text.isupper() or nxt.label:
                        break
                    subtitle = f"{subtitle} {nxt.text}"
            if subtitle and not re.match(r"(căn cứ|thực hiện kế hoạch số)", key(subtitle)):
                plan.title = "Kế hoạch " + _lower_first(strip_end(subtitle))
    for line in header:  # a plan issued with a decision: "(Kèm theo Quyết định số … ngày …)"
        m = _ATTACHED.search(line.text)
        if m and plan.number is None and not any(_NUMBER.match(l.text) for l in header):
            plan.number = m.group("num")
            if m.group("y") and plan.date is None:
                try:
                    plan.date = date(int(m.group("y")), int(m.group("m")),
                                     int(m.group("d"))).isoformat()
                except ValueError:
                    ctx.add("bad_date", f"Ngày ban hành không hợp lệ: “{line.text}”.", line)
    if plan.number is None and not any(_NUMBER.match(line.text) for line in header):
        ctx.add("no_number", "Không tìm thấy số hiệu kế hoạch (Số: …/KH-…).", severity=INFO)
    if not plan.title:
        ctx.add("no_title", "Không tìm thấy tên kế hoạch (dòng “KẾ HOẠCH” và dòng sau nó).",
                severity=WARNING)
    for line in header:
        m = None
        for m in _ISSUER.finditer(line.text):
            pass
        if m:
            issuer = m.group(1).strip()
            if _ADMIN_TAIL.search(issuer) and plan.place:
                issuer = f"{issuer} {plan.place}"
            plan.issuer = issuer
            break
    if plan.issuer is None:
        plan.issuer = _issuer_from_letterhead(header)
    if plan.issuer is None:
        ctx.add("no_issuer", "Không xác định được cơ quan ban hành; hãy điền trong sổ kế hoạch.")
    _period(plan, header)


def _issuer_from_letterhead(header: list[Line]) -> str | None:
    caps = []
    for line in header:
        k = line.key
        if k.startswith(keys("số", "kế hoạch")) or "ngày" in k:
            break
        if line.text.isupper() and not k.startswith(keys("cộng hòa", "độc lập")):
            caps.append(line.text)
    if not caps:
        return None
    text = " ".join(caps).lower()
    m = re.match(r"(ủy ban nhân dân|uỷ ban nhân dân|ubnd|văn phòng [^ ]+(?: [^ ]+)*?)\s+"
                 r"(tỉnh|huyện|xã|phường|thị trấn|thành phố|thị xã|quận)\s+(.+)$", text)
    if not m:
        return None
    head = m.group(1).replace("ubnd", "UBND")
    return f"{head[0].upper()}{head[1:]} {m.group(2)} {m.group(3).title()}"


def _period(plan: Plan, header: list[Line]) -> None:
    title = plan.title or ""
    m = _PERIOD.search(title)
    if m:
        plan.period_start, plan.period_end = int(m.group(1)), int(m.group(2))
        return
    m = _YEAR_ONLY.search(title)
    if m:
        plan.period_start = plan.period_end = int(m.group(1))
        return
    for line in header:
        m = _PERIOD.search(line.text)
        if m:
            plan.period_start, plan.period_end = int(m.group(1)), int(m.group(2))
            return
    if plan.date:
        plan.period_start = plan.period_end = int(plan.date[:4])


def _lower_first(s: str) -> str:
    if s.isupper():
        return s.lower()
    return s[:1].lower() + s[1:] if s else s


# -- goals and indicators ----------------------------------------------------------------
_GOAL = re.compile(r"^Mục\s+tiêu(?:\s+(?:số|thứ))?\s*(\d+)?\s*(?:[:.)\-–—]\s*|\s+(?=[A-ZĐÀ-Ỹ]))?(.*)$",
                   re.I)
_INDICATOR = re.compile(r"^(?:Các\s+)?Chỉ\s+tiêu(?:\s+(?:số|thứ))?\s*(?:\d+\.(?=\d))?(\d+)?\s*"
                        r"[:.)\-–—]?\s*(.*)$", re.I)   # "Chỉ tiêu 2", "Chỉ tiêu 1.2:"
_STATED_GOAL = re.compile(r"\s*\(\s*(?:thuộc\s+|tương\s+ứng\s+)?Mục\s+tiêu\s+(?:số\s+)?(\d+)"
                          r"[^)]*\)", re.I)
#: local indicators (no national one) that are to go down: a bare figure is then a ceiling
_LOWER = re.compile(r"^(?!.*\bđược\b).*(?:tử vong|tỷ số giới tính khi sinh|số giờ|nội trợ|việc nhà|"
                    r"bỏ học|tảo hôn|sinh ở vị thành niên)")


def _bare(cell: str) -> bool:
    """A target cell with a figure and no comparator ("30%", "110 bé trai/100 bé gái")."""
    return bool(re.match(r"\s*\d", cell)) and not re.search(r"trở\s+(?:lên|xuống)", cell, re.I)


def _ceiling(t, text: str) -> str | None:
    """A bare figure in a table is a floor unless the indicator is to go down: the
    direction of the national indicator the row implements decides (the catalog), the
    word list only for a row the catalog does not know. Sets ``t.op`` to "<=" for a
    ceiling and returns why, for the review."""
    lk = catalog.link(text, t.unit)
    nat = catalog.load().get(lk.code) if lk.code else None
    if nat is not None:
        if nat.direction != "decrease":
            return None
        t.op = "<="
        return (f"Ô chỉ tiêu chỉ ghi con số; đã hiểu là mức tối đa vì chỉ tiêu quốc gia "
                f"{nat.code} cần giảm — hãy kiểm tra.")
    if _LOWER.search(key(text)):
        # "Số giờ làm công việc nội trợ … | 1,5 lần": a local indicator to go down
        t.op = "<="
        return ("Ô chỉ tiêu chỉ ghi con số; đã hiểu là mức tối đa vì chỉ tiêu này cần giảm "
                "— hãy kiểm tra.")
    return None


_FIELD = re.compile(r"^(?:trong\s+)?(?:các\s+)?lĩnh\s+vực\b", re.I)
_GENERAL_GOAL = keys("mục tiêu chung", "mục tiêu tổng quát", "mục tiêu tổng thể")
_SPECIFIC = keys("mục tiêu cụ thể", "chỉ tiêu cụ thể", "các chỉ tiêu cụ thể",
                 "mục tiêu, chỉ tiêu cụ thể")


def _goal_match(line: Line) -> re.Match | None:
    k = line.key
    if k.startswith(_GENERAL_GOAL + _SPECIFIC):
        return None
    m = _GOAL.match(line.text)
    if not m:
        return None
    if m.group(1) is None and not re.match(r"^Mục\s+tiêu\s*[:.\-–—]", line.text, re.I):
        return None
    return m


def parse_goals(section: Section, plan: Plan, ctx: Context) -> None:
    region, region_year = _specific_region(section, ctx)
    if not region:
        return
    default_year = region_year or plan.period_end
    blocks = _goal_blocks(region, ctx)
    numbers, aliases = decide_goals(blocks, ctx)   # the catalog decides unnumbered fields
    ctx.goal_aliases.update(aliases)
    for (heading, stated, title, items), number in zip(blocks, numbers):
        if stated is not None and stated != number:
            ctx.add("goal_renumbered", f"Mục tiêu {stated} bị đánh số trùng; đã đánh lại "
                    f"thành mục tiêu {number}.", heading)
        plan.goals.append(Goal(number, strip_end(title).rstrip(":")))
        year = find_year(heading.text) if heading else None
        _indicators(number, items, plan, ctx, year or default_year)


def _specific_region(section: Section, ctx: Context) -> tuple[list[Line], int | None]:
    lines = section.lines
    for i, line in enumerate(lines):
        if line.key.startswith(_SPECIFIC):
            return lines[i + 1:], find_year(line.text)
    for i, line in enumerate(lines):
        if _goal_match(line):
            return lines[i:], None
    out: list[Line] = []
    in_general = False
    for line in lines:
        if line.key.startswith(_GENERAL_GOAL):
            in_general = True
            continue
        if in_general and line.kind in ("", "bullet"):
            continue
        in_general = False
        out.append(line)
    return out, None


def _goal_blocks(region: list[Line], ctx: Context):
    """[(heading line, number or None, title, item lines)] for the goals of a region."""
    if any(_goal_match(l) for l in region):
        # "Mục tiêu 2: …", and a field among them that states no number
        is_head = lambda l: _goal_match(l) is not None or _field_head(l)  # noqa: E731
    elif any(_STATED_GOAL.search(l.text) and not _INDICATOR.match(l.text) for l in region):
        # "a) Về chính trị (Mục tiêu 1)": headings that state their goal's number
        is_head = lambda l: (bool(_STATED_GOAL.search(l.text))  # noqa: E731
                             and not _INDICATOR.match(l.text)) or _field_head(l)
    elif any(_FIELD.match(l.text) and not _INDICATOR.match(l.text) for l in region):
        # "2.2. Trong lĩnh vực y tế", and "2.1. Trong đời sống gia đình" labelled alike
        kinds = {l.kind for l in region if _FIELD.match(l.text)} - {"", "bullet"}
        is_head = lambda l: bool(_FIELD.match(l.text)) or (  # noqa: E731
            l.kind in kinds and _field_head(l, field_words=False))
    else:
        heads = _labelled_heads(region)
        is_head = lambda l: id(l) in heads  # noqa: E731
    blocks = []
    pre: list[Line] = []
    for line in region:
        if is_head(line):
            m = _goal_match(line)
            number = int(m.group(1)) if m and m.group(1) else None
            title = m.group(2) if m else line.text
            # "1. Lĩnh vực chính trị (Mục tiêu 1)": the goal's own number, whatever the
            # heading's label says
            stated = _STATED_GOAL.search(title)
            if stated and number is None:
                number = int(stated.group(1))
                title = (title[:stated.start()] + title[stated.end():]).strip(" :-–")
            blocks.append((line, number, title, []))
        elif blocks:
            blocks[-1][3].append(line)
        else:
            pre.append(line)
    if not blocks and pre:
        ctx.add("single_goal", "Không thấy tiêu đề mục tiêu; các chỉ tiêu được xếp vào mục "
                "tiêu 1.", pre[0], severity=INFO)
        return [(None, 1, "Mục tiêu cụ thể", pre)]
    for line in pre:
        ctx.add("goal_text", f"Đoạn trước mục tiêu đầu tiên, chưa đưa vào kế hoạch: "
                f"“{line.text}”.", line, severity=INFO)
    return blocks


def _field_head(line: Line, field_words: bool = True) -> bool:
    """"Lĩnh vực thông tin, truyền thông" among headings that state their goal: a heading
    (no figure, a field of the strategy), not an item of the goal before it."""
    return ((not field_words or bool(_FIELD.match(line.text))) and line.kind != "bullet"
            and len(line.text) < 90
            and not re.search(r"\d", line.text) and not _INDICATOR.match(line.text)
            and bool(catalog.goals_named(line.text)))


def _labelled_heads(region: list[Line]) -> set[int]:
    """Labelled lines (not bullets, not "Chỉ tiêu") with items of another kind under them."""
    heads = set()
    for i, line in enumerate(region):
        if line.kind in ("", "bullet") or _INDICATOR.match(line.text):
            continue
        if re.search(r"\d", line.text) and "%" in line.text:
            continue
        nxt = region[i + 1] if i + 1 < len(region) else None
        if nxt and (nxt.kind != line.kind or _INDICATOR.match(nxt.text)):
            heads.add(id(line))
    return heads


def _indicators(goal: int, items: list[Line], plan: Plan, ctx: Context, year: int | None) -> None:
    labelled = [l for l in items if (m := _INDICATOR.match(l.text)) and m.group(2).strip()]
    entries: list[tuple[Line, int | None, str]] = []
    collecting = False  # after "Chỉ tiêu:" with nothing after it
    for line in items:
        m = _INDICATOR.match(line.text)
        if m:
            text = m.group(2).strip()
            if not text:
                collecting = True
                continue
            entries.append((line, int(m.group(1)) if m.group(1) else None, text))
            collecting = False
        elif entries and entries[-1][2].endswith(":"):
            head_line, num, text = entries[-1]
            sep = " " if text.endswith(":") else "; "
            entries[-1] = (head_line, num, f"{text}{sep}{strip_end(line.text)}")
        elif labelled and not collecting:
            ctx.add("goal_text", f"Đoạn trong mục tiêu {goal} không phải chỉ tiêu, chưa đưa vào "
                    f"kế hoạch: “{line.text}”.", line, severity=INFO)
        elif line.text.endswith(":") and not re.search(r"\d", line.text):
            ctx.add("goal_text", f"Câu dẫn trong mục tiêu {goal}, không phải chỉ tiêu: "
                    f"“{line.text}”.", line, severity=INFO)
        else:
            entries.append((line, None, line.text))
    used: set[int] = set()
    for line, number, text in entries:
        renumbered = None
        if number is None or number in used:
            new = max(used | {0}) + 1
            if number is not None:
                renumbered = f"Chỉ tiêu {number} bị đánh số trùng; đã đánh lại thành {new}."
                ctx.add("indicator_renumbered", f"Chỉ tiêu {number} của mục tiêu {goal} bị "
                        f"đánh số trùng; đã đánh lại thành chỉ tiêu {new}.", line)
            number = new
        used.add(number)
        code = f"{goal}.{number}"
        text = strip_end(text).rstrip(":")
        ind = Indicator(code=code, goal=goal, number=number, text=text)
        parsed = parse_targets(line.target_text or text, year)
        for j, t in enumerate(parsed):
            tcode = code if len(parsed) == 1 else f"{code}{chr(ord('a') + j)}"
            doubt = None
            if line.target_text:  # a table row: the indicator and its target cell
                t.text = f"{text}: {line.target_label}"
                if t.op == ">=" and _bare(line.target_label or ""):
                    doubt = _ceiling(t, text)
            measure, factor = infer_measure(t.unit, t.op, t.text)
            target = Target(code=tcode, op=t.op, value=t.value, max=t.max, unit=t.unit,
                            year=t.year, text=t.text, measure=measure, factor=factor)
            ind.targets.append(target)
            _review_target(ctx, target, line, doubt or renumbered)
            if t.op != "qualitative" and t.unit is None and key("so với") not in key(t.text):
                ctx.add("target_unit", "Không rõ đơn vị tính của chỉ tiêu; hãy kiểm tra: "
                        f"“{t.text}”.", line, severity=INFO, target=tcode)
            if t.year is None:
                ctx.add("target_year", f"Không rõ năm đạt chỉ tiêu: “{t.text}”.", line,
                        severity=INFO, target=tcode)
        plan.indicators.append(ind)
        if line.assignee:
            ctx.table_assignments.append((line.assignee, code, line))


def _review_target(ctx: Context, t: Target, line: Line, doubt: str | None) -> None:
    """A review item for a target row: how sure the reading is, and why not."""
    from ..targets import describe

    if doubt:
        conf = 0.5
    elif t.op == "qualitative":
        conf, doubt = 0.7, "Chỉ tiêu định tính (không có con số): đơn vị báo cáo Có/Không."
    elif t.unit is None and key("so với") not in key(t.text):
        conf, doubt = 0.6, "Không rõ đơn vị tính."
    elif t.year is None:
        conf, doubt = 0.7, "Không rõ năm đạt chỉ tiêu."
    else:
        conf = 0.95
    ctx.note("target", t.code, describe(t), line, conf, doubt or "")


__all__ = ["Context", "Section", "SECTION_LABELS", "split_sections", "parse_details",
           "parse_goals", "is_section_heading"]
