"""Collection: inbox/ -> read, recognise, check -> ledger -> archive/ (+ feedback).

Every file is untrusted and irreplaceable: it is recorded in the ledger first (with the
archive path it will get), then moved without overwriting anything, so a crash at any
point leaves each file either still in inbox/ or in archive/, and a re-run finishes the
job. Files already recorded (same content hash) are recognised and never parsed twice.
Folders inside inbox/ are read at any depth; containers (.zip, saved e-mails) are opened
by :mod:`bdg_excel.intake.unpacking`; moving, naming and hashing one file is
:mod:`bdg_excel.intake.filing`.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sqlite3
import warnings
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from ..core import clock, vn
from ..core.errors import OutputLocked, WorkspaceError
from ..core.findings import ERROR, WARNING, Finding
from ..core.workspace import TEMP_PREFIX, Workspace, unique_path
from ..plan.model import Plan
from . import ledger as lg
from .containers import kind_of
from .filing import (ARRIVING_SUFFIXES, DISK_FULL, CollectedFile, CollectResult,
                     StillArriving, _archive_dest, _arriving, _guarded_hash,
                     _guarded_move, _guarded_unlink, _hash_stat, _iso, _NOT_XML, _OnDisk,
                     _Origin, _path_key, _sha256_of, disk_full_message, reason, recent,
                     text_name, xml_safe)
from .filing import _archive_name, _move  # noqa: F401 - tests call them from here
from .ledger import FileRecord, Ledger
from .returns import ReturnData, read_return
from .validate import CheckedReturn, check_return

PARALLEL_THRESHOLD = 24   # below this many new files a process pool costs more than it saves
BATCH = 100               # files checked, recorded (one transaction) and moved per step


def collect(ws: Workspace, plan: Plan, *, period: str | None = None,
            received_at: datetime | None = None, sender_of: dict[str, str] | None = None,
            workers: int | None = None, progress: Callable[[int, int], None] | None = None,
            feedback: bool = True, now: datetime | None = None) -> CollectResult:
    """Collect everything in ``ws.inbox``. The caller holds the workspace lock.

    In steps of :data:`BATCH` files: check them, record them with the archive path each
    will get (one transaction), then move them there. Killed at any point, a re-run
    finishes the moves recorded but not done, parses nothing twice, and ends in the same
    state as an uninterrupted run.

    The next batches are hashed, sorted and handed to the process pool before the current
    one is recorded and moved, so the workers never wait for the ledger or the archive;
    what earlier batches of this run will record is known in memory (which contents are
    taken, by which record), so no batch depends on the ledger writes of the one before.

    ``now``: when this run happens (the archive folder's day, the ledger's collected-at
    time, the day feedback is written for); a file's received time is its e-mail's time,
    ``received_at``, or its modification time. A return of another period than ``period``
    is recorded under its own period (never counted in this one) and listed in
    ``result.other_period``.

    Containment: every stage that touches one file (hashing, safety scan, reading,
    checking, archiving, feedback) is inside a per-file boundary; what goes wrong there
    is a finding on that file and the run goes on. Only faults of the workspace itself
    (the ledger, the archive or output folder, a full disk) stop it, as
    :class:`WorkspaceError` naming the cause.
    """
    if now is None:
        now = clock.now()
    try:
        return _collect(ws, plan, period=period, received_at=received_at,
                        sender_of=sender_of, workers=workers, progress=progress,
                        feedback=feedback, now=now)
    except sqlite3.Error as exc:
        raise lg.fault(ws.ledger_path, exc) from exc
    except OSError as exc:
        if exc.errno in DISK_FULL:
            raise WorkspaceError(disk_full_message(ws.root, exc)) from exc
        raise


def _collect(ws: Workspace, plan: Plan, *, period, received_at, sender_of, workers, progress,
             feedback, now: datetime) -> CollectResult:
    period = period or plan.default_period(now.date())
    result = CollectResult(period=period)
    sender_of = {vn.nfc(k): v for k, v in (sender_of or {}).items()}
    _remove_stale_copies(ws.archive)
    day = now.strftime("%Y-%m-%d")
    with Ledger(ws.ledger_path, new_if_empty=not _has_files(ws.archive)) as led:
        # the ledger as it was before the day's first run: "yesterday's" to go back to
        led.backup(ws.state_dir / "backups", day)
        known = _Known(led)
        entries = _keep_signed_copies(ws, plan, period, _inbox_entries(ws, result), result)
        origin = {p: _Origin.of(ws, p) for p in entries}
        stats: dict[Path, tuple[str, int, float]] = {}   # path -> sha256, size, mtime
        pending = []
        for p in entries:
            # only a name the ledger recorded with an archive path can be an unfinished move
            if origin[p].name in known.archived_names and kind_of(p) is None:
                st = _guarded_hash(p, result)
                if st is None:
                    continue
                stats[p] = st
                if _finish_recorded(ws, known, p, origin[p].name, st[0], result):
                    continue
            pending.append(p)
        taken = known.taken(ws.root)   # path keys (see _free_path) of recorded archive paths
        mail = {m["name"]: m for m in led.mail_files()}
        collected_at = _iso(now)
        archive_day = ws.archive / day
        disk = _OnDisk()
        made_dirs: set[Path] = set()
        from .unpacking import open_containers

        pending, opened = open_containers(
            ws, led, known, plan, pending, origin, result, now=now, received_at=received_at,
            mail=mail, sender_of=sender_of, archive_day=archive_day, taken=taken, disk=disk)
        parsed: set[str] = set(known.first)   # contents recorded, or to be parsed in this run
        done = 0

        def prepare(paths: list[Path]) -> _Step:
            batch = []
            for p in paths:
                st = stats.pop(p, None) or _guarded_hash(p, result)
                if st is not None:
                    batch.append((p, *st))
            mail_time = _mail_origins(mail, batch, sender_of, origin)
            when = {p: origin[p].when or received_at or mail_time.get(p) or
                    datetime.fromtimestamp(mtime) for p, _, _, mtime in batch}
            senders = {p: origin[p].sender or sender_of.get(origin[p].name)
                       for p, _, _, _ in batch}
            # The earliest copy of a content is the original, the rest duplicates,
            # whatever their names ("a (2).xlsx" sorts before "a.xlsx").
            batch.sort(key=lambda item: (when[item[0]], origin[item[0]].name))
            first: dict[str, Path] = {}   # content -> the one file of it to parse
            for p, sha, _, _ in batch:
                if sha not in first and sha not in parsed:
                    first[sha] = p
            parsed.update(first)
            new = list(first.values())
            jobs = [(p, origin[p].name, senders[p]) for p in new]
            return _Step(batch, when, senders, new, jobs, checker.submit(jobs))

        with _Checker(plan, period, workers, len(pending)) as checker:
            chunks = [pending[i:i + BATCH] for i in range(0, len(pending), BATCH)]
            inflight: deque[_Step] = deque()
            while chunks and len(inflight) < 2:
                inflight.append(prepare(chunks.pop(0)))
            while inflight:
                current = inflight.popleft()
                checked = dict(zip(current.new, checker.results(current.jobs, current.results)))
                if chunks:   # keep the workers busy while this batch is recorded and moved
                    inflight.append(prepare(chunks.pop(0)))
                moves = []
                with led.transaction(), led.batch() as rows:
                    for path, sha, size, mtime in current.files:
                        o, chk = origin[path], checked.get(path)
                        if _arriving_now(o, chk, sha, mtime, now, known):
                            result.skipped.append(_arriving(o.name))
                            continue
                        dest = _archive_dest(archive_day, o, taken, disk)
                        cf = _record(rows, known, plan, o.name, sha, size, dest, chk, {
                            "received_at": _iso(current.when[path]),
                            "collected_at": collected_at,
                            "archive_path": os.path.relpath(dest, ws.root),
                            "sender": current.senders[path], "container_id": o.container})
                        result.files.append(cf)
                        moves.append((path, dest, sha, cf))
                for src, dest, _, _ in moves:
                    _guarded_move(src, dest, made_dirs, result)
                _check_archived(ws, led, known, plan, moves, origin, result, collected_at)
                done += len(current.files)
                if progress:
                    progress(done, len(pending))
        opened.finish(result)
        with led.transaction():
            led.resolve_all(plan.identity())
        status = led.statuses(cf.file_id for cf in result.files)
        for cf in result.files:
            cf.status = status[cf.file_id]
        if feedback:
            _write_pending_feedback(ws, plan, led, result, now.date())
    return result


def _arriving_now(o: _Origin, chk: CheckedReturn | None, sha: str, mtime: float,
                  now: datetime, known: "_Known") -> bool:
    """Whether a file is still being copied in under its final name: it cannot be
    opened and was modified within :data:`ARRIVING_SECONDS` of ``now`` (or it is another
    copy of such a file). It is left in inbox/ for the next run, like a ``.part``."""
    if o.container is not None:
        return False            # unpacked by this run from a whole container
    if chk is None:
        return sha not in known.first
    return not chk.data.readable and recent(mtime, now) and \
        any(f.code in INCOMPLETE for f in chk.findings)


#: what a workbook still being written reads as: nothing, a zip without its end, XML cut off
INCOMPLETE = ("file_empty", "file_broken_zip", "bad_xml", "unreadable")


def _check_archived(ws: Workspace, led: Ledger, known: "_Known", plan: Plan, moves,
                    origin: dict[Path, _Origin], result: CollectResult,
                    collected_at: str) -> None:
    """After the moves: each archived file must still hold the bytes recorded. A file
    that was still being written when it was hard-linked into archive/ completes there;
    it is read again and recorded anew, and its first record (half a file) is set aside
    as rejected, named, with no feedback: never silent."""
    for src, dest, sha, cf in moves:
        if origin[src].container is not None or not dest.is_file():
            continue
        got = _sha256_of(dest)
        if got is None or got == sha:
            continue
        try:
            new_sha, size, _ = _hash_stat(dest)
        except (StillArriving, OSError):
            new_sha, size = got, dest.stat().st_size
        chk = _check_one((str(dest), cf.name, None))
        row = led.db.execute("SELECT received_at, sender FROM files WHERE id = ?",
                             (cf.file_id,)).fetchone()
        note = Finding("changed_in_archive", f"Tệp {cf.name} đã thay đổi ngay sau khi được lưu "
                       "vào archive/ (lúc đó tệp vẫn đang được chép): bản đầy đủ đã được đọc "
                       "lại và ghi sổ; bản ghi trước (chưa đủ tệp) không được tính.", WARNING,
                       file=cf.name)
        with led.transaction(), led.batch() as rows:
            led.set_status(cf.file_id, lg.REJECTED)
            led.set_feedback(cf.file_id, [])
            led.db.execute("INSERT INTO findings VALUES (?, ?, ?, ?, NULL, NULL, NULL)",
                           (cf.file_id, note.severity, note.code, note.message))
            again = _record(rows, known, plan, cf.name, new_sha, size, dest, chk, {
                "received_at": row["received_at"], "collected_at": collected_at,
                "archive_path": os.path.relpath(dest, ws.root), "sender": row["sender"],
                "container_id": None})
        cf.status = lg.REJECTED
        cf.findings = [note]
        result.notes.append(note)
        result.files.append(again)


@dataclass
class _Step:
    files: list[tuple[Path, str, int, float]]   # path, sha256, size, mtime; in record order
    when: dict[Path, datetime]                  # received time
    senders: dict[Path, str | None]             # as known when the batch was prepared
    new: list[Path]                             # the files to parse (one per new content)
    jobs: list[tuple[Path, str, str | None]]    # they, with their names and senders
    results: Callable[[], list[CheckedReturn]]  # their checks, in that order


class _Known:
    """What the ledger holds, loaded once per run and kept up to date in memory: only the
    columns collect needs, as plain tuples (a ledger of 10,000 files would otherwise mean
    10,000 full records on every run, even with nothing new). The full record of a
    content is fetched when a duplicate of it arrives."""

    def __init__(self, led: Ledger):
        self.led = led
        cur = led.db.cursor()
        cur.row_factory = None   # plain tuples: (id, sha256, original_name, archive_path, status)
        self.rows: list[tuple] = cur.execute(
            "SELECT id, sha256, original_name, archive_path, status FROM files ORDER BY id"
        ).fetchall()
        self.first: dict[str, FileRecord | int] = {}   # content -> first non-duplicate (its id)
        for file_id, sha, _, _, status in self.rows:
            if status != lg.DUPLICATE and sha not in self.first:
                self.first[sha] = file_id
        self.archived_names = {r[2] for r in self.rows if r[3]}
        self._by_sha: dict[str, list[tuple]] | None = None

    def first_record(self, sha: str) -> FileRecord:
        rec = self.first[sha]
        if isinstance(rec, int):
            row = self.led.db.execute("SELECT * FROM files WHERE id = ?", (rec,)).fetchone()
            rec = self.first[sha] = FileRecord(**dict(row))
        return rec

    def by_sha(self, sha: str) -> list[tuple]:
        """Every record of a content (id, sha256, original_name, archive_path, status), by id."""
        if self._by_sha is None:
            self._by_sha = {}
            for r in self.rows:
                self._by_sha.setdefault(r[1], []).append(r)
        return self._by_sha.get(sha, [])

    def taken(self, root: Path) -> set[str]:
        base = str(root)
        return {_path_key(os.path.join(base, r[3])) for r in self.rows if r[3]}


def _mail_origins(mail: dict[str, dict], batch, sender_of: dict[str, str],
                  origin: dict[Path, "_Origin"]) -> dict[Path, datetime]:
    """Files `fetch` put into inbox/: their sender (added to ``sender_of``) and the
    message time, which is their received time."""
    when = {}
    for path, sha, _, _ in batch:
        name = origin[path].name
        found = mail.get(name)
        if found and found["sha256"] == sha:
            if found["sender"]:
                sender_of.setdefault(name, found["sender"])
            when[path] = datetime.fromisoformat(found["received_at"])
    return when


def _record(rows, known: _Known, plan: Plan, name: str, sha: str, size: int, dest: Path,
            chk: CheckedReturn | None, base: dict) -> CollectedFile:
    """One file into the ledger (``rows``: a :meth:`Ledger.batch`, in a transaction)."""
    base = {"sha256": sha, "original_name": name, "size": size, **base}
    if chk is None:   # this content was recorded before (or earlier in this run)
        first = known.first_record(sha)
        file_id = rows.add_file({**base, "status": lg.DUPLICATE, "duplicate_of": first.id,
                                 "kind": first.kind, "feedback": ""})
        return CollectedFile(base["original_name"], lg.DUPLICATE, first.unit_name,
                             first.period, archive_path=dest, kind=first.kind, file_id=file_id)
    needs_feedback = any(f.severity in (ERROR, WARNING) for f in chk.findings)
    rec = {**base, **_identity(plan, chk), "status": chk.status, "kind": chk.data.kind,
           "feedback": None if needs_feedback else ""}
    file_id = rows.add_file(rec, chk.findings, [v.to_row() for v in chk.values], chk.tasks)
    known.first.setdefault(sha, FileRecord(id=file_id, **{
        k: rec.get(k) for k in FileRecord.__dataclass_fields__ if k != "id"}))
    return CollectedFile(base["original_name"], chk.status, chk.unit.name if chk.unit else None,
                         chk.period, chk.findings, dest, kind=chk.data.kind, file_id=file_id)


def _finish_recorded(ws: Workspace, known: _Known, path: Path, name: str, sha: str,
                     result: CollectResult) -> bool:
    """A file a killed run recorded but did not finish moving: finish the move (or drop
    the inbox entry when the archive already holds these very bytes: a hard link, or a
    complete copy made across file systems). True if handled."""
    for _, _, original_name, archive_path, _ in known.by_sha(sha):
        if not archive_path or original_name != name:
            continue
        dest = ws.root / archive_path
        if not dest.exists():
            _guarded_move(path, dest, None, result)
            return True
        if os.path.samefile(path, dest) or _sha256_of(dest) == sha:
            _guarded_unlink(path, result)   # killed between copy and unlink
            return True
    return False


def _write_pending_feedback(ws: Workspace, plan: Plan, led: Ledger,
                            result: CollectResult, today) -> None:
    """Feedback for every recorded file that still lacks it (this run's, and any a killed
    run did not get to), oldest first so a unit's newest return has the last word."""
    from .feedback import retire_stale, write_feedback

    by_id = {cf.file_id: cf for cf in result.files}
    for rec in led.needing_feedback():
        cf = by_id.get(rec.id) or CollectedFile(
            rec.original_name, rec.status, rec.unit_name, rec.period, led.findings(rec.id),
            ws.root / rec.archive_path if rec.archive_path else None, kind=rec.kind,
            file_id=rec.id)
        mine = rec.plan_identity in (None, plan.identity())
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                paths = write_feedback(ws, plan if mine else None, cf, today=today) \
                    if cf.archive_path else []
        except OutputLocked as exc:
            # the officer has last time's feedback open in Excel (Windows refuses to
            # replace it): the others still get theirs; this one is written next run
            result.skipped.append(Finding("feedback_locked", f"chưa ghi được phản hồi. {exc}",
                                          WARNING, file=rec.original_name))
            continue
        except Exception as exc:  # noqa: BLE001 - feedback never fails the run
            # the ledger keeps it as still to write: the next run tries again
            result.notes.append(Finding(
                "feedback_failed", f"Chưa ghi được phản hồi cho tệp {cf.name} ({reason(exc)}); "
                "kết quả kiểm tra đã được ghi sổ, phản hồi sẽ được ghi lại ở lần chạy sau.",
                WARNING, file=cf.name))
            continue
        with led.transaction():
            led.set_feedback(rec.id, [str(p.relative_to(ws.root)) for p in paths])
        cf.feedback = paths
    # a unit whose current return needs nothing: its earlier feedback is no longer current
    # (from the ledger, so a run killed before this point is caught up by the next one)
    if ws.feedback_dir.is_dir() and any(p.is_file() for p in ws.feedback_dir.iterdir()):
        retire_stale(ws, [(r.unit_name, r.period, r.original_name)
                          for r in led.files(plan.identity())
                          if r.status == lg.ACCEPTED and r.unit_name and r.feedback == ""])


# -- signed copies ---------------------------------------------------------------------
SIGNED_DIR = "ban-ky"       # archive/ban-ky/<period>/: signed copies (PDF, scans)
_SCAN_SUFFIXES = {".pdf": (b"%PDF",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",),
                  ".png": (b"\x89PNG",)}


def _keep_signed_copies(ws: Workspace, plan: Plan, period: str, entries: list[Path],
                        result: CollectResult) -> list[Path]:
    """A PDF or scan dropped beside a unit's workbook (the same name as a workbook in
    inbox/, or a name that begins with a unit's form name) is that unit's signed copy: it
    is moved, never overwriting anything, to archive/ban-ky/<period>/ and listed in
    ``result.signed``, not read as a return. Returns the entries left to collect."""
    def key(name: str) -> str:
        return vn.canonical(os.path.splitext(name)[0]).replace(" ", "-")

    if not any(p.suffix.lower() in _SCAN_SUFFIXES for p in entries):
        return entries
    workbooks = {key(p.name) for p in entries if p.suffix.lower() not in _SCAN_SUFFIXES}
    from ..forms.generate import form_filenames   # the form writer: only beside a scan

    names = form_filenames(plan, period)
    forms = {key(names[u.key]): u.name for u in plan.units if u.key in names}
    left = []
    for p in entries:
        magic = _SCAN_SUFFIXES.get(p.suffix.lower())
        k = key(p.name)
        unit = next((forms[f] for f in sorted(forms, key=len, reverse=True)
                     if k == f or k.startswith(f + "-") or k.startswith(f + "_")), None)
        if magic is None or (k not in workbooks and unit is None) or not _starts(p, magic):
            left.append(p)
            continue
        folder = ws.archive / SIGNED_DIR / vn.safe_filename(period, 20)
        folder.mkdir(parents=True, exist_ok=True)
        dest = unique_path(folder, vn.nfc(p.name))
        shutil.move(str(p), str(dest))
        result.signed.append((unit, dest))
    return left


def _starts(path: Path, magic: tuple[bytes, ...]) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError:
        return False
    return head.startswith(magic)


# -- inbox -------------------------------------------------------------------------------
MAX_FOLDER_DEPTH = 32     # folders inside inbox/, one inside the other


def _inbox_entries(ws: Workspace, result: CollectResult) -> list[Path]:
    """Every file in inbox/ and in its folders at any depth (names in order); links are
    never followed, but named."""
    if not ws.inbox.is_dir():
        return []
    out: list[Path] = []

    def walk(folder: Path, prefix: str, depth: int) -> None:
        with os.scandir(folder) as it:   # file types from the directory: no stat per entry
            entries = sorted(it, key=lambda e: text_name(e.name))
        for entry in entries:
            name = entry.name
            shown = prefix + text_name(name)
            if name.startswith("~$") or name.startswith(".~lock") or name in (".gitkeep", ".DS_Store", "Thumbs.db", "desktop.ini"):
                continue  # Excel/LibreOffice lock files and system files: not returns
            if name.lower().endswith(ARRIVING_SUFFIXES):
                result.skipped.append(_arriving(shown))
                continue
            if entry.is_symlink():
                result.skipped.append(Finding(
                    "symlink", "Liên kết tượng trưng trong inbox/ không được đọc. Chép chính "
                    "tệp vào inbox/.", WARNING, file=shown))
                continue
            if entry.is_dir():
                if depth >= MAX_FOLDER_DEPTH:
                    result.skipped.append(Finding(
                        "folder_too_deep", f"Thư mục lồng nhau quá {MAX_FOLDER_DEPTH} lớp: không "
                        "đọc. Chép các tệp trong đó ra gần inbox/ hơn.", WARNING, file=shown))
                    continue
                walk(folder / name, shown + "/", depth + 1)
                continue
            if entry.is_file():
                out.append(folder / name)

    walk(ws.inbox, "", 0)
    return out


def _has_files(folder: Path) -> bool:
    """Whether anything was ever archived (a file in ``folder`` or a folder of it)."""
    try:
        with os.scandir(folder) as days:
            for day in days:
                if day.is_file():
                    return True
                if day.is_dir():
                    with os.scandir(day.path) as inside:
                        if next(inside, None) is not None:
                            return True
    except FileNotFoundError:
        pass
    return False


def _remove_stale_copies(archive: Path) -> None:
    """Temporary copies a killed run left in archive/ (never a recorded file: those get
    their own name only once complete). Called with the workspace lock held."""
    try:
        with os.scandir(archive) as it:
            stale = [e.path for e in it if e.name.startswith(TEMP_PREFIX) and e.is_file()]
    except FileNotFoundError:
        return
    for path in stale:
        os.unlink(path)


# -- checking (optionally in a process pool) ---------------------------------------------
_PLAN: Plan | None = None
_PERIOD: str | None = None


def _init_worker(plan: Plan, period: str | None) -> None:
    global _PLAN, _PERIOD
    _PLAN, _PERIOD = plan, period


def _check_one(args: tuple[str, str, str | None]) -> CheckedReturn:
    """Safety scan, reading and checking of one file, inside its boundary: whatever goes
    wrong becomes a finding and the file is recorded as rejected. Library warnings
    (openpyxl, calamine …) are for developers, never for the officer's console."""
    path, name, sender = args
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            chk = check_return(read_return(Path(path), name), _PLAN, period=_PERIOD,
                               sender=sender)
        except Exception as exc:  # noqa: BLE001 - one file never stops the run
            chk = failed_check(Path(path), name, exc)
    # the raw rows are checked: what is recorded is in chk.values / chk.tasks. Dropping
    # them halves what a worker sends back (pickled, unpickled in the main process).
    chk.data.targets, chk.data.tasks = {}, {}
    _clean_check(chk)
    return chk


def failed_check(path: Path, name: str, exc: BaseException) -> CheckedReturn:
    """The check of a file whose processing failed: rejected, with the reason."""
    data = ReturnData(path=path, name=name, readable=False)
    try:
        from .untrusted import sniff

        data.kind = sniff(path)
    except Exception:  # noqa: BLE001
        data.kind = None
    data.finding("processing_failed", f"Không xử lý được tệp {name} ({reason(exc)}). Tệp đã "
                 "được lưu trữ nguyên vẹn. Mở tệp bằng Excel, lưu lại dưới dạng .xlsx rồi gửi "
                 "lại; nếu vẫn lỗi, báo cho người hỗ trợ.")
    return CheckedReturn(data=data, findings=list(data.findings))


def _clean_value(v):
    if isinstance(v, str):
        return xml_safe(v) if _NOT_XML.search(v) else v
    if v is None or isinstance(v, (float, bool)):
        return v
    if isinstance(v, int):
        return v if -(1 << 63) <= v < (1 << 63) else float(v)
    return xml_safe(str(v))


def _clean_check(chk: CheckedReturn) -> None:
    """What is recorded and quoted back (findings, values, tasks) holds only what the
    ledger, the feedback workbook and the report can store: text quoting a unit's cell
    may carry control characters or undecodable bytes."""
    for i, f in enumerate(chk.findings):
        bad = {attr: xml_safe(v) for attr, v in vars(f).items()
               if isinstance(v, str) and _NOT_XML.search(v)}
        if bad:
            chk.findings[i] = dataclasses.replace(f, **bad)
    for v in chk.values:
        for attr, x in vars(v).items():
            if isinstance(x, str) and _NOT_XML.search(x):
                setattr(v, attr, xml_safe(x))
    chk.tasks = [{k: _clean_value(x) for k, x in t.items()} for t in chk.tasks]
    meta = chk.data.meta
    if any(isinstance(x, str) and _NOT_XML.search(x) for x in meta.values()):
        chk.data.meta = {k: _clean_value(x) for k, x in meta.items()}


class _Checker:
    """Checks batches of files, in a process pool kept for the whole run when there are
    enough of them."""

    def __init__(self, plan: Plan, period: str | None, workers: int | None, total: int):
        workers = workers if workers is not None else (os.cpu_count() or 1)
        self.pool = None
        self.workers = workers
        if workers > 1 and total >= PARALLEL_THRESHOLD:
            # the process pool is loaded only when files are many: a run with none or a
            # few starts faster
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(workers, initializer=_init_worker,
                                            initargs=(plan, period))
        _init_worker(plan, period)

    def submit(self, files: list[tuple[Path, str, str | None]]
               ) -> Callable[[], list[CheckedReturn]]:
        """Start checking ``files`` (path, name shown, sender); the returned function gives
        the results in order."""
        jobs = [(str(p), name, sender) for p, name, sender in files]
        if self.pool is not None and len(jobs) > 1:
            from concurrent.futures.process import BrokenProcessPool

            # small chunks: every worker gets a share of each batch
            chunk = max(1, min(16, len(jobs) // (self.workers * 4)))
            try:
                results = self.pool.map(_check_one, jobs, chunksize=chunk)
            except BrokenProcessPool:   # a worker died earlier: :meth:`results` recovers
                def broken():
                    raise BrokenProcessPool("pool")
                return broken
            return lambda: list(results)
        return lambda: [_check_one(job) for job in jobs]

    def check(self, files: list[tuple[Path, str, str | None]]) -> list[CheckedReturn]:
        return self.submit(files)()

    def results(self, files: list[tuple[Path, str, str | None]],
                get: Callable[[], list[CheckedReturn]]) -> list[CheckedReturn]:
        """``get()``; when a worker died (a reader crashed the process: out of memory, a
        fault in native code), each file is checked again alone in a process of its own,
        so only the file that kills its reader is rejected, and the pool is renewed."""
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        try:
            return get()
        except BrokenProcessPool:
            pass
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = ProcessPoolExecutor(self.workers, initializer=_init_worker,
                                            initargs=(_PLAN, _PERIOD))
        out = []
        for p, name, sender in files:
            with ProcessPoolExecutor(1, initializer=_init_worker,
                                     initargs=(_PLAN, _PERIOD)) as alone:
                try:
                    out.append(alone.submit(_check_one, (str(p), name, sender)).result())
                except BrokenProcessPool as exc:
                    out.append(failed_check(p, name, exc))
        return out

    def __enter__(self) -> "_Checker":
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def _identity(plan: Plan, chk: CheckedReturn) -> dict:
    meta = chk.data.meta
    return {"plan_identity": plan.identity() if chk.plan_matches else meta.get("plan_identity"),
            "plan_name": plan.name if chk.plan_matches else meta.get("plan_name"),
            "plan_fingerprint": meta.get("plan_fingerprint"),
            "unit_key": chk.unit.key if chk.unit else None,
            "unit_name": chk.unit.name if chk.unit else meta.get("unit"),
            "period": chk.period, "form_version": chk.form_version}


