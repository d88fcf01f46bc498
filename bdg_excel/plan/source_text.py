"""The text of the plan document a plan workbook was imported from, kept beside it so the
review (web page) can show each item's sentence in its place.

``plan import KE-HOACH.docx -o templates/ke-hoach.xlsx`` writes
``templates/ke-hoach.van-ban.txt``: UTF-8 (with a BOM, so Notepad shows the accents), one
paragraph of the document per line, in document order (line N is "đoạn N" / "dòng N" of
the review); in a PDF's text the first line of each page starts with a form feed (one per page turned). The file is for reading only;
the plan workbook stays the plan. A workbook without it (made by hand, or imported before
this file existed) is reviewed from the source sentences alone, in document order.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..core import vn
from ..core.workspace import atomic_output
from .model import ReviewItem

SUFFIX = ".van-ban.txt"

#: Confidence below which a review item is shown as one to look at.
UNSURE = 0.8


def text_path(plan_path) -> Path:
    """Where the document text of plan workbook ``plan_path`` is kept."""
    p = Path(plan_path)
    return p.with_name(p.stem + SUFFIX)


def save_text(plan_path, paragraphs: list[str]) -> Path:
    """Keep ``paragraphs`` (the document's, in order) beside plan workbook ``plan_path``."""
    path = text_path(plan_path)
    body = "\n".join(_clean(p) for p in paragraphs) + "\n"
    with atomic_output(path) as tmp:
        tmp.write_text(body, encoding="utf-8-sig")
    return path


def load_text(plan_path) -> list[str] | None:
    """The kept paragraphs, or None when there are none (or they cannot be read)."""
    path = text_path(plan_path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    lines = [_clean(line) for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines if any(lines) else None


def _clean(line: str) -> str:
    """vn.clean, keeping the form feeds that start a page."""
    rest = line.lstrip("\f")
    return "\f" * (len(line) - len(rest)) + vn.clean(rest)


# ---------------------------------------------------------------------------------
# The review beside the text

@dataclass
class Segment:
    text: str
    item: int | None = None     # the review item (its index in ReviewView.items) marked here


@dataclass
class Paragraph:
    number: int                 # 1-based, as in the text file (the document's paragraphs)
    segments: list[Segment] = field(default_factory=list)
    source: str = ""            # where it is, when shown without the document's text
    page: int | None = None     # a PDF's page that starts here


@dataclass
class ReviewView:
    items: list[ReviewItem]                # unsure first, then document order
    paragraphs: list[Paragraph]
    full_text: bool                        # the document's text (else the sentences only)
    #: item -> the item whose mark in the text shows its sentence (itself, or the first
    #: item read from the same sentence); items whose sentence was not found are absent
    located: dict[int, int] = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        """A stable id per item (kind and ref, not its place in the list): the page
        returns to the item after a correction moved it."""
        out: list[str] = []
        for item in self.items:
            base = hashlib.sha1(f"{item.kind}|{vn.canonical(item.ref)}".encode()).hexdigest()[:10]
            out.append(base if base not in out else f"{base}-{len(out)}")
        return out

    @property
    def unsure(self) -> int:
        return sum(1 for i in self.items if i.confidence < UNSURE)


def source_key(source: str) -> tuple:
    """Document order of a source: "trang 2, đoạn 5" < "trang 3" < "bảng 1, hàng 2"…"""
    return tuple(int(n) for n in re.findall(r"\d+", source or "")) or (1 << 30,)


def review_view(items: list[ReviewItem], paragraphs: list[str] | None) -> ReviewView:
    """The review items, unsure first (ties in document order), each sentence located in
    ``paragraphs`` and marked there; without paragraphs, the sentences themselves in
    document order stand for the text."""
    order = sorted(range(len(items)), key=lambda i: (items[i].confidence,
                                                    source_key(items[i].source), i))
    ordered = [items[i] for i in order]
    if paragraphs:
        pages = _pages(paragraphs)
        paragraphs = [p.lstrip("\f") for p in paragraphs]
        view = ReviewView(ordered, [], True)
        marks: dict[int, list[tuple[int, int, int]]] = {}
        found_at: dict[str, int] = {}      # ref -> paragraph of an item about it
        # items that say where they come from first; one that does not (a national link
        # read from a row's words) is looked for first where an item about its row was
        for n in sorted(range(len(ordered)), key=lambda n: (not ordered[n].source, n)):
            item = ordered[n]
            hit = locate(paragraphs, item.sentence, found_at.get(item.ref))
            if hit:
                p, start, end = hit
                found_at.setdefault(item.ref, p)
                # a sentence already marked (two items read from it): its mark stands for both
                same = next((m for a, b, m in marks.get(p, []) if a < end and start < b), None)
                if same is None:
                    marks.setdefault(p, []).append((start, end, n))
                view.located[n] = n if same is None else same
        view.paragraphs = [Paragraph(p + 1, _segments(text, marks.get(p, [])), page=pages.get(p))
                           for p, text in enumerate(paragraphs) if text]
        return view
    view = ReviewView(ordered, [], False)
    by_sentence: dict[str, Paragraph] = {}
    for n in sorted(range(len(ordered)), key=lambda n: (source_key(ordered[n].source), n)):
        item = ordered[n]
        if not item.sentence:
            continue
        key = vn.canonical(item.sentence)
        para = by_sentence.get(key)
        if para is None:
            para = Paragraph(len(view.paragraphs) + 1, [Segment(vn.clean(item.sentence), n)],
                             item.source or "chưa rõ chỗ")
            by_sentence[key] = para
            view.paragraphs.append(para)
        view.located[n] = para.segments[0].item
    return view


def _pages(paragraphs: list[str]) -> dict[int, int]:
    """Paragraph index -> number of the page that starts there (its first non-empty line)."""
    out: dict[int, int] = {}
    page, pending = 0, False
    for p, text in enumerate(paragraphs):
        turned = len(text) - len(text.lstrip("\f"))
        if turned:
            page, pending = page + turned, True
        if pending and text.strip("\f"):
            out[p], pending = page, False
    return out


def locate(paragraphs: list[str], sentence: str,
           near: int | None = None) -> tuple[int, int, int] | None:
    """(paragraph index, start, end) of ``sentence`` in ``paragraphs``: exactly, then
    ignoring case, then its first words (a sentence the importer joined across lines);
    in paragraph ``near`` first when given."""
    wanted = vn.clean(sentence or "")
    if not wanted:
        return None
    if near is not None and 0 <= near < len(paragraphs):
        hit = locate([paragraphs[near]], wanted)
        if hit:
            return near, hit[1], hit[2]
    probes = [(wanted, False), (wanted.lower(), True)]
    for head in (60, 30):      # a sentence the document wraps over several lines
        if len(wanted) > head:
            probes.append((wanted[:head].lower(), True))
    for probe, fold in probes:
        for p, text in enumerate(paragraphs):
            hay = text.lower() if fold else text
            at = hay.find(probe) if len(hay) == len(text) else -1
            if at >= 0:   # a start found: mark as far as the sentence goes on in this line
                end, folded = at + len(probe), wanted.lower()
                while end < len(hay) and end - at < len(folded) and hay[end] == folded[end - at]:
                    end += 1
                return p, at, end
    return None


def _segments(text: str, marks: list[tuple[int, int, int]]) -> list[Segment]:
    """``text`` cut at the marked spans (which do not overlap)."""
    out, pos = [], 0
    for start, end, item in sorted(marks):
        if start > pos:
            out.append(Segment(text[pos:start]))
        out.append(Segment(text[start:end], item))
        pos = end
    if pos < len(text) or not out:
        out.append(Segment(text[pos:]))
    return out
