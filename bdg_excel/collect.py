"""Collection: inbox/ -> read, recognise, check -> ledger -> archive/ (+ feedback).

Every file is untrusted and irreplaceable: it is recorded in the ledger first (with the
archive path it will get), then moved without overwriting anything, so a crash at any
point leaves each file either still in inbox/ or in archive/, and a re-run finishes the
job. Files already recorded (same content hash) are recognised and never parsed twice.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from . import clock, ledger as lg, vn
from .findings import ERROR, WARNING, Finding
from .ledger import FileRecord, Ledger
from .model import Plan
from .returns import read_return
from .validate import CheckedReturn, check_return
from .workspace import Workspace, unique_path

PARALLEL_THRESHOLD = 24   # below this many new files a process pool costs more than it saves
BATCH = 100               # files checked, recorded (one transaction) and moved per step


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


@dataclass
class CollectResult:
    files: list[CollectedFile] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)    # lock files, folders, links
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
    """
    if now is None:
        now = clock.now()
    period = period or plan.default_period(now.date())
    result = CollectResult(period=period)
    sender_of = {vn.nfc(k): v for k, v in (sender_of or {}).items()}
    with Ledger(ws.ledger_path) as led:
        known = _Known(led)
        entries = _keep_signed_copies(ws, plan, period, _inbox_entries(ws, result), result)
        stats: dict[Path, tuple[str, int, float]] = {}   # path -> sha256, size, mtime
        pending = []
        for p in entries:
            # only a name the ledger recorded with an archive path can be an unfinished move
            if vn.nfc(p.name) in known.archived_names:
                stats[p] = _hash_stat(p)
                if _finish_recorded(ws, known, p, stats[p][0]):
                    continue
            pending.append(p)
        taken = known.taken(ws.root)   # path keys (see _free_path) of recorded archive paths
        mail = {m["name"]: m for m in led.mail_files()}
        day = now.strftime("%Y-%m-%d")
        collected_at = _iso(now)
        archive_day = ws.archive / day
        rel_day = str(archive_day.relative_to(ws.root))
        on_disk = _names_in(archive_day)
        made_dirs: set[Path] = set()
        parsed: set[str] = set(known.first)   # contents recorded, or to be parsed in this run
        done = 0

        def prepare(paths: list[Path]) -> _Step:
            batch = []
            for p in paths:
                sha, size, mtime = stats.pop(p, None) or _hash_stat(p)
                batch.append((p, sha, size, mtime))
            mail_time = _mail_origins(mail, batch, sender_of)
            when = {p: received_at or mail_time.get(p) or datetime.fromtimestamp(mtime)
                    for p, _, _, mtime in batch}
            senders = {p: sender_of.get(vn.nfc(p.name)) for p, _, _, _ in batch}
            # The earliest copy of a content is the original, the rest duplicates,
            # whatever their names ("a (2).xlsx" sorts before "a.xlsx").
            batch.sort(key=lambda item: (when[item[0]], vn.nfc(item[0].name)))
            first: dict[str, Path] = {}   # content -> the one file of it to parse
            for p, sha, _, _ in batch:
                if sha not in first and sha not in parsed:
                    first[sha] = p
            parsed.update(first)
            new = list(first.values())
            return _Step(batch, when, senders, new, checker.submit(new, sender_of))

        with _Checker(plan, period, workers, len(pending)) as checker:
            chunks = [pending[i:i + BATCH] for i in range(0, len(pending), BATCH)]
            inflight: deque[_Step] = deque()
            while chunks and len(inflight) < 2:
                inflight.append(prepare(chunks.pop(0)))
            while inflight:
                current = inflight.popleft()
                checked = dict(zip(current.new, current.results()))
                if chunks:   # keep the workers busy while this batch is recorded and moved
                    inflight.append(prepare(chunks.pop(0)))
                moves = []
                with led.transaction(), led.batch() as rows:
                    for path, sha, size, _ in current.files:
                        dest = _free_path(archive_day, _archive_name(path.name), taken, on_disk)
                        cf = _record(rows, known, plan, path, sha, size, dest, checked.get(path), {
                            "received_at": _iso(current.when[path]),
                            "collected_at": collected_at,
                            "archive_path": os.path.join(rel_day, dest.name),
                            "sender": current.senders[path]})
                        result.files.append(cf)
                        moves.append((path, dest))
                for src, dest in moves:
                    _move(src, dest, made_dirs)
                done += len(current.files)
                if progress:
                    progress(done, len(pending))
        with led.transaction():
            led.resolve_all(plan.identity())
        status = led.statuses(cf.file_id for cf in result.files)
        for cf in result.files:
            cf.status = status[cf.file_id]
        if feedback:
            _write_pending_feedback(ws, plan, led, result, now.date())
    return result


@dataclass
class _Step:
    files: list[tuple[Path, str, int, float]]   # path, sha256, size, mtime; in record order
    when: dict[Path, datetime]                  # received time
    senders: dict[Path, str | None]             # as known when the batch was prepared
    new: list[Path]                             # the files to parse (one per new content)
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


def _mail_origins(mail: dict[str, dict], batch, sender_of: dict[str, str]
                  ) -> dict[Path, datetime]:
    """Files `fetch` put into inbox/: their sender (added to ``sender_of``) and the
    message time, which is their received time."""
    when = {}
    for path, sha, _, _ in batch:
        origin = mail.get(path.name)
        if origin and origin["sha256"] == sha:
            if origin["sender"]:
                sender_of.setdefault(vn.nfc(path.name), origin["sender"])
            when[path] = datetime.fromisoformat(origin["received_at"])
    return when


def _record(rows, known: _Known, plan: Plan, path: Path, sha: str, size: int, dest: Path,
            chk: CheckedReturn | None, base: dict) -> CollectedFile:
    """One file into the ledger (``rows``: a :meth:`Ledger.batch`, in a transaction)."""
    base = {"sha256": sha, "original_name": vn.nfc(path.name), "size": size, **base}
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


def _finish_recorded(ws: Workspace, known: _Known, path: Path, sha: str) -> bool:
    """A file a killed run recorded but did not finish moving: finish the move (or drop
    the inbox link when the archive already holds this very file). True if handled."""
    for _, _, original_name, archive_path, _ in known.by_sha(sha):
        if not archive_path or original_name != vn.nfc(path.name):
            continue
        dest = ws.root / archive_path
        if not dest.exists():
            _move(path, dest)
            return True
        if os.path.samefile(path, dest):
            os.unlink(path)   # killed between link and unlink: the archive has it
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
        paths = write_feedback(ws, plan if mine else None, cf, today=today) \
            if cf.archive_path else []
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
    from .forms import form_filenames

    def key(name: str) -> str:
        return vn.canonical(os.path.splitext(name)[0]).replace(" ", "-")

    if not any(p.suffix.lower() in _SCAN_SUFFIXES for p in entries):
        return entries
    workbooks = {key(p.name) for p in entries if p.suffix.lower() not in _SCAN_SUFFIXES}
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
def _inbox_entries(ws: Workspace, result: CollectResult) -> list[Path]:
    if not ws.inbox.is_dir():
        return []
    out = []
    with os.scandir(ws.inbox) as it:   # file types from the directory: no stat per entry
        entries = sorted(it, key=lambda e: vn.nfc(e.name))
    for entry in entries:
        name = entry.name
        if name.startswith("~$") or name.startswith(".~lock") or name in (".gitkeep", ".DS_Store", "Thumbs.db", "desktop.ini"):
            continue  # Excel/LibreOffice lock files and system files: not returns
        if entry.is_symlink():
            result.skipped.append(Finding("symlink", "Liên kết tượng trưng trong inbox/ không được "
                                          "đọc. Chép chính tệp vào inbox/.", WARNING, file=name))
            continue
        if entry.is_dir():
            result.skipped.append(Finding("folder", "Thư mục con trong inbox/ không được đọc. Chép "
                                          "các tệp trong đó ra inbox/.", WARNING, file=name))
            continue
        if entry.is_file():
            out.append(ws.inbox / name)
    return out


def _hash_stat(path: Path) -> tuple[str, int, float]:
    """sha256, size and modification time of a file, reading it once."""
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        mtime = os.fstat(fh.fileno()).st_mtime
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size, mtime


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


def _archive_name(name: str) -> str:
    """The name a file gets in archive/: NFC, and short enough (in UTF-8 bytes) that
    " (12)" can still be added on any file system."""
    stem, suffix = os.path.splitext(vn.nfc(name))
    if len(suffix.encode()) > 16:
        stem, suffix = stem + suffix, ""
    while len((stem + suffix).encode()) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return (stem.rstrip(". ") or "tep") + suffix


MAX_NAME_BYTES = 200


def _move(src: Path, dest: Path, made_dirs: set[Path] | None = None) -> None:
    """Move without ever overwriting anything: a hard link fails if ``dest`` exists, and
    the inbox entry is removed only once the archive holds the bytes. ``dest`` is the
    path the ledger recorded, so it must be free (the caller chose it so). ``made_dirs``:
    folders known to exist (filled in)."""
    if made_dirs is None or dest.parent not in made_dirs:
        dest.parent.mkdir(parents=True, exist_ok=True)
        if made_dirs is not None:
            made_dirs.add(dest.parent)
    try:
        os.link(src, dest)
    except FileExistsError:
        return  # taken meanwhile by someone else: never overwrite; the file stays in inbox/
    except OSError:  # file system without hard links: copy, sync, then remove
        with src.open("rb") as fin, open(dest, "xb") as fout:
            shutil.copyfileobj(fin, fout)
            fout.flush()
            os.fsync(fout.fileno())
        shutil.copystat(src, dest)
    os.unlink(src)


# -- checking (optionally in a process pool) ---------------------------------------------
_PLAN: Plan | None = None
_PERIOD: str | None = None


def _init_worker(plan: Plan, period: str | None) -> None:
    global _PLAN, _PERIOD
    _PLAN, _PERIOD = plan, period


def _check_one(args: tuple[str, str | None]) -> CheckedReturn:
    path, sender = args
    chk = check_return(read_return(Path(path)), _PLAN, period=_PERIOD, sender=sender)
    # the raw rows are checked: what is recorded is in chk.values / chk.tasks. Dropping
    # them halves what a worker sends back (pickled, unpickled in the main process).
    chk.data.targets, chk.data.tasks = {}, {}
    return chk


class _Checker:
    """Checks batches of files, in a process pool kept for the whole run when there are
    enough of them."""

    def __init__(self, plan: Plan, period: str | None, workers: int | None, total: int):
        workers = workers if workers is not None else (os.cpu_count() or 1)
        self.pool = None
        self.workers = workers
        if workers > 1 and total >= PARALLEL_THRESHOLD:
            self.pool = ProcessPoolExecutor(workers, initializer=_init_worker,
                                            initargs=(plan, period))
        _init_worker(plan, period)

    def submit(self, paths: list[Path], sender_of: dict[str, str]
               ) -> Callable[[], list[CheckedReturn]]:
        """Start checking ``paths``; the returned function gives the results in order."""
        jobs = [(str(p), sender_of.get(vn.nfc(p.name))) for p in paths]
        if self.pool is not None and len(jobs) > 1:
            # small chunks: every worker gets a share of each batch
            chunk = max(1, min(16, len(jobs) // (self.workers * 4)))
            results = self.pool.map(_check_one, jobs, chunksize=chunk)
            return lambda: list(results)
        return lambda: [_check_one(job) for job in jobs]

    def check(self, paths: list[Path], sender_of: dict[str, str]) -> list[CheckedReturn]:
        return self.submit(paths, sender_of)()

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


def _iso(when: datetime) -> str:
    if when.tzinfo is not None:
        when = when.astimezone().replace(tzinfo=None)
    return when.replace(microsecond=0).isoformat()


