"""One library function per command. The CLI parses arguments, calls one of these, and
renders what it returns; nothing here prints or exits."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from . import planbook
from .collect import CollectResult, collect
from .consolidate import MISSING, Consolidation, consolidate
from .errors import UsageError
from .forms import GeneratedForm, generate_forms
from .model import Plan
from .report import report_path, write_report
from .workspace import Workspace, atomic_output

GUIDE_NOTE = """Thư mục làm việc bdg-excel
  templates/  tệp kế hoạch (.xlsx)
  inbox/      thả các biểu mẫu đã điền (nhận qua thư điện tử) vào đây
  outbox/     biểu mẫu gửi đi (forms/), phản hồi (phan-hoi/), bảng tổng hợp
  archive/    mọi tệp đã nhận, không bao giờ bị xóa
Các bước: bdg-excel generate; gửi biểu; thả tệp nhận về vào inbox/; bdg-excel consolidate
"""


def init_workspace(root: str | Path, example: str | None = None) -> Workspace:
    ws = Workspace.open(root, create=True)
    if example:
        if example not in planbook.EXAMPLES:
            raise UsageError(f"Không có kế hoạch mẫu '{example}'. Các kế hoạch mẫu: "
                             f"{', '.join(planbook.EXAMPLES)}.")
        dest = ws.templates / f"{example}.xlsx"
        if not dest.exists():
            shutil.copyfile(planbook.example_path(example), dest)
    readme = ws.root / "HUONG-DAN.txt"
    if not readme.exists():
        readme.write_text(GUIDE_NOTE, encoding="utf-8")
    return ws


def load(ws: Workspace, plan_name: str | None = None) -> Plan:
    return planbook.load_plan(ws.plan_path(plan_name))


def check_period(plan: Plan, period: str | None) -> str:
    """Validate ``--period``: "2026" (annual or one-off) or "2026-H1" (six-month)."""
    if period is None:
        return plan.default_period()
    p = period.strip().upper()
    year, _, half = p.partition("-")
    if not year.isdigit() or len(year) != 4 or half not in ("", "H1"):
        raise UsageError(f"Kỳ báo cáo '{period}' không hợp lệ: ghi năm (ví dụ 2026) hoặc "
                         "6 tháng đầu năm (ví dụ 2026-H1).")
    if plan.period_start and plan.period_end and not (
            plan.period_start <= int(year) <= plan.period_end):
        raise UsageError(f"Năm {year} nằm ngoài thời kỳ của kế hoạch "
                         f"({plan.period_start}–{plan.period_end}).")
    return p


def generate(ws: Workspace, plan: Plan, period: str, *, units: list[str] | None = None,
             workers: int = 1, progress=None) -> list[GeneratedForm]:
    with ws.lock():
        return generate_forms(plan, ws.forms_dir / period, period, units=units,
                              workers=workers, progress=progress)


def collect_inbox(ws: Workspace, plan: Plan, period: str, *, received_at: datetime | None = None,
                  workers: int | None = None, progress=None) -> CollectResult:
    with ws.lock():
        return collect(ws, plan, period=period, received_at=received_at, workers=workers,
                       progress=progress)


@dataclass
class ConsolidateResult:
    collected: CollectResult
    consolidation: Consolidation
    path: Path


def consolidate_workspace(ws: Workspace, plan: Plan, period: str, *,
                          received_at: datetime | None = None, workers: int | None = None,
                          progress=None) -> ConsolidateResult:
    with ws.lock():
        collected = collect(ws, plan, period=period, received_at=received_at,
                            workers=workers, progress=progress)
        c = consolidate(ws, plan, period)
        path = write_report(c, report_path(ws, c))
    return ConsolidateResult(collected, c, path)


@dataclass
class StatusLine:
    unit: str
    state: str              # not_sent | sent | received | accepted | needs_fixes | late | missing
    label: str              # Vietnamese
    received_at: str | None = None
    days: int | None = None  # days late (>0) / days left (<0 means late for missing)
    detail: str = ""
    email: str | None = None


STATE_LABELS = {"not_sent": "Chưa gửi biểu", "sent": "Đã gửi biểu, chờ báo cáo",
                "received": "Đã nhận", "accepted": "Đã chấp nhận", "needs_fixes": "Cần sửa",
                "late": "Nộp trễ", "missing": "Chưa nộp (quá hạn)"}


def status(ws: Workspace, plan: Plan, period: str, *, today: date | None = None) -> list[StatusLine]:
    """One line per unit for ``bdg-excel status``."""
    today = today or date.today()
    c = consolidate(ws, plan, period)
    lines = []
    for s in c.submissions:
        if s.record is not None:
            late = s.days_late or 0
            state = "late" if late else s.status
            detail = f"trễ {late} ngày" if late else "đúng hạn" if s.deadline else ""
            if s.status == "needs_fixes":
                state = "needs_fixes"
                detail = (detail + ", " if detail else "") + "cần sửa và gửi lại"
            lines.append(StatusLine(s.unit.name, state, STATE_LABELS[state],
                                    s.record.received_at, late or None, detail, s.unit.email))
            continue
        overdue = s.days_overdue(today)
        if overdue is not None and overdue > 0:
            state, detail = "missing", f"quá hạn {overdue} ngày"
        else:
            state = "sent" if s.sent_at else "not_sent"
            detail = f"còn {-overdue} ngày" if overdue is not None else "kế hoạch chưa có hạn nộp"
        lines.append(StatusLine(s.unit.name, state, STATE_LABELS[state], None, overdue, detail,
                                s.unit.email))
    return lines


def export(ws: Workspace, plan: Plan, period: str, fmt: str, out: Path | None = None) -> str:
    from .export import to_csv, to_json

    if fmt not in ("csv", "json"):
        raise UsageError("Định dạng phải là csv hoặc json.")
    c = consolidate(ws, plan, period)
    text = to_csv(c) if fmt == "csv" else to_json(c)
    if out is not None:
        with atomic_output(Path(out)) as tmp:
            tmp.write_text(text, encoding="utf-8", newline="")
    return text


def units_to_remind(c: Consolidation) -> list:
    return [s for s in c.submissions if s.status in (MISSING, "needs_fixes")]


__all__ = ["init_workspace", "load", "check_period", "generate", "collect_inbox",
           "consolidate_workspace", "status", "export", "StatusLine", "ConsolidateResult"]
