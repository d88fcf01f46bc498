"""The workspace: templates/ (plan workbooks), inbox/ (returns), outbox/ (what we write),
archive/ (every collected file, never deleted), .bdg/ (ledger, lock) and an optional
configuration file bdg-excel.toml."""

from __future__ import annotations

import os
import shutil
import tempfile
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import OutputLocked, WorkspaceBusy, WorkspaceError

CONFIG_NAME = "bdg-excel.toml"
TEMPLATE_FILES = ("bieu-mau.xlsx", "tong-hop.xlsx")   # see bdg_excel.formtemplate
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
        ws = cls(Path(root).resolve())
        if create:
            for d in (ws.templates, ws.inbox, ws.outbox):
                d.mkdir(parents=True, exist_ok=True)
        elif not ws.templates.is_dir():
            raise WorkspaceError(
                f"Thư mục {ws.root} không phải là thư mục làm việc của bdg-excel (thiếu "
                f"thư mục templates/). Tạo bằng lệnh: bdg-excel init {ws.root}")
        return ws

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
                "đó, hoặc dùng: bdg-excel init THƯ_MỤC --example binh-lu")
        if len(names) > 1:
            raise WorkspaceError(
                f"Thư mục {self.templates} có nhiều kế hoạch ({', '.join(names)}): chọn một "
                "bằng tùy chọn --plan TÊN.")
        return self.templates / f"{names[0]}.xlsx"

    def config(self) -> dict:
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
        from filelock import FileLock, Timeout

        self.state_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.state_dir / "lock"), timeout=0)
        try:
            lock.acquire()
        except Timeout as exc:
            raise WorkspaceBusy(
                f"Thư mục làm việc {self.root} đang được một lệnh bdg-excel khác sử dụng. "
                "Chờ lệnh đó chạy xong rồi thử lại.") from exc
        try:
            self.remove_stale_temp_files()
            yield self
        finally:
            lock.release()

    def remove_stale_temp_files(self) -> list[Path]:
        """Temporary files of :func:`atomic_output` left by a run that was killed. Only
        called with the lock held, when no run of ours can be writing one."""
        gone = []
        if self.outbox.is_dir():
            for p in self.outbox.rglob(TEMP_PREFIX + "*"):
                if p.is_file() and not p.is_symlink():
                    p.unlink()
                    gone.append(p)
        return gone


@contextmanager
def atomic_output(path: Path):
    """Yield a temporary path beside ``path``; on success rename it into place.

    A crash never leaves half a file; a target held open by Excel (Windows refuses the
    rename) becomes :class:`OutputLocked` with a message saying what to do.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
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
