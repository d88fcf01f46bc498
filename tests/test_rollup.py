"""Roll-up up the hierarchy: communes' consolidated workbooks dropped into a province's
inbox enter the province's consolidation with their numerators and denominators."""

from __future__ import annotations

import copy
import json
from datetime import datetime

import pytest

from bdg_excel.intake import rollup
from bdg_excel.plan.model import Plan, Unit
from bdg_excel.report.workbook import SUBMISSIONS, SUMMARY
from bdg_excel.workflow import consolidate_workspace, export

from cycle_helpers import DATA, Fill, drop, plan_workspace, return_form, sheet_rows, table

CODES = ["1.1", "3.3", "3.4", "4.1", "4.2"]


def test_match_unit_is_tolerant_of_how_a_commune_is_written():
    plan = Plan(units=[Unit("UBND xã Bình Lư"), Unit("Ủy ban nhân dân xã Nà Tăm"),
                       Unit("Phường Tân Phong"), Unit("Công an xã")])
    assert rollup.match_unit(plan, "Ủy ban nhân dân xã Bình Lư").name == "UBND xã Bình Lư"
    assert rollup.match_unit(plan, "ubnd  Xã Bình  Lư").name == "UBND xã Bình Lư"
    assert rollup.match_unit(plan, "UBND xã Nà Tăm").name == "Ủy ban nhân dân xã Nà Tăm"
    assert rollup.match_unit(plan, "Ủy ban nhân dân phường Tân Phong").name == "Phường Tân Phong"
    assert rollup.match_unit(plan, "UBND xã Khác") is None
    assert rollup.match_unit(plan, "Ủy ban nhân dân xã Công an") is None


def _commune_plan(issuer: str, place: str) -> dict:
    data = json.loads((DATA / "plans" / "binh-lu.json").read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["issuer"], data["place"] = issuer, place
    data["reports"] = [{"kind": "annual", "due": "11-30", "to": "Sở Nội vụ tỉnh Lai Châu"}]
    return data


def _province_plan(units: list[str]) -> dict:
    src = json.loads((DATA / "plans" / "binh-lu.json").read_text(encoding="utf-8"))
    indicators = [i for i in src["indicators"] if i["code"] in CODES]
    goals = [g for g in src["goals"] if g["number"] in {i["goal"] for i in indicators}]
    return {"title": "Kế hoạch thực hiện Chiến lược quốc gia về bình đẳng giới tỉnh Lai Châu",
            "number": "99/KH-UBND", "issuer": "Ủy ban nhân dân tỉnh Lai Châu",
            "place": "Lai Châu", "date": "2026-03-01", "period": {"start": 2026, "end": 2030},
            "goals": goals, "indicators": indicators,
            "units": [{"name": u, "indicators": CODES, "tasks": [], "email": None}
                      for u in units],
            "reports": [{"kind": "annual", "due": "12-15", "to": "Bộ Nội vụ"}]}


# Per commune: (1.1 num, den), (3.3 num, den), 3.4 answer, (4.1 num, den), (4.2 num, den)
COMMUNES = {
    "Ủy ban nhân dân xã Bình Lư": ((9, 10), (4, 4), "Có", (530, 500), (1, 800)),
    "Ủy ban nhân dân xã Tam Đường": ((10, 100), (3, 5), "Có", (210, 200), (0, 1200)),
    "UBND xã Nà Tăm": ((30, 40), (1, 1), "Không", (320, 290), (2, 1500)),
}
PROVINCE_UNITS = ["UBND xã Bình Lư", "Ủy ban nhân dân xã Tam Đường", "UBND xã Nà Tăm",
                  "UBND xã Bản Bo"]


def _commune_workbook(tmp_path, issuer, figures):
    place = issuer.split("xã ")[-1]
    ws, plan, forms = plan_workspace(tmp_path / place, _commune_plan(issuer, place))
    p11, p33, a34, p41, p42 = figures
    when = datetime(2026, 11, 20, 9)
    return_form(ws, forms, "Phòng Văn hóa – Xã hội",
                {"1.1": Fill(numerator=p11[0], denominator=p11[1])}, when=when)
    return_form(ws, forms, "Trạm Y tế xã", {
        "3.3": Fill(numerator=p33[0], denominator=p33[1]), "3.4": Fill(value=a34),
        "4.1": Fill(numerator=p41[0], denominator=p41[1]),
        "4.2": Fill(numerator=p42[0], denominator=p42[1])}, when=when)
    res = consolidate_workspace(ws, plan, "2026", workers=1)
    return res.path


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rollup")
    books = {issuer: _commune_workbook(tmp, issuer, figs) for issuer, figs in COMMUNES.items()}
    ws, plan, _ = plan_workspace(tmp / "tinh", _province_plan(PROVINCE_UNITS))
    arrivals = [datetime(2026, 12, 10, 8), datetime(2026, 12, 15, 17), datetime(2026, 12, 18, 8)]
    for (issuer, path), when in zip(books.items(), arrivals):
        drop(path, ws.inbox, when, name=f"tong-hop-{issuer.split('xã ')[-1]}.xlsx")
    res = consolidate_workspace(ws, plan, "2026", workers=1)
    return ws, plan, res


def test_three_communes_roll_up_into_province_totals(province):
    ws, plan, res = province
    assert {cf.name: cf.status for cf in res.collected.files} == {
        "tong-hop-Bình Lư.xlsx": "accepted", "tong-hop-Tam Đường.xlsx": "accepted",
        "tong-hop-Nà Tăm.xlsx": "accepted"}
    assert {cf.unit for cf in res.collected.files} == set(PROVINCE_UNITS[:3])
    figs = list(COMMUNES.values())

    def total(i):
        return sum(f[i][0] for f in figs), sum(f[i][1] for f in figs)

    by = {r.target.code: r for r in res.consolidation.results}
    n, d = total(0)                                   # 49 / 150
    assert (by["1.1"].numerator, by["1.1"].denominator) == (n, d) == (49, 150)
    assert by["1.1"].value == pytest.approx(49 * 100 / 150)          # not (90+10+75)/3
    n, d = total(1)                                   # 8 / 10
    assert by["3.3"].value == pytest.approx(80)
    n, d = total(3)                                   # 1060 boys / 990 girls
    assert (by["4.1"].numerator, by["4.1"].denominator) == (1060, 990)
    assert by["4.1"].value == pytest.approx(1060 * 100 / 990)
    n, d = total(4)                                   # 3 / 3500 per 100.000
    assert by["4.2"].value == pytest.approx(3 * 100000 / 3500)
    assert by["3.4"].answers == {"Có": 2, "Không": 1}
    assert by["1.1"].units_reported == 3 and len(by["1.1"].unit_values) == 4

    rows = table(res.path, SUMMARY)
    assert rows["4.1"]["Tử số"] == 1060 and rows["4.1"]["Mẫu số"] == 990
    assert rows["1.1"]["Số đơn vị đã báo cáo"] == "3/4"

    tidy = json.loads(export(ws, plan, "2026", "json"))
    row = next(r for r in tidy if r["unit"] == "UBND xã Nà Tăm" and r["code"] == "4.1")
    assert (row["numerator"], row["denominator"]) == (320, 290)
    assert row["value"] == pytest.approx(320 * 100 / 290)
    assert next(r for r in tidy if r["unit"] == "UBND xã Bản Bo")["status"] == "missing"


def test_province_completeness(province):
    ws, plan, res = province
    k = res.consolidation.completeness
    assert (k.expected, k.received, k.on_time, k.late, k.missing) == (4, 3, 2, 1, 1)
    subs = {s.unit.name: s for s in res.consolidation.submissions}
    assert subs["UBND xã Nà Tăm"].days_late == 3
    assert [s.unit.name for s in k.to_remind] == ["UBND xã Bản Bo"]
    rows = table(res.path, SUBMISSIONS, key="Đơn vị", must="Đúng hạn / trễ hạn")
    assert rows["UBND xã Nà Tăm"]["Đúng hạn / trễ hạn"] == "Trễ 3 ngày"
    assert rows["Ủy ban nhân dân xã Tam Đường"]["Đúng hạn / trễ hạn"] == "Đúng hạn"
    assert rows["UBND xã Bản Bo"]["Đúng hạn / trễ hạn"].startswith("Chưa nộp")


def test_province_workbook_rolls_up_further(province):
    """The province's own workbook carries the rolled-up figures per code for the next
    level, and is recognised as a consolidated workbook."""
    ws, plan, res = province
    rows = sheet_rows(res.path, rollup.DATA_SHEET)
    head = rows[0]
    got = {r[head.index("code")]: dict(zip(head, r)) for r in rows[1:]}
    assert got["4.1"]["numerator"] == 1060 and got["4.1"]["denominator"] == 990
    assert got["1.1"]["units_reported"] == 3 and got["1.1"]["units_expected"] == 4
    assert got["3.4"]["yes"] == 2 and got["3.4"]["no"] == 1


def test_own_report_and_unknown_commune_are_rejected(province, tmp_path):
    ws, plan, res = province
    other = _commune_workbook(tmp_path, "Ủy ban nhân dân xã Mường Kim",
                              COMMUNES["UBND xã Nà Tăm"])
    drop(res.path, ws.inbox, datetime(2026, 12, 20), name="cua-minh.xlsx")
    drop(other, ws.inbox, datetime(2026, 12, 20), name="muong-kim.xlsx")
    again = consolidate_workspace(ws, plan, "2026", workers=1)
    found = {cf.name: (cf.status, [f.code for f in cf.findings]) for cf in again.collected.files}
    assert found["cua-minh.xlsx"] == ("rejected", ["own_report"])
    assert found["muong-kim.xlsx"] == ("rejected", ["unknown_unit"])
    # the figures are unchanged
    by = {r.target.code: r for r in again.consolidation.results}
    assert (by["1.1"].numerator, by["1.1"].denominator) == (49, 150)


def test_many_communes_same_commands(tmp_path):
    """A province of 168 communes: the plan lists them, the same consolidation runs; one
    commune reports and 167 are listed to remind."""
    names = [f"UBND xã Số {i}" for i in range(1, 169)]
    ws, plan, _ = plan_workspace(tmp_path / "tinh", _province_plan(names))
    path = _commune_workbook(tmp_path, "Ủy ban nhân dân xã Số 7", COMMUNES["UBND xã Nà Tăm"])
    drop(path, ws.inbox, datetime(2026, 12, 1))
    res = consolidate_workspace(ws, plan, "2026", workers=1)
    k = res.consolidation.completeness
    assert (k.expected, k.received, len(k.to_remind)) == (168, 1, 167)
    rows = table(res.path, SUMMARY)
    assert rows["4.1"]["Đơn vị chịu trách nhiệm"] == "168 đơn vị"
    assert rows["4.1"]["Tử số"] == 320
