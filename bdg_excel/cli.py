"""The bdg-excel command: parses arguments, calls one library function, renders the result.

One error boundary (:func:`main`) turns library errors into a Vietnamese message and an
exit code: 0 the command did its job, 1 it could not, 2 wrong usage.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from . import click_vi

click_vi.install()      # before any click type is made: click's own messages in Vietnamese

from . import __version__, workflow  # noqa: E402
from .core import clock  # noqa: E402
from .core.errors import BdgError, PlanHasErrors, UsageError  # noqa: E402
from .core.findings import ERROR, SEVERITY_LABELS  # noqa: E402
from .core.workspace import Workspace  # noqa: E402
from .intake.ledger import STATUS_LABELS  # noqa: E402
from .plan.model import period_label  # noqa: E402

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# -- output helpers ----------------------------------------------------------------------
def _console():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def echo(text: str = "") -> None:
    click.echo(text)


@contextmanager
def progress_bar(label: str, quiet: bool = False):
    """A rich progress bar on a terminal; silent when output is piped or --quiet."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


# -- shared options ----------------------------------------------------------------------
def workspace_option(f):
    @click.option("-w", "--workspace", "workspace", default=".",
                  type=click.Path(file_okay=False, path_type=Path),
                  help="Thư mục làm việc (chứa templates/, inbox/, outbox/). Mặc định: thư "
                       "mục hiện tại, hoặc thư mục cha gần nhất là thư mục làm việc.")
    @functools.wraps(f)
    def wrapper(*args, workspace, **kwargs):
        return f(*args, ws=Workspace.open(workspace), **kwargs)
    return wrapper


def plan_option(f):
    @click.option("--plan", "plan_name", default=None, metavar="TÊN",
                  help="Tên kế hoạch trong templates/ (tên tệp không có .xlsx), khi có nhiều kế hoạch.")
    @functools.wraps(f)
    def wrapper(*args, ws, plan_name, **kwargs):
        return f(*args, ws=ws, plan=workflow.load(ws, plan_name), **kwargs)
    return wrapper


def period_option(f):
    @click.option("--period", default=None, metavar="KỲ",
                  help="Kỳ báo cáo: năm (2026), 6 tháng đầu năm (2026-H1) hoặc quý (2026-Q3). "
                       "Mặc định: kỳ có hạn nộp gần nhất đã đến hoặc sắp đến.")
    @functools.wraps(f)
    def wrapper(*args, plan, period, **kwargs):
        click.get_current_context().meta["bdg_period_chosen"] = period is not None
        return f(*args, plan=plan, period=workflow.check_period(plan, period, clock.today()),
                 **kwargs)
    return wrapper


def _period_note(plan, period, today) -> str:
    chosen = click.get_current_context().meta.get("bdg_period_chosen", True)
    return workflow.period_note(plan, period, today, chosen=chosen)


def received_option(f):
    return click.option(
        "--received-at", type=click.DateTime(["%d/%m/%Y", "%Y-%m-%d", "%d/%m/%Y %H:%M",
                                              "%Y-%m-%dT%H:%M:%S"]), default=None,
        help="Thời điểm nhận các tệp (dd/mm/yyyy); mặc định là thời gian của tệp.")(f)


def quiet_option(f):
    return click.option("-q", "--quiet", is_flag=True, help="Không hiện thanh tiến trình.")(f)


def workers_option(f):
    return click.option("--workers", type=click.IntRange(1, 64), default=None,
                        help="Số tiến trình song song (mặc định: số lõi CPU).")(f)


# -- the group ---------------------------------------------------------------------------
@click.group(cls=click_vi.VnGroup, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="bdg-excel")
def cli():
    """bdg-excel: kỳ báo cáo thực hiện Chiến lược quốc gia về bình đẳng giới.

    Đọc kế hoạch, tạo biểu mẫu cho từng đơn vị, thu nhận và kiểm tra các biểu đã điền,
    tổng hợp thành một bảng tính gửi Sở Nội vụ.
    """


@cli.command("init", context_settings=CONTEXT)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--example", default=None, metavar="TÊN",
              help="Chép kế hoạch mẫu vào templates/: binh-lu, tam-duong hoặc lai-chau-vp.")
@click.option("--office", default=None, metavar="TÊN",
              help="Tên cơ quan đầu mối, ghi vào bdg-excel.toml (ký tên cuối thư).")
@click.option("--email", default=None, metavar="ĐỊA_CHỈ",
              help="Địa chỉ thư của cơ quan (người gửi biểu, nơi đơn vị trả lời), ghi vào "
                   "bdg-excel.toml.")
@click.option("--province", default=None, metavar="TỈNH",
              help="Thư mục làm việc của tỉnh (Sở Nội vụ): kế hoạch liệt kê mọi xã, phường, "
                   "đặc khu của tỉnh theo danh mục hiện hành, mỗi đơn vị báo cáo mọi chỉ tiêu "
                   "quốc gia. Ví dụ: --province \"Lai Châu\" (không dấu cũng được).")
@click.option("--national", is_flag=True, default=False,
              help="Thư mục làm việc của Bộ Nội vụ: kế hoạch liệt kê 34 tỉnh, thành phố; "
                   "tổng hợp các bảng tổng hợp của tỉnh.")
@click.option("--due", default=None, metavar="NGÀY/THÁNG",
              help="Cùng --province hoặc --national: hạn nộp báo cáo hằng năm của các đơn "
                   "vị, ví dụ --due 30/11.")
def init_cmd(directory: Path, example: str | None, office: str | None, email: str | None,
             province: str | None, national: bool, due: str | None):
    """Tạo thư mục làm việc (templates/, inbox/, outbox/) và tệp cấu hình bdg-excel.toml."""
    if sum(bool(x) for x in (example, province, national)) > 1:
        raise click.UsageError("Chỉ dùng một trong --example, --province, --national.")
    if due is not None:
        if not (province or national):
            raise click.UsageError("--due chỉ dùng cùng --province hoặc --national.")
        due = _yearly_due(due)
    if email is None and _interactive() and not (directory / "bdg-excel.toml").exists():
        email = _ask_office_email()
    if province or national:
        res = (workflow.init_province(directory, province, email=email, due=due) if province
               else workflow.init_national(directory, email=email, due=due))
    else:
        res = workflow.init(directory, example, office=office, email=email)
    ws = res.workspace
    echo(f"Đã tạo thư mục làm việc: {ws.root}")
    if res.plan and (province or national):
        plan = workflow.load(ws, res.plan.stem)
        echo(f"Kế hoạch: {res.plan} ({len(plan.units)} đơn vị, {len(plan.targets())} dòng chỉ "
             "tiêu quốc gia).")
        if res.todo:
            echo("Còn phải làm trong tệp kế hoạch (mở bằng Excel):")
            for line in res.todo:
                echo(f"  - {line}")
    elif res.plan:
        echo(f"Kế hoạch mẫu: {res.plan}")
    if res.config_written:
        echo(f"Tệp cấu hình: {res.config} (mở bằng Notepad; mỗi dòng có lời giải thích)")
    else:
        echo(f"Tệp cấu hình đã có, giữ nguyên: {res.config}")
    if not res.office_email:
        echo("  Chưa có địa chỉ thư của cơ quan: ghi email = \"…\" trong mục [office] của tệp "
             "cấu hình (hoặc chạy lại với --email ĐỊA_CHỈ, hay dùng --from ĐỊA_CHỈ khi gửi).")
    echo("Bước tiếp theo:")
    echo(f"  cd {_shell_path(directory)}")
    if res.plan or ws.plan_names():
        echo("  bdg-excel plan check          rà soát kế hoạch (địa chỉ thư của các đơn vị …)")
        echo("  bdg-excel generate            tạo biểu mẫu cho các đơn vị")
    else:
        echo("  chép tệp kế hoạch (.xlsx) vào templates/, hoặc nhập từ văn bản:")
        echo("  bdg-excel plan import KE-HOACH.docx -o templates/ke-hoach.xlsx")


def _yearly_due(text: str) -> str:
    """"30/11" -> "11-30" (a day that exists in some year), or a usage error."""
    import re
    from datetime import date

    m = re.fullmatch(r"\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*", text)
    try:
        if m is None:
            raise ValueError
        date(2024, int(m[2]), int(m[1]))            # 2024: 29/02 exists
    except ValueError:
        raise click.UsageError(f"Hạn nộp “{text}” không đúng: ghi ngày/tháng, ví dụ "
                               "--due 30/11.") from None
    return f"{int(m[2]):02d}-{int(m[1]):02d}"


def _interactive() -> bool:
    """A person at a terminal (never in a script, a pipe or a test)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _ask_office_email() -> str | None:
    """On a terminal: the office's address for bdg-excel.toml (Enter: later)."""
    from .mail import is_address

    while True:
        text = click.prompt("Địa chỉ thư của cơ quan (người gửi biểu; Enter để ghi sau)",
                            default="", show_default=False).strip()
        if not text or is_address(text):
            return text or None
        echo(f"“{text}” không phải địa chỉ thư (ví dụ: vanhoaxahoi@binhlu.gov.vn).")


def _shell_path(p: Path) -> str:
    text = str(p)
    return f'"{text}"' if any(c in text for c in " &'()") else text


@cli.command("demo", context_settings=CONTEXT)
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--example", default="binh-lu", show_default=True, metavar="TÊN",
              help="Kế hoạch mẫu dùng để chạy thử: binh-lu, tam-duong, lai-chau-vp.")
def demo_cmd(directory: Path | None, example: str):
    """Chạy thử trọn một kỳ báo cáo trên kế hoạch mẫu, với các đơn vị giả lập."""
    from .demo import run_demo

    res = run_demo(directory, example, now=clock.now())
    ws, r = res.workspace, res.result
    echo(f"Thư mục làm việc: {ws.root}")
    echo(f"Kỳ báo cáo: {res.period} — đã tạo {len(res.forms)} biểu mẫu trong {ws.forms_folder(res.period)}")
    if res.mail is not None:
        drafts = [o.eml for o in res.mail.outcomes if o.eml is not None]
        if drafts:
            echo(f"Thư gửi biểu cho các đơn vị (thư nháp, không gửi đi): {len(drafts)} tệp .eml "
                 f"trong {drafts[0].parent}")
    for unit, what in res.story.items():
        echo(f"  - {unit}: {what}")
    _render_collect(r.collected)
    echo(f"Xem tiếp: cd {_shell_path(ws.root)} rồi chạy bdg-excel status, bdg-excel remind "
         "--dry-run; hướng dẫn đầy đủ trong README.md.")
    echo(f"Bảng tổng hợp: {r.path}")      # the last line: where the consolidated workbook is


# -- plan --------------------------------------------------------------------------------
@cli.group("plan", context_settings=CONTEXT)
def plan_group():
    """Kế hoạch: nhập từ văn bản, kiểm tra, xem."""


def _show_findings(path: Path, findings: list, clean: str) -> int | None:
    """Print a checked file's findings and their count; None when there are none."""
    if not findings:
        echo(f"{path.name}: {clean}.")
        return None
    for f in findings:
        echo(str(f))
    n_err = sum(f.severity == ERROR for f in findings)
    echo(f"{path.name}: {n_err} lỗi, {len(findings) - n_err} cảnh báo.")
    return n_err


@plan_group.command("check", context_settings=CONTEXT)
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-w", "--workspace", default=".", type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục làm việc (khi không ghi tệp kế hoạch).")
@click.option("--plan", "plan_name", default=None, metavar="TÊN", help="Tên kế hoạch trong templates/.")
def plan_check_cmd(plan_file: Path | None, workspace: Path, plan_name: str | None):
    """Liệt kê các vấn đề trong tệp kế hoạch."""
    from .plan.planbook import check_plan_file

    path = plan_file or Workspace.open(workspace).plan_path(plan_name)
    findings = check_plan_file(path)
    n_err = _show_findings(path, findings, "không phát hiện vấn đề")
    if n_err is None:
        return
    if n_err:
        echo(f"Bước tiếp theo: mở {path} bằng Excel, sửa các lỗi ở trang và dòng đã ghi, lưu lại "
             "rồi chạy lại bdg-excel plan check.")
        raise click.exceptions.Exit(1)
    echo("Bước tiếp theo: xem lại các cảnh báo (nếu cần thì sửa trong tệp kế hoạch), rồi "
         "bdg-excel generate.")


@plan_group.command("show", context_settings=CONTEXT)
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-w", "--workspace", default=".", type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục làm việc (khi không ghi tệp kế hoạch).")
@click.option("--plan", "plan_name", default=None, metavar="TÊN", help="Tên kế hoạch trong templates/.")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text",
              show_default=True, help="Định dạng in ra.")
def plan_show_cmd(plan_file: Path | None, workspace: Path, plan_name: str | None, fmt: str):
    """In kế hoạch: tóm tắt, hoặc JSON cho phần mềm khác (mô tả trong docs/data-formats.md)."""
    from .plan.planbook import load_plan

    path = plan_file or Workspace.open(workspace).plan_path(plan_name)
    plan = load_plan(path)
    if fmt == "json":
        echo(json.dumps(plan.to_json(), ensure_ascii=False, indent=2))
        return
    _render_plan_summary(plan)


@plan_group.command("import", context_settings=CONTEXT)
@click.argument("document", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Tệp kế hoạch .xlsx sẽ ghi (ví dụ templates/ten-ke-hoach.xlsx).")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text",
              show_default=True, help="json: in kế hoạch dạng JSON thay vì bản tóm tắt.")
@click.option("--force", is_flag=True, help="Ghi đè tệp kế hoạch đã có: tệp cũ được sao lưu "
              "(kèm ngày), email, người liên hệ và phân công đã nhập tay được giữ lại.")
@quiet_option
def plan_import_cmd(document: Path, output: Path | None, fmt: str, force: bool, quiet: bool):
    """Đọc văn bản kế hoạch (.docx, .doc, .pdf có lớp chữ, .txt) hoặc kế hoạch dạng JSON (.json) thành tệp kế hoạch Excel."""
    from .core import clock
    from .plan import catalog
    from .plan.importer import import_plan, plan_import_summary
    from .plan.importer.reimport import reimport
    from .plan.planbook import save_plan

    if output is None and fmt != "json":
        raise click.UsageError("Cần ghi tệp kết quả bằng -o TỆP.xlsx (hoặc dùng --format json).")
    if output is not None and output.suffix.lower() != ".xlsx":
        raise click.UsageError("Tệp kết quả phải có đuôi .xlsx.")
    if output is not None and output.exists() and not force:
        raise UsageError(f"Tệp {output} đã có; có thể trong đó đã nhập tay email, người liên hệ "
                         f"hoặc phân công. Không ghi đè. Để nhập lại và giữ các phần đó, chạy "
                         f"lại với --force (tệp cũ được sao lưu kèm ngày), hoặc ghi ra tệp khác "
                         f"bằng -o.")
    with progress_bar("Đọc văn bản kế hoạch", quiet) as bar:
        if bar:
            bar(0, 1)
        result = import_plan(document)
        if bar:
            bar(1, 1)
    carried = None
    if output is not None:
        result.plan.name = output.stem
        if output.exists():
            carried = reimport(result.plan, output, today=clock.today())
        else:
            save_plan(result.plan, output)
        if result.paragraphs:   # the page's review shows each sentence in its place
            from .plan.source_text import save_text
            save_text(output, result.paragraphs)
    if fmt == "json":
        echo(json.dumps(result.plan.to_json(), ensure_ascii=False, indent=2))
        return
    for line in plan_import_summary(result):
        echo(line)
    echo(catalog.summary(result.plan))
    if carried is not None:
        for line in _carry_over_lines(carried):
            echo(line)
    echo(f"Đã ghi tệp kế hoạch: {output}. Rà soát bằng Excel (trang Rà soát) hoặc trên trang "
         f"web (bdg-excel serve, trang Kế hoạch: từng mục cạnh câu của nó trong văn bản, sửa "
         f"và lưu ngay), rồi chạy: bdg-excel plan check {output}")


def _carry_over_lines(c) -> list[str]:
    out = [f"Đã sao lưu tệp kế hoạch cũ: {c.backup}"]
    if c.unreadable:
        out.append(f"Không đọc được tệp cũ nên không giữ lại được gì ({c.unreadable}); "
                   f"mọi thứ vẫn còn trong bản sao lưu.")
        return out
    if c.contacts:
        out.append("Giữ lại email/người liên hệ của: " + ", ".join(c.contacts) + ".")
    if c.assignments:
        out.append("Giữ lại phân công đã nhập tay: "
                   + "; ".join(f"{u} – {code}" for u, code in c.assignments) + ".")
    if c.lost_units:
        out.append("Đơn vị không còn trong kế hoạch mới (thông tin vẫn ở bản sao lưu): "
                   + ", ".join(c.lost_units) + ".")
    if c.lost_assignments:
        out.append("Phân công chỉ tiêu không còn trong kế hoạch mới (bỏ): "
                   + "; ".join(f"{u} – {code}" for u, code in c.lost_assignments) + ".")
    if c.national:
        out.append("Giữ lại mã quốc gia đã sửa tay (cột Mã quốc gia): " + "; ".join(
            f"{code} – {nat or 'chỉ tiêu riêng (để trống)'}" for code, nat in c.national) + ".")
    if c.lost_national:
        out.append("Mã quốc gia đã sửa tay của dòng có nội dung không còn trong văn bản mới "
                   "(xem bản sao lưu, ghi lại nếu cần): " + "; ".join(
                       f"{code} – {nat or 'chỉ tiêu riêng'}" for code, nat in c.lost_national)
                   + ".")
    if not (c.contacts or c.assignments or c.lost_units or c.lost_assignments or c.national):
        out.append("Tệp cũ không có email, người liên hệ, phân công hay mã quốc gia nào cần "
                   "giữ lại.")
    return out


# -- the cycle ---------------------------------------------------------------------------
#: plan warnings that change what the forms say (their deadline): generate shows them in
#: full; the others it counts (plan check lists them)
_FORM_WARNINGS = {"no_reports", "missing_due", "invalid_due", "unknown_kind"}


@cli.command("generate", context_settings=CONTEXT)
@workspace_option
@plan_option
@period_option
@click.option("--unit", "units", multiple=True, metavar="TÊN",
              help="Chỉ tạo biểu cho đơn vị này (có thể ghi nhiều lần).")
@workers_option
@quiet_option
def generate_cmd(ws, plan, period, units, workers, quiet):
    """Tạo biểu mẫu cho từng đơn vị vào outbox/forms/."""
    from .plan.importer import NEEDS_LOOK
    from .plan.planbook import check_plan

    findings = check_plan(plan)
    for f in findings:   # errors stop workflow.generate; deadline warnings change the forms
        if f.severity == ERROR or f.code in _FORM_WARNINGS:
            echo(str(f))
    warnings = [f for f in findings if f.severity != ERROR and f.code not in _FORM_WARNINGS]
    unsure = sum(r.confidence < NEEDS_LOOK for r in plan.review)
    if warnings or unsure:
        parts = ([f"{len(warnings)} cảnh báo khác (xem bằng: bdg-excel plan check)"] if warnings
                 else []) + ([f"{unsure} mục nhập từ văn bản cần xem lại (trang “Rà soát” của "
                              "tệp kế hoạch)"] if unsure else [])
        echo("Kế hoạch còn " + "; ".join(parts) + ".")
    with progress_bar("Tạo biểu mẫu", quiet) as bar:
        forms = workflow.generate(ws, plan, period, units=list(units) or None,
                                  workers=workers or 1, progress=bar, now=clock.now())
    for f in forms:
        parts = []
        if f.n_targets:
            parts.append(f"{f.n_targets} chỉ tiêu")
        if f.n_tasks:
            parts.append(f"{f.n_tasks} nhiệm vụ")
        echo(f"{f.unit}: {f.path.name} ({', '.join(parts) or 'không có nội dung'})")
    if forms:
        echo(f"Đã tạo {len(forms)} biểu mẫu kỳ {period} trong {forms[0].path.parent}")
        echo("Bước tiếp theo: bdg-excel send --dry-run (soạn thư gửi biểu cho từng đơn vị), "
             "rồi bdg-excel send để gửi.")


@cli.command("collect", context_settings=CONTEXT)
@workspace_option
@plan_option
@period_option
@received_option
@workers_option
@quiet_option
def collect_cmd(ws, plan, period, received_at, workers, quiet):
    """Đọc, kiểm tra, ghi sổ và lưu trữ mọi tệp trong inbox/; ghi phản hồi cho đơn vị."""
    with progress_bar("Đọc biểu đã nhận", quiet) as bar:
        res = workflow.collect_inbox(ws, plan, period, received_at=received_at,
                                     workers=workers, progress=bar, now=clock.now())
    _render_collect(res)
    if res.files:
        echo("Bước tiếp theo: bdg-excel consolidate (ghi bảng tổng hợp), bdg-excel status.")


@cli.command("consolidate", context_settings=CONTEXT)
@workspace_option
@plan_option
@period_option
@received_option
@workers_option
@quiet_option
def consolidate_cmd(ws, plan, period, received_at, workers, quiet):
    """Thu nhận inbox/ rồi ghi bảng tổng hợp vào outbox/."""
    now = clock.now()
    echo(_period_note(plan, period, now.date()))
    with progress_bar("Đọc biểu đã nhận", quiet) as bar:
        res = workflow.consolidate_workspace(ws, plan, period, received_at=received_at,
                                             workers=workers, progress=bar, now=now)
    _render_collect(res.collected)
    subs = res.consolidation.submissions
    got = sum(1 for s in subs if s.record)
    label = period_label(period)
    echo(f"Đã nhận {got}/{len(subs)} đơn vị (kỳ {label}).")
    if not got:
        echo(f"Chưa có đơn vị nào nộp báo cáo kỳ {label}: bảng tổng hợp chỉ có khung, "
             "chưa có số liệu.")
    if getattr(res, "held", None):
        echo(f"Bảng tổng hợp {res.held.name} đang được mở (Excel/LibreOffice) nên không bị ghi "
             "đè. Kết quả lần này được ghi vào tệp mới bên cạnh:")
    echo(f"Bảng tổng hợp: {res.path}")
    from .report.workbook import internal_path
    echo(f"Bảng nội bộ (phát hiện, dữ liệu): {internal_path(res.path)}")
    if got < len(subs) or any(s.status == "needs_fixes" for s in subs):
        echo("Bước tiếp theo: bdg-excel status (đơn vị nào chưa nộp, cần sửa), rồi "
             "bdg-excel remind để nhắc; khi nhận thêm tệp, chạy lại bdg-excel consolidate.")
    else:
        echo("Bước tiếp theo: mọi đơn vị đã nộp — gửi bảng tổng hợp trên lên cấp trên.")


@cli.command("accept", context_settings=CONTEXT)
@click.argument("file_name", metavar="TỆP")
@click.option("--unit", "unit_name", required=True, metavar="TÊN",
              help="Đơn vị mà số liệu của tệp được tính cho.")
@workspace_option
@plan_option
def accept_cmd(ws, plan, file_name, unit_name):
    """Quyết định cho một tệp đang chờ (biểu mẫu của đơn vị khác): nhận số liệu cho đơn vị
    TÊN."""
    res = workflow.accept_return(ws, plan, file_name, unit_name, now=clock.now())
    label = {"accepted": "đã chấp nhận", "needs_fixes": "cần sửa"}.get(res.status, res.status)
    echo(f"{res.name}: số liệu được nhận cho {res.unit} ({label}).")
    for f in res.findings:
        if f.severity != "info":
            echo(str(f))
    echo("Chạy bdg-excel consolidate để cập nhật bảng tổng hợp.")


@cli.command("status", context_settings=CONTEXT)
@workspace_option
@plan_option
@period_option
def status_cmd(ws, plan, period):
    """Mỗi đơn vị một dòng: chưa gửi / đã gửi / đã nhận / đã chấp nhận / cần sửa / trễ /
    chưa nộp, với số ngày còn lại hoặc số ngày trễ."""
    today = clock.today()
    lines = workflow.status(ws, plan, period, today=today)
    note = _period_note(plan, period, today)
    if sys.stdout.isatty():
        from rich.table import Table

        due = plan.deadline(period)
        title = f"Tình hình báo cáo kỳ {period}" + (f" — hạn {due:%d/%m/%Y}" if due else "")
        echo(note)
        table = Table(title=title)
        for col in ("Đơn vị", "Tình trạng", "Gửi biểu", "Ngày nhận", "Còn / trễ", "Ghi chú"):
            table.add_column(col)
        style = {"accepted": "green", "late": "yellow", "needs_fixes": "yellow",
                 "missing": "bold red", "received": "cyan"}
        for ln in lines:
            days = (f"còn {ln.days_left} ngày" if ln.days_left is not None else
                    f"trễ {ln.days_late} ngày" if ln.days_late else "")
            table.add_row(ln.unit, ln.label, _dmy(ln.sent_at), _dmy(ln.received_at), days,
                          ln.detail, style=style.get(ln.state))
        _console().print(table)
        counts: dict[str, int] = {}
        for ln in lines:
            counts[ln.label] = counts.get(ln.label, 0) + 1
        echo("Tổng: " + ", ".join(f"{k} {n}" for k, n in counts.items()))
    else:
        click.echo(note, err=True)   # stdout stays one line per unit (CONTRACT section 1)
        for ln in lines:
            parts = [ln.unit, ln.label]
            if ln.sent_at:
                parts.append(f"gửi biểu {_dmy(ln.sent_at)}")
            if ln.received_at:
                parts.append(f"nhận {_dmy(ln.received_at)}")
            if ln.detail:
                parts.append(ln.detail)
            echo(" | ".join(parts))


def _dmy(iso: str | None) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}" if iso and len(iso) >= 10 else ""


def smtp_options(f):
    """--smtp-host/--smtp-port/--smtp-user/--starttls/--ssl/--plain, --dry-run, --test-to."""
    options = [
        click.option("--smtp-host", default=None, metavar="MÁY_CHỦ",
                     help="Máy chủ gửi thư (SMTP). Mặc định: host trong mục [smtp] của "
                          "bdg-excel.toml."),
        click.option("--smtp-port", type=click.IntRange(1, 65535), default=None, metavar="CỔNG",
                     help="Cổng SMTP (mặc định 587 với --starttls, 465 với --ssl)."),
        click.option("--smtp-user", default=None, metavar="TÊN",
                     help="Tài khoản đăng nhập; mật khẩu lấy từ biến môi trường "
                          "BDG_SMTP_PASSWORD."),
        click.option("--starttls", "security", flag_value="starttls", default=None,
                     help="Kết nối thường rồi mã hóa bằng STARTTLS (mặc định)."),
        click.option("--ssl", "security", flag_value="ssl", help="Kết nối mã hóa SSL/TLS ngay."),
        click.option("--plain", "security", flag_value="none",
                     help="Không mã hóa (chỉ cho máy chủ nội bộ)."),
        click.option("--from", "sender", default=None, metavar="ĐỊA_CHỈ",
                     help="Địa chỉ người gửi. Mặc định: email trong mục [office] của "
                          "bdg-excel.toml."),
        click.option("--dry-run", is_flag=True,
                     help="Không gửi: ghi các thư thành tệp .eml vào outbox/mail/."),
        click.option("--test-to", default=None, metavar="ĐỊA_CHỈ",
                     help="Gửi mọi thư đến địa chỉ này thay cho đơn vị (để kiểm tra trước)."),
        click.option("--unit", "units", multiple=True, metavar="TÊN",
                     help="Chỉ gửi cho đơn vị này (có thể ghi nhiều lần)."),
        click.option("--due", type=click.DateTime(["%d/%m/%Y", "%Y-%m-%d"]), default=None,
                     metavar="NGÀY/THÁNG/NĂM",
                     help="Hạn mới ghi trong thư khi hạn nộp của kế hoạch đã qua (mặc định: "
                          "đề nghị gửi ngay)."),
    ]
    for opt in reversed(options):
        f = opt(f)
    return f


def _mail_options(ws, smtp_host, smtp_port, smtp_user, security, sender, dry_run, test_to,
                  units, due):
    from . import mail

    config = ws.config()
    settings = None
    if not dry_run:
        settings = mail.smtp_settings(config, host=smtp_host, port=smtp_port, user=smtp_user,
                                      security=security)
    if test_to and not mail.is_address(test_to):
        raise click.BadParameter(f"“{test_to}” không phải địa chỉ thư.", param_hint="--test-to")
    return {"settings": settings, "dry_run": dry_run, "test_to": test_to,
            "units": list(units) or None, "config": config, "sender": sender,
            "new_due": due.date() if due else None, "now": clock.now()}


@cli.command("send", context_settings=CONTEXT)
@workspace_option
@plan_option
@period_option
@smtp_options
@quiet_option
def send_cmd(ws, plan, period, smtp_host, smtp_port, smtp_user, security, sender, dry_run,
             test_to, units, due, quiet):
    """Gửi thư điện tử cho từng đơn vị kèm biểu mẫu của đơn vị (tạo biểu nếu chưa có)."""
    _mailing(workflow.send_forms, "Gửi thư", ws, plan, period, quiet, smtp_host, smtp_port,
             smtp_user, security, sender, dry_run, test_to, units, due)


@cli.command("remind", context_settings=CONTEXT)
@workspace_option
@plan_option
@period_option
@smtp_options
@quiet_option
def remind_cmd(ws, plan, period, smtp_host, smtp_port, smtp_user, security, sender, dry_run,
               test_to, units, due, quiet):
    """Nhắc các đơn vị chưa nộp báo cáo hoặc có báo cáo cần sửa (kèm tệp phản hồi)."""
    _mailing(workflow.send_reminders, "Gửi thư nhắc", ws, plan, period, quiet, smtp_host,
             smtp_port, smtp_user, security, sender, dry_run, test_to, units, due)


def _mailing(send, label, ws, plan, period, quiet, *mail_args) -> None:
    """send/remind: the same settings, progress bar and rendering around one library call."""
    opts = _mail_options(ws, *mail_args)
    echo(_period_note(plan, period, opts["now"].date()))
    with progress_bar(label, quiet) as bar:
        res = send(ws, plan, period, progress=bar, **opts)
    _render_mail(res, ws)


@cli.command("fetch", context_settings=CONTEXT)
@workspace_option
@click.option("--imap-host", default=None, metavar="MÁY_CHỦ",
              help="Máy chủ hộp thư (IMAP). Mặc định: host trong mục [imap] của bdg-excel.toml.")
@click.option("--imap-port", type=click.IntRange(1, 65535), default=None, metavar="CỔNG",
              help="Cổng IMAP (mặc định 993 với --ssl, 143 với --starttls).")
@click.option("--imap-user", default=None, metavar="TÊN",
              help="Tài khoản hộp thư; mật khẩu lấy từ biến môi trường BDG_IMAP_PASSWORD.")
@click.option("--ssl", "security", flag_value="ssl", default=None,
              help="Kết nối mã hóa SSL/TLS ngay (IMAPS).")
@click.option("--starttls", "security", flag_value="starttls",
              help="Kết nối thường rồi mã hóa bằng STARTTLS (mặc định).")
@click.option("--plain", "security", flag_value="none",
              help="Không mã hóa (chỉ cho máy chủ nội bộ).")
@click.option("--folder", default=None, metavar="THƯ_MỤC",
              help="Thư mục trong hộp thư (mặc định INBOX).")
@click.option("--since", type=click.DateTime(["%d/%m/%Y", "%Y-%m-%d"]), default=None,
              metavar="dd/mm/yyyy", help="Chỉ xem thư nhận từ ngày này.")
@click.option("--mark-seen", is_flag=True, help="Đánh dấu các thư đã tải là đã đọc.")
@quiet_option
def fetch_cmd(ws, imap_host, imap_port, imap_user, security, folder, since, mark_seen, quiet):
    """Tải các tệp Excel đính kèm trong hộp thư về inbox/ (mỗi thư chỉ tải một lần)."""
    from . import mail

    config = ws.config()
    settings = mail.imap_settings(config, host=imap_host, port=imap_port, user=imap_user,
                                  security=security)
    folder = folder or (config.get("imap") or {}).get("folder") or "INBOX"
    with progress_bar("Tải thư", quiet) as bar:
        res = workflow.fetch_mail(ws, settings, folder=folder,
                                  since=since.date() if since else None, mark_seen=mark_seen,
                                  now=clock.now(), progress=bar)
    for m in res.messages:
        who = m.sender or "không rõ người gửi"
        when = f", {m.time.astimezone():%d/%m/%Y %H:%M}" if m.time else ""
        head = f"Thư của {who}{when} “{m.subject}”"
        if m.files:
            echo(f"{head}: {', '.join(p.name for p in m.files)}")
        else:
            echo(f"{head}: không có tệp Excel đính kèm, bỏ qua.")
        if m.ignored:
            echo(f"    Không tải (không phải bảng tính): {', '.join(m.ignored)}")
    echo(f"Thư mục {res.folder}: {len(res.messages)} thư mới, {len(res.files)} tệp đã lưu vào "
         f"{ws.inbox}; {res.already} thư đã tải trước đây.")
    if res.files:
        echo("Bước tiếp theo: bdg-excel consolidate (kiểm tra, ghi sổ và ghi bảng tổng hợp)")
    else:
        echo("Chưa có tệp mới. Xem đơn vị nào chưa nộp: bdg-excel status")


@cli.command("catalog", context_settings=CONTEXT)
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text",
              show_default=True, help="text: danh sách dễ đọc; json: cho phần mềm khác.")
def catalog_cmd(fmt: str):
    """In danh mục chỉ tiêu quốc gia (mã QG-4.1, QG-3.2a…) của Chiến lược quốc gia về bình
    đẳng giới: nội dung, đơn vị tính, chỉ tiêu năm 2025 và 2030, cách các kế hoạch thường ghi."""
    from .plan import catalog

    cat = catalog.load()
    if fmt == "json":
        echo(json.dumps(cat.to_json(), ensure_ascii=False, indent=2))
        return
    for line in catalog.describe(cat):
        echo(line)


@cli.command("export", context_settings=CONTEXT)
@workspace_option
@plan_option
@period_option
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), required=True,
              help="csv hoặc json.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Ghi ra tệp thay vì in ra màn hình.")
@click.option("--tasks", is_flag=True,
              help="Xuất tình trạng nhiệm vụ (một dòng cho mỗi đơn vị × nhiệm vụ).")
def export_cmd(ws, plan, period, fmt, output, tasks):
    """Xuất dữ liệu dạng bảng (một dòng cho mỗi đơn vị × chỉ tiêu; với --tasks: mỗi đơn vị
    × nhiệm vụ)."""
    text = workflow.export(ws, plan, period, fmt, output, tasks=tasks)
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        echo(f"Đã ghi {output}")


@cli.command("serve", context_settings=CONTEXT)
@workspace_option
@click.option("--plan", "plan_name", default=None, metavar="TÊN",
              help="Tên kế hoạch trong templates/ (tên tệp không có .xlsx), khi có nhiều kế hoạch.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Cổng trên máy này (127.0.0.1); 0: chọn một cổng còn trống.")
@click.option("--no-browser", is_flag=True, help="Không tự mở trình duyệt.")
def serve_cmd(ws, plan_name, port, no_browser):
    """Mở trang web trên máy này (127.0.0.1) để làm trọn kỳ báo cáo không cần dòng lệnh."""
    from .web import serve

    ws.plan_path(plan_name)   # a workspace without its plan fails here, not in the page

    def ready(url: str) -> None:
        echo(f"Trang bdg-excel: {url}")
        echo("Nhấn Ctrl+C để dừng.")

    serve(ws.root, plan_name, port=port, open_browser=not no_browser, ready=ready)


# -- rendering ---------------------------------------------------------------------------
def _render_collect(res) -> None:
    for f in res.skipped:
        echo(f"Bỏ qua {f.file}: {f.message}")
    for f in getattr(res, "notes", ()):
        echo(f"Lưu ý: {f.message}")
    for unit, path in getattr(res, "signed", []):
        echo(f"Bản có chữ ký{f' của {unit}' if unit else ''}: đã lưu {path.name} vào "
             f"{path.parent}")
    if not res.files:
        echo("Không có tệp mới trong inbox/.")
        return
    for cf in res.files:
        who = f" ({cf.unit})" if cf.unit else ""
        echo(f"{cf.name}{who}: {STATUS_LABELS.get(cf.status, cf.status)}")
        for f in cf.findings:
            if f.severity in (ERROR, "warning"):
                loc = ", ".join(x for x in (f.sheet and f"trang {f.sheet}", f.cell and f"ô {f.cell}",
                                            f.target and f"mã {f.target}") if x)
                echo(f"    {SEVERITY_LABELS[f.severity]}{' [' + loc + ']' if loc else ''}: {f.message}")
        for p in cf.feedback:
            echo(f"    Phản hồi: {p}")
    counts = {s: res.count(s) for s in STATUS_LABELS if res.count(s)}
    echo("Tổng: " + ", ".join(f"{STATUS_LABELS[s]} {n}" for s, n in counts.items()))
    others: dict[str, list] = {}
    for cf in res.other_period:
        others.setdefault(cf.period, []).append(cf)
    for period, files in sorted(others.items()):
        names = ", ".join(cf.name + (f" ({cf.unit})" if cf.unit else "") for cf in files)
        echo(f"{len(files)} tệp là báo cáo kỳ {period_label(period)}, không phải kỳ "
             f"{period_label(res.period)} đang tổng hợp: {names}. Các tệp này đã được ghi sổ "
             f"cho kỳ {period_label(period)}, không tính vào kỳ này; tổng hợp kỳ đó bằng: "
             f"bdg-excel consolidate --period {period}")


def _render_mail(res, ws) -> None:
    from .mail import DRAFTED, FAILED, NO_ADDRESS, OUTCOME_LABELS, SENT
    from .mail.settings import NO_SENDER

    if res.test_to:
        echo(f"Chế độ thử: mọi thư được gửi đến {res.test_to}, không gửi cho đơn vị.")
    for warning in getattr(res, "warnings", ()):
        echo(warning)
    for o in res.outcomes:
        if o.status == SENT:
            echo(f"{o.unit}: đã gửi đến {', '.join(o.to)}"
                 + (f" (đính kèm {', '.join(o.attachments)})" if o.attachments else ""))
        elif o.status == DRAFTED:
            echo(f"{o.unit}: thư nháp {o.eml}")
        else:
            echo(f"{o.unit}: {OUTCOME_LABELS[o.status]} — {o.error}")
        for note in o.notes:
            echo(f"    {note}")
    done, failed = len(res.done), res.with_status(FAILED)
    missing = res.with_status(NO_ADDRESS)
    parts = [f"{done} thư nháp" if res.dry_run else f"{done} thư đã gửi"]
    if failed:
        parts.append(f"{len(failed)} đơn vị không gửi được")
    if missing:
        parts.append(f"{len(missing)} đơn vị chưa có địa chỉ thư (thư nháp không có người nhận)")
    echo("Tổng: " + "; ".join(parts) + ".")
    drafts = [o.eml for o in res.outcomes if o.eml is not None]
    if drafts:
        echo(f"Các thư nháp (.eml, mở bằng Outlook hoặc Thunderbird): {drafts[0].parent}")
    if res.dry_run and res.sender is None and res.outcomes:
        echo("Thư nháp chưa có người gửi. " + NO_SENDER)
    if not res.outcomes:
        echo("Không có đơn vị nào cần gửi." if res.kind == "send"
             else "Không có đơn vị nào cần nhắc: mọi đơn vị đã nộp báo cáo đạt yêu cầu.")
    if res.nothing_done:
        from .core.errors import MailError

        raise MailError("không gửi được thư nào (lý do ghi ở từng đơn vị phía trên).")
    if missing:
        echo("Bước tiếp theo: ghi địa chỉ thư của các đơn vị trên vào cột Email, trang Đơn vị "
             "của tệp kế hoạch (bdg-excel plan check liệt kê các đơn vị còn thiếu).")
    elif res.dry_run and res.outcomes:
        echo("Bước tiếp theo: kiểm tra các thư nháp, rồi chạy lại lệnh không có --dry-run để "
             "gửi (cần máy chủ thư trong bdg-excel.toml hoặc --smtp-host).")
    elif res.outcomes and res.kind == "send":
        echo("Bước tiếp theo: chờ các đơn vị gửi lại; thả tệp nhận được vào inbox/ (hoặc "
             "bdg-excel fetch), rồi chạy bdg-excel consolidate. Xem tình hình: bdg-excel status.")


def _render_plan_summary(plan) -> None:
    echo(plan.title)
    if plan.number:
        echo(f"Số: {plan.number}")
    echo(f"Thời kỳ: {plan.period_start}–{plan.period_end}")
    echo(f"{len(plan.goals)} mục tiêu, {len(plan.indicators)} chỉ tiêu, {len(plan.targets())} dòng "
         f"chỉ tiêu, {len(plan.units)} đơn vị.")
    for u in plan.units:
        codes = ", ".join(u.indicators) or "—"
        echo(f"  - {u.name}: chỉ tiêu {codes}; {len(u.tasks)} nhiệm vụ")


# -- templates (issue 16) ----------------------------------------------------------------
@cli.group("template", context_settings=CONTEXT)
def template_group():
    """Mẫu biểu (templates/bieu-mau.xlsx): tạo để sửa trình bày trong Excel, kiểm tra."""


@template_group.command("init", context_settings=CONTEXT)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Tệp mẫu sẽ ghi (mặc định: templates/bieu-mau.xlsx của thư mục làm việc).")
@click.option("-w", "--workspace", default=".", type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục làm việc (khi không ghi -o).")
@click.option("--tong-hop", "summary", is_flag=True,
              help="Ghi mẫu trang Tổng hợp của bảng tổng hợp (templates/tong-hop.xlsx).")
def template_init_cmd(output: Path | None, workspace: Path, summary: bool):
    """Ghi biểu mẫu hiện tại thành tệp mẫu có ký hiệu {{…}} để sửa trình bày trong Excel."""
    from .forms import formtemplate
    from .report import summarytemplate

    module = summarytemplate if summary else formtemplate
    path = output or Workspace.open(workspace).templates / module.TEMPLATE_NAME
    module.write_template(path)
    echo(f"Đã ghi mẫu: {path}")
    then = "consolidate ghi trang Tổng hợp" if summary else "generate tạo mọi biểu mẫu"
    echo(f"Sửa trình bày trong Excel (giữ các ký hiệu {{{{…}}}}), kiểm tra bằng: bdg-excel "
         f"template check; từ đó lệnh {then} theo tệp này.")


@template_group.command("check", context_settings=CONTEXT)
@click.argument("template_file", required=False,
                type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("-w", "--workspace", default=".", type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục làm việc (khi không ghi tệp mẫu).")
def template_check_cmd(template_file: Path | None, workspace: Path):
    """Liệt kê các lỗi của tệp mẫu biểu (ký hiệu lạ, thiếu cột mã hay kết quả, thiếu dòng mẫu)."""
    from .forms import formtemplate
    from .report import summarytemplate
    from .core.errors import WorkspaceError

    paths = [template_file] if template_file else []
    if not paths:
        templates = Workspace.open(workspace).templates
        paths = [p for p in (formtemplate.template_path(templates),
                             summarytemplate.template_path(templates)) if p]
        if not paths:
            raise WorkspaceError("Thư mục templates/ chưa có mẫu biểu bieu-mau.xlsx hay mẫu "
                                 "tong-hop.xlsx. Tạo bằng lệnh: bdg-excel template init")
    for path in paths:
        module = summarytemplate if path.name.lower() == summarytemplate.TEMPLATE_NAME \
            else formtemplate
        _show_findings(path, module.check_template(path), "mẫu không có lỗi")


@cli.command("report", context_settings=CONTEXT)
@workspace_option
@plan_option
@period_option
@click.option("--into", "annex", default=None,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Phụ lục (.xlsx) cấp trên gửi, có các ký hiệu {{mã.ket_qua}} … cần điền.")
@click.option("--draft", is_flag=True,
              help="Viết dự thảo báo cáo kết quả thực hiện (.docx) từ số liệu tổng hợp.")
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Tệp kết quả (phụ lục gốc không bị ghi đè; với --draft: mặc định "
                   "outbox/Du-thao-bao-cao_<kế hoạch>_<kỳ>.docx).")
@click.option("--map", "cell_map", default=None,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Bảng ánh xạ ô (CSV: trang,ô,ký hiệu) cho phụ lục không được sửa.")
def report_cmd(ws, plan, period, annex, draft, output, cell_map):
    """Điền số liệu tổng hợp vào phụ lục của cấp trên (--into), hoặc viết dự thảo báo cáo
    kết quả thực hiện (--draft)."""
    from .report.annex import report_into

    if draft == bool(annex):
        raise click.UsageError("Chọn một trong hai: --into PHỤ_LỤC.xlsx -o TỆP, hoặc --draft.")
    if draft:
        path = workflow.draft_report(ws, plan, period, output, now=clock.now())
        echo(f"Đã viết dự thảo báo cáo: {path}")
        echo("Số liệu lấy từ các báo cáo đã ghi sổ (chạy bdg-excel consolidate trước để nhận "
             "báo cáo mới). Mở bằng Word hoặc LibreOffice, điền số, ngày và phần đề xuất "
             "(đánh dấu màu vàng).")
        return
    if output is None:
        raise click.UsageError("Thiếu -o TỆP: tệp kết quả của --into.")

    res = report_into(ws, plan, period, annex, output, cell_map=cell_map, now=clock.now())
    for f in res.findings:
        echo(str(f))
    echo(f"Đã điền {len(res.filled)} ô; {len(res.findings)} ô cần xem lại. Tệp kết quả: "
         f"{res.path}")


# -- error boundary ----------------------------------------------------------------------
VIETNAMESE_SAMPLE = "Đã tạo biểu mẫu – “kỳ” …"


def safe_console(streams=None) -> None:
    """Make sure Vietnamese output never crashes a command. A console or pipe whose
    encoding cannot write Vietnamese (cp1252 on a Western Windows, an old code page when
    the output is redirected to a file): output redirected to a file or pipe is switched
    to UTF-8; a terminal keeps its encoding and shows "?" for what it cannot write."""
    for stream in streams if streams is not None else (sys.stdout, sys.stderr):
        enc = getattr(stream, "encoding", None) or "ascii"
        try:
            VIETNAMESE_SAMPLE.encode(enc)
            continue
        except (LookupError, UnicodeEncodeError):
            pass
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        try:
            tty = stream.isatty()
        except (ValueError, OSError):
            tty = False
        try:
            reconfigure(errors="replace") if tty else reconfigure(encoding="utf-8",
                                                                   errors="replace")
        except (ValueError, OSError):     # already written to: at least never crash
            try:
                reconfigure(errors="replace")
            except (ValueError, OSError):
                pass


def main(argv: list[str] | None = None) -> int:
    safe_console()
    try:
        code = cli.main(args=argv, prog_name="bdg-excel", standalone_mode=False)
        if isinstance(code, int) and code:   # click returns ctx.exit(n) outside standalone mode
            return code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Đã hủy.", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except UsageError as exc:
        click.echo(f"Lỗi cách dùng: {exc}", err=True)
        return 2
    except PlanHasErrors as exc:
        click.echo(f"Lỗi: {exc}", err=True)
        for f in exc.findings:
            click.echo(str(f), err=True)
        return 1
    except BdgError as exc:
        click.echo(f"Lỗi: {exc}", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("Đã dừng.", err=True)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one boundary: never a bare traceback
        if os.environ.get("BDG_DEBUG"):
            raise
        click.echo(f"Lỗi không mong đợi ({type(exc).__name__}: {exc}). Không tệp nào bị xóa; "
                   "chạy lại lệnh với biến môi trường BDG_DEBUG=1 để xem chi tiết và báo cho "
                   "người hỗ trợ.", err=True)
        return 1
    return 0


def entry() -> None:  # pragma: no cover - console script
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
