"""What reaches the Sở Nội vụ is right or flagged (issue 11): values in doubt are not
rolled up, yes/no rows export 1/0, the export is strict; a plan with errors produces no
forms; a return that points to another unit than its form waits for the officer."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import datetime

import openpyxl
import pytest

from bdg_excel.plan import planbook
from bdg_excel.cli import main
from bdg_excel.report.export import to_csv, to_json
from bdg_excel.plan.model import Plan
from bdg_excel.report.workbook import DATA, internal_path
from bdg_excel.workflow import consolidate_workspace, init_workspace

from bdg_excel.demo import fill_form

from cycle_helpers import Fill, arrive, plan_workspace, return_form, sheet_rows
from test_numbers import CA, TYT, stat_plan

WHEN = datetime(2026, 11, 20, 9)


def _run(ws, plan):
    return consolidate_workspace(ws, plan, "2026", workers=1)


def test_values_in_doubt_are_not_rolled_up_and_export_says_so(tmp_path):
    ws, plan, forms = plan_workspace(tmp_path / "ws", stat_plan())
    return_form(ws, forms, TYT, {"1.1": Fill(numerator=40, denominator=50),
                                 "1.2": Fill(numerator=106, denominator=100),
                                 "1.3": Fill(numerator=1, denominator=10000),
                                 "1.4": Fill(value=150), "1.5": Fill(value="Có")}, when=WHEN)
    # Công an xã: a count of people with a decimal and a 0,75 in a % row, both in doubt
    return_form(ws, forms, CA, {"1.1": Fill(value=0.75), "1.2": Fill(numerator=100,
                                                                      denominator=100),
                                "1.3": Fill(numerator=1, denominator=10000),
                                "1.4": Fill(value=12.5), "1.5": Fill(value="Không")}, when=WHEN)
    res = _run(ws, plan)
    c = res.consolidation
    by = {r.target.code: r for r in c.results}
    assert by["1.4"].value == 150                      # 12,5 people not added
    assert [uv.unit.name for uv in by["1.4"].unconfirmed] == [CA]
    assert by["1.1"].value == pytest.approx(80)        # only the sure figure
    assert [uv.unit.name for uv in by["1.1"].unconfirmed] == [CA]
    assert by["1.2"].value == pytest.approx(103)        # sure figures still roll up
    assert by["1.3"].value == pytest.approx(10)
    tidy = {(r["unit"], r["code"]): r for r in json.loads(to_json(c))}
    row = tidy[(CA, "1.4")]
    assert (row["value"], row["status"], row["assessment"]) == (12.5, "needs_fixes", "no_data")
    assert tidy[(TYT, "1.4")]["status"] == "accepted"
    # the report lists the unconfirmed figure next to the rolled-up one
    rows = sheet_rows(res.path, "Tổng hợp")
    line = next(r for r in rows if "1.4" in r)
    assert any(isinstance(v, str) and "chưa xác nhận" in v and CA in v and "12,5" in v
               for v in line)


def test_yes_no_rows_export_one_and_zero_and_are_assessed(tmp_path):
    ws, plan, forms = plan_workspace(tmp_path / "ws", stat_plan())
    for unit, answer in ((TYT, "Có"), (CA, "Không")):
        return_form(ws, forms, unit, {"1.4": Fill(value=100), "1.5": Fill(value=answer)},
                    when=WHEN)
    res = _run(ws, plan)
    for rows in (json.loads(to_json(res.consolidation)),
                 list(csv.DictReader(io.StringIO(to_csv(res.consolidation))))):
        yn = {r["unit"]: r for r in rows if r["code"] == "1.5"}
        assert str(yn[TYT]["value"]) == "1" and yn[TYT]["assessment"] == "met"
        assert str(yn[CA]["value"]) == "0" and yn[CA]["assessment"] == "not_met"
    data = sheet_rows(internal_path(res.path), DATA)
    head = data[0]
    got = {r[head.index("unit")]: r[head.index("value")] for r in data[1:]
           if r[head.index("code")] == "1.5"}
    assert got == {TYT: 1, CA: 0}


def test_export_is_finite_and_strict_json(tmp_path):
    ws, plan, forms = plan_workspace(tmp_path / "ws", stat_plan())
    return_form(ws, forms, TYT, {"1.1": Fill(numerator=1e304, denominator=1e-300),
                                 "1.3": Fill(numerator=1e304, denominator=3),
                                 "1.4": Fill(value=1e308), "1.5": Fill(value="Có")}, when=WHEN)
    res = _run(ws, plan)
    codes = {f.code for cf in res.collected.files for f in cf.findings}
    assert "absurd_value" in codes

    def refuse(name):
        raise ValueError(name)
    rows = json.loads(to_json(res.consolidation), parse_constant=refuse)
    for r in rows:
        for key in ("value", "numerator", "denominator"):
            assert r[key] is None or math.isfinite(r[key])
    assert "inf" not in to_csv(res.consolidation).lower()
    # a second run writes the report again
    assert _run(ws, plan).path.exists()


# -- plans with errors produce no forms -------------------------------------------------
def _plan_file(tmp_path, edit) -> tuple:
    ws = init_workspace(tmp_path / "ws")
    path = ws.templates / "thong-ke.xlsx"
    planbook.save_plan(Plan.from_json(stat_plan(), name="thong-ke"), path)
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)
    return ws, path


def _cell(wb, sheet, header, match=None):
    """The cell under ``header`` in the first data row (whose first cells hold ``match``)."""
    ws = wb[sheet]
    for row in ws.iter_rows(min_row=1, max_row=10):
        for c in row:
            if c.value == header:
                for r in range(c.row + 1, ws.max_row + 1):
                    values = [ws.cell(row=r, column=k).value for k in range(1, 4)]
                    if match is None and any(values) or match in values:
                        return ws.cell(row=r, column=c.column)
    raise AssertionError(f"{sheet}/{header} not found")


BROKEN = {
    "misspelt_unit": lambda wb: setattr(_cell(wb, planbook.ASSIGN_SHEET, "Đơn vị"), "value",
                                        "Tram y te xa"),
    "words_for_value": lambda wb: setattr(_cell(wb, planbook.TARGETS_SHEET, "Giá trị"),
                                          "value", "bảy mươi"),
    "no_such_day": lambda wb: setattr(_cell(wb, planbook.REPORTS_SHEET, "Hạn nộp"), "value",
                                      "31/11"),
}


@pytest.mark.parametrize("broken", list(BROKEN))
def test_plan_with_errors_refused_by_check_generate_and_send(tmp_path, capsys, broken):
    ws, path = _plan_file(tmp_path, BROKEN[broken])
    assert main(["plan", "check", str(path)]) == 1
    listing = capsys.readouterr().out
    assert "Lỗi" in listing
    if broken == "misspelt_unit":
        assert "Có phải là “Trạm Y tế xã”?" in listing
    for cmd in (["generate"], ["send", "--dry-run"]):
        assert main([*cmd, "-w", str(ws.root), "--period", "2026"]) == 1
        err = capsys.readouterr().err
        assert "chưa tạo hay gửi biểu mẫu nào" in err and "trang" in err
        assert not any((ws.root / "outbox").rglob("*.xlsx"))
        assert not any((ws.root / "outbox").rglob("*.eml"))


def test_plan_with_warnings_only_checks_zero(tmp_path, capsys):
    ws, path = _plan_file(tmp_path, lambda wb: setattr(   # no deadline: a warning
        _cell(wb, planbook.REPORTS_SHEET, "Hạn nộp"), "value", None))
    assert main(["plan", "check", str(path)]) == 0
    assert "cảnh báo" in capsys.readouterr().out


# -- a return that points to another unit ---------------------------------------------------
def test_form_of_another_unit_is_held_until_the_officer_decides(tmp_path, capsys):
    ws, plan, forms = plan_workspace(tmp_path / "ws", stat_plan())
    fills = {"1.1": Fill(numerator=40, denominator=50), "1.2": Fill(numerator=105,
                                                                     denominator=100),
             "1.3": Fill(numerator=1, denominator=10000), "1.4": Fill(value=150),
             "1.5": Fill(value="Có")}
    return_form(ws, forms, TYT, fills, when=WHEN)
    _run(ws, plan)
    # Công an xã fills the Trạm Y tế's form and names the file after itself
    other = dict(fills, **{"1.4": Fill(value=7)})
    name = "BDG_2026_Công-an-xã.xlsx"
    return_form(ws, forms, TYT, other, when=datetime(2026, 11, 25), name=name)
    res = _run(ws, plan)
    held = next(cf for cf in res.collected.files if cf.name == name)
    assert held.status == "rejected"
    f = next(f for f in held.findings if f.code == "unit_mismatch")
    assert "bdg-excel accept" in f.message and CA in f.message and f.file == name
    by = {r.target.code: r for r in res.consolidation.results}
    assert by["1.4"].value == 150                     # Trạm Y tế's figures untouched
    # the officer decides: the figures are Công an xã's
    assert main(["accept", name, "--unit", "Cong an xa", "-w", str(ws.root)]) == 2
    capsys.readouterr()
    assert main(["accept", name, "--unit", CA, "-w", str(ws.root)]) == 0
    assert CA in capsys.readouterr().out
    res = _run(ws, plan)
    by = {r.target.code: r for r in res.consolidation.results}
    values = {uv.unit.name: uv.value for uv in by["1.4"].unit_values}
    assert values == {TYT: 150, CA: 7}
    assert by["1.4"].value == 157


def test_sender_of_another_unit_holds_the_return(tmp_path):
    from bdg_excel.intake.collect import collect

    ws, plan, forms = plan_workspace(tmp_path / "ws", stat_plan())
    path = return_form(ws, forms, TYT, {"1.4": Fill(value=3), "1.5": Fill(value="Có")},
                       when=WHEN)
    with ws.lock():
        res = collect(ws, plan, period="2026", workers=1,
                      sender_of={path.name: "CongAn@thu.gov.vn"})
    (cf,) = res.files
    assert cf.status == "rejected"
    assert any(f.code == "unit_mismatch" and "congan@thu.gov.vn" in f.message.lower()
               for f in cf.findings)


def test_generate_shows_warnings_of_a_plan_without_deadline(tmp_path, capsys):
    """A form saying "Hạn gửi: theo thông báo" is never silent: generate says why."""
    ws, path = _plan_file(tmp_path, lambda wb: setattr(
        _cell(wb, planbook.REPORTS_SHEET, "Hạn nộp"), "value", None))
    assert main(["generate", "-w", str(ws.root), "--period", "2026"]) == 0
    out = capsys.readouterr().out
    assert "Cảnh báo" in out and "hạn nộp" in out.lower()


def test_unknown_indicator_refused(tmp_path, capsys):
    """An assignment to an indicator the plan does not have would lose it silently."""
    ws, path = _plan_file(tmp_path, lambda wb: setattr(
        _cell(wb, planbook.ASSIGN_SHEET, "Mã chỉ tiêu"), "value", "9.9"))
    assert main(["generate", "-w", str(ws.root), "--period", "2026"]) == 1
    assert "9.9" in capsys.readouterr().err
    assert not any((ws.root / "outbox").rglob("*.xlsx"))


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["ods", "xls", "xlsx"])
def test_yes_no_and_held_returns_saved_by_libreoffice(tmp_path, fmt):
    import subprocess

    from test_numbers import SOFFICE

    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) not installed")
    ws, plan, forms = plan_workspace(tmp_path / "ws", stat_plan())
    src = tmp_path / "src"
    rest = {"1.1": Fill(numerator=40, denominator=50), "1.2": Fill(numerator=104,
                                                                    denominator=100),
            "1.3": Fill(numerator=0, denominator=900)}
    made = [fill_form(forms[TYT].path, src / "BDG_2026_Trạm-Y-tế-xã.xlsx",
                      {**rest, "1.4": Fill(value=120), "1.5": Fill(value="Có")}),
            fill_form(forms[CA].path, src / "BDG_2026_Công-an-xã.xlsx",
                      {**rest, "1.4": Fill(value=30), "1.5": Fill(value="Không")}),
            # Công an xã's figures typed into the Trạm Y tế's form, named after itself
            fill_form(forms[TYT].path, src / "Công an xã sửa lại.xlsx",
                      {**rest, "1.4": Fill(value=31), "1.5": Fill(value="Có")})]
    subprocess.run([SOFFICE, f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                    "--headless", "--norestore", "--convert-to", fmt, "--outdir",
                    str(ws.inbox), *map(str, made)], check=True, capture_output=True,
                   timeout=300)
    for p in ws.inbox.iterdir():
        arrive(p, WHEN)
    res = _run(ws, plan)
    status = {cf.name: cf.status for cf in res.collected.files}
    assert status == {f"BDG_2026_Trạm-Y-tế-xã.{fmt}": "accepted",
                      f"BDG_2026_Công-an-xã.{fmt}": "accepted",
                      f"Công an xã sửa lại.{fmt}": "rejected"}
    rows = {(r["unit"], r["code"]): r for r in json.loads(to_json(res.consolidation))}
    assert (rows[(TYT, "1.5")]["value"], rows[(TYT, "1.5")]["assessment"]) == (1, "met")
    assert (rows[(CA, "1.5")]["value"], rows[(CA, "1.5")]["assessment"]) == (0, "not_met")
    assert rows[(TYT, "1.4")]["value"] == 120 and rows[(CA, "1.4")]["value"] == 30
