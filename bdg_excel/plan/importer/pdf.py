"""Reading a PDF plan (with a text layer) as RawLines, through pdfplumber (MIT, on
pdfminer.six).

A PDF holds positioned words, not paragraphs. This module puts the plan back together:

- words are grouped into lines by their height on the page; a line with a wide gap
  (the two columns of a letterhead: "Số: 12/KH-UBND" … "Tân Uyên, ngày …") becomes one
  line per column, left to right; a numbering label set apart by a tab ("1." … "Phòng …")
  stays with its text;
- a bordered table becomes rows of cells: an indicator table goes through the same code
  as a Word table (:func:`.docx.table_lines`), any other table gives its cells as lines;
- running page headers and footers (the same text at the top or bottom of several pages)
  and page numbers ("2", "- 2 -", "Trang 2/5") are dropped;
- a line that a hard wrap broke is joined to the next one: the previous line reaches so
  close to the right edge of the text that the next line's first word would not have fit
  after it;
- every line keeps its page number, so findings can name the page.

A PDF without any text (a scan), one protected by a password and a damaged one each raise
a :class:`PlanError` saying what the file is and what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ...core.errors import PlanError
from .text import RawLine, normalise, split_label

_PAGE_NO = re.compile(r"^[-–—\s]*(?:trang\s*)?\d{1,3}(?:\s*/\s*\d{1,3})?[-–—\s]*$", re.I)


@dataclass
class _Line:
    text: str
    page: int
    top: float
    bottom: float
    x0: float
    x1: float
    first_w: float          # width of the first word (does it fit after the line before?)
    size: float
    table: list | None = None   # rows of a table, in place of text
    words: list = field(default_factory=list)


def read_pdf(path: str | Path) -> list[RawLine]:
    """The lines of a PDF plan; raises PlanError for a scan, a password or a damaged file."""
    p = Path(path)
    items = _read_items(p)
    if not any(i.text.strip() or i.table for i in items):
        raise PlanError(f"Tệp {p.name} là bản quét (ảnh chụp trang giấy), không có lớp chữ "
                        "nên không đọc được nội dung. Hãy xin cơ quan ban hành bản Word (.docx) "
                        "hoặc bản PDF xuất trực tiếp từ Word, hoặc nhận dạng chữ (OCR) rồi "
                        "nhập lại.")
    items = _drop_running_lines(items)
    return _to_raw(items)


def _read_items(p: Path) -> list[_Line]:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        with pdfplumber.open(str(p)) as pdf:
            out: list[_Line] = []
            for n, page in enumerate(pdf.pages, start=1):
                out.extend(_page_items(page, n))
            return out
    except PlanError:
        raise
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise _password(p) from exc
    except (PdfminerException, PDFSyntaxError, ValueError, KeyError, TypeError,
            AttributeError, IndexError, OSError) as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
            raise _password(p) from exc
        raise PlanError(f"Tệp {p.name} bị hỏng hoặc không phải tệp PDF hoàn chỉnh nên không "
                        "đọc được. Hãy xin lại tệp gốc (hoặc bản Word) rồi nhập lại.") from exc


def _password(p: Path) -> PlanError:
    return PlanError(f"Tệp {p.name} được đặt mật khẩu nên không đọc được. Hãy mở tệp bằng "
                     "mật khẩu, in lại ra PDF không đặt mật khẩu (hoặc lưu thành .docx) rồi "
                     "nhập lại.")


def _page_items(page, n: int) -> list[_Line]:
    tables = [t for t in page.find_tables() if len(t.rows) >= 2]
    boxes = [t.bbox for t in tables]
    words = [w for w in page.extract_words(extra_attrs=["size", "fontname"],
                                           keep_blank_chars=False)
             if not any(_inside(w, box) for box in boxes)]
    items = _lines(words, n)
    for t in tables:
        rows = [[normalise(" ".join((c or "").split())) if c is not None else None
                 for c in row] for row in t.extract()]
        x0, top, x1, bottom = t.bbox
        items.append(_Line("", n, top, bottom, x0, x1, 0, 0, table=rows))
    items.sort(key=lambda i: (i.top, i.x0))
    return items


def _inside(word: dict, box) -> bool:
    """The word's centre lies in the box (a line just below a table may touch its border)."""
    x = (word["x0"] + word["x1"]) / 2
    y = (word["top"] + word["bottom"]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _lines(words: list[dict], page: int) -> list[_Line]:
    rows: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if rows and abs(rows[-1][0]["top"] - w["top"]) <= max(2.0, w["size"] * 0.3):
            rows[-1].append(w)
        else:
            rows.append([w])
    out: list[_Line] = []
    for row in rows:
        row.sort(key=lambda w: w["x0"])
        segments: list[list[dict]] = [[row[0]]]
        for prev, w in zip(row, row[1:]):
            gap = w["x0"] - prev["x1"]
            if gap > max(3 * prev["size"], 30) and not _is_label(segments[-1]):
                segments.append([w])
            else:
                segments[-1].append(w)
        for seg in segments:
            text = normalise(" ".join(w["text"] for w in seg))
            out.append(_Line(text, page, min(w["top"] for w in seg),
                             max(w["bottom"] for w in seg), seg[0]["x0"], seg[-1]["x1"],
                             seg[0]["x1"] - seg[0]["x0"], seg[0]["size"], words=seg))
    return out


def _is_label(seg: list[dict]) -> bool:
    """A segment that is only a numbering label ("1.", "a)", "-") set apart by a tab."""
    return len(seg) == 1 and split_label(seg[0]["text"] + " X")[0] is not None


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", text.strip().lower())


def _drop_running_lines(items: list[_Line]) -> list[_Line]:
    """Page headers, footers and page numbers: the first or last line of a page that is a
    page number, or whose text (digits aside) is the first or last of other pages too."""
    pages: dict[int, list[_Line]] = {}
    for i in items:
        pages.setdefault(i.page, []).append(i)
    ends = {}
    for n, lines in pages.items():
        text = [l for l in lines if l.table is None]
        ends[n] = (text[:2], text[-2:]) if text else ([], [])
    counts: dict[tuple[str, str], int] = {}
    for first, last in ends.values():
        for where, group in (("top", first), ("bottom", last)):
            for l in group:
                counts[(where, _shape(l.text))] = counts.get((where, _shape(l.text)), 0) + 1
    drop = set()
    many = len(pages) > 1
    for first, last in ends.values():
        for where, group in (("top", first), ("bottom", last)):
            for l in group:
                if _PAGE_NO.match(l.text) or (many and counts[(where, _shape(l.text))] > 1):
                    drop.add(id(l))
    return [i for i in items if id(i) not in drop]


def _to_raw(items: list[_Line]) -> list[RawLine]:
    from .docx import indicator_columns, rows_lines, task_columns

    body = [i for i in items if i.table is None and i.text]
    right = max((i.x1 for i in body), default=0)
    out: list[RawLine] = []
    prev: _Line | None = None
    header: list | None = None       # the header row of a table continued on the next page
    words: dict[int, list] = {}      # the words of each paragraph (for its bold start)
    n = 0
    for item in items:
        if item.table is not None:
            rows = [[c or "" for c in row] for row in item.table]
            if indicator_columns(rows[0]) is None and task_columns(rows[0]) is None \
                    and header is not None \
                    and len(rows[0]) == len(header) and prev is None:
                rows = [header] + rows
            n += 1
            if indicator_columns(rows[0]) is not None or task_columns(rows[0]) is not None:
                header = rows[0]
                lines = rows_lines(rows, n)
            else:
                header = None
                lines = [RawLine(c, n) for row in item.table
                         for j, c in enumerate(row) if c and c not in row[:j]]
            for line in lines:
                line.page = item.page
            out.extend(lines)
            prev = None
            continue
        if not item.text:
            continue
        if prev is not None and out and _wrapped(prev, item, right):
            out[-1].text = f"{out[-1].text} {item.text}"
            words[id(out[-1])].extend(item.words)
        else:
            n += 1
            gap = prev is not None and _gap(prev, item)
            out.append(RawLine(item.text, n, blank_before=gap, page=item.page))
            words[id(out[-1])] = list(item.words)
            header = None if prev is not None else header
        prev = item
    for line in out:
        if id(line) in words:
            line.bold_prefix, line.all_bold = _bold(words[id(line)])
    return out


def _is_bold(word: dict) -> bool:
    return "bold" in (word.get("fontname") or "").lower()


def _bold(words: list[dict]) -> tuple[str | None, bool]:
    """(leading bold words followed by normal text, whole line bold) of a line: a unit
    named in bold at the start of a paragraph ("- Phòng Văn hóa và Thông tin: …")."""
    if not words:
        return None, False
    start = 1 if split_label(words[0]["text"] + " X")[0] and not _is_bold(words[0]) else 0
    if all(_is_bold(w) for w in words[start:]):
        return None, True
    lead = []
    for w in words[start:]:
        if not _is_bold(w):
            break
        lead.append(w["text"])
    if not lead or len(lead) > 15:
        return None, False
    return normalise(" ".join(lead)).rstrip(" :"), False


def _gap(prev: _Line, line: _Line) -> bool:
    """True when a blank space separates ``line`` from ``prev`` on the same page."""
    return line.page == prev.page and line.top - prev.bottom > 1.2 * max(prev.size, 1)


def _wrapped(prev: _Line, line: _Line, right: float) -> bool:
    """True when ``line`` continues ``prev`` (a hard wrap of one paragraph)."""
    label = split_label(line.text)[0]
    if label is not None and not (label in "-–—" and prev.text[-1:] not in ".:;!?"):
        return False    # a new item; but a dash after an unfinished full line is a hyphen
        # of the sentence ("Phòng Lao động" / "– Thương binh và Xã hội")
    if _gap(prev, line):
        return False    # a new paragraph
    room = right - prev.x1
    return room < line.first_w + prev.size * 1.2 and line.x0 <= prev.x0 + prev.size * 3


__all__ = ["read_pdf"]
