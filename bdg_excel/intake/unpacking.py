"""Collection of containers in inbox/ (.zip archives, saved e-mails): each is recorded
whole, with the archive path it will get, and the workbooks inside are handed to
collection as files of their own, recorded with the container they came from.

Order, so that a run killed at any point loses nothing and counts nothing twice: the
container is unpacked into ``.bdg/unpack/`` (a copy: the container stays in inbox/),
recorded, its workbooks checked, recorded and placed in archive/ beside it, and only at
the end of the run is the container itself moved into archive/. A re-run finds the
container still in inbox/ with its record: it unpacks it again, places the workbooks
recorded but not yet placed, collects those not yet recorded, and moves it. The same
container dropped again (the same bytes) is recorded as a duplicate and not opened: its
workbooks count once.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..core.findings import ERROR, WARNING, Finding
from ..core.workspace import Workspace
from ..plan.model import Plan
from . import ledger as lg
from .containers import kind_of, unpack
from .filing import (CollectedFile, _archive_dest, _archive_name, _arriving, _guarded_hash,
                     _guarded_move, _guarded_unlink, _iso, _Origin, _sha256_of,
                     prune_empty_folders, recent)

UNPACK_DIR = "unpack"           # .bdg/unpack/<content>/: the workbooks of a container
MEMBERS_SUFFIX = "_giai-nen"    # archive/<day>/goi.zip_giai-nen/: beside goi.zip


@dataclass
class Opened:
    """The containers of this run, to move into archive/ once their workbooks are in."""
    staging: Path
    inbox: Path
    moves: list[tuple[Path, Path, str]] = field(default_factory=list)   # src, dest, sha256

    def finish(self, result) -> None:
        for src, dest, sha in self.moves:
            if dest.exists():
                # a killed run got this far: the archive already holds these bytes
                if os.path.samefile(src, dest) or _sha256_of(dest) == sha:
                    _guarded_unlink(src, result)
                    continue
            _guarded_move(src, dest, None, result)
        shutil.rmtree(self.staging, ignore_errors=True)
        if self.moves or result.files:
            prune_empty_folders(self.inbox)


def open_containers(ws: Workspace, led: lg.Ledger, known, plan: Plan, pending: list[Path],
                    origin: dict, result, *, now: datetime, received_at: datetime | None,
                    mail: dict[str, dict], sender_of: dict[str, str], archive_day: Path,
                    taken: set[str], disk) -> tuple[list[Path], Opened]:
    """Split ``pending`` into plain files and containers; record and unpack the
    containers. Returns the files to collect (the plain ones, then the workbooks
    unpacked, each with its :class:`collect._Origin` in ``origin``) and the containers
    to move at the end of the run."""

    staging = ws.state_dir / UNPACK_DIR
    opened = Opened(staging, ws.inbox)
    plain, boxes = [], []
    for p in pending:
        kind = kind_of(p)
        (boxes if kind else plain).append((p, kind) if kind else p)
    if not boxes:
        return plain, opened
    shutil.rmtree(staging, ignore_errors=True)
    seen: dict[str, int] = {}          # content -> its container record, in this run
    hashed = []
    for path, kind in boxes:
        st = _guarded_hash(path, result)
        if st is not None:
            hashed.append((path, kind, *st))
    # the earliest copy of a content is the original, the rest duplicates (as for files)
    hashed.sort(key=lambda b: (b[4], origin[b[0]].name))
    for path, kind, sha, size, mtime in hashed:
        o = origin[path]
        found = mail.get(o.name)
        found = found if found and found["sha256"] == sha else None
        when = received_at or (datetime.fromisoformat(found["received_at"]) if found else None) \
            or datetime.fromtimestamp(mtime)
        sender = (found or {}).get("sender") or sender_of.get(o.name)
        first = next((r for r in known.by_sha(sha) if r[4] != lg.DUPLICATE), None)
        container_id = dest = None
        dup_of = seen.get(sha)
        if dup_of is None and first is not None:
            recorded = ws.root / first[3] if first[3] else None
            if first[2] == o.name and recorded is not None and (
                    not recorded.exists() or os.path.samefile(path, recorded)):
                container_id, dest = first[0], recorded     # a killed run's: finish it
            else:
                dup_of = first[0]
        base = {"sha256": sha, "original_name": o.name, "size": size, "kind": kind,
                "received_at": _iso(when), "collected_at": _iso(now), "sender": sender,
                "feedback": ""}
        if dup_of is not None:
            dest = _archive_dest(archive_day, o, taken, disk)
            with led.transaction(), led.batch() as rows:
                file_id = rows.add_file({**base, "status": lg.DUPLICATE, "duplicate_of": dup_of,
                                         "archive_path": os.path.relpath(dest, ws.root)})
            result.files.append(CollectedFile(o.name, lg.DUPLICATE, archive_path=dest, kind=kind,
                                              file_id=file_id))
            opened.moves.append((path, dest, sha))
            continue
        box = unpack(path, o.name, staging / sha[:16])
        if box.sent_at is not None and received_at is None:
            when = box.sent_at.astimezone().replace(tzinfo=None) if box.sent_at.tzinfo \
                else box.sent_at
            base["received_at"] = _iso(when)
        sender = box.sender or sender
        base["sender"] = sender
        if container_id is None:
            if not box.readable and recent(mtime, now):
                result.skipped.append(_arriving(o.name))   # still being copied in
                continue
            findings = list(box.findings)
            refused = any(f.severity == ERROR for f in findings)
            if box.readable and not box.members and not refused:
                findings.append(Finding(
                    "container_empty", f"{o.name} không có bảng tính nào (.xlsx, .xls, .ods) "
                    "để đọc.", WARNING, file=o.name))
            dest = _archive_dest(archive_day, o, taken, disk)
            # nothing came out of it and something was refused: the officer reads "rejected"
            status = lg.CONTAINER if box.readable and (box.members or not refused) \
                else lg.REJECTED
            with led.transaction(), led.batch() as rows:
                container_id = rows.add_file({**base, "status": status,
                                              "archive_path": os.path.relpath(dest, ws.root)},
                                             findings)
            known.first.setdefault(sha, container_id)
            result.files.append(CollectedFile(o.name, status, findings=findings,
                                              archive_path=dest, kind=kind,
                                              file_id=container_id))
        seen[sha] = container_id
        opened.moves.append((path, dest, sha))
        done = {r.original_name: r for r in led.members(container_id)}
        try:
            near = dest.parent.relative_to(archive_day).parts
        except ValueError:      # a killed run of another day: its workbooks go into today's
            near = ()
        for m in box.members:
            rec = done.get(m.name)
            if rec is not None:     # recorded by a killed run: placed unless already there
                if rec.archive_path and not (ws.root / rec.archive_path).exists():
                    _guarded_move(m.path, ws.root / rec.archive_path, None, result)
                continue
            inner = m.name[len(o.name) + 1:].split("/")
            folders = near + (_archive_name(dest.name + MEMBERS_SUFFIX),) + \
                tuple(_archive_name(x) for x in inner[:-1])
            origin[m.path] = _Origin(m.name, folders, container=container_id, when=when,
                                     sender=sender)
            plain.append(m.path)
    return plain, opened


__all__ = ["open_containers", "Opened", "UNPACK_DIR", "MEMBERS_SUFFIX"]
