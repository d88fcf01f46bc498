"""An officer's first week without IT help (issue 15): the workspace is found from any
folder inside it, init writes a commented configuration, sending works from the first day
(--from, drafts for units without an address), one rule for names in files, outputs others
can open, and the Windows behaviours we cannot produce here, simulated."""

from __future__ import annotations

import io
import os
import re
import stat
import sys
import tomllib
from datetime import date
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from bdg_excel import cli as cli_mod
from bdg_excel.intake import collect as collect_mod
from bdg_excel.forms import generate as forms_mod
from bdg_excel.core import vn
from bdg_excel.core.config import template
from bdg_excel.core.errors import WorkspaceError
from bdg_excel.intake.feedback import feedback_stem
from bdg_excel.mail import office_of, sender_address
from bdg_excel.mail.messages import RENAME_RULE, form_message_text
from bdg_excel.intake.ledger import Ledger
from bdg_excel.workflow import collect_inbox, generate, init_workspace, load
from bdg_excel.core.workspace import Workspace, atomic_output, check_path_length, find_root
from cycle_helpers import run_cli


run = run_cli      # (exit code, stdout, stderr) of bdg-excel ARGS, in process


# -- 3. the workspace is found from any folder inside it ---------------------------------
def test_commands_find_the_workspace_from_inside_it(tmp_path, capsys, monkeypatch):
    assert run(capsys, "init", tmp_path / "xa", "--example", "tam-duong")[0] == 0
    ws = Workspace.open(tmp_path / "xa")
    (ws.forms_dir / "cu").mkdir(parents=True)
    for inside in (ws.inbox, ws.forms_dir / "cu", ws.templates):
        monkeypatch.chdir(inside)
        code, out, err = run(capsys, "status", "--period", "2024")
        assert code == 0, err
        assert len(out.strip().splitlines()) == len(load(ws).units)
        code, out, err = run(capsys, "plan", "check")
        assert code == 0 and "tam-duong.xlsx" in out
    assert find_root(ws.inbox) == ws.root and Workspace.open(ws.outbox).root == ws.root


def test_hints_outside_a_workspace_are_right(tmp_path, capsys, monkeypatch):
    lone = tmp_path / "hop-thu" / "inbox"       # an "inbox" folder that is in no workspace
    lone.mkdir(parents=True)
    monkeypatch.chdir(lone)
    code, out, err = run(capsys, "status")
    assert code == 1
    assert "không nằm trong thư mục làm việc" in err
    assert f"bdg-excel init {lone}" not in err and "bdg-excel init TÊN_THƯ_MỤC" in err
    elsewhere = tmp_path / "bao-cao"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, err = run(capsys, "generate")
    assert code == 1 and f"bdg-excel init {elsewhere}" in err


def test_an_unrelated_templates_folder_above_is_not_a_workspace(tmp_path):
    (tmp_path / "templates").mkdir()          # e.g. a web project's templates/
    (tmp_path / "docs").mkdir()
    assert find_root(tmp_path / "docs") is None
    assert find_root(tmp_path) == tmp_path.resolve()     # asked for explicitly: it is one


def test_init_refuses_a_workspace_nested_in_another(tmp_path, capsys, monkeypatch):
    assert run(capsys, "init", tmp_path / "xa")[0] == 0
    monkeypatch.chdir(tmp_path / "xa" / "inbox")
    code, out, err = run(capsys, "init", "xa-moi")
    assert code == 2 and "nằm trong thư mục làm việc" in err
    assert not (tmp_path / "xa" / "inbox" / "xa-moi").exists()
    assert run(capsys, "init", tmp_path / "xa")[0] == 0          # again on itself: fine


# -- 1. init and the configuration file ---------------------------------------------------
def test_init_writes_a_commented_configuration_that_the_mail_settings_read(tmp_path, capsys):
    code, out, err = run(capsys, "init", tmp_path / "xa", "--example", "binh-lu",
                         "--email", "vhxh@binhlu.example")
    assert code == 0, err
    path = tmp_path / "xa" / "bdg-excel.toml"
    text = path.read_text(encoding="utf-8")
    assert text == vn.nfc(text)
    config = tomllib.loads(text)
    office = office_of(config)
    assert office.email == "vhxh@binhlu.example"
    assert office.name == load(Workspace.open(tmp_path / "xa")).issuer
    assert sender_address(config) == "vhxh@binhlu.example"
    for key in ("[office]", "[smtp]", "[imap]", "host", "port", "security", "BDG_SMTP_PASSWORD"):
        assert key in text
    assert sum(1 for ln in text.splitlines() if ln.startswith("#")) > 20   # explained
    assert "bdg-excel.toml" in out and "Bước tiếp theo" in out and "plan check" in out
    # never overwritten
    path.write_text('[office]\nemail = "khac@x.example"\n', encoding="utf-8")
    assert run(capsys, "init", tmp_path / "xa")[0] == 0
    assert "khac@x.example" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name,email", [(None, None), ("Phòng “Văn hóa” \\ Xã hội", None),
                                        ("Sở Nội vụ", "snv@laichau.example")])
def test_the_template_is_valid_toml_for_any_office(name, email):
    config = tomllib.loads(template(name, email))
    assert office_of(config).name == (vn.nfc(name) if name else None)
    assert office_of(config).email == email
    assert config.get("smtp", {}) == {} and config.get("imap", {}) == {}


def test_init_asks_for_the_office_address_at_a_terminal(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli_mod, "_interactive", lambda: True)
    monkeypatch.setattr(sys, "stdin", io.StringIO("khong-phai-dia-chi\nvh@binhlu.example\n"))
    code, out, err = run(capsys, "init", tmp_path / "xa")
    assert code == 0, err
    assert "không phải địa chỉ thư" in out
    assert office_of(Workspace.open(tmp_path / "xa").config()).email == "vh@binhlu.example"
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))       # Enter: later
    code, out, err = run(capsys, "init", tmp_path / "xa2")
    assert code == 0 and "Chưa có địa chỉ thư của cơ quan" in out


def test_init_without_a_plan_says_how_to_get_one(tmp_path, capsys):
    code, out, _ = run(capsys, "init", tmp_path / "moi")
    assert code == 0
    assert "plan import" in out and "bdg-excel generate" not in out
    assert "Chưa có địa chỉ thư của cơ quan" in out
    code, out, err = run(capsys, "init", tmp_path / "moi2", "--email", "khong-phai-dia-chi")
    assert code == 2 and "không phải địa chỉ thư" in err


def test_send_from_the_first_day(tmp_path, capsys):
    """init + send --dry-run: no configuration edited; drafts with no sender say so;
    --from fills the sender; a unit without address gets a draft with no recipient."""
    root = tmp_path / "xa"
    run(capsys, "init", root, "--example", "binh-lu")
    ws = Workspace.open(root)
    code, out, err = run(capsys, "send", "-w", root, "--dry-run", "--period", "2026", "-q")
    assert code == 0, err
    assert "Thư nháp chưa có người gửi" in out and "--from" in out
    emls = sorted((ws.mail_dir / "2026").glob("*.eml"))
    assert len(emls) == len(load(ws).units)
    assert "From" not in BytesParser(policy=policy.default).parsebytes(emls[0].read_bytes())
    assert f"Các thư nháp (.eml, mở bằng Outlook hoặc Thunderbird): {ws.mail_dir / '2026'}" in out

    # a unit without address in the plan
    from bdg_excel.plan.planbook import save_plan

    plan = load(ws)
    plan.units[1].email = None
    save_plan(plan, ws.plan_path())
    code, out, err = run(capsys, "send", "-w", root, "--dry-run", "--period", "2026", "-q",
                         "--from", "Phòng VH-XH <vhxh@binhlu.example>")
    assert code == 0, err
    draft = ws.mail_dir / "2026" / f"Bieu_{vn.unit_stem(plan.units[1].name)}_CHUA-CO-DIA-CHI.eml"
    msg = BytesParser(policy=policy.default).parsebytes(draft.read_bytes())
    assert msg["To"] is None and msg["X-Unsent"] == "1"
    assert msg["From"] == "Phòng VH-XH <vhxh@binhlu.example>"
    assert draft.name in out and "1 đơn vị chưa có địa chỉ thư" in out
    assert "plan check" in out
    other = BytesParser(policy=policy.default).parsebytes(
        (ws.mail_dir / "2026" / f"Bieu_{vn.unit_stem(plan.units[0].name)}.eml").read_bytes())
    assert other["To"] == plan.units[0].email and "vhxh@binhlu.example" in other["From"]
    code, out, err = run(capsys, "plan", "check", "-w", root)
    assert f"Đơn vị “{plan.units[1].name}” chưa có địa chỉ thư" in out
    # a real sending needs a sender
    code, out, err = run(capsys, "send", "-w", root, "--smtp-host", "127.0.0.1", "--period", "2026")
    assert code == 2 and "--from" in err
    code, out, err = run(capsys, "remind", "-w", root, "--dry-run", "--from", "khong hop le")
    assert code == 2 and "--from" in err


def test_demo_shows_the_mail_step(tmp_path, capsys):
    code, out, err = run(capsys, "demo", tmp_path / "demo")
    assert code == 0, err
    assert "Thư gửi biểu cho các đơn vị (thư nháp, không gửi đi)" in out
    emls = list((tmp_path / "demo" / "outbox" / "mail").rglob("*.eml"))
    assert emls
    for p in emls:
        msg = BytesParser(policy=policy.default).parsebytes(p.read_bytes())
        assert msg["To"] and all(a.endswith(".example") for a in
                                 [x.strip() for x in msg["To"].split(",")])


# -- 5. files and names ---------------------------------------------------------------------
def test_outputs_respect_the_umask(tmp_path, capsys):
    old = os.umask(0o022)
    try:
        run(capsys, "demo", tmp_path / "demo")
    finally:
        os.umask(old)
    written = [p for p in (tmp_path / "demo" / "outbox").rglob("*") if p.is_file()]
    assert len(written) > 10
    for p in written:
        assert stat.S_IMODE(p.stat().st_mode) == 0o644, p
    old = os.umask(0o027)
    try:
        with atomic_output(tmp_path / "x.txt") as tmp:
            tmp.write_text("x", encoding="utf-8")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x.txt").stat().st_mode) == 0o640


LONG = ("Ủy ban Mặt trận Tổ quốc Việt Nam xã, Hội Liên hiệp Phụ nữ, Đoàn Thanh niên Cộng sản "
        "Hồ Chí Minh, Hội Nông dân và Hội Cựu chiến binh xã")


def test_one_rule_for_a_unit_in_file_names(tmp_path, capsys):
    ws = init_workspace(tmp_path / "ws", "binh-lu")
    from bdg_excel.plan.planbook import save_plan

    plan = load(ws)
    plan.units[-1].name = LONG
    save_plan(plan, ws.plan_path())
    plan = load(ws)
    unit = plan.units[-1]
    stem = vn.unit_stem(LONG)
    assert len(stem) <= vn.UNIT_STEM_LEN and stem.startswith("Ủy-ban-Mặt-trận")
    form = forms_mod.form_filename(plan, unit, "2026")
    assert form == f"BDG_2026_{stem}.xlsx"
    assert feedback_stem(unit.name, "2026", form) == f"Phan-hoi_2026_{stem}"
    code, out, err = run(capsys, "send", "-w", ws.root, "--dry-run", "--unit", LONG, "-q",
                         "--period", "2026")
    assert code == 0, err
    assert (ws.mail_dir / "2026" / f"Bieu_{stem}.eml").is_file()


def test_forms_and_emails_agree_about_renaming(tmp_path):
    ws = init_workspace(tmp_path / "ws", "binh-lu")
    plan = load(ws)
    (form,) = generate(ws, plan, "2026", units=[plan.units[0].name])
    import openpyxl

    wb = openpyxl.load_workbook(form.path, read_only=True)
    instructions = " ".join(str(c) for sh in wb.worksheets for row in sh.iter_rows(values_only=True)
                            for c in row if isinstance(c, str))
    _, body = form_message_text(plan, plan.units[0], "2026", form.path.name, office_of({}),
                                "vhxh@binhlu.example", date(2026, 10, 1))
    for text in (instructions, body):
        assert "Có thể đổi tên tệp" in text
        assert "Giữ nguyên tên tệp" not in text and "giữ nguyên tên tệp" not in text
    assert RENAME_RULE in body


# -- 6. Windows, simulated --------------------------------------------------------------------
@pytest.mark.parametrize("name,expected", [
    ("CON", "_CON"), ("nul", "_nul"), ("Aux.", "_Aux"), ("COM1", "_COM1"), ("lpt9", "_lpt9"),
    ("NUL.txt", "_NUL.txt"), ("Com¹", "_Com¹"), ("Trạm Y tế xã.", "Trạm-Y-tế-xã"),
    ("Phòng A / B: \"C\"?", "Phòng-A-B-C"), ("  . ", "_"), ("Công an xã ", "Công-an-xã"),
    ("CONSOLE", "CONSOLE"), ("Com 1", "Com-1")])
def test_names_made_from_unit_names_are_valid_on_windows(name, expected):
    assert vn.unit_stem(name) == expected
    s = vn.unit_stem(name)
    assert not s.endswith((".", " ")) and not any(c in s for c in '<>:"/\\|?*')


def test_no_hard_links_falls_back_to_a_copy(workspace, monkeypatch):
    ws, plan = workspace
    forms = generate(ws, plan, "2026")
    src = forms[0].path
    (ws.inbox / src.name).write_bytes(src.read_bytes())

    def no_links(*a, **k):
        raise OSError(1, "Operation not permitted (FAT32 / network share)")
    monkeypatch.setattr(collect_mod.os, "link", no_links)
    res = collect_inbox(ws, plan, "2026", workers=1)
    assert len(res.files) == 1 and not list(ws.inbox.iterdir())
    assert res.files[0].archive_path.read_bytes() == src.read_bytes()


def test_a_returned_file_held_open_on_windows_stays_until_the_next_run(workspace, monkeypatch):
    """Windows refuses to delete a file Excel holds open: the run still finishes, the
    file stays in inbox/, and the next run removes it without recording it twice."""
    ws, plan = workspace
    forms = generate(ws, plan, "2026")
    for f in forms[:2]:
        (ws.inbox / f.path.name).write_bytes(f.path.read_bytes())
    held = ws.inbox / forms[0].path.name
    real_unlink = os.unlink

    def windows_unlink(path, *a, **k):
        if Path(path) == held:
            raise PermissionError(13, "The process cannot access the file because it is being "
                                      "used by another process")
        return real_unlink(path, *a, **k)
    monkeypatch.setattr(collect_mod.os, "link", lambda *a, **k: (_ for _ in ()).throw(OSError()))
    monkeypatch.setattr(collect_mod.os, "unlink", windows_unlink)
    res = collect_inbox(ws, plan, "2026", workers=1)
    assert len(res.files) == 2
    assert held.exists() and not (ws.inbox / forms[1].path.name).exists()
    monkeypatch.setattr(collect_mod.os, "unlink", real_unlink)     # Excel closed
    res = collect_inbox(ws, plan, "2026", workers=1)
    assert res.files == [] and not held.exists()
    with Ledger(ws.ledger_path) as led:
        assert len(led.files()) == 2


def test_vietnamese_output_on_a_cp1252_console():
    raw = io.BytesIO()
    piped = io.TextIOWrapper(raw, encoding="cp1252")      # output redirected to a file
    cli_mod.safe_console([piped])
    piped.write("Đã tạo biểu mẫu “kỳ 2026”\n")
    piped.flush()
    assert raw.getvalue().decode("utf-8") == "Đã tạo biểu mẫu “kỳ 2026”\n"

    class Console(io.TextIOWrapper):
        def isatty(self):
            return True
    raw = io.BytesIO()
    console = Console(raw, encoding="cp1252")             # a legacy Windows console
    cli_mod.safe_console([console])
    console.write("Đã tạo\n")
    console.flush()
    assert raw.getvalue() == "?ã t?o\n".encode("cp1252")


def test_paths_too_long_for_windows_are_refused_with_advice(tmp_path):
    deep = tmp_path / ("thư-mục-rất-dài-" * 20) / "Tong-hop.xlsx"
    with pytest.raises(WorkspaceError, match="Đường dẫn quá dài"):
        check_path_length(deep, system="nt")
    check_path_length(deep, system="posix")            # other systems: no such limit
    check_path_length(tmp_path / "a.xlsx", system="nt")


# -- 7. progress bars ---------------------------------------------------------------------------
def test_progress_bar_is_silent_when_not_on_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with cli_mod.progress_bar("Tạo biểu mẫu") as bar:
        assert bar is None
    assert sys.stderr.getvalue() == ""

    class Tty(io.StringIO):
        def isatty(self):
            return True
    monkeypatch.setattr(sys, "stderr", Tty())
    with cli_mod.progress_bar("Tạo biểu mẫu") as bar:
        bar(1, 2)
    with cli_mod.progress_bar("Tạo biểu mẫu", quiet=True) as bar:
        assert bar is None


def test_feedback_open_in_excel_does_not_stop_the_run(workspace, monkeypatch):
    """Windows refuses to replace a file open in Excel: that unit's feedback is written on
    the next run; the run goes on for the others."""
    from bdg_excel.core import workspace as ws_mod
    from bdg_excel.demo import Fill, fill_form

    ws, plan = workspace
    forms = {f.unit: f for f in generate(ws, plan, "2026")}
    bad = [u for u in plan.units if plan.unit_targets(u)][:2]
    for u in bad:
        code = plan.unit_targets(u)[0].code
        fill_form(forms[u.name].path, ws.inbox / forms[u.name].path.name,
                  {code: Fill(value="chưa có")})
    held = f"Phan-hoi_2026_{vn.unit_stem(bad[0].name)}"
    real_replace = os.replace

    def windows_replace(src, dst, *a, **k):
        if Path(dst).name.startswith(held):
            raise PermissionError(13, "The process cannot access the file")
        return real_replace(src, dst, *a, **k)
    monkeypatch.setattr(ws_mod.os, "replace", windows_replace)
    res = collect_inbox(ws, plan, "2026", workers=1)
    assert len(res.files) == 2
    assert [f.code for f in res.skipped] == ["feedback_locked"]
    assert "Đóng tệp rồi chạy lại lệnh" in res.skipped[0].message
    assert list(ws.feedback_dir.glob(f"Phan-hoi_2026_{vn.unit_stem(bad[1].name)}.*"))
    assert not list(ws.feedback_dir.glob(held + ".*"))
    monkeypatch.setattr(ws_mod.os, "replace", real_replace)       # closed
    collect_inbox(ws, plan, "2026", workers=1)
    assert list(ws.feedback_dir.glob(held + ".*"))


def test_archive_names_keep_windows_paths_short():
    folder = Path("C:/Users/Nguyễn Văn An/Documents/Báo cáo bình đẳng giới/xa-binh-lu/archive/"
                  "2026-11-30")
    long = "BDG_2026_" + "Ủy-ban-Mặt-trận-Tổ-quốc-Việt-Nam-xã " * 6 + "(bản cuối).xlsx"
    name = collect_mod._archive_name(long, folder, system="nt")
    assert name.endswith(".xlsx") and name.startswith("BDG_2026_Ủy-ban")
    assert len(str(folder.absolute() / name)) + len(" (99)") < 260
    assert collect_mod._archive_name(long, folder, system="posix") == \
        collect_mod._archive_name(long)          # elsewhere only the byte limit


SPAWN_SCRIPT = '''
import multiprocessing as mp, sys
if __name__ == "__main__":
    mp.set_start_method("spawn", force=True)          # the only start method on Windows
    from bdg_excel.intake import collect
    from bdg_excel.cli import main
    from bdg_excel.demo import simulate_returns
    from bdg_excel.workflow import generate, load
    from bdg_excel.core.workspace import Workspace
    collect.PARALLEL_THRESHOLD = 1                    # use the pool for a few files too
    root = sys.argv[1]
    assert main(["init", root, "--example", "tam-duong"]) == 0
    assert main(["generate", "-w", root, "--period", "2024", "--workers", "2", "-q"]) == 0
    ws = Workspace.open(root)
    plan = load(ws)
    simulate_returns(ws, plan, "2024", generate(ws, plan, "2024"))
    assert main(["consolidate", "-w", root, "--period", "2024", "--workers", "2", "-q"]) == 0
'''


def test_worker_processes_work_with_spawn_as_on_windows(tmp_path):
    """Windows starts worker processes by spawning (no fork): generate and collect with
    two workers run the same way here when the start method is forced to spawn."""
    import subprocess

    script = tmp_path / "spawn_run.py"
    script.write_text(SPAWN_SCRIPT, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script), str(tmp_path / "ws")],
                          capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert re.search(r"Đã nhận 1[0-3]/13 đơn vị", proc.stdout), proc.stdout
    assert (tmp_path / "ws" / "outbox" / "Tong-hop_tam-duong_2024.xlsx").is_file()
    assert len(list((tmp_path / "ws" / "outbox" / "forms").glob("*.xlsx"))) == 13
