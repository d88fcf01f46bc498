"""The reporting cycle end to end: plan -> forms -> returns filled by another program
(openpyxl) -> collect -> consolidated workbook and export.

Expected values are computed here from what the test typed into the forms, never read
from the code under test.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from python_calamine import CalamineWorkbook

from bdg_excel.forms import layout
from bdg_excel.demo import Fill, fill_form
from bdg_excel.report.workbook import SUBMISSIONS, SUMMARY
from bdg_excel.workflow import consolidate_workspace, export, status


def _form(forms, unit_name):
    return next(f for f in forms if f.unit == unit_name)


def _sheet(path, name):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def _summary_rows(path):
    """code -> row of the summary sheet (found by the 'Mã' header, not by position)."""
    rows = _sheet(path, SUMMARY)
    head = next(i for i, r in enumerate(rows) if "Mã" in r and "Kết quả" in r)
    cols = {name: rows[head].index(name) for name in rows[head] if name}
    return {r[cols["Mã"]]: {k: r[c] for k, c in cols.items()}
            for r in rows[head + 2:] if isinstance(r[cols["Mã"]], str) and r[cols["Mã"]]}, cols


def test_binh_lu_cycle_values_and_assessments(make_workspace):
    ws, plan, period, forms = make_workspace("binh-lu")
    tram = _form(forms, "Trạm Y tế xã")
    # Trạm Y tế xã reports all of goal 4 and indicators 3 and 4 of goal 3 (plan text).
    fill_form(tram.path, ws.inbox / "tram-y-te.xlsx", {
        "4.1": Fill(numerator=530, denominator=500),          # 106 boys / 100 girls: met (< 109)
        "4.2": Fill(numerator=1, denominator=1000),           # 100 / 100.000: not met (<= 50,15)
        "4.3": Fill(value="12,5"),                            # typed with a decimal comma: met
        "3.3": Fill(value="100%", numerator=4, denominator=4),
        "3.4": Fill(value="Có"),
    }, {layout.task_code(0): ("Đã hoàn thành", "Đã tổ chức 4 buổi truyền thông"),
        layout.task_code(1): ("Đang thực hiện", "+cmd|' /C calc'!A0")})
    conga = _form(forms, "Công an xã")
    fill_form(conga.path, ws.inbox / "cong-an.xlsx", {
        "3.2a": Fill(value=95, numerator=19, denominator=20),
        "3.2b": Fill(value=" 12.5 ", numerator=1, denominator=8),  # 12,5 %: not met (>= 70)
    }, {f"NV{i + 1}": ("Đã hoàn thành", "Xong") for i in range(3)})

    res = consolidate_workspace(ws, plan, period, workers=1)
    statuses = {cf.name: cf.status for cf in res.collected.files}
    assert statuses == {"tram-y-te.xlsx": "accepted", "cong-an.xlsx": "accepted"}

    rows, _ = _summary_rows(res.path)
    assert rows["4.1"]["Kết quả"] == pytest.approx(106)
    assert rows["4.1"]["Đánh giá"] == "Đạt"
    assert rows["4.2"]["Kết quả"] == pytest.approx(100)
    assert rows["4.2"]["Đánh giá"].startswith("Chưa đạt")
    assert rows["4.3"]["Kết quả"] == pytest.approx(12.5)
    assert rows["3.3"]["Kết quả"] == pytest.approx(100)
    assert rows["3.2a"]["Kết quả"] == pytest.approx(95)
    assert rows["3.2b"]["Kết quả"] == pytest.approx(12.5)
    assert rows["3.2b"]["Đánh giá"].startswith("Chưa đạt")
    assert rows["3.4"]["Đánh giá"] == "Định tính"
    # Every target row of the plan appears in the summary, reported or not.
    assert set(rows) == {t.code for t in plan.targets()}
    assert rows["1.1"]["Đánh giá"] == "Chưa có số liệu"

    tidy = json.loads(export(ws, plan, period, "json"))
    by_key = {(r["unit"], r["code"]): r for r in tidy}
    assert by_key[("Trạm Y tế xã", "4.1")]["value"] == pytest.approx(106)
    assert by_key[("Trạm Y tế xã", "4.1")]["numerator"] == 530
    assert by_key[("Trạm Y tế xã", "4.1")]["assessment"] == "met"
    assert by_key[("Trạm Y tế xã", "4.2")]["assessment"] == "not_met"
    # a yes/no row: value 1 (Có) / 0 (Không) and the assessment follows the answer
    assert by_key[("Trạm Y tế xã", "3.4")]["value"] == 1
    assert by_key[("Trạm Y tế xã", "3.4")]["assessment"] == "met"
    assert by_key[("Công an xã", "3.2b")]["status"] == "accepted"
    assert by_key[("Phòng Kinh tế", "2.3")]["status"] == "missing"
    assert by_key[("Phòng Kinh tế", "2.3")]["value"] is None
    assert by_key[("Phòng Kinh tế", "2.3")]["assessment"] == "no_data"
    assert len(by_key[("Công an xã", "3.2a")]["source_sha256"]) == 64
    # One row per unit x target row it reports.
    expected = sum(len(plan.unit_targets(u)) for u in plan.units)
    assert len(tidy) == expected

    text = export(ws, plan, period, "csv")
    reader = list(csv.DictReader(io.StringIO(text)))
    assert list(reader[0]) == ["plan", "period", "unit", "code", "value", "numerator",
                               "denominator", "assessment", "status", "received_at",
                               "source_file", "source_sha256", "national"]
    row = next(r for r in reader if r["unit"] == "Trạm Y tế xã" and r["code"] == "4.3")
    assert float(row["value"]) == 12.5

    # The task description typed as a formula stays text in the consolidated workbook
    # (the task sheet sent upward) and in the internal workbook's task list.
    from bdg_excel.report.workbook import MATRIX, TASKS, internal_path
    for path, name in ((res.path, MATRIX), (internal_path(res.path), TASKS)):
        tasks = _sheet(path, name)
        assert any(c == "+cmd|' /C calc'!A0" for r in tasks for c in r), name

    subs = _sheet(res.path, SUBMISSIONS)
    flat = [c for r in subs for c in r]
    assert "Trạm Y tế xã" in flat and "Chưa nộp" in flat


def test_bad_values_give_findings_with_location(make_workspace):
    ws, plan, period, forms = make_workspace("binh-lu")
    form = _form(forms, "Phòng Văn hóa – Xã hội")
    fill_form(form.path, ws.inbox / "vhxh.xlsx", {
        "1.1": Fill(value="chưa có"),                      # text in a number cell
        "2.1": Fill(value=140, numerator=140, denominator=100),  # > 100 %, num > den
        "2.2": Fill(numerator=5),                          # numerator without denominator
        "6.1": Fill(value=None),                           # nothing at all
        "6.2": Fill(value=-3),
    }, {})
    res = consolidate_workspace(ws, plan, period, workers=1)
    (cf,) = res.collected.files
    assert cf.status == "needs_fixes"
    by_code = {}
    for f in cf.findings:
        by_code.setdefault(f.code, []).append(f)
    nan = by_code["not_a_number"][0]
    assert nan.file == "vhxh.xlsx" and nan.sheet == layout.FORM_SHEET and nan.target == "1.1"
    assert nan.cell and nan.cell.startswith(layout.col_letter(layout.col_index(layout.PART_A, "value")))
    assert "chưa có" in nan.message and "không phải là số" in nan.message
    assert by_code["percent_out_of_range"][0].target == "2.1"
    assert "100%" in by_code["percent_out_of_range"][0].message
    assert by_code["numerator_gt_denominator"][0].target == "2.1"
    assert by_code["half_fraction"][0].target == "2.2"
    assert "mẫu số" in by_code["half_fraction"][0].message
    assert by_code["missing_value"][0].target == "6.1"
    assert by_code["negative"][0].target == "6.2"
    assert any(f.code == "missing_status" for f in cf.findings)
    # The feedback for the unit exists and names the cells.
    txt = next(p for p in cf.feedback if p.suffix == ".txt").read_text(encoding="utf-8")
    assert "Phòng Văn hóa – Xã hội" in txt and nan.cell in txt


def test_numbers_as_people_type_them(make_workspace):
    ws, plan, period, forms = make_workspace("binh-lu")
    form = _form(forms, "Các trường thuộc UBND xã")
    fill_form(form.path, ws.inbox / "truong.xlsx", {
        "5.1": Fill(value="có"),
        "5.2a": Fill(value="99,95"),
        "5.2b": Fill(value="99.9%"),
        "5.3": Fill(value=0.45),   # a fraction: with 45/100 given it means 45 %
        "5.4": Fill(value="  41,2 % "),
    }, {"NV1": ("Đã hoàn thành", ""), "NV2": ("đang thực hiện", "")})
    wb_path = ws.inbox / "truong.xlsx"
    import openpyxl
    wb = openpyxl.load_workbook(wb_path)
    sh = wb[layout.FORM_SHEET]
    for row in sh.iter_rows():
        if row[1].value == "5.3":
            row[layout.col_index(layout.PART_A, "numerator")].value = 45
            row[layout.col_index(layout.PART_A, "denominator")].value = 100
    wb.save(wb_path)
    res = consolidate_workspace(ws, plan, period, workers=1)
    (cf,) = res.collected.files
    assert cf.status == "accepted", [str(f) for f in cf.findings]
    tidy = {r["code"]: r for r in json.loads(export(ws, plan, period, "json"))
            if r["unit"] == "Các trường thuộc UBND xã"}
    assert tidy["5.2a"]["value"] == pytest.approx(99.95)
    assert tidy["5.2b"]["value"] == pytest.approx(99.9)
    assert tidy["5.3"]["value"] == pytest.approx(45)
    assert tidy["5.4"]["value"] == pytest.approx(41.2)


def test_resubmission_supersedes_and_status(make_workspace):
    ws, plan, period, forms = make_workspace("binh-lu")
    form = _form(forms, "Phòng Kinh tế")
    first = fill_form(form.path, ws.inbox / "kt.xlsx", {"2.3": Fill(value="abc")},
                      {"NV1": ("Đã hoàn thành", ""), "NV2": ("Đã hoàn thành", "")})
    import os
    os.utime(first, (1_790_000_000, 1_790_000_000))
    res1 = consolidate_workspace(ws, plan, period, workers=1)
    assert res1.collected.files[0].status == "needs_fixes"
    second = fill_form(form.path, ws.inbox / "kt.xlsx", {"2.3": Fill(value=31)},
                       {"NV1": ("Đã hoàn thành", ""), "NV2": ("Đã hoàn thành", "")})
    os.utime(second, (1_790_100_000, 1_790_100_000))
    res2 = consolidate_workspace(ws, plan, period, workers=1)
    assert res2.collected.files[0].status == "accepted"
    rows = [r for r in json.loads(export(ws, plan, period, "json")) if r["unit"] == "Phòng Kinh tế"]
    assert {r["status"] for r in rows} == {"accepted", "superseded"}
    current = next(r for r in rows if r["status"] == "accepted")
    assert current["value"] == 31 and current["assessment"] == "met"
    lines = {ln.unit: ln for ln in status(ws, plan, period)}
    assert lines["Phòng Kinh tế"].state in ("accepted", "late")
    # both files kept in the archive
    assert len(list(ws.archive.rglob("kt*.xlsx"))) == 2


@pytest.mark.parametrize("example", ["tam-duong", "lai-chau-vp"])
def test_other_bundled_plans_cycle(make_workspace, example):
    from bdg_excel.demo import simulate_returns

    ws, plan, period, forms = make_workspace(example)
    simulate_returns(ws, plan, period, forms)
    res = consolidate_workspace(ws, plan, period, workers=1)
    assert res.path.exists()
    assert {cf.status for cf in res.collected.files} <= {"accepted", "needs_fixes"}
    got = {s.unit.name for s in res.consolidation.submissions if s.record}
    assert len(got) >= len(plan.units) - 1


def test_tidy_data_as_a_dataframe(make_workspace):
    from bdg_excel.report.consolidate import consolidate
    from bdg_excel.report.export import to_frame

    ws, plan, period, forms = make_workspace("binh-lu")
    form = _form(forms, "Công an xã")
    fill_form(form.path, ws.inbox / "ca.xlsx", {"3.2a": Fill(numerator=9, denominator=10),
                                                "3.2b": Fill(value=80)}, {})
    consolidate_workspace(ws, plan, period, workers=1)
    frame = to_frame(consolidate(ws, plan, period))
    assert list(frame.columns) == ["plan", "period", "unit", "code", "value", "numerator",
                                   "denominator", "assessment", "status", "received_at",
                                   "source_file", "source_sha256", "national"]
    row = frame[(frame.unit == "Công an xã") & (frame.code == "3.2a")].iloc[0]
    assert row.value == 90 and row.numerator == 9 and row.assessment == "met"
    assert frame[frame.status == "missing"].value.isna().all()
