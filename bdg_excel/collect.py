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
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from . import ledger as lg, vn
from .findings import ERROR, WARNING, Finding
from .ledger import Ledger
from .model import Plan
from .returns import read_return
from .validate import CheckedReturn, check_return
from .workspace import Workspace, unique_path

PARALLEL_THRESHOLD = 24   # below this many new files a process pool costs more than it saves
BATCH = 50                # files checked, recorded (one transaction) and moved per step


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

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)


def collect(ws: Workspace, plan: Plan, *, period: str | None = None,
            received_at: datetime | None = None, sender_of: dict[str, str] | None = None,
            workers: int | None = None, progress: Callable[[int, int], None] | None = None,
            feedback: bool = True) -> CollectResult:
    """Collect everything in ``ws.inbox``. The caller holds the workspace lock.

    In steps of :data:`BATCH` files: check them, record them with the archive path each
    will get (one transaction), then move them there. Killed at any point, a re-run
    finishes the moves recorded but not done, parses nothing twice, and ends in the same
    state as an uninterrupted run.
    """
    period = period or plan.default_period()
    result = CollectResult()
    sender_of = {vn.nfc(k): v for k, v in (sender_of or {}).items()}
    with Ledger(ws.ledger_path) as led:
        pending = [p for p in _inbox_entries(ws, result) if not _finish_recorded(ws, led, p)]
        taken = {ws.root / r.archive_path for r in led.files() if r.archive_path}
        day = datetime.now().strftime("%Y-%m-%d")
        collected_at = _now_iso()
        done = 0
        with _Checker(plan, period, workers, len(pending)) as checker:
            for start in range(0, len(pending), BATCH):
                batch = [(p, *_hash(p)) for p in pending[start:start + BATCH]]
                mail_time = _mail_origins(led, batch, sender_of)

                def when(path: Path) -> datetime:
                    return received_at or mail_time.get(path) or \
                        datetime.fromtimestamp(path.stat().st_mtime)

                # The earliest copy of a content is the original, the rest duplicates,
                # whatever their names ("a (2).xlsx" sorts before "a.xlsx").
                batch.sort(key=lambda item: (when(item[0]), vn.nfc(item[0].name)))
                first: dict[str, Path] = {}   # content -> the one file of it to parse
                for p, sha, _ in batch:
                    if sha not in first and led.find_by_sha(sha) is None:
                        first[sha] = p
                new = list(first.values())
                checked = dict(zip(new, checker.check(new, sender_of)))
                moves = []
                with led.transaction():
                    for path, sha, size in batch:
                        dest = unique_path(ws.archive / day, _archive_name(path.name), taken)
                        taken.add(dest)
                        cf = _record(led, plan, path, sha, size, dest, checked.get(path), {
                            "received_at": _iso(when(path)),
                            "collected_at": collected_at,
                            "archive_path": str(dest.relative_to(ws.root)),
                            "sender": sender_of.get(vn.nfc(path.name))})
                        result.files.append(cf)
                        moves.append((path, dest))
                for src, dest in moves:
                    _move(src, dest)
                done += len(batch)
                if progress:
                    progress(done, len(pending))
        with led.transaction():
            led.resolve_all(plan.identity())
        records = {r.id: r for r in led.files()}
        for cf in result.files:
            cf.status = records[cf.file_id].status
        if feedback:
            _write_pending_feedback(ws, plan, led, result)
    return result


def _mail_origins(led: Ledger, batch, sender_of: dict[str, str]) -> dict[Path, datetime]:
    """Files `fetch` put into inbox/: their sender (added to ``sender_of``) and the
    message time, which is their received time."""
    when = {}
    for path, sha, _ in batch:
        origin = led.mail_file(path.name, sha)
        if origin:
            if origin["sender"]:
                sender_of.setdefault(vn.nfc(path.name), origin["sender"])
            when[path] = datetime.fromisoformat(origin["received_at"])
    return when


def _record(led: Ledger, plan: Plan, path: Path, sha: str, size: int, dest: Path,
            chk: CheckedReturn | None, base: dict) -> CollectedFile:
    """One file into the ledger (caller holds the transaction)."""
    base = {"sha256": sha, "original_name": vn.nfc(path.name), "size": size, **base}
    if chk is None:   # this content was recorded before (or earlier in this run)
        first = led.find_by_sha(sha)
        file_id = led.add_file({**base, "status": lg.DUPLICATE, "duplicate_of": first.id,
                                "kind": first.kind, "feedback": ""})
        return CollectedFile(base["original_name"], lg.DUPLICATE, first.unit_name,
                             first.period, archive_path=dest, kind=first.kind, file_id=file_id)
    needs_feedback = any(f.severity in (ERROR, WARNING) for f in chk.findings)
    file_id = led.add_file(
        {**base, **_identity(plan, chk), "status": chk.status, "kind": chk.data.kind,
         "feedback": None if needs_feedback else ""},
        chk.findings, [v.to_row() for v in chk.values], chk.tasks)
    return CollectedFile(base["original_name"], chk.status, chk.unit.name if chk.unit else None,
                         chk.period, chk.findings, dest, kind=chk.data.kind, file_id=file_id)


def _finish_recorded(ws: Workspace, led: Ledger, path: Path) -> bool:
    """A file a killed run recorded but did not finish moving: finish the move (or drop
    the inbox link when the archive already holds this very file). True if handled."""
    sha, _ = _hash(path)
    for rec in led.by_sha(sha):
        if not rec.archive_path or rec.original_name != vn.nfc(path.name):
            continue
        dest = ws.root / rec.archive_path
        if not dest.exists():
            _move(path, dest)
            return True
        if os.path.samefile(path, dest):
            os.unlink(path)   # killed between link and unlink: the archive has it
            return True
    return False


def _write_pending_feedback(ws: Workspace, plan: Plan, led: Ledger,
                            result: CollectResult) -> None:
    """Feedback for every recorded file that still lacks it (this run's, and any a killed
    run did not get to), oldest first so a unit's newest return has the last word."""
    from .feedback import write_feedback

    by_id = {cf.file_id: cf for cf in result.files}
    for rec in led.needing_feedback():
        cf = by_id.get(rec.id) or CollectedFile(
            rec.original_name, rec.status, rec.unit_name, rec.period, led.findings(rec.id),
            ws.root / rec.archive_path if rec.archive_path else None, kind=rec.kind,
            file_id=rec.id)
        mine = rec.plan_identity in (None, plan.identity())
        paths = write_feedback(ws, plan if mine else None, cf) if cf.archive_path else []
        with led.transaction():
            led.set_feedback(rec.id, [str(p.relative_to(ws.root)) for p in paths])
        cf.feedback = paths


# -- inbox -------------------------------------------------------------------------------
def _inbox_entries(ws: Workspace, result: CollectResult) -> list[Path]:
    if not ws.inbox.is_dir():
        return []
    out = []
    for entry in sorted(ws.inbox.iterdir(), key=lambda p: vn.nfc(p.name)):
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
            out.append(entry)
    return out


def _hash(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


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


def _move(src: Path, dest: Path) -> None:
    """Move without ever overwriting anything: a hard link fails if ``dest`` exists, and
    the inbox entry is removed only once the archive holds the bytes. ``dest`` is the
    path the ledger recorded, so it must be free (the caller chose it so)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
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
    return check_return(read_return(Path(path)), _PLAN, period=_PERIOD, sender=sender)


class _Checker:
    """Checks batches of files, in a process pool kept for the whole run when there are
    enough of them."""

    def __init__(self, plan: Plan, period: str | None, workers: int | None, total: int):
        workers = workers if workers is not None else (os.cpu_count() or 1)
        self.pool = None
        if workers > 1 and total >= PARALLEL_THRESHOLD:
            self.pool = ProcessPoolExecutor(workers, initializer=_init_worker,
                                            initargs=(plan, period))
            self.chunk = max(1, min(16, BATCH // workers))
        _init_worker(plan, period)

    def check(self, paths: list[Path], sender_of: dict[str, str]) -> list[CheckedReturn]:
        jobs = [(str(p), sender_of.get(vn.nfc(p.name))) for p in paths]
        if self.pool is not None and len(jobs) > 1:
            return list(self.pool.map(_check_one, jobs, chunksize=self.chunk))
        return [_check_one(job) for job in jobs]

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


def _now_iso() -> str:
    return _iso(datetime.now())


def _iso(when: datetime) -> str:
    if when.tzinfo is not None:
        when = when.astimezone().replace(tzinfo=None)
    return when.replace(microsecond=0).isoformat()


