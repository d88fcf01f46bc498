"""The plan-document importer: reference plans (.txt and .docx built here), target
phrasings, units and assignments, deadlines, and deliberately broken documents."""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from pathlib import Path

import pytest

from bdg_excel.errors import PlanError
from bdg_excel.importer import import_plan, import_text, plan_import_summary
from bdg_excel.importer.docx import Numbering, read_docx
from bdg_excel.importer.targets import parse_targets
from bdg_excel.importer.text import lines_from_text, prepare

DATA = Path(__file__).parent / "data"
IMPORT = DATA / "import"
PLANS = [
    ("ke-hoach-binh-lu-2026-2030.txt", "binh-lu"),
    ("ke-hoach-tam-duong-2021-2025.txt", "tam-duong"),
    ("ke-hoach-vp-ubnd-lai-chau-2026.txt", "lai-chau-vp"),
]


def _diff(got, want, path="plan") -> list[str]:
    """Field-by-field differences, so a failure names the exact field."""
    if isinstance(got, dict) and isinstance(want, dict):
        return [d for k in sorted(set(got) | set(want), key=str)
                for d in _diff(got.get(k), want.get(k), f"{path}.{k}")]
    if isinstance(got, list) and isinstance(want, list):
        out = [f"{path}: {len(got)} items, expected {len(want)}"] if len(got) != len(want) else []
        return out + [d for i, (g, w) in enumerate(zip(got, want)) for d in _diff(g, w, f"{path}[{i}]")]
    return [] if got == want else [f"{path}: {got!r} != expected {want!r}"]


def _reference(name: str) -> dict:
    return json.loads((DATA / "plans" / f"{name}.json").read_text(encoding="utf-8"))


# -- the three plans ---------------------------------------------------------------------
@pytest.mark.parametrize("doc,ref", PLANS)
def test_reference_plan_txt(doc, ref):
    result = import_plan(IMPORT / doc)
    assert _diff(result.plan.to_json(), _reference(ref)) == []


@pytest.mark.parametrize("doc,ref", PLANS)
def test_reference_plan_docx(doc, ref, tmp_path):
    path = tmp_path / (Path(doc).stem + ".docx")
    write_docx((IMPORT / doc).read_text(encoding="utf-8"), path)
    result = import_plan(path)
    assert _diff(result.plan.to_json(), _reference(ref)) == []


@pytest.mark.parametrize("doc,ref", PLANS)
def test_reference_plan_survives_nfd_and_crlf(doc, ref):
    text = unicodedata.normalize("NFD", (IMPORT / doc).read_text(encoding="utf-8"))
    result = import_text(text.replace("\n", "\r\n"))
    assert _diff(result.plan.to_json(), _reference(ref)) == []


def test_targets_carry_measure_and_factor():
    plan = import_plan(IMPORT / PLANS[0][0]).plan
    assert (plan.target("1.1").measure, plan.target("1.1").factor) == ("percent", 100.0)
    assert plan.target("4.2").measure == "rate" and plan.target("4.2").factor == 100000
    assert plan.target("4.1").measure == "ratio"
    assert plan.target("5.1").measure == "yesno"


def test_summary_counts_and_lines():
    result = import_plan(IMPORT / PLANS[1][0])
    s = result.summary
    assert (s.goals, s.indicators, s.targets, s.units, s.deadlines) == (6, 18, 21, 13, 2)
    assert s.assignments == sum(len(u.indicators) for u in result.plan.units) == 18
    assert s.unassigned == []
    assert import_plan(IMPORT / PLANS[0][0]).summary.unassigned == ["3.1"]
    lines = plan_import_summary(result)
    assert any(line.startswith("Đã đọc: 6 mục tiêu, 18 chỉ tiêu") for line in lines)
    assert any("06/05" in line or "05/06" in line for line in lines)
    assert all(unicodedata.is_normalized("NFC", line) for line in lines)


# -- a .docx writer with real Word numbering ---------------------------------------------
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_ABSTRACT = """
<w:abstractNum xmlns:w="{ns}" w:abstractNumId="{aid}">
  <w:multiLevelType w:val="multilevel"/>{levels}
</w:abstractNum>"""
_LVL = """<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>
  <w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/></w:lvl>"""
_NUM = """<w:num xmlns:w="{ns}" w:numId="{nid}"><w:abstractNumId w:val="{aid}"/>{override}</w:num>"""
_OVERRIDE = """<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride>"""

_LIST_DEFS = {  # abstractNumId: levels (fmt, lvlText)
    "91": [("upperRoman", "%1.")],
    "92": [("decimal", "%1."), ("decimal", "%1.%2.")],
    "93": [("lowerLetter", "%1)")],
    "94": [("bullet", "-")],
}


class _NumberingWriter:
    """Adds our list definitions to the document and hands out numIds: a new num (with a
    startOverride) restarts a list, reusing one continues it."""

    def __init__(self, document):
        from docx.oxml import parse_xml

        self.parse_xml = parse_xml
        self.root = document.part.numbering_part.element
        first_num = self.root.find(f"{{{W_NS}}}num")
        for aid, levels in _LIST_DEFS.items():
            lv = "".join(_LVL.format(ilvl=i, start=1, fmt=f, text=t) for i, (f, t) in enumerate(levels))
            el = parse_xml(_ABSTRACT.format(ns=W_NS, aid=aid, levels=lv))
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
            self.root.append(self.parse_xml(_NUM.format(
                ns=W_NS, nid=nid, aid=aid, override=_OVERRIDE)))
            self.current[aid] = nid
        return self.current[aid]


def _set_numbering(paragraph, num_id: str, ilvl: int) -> None:
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


def _add_runs(paragraph, text: str, bold: bool = False) -> None:
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


def write_docx(text: str, path: Path) -> None:
    """The plan text as a Word document the way officers write it: headings and items
    numbered by Word (the numbers are NOT in the text), unit headings bold, "Số" and the
    place/date in a two-column table, a bold unit name inside a paragraph as a bold run."""
    import docx

    document = docx.Document()
    numbering = _NumberingWriter(document)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    in_org = False
    header = [line for line in lines[:3] if line.startswith("Số") or ", ngày" in line]
    if header:
        table = document.add_table(rows=1, cols=2)
        for cell, line in zip(table.rows[0].cells, header):
            cell.paragraphs[0].add_run(line)
    for line in lines:
        if line in header:
            continue
        p = document.add_paragraph()
        bold = False
        if m := _ROMAN.match(line):
            _set_numbering(p, numbering.num("91"), 0)
            in_org = "TỔ CHỨC" in line
            numbering.current.pop("92", None)  # decimal and letter lists restart per part
            numbering.current.pop("93", None)
            line, bold = line[m.end():], True
        elif m := _DEC2.match(line):
            _set_numbering(p, numbering.num("92"), 1)
            line, bold = line[m.end():], in_org
        elif m := _DEC1.match(line):
            _set_numbering(p, numbering.num("92"), 0)
            line, bold = line[m.end():], in_org
        elif m := _LETTER.match(line):
            _set_numbering(p, numbering.num("93"), 0)
            line = line[m.end():]
        elif m := _BULLET.match(line):
            _set_numbering(p, numbering.num("94"), 0)
            line = line[m.end():]
        if bold and ":" in line and in_org:  # "8. Công an huyện: Chủ trì …"
            name, rest = line.split(":", 1)
            p.add_run(name + ":").bold = True
            _add_runs(p, rest)
            continue
        if m := _BOLD_NAME.match(line):
            p.add_run(m.group(1)).bold = True
            _add_runs(p, " " + line[m.end():])
            continue
        _add_runs(p, line, bold=bold)
    document.save(str(path))


def test_docx_has_no_literal_numbers(tmp_path):
    path = tmp_path / "bl.docx"
    write_docx((IMPORT / PLANS[0][0]).read_text(encoding="utf-8"), path)
    import docx

    texts = [p.text for p in docx.Document(str(path)).paragraphs]
    assert "Trạm Y tế xã" in texts and "MỤC TIÊU" in texts
    assert not any(t.startswith(("2.4.", "II.", "- ")) for t in texts)
    labels = {r.text: r.label for r in read_docx(path)}
    assert labels["Trạm Y tế xã"] == "2.4."
    assert labels["MỤC TIÊU"] == "II."
    assert labels["Mục tiêu 4: Trong lĩnh vực y tế"] == "2.4."


def _numbering_xml(body: str):
    from docx.oxml import parse_xml

    return parse_xml(f'<w:numbering xmlns:w="{W_NS}">{body}</w:numbering>')


def test_numbering_levels_start_values_and_restart():
    levels = "".join(_LVL.format(ilvl=i, start=s, fmt=f, text=t) for i, (s, f, t) in enumerate(
        [(1, "upperRoman", "%1."), (3, "decimal", "%1.%2."), (1, "lowerLetter", "%3)")]))
    root = _numbering_xml(
        _ABSTRACT.format(ns=W_NS, aid="5", levels=levels).replace(f' xmlns:w="{W_NS}"', "")
        + '<w:num w:numId="1"><w:abstractNumId w:val="5"/></w:num>'
        + '<w:num w:numId="2"><w:abstractNumId w:val="5"/></w:num>'
        + '<w:num w:numId="3"><w:abstractNumId w:val="5"/><w:lvlOverride w:ilvl="0">'
          '<w:startOverride w:val="1"/></w:lvlOverride></w:num>')
    n = Numbering(root)
    assert n.label("1", 0) == "I."
    assert n.label("1", 1) == "I.3."          # start value 3
    assert n.label("1", 1) == "I.4."
    assert n.label("1", 2) == "a)"
    assert n.label("1", 2) == "b)"
    assert n.label("1", 0) == "II."
    assert n.label("1", 1) == "II.3."         # lower level restarts under a new parent
    assert n.label("2", 0) == "III."          # same abstractNum: the list continues
    assert n.label("3", 0) == "I."            # startOverride restarts it
    assert n.label("9", 0) is None            # unknown numId


def test_docx_bold_prefix_and_style_free_bullets(tmp_path):
    text = ("KẾ HOẠCH\nThực hiện bình đẳng giới năm 2026\n\nII. TỔ CHỨC THỰC HIỆN\n\n"
            "1. Phòng Văn hóa và Thông tin; Đài Truyền thanh – Truyền hình huyện\n\n"
            "- Tuyên truyền về bình đẳng giới.\n\n"
            "- **Phòng Văn hóa và Thông tin:** Kiểm tra các sản phẩm quảng cáo.\n")
    path = tmp_path / "b.docx"
    write_docx(text, path)
    raw = read_docx(path)
    assert any(r.bold_prefix == "Phòng Văn hóa và Thông tin" for r in raw)
    plan = import_plan(path).plan
    assert [u.name for u in plan.units] == ["Phòng Văn hóa và Thông tin",
                                            "Đài Truyền thanh – Truyền hình huyện"]
    assert plan.units[0].tasks == ["Tuyên truyền về bình đẳng giới",
                                   "Kiểm tra các sản phẩm quảng cáo"]
    assert plan.units[1].tasks == ["Tuyên truyền về bình đẳng giới"]
