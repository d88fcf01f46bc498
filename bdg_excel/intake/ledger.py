"""The ledger: an SQLite database in the workspace recording every file seen, every
finding, every value extracted and every e-mail sent.

Consolidation reads the ledger, so re-running is idempotent and only new or changed files
are parsed. The schema is versioned; :data:`MIGRATIONS` upgrades older ledgers in place.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..core.errors import WorkspaceError
from ..core.findings import Finding

# Statuses of a file in the ledger.
ACCEPTED = "accepted"
NEEDS_FIXES = "needs_fixes"
REJECTED = "rejected"
SUPERSEDED = "superseded"
DUPLICATE = "duplicate"
CONTAINER = "container"     # a .zip or saved e-mail, opened: its workbooks have records of their own
FILE_STATUSES = (ACCEPTED, NEEDS_FIXES, REJECTED, SUPERSEDED, DUPLICATE, CONTAINER)
STATUS_LABELS = {ACCEPTED: "Đã chấp nhận", NEEDS_FIXES: "Cần sửa", REJECTED: "Bị từ chối",
                 SUPERSEDED: "Đã thay thế", DUPLICATE: "Trùng lặp",
                 CONTAINER: "Đã mở tệp nén/thư"}

MIGRATIONS: list[str] = [
    # 1: initial schema
    """
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL,
        original_name TEXT NOT NULL,
        size INTEGER NOT NULL,
        received_at TEXT NOT NULL,      -- ISO time: file time, mail time, or given
        collected_at TEXT NOT NULL,
        archive_path TEXT,              -- relative to the workspace
        sender TEXT,
        plan_identity TEXT, plan_name TEXT, plan_fingerprint TEXT,
        unit_key TEXT, unit_name TEXT, period TEXT, form_version TEXT,
        status TEXT NOT NULL,
        duplicate_of INTEGER REFERENCES files(id)
    );
    CREATE INDEX files_sha ON files(sha256);
    CREATE INDEX files_unit ON files(plan_identity, period, unit_key);
    CREATE TABLE findings (
        file_id INTEGER NOT NULL REFERENCES files(id),
        severity TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL,
        sheet TEXT, cell TEXT, target TEXT
    );
    CREATE INDEX findings_file ON findings(file_id);
    CREATE TABLE vals (
        file_id INTEGER NOT NULL REFERENCES files(id),
        code TEXT NOT NULL,
        value REAL, numerator REAL, denominator REAL,
        answer TEXT,                    -- yes/no answer of qualitative rows
        source TEXT, note TEXT, cell TEXT,
        PRIMARY KEY (file_id, code)
    );
    CREATE TABLE tasks (
        file_id INTEGER NOT NULL REFERENCES files(id),
        code TEXT NOT NULL, text TEXT, status TEXT, result TEXT,
        PRIMARY KEY (file_id, code)
    );
    CREATE TABLE sends (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,             -- send | remind
        plan_identity TEXT, period TEXT, unit_key TEXT, unit_name TEXT,
        address TEXT, sent_at TEXT NOT NULL, form_version TEXT,
        message_id TEXT, attachment TEXT, dry_run INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE fetched (
        message_key TEXT PRIMARY KEY,   -- mailbox|uidvalidity|uid or Message-ID
        fetched_at TEXT NOT NULL
    );
    """,
    # 2: where a file that `fetch` put into inbox/ came from, read by collect
    """
    CREATE TABLE mail_files (
        name TEXT PRIMARY KEY,          -- file name in inbox/
        sha256 TEXT NOT NULL,
        sender TEXT,                    -- the message's From address
        received_at TEXT NOT NULL,      -- the message time (ISO, local)
        message_key TEXT, subject TEXT,
        fetched_at TEXT NOT NULL
    );
    """,
    # 3: what the file really was (sniffed kind), and the feedback written for it
    #    (NULL = still to write; '' = none needed). Feedback of v1 files was written then.
    """
    ALTER TABLE files ADD COLUMN kind TEXT;
    ALTER TABLE files ADD COLUMN feedback TEXT;
    UPDATE files SET feedback = '';
    CREATE INDEX files_feedback ON files(feedback) WHERE feedback IS NULL
    """,
    # 4: the national code (CONTRACT section 2) of the plan's row each value was counted
    #    for, so a later period compares by meaning when the plan has been renumbered
    """
    ALTER TABLE vals ADD COLUMN national TEXT
    """,
    # 5: a workbook that came inside a .zip or a saved e-mail: the container's record
    """
    ALTER TABLE files ADD COLUMN container_id INTEGER REFERENCES files(id);
    CREATE INDEX files_container ON files(container_id) WHERE container_id IS NOT NULL
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass
class FileRecord:
    id: int
    sha256: str
    original_name: str
    size: int
    received_at: str
    collected_at: str
    archive_path: str | None
    sender: str | None
    plan_identity: str | None
    plan_name: str | None
    plan_fingerprint: str | None
    unit_key: str | None
    unit_name: str | None
    period: str | None
    form_version: str | None
    status: str
    duplicate_of: int | None
    kind: str | None = None             # v2: xlsx, ods, xls, csv, empty, …
    feedback: str | None = None         # v2: feedback files written ("|"-separated)
    container_id: int | None = None     # v5: the .zip / e-mail it came in (its record)


FILE_COLUMNS = ", ".join(FileRecord.__dataclass_fields__)   # in FileRecord's order


SQLITE_HEADER = b"SQLite format 3\x00"
BACKUPS_KEPT = 7          # rotating daily copies of the ledger in .bdg/backups/


class Ledger:
    def __init__(self, path: Path, *, new_if_empty: bool = False):
        """``new_if_empty``: an empty (0-byte) ledger file is the start of a new one (a
        first run killed while creating it) — the caller knows nothing was ever archived."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _refuse_damaged(self.path, new_if_empty)
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise fault(self.path, exc) from exc
        try:
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.existed = bool(self.version)
            if self.existed:   # an existing ledger: is every page of it sound?
                problems = [r[0] for r in self.db.execute("PRAGMA quick_check(5)")]
                if problems != ["ok"]:
                    raise sqlite3.DatabaseError("; ".join(problems))
            self.migrate()
        except BaseException as exc:
            self.db.close()
            if isinstance(exc, sqlite3.Error):
                raise fault(self.path, exc) from exc
            raise

    def backup(self, folder: Path, day: str, keep: int = BACKUPS_KEPT) -> Path | None:
        """A copy of the ledger as it is now, taken with SQLite's backup API (consistent
        even while written), as ``folder/ledger-DAY.sqlite3`` unless that day has one
        already; only the newest ``keep`` are kept. The copy is written under a temporary
        name and renamed, so a backup is never half a database."""
        if not self.existed:
            return None   # a new ledger: nothing recorded yet
        folder = Path(folder)
        target = folder / f"ledger-{day}.sqlite3"
        if target.exists():
            return None
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".tmp-{target.name}"
        if tmp.exists():
            tmp.unlink()   # left by a killed run
        try:
            with sqlite3.connect(tmp) as dst:
                self.db.backup(dst)
            dst.close()
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                tmp.unlink()
        for old in sorted(folder.glob("ledger-*.sqlite3"))[:-keep]:
            old.unlink()
        return target

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- schema ----------------------------------------------------------------------
    @property
    def version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        current = self.version
        if current > SCHEMA_VERSION:
            raise WorkspaceError(
                f"Sổ theo dõi {self.path} được tạo bởi phiên bản bdg-excel mới hơn (lược đồ "
                f"{current}). Cập nhật bdg-excel.")
        for version in range(current, SCHEMA_VERSION):
            with self.transaction():
                _run_script(self.db, MIGRATIONS[version])
                self.db.execute(f"PRAGMA user_version = {version + 1}")

    def transaction(self):
        return _Transaction(self.db)

    def _tuples(self, sql: str, args=()) -> list[tuple]:
        """Rows as plain tuples (no sqlite3.Row per row)."""
        cur = self.db.cursor()
        cur.row_factory = None
        return cur.execute(sql, args).fetchall()

    def _records(self, where: str, args=()) -> list[FileRecord]:
        """FileRecords of ``SELECT … FROM files`` + ``where``, built from plain tuples."""
        return [FileRecord(*r) for r in self._tuples(f"SELECT {FILE_COLUMNS} FROM files {where}",
                                                      args)]

    # -- files -----------------------------------------------------------------------
    def add_file(self, rec: dict, findings: Iterable[Finding] = (), values: Iterable[dict] = (),
                 tasks: Iterable[dict] = ()) -> int:
        """Insert one file with its findings, values and tasks (caller holds a transaction)."""
        with self.batch() as batch:
            return batch.add_file(rec, findings, values, tasks)

    def batch(self) -> "_Batch":
        """Many :meth:`add_file` in one go (caller holds a transaction): the file rows are
        inserted at once (their ids are returned), their findings, values and tasks with
        one executemany each when the ``with`` block ends."""
        return _Batch(self.db)

    def by_sha(self, sha256: str) -> list[FileRecord]:
        """Every record of this content, duplicates included, oldest first."""
        return self._records("WHERE sha256 = ? ORDER BY id", (sha256,))

    def needing_feedback(self) -> list[FileRecord]:
        return self._records("WHERE feedback IS NULL ORDER BY id")

    def set_feedback(self, file_id: int, paths: Iterable[str]) -> None:
        self.db.execute("UPDATE files SET feedback = ? WHERE id = ?",
                        ("|".join(paths), file_id))

    def resolve_all(self, plan_identity: str) -> None:
        """Make each unit's newest usable return (latest received, then latest id) current
        and mark its earlier ones superseded, for every unit and period of the plan (cheap;
        makes a run that was killed before resolving come out the same as one that was not)."""
        groups: dict[tuple[str, str], list[list]] = {}
        cur = self.db.cursor()
        cur.row_factory = None
        for file_id, period, unit_key, status in cur.execute(
                "SELECT id, period, unit_key, status FROM files WHERE plan_identity = ? AND "
                "unit_key IS NOT NULL AND period IS NOT NULL AND status IN (?, ?, ?) "
                "ORDER BY received_at, id", (plan_identity, ACCEPTED, NEEDS_FIXES, SUPERSEDED)):
            groups.setdefault((period, unit_key), []).append([file_id, status])
        for rows in groups.values():   # one query for all units instead of one per unit
            *older, (current_id, current_status) = rows
            for file_id, status in older:
                if status != SUPERSEDED:
                    self.set_status(file_id, SUPERSEDED)
            if current_status == SUPERSEDED:
                self._restore(current_id)

    def statuses(self, file_ids: Iterable[int]) -> dict[int, str]:
        """File id -> status, for many files."""
        ids = list(dict.fromkeys(file_ids))
        out: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            out.update(self.db.execute(
                f"SELECT id, status FROM files WHERE id IN ({', '.join('?' * len(chunk))})",
                chunk).fetchall())
        return out

    def mark_duplicate(self, file_id: int, of_id: int) -> None:
        """A held return the officer decided on (issue 11): its decided record replaces it."""
        self.db.execute("UPDATE files SET status = ?, duplicate_of = ? WHERE id = ?",
                        (DUPLICATE, of_id, file_id))

    def set_status(self, file_id: int, status: str) -> None:
        self.db.execute("UPDATE files SET status = ? WHERE id = ?", (status, file_id))

    def files(self, plan_identity: str | None = None, period: str | None = None) -> list[FileRecord]:
        sql, args = "", []
        conds = []
        if plan_identity:
            conds.append("plan_identity = ?")
            args.append(plan_identity)
        if period:
            conds.append("period = ?")
            args.append(period)
        if conds:
            sql += "WHERE " + " AND ".join(conds)
        return self._records(sql + " ORDER BY id", args)

    def has_files(self, plan_identity: str, period: str) -> bool:
        """Whether :meth:`files` of this plan and period would return any."""
        return self.db.execute("SELECT 1 FROM files WHERE plan_identity = ? AND period = ? "
                               "LIMIT 1", (plan_identity, period)).fetchone() is not None

    def findings(self, file_id: int) -> list[Finding]:
        return [Finding(code=r["code"], message=r["message"], severity=r["severity"],
                        sheet=r["sheet"], cell=r["cell"], target=r["target"])
                for r in self.db.execute("SELECT * FROM findings WHERE file_id = ?", (file_id,))]

    def findings_of(self, file_ids: Iterable[int]) -> dict[int, list[Finding]]:
        """:meth:`findings` of many files: file id -> findings (files without any left out)."""
        out: dict[int, list[Finding]] = {}
        for r in self._rows_of("findings", file_ids, "file_id, rowid"):
            out.setdefault(r["file_id"], []).append(Finding(
                code=r["code"], message=r["message"], severity=r["severity"], sheet=r["sheet"],
                cell=r["cell"], target=r["target"]))
        return out

    VALUE_FIELDS = ("value", "numerator", "denominator", "answer", "source", "note", "cell")
    TASK_FIELDS = ("status", "result")

    def value_tuples_of(self, file_ids: Iterable[int], fields: tuple = VALUE_FIELDS
                        ) -> dict[int, dict[str, tuple]]:
        """Values of many files: file id -> code -> tuple of ``fields``."""
        return self._tuples_of("vals", file_ids, fields)

    def task_tuples_of(self, file_ids: Iterable[int], fields: tuple = TASK_FIELDS
                       ) -> dict[int, dict[str, tuple]]:
        """Tasks of many files: file id -> code -> tuple of ``fields``."""
        return self._tuples_of("tasks", file_ids, fields)

    def _tuples_of(self, table: str, file_ids: Iterable[int], fields: tuple
                   ) -> dict[int, dict[str, tuple]]:
        ids = list(dict.fromkeys(file_ids))
        out: dict[int, dict[str, tuple]] = {}
        cur = self.db.cursor()
        cur.row_factory = None
        cols = ", ".join(fields)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for file_id, code, *rest in cur.execute(
                    f"SELECT file_id, code, {cols} FROM {table} WHERE file_id IN "
                    f"({', '.join('?' * len(chunk))}) ORDER BY file_id, code", chunk):
                d = out.get(file_id)
                if d is None:
                    d = out[file_id] = {}
                d[code] = tuple(rest)
        return out

    def _rows_of(self, table: str, file_ids: Iterable[int], order: str):
        ids = list(dict.fromkeys(file_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            yield from self.db.execute(
                f"SELECT * FROM {table} WHERE file_id IN ({', '.join('?' * len(chunk))}) "
                f"ORDER BY {order}", chunk)

    def _restore(self, file_id: int) -> str:
        """A unit's newest return that was marked superseded: accepted or needs fixes again."""
        has_errors = self.db.execute(
            "SELECT 1 FROM findings WHERE file_id = ? AND severity = 'error' LIMIT 1",
            (file_id,)).fetchone()
        status = NEEDS_FIXES if has_errors else ACCEPTED
        self.set_status(file_id, status)
        return status

    # -- mail ------------------------------------------------------------------------
    def add_send(self, **rec) -> int:
        cols = ", ".join(rec)
        cur = self.db.execute(f"INSERT INTO sends ({cols}) VALUES ({', '.join('?' * len(rec))})",
                              tuple(rec.values()))
        return cur.lastrowid

    def sends(self, plan_identity: str | None = None, period: str | None = None) -> list[dict]:
        sql, args = "SELECT * FROM sends WHERE 1=1", []
        if plan_identity:
            sql += " AND plan_identity = ?"
            args.append(plan_identity)
        if period:
            sql += " AND period = ?"
            args.append(period)
        return [dict(r) for r in self.db.execute(sql + " ORDER BY id", args)]

    def was_fetched(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM fetched WHERE message_key = ?", (key,)).fetchone() \
            is not None

    def mark_fetched(self, key: str, when: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO fetched VALUES (?, ?)", (key, when))

    def add_mail_file(self, name: str, sha256: str, sender: str | None, received_at: str,
                      message_key: str | None, subject: str | None, fetched_at: str) -> None:
        """Remember where a file fetched into inbox/ came from (replaces an older entry of
        a name that was collected and is now reused)."""
        self.db.execute("INSERT OR REPLACE INTO mail_files VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (name, sha256, sender, received_at, message_key, subject, fetched_at))

    def members(self, container_id: int) -> list[FileRecord]:
        """The records of the workbooks that came inside a container."""
        return self._records("WHERE container_id = ? ORDER BY id", (container_id,))

    def mail_files(self) -> list[dict]:
        return [dict(r) for r in self.db.execute("SELECT * FROM mail_files ORDER BY name")]


def _refuse_damaged(path: Path, new_if_empty: bool = False) -> None:
    """An existing ledger file that is not a whole SQLite database (empty, truncated, or
    something else) is never replaced by a new, empty ledger: refuse, keep the file."""
    try:
        with path.open("rb") as fh:
            head = fh.read(100)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise WorkspaceError(f"Không đọc được sổ theo dõi {path} ({exc.strerror or exc}). "
                             "Kiểm tra quyền truy cập tệp rồi chạy lại.") from exc
    if _has_wal(path):
        return   # SQLite recovers what the write-ahead log holds; quick_check follows
    if not head:
        if new_if_empty:
            return
        why = "rỗng (0 byte)"
    elif not head.startswith(SQLITE_HEADER):
        why = "bị hỏng: không phải cơ sở dữ liệu SQLite"
    elif len(head) < 100:
        why = "bị cắt cụt"
    else:
        page = int.from_bytes(head[16:18], "big") or 65536
        pages = int.from_bytes(head[28:32], "big")
        size = path.stat().st_size
        if size % page or (pages and size < pages * page):
            why = "bị cắt cụt (thiếu dữ liệu ở cuối tệp)"
        else:
            return
    raise WorkspaceError(damaged_message(path, why))


def _has_wal(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0


def damaged_message(path: Path, why: str) -> str:
    backups = sorted((path.parent / "backups").glob("ledger-*.sqlite3"))
    where = (f" Bản sao lưu gần nhất: {backups[-1]}." if backups else "")
    return (f"Sổ theo dõi {path} {why}. Sổ ghi lại mọi tệp đã nhận nên không được thay bằng "
            f"sổ mới; tệp được giữ nguyên.{where} Để khôi phục: đổi tên tệp hỏng (ví dụ thành "
            "ledger-hong.sqlite3) rồi chép bản sao lưu vào chỗ của nó với tên ledger.sqlite3, "
            "sau đó chạy lại lệnh.")


def fault(path: Path, exc: sqlite3.Error) -> WorkspaceError:
    """A ledger error as the officer should read it: a full disk is a full disk, a
    database busy is busy, anything else a damaged ledger."""
    code = getattr(exc, "sqlite_errorcode", None)
    text = str(exc).lower()
    if code == sqlite3.SQLITE_FULL or "disk is full" in text or "full" == text:
        return WorkspaceError(
            f"Ổ đĩa chứa sổ theo dõi {path} đã hết dung lượng: không ghi được gì thêm. Sổ và "
            "các tệp không bị thay đổi dở dang (lần ghi này đã được hủy trọn vẹn; các tệp chưa "
            "xử lý vẫn ở inbox/). Giải phóng dung lượng ổ đĩa rồi chạy lại lệnh.")
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in text:
        return WorkspaceError(f"Sổ theo dõi {path} đang bị chương trình khác khóa ({exc}). Đóng "
                              "chương trình đó rồi chạy lại lệnh.")
    if code in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY) or \
            "unable to open" in text or "readonly" in text:
        return WorkspaceError(f"Không mở hoặc không ghi được sổ theo dõi {path} ({exc}). Kiểm "
                              "tra quyền ghi vào thư mục .bdg/ rồi chạy lại lệnh.")
    if code == sqlite3.SQLITE_IOERR or "disk i/o" in text:
        return WorkspaceError(f"Lỗi đọc ghi ổ đĩa khi dùng sổ theo dõi {path} ({exc}). Kiểm tra "
                              "ổ đĩa rồi chạy lại lệnh; sổ không bị thay bằng sổ mới.")
    return WorkspaceError(damaged_message(path, f"bị hỏng hoặc không đọc được ({exc})"))


class _Batch:
    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.findings: list[tuple] = []
        self.values: list[dict] = []
        self.tasks: list[dict] = []

    def add_file(self, rec: dict, findings: Iterable[Finding] = (),
                 values: Iterable[dict] = (), tasks: Iterable[dict] = ()) -> int:
        cols = ", ".join(rec)
        cur = self.db.execute(f"INSERT INTO files ({cols}) VALUES ({', '.join('?' * len(rec))})",
                              tuple(rec.values()))
        file_id = cur.lastrowid
        self.findings.extend((file_id, f.severity, f.code, f.message, f.sheet, f.cell, f.target)
                             for f in findings)
        self.values.extend({"national": None, **v, "file_id": file_id} for v in values)
        self.tasks.extend({**t, "file_id": file_id} for t in tasks)
        return file_id

    def __enter__(self) -> "_Batch":
        return self

    def __exit__(self, exc_type, *_) -> None:
        if exc_type is not None:
            return  # the caller's transaction rolls the file rows back
        if self.findings:
            self.db.executemany("INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?)", self.findings)
        if self.values:
            self.db.executemany(
                "INSERT INTO vals VALUES (:file_id, :code, :value, :numerator, :denominator, "
                ":answer, :source, :note, :cell, :national)", self.values)
        if self.tasks:
            self.db.executemany(
                "INSERT INTO tasks VALUES (:file_id, :code, :text, :status, :result)", self.tasks)
        self.findings, self.values, self.tasks = [], [], []


def _run_script(db: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT our open transaction; run statement by statement.
    for stmt in script.split(";"):
        if stmt.strip():
            db.execute(stmt)


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, *_):
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")

