"""Plan-document importer: a Kế hoạch (.docx, .doc, .pdf or .txt) -> a :class:`~bdg_excel.plan.model.Plan`.

>>> result = import_plan("ke-hoach.docx")          # doctest: +SKIP
>>> result.plan.to_json(); result.unparsed; plan_import_summary(result)   # doctest: +SKIP

Rule-based and explainable: every sentence the importer could not interpret is in
``result.unparsed`` (a :class:`~bdg_excel.core.findings.Finding` with its line or paragraph
number and a Vietnamese message); nothing is dropped silently. The library never prints.

Modules: :mod:`.text` (line model, clean-up, page-break joins), :mod:`.docx` (Word
paragraphs and automatic numbering), :mod:`.pdf` (PDF text layer), :mod:`.legacy`
(.doc through LibreOffice), :mod:`.parse` (plan details, sections, goals,
indicators), :mod:`.targets` (target sentences), :mod:`.units` (units, tasks,
assignments, deadlines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ...core import vn
from ...core.errors import PlanError
from ...core.findings import Finding
from ..catalog import link_plan, review_links
from ..model import Plan
from ..source_text import UNSURE
from .deadlines import due_text, is_own
from .parse import SECTION_LABELS, Context, parse_details, parse_goals, split_sections
from .text import RawLine, key, lines_from_text, prepare, strip_markdown
from .units import assign_from_table, parse_organisation, parse_report_lines

#: A review item below this confidence needs the officer's look (the same bound the review
#: beside the text marks as unsure).
NEEDS_LOOK = UNSURE

__all__ = ["NEEDS_LOOK", "ImportResult", "ImportSummary", "import_plan", "import_text", "import_lines",
           "plan_import_summary"]


@dataclass
class ImportSummary:
    goals: int = 0
    indicators: int = 0
    targets: int = 0
    units: int = 0
    assignments: int = 0
    tasks: int = 0
    deadlines: int = 0
    #: paragraphs of parts the forms do not need, by section label ("Kinh phí": 3)
    skipped: dict[str, int] = field(default_factory=dict)
    #: indicator codes no unit reports
    unassigned: list[str] = field(default_factory=list)
    #: review items the officer should look at (confidence below NEEDS_LOOK)
    to_check: int = 0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class ImportResult:
    plan: Plan
    unparsed: list[Finding]
    summary: ImportSummary
    source: str | None = None
    #: the document's paragraphs in order, paragraph N at index N - 1 (findings and the
    #: review name "đoạn N"); kept beside the plan workbook by ``plan import``
    paragraphs: list[str] = field(default_factory=list)


def import_plan(path: str | Path, *, name: str | None = None) -> ImportResult:
    """Read a plan document (.docx, .doc, .pdf, .txt or .md). Raises PlanError when it
    cannot be read."""
    p = Path(path)
    if not p.is_file():
        raise PlanError(f"Không tìm thấy tệp kế hoạch {p}. Hãy kiểm tra lại đường dẫn.")
    suffix = p.suffix.lower()
    if suffix == ".docx":
        from .docx import read_docx
        raw = read_docx(p)
    elif suffix in (".txt", ".md", ".text", ""):
        data = p.read_bytes()
        for enc in ("utf-8-sig", "utf-16", "cp1258"):
            try:
                text = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - cp1258 decodes nearly anything
            raise PlanError(f"Không đọc được tệp {p.name}: hãy lưu lại với mã UTF-8.")
        raw = lines_from_text(text)
    elif suffix == ".json":
        from ..planjson import read_plan_json
        plan = read_plan_json(p, name=name if name is not None else p.stem)
        return finish(ImportResult(plan, [], _summary_of_json(plan), source=p.name))
    elif suffix == ".pdf":
        from .pdf import read_pdf
        raw = read_pdf(p)
    elif suffix == ".doc":
        from .legacy import read_doc
        raw = read_doc(p)
    else:
        raise PlanError(f"Không nhận dạng được tệp {p.name}: chỉ nhập được kế hoạch dạng "
                        ".docx, .doc, .pdf (có lớp chữ), .txt hoặc .json.")
    return finish(import_lines(raw, source=p.name, name=name if name is not None else p.stem,
                               paragraphs=suffix in (".docx", ".doc"), pages=suffix == ".pdf"))


def finish(result: ImportResult) -> ImportResult:
    """What every import ends with: in a province's plan, a unit standing for every
    commune ("UBND các xã, phường") becomes the province's communes."""
    from ..admin import expand_communes, province_of

    plan = result.plan
    added = expand_communes(plan)
    if added:
        province = province_of(plan.issuer)
        result.unparsed.append(Finding(
            "communes_expanded", f"“UBND các xã, phường” được thay bằng {len(added)} xã, "
            f"phường, đặc khu của {province.level} {province.short} theo danh mục đơn vị hành "
            "chính hiện hành; mỗi đơn vị nhận các chỉ tiêu và nhiệm vụ đã giao cho “các xã, "
            "phường”.", "info", file=result.source))
    s = result.summary
    s.units, s.tasks = len(plan.units), sum(len(u.tasks) for u in plan.units)
    s.assignments = sum(len(u.indicators) for u in plan.units)
    return result


def _summary_of_json(plan: Plan) -> ImportSummary:
    """The summary of a plan read from plan JSON (its units are counted by finish)."""
    assigned = {c for u in plan.units for c in u.indicators}
    return ImportSummary(goals=len(plan.goals), indicators=len(plan.indicators),
                         targets=len(plan.targets()), units=0, deadlines=len(plan.reports),
                         unassigned=[i.code for i in plan.indicators if i.code not in assigned])


def import_text(text: str, *, source: str | None = None, name: str = "") -> ImportResult:
    """Import a plan given as text (the content of a .txt file)."""
    return import_lines(lines_from_text(text), source=source, name=name)


def import_lines(raw: list[RawLine], *, source: str | None = None, name: str = "",
                 paragraphs: bool = False, pages: bool = False) -> ImportResult:
    """``paragraphs``: the lines are Word paragraphs (findings then name the paragraph
    number and its first words instead of a line number); ``pages``: they come from a
    PDF (findings name the page and the first words)."""
    ctx = Context(source, paragraphs=paragraphs, pages=pages)
    lines = _plan_inside_decision(prepare(raw))
    plan = Plan(name=name)
    header, sections, closing = split_sections(lines)
    parse_details(header, plan, ctx)
    assignments = 0
    goal_sections = [s for s in sections if s.kind == "goals"]
    for s in goal_sections:
        parse_goals(s, plan, ctx)
    if not goal_sections:
        ctx.add("no_goals", "Không thấy phần MỤC TIÊU: kế hoạch chỉ có nhiệm vụ của các đơn vị.",
                severity="info")
    org_sections = [s for s in sections if s.kind == "organisation"]
    for s in org_sections:
        assignments += parse_organisation(s.lines, plan, ctx)
    assignments += assign_from_table(ctx.table_assignments, plan, ctx)
    if not org_sections:
        ctx.add("no_units", "Không thấy phần TỔ CHỨC THỰC HIỆN: chưa có đơn vị nào.")
    skipped: dict[str, int] = {}
    for s in sections:
        if s.kind in ("goals", "organisation"):
            continue
        parse_report_lines(s.lines, plan, ctx)
        if s.kind == "other":
            for line in s.lines:
                ctx.add("unknown_section", f"Đoạn thuộc phần “{s.heading.text}” chưa được "
                        f"xử lý: “{line.text}”.", line, severity="info")
        elif s.lines:
            label = SECTION_LABELS[s.kind]
            skipped[label] = skipped.get(label, 0) + len(s.lines)
    # the closing paragraph ("Trên đây là Kế hoạch … gửi báo cáo … trước ngày …")
    parse_report_lines([l for l in _closing_text(closing)], plan, ctx)
    if plan.issuer is None:
        _issuer_from_closing(plan, closing, ctx)
    _upward_not_to_itself(plan)
    if not plan.reports and plan.upward and plan.upward.due:
        ctx.add("no_deadline", "Kế hoạch chỉ ghi hạn báo cáo tổng hợp gửi cấp trên "
                f"({due_text(plan.upward.due)}), không ghi hạn các đơn vị gửi báo cáo về; hãy "
                "điền hạn đó (trước hạn gửi cấp trên) trong trang Báo cáo của sổ kế hoạch.")
    elif not plan.reports:
        ctx.add("no_deadline", "Không tìm thấy hạn gửi báo cáo (“… trước ngày …”); hãy điền "
                "trong sổ kế hoạch.")
    plan.review.extend(review_links(plan, link_plan(plan)))   # national codes (CONTRACT 2)
    assigned = {c for u in plan.units for c in u.indicators}
    for ind in plan.indicators:
        if ind.code not in assigned:
            ctx.note("assignment", ind.code, "chưa giao cho đơn vị nào", None, 0.0,
                     "Không câu nào của kế hoạch giao chỉ tiêu này; hãy chọn đơn vị báo cáo "
                     "trong trang Đơn vị của sổ kế hoạch.")
    _review_units(plan, ctx)
    if not plan.reports:
        ctx.note("deadline", "annual", "chưa rõ hạn", None, 0.0,
                 "Kế hoạch không ghi hạn các đơn vị gửi báo cáo; hãy điền trong trang Báo cáo.")
    plan.review = sorted(ctx.review + plan.review, key=lambda r: r.confidence)
    summary = ImportSummary(
        goals=len(plan.goals), indicators=len(plan.indicators), targets=len(plan.targets()),
        units=len(plan.units), assignments=sum(len(u.indicators) for u in plan.units),
        tasks=sum(len(u.tasks) for u in plan.units), deadlines=len(plan.reports),
        skipped=skipped,
        unassigned=[i.code for i in plan.indicators if i.code not in assigned],
        to_check=sum(r.confidence < NEEDS_LOOK for r in plan.review))
    return ImportResult(plan=plan, unparsed=ctx.findings, summary=summary, source=source,
                        paragraphs=_paragraphs(raw))


def _paragraphs(raw: list[RawLine]) -> list[str]:
    """The document's text by line/paragraph number (a number read twice, as a table row's
    cells, is joined); the first line of each page of a PDF starts with a form feed, one
    per page turned (a page without text: two)."""
    out: list[str] = [""] * max((r.lineno for r in raw), default=0)
    page = None
    for r in raw:
        if 0 < r.lineno <= len(out):
            text = strip_markdown(f"{r.label} {r.text}" if r.label else r.text)
            if r.page is not None and r.page != page:
                text = "\f" * max(r.page - (page or 0), 1) + text
                page = r.page
            out[r.lineno - 1] = (f"{out[r.lineno - 1]} {text}".strip(" ") if out[r.lineno - 1]
                                 else text)
    return out


def _review_units(plan: Plan, ctx) -> None:
    """Units that may not be units: a group ("Các phòng, đơn vị thuộc Sở"), the issuing
    office itself, or a name with nothing to report."""
    issuer = vn.canonical(plan.issuer or "")
    for u in plan.units:
        if re.match(r"(các|mọi|tất cả các)\s", u.key):
            why = "Tên là một nhóm đơn vị, không phải một đơn vị."
        elif issuer and issuer.startswith(u.key):
            why = "Tên trùng với cơ quan ban hành kế hoạch."
        elif not u.indicators and not u.tasks:
            why = "Đơn vị không có chỉ tiêu, nhiệm vụ nào."
        else:
            continue
        ctx.note("unit", u.name, "đơn vị nhận biểu", None, 0.5, why + " Nếu không phải đơn vị "
                 "báo cáo, hãy xóa ở trang Đơn vị của sổ kế hoạch.")


def _plan_inside_decision(lines):
    """A plan issued with a Quyết định ("QUYẾT ĐỊNH … Điều 1. Ban hành kèm theo … Nơi
    nhận … KẾ HOẠCH …"): the decision's articles, recipients and signature are left out;
    its letterhead, number and date stay (a plan without a number of its own is cited by
    the decision's), unless the plan carries its own "Số: …/KH-…"."""
    keys_ = [line.key for line in lines]
    try:
        q = keys_.index(key("quyết định"))
        k = keys_.index(key("kế hoạch"), q)
    except ValueError:
        return lines
    between = lines[q:k]
    if not any(line.key.startswith(key("nơi nhận")) for line in between):
        return lines
    own = [line for line in between if re.match(r"Số\s*:?\s*\d+\s*/\s*KH", line.text, re.I)]
    head = lines[:q]
    if own:
        head = [line for line in head if not re.match(r"Số\s*:", line.text, re.I)] + own[:1]
    return head + lines[k:]


def _closing_text(closing):
    """The closing paragraphs before "Nơi nhận" (the signature block names no deadline)."""
    for line in closing:
        if line.key.startswith(key("nơi nhận")):
            break
        yield line


def _issuer_from_closing(plan: Plan, closing, ctx) -> None:
    """"Trên đây là Kế hoạch … năm 2026 của Bệnh viện Đa khoa tỉnh./." names the issuer
    when the letterhead did not (a school, a hospital, a committee)."""
    for line in _closing_text(closing):
        first = re.split(r"(?<=[a-zà-ỹ)])\.\s+(?=[A-ZĐÀ-Ỹ])", line.text)[0]
        m = re.search(r"\bcủa\s+([A-ZĐÀ-Ỹ][^.;/]*)", first)
        if m and key(line.text).startswith(key("trên đây là")):
            plan.issuer = m.group(1).strip(" ,")
            ctx.findings[:] = [f for f in ctx.findings if f.code != "no_issuer"]
        return


_LEVELS = r"(?:xã|phường|thị trấn|huyện|quận|thị xã|thành phố|tỉnh)\b"


def _upward_not_to_itself(plan: Plan) -> None:
    """"… định kỳ báo cáo Ủy ban nhân dân xã, Sở Nội vụ": the office does not report to
    itself; the body the units report to is dropped from the upward recipients."""
    up = plan.upward
    if up is None or not up.to:
        return
    own = [r.to for r in plan.reports if r.to]
    parts = [p.strip() for p in re.split(r",|\s+và\s+(?=[A-ZĐÀ-Ỹ])", up.to)]
    # "UBND phường, thành phố": the second body is the UBND of the city
    head = re.match(r"(UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+(?=" + _LEVELS + ")", parts[0])
    if head:
        parts = [p if not re.match(_LEVELS, p, re.I) else f"{head.group(1)} {p}" for p in parts]
    kept = [p for p in parts if not is_own(p, plan.issuer, own)]
    if kept and len(kept) < len(parts):
        up.to = ", ".join(kept)


_KIND_LABELS = {"annual": "hằng năm", "semiannual": "6 tháng", "quarterly": "hằng quý",
                "once": "một lần"}


def plan_import_summary(result: ImportResult) -> list[str]:
    """Vietnamese lines for the review summary the CLI prints after an import."""
    s, plan = result.summary, result.plan
    out = [f"Kế hoạch: {plan.title or '(chưa rõ tên)'}"
           f"{f' — số {plan.number}' if plan.number else ''}"
           f"{f' — {plan.issuer}' if plan.issuer else ''}",
           f"Giai đoạn: {plan.period_start or '?'}–{plan.period_end or '?'}",
           f"Đã đọc: {s.goals} mục tiêu, {s.indicators} chỉ tiêu ({s.targets} dòng chỉ tiêu), "
           f"{s.units} đơn vị, {s.assignments} lượt giao chỉ tiêu, {s.tasks} nhiệm vụ, "
           f"{s.deadlines} hạn báo cáo."]
    for r in plan.reports:
        out.append(f"Hạn báo cáo {_KIND_LABELS.get(r.kind, r.kind)}: {_report_due(r)}"
                   f"{f' — gửi {r.to}' if r.to else ''}")
    if plan.upward:
        out.append(f"Báo cáo tổng hợp gửi cấp trên: {plan.upward.to or 'chưa rõ nơi nhận'}"
                   f" — hạn {due_text(plan.upward.due)}")
    else:
        out.append("Kế hoạch không ghi nơi nhận báo cáo tổng hợp (cấp trên); hãy điền trong "
                   "sổ kế hoạch nếu có.")
    for u in plan.units:
        inds = ", ".join(u.indicators) if u.indicators else "không có chỉ tiêu"
        out.append(f"  • {u.name}: {inds}; {len(u.tasks)} nhiệm vụ")
    if s.unassigned:
        out.append("Chỉ tiêu chưa giao cho đơn vị nào: " + ", ".join(s.unassigned)
                   + " (hãy chọn đơn vị báo cáo trong sổ kế hoạch).")
    if s.skipped:
        parts = ", ".join(f"{k} ({v} đoạn)" for k, v in s.skipped.items())
        out.append(f"Không dùng cho biểu mẫu (bỏ qua): {parts}.")
    if result.unparsed:
        out.append(f"Câu chưa hiểu được hoặc cần lưu ý ({len(result.unparsed)} mục):")
        out.extend(f"  - {f}" for f in result.unparsed)
    elif not s.unassigned:
        out.append("Không có câu nào chưa hiểu được.")
    if s.to_check:
        out.append(f"Cần xem lại {s.to_check} mục (chỉ tiêu, phân công, hạn báo cáo chưa chắc "
                   "chắn): xem trang “Rà soát” của sổ kế hoạch, các mục chưa chắc xếp trước.")
    else:
        out.append("Không có mục nào cần xem lại.")
    return out


def _report_due(r) -> str:
    if r.kind == "quarterly" and r.due and len(r.due.split("-")) == 2:
        m, d = (int(x) for x in r.due.split("-"))
        months = [(m - 1 + 3 * i) % 12 + 1 for i in range(4)]
        return ", ".join(f"{d:02d}/{x:02d}" for x in sorted(months)) + " hằng năm"
    if r.kind == "semiannual":
        return f"{due_text(r.due)} (báo cáo 6 tháng đầu năm)"
    return due_text(r.due)
