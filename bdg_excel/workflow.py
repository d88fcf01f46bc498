"""One library function per command. The CLI parses arguments, calls one of these, and
renders what it returns; nothing here prints or exits."""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .core import clock, vn
from .core.errors import OutputLocked, UsageError, WorkspaceError
from .core.workspace import Workspace, atomic_output, open_elsewhere
from .plan.deadlines import deadline_state
from .plan.model import PERIOD_RE, Plan, period_label

# A command imports the stages it runs when it runs them: `bdg-excel --version` or `status`
# need not load the form generator, collection, the report writer, xlsxwriter or the
# process pool (tests/test_startup.py holds it).
if TYPE_CHECKING:
    from .forms.generate import GeneratedForm
    from .intake.collect import CollectResult
    from .report.results import Consolidation

GUIDE_NOTE = """Thư mục làm việc bdg-excel
  templates/  tệp kế hoạch (.xlsx)
  inbox/      thả các biểu mẫu đã điền (nhận qua thư điện tử) vào đây
  outbox/     biểu mẫu gửi đi (forms/), phản hồi (phan-hoi/), bảng tổng hợp
  archive/    mọi tệp đã nhận, không bao giờ bị xóa
  bdg-excel.toml  cấu hình: địa chỉ thư của cơ quan, máy chủ gửi thư (đọc lời giải thích
                  trong tệp)
Các bước: bdg-excel plan check; bdg-excel generate; bdg-excel send; thả tệp nhận về vào
inbox/ (hoặc bdg-excel fetch); bdg-excel consolidate; bdg-excel status; bdg-excel remind.
Các lệnh chạy được từ bất kỳ thư mục nào bên trong thư mục làm việc này.
"""


@dataclass
class InitResult:
    workspace: Workspace
    plan: Path | None            # the example plan copied into templates/
    config: Path                 # bdg-excel.toml
    config_written: bool         # False: one was there already (never overwritten)
    office_email: str | None     # the office address in the configuration, if any
    #: what the officer must still do in the plan workbook (province, ministry), Vietnamese
    todo: list[str] = field(default_factory=list)


def init_workspace(root: str | Path, example: str | None = None, **options) -> Workspace:
    """:func:`init`, returning the workspace (a nested workspace allowed: the library's
    callers — demo, benchmark, tests — choose their folders deliberately)."""
    options.setdefault("nested_ok", True)
    return init(root, example, **options).workspace


def init(root: str | Path, example: str | None = None, *, office: str | None = None,
         email: str | None = None, nested_ok: bool = False) -> InitResult:
    """Create a workspace (templates/, inbox/, outbox/, HUONG-DAN.txt and a commented
    bdg-excel.toml). Refuses a folder inside another workspace (a second workspace nested
    in the first is never what the officer wants)."""
    from .core import config as cfg
    from .mail import is_address
    from .core.workspace import CONFIG_NAME, find_root
    from .plan import planbook

    target = Path(root).resolve()
    outer = None if nested_ok or (target / "templates").is_dir() else find_root(target.parent)
    if outer is not None:
        raise UsageError(f"Thư mục {target} nằm trong thư mục làm việc {outer}: không tạo thư "
                         f"mục làm việc lồng trong thư mục khác. Chạy các lệnh ngay trong "
                         f"{outer}, hoặc tạo thư mục làm việc mới ở nơi khác.")
    if email is not None and not is_address(email):
        raise UsageError(f"“{email}” không phải địa chỉ thư (ví dụ: vanhoaxahoi@binhlu.gov.vn).")
    if example and example not in planbook.EXAMPLES:
        raise UsageError(f"Không có kế hoạch mẫu '{example}'. Các kế hoạch mẫu: "
                         f"{', '.join(planbook.EXAMPLES)}.")
    ws = Workspace.open(target, create=True)
    dest = None
    if example:
        dest = ws.templates / f"{example}.xlsx"
        if not dest.exists():
            shutil.copyfile(planbook.example_path(example), dest)
        if office is None:
            office = vn.clean(planbook.load_plan(dest).issuer or "") or None
    readme = ws.root / "HUONG-DAN.txt"
    if not readme.exists():
        readme.write_text(GUIDE_NOTE, encoding="utf-8")
    config_path = ws.root / CONFIG_NAME
    written = cfg.write_template(config_path, office, email)
    from .mail import office_of

    return InitResult(ws, dest, config_path, written, office_of(ws.config()).email)


def init_province(root: str | Path, province: str, *, email: str | None = None,
                  due: str | None = None, nested_ok: bool = False,
                  start: int = 2026) -> InitResult:
    """``bdg-excel init DIR --province NAME``: a province workspace (CONTRACT section 7)
    whose plan (templates/ke-hoach-tinh-….xlsx) lists every commune-level unit of the
    province in the official list ("UBND xã …", "UBND phường …", "UBND đặc khu …"), each
    assigned every national indicator with its 2030 target. ``province``: accents, case
    and "tỉnh"/"thành phố" optional. ``due``: the units' yearly deadline ("MM-DD"), or
    none (plan check asks for it). An existing plan workbook is never replaced.
    ``InitResult.todo`` says what the officer must still do."""
    from .plan import admin

    p = admin.find_province(province)
    if p is None:
        admin.province_plan(province)          # raises the usage error naming the 34
    office = f"Sở Nội vụ {p.level} {p.short}"
    plan = admin.province_plan(p, start=start, due=due, office=office)
    return _init_with_plan(root, plan, f"ke-hoach-{p.level}-{p.short}", office, email,
                           nested_ok, kind="province")


def init_national(root: str | Path, *, email: str | None = None, due: str | None = None,
                  nested_ok: bool = False, start: int = 2026) -> InitResult:
    """``bdg-excel init DIR --national``: the ministry's workspace, one level above the
    provinces: its plan's units are the People's Committees of the 34 provinces
    ("UBND tỉnh Lai Châu", "UBND thành phố Hà Nội"), each assigned every national
    indicator; a province's consolidated workbook dropped into inbox/ is its return."""
    from .plan import admin

    return _init_with_plan(root, admin.national_plan(start=start, due=due, office="Bộ Nội vụ"),
                           "ke-hoach-toan-quoc", "Bộ Nội vụ", email, nested_ok,
                           kind="national")


def _init_with_plan(root, plan: Plan, name: str, office: str, email, nested_ok,
                    kind: str) -> InitResult:
    from .plan import planbook

    res = init(root, office=office, email=email, nested_ok=nested_ok)
    stem = vn.safe_filename(vn.strip_accents(name).lower().replace(" ", "-"))
    dest = res.workspace.templates / f"{stem}.xlsx"
    existed = dest.exists()
    wanted_due = plan.reports[0].due if plan.reports else None
    if not existed:
        plan.name = dest.stem
        planbook.save_plan(plan, dest)
    else:
        plan = planbook.load_plan(dest)       # kept as the officer left it
    res.plan = dest
    res.todo = _plan_todo(plan, kind, existed)
    if existed and wanted_due and all(r.due != wanted_due for r in plan.reports):
        res.todo.insert(0, f"Tệp kế hoạch {dest.name} đã có nên được giữ nguyên: hạn nộp "
                           "--due không được ghi vào; sửa hạn nộp ở trang Báo cáo.")
    return res


def _plan_todo(plan: Plan, kind: str, existed: bool = False) -> list[str]:
    """What a province's (ministry's) officer must still do in the plan workbook before
    forms are made, in Vietnamese."""
    from .plan import admin, catalog

    out = []
    province = admin.province_of(plan.issuer) if kind == "province" else None
    communes = {admin.admin_key(u.office) for u in province.units} if province else set()
    if province and all(admin.admin_key(u.name) in communes for u in plan.units):
        out.append("Thêm các sở, ban, ngành của tỉnh vào trang Đơn vị và giao chỉ tiêu cho "
                   "từng đơn vị ở trang Phân công (mỗi xã, phường đã được giao mọi chỉ tiêu "
                   "quốc gia).")
    missing = [u.name for u in plan.units if not u.email]
    if missing:
        out.append(f"Ghi địa chỉ thư của {len(missing)} đơn vị vào cột Email, trang Đơn vị "
                   "(để gửi biểu và thư nhắc).")
    if not any(r.due for r in plan.reports):
        out.append("Ghi hạn nộp báo cáo của các đơn vị vào trang Báo cáo (ví dụ 30/11)"
                   + ("." if existed else ", hoặc tạo thư mục làm việc với --due NGÀY/THÁNG."))
    if plan.upward is not None and not plan.upward.due:
        out.append(f"Nếu có hạn gửi báo cáo tổng hợp lên {plan.upward.to or 'cấp trên'}, ghi "
                   "vào dòng báo cáo tổng hợp gửi cấp trên, trang Báo cáo.")
    earlier = [t for t in plan.targets() if catalog.earlier_national_figure(plan, t)]
    if earlier:
        out.append("Dòng " + ", ".join(t.code for t in earlier) + ": Chiến lược chưa có mục "
                   "tiêu năm 2030, kế hoạch tạm dùng mục tiêu năm 2025 của Chiến lược; nếu có "
                   "mục tiêu riêng, ghi vào trang Chỉ tiêu (cột Giá trị, Năm đạt).")
    unset = [t.code for t in plan.targets() if t.op != "qualitative" and t.value is None]
    if unset:
        out.append(f"Dòng {', '.join(unset)} chưa có giá trị mục tiêu: ghi vào trang Chỉ tiêu "
                   "trước khi tạo biểu mẫu.")
    return out


#: 2: the plan classes moved to bdg_excel.plan.model (issue 18), so old pickles name
#: modules that no longer exist; 3: plans carry national codes (a workbook without the
#: column is linked when read), which an older cache of the same workbook lacks
PLAN_CACHE_FORMAT = 3


def load(ws: Workspace, plan_name: str | None = None) -> Plan:
    """The plan workbook of the workspace, read once per content: the parsed plan is kept
    in ``.bdg/`` keyed by the SHA-256 of the workbook's bytes, its file name, the
    bdg-excel version and :data:`PLAN_CACHE_FORMAT` (a plan of 10,000 units takes half a
    second to read, a tenth to unpickle). An edited workbook is read again; a cache that
    cannot be read is ignored and rewritten."""
    path = ws.plan_path(plan_name)
    try:
        data = path.read_bytes()
    except OSError:
        from .plan.planbook import load_plan

        return load_plan(path)   # let the reader report it
    key = (PLAN_CACHE_FORMAT, __version__, path.name, hashlib.sha256(data).hexdigest())
    cache = ws.state_dir / f"plan-{hashlib.sha256(path.name.encode()).hexdigest()[:16]}.pickle"
    try:
        with open(cache, "rb") as fh:
            cached_key, plan = pickle.load(fh)   # our own .bdg/ folder: written below
        if cached_key == key and isinstance(plan, Plan):
            return plan
    except Exception:   # missing, corrupt, from another version: read the workbook
        pass
    from .plan.planbook import load_plan   # not for a cached plan: status starts faster

    plan = load_plan(path)
    tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
    try:
        ws.state_dir.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            pickle.dump((key, plan), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)
    except Exception:   # a cache that cannot be written only costs time
        try:
            tmp.unlink()
        except Exception:
            pass
    return plan


def check_period(plan: Plan, period: str | None, today: date | None = None) -> str:
    """Validate ``--period``: "2026" (annual or one-off), "2026-H1" (six-month) or
    "2026-Q1" … "2026-Q4" (quarterly); without one, the plan's default period on ``today``
    (:meth:`Plan.default_period`)."""
    if period is None:
        return plan.default_period(today)
    p = period.strip().upper()
    m = PERIOD_RE.fullmatch(p)
    if not m:
        raise UsageError(f"Kỳ báo cáo '{period}' không hợp lệ: ghi năm (ví dụ 2026), "
                         "6 tháng đầu năm (ví dụ 2026-H1) hoặc quý (ví dụ 2026-Q3).")
    year = int(m.group(1))
    if plan.period_start and plan.period_end and not (
            plan.period_start <= year <= plan.period_end):
        raise UsageError(f"Năm {year} nằm ngoài thời kỳ của kế hoạch "
                         f"({plan.period_start}–{plan.period_end}).")
    return p


def period_note(plan: Plan, period: str, today: date, *, chosen: bool) -> str:
    """One Vietnamese line saying which period a command works on and where its deadline
    stands on ``today``: "Kỳ báo cáo: năm 2026 (hạn nộp 30/11/2026, đã qua 1 ngày) —
    mặc định; chọn kỳ khác bằng --period."."""
    due = plan.deadline(period)
    where = f"hạn nộp {deadline_state(due, today)}" if due else "kế hoạch chưa có hạn nộp"
    how = "" if chosen else " — kỳ mặc định theo hạn nộp; chọn kỳ khác bằng --period"
    return f"Kỳ báo cáo: {period_label(period)} ({where}){how}."


def generate(ws: Workspace, plan: Plan, period: str, *, units: list[str] | None = None,
             workers: int = 1, progress=None, now: datetime | None = None
             ) -> list[GeneratedForm]:
    from .forms import formtemplate
    from .forms.generate import generate_forms
    from .plan import planbook

    planbook.require_no_errors(plan)
    with ws.lock():
        template = formtemplate.template_path(ws.templates)
        if template is not None:   # the officer's own form template (issue 16)
            return formtemplate.generate_forms(template, plan, ws.forms_folder(period), period,
                                               units=units, workers=workers,
                                               progress=progress,
                                               generated_at=now.astimezone() if now else None)
        return generate_forms(plan, ws.forms_folder(period), period, units=units,
                              workers=workers, progress=progress,
                              generated_at=now.astimezone() if now else None)


def collect_inbox(ws: Workspace, plan: Plan, period: str, *, received_at: datetime | None = None,
                  workers: int | None = None, progress=None,
                  now: datetime | None = None) -> CollectResult:
    """``now``: when the run happens (the archive folder's day, the ledger's collected-at
    time, the day feedback texts are written for)."""
    from .intake.collect import collect

    with ws.lock():
        return collect(ws, plan, period=period, received_at=received_at, workers=workers,
                       progress=progress, now=now)


@dataclass
class ConsolidateResult:
    collected: CollectResult
    consolidation: Consolidation
    path: Path
    held: Path | None = None      # the usual workbook, open in Excel: not overwritten


def consolidate_workspace(ws: Workspace, plan: Plan, period: str, *,
                          received_at: datetime | None = None, workers: int | None = None,
                          progress=None, now: datetime | None = None) -> ConsolidateResult:
    from .intake.collect import collect
    from .report.consolidate import consolidate
    from .report.workbook import internal_path, report_path, write_report

    with ws.lock():
        collected = collect(ws, plan, period=period, received_at=received_at,
                            workers=workers, progress=progress, now=now)
        c = consolidate(ws, plan, period, now=now)
        from .report.summarytemplate import template_path  # templates/tong-hop.xlsx (issue 16)
        options = {"config": ws.config(), "summary_template": template_path(ws.templates)}
        path = report_path(ws, c)
        held = next((p for p in (path, internal_path(path)) if open_elsewhere(p)), None)
        try:
            try:
                path = write_report(c, _beside(path) if held else path, **options)
            except OutputLocked:   # Windows refused to replace it: open without a lock file
                held = path
                path = write_report(c, _beside(path), **options)
        except OSError as exc:
            raise output_fault(path, exc) from exc
        except Exception as exc:  # xlsxwriter wraps what the file system said
            cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else None
            if cause is None:
                raise
            raise output_fault(path, cause) from exc
    return ConsolidateResult(collected, c, path, held)


def _beside(path: Path) -> Path:
    """"name (2).xlsx" … where neither it nor its internal workbook exists yet."""
    from .report.workbook import internal_path

    n = 2
    while True:
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
        if not candidate.exists() and not internal_path(candidate).exists():
            return candidate
        n += 1


def output_fault(path: Path, exc: OSError) -> WorkspaceError:
    """The consolidated workbook could not be written: the returns are recorded all the
    same; say why, in the officer's words."""
    from .intake.collect import DISK_FULL, disk_full_message, reason

    if exc.errno in DISK_FULL:
        return WorkspaceError(disk_full_message(path.parent, exc) + " Các tệp trong inbox/ "
                              "đã được ghi sổ và lưu trữ; chỉ bảng tổng hợp chưa được ghi.")
    return WorkspaceError(
        f"Không ghi được bảng tổng hợp {path} ({reason(exc)}). Các tệp trong inbox/ đã được "
        "ghi sổ và lưu trữ; kiểm tra quyền ghi vào thư mục outbox/ rồi chạy lại lệnh.")


@dataclass
class StatusLine:
    unit: str
    state: str              # not_sent | sent | received | accepted | needs_fixes | late | missing
    label: str              # Vietnamese
    received_at: str | None = None
    days_left: int | None = None   # not received yet, deadline ahead (0 = due today)
    days_late: int | None = None   # received after the deadline, or still missing past it
    detail: str = ""
    email: str | None = None
    sent_at: str | None = None     # last time the form was e-mailed (not dry runs)
    reminded_at: str | None = None
    deadline: date | None = None


STATE_LABELS = {"not_sent": "Chưa gửi biểu", "sent": "Đã gửi biểu, chờ báo cáo",
                "received": "Đã nhận, chưa kiểm tra", "accepted": "Đã chấp nhận",
                "needs_fixes": "Cần sửa", "late": "Nộp trễ", "missing": "Chưa nộp (quá hạn)"}


def status(ws: Workspace, plan: Plan, period: str, *, today: date | None = None) -> list[StatusLine]:
    """One line per unit for ``bdg-excel status``: not sent / sent / received (fetched into
    inbox/, not collected yet) / accepted / needs fixes / late / missing, with the days
    left before the deadline or the days late."""
    from .intake.ledger import Ledger
    from .report.consolidate import consolidate

    if today is None:
        today = clock.today()
    c = consolidate(ws, plan, period)
    with Ledger(ws.ledger_path) as led:
        reminded = {r["unit_key"]: r["sent_at"] for r in led.sends(plan.identity(), period)
                    if r["kind"] == "remind" and not r["dry_run"]}
        waiting = [m for m in led.mail_files() if (ws.inbox / m["name"]).is_file()]
    by_address = {}
    if waiting:             # fetched mail not collected yet: whose is it (by address)
        from .mail.settings import unit_addresses

        by_address = {a.lower(): u.key for u in plan.units for a in unit_addresses(u)}
    in_inbox: dict[str, dict] = {}
    for m in waiting:
        key = by_address.get((m["sender"] or "").lower())
        if key:
            in_inbox.setdefault(key, m)
    lines = []
    for s in c.submissions:
        ln = StatusLine(s.unit.name, "", "", email=s.unit.email, sent_at=s.sent_at,
                        reminded_at=reminded.get(s.unit.key), deadline=s.deadline)
        notes = []
        if s.record is not None:
            ln.received_at = s.record.received_at
            late = s.days_late or 0
            ln.days_late = late or None
            if s.status == "needs_fixes":
                ln.state = "needs_fixes"
                notes.append("cần sửa và gửi lại")
                if late:
                    notes.append(f"nộp trễ {late} ngày")
            elif late:
                ln.state = "late"
                notes.append(f"nộp trễ {late} ngày")
            else:
                ln.state = "accepted"
                if s.deadline:
                    notes.append("đúng hạn")
        elif s.unit.key in in_inbox:
            m = in_inbox[s.unit.key]
            ln.state, ln.received_at = "received", m["received_at"]
            if s.deadline:
                late = (datetime.fromisoformat(m["received_at"]).date() - s.deadline).days
                ln.days_late = late if late > 0 else None
                if late > 0:
                    notes.append(f"trễ {late} ngày")
            notes.append(f"tệp {m['name']} trong inbox/ chưa được kiểm tra: chạy bdg-excel collect")
        else:
            overdue = s.days_overdue(today)
            if overdue is not None and overdue > 0:
                ln.state, ln.days_late = "missing", overdue
                notes.append(f"quá hạn {overdue} ngày")
                if not s.sent_at:
                    notes.append("chưa gửi biểu qua thư")
            else:
                ln.state = "sent" if s.sent_at else "not_sent"
                if overdue is None:
                    notes.append("kế hoạch chưa có hạn nộp")
                else:
                    ln.days_left = -overdue
                    notes.append(f"còn {-overdue} ngày" if overdue else "hạn nộp là hôm nay")
        if ln.reminded_at and ln.state in ("missing", "needs_fixes", "sent", "not_sent"):
            notes.append(f"đã nhắc ngày {ln.reminded_at[8:10]}/{ln.reminded_at[5:7]}")
        ln.label = STATE_LABELS[ln.state]
        ln.detail = "; ".join(notes)
        lines.append(ln)
    return lines


@dataclass
class Accepted:
    name: str            # the file as received
    unit: str            # the unit its figures now count for
    status: str          # accepted | needs_fixes
    findings: list


def accept_return(ws: Workspace, plan: Plan, name: str, unit_name: str, *,
                  now: datetime | None = None) -> Accepted:
    """``bdg-excel accept FILE --unit NAME``: the officer's decision on a held return
    (finding ``unit_mismatch``: its file name or sender points to another unit than the
    form it carries). The archived file is checked again as the return of ``unit_name``
    and recorded for it; the held record gives way to the decided one."""
    from .intake import ledger as lg
    from .intake.collect import _identity
    from .intake.returns import read_return
    from .intake.validate import check_return
    from .core import vn
    from .plan import planbook

    unit = plan.unit(unit_name)
    if unit is None:
        close = planbook.closest_unit(unit_name, [u.name for u in plan.units])
        raise UsageError(f"Đơn vị “{unit_name}” không có trong kế hoạch."
                         + (f" Có phải là “{close}”?" if close else ""))
    wanted = vn.nfc(Path(name).name)
    with ws.lock(), lg.Ledger(ws.ledger_path) as led:
        held = [r for r in led.files(plan.identity()) if r.status == lg.REJECTED and
                wanted in (r.original_name, Path(r.archive_path or "").name) and
                any(f.code == "unit_mismatch" for f in led.findings(r.id))]
        if not held:
            raise UsageError(f"Không có tệp “{wanted}” nào đang chờ quyết định (cảnh báo "
                             "“biểu mẫu của đơn vị khác”). Xem tên tệp trong trang Lỗi và cảnh "
                             "báo của bảng tổng hợp.")
        rec = held[-1]
        path = ws.root / rec.archive_path
        chk = check_return(read_return(path, name=rec.original_name), plan,
                           period=rec.period, sender=rec.sender, decided_unit=unit)
        stamp = (now or clock.now()).replace(microsecond=0).isoformat()
        row = {"sha256": rec.sha256, "original_name": rec.original_name, "size": rec.size,
               "received_at": rec.received_at, "collected_at": stamp,
               "archive_path": rec.archive_path, "sender": rec.sender,
               **_identity(plan, chk), "status": chk.status, "kind": rec.kind,
               "feedback": None}
        with led.transaction():
            new_id = led.add_file(row, chk.findings, [v.to_row() for v in chk.values],
                                  chk.tasks)
            led.mark_duplicate(rec.id, new_id)
            led.resolve_all(plan.identity())
        status = led.statuses([new_id])[new_id]
    return Accepted(rec.original_name, unit.name, status, chk.findings)


def send_forms(ws: Workspace, plan: Plan, period: str, **options):
    """``bdg-excel send``: see :func:`bdg_excel.mail.send_forms`."""
    from . import mail
    from .plan import planbook

    planbook.require_no_errors(plan)
    with ws.lock():
        return mail.send_forms(ws, plan, period, **options)


def send_reminders(ws: Workspace, plan: Plan, period: str, **options):
    """``bdg-excel remind``: see :func:`bdg_excel.mail.send_reminders`."""
    from . import mail
    from .plan import planbook

    planbook.require_no_errors(plan)   # a reminder may attach a form
    with ws.lock():
        return mail.send_reminders(ws, plan, period, **options)


def fetch_mail(ws: Workspace, settings, **options):
    """``bdg-excel fetch``: see :func:`bdg_excel.mail.fetch`."""
    from . import mail

    with ws.lock():
        return mail.fetch(ws, settings, **options)


def export(ws: Workspace, plan: Plan, period: str, fmt: str, out: Path | None = None, *,
           tasks: bool = False) -> str:
    """The tidy data (CONTRACT section 5); with ``tasks``, the task statuses instead."""
    from .report.consolidate import consolidate
    from .report.export import to_csv, to_json

    if fmt not in ("csv", "json"):
        raise UsageError("Định dạng phải là csv hoặc json.")
    c = consolidate(ws, plan, period)
    text = to_csv(c, tasks) if fmt == "csv" else to_json(c, tasks)
    if out is not None:
        with atomic_output(Path(out)) as tmp:
            tmp.write_text(text, encoding="utf-8", newline="")
    return text


def draft_report(ws: Workspace, plan: Plan, period: str, out: Path | None = None, *,
                 now: datetime | None = None) -> Path:
    """The draft of the office's narrative report (CONTRACT section 1, ``report --draft``)
    from the returns recorded in the ledger (``consolidate`` records new ones); default
    ``outbox/Du-thao-bao-cao_<plan>_<period>.docx``. A draft already there is never
    overwritten (the officer may have edited it): the default name gets "-2", "-3" …; a
    file named with ``out`` that exists is refused."""
    from .report.consolidate import consolidate
    from .report.draft import draft_name, write_draft
    from .report.workbook import report_path

    c = consolidate(ws, plan, period, now=now)
    if out is not None:
        path = Path(out)
        if path.suffix.lower() != ".docx":
            raise UsageError(f"Tệp dự thảo phải có đuôi .docx: {path}")
        if path.exists():
            raise UsageError(f"Tệp {path} đã có; không ghi đè. Xóa hoặc đổi tên tệp đó, "
                             f"hoặc ghi ra tệp khác bằng -o TỆP.")
    else:
        first = ws.outbox / draft_name(c)
        path = next(p for p in (first.with_stem(f"{first.stem}-{k}") if k > 1 else first
                                for k in range(1, 10000)) if not p.exists())
    try:
        return write_draft(c, path, config=ws.config(), annex=report_path(ws, c).name)
    except OSError as exc:
        raise output_fault(path, exc) from exc


__all__ = ["init", "InitResult", "init_workspace", "load", "check_period", "generate", "collect_inbox",
           "consolidate_workspace", "status", "export", "StatusLine", "ConsolidateResult",
           "send_forms", "send_reminders", "fetch_mail", "draft_report"]
