"""Collection: inbox/ -> read, recognise, check -> ledger -> archive/ (+ feedback).

Every file is untrusted and irreplaceable: it is recorded in the ledger first (with the
archive path it will get), then moved without overwriting anything, so a crash at any
point leaves each file either still in inbox/ or in archive/, and a re-run finishes the
job. Files already recorded (same content hash) are recognised and never parsed twice.
"""

from __future__ import annotations

import hashlib
import os
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
BATCH = 500               # ledger rows committed per transaction


@dataclass
class CollectedFile:
    name: str
    status: str
    unit: str | None = None
    period: str | None = None
    findings: list[Finding] = field(default_factory=list)
    archive_path: Path | None = None
    feedback: list[Path] = field(default_factory=list)


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
    """Collect everything in ``ws.inbox``. The caller holds the workspace lock."""
    period = period or plan.default_period()
    result = CollectResult()
    entries = _inbox_entries(ws, result)
    sender_of = dict(sender_of or {})
    mail_time: dict[str, datetime] = {}   # files fetched from a mailbox: the message time
    with Ledger(ws.ledger_path) as led:
        pending: list[tuple[Path, str, int]] = []
        for path in entries:
            sha, size = _hash(path)
            origin = led.mail_file(path.name, sha)   # written by `fetch`: sender, message time
            if origin:
                if origin["sender"]:
                    sender_of.setdefault(path.name, origin["sender"])
                mail_time[path.name] = datetime.fromisoformat(origin["received_at"])
            known = led.find_by_sha(sha)
            if known and known.archive_path and not (ws.root / known.archive_path).exists():
                # Recorded by a run that stopped before moving it: finish the move.
                _move(path, ws.root / known.archive_path)
                continue
            pending.append((path, sha, size))

        new = [p for p in pending if led.find_by_sha(p[1]) is None]
        checked = _check_all(plan, period, [p for p, _, _ in new], sender_of, workers, progress)
        checked_by_path = dict(zip([p for p, _, _ in new], checked))

        day = datetime.now().strftime("%Y-%m-%d")
        taken = {ws.root / r.archive_path for r in led.files() if r.archive_path}
        moves: list[tuple[Path, Path]] = []
        touched: set[tuple[str, str, str]] = set()
        seen_sha: dict[str, int] = {}
        collected_at = _now_iso()
        for start in range(0, len(pending), BATCH):
            with led.transaction():
                for path, sha, size in pending[start:start + BATCH]:
                    dest = unique_path(ws.archive / day, path.name, taken)
                    taken.add(dest)
                    rel = str(dest.relative_to(ws.root))
                    when = (received_at or mail_time.get(path.name)
                            or datetime.fromtimestamp(path.stat().st_mtime))
                    base = {"sha256": sha, "original_name": path.name, "size": size,
                            "received_at": _iso(when), "collected_at": collected_at,
                            "archive_path": rel, "sender": sender_of.get(path.name)}
                    dup = led.find_by_sha(sha)
                    dup_id = dup.id if dup else seen_sha.get(sha)
                    if dup_id is not None:
                        led.add_file({**base, "status": lg.DUPLICATE, "duplicate_of": dup_id})
                        result.files.append(CollectedFile(path.name, lg.DUPLICATE,
                                                          archive_path=dest))
                    else:
                        chk = checked_by_path[path]
                        file_id = led.add_file(
                            {**base, **_identity(plan, chk), "status": chk.status},
                            chk.findings, [v.to_row() for v in chk.values], chk.tasks)
                        seen_sha[sha] = file_id
                        if chk.recognised:
                            touched.add((plan.identity(), chk.period, chk.unit.key))
                        result.files.append(CollectedFile(
                            path.name, chk.status, chk.unit.name if chk.unit else None,
                            chk.period, chk.findings, dest))
                    moves.append((path, dest))
            for src, dest in moves:
                _move(src, dest)
            moves.clear()
        with led.transaction():
            for key in touched:
                led.resolve_current(*key)
        statuses = {r.archive_path: r.status for r in led.files(plan.identity())}
    for cf in result.files:
        rel = str(cf.archive_path.relative_to(ws.root)) if cf.archive_path else None
        cf.status = statuses.get(rel, cf.status)
    if feedback:
        from .feedback import write_feedback

        for cf in result.files:
            if cf.archive_path and any(f.severity in (ERROR, WARNING) for f in cf.findings):
                cf.feedback = write_feedback(ws, plan, cf)
    return result


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


def _move(src: Path, dest: Path) -> None:
    """Move without ever overwriting anything: a hard link fails if ``dest`` exists, and
    the inbox entry is removed only once the archive holds the bytes."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dest)
    except FileExistsError:
        dest = unique_path(dest.parent, dest.name)
        os.link(src, dest)
    except OSError:  # file system without hard links
        if dest.exists():
            dest = unique_path(dest.parent, dest.name)
        os.replace(src, dest)
        return
    os.unlink(src)


# -- checking (optionally in a process pool) ---------------------------------------------
_PLAN: Plan | None = None


def _init_worker(plan: Plan) -> None:
    global _PLAN
    _PLAN = plan


def _check_one(args: tuple[str, str | None, str | None]) -> CheckedReturn:
    path, period, sender = args
    return check_return(read_return(Path(path)), _PLAN, period=period, sender=sender)


def _check_all(plan, period, paths, sender_of, workers, progress) -> list[CheckedReturn]:
    jobs = [(str(p), period, sender_of.get(p.name)) for p in paths]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    out: list[CheckedReturn] = []
    if workers > 1 and len(jobs) >= PARALLEL_THRESHOLD:
        with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(plan,)) as pool:
            for i, chk in enumerate(pool.map(_check_one, jobs, chunksize=64)):
                out.append(chk)
                if progress:
                    progress(i + 1, len(jobs))
    else:
        _init_worker(plan)
        for i, job in enumerate(jobs):
            out.append(_check_one(job))
            if progress:
                progress(i + 1, len(jobs))
    return out


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


