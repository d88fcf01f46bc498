"""The workspace: templates/ (plan workbooks), inbox/ (returns), outbox/ (what we write),
archive/ (every collected file, never deleted), .bdg/ (ledger, lock) and an optional
configuration file bdg-excel.toml."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import OutputLocked, WorkspaceBusy, WorkspaceError

CONFIG_NAME = "bdg-excel.toml"
TEMPLATE_FILES = ("bieu-mau.xlsx", "tong-hop.xlsx")   # see bdg_excel.forms.formtemplate
TEMP_PREFIX = ".~tmp-"    # atomic_output's temporary files (never a name we give a result)


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def forms_dir(self) -> Path:
        return self.outbox / "forms"

    def forms_folder(self, period: str) -> Path:
        """Where the forms of a period go: outbox/forms/ itself (the file names carry the
        period, "BDG_2026_…"), so a person finds every form in one folder."""
        return self.forms_dir

    @property
    def feedback_dir(self) -> Path:
        return self.outbox / "phan-hoi"

    @property
    def mail_dir(self) -> Path:
        return self.outbox / "mail"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def state_dir(self) -> Path:
        return self.root / ".bdg"

    @property
    def ledger_path(self) -> Path:
        return self.state_dir / "ledger.sqlite3"

    @classmethod
    def open(cls, root: str | os.PathLike = ".", *, create: bool = False) -> "Workspace":
        """The workspace at ``root`` or, like git, the nearest folder above it that is one
        (a command run inside inbox/ or outbox/forms/ finds its workspace)."""
        start = Path(root).resolve()
        if create:
            ws = cls(start)
            for d in (ws.templates, ws.inbox, ws.outbox):
                d.mkdir(parents=True, exist_ok=True)
            return ws
        found = find_root(start)
        if found is None:
            raise WorkspaceError(not_a_workspace_message(start))
        return cls(found)

    def plan_names(self) -> list[str]:
        if not self.templates.is_dir():
            return []
        # bieu-mau.xlsx and tong-hop.xlsx are the form and report templates, never plans
        return sorted(p.stem for p in self.templates.glob("*.xlsx")
                      if not p.name.startswith(("~$", "."))
                      and p.name.lower() not in TEMPLATE_FILES)

    def plan_path(self, name: str | None = None) -> Path:
        """The plan workbook to use: ``name`` or the only one in templates/."""
        names = self.plan_names()
        if name:
            stem = name[:-5] if name.lower().endswith(".xlsx") else name
            path = self.templates / f"{stem}.xlsx"
            if not path.is_file():
                raise WorkspaceError(
                    f"Không có kế hoạch '{stem}' trong {self.templates}. Các kế hoạch hiện có: "
                    f"{', '.join(names) or '(chưa có)'}.")
            return path
        if not names:
            raise WorkspaceError(
                f"Thư mục {self.templates} chưa có tệp kế hoạch (.xlsx). Chép tệp kế hoạch vào "
                "đó, hoặc nhập từ văn bản kế hoạch: bdg-excel plan import KE-HOACH.docx -o "
                f"{self.templates / 'ke-hoach.xlsx'}")
        if len(names) > 1:
            raise WorkspaceError(
                f"Thư mục {self.templates} có nhiều kế hoạch ({', '.join(names)}): chọn một "
                "bằng tùy chọn --plan TÊN.")
        return self.templates / f"{names[0]}.xlsx"

    def config(self) -> dict:
        import tomllib      # only for the commands that read the configuration

        path = self.root / CONFIG_NAME
        if not path.is_file():
            return {}
        try:
            with path.open("rb") as fh:
                return tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise WorkspaceError(f"Không đọc được tệp cấu hình {path}: {exc}") from exc

    @contextmanager
    def lock(self):
        """Exclusive lock on the workspace: a second run gets WorkspaceBusy at once."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        busy = WorkspaceBusy(
            f"Thư mục làm việc {self.root} đang được một lệnh bdg-excel khác sử dụng. "
            "Chờ lệnh đó chạy xong rồi thử lại.")
        with _exclusive(self.state_dir / "lock", busy):
            self.remove_stale_temp_files()
            yield self

    def remove_stale_temp_files(self) -> list[Path]:
        """Temporary files of :func:`atomic_output` left by a run that was killed. Only
        called with the lock held, when no run of ours can be writing one."""
        gone = []
        if self.outbox.is_dir():
            for p in self.outbox.rglob(TEMP_PREFIX + "*"):
                if p.is_file() and not p.is_symlink():
                    try:
                        p.unlink()
                    except PermissionError:   # Windows: still held open (antivirus scan)
                        continue
                    gone.append(p)
        return gone


@contextmanager
def _exclusive(path: Path, busy: WorkspaceBusy):
    """Hold an exclusive lock on ``path``, or raise ``busy`` at once. On POSIX with
    :func:`fcntl.flock`, the lock filelock itself takes there (importing filelock costs
    every command about half a bare Python start); on Windows, or a file system without
    flock, through filelock."""
    try:
        import fcntl
    except ImportError:     # Windows
        fcntl = None
    fd = None
    if fcntl is not None:
        existed = path.exists()
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise busy from exc
        except OSError:     # no flock on this file system: filelock's fallback below,
            os.close(fd)    # which marks the lock by the file's existence
            fd = None
            if not existed:
                path.unlink(missing_ok=True)
    if fd is not None:
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        return
    from filelock import FileLock, Timeout

    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except Timeout as exc:
        raise busy from exc
    try:
        yield
    finally:
        lock.release()


SUBFOLDERS = ("templates", "inbox", "outbox", "archive", ".bdg")


def is_workspace(folder: Path, *, strict: bool = False) -> bool:
    """``folder`` holds templates/; ``strict`` (a folder above the one the command was
    run in) also wants inbox/, .bdg/ or bdg-excel.toml, so an unrelated project's
    templates/ folder is not taken for a workspace."""
    if not (folder / "templates").is_dir():
        return False
    return not strict or any((folder / n).exists() for n in ("inbox", ".bdg", CONFIG_NAME))


def find_root(start: Path) -> Path | None:
    """The workspace folder ``start`` is in (``start`` itself or the nearest above it)."""
    start = Path(start).resolve()
    if is_workspace(start):
        return start
    for folder in start.parents:
        if is_workspace(folder, strict=True):
            return folder
    return None


def not_a_workspace_message(start: Path) -> str:
    """Why ``start`` is not in a workspace, and the command that is right from there."""
    start = Path(start).resolve()
    if start.name.lower() in SUBFOLDERS or not start.exists():
        hint = "bdg-excel init TÊN_THƯ_MỤC (ví dụ: bdg-excel init xa-binh-lu --example binh-lu)"
    else:
        hint = f"bdg-excel init {start}"
    if not start.exists():
        return (f"Không có thư mục {start}. Kiểm tra tên thư mục (-w); để tạo thư mục làm việc "
                f"mới: {hint}")
    return (f"Thư mục {start} không nằm trong thư mục làm việc nào của bdg-excel (không có "
            f"thư mục templates/ ở đây hay ở các thư mục cha). Chuyển vào thư mục làm việc "
            f"(cd TÊN_THƯ_MỤC) hoặc ghi -w TÊN_THƯ_MỤC; để tạo mới: {hint}")


WINDOWS_MAX_PATH = 260     # without the "long paths" setting, Windows refuses longer paths


def check_path_length(path: Path, system: str = os.name) -> None:
    """On Windows, a path longer than :data:`WINDOWS_MAX_PATH` cannot be written by
    Excel or, without the long-path setting, by us: say so before trying, with what to do."""
    full = str(Path(path).absolute())
    if system == "nt" and len(full) + len(TEMP_PREFIX) + 8 >= WINDOWS_MAX_PATH:
        raise WorkspaceError(
            f"Đường dẫn quá dài cho Windows ({len(full)} ký tự, tối đa khoảng "
            f"{WINDOWS_MAX_PATH}): {full}. Chuyển thư mục làm việc lên gần gốc ổ đĩa (ví dụ "
            "C:\\BDG\\xa-binh-lu) hoặc đặt tên thư mục ngắn hơn, rồi chạy lại lệnh.")


def current_umask() -> int:
    """The process's umask (read without changing it where the system allows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)    # elsewhere: set and restore (only ever briefly)
    os.umask(mask)
    return mask


def make_shareable(path: Path) -> None:
    """Give a file made by :func:`tempfile.mkstemp` (always 0600) the permissions any new
    file gets (0666 less the umask), so colleagues sharing the machine or the folder can
    open what bdg-excel writes. Windows only knows read-only, which stays off."""
    try:
        os.chmod(path, 0o666 & ~current_umask())
    except OSError:
        pass


@contextmanager
def atomic_output(path: Path):
    """Yield a temporary path beside ``path``; on success rename it into place.

    A crash never leaves half a file; a target held open by Excel (Windows refuses the
    rename) becomes :class:`OutputLocked` with a message saying what to do.
    """
    path = Path(path)
    check_path_length(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        make_shareable(tmp_path)
        try:
            os.replace(tmp_path, path)
        except PermissionError as exc:
            raise OutputLocked(
                f"Không ghi được tệp {path}: tệp đang được mở (Excel?) hoặc chỉ đọc. Đóng "
                "tệp rồi chạy lại lệnh.") from exc
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def open_elsewhere(path: Path) -> bool:
    """Whether Excel (``~$name``) or LibreOffice (``.~lock.name#``) has ``path`` open: it
    is then not overwritten in place (the officer would lose the view, or Excel the file)."""
    path = Path(path)
    names = (f"~${path.name}", f"~${path.name[2:]}", f".~lock.{path.name}#")
    return path.exists() and any((path.parent / n).exists() for n in names)


def copy_no_overwrite(src: Path, dst_dir: Path, name: str | None = None) -> Path:
    """Copy ``src`` into ``dst_dir`` under a name not yet used ("a.xlsx", "a (2).xlsx" …)."""
    dst_dir.mkdir(parents=True, exist_ok=True)
    target = unique_path(dst_dir, name or src.name)
    shutil.copy2(src, target)
    return target


def unique_path(folder: Path, name: str, taken: set[Path] | frozenset = frozenset()) -> Path:
    """``folder/name``, or "name (2).ext" … when that exists on disk or is in ``taken``."""
    stem, suffix = os.path.splitext(name)
    candidate, n = folder / name, 1
    while candidate in taken or candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = folder / f"{stem} ({n}){suffix}"
    return candidate
