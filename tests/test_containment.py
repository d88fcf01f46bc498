"""No file stops the run (issue 12): whatever goes wrong with one return is a finding on
that file, the file is archived and recorded, and the run writes the consolidated
workbook; only the workspace itself (ledger, archive, output folder, disk) stops a run,
with a message naming the cause."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import sqlite3
import sys
from pathlib import Path

import openpyxl
import pytest

from bdg_excel.intake import collect as collect_mod, ledger as lg
from bdg_excel.forms import layout
from bdg_excel.cli import main
from bdg_excel.intake.collect import collect
from bdg_excel.demo import Fill, fill_form
from bdg_excel.core.errors import WorkspaceError
from bdg_excel.intake.ledger import Ledger
from bdg_excel.workflow import consolidate_workspace

VHXH = "Phòng Văn hóa – Xã hội"
TTDV = "Trung tâm Dịch vụ tổng hợp"
MARK = 4321


@pytest.fixture
def binhlu(make_workspace):
    return make_workspace("binh-lu")


def fill(plan, forms, unit, out, value=10):
    form = next(f.path for f in forms if f.unit == unit)
    rows = {t.code: Fill(value=value) for t in plan.unit_targets(plan.unit(unit))}
    tasks = {layout.task_code(i): (layout.TASK_STATUSES[0], "Đã làm")
             for i in range(len(plan.unit(unit).tasks))}
    return fill_form(form, out, rows, tasks)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def archived_hashes(ws) -> set[str]:
    return {sha(p) for p in ws.archive.rglob("*") if p.is_file()}


def value_cells(path: Path, value=MARK) -> list[str]:
    wb = openpyxl.load_workbook(path)
    ws = wb[layout.FORM_SHEET]
    return [c.coordinate for row in ws.iter_rows() for c in row if c.value == value]


def edit(path: Path, fn) -> Path:
    wb = openpyxl.load_workbook(path)
    fn(wb[layout.FORM_SHEET])
    wb.save(path)
    return path


def records(ws) -> list[tuple]:
    db = sqlite3.connect(ws.ledger_path)
    try:
        return sorted(db.execute("SELECT original_name, status, archive_path IS NOT NULL "
                                 "FROM files"))
    finally:
        db.close()


# -- the cases of the issue -------------------------------------------------------------------
def test_merged_cell_over_a_finding_and_control_characters_never_stop_the_run(binhlu, capsys):
    ws, plan, period, forms = binhlu
    # rows inserted above the table, then cells merged over an input cell holding text
    merged = fill(plan, forms, VHXH, ws.inbox / "gop-o.xlsx", MARK)
    cell = value_cells(merged)[0]

    def merge(sh):
        sh.protection.sheet = False
        sh[cell] = "mười hai"                       # a finding will land on this cell
        col, row = openpyxl.utils.cell.coordinate_from_string(cell)
        nxt = openpyxl.utils.get_column_letter(openpyxl.utils.column_index_from_string(col) + 1)
        sh.merge_cells(f"{cell}:{nxt}{row}")
        sh.insert_rows(1, 2)
    edit(merged, merge)
    # a control character as Excel saves it, quoted in a finding
    ctrl = fill(plan, forms, TTDV, ws.inbox / "ky-tu-dieu-khien.xlsx", MARK)
    ccell = value_cells(ctrl)[0]
    edit(ctrl, lambda sh: sh.__setitem__(ccell, "12_x0007_ người"))
    inputs = {sha(p) for p in ws.inbox.iterdir()}

    assert main(["consolidate", "-w", str(ws.root), "-q"]) == 0
    out = capsys.readouterr().out
    assert "Bảng tổng hợp" in out and "Lỗi không mong đợi" not in out
    assert inputs <= archived_hashes(ws)
    assert not list(ws.inbox.iterdir())
    db = sqlite3.connect(ws.ledger_path)
    msgs = [m for (m,) in db.execute("SELECT message FROM findings")]
    assert any("12\ufffd người" in m for m in msgs), msgs
    assert not any("\x07" in m for m in msgs)
    # the feedback of the unit with the control character quotes it, XML-safe
    texts = [p.read_text(encoding="utf-8") for p in ws.feedback_dir.glob("*.txt")]
    assert any("12\ufffd người" in t for t in texts)
    # feedback that could not be written is retried on the next run, never lost
    pending = db.execute("SELECT original_name FROM files WHERE feedback IS NULL").fetchall()
    db.close()
    for (name,) in pending:
        assert f"phản hồi cho tệp {name}" in out


def test_an_exception_anywhere_in_reading_is_a_finding_and_the_file_is_archived(binhlu,
                                                                                monkeypatch):
    ws, plan, period, forms = binhlu
    fill(plan, forms, VHXH, ws.inbox / "tot.xlsx")
    bad = fill(plan, forms, TTDV, ws.inbox / "lam-hong-bo-doc.xlsx")
    real = collect_mod.check_return

    def check(data, *a, **k):   # stands for any bug a strange file may trigger
        if data.name == bad.name:
            raise KeyError("xl/worksheets/sheet9.xml")
        return real(data, *a, **k)
    monkeypatch.setattr(collect_mod, "check_return", check)
    res = consolidate_workspace(ws, plan, period, workers=1)
    by_name = {cf.name: cf for cf in res.collected.files}
    assert by_name["tot.xlsx"].status == "accepted"
    failed = by_name["lam-hong-bo-doc.xlsx"]
    assert failed.status == "rejected" and failed.archive_path.exists()
    (f,) = failed.findings
    assert f.code == "processing_failed" and "Không xử lý được tệp lam-hong-bo-doc.xlsx" in \
        f.message and "KeyError" in f.message
    assert res.path.exists()


def test_a_reader_that_kills_its_process_rejects_only_that_file(binhlu, monkeypatch):
    ws, plan, period, forms = binhlu
    for i in range(4):
        fill(plan, forms, VHXH, ws.inbox / f"tot-{i}.xlsx", value=10 + i)
    fill(plan, forms, TTDV, ws.inbox / "giet-tien-trinh.xlsx")
    real = collect_mod.read_return

    def read(path, name=None):   # a fault in native code: the worker process dies
        if Path(path).name == "giet-tien-trinh.xlsx":
            os._exit(70)
        return real(path, name)
    monkeypatch.setattr(collect_mod, "read_return", read)
    monkeypatch.setattr(collect_mod, "PARALLEL_THRESHOLD", 2)
    res = collect(ws, plan, period=period, workers=2)
    status = {cf.name: cf.status for cf in res.files}
    assert status["giet-tien-trinh.xlsx"] == "rejected"
    assert sum(1 for s in status.values() if s in ("accepted", "superseded")) == 4
    (dead,) = [cf for cf in res.files if cf.name == "giet-tien-trinh.xlsx"]
    assert "dừng đột ngột" in dead.findings[0].message
    assert not list(ws.inbox.iterdir())


def test_unreadable_file_stays_named_and_the_run_goes_on(binhlu, monkeypatch, capsys):
    ws, plan, period, forms = binhlu
    fill(plan, forms, VHXH, ws.inbox / "tot.xlsx")
    locked = fill(plan, forms, TTDV, ws.inbox / "khong-doc-duoc.xlsx")
    real_open = Path.open

    def deny(self, *a, **k):   # chmod 000 (tests run as root, so simulated)
        if self.name == locked.name:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, *a, **k)
    monkeypatch.setattr(Path, "open", deny)
    assert main(["consolidate", "-w", str(ws.root), "-q"]) == 0
    out = capsys.readouterr().out
    assert "Không xử lý được tệp khong-doc-duoc.xlsx" in out and "quyền" in out
    assert locked.exists()                       # left for the next run
    assert [r[0] for r in records(ws)] == ["tot.xlsx"]
    monkeypatch.setattr(Path, "open", real_open)  # access granted: the next run reads it
    assert main(["collect", "-w", str(ws.root), "-q"]) == 0
    assert sorted(r[0] for r in records(ws)) == ["khong-doc-duoc.xlsx", "tot.xlsx"]
    assert not locked.exists()


def test_file_name_that_is_not_utf8(binhlu, capsys):
    ws, plan, period, forms = binhlu
    good = fill(plan, forms, VHXH, ws.root / "tmp.xlsx")
    raw = os.fsencode(ws.inbox) + b"/B\xe1o c\xe1o V\xe2n h\xf3a.xlsx"   # cp1258 bytes
    with open(raw, "wb") as fh:
        fh.write(good.read_bytes())
    assert main(["consolidate", "-w", str(ws.root), "-q"]) == 0
    out = capsys.readouterr().out
    assert "B\ufffdo c\ufffdo V\ufffdn h\ufffda.xlsx" in out
    assert [r[:2] for r in records(ws)] == [("B\ufffdo c\ufffdo V\ufffdn h\ufffda.xlsx",
                                             "accepted")]
    assert sha(good) in archived_hashes(ws)
    assert not os.listdir(os.fsencode(ws.inbox))


def test_files_still_arriving_are_left_for_the_next_run(binhlu, monkeypatch):
    ws, plan, period, forms = binhlu
    src = fill(plan, forms, VHXH, ws.root / "src.xlsx")
    for name in ("bao-cao.xlsx.part", "bao-cao (1).xlsx.crdownload", "~bao-cao.tmp"):
        (ws.inbox / name).write_bytes(src.read_bytes()[:1000])
    growing = ws.inbox / "dang-chep.xlsx"
    growing.write_bytes(src.read_bytes()[:2000])
    real_fstat = os.fstat

    def copying(fd):   # a copy in progress: the file grows while it is read
        st = real_fstat(fd)
        if os.readlink(f"/proc/self/fd/{fd}") == str(growing):
            with open(growing, "ab") as fh:
                fh.write(b"\0" * 10)
        return st
    monkeypatch.setattr(os, "fstat", copying)
    res = collect(ws, plan, period=period, workers=1)
    assert not res.files
    assert sorted(f.file for f in res.skipped if f.code == "arriving") == sorted(
        ["bao-cao.xlsx.part", "bao-cao (1).xlsx.crdownload", "~bao-cao.tmp", "dang-chep.xlsx"])
    assert len(list(ws.inbox.iterdir())) == 4 and not ws.archive.exists() or \
        not any(p.is_file() for p in ws.archive.rglob("*"))
    # the copies complete: each is read once, whole
    monkeypatch.setattr(os, "fstat", real_fstat)
    for p in list(ws.inbox.iterdir()):
        p.unlink()
    shutil.copy(src, ws.inbox / "bao-cao.xlsx")
    shutil.copy(src, growing)
    res = collect(ws, plan, period=period, workers=1)
    assert sorted(cf.name for cf in res.files) == ["bao-cao.xlsx", "dang-chep.xlsx"]
    assert {sha(src)} == archived_hashes(ws)


def test_windows_file_open_in_excel_stays_in_inbox_and_is_recorded_once(binhlu, monkeypatch,
                                                                        capsys):
    ws, plan, period, forms = binhlu
    fill(plan, forms, VHXH, ws.inbox / "tot.xlsx")
    held = fill(plan, forms, TTDV, ws.inbox / "dang-mo.xlsx")
    real_unlink, real_link = os.unlink, os.link

    def no_link(*a, **k):   # no hard links (FAT, network share)
        raise OSError(errno.EPERM, "Operation not permitted")

    def unlink(path, *a, **k):   # Windows: a file open in Excel cannot be deleted
        if os.fspath(path).endswith("dang-mo.xlsx") and "inbox" in os.fspath(path):
            raise PermissionError(errno.EACCES, "The process cannot access the file", path)
        return real_unlink(path, *a, **k)
    monkeypatch.setattr(os, "link", no_link)
    monkeypatch.setattr(os, "unlink", unlink)
    assert main(["consolidate", "-w", str(ws.root), "-q"]) == 0
    out = capsys.readouterr().out
    assert "dang-mo.xlsx đã được ghi sổ và lưu vào archive/ nhưng chưa xóa được" in out
    assert held.exists() and sha(held) in archived_hashes(ws)
    before = records(ws)
    assert len(before) == 2
    # closed in Excel: the next run removes it from inbox/ without recording it again
    monkeypatch.setattr(os, "unlink", real_unlink)
    assert main(["consolidate", "-w", str(ws.root), "-q"]) == 0
    assert records(ws) == before and not held.exists()
    monkeypatch.setattr(os, "link", real_link)


def test_move_across_file_systems_exdev(binhlu, monkeypatch):
    ws, plan, period, forms = binhlu
    for i, unit in enumerate((VHXH, TTDV)):
        fill(plan, forms, unit, ws.inbox / f"tra-ve-{i}.xlsx")
    inputs = {sha(p) for p in ws.inbox.iterdir()}

    def exdev(*a, **k):
        raise OSError(errno.EXDEV, "Invalid cross-device link")
    monkeypatch.setattr(os, "link", exdev)
    monkeypatch.setattr(os, "rename", exdev)
    res = collect(ws, plan, period=period, workers=1)
    assert "rejected" not in {cf.status for cf in res.files}
    assert archived_hashes(ws) == inputs and not list(ws.inbox.iterdir())
    assert not [p for p in ws.archive.rglob("*") if p.name.startswith(".~tmp")]


def test_copy_killed_before_the_inbox_entry_is_removed(binhlu, monkeypatch):
    """Inbox and archive on different devices: killed after the archive copy is complete
    but before the inbox file is removed; the re-run removes it, records nothing twice."""
    ws, plan, period, forms = binhlu
    src = fill(plan, forms, VHXH, ws.inbox / "tra-ve.xlsx")
    keep = src.read_bytes()

    def exdev(*a, **k):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    class Killed(BaseException):
        pass

    real_unlink = os.unlink

    def die(path, *a, **k):
        if os.fspath(path).endswith("tra-ve.xlsx"):
            raise Killed()
        return real_unlink(path, *a, **k)
    monkeypatch.setattr(os, "link", exdev)
    monkeypatch.setattr(os, "unlink", die)
    with pytest.raises(Killed):
        collect(ws, plan, period=period, workers=1)
    monkeypatch.setattr(os, "unlink", real_unlink)
    assert src.read_bytes() == keep
    collect(ws, plan, period=period, workers=1)
    assert records(ws) == [("tra-ve.xlsx", "accepted", 1)]
    assert not src.exists() and archived_hashes(ws) == {hashlib.sha256(keep).hexdigest()}


# -- the ledger -------------------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["empty", "truncated", "page"])
def test_damaged_ledger_is_refused_and_kept(binhlu, damage, capsys):
    ws, plan, period, forms = binhlu
    fill(plan, forms, VHXH, ws.inbox / "tot.xlsx")
    assert main(["collect", "-w", str(ws.root), "-q"]) == 0
    with Ledger(ws.ledger_path) as led:   # checkpoint: everything in the main file
        led.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for i in range(200):              # enough pages to damage one in the middle
            with led.transaction():
                led.add_send(kind="send", sent_at=f"2026-01-01T00:00:{i % 60:02d}",
                             address="x" * 2000)
        led.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = ws.ledger_path.read_bytes()
    if damage == "empty":
        broken = b""
    elif damage == "truncated":
        broken = data[:len(data) // 2 + 100]
    else:   # one page in the middle overwritten with garbage
        page = int.from_bytes(data[16:18], "big")
        mid = (len(data) // page // 2) * page
        broken = data[:mid] + os.urandom(page) + data[mid + page:]
    ws.ledger_path.write_bytes(broken)
    fill(plan, forms, TTDV, ws.inbox / "moi.xlsx")
    assert main(["consolidate", "-w", str(ws.root), "-q"]) == 1
    err = capsys.readouterr().err
    assert "Sổ theo dõi" in err and "không được thay bằng sổ mới" in err, err
    assert ws.ledger_path.read_bytes() == broken        # kept as it was
    assert (ws.inbox / "moi.xlsx").exists()              # nothing collected meanwhile
    assert "ledger-" in err                              # the backup to go back to


def test_ledger_backups_rotate_and_hold_yesterdays_state(binhlu, monkeypatch):
    ws, plan, period, forms = binhlu
    fill(plan, forms, VHXH, ws.inbox / "ngay-1.xlsx")
    collect(ws, plan, period=period, workers=1)    # first run: nothing to back up yet
    folder = ws.state_dir / "backups"
    days = [f"2026-11-{d:02d}" for d in range(1, 11)]
    for i, day in enumerate(days):
        with Ledger(ws.ledger_path) as led:
            assert led.backup(folder, day) is not None
            assert led.backup(folder, day) is None         # one per day
            with led.transaction():
                led.add_send(kind="send", sent_at=day)
    kept = sorted(p.name for p in folder.glob("ledger-*.sqlite3"))
    assert kept == [f"ledger-{d}.sqlite3" for d in days[-7:]]
    db = sqlite3.connect(folder / kept[-1])
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM sends").fetchone()[0] == 9   # before day 10's
    assert db.execute("SELECT original_name FROM files").fetchall() == [("ngay-1.xlsx",)]


def test_full_disk_is_reported_as_a_full_disk_and_nothing_is_half_written(binhlu,
                                                                           monkeypatch, capsys):
    ws, plan, period, forms = binhlu
    fill(plan, forms, VHXH, ws.inbox / "tot.xlsx")
    assert main(["collect", "-w", str(ws.root), "-q"]) == 0
    before = records(ws)
    for i, unit in enumerate((VHXH, TTDV)):
        fill(plan, forms, unit, ws.inbox / f"moi-{i}.xlsx", value=11)
    real_exit = lg._Batch.__exit__

    def full(self, *exc):   # SQLite's "database or disk is full" at the batch's last insert
        real_exit(self, *exc)
        raise sqlite3.OperationalError("database or disk is full")
    monkeypatch.setattr(lg._Batch, "__exit__", full)
    assert main(["consolidate", "-w", str(ws.root), "-q"]) == 1
    err = capsys.readouterr().err
    assert "hết dung lượng" in err and "hỏng" not in err, err
    monkeypatch.setattr(lg._Batch, "__exit__", real_exit)
    assert records(ws) == before                    # the batch was rolled back whole
    assert len(list(ws.inbox.iterdir())) == 2       # and nothing moved
    # the archive disk full (ENOSPC while copying): named as such, nothing lost
    real_copy = shutil.copyfileobj

    def enospc(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "link", lambda *a, **k: (_ for _ in ()).throw(
        OSError(errno.EXDEV, "cross-device")))
    monkeypatch.setattr(shutil, "copyfileobj", enospc)
    assert main(["consolidate", "-w", str(ws.root), "-q"]) == 1
    err = capsys.readouterr().err
    assert "hết dung lượng" in err, err
    assert len(list(ws.inbox.iterdir())) == 2
    monkeypatch.setattr(shutil, "copyfileobj", real_copy)
    assert main(["consolidate", "-w", str(ws.root), "-q"]) == 0   # space freed: finished
    assert not list(ws.inbox.iterdir()) and len(records(ws)) == 3


# -- output open in Excel or LibreOffice ------------------------------------------------------
@pytest.mark.parametrize("lock", ["~${name}", ".~lock.{name}#", ".~lock.Noi-bo_{name}#"])
def test_consolidated_workbook_open_elsewhere_is_not_overwritten(binhlu, lock, capsys):
    ws, plan, period, forms = binhlu
    fill(plan, forms, VHXH, ws.inbox / "lan-1.xlsx")
    assert main(["consolidate", "-w", str(ws.root), "-q"]) == 0
    (out,) = ws.outbox.glob("Tong-hop*.xlsx")
    capsys.readouterr()
    before = out.read_bytes()
    (ws.outbox / lock.format(name=out.name)).write_bytes(b"officer")   # opened meanwhile
    fill(plan, forms, TTDV, ws.inbox / "lan-2.xlsx")
    assert main(["consolidate", "-w", str(ws.root), "-q"]) == 0
    text = capsys.readouterr().out
    assert out.read_bytes() == before                        # not overwritten in place
    new = ws.outbox / f"{out.stem} (2).xlsx"
    assert "đang được mở" in text and str(new) in text
    assert "Đã nhận 2/" in text                               # results still printed
    assert [r[0] for r in records(ws)] == ["lan-1.xlsx", "lan-2.xlsx"]   # and recorded
    wb = openpyxl.load_workbook(new, read_only=True)
    assert wb.sheetnames


# -- the sheet read is never a silent guess ---------------------------------------------------
def _sheets(path: Path, fn) -> Path:
    wb = openpyxl.load_workbook(path)
    fn(wb)
    wb.save(path)
    return path


def test_renamed_form_sheet_is_read_and_named(binhlu):
    ws, plan, period, forms = binhlu
    f = fill(plan, forms, VHXH, ws.inbox / "doi-ten.xlsx", 12)
    _sheets(f, lambda wb: setattr(wb[layout.FORM_SHEET], "title", "Báo cáo của phòng"))
    (cf,) = collect(ws, plan, period=period, workers=1).files
    codes = {x.code: x for x in cf.findings}
    assert codes["renamed_sheet"].sheet == "Báo cáo của phòng"
    with Ledger(ws.ledger_path) as led:
        vals = led.value_tuples_of([cf.file_id], ("value",))[cf.file_id]
    assert vals and all(v == (12,) for v in vals.values())


@pytest.mark.parametrize("same", [True, False])
def test_copy_of_the_form_sheet_beside_it(binhlu, same):
    ws, plan, period, forms = binhlu
    f = fill(plan, forms, VHXH, ws.inbox / "ban-sao.xlsx", 12)
    cell = value_cells(f, 12)[0]

    def copy(wb):
        c = wb.copy_worksheet(wb[layout.FORM_SHEET])
        if not same:
            c[cell] = 99    # the copy holds other figures: which one is the report?
    _sheets(f, copy)
    (cf,) = collect(ws, plan, period=period, workers=1).files
    codes = {x.code: x for x in cf.findings}
    if same:
        assert codes["copied_sheet"].severity == "info" and cf.status == "accepted"
    else:
        assert codes["several_forms"].severity == "error" and cf.status == "needs_fixes"
        assert "Biểu mẫu Copy" in codes["several_forms"].message


# -- kill at any moment with inbox/ on another file system (tmpfs) -----------------------------
SHM = Path("/dev/shm")


@pytest.fixture
def tmpfs_dir():
    if not SHM.is_dir() or os.stat(SHM).st_dev == os.stat(Path(__file__)).st_dev:
        pytest.skip("no tmpfs on another device than the workspace")
    import tempfile
    d = Path(tempfile.mkdtemp(prefix="bdg-inbox-", dir=SHM))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _inbox_on(ws, where: Path) -> None:
    """Make ws/inbox a folder on ``where``'s file system (a USB stick, a network share)."""
    where.mkdir(parents=True)
    for p in list(ws.inbox.iterdir()):
        shutil.move(p, where / p.name)
    ws.inbox.rmdir()
    ws.inbox.symlink_to(where, target_is_directory=True)


def test_sigkill_with_inbox_on_tmpfs_then_rerun_equals_clean_run(make_workspace, tmp_path,
                                                                 tmpfs_dir):
    import signal

    from test_collect import (_run, _state, _variant, kill_at_growing_delays,
                              kill_when_recorded)

    ws, plan, period, forms = make_workspace("binh-lu")
    bases = [fill(plan, forms, u.name, tmp_path / f"base-{i}.xlsx", value=10 + i)
             for i, u in enumerate(plan.units) if plan.unit_targets(u)]
    for n in range(40):
        dest = ws.inbox / f"tra-ve-{n:03d}.xlsx"
        _variant(bases[n % len(bases)], dest, n)
        t = 1_790_000_000 + n * 3600
        os.utime(dest, (t, t))
    shutil.copy(bases[0], ws.inbox / "gui-lai.xlsx")     # an identical re-send
    clean_root = tmp_path / "clean"
    shutil.copytree(ws.root, clean_root)
    from bdg_excel.core.workspace import Workspace
    clean = Workspace.open(clean_root)
    _inbox_on(ws, tmpfs_dir / "inbox")
    _inbox_on(clean, tmpfs_dir / "inbox-clean")
    assert os.stat(ws.inbox).st_dev != os.stat(ws.root).st_dev
    inputs = {p.name: sha(p) for p in ws.inbox.iterdir()}
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    p = _run(clean, env)
    assert p.wait(timeout=180) == 0, p.stderr.read()
    reference = _state(clean, plan, period)

    def kill(p) -> None:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        # after every kill: no empty or partial archived file under a recorded name
        for f in ws.archive.rglob("*.xlsx"):
            if not f.name.startswith(".~tmp-"):   # a copy in progress: removed next run
                assert f.stat().st_size > 0 and sha(f) in inputs.values(), f

    # first: killed the moment the batch is recorded, while its files are being copied
    # across file systems (recorded, not all moved)
    mid_run = 0
    if kill_when_recorded(ws, env, kill):
        mid_run += any(ws.inbox.iterdir())
    # then killed at growing delays, whatever it is doing
    kill_at_growing_delays(ws, env, kill, delay=0.3, step=0.25, tries=40)
    assert mid_run >= 1, "no kill landed mid-run"
    p = _run(ws, env)
    assert p.wait(timeout=180) == 0, p.stderr.read()
    assert _state(ws, plan, period) == reference
    assert set(inputs.values()) <= {sha(f) for f in ws.archive.rglob("*") if f.is_file()}
    assert not list(ws.inbox.iterdir())
    assert not [f for f in ws.archive.rglob("*") if f.name.startswith(".~tmp-")]


def test_empty_ledger_of_a_first_run_killed_while_creating_it_is_started_again(binhlu):
    ws, plan, period, forms = binhlu
    ws.state_dir.mkdir(exist_ok=True)
    ws.ledger_path.write_bytes(b"")          # nothing was ever archived
    fill(plan, forms, VHXH, ws.inbox / "tot.xlsx")
    assert main(["consolidate", "-w", str(ws.root), "-q"]) == 0
    assert [r[0] for r in records(ws)] == ["tot.xlsx"]


def test_output_folder_full_is_named_and_the_returns_are_recorded(binhlu, monkeypatch, capsys):
    import tempfile

    from bdg_excel.core import workspace as wsmod

    ws, plan, period, forms = binhlu
    fill(plan, forms, VHXH, ws.inbox / "tot.xlsx")
    real = tempfile.mkstemp

    def full(*a, **k):
        if str(k.get("dir", "")) == str(ws.outbox):
            raise OSError(errno.ENOSPC, "No space left on device", str(ws.outbox))
        return real(*a, **k)
    monkeypatch.setattr(wsmod.tempfile, "mkstemp", full)
    assert main(["consolidate", "-w", str(ws.root), "-q"]) == 1
    err = capsys.readouterr().err
    assert "hết dung lượng" in err and "bảng tổng hợp chưa được ghi" in err, err
    assert [r[0] for r in records(ws)] == ["tot.xlsx"] and not list(ws.inbox.iterdir())


def test_copy_killed_half_way_leaves_no_partial_file_under_a_recorded_name(binhlu, monkeypatch):
    """Across file systems the copy is made under a temporary name: killed half-way, the
    archive holds only that temporary file (removed by the next run, under the lock),
    never half a return under the name the ledger recorded."""
    ws, plan, period, forms = binhlu
    src = fill(plan, forms, VHXH, ws.inbox / "tra-ve.xlsx")
    keep = src.read_bytes()

    class Killed(BaseException):
        pass

    def exdev(*a, **k):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    def half(fin, fout, *a, **k):
        fout.write(fin.read(1000))
        fout.flush()
        raise Killed()
    monkeypatch.setattr(os, "link", exdev)
    monkeypatch.setattr(shutil, "copyfileobj", half)
    with pytest.raises(Killed):
        collect(ws, plan, period=period, workers=1)
    monkeypatch.undo()
    # what a kill leaves (the finally clause did not run): the partial temporary copy
    (ws.archive / ".~tmp-0123456789abcdef.xlsx").write_bytes(keep[:1000])
    assert records(ws) == [("tra-ve.xlsx", "accepted", 1)]       # recorded, not moved
    assert not [p for p in ws.archive.rglob("*.xlsx") if not p.name.startswith(".~tmp")]
    collect(ws, plan, period=period, workers=1)
    assert records(ws) == [("tra-ve.xlsx", "accepted", 1)]
    files = [p for p in ws.archive.rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in files] == [keep] and not src.exists()
