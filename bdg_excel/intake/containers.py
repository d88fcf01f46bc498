"""Returns that arrive inside something: a .zip or .7z archive (nested ones too), a saved
e-mail (.eml, Outlook .msg). :func:`unpack` writes the workbooks inside into a folder of their
own, bounded and named safely; collection then reads them as if dropped into inbox/, and
archives the container whole.

Every containment rule of a workbook holds inside a container as well, before anything is
written: at most :data:`MAX_MEMBERS` members; a member is at most
:data:`untrusted.MAX_BYTES` once inflated (counted while inflating, the zip directory's
sizes are not trusted), inflates at most :data:`MAX_RATIO` times its stored size, and all
of them together at most :data:`MAX_TOTAL`; a member named ``../…``, absolute, with a
drive letter, a link, or encrypted is not written and is named in a finding; containers
nest at most :data:`MAX_DEPTH` deep. Member names written without the zip's UTF-8 flag
(Windows archivers) are read as the UTF-8 or Windows-1258 they really are.

A .7z is read with py7zr (LGPL-2.1, a library dependency): each member is written
through a writer that stops the decompression past the limits (7z has no per-member
stored size, so there is no ratio to check: the size limits hold). A .rar is not read:
every maintained reader needs the non-free ``unrar`` program; it is named, with what to do.

Nothing here raises for a bad container: what could not be read is a finding.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..core import vn
from ..core.findings import ERROR, Finding
from . import untrusted

MAX_MEMBERS = 500                 # members of one container (a province's zip: ~170 forms)
MAX_TOTAL = 256 * 1024 * 1024     # everything written out of one container
MAX_RATIO = 200                   # inflated / stored, beyond a first megabyte
MAX_DEPTH = 3                     # a zip in a zip in a zip
_CHUNK = 64 * 1024

#: what is taken out of a container: what inbox/ reads, and containers to open in turn
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")
CONTAINER_SUFFIXES = (".zip", ".7z", ".eml", ".msg")
NOT_READ_SUFFIXES = (".rar",)

_7Z_MAGIC = b"7z\xbc\xaf\x27\x1c"
_RAR_MAGIC = b"Rar!\x1a\x07"


@dataclass
class Member:
    path: Path              # where its bytes were written
    name: str               # its path inside the container ("bieu/Tram-y-te.xlsx")


@dataclass
class Unpacked:
    kind: str                                           # zip, eml, msg, 7z, rar
    members: list[Member] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    sender: str | None = None                           # an e-mail's From address
    sent_at: datetime | None = None                     # an e-mail's Date
    subject: str | None = None
    readable: bool = True                               # False: nothing could be read


def kind_of(path: Path) -> str | None:
    """zip, eml, msg, 7z or rar for a container, None for anything else (a workbook —
    itself a zip — included)."""
    suffix = path.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        return None     # read as a workbook (a zip renamed .xlsx is named by the reader)
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError:
        return None
    if head.startswith(_7Z_MAGIC) or suffix == ".7z":
        return "7z"
    if head.startswith(_RAR_MAGIC) or suffix == ".rar":
        return "rar"
    if suffix == ".eml":
        return "eml"
    if suffix == ".msg" and head.startswith(untrusted.OLE_MAGIC):
        return "msg"
    if head.startswith(b"PK"):
        sniffed = untrusted.sniff(path)
        if sniffed == "zip" or (sniffed == "broken_zip" and suffix == ".zip"):
            return "zip"
    return None


def unpack(path: Path, name: str, out: Path, *, depth: int = 0) -> Unpacked:
    """Write the workbooks inside the container ``path`` (shown as ``name``) into the
    folder ``out``, nested containers opened in turn (their members named
    ``inner.zip/…``)."""
    kind = kind_of(path) or "zip"
    res = Unpacked(kind)
    out.mkdir(parents=True, exist_ok=True)
    budget = [MAX_TOTAL]
    try:
        if kind == "zip":
            _unzip(path, name, out, res, depth, budget)
        elif kind == "7z":
            _un7z(path, name, out, res, depth, budget)
        elif kind == "eml":
            _eml(path, name, out, res, depth, budget)
        elif kind == "msg":
            from .outlook import read_msg

            _attachments(read_msg(path, name, res), name, out, res, depth, budget)
        else:
            res.readable = False
            res.findings.append(_finding(
                "archive_not_read", f"Tệp nén {name} (dạng .{kind}) chưa đọc được. Giải nén "
                "tệp (WinRAR, 7-Zip) rồi chép các tệp Excel trong đó vào inbox/, hoặc nén lại "
                "thành tệp .zip rồi chạy lại; tệp được lưu nguyên vẹn trong archive/.", name))
    except _Refused as exc:
        res.readable = False
        res.members = []
        res.findings.append(_finding(exc.code, exc.message, name))
    except Exception as exc:  # noqa: BLE001 - one bad container never stops the run
        res.readable = False
        res.members = []
        res.findings.append(_finding(
            "container_broken", f"Không mở được tệp {name} ({type(exc).__name__}): tệp bị "
            "hỏng hoặc chưa chép xong. Xin đơn vị gửi lại; tệp được lưu nguyên vẹn trong "
            "archive/.", name))
    return res


class _Refused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(code)
        self.code, self.message = code, message


def _finding(code: str, message: str, name: str, severity: str = ERROR) -> Finding:
    return Finding(code, message, severity, file=name)


# -- zip ---------------------------------------------------------------------------------
def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author wrote it: without the UTF-8 flag, zipfile reads
    the bytes as cp437, which Vietnamese Windows archivers never meant (they wrote UTF-8
    or the ANSI code page, Windows-1258). With the flag, a name that is itself such a
    misreading ("B├ío c├ío", re-encoded by a tool that trusted cp437) is repaired too: text
    whose cp437 bytes are valid non-ASCII UTF-8 is practically never anything else."""
    name = info.filename
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        raw = None
    if raw is not None and not raw.isascii():
        for enc in ("utf-8",) if info.flag_bits & 0x800 else ("utf-8", "cp1258"):
            try:
                name = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
    return vn.nfc(name.replace("\\", "/"))


_DRIVE = re.compile(r"^[A-Za-z]:")


def _unsafe(name: str) -> bool:
    return name.startswith("/") or bool(_DRIVE.match(name)) or \
        ".." in name.split("/")


def _unzip(path: Path, name: str, out: Path, res: Unpacked, depth: int, budget) -> None:
    with path.open("rb") as raw, zipfile.ZipFile(raw) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > MAX_MEMBERS:
            raise _Refused("container_too_many", f"Tệp nén {name} chứa {len(infos)} tệp "
                           f"(tối đa {MAX_MEMBERS}): không mở. Chia thành các tệp nén nhỏ hơn, "
                           "hoặc giải nén rồi chép các tệp Excel vào inbox/.")
        for info in infos:
            inner = member_name(info)
            shown = f"{name}/{inner}"
            if not _member_ok(inner, shown, name, res, link=stat.S_ISLNK(info.external_attr >> 16),
                              encrypted=bool(info.flag_bits & 0x1)):
                continue
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                res.findings.append(_finding(
                    "member_compression", f"{shown} được nén theo cách chương trình chưa đọc "
                    "được: nén lại bằng chức năng nén .zip của Windows rồi gửi lại.", name))
                continue
            dest = _dest(out, inner)
            try:
                _copy_member(zf, info, dest, shown, budget)
            except _Refused as exc:
                if dest.exists():
                    dest.unlink()
                if exc.code == "container_too_large":
                    raise
                res.findings.append(_finding(exc.code, exc.message, name))
                continue
            _take(dest, shown, out, res, depth, budget)


def _clutter(name: str) -> bool:
    """What archivers and office programs leave beside the files: macOS's ``__MACOSX/``
    and ``._name`` resource forks, ``~$name.xlsx`` / ``.~lock.name#`` lock files."""
    base = name.rsplit("/", 1)[-1]
    return name.startswith("__MACOSX/") or base.startswith(("._", "~$", ".~lock")) or \
        base in (".DS_Store", "Thumbs.db", "desktop.ini")


def _member_ok(inner: str, shown: str, name: str, res: Unpacked, *, link: bool,
               encrypted: bool) -> bool:
    """The rules every archive member passes before a byte of it is written; a member
    that fails one is named in ``res`` (clutter silently skipped)."""
    if _unsafe(inner):
        res.findings.append(_finding(
            "member_unsafe_name", f"Tệp {shown} trong tệp nén có tên trỏ ra ngoài thư mục (“..” "
            "hoặc đường dẫn tuyệt đối): không đọc. Nén lại các tệp Excel bằng tên bình thường "
            "rồi gửi lại.", name))
        return False
    if link:
        res.findings.append(_finding(
            "member_link", f"{shown} là liên kết (symlink), không phải tệp: không đọc. Nén "
            "chính các tệp Excel rồi gửi lại.", name))
        return False
    if _clutter(inner):
        return False    # macOS resource forks, Office lock files: not returns
    if not _wanted(inner):
        res.findings.append(_finding("member_skipped", f"{shown} không phải bảng tính: không "
                                     "đọc.", name, "info"))
        return False
    if encrypted:
        res.findings.append(_finding(
            "member_encrypted", f"{shown} được nén có mật khẩu: không đọc được. Nén lại không "
            "đặt mật khẩu (hoặc gửi riêng tệp Excel) rồi gửi lại.", name))
        return False
    return True


def _wanted(name: str) -> bool:
    return name.lower().endswith(WORKBOOK_SUFFIXES + CONTAINER_SUFFIXES + NOT_READ_SUFFIXES)


def _dest(out: Path, inner: str) -> Path:
    """A fresh path under ``out`` for a member: every part a safe name (no control or
    Windows-forbidden characters, no device names), never one already written."""
    parts = [vn.safe_filename(p, 120) or "tep" for p in inner.split("/") if p not in ("", ".")]
    dest = out.joinpath(*parts) if parts else out / "tep"
    dest.parent.mkdir(parents=True, exist_ok=True)
    stem, suffix, n = dest.stem, dest.suffix, 1
    while dest.exists():
        n += 1
        dest = dest.with_name(f"{stem} ({n}){suffix}")
    return dest


def _copy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, shown: str,
                 budget: list[int]) -> None:
    """Inflate one member into ``dest``, counting what it really inflates to."""
    written = 0
    limit = untrusted.MAX_BYTES
    stored = max(info.compress_size, 1)
    with zf.open(info) as src, open(dest, "xb") as fh:
        while True:
            chunk = src.read(_CHUNK)
            if not chunk:
                break
            written += len(chunk)
            if written > limit:
                raise _Refused("member_too_large", f"{shown} quá lớn (hơn "
                               f"{limit // (1024 * 1024)} MB khi giải nén): không đọc. Một biểu "
                               "mẫu chỉ vài chục KB; kiểm tra lại tệp.")
            if written > 1024 * 1024 and written > MAX_RATIO * stored:
                raise _Refused("member_zip_bomb", f"{shown} phình ra hơn {MAX_RATIO} lần khi "
                               "giải nén (tệp nén độc hại?): không đọc.")
            if written > budget[0]:
                raise _Refused("container_too_large", f"Các tệp trong {shown.split('/')[0]} "
                               f"vượt {MAX_TOTAL // (1024 * 1024)} MB khi giải nén: không mở.")
            fh.write(chunk)
    budget[0] -= written


# -- 7z ----------------------------------------------------------------------------------
def _un7z(path: Path, name: str, out: Path, res: Unpacked, depth: int, budget) -> None:
    import py7zr
    from py7zr.exceptions import PasswordRequired

    try:
        archive = py7zr.SevenZipFile(path, "r")
    except PasswordRequired:
        raise _Refused("member_encrypted", f"Tệp nén {name} có mật khẩu: không đọc được. Nén "
                       "lại không đặt mật khẩu rồi gửi lại.") from None
    with archive:
        infos = [i for i in archive.list() if not i.is_directory]
        if len(infos) > MAX_MEMBERS:
            raise _Refused("container_too_many", f"Tệp nén {name} chứa {len(infos)} tệp (tối "
                           f"đa {MAX_MEMBERS}): không mở.")
        encrypted = archive.needs_password()
        wanted: dict[str, str] = {}     # name in the archive -> as shown
        for info in infos:
            inner = vn.nfc(info.filename.replace("\\", "/"))
            shown = f"{name}/{inner}"
            if _member_ok(inner, shown, name, res, link=info.is_symlink, encrypted=encrypted):
                wanted[info.filename] = inner
        if not wanted:
            return
        factory = _CappedFactory(out, wanted, budget)
        try:
            archive.extract(targets=list(wanted), factory=factory)
        except _Refused:
            factory.close()
            for dest, _ in factory.written:
                dest.unlink(missing_ok=True)
            raise
        factory.close()
    for dest, inner in factory.written:
        _take(dest, f"{name}/{inner}", out, res, depth, budget)


class _CappedFactory:
    """py7zr's writer factory: each member into its own file under ``out``, refused (the
    decompression stopped) past :data:`untrusted.MAX_BYTES` or the container's budget."""

    def __init__(self, out: Path, wanted: dict[str, str], budget: list[int]):
        self.out, self.wanted, self.budget = out, wanted, budget
        self.written: list[tuple[Path, str]] = []
        self.files: list[_CappedFile] = []

    def create(self, filename: str):
        inner = self.wanted.get(filename, filename)
        dest = _dest(self.out, inner)
        self.written.append((dest, inner))
        self.files.append(_CappedFile(dest, inner, self.budget))
        return self.files[-1]

    def close(self) -> None:
        for f in self.files:
            f.close()


class _CappedFile:
    def __init__(self, dest: Path, inner: str, budget: list[int]):
        self.dest, self.inner, self.budget = dest, inner, budget
        self.fh = open(dest, "xb")
        self.n = 0

    def write(self, s) -> int:
        self.n += len(s)
        if self.n > untrusted.MAX_BYTES:
            self.fh.close()
            raise _Refused("member_too_large", f"{self.inner} quá lớn (hơn "
                           f"{untrusted.MAX_BYTES // (1024 * 1024)} MB khi giải nén): tệp nén "
                           "không được mở. Một biểu mẫu chỉ vài chục KB; kiểm tra lại tệp.")
        if self.n > self.budget[0]:
            self.fh.close()
            raise _Refused("container_too_large", f"Các tệp trong tệp nén vượt "
                           f"{MAX_TOTAL // (1024 * 1024)} MB khi giải nén: không mở.")
        return self.fh.write(s)

    def close(self) -> None:
        if not self.fh.closed:
            self.fh.close()
            self.budget[0] -= self.n

    def read(self, size=None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.fh.seek(offset, whence)

    def flush(self) -> None:
        self.fh.flush()

    def size(self) -> int:
        return self.n


def _take(dest: Path, shown: str, out: Path, res: Unpacked, depth: int, budget) -> None:
    """A member written out: a workbook is kept, a container opened in turn (bounded)."""
    low = dest.name.lower()
    if not low.endswith(CONTAINER_SUFFIXES + NOT_READ_SUFFIXES):
        res.members.append(Member(dest, shown))
        return
    if depth + 1 >= MAX_DEPTH:
        dest.unlink()
        res.findings.append(_finding(
            "container_too_deep", f"{shown}: tệp nén lồng quá {MAX_DEPTH} lớp, không mở. Giải "
            "nén rồi chép các tệp Excel vào inbox/.", shown.split("/")[0]))
        return
    inner = unpack(dest, shown, dest.with_name(dest.name + ".d"), depth=depth + 1)
    dest.unlink()
    res.members.extend(inner.members)
    res.findings.extend(inner.findings)


# -- saved e-mails -----------------------------------------------------------------------
def _eml(path: Path, name: str, out: Path, res: Unpacked, depth: int, budget) -> None:
    size = path.stat().st_size
    if size > 4 * untrusted.MAX_BYTES:
        raise _Refused("container_too_large", f"Thư {name} quá lớn ({size // (1024 * 1024)} "
                       "MB): không mở. Lưu riêng các tệp Excel đính kèm vào inbox/.")
    from email import policy          # the e-mail parser: only for a saved e-mail
    from email.parser import BytesParser

    msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    res.sender, res.sent_at, res.subject = message_origin(msg)
    _attachments(message_attachments(msg), name, out, res, depth, budget)


def message_attachments(msg) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every attachment of a parsed message, forwarded messages'
    included; names as the sender wrote them (RFC 2231 and 2047 decoded)."""
    files = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if not filename:
            continue
        try:
            data = part.get_payload(decode=True) or b""
        except Exception:  # noqa: BLE001 - a broken transfer encoding
            data = b""
        files.append((str(filename), data))
    return files


def message_origin(msg) -> tuple[str | None, datetime | None, str | None]:
    """(From address, Date, Subject) of a parsed message, as ``fetch`` records them."""
    from email.utils import parseaddr, parsedate_to_datetime

    sender = parseaddr(str(msg.get("From", "") or ""))[1].lower() or None
    try:
        when = parsedate_to_datetime(str(msg["Date"])) if msg["Date"] else None
    except (TypeError, ValueError, IndexError):
        when = None
    return sender, when, vn.clean(str(msg.get("Subject", "") or "")) or None


def _attachments(files, name: str, out: Path, res: Unpacked, depth: int, budget) -> None:
    """Attachments (file name, bytes) of a message: workbooks and containers written out,
    the rest named."""
    if len(files) > MAX_MEMBERS:
        raise _Refused("container_too_many", f"Thư {name} có {len(files)} tệp đính kèm (tối "
                       f"đa {MAX_MEMBERS}): không mở.")
    for filename, data in files:
        inner = vn.nfc(str(filename)).replace("\\", "/").rsplit("/", 1)[-1] or "tep"
        shown = f"{name}/{inner}"
        if _clutter(inner):
            continue
        if not _wanted(inner):
            res.findings.append(_finding("member_skipped", f"{shown} không phải bảng tính: "
                                         "không đọc.", name, "info"))
            continue
        if len(data) > untrusted.MAX_BYTES or len(data) > budget[0]:
            res.findings.append(_finding(
                "member_too_large", f"{shown} quá lớn (hơn {untrusted.MAX_BYTES // (1024 * 1024)}"
                " MB): không đọc.", name))
            continue
        budget[0] -= len(data)
        dest = _dest(out, inner)
        with open(dest, "xb") as fh:
            fh.write(data)
        _take(dest, shown, out, res, depth, budget)


__all__ = ["kind_of", "unpack", "Unpacked", "Member", "member_name", "message_origin",
           "message_attachments",
           "MAX_MEMBERS", "MAX_TOTAL", "MAX_RATIO", "MAX_DEPTH", "WORKBOOK_SUFFIXES",
           "CONTAINER_SUFFIXES"]
