"""Sending forms and reminders over SMTP or as .eml drafts. A problem with one unit is
a result and the others are still sent; a sending is recorded in the ledger only once the
server has accepted it."""

from __future__ import annotations

import base64
import smtplib
import ssl
from datetime import date, datetime
from email import policy
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

from ..core import clock, vn
from ..core.errors import MailError, UsageError
from ..core.findings import ERROR, WARNING
from ..core.workspace import Workspace, atomic_output
from ..forms.generate import form_filename, form_version, generate_forms, unit_file_stems
from ..intake.feedback import feedback_stem
from ..intake.ledger import Ledger
from ..plan.model import Plan, Unit
from .messages import (MailOutcome, MailResult, _Outgoing, compose, form_message_text,
                       late_warning, reminder_text)
from .settings import (DRAFTED, FAILED, NO_ADDRESS, SENT, SMTP_PASSWORD_ENV, Progress,
                       ServerSettings, _connect_message, _iso, _quietly, office_of,
                       sender_address, unit_addresses)


# -- forms on disk -----------------------------------------------------------------------
def ensure_form(ws: Workspace, plan: Plan, unit: Unit, period: str) -> tuple[Path, str]:
    """The unit's form in outbox/forms/<period>/, generated when absent or out of date
    (the plan changed what the unit reports). Returns (path, form version)."""
    folder = ws.forms_folder(period)
    path = folder / form_filename(plan, unit, period)
    version = form_version(plan, unit)
    if path.is_file() and _form_version_on_disk(path) == version:
        return path, version
    (gen,) = generate_forms(plan, folder, period, units=[unit.name])
    return gen.path, gen.form_version


def _form_version_on_disk(path: Path) -> str | None:
    from ..intake.returns import read_return

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


def send_forms(ws: Workspace, plan: Plan, period: str, *, units: list[str] | None = None,
               settings: ServerSettings | None = None, dry_run: bool = False,
               test_to: str | None = None, config: dict | None = None,
               now: datetime | None = None, progress: Progress | None = None,
               new_due: date | None = None,
               sender: str | None = None) -> MailResult:
    """E-mail each unit (or those named) its form, generating it first when needed.
    ``now``: when (the messages' date, and the day their deadline wording is for: after
    the period's deadline they ask for the return now, or by ``new_due``, and
    ``result.warnings`` tells the officer). The caller holds the workspace lock."""
    result, office, reply, now, stems = _begin("send", ws, plan, period, config, settings,
                                               sender, dry_run, test_to, now, new_due)
    sender, today = result.sender, now.date()
    batch: list[_Outgoing] = []
    for unit in select_units(plan, units):
        addresses = unit_addresses(unit)
        path, version = ensure_form(ws, plan, unit, period)
        subject, body = form_message_text(plan, unit, period, path.name, office, reply,
                                          today, new_due)
        to = [test_to] if test_to else addresses
        msg = compose(sender=sender, to=to, subject=subject, body=body, attachments=[path],
                      now=now, reply_to=office.email, draft=dry_run or not to)
        out = _Outgoing(unit, msg, to, [path.name], version, stems[unit.key])
        if not to:
            result.outcomes.append(_no_address(ws, period, result.kind, out))
            continue
        batch.append(out)
    _deliver(ws, plan, period, result, batch, sender, settings, now, progress)
    return result


def _begin(kind: str, ws: Workspace, plan: Plan, period: str, config: dict | None,
           settings, sender: str | None, dry_run: bool, test_to: str | None,
           now: datetime | None, new_due: date | None):
    """What sending and reminding both start with: the office and its sender, the day,
    a checked new due date, the result with the deadline warning, the units' file stems."""
    config = ws.config() if config is None else config
    office = office_of(config)
    sender = sender_address(config, settings, given=sender, required=not dry_run)
    reply = office.email or (parseaddr(sender)[1] if sender else None)
    now = now or clock.now()
    check_new_due(new_due, now.date())
    result = MailResult(kind, period, dry_run, test_to, sender=sender)
    result.warnings += filter(None, [late_warning(plan, period, now.date(), new_due)])
    return result, office, reply, now, unit_file_stems(plan)


def send_reminders(ws: Workspace, plan: Plan, period: str, *, units: list[str] | None = None,
                   settings: ServerSettings | None = None, dry_run: bool = False,
                   test_to: str | None = None, config: dict | None = None,
                   now: datetime | None = None, progress: Progress | None = None,
                   new_due: date | None = None,
                   sender: str | None = None) -> MailResult:
    """Remind the units whose return is missing or needs fixes: the form again (missing),
    or the feedback workbook and the list of what to fix. After the deadline the
    messages say how many days late and ask for the return now, or by ``new_due``.
    The caller holds the lock."""
    from ..report.consolidate import build
    from ..report.results import MISSING

    result, office, reply, now, stems = _begin("remind", ws, plan, period, config, settings,
                                               sender, dry_run, test_to, now, new_due)
    sender, today = result.sender, now.date()
    chosen = {u.key for u in select_units(plan, units)}
    batch: list[_Outgoing] = []
    with Ledger(ws.ledger_path) as led:
        subs = build(led, plan, period).submissions
        todo = [(s, led.findings(s.record.id) if s.record else []) for s in subs
                if s.unit.key in chosen and s.status in (MISSING, "needs_fixes")]
    for sub, findings in todo:
        unit = sub.unit
        addresses = unit_addresses(unit)
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
            today=today, new_due=new_due)
        to = [test_to] if test_to else addresses
        msg = compose(sender=sender, to=to, subject=subject, body=body, attachments=attach,
                      now=now, reply_to=office.email, draft=dry_run or not to)
        out = _Outgoing(unit, msg, to, [p.name for p in attach], version, stems[unit.key])
        if not to:
            result.outcomes.append(_no_address(ws, period, result.kind, out))
            continue
        batch.append(out)
    _deliver(ws, plan, period, result, batch, sender, settings, now, progress)
    return result


def check_new_due(new_due: date | None, today: date) -> None:
    """A new deadline (--due) must not be already past."""
    if new_due is not None and new_due < today:
        raise UsageError(f"Hạn mới --due {vn.format_date(new_due)} đã qua (hôm nay là "
                         f"{vn.format_date(today)}): ghi một ngày từ hôm nay trở đi.")


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


NO_ADDRESS_MARK = "CHUA-CO-DIA-CHI"    # in the draft's file name, so the officer sees it


def _no_address(ws: Workspace, period: str, kind: str, out: _Outgoing) -> MailOutcome:
    """A unit the plan gives no address: its message is still written, as a draft with no
    recipient ("…_CHUA-CO-DIA-CHI.eml"), for the officer to address and send by hand."""
    eml = _write_eml(ws, period, kind, out, mark=NO_ADDRESS_MARK)
    return MailOutcome(out.unit.name, NO_ADDRESS, subject=str(out.message["Subject"]),
                       attachments=out.attachments, eml=eml, error=(
        "Kế hoạch chưa có địa chỉ thư của đơn vị: đã ghi thư nháp không có người nhận "
        f"({eml.name}) — mở bằng Outlook/Thunderbird, ghi địa chỉ rồi gửi; hoặc ghi địa chỉ "
        "vào cột Email của trang Đơn vị trong tệp kế hoạch rồi chạy lại lệnh."))


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


def _write_eml(ws: Workspace, period: str, kind: str, out: _Outgoing,
               mark: str | None = None) -> Path:
    prefix = "Nhac" if kind == "remind" else "Bieu"
    stem = f"{prefix}_{out.stem}" + (f"_{mark}" if mark else "")
    path = ws.mail_dir / period / f"{stem}.eml"
    with atomic_output(path) as tmp:
        tmp.write_bytes(out.message.as_bytes(policy=policy.SMTP))
    return path
