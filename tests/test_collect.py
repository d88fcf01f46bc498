"""Collection of a whole inbox: nothing lost, nothing trusted, nothing parsed twice;
feedback; formula injection; the workspace lock and locked outputs; a run killed by
SIGKILL and re-run comes out as a clean run."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import unicodedata
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from bdg_excel.intake import collect as collect_mod
from bdg_excel.forms import layout
from bdg_excel.cli import main
from bdg_excel.intake.collect import collect
from bdg_excel.report.consolidate import consolidate
from bdg_excel.demo import Fill, fill_form
from bdg_excel.report.export import to_csv
from bdg_excel.intake.feedback import ERROR_FILL, LIST_SHEET
from bdg_excel.intake.ledger import Ledger
from bdg_excel.workflow import consolidate_workspace

CORPUS = Path(__file__).parent / "data" / "returns"
sys.path.insert(0, str(CORPUS))
import make_fixtures as fx  # noqa: E402

VHXH = "Phòng Văn hóa – Xã hội"
TTDV = "Trung tâm Dịch vụ tổng hợp"
INJECT = '=HYPERLINK("http://evil.example","bấm")'


def form_of(forms, unit):
    return next(f.path for f in forms if f.unit == unit)


def fill(plan, forms, unit, out, value=10, **over):
    rows = {t.code: Fill(value=value) for t in plan.unit_targets(plan.unit(unit))}
    rows.update(over)
    tasks = {layout.task_code(i): (layout.TASK_STATUSES[0], "Đã làm")
             for i in range(len(plan.unit(unit).tasks))}
    return fill_form(form_of(forms, unit), out, rows, tasks)


def settled(folder: Path) -> None:
    """Every file under ``folder`` finished arriving long ago (none is still being copied
    in: test_containers has those)."""
    old = datetime(2026, 11, 2, 8, 0).timestamp()
    for p in folder.rglob("*"):
        if p.is_file() and not p.is_symlink():
            os.utime(p, (old, old))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def all_hashes(root: Path) -> set[str]:
    return {sha(p) for p in root.rglob("*") if p.is_file() and not p.is_symlink()}


def at(path: Path, when: str) -> Path:
    t = datetime.fromisoformat(when).timestamp()
    os.utime(path, (t, t))
    return path


@pytest.fixture
def binhlu(make_workspace):
    return make_workspace("binh-lu")


# -- the whole corpus in one inbox ----------------------------------------------------------
def test_every_input_survives_and_each_gets_its_finding(binhlu, tmp_path):
    ws, plan, period, forms = binhlu
    good = fill(plan, forms, VHXH, ws.inbox / "BDG_2026_VHXH.xlsx")
    for name in fx.COMMITTED:
        shutil.copy(CORPUS / name, ws.inbox / name)
    # a name collision with something already archived, an identical re-send, NFD and a
    # very long name, a folder and a symbolic link
    shutil.copy(good, ws.inbox / "copy of the same.xlsx")
    nfd = unicodedata.normalize("NFD", "Báo cáo Trạm Y tế.xlsx")
    fill(plan, forms, TTDV, ws.inbox / nfd)
    long_name = "Báo cáo kết quả " + "thuc-hien-binh-dang-gioi-" * 8 + ".xlsx"
    assert len(long_name) > 200 and len(long_name.encode()) <= 255   # Linux NAME_MAX
    fill(plan, forms, TTDV, ws.inbox / long_name, value=11)
    (ws.inbox / "thu-muc").mkdir()
    (ws.inbox / "thu-muc" / "inner.xlsx").write_bytes(b"inner")
    (ws.inbox / "lien-ket.xlsx").symlink_to(good)
    before = {p.name: sha(p) for p in ws.inbox.iterdir() if p.is_file() and not p.is_symlink()}
    before["inner.xlsx"] = sha(ws.inbox / "thu-muc" / "inner.xlsx")
    settled(ws.inbox)

    res = collect(ws, plan, period=period, workers=1)

    by_name = {unicodedata.normalize("NFC", f.name): f for f in res.files}
    for name, code in fx.EXPECTED.items():
        if code is None:
            assert name not in by_name and (ws.inbox / name).exists()   # lock file ignored
            continue
        f = by_name[name]
        assert f.status == "rejected" and [x.code for x in f.findings] == [code], name
    assert by_name["BDG_2026_VHXH.xlsx"].status == "accepted"
    assert by_name["copy of the same.xlsx"].status == "duplicate"
    assert by_name[unicodedata.normalize("NFC", nfd)].unit == TTDV
    long_rec = next(f for f in res.files if f.name.startswith("Báo cáo kết quả"))
    assert long_rec.unit == TTDV and len(long_rec.archive_path.name.encode()) <= 200
    assert {f.code for f in res.skipped} == {"symlink"}
    # a folder is read like inbox/ itself; the archive keeps the folder
    inner = by_name["thu-muc/inner.xlsx"]
    assert inner.status == "rejected" and inner.archive_path.parent.name == "thu-muc"
    # every input's bytes are still somewhere in the workspace, whatever happened
    assert set(before.values()) <= all_hashes(ws.root)
    # only what we do not take is left in inbox/ (the folder, emptied, is gone)
    assert sorted(p.name for p in ws.inbox.iterdir()) == sorted(
        ["lien-ket.xlsx", "~$BDG_2026_lock.xlsx"])
    # a second file of the same name gets its own archive name
    again = fill(plan, forms, VHXH, ws.inbox / "BDG_2026_VHXH.xlsx", value=12)
    res2 = collect(ws, plan, period=period, workers=1)
    (f2,) = res2.files
    assert f2.archive_path.name == "BDG_2026_VHXH (2).xlsx"
    assert (f2.archive_path.parent / "BDG_2026_VHXH.xlsx").exists()
    assert not again.exists()


def test_archive_move_never_overwrites(tmp_path):
    src = tmp_path / "a.xlsx"
    src.write_bytes(b"new")
    dest = tmp_path / "archive" / "a.xlsx"
    dest.parent.mkdir()
    dest.write_bytes(b"old")
    collect_mod._move(src, dest)
    assert dest.read_bytes() == b"old" and src.read_bytes() == b"new"


# -- ledger semantics ------------------------------------------------------------------------
def test_received_time_supersede_duplicate(binhlu):
    ws, plan, period, forms = binhlu
    first = at(fill(plan, forms, VHXH, ws.inbox / "lan-1.xlsx", value=10), "2026-11-20T09:00:00")
    collect(ws, plan, period=period, workers=1)
    # a resubmission, and an identical re-send of the first
    at(fill(plan, forms, VHXH, ws.inbox / "lan-2.xlsx", value=20), "2026-11-25T09:00:00")
    shutil.copy(ws.root / Ledger(ws.ledger_path).files()[0].archive_path, ws.inbox / "lan-1b.xlsx")
    collect(ws, plan, period=period, workers=1)
    with Ledger(ws.ledger_path) as led:
        recs = {r.original_name: r for r in led.files()}
        assert recs["lan-1.xlsx"].status == "superseded"
        assert recs["lan-2.xlsx"].status == "accepted"
        assert recs["lan-1b.xlsx"].status == "duplicate"
        assert recs["lan-1b.xlsx"].duplicate_of == recs["lan-1.xlsx"].id
        assert (ws.root / recs["lan-1b.xlsx"].archive_path).exists()   # still archived
        assert recs["lan-1.xlsx"].received_at == "2026-11-20T09:00:00"  # file time
    assert not first.exists()
    c = consolidate(ws, plan, period)
    sub = next(s for s in c.submissions if s.unit.name == VHXH)
    assert sub.record.original_name == "lan-2.xlsx"
    assert [r.original_name for r in sub.superseded] == ["lan-1.xlsx"]
    # newest by received time wins, not by collection order
    at(fill(plan, forms, VHXH, ws.inbox / "lan-0.xlsx", value=5), "2026-11-01T09:00:00")
    collect(ws, plan, period=period, received_at=None, workers=1)
    with Ledger(ws.ledger_path) as led:
        assert {r.original_name: r.status for r in led.files()}["lan-0.xlsx"] == "superseded"
    # --received-at overrides the file time
    fill(plan, forms, TTDV, ws.inbox / "ttdv.xlsx")
    collect(ws, plan, period=period, received_at=datetime(2026, 12, 1, 8, 30), workers=1)
    with Ledger(ws.ledger_path) as led:
        assert led.files()[-1].received_at == "2026-12-01T08:30:00"


def test_rerun_parses_nothing_twice(binhlu, monkeypatch):
    ws, plan, period, forms = binhlu
    fill(plan, forms, VHXH, ws.inbox / "a.xlsx")
    fill(plan, forms, TTDV, ws.inbox / "b.xlsx", **{"6.3": Fill(value="chưa có")})
    calls = []
    real = collect_mod.read_return
    monkeypatch.setattr(collect_mod, "read_return", lambda p, *a, **k: calls.append(p) or
                        real(p, *a, **k))
    collect(ws, plan, period=period, workers=1)
    assert len(calls) == 2
    snapshot = sqlite3.connect(ws.ledger_path).execute(
        "SELECT sha256, status FROM files ORDER BY id").fetchall()
    collect(ws, plan, period=period, workers=1)              # nothing new
    with Ledger(ws.ledger_path) as led:
        a = led.files()[0]
    shutil.copy(ws.root / a.archive_path, ws.inbox / "a-again.xlsx")   # same bytes again
    collect(ws, plan, period=period, workers=1)
    assert len(calls) == 2
    rows = sqlite3.connect(ws.ledger_path).execute(
        "SELECT sha256, status FROM files ORDER BY id").fetchall()
    assert rows[:2] == snapshot and rows[2][1] == "duplicate"


# -- feedback ---------------------------------------------------------------------------------
def test_feedback_copy_highlighted_and_commented(binhlu):
    ws, plan, period, forms = binhlu
    src = fill(plan, forms, TTDV, ws.inbox / "ttdv.xlsx", **{"6.3": Fill(value="chưa có")})
    original = src.read_bytes()
    res = collect(ws, plan, period=period, workers=1)
    (cf,) = res.files
    assert cf.status == "needs_fixes"
    book = next(p for p in cf.feedback if p.suffix == ".xlsx")
    text = next(p for p in cf.feedback if p.suffix == ".txt")
    assert book.parent == ws.feedback_dir
    (f,) = [f for f in cf.findings if f.code == "not_a_number"]
    wb = openpyxl.load_workbook(book)
    cell = wb[f.sheet][f.cell]
    assert cell.fill.fgColor.rgb.endswith(ERROR_FILL)
    listed = [c.value for row in wb[LIST_SHEET].iter_rows() for c in row]
    assert f.cell in listed and any("không phải là số" in str(v) for v in listed)
    msg = text.read_text(encoding="utf-8")
    assert msg.startswith(f"Kính gửi: {TTDV}") and f.cell in msg and book.name in msg
    assert "sửa và gửi lại" in msg
    assert cf.archive_path.read_bytes() == original      # the unit's file untouched
    with Ledger(ws.ledger_path) as led:
        assert led.files()[0].feedback.count("phan-hoi") == 2


def test_feedback_for_a_broken_file_is_a_message_only(binhlu):
    ws, plan, period, _ = binhlu
    shutil.copy(CORPUS / "billion-laughs.xlsx", ws.inbox / "x.xlsx")
    (cf,) = collect(ws, plan, period=period, workers=1).files
    assert [p.suffix for p in cf.feedback] == [".txt"]
    assert "DOCTYPE" in cf.feedback[0].read_text(encoding="utf-8")


# -- formula injection ------------------------------------------------------------------------
def test_text_from_a_return_never_becomes_a_formula(binhlu, tmp_path):
    ws, plan, period, forms = binhlu
    path = fill(plan, forms, TTDV, ws.inbox / "=cmd.xlsx",
                **{"6.3": Fill(value=3, source=INJECT, note="+1+1"), "6.4": Fill(value="@SUM(1)")})
    wb = openpyxl.load_workbook(path)        # typed as text, as a cell formatted as Text holds it
    for row in wb[layout.FORM_SHEET].iter_rows():
        for c in row:
            if c.value in (INJECT, "+1+1", "@SUM(1)"):
                c.data_type = "s"
    wb.save(path)
    r = consolidate_workspace(ws, plan, period, workers=1)
    # consolidated workbooks (upward and internal: the returned file's name is only in
    # the internal one): every cell holding our texts is a string, never a formula
    from bdg_excel.report.workbook import internal_path
    seen = set()
    for sheet in [s for p in (r.path, internal_path(r.path))
                  for s in openpyxl.load_workbook(p).worksheets]:
        for row in sheet.iter_rows():
            for c in row:
                if c.data_type == "f":
                    assert not any(x in str(c.value) for x in ("evil", "+1+1", "@SUM", "cmd"))
                if isinstance(c.value, str) and c.value in (INJECT, "+1+1", "=cmd.xlsx"):
                    assert c.data_type == "s"
                    seen.add(c.value)
    assert "=cmd.xlsx" in seen
    # CSV: a leading apostrophe
    csv_text = to_csv(consolidate(ws, plan, period))
    assert "'=cmd.xlsx" in csv_text and ",=cmd" not in csv_text
    # feedback workbook: the unit's texts are still strings
    (cf,) = r.collected.files
    book = next(p for p in cf.feedback if p.suffix == ".xlsx")
    fb = openpyxl.load_workbook(book)[layout.FORM_SHEET]
    cells = [c for row in fb.iter_rows() for c in row if c.value in (INJECT, "+1+1", "@SUM(1)")]
    assert len(cells) == 3 and all(c.data_type == "s" for c in cells)


# -- workspace safety ---------------------------------------------------------------------
def test_second_run_gets_workspace_busy(binhlu, capsys):
    ws, plan, period, _ = binhlu
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom bdg_excel.core.workspace import Workspace\n"
         "with Workspace.open(sys.argv[1]).lock():\n    print('held', flush=True)\n"
         "    time.sleep(30)\n", str(ws.root)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        code = main(["collect", "-w", str(ws.root), "-q"])
        err = capsys.readouterr().err
        assert code == 1 and "đang được một lệnh bdg-excel khác sử dụng" in err
        assert "Traceback" not in err
    finally:
        holder.kill()
        holder.wait()


def test_output_held_open_is_a_clear_message(binhlu, monkeypatch, capsys):
    ws, plan, period, forms = binhlu
    fill(plan, forms, VHXH, ws.inbox / "a.xlsx")
    real = os.replace

    def locked(src, dst, *a, **k):
        if str(ws.outbox) in str(dst) and str(dst).endswith(".xlsx"):
            raise PermissionError(13, "The process cannot access the file", str(dst))
        return real(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", locked)
    code = main(["consolidate", "-w", str(ws.root), "-q", "--workers", "1"])
    out = capsys.readouterr()
    assert code == 1 and "đang được mở" in out.err and "Traceback" not in out.err + out.out
    assert not list(ws.outbox.rglob(".~tmp-*"))
    with Ledger(ws.ledger_path) as led:     # the collection itself was recorded
        assert [r.status for r in led.files()] == ["accepted"]


def test_stale_temp_files_removed_under_the_lock(binhlu):
    ws, *_ = binhlu
    stale = ws.outbox / ".~tmp-abc.xlsx"
    stale.write_bytes(b"half a workbook")
    with ws.lock():
        assert not stale.exists()


# -- SIGKILL mid-run ------------------------------------------------------------------------
N_RETURNS = 300


def _variant(src: Path, dest: Path, n: int) -> None:
    """The same workbook with a different comment in docProps (distinct bytes)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "docProps/core.xml":
                data += f"<!-- {n} -->".encode()
            zout.writestr(info, data)


def _populate(ws, plan, forms, tmp_path) -> None:
    units = [u for u in plan.units if plan.unit_targets(u)]
    bases = []
    for i, u in enumerate(units):
        for v in range(3):
            bases.append(fill(plan, forms, u.name, tmp_path / f"base-{i}-{v}.xlsx",
                              value=10 + v + i))
    for n in range(N_RETURNS):
        dest = ws.inbox / f"tra-ve-{n:03d}.xlsx"
        if n % 50 == 7:
            shutil.copy(bases[n % len(bases)], dest)              # some identical re-sends
        else:
            _variant(bases[n % len(bases)], dest, n)
        at(dest, f"2026-11-{1 + n % 28:02d}T{8 + n % 9:02d}:{n % 60:02d}:00")
    shutil.copy(CORPUS / "empty.xlsx", ws.inbox / "rong.xlsx")
    shutil.copy(CORPUS / "billion-laughs.xlsx", ws.inbox / "bom.xlsx")
    for name in ("rong.xlsx", "bom.xlsx"):   # arrived after the others, long before the runs
        at(ws.inbox / name, "2026-11-30T08:00:00")   # (so not still arriving)


def _state(ws, plan, period):
    db = sqlite3.connect(ws.ledger_path)
    files = sorted(db.execute("SELECT original_name, sha256, status, unit_key, period, "
                              "received_at, kind, duplicate_of IS NOT NULL FROM files"))
    vals = sorted(db.execute("SELECT f.original_name, v.code, v.value, v.numerator, "
                             "v.denominator FROM vals v JOIN files f ON f.id = v.file_id"))
    feedback = sorted(p.name for p in ws.feedback_dir.glob("*")) if ws.feedback_dir.exists() \
        else []
    return files, vals, to_csv(consolidate(ws, plan, period)), feedback


def _run(ws, env):
    return subprocess.Popen([sys.executable, "-m", "bdg_excel.cli", "consolidate", "-w",
                             str(ws.root), "-q"], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def recorded_files(ws) -> int:
    """Files the ledger has recorded so far, read while another process may be writing it
    (0 before the ledger or its table exists)."""
    if not ws.ledger_path.exists():
        return 0
    db = sqlite3.connect(ws.ledger_path, timeout=5)
    try:
        if not db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'files'"
                          ).fetchone()[0]:
            return 0
        return db.execute("SELECT count(*) FROM files").fetchone()[0]
    except sqlite3.DatabaseError:
        return 0
    finally:
        db.close()


def kill_when_recorded(ws, env, kill) -> bool:
    """Run collection in a child process and ``kill`` it the moment the ledger has
    recorded its first batch; False when it finished first."""
    p = _run(ws, env)
    while p.poll() is None:
        if recorded_files(ws):
            kill(p)
            return True
        time.sleep(0.005)
    return False


def kill_at_growing_delays(ws, env, kill, *, delay: float, step: float, tries: int) -> None:
    """Run collection again and again, each run ``kill``-ed after a longer delay, until one
    finishes on its own."""
    for _ in range(tries):
        p = _run(ws, env)
        try:
            p.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            kill(p)
            delay += step
            continue
        break


def test_sigkill_mid_run_then_rerun_equals_clean_run(make_workspace, tmp_path):
    ws, plan, period, forms = make_workspace("binh-lu")
    _populate(ws, plan, forms, tmp_path / "bases")
    inputs = {p.name: sha(p) for p in ws.inbox.iterdir()}
    clean_root = tmp_path / "clean"
    shutil.copytree(ws.root, clean_root, symlinks=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    # the reference: one uninterrupted run on an identical copy
    from bdg_excel.core.workspace import Workspace
    clean = Workspace.open(clean_root)
    p = _run(clean, env)
    assert p.wait(timeout=120) == 0, p.stderr.read()
    reference = _state(clean, plan, period)

    mid_run = 0

    def kill(p) -> None:
        nonlocal mid_run
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        left = sum(1 for x in ws.inbox.iterdir() if x.is_file())
        mid_run += bool(recorded_files(ws) and (left or not list(ws.outbox.glob("*.xlsx"))))

    # first: killed the moment the first batch is recorded (whatever the machine's load)
    kill_when_recorded(ws, env, kill)
    # then killed at growing delays, whatever it is doing
    kill_at_growing_delays(ws, env, kill, delay=0.4, step=0.4, tries=30)
    assert mid_run >= 1, "no kill landed mid-run"
    p = _run(ws, env)
    assert p.wait(timeout=120) == 0, p.stderr.read()

    assert _state(ws, plan, period) == reference
    assert set(inputs.values()) <= all_hashes(ws.root)
    assert not list(ws.inbox.iterdir())
    assert not list(ws.outbox.rglob(".~tmp-*"))


def test_earliest_copy_of_identical_returns_is_the_original(make_workspace):
    """Two identical files: the one received first is the return, the later one the
    duplicate, even when the later one's name sorts first ("a (2).xlsx" < "a.xlsx")."""
    import os
    import shutil

    from bdg_excel.intake.collect import collect
    from bdg_excel.demo import plausible_fill, fill_form
    import random

    ws, plan, period, forms = make_workspace("binh-lu")
    form = next(f for f in forms if f.unit == "Phòng Kinh tế")
    unit = plan.unit(form.unit)
    rnd = random.Random(1)
    early = fill_form(form.path, ws.inbox / "kt.xlsx",
                      {t.code: plausible_fill(t, rnd) for t in plan.unit_targets(unit)},
                      {"NV1": ("Đã hoàn thành", ""), "NV2": ("Đã hoàn thành", "")})
    late = ws.inbox / "kt (2).xlsx"
    shutil.copyfile(early, late)
    os.utime(early, (1_790_000_000, 1_790_000_000))
    os.utime(late, (1_790_900_000, 1_790_900_000))
    with ws.lock():
        res = collect(ws, plan, period=period, workers=1)
    by_name = {cf.name: cf.status for cf in res.files}
    assert by_name["kt.xlsx"] == "accepted"
    assert by_name["kt (2).xlsx"] == "duplicate"


@pytest.mark.parametrize("signed", [False, True])
def test_a_form_with_nothing_to_fill_returned_as_sent_is_the_units_return(tmp_path, signed):
    """"Đơn vị chỉ cần ký và gửi lại biểu": the unit does exactly that, and its return
    is accepted (not "no table, use the form you were sent")."""
    import json

    from cycle_helpers import DATA, plan_workspace

    data = json.loads((DATA / "plans" / "binh-lu.json").read_text(encoding="utf-8"))
    data["units"].append({"name": "Hội Nông dân xã", "indicators": [], "tasks": [],
                          "email": None})
    ws, plan, forms = plan_workspace(tmp_path / "ws", data)
    form = forms["Hội Nông dân xã"].path
    back = ws.inbox / form.name
    if signed:   # the head of the office typed a name under "Thủ trưởng đơn vị"
        wb = openpyxl.load_workbook(form)
        sheet = wb[layout.FORM_SHEET]
        last = sheet.max_row
        sheet.cell(last, 1).value = "Nguyễn Văn A"
        wb.save(back)
    else:
        shutil.copyfile(form, back)
    res = collect(ws, plan, period="2026", workers=1, now=datetime(2026, 11, 20, 9))
    (cf,) = res.files
    assert (cf.unit, cf.status) == ("Hội Nông dân xã", "accepted"), cf.findings
    assert not [f for f in cf.findings if f.severity == "error"]
    assert not cf.feedback
