"""A plan renumbered after its forms went out (4.1 and 4.3 swapped places): an old form's
rows count for the indicator they are, through the national codes the form recorded, and
last year's figures compare with this year's by national code, not by local number."""

from __future__ import annotations

from datetime import datetime

import pytest

from bdg_excel.forms import layout
from bdg_excel.intake.returns import read_return
from bdg_excel.plan import planbook
from bdg_excel.plan.model import Plan
from bdg_excel.workflow import consolidate_workspace, generate

from cycle_helpers import Fill, return_form
from test_rollup_meaning import ADOLESCENT, MATERNAL, SEX_RATIO, TALKS, plan_json, workspace

HEALTH = "Trạm Y tế xã"
ISSUER = "Ủy ban nhân dân xã Bình Lư"
OLD = {"4.1": SEX_RATIO, "4.2": MATERNAL, "4.3": ADOLESCENT, "6.1": TALKS}
NEW = {"4.1": ADOLESCENT, "4.2": MATERNAL, "4.3": SEX_RATIO, "6.1": TALKS}


def _plan(rows, start=2025):
    return plan_json(ISSUER, "645/KH-UBND", rows, {HEALTH: list(rows)}, start=start)


def _renumber(ws) -> Plan:
    """The plan imported again with the new numbering (same plan: same issuer and number)."""
    plan = Plan.from_json(_plan(NEW), name="ke-hoach")
    planbook.save_plan(plan, ws.templates / "ke-hoach.xlsx")
    return plan


OLD_FILLS = {"4.1": Fill(numerator=540, denominator=500),      # sex ratio 108
             "4.2": Fill(numerator=1, denominator=900),
             "4.3": Fill(numerator=14, denominator=1000),      # 14 per 1.000
             "6.1": Fill(value=12)}


def test_the_form_records_the_national_code_of_every_row(tmp_path):
    ws, plan, forms = workspace(tmp_path, _plan(OLD), period="2026")
    data = read_return(forms[HEALTH].path)
    assert data.national == {"4.1": "QG-4.1", "4.2": "QG-4.2", "4.3": "QG-4.3", "6.1": None}
    assert layout.national_codes({}) is None


def test_an_old_form_maps_its_rows_by_national_code(tmp_path):
    ws, old_plan, forms = workspace(tmp_path, _plan(OLD), period="2026")
    new_plan = _renumber(ws)
    assert new_plan.identity() == old_plan.identity()
    return_form(ws, forms, HEALTH, OLD_FILLS, when=datetime(2026, 11, 20))
    res = consolidate_workspace(ws, new_plan, "2026", workers=1)
    cf = res.collected.files[0]
    assert cf.status == "accepted", [f.message for f in cf.findings]
    by = {r.target.code: r for r in res.consolidation.results}
    assert by["4.3"].value == pytest.approx(108)           # sex ratio, as today's 4.3
    assert by["4.3"].assessment.code == "met"               # < 109
    assert by["4.1"].value == pytest.approx(14)            # adolescent birth rate
    assert by["4.2"].value == pytest.approx(100000 / 900)
    assert by["6.1"].value == 12
    codes = [f.code for f in cf.findings]
    assert "sex_ratio_implausible" not in codes and "rate_out_of_range" not in codes
    moved = {f.target: f.message for f in cf.findings if f.code == "row_moved"}
    assert set(moved) == {"4.1", "4.3"}
    assert "Dòng mã 4.1 của biểu mẫu cũ là chỉ tiêu quốc gia QG-4.1" in moved["4.3"]


def test_an_old_form_row_the_unit_no_longer_reports_is_left_out(tmp_path):
    ws, old_plan, forms = workspace(tmp_path, _plan(OLD), period="2026")
    rows = {"4.1": ADOLESCENT, "4.2": MATERNAL, "6.1": TALKS}      # sex ratio dropped
    plan = Plan.from_json(_plan(rows), name="ke-hoach")
    planbook.save_plan(plan, ws.templates / "ke-hoach.xlsx")
    return_form(ws, forms, HEALTH, OLD_FILLS, when=datetime(2026, 11, 20))
    res = consolidate_workspace(ws, plan, "2026", workers=1)
    cf = res.collected.files[0]
    left = [f for f in cf.findings if f.code == "row_left_out"]
    assert [f.target for f in left] == ["4.1"] and "QG-4.1" in left[0].message
    by = {r.target.code: r for r in res.consolidation.results}
    assert by["4.1"].value == pytest.approx(14)          # the old 4.3, not the sex ratio


def test_last_year_compares_by_national_code(tmp_path):
    """2025 collected under the old numbering, 2026 under the new one: the change from
    the previous period is taken indicator by indicator."""
    ws, old_plan, forms = workspace(tmp_path, _plan(OLD), period="2025")
    return_form(ws, forms, HEALTH, {"4.1": Fill(numerator=560, denominator=500),   # 112
                                    "4.2": Fill(numerator=1, denominator=1000),
                                    "4.3": Fill(numerator=20, denominator=1000),   # 20
                                    "6.1": Fill(value=8)}, when=datetime(2025, 11, 20))
    consolidate_workspace(ws, old_plan, "2025", workers=1)
    new_plan = _renumber(ws)
    new_forms = {f.unit: f for f in generate(ws, new_plan, "2026")}
    return_form(ws, new_forms, HEALTH, {"4.1": Fill(numerator=15, denominator=1000),
                                        "4.2": Fill(numerator=0, denominator=1000),
                                        "4.3": Fill(numerator=545, denominator=500),
                                        "6.1": Fill(value=11)}, when=datetime(2026, 11, 20))
    res = consolidate_workspace(ws, new_plan, "2026", workers=1)
    c = res.consolidation
    assert c.previous_period == "2025"
    by = {r.target.code: r for r in c.results}
    assert by["4.3"].previous == pytest.approx(112)       # sex ratio last year
    assert by["4.3"].change == pytest.approx(109 - 112)
    assert by["4.1"].previous == pytest.approx(20)        # adolescent birth rate
    assert by["6.1"].previous == 8
    # the 2025 consolidation, made again under the new plan, keeps its meaning too
    again = {r.target.code: r for r in consolidate_workspace(ws, new_plan, "2025",
                                                             workers=1).consolidation.results}
    assert again["4.3"].value == pytest.approx(112) and again["4.1"].value == pytest.approx(20)
