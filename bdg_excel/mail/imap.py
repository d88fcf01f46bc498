"""Fetching returns from an IMAP mailbox into inbox/, recording the sender and the
message time, never fetching a message twice."""

from __future__ import annotations

import base64
import hashlib
import imaplib
import os
import re
import ssl
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

from ..core import vn
from ..core.errors import MailError
from ..core.workspace import Workspace, make_shareable, unique_path
from ..intake.containers import message_attachments, message_origin
from ..intake.ledger import Ledger
from .settings import (IMAP_PASSWORD_ENV, RETURN_SUFFIXES, ServerSettings, _connect_message,
                       _iso, _quietly)


# -- fetching ----------------------------------------------------------------------------
#: attachments saved into inbox/: workbooks, and archives of them (collect opens them)
FETCH_SUFFIXES = RETURN_SUFFIXES + (".zip", ".7z")


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
          now: datetime | None = None, progress=None) -> FetchResult:
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
            for i, uid in enumerate(sorted(uids)):
                if progress:
                    progress(i, len(uids))
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
            if progress:
                progress(len(uids), len(uids))
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
    sender, time, subject = message_origin(msg)
    fm = FetchedMessage(key, sender, subject or "", time or internal)
    written = []
    for name, data in message_attachments(msg):
        name = _safe_name(name)
        if Path(name).suffix.lower() not in FETCH_SUFFIXES:
            fm.ignored.append(name)
            continue
        dest = _write_new(ws.inbox, name, data)
        written.append((dest, hashlib.sha256(data).hexdigest()))
        fm.files.append(dest)
    return fm, written


def _safe_name(name: str) -> str:
    """A received file's name, safe to save: no folder part, no control, Windows-forbidden
    or invisible direction characters (a right-to-left override makes "xlsx.exe" look
    like "exe.xlsx"), never a Windows device name (CON, NUL, COM1 …), and short enough
    for any file system (at most :data:`MAX_NAME_BYTES` bytes, the suffix kept)."""
    name = vn.nfc(str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = _INVISIBLE.sub("", name)
    name = re.sub(r'[<>:"|?*\x00-\x1f\x7f]', "_", name).strip().lstrip(".~$ ").rstrip(". ")
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix) > 16:
        stem, suffix = name, ""
    while len((stem + suffix).encode()) + 1 > MAX_NAME_BYTES and stem:
        stem = stem[:-1]
    stem = stem.rstrip(". ")
    if stem.split(".")[0].strip().upper() in _DEVICES:
        stem = "_" + stem
    name = f"{stem}.{suffix}" if suffix else stem
    return name if stem else "tep-dinh-kem" + (f".{suffix}" if suffix else "")


MAX_NAME_BYTES = 150
# bidirectional controls and other invisible format characters
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_DEVICES = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | \
    {f"{d}{i}" for d in ("COM", "LPT") for i in "123456789¹²³"}


def _write_new(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` under a name not yet used in ``folder``; never replaces a file.
    The bytes go to a temporary file first (".~lock…": collect skips it), so a crash
    never leaves half a workbook in inbox/."""
    fd, tmp = tempfile.mkstemp(prefix=".~lock-fetch-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        make_shareable(Path(tmp))
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
