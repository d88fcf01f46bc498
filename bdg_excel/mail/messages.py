"""Composition: standard MIME messages policy SMTP: UTF-8, RFC 2047 subject, RFC 2231 attachment names, Message-ID, Date and their Vietnamese texts; the results of a mailing."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from ..core import clock, vn
from ..core.findings import ERROR, WARNING, Finding
from ..plan.deadlines import days_to, overdue_sentence, return_by
from ..plan.model import Plan, Unit, period_label
from .settings import DRAFTED, FAILED, SENT, XLSX_TYPE, Office


# -- results -----------------------------------------------------------------------------
@dataclass
class MailOutcome:
    unit: str
    status: str                        # sent | drafted | failed | no_address
    to: list[str] = field(default_factory=list)
    subject: str = ""
    message_id: str | None = None
    attachments: list[str] = field(default_factory=list)
    eml: Path | None = None            # the draft written by --dry-run
    error: str | None = None           # Vietnamese, for failed
    notes: list[str] = field(default_factory=list)


@dataclass
class MailResult:
    kind: str                          # send | remind
    period: str
    dry_run: bool = False
    test_to: str | None = None
    outcomes: list[MailOutcome] = field(default_factory=list)
    sender: str | None = None          # None: drafts with no From (no address configured)
    #: For the officer (Vietnamese): e.g. sending after the deadline.
    warnings: list[str] = field(default_factory=list)

    def with_status(self, status: str) -> list[MailOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def done(self) -> list[MailOutcome]:
        return [o for o in self.outcomes if o.status in (SENT, DRAFTED)]

    @property
    def nothing_done(self) -> bool:
        """There was something to send and none of it went out."""
        return bool(self.with_status(FAILED)) and not self.done


@dataclass
class _Outgoing:
    unit: Unit
    message: EmailMessage
    to: list[str]
    attachments: list[str]
    form_version: str | None
    stem: str = ""                     # the unit's part of the draft's file name



RENAME_RULE = ("Có thể đổi tên tệp (biểu được nhận biết theo nội dung bên trong); giữ nguyên tên "
               "trang và cấu trúc biểu; lưu dạng .xlsx.")


# -- composition -------------------------------------------------------------------------
def compose(*, sender: str | None, to: list[str], subject: str, body: str,
            attachments: list[Path] = (), now: datetime | None = None,
            reply_to: str | None = None, draft: bool = False) -> EmailMessage:
    """A standard MIME message: UTF-8 text, RFC 2047 subject, RFC 2231 file names."""
    msg = EmailMessage(policy=policy.SMTP)
    if sender:
        msg["From"] = sender
    if to:
        msg["To"] = ", ".join(to)
    if reply_to and reply_to != sender:
        msg["Reply-To"] = reply_to
    msg["Subject"] = vn.nfc(subject)
    msg["Date"] = format_datetime((now or clock.now()).astimezone())
    domain = parseaddr(sender or "")[1].rpartition("@")[2] or None
    msg["Message-ID"] = make_msgid("bdg", domain=domain)
    msg["X-Mailer"] = "bdg-excel"
    if draft:
        msg["X-Unsent"] = "1"          # Outlook opens the .eml as a draft ready to send
    msg.set_content(vn.nfc(body), cte="quoted-printable")
    for path in attachments:
        path = Path(path)
        ctype = XLSX_TYPE if path.suffix.lower() == ".xlsx" else \
            (mimetypes.guess_type(path.name)[0] or "application/octet-stream").split("/", 1)
        name = vn.nfc(path.name)
        msg.add_attachment(path.read_bytes(), maintype=ctype[0], subtype=ctype[1],
                           filename=name)
        # (no Content-Type "name" parameter: the email package folds a long media type
        # with parameters into an encoded word, which breaks it)
        del list(msg.iter_attachments())[-1]["MIME-Version"]
    return msg


def _contact_lines(office: Office) -> list[str]:
    bits = [x for x in (office.name, office.phone and f"điện thoại {office.phone}",
                        office.email and f"thư điện tử {office.email}") if x]
    if not bits:
        return []
    return ["Nếu cần hỗ trợ, xin liên hệ: " + ", ".join(bits) + "."]


def _signature(plan: Plan, office: Office) -> list[str]:
    return ["", "Trân trọng.", office.name or vn.clean(plan.issuer or "")]


def _deadline_text(plan: Plan, period: str, today: date, new_due: date | None) -> str:
    return return_by(plan.deadline(period), today, new_due)


def late_warning(plan: Plan, period: str, today: date, new_due: date | None) -> str | None:
    """For the officer, when mailing after the period's deadline: what the messages say."""
    due = plan.deadline(period)
    if due is None or days_to(due, today) >= 0:
        return None
    asked = (f"các thư đề nghị gửi trước ngày {vn.format_date(new_due)} (--due)" if new_due
             else "các thư đề nghị gửi ngay; ghi hạn mới bằng --due NGÀY/THÁNG/NĂM")
    return (f"Lưu ý: hạn nộp kỳ {period_label(period)} là ngày {vn.format_date(due)}, đã qua "
            f"{-days_to(due, today)} ngày: {asked}.")


def _return_to_text(plan: Plan, period: str, reply: str | None) -> str:
    rep = plan.report_for(period)
    to = f" — gửi về {vn.clean(rep.to)}" if rep and rep.to else ""
    return f"trả lời thư này{f' (địa chỉ {reply})' if reply else ''}{to}"


def form_message_text(plan: Plan, unit: Unit, period: str, form_name: str, office: Office,
                      reply: str, today: date, new_due: date | None = None
                      ) -> tuple[str, str]:
    """Subject and body of the message that sends a unit its form. ``today`` decides the
    wording of the deadline; ``new_due`` is a date the officer gives after it (--due)."""
    label = period_label(period)
    subject = f"[BĐG] Biểu báo cáo bình đẳng giới {label} — {vn.clean(unit.name)}"
    targets = plan.unit_targets(unit)
    what = []
    if targets:
        codes = ", ".join(dict.fromkeys(t.indicator_code for t in targets))
        what.append(f"{len(targets)} dòng chỉ tiêu (mã {codes})")
    if unit.tasks:
        what.append(f"{len(unit.tasks)} nhiệm vụ")
    ref = vn.clean(plan.citation())[len("Kế hoạch "):] if plan.number else ""
    lines = [f"Kính gửi: {vn.clean(unit.name)}", ""]
    if unit.contact:
        lines[0] += f" (người phụ trách: {vn.clean(unit.contact)})"
    lines.append(f"Thực hiện Kế hoạch {ref + ' ' if ref else ''}về {_plan_subject(plan)}, "
                 f"đề nghị Quý đơn vị báo cáo kết quả thực hiện {label} theo biểu mẫu "
                 f"đính kèm ({form_name}).")
    lines += ["", "Cách điền:",
              "  1. Mở tệp đính kèm bằng Excel (hoặc LibreOffice, WPS); đọc trang Hướng dẫn.",
              "  2. Nhập số liệu vào các ô nền vàng"
              + (f": {' và '.join(what)}" if what else "") + ". Các ô khác đã được khóa.",
              "  3. Nhập số bằng chữ số (ví dụ 45 hoặc 12,5); chỉ tiêu tỷ lệ có cột tử số và "
              "mẫu số thì nhập cả hai.",
              "  4. " + RENAME_RULE,
              f"  5. Gửi lại tệp đã điền {_deadline_text(plan, period, today, new_due)} bằng "
              f"cách {_return_to_text(plan, period, reply)}."
              + (overdue_sentence(plan.deadline(period), today) if not new_due else ""), ""]
    lines += _contact_lines(office)
    lines += _signature(plan, office)
    return subject, "\n".join(lines) + "\n"


def reminder_text(plan: Plan, unit: Unit, period: str, *, missing: bool,
                  findings: list[Finding], received_name: str | None, attachment: str | None,
                  office: Office, reply: str, today: date, new_due: date | None = None
                  ) -> tuple[str, str]:
    """Subject and body of a reminder: for a missing return, or one that needs fixes.
    Before the deadline it asks for the return by then; after it, says how many days
    late and asks for it now, or by ``new_due`` (--due)."""
    label = period_label(period)
    due = plan.deadline(period)
    lines = [f"Kính gửi: {vn.clean(unit.name)}", ""]
    if missing:
        subject = f"[BĐG] Nhắc gửi báo cáo bình đẳng giới {label} — {vn.clean(unit.name)}"
        when = ""
        if due:
            days = (due - today).days
            when = (f" Hạn gửi là ngày {vn.format_date(due)}"
                    + (f" (còn {days} ngày)." if days > 0 else " (hôm nay)." if days == 0
                       else f", đã quá hạn {-days} ngày."))
        lines.append(f"Đến nay chúng tôi chưa nhận được báo cáo kết quả thực hiện bình đẳng "
                     f"giới {label} của Quý đơn vị.{when}")
        if attachment:
            lines.append(f"Biểu mẫu được gửi kèm lại thư này ({attachment}).")
        lines.append(f"Đề nghị Quý đơn vị điền biểu và gửi lại "
                     f"{_deadline_text(plan, period, today, new_due)} "
                     f"bằng cách {_return_to_text(plan, period, reply)}.")
    else:
        subject = f"[BĐG] Đề nghị sửa báo cáo bình đẳng giới {label} — {vn.clean(unit.name)}"
        lines.append(f"Chúng tôi đã nhận báo cáo {label} của Quý đơn vị"
                     + (f" (tệp {received_name})" if received_name else "")
                     + "; báo cáo còn các điểm cần sửa:")
        errors = [f for f in findings if f.severity == ERROR]
        warnings = [f for f in findings if f.severity == WARNING]
        lines += [f"  {i}. {_finding_line(f)}" for i, f in enumerate(errors, 1)]
        if warnings:
            lines.append("Các điểm cần xem lại:")
            lines += [f"  - {_finding_line(f)}" for f in warnings]
        if attachment:
            lines.append(f"Các ô cần sửa được tô màu và có ghi chú trong tệp đính kèm "
                         f"({attachment}): sửa ngay trong tệp đó rồi gửi lại.")
        lines.append(f"Đề nghị Quý đơn vị sửa và gửi lại "
                     f"{_deadline_text(plan, period, today, new_due)} bằng "
                     f"cách {_return_to_text(plan, period, reply)}."
                     + (overdue_sentence(due, today) if not new_due else ""))
    lines.append("")
    lines += _contact_lines(office)
    lines += _signature(plan, office)
    return subject, "\n".join(lines) + "\n"


def _plan_subject(plan: Plan) -> str:
    title = vn.clean(plan.title or "")
    m = re.search(r"(Chiến lược quốc gia về bình đẳng giới.*)", title, re.IGNORECASE)
    return m.group(1) if m else (title or "bình đẳng giới")


def _finding_line(f: Finding) -> str:
    loc = ", ".join(x for x in (f.sheet and f"trang {f.sheet}", f.cell and f"ô {f.cell}",
                                f.target and f"mã {f.target}") if x)
    return (f"[{loc}] " if loc else "") + f.message
