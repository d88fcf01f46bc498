"""The TỔ CHỨC THỰC HIỆN part: responsible units, their tasks, assignments, deadlines.

- A numbered heading names a unit ("2.4. Trạm Y tế xã", "3. Công an phường"), possibly
  with its text on the same line ("8. Công an huyện: Chủ trì …", "2. Phòng Hành chính –
  Quản trị theo dõi …"), possibly two units ("Phòng Văn hóa và Thông tin; Đài Truyền
  thanh – Truyền hình huyện"). "Đề nghị" / "Trách nhiệm của" in front are dropped.
- A general heading ("Trách nhiệm của các cơ quan đơn vị thuộc xã", "Chế độ báo cáo")
  names no unit: its paragraphs are listed for review, its report sentence gives the
  deadlines.
- A paragraph starting with a bold unit name belongs to that unit only.
- A sentence naming indicators ("… báo cáo kết quả triển khai Mục tiêu 1; chỉ tiêu 1, 2
  của mục tiêu 2 …") assigns them to the unit(s) of its section and is not a task; the
  rest of its paragraph is.
"""

from __future__ import annotations

import re

from ...core import vn
from ...core.findings import INFO
from ..model import Plan, Report, Unit, Upward
from . import deadlines
from .parse import SIGNATURE as _SIGNATURE, Context
from .text import Line, drop_prefix, key, keys, split_sentences, strip_end

_GENERAL = keys("trách nhiệm chung", "chế độ", "công tác báo cáo", "thông tin báo cáo",
            "kinh phí", "tổ chức thực hiện", "phân công", "nhiệm vụ chung", "trách nhiệm thi hành",
            "hiệu lực", "điều khoản")
_PREFIXES = re.compile(r"^(?:Đề\s+nghị|Giao|Trách\s+nhiệm\s+của|Nhiệm\s+vụ\s+của)\s+", re.I)
_VERBS = ("căn cứ", "theo dõi", "chủ trì", "phối hợp", "có trách nhiệm", "chịu trách nhiệm",
          "thực hiện", "tham mưu", "triển khai", "xây dựng", "tổ chức", "hướng dẫn",
          "là cơ quan", "là đầu mối", "tăng cường", "nghiên cứu", "đẩy mạnh", "rà soát",
          "bố trí", "lồng ghép", "tuyên truyền", "kiểm tra", "đôn đốc", "tổng hợp", "báo cáo",
          "quan tâm", "cung cấp", "thu thập", "phổ biến", "giám sát", "được giao", "có nhiệm vụ",
          "trên cơ sở", "theo chức năng")
_ALL_UNITS = re.compile(r"^(?:Các|Mọi|Tất\s+cả\s+các)\s+(?:cơ\s+quan|đơn\s+vị|tổ|phòng|bộ\s+phận|"
                        r"ban|ngành|khoa|thành\s+viên|trường)\b", re.I)
_SUBJECT = re.compile(r"^(?:Giao\s+|Đề\s+nghị\s+)?(?P<name>[A-ZĐÀ-Ỹ][^,;:.()]{2,80}?)\s+"
                      r"(?:chịu\s+trách\s+nhiệm|có\s+trách\s+nhiệm)\b")
_VERB_RX = re.compile(r"(?<!các )(?<!Các )\b(" + "|".join(_VERBS) + r")\b")
_NUMS = r"((?:\d+\s*(?:,|và|-|–|đến|tới)\s*)*\d+)"
_REF = re.compile(
    r"chỉ\s+tiêu\s+(?:số\s+)?(\d+)\.(\d+)"
    r"|(?:các\s+)?chỉ\s+tiêu(?:\s+số)?\s*" + _NUMS + r"?\s*"
    r"(?:\(\s*|(?:của|thuộc|tại|trong)\s+)?(?:các\s+)?mục(?:\s+tiêu)?(?:\s+số)?\s+(\d+)"
    r"|mục(?:\s+tiêu)?(?:\s+số)?\s+(\d+)"
    # "chỉ tiêu 1, 2 lĩnh vực chính trị", "các chỉ tiêu thuộc lĩnh vực kinh tế, lao động"
    r"|(?:các\s+)?chỉ\s+tiêu(?:\s+số)?\s*" + _NUMS + r"?\s*(?:của\s+|thuộc\s+|trong\s+)?"
    r"(?:các\s+)?lĩnh\s+vực\s+([^;.()]+?)(?=\s+và\s+(?:các\s+)?chỉ\s+tiêu|\s*[;.(]|$)"
    # "chỉ tiêu 1, 2 và chỉ tiêu 4": indicators numbered on across the goals
    r"|chỉ\s+tiêu(?:\s+số)?\s+" + _NUMS + r"(?!\d|\.\d)")
_HAS_REF = re.compile(r"(?:chỉ\s+tiêu|mục(?:\s+tiêu)?)(?:\s+số)?\s+\d"
                      r"|chỉ\s+tiêu\s+(?:\d+(?:\s*,\s*\d+)*\s+)?(?:của\s+|thuộc\s+|trong\s+)?"
                      r"(?:các\s+)?lĩnh\s+vực\s+\w")
#: "các chỉ tiêu trong đời sống gia đình": a goal named by its title (see Organisation._titled)
_TITLED = re.compile(r"(?:các\s+)?chỉ\s+tiêu\s+(?:trong|thuộc|về|của)\s+(?!(?:các\s+)?lĩnh\s+vực|mục)"
                     r"([^;.()]+)")
_ONLY_NOTE = re.compile(r"\((?![^)]*(?:chỉ\s+tiêu|mục\s+tiêu))[^)]*\)")


class Organisation:
    def __init__(self, plan: Plan, ctx: Context) -> None:
        self.plan = plan
        self.ctx = ctx
        self.current: list[Unit] | None = None   # None: general part
        self.assignments = 0
        self.depth = 0                           # label depth of the current unit heading
        #: catalog links of the plan's indicator rows by (text, unit): _national_match
        #: compares every data clause with all of them
        self._row_links: dict[tuple, object] = {}

    # -- units ---------------------------------------------------------------------------
    def unit(self, name: str) -> Unit:
        existing = self.plan.unit(name)
        if existing:
            return existing
        u = Unit(name=name)
        self.plan.units.append(u)
        return u

    def feed(self, line: Line) -> None:
        if line.label and line.kind != "bullet":
            head = self.heading(line)
            if head is not None:
                names, rest = head
                self.current = [self.unit(n) for n in names] if names else None
                if rest:
                    self.paragraph(rest, self.current, line)
                return
        if line.bold_prefix:
            name = _PREFIXES.sub("", line.bold_prefix).strip(" :")
            units = [u for u in (self.current or []) if u.key == vn.canonical(name)]
            if not units and _looks_like_name(name):
                units = [self.unit(name)]
            if units:
                self.paragraph(drop_prefix(line.text, line.bold_prefix), units, line)
                return
        if not line.label and self._unlabelled_heading(line):
            names, rest = self.heading(line) or ([], "")
            if names:
                self.current = [self.unit(n) for n in names]
                if rest:
                    self.paragraph(rest, self.current, line)
                return
        self.paragraph(line.text, self.current, line)

    def _unlabelled_heading(self, line: Line) -> bool:
        t = line.text
        return (len(t.split()) <= 20 and t[-1:] not in ".;" and _looks_like_name(t, 20)
                and (line.all_bold or t.endswith(":") or _starts_with_unit_word(t))
                and (len(t.split()) <= 12 or not _VERB_RX.search(t)))

    def heading(self, line: Line) -> tuple[list[str], str] | None:
        """(unit names, text after them) for a heading; ([], "") for a general one;
        None when the labelled line is not a heading but a task."""
        text = line.text
        k = key(text)
        if k.startswith(_GENERAL) or re.match(r"trách nhiệm của (các|một số|những)\b", k):
            rest = text.split(":", 1)[1].strip() if ":" in text[:60] else ""
            if rest:
                self.paragraph(rest, None, line)
            return [], ""
        if self.current and _depth(line.label) > self.depth:
            return None  # "a) …" under "1. Phòng …": a task of that unit
        body = _PREFIXES.sub("", text)
        name, rest = _split_name(body)
        if name is None or (self.current and rest and not _starts_with_unit_word(name)):
            return None
        names = [strip_end(n).strip(" :") for n in name.split(";") if n.strip(" :")]
        names = [p for n in names for p in _several(n)]
        if len(names) == 1 and _ALL_UNITS.match(names[0]) and rest \
                and self._is_report_sentence(rest):
            # "3. Các cơ quan, đơn vị … gửi báo cáo … trước ngày …": the units' deadline
            self.paragraph(text, None, line)
            return [], ""
        self.depth = _depth(line.label)
        return names, rest

    # -- paragraphs ----------------------------------------------------------------------
    def paragraph(self, text: str, units: list[Unit] | None, line: Line) -> None:
        text = strip_end(text)
        if not text:
            return
        if units and _ALL_UNITS.match(text) and self._is_report_sentence(text):
            units = None  # "Các tổ, bộ phận gửi báo cáo … trước ngày …" after the last unit
        m = _SUBJECT.match(text)
        if m and _starts_with_unit_word(m.group("name")) and not any(
                u.key == vn.canonical(m.group("name")) for u in units or []):
            # "Hội Liên hiệp Phụ nữ phường chịu trách nhiệm báo cáo chỉ tiêu 2 …": a unit
            # named only in its responsibility sentence reports what the sentence says
            units = [self.unit(strip_end(m.group("name")))]
        self.reports(text, line)
        task, refs = self.assignment(text, line)
        proposed = self.data_duties(text) if units and not refs else []
        if units is None:
            if self._is_report_sentence(text):
                return
            self.ctx.add("general_task", f"Nhiệm vụ chung, không gắn với đơn vị cụ thể: "
                         f"“{text}”.", line, severity=INFO)
            if refs:
                self.ctx.add("assignment_no_unit", "Câu giao chỉ tiêu nằm ngoài phần của một "
                             "đơn vị, chưa giao cho ai: " f"“{text}”.", line)
            return
        for u in units:
            for code in refs:
                if code not in u.indicators:
                    u.indicators.append(code)
                    self.assignments += 1
                    self.ctx.note("assignment", u.name, code, line, 0.9)
            for code, how in proposed:
                if code not in u.indicators:
                    u.indicators.append(code)
                    self.assignments += 1
                    self.ctx.note("assignment", u.name, code, line, 0.4,
                                  "Đề xuất: câu không ghi số chỉ tiêu mà tả số liệu đơn vị "
                                  f"thu thập ({how}); hãy xác nhận hoặc bỏ.")
            if task:
                u.tasks.append(task)

    def data_duties(self, text: str) -> list[tuple[str, str]]:
        """Indicators a unit is to report that a sentence describes in words, not codes
        ("thu thập, thống kê số liệu về số nạn nhân bị bạo lực gia đình được tiếp cận các
        dịch vụ hỗ trợ"): (code, how it was matched) for each clause naming data that
        matches an indicator's wording, or the same national indicator (catalog)."""
        out: list[tuple[str, str]] = []
        for sentence in re.split(r"(?<=[a-zà-ỹ)])\.\s+", text):
            # "thu thập số liệu về A; B": the verb covers the whole list after it
            clauses = sentence.split(";")
            first = next((i for i, c in enumerate(clauses) if _DATA.search(key(c))), None)
            if first is not None:
                out.extend(p for p in self._data_clauses(clauses[first:])
                           if p[0] not in [c for c, _ in out])
        return out

    def _data_clauses(self, clauses: list[str]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for clause in clauses:
            words = _pairs(clause)
            best = max(((len(words & _pairs(i.text)) / max(len(_pairs(i.text)), 1), i.code)
                        for i in self.plan.indicators), default=(0, None))
            if best[0] >= 0.6:
                if best[1] not in [c for c, _ in out]:
                    out.append((best[1], "trùng cách diễn đạt của chỉ tiêu"))
                continue
            code = self._national_match(clause)
            if code and code not in [c for c, _ in out]:
                out.append((code, "cùng chỉ tiêu quốc gia"))
        return out

    def _national_match(self, clause: str) -> str | None:
        """The plan's indicator that the national catalog links to the same national
        target as ``clause``, when both links are kept."""
        from .. import catalog

        try:
            want = catalog.link(clause)
        except Exception:   # noqa: BLE001 - the catalog only helps; a failure proposes nothing
            return None
        if want.code is None or want.confidence < catalog.KEEP:
            return None
        for ind in self.plan.indicators:
            for t in ind.targets:
                got = self._row_links.get((ind.text, t.unit))
                if got is None:
                    got = self._row_links[(ind.text, t.unit)] = catalog.link(ind.text, t.unit)
                if got.code and got.confidence >= catalog.KEEP and \
                        got.code.rstrip("abcdefgh") == want.code.rstrip("abcdefgh"):
                    return ind.code
        return None

    def assignment(self, text: str, line: Line) -> tuple[str, list[str]]:
        """(task text without the assignment, indicator codes named)."""
        has_ref = lambda s: _HAS_REF.search(s) or self._titled(s)  # noqa: E731
        if not has_ref(text.lower()):
            return text, []
        kept: list[str] = []
        codes: list[str] = []
        for sentence in split_sentences(text):
            low = sentence.lower()
            if not has_ref(low):
                kept.append(sentence)
                continue
            clauses = sentence.split(";")
            first = next(i for i, c in enumerate(clauses) if has_ref(c.lower()))
            if first and re.match(r"\s*(chịu trách nhiệm|báo cáo|theo dõi|tổng hợp|thu thập)",
                                  clauses[first].lower()):
                kept.append(strip_end(";".join(clauses[:first])))
            codes.extend(self.refs(low, line) + [c for g in self._titled(low)
                                                 for c in self._goal_codes(g, line)])
        task = ". ".join(kept)
        return strip_end(task), codes

    def refs(self, low: str, line: Line) -> list[str]:
        low = _ONLY_NOTE.sub(" ", low)     # "(8/3)" goes, "(chỉ tiêu 1, 2 của Mục tiêu 2)" stays
        low = re.sub(r"\s+", " ", low)
        out: list[str] = []
        for m in _REF.finditer(low):
            if m.group(1):
                wanted = [f"{int(m.group(1))}.{int(m.group(2))}"]
            elif m.group(7):
                goal = self._field_goal(m.group(7), line)
                if goal is None:
                    continue
                nums = _numbers(m.group(6)) if m.group(6) else None
                wanted = ([f"{goal}.{n}" for n in nums] if nums
                          else self._goal_codes(goal, line))
            elif m.group(8):
                wanted = self._numbered_on(_numbers(m.group(8)), line)
            elif m.group(4):
                goal = self._goal(int(m.group(4)))
                nums = _numbers(m.group(3)) if m.group(3) else None
                wanted = ([f"{goal}.{n}" for n in nums] if nums
                          else self._goal_codes(goal, line))
            else:
                wanted = self._goal_codes(self._goal(int(m.group(5))), line)
            for code in wanted:
                if self.plan.indicator(code) is None:
                    self.ctx.add("unknown_indicator", f"Câu giao chỉ tiêu nhắc tới chỉ tiêu "
                                 f"{code} nhưng kế hoạch không có chỉ tiêu này.", line,
                                 target=code)
                elif code not in out:
                    out.append(code)
        return out

    def _titled(self, low: str) -> list[int]:
        """Goals named by their whole title without "lĩnh vực" or a number: "các chỉ tiêu
        trong đời sống gia đình" is the goal titled "Trong đời sống gia đình"."""
        out = []
        for m in _TITLED.finditer(low):
            said = _field_words(m.group(1))
            for g in self.plan.goals:
                title = _field_words(g.title)
                if title and said[:len(title)] == title and g.number not in out:
                    out.append(g.number)
        return out

    def _goal(self, number: int) -> int:
        """The goal a sentence's "mục tiêu N" means: the heading the plan numbered N, also
        when the catalog gave that heading another goal ("3. Lĩnh vực y tế" -> goal 4)."""
        return self.ctx.goal_aliases.get(number, number)

    def _numbered_on(self, numbers: list[int], line: Line) -> list[str]:
        """"chỉ tiêu 3" without a goal: the one indicator the plan numbered 3 (indicators
        numbered on across the goals); several of them is ambiguous and is only named."""
        out = []
        for n in numbers:
            codes = [i.code for i in self.plan.indicators if i.number == n]
            if len(codes) == 1:
                out.extend(codes)
            else:
                self.ctx.add("ambiguous_indicator", f"Câu giao “chỉ tiêu {n}” không nói của mục "
                             "tiêu nào" + (f" (kế hoạch có {', '.join(codes)})" if codes else
                                           ", kế hoạch không có chỉ tiêu này")
                             + "; hãy chọn trong trang Phân công của sổ kế hoạch.", line)
        return out

    def _field_goal(self, field: str, line: Line) -> int | None:
        """The goal a field names ("lĩnh vực văn hóa, thông tin" -> the goal titled "Lĩnh
        vực văn hóa, thông tin" or "Trong lĩnh vực văn hóa, thông tin"): the goal whose
        title shares the most leading words with it, at least two (or all of them)."""
        want = _field_words(field)
        best, best_n = None, 0
        for g in self.plan.goals:
            have = _field_words(g.title)
            n = 0
            for a, b in zip(want, have):
                if a != b:
                    break
                n += 1
            if n > best_n:
                best, best_n = g.number, n
        if best is None or best_n < min(2, len(want)):
            self.ctx.add("unknown_field", f"Câu giao chỉ tiêu nhắc tới lĩnh vực “{field}” nhưng "
                         "không khớp với mục tiêu nào của kế hoạch.", line)
            return None
        return best

    def _goal_codes(self, goal: int, line: Line) -> list[str]:
        codes = [i.code for i in self.plan.indicators if i.goal == goal]
        if not codes:
            self.ctx.add("unknown_goal", f"Câu giao chỉ tiêu nhắc tới mục tiêu {goal} nhưng "
                         "kế hoạch không có chỉ tiêu nào của mục tiêu này.", line)
        return codes

    # -- deadlines -----------------------------------------------------------------------
    @staticmethod
    def _is_report_sentence(text: str) -> bool:
        found = deadlines.scan(text)
        return bool(found.reports or found.upward)

    def reports(self, text: str, line: Line) -> None:
        found = deadlines.scan(text)
        for bad in found.bad or []:
            self.ctx.add("bad_deadline", f"Hạn báo cáo không hợp lệ: “{bad}”.", line)
        for r in found.reports:
            if any(x.kind == r.kind and x.due == r.due for x in self.plan.reports):
                continue
            self.plan.reports.append(Report(kind=r.kind, due=r.due, to=r.to))
            self.ctx.note("deadline", r.kind, deadlines.due_text(r.due), line,
                          0.9 if r.to else 0.7, "" if r.to else "Không rõ nơi nhận báo cáo.")
        if found.upward and deadlines.is_own(found.upward_to, self.plan.issuer, []):
            # "Tổng hợp, báo cáo kết quả về UBND xã trước ngày 20/12": the plan's own
            # office is the recipient, so this is the units' report, not the one upward
            if found.upward_due and not any(x.kind == found.upward_kind and
                                            x.due == found.upward_due for x in self.plan.reports):
                self.plan.reports.append(Report(found.upward_kind, found.upward_due,
                                                found.upward_to))
                self.ctx.note("deadline", found.upward_kind, deadlines.due_text(found.upward_due), line,
                              0.7, "Câu nói báo cáo gửi chính cơ quan ban hành; đã hiểu là "
                              "hạn các đơn vị gửi báo cáo về.")
        elif found.upward:
            up = self.plan.upward or Upward()
            if up.to is None or (up.due is None and found.upward_due):
                self.ctx.note("upward", found.upward_to or "", deadlines.due_text(found.upward_due),
                              line, 0.85)
            up.to = up.to or found.upward_to
            up.due = up.due or found.upward_due
            self.plan.upward = up


#: a sentence about data a unit collects or reports ("thu thập, thống kê số liệu về …")
_DATA = re.compile(r"thu thập|thống kê|số liệu")
_STOP = {"tỷ", "lệ", "số", "các", "những", "đạt", "trên", "dưới", "từ", "trở", "lên", "về",
         "năm", "có", "và", "của", "được"}


def _pairs(text: str) -> set[tuple[str, str]]:
    """Word pairs of a text (Vietnamese words are mostly two syllables), without figures
    and the words every indicator has ("tỷ lệ", "đạt")."""
    k = re.sub(r"[^\w\s]|\d", " ", key(text))
    words = [w for w in k.split() if w not in _STOP]
    return set(zip(words, words[1:]))


def _field_words(text: str) -> list[str]:
    k = re.sub(r"[^\w\s]", " ", key(text))
    k = re.sub(r"^\s*(?:trong\s+|về\s+)?(?:các\s+)?(?:lĩnh\s+vực\s+)?", "", k)
    return k.split()


def _depth(label: str | None) -> int:
    if not label:
        return 0
    if label[0].isdigit():
        return label.strip(".)").count(".") + 1
    if label[0] in "IVXL":
        return 0
    return 10 if label[0].isalpha() else 20


def _numbers(text: str) -> list[int]:
    out: list[int] = []
    parts = re.split(r"\s*(?:,|và)\s*", text)
    for p in parts:
        m = re.match(r"(\d+)\s*(?:-|–|đến|tới)\s*(\d+)", p)
        if m:
            out.extend(range(int(m.group(1)), int(m.group(2)) + 1))
        elif p.strip().isdigit():
            out.append(int(p))
    return out


_UNIT_WORDS = keys("phòng", "ban", "trung tâm", "trạm", "công an", "văn phòng", "ubnd", "ủy ban",
               "uỷ ban", "đài", "chi cục", "sở", "hội", "đoàn", "liên đoàn", "trường", "các",
               "bệnh viện", "bộ chỉ huy", "ban chỉ huy", "đồn", "huyện đoàn", "tỉnh đoàn",
               "mặt trận", "hợp tác xã", "báo", "kho bạc", "ngân hàng", "bảo hiểm", "thanh tra",
               "cục", "viện", "tòa án", "toà án", "đảng ủy", "đảng uỷ", "thường trực", "trưởng",
               "công chức", "cán bộ", "bưu điện", "chi nhánh", "quân sự", "ủy ban nhân dân",
               "tổ", "khoa", "bộ phận", "chi đoàn", "công đoàn", "chi bộ", "nhóm", "hạt",
               "ban giám hiệu", "liên đội", "chi hội", "tổ chức")


def _starts_with_unit_word(text: str) -> bool:
    k = key(text)
    return any(k == w or k.startswith(w + " ") for w in _UNIT_WORDS)


def _looks_like_name(text: str, words: int = 16) -> bool:
    t = text.strip()
    return bool(t) and t[0].isupper() and len(t.split()) <= words and not _SIGNATURE.match(t)





def _split_name(text: str) -> tuple[str | None, str]:
    """("Công an huyện", "Chủ trì …") from "Công an huyện: Chủ trì …"."""
    if ":" in text:
        name, rest = text.split(":", 1)
        if _looks_like_name(name) and len(name.split()) <= 16:
            return name.strip(), rest.strip()
    if text[-1:] not in ".;" and _looks_like_name(text, 20) and (
            len(text.split()) <= 16 or not _VERB_RX.search(text)):
        return strip_end(text), ""
    m = _VERB_RX.search(text)
    if m and m.start() > 0 and 2 <= len(text[:m.start()].split()) <= 16 \
            and text[:m.start()].strip()[:1].isupper():
        return text[:m.start()].strip(" ,"), text[m.start():].strip()
    return None, text


def parse_organisation(lines: list[Line], plan: Plan, ctx: Context) -> int:
    """Units, tasks, assignments and deadlines from the lines of TỔ CHỨC THỰC HIỆN.
    Returns the number of assignments (unit × indicator)."""
    org = Organisation(plan, ctx)
    for line in lines:
        org.feed(line)
    return org.assignments


def parse_report_lines(lines: list[Line], plan: Plan, ctx: Context) -> None:
    """Deadlines from any other part of the plan (a separate "Chế độ báo cáo" section)."""
    org = Organisation(plan, ctx)
    for line in lines:
        org.reports(strip_end(line.text), line)


def _comma_units(text: str) -> list[str]:
    """"Phòng Kinh tế, Trạm Y tế xã" -> two units; "Trung tâm Văn hóa, Thông tin và Thể
    thao phường" stays one (what follows the comma does not start like a unit)."""
    parts = re.split(r",\s*(?=[A-ZĐÀ-Ỹ])", text)
    out = [parts[0]]
    for p in parts[1:]:
        if _starts_with_unit_word(p):
            out.append(p)
        else:
            out[-1] = f"{out[-1]}, {p}"
    return out


def assign_from_table(rows: list, plan: Plan, ctx: Context | None = None) -> int:
    """Assignments from the "Đơn vị chủ trì" column of a table of indicators: each
    named unit (one of the plan's, or a new one) reports that indicator. Several units
    in one cell are separated by ";" or by a comma before a capital letter."""
    added = 0
    for names, code, line in rows:
        parts = [p for chunk in re.split(r"\s*;\s*|\s*\n\s*", names)
                 for p in _comma_units(chunk)]
        for name in parts:
            name = strip_end(name).strip(" ,")
            if not name:
                continue
            if ctx is not None:
                ctx.note("assignment", name, code, line, 0.9)
            unit = plan.unit(name)
            if unit is None:
                unit = Unit(name=name)
                plan.units.append(unit)
            if code not in unit.indicators:
                unit.indicators.append(code)
                added += 1
    return added


def _several(name: str) -> list[str]:
    """"Công an huyện và Ban Chỉ huy Quân sự huyện" -> two units, when every part starts
    with a unit word and ends with the same level ("Văn phòng HĐND và UBND xã", "Phòng Văn
    hóa và Thông tin", "Trung tâm Văn hóa, Thể thao và Truyền thông huyện", "… và các
    đoàn thể" stay one)."""
    parts = [p.strip() for p in re.split(r",\s*|\s+và\s+", name) if p.strip()]
    levels = {_LEVEL.search(key(p)).group(0) if _LEVEL.search(key(p)) else None for p in parts}
    if len(parts) > 1 and None not in levels and len(levels) == 1 and all(
            _starts_with_unit_word(p) and not key(p).startswith("các ") and p[:1].isupper()
            for p in parts):
        return parts
    return [name]


_LEVEL = re.compile(r"\b(?:xã|phường|thị trấn|huyện|quận|thị xã|thành phố|tỉnh)$")
