"""Filing returned files: from inbox/ into archive/ without ever losing or overwriting a
byte, under names every file system takes; the hash read once per file (and a file
still being written told apart); the names and reasons the officer reads.

Used by :mod:`bdg_excel.intake.collect` (files dropped into inbox/) and
:mod:`bdg_excel.intake.unpacking` (the containers among them).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..core import vn
from ..core.errors import WorkspaceError
from ..core.findings import ERROR, WARNING, Finding
from ..core.workspace import TEMP_PREFIX, WINDOWS_MAX_PATH, Workspace
from . import ledger as lg


@dataclass
class CollectResult:
    files: list[CollectedFile] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)    # lock files, folders, links,
    #                  files still arriving or unreadable: left in inbox/ for the next run
    notes: list[Finding] = field(default_factory=list)      # recorded, but something is
    #                  left to do: a file that could not leave inbox/, feedback to retry
    #: signed copies (PDF, scans) kept beside a unit's return: (unit or None, archived path)
    signed: list[tuple[str | None, Path]] = field(default_factory=list)
    period: str | None = None                               # the period collected for

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def other_period(self) -> list[CollectedFile]:
        """Recognised returns of another period than the one collected for: recorded
        under their own period, left for its consolidation."""
        return [f for f in self.files if f.period and self.period and f.period != self.period
                and f.status not in (lg.REJECTED, lg.DUPLICATE)]


@dataclass
class CollectedFile:
    name: str
    status: str
    unit: str | None = None
    period: str | None = None
    findings: list[Finding] = field(default_factory=list)
    archive_path: Path | None = None
    feedback: list[Path] = field(default_factory=list)
    kind: str | None = None          # what the bytes were: xlsx, ods, xls, csv, empty …
    file_id: int | None = None


DISK_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


def disk_full_message(where: Path, exc: OSError | None = None) -> str:
    at = f" ({exc.filename})" if exc is not None and exc.filename else ""
    return (f"Ổ đĩa chứa thư mục làm việc {where} đã hết dung lượng{at}: không ghi được gì "
            "thêm. Không tệp nào bị mất: các tệp chưa xử lý vẫn nằm trong inbox/. Giải phóng "
            "dung lượng ổ đĩa rồi chạy lại lệnh.")


@dataclass
class _Origin:
    """Where a file to collect came from: its name as recorded and shown (its path from
    inbox/, "Trạm Y tế/bao-cao.xlsx"; inside a container "goi.zip/bao-cao.xlsx"), the
    folders of the day's archive folder it goes into, and for a workbook unpacked from a
    container that container's record, time and sender."""
    name: str
    folder: tuple[str, ...] = ()
    container: int | None = None
    when: datetime | None = None
    sender: str | None = None

    @property
    def base(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    @classmethod
    def of(cls, ws: Workspace, path: Path) -> "_Origin":
        parts = [text_name(x) for x in path.relative_to(ws.inbox).parts]
        return cls("/".join(parts), tuple(_archive_name(x) for x in parts[:-1]))


class _OnDisk:
    """The entries of each archive folder when the run started (see :func:`_free_path`)."""

    def __init__(self):
        self._names: dict[Path, set[str]] = {}

    def names(self, folder: Path) -> set[str]:
        got = self._names.get(folder)
        if got is None:
            got = self._names[folder] = _names_in(folder)
        return got


#: a workbook that cannot be opened and changed this recently is still being written
ARRIVING_SECONDS = 30


def recent(mtime: float, now: datetime) -> bool:
    return abs(now.timestamp() - mtime) < ARRIVING_SECONDS


def _sha256_of(path: Path) -> str | None:
    try:
        return _hash_stat(path)[0]
    except OSError:
        return None


def prune_empty_folders(inbox: Path) -> None:
    """Remove the folders of inbox/ that collection emptied (never one that holds
    anything: ``rmdir`` refuses)."""
    for folder, dirs, _ in os.walk(inbox, topdown=False):
        if Path(folder) == inbox:
            continue
        try:
            os.rmdir(folder)
        except OSError:
            pass


#: what browsers, copy tools and office programs call a file they are still writing
ARRIVING_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp", ".temp",
                     ".filepart", ".opdownload")


class StillArriving(Exception):
    """The file changed while it was read: it is still being copied, saved or downloaded."""


def _arriving(name: str) -> Finding:
    return Finding("arriving", "Tệp đang được chép, lưu hoặc tải về (chưa xong) nên chưa được "
                   "đọc; tệp được để lại trong inbox/ và sẽ được đọc ở lần chạy sau, khi đã "
                   "hoàn tất.", WARNING, file=name)


def _hash_stat(path: Path) -> tuple[str, int, float]:
    """sha256, size and modification time of a file, reading it once. Raises
    :class:`StillArriving` when its size or time changes while it is read."""
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        before = os.fstat(fh.fileno())
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
        after = os.fstat(fh.fileno())
    if size != before.st_size or (after.st_size, after.st_mtime_ns) != \
            (before.st_size, before.st_mtime_ns):
        raise StillArriving(path)
    return h.hexdigest(), size, before.st_mtime


def _guarded_hash(path: Path, result: CollectResult) -> tuple[str, int, float] | None:
    """:func:`_hash_stat`, or None with the file named in ``result.skipped`` (it stays in
    inbox/ for the next run) when it is still arriving or cannot be read."""
    name = text_name(path.name)
    try:
        return _hash_stat(path)
    except StillArriving:
        result.skipped.append(_arriving(name))
    except OSError as exc:
        if exc.errno in DISK_FULL:
            raise
        result.skipped.append(Finding(
            "cannot_open", f"Không xử lý được tệp {name}: không mở được tệp để đọc "
            f"({reason(exc)}). Tệp được để lại trong inbox/; cấp quyền đọc cho tài khoản đang "
            "chạy bdg-excel (hoặc đóng chương trình đang giữ tệp) rồi chạy lại.",
            ERROR, file=name))
    return None


def text_name(name: str) -> str:
    """A file name as text for the ledger, the findings and the console: NFC, and bytes
    that are not UTF-8 (names unzipped from a Windows archive arrive so on Linux, held
    by Python as surrogates) shown as U+FFFD instead of failing every write."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        name = name.encode("utf-8", "replace").decode("utf-8")   # any lone surrogate left
    return vn.nfc(name)


def reason(exc: BaseException) -> str:
    """Why something failed, in Vietnamese, with the technical name for the helper."""
    from concurrent.futures.process import BrokenProcessPool   # the pool: only when used

    if isinstance(exc, PermissionError):
        what = "không có quyền truy cập, hoặc tệp đang được chương trình khác mở"
    elif isinstance(exc, FileNotFoundError):
        what = "tệp không còn ở đó"
    elif isinstance(exc, OSError) and exc.errno in DISK_FULL:
        what = "hết dung lượng ổ đĩa"
    elif isinstance(exc, OSError):
        what = "lỗi đọc ghi tệp"
    elif isinstance(exc, MemoryError):
        what = "không đủ bộ nhớ để đọc tệp"
    elif isinstance(exc, (UnicodeError, ValueError)):
        what = "nội dung tệp có dữ liệu không đọc được"
    elif isinstance(exc, BrokenProcessPool):
        what = "chương trình đọc tệp bị dừng đột ngột"
    else:
        what = "lỗi khi xử lý tệp"
    detail = xml_safe(str(exc))[:160]
    return f"{what}; {type(exc).__name__}" + (f": {detail}" if detail else "")


def _names_in(folder: Path) -> set[str]:
    """The entries of ``folder`` as comparison keys (NFC, case-folded)."""
    try:
        return {vn.nfc(n).casefold() for n in os.listdir(folder)}
    except FileNotFoundError:
        return set()


def _path_key(path: Path | str) -> str:
    """What makes two paths equal to pathlib here (case-insensitive on Windows)."""
    return os.path.normcase(str(path))


def _free_path(folder: Path, name: str, taken: set[str], on_disk: set[str]) -> Path:
    """:func:`workspace.unique_path` without a stat per file, and the path taken (added to
    ``taken``): a name whose key is not among ``on_disk`` (the folder's entries when the
    run started; everything this run puts there is in ``taken``) cannot exist, even on a
    case-insensitive or normalising file system; only the others are looked up on disk."""
    stem, suffix = os.path.splitext(name)
    base = str(folder)
    candidate, n = name, 1
    while _path_key(os.path.join(base, candidate)) in taken or (
            candidate.casefold() in on_disk and (
                (folder / candidate).exists() or (folder / candidate).is_symlink())):
        n += 1
        candidate = f"{stem} ({n}){suffix}"
    taken.add(_path_key(os.path.join(base, candidate)))
    return folder / candidate


def _archive_dest(archive_day: Path, o: _Origin, taken: set[str], on_disk: _OnDisk) -> Path:
    """Where a file of origin ``o`` goes in the day's archive folder: its folders there,
    its archive name, made free (:func:`_free_path`)."""
    folder = archive_day.joinpath(*o.folder)
    return _free_path(folder, _archive_name(o.base, folder), taken, on_disk.names(folder))


def _archive_name(name: str, folder: Path | None = None, system: str = os.name) -> str:
    """The name a file gets in archive/: NFC, and short enough (in UTF-8 bytes) that
    " (12)" can still be added on any file system; on Windows also short enough that the
    whole path in ``folder`` stays within MAX_PATH (260 characters)."""
    stem, suffix = os.path.splitext(vn.nfc(name))
    if len(suffix.encode()) > 16:
        stem, suffix = stem + suffix, ""
    while len((stem + suffix).encode()) > MAX_NAME_BYTES:
        stem = stem[:-1]
    if system == "nt" and folder is not None:
        room = WINDOWS_MAX_PATH - 1 - len(str(Path(folder).absolute())) - 1 - len(" (99)")
        while stem and len(stem + suffix) > max(room, 12):
            stem = stem[:-1]
    return (stem.rstrip(". ") or "tep") + suffix


MAX_NAME_BYTES = 200


def _move(src: Path, dest: Path, made_dirs: set[Path] | None = None) -> None:
    """Move without ever overwriting or losing anything: the archive gets the complete
    file (a hard link, or across file systems a copy under a temporary name, synced and
    then given its name, so it never holds half a file), and only then is the inbox entry
    removed. ``dest`` is the path the ledger recorded, so it must be free (the caller chose
    it so). ``made_dirs``: folders known to exist (filled in)."""
    if made_dirs is None or dest.parent not in made_dirs:
        dest.parent.mkdir(parents=True, exist_ok=True)
        if made_dirs is not None:
            made_dirs.add(dest.parent)
    if _place(src, dest):
        os.unlink(src)


def _place(src: Path, dest: Path) -> bool:
    """Put ``src``'s bytes at ``dest``; False (nothing done) when ``dest`` is taken."""
    try:
        os.link(src, dest)
        return True
    except FileExistsError:
        return False  # taken meanwhile by someone else: never overwrite; the file stays in inbox/
    except OSError as exc:
        if exc.errno in DISK_FULL:
            raise
        # another file system (EXDEV), or one without hard links: copy
    import uuid

    tmp = dest.parent.parent / f"{TEMP_PREFIX}{uuid.uuid4().hex}{dest.suffix}"
    try:
        with src.open("rb") as fin, open(tmp, "xb") as fout:
            shutil.copyfileobj(fin, fout)
            fout.flush()
            os.fsync(fout.fileno())
        shutil.copystat(src, tmp)
        try:
            os.link(tmp, dest)          # fails rather than overwrite
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno in DISK_FULL:
                raise
            if dest.exists() or dest.is_symlink():
                return False
            os.replace(tmp, dest)       # no hard links in the archive either
        _fsync_dir(dest.parent)
        return True
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return   # Windows: folders cannot be opened (nor need to be synced)
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _guarded_move(src: Path, dest: Path, made_dirs: set[Path] | None,
                  result: CollectResult) -> None:
    """:func:`_move` of a recorded file. A fault of the archive (full disk, no right to
    write there) stops the run: the file is recorded and still in inbox/, and the next
    run finishes the move. A file that cannot leave inbox/ (Windows: open in Excel) stays
    there, is named, and the run goes on."""
    if made_dirs is None or dest.parent not in made_dirs:
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _archive_fault(dest, exc) from exc
        if made_dirs is not None:
            made_dirs.add(dest.parent)
    try:
        placed = _place(src, dest)
    except OSError as exc:
        if exc.filename is not None and Path(exc.filename) == src or \
                isinstance(exc, FileNotFoundError) and not src.exists():
            result.notes.append(Finding(
                "not_archived", f"Tệp {text_name(src.name)} đã được ghi sổ nhưng chưa chép được "
                f"vào archive/ ({reason(exc)}); tệp vẫn ở inbox/, lần chạy sau sẽ chép tiếp.",
                WARNING, file=text_name(src.name)))
            return
        raise _archive_fault(dest, exc) from exc
    if placed:
        _guarded_unlink(src, result)
    else:
        result.notes.append(Finding(
            "not_archived", f"Tên {dest.name} trong archive/ vừa bị chiếm; tệp "
            f"{text_name(src.name)} vẫn ở inbox/, lần chạy sau sẽ xử lý tiếp.", WARNING,
            file=text_name(src.name)))


def _guarded_unlink(src: Path, result: CollectResult) -> None:
    try:
        os.unlink(src)
    except FileNotFoundError:
        pass
    except OSError as exc:
        name = text_name(src.name)
        result.notes.append(Finding(
            "left_in_inbox", f"Tệp {name} đã được ghi sổ và lưu vào archive/ nhưng chưa xóa "
            f"được khỏi inbox/ ({reason(exc)}). Đóng tệp (Excel?) rồi chạy lại; lần sau tệp "
            "sẽ được nhận ra và xóa khỏi inbox/, không ghi sổ hai lần.", WARNING, file=name))


def _archive_fault(dest: Path, exc: OSError) -> WorkspaceError:
    if exc.errno in DISK_FULL:
        return WorkspaceError(disk_full_message(dest.parent, exc))
    return WorkspaceError(
        f"Không ghi được vào thư mục lưu trữ {dest.parent} ({reason(exc)}). Các tệp đã ghi "
        "sổ nhưng chưa lưu trữ vẫn ở inbox/; kiểm tra quyền ghi và ổ đĩa rồi chạy lại lệnh.")


# characters XML 1.0 cannot hold (Excel writes them as _x0007_, calamine gives them back),
# and lone surrogates (no encoding can write them)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: str) -> str:
    """``text`` with what no workbook, XML file or database can hold shown as U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _iso(when: datetime) -> str:
    if when.tzinfo is not None:
        when = when.astimezone().replace(tzinfo=None)
    return when.replace(microsecond=0).isoformat()
