"""Plan text -> a real Word document, the way officers write plans in Word.

Used by the importer tests and by ``tools/score_import.py``. The markup is the plan's own
text: a line starting "II." / "2.1." / "1." / "a)" / "-" becomes a paragraph numbered by
Word's automatic numbering (the number is NOT in the paragraph text, as in a real .docx);
"Số: …" and "…, ngày …" near the top go into a two-column table as in a letterhead;
consecutive lines "| a | b | c |" become a Word table (a row with a single cell is one
cell merged across the table, as a group heading); "**bold**" and "*italic*" become runs;
unit headings in the TỔ CHỨC THỰC HIỆN part are bold.
"""

from __future__ import annotations

import re
from pathlib import Path

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
ABSTRACT = """
<w:abstractNum xmlns:w="{ns}" w:abstractNumId="{aid}">
  <w:multiLevelType w:val="multilevel"/>{levels}
</w:abstractNum>"""
LVL = """<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>
  <w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/></w:lvl>"""
NUM = """<w:num xmlns:w="{ns}" w:numId="{nid}"><w:abstractNumId w:val="{aid}"/>{override}</w:num>"""
OVERRIDE = """<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride>"""

LIST_DEFS = {  # abstractNumId: levels (fmt, lvlText)
    "91": [("upperRoman", "%1.")],
    "92": [("decimal", "%1."), ("decimal", "%1.%2.")],
    "93": [("lowerLetter", "%1)")],
    "94": [("bullet", "-")],
}


class NumberingWriter:
    """Adds our list definitions to the document and hands out numIds: a new num (with a
    startOverride) restarts a list, reusing one continues it."""

    def __init__(self, document):
        from docx.oxml import parse_xml

        self.parse_xml = parse_xml
        self.root = document.part.numbering_part.element
        first_num = self.root.find(f"{{{W_NS}}}num")
        for aid, levels in LIST_DEFS.items():
            lv = "".join(LVL.format(ilvl=i, start=1, fmt=f, text=t)
                         for i, (f, t) in enumerate(levels))
            el = parse_xml(ABSTRACT.format(ns=W_NS, aid=aid, levels=lv))
            if first_num is not None:
                first_num.addprevious(el)
            else:
                self.root.append(el)
        self.next_id = 900
        self.current: dict[str, str] = {}

    def num(self, aid: str) -> str:
        if aid not in self.current:
            self.next_id += 1
            nid = str(self.next_id)
            self.root.append(self.parse_xml(NUM.format(
                ns=W_NS, nid=nid, aid=aid, override=OVERRIDE)))
            self.current[aid] = nid
        return self.current[aid]


def set_numbering(paragraph, num_id: str, ilvl: int) -> None:
    from docx.oxml import parse_xml

    ppr = paragraph._p.get_or_add_pPr()
    ppr.append(parse_xml(f'<w:numPr xmlns:w="{W_NS}"><w:ilvl w:val="{ilvl}"/>'
                         f'<w:numId w:val="{num_id}"/></w:numPr>'))


_ROMAN = re.compile(r"^([IVX]+)\.\s+")
_DEC2 = re.compile(r"^(\d+)\.(\d+)\.?\s+")
_DEC1 = re.compile(r"^(\d+)\.\s+")
_LETTER = re.compile(r"^([a-zđ])\)\s+")
_BULLET = re.compile(r"^-\s+")
_BOLD_NAME = re.compile(r"^\*\*([^*]+?)\*\*\s*")


def add_runs(paragraph, text: str, bold: bool = False) -> None:
    """Markdown-ish text into runs: **bold**, *italic*; the markers are not written."""
    for piece in re.split(r"(\*\*[^*]+\*\*|\*[^*]+\*)", text):
        if not piece:
            continue
        if piece.startswith("**"):
            paragraph.add_run(piece[2:-2]).bold = True
        elif piece.startswith("*"):
            run = paragraph.add_run(piece[1:-1])
            run.italic = True
            run.bold = bold or None
        else:
            paragraph.add_run(piece).bold = bold or None


def _table(document, rows: list[list[str]]) -> None:
    ncols = max(len(r) for r in rows)
    table = document.add_table(rows=len(rows), cols=ncols)
    table.style = "Table Grid"      # ruled, as plans print them (a PDF reader finds the cells)
    for r, cells in enumerate(rows):
        row = table.rows[r]
        if len(cells) == 1 and ncols > 1:
            merged = row.cells[0].merge(row.cells[ncols - 1])
            merged.paragraphs[0].add_run(cells[0]).bold = True
            continue
        for c, text in enumerate(cells):
            row.cells[c].paragraphs[0].add_run(text).bold = r == 0 or None


def write_docx(text: str, path: Path) -> None:
    """Write the plan ``text`` (see the module docstring) as a .docx at ``path``."""
    import docx

    document = docx.Document()
    numbering = NumberingWriter(document)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    in_org = False
    header = [line for line in lines[:6] if line.startswith("Số") or ", ngày" in line]
    if header:
        table = document.add_table(rows=1, cols=2)
        for cell, line in zip(table.rows[0].cells, header):
            cell.paragraphs[0].add_run(line)
    rows: list[list[str]] = []
    for line in lines + [""]:
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip("|").split("|")])
            continue
        if rows:
            _table(document, rows)
            rows = []
        if not line or line in header:
            continue
        p = document.add_paragraph()
        bold = False
        if m := _ROMAN.match(line):
            set_numbering(p, numbering.num("91"), 0)
            in_org = "TỔ CHỨC" in line or "PHÂN CÔNG" in line
            numbering.current.pop("92", None)  # decimal and letter lists restart per part
            numbering.current.pop("93", None)
            line, bold = line[m.end():], True
        elif m := _DEC2.match(line):
            set_numbering(p, numbering.num("92"), 1)
            numbering.current.pop("93", None)
            line, bold = line[m.end():], in_org
        elif m := _DEC1.match(line):
            set_numbering(p, numbering.num("92"), 0)
            numbering.current.pop("93", None)
            line, bold = line[m.end():], in_org
        elif m := _LETTER.match(line):
            set_numbering(p, numbering.num("93"), 0)
            line = line[m.end():]
        elif m := _BULLET.match(line):
            set_numbering(p, numbering.num("94"), 0)
            line = line[m.end():]
        if bold and ":" in line and in_org:  # "8. Công an huyện: Chủ trì …"
            name, rest = line.split(":", 1)
            p.add_run(name + ":").bold = True
            add_runs(p, rest)
            continue
        if m := _BOLD_NAME.match(line):
            p.add_run(m.group(1)).bold = True
            add_runs(p, " " + line[m.end():])
            continue
        add_runs(p, line, bold=bold)
    document.save(str(path))
