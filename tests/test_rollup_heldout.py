"""Held-out cases of roll-up by meaning, written before the matching was tuned and scored
once at the end: indicators with two targets numbered the other way round, local
indicators with two targets, a yes/no indicator under another code, two rows claiming
the same national code, and one level up (a ministry rolling up two provinces)."""

from __future__ import annotations

from datetime import datetime

import pytest

from bdg_excel.workflow import consolidate_workspace

from cycle_helpers import Fill, drop, return_form
from test_rollup_meaning import workspace

VICTIMS = ("QG-3.2a", "Người bị bạo lực được tiếp cận dịch vụ hỗ trợ", "%", ">=", 90)
ABUSERS = ("QG-3.2b", "Người gây bạo lực được tư vấn", "%", ">=", 70)
CURRICULUM = ("QG-5.1", "Nội dung về giới được đưa vào chương trình giảng dạy", None,
              "qualitative", None)
LOCAL_A = (None, "Tỷ lệ hộ gia đình có tủ sách pháp luật về bình đẳng giới", "%", ">=", 50)
LOCAL_B = (None, "Tỷ lệ hộ gia đình có tủ sách pháp luật về bình đẳng giới", "%", ">=", 80)
LABOUR = ("QG-2.1", "Tỷ lệ lao động nữ làm công hưởng lương", "%", ">", 40)

HEALTH = "Văn phòng"


def plan(issuer: str, number: str, indicators: dict[str, dict[str, tuple]], units) -> dict:
    """indicators: indicator code -> {target-row code: (national, text, unit, op, value)}."""
    out = []
    for code, targets in indicators.items():
        goal, n = code.split(".")
        first = next(iter(targets.values()))
        out.append({"code": code, "goal": int(goal), "number": int(n), "text": first[1],
                    "targets": [{"code": tc, "national": t[0], "op": t[3], "value": t[4],
                                 "max": None, "unit": t[2], "year": 2030, "text": t[1]}
                                for tc, t in targets.items()]})
    return {"title": f"Kế hoạch bình đẳng giới ({issuer})", "number": number,
            "issuer": issuer, "place": issuer.split(" ")[-1], "date": "2026-02-01",
            "period": {"start": 2026, "end": 2030},
            "goals": [{"number": g, "title": f"Mục tiêu {g}"}
                      for g in sorted({int(c.split('.')[0]) for c in indicators})],
            "indicators": out,
            "units": [{"name": u, "indicators": list(indicators), "tasks": [], "email": None}
                      for u in units],
            "reports": [{"kind": "annual", "due": "11-30", "to": "Sở Nội vụ"}], "upward": None}


UPPER = {"2.1": {"2.1": LABOUR}, "3.2": {"3.2a": VICTIMS, "3.2b": ABUSERS},
         "5.1": {"5.1": CURRICULUM}, "6.9": {"6.9a": LOCAL_A, "6.9b": LOCAL_B}}

LOWER = {
    # the two targets the other way round, the yes/no under 5.4, the local pair as 7.1a/b
    "Ủy ban nhân dân xã Nậm Tăm": (
        {"2.1": {"2.1": LABOUR}, "3.1": {"3.1a": ABUSERS, "3.1b": VICTIMS},
         "5.4": {"5.4": CURRICULUM}, "7.1": {"7.1a": LOCAL_A, "7.1b": LOCAL_B}},
        {"2.1": (10, 20), "3.1a": (7, 10), "3.1b": (9, 9), "5.4": "Có",
         "7.1a": (30, 50), "7.1b": (40, 50)}),
    # numbered as the level above, except two rows both claiming QG-2.1
    "UBND xã Pa Tần": (
        {"2.1": {"2.1": LABOUR}, "2.2": {"2.2": LABOUR}, "3.2": {"3.2a": VICTIMS,
                                                                  "3.2b": ABUSERS},
         "5.1": {"5.1": CURRICULUM}, "6.9": {"6.9a": LOCAL_A, "6.9b": LOCAL_B}},
        {"2.1": (5, 10), "2.2": (6, 10), "3.2a": (18, 20), "3.2b": (5, 10), "5.1": "Không",
         "6.9a": (20, 40), "6.9b": (36, 40)}),
}


def _fills(figures):
    return {c: Fill(value=f) if not isinstance(f, tuple) else
            Fill(numerator=f[0], denominator=f[1]) for c, f in figures.items()}


def _lower_workbook(root, issuer, indicators, figures):
    place = issuer.split("xã ")[-1]
    ws, p, forms = workspace(root / place, plan(issuer, f"{len(place)}/KH", indicators,
                                                [HEALTH]))
    return_form(ws, forms, HEALTH, _fills(figures), when=datetime(2026, 11, 20))
    return consolidate_workspace(ws, p, "2026", workers=1).path


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("heldout")
    books = {i: _lower_workbook(tmp, i, *LOWER[i]) for i in LOWER}
    ws, p, _ = workspace(tmp / "tinh", plan("Ủy ban nhân dân tỉnh Lai Châu", "7/KH",
                                            UPPER, ["UBND xã Nậm Tăm", "UBND xã Pa Tần"]))
    for issuer, path in books.items():
        drop(path, ws.inbox, datetime(2026, 12, 1), name=f"{issuer[-6:]}.xlsx")
    return tmp, ws, p, consolidate_workspace(ws, p, "2026", workers=1)


def test_heldout_two_targets_and_yes_no_by_meaning(province):
    tmp, ws, p, res = province
    by = {r.target.code: r for r in res.consolidation.results}
    assert (by["3.2a"].numerator, by["3.2a"].denominator) == (27, 29)
    assert (by["3.2b"].numerator, by["3.2b"].denominator) == (12, 20)
    assert by["5.1"].answers == {"Có": 1, "Không": 1}
    assert (by["6.9a"].numerator, by["6.9a"].denominator) == (50, 90)
    assert (by["6.9b"].numerator, by["6.9b"].denominator) == (76, 90)


def test_heldout_two_rows_with_one_national_code_are_left_out(province):
    tmp, ws, p, res = province
    by = {r.target.code: r for r in res.consolidation.results}
    assert (by["2.1"].numerator, by["2.1"].denominator) == (10, 20)   # Nậm Tăm's only
    pa = next(cf for cf in res.collected.files if cf.unit == "UBND xã Pa Tần")
    left = sorted(f.target for f in pa.findings if f.code == "row_left_out")
    assert left == ["2.1", "2.2"]
    assert all("QG-2.1" in f.message for f in pa.findings if f.code == "row_left_out")


def test_heldout_a_ministry_rolls_up_provinces(province, tmp_path):
    tmp, ws, p, res = province
    upper = dict(UPPER)
    upper = {"3.5": {"3.5a": VICTIMS, "3.5b": ABUSERS}, "5.1": {"5.1": CURRICULUM}}
    bo, bp, _ = workspace(tmp_path / "bo", plan("Bộ Nội vụ", "1/KH-BNV", upper,
                                                ["UBND tỉnh Lai Châu", "UBND tỉnh Sơn La"]))
    drop(res.path, bo.inbox, datetime(2026, 12, 20), name="lai-chau.xlsx")
    got = consolidate_workspace(bo, bp, "2026", workers=1)
    cf = got.collected.files[0]
    assert cf.unit == "UBND tỉnh Lai Châu" and cf.status == "accepted"
    by = {r.target.code: r for r in got.consolidation.results}
    assert (by["3.5a"].numerator, by["3.5a"].denominator) == (27, 29)
    assert (by["3.5b"].numerator, by["3.5b"].denominator) == (12, 20)
    left = {f.target for f in cf.findings if f.code == "row_left_out"}
    assert left == {"2.1", "6.9a", "6.9b"}
