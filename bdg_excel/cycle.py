"""The cycle at a glance, and the officer's own drop of returned files into inbox/.

What ``bdg-excel serve`` shows and does beyond the commands' own functions in
:mod:`bdg_excel.workflow`: one :class:`Overview` per plan and period (each unit's state
from :func:`workflow.status`, its findings and files from the ledger, the deadline, what
to do next, the files that can be downloaded), and :func:`add_to_inbox`, which puts a
file into inbox/ the way ``fetch`` puts an attachment there. Nothing here prints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from .core.errors import UsageError
from .core.findings import ERROR, WARNING, Finding
from .core.workspace import TEMP_PREFIX, Workspace
from .intake.containers import CONTAINER_SUFFIXES
from .intake.ledger import DUPLICATE, FileRecord
from .intake.untrusted import MAX_BYTES
from .mail.settings import RETURN_SUFFIXES   # what a drop may hold: what fetch takes
from .plan.deadlines import days_to
from .plan.model import Plan, period_year
from .report.consolidate import consolidate
from .report.workbook import internal_path, report_path
from .workflow import StatusLine, status

MAX_UPLOAD = MAX_BYTES   # the safety scan refuses larger files anyway
#: what a drop may hold: workbooks, and the containers collect opens (.zip, saved e-mails)
DROP_SUFFIXES = RETURN_SUFFIXES + CONTAINER_SUFFIXES


@dataclass
class UnitView:
    line: StatusLine
    findings: list[Finding] = field(default_factory=list)   # errors and warnings to fix
    last_file: FileRecord | None = None                      # the newest file received
    n_files: int = 0
    feedback: list[Path] = field(default_factory=list)       # of the current return
    current: FileRecord | None = None                        # the return that counts


@dataclass
class Overview:
    period: str
    today: date
    deadline: date | None
    days_left: int | None           # negative: days past the deadline
    units: list[UnitView]
    inbox: list[str]                # files waiting in inbox/
    other_findings: list[tuple[FileRecord, Finding]]   # files not recognised as a unit's
    next_steps: list[str]           # Vietnamese sentences, most urgent first
    counts: dict[str, int]          # state -> units
    report: Path | None             # the consolidated workbook, when written
    internal: Path | None = None    # the office's own internal workbook, when written
    upward_to: str | None = None    # whom the consolidated workbook goes to
    upward_deadline: date | None = None


def inbox_files(ws: Workspace) -> list[str]:
    """Names waiting in inbox/ and its folders, as paths from inbox/ ("Trạm Y tế/bc.xlsx"):
    what ``collect`` would read (lock and temporary files and links excluded)."""
    if not ws.inbox.is_dir():
        return []
    out = []
    for folder, dirs, files in os.walk(ws.inbox):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink() and not name.startswith((".", "~$")):
                out.append(path.relative_to(ws.inbox).as_posix())
    return sorted(out)


def overview(ws: Workspace, plan: Plan, period: str, *, today: date) -> Overview:
    lines = status(ws, plan, period, today=today)
    c = consolidate(ws, plan, period)
    current = {s.unit.name: s.record for s in c.submissions}
    by_unit: dict[str, list[FileRecord]] = {}
    for rec in c.history:
        if rec.unit_name:
            by_unit.setdefault(rec.unit_name, []).append(rec)
    findings: dict[int, list[Finding]] = {}
    other: list[tuple[FileRecord, Finding]] = []
    for rec, f in c.findings:
        if f.severity not in (ERROR, WARNING):
            continue
        if rec.unit_name is None and rec.status != DUPLICATE:
            other.append((rec, f))
        findings.setdefault(rec.id, []).append(f)
    units = []
    for ln in lines:
        rec = current.get(ln.unit)
        files = by_unit.get(ln.unit, [])
        last = max(files, key=lambda r: (r.received_at, r.id)) if files else None
        fb = [ws.root / p for p in (rec.feedback or "").split("|") if p] if rec else []
        units.append(UnitView(ln, findings.get(rec.id, []) if rec else [], last, len(files),
                              [p for p in fb if p.is_file()], rec))
    deadline = plan.deadline(period)
    days_left = days_to(deadline, today) if deadline else None
    counts: dict[str, int] = {}
    for ln in lines:
        counts[ln.state] = counts.get(ln.state, 0) + 1
    waiting = inbox_files(ws)
    report = report_path(ws, c)
    ov = Overview(period, today, deadline, days_left, units, waiting, other, [], counts,
                  report if report.is_file() else None)
    internal = internal_path(report)
    ov.internal = internal if internal.is_file() else None
    if plan.upward:
        ov.upward_to = plan.upward.to
        ov.upward_deadline = plan.upward.deadline(period_year(period))
    ov.next_steps = next_steps(ws, plan, period, ov)
    return ov


def next_steps(ws: Workspace, plan: Plan, period: str, ov: Overview) -> list[str]:
    """What the officer should do now, most urgent first (Vietnamese)."""
    steps = []
    forms = list(ws.forms_folder(period).glob(f"*{period}*.xlsx")) if \
        ws.forms_folder(period).is_dir() else []
    n = len(ov.units)
    if not forms:
        steps.append("Tạo biểu mẫu cho các đơn vị (bước 1, nút “Tạo biểu mẫu”).")
    elif ov.counts.get("not_sent"):
        steps.append(f"Gửi biểu cho {ov.counts['not_sent']} đơn vị chưa nhận biểu "
                     "(bước 2: gửi qua thư điện tử, hoặc viết thư nháp rồi tự gửi).")
    if ov.inbox:
        steps.append(f"Có {len(ov.inbox)} tệp mới trong inbox/: bấm “Tổng hợp” (bước 5) để "
                     "kiểm tra và ghi sổ.")
    fixes, missing = ov.counts.get("needs_fixes", 0), ov.counts.get("missing", 0)
    if fixes or missing:
        parts = ([f"{missing} đơn vị quá hạn chưa nộp"] if missing else []) + \
                ([f"{fixes} đơn vị cần sửa báo cáo"] if fixes else [])
        steps.append(f"Nhắc {' và '.join(parts)} (bước 3).")
    done = sum(ov.counts.get(s, 0) for s in ("accepted", "late"))
    if n and done == n and not ov.inbox:
        to = plan.upward.to if plan.upward and plan.upward.to else "cấp trên"
        if ov.report is None:
            steps.append("Mọi đơn vị đã nộp: bấm “Tổng hợp” để ghi bảng tổng hợp.")
        else:
            steps.append(f"Mọi đơn vị đã nộp: gửi bảng tổng hợp {ov.report.name} cho {to}.")
    elif not steps and ov.days_left is not None and ov.days_left >= 0:
        steps.append(f"Chờ các đơn vị nộp báo cáo (còn {ov.days_left} ngày đến hạn).")
    return steps


def add_to_inbox(ws: Workspace, name: str, data: bytes, *, now: datetime | None = None,
                 max_bytes: int = MAX_UPLOAD) -> Path:
    """Put a returned workbook the officer dropped into inbox/, as ``fetch`` puts an
    attachment there: a safe name (no folder part, no control or Windows-forbidden
    characters), a workbook suffix, at most ``max_bytes`` bytes, never over an
    existing file ("a (2).xlsx" …). The content is checked by ``collect`` (the safety
    scan), like every file in inbox/. ``now``, when given, becomes the file's time, which
    ``collect`` takes as the time it was received (the web page passes ``clock.now()``,
    so ``BDG_TODAY`` rehearsals hold). Takes the workspace lock for the write."""
    from .mail.imap import _safe_name, _write_new

    safe = _safe_name(name)
    if Path(safe).suffix.lower() not in DROP_SUFFIXES:
        raise UsageError(f"Tệp “{safe}” không phải bảng tính: chỉ nhận tệp "
                         f"{', '.join(DROP_SUFFIXES)}.")
    if len(data) > max_bytes:
        raise UsageError(f"Tệp “{safe}” quá lớn: tối đa {size_text(max_bytes)} mỗi tệp.")
    if not data:
        raise UsageError(f"Tệp “{safe}” rỗng.")
    with ws.lock():
        ws.inbox.mkdir(parents=True, exist_ok=True)
        dest = _write_new(ws.inbox, safe, data)
        if now is not None:
            os.utime(dest, (now.timestamp(), now.timestamp()))
        return dest


def size_text(n: int) -> str:
    """"20 MB", "10 KB": a size for a message."""
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


# -- downloads ---------------------------------------------------------------------------
@dataclass
class Output:
    group: str       # forms | feedback | report | mail
    rel: str         # path relative to outbox/, with "/"
    name: str
    size: int


OUTPUT_GROUPS = {"forms": "Biểu mẫu", "phan-hoi": "Phản hồi cho đơn vị",
                 "report": "Bảng tổng hợp", "mail": "Thư nháp"}


def outputs(ws: Workspace) -> list[Output]:
    """Every file of outbox/ a person may download: forms, feedback, consolidated
    workbooks, mail drafts (temporary files and links left out)."""
    out = []
    root = ws.outbox
    if not root.is_dir() or root.is_symlink():
        return out
    for p in sorted(root.rglob("*")):
        if not p.is_file() or p.name.startswith((TEMP_PREFIX, ".", "~$")):
            continue
        rel = p.relative_to(root)
        if any((root / Path(*rel.parts[:i + 1])).is_symlink() for i in range(len(rel.parts))):
            continue
        top = rel.parts[0] if len(rel.parts) > 1 else "report"
        group = {"forms": "forms", "phan-hoi": "phan-hoi", "mail": "mail"}.get(top, "report")
        out.append(Output(group, rel.as_posix(), p.name, p.stat().st_size))
    return out


def output_file(ws: Workspace, rel: str) -> Path:
    """The file of outbox/ that ``rel`` names, or :class:`UsageError`: only a regular file
    listed by :func:`outputs` (no "..", no absolute path, no link, nothing outside
    outbox/)."""
    for o in outputs(ws):
        if o.rel == rel:
            return ws.outbox / o.rel
    raise UsageError("Không có tệp này trong outbox/ để tải về.")


__all__ = ["Overview", "UnitView", "overview", "next_steps", "add_to_inbox", "inbox_files",
           "outputs", "output_file", "Output", "OUTPUT_GROUPS", "MAX_UPLOAD", "size_text"]
