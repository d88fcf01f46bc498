"""The draft of the office's narrative report (``report --draft``): "Báo cáo kết quả thực
hiện …" in the administrative layout (python-docx), with the consolidated workbook as its
annex.

Layout (Nghị định 30/2020/NĐ-CP): A4 portrait, Times New Roman 14 (13 in tables); the
office's name and the national motto side by side, number and date left as places for the
officer, title, "Kính gửi", body, "Nơi nhận" and the signature block. The body:

I.   situation: units assigned, how many reported (on time, late), late and missing units
     by name;
II.  results per goal: every target row with its consolidated result, the plan's target,
     the assessment and the distance to the 2030 target (the national target's, when the
     row carries a national code and the catalog knows it);
III. tasks per unit with their status and the unit's own words, in full;
IV.  difficulties, quoted from the units' forms;
V.   proposals: marked places for the officer (with the units' proposals quoted).

Every figure is the workbook's: results through :meth:`TargetResult.shown` (the number as
the workbook's number format shows it), the progress text from :func:`targets.progress`,
the submissions from the same :class:`Completeness`. A province's plan whose units are
communes and wards ("UBND xã …", "UBND phường …") speaks of them as such.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from ..core import vn
from ..core.workspace import atomic_output
from ..plan import catalog as cat
from ..plan import targets as tg
from ..intake import ledger as lg
from ..plan.model import period_label
from .results import LATE, MISSING, Consolidation, TargetResult
from .sheets import plan_basis
from .workbook import addressing

FONT = "Times New Roman"
BODY_PT, TABLE_PT = 14, 13
PLACE = "……"
RESULT_HEADERS = ("Mã", "Chỉ tiêu", "Kết quả", "Mục tiêu", "Đánh giá",
                  "Khoảng cách đến mục tiêu năm 2030")
RESULT_WIDTHS_CM = (1.2, 5.8, 2.0, 2.3, 2.2, 3.0)
#: Sentences of the units' own words that speak of difficulties / of proposals.
DIFFICULTY = re.compile(r"khó khăn|vướng mắc|hạn chế|chưa bố trí|thiếu|chưa được|chậm",
                        re.IGNORECASE)
PROPOSAL = re.compile(r"đề nghị|đề xuất|kiến nghị", re.IGNORECASE)
COMMUNE = re.compile(r"^(ubnd|uy ban nhan dan)\s+(xa|phuong|dac khu|thi tran)\s")


def draft_name(c: Consolidation) -> str:
    return f"{vn.safe_filename(f'Du-thao-bao-cao_{c.plan.name}_{c.period}')}.docx"


def unit_noun(c: Consolidation) -> str:
    """How the report speaks of the units: "xã, phường" (and "đặc khu") when every unit of
    the plan is the people's committee of a commune or ward, else "đơn vị"."""
    kinds = []
    for s in c.submissions:
        m = COMMUNE.match(vn.strip_accents(vn.canonical(s.unit.name)))
        if not m:
            return "đơn vị"
        kinds.append(m.group(2))
    if not kinds:
        return "đơn vị"
    words = ["xã", "phường"] + (["đặc khu"] if "dac khu" in kinds else []) + \
        (["thị trấn"] if "thi tran" in kinds else [])
    return ", ".join(words)


def write_draft(c: Consolidation, path: Path, *, config: dict | None = None,
                annex: str | None = None) -> Path:
    """Write the draft to ``path`` (atomically); ``annex``: the workbook's file name."""
    from docx import Document

    a = addressing(c.plan, config, c.period, c.generated_at)      # as the workbook
    doc = Document()
    doc.core_properties.title = f"Dự thảo báo cáo kết quả thực hiện {period_label(c.period)}"
    doc.core_properties.author = a.office or ""
    doc.core_properties.comments = "bdg-excel"
    _page(doc)
    _heading(doc, c, a)
    noun = unit_noun(c)
    _title(doc, c, a)
    _situation(doc, c, noun)
    _results(doc, c)
    _tasks(doc, c, noun)
    _difficulties(doc, c)
    _proposals(doc, c)
    _para(doc, f"Trên đây là báo cáo kết quả thực hiện {_title_of(c.plan)} "
               f"{period_label(c.period)} của {a.office or PLACE}./.", indent=True)
    if annex:
        _para(doc, f"(Kèm theo Biểu tổng hợp số liệu: tệp {annex})", italic=True, indent=True)
    _closing(doc, a)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as tmp:
        doc.save(str(tmp))
    return path


# -- layout helpers ------------------------------------------------------------------------
def _page(doc) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(20), Mm(20)
    sec.left_margin, sec.right_margin = Mm(30), Mm(15)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(BODY_PT)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    fmt = style.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(6), 1.1


def _para(doc_or_cell, text: str = "", *, bold=False, italic=False, align=None, size=None,
          indent=False, placeholder=False, space_after=None):
    from docx.shared import Cm, Pt

    p = doc_or_cell.add_paragraph()
    if align or indent:
        _align(p, align or "justify")
    if indent:
        p.paragraph_format.first_line_indent = Cm(1)
    if space_after is not None:
        p.paragraph_format.space_after = Pt(space_after)
    if text:
        _run(p, text, bold=bold, italic=italic, size=size, placeholder=placeholder)
    return p


def _align(p, align: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    p.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT,
                   "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}[align]


def _run(p, text: str, *, bold, italic, size, placeholder) -> None:
    """``text`` as a run of ``p``; a placeholder for the officer highlighted in yellow."""
    from docx.enum.text import WD_COLOR_INDEX
    from docx.shared import Pt

    run = p.add_run(text)
    run.bold, run.italic = bold, italic
    if size:
        run.font.size = Pt(size)
    if placeholder:
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def _cell(cell, text: str, *, bold=False, italic=False, align=None, size=TABLE_PT,
          placeholder=False):
    """Write ``text`` (lines split at \\n) into a table cell's first paragraph."""
    from docx.shared import Pt

    lines = str(text).split("\n")
    p = cell.paragraphs[0]
    for i, line in enumerate(lines):
        if i:
            p = cell.add_paragraph()
        p.paragraph_format.space_after = Pt(0)
        if align:
            _align(p, align)
        _run(p, line, bold=bold, italic=italic, size=size, placeholder=placeholder)
    return p


def _widths(table, cms) -> None:
    from docx.shared import Cm

    table.autofit = False
    for col, w in zip(table.columns, cms):       # the grid (LibreOffice reads it)
        col.width = Cm(w)
    for row in table.rows:                       # and each cell (Word reads these)
        for cell, w in zip(row.cells, cms):
            cell.width = Cm(w)


def _row_props(row, header: bool = False) -> None:
    """A table row never split across pages; the header row repeated on each page."""
    from docx.oxml import OxmlElement

    tr_pr = row._tr.get_or_add_trPr()
    for tag in ("w:cantSplit",) + (("w:tblHeader",) if header else ()):
        tr_pr.append(OxmlElement(tag))


def _title_of(plan) -> str:
    """The plan's title as a sentence quotes it ("Kế hoạch thực hiện …", capital K: the
    name of a document)."""
    return vn.clean(plan.title or "") or "Kế hoạch"


# -- blocks ---------------------------------------------------------------------------------
def _heading(doc, c: Consolidation, a) -> None:
    """The office on the left with the number's place, the motto on the right with the
    place and date left for the officer."""
    t = doc.add_table(rows=1, cols=2)
    _widths(t, (6.0, 10.5))
    left, right = t.rows[0].cells
    office = (a.office or PLACE).upper()
    if office.startswith("ỦY BAN NHÂN DÂN ") or office.startswith("UỶ BAN NHÂN DÂN "):
        office = office[:15] + "\n" + office[16:]          # the committee, then the place
    _cell(left, office, bold=True, align="center", size=13)
    _para(left, "———", align="center", size=TABLE_PT, space_after=0)
    _para(left, f"Số: {PLACE}/BC-{_number_suffix(c.plan.number)}", align="center",
          size=TABLE_PT, space_after=0)
    _cell(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, align="center", size=12)
    _para(right, "Độc lập - Tự do - Hạnh phúc", bold=True, align="center", size=13,
          space_after=0)
    _para(right, "———————————", align="center", size=TABLE_PT, space_after=0)
    year = c.generated_at.year
    _para(right, f"{c.plan.place or PLACE}, ngày {PLACE} tháng {PLACE} năm {year}",
          italic=True, align="center", size=14, space_after=0)


def _number_suffix(number: str | None) -> str:
    """"645/KH-UBND" -> "UBND" (the office's symbol in the plan's number), else a place."""
    m = re.search(r"/[^-/\s]+-(\S+)$", vn.clean(number or ""))
    return m.group(1) if m else PLACE


def _title(doc, c: Consolidation, a) -> None:
    from docx.shared import Pt

    _para(doc, "BÁO CÁO", bold=True, align="center", space_after=0).paragraph_format \
        .space_before = Pt(18)
    _para(doc, f"Kết quả thực hiện {_title_of(c.plan)}, {period_label(c.period)}",
          bold=True, align="center", space_after=0)
    _para(doc, "———", align="center")
    _para(doc, f"Kính gửi: {a.to}.", align="center")
    basis = plan_basis(c.plan)
    basis = basis.replace("Ban hành kèm theo ", "") if basis else "Kế hoạch"
    by = f" của {c.plan.issuer}" if c.plan.issuer else ""
    _para(doc, f"Thực hiện {basis}{by} ({_title_of(c.plan)}), {a.office or PLACE} báo cáo "
               f"kết quả thực hiện {period_label(c.period)} như sau:", indent=True)


def _names(subs, how) -> str:
    return "; ".join(how(s) for s in subs)


def _situation(doc, c: Consolidation, noun: str) -> None:
    k = c.completeness
    subs = c.submissions
    _para(doc, f"I. TÌNH HÌNH TRIỂN KHAI VÀ BÁO CÁO CỦA CÁC {noun.upper()}", bold=True)
    made = vn.format_date(c.generated_at)
    dated = any(s.deadline for s in subs)
    timing = (f" ({k.on_time} đúng hạn, {k.late} trễ hạn)" if dated else
              " (kế hoạch chưa quy định hạn gửi báo cáo)")
    _para(doc, f"Kế hoạch giao {k.expected} {noun} thực hiện và báo cáo. Đến ngày {made}, đã "
               f"nhận báo cáo của {k.received}/{k.expected} {noun}{timing}; "
               f"{k.missing} {noun} chưa gửi báo cáo.", indent=True)
    late = [s for s in subs if s.timing == LATE]
    if late:
        _para(doc, "Gửi báo cáo trễ hạn: " + _names(
            late, lambda s: f"{s.unit.name} (trễ {s.days_late} ngày)") + ".", indent=True)
    missing = [s for s in subs if s.status == MISSING]
    if missing:
        _para(doc, "Chưa gửi báo cáo: " + _names(missing, lambda s: s.unit.name) + ".",
              indent=True)
    fixes = [s for s in subs if s.status == lg.NEEDS_FIXES]
    if fixes:
        _para(doc, "Báo cáo cần sửa, bổ sung (số liệu chưa xác nhận không đưa vào tổng hợp): "
              + _names(fixes, lambda s: s.unit.name) + ".", indent=True)


def _national(res: TargetResult, catalog):
    """The national target of the row, when it has a code the catalog knows and the same
    unit of measure."""
    code = res.target.national
    if not code or catalog is None:
        return None
    nat = catalog.get(code)
    if nat is None or not nat.target_2030 or not cat.same_measure(nat.unit, res.target.unit):
        return None
    return nat


def _load_catalog():
    try:
        return cat.load()
    except Exception:        # the catalog is not there (yet): the plan's own targets
        return None


def gap_2030(res: TargetResult, year: int, catalog=None) -> str:
    """The distance to the 2030 target: the national target's (when known) or the plan's,
    as the workbook's "Tiến độ" words it."""
    t = res.target
    nat = _national(res, catalog)
    if nat is None:
        return tg.progress(t, res.value, year) or "—"
    goal = nat.target_2030
    t = replace(t, op=goal.get("op") or t.op, value=goal.get("value"), max=goal.get("max"),
                year=2030)
    gap = tg.progress(t, res.value, year)
    return f"{gap} (mục tiêu quốc gia: {tg.describe(t)})" if gap else "—"


def _results(doc, c: Consolidation) -> None:
    _para(doc, "II. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU", bold=True)
    if not c.plan.indicators:
        _para(doc, "Kế hoạch không giao chỉ tiêu định lượng; kết quả thực hiện nhiệm vụ nêu "
                   "tại mục III.", indent=True)
        return
    catalog = _load_catalog()
    year = int(c.period[:4])
    goals = {g.number: g.title for g in c.plan.goals}
    by_goal: dict[int, list[TargetResult]] = {}
    for res in c.results:
        by_goal.setdefault(res.target.goal, []).append(res)
    for n, (goal, results) in enumerate(by_goal.items(), 1):
        head = _para(doc, f"{n}. Mục tiêu {goal}: {goals.get(goal, '')}", bold=True,
                     indent=True)
        labels = [r.assessment.label.split(" (")[0] for r in results]
        counts = [(lab, labels.count(lab)) for lab in dict.fromkeys(labels)]
        count = _para(doc, f"Gồm {len(results)} chỉ tiêu: " +
                      ", ".join(f"{k} {lab.lower()}" for lab, k in counts) + ".", indent=True)
        for p in (head, count):       # the goal's heading stays with its table
            p.paragraph_format.keep_with_next = True
        t = doc.add_table(rows=1, cols=len(RESULT_HEADERS))
        t.style = "Table Grid"
        for cell, head in zip(t.rows[0].cells, RESULT_HEADERS):
            _cell(cell, head, bold=True, align="center")
        _row_props(t.rows[0], header=True)
        for res in results:
            cells = t.add_row().cells
            what = _what(res, catalog)
            values = (res.target.code, what, res.shown(), tg.describe(res.target),
                      res.assessment.label, gap_2030(res, year, catalog))
            for i, (cell, v) in enumerate(zip(cells, values)):
                _cell(cell, v, align="center" if i in (0, 2, 4) else None)
            _row_props(t.rows[-1])
        _widths(t, RESULT_WIDTHS_CM)
        notes = [f"{uv.unit.name} ({res.target.code})" for res in results
                 for uv in res.unconfirmed]
        if notes:
            _para(doc, "Số liệu chưa xác nhận, không đưa vào tổng hợp: " + "; ".join(notes)
                  + ".", italic=True, indent=True)
        _para(doc, "", space_after=0)


def _what(res: TargetResult, catalog) -> str:
    t = res.target
    text = res.indicator_text if t.text == res.indicator_text or not t.text else t.text
    nat = _national(res, catalog)
    if nat is not None:          # the plan's words, with the national indicator they implement
        return f"{text} ({nat.code})"
    if t.national:
        return f"{text} (chỉ tiêu {t.national} của Chiến lược quốc gia)"
    return text


def _tasks(doc, c: Consolidation, noun: str) -> None:
    _para(doc, f"III. KẾT QUẢ THỰC HIỆN NHIỆM VỤ CỦA CÁC {noun.upper()}", bold=True)
    if not c.tasks:
        _para(doc, "Kế hoạch không giao nhiệm vụ riêng cho các đơn vị.", indent=True)
        return
    by_unit: dict[str, list] = {}
    for tr in c.tasks:
        by_unit.setdefault(tr.unit.key, []).append(tr)
    n = 0
    for sub in c.submissions:
        mine = by_unit.get(sub.unit.key)
        if not mine:
            continue
        n += 1
        statuses = [tr.status or "Chưa báo cáo" for tr in mine]
        tally = "; ".join(f"{s}: {statuses.count(s)}" for s in dict.fromkeys(statuses))
        state = " (chưa gửi báo cáo)" if sub.status == MISSING else ""
        _para(doc, f"{n}. {sub.unit.name}{state}: {len(mine)} nhiệm vụ – {tally}.", bold=True,
              indent=True)
        for tr, status in zip(mine, statuses):
            p = _para(doc, f"- {_bare(tr.text)}: ", indent=True)
            run = p.add_run(status)
            run.bold = True
            result = vn.clean(tr.result or "")
            if result:
                p.add_run(f". Kết quả: “{result}”" + ("" if result[-1] in ".!?…" else "."))
            else:
                p.add_run(".")


def _bare(text: str | None) -> str:
    return vn.clean(text or "").rstrip(" .;,:")


def _quotes(c: Consolidation, pattern, *, skip=None) -> list[tuple[list[str], str]]:
    """(units, their own words) from task results and notes on figures: each clause (split
    at ";" and ".") that matches ``pattern`` (and not ``skip``), once, with every unit that
    wrote it, in plan order."""
    found: dict[str, list[str]] = {}
    texts = [(tr.unit.name, tr.result) for tr in c.tasks] + \
        [(uv.unit.name, uv.note) for res in c.results for uv in res.unit_values]
    for unit, text in texts:
        for clause in re.split(r"[;.]\s+|[;.]$", vn.clean(text or "")):
            clause = _bare(clause)
            if not clause or not pattern.search(clause) or (skip and skip.search(clause)):
                continue
            units = found.setdefault(clause[:1].upper() + clause[1:], [])
            if unit not in units:
                units.append(unit)
    return [(units, text) for text, units in found.items()]


def _quoted(doc, quotes) -> None:
    for units, text in quotes:
        _para(doc, f"- {', '.join(units)}: “{text}”.", indent=True)


def _difficulties(doc, c: Consolidation) -> None:
    _para(doc, "IV. KHÓ KHĂN, VƯỚNG MẮC", bold=True)
    quotes = _quotes(c, DIFFICULTY, skip=PROPOSAL)
    if quotes:
        _para(doc, "Các đơn vị nêu trong báo cáo:", indent=True)
        _quoted(doc, quotes)
    else:
        _para(doc, "Các đơn vị không nêu khó khăn, vướng mắc trong báo cáo.", indent=True)
    _para(doc, "[Cán bộ bổ sung nhận xét về khó khăn, vướng mắc chung, nếu có.]",
          placeholder=True, indent=True)


def _proposals(doc, c: Consolidation) -> None:
    _para(doc, "V. ĐỀ XUẤT, KIẾN NGHỊ", bold=True)
    quotes = _quotes(c, PROPOSAL)
    if quotes:
        _para(doc, "Đề xuất của các đơn vị (để cán bộ tham khảo):", indent=True)
        _quoted(doc, quotes)
    for text in ("[Cán bộ ghi đề xuất, kiến nghị với cấp trên: 1. …]",
                 "[Cán bộ ghi đề xuất, kiến nghị với cấp trên: 2. …]"):
        _para(doc, text, placeholder=True, indent=True)


def _closing(doc, a) -> None:
    t = doc.add_table(rows=1, cols=2)
    _widths(t, (8.0, 8.0))
    left, right = t.rows[0].cells
    _cell(left, "Nơi nhận:", bold=True, italic=True, size=12)
    for line in (f"- Như trên ({a.to});", "- [Lãnh đạo …];", "- Lưu: VT."):
        _para(left, line, size=11, space_after=0, placeholder=line.startswith("- ["))
    _cell(right, a.signer_title.upper(), bold=True, align="center", size=14)
    for _ in range(4):
        _para(right, "", space_after=0)
    _para(right, a.signer_name or "[Họ và tên]", bold=True, align="center", size=14,
          placeholder=not a.signer_name)
