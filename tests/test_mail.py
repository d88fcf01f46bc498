"""Sending forms and reminders through a real SMTP server on loopback (aiosmtpd).

Every message the server received is parsed back and checked: recipient, decoded subject,
body text, and the attachment's bytes against the form on disk.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
from email import policy
from email.parser import BytesParser
from datetime import date, datetime
from pathlib import Path

import pytest

pytest.importorskip("aiosmtpd")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

from bdg_excel import mail
from bdg_excel.core import vn  # noqa: E402
from bdg_excel.demo import Fill, fill_form  # noqa: E402
from bdg_excel.core.errors import MailError, UsageError  # noqa: E402
from bdg_excel.forms.generate import form_filename, form_version  # noqa: E402
from bdg_excel.intake.ledger import Ledger  # noqa: E402
from bdg_excel.plan.planbook import save_plan  # noqa: E402
from bdg_excel.workflow import collect_inbox, load, send_forms, send_reminders, status  # noqa: E402
from cycle_helpers import run_cli

PERIOD = "2026"
BEFORE = datetime(2026, 11, 10, 9, 0)        # twenty days before the 30/11/2026 deadline
OFFICE = {"name": "Phòng Văn hóa – Xã hội xã Bình Lư", "email": "vhxh@binhlu.gov.vn",
          "phone": "0213 3876 543"}
CONFIG = {"office": OFFICE}
NO_ADDRESS_UNIT = "Phòng Kinh tế"


# -- a loopback SMTP server --------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """aiosmtpd handler keeping every message; refuses the addresses in ``refuse``."""

    def __init__(self, refuse=()):
        self.refuse = set(refuse)
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos),
                              envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    def messages(self):
        return [(frm, to, BytesParser(policy=policy.default).parsebytes(raw), raw)
                for frm, to, raw in self.received]


def _authenticator(user: str, password: str):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and \
            auth_data.login == user.encode() and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False)
    return check


@pytest.fixture
def smtp_server():
    """smtp_server(refuse=..., **controller_kwargs) -> (recorder, port); stopped after."""
    started = []

    def start(refuse=(), **kwargs):
        rec = Recorder(refuse)
        port = free_port()
        ctl = Controller(rec, hostname="127.0.0.1", port=port, ready_timeout=10, **kwargs)
        ctl.start()
        started.append(ctl)
        return rec, port

    yield start
    for ctl in started:
        ctl.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (cert.pem, key.pem)."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.CalledProcessError) as exc:  # pragma: no cover
        pytest.skip(f"openssl cannot make a test certificate: {exc}")
    return cert, key


def _server_context(certificate) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*certificate)
    return ctx


def settings(port, **kw) -> mail.ServerSettings:
    return mail.ServerSettings(host="127.0.0.1", port=port, security=kw.pop("security", "none"),
                               timeout=10, **kw)


# -- a workspace whose units have addresses -------------------------------------------
def address_of(unit_name: str) -> str:
    return vn.safe_filename(vn.strip_accents(unit_name), 40).lower().replace("-", ".") \
        + "@binhlu.gov.vn"


@pytest.fixture
def mail_ws(workspace):
    """The Bình Lư workspace; every unit but Phòng Kinh tế has an address in the plan."""
    ws, plan = workspace
    for u in plan.units:
        u.email = None if u.name == NO_ADDRESS_UNIT else address_of(u.name)
    save_plan(plan, ws.plan_path())
    plan = load(ws)
    assert sum(1 for u in plan.units if u.email) == len(plan.units) - 1
    return ws, plan


def text_of(msg) -> str:
    return msg.get_body(("plain",)).get_content().replace("\r\n", "\n")


def attachment(msg):
    (part,) = list(msg.iter_attachments())
    return part.get_filename(), part.get_payload(decode=True)


# -- send ---------------------------------------------------------------------------------
def test_send_emails_each_unit_its_own_form(mail_ws, smtp_server):
    ws, plan = mail_ws
    rec, port = smtp_server()
    assert not list(ws.forms_folder(PERIOD).glob("*.xlsx"))
    res = send_forms(ws, plan, PERIOD, settings=settings(port), config=CONFIG, now=BEFORE)
    assert res.warnings == []

    with_address = [u for u in plan.units if u.email]
    assert [o.unit for o in res.with_status(mail.SENT)] == [u.name for u in with_address]
    (no_addr,) = res.with_status(mail.NO_ADDRESS)
    assert no_addr.unit == NO_ADDRESS_UNIT and "Email" in no_addr.error

    got = rec.messages()
    assert len(got) == len(with_address)
    by_rcpt = {tuple(to): (frm, msg, raw) for frm, to, msg, raw in got}
    due = vn.format_date(plan.deadline(PERIOD))
    for unit in with_address:
        frm, msg, raw = by_rcpt[(unit.email,)]
        assert frm == OFFICE["email"] and msg["To"] == unit.email
        assert msg["Subject"] == f"[BĐG] Biểu báo cáo bình đẳng giới năm 2026 — {unit.name}"
        assert msg["Message-ID"] and msg["Date"]
        body = text_of(msg)
        assert body.startswith(f"Kính gửi: {unit.name}\n")
        assert f"Gửi lại tệp đã điền trước ngày {due} bằng cách" in body
        assert "ô nền vàng" in body and "quá hạn" not in body
        assert OFFICE["phone"] in body and OFFICE["email"] in body
        # the generated form, byte for byte, under its Vietnamese name
        form = ws.forms_folder(PERIOD) / form_filename(plan, unit, PERIOD)
        name, data = attachment(msg)
        assert name == form.name and data == form.read_bytes()
        # headers on the wire are 7-bit: RFC 2047 subject, RFC 2231 file name
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert head.isascii() and b"=?utf-8?" in head
        assert b"filename*=utf-8''" in raw or b"filename*0*=utf-8''" in raw
        assert vn.nfc(body) == body

    with Ledger(ws.ledger_path) as led:
        sends = led.sends(plan.identity(), PERIOD)
    assert len(sends) == len(with_address)
    for row in sends:
        unit = plan.unit(row["unit_name"])
        assert row["kind"] == "send" and row["dry_run"] == 0
        assert row["address"] == unit.email
        assert row["form_version"] == form_version(plan, unit)
        assert row["message_id"] == by_rcpt[(unit.email,)][1]["Message-ID"]
        assert row["attachment"] == form_filename(plan, unit, PERIOD)
        assert row["sent_at"]

    lines = {ln.unit: ln for ln in status(ws, plan, PERIOD, today=plan.deadline(PERIOD))}
    assert lines[with_address[0].name].state == "sent"
    assert lines[with_address[0].name].days_left == 0
    assert lines[NO_ADDRESS_UNIT].state == "not_sent"


def test_send_one_unit_by_name(mail_ws, smtp_server):
    ws, plan = mail_ws
    rec, port = smtp_server()
    res = send_forms(ws, plan, PERIOD, units=["trạm y tế XÃ"], settings=settings(port),
                     config=CONFIG)
    assert [o.unit for o in res.outcomes] == ["Trạm Y tế xã"]
    assert [to for _, to, _, _ in rec.messages()] == [[address_of("Trạm Y tế xã")]]
    with pytest.raises(UsageError, match="không có đơn vị"):
        send_forms(ws, plan, PERIOD, units=["Không có"], settings=settings(port), config=CONFIG)


def test_test_to_sends_everything_to_one_address(mail_ws, smtp_server):
    ws, plan = mail_ws
    rec, port = smtp_server()
    res = send_forms(ws, plan, PERIOD, settings=settings(port), config=CONFIG,
                     test_to="kiemtra@binhlu.gov.vn")
    got = rec.messages()
    assert len(got) == len(plan.units) == len(res.with_status(mail.SENT))  # even Phòng Kinh tế
    assert all(to == ["kiemtra@binhlu.gov.vn"] for _, to, _, _ in got)
    assert {m["Subject"].split(" — ")[1] for _, _, m, _ in got} == {u.name for u in plan.units}
    with Ledger(ws.ledger_path) as led:
        rows = led.sends(plan.identity(), PERIOD)
    assert {r["dry_run"] for r in rows} == {1}       # a rehearsal: the units got nothing
    assert {r["address"] for r in rows} == {"kiemtra@binhlu.gov.vn"}
    assert {ln.state for ln in status(ws, plan, PERIOD, today=plan.deadline(PERIOD))} == \
        {"not_sent"}


def test_dry_run_writes_eml_files_and_sends_nothing(mail_ws, smtp_server):
    ws, plan = mail_ws
    rec, port = smtp_server()
    res = send_forms(ws, plan, PERIOD, settings=None, dry_run=True, config=CONFIG)
    drafts = res.with_status(mail.DRAFTED)
    assert len(drafts) == len(plan.units) - 1 and rec.received == []
    (no_address,) = res.with_status(mail.NO_ADDRESS)    # still a draft, with no recipient
    assert no_address.eml.name.endswith("_CHUA-CO-DIA-CHI.eml")
    unaddressed = BytesParser(policy=policy.default).parsebytes(no_address.eml.read_bytes())
    assert unaddressed["To"] is None and NO_ADDRESS_UNIT in unaddressed["Subject"]
    assert sorted(p.name for p in (ws.mail_dir / PERIOD).iterdir()) == \
        sorted(o.eml.name for o in drafts + [no_address])
    for o in drafts:
        unit = plan.unit(o.unit)
        msg = BytesParser(policy=policy.default).parsebytes(o.eml.read_bytes())
        assert msg["To"] == unit.email and msg["X-Unsent"] == "1"
        assert unit.name in msg["Subject"] and msg["Message-ID"] == o.message_id
        name, data = attachment(msg)
        assert data == (ws.forms_folder(PERIOD) / name).read_bytes()
        assert text_of(msg).startswith(f"Kính gửi: {unit.name}")
    with Ledger(ws.ledger_path) as led:
        rows = led.sends(plan.identity(), PERIOD)
    assert len(rows) == len(drafts) and {r["dry_run"] for r in rows} == {1}


def test_login_over_plain_connection(mail_ws, smtp_server):
    ws, plan = mail_ws
    rec, port = smtp_server(authenticator=_authenticator("vhxh", "mật-khẩu"),
                            auth_require_tls=False, auth_required=True)
    ok = settings(port, user="vhxh", password="mật-khẩu")
    res = send_forms(ws, plan, PERIOD, units=["Công an xã"], settings=ok, config=CONFIG)
    assert [o.status for o in res.outcomes] == [mail.SENT] and len(rec.received) == 1

    bad = settings(port, user="vhxh", password="sai")
    with pytest.raises(MailError, match="từ chối đăng nhập tài khoản vhxh.*BDG_SMTP_PASSWORD"):
        send_forms(ws, plan, PERIOD, settings=bad, config=CONFIG)
    with pytest.raises(MailError, match="Chưa có mật khẩu.*BDG_SMTP_PASSWORD"):
        send_forms(ws, plan, PERIOD, settings=settings(port, user="vhxh"), config=CONFIG)
    assert len(rec.received) == 1
    with Ledger(ws.ledger_path) as led:
        assert len(led.sends()) == 1                  # nothing recorded for the failures


def test_starttls_with_login(mail_ws, smtp_server, certificate):
    ws, plan = mail_ws
    rec, port = smtp_server(tls_context=_server_context(certificate), require_starttls=True,
                            authenticator=_authenticator("vhxh", "pw"), auth_required=True)
    s = settings(port, security="starttls", user="vhxh", password="pw",
                 cafile=str(certificate[0]))
    res = send_forms(ws, plan, PERIOD, units=["Công an xã", "Trạm Y tế xã"], settings=s,
                     config=CONFIG)
    assert [o.status for o in res.outcomes] == [mail.SENT, mail.SENT]
    assert sorted(to[0] for _, to, _, _ in rec.messages()) == \
        sorted(address_of(n) for n in ("Công an xã", "Trạm Y tế xã"))
    # an untrusted certificate is refused with a message, not a traceback
    with pytest.raises(MailError, match="mã hóa"):
        send_forms(ws, plan, PERIOD, settings=settings(port, security="starttls", user="vhxh",
                                                       password="pw"), config=CONFIG)


def test_implicit_tls(mail_ws, smtp_server, certificate):
    ws, plan = mail_ws
    rec, port = smtp_server(ssl_context=_server_context(certificate))
    s = settings(port, security="ssl", cafile=str(certificate[0]))
    res = send_forms(ws, plan, PERIOD, units=["Công an xã"], settings=s, config=CONFIG)
    assert [o.status for o in res.outcomes] == [mail.SENT] and len(rec.received) == 1


def test_rejected_recipient_fails_that_unit_only(mail_ws, smtp_server):
    ws, plan = mail_ws
    refused = address_of("Công an xã")
    rec, port = smtp_server(refuse=[refused])
    res = send_forms(ws, plan, PERIOD, settings=settings(port), config=CONFIG)
    (failed,) = res.with_status(mail.FAILED)
    assert failed.unit == "Công an xã"
    assert "từ chối địa chỉ người nhận" in failed.error and refused in failed.error
    assert "550" in failed.error
    assert len(res.with_status(mail.SENT)) == len(plan.units) - 2 == len(rec.received)
    with Ledger(ws.ledger_path) as led:
        units = {r["unit_name"] for r in led.sends()}
    assert "Công an xã" not in units and len(units) == len(plan.units) - 2


def test_one_of_two_addresses_refused(mail_ws, smtp_server):
    ws, plan = mail_ws
    unit = plan.unit("Công an xã")
    unit.email = "sai@binhlu.gov.vn; " + address_of("Công an xã")
    rec, port = smtp_server(refuse=["sai@binhlu.gov.vn"])
    res = send_forms(ws, plan, PERIOD, units=[unit.name], settings=settings(port),
                     config=CONFIG)
    (o,) = res.outcomes
    assert o.status == mail.SENT and o.to == [address_of("Công an xã")]
    assert "sai@binhlu.gov.vn" in o.notes[0]


def test_message_too_large(mail_ws, smtp_server):
    ws, plan = mail_ws
    rec, port = smtp_server(data_size_limit=4000)
    res = send_forms(ws, plan, PERIOD, units=["Công an xã", "Trạm Y tế xã"],
                     settings=settings(port), config=CONFIG)
    assert [o.status for o in res.outcomes] == [mail.FAILED, mail.FAILED]
    assert all("Thư quá lớn" in o.error and "552" in o.error for o in res.outcomes)
    assert res.nothing_done and rec.received == []
    with Ledger(ws.ledger_path) as led:
        assert led.sends() == []


def test_refused_connection(mail_ws):
    ws, plan = mail_ws
    port = free_port()                                # nothing listens there
    with pytest.raises(MailError, match=f"Không kết nối được máy chủ thư 127.0.0.1:{port} "
                                        r"\(máy chủ từ chối kết nối\)"):
        send_forms(ws, plan, PERIOD, settings=settings(port), config=CONFIG)
    with Ledger(ws.ledger_path) as led:
        assert led.sends() == []


# -- settings -----------------------------------------------------------------------------
def test_settings_from_config_and_environment():
    cfg = {"smtp": {"host": "mail.laichau.gov.vn", "user": "vhxh"}}
    s = mail.smtp_settings(cfg, env={"BDG_SMTP_PASSWORD": "bí-mật"})
    assert (s.host, s.port, s.security, s.user, s.password) == \
        ("mail.laichau.gov.vn", 587, "starttls", "vhxh", "bí-mật")
    s = mail.smtp_settings(cfg, port=465, env={})
    assert (s.port, s.security, s.password) == (465, "ssl", None)
    s = mail.smtp_settings(cfg, host="127.0.0.1", security="none", env={})
    assert (s.host, s.port) == ("127.0.0.1", 25)
    assert "bí-mật" not in repr(mail.smtp_settings(cfg, env={"BDG_SMTP_PASSWORD": "bí-mật"}))
    with pytest.raises(UsageError, match="--smtp-host"):
        mail.smtp_settings({}, env={})
    for key in ("password", "pass", "smtp_password"):
        with pytest.raises(UsageError, match=f"khóa mật khẩu “{key}”.*BDG_SMTP_PASSWORD"):
            mail.smtp_settings({"smtp": {"host": "x", key: "123"}}, env={})
    with pytest.raises(UsageError, match=r"\[office\]"):
        mail.sender_address({})
    assert mail.sender_address({"smtp": {"from": "Văn phòng <vp@x.vn>"}}) == "Văn phòng <vp@x.vn>"


# -- remind -------------------------------------------------------------------------------
def test_remind_missing_and_needs_fixes(mail_ws, smtp_server):
    ws, plan = mail_ws
    rec, port = smtp_server()
    s = settings(port)
    send_forms(ws, plan, PERIOD, settings=s, config=CONFIG, now=BEFORE)
    forms = {u.name: ws.forms_folder(PERIOD) / form_filename(plan, u, PERIOD) for u in plan.units}
    # Trạm Y tế xã returns a good form, Công an xã one with a text in a number cell
    targets = {u.name: [t.code for t in plan.unit_targets(u)] for u in plan.units}
    fill_form(forms["Trạm Y tế xã"], ws.inbox / "tyt.xlsx",
              {c: Fill(value=50, numerator=50, denominator=100) for c in targets["Trạm Y tế xã"]},
              {f"NV{i + 1}": ("Đã hoàn thành", "") for i in
               range(len(plan.unit("Trạm Y tế xã").tasks))})
    bad_code = targets["Công an xã"][0]
    fill_form(forms["Công an xã"], ws.inbox / "ca.xlsx", {bad_code: Fill(value="chưa có")}, {})
    collected = collect_inbox(ws, plan, PERIOD, workers=1)
    st = {cf.unit: cf.status for cf in collected.files}
    assert st["Công an xã"] == "needs_fixes", st
    rec.received.clear()

    res = send_reminders(ws, plan, PERIOD, settings=s, config=CONFIG, now=BEFORE)
    reminded = {o.unit for o in res.with_status(mail.SENT)}
    expected = {u.name for u in plan.units if u.email} - {"Trạm Y tế xã"}
    if st["Trạm Y tế xã"] != "accepted":          # only an accepted return is left alone
        expected.add("Trạm Y tế xã")
    assert reminded == expected
    assert [o.unit for o in res.with_status(mail.NO_ADDRESS)] == [NO_ADDRESS_UNIT]

    msgs = {to[0]: msg for _, to, msg, _ in rec.messages()}
    fix = msgs[address_of("Công an xã")]
    assert fix["Subject"] == "[BĐG] Đề nghị sửa báo cáo bình đẳng giới năm 2026 — Công an xã"
    body = text_of(fix)
    assert "ca.xlsx" in body and f"mã {bad_code}" in body
    with Ledger(ws.ledger_path) as led:
        rec_ca = next(r for r in led.files() if r.original_name == "ca.xlsx")
        for f in led.findings(rec_ca.id):
            if f.severity == "error":
                assert f.message in body
    name, data = attachment(fix)
    assert name.startswith("Phan-hoi") and data == (ws.feedback_dir / name).read_bytes()

    missing = msgs[address_of("Hội Liên hiệp Phụ nữ xã")] if \
        address_of("Hội Liên hiệp Phụ nữ xã") in msgs else \
        next(m for a, m in msgs.items() if a != address_of("Công an xã"))
    unit = plan.unit(missing["Subject"].split(" — ")[1])
    assert missing["Subject"].startswith("[BĐG] Nhắc gửi báo cáo bình đẳng giới năm 2026")
    assert "chưa nhận được báo cáo" in text_of(missing)
    name, data = attachment(missing)
    assert data == forms[unit.name].read_bytes()

    with Ledger(ws.ledger_path) as led:
        reminds = [r for r in led.sends() if r["kind"] == "remind"]
    assert {r["unit_name"] for r in reminds} == expected
    lines = {ln.unit: ln for ln in status(ws, plan, PERIOD, today=plan.deadline(PERIOD))}
    assert lines["Công an xã"].state == "needs_fixes" and "đã nhắc" in lines["Công an xã"].detail


def test_remind_dry_run_drafts(mail_ws):
    ws, plan = mail_ws
    res = send_reminders(ws, plan, PERIOD, dry_run=True, config=CONFIG)
    assert len(res.with_status(mail.DRAFTED)) == len(plan.units) - 1
    for o in res.with_status(mail.DRAFTED):
        assert o.eml.name.startswith("Nhac_")
        msg = BytesParser(policy=policy.default).parsebytes(o.eml.read_bytes())
        assert "Nhắc gửi báo cáo" in msg["Subject"]


# -- the command line ---------------------------------------------------------------------
def _toml(ws, port, extra: str = "") -> None:
    (ws.root / "bdg-excel.toml").write_text(
        f'[office]\nname = "{OFFICE["name"]}"\nemail = "{OFFICE["email"]}"\n'
        f'phone = "{OFFICE["phone"]}"\n\n[smtp]\nhost = "127.0.0.1"\nport = {port}\n'
        f'security = "none"\n{extra}', encoding="utf-8")


run = run_cli      # (exit code, stdout, stderr) of bdg-excel ARGS, in process


def test_cli_send_status_remind(mail_ws, smtp_server, capsys, monkeypatch):
    monkeypatch.setenv("BDG_TODAY", "2026-11-20")
    ws, plan = mail_ws
    monkeypatch.delenv("BDG_SMTP_PASSWORD", raising=False)
    rec, port = smtp_server()
    _toml(ws, port)
    code, out, err = run(capsys, "send", "-w", ws.root, "--period", PERIOD, "-q")
    assert code == 0, err
    assert f"{NO_ADDRESS_UNIT}: Chưa có địa chỉ thư" in out
    assert f"Công an xã: đã gửi đến {address_of('Công an xã')}" in out
    assert f"Tổng: {len(plan.units) - 1} thư đã gửi; 1 đơn vị chưa có địa chỉ thư (thư nháp " \
           "không có người nhận)." in out
    assert len(rec.received) == len(plan.units) - 1
    # the unit without an address still has its message, as a draft with no recipient
    assert (ws.mail_dir / PERIOD / f"Bieu_{vn.unit_stem(NO_ADDRESS_UNIT)}_CHUA-CO-DIA-CHI.eml").is_file()

    code, out, err = run(capsys, "status", "-w", ws.root, "--period", PERIOD)
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == len(plan.units)
    assert any(ln.startswith("Công an xã | Đã gửi biểu, chờ báo cáo | gửi biểu ") for ln in lines)
    assert any(ln.startswith(f"{NO_ADDRESS_UNIT} | ") and "Chưa gửi biểu" in ln or
               "Chưa nộp" in ln for ln in lines)

    code, out, err = run(capsys, "remind", "-w", ws.root, "--period", PERIOD, "--dry-run",
                         "--unit", "Công an xã")
    assert code == 0 and "Công an xã: thư nháp" in out
    assert list((ws.mail_dir / PERIOD).glob("Nhac_*.eml"))


def test_cli_failures_and_exit_codes(mail_ws, smtp_server, capsys):
    ws, plan = mail_ws
    port = free_port()
    _toml(ws, port)
    code, out, err = run(capsys, "send", "-w", ws.root, "-q")
    assert code == 1 and "Không kết nối được máy chủ thư" in err

    rec, port = smtp_server(refuse=[address_of("Công an xã")])
    _toml(ws, port)
    code, out, err = run(capsys, "send", "-w", ws.root, "-q")
    assert code == 0                                  # the others were sent
    assert "Công an xã: Không gửi được — Máy chủ thư từ chối địa chỉ người nhận" in out
    assert "1 đơn vị không gửi được" in out

    rec, port = smtp_server(data_size_limit=3000)
    _toml(ws, port)
    code, out, err = run(capsys, "send", "-w", ws.root, "-q", "--unit", "Công an xã")
    assert code == 1 and "Thư quá lớn (khoảng " in out and "không gửi được thư nào" in err

    _toml(ws, port, 'password = "123456"\n')
    code, out, err = run(capsys, "send", "-w", ws.root, "-q")
    assert code == 2 and "không ghi mật khẩu vào tệp" in err and "BDG_SMTP_PASSWORD" in err

    code, out, err = run(capsys, "send", "-w", ws.root, "--test-to", "không-phải-địa-chỉ")
    assert code == 2


def test_cli_dry_run_needs_no_server(mail_ws, capsys):
    ws, plan = mail_ws
    (ws.root / "bdg-excel.toml").write_text(f'[office]\nemail = "{OFFICE["email"]}"\n',
                                            encoding="utf-8")
    code, out, err = run(capsys, "send", "-w", ws.root, "--dry-run", "-q")
    assert code == 0, err
    emls = sorted((ws.mail_dir / PERIOD).glob("*.eml"))
    assert len(emls) == len(plan.units)     # the unit with no address: a draft with no To
    assert [p.name for p in emls if p.name.endswith("_CHUA-CO-DIA-CHI.eml")] == \
        [f"Bieu_{vn.unit_stem(NO_ADDRESS_UNIT)}_CHUA-CO-DIA-CHI.eml"]
    for p in emls:
        BytesParser(policy=policy.default).parsebytes(p.read_bytes())


def test_help_texts():
    from click.testing import CliRunner

    from bdg_excel.cli import cli
    for cmd in ("send", "remind", "fetch", "status"):
        r = CliRunner().invoke(cli, [cmd, "--help"])
        assert r.exit_code == 0 and len(r.output) > 200


def _unused(path: Path) -> None:  # pragma: no cover
    pass
