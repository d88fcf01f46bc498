"""A yes/no row rolled up two levels: commune -> province -> ministry.

Units answer Có or Không on a yes/no row (QG-5.1: gender content in the curriculum). A
commune's consolidated workbook carries its tally (how many units answered Có, how many
Không); the province adds the tallies of its communes instead of reducing a mixed
commune to one answer (or to none), and writes its own tally for the ministry, which adds
the provinces' tallies the same way.
"""

from __future__ import annotations

from datetime import datetime

from bdg_excel.intake import rollup
from bdg_excel.plan import admin
from bdg_excel.workflow import consolidate_workspace, init_national, init_province, load

from cycle_helpers import Fill, drop, return_form, sheet_rows
from test_rollup_meaning import plan_json, workspace

CURRICULUM = ("QG-5.1", "Nội dung về giới, bình đẳng giới được đưa vào chương trình giảng "
              "dạy trong hệ thống giáo dục quốc dân", None, "qualitative", None)
SEX_RATIO = ("QG-4.1", "Tỷ số giới tính khi sinh", "bé trai/100 bé gái", "<=", 109)
SCHOOLS = ["Trường Tiểu học", "Trường THCS", "Trường Mầm non"]


def _commune(root, issuer: str, answers: list[str]):
    """A commune whose schools answer the yes/no row (one school per answer)."""
    rows = {"2.1": CURRICULUM, "4.1": SEX_RATIO}
    schools = SCHOOLS[:len(answers)]
    units = {s: ["2.1"] for s in schools} | {"Trạm Y tế": ["4.1"]}
    ws, plan, forms = workspace(root, plan_json(issuer, "3/KH-UBND", rows, units))
    for school, answer in zip(schools, answers):
        return_form(ws, forms, school, {"2.1": Fill(value=answer)},
                    when=datetime(2026, 11, 20, 9))
    return_form(ws, forms, "Trạm Y tế", {"4.1": Fill(numerator=53, denominator=50)},
                when=datetime(2026, 11, 20, 9))
    res = consolidate_workspace(ws, plan, "2026", workers=1)
    assert all(cf.status == "accepted" for cf in res.collected.files)
    return res.path


def _data_row(path, national: str) -> dict:
    rows = sheet_rows(path, rollup.DATA_SHEET)
    head = rows[0]
    return next(dict(zip(head, r)) for r in rows[1:] if r[head.index("national")] == national)


def _province(root, name: str, communes: dict[str, list[str]]):
    ws = init_province(root / "tinh", name).workspace
    for i, (issuer, answers) in enumerate(communes.items()):
        path = _commune(root / f"xa{i}", issuer, answers)
        drop(path, ws.inbox, datetime(2026, 12, 2, 9), name=f"tong-hop-{i}.xlsx")
    res = consolidate_workspace(ws, load(ws), "2026", workers=1)
    assert all(cf.status == "accepted" for cf in res.collected.files), \
        [f.message for cf in res.collected.files for f in cf.findings]
    return res


def test_a_yes_no_tally_adds_up_from_communes_to_the_ministry(tmp_path):
    # Lai Châu: Bình Lư's schools answer Có, Có, Không; Tân Phong's Không; Nậm Tăm's Có
    lai_chau = _province(tmp_path / "lc", "Lai Châu", {
        "Ủy ban nhân dân xã Bình Lư": ["Có", "Có", "Không"],
        "Ủy ban nhân dân phường Tân Phong": ["Không"],
        "UBND xã Nậm Tăm": ["Có"]})
    row = _data_row(lai_chau.path, "QG-5.1")
    assert (row["yes"], row["no"]) == (3, 2)          # units that answered, all communes
    assert row["answer"] in ("", None)                  # mixed: no single answer
    res = next(r for r in lai_chau.consolidation.results if r.target.national == "QG-5.1")
    assert res.answers == {"Có": 3, "Không": 2} and res.contributed == 3
    bl = next(uv for uv in res.unit_values if uv.unit.name == "UBND xã Bình Lư")
    assert (bl.numerator, bl.denominator, bl.answer) == (2, 3, None)
    assert "Có: 2/3 đơn vị" in bl.note
    # the tidy data: a commune's tally as numerator/denominator; one answer -> 1 or 0
    tidy = {(r["unit"], r["national"]): r for r in lai_chau.consolidation.tidy}
    assert tidy[("UBND xã Bình Lư", "QG-5.1")]["numerator"] == 2
    assert tidy[("UBND xã Bình Lư", "QG-5.1")]["denominator"] == 3
    assert tidy[("UBND xã Bình Lư", "QG-5.1")]["value"] is None
    assert tidy[("UBND xã Bình Lư", "QG-5.1")]["assessment"] == "qualitative"
    assert tidy[("UBND xã Nậm Tăm", "QG-5.1")]["assessment"] == "met"
    assert tidy[("UBND xã Nậm Tăm", "QG-5.1")]["value"] == 1
    assert tidy[("UBND phường Tân Phong", "QG-5.1")]["value"] == 0

    # Điện Biên: one commune, both schools Có
    commune = admin.find_province("Điện Biên").units[0].office
    dien_bien = _province(tmp_path / "db", "Điện Biên", {commune: ["Có", "Có"]})
    row = _data_row(dien_bien.path, "QG-5.1")
    assert row["yes"] == 2 and row["no"] in ("", None) and row["answer"] == "Có"

    bo = init_national(tmp_path / "bo").workspace
    drop(lai_chau.path, bo.inbox, datetime(2026, 12, 20), name="lai-chau.xlsx")
    drop(dien_bien.path, bo.inbox, datetime(2026, 12, 20), name="dien-bien.xlsx")
    top = consolidate_workspace(bo, load(bo), "2026", workers=1)
    assert [cf.status for cf in top.collected.files] == ["accepted", "accepted"]
    res = next(r for r in top.consolidation.results if r.target.national == "QG-5.1")
    assert res.answers == {"Có": 5, "Không": 2} and res.contributed == 2
    row = _data_row(top.path, "QG-5.1")
    assert (row["yes"], row["no"]) == (5, 2)
    # a number row beside it still rolls up by numerator and denominator
    sr = next(r for r in top.consolidation.results if r.target.national == "QG-4.1")
    assert (sr.numerator, sr.denominator) == (53 * 4, 50 * 4)
