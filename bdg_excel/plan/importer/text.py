"""The line model of a plan document, and the text clean-up shared by all readers.

A reader (.txt or .docx) yields :class:`RawLine` objects, one per physical line or
paragraph. :func:`prepare` turns them into logical :class:`Line` objects:

- text is NFC with folded white space; markdown ``**bold**`` / ``*italic*`` and heading
  ``#`` marks left by converters are removed (a leading bold name such as
  ``**Phòng Văn hóa và Thông tin:**`` is kept as :attr:`Line.bold_prefix`);
- the structural label ("2.1.", "a)", "IV.", "-") is split from the text unless the reader
  already knows it (Word's automatic numbering);
- a sentence broken by a page break ("… để đạt được mục" / blank / "tiêu đề ra.") is
  joined back into one line.

Text keeps the document's own dashes, quotes and tone marks (they are shown to people);
matching goes through :func:`key`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ...core import vn


@dataclass
class RawLine:
    text: str
    lineno: int                       # 1-based line (txt) or paragraph (docx) number
    label: str | None = None          # Word automatic numbering, rendered ("2.1.", "a)")
    bold_prefix: str | None = None    # leading bold run(s) followed by normal text
    all_bold: bool = False
    blank_before: bool = False
    target_text: str | None = None    # a row of a table of indicators: its target cell(s)
    target_label: str | None = None
    assignee: str | None = None       # … and the unit(s) its "Đơn vị chủ trì" cell names
    page: int | None = None           # the page of a PDF


@dataclass
class Line:
    text: str                         # without label, markdown removed
    lineno: int
    label: str | None = None          # "2.1.", "a)", "IV.", "-" …
    bold_prefix: str | None = None    # also still at the start of ``text``
    all_bold: bool = False
    target_text: str | None = None    # a table row: the target, parsed instead of the text
    target_label: str | None = None   # a table row: the target cell as written
    assignee: str | None = None       # a table row: the unit(s) named to report it
    page: int | None = None           # the page of a PDF

    @property
    def kind(self) -> str:
        """"roman", "decimal", "letter", "bullet" or "" (no label)."""
        return label_kind(self.label)

    @property
    def key(self) -> str:
        return key(self.text)

    @property
    def full(self) -> str:
        return f"{self.label} {self.text}" if self.label else self.text


_MD_BOLD_PREFIX = re.compile(r"^\*\*([^*]+?)(:?)\*\*\s*(:?)\s*(.*)$")
_MD_EMPH = re.compile(r"\*{1,3}([^*\n]+?)\*{1,3}")
_LABEL = re.compile(
    r"^(?:(?P<roman>[IVXL]{1,5}[.)])"
    r"|(?P<decimal>\d{1,2}(?:\.\d{1,2})+\.?|\d{1,2}[.)])"
    r"|(?P<letter>[a-zđ][.)])"
    r"|(?P<bullet>[-+•–—*▪●○◦]))\s+(?=\S)")
_TERMINAL = ".:;!?…"
#: Words a sentence cannot end with: a line ending in one of them continues.
_OPEN_WORDS = {"về", "của", "và", "các", "cho", "với", "tại", "trong", "theo", "được",
               "có", "là", "để", "những", "từ", "đến", "ngày", "đối", "nhằm", "vào",
               "trên", "dưới", "hoặc", "như", "bao", "gồm", "qua", "gửi"}


def key(text: str) -> str:
    """Matching form: canonical (lower case, new-style tone marks, one dash kind)."""
    return vn.canonical(strip_markdown(text))


def keys(*words: str) -> tuple[str, ...]:
    """Keywords in matching form (for ``key(text).startswith(keys(...))``)."""
    return tuple(key(w) for w in words)


def normalise(text: str) -> str:
    """NFC, no BOM / zero-width / soft hyphen, non-breaking spaces folded."""
    s = unicodedata.normalize("NFC", text)
    s = s.replace("\u00ad", "").replace("\u200b", "").replace("\ufeff", "")
    return vn.clean(s)


def strip_markdown(text: str) -> str:
    s = re.sub(r"^#{1,6}\s+", "", text)
    prev = None
    while prev != s:
        prev = s
        s = _MD_EMPH.sub(r"\1", s)
    s = s.replace("**", "")
    s = re.sub(r"(?<!\S)\*(?!\S)", "", s)  # a lone asterisk left over
    s = re.sub(r"\\([\\*_.\-#])", r"\1", s)  # markdown escapes: "1\." -> "1."
    return vn.clean(s)


def label_kind(label: str | None) -> str:
    if not label:
        return ""
    m = _LABEL.match(label + " x")
    if not m:
        return "decimal" if any(c.isdigit() for c in label) else "bullet"
    return next(k for k, v in m.groupdict().items() if v)


def split_label(text: str) -> tuple[str | None, str]:
    """("2.1.", "Mục tiêu 1: …") from "2.1. Mục tiêu 1: …"; (None, text) when unlabelled."""
    m = _LABEL.match(text)
    if not m:
        return None, text
    label = m.group(0).strip()
    rest = text[m.end():]
    if m.group("roman") and not _looks_like_heading(rest):
        return None, text  # "V. " before a lower-case word is not a Roman heading
    if m.group("letter") and label.endswith(".") and not rest[:1].isupper():
        return None, text
    return label, rest


def _looks_like_heading(rest: str) -> bool:
    return rest[:1].isupper()


def _bold_prefix(text: str) -> tuple[str | None, str]:
    m = _MD_BOLD_PREFIX.match(text)
    if not m or not m.group(4):
        return None, text
    name = vn.clean(m.group(1))
    colon = m.group(2) or m.group(3)
    if not colon and len(name.split()) > 12:
        return None, text
    return name, m.group(4)


def drop_prefix(text: str, prefix: str) -> str:
    """``text`` without a leading ``prefix`` (a bold unit name) and its colon."""
    if text.startswith(prefix):
        return text[len(prefix):].lstrip(" :")
    return text


def lines_from_text(text: str) -> list[RawLine]:
    out: list[RawLine] = []
    blank = False
    for n, physical in enumerate(text.splitlines(), start=1):
        s = normalise(physical)
        if not s:
            blank = True
            continue
        out.append(RawLine(s, n, blank_before=blank))
        blank = False
    return out


def prepare(raw: list[RawLine]) -> list[Line]:
    """Labels split off, markdown removed, page-break wraps joined."""
    lines: list[Line] = []
    for r in raw:
        text = normalise(r.text)
        bold = r.bold_prefix
        label = r.label
        if label is None:
            label, text = split_label(text)
        if bold is None:
            bold, _ = _bold_prefix(text)
            if label is None and bold is None:
                # "**2.1. Phòng …**": label inside the markdown
                plain = strip_markdown(text)
                label, plain2 = split_label(plain)
                if label:
                    text = plain2
        all_bold = r.all_bold or (text.startswith("**") and text.rstrip().endswith("**"))
        text = strip_markdown(text)
        if bold:
            bold = strip_markdown(bold).rstrip(": ")
        if not text and not label:
            continue
        line = Line(text, r.lineno, label, bold, all_bold, r.target_text, r.target_label,
                    r.assignee, r.page)
        if lines and _continues(lines[-1], line):
            prev = lines[-1]
            prev.text = f"{prev.text} {line.text}".strip()
            continue
        lines.append(line)
    return lines


def _continues(prev: Line, line: Line) -> bool:
    """True when ``line`` is the rest of a sentence broken at the end of ``prev``."""
    if line.label or line.bold_prefix or not prev.text or not line.text \
            or line.target_text or prev.target_text:
        return False
    if prev.text[-1] in _TERMINAL or prev.text.isupper():
        return False
    first = line.text[0]
    if first.islower():
        return True
    last_word = prev.text.split()[-1].lower()
    return last_word in _OPEN_WORDS and not line.text.isupper()


_ABBREV = re.compile(r"(?:^|[\s(])(?:[A-ZĐ]{1,3}|v\.v|[A-ZĐ][a-zđ]?)$")


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph, each without its final period.

    A period ends a sentence when it is followed by white space and an upper-case letter
    (or an opening quote/bracket) and does not close an abbreviation ("TT.", "TP.").
    """
    parts: list[str] = []
    start = 0
    for m in re.finditer(r"\.\s+(?=\S)", text):
        nxt = text[m.end()]
        if not (nxt.isupper() or nxt in "\"“(\'‘"):
            continue
        before = text[start:m.start()]
        if _ABBREV.search(before):
            continue
        parts.append(before)
        start = m.end()
    parts.append(text[start:])
    return [strip_end(p) for p in parts if p.strip(" .")]


def strip_end(text: str) -> str:
    """Trailing period / spaces removed ("… 25% ." -> "… 25%")."""
    s = text.strip()
    while s and s[-1] in ". " and not s.endswith("..."):
        s = s[:-1].rstrip()
    return s.rstrip(" ;,")
