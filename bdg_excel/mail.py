"""E-mail: send each unit its form, remind the late ones, fetch the returns.

Composition builds standard MIME messages (:class:`email.message.EmailMessage`, policy
SMTP: UTF-8, RFC 2047 subject, RFC 2231 attachment names, Message-ID, Date) that open in
Outlook and Thunderbird, also when written as ``.eml`` drafts (``--dry-run``). Sending
goes through :mod:`smtplib`, fetching through :mod:`imaplib`. Passwords come only from the
environment (``BDG_SMTP_PASSWORD``, ``BDG_IMAP_PASSWORD``), never from a file.

Nothing here prints or exits. A server that cannot be reached or refuses the login raises
:class:`~bdg_excel.errors.MailError`; a problem with one unit (a refused address, a
message too large) is a result, and the others are still sent. A sending is recorded in
the ledger only once the server has accepted it.
"""

from __future__ import annotations

import base64
import hashlib
import imaplib
import mimetypes
import os
import re
import smtplib
import socket
import ssl
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr, \
    parsedate_to_datetime
from pathlib import Path
from typing import Callable

from . import vn
from .errors import MailError, UsageError
from .feedback import feedback_stem
from .findings import ERROR, WARNING, Finding
from .forms import form_filename, form_version, generate_forms
from .ledger import Ledger
from .model import Plan, Unit, period_label
from .workspace import Workspace, atomic_output, unique_path

SMTP_PASSWORD_ENV = "BDG_SMTP_PASSWORD"
IMAP_PASSWORD_ENV = "BDG_IMAP_PASSWORD"
SECURITY = ("starttls", "ssl", "none")
TIMEOUT = 30.0                       # seconds, for every network operation
RETURN_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")

Progress = Callable[[int, int], None]

# Outcomes of one unit.
SENT, DRAFTED, FAILED, NO_ADDRESS = "sent", "drafted", "failed", "no_address"
OUTCOME_LABELS = {SENT: "Đã gửi", DRAFTED: "Đã ghi thư nháp", FAILED: "Không gửi được",
                  NO_ADDRESS: "Chưa có địa chỉ thư"}

_EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")


# -- settings ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Office:
    """Who sends: the coordinating office ([office] in bdg-excel.toml)."""
    name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class ServerSettings:
    host: str
    port: int
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    security: str = "starttls"        # starttls | ssl | none
    cafile: str | None = None         # extra trusted certificate(s), e.g. a self-signed server
    timeout: float = TIMEOUT

    def ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        if self.cafile:
            ctx.load_verify_locations(cafile=self.cafile)
        return ctx

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def office_of(config: dict) -> Office:
    sec = _section(config, "office")
    return Office(_opt(sec.get("name")), _opt(sec.get("email")), _opt(sec.get("phone")))


def smtp_settings(config: dict, *, host: str | None = None, port: int | None = None,
                  user: str | None = None, security: str | None = None,
                  env: dict | None = None) -> ServerSettings:
    """SMTP settings: command-line values over [smtp] of bdg-excel.toml; the password from
    the environment variable BDG_SMTP_PASSWORD only."""
    return _server(config, "smtp", SMTP_PASSWORD_ENV, {"ssl": 465, "starttls": 587, "none": 25},
                   host, port, user, security, env)


def imap_settings(config: dict, *, host: str | None = None, port: int | None = None,
                  user: str | None = None, security: str | None = None,
                  env: dict | None = None) -> ServerSettings:
    """IMAP settings: command-line values over [imap] of bdg-excel.toml; the password from
    the environment variable BDG_IMAP_PASSWORD only."""
    return _server(config, "imap", IMAP_PASSWORD_ENV, {"ssl": 993, "starttls": 143, "none": 143},
                   host, port, user, security, env)


def sender_address(config: dict, settings: ServerSettings | None = None) -> str:
    """The From address: [smtp] from, else [office] email, else the SMTP login if it is an
    address."""
    for value in (_section(config, "smtp").get("from"), office_of(config).email,
                  settings.user if settings else None):
        if value and _EMAIL.fullmatch(parseaddr(str(value))[1] or ""):
            return str(value).strip()
    raise UsageError("Chưa có địa chỉ người gửi: ghi email = \"…\" trong mục [office] (hoặc "
                     "from = \"…\" trong mục [smtp]) của tệp bdg-excel.toml.")


def _server(config, name, env_name, default_ports, host, port, user, security, env):
    sec = _section(config, name)
    host = host or _opt(sec.get("host"))
    if not host:
        raise UsageError(f"Chưa có máy chủ thư: dùng --{name}-host MÁY_CHỦ, hoặc ghi host = \"…\" "
                         f"trong mục [{name}] của tệp bdg-excel.toml.")
    if security is None:
        security = _opt(sec.get("security"))
        if security is None and sec.get("ssl") is True:
            security = "ssl"
        elif security is None and sec.get("starttls") is False:
            security = "none"
    if security is not None and security not in SECURITY:
        raise UsageError(f"security = \"{security}\" trong mục [{name}] không hợp lệ: ghi "
                         "starttls, ssl hoặc none.")
    raw_port = port or sec.get("port")
    if security is None:
        security = "ssl" if raw_port in (465, 993) else "starttls"
    try:
        port = int(raw_port) if raw_port else default_ports[security]
    except (TypeError, ValueError):
        raise UsageError(f"port = \"{raw_port}\" trong mục [{name}] không phải là số.") from None
    env = os.environ if env is None else env
    return ServerSettings(host=host, port=port, user=user or _opt(sec.get("user")),
                          password=env.get(env_name) or None, security=security,
                          cafile=_opt(sec.get("cafile")))


def _section(config: dict, name: str) -> dict:
    sec = config.get(name) or {}
    if not isinstance(sec, dict):
        raise UsageError(f"Mục [{name}] của tệp bdg-excel.toml không đúng dạng.")
    secret = next((k for k in sec if "pass" in k.lower() or "secret" in k.lower()), None)
    if secret:
        env = IMAP_PASSWORD_ENV if name == "imap" else SMTP_PASSWORD_ENV
        raise UsageError(f"Tệp bdg-excel.toml có khóa mật khẩu “{secret}” trong mục [{name}]: "
                         "không ghi mật khẩu vào tệp. Xóa dòng đó (và đổi mật khẩu nếu tệp đã "
                         f"được chia sẻ), rồi đặt mật khẩu vào biến môi trường {env}.")
    return sec


def _opt(value) -> str | None:
    if value is None:
        return None
    text = vn.clean(str(value))
    return text or None


def is_address(text: str) -> bool:
    return bool(_EMAIL.fullmatch(parseaddr(text or "")[1] or ""))


def unit_addresses(unit: Unit) -> list[str]:
    """The unit's addresses from the plan ("a@x.vn; b@x.vn" -> two)."""
    if not unit.email:
        return []
    return [a for _, a in getaddresses(re.split(r"[;,]", unit.email)) if _EMAIL.fullmatch(a)]


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


# -- composition -------------------------------------------------------------------------
def compose(*, sender: str, to: list[str], subject: str, body: str,
            attachments: list[Path] = (), now: datetime | None = None,
            reply_to: str | None = None, draft: bool = False) -> EmailMessage:
    """A standard MIME message: UTF-8 text, RFC 2047 subject, RFC 2231 file names."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if reply_to and reply_to != sender:
        msg["Reply-To"] = reply_to
    msg["Subject"] = vn.nfc(subject)
    msg["Date"] = format_datetime((now or datetime.now()).astimezone())
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
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


def _deadline_text(plan: Plan, period: str) -> str:
    due = plan.deadline(period)
    return f"trước ngày {vn.format_date(due)}" if due else "theo thời hạn đã thông báo"


def _return_to_text(plan: Plan, period: str, reply: str) -> str:
    rep = plan.report_for(period)
    to = f" — gửi về {vn.clean(rep.to)}" if rep and rep.to else ""
    return f"trả lời thư này (địa chỉ {reply}){to}"


def form_message_text(plan: Plan, unit: Unit, period: str, form_name: str, office: Office,
                      reply: str) -> tuple[str, str]:
    """Subject and body of the message that sends a unit its form."""
    label = period_label(period)
    subject = f"[BĐG] Biểu báo cáo bình đẳng giới {label} — {vn.clean(unit.name)}"
    targets = plan.unit_targets(unit)
    what = []
    if targets:
        codes = ", ".join(dict.fromkeys(t.indicator_code for t in targets))
        what.append(f"{len(targets)} dòng chỉ tiêu (mã {codes})")
    if unit.tasks:
        what.append(f"{len(unit.tasks)} nhiệm vụ")
    ref = " ".join(x for x in (plan.number and f"số {vn.clean(plan.number)}",) if x)
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
              "  4. Giữ nguyên tên tệp, tên trang và cấu trúc biểu; lưu dạng .xlsx.",
              f"  5. Gửi lại tệp đã điền {_deadline_text(plan, period)} bằng cách "
              f"{_return_to_text(plan, period, reply)}.", ""]
    lines += _contact_lines(office)
    lines += _signature(plan, office)
    return subject, "\n".join(lines) + "\n"


def reminder_text(plan: Plan, unit: Unit, period: str, *, missing: bool,
                  findings: list[Finding], received_name: str | None, attachment: str | None,
                  office: Office, reply: str, today: date) -> tuple[str, str]:
    """Subject and body of a reminder: for a missing return, or one that needs fixes."""
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
        lines.append(f"Đề nghị Quý đơn vị điền biểu và gửi lại {_deadline_text(plan, period)} "
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
        lines.append(f"Đề nghị Quý đơn vị sửa và gửi lại {_deadline_text(plan, period)} bằng "
                     f"cách {_return_to_text(plan, period, reply)}.")
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


# -- forms on disk -----------------------------------------------------------------------
def ensure_form(ws: Workspace, plan: Plan, unit: Unit, period: str) -> tuple[Path, str]:
    """The unit's form in outbox/forms/<period>/, generated when absent or out of date
    (the plan changed what the unit reports). Returns (path, form version)."""
    folder = ws.forms_dir / period
    path = folder / form_filename(plan, unit, period)
    version = form_version(plan, unit)
    if path.is_file() and _form_version_on_disk(path) == version:
        return path, version
    (gen,) = generate_forms(plan, folder, period, units=[unit.name])
    return gen.path, gen.form_version


def _form_version_on_disk(path: Path) -> str | None:
    from .returns import read_return

    try:
        return read_return(path).meta.get("form_version")
    except Exception:  # noqa: BLE001 - unreadable: regenerate it
        return None


# -- sending -----------------------------------------------------------------------------
class Postman:
    """One SMTP session for a batch of messages; reconnects once if the server drops us."""

    def __init__(self, settings: ServerSettings):
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "Postman":
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def connect(self) -> None:
        s = self.settings
        try:
            if s.security == "ssl":
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                        context=s.ssl_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            try:
                smtp.ehlo()
                if s.security == "starttls":
                    if not smtp.has_extn("starttls"):
                        raise MailError(
                            f"Máy chủ thư {s.where} không hỗ trợ STARTTLS. Dùng --ssl (thường "
                            "cổng 465), hoặc --plain nếu đây là máy chủ nội bộ không mã hóa.")
                    smtp.starttls(context=s.ssl_context())
                    smtp.ehlo()
                if s.user:
                    if not s.password:
                        raise MailError(f"Chưa có mật khẩu cho tài khoản {s.user}: đặt mật khẩu "
                                        f"vào biến môi trường {SMTP_PASSWORD_ENV}.")
                    _login(smtp, s.user, s.password)
            except BaseException:
                _quietly(smtp.close)
                raise
        except MailError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(f"Máy chủ thư {s.where} từ chối đăng nhập tài khoản {s.user} "
                            f"({_reply(exc)}). Kiểm tra tên đăng nhập và mật khẩu trong biến môi "
                            f"trường {SMTP_PASSWORD_ENV}.") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise MailError(f"Máy chủ thư {s.where} không cho đăng nhập ({exc}). Kiểm tra cách "
                            "kết nối (--starttls hoặc --ssl).") from exc
        except ssl.SSLError as exc:
            raise MailError(f"Không thiết lập được kết nối mã hóa với máy chủ thư {s.where} "
                            f"({exc.reason or exc}). Kiểm tra cổng và cách kết nối (--ssl cho "
                            "cổng 465, --starttls cho cổng 587).") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(_connect_message("máy chủ thư", s, exc)) from exc
        self.smtp = smtp

    def close(self) -> None:
        if self.smtp is not None:
            _quietly(self.smtp.quit)
            _quietly(self.smtp.close)
            self.smtp = None

    def send(self, msg: EmailMessage, sender: str, to: list[str]) -> tuple[list[str], str | None]:
        """Send one message. Returns (refused addresses, None) when the server took it
        for at least one recipient, or ([], Vietnamese reason) when it did not."""
        for attempt in (1, 2):
            if self.smtp is None:
                try:
                    self.connect()
                except MailError as exc:
                    return [], str(exc)
            try:
                refused = self.smtp.send_message(msg, from_addr=parseaddr(sender)[1],
                                                 to_addrs=to)
                return sorted(refused), None
            except smtplib.SMTPRecipientsRefused as exc:
                reasons = "; ".join(f"{a}: {_reply_of(*r)}" for a, r in exc.recipients.items())
                return [], f"Máy chủ thư từ chối địa chỉ người nhận ({reasons}). Kiểm tra địa " \
                           "chỉ thư của đơn vị trong tệp kế hoạch."
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                if exc.smtp_code == 552:
                    n = len(msg.as_bytes())
                    size = f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{max(1, round(n / 1e3))} KB"
                    return [], (f"Thư quá lớn (khoảng {size.replace('.', ',')}) so với giới hạn "
                                f"của máy chủ "
                                f"thư ({_reply(exc)}). Gửi tệp đính kèm nhỏ hơn hoặc gửi riêng.")
                if isinstance(exc, smtplib.SMTPSenderRefused):
                    return [], (f"Máy chủ thư từ chối địa chỉ người gửi {sender} ({_reply(exc)}). "
                                "Kiểm tra địa chỉ người gửi trong bdg-excel.toml.")
                return [], f"Máy chủ thư không nhận thư ({_reply(exc)})."
            except smtplib.SMTPServerDisconnected as exc:
                lost = exc
            except smtplib.SMTPException as exc:   # (an OSError too: keep this order)
                return [], f"Máy chủ thư báo lỗi: {exc}."
            except OSError as exc:
                lost = exc
            self.close()
            if attempt == 2:
                return [], (f"Mất kết nối với máy chủ thư {self.settings.where} khi đang gửi "
                            f"({lost or type(lost).__name__}). Chạy lại lệnh để gửi tiếp.")
        return [], "Không gửi được."  # pragma: no cover


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """smtplib encodes credentials as ASCII; a Vietnamese password goes as UTF-8 through
    AUTH PLAIN (RFC 4616), which every server offering PLAIN accepts."""
    if (user + password).isascii():
        smtp.login(user, password)
        return
    if "PLAIN" not in smtp.esmtp_features.get("auth", "").upper().split():
        raise MailError("Máy chủ thư không nhận mật khẩu có chữ có dấu qua cách đăng nhập nó hỗ "
                        "trợ. Đổi mật khẩu chỉ gồm chữ không dấu, chữ số và ký hiệu.")
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
    code, resp = smtp.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, resp)


def _reply(exc) -> str:
    return _reply_of(getattr(exc, "smtp_code", ""), getattr(exc, "smtp_error", str(exc)))


def _reply_of(code, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def _connect_message(what: str, s: ServerSettings, exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        why = "máy chủ từ chối kết nối"
    elif isinstance(exc, (socket.timeout, TimeoutError)):
        why = f"không có trả lời sau {s.timeout:.0f} giây"
    elif isinstance(exc, socket.gaierror):
        why = "không tìm thấy tên máy chủ"
    else:
        why = str(exc) or type(exc).__name__
    return (f"Không kết nối được {what} {s.where} ({why}). Kiểm tra tên máy chủ, cổng, cách "
            "kết nối (--starttls/--ssl) và kết nối mạng, rồi chạy lại lệnh.")


def _quietly(fn) -> None:
    try:
        fn()
    except Exception:  # noqa: BLE001 - closing a broken connection
        pass


def send_forms(ws: Workspace, plan: Plan, period: str, *, units: list[str] | None = None,
               settings: ServerSettings | None = None, dry_run: bool = False,
               test_to: str | None = None, config: dict | None = None,
               now: datetime | None = None, progress: Progress | None = None) -> MailResult:
    """E-mail each unit (or those named) its form, generating it first when needed.
    The caller holds the workspace lock."""
    config = ws.config() if config is None else config
    office = office_of(config)
    sender = sender_address(config, settings)
    reply = office.email or parseaddr(sender)[1]
    result = MailResult("send", period, dry_run, test_to)
    batch: list[_Outgoing] = []
    for unit in select_units(plan, units):
        addresses = unit_addresses(unit)
        if not addresses and not test_to:
            result.outcomes.append(_no_address(unit))
            continue
        path, version = ensure_form(ws, plan, unit, period)
        subject, body = form_message_text(plan, unit, period, path.name, office, reply)
        to = [test_to] if test_to else addresses
        msg = compose(sender=sender, to=to, subject=subject, body=body, attachments=[path],
                      now=now, reply_to=office.email, draft=dry_run)
        batch.append(_Outgoing(unit, msg, to, [path.name], version))
    _deliver(ws, plan, period, result, batch, sender, settings, now, progress)
    return result


def send_reminders(ws: Workspace, plan: Plan, period: str, *, units: list[str] | None = None,
                   settings: ServerSettings | None = None, dry_run: bool = False,
                   test_to: str | None = None, config: dict | None = None,
                   now: datetime | None = None, progress: Progress | None = None) -> MailResult:
    """Remind the units whose return is missing or needs fixes: the form again (missing),
    or the feedback workbook and the list of what to fix. The caller holds the lock."""
    from .consolidate import MISSING, build

    config = ws.config() if config is None else config
    office = office_of(config)
    sender = sender_address(config, settings)
    reply = office.email or parseaddr(sender)[1]
    today = (now or datetime.now()).date()
    result = MailResult("remind", period, dry_run, test_to)
    chosen = {u.key for u in select_units(plan, units)}
    batch: list[_Outgoing] = []
    with Ledger(ws.ledger_path) as led:
        subs = build(led, plan, period).submissions
        todo = [(s, led.findings(s.record.id) if s.record else []) for s in subs
                if s.unit.key in chosen and s.status in (MISSING, "needs_fixes")]
    for sub, findings in todo:
        unit = sub.unit
        addresses = unit_addresses(unit)
        if not addresses and not test_to:
            result.outcomes.append(_no_address(unit))
            continue
        missing = sub.record is None
        attach: list[Path] = []
        version = None
        if missing:
            path, version = ensure_form(ws, plan, unit, period)
            attach.append(path)
        else:
            version = sub.record.form_version
            stem = feedback_stem(sub.record.unit_name, sub.record.period,
                                 sub.record.original_name)
            book = ws.feedback_dir / f"{stem}.xlsx"
            if book.is_file():
                attach.append(book)
        subject, body = reminder_text(
            plan, unit, period, missing=missing,
            findings=[f for f in findings if f.severity in (ERROR, WARNING)],
            received_name=sub.record.original_name if sub.record else None,
            attachment=attach[0].name if attach else None, office=office, reply=reply,
            today=today)
        to = [test_to] if test_to else addresses
        msg = compose(sender=sender, to=to, subject=subject, body=body, attachments=attach,
                      now=now, reply_to=office.email, draft=dry_run)
        batch.append(_Outgoing(unit, msg, to, [p.name for p in attach], version))
    _deliver(ws, plan, period, result, batch, sender, settings, now, progress)
    return result


def select_units(plan: Plan, names: list[str] | None) -> list[Unit]:
    if not names:
        return list(plan.units)
    out = []
    for name in names:
        unit = plan.unit(name)
        if unit is None:
            raise UsageError(f"Kế hoạch không có đơn vị “{name}”. Các đơn vị: "
                             f"{'; '.join(u.name for u in plan.units)}.")
        if unit not in out:
            out.append(unit)
    return out


def _no_address(unit: Unit) -> MailOutcome:
    return MailOutcome(unit.name, NO_ADDRESS, error=(
        "Kế hoạch chưa có địa chỉ thư của đơn vị: ghi vào cột Email của trang Đơn vị trong "
        "tệp kế hoạch, rồi chạy lại lệnh."))


def _deliver(ws: Workspace, plan: Plan, period: str, result: MailResult,
             batch: list[_Outgoing], sender: str, settings: ServerSettings | None,
             now: datetime | None, progress: Progress | None) -> None:
    if not batch:
        return
    if not result.dry_run and settings is None:
        raise UsageError("Chưa có máy chủ thư (--smtp-host), hoặc dùng --dry-run để chỉ ghi "
                         "thư nháp.")
    postman = None if result.dry_run else Postman(settings)
    with Ledger(ws.ledger_path) as led:
        if postman is not None:
            postman.connect()          # cannot connect or log in: MailError, nothing sent
        try:
            for i, out in enumerate(batch, 1):
                oc = MailOutcome(out.unit.name, DRAFTED if result.dry_run else SENT, out.to,
                                 str(out.message["Subject"]), str(out.message["Message-ID"]),
                                 out.attachments)
                if result.dry_run:
                    oc.eml = _write_eml(ws, period, result.kind, out)
                else:
                    refused, error = postman.send(out.message, sender, out.to)
                    if error:
                        oc.status, oc.error, oc.message_id = FAILED, error, None
                    elif refused:
                        oc.notes.append("Máy chủ từ chối các địa chỉ: " + ", ".join(refused))
                        oc.to = [a for a in out.to if a not in refused]
                if oc.status != FAILED:
                    led.add_send(kind=result.kind, plan_identity=plan.identity(), period=period,
                                 unit_key=out.unit.key, unit_name=out.unit.name,
                                 address=", ".join(oc.to), sent_at=_iso(now),
                                 form_version=out.form_version, message_id=oc.message_id,
                                 attachment=", ".join(out.attachments) or None,
                                 dry_run=int(result.dry_run or bool(result.test_to)))
                result.outcomes.append(oc)
                if progress:
                    progress(i, len(batch))
        finally:
            if postman is not None:
                postman.close()
    order = {u.name: i for i, u in enumerate(plan.units)}
    result.outcomes.sort(key=lambda o: order.get(o.unit, len(order)))


def _write_eml(ws: Workspace, period: str, kind: str, out: _Outgoing) -> Path:
    prefix = "Nhac" if kind == "remind" else "Bieu"
    path = ws.mail_dir / period / f"{prefix}_{vn.safe_filename(out.unit.name, 60)}.eml"
    with atomic_output(path) as tmp:
        tmp.write_bytes(out.message.as_bytes(policy=policy.SMTP))
    return path


def _iso(when: datetime | None) -> str:
    when = when or datetime.now()
    if when.tzinfo is not None:
        when = when.astimezone().replace(tzinfo=None)
    return when.replace(microsecond=0).isoformat()


# -- fetching ----------------------------------------------------------------------------
@dataclass
class FetchedMessage:
    key: str
    sender: str | None
    subject: str
    time: datetime | None
    files: list[Path] = field(default_factory=list)    # written into inbox/
    ignored: list[str] = field(default_factory=list)   # attachments that are not workbooks


@dataclass
class FetchResult:
    folder: str
    messages: list[FetchedMessage] = field(default_factory=list)  # new messages
    already: int = 0                                              # fetched before

    @property
    def files(self) -> list[Path]:
        return [p for m in self.messages for p in m.files]

    @property
    def without_attachment(self) -> list[FetchedMessage]:
        return [m for m in self.messages if not m.files]


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def fetch(ws: Workspace, settings: ServerSettings, *, folder: str = "INBOX",
          since: date | None = None, mark_seen: bool = False,
          now: datetime | None = None) -> FetchResult:
    """Save the workbook attachments of new messages in ``folder`` into inbox/ (never
    overwriting), remember each file's sender and message time for collect, and mark the
    messages fetched (UIDVALIDITY + UID and Message-ID) so they are never fetched twice.
    The caller holds the workspace lock."""
    result = FetchResult(folder)
    imap = _imap_connect(settings)
    try:
        typ, data = imap.select(_quote(folder), readonly=not mark_seen)
        if typ != "OK":
            raise MailError(f"Hộp thư không có thư mục “{folder}” ({_imap_text(data)}). Kiểm "
                            "tra tên thư mục (--folder), ví dụ INBOX.")
        uidvalidity = _imap_text(imap.response("UIDVALIDITY")[1]) or "0"
        criteria = f"SINCE {since.day}-{_MONTHS[since.month - 1]}-{since.year}" if since \
            else "ALL"
        typ, data = imap.uid("SEARCH", criteria)
        if typ != "OK":
            raise MailError(f"Máy chủ IMAP không tìm được thư ({_imap_text(data)}).")
        uids = [int(u) for u in b" ".join(x for x in data if x).split()]
        base = f"imap:{settings.user or ''}@{settings.host}|{folder}|{uidvalidity}|"
        ws.inbox.mkdir(parents=True, exist_ok=True)
        with Ledger(ws.ledger_path) as led:
            for uid in sorted(uids):
                key = f"{base}{uid}"
                if led.was_fetched(key):
                    result.already += 1
                    continue
                raw, internal = _fetch_one(imap, uid)
                if raw is None:
                    continue
                msg = BytesParser(policy=policy.default).parsebytes(raw)
                msgid = str(msg.get("Message-ID", "") or "").strip()
                if msgid and led.was_fetched(f"mid:{msgid}"):
                    with led.transaction():
                        led.mark_fetched(key, _iso(now))
                    result.already += 1
                    continue
                fm, written = _save_attachments(ws, msg, key, internal)
                with led.transaction():   # the files, then where they came from, at once
                    for dest, sha in written:
                        led.add_mail_file(dest.name, sha, fm.sender, _iso(fm.time or now), key,
                                          fm.subject, _iso(now))
                    led.mark_fetched(key, _iso(now))
                    if msgid:
                        led.mark_fetched(f"mid:{msgid}", _iso(now))
                if mark_seen:
                    _quietly(lambda: imap.uid("STORE", str(uid), "+FLAGS", "(\\Seen)"))
                result.messages.append(fm)
    except imaplib.IMAP4.abort as exc:
        raise MailError(f"Mất kết nối với máy chủ IMAP {settings.where} ({exc}). Các thư đã "
                        "tải được giữ lại; chạy lại lệnh để tải tiếp.") from exc
    except (imaplib.IMAP4.error, OSError) as exc:
        raise MailError(f"Máy chủ IMAP {settings.where} báo lỗi: {exc}.") from exc
    finally:
        _quietly(imap.logout)
    return result


def _imap_connect(s: ServerSettings) -> imaplib.IMAP4:
    try:
        if s.security == "ssl":
            imap = imaplib.IMAP4_SSL(s.host, s.port, ssl_context=s.ssl_context(),
                                     timeout=s.timeout)
        else:
            imap = imaplib.IMAP4(s.host, s.port, timeout=s.timeout)
    except ssl.SSLError as exc:
        raise MailError(f"Không thiết lập được kết nối mã hóa với máy chủ IMAP {s.where} "
                        f"({exc.reason or exc}). Kiểm tra cổng và cách kết nối (--ssl cho cổng "
                        "993, --starttls cho cổng 143).") from exc
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailError(_connect_message("máy chủ IMAP", s, exc)) from exc
    try:
        if s.security == "starttls":
            try:
                imap.starttls(ssl_context=s.ssl_context())
            except ssl.SSLError as exc:
                raise MailError(f"Không thiết lập được kết nối mã hóa với máy chủ IMAP "
                                f"{s.where} ({exc.reason or exc}).") from exc
            except imaplib.IMAP4.error as exc:
                raise MailError(f"Máy chủ IMAP {s.where} không hỗ trợ STARTTLS ({exc}). Dùng "
                                "--ssl (thường cổng 993), hoặc --plain nếu đây là máy chủ nội "
                                "bộ không mã hóa.") from exc
        if not s.user or not s.password:
            raise MailError("Cần tài khoản và mật khẩu hộp thư: --imap-user TÊN và biến môi "
                            f"trường {IMAP_PASSWORD_ENV}.")
        try:
            if (s.user + s.password).isascii():
                imap.login(s.user, s.password)
            else:   # imaplib's LOGIN is ASCII only; AUTHENTICATE PLAIN carries UTF-8
                creds = b"\0" + s.user.encode() + b"\0" + s.password.encode()
                imap.authenticate("PLAIN", lambda _challenge: creds)
        except imaplib.IMAP4.error as exc:
            raise MailError(f"Máy chủ IMAP {s.where} từ chối đăng nhập tài khoản {s.user} "
                            f"({_imap_text(exc.args)}). Kiểm tra tên đăng nhập và mật khẩu "
                            f"trong biến môi trường {IMAP_PASSWORD_ENV}.") from exc
    except BaseException:
        _quietly(imap.shutdown)
        raise
    return imap


def _fetch_one(imap: imaplib.IMAP4, uid: int) -> tuple[bytes | None, datetime | None]:
    typ, data = imap.uid("FETCH", str(uid), "(INTERNALDATE BODY.PEEK[])")
    if typ != "OK":
        return None, None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            internal = None
            tt = imaplib.Internaldate2tuple(item[0])
            if tt:
                internal = datetime(*tt[:6])
            return item[1], internal
    return None, None


def _save_attachments(ws: Workspace, msg, key: str, internal: datetime | None
                      ) -> tuple[FetchedMessage, list[tuple[Path, str]]]:
    sender = parseaddr(str(msg.get("From", "") or ""))[1].lower() or None
    try:
        time = parsedate_to_datetime(str(msg["Date"])) if msg["Date"] else None
    except (TypeError, ValueError):
        time = None
    time = time or internal
    fm = FetchedMessage(key, sender, vn.clean(str(msg.get("Subject", "") or "")), time)
    written = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        if not name:
            continue
        name = _safe_name(name)
        if Path(name).suffix.lower() not in RETURN_SUFFIXES:
            fm.ignored.append(name)
            continue
        data = part.get_payload(decode=True) or b""
        dest = _write_new(ws.inbox, name, data)
        written.append((dest, hashlib.sha256(data).hexdigest()))
        fm.files.append(dest)
    return fm, written


def _safe_name(name: str) -> str:
    name = vn.nfc(str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r'[<>:"|?*\x00-\x1f]', "_", name).strip().lstrip(".~$ ")
    return name or "tep-dinh-kem"


def _write_new(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` under a name not yet used in ``folder``; never replaces a file.
    The bytes go to a temporary file first (".~lock…": collect skips it), so a crash
    never leaves half a workbook in inbox/."""
    fd, tmp = tempfile.mkstemp(prefix=".~lock-fetch-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        while True:
            dest = unique_path(folder, name)
            try:
                os.link(tmp, dest)         # fails if dest appeared meanwhile
                return dest
            except FileExistsError:
                continue
            except OSError:                # no hard links on this file system
                if dest.exists():
                    continue
                os.replace(tmp, dest)
                return dest
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _quote(folder: str) -> str:
    """A folder name as IMAP wants it: modified UTF-7 (RFC 3501 5.1.3), quoted."""
    out, run = [], []

    def flush():
        if run:
            b64 = base64.b64encode("".join(run).encode("utf-16-be")).decode()
            out.append("&" + b64.rstrip("=").replace("/", ",") + "-")
            run.clear()

    for ch in vn.nfc(folder):
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    name = "".join(out)
    if re.fullmatch(r"[A-Za-z0-9_./&,+-]+", name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _imap_text(data) -> str:
    if isinstance(data, (list, tuple)):
        return " ".join(_imap_text(d) for d in data if d is not None)
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return str(data)
