"""Held-out data for the province cycle (written before the last changes, scored once at
the end; see the report): two more communes and a department, with expectations worked
out by hand, rolled up to the province and on to the ministry."""

from __future__ import annotations

import unicodedata
from datetime import datetime

import openpyxl
import pytest

from bdg_excel.demo import fill_form
from bdg_excel.intake import rollup
from bdg_excel.workflow import (consolidate_workspace, generate, init_national,
                                init_province, load)

from cycle_helpers import Fill, arrive, drop, return_form, sheet_rows
from test_rollup_meaning import plan_json, workspace

LEADERS = ("QG-1.1", "Cơ quan, đơn vị có lãnh đạo chủ chốt là nữ", "%", ">=", 75)
VICTIMS = ("QG-3.2a", "Người bị bạo lực gia đình được tiếp cận dịch vụ hỗ trợ", "%", ">=", 90)
VICTIMS_PEOPLE = ("QG-3.2a", "Số người bị bạo lực gia đình được hỗ trợ", "người", ">=", 3)
PERPETRATORS = ("QG-3.2b", "Người gây bạo lực được tư vấn, tham vấn", "%", ">=", 70)
CURRICULUM = ("QG-5.1", "Đưa nội dung bình đẳng giới vào chương trình giảng dạy", None,
              "qualitative", None)
PRIMARY = ("QG-5.2a", "Tỷ lệ trẻ em dân tộc thiểu số hoàn thành tiểu học", "%", ">=", 99)
REACHED = ("QG-6.1", "Dân số được tiếp cận kiến thức cơ bản về bình đẳng giới", "%", ">=", 80)
CLUBS = (None, "Số buổi sinh hoạt câu lạc bộ phòng chống bạo lực gia đình", "buổi", ">=", 4)

COMMUNES = {
    "UBND xã Mường Kim": (
        {"1.2": LEADERS, "3.1": VICTIMS, "3.2": PERPETRATORS, "5.1": CURRICULUM,
         "6.4": REACHED, "7.1": CLUBS},
        {"Văn phòng": ["1.2", "6.4", "7.1"], "Công an xã": ["3.1", "3.2"],
         "Trường Tiểu học": ["5.1"], "Trường THCS": ["5.1"]},
        {"1.2": (1, 2), "3.1": (3, 3), "3.2": (1, 2), "6.4": (900, 1200), "7.1": 6},
        {"Trường Tiểu học": "Có", "Trường THCS": "Có"}),
    unicodedata.normalize("NFD", "Ủy ban nhân dân xã Khoen On"): (
        {"1.1": LEADERS, "3.2": VICTIMS_PEOPLE, "5.1": CURRICULUM, "5.2": PRIMARY,
         "6.1": REACHED},
        {"Văn phòng": ["1.1", "6.1"], "Công an xã": ["3.2"], "Trường Tiểu học": ["5.1", "5.2"]},
        {"1.1": (2, 5), "3.2": 4, "5.2": (97, 100), "6.1": (1500, 2500)},
        {"Trường Tiểu học": "Không"}),
}


def _commune(root, issuer):
    rows, units, figures, answers = COMMUNES[issuer]
    ws, plan, forms = workspace(root, plan_json(issuer, "8/KH-UBND", rows, units))
    for unit, codes in units.items():
        fills = {}
        for c in codes:
            if c in figures:
                f = figures[c]
                fills[c] = Fill(numerator=f[0], denominator=f[1]) if isinstance(f, tuple) \
                    else Fill(value=f)
            elif rows[c][3] == "qualitative":
                fills[c] = Fill(value=answers[unit])
        return_form(ws, forms, unit, fills, when=datetime(2026, 11, 26, 8))
    res = consolidate_workspace(ws, plan, "2026", workers=1)
    assert all(cf.status == "accepted" for cf in res.collected.files)
    return res.path


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("heldout")
    books = [_commune(tmp / f"x{i}", issuer) for i, issuer in enumerate(COMMUNES)]
    res = init_province(tmp / "tinh", "lai chau", due="11-30")
    ws = res.workspace
    wb = openpyxl.load_workbook(res.plan)
    wb["Đơn vị"].append(["Sở Giáo dục và Đào tạo", "sogddt@laichau.gov.vn", None])
    assign = wb["Phân công"]
    for r in range(assign.max_row, 1, -1):
        if assign.cell(r, 2).value == "5.2":
            assign.delete_rows(r)
    for code in ("5.1", "5.2"):
        assign.append(["Sở Giáo dục và Đào tạo", code, None])
    wb.save(res.plan)
    plan = load(ws)
    forms = {f.unit: f for f in generate(ws, plan, "2026", units=["Sở Giáo dục và Đào tạo"])}
    form = forms["Sở Giáo dục và Đào tạo"].path
    arrive(fill_form(form, ws.inbox / form.name,
                     {"5.1": Fill(value="Có"), "5.2a": Fill(numerator=980, denominator=1000),
                      "5.2b": Fill(numerator=900, denominator=1000)}),
           datetime(2026, 11, 27, 8))
    for i, path in enumerate(books):
        drop(path, ws.inbox, datetime(2026, 11, 28, 8), name=f"TH-{i}.xlsx")
    out = consolidate_workspace(ws, plan, "2026", workers=1)
    return tmp, out


def _by(res):
    return {r.target.national: r for r in res.consolidation.results}


def test_heldout_province_figures(province):
    _, res = province
    assert sorted(cf.status for cf in res.collected.files) == ["accepted"] * 3
    by = _by(res)
    assert (by["QG-1.1"].numerator, by["QG-1.1"].denominator) == (3, 7)
    assert (by["QG-3.2a"].numerator, by["QG-3.2a"].denominator) == (3, 3)
    assert by["QG-3.2a"].contributed == 1
    assert (by["QG-3.2b"].numerator, by["QG-3.2b"].denominator) == (1, 2)
    assert by["QG-5.1"].answers == {"Có": 3, "Không": 1} and by["QG-5.1"].contributed == 3
    assert (by["QG-5.2a"].numerator, by["QG-5.2a"].denominator) == (980, 1000)
    assert (by["QG-6.1"].numerator, by["QG-6.1"].denominator) == (2400, 3700)


def test_heldout_rows_left_out_are_named(province):
    tmp, res = province
    found = {cf.unit: [f.message for f in cf.findings if f.code == "row_left_out"]
             for cf in res.collected.files}
    mk = " ".join(found["UBND xã Mường Kim"])
    assert "dòng 7.1" in mk and "câu lạc bộ" in mk
    ko = " ".join(found["UBND xã Khoen On"])
    assert "dòng 3.2" in ko and "'người'" in ko
    assert "dòng 5.2" in ko and "Đơn vị không cần sửa" in ko
    fb = next((tmp / "tinh" / "outbox" / "phan-hoi").glob("*Khoen-On.txt")).read_text("utf-8")
    assert "'người'" in fb


def test_heldout_ministry_adds_the_tally(province):
    tmp, res = province
    bo = init_national(tmp / "bo").workspace
    drop(res.path, bo.inbox, datetime(2026, 12, 15), name="lai-chau.xlsx")
    top = consolidate_workspace(bo, load(bo), "2026", workers=1)
    by = _by(top)
    assert by["QG-5.1"].answers == {"Có": 3, "Không": 1}
    assert (by["QG-6.1"].numerator, by["QG-6.1"].denominator) == (2400, 3700)
    rows = sheet_rows(top.path, rollup.DATA_SHEET)
    head = rows[0]
    row = next(dict(zip(head, r)) for r in rows[1:] if r[head.index("national")] == "QG-5.1")
    assert (row["yes"], row["no"]) == (3, 1)
