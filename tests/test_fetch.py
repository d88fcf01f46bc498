"""Fetching returns from a real IMAP server on loopback: Debian's dovecot, started here
with a private configuration in a temporary folder, messages delivered by IMAP APPEND."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest

from bdg_excel import mail
from bdg_excel.cli import main
from bdg_excel.demo import Fill, fill_form
from bdg_excel.core.errors import MailError
from bdg_excel.intake.ledger import Ledger
from bdg_excel.workflow import collect_inbox, fetch_mail, status

DOVECOT = shutil.which("dovecot") or next(
    (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.path.exists(p)), None)
pytestmark = [pytest.mark.imap,
              pytest.mark.skipif(DOVECOT is None, reason="dovecot is not installed")]

USER, PASSWORD = "vhxh", "mật khẩu thử"
ICT = timezone(timedelta(hours=7))


def login(imap: imaplib.IMAP4) -> None:
    creds = b"\0" + USER.encode() + b"\0" + PASSWORD.encode()   # UTF-8 password
    imap.authenticate("PLAIN", lambda _: creds)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def imap_server(tmp_path):
    """dovecot on 127.0.0.1:<free port>, plaintext login allowed; yields the port."""
    root = tmp_path / "dovecot"
    root.mkdir()
    port = free_port()
    if os.getuid() == 0:   # dovecot never runs mail or login processes as root
        mail_user = pwd.getpwnam("dovecot")
        maildirs = Path(tempfile.mkdtemp(prefix="bdg-imap-"))
        os.chown(maildirs, mail_user.pw_uid, mail_user.pw_gid)
        users = ("default_internal_user = dovecot\ndefault_internal_group = dovecot\n"
                 "default_login_user = dovenull\n")
        uid, gid, chroot = "dovecot", "dovecot", ""
    else:
        me = pwd.getpwuid(os.getuid())
        maildirs = root / "mail"
        maildirs.mkdir()
        users = (f"default_internal_user = {me.pw_name}\ndefault_login_user = {me.pw_name}\n"
                 f"default_internal_group = {me.pw_gid}\n")
        uid, gid = me.pw_uid, me.pw_gid
        chroot = "service anvil {\n  chroot =\n}\n"
    passwd = maildirs / "passwd"      # read by dovecot's auth process (its internal user)
    passwd.write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n", encoding="utf-8")
    if os.getuid() == 0:
        os.chown(passwd, mail_user.pw_uid, mail_user.pw_gid)
    conf = root / "dovecot.conf"
    conf.write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 0
{users}
mail_location = maildir:{maildirs}/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={maildirs}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
{"  chroot =" if chroot else ""}
}}
{chroot}
""", encoding="utf-8")
    console = (root / "console.txt").open("wb")
    proc = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=console,
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                imap = imaplib.IMAP4("127.0.0.1", port, timeout=5)
                login(imap)
                imap.logout()
                break
            except (OSError, imaplib.IMAP4.error):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = (root / "dovecot.log")
                    pytest.fail("dovecot did not start: " + (root / "console.txt").read_text()
                                + (log.read_text() if log.exists() else ""))
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait(10)
        console.close()
        if maildirs != root / "mail":
            shutil.rmtree(maildirs, ignore_errors=True)


def settings(port, **kw) -> mail.ServerSettings:
    return mail.ServerSettings(host="127.0.0.1", port=port, user=kw.pop("user", USER),
                               password=kw.pop("password", PASSWORD), security="none",
                               timeout=10, **kw)


def message(sender: str, when: datetime, subject: str, attachments=(), text="Gửi báo cáo.",
            msgid: str | None = None) -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = "vhxh@binhlu.gov.vn"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = msgid or make_msgid(domain="binhlu.gov.vn")
    msg.set_content(text)
    for name, data in attachments:
        main_, sub = ("application", "pdf") if name.endswith(".pdf") else \
            ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        msg.add_attachment(data, maintype=main_, subtype=sub, filename=name)
    return msg.as_bytes()


def deliver(port, raw: bytes, when: datetime | None = None, folder="INBOX") -> None:
    imap = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    login(imap)
    typ, data = imap.append(folder, None, imaplib.Time2Internaldate(when) if when else None, raw)
    assert typ == "OK", data
    imap.logout()


def local_iso(when: datetime) -> str:
    return when.astimezone().replace(tzinfo=None).isoformat()


@pytest.fixture
def returns(make_workspace, tmp_path):
    """(ws, plan, period, {unit: filled workbook bytes})."""
    ws, plan, period, forms = make_workspace("binh-lu")
    out = {}
    for unit in ("Trạm Y tế xã", "Công an xã"):
        form = next(f for f in forms if f.unit == unit)
        u = plan.unit(unit)
        values = {t.code: Fill(value=40, numerator=40, denominator=100)
                  for t in plan.unit_targets(u)}
        tasks = {f"NV{i + 1}": ("Đã hoàn thành", "") for i in range(len(u.tasks))}
        path = fill_form(form.path, tmp_path / f"{u.key}.xlsx", values, tasks)
        out[unit] = Path(path).read_bytes()
    for u in plan.units:
        u.email = {"Trạm Y tế xã": "tramyte@binhlu.gov.vn",
                   "Công an xã": "congan@binhlu.gov.vn"}.get(u.name)
    return ws, plan, period, out


def test_fetch_attachments_duplicates_and_collect(imap_server, returns):
    ws, plan, period, data = returns
    port = imap_server
    t1 = datetime(2026, 11, 27, 9, 15, tzinfo=ICT)
    t2 = datetime(2026, 12, 3, 16, 40, tzinfo=ICT)       # after the 30/11 deadline
    deliver(port, message("Trạm Y tế xã <TramYTe@binhlu.gov.vn>", t1, "Báo cáo BĐG năm 2026",
                          [("Báo cáo Trạm Y tế.xlsx", data["Trạm Y tế xã"])]))
    deliver(port, message("congan@binhlu.gov.vn", t2, "Gửi báo cáo",
                          [("BC-CA.xlsx", data["Công an xã"]), ("Công văn.pdf", b"%PDF-1.4")]))
    deliver(port, message("hlhpn@binhlu.gov.vn", t1, "Xin gia hạn",
                          text="Đơn vị xin gia hạn nộp báo cáo đến 10/12."))
    # the same workbook sent again in a second message: a second file, a duplicate to collect
    deliver(port, message("tramyte@binhlu.gov.vn", t2, "Gửi lại",
                          [("Báo cáo Trạm Y tế.xlsx", data["Trạm Y tế xã"])]))

    res = fetch_mail(ws, settings(port))
    assert len(res.messages) == 4 and res.already == 0
    names = sorted(p.name for p in ws.inbox.iterdir())
    assert names == ["BC-CA.xlsx", "Báo cáo Trạm Y tế (2).xlsx", "Báo cáo Trạm Y tế.xlsx"]
    assert (ws.inbox / "Báo cáo Trạm Y tế.xlsx").read_bytes() == data["Trạm Y tế xã"]
    assert (ws.inbox / "BC-CA.xlsx").read_bytes() == data["Công an xã"]
    (empty,) = res.without_attachment
    assert empty.sender == "hlhpn@binhlu.gov.vn" and empty.subject == "Xin gia hạn"
    ca = next(m for m in res.messages if m.sender == "congan@binhlu.gov.vn")
    assert ca.ignored == ["Công văn.pdf"] and ca.time == t2

    # received but not yet collected: status says so
    lines = {ln.unit: ln for ln in status(ws, plan, period, today=t2.date())}
    assert lines["Trạm Y tế xã"].state == "received"
    assert lines["Công an xã"].state == "received" and lines["Công an xã"].days_late == 3

    # fetched again: nothing new, nothing overwritten
    again = fetch_mail(ws, settings(port))
    assert again.messages == [] and again.already == 4
    assert sorted(p.name for p in ws.inbox.iterdir()) == names

    collected = collect_inbox(ws, plan, period, workers=1)
    by_name = {cf.name: cf for cf in collected.files}
    # one of the two copies is the return, the other a duplicate by hash (which one is
    # collect's order of the inbox, not the message times)
    copies = [by_name["Báo cáo Trạm Y tế.xlsx"], by_name["Báo cáo Trạm Y tế (2).xlsx"]]
    assert sorted(cf.status == "duplicate" for cf in copies) == [False, True]
    assert next(cf for cf in copies if cf.status != "duplicate").unit == "Trạm Y tế xã"
    with Ledger(ws.ledger_path) as led:
        recs = {r.original_name: r for r in led.files()}
    assert recs["Báo cáo Trạm Y tế.xlsx"].received_at == local_iso(t1)
    assert recs["Báo cáo Trạm Y tế.xlsx"].sender == "tramyte@binhlu.gov.vn"
    assert recs["BC-CA.xlsx"].received_at == local_iso(t2)
    assert recs["BC-CA.xlsx"].sender == "congan@binhlu.gov.vn"
    assert recs["Báo cáo Trạm Y tế (2).xlsx"].received_at == local_iso(t2)

    lines = {ln.unit: ln for ln in status(ws, plan, period, today=t2.date())}
    assert lines["Công an xã"].state == "late" and lines["Công an xã"].days_late == 3
    assert lines["Trạm Y tế xã"].state in ("accepted", "late", "needs_fixes")


def test_same_message_twice_is_fetched_once(imap_server, returns):
    ws, plan, period, data = returns
    raw = message("congan@binhlu.gov.vn", datetime(2026, 11, 20, 8, 0, tzinfo=ICT), "BC",
                  [("ca.xlsx", data["Công an xã"])], msgid="<bc-ca-1@binhlu.gov.vn>")
    deliver(imap_server, raw)
    deliver(imap_server, raw)         # delivered twice (e.g. sent to two lists)
    res = fetch_mail(ws, settings(imap_server))
    assert len(res.messages) == 1 and res.already == 1
    assert [p.name for p in ws.inbox.iterdir()] == ["ca.xlsx"]


def test_since_and_mark_seen(imap_server, returns):
    ws, plan, period, data = returns
    # fixed days in the past (dovecot refuses dates after its own clock)
    old, new = datetime(2026, 2, 1, 9, tzinfo=ICT), datetime(2026, 7, 20, 9, tzinfo=ICT)
    deliver(imap_server, message("a@binhlu.gov.vn", old, "cũ", [("cu.xlsx", b"PK old")]), old)
    deliver(imap_server, message("b@binhlu.gov.vn", new, "mới", [("moi.xlsx", b"PK new")]), new)
    res = fetch_mail(ws, settings(imap_server), since=new.date() - timedelta(days=1),
                     mark_seen=True)
    assert [p.name for p in res.files] == ["moi.xlsx"]
    imap = imaplib.IMAP4("127.0.0.1", imap_server, timeout=10)
    login(imap)
    imap.select("INBOX", readonly=True)
    typ, seen = imap.uid("SEARCH", "SEEN")
    typ, unseen = imap.uid("SEARCH", "UNSEEN")
    imap.logout()
    assert len(seen[0].split()) == 1 and len(unseen[0].split()) == 1


def test_imap_failures(imap_server, returns):
    ws, plan, period, data = returns
    with pytest.raises(MailError, match=f"từ chối đăng nhập tài khoản {USER}.*BDG_IMAP_PASSWORD"):
        fetch_mail(ws, settings(imap_server, password="sai"))
    with pytest.raises(MailError, match="không có thư mục “Báo cáo”"):
        fetch_mail(ws, settings(imap_server), folder="Báo cáo")
    port = free_port()
    with pytest.raises(MailError, match=f"Không kết nối được máy chủ IMAP 127.0.0.1:{port}"):
        fetch_mail(ws, settings(port))
    with pytest.raises(MailError, match="STARTTLS"):
        fetch_mail(ws, mail.ServerSettings("127.0.0.1", imap_server, USER, PASSWORD,
                                           security="starttls", timeout=10))


def test_cli_fetch_then_collect(imap_server, returns, capsys, monkeypatch):
    ws, plan, period, data = returns
    deliver(imap_server, message("tramyte@binhlu.gov.vn", datetime(2026, 11, 2, tzinfo=ICT),
                                 "BC", [("tyt.xlsx", data["Trạm Y tế xã"])]))
    monkeypatch.setenv("BDG_IMAP_PASSWORD", PASSWORD)
    args = ["fetch", "-w", str(ws.root), "--imap-host", "127.0.0.1", "--imap-port",
            str(imap_server), "--imap-user", USER, "--plain", "--since", "01/11/2026"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Thư của tramyte@binhlu.gov.vn" in out and "tyt.xlsx" in out
    assert "1 thư mới, 1 tệp đã lưu" in out and "bdg-excel consolidate" in out
    assert main(args) == 0
    assert "0 thư mới, 0 tệp đã lưu" in capsys.readouterr().out
    monkeypatch.setenv("BDG_IMAP_PASSWORD", "sai")
    assert main(args) == 1
    assert "từ chối đăng nhập" in capsys.readouterr().err


def test_a_zip_attached_to_a_message_is_fetched_and_its_forms_keep_the_mail_origin(
        imap_server, returns):
    """A unit office zips its two units' forms into one attachment: both arrive, each
    with the message's sender and time."""
    import io
    import zipfile

    ws, plan, period, data = returns
    t1 = datetime(2026, 11, 26, 14, 5, tzinfo=ICT)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Trạm Y tế.xlsx", data["Trạm Y tế xã"])
        zf.writestr("Công an.xlsx", data["Công an xã"])
    deliver(imap_server, message("vanphong@binhlu.gov.vn", t1, "Hai báo cáo",
                                 [("hai báo cáo.zip", buf.getvalue())]))
    res = fetch_mail(ws, settings(imap_server))
    assert [p.name for p in res.files] == ["hai báo cáo.zip"]
    collected = collect_inbox(ws, plan, period, workers=1)
    by_name = {cf.name: cf for cf in collected.files}
    assert by_name["hai báo cáo.zip/Trạm Y tế.xlsx"].unit == "Trạm Y tế xã"
    assert by_name["hai báo cáo.zip/Công an.xlsx"].unit == "Công an xã"
    with Ledger(ws.ledger_path) as led:
        recs = {r.original_name: r for r in led.files()}
    for name in ("hai báo cáo.zip/Trạm Y tế.xlsx", "hai báo cáo.zip/Công an.xlsx"):
        assert recs[name].received_at == local_iso(t1)
        assert recs[name].sender == "vanphong@binhlu.gov.vn"
