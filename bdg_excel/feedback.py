"""Feedback for a unit whose return needs fixing: a copy of its own workbook with each
problem cell highlighted and commented, and a short Vietnamese message to paste into the
reply e-mail. Written into outbox/phan-hoi/; the returned file itself is never touched."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from . import clock, vn
from .deadlines import overdue_sentence, return_by
from .findings import ERROR, WARNING, Finding
from .model import Plan, period_label
from .workspace import Workspace, atomic_output

ERROR_FILL = "FFC7CE"    # light red
WARNING_FILL = "FFEB9C"  # light orange


def feedback_stem(unit: str | None, period: str | None, original: str) -> str:
    who = unit or Path(original).stem
    return vn.safe_filename("_".join(x for x in ("Phan-hoi", period, who) if x))


def write_feedback(ws: Workspace, plan: Plan | None, cf, today: date | None = None) -> list[Path]:
    """``cf`` is a collect.CollectedFile (``plan`` None for a file of another plan).
    Returns the paths written. The annotated copy is made only of a workbook our reader
    found safe to open (``cf.kind`` xlsx and readable); the message always."""
    findings = [f for f in cf.findings if f.severity in (ERROR, WARNING)]
    if not findings:
        return []
    ws.feedback_dir.mkdir(parents=True, exist_ok=True)
    stem = feedback_stem(cf.unit, cf.period, cf.name)
    written = []
    book = ws.feedback_dir / f"{stem}.xlsx"
    from .returns import PROBLEMS  # a file refused unread is never opened here either

    if cf.archive_path and getattr(cf, "kind", "xlsx") == "xlsx" and \
            not any(f.code in PROBLEMS for f in findings) and \
            any(f.cell and f.sheet for f in findings) and \
            _annotate(cf.archive_path, findings, book):
        written.append(book)
    text = ws.feedback_dir / f"{stem}.txt"
    with atomic_output(text) as tmp:
        tmp.write_text(message(plan, cf, findings, book if book in written else None, today),
                       encoding="utf-8")
    written.append(text)
    return written


def message(plan: Plan | None, cf, findings: list[Finding], book: Path | None,
            today: date | None = None) -> str:
    errors = [f for f in findings if f.severity == ERROR]
    warnings = [f for f in findings if f.severity == WARNING]
    who = cf.unit or "Quý đơn vị"
    period = period_label(cf.period) if cf.period else ""
    lines = [f"Kính gửi: {who}", ""]
    lines.append(f"Chúng tôi đã nhận tệp báo cáo {cf.name}"
                 + (f" (kỳ báo cáo {period})" if period else "") + ".")
    if errors:
        lines.append(f"Báo cáo còn {len(errors)} lỗi cần sửa:")
        lines += [f"  {i}. {_line(f)}" for i, f in enumerate(errors, 1)]
    if warnings:
        lines.append("Các điểm cần xem lại:" if errors else
                     "Báo cáo đã được chấp nhận; đề nghị xem lại các điểm sau:")
        lines += [f"  - {_line(f)}" for f in warnings]
    lines.append("")
    if book is not None:
        lines.append(f"Các ô cần sửa được tô màu và có ghi chú trong tệp đính kèm {book.name}.")
    if errors:
        deadline = plan.deadline(cf.period) if cf.period and plan is not None else None
        when = f" {return_by(deadline, today or clock.today())}" if deadline else ""
        lines.append(f"Đề nghị đơn vị sửa và gửi lại biểu mẫu{when}."
                     + overdue_sentence(deadline, today or clock.today()))
    lines += ["", "Trân trọng."]
    return "\n".join(lines) + "\n"


def _line(f: Finding) -> str:
    where = f"Ô {f.cell}: " if f.cell and f"Ô {f.cell}" not in f.message and \
        f"ô {f.cell}" not in f.message else ""
    return where + f.message


def _annotate(source: Path, findings: list[Finding], out: Path) -> bool:
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    try:
        wb = openpyxl.load_workbook(source)
    except Exception:  # noqa: BLE001 - unreadable by openpyxl: the text message still goes
        return False
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        if f.cell and f.sheet in wb.sheetnames:
            by_cell.setdefault((f.sheet, f.cell), []).append(f)
    for (sheet, cell), items in by_cell.items():
        c = wb[sheet][cell]
        colour = ERROR_FILL if any(i.severity == ERROR for i in items) else WARNING_FILL
        c.fill = PatternFill("solid", start_color=colour, end_color=colour)
        c.comment = Comment("\n".join(i.message for i in items), "bdg-excel",
                            width=320, height=120)
    with atomic_output(out) as tmp:
        wb.save(tmp)
    return True
