"""Days and deadlines: the default period across the year boundary, the wording of every
message before, on and after the deadline and in the next year, returns of another
period, and a guard against tests and library code reading the wall clock.

Every day here is pinned (a ``today``/``now`` argument or ``BDG_TODAY``); the suite also
runs under faketime on other days in CI (.ci/run)."""

from __future__ import annotations

import copy
import os
import random
import re
from datetime import date, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from bdg_excel.core import clock, vn
from bdg_excel.cli import main
from bdg_excel.intake.collect import CollectedFile
from bdg_excel.plan.deadlines import deadline_state, overdue_sentence, return_by
from bdg_excel.demo import fill_form, plausible_fill
from bdg_excel.core.errors import UsageError
from bdg_excel.intake.feedback import message as feedback_message
from bdg_excel.core.findings import ERROR, Finding
from bdg_excel.intake.ledger import Ledger
from bdg_excel.mail.messages import form_message_text, late_warning, reminder_text
from bdg_excel.mail.settings import Office
from bdg_excel.plan.model import Report, period_label
from bdg_excel.plan.planbook import save_plan
from bdg_excel.workflow import (check_period, collect_inbox, consolidate_workspace, load,
                                period_note)

DUE = date(2026, 11, 30)                       # Bình Lư: annual report before 30/11
BEFORE, ON, AFTER, NEXT_YEAR = date(2026, 11, 20), DUE, date(2026, 12, 1), date(2027, 2, 10)
OFFICE = Office(name="Phòng Văn hóa – Xã hội xã Bình Lư", email="vhxh@binhlu.gov.vn",
                phone="0213 3876 543")


def _plan(plan_of, name="binh-lu", reports=None, start=None, end=None):
    plan = copy.deepcopy(plan_of(name))
    if reports is not None:
        plan.reports = [Report(k, d) for k, d in reports]
    if start is not None:
        plan.period_start, plan.period_end = start, end
    return plan


# -- the default period -----------------------------------------------------------------
@pytest.mark.parametrize("today, expected", [
    ("2026-01-05", "2026"),      # before the plan's first deadline: its first year
    ("2026-09-15", "2026"),
    ("2026-11-20", "2026"),
    ("2026-12-01", "2026"),
    ("2027-01-10", "2026"),      # January: still last year's reports
    ("2027-03-31", "2026"),
    ("2027-06-30", "2026"),      # 30/11/2027 is not near yet
    ("2027-10-05", "2027"),      # 30/11/2027 within the look-ahead
    ("2028-02-10", "2027"),
    ("2031-02-10", "2030"),      # the plan ended with 2030: it still reports its last year
    ("2035-06-01", "2030"),
])
def test_default_period_annual_across_the_year_boundary(plan_of, today, expected):
    assert _plan(plan_of).default_period(date.fromisoformat(today)) == expected


@pytest.mark.parametrize("today, expected", [
    ("2021-03-01", "2021-H1"),   # 05/06/2021 is near: the six-month report
    ("2021-07-01", "2021-H1"),
    ("2021-11-01", "2021"),      # 15/12/2021 is near: the year
    ("2022-02-10", "2021"),
    ("2022-04-20", "2022-H1"),
    ("2026-12-01", "2025"),      # 2021–2025 has ended
    ("2027-02-10", "2025"),
])
def test_default_period_semiannual_and_annual(plan_of, today, expected):
    assert _plan(plan_of, "tam-duong").default_period(date.fromisoformat(today)) == expected


@pytest.mark.parametrize("today, expected", [
    ("2026-01-01", "2026-Q1"),   # quarterly reports due 20/04, 20/07, 20/10, 20/01 next year
    ("2026-04-25", "2026-Q1"),
    ("2026-06-01", "2026-Q2"),
    ("2026-12-01", "2026-Q4"),
    ("2027-01-25", "2026-Q4"),
    ("2027-02-25", "2027-Q1"),
])
def test_default_period_quarterly(plan_of, today, expected):
    plan = _plan(plan_of, reports=[("quarterly", "04-20")])
    assert plan.default_period(date.fromisoformat(today)) == expected


def test_quarterly_and_semiannual_deadlines(plan_of):
    q = _plan(plan_of, reports=[("quarterly", "04-20")])
    assert [q.deadline(f"2026-Q{i}") for i in range(1, 5)] == [
        date(2026, 4, 20), date(2026, 7, 20), date(2026, 10, 20), date(2027, 1, 20)]
    assert q.deadline("2026") == date(2027, 1, 20)          # the year: its last report
    assert period_label("2026-Q3") == "quý III năm 2026"
    end_of_month = _plan(plan_of, reports=[("quarterly", "05-31")])
    assert end_of_month.deadline("2026-Q2") == date(2026, 8, 31)
    assert end_of_month.deadline("2026-Q3") == date(2026, 11, 30)   # no 31/11
    # a six-month report is due once a year (the first half's); it never invents a
    # deadline for the year ("6 tháng trước 05/6" gives no 05/12)
    h = _plan(plan_of, reports=[("semiannual", "07-15")])
    assert (h.deadline("2026-H1"), h.deadline("2026")) == (date(2026, 7, 15), None)
    assert [p for p, _ in h.periods([2026])] == ["2026-H1"]
    both = _plan(plan_of, reports=[("semiannual", "06-05"), ("annual", "12-15")])
    assert both.periods([2026]) == [("2026-H1", date(2026, 6, 5)), ("2026", date(2026, 12, 15))]


def test_one_off_report_and_no_deadline(plan_of):
    once = _plan(plan_of, "lai-chau-vp")
    for today in ("2026-03-01", "2026-12-01", "2027-02-10"):
        assert once.default_period(date.fromisoformat(today)) == "2026"
    # a one-off report in a plan of several years belongs to the year of its date
    long_once = _plan(plan_of, reports=[("once", "2028-06-30")], start=2026, end=2030)
    assert long_once.default_period(date(2029, 1, 1)) == "2028"
    none = _plan(plan_of, reports=[("annual", None)])
    assert none.default_period(date(2027, 2, 10)) == "2026"   # January–March: last year
    assert none.default_period(date(2027, 4, 2)) == "2027"
    assert none.default_period(date(2025, 6, 1)) == "2026"    # before the plan


def test_check_period_accepts_quarters_and_uses_the_day(plan_of):
    plan = _plan(plan_of)
    assert check_period(plan, " 2026-q3 ", BEFORE) == "2026-Q3"
    assert check_period(plan, None, NEXT_YEAR) == "2026"
    assert check_period(plan, None, date(2027, 11, 1)) == "2027"
    for bad in ("2026-Q5", "2026-H2", "26", "2026-"):
        with pytest.raises(UsageError):
            check_period(plan, bad, BEFORE)


def test_clock_honours_bdg_today():
    assert clock.today({"BDG_TODAY": "2027-02-10"}) == NEXT_YEAR
    assert clock.now({"BDG_TODAY": "2027-02-10"}).date() == NEXT_YEAR
    with pytest.raises(UsageError, match="BDG_TODAY"):
        clock.today({"BDG_TODAY": "10/02/2027"})


def test_invalid_bdg_today_is_a_usage_error(workspace, capsys, monkeypatch):
    ws, _ = workspace
    monkeypatch.setenv("BDG_TODAY", "mai")
    assert main(["status", "-w", str(ws.root)]) == 2
    assert "BDG_TODAY" in capsys.readouterr().err


# -- wording -----------------------------------------------------------------------------
def test_deadline_wording_before_on_after():
    assert return_by(DUE, BEFORE) == "trước ngày 30/11/2026"
    assert return_by(DUE, ON) == "trong hôm nay (30/11/2026)"
    assert return_by(DUE, AFTER) == return_by(DUE, NEXT_YEAR) == "ngay"
    assert return_by(DUE, AFTER, date(2026, 12, 10)) == "trước ngày 10/12/2026"
    assert return_by(None, AFTER) == "theo thời hạn đã thông báo"
    assert deadline_state(DUE, BEFORE) == "30/11/2026, còn 10 ngày"
    assert deadline_state(DUE, ON) == "30/11/2026 là hôm nay"
    assert deadline_state(DUE, NEXT_YEAR) == "30/11/2026, đã qua 72 ngày"
    assert overdue_sentence(DUE, ON) == ""
    assert overdue_sentence(DUE, AFTER) == " Hạn nộp là ngày 30/11/2026, đã quá hạn 1 ngày."


def _reminders(plan, today, new_due=None):
    unit = plan.unit("Công an xã")
    finding = Finding("not_a_number", "Ô G12: cần nhập số.", ERROR, sheet="Báo cáo", cell="G12")
    _, missing = reminder_text(plan, unit, "2026", missing=True, findings=[],
                               received_name=None, attachment="bieu.xlsx", office=OFFICE,
                               reply=OFFICE.email, today=today, new_due=new_due)
    _, fixes = reminder_text(plan, unit, "2026", missing=False, findings=[finding],
                             received_name="ca.xlsx", attachment="Phan-hoi.xlsx",
                             office=OFFICE, reply=OFFICE.email, today=today, new_due=new_due)
    _, form = form_message_text(plan, unit, "2026", "bieu.xlsx", OFFICE, OFFICE.email, today,
                                new_due)
    return missing, fixes, form


def test_reminders_and_form_messages_before_the_deadline(plan_of):
    missing, fixes, form = _reminders(_plan(plan_of), BEFORE)
    assert "Hạn gửi là ngày 30/11/2026 (còn 10 ngày)." in missing
    assert "điền biểu và gửi lại trước ngày 30/11/2026 bằng cách" in missing
    assert "sửa và gửi lại trước ngày 30/11/2026 bằng cách" in fixes
    assert "Gửi lại tệp đã điền trước ngày 30/11/2026 bằng cách" in form
    assert not any("quá hạn" in text for text in (missing, fixes, form))


def test_reminders_and_form_messages_on_the_deadline(plan_of):
    missing, fixes, form = _reminders(_plan(plan_of), ON)
    assert "Hạn gửi là ngày 30/11/2026 (hôm nay)." in missing
    assert "gửi lại trong hôm nay (30/11/2026) bằng cách" in missing
    assert "sửa và gửi lại trong hôm nay (30/11/2026)" in fixes
    assert "Gửi lại tệp đã điền trong hôm nay (30/11/2026)" in form
    assert not any("quá hạn" in text for text in (missing, fixes, form))


@pytest.mark.parametrize("today, late", [(AFTER, 1), (NEXT_YEAR, 72)])
def test_reminders_and_form_messages_after_the_deadline(plan_of, today, late):
    plan = _plan(plan_of)
    missing, fixes, form = _reminders(plan, today)
    for text in (missing, fixes, form):
        assert "trước ngày 30/11/2026" not in text          # never once 30/11 has passed
        assert vn.nfc(text) == text
    assert f"Hạn gửi là ngày 30/11/2026, đã quá hạn {late} ngày." in missing
    assert "điền biểu và gửi lại ngay bằng cách" in missing
    assert "sửa và gửi lại ngay bằng cách" in fixes
    assert f"Hạn nộp là ngày 30/11/2026, đã quá hạn {late} ngày." in fixes
    assert "Gửi lại tệp đã điền ngay bằng cách" in form
    assert f"Hạn nộp là ngày 30/11/2026, đã quá hạn {late} ngày." in form
    warning = late_warning(plan, "2026", today, None)
    assert f"đã qua {late} ngày" in warning and "--due" in warning
    assert late_warning(plan, "2026", BEFORE, None) is None
    assert late_warning(plan, "2026", ON, None) is None


def test_reminders_with_a_new_due_date(plan_of):
    new = date(2026, 12, 10)
    missing, fixes, form = _reminders(_plan(plan_of), AFTER, new)
    assert "Hạn gửi là ngày 30/11/2026, đã quá hạn 1 ngày." in missing
    assert "điền biểu và gửi lại trước ngày 10/12/2026 bằng cách" in missing
    assert "sửa và gửi lại trước ngày 10/12/2026 bằng cách" in fixes
    assert "Gửi lại tệp đã điền trước ngày 10/12/2026 bằng cách" in form
    assert "trước ngày 30/11/2026" not in missing + fixes + form


@pytest.mark.parametrize("today, wanted", [
    (BEFORE, "Đề nghị đơn vị sửa và gửi lại biểu mẫu trước ngày 30/11/2026."),
    (ON, "Đề nghị đơn vị sửa và gửi lại biểu mẫu trong hôm nay (30/11/2026)."),
    (AFTER, "Đề nghị đơn vị sửa và gửi lại biểu mẫu ngay. Hạn nộp là ngày 30/11/2026, đã "
            "quá hạn 1 ngày."),
    (NEXT_YEAR, "Đề nghị đơn vị sửa và gửi lại biểu mẫu ngay. Hạn nộp là ngày 30/11/2026, "
                "đã quá hạn 72 ngày."),
])
def test_feedback_text_before_on_after(plan_of, today, wanted):
    cf = CollectedFile("ca.xlsx", "needs_fixes", "Công an xã", "2026")
    findings = [Finding("not_a_number", "Ô G12: cần nhập số.", ERROR, sheet="Báo cáo",
                        cell="G12")]
    text = feedback_message(_plan(plan_of), cf, findings, None, today)
    assert wanted in text.splitlines()


@pytest.mark.parametrize("today, state", [
    (BEFORE, "hạn nộp 30/11/2026, còn 10 ngày"), (ON, "hạn nộp 30/11/2026 là hôm nay"),
    (AFTER, "hạn nộp 30/11/2026, đã qua 1 ngày"),
    (NEXT_YEAR, "hạn nộp 30/11/2026, đã qua 72 ngày")])
def test_period_note_on_each_day(plan_of, today, state):
    plan = _plan(plan_of)
    assert period_note(plan, "2026", today, chosen=True) == f"Kỳ báo cáo: năm 2026 ({state})."
    assert period_note(plan, plan.default_period(today), today, chosen=False).endswith(
        f"({state}) — kỳ mặc định theo hạn nộp; chọn kỳ khác bằng --period.")
    no_due = _plan(plan_of, reports=[("annual", None)])
    assert period_note(no_due, "2026", today, chosen=True) == \
        "Kỳ báo cáo: năm 2026 (kế hoạch chưa có hạn nộp)."


# -- the commands on days before, on and after the deadline -----------------------------
@pytest.fixture
def addressed(workspace):
    ws, plan = workspace
    for u in plan.units:
        u.email = vn.safe_filename(vn.strip_accents(u.name), 30).lower() + "@binhlu.gov.vn"
    save_plan(plan, ws.plan_path())
    (ws.root / "bdg-excel.toml").write_text(
        f'[office]\nname = "{OFFICE.name}"\nemail = "{OFFICE.email}"\n', encoding="utf-8")
    return ws, load(ws)


def _drafts(ws, kind):
    prefix = "Nhac" if kind == "remind" else "Bieu"
    out = {}
    for p in sorted((ws.mail_dir / "2026").glob(f"{prefix}_*.eml")):
        msg = BytesParser(policy=policy.default).parsebytes(p.read_bytes())
        out[p.name] = msg.get_body(("plain",)).get_content()
        p.unlink()
    return out


@pytest.mark.parametrize("today, late", [("2026-11-20", None), ("2026-11-30", 0),
                                         ("2026-12-01", 1), ("2027-02-10", 72)])
def test_cli_send_and_remind_dry_run_on_each_day(addressed, capsys, monkeypatch, today, late):
    ws, plan = addressed
    monkeypatch.setenv("BDG_TODAY", today)
    assert main(["send", "-w", str(ws.root), "--dry-run", "-q", "--unit", "Công an xã"]) == 0
    out = capsys.readouterr().out
    (form,) = _drafts(ws, "send").values()
    assert main(["remind", "-w", str(ws.root), "--dry-run", "-q", "--unit", "Công an xã"]) == 0
    out_remind = capsys.readouterr().out
    (remind,) = _drafts(ws, "remind").values()
    for printed in (out, out_remind):   # which period, and where its deadline stands
        assert printed.startswith("Kỳ báo cáo: năm 2026 (hạn nộp 30/11/2026")
    if late is None:
        assert "trước ngày 30/11/2026" in form and "(còn 10 ngày)" in remind
        assert "Lưu ý" not in out + out_remind
    elif late == 0:
        assert "trong hôm nay (30/11/2026)" in form and "(hôm nay)" in remind
        assert "Lưu ý" not in out + out_remind
    else:
        assert "trước ngày 30/11/2026" not in form + remind
        assert "Gửi lại tệp đã điền ngay" in form and f"đã quá hạn {late} ngày" in remind
        for printed in (out, out_remind):   # the officer is warned, once per command
            assert printed.count(f"Lưu ý: hạn nộp kỳ năm 2026 là ngày 30/11/2026, đã qua "
                                 f"{late} ngày") == 1


def test_cli_remind_due_after_the_deadline(addressed, capsys, monkeypatch):
    ws, plan = addressed
    monkeypatch.setenv("BDG_TODAY", "2026-12-03")
    assert main(["remind", "-w", str(ws.root), "--dry-run", "-q", "--due", "10/12/2026"]) == 0
    out = capsys.readouterr().out
    assert "các thư đề nghị gửi trước ngày 10/12/2026 (--due)" in out
    drafts = _drafts(ws, "remind")
    assert len(drafts) == len(plan.units)
    for body in drafts.values():
        assert "gửi lại trước ngày 10/12/2026 bằng cách" in body
        assert "đã quá hạn 3 ngày" in body and "trước ngày 30/11/2026" not in body
    # a new deadline already past is wrong usage; so is a date that is not one
    assert main(["remind", "-w", str(ws.root), "--dry-run", "--due", "02/12/2026"]) == 2
    assert "đã qua" in capsys.readouterr().err
    assert main(["remind", "-w", str(ws.root), "--dry-run", "--due", "31/02/2027"]) == 2


# -- returns of another period ---------------------------------------------------------
def _return(ws, plan, forms, unit_name, name, when):
    form = next(f for f in forms if f.unit == unit_name)
    unit = plan.unit(unit_name)
    rnd = random.Random(unit_name)
    values = {t.code: plausible_fill(t, rnd) for t in plan.unit_targets(unit)}
    path = fill_form(form.path, ws.inbox / name, values,
                     {f"NV{i + 1}": ("Đã hoàn thành", "") for i in range(len(unit.tasks))})
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def test_returns_of_2026_during_the_2027_consolidation(make_workspace, capsys, monkeypatch):
    monkeypatch.setenv("BDG_TODAY", "2027-12-05")
    ws, plan, period, forms = make_workspace("binh-lu")     # forms of 2026
    assert period == "2026"
    when = datetime(2026, 11, 25, 9, 0)
    _return(ws, plan, forms, "Công an xã", "ca-2026.xlsx", when)
    _return(ws, plan, forms, "Trạm Y tế xã", "tyt-2026.xlsx", when)
    assert main(["consolidate", "-w", str(ws.root), "--period", "2027", "-q"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Kỳ báo cáo: năm 2027 (hạn nộp 30/11/2027, đã qua 5 ngày)."
    assert "2 tệp là báo cáo kỳ năm 2026, không phải kỳ năm 2027 đang tổng hợp" in out
    assert "ca-2026.xlsx (Công an xã)" in out and "tyt-2026.xlsx (Trạm Y tế xã)" in out
    assert "bdg-excel consolidate --period 2026" in out
    assert f"Đã nhận 0/{len(plan.units)} đơn vị (kỳ năm 2027)." in out
    assert "Chưa có đơn vị nào nộp báo cáo kỳ năm 2027" in out
    assert "Cảnh báo" not in out and "Lỗi" not in out
    # recorded under their own period, archived, and nothing written back to the units
    with Ledger(ws.ledger_path) as led:
        recs = {r.original_name: r for r in led.files()}
    assert {r.period for r in recs.values()} == {"2026"}
    assert {r.status for r in recs.values()} == {"accepted"}
    assert not list(ws.inbox.iterdir())
    assert not ws.feedback_dir.exists() or not list(ws.feedback_dir.iterdir())
    # the 2027 workbook counts nobody; a later consolidation of 2026 counts both
    monkeypatch.setenv("BDG_TODAY", "2027-12-06")
    assert main(["consolidate", "-w", str(ws.root), "--period", "2026", "-q"]) == 0
    out = capsys.readouterr().out
    assert "Không có tệp mới trong inbox/." in out
    assert f"Đã nhận 2/{len(plan.units)} đơn vị (kỳ năm 2026)." in out
    assert "Chưa có đơn vị nào" not in out


def test_consolidate_says_it_uses_the_default_period(make_workspace, capsys, monkeypatch):
    ws, plan, period, forms = make_workspace("binh-lu")
    _return(ws, plan, forms, "Công an xã", "ca.xlsx", datetime(2026, 12, 20, 9, 0))
    monkeypatch.setenv("BDG_TODAY", "2027-02-10")           # February: still 2026
    assert main(["consolidate", "-w", str(ws.root), "-q"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == ("Kỳ báo cáo: năm 2026 (hạn nộp 30/11/2026, đã qua 72 ngày) "
                                   "— kỳ mặc định theo hạn nộp; chọn kỳ khác bằng --period.")
    assert f"Đã nhận 1/{len(plan.units)} đơn vị (kỳ năm 2026)." in out
    assert "tệp là báo cáo kỳ" not in out
    with Ledger(ws.ledger_path) as led:
        (rec,) = led.files()
    # received (file time) 20 days late; collected on the pinned day
    assert rec.received_at.startswith("2026-12-20") and rec.collected_at.startswith("2027-02-10")
    assert any(p.name == "2027-02-10" for p in ws.archive.iterdir())


def test_empty_period_says_so(make_workspace, capsys, monkeypatch):
    monkeypatch.setenv("BDG_TODAY", "2026-11-20")
    ws, plan, period, forms = make_workspace("binh-lu")
    res = consolidate_workspace(ws, plan, "2026", now=datetime(2026, 11, 20, 8, 0))
    assert sum(1 for s in res.consolidation.submissions if s.record) == 0
    assert len(res.consolidation.submissions) == len(plan.units)
    assert main(["consolidate", "-w", str(ws.root), "-q"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == ("Kỳ báo cáo: năm 2026 (hạn nộp 30/11/2026, còn 10 ngày) — "
                                   "kỳ mặc định theo hạn nộp; chọn kỳ khác bằng --period.")
    assert f"Đã nhận 0/{len(plan.units)} đơn vị (kỳ năm 2026)." in out
    assert "Chưa có đơn vị nào nộp báo cáo kỳ năm 2026: bảng tổng hợp chỉ có khung" in out


# -- no wall clock ------------------------------------------------------------------------
WALL_CLOCK = re.compile(r"\b(?:date\.today|datetime\.now|datetime\.utcnow|datetime\.today|"
                        r"time\.time|time\.localtime|time\.gmtime)\s*\(")
ROOT = Path(__file__).resolve().parent.parent


def _reads(folder: Path, allowed: set[str]) -> list[str]:
    out = []
    for path in sorted(folder.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in allowed:
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            # a read that does not decide a date (a duration, a server's own time) says
            # why on its line: "# wall clock: …"
            if WALL_CLOCK.search(line) and "# wall clock:" not in line \
                    and not line.lstrip().startswith(("#", "r\"", "\"")):
                out.append(f"{rel}:{i}: {line.strip()}")
    return out


def test_no_test_reads_the_wall_clock():
    """Tests pin their day (a today=/now= argument, or BDG_TODAY): a test that reads the
    clock passes on one day and fails on another."""
    assert _reads(ROOT / "tests", {"tests/test_dates.py"}) == []


def test_only_clock_py_reads_the_wall_clock():
    assert _reads(ROOT / "bdg_excel", {"bdg_excel/core/clock.py"}) == []


def test_form_without_its_hidden_sheet_keeps_the_period_of_its_title(make_workspace,
                                                                     tmp_path):
    """A 2026 form whose identification sheet the unit deleted, arriving while 2027 is
    consolidated: its title says "Kỳ báo cáo: năm 2026", so it is recorded for 2026."""
    import openpyxl

    from bdg_excel.forms import layout
    from bdg_excel.intake.returns import read_return
    from bdg_excel.intake.validate import check_return

    ws, plan, period, forms = make_workspace("binh-lu")
    full = _return(ws, plan, forms, "Công an xã", "ca.xlsx", datetime(2026, 11, 25, 9))
    wb = openpyxl.load_workbook(full)
    del wb[layout.META_SHEET]
    bare = tmp_path / "bao-cao-cong-an-xa.xlsx"
    wb.save(bare)
    full.unlink()
    data = read_return(bare)
    assert data.header_period == "2026"
    chk = check_return(data, plan, period="2027")
    assert chk.unit.name == "Công an xã" and chk.period == "2026"
    assert {f.code: f.severity for f in chk.findings if f.code in ("no_meta", "other_period")} \
        == {"no_meta": "warning", "other_period": "info"}
    bare.rename(ws.inbox / bare.name)
    res = collect_inbox(ws, plan, "2027", now=datetime(2027, 12, 5, 9))
    assert [cf.period for cf in res.other_period] == ["2026"]
    with Ledger(ws.ledger_path) as led:
        assert [r.period for r in led.files()] == ["2026"]


@pytest.mark.parametrize("period", ["2026-Q3", "2026-H1", "2027"])
def test_forms_of_each_kind_of_period_name_it(workspace, tmp_path, period):
    from bdg_excel.forms.generate import generate_forms
    from bdg_excel.intake.returns import read_return

    ws, plan = workspace
    (form,) = generate_forms(plan, tmp_path, period, units=["Công an xã"],
                             generated_at=datetime(2026, 6, 1, 8, 0).astimezone())
    data = read_return(form.path)
    assert data.meta["period"] == period and data.header_period == period


@pytest.mark.parametrize("day,late", [(datetime(2026, 11, 20, 9), False),
                                      (datetime(2026, 12, 1, 9), True),
                                      (datetime(2027, 2, 10, 9), True)])
def test_demo_files_never_arrive_after_the_day_it_runs(tmp_path, day, late):
    """The demo's story is what the files' times say: no return arrives after the day the
    demo runs; before the deadline nobody is late, after it one unit is."""
    import os

    from bdg_excel.demo import run_demo

    res = run_demo(tmp_path / "demo", "binh-lu", now=day)
    due = date(2026, 11, 30)          # the Bình Lư deadline of 2026
    stamps = [datetime.fromtimestamp(os.stat(res.workspace.root / f.archive_path).st_mtime)
              for f in res.result.collected.files if f.archive_path]
    assert stamps and max(stamps) < day
    lates = [u for u, s in res.story.items() if s.startswith("nộp trễ")]
    assert bool(lates) == late
    for unit in lates:
        days = int(res.story[unit].split()[2])
        assert days == (min(datetime.combine(due, datetime.min.time()) +
                            timedelta(days=3, hours=9), day).date() - due).days
