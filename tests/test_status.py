"""`status`: one line per unit with its state and the days left or late."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta

from bdg_excel.cli import main
from bdg_excel.demo import Fill, fill_form
from bdg_excel.intake.ledger import Ledger
from bdg_excel.workflow import collect_inbox, status


def _record_send(ws, plan, period, unit, when, kind="send", dry_run=0):
    with Ledger(ws.ledger_path) as led:
        led.add_send(kind=kind, plan_identity=plan.identity(), period=period, unit_key=unit.key,
                     unit_name=unit.name, address="x@y.vn", sent_at=when, dry_run=dry_run)


def _fill(ws, plan, forms, unit_name, name, when: datetime, bad=False):
    form = next(f for f in forms if f.unit == unit_name)
    unit = plan.unit(unit_name)
    values = {t.code: Fill(value=35, numerator=35, denominator=100) if t.has_fraction
              else Fill(value=3) for t in plan.unit_targets(unit)}
    if bad:
        values[plan.unit_targets(unit)[0].code] = Fill(value="không rõ")
    path = fill_form(form.path, ws.inbox / name, values,
                     {f"NV{i + 1}": ("Đã hoàn thành", "") for i in range(len(unit.tasks))})
    os.utime(path, (when.timestamp(), when.timestamp()))


def test_states_and_days(make_workspace):
    ws, plan, period, forms = make_workspace("binh-lu")
    due = plan.deadline(period)
    assert due == date(2026, 11, 30)
    before = datetime(2026, 11, 20, 10, 0)
    after = datetime(2026, 12, 4, 10, 0)
    _record_send(ws, plan, period, plan.unit("Công an xã"), "2026-11-01T08:00:00")
    _record_send(ws, plan, period, plan.unit("Trạm Y tế xã"), "2026-11-01T08:00:00",
                 dry_run=1)                                   # a draft: not sent
    _fill(ws, plan, forms, "Phòng Văn hóa – Xã hội", "vhxh.xlsx", before)
    _fill(ws, plan, forms, "Công an xã", "ca.xlsx", after)
    _fill(ws, plan, forms, "Phòng Kinh tế", "kt.xlsx", before, bad=True)
    res = collect_inbox(ws, plan, period, workers=1)
    got = {cf.unit: cf.status for cf in res.files}

    early = {ln.unit: ln for ln in status(ws, plan, period, today=due - timedelta(days=5))}
    assert len(early) == len(plan.units)
    assert early["Trạm Y tế xã"].state == "not_sent" and early["Trạm Y tế xã"].days_left == 5
    assert "còn 5 ngày" in early["Trạm Y tế xã"].detail
    assert early["Phòng Kinh tế"].state == "needs_fixes"
    assert early["Phòng Văn hóa – Xã hội"].state == got["Phòng Văn hóa – Xã hội"]
    assert early["Công an xã"].state in ("late", "needs_fixes")
    assert early["Công an xã"].days_late == 4 and "nộp trễ 4 ngày" in early["Công an xã"].detail
    assert early["Công an xã"].sent_at == "2026-11-01T08:00:00"

    on_day = {ln.unit: ln for ln in status(ws, plan, period, today=due)}
    assert on_day["Trạm Y tế xã"].days_left == 0 and "hôm nay" in on_day["Trạm Y tế xã"].detail

    late = {ln.unit: ln for ln in status(ws, plan, period, today=due + timedelta(days=7))}
    ln = late["Trạm Y tế xã"]
    assert (ln.state, ln.label, ln.days_late, ln.days_left) == \
        ("missing", "Chưa nộp (quá hạn)", 7, None)
    assert "quá hạn 7 ngày" in ln.detail and "chưa gửi biểu" in ln.detail

    _record_send(ws, plan, period, plan.unit("Trạm Y tế xã"), "2026-12-05T08:00:00", "remind")
    late = {ln.unit: ln for ln in status(ws, plan, period, today=due + timedelta(days=7))}
    assert "đã nhắc ngày 05/12" in late["Trạm Y tế xã"].detail


def test_sent_state(make_workspace):
    ws, plan, period, forms = make_workspace("binh-lu")
    _record_send(ws, plan, period, plan.units[0], "2026-11-01T08:00:00")
    lines = status(ws, plan, period, today=date(2026, 11, 10))
    assert lines[0].state == "sent" and lines[0].label == "Đã gửi biểu, chờ báo cáo"
    assert lines[0].days_left == 20
    assert {ln.state for ln in lines[1:]} == {"not_sent"}


def test_cli_plain_text_one_line_per_unit(make_workspace, capsys, monkeypatch):
    monkeypatch.setenv("BDG_TODAY", "2026-11-20")            # ten days before 30/11/2026
    ws, plan, period, forms = make_workspace("binh-lu")
    _record_send(ws, plan, period, plan.units[0], "2026-11-01T08:00:00")
    assert main(["status", "-w", str(ws.root), "--period", period]) == 0
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert len(lines) == len(plan.units)
    assert lines[0] == (f"{plan.units[0].name} | Đã gửi biểu, chờ báo cáo | gửi biểu "
                        "01/11/2026 | còn 10 ngày")
    assert err.strip() == "Kỳ báo cáo: năm 2026 (hạn nộp 30/11/2026, còn 10 ngày)."


def test_cli_plain_text_after_the_deadline_and_in_the_next_year(make_workspace, capsys,
                                                                monkeypatch):
    ws, plan, period, forms = make_workspace("binh-lu")
    _record_send(ws, plan, period, plan.units[0], "2026-11-01T08:00:00")
    for today, late in (("2026-11-30", None), ("2026-12-01", 1), ("2027-02-10", 72)):
        monkeypatch.setenv("BDG_TODAY", today)
        assert main(["status", "-w", str(ws.root)]) == 0      # the default period
        out, err = capsys.readouterr()
        lines = out.strip().splitlines()
        assert len(lines) == len(plan.units)
        if late is None:
            assert lines[0].endswith("| Đã gửi biểu, chờ báo cáo | gửi biểu 01/11/2026 | "
                                     "hạn nộp là hôm nay")
            assert "(hạn nộp 30/11/2026 là hôm nay)" in err
        else:
            assert lines[0] == (f"{plan.units[0].name} | Chưa nộp (quá hạn) | gửi biểu "
                                f"01/11/2026 | quá hạn {late} ngày")
            assert lines[1].endswith(f"quá hạn {late} ngày; chưa gửi biểu qua thư")
            assert f"(hạn nộp 30/11/2026, đã qua {late} ngày)" in err
        # in February 2027 the default period is still 2026, and the output says so
        assert err.startswith("Kỳ báo cáo: năm 2026 (") and "kỳ mặc định theo hạn nộp" in err


def test_cli_rich_table_on_a_terminal(make_workspace, capsys, monkeypatch):
    import sys

    monkeypatch.setenv("BDG_TODAY", "2026-11-20")
    ws, plan, period, forms = make_workspace("binh-lu")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["status", "-w", str(ws.root), "--period", period]) == 0
    out = capsys.readouterr().out
    assert "Tình hình báo cáo kỳ 2026" in out and "hạn 30/11/2026" in out
    assert "Đơn vị" in out and "Còn / trễ" in out and "Tổng:" in out
