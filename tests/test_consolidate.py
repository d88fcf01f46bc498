"""Consolidation: roll-up rules checked against hand computation, consistency checks,
the target-year rule, the previous-period comparison, completeness against deadlines, and
the task matrix of a tasks-only plan."""

from __future__ import annotations

import re

import json
from datetime import date, datetime
from types import SimpleNamespace

import pytest

from bdg_excel.report import consistency
from bdg_excel.plan import targets as tg
from bdg_excel.report.results import TargetResult, UnitValue
from bdg_excel.intake.ledger import FileRecord
from bdg_excel.plan.model import Plan, Target, Unit
from bdg_excel.report.workbook import (MATRIX, REMIND, SUBMISSIONS, SUMMARY, TASKS, internal_path,
                                      sheet_names)
from bdg_excel.workflow import export

from cycle_helpers import Fill, return_form, plan_workspace, sheet_rows, table

SCHOOLS = ["Trường Mầm non A", "Trường Tiểu học B", "Trường THCS C"]


def school_plan(reports=None, year: int = 2026) -> dict:
    """Three schools report the same four target rows: a percentage, a rate per 100.000,
    a count and a yes/no row."""
    return {
        "title": "Kế hoạch bình đẳng giới thử", "number": "1/KH-UBND",
        "issuer": "Ủy ban nhân dân xã Thử", "place": "Thử", "date": "2026-01-05",
        "period": {"start": 2026, "end": 2030},
        "goals": [{"number": 1, "title": "Giáo dục"}],
        "indicators": [
            {"code": "1.1", "goal": 1, "number": 1, "text": "Tỷ lệ nữ giáo viên cốt cán",
             "targets": [{"code": "1.1", "op": ">=", "value": 50, "max": None, "unit": "%",
                          "year": year, "text": "Tỷ lệ nữ giáo viên cốt cán"}]},
            {"code": "1.2", "goal": 1, "number": 2, "text": "Tỷ suất bỏ học",
             "targets": [{"code": "1.2", "op": "<=", "value": 10, "max": None,
                          "unit": "/100.000", "year": year, "text": "Tỷ suất bỏ học"}]},
            {"code": "1.3", "goal": 1, "number": 3, "text": "Số buổi ngoại khóa về giới",
             "targets": [{"code": "1.3", "op": ">=", "value": 10, "max": None, "unit": "buổi",
                          "year": year, "text": "Số buổi ngoại khóa về giới"}]},
            {"code": "1.4", "goal": 1, "number": 4, "text": "Có góc bình đẳng giới",
             "targets": [{"code": "1.4", "op": "qualitative", "value": None, "max": None,
                          "unit": None, "year": year, "text": "Có góc bình đẳng giới"}]},
        ],
        "units": [{"name": n, "indicators": ["1.1", "1.2", "1.3", "1.4"],
                   "tasks": ["Tổ chức ngoại khóa"], "email": None} for n in SCHOOLS],
        "reports": reports or [{"kind": "annual", "due": "11-30", "to": "UBND xã Thử"}],
    }


ON_TIME = datetime(2026, 11, 20, 9)


def test_ratio_rolls_up_from_numerators_not_average_of_percentages(tmp_path):
    ws, plan, forms = plan_workspace(tmp_path / "ws", school_plan())
    a, b, c = SCHOOLS
    return_form(ws, forms, a, {"1.1": Fill(numerator=9, denominator=10),
                               "1.2": Fill(numerator=1, denominator=20000),
                               "1.3": Fill(value=3), "1.4": Fill(value="Có")}, when=ON_TIME)
    return_form(ws, forms, b, {"1.1": Fill(numerator=10, denominator=100),
                               "1.2": Fill(numerator=2, denominator=30000),
                               "1.3": Fill(value=4), "1.4": Fill(value="Không")}, when=ON_TIME)
    return_form(ws, forms, c, {"1.1": Fill(numerator=30, denominator=40),
                               "1.2": Fill(numerator=0, denominator=50000),
                               "1.3": Fill(value="5"), "1.4": Fill(value="Có")}, when=ON_TIME)
    res = consolidate_ok(ws, plan)
    by = {r.target.code: r for r in res.consolidation.results}

    # 90 %, 10 % and 75 % average to 58,33 %; the correct figure is 49/150 = 32,67 %.
    mean_of_pcts = (90 + 10 + 75) / 3
    assert by["1.1"].numerator == 49 and by["1.1"].denominator == 150
    assert by["1.1"].value == pytest.approx(49 * 100 / 150)
    assert by["1.1"].value != pytest.approx(mean_of_pcts, abs=1)
    assert by["1.1"].assessment.code == "not_met"          # 32,67 % < 50 %, target year 2026
    # rate: (1 + 2 + 0) × 100.000 / (20.000 + 30.000 + 50.000) = 3
    assert by["1.2"].value == pytest.approx(3 * 100000 / 100000)
    assert by["1.2"].assessment.label == "Vượt"              # 3 ≤ 10, better than the target
    assert by["1.3"].value == 12                             # counts are summed
    assert by["1.4"].answers == {"Có": 2, "Không": 1}         # yes/no tallied

    rows = table(res.path, SUMMARY)
    assert rows["1.1"]["Kết quả"] == pytest.approx(32.6667, abs=1e-3)
    assert rows["1.1"]["Tử số"] == 49 and rows["1.1"]["Mẫu số"] == 150
    assert rows["1.1"]["Đánh giá"] == "Chưa đạt"
    assert rows["1.2"]["Kết quả"] == pytest.approx(3)
    assert rows["1.3"]["Kết quả"] == 12
    assert rows["1.4"]["Kết quả"] == "Có: 2 đơn vị; Không: 1 đơn vị"
    assert rows["1.1"]["Số đơn vị đã báo cáo"] == "3/3"

    tidy = json.loads(export(ws, plan, "2026", "json"))
    assert {r["assessment"] for r in tidy} <= {"met", "not_met", "no_data", "qualitative"}
    one = next(r for r in tidy if r["unit"] == b and r["code"] == "1.1")
    assert (one["value"], one["numerator"], one["denominator"]) == (10, 10, 100)


def test_ratio_with_a_missing_denominator_is_not_averaged(tmp_path):
    ws, plan, forms = plan_workspace(tmp_path / "ws", school_plan())
    return_form(ws, forms, SCHOOLS[0], {"1.1": Fill(value=90, numerator=9, denominator=10)},
                when=ON_TIME)
    return_form(ws, forms, SCHOOLS[1], {"1.1": Fill(value=10)}, when=ON_TIME)
    res = consolidate_ok(ws, plan)
    r11 = next(r for r in res.consolidation.results if r.target.code == "1.1")
    assert r11.value is None
    assert "không lấy trung bình" in table(res.path, SUMMARY)["1.1"]["Ghi chú"]


def consolidate_ok(ws, plan, period="2026"):
    from bdg_excel.workflow import consolidate_workspace

    return consolidate_workspace(ws, plan, period, workers=1)


# -- the target-year rule ------------------------------------------------------------------
def test_assessment_labels_follow_the_target_year():
    t = Target("1.1", ">=", 70, unit="%", year=2030, measure="percent", factor=100)
    interim = tg.evaluate(t, 63, 2026)
    assert (interim.code, interim.interim, interim.label) == \
        ("not_met", True, "Chưa đạt (mục tiêu năm 2030)")
    assert tg.evaluate(t, 63, 2030).label == "Chưa đạt"
    assert tg.evaluate(t, 75, 2026).label == "Vượt"
    assert tg.evaluate(t, 70, 2026).label == "Đạt"
    assert tg.evaluate(t, None, 2026).label == "Chưa có số liệu"
    assert tg.progress(t, 63, 2026) == "Cần tăng thêm 7 %; còn 4 năm (đến 2030)"
    assert tg.progress(t, 75, 2030) == "Đã đạt mục tiêu; năm mục tiêu 2030"
    down = Target("4.2", "<=", 50.15, unit="/100.000", year=2030, measure="rate",
                  factor=100000)
    assert tg.progress(down, 60.15, 2027) == "Cần giảm thêm 10/100.000; còn 3 năm (đến 2030)"
    assert tg.progress(Target("3.4", "qualitative"), None, 2026) is None


# -- consistency checks ----------------------------------------------------------------
def _record(i: int, name: str) -> FileRecord:
    return FileRecord(i, "0" * 64, f"{name}.xlsx", 1, "2026-11-20T09:00:00",
                      "2026-11-20T09:00:00", None, None, "p", "p", None, name.lower(), name,
                      "2026", "v1", "accepted", None)


def test_consistency_checks_flag_impossible_and_jumping_figures():
    pct = Target("1.1", ">=", 50, unit="%", year=2030, measure="percent", factor=100)
    rate = Target("1.2", "<=", 10, unit="/100.000", year=2030, measure="rate", factor=100000)
    a, b = Unit("Trường A"), Unit("Trường B")
    ra, rb = _record(1, "Trường A"), _record(2, "Trường B")

    def result(t, values):
        return TargetResult(t, t.code, [], [UnitValue(u, "accepted", v, n, d, record=r,
                                                      cell="F12")
                                            for u, r, (v, n, d) in zip((a, b), (ra, rb), values)])

    now = SimpleNamespace(results=[result(pct, [(120, 12, 10), (40, 4, 10)]),
                                   result(rate, [(40, 4, 10000), (9, 9, 100000)])])
    before = SimpleNamespace(period="2025", results=[result(pct, [(50, 5, 10), (41, 41, 100)]),
                                                     result(rate, [(10, 1, 10000), (10, 10, 100000)])])
    found = {(rec.unit_name, f.code, f.target) for rec, f in consistency.check(now, before)}
    assert found == {("Trường A", "numerator_gt_denominator", "1.1"),
                     ("Trường A", "percent_out_of_range", "1.1"),
                     ("Trường A", "off_previous", "1.2")}      # 40 is 4 × last year's 10
    msgs = [f for _, f in consistency.check(now, before) if f.code == "off_previous"]
    assert msgs[0].cell == "F12" and "kỳ trước (2025: 10)" in msgs[0].message
    assert msgs[0].severity == "warning"


def test_previous_period_column_and_jump_finding(tmp_path):
    ws, plan, forms = plan_workspace(tmp_path / "ws", school_plan(year=2030))
    return_form(ws, forms, SCHOOLS[0], {"1.1": Fill(numerator=20, denominator=100),
                                        "1.2": Fill(numerator=1, denominator=100000)},
                when=datetime(2026, 11, 20))
    consolidate_ok(ws, plan, "2026")
    from bdg_excel.workflow import generate

    forms27 = {f.unit: f for f in generate(ws, plan, "2027")}
    return_form(ws, forms27, SCHOOLS[0], {"1.1": Fill(numerator=30, denominator=100),
                                          "1.2": Fill(numerator=5, denominator=100000)},
                when=datetime(2027, 11, 20), name="truong-a-2027.xlsx")
    res = consolidate_ok(ws, plan, "2027")
    c = res.consolidation
    assert c.previous_period == "2026"
    rows = table(res.path, SUMMARY)
    assert rows["1.1"]["Kỳ trước (2026)"] == pytest.approx(20)
    assert rows["1.1"]["Thay đổi so với kỳ trước"] == pytest.approx(10)
    assert rows["1.1"]["Đánh giá"] == "Chưa đạt (mục tiêu năm 2030)"
    assert rows["1.1"]["Tiến độ"] == "Cần tăng thêm 20 %; còn 3 năm (đến 2030)"
    jumps = [f for _, f in c.findings if f.code == "off_previous"]
    assert [(f.target, f.file) for f in jumps] == [("1.2", "truong-a-2027.xlsx")]
    shown = [r for r in sheet_rows(internal_path(res.path), "Phát hiện") if "off_previous" in r or
             any(isinstance(v, str) and "kỳ trước" in v for v in r)]
    assert shown


# -- completeness ------------------------------------------------------------------------
def test_deadlines_annual_semiannual_and_one_off():
    data = school_plan(reports=[{"kind": "annual", "due": "12-15", "to": None},
                                {"kind": "semiannual", "due": "06-20", "to": None}])
    plan = Plan.from_json(data)
    assert plan.deadline("2026") == date(2026, 12, 15)
    assert plan.deadline("2026-H1") == date(2026, 6, 20)
    once = Plan.from_json(school_plan(reports=[{"kind": "once", "due": "2026-12-01",
                                                "to": "Sở Nội vụ"}]))
    assert once.deadline("2026") == date(2026, 12, 1)


def test_completeness_on_time_late_missing_superseded(tmp_path):
    data = school_plan(reports=[{"kind": "annual", "due": "12-15", "to": None},
                                {"kind": "semiannual", "due": "06-20", "to": None}])
    data["units"].append({"name": "Trường THPT D", "indicators": ["1.3"], "tasks": [],
                          "email": "d@example.vn"})
    ws, plan, forms = plan_workspace(tmp_path / "ws", data, period="2026-H1")
    a, b, c = SCHOOLS
    return_form(ws, forms, a, {"1.3": Fill(value=1)}, when=datetime(2026, 6, 19, 16))
    return_form(ws, forms, b, {"1.3": Fill(value=2)}, when=datetime(2026, 6, 25, 8))
    # C sends on time, then a corrected version after the deadline: not late, 1 superseded
    return_form(ws, forms, c, {"1.3": Fill(value=3)}, when=datetime(2026, 6, 18, 8),
                name="c-lan-1.xlsx")
    return_form(ws, forms, c, {"1.3": Fill(value=4)}, when=datetime(2026, 6, 27, 8),
                name="c-lan-2.xlsx")
    res = consolidate_ok(ws, plan, "2026-H1")
    k = res.consolidation.completeness
    assert (k.expected, k.received, k.on_time, k.late, k.missing, k.resubmitted) == \
        (4, 3, 2, 1, 1, 1)
    assert [s.unit.name for s in k.to_remind if s.status == "missing"] == ["Trường THPT D"]
    subs = {s.unit.name: s for s in res.consolidation.submissions}
    assert subs[b].days_late == 5 and subs[b].deadline == date(2026, 6, 20)
    assert subs[c].days_late == 0 and len(subs[c].superseded) == 1

    rows = table(res.path, SUBMISSIONS, key="Đơn vị", must="Đúng hạn / trễ hạn")
    assert rows[a]["Đúng hạn / trễ hạn"] == "Đúng hạn"
    assert rows[b]["Đúng hạn / trễ hạn"] == "Trễ 5 ngày" and rows[b]["Số ngày trễ"] == 5
    assert rows[c]["Số bản bị thay thế"] == 1
    assert rows["Trường THPT D"]["Đúng hạn / trễ hạn"].startswith("Chưa nộp")
    flat = sheet_rows(res.path, SUBMISSIONS)
    total = next(r for r in flat if str(r[1]).startswith("Tổng cộng"))
    assert total[1] == "Tổng cộng: 4 đơn vị"
    assert total[2] == f"Đã nộp: 3; chưa nộp: 1; cần sửa: {k.needs_fixes}"
    assert total[3] == "Đúng hạn: 2; trễ hạn: 1"
    assert total[8] == 1                                       # one resubmitted
    assert not any("CẦN NHẮC" in str(v) for r in flat for v in r)
    # the units to remind: in the internal workbook, with the reason
    remind = sheet_rows(internal_path(res.path), REMIND)
    assert remind[0][:4] == ["STT", "Đơn vị", "Tình trạng", "Lý do"]
    assert [r[1] for r in remind[2:]] == [s.unit.name for s in k.to_remind]
    why = {r[1]: r[3] for r in remind[2:]}
    assert why["Trường THPT D"].startswith("Chưa nộp")
    tidy = json.loads(export(ws, plan, "2026-H1", "json"))
    statuses = [r["status"] for r in tidy if r["unit"] == c and r["code"] == "1.3"]
    assert sorted(statuses) == ["needs_fixes", "superseded"]   # other rows left empty


# -- tasks-only plans --------------------------------------------------------------------
def test_tasks_only_plan_consolidates_into_a_task_matrix(make_workspace):
    from cycle_helpers import return_form as ret

    ws, plan, period, forms = make_workspace("lai-chau-vp")
    by_unit = {f.unit: f for f in forms}
    assert not any(u.indicators for u in plan.units)
    first, second = plan.units[0], plan.units[1]
    ret(ws, by_unit, first.name, {}, {"NV1": ("Đã hoàn thành", "@SUM(A1) đã xong 3 đợt")},
        when=datetime(2026, 11, 1))
    res = consolidate_ok(ws, plan, period)
    assert not res.consolidation.has_targets
    assert sheet_names(res.consolidation)[0] == MATRIX
    rows = sheet_rows(res.path, MATRIX)
    head = next(i for i, r in enumerate(rows) if "Nhiệm vụ" in r)
    assert rows[head][2:5] == ["Nhiệm vụ", "Tình trạng", "Kết quả thực hiện, khó khăn, đề xuất"]
    # one block per unit: its heading, then its tasks
    blocks: dict[str, list] = {}
    for r in rows[head + 2:]:
        if isinstance(r[0], str) and re.match(r"\d+\. ", r[0]):
            current = blocks.setdefault(r[0].split(". ", 1)[1].split(" (")[0], [])
        elif isinstance(r[0], float):
            current.append(r)
    assert set(blocks) == {u.name for u in plan.units if u.tasks}
    for u in plan.units:      # each task in full, or its beginning when it is long
        shown = [r[2] for r in blocks.get(u.name, [])]
        assert len(shown) == len(u.tasks)
        for text, task in zip(shown, u.tasks):
            assert text == task or (text.endswith(" …") and
                                    task.startswith(text[:-2].rstrip(",;:.")) and
                                    len(text) >= 60), (text, task)
    # the internal task list has every task in full
    full = sheet_rows(internal_path(res.path), TASKS)
    assert {t for u in plan.units for t in u.tasks} <= {r[3] for r in full}
    mine = blocks[first.name][0]
    assert mine[3] == "Đã hoàn thành"
    assert mine[4] == "@SUM(A1) đã xong 3 đợt"    # text stays text
    assert {r[3] for r in blocks[second.name]} == {"Chưa báo cáo"}
    import openpyxl

    cell = next(c for row in openpyxl.load_workbook(res.path)[MATRIX].iter_rows()
                for c in row if isinstance(c.value, str) and "@SUM" in c.value)
    assert cell.data_type == "s"

