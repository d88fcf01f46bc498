"""The README's first week, run exactly as written: the commands are parsed out of the
README's workflow code blocks (Vietnamese and English) and run through the CLI in a fresh
folder, with no configuration but what the commands themselves write. Between steps the
units' returns are simulated with the bdg_excel.demo helpers, as the README's comment lines
say ("units fill in and return their forms; copy them into inbox/")."""

from __future__ import annotations

import csv
import random
import re
import shlex
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from bdg_excel.forms import layout
from bdg_excel.cli import main
from bdg_excel.demo import fill_form, plausible_fill, simulate_returns
from bdg_excel.forms.generate import form_filename
from bdg_excel.workflow import load
from bdg_excel.core.workspace import Workspace

README = Path(__file__).parent.parent / "README.md"
STEPS = ["init", "cd", "plan check", "generate", "send", "consolidate", "status", "remind",
         "consolidate", "export", "report"]


def workflow_blocks() -> list[list[str]]:
    """Each ```bash block of the README that starts a workspace with init: its lines,
    comments removed (a comment-only line stays as "#", where units act)."""
    text = README.read_text(encoding="utf-8")
    blocks = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        if "bdg-excel init" not in block:
            continue
        lines = []
        for ln in block.splitlines():
            cmd = ln.split("#")[0].strip()
            lines.append(cmd if cmd else "#")
        blocks.append(lines)
    return blocks


def _step(words: list[str]) -> str:
    if words[0] == "cd":
        return "cd"
    return " ".join(words[1:3]) if words[1] == "plan" else words[1]


def test_the_readme_has_the_first_week_in_both_languages():
    blocks = workflow_blocks()
    assert len(blocks) == 2, "one block in the Vietnamese section, one in the English one"
    assert blocks[0] == blocks[1], "the two sections must give the same commands"
    steps = [_step(shlex.split(ln)) for ln in blocks[0] if ln != "#"]
    assert steps == STEPS
    text = README.read_text(encoding="utf-8")
    assert "../shared" not in text and "CONTRACT.md" not in text
    for doc in re.findall(r"\]\((docs/[^)#]+)", text):
        assert (README.parent / doc).is_file(), doc


@pytest.mark.parametrize("which", [0, 1], ids=["vi", "en"])
def test_the_first_week_runs_as_written(which, tmp_path, monkeypatch, capsys):
    for var in ("BDG_TODAY", "BDG_SMTP_PASSWORD", "BDG_IMAP_PASSWORD", "BDG_DEBUG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    lines = workflow_blocks()[which]
    ws = plan = None
    seen: list[str] = []
    sent_at = None
    for ln in lines:
        if ln == "#":
            # units act where the README says so: after the forms are sent, and after
            # the reminder
            if seen and seen[-1] == "send":
                _units_return(ws, plan)
            elif seen and seen[-1] == "remind":
                _unit_fixes(ws, plan, needs_fixes)
            continue
        words = shlex.split(ln)
        step = _step(words)
        if step == "cd":
            monkeypatch.chdir(Path.cwd() / words[1])
            seen.append(step)
            continue
        assert words[0] == "bdg-excel"
        code = main(words[1:])
        out, err = capsys.readouterr()
        assert code == 0, f"{ln}\n{out}\n{err}"
        assert "Traceback" not in err
        seen.append(step)
        if step == "init":
            ws = Workspace.open(tmp_path / words[2])
            assert "Bước tiếp theo" in out
        elif step == "plan check":
            plan = load(ws)
            assert "0 lỗi" in out
        elif step == "generate":
            assert len(list(ws.forms_dir.glob("*.xlsx"))) == len(plan.units)
        elif step == "send":
            emls = sorted((ws.mail_dir / "2026").glob("Bieu_*.eml"))
            assert len(emls) == len(plan.units)
            msg = BytesParser(policy=policy.default).parsebytes(emls[0].read_bytes())
            assert msg["From"] == "vanhoaxahoi@binhlu.example" and msg["To"]
            assert f"Các thư nháp (.eml, mở bằng Outlook hoặc Thunderbird): " \
                   f"{ws.mail_dir / '2026'}" in out
            sent_at = out
        elif step == "consolidate" and seen.count("consolidate") == 1:
            report = ws.outbox / "Tong-hop_binh-lu_2026.xlsx"
            assert report.is_file() and str(report) in out
            assert "Cần sửa" in out
            needs_fixes = [u.name for u in plan.units if f"({u.name}): Cần sửa" in out]
            assert len(needs_fixes) == 1
        elif step == "status":
            rows = out.strip().splitlines()
            assert len(rows) == len(plan.units)
            assert any(r.startswith(f"{needs_fixes[0]} | Cần sửa") for r in rows)
        elif step == "remind":
            reminders = sorted((ws.mail_dir / "2026").glob("Nhac_*.eml"))
            assert len(reminders) == 2          # the one that needs fixes, the one missing
        elif step == "consolidate":
            assert f"({needs_fixes[0]}): Đã chấp nhận" in out
        elif step == "export":
            with open(Path.cwd() / words[words.index("-o") + 1], encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
            assert rows and {r["unit"] for r in rows} <= {u.name for u in plan.units}
            fixed = [r for r in rows if r["unit"] == needs_fixes[0]]
            assert {r["status"] for r in fixed} == {"accepted", "superseded"}   # old and new
        elif step == "report":
            draft = ws.outbox / "Du-thao-bao-cao_binh-lu_2026.docx"
            assert draft.is_file() and str(draft) in out
    assert seen == STEPS and sent_at is not None


def _units_return(ws: Workspace, plan) -> None:
    """All units but one return their form (one of them with a mistake)."""
    forms = [_Form(ws.forms_dir / form_filename(plan, u, "2026"), u.name,
                   len(plan.unit_targets(u)), len(u.tasks)) for u in plan.units]
    story = simulate_returns(ws, plan, "2026", forms, seed=15)
    assert "chưa nộp" in story.values()


def _unit_fixes(ws: Workspace, plan, names: list[str]) -> None:
    """The unit that had to fix its return fills its form again and sends it back."""
    rnd = random.Random(7)
    for name in names:
        unit = plan.unit(name)
        form = ws.forms_dir / form_filename(plan, unit, "2026")
        fills = {t.code: plausible_fill(t, rnd) for t in plan.unit_targets(unit)}
        tasks = {layout.task_code(j): (layout.TASK_STATUSES[0], "Đã tổ chức 3 buổi tuyên truyền")
                 for j in range(len(unit.tasks))}
        fill_form(form, ws.inbox / f"{form.stem} (đã sửa).xlsx", fills, tasks)


class _Form:
    def __init__(self, path, unit, n_targets, n_tasks):
        self.path, self.unit, self.n_targets, self.n_tasks = path, unit, n_targets, n_tasks
