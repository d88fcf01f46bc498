"""Feedback to a lower level marks its consolidated workbook in place, fast: every cell of
the data sheet is in the file (blanks too), so the direct XML editor colours the cell of
each row left out. Before, a blank cell (a yes/no row has no value) sent the whole
multi-sheet workbook through openpyxl, about 0.4 s a commune: 40 of the 50 s of a
province's 120-return consolidation (bench/bench.py --scenario hierarchy)."""

from __future__ import annotations

from datetime import datetime

import openpyxl

from bdg_excel.intake import feedback
from bdg_excel.workflow import consolidate_workspace

from cycle_helpers import Fill, drop, return_form
from test_rollup_meaning import SEX_RATIO, plan_json, workspace

HEALTH = "Trạm Y tế xã"
SHELTER = ("QG-3.4", "Cơ sở trợ giúp xã hội công lập triển khai hoạt động hỗ trợ, tư vấn "
                     "về bình đẳng giới", None, "qualitative", None)
SHELTER_PCT = ("QG-3.4", "Tỷ lệ cơ sở trợ giúp xã hội công lập triển khai hoạt động hỗ "
                         "trợ, tư vấn về bình đẳng giới", "%", ">=", 100)


def test_feedback_on_a_commune_workbook_needs_no_openpyxl(tmp_path, monkeypatch):
    # a commune answers its yes/no row; the province counts that indicator in percent
    commune = plan_json("Ủy ban nhân dân xã Nậm Cuổi", "7/KH-UBND",
                        {"3.4": SHELTER, "4.1": SEX_RATIO}, {HEALTH: ["3.4", "4.1"]})
    ws, plan, forms = workspace(tmp_path / "xa", commune)
    return_form(ws, forms, HEALTH, {"3.4": Fill(value="Có"),
                                    "4.1": Fill(numerator=212, denominator=200)},
                when=datetime(2026, 11, 20, 9))
    book = consolidate_workspace(ws, plan, "2026", workers=1).path
    province = plan_json("Ủy ban nhân dân tỉnh Lai Châu", "99/KH-UBND",
                         {"3.4": SHELTER_PCT, "4.1": SEX_RATIO},
                         {"UBND xã Nậm Cuổi": ["3.4", "4.1"]})
    pws, pplan, _ = workspace(tmp_path / "tinh", province)
    drop(book, pws.inbox, datetime(2026, 12, 1, 8))

    def no_openpyxl(*args, **kwargs):
        raise AssertionError("the consolidated workbook went to openpyxl")

    monkeypatch.setattr(feedback, "_annotate_openpyxl", no_openpyxl)
    res = consolidate_workspace(pws, pplan, "2026", workers=1)
    cf = res.collected.files[0]
    left = [f for f in cf.findings if f.code == "row_left_out"]
    assert [f.target for f in left] == ["3.4"] and left[0].sheet and left[0].cell
    # the cell it points at holds no value (a yes/no row's answer is in another column)
    assert openpyxl.load_workbook(cf.archive_path)[left[0].sheet][left[0].cell].value is None
    # the annotated copy was written by the direct editor, the cell coloured in place
    books = list(pws.feedback_dir.glob("*.xlsx"))
    assert len(books) == 1
    cell = openpyxl.load_workbook(books[0])[left[0].sheet][left[0].cell]
    assert cell.fill.fgColor.rgb.endswith(feedback.WARNING_FILL)
    # and the province still counts the figure it can use
    by = {r.target.code: r for r in res.consolidation.results}
    assert (by["4.1"].numerator, by["4.1"].denominator) == (212, 200)
