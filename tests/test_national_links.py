"""National links in plans: import links every target row from its text (shifted numbering,
local indicators, a percent where a rate is expected), the plan workbook's column
"Mã quốc gia" (written, changed by the officer, read back; older workbooks and plan JSON
without it get links), and what plan check says about links."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import openpyxl
import pytest

from bdg_excel.core.findings import WARNING
from bdg_excel.plan import catalog
from bdg_excel.plan import planbook as pb
from bdg_excel.plan.importer import import_plan, import_text

DATA = Path(__file__).parent / "data"
REAL = {"ke-hoach-binh-lu-2026-2030.txt": "binh-lu",       # = ../shared/plans/*.txt
        "ke-hoach-tam-duong-2021-2025.txt": "tam-duong",
        "ke-hoach-vp-ubnd-lai-chau-2026.txt": "lai-chau-vp"}


def reference(name: str) -> dict:
    return json.loads((DATA / "plans" / f"{name}.json").read_text(encoding="utf-8"))


def national_of(plan_json: dict) -> dict:
    return {t["code"]: t["national"] for i in plan_json["indicators"] for t in i["targets"]}


# -- the real plans and the bundled examples ----------------------------------------------
@pytest.mark.parametrize("doc,name", REAL.items())
def test_real_plans_link_every_national_indicator(doc, name):
    plan = import_plan(DATA / "import" / doc).plan
    assert national_of(plan.to_json()) == national_of(reference(name))


def test_reference_links_cover_the_strategy():
    """The two commune/district plans that copy the strategy link one row to nearly every
    national target; no row of a bundled plan is linked to a code outside the catalog."""
    codes = {t.code for t in catalog.load().targets}
    for name in ("binh-lu", "tam-duong", "lai-chau-vp"):
        linked = {c for c in national_of(reference(name)).values() if c}
        assert linked <= codes
    assert len(set(national_of(reference("tam-duong")).values())) == 21
    assert set(national_of(reference("binh-lu")).values()) == codes - {"QG-5.4b"}


@pytest.mark.parametrize("name", pb.EXAMPLES)
def test_bundled_example_workbooks_carry_the_links(name):
    plan = pb.load_plan(pb.example_path(name))
    assert national_of(plan.to_json()) == national_of(reference(name))
    assert plan.review == []          # the examples' links are confirmed: no "?"


# -- a commune plan written here: shifted numbering, local rows, a percent for a rate ------
COMMUNE = """ỦY BAN NHÂN DÂN
XÃ THỬ NGHIỆM

Số: 12/KH-UBND

Thử Nghiệm, ngày 02 tháng 3 năm 2026

KẾ HOẠCH
Thực hiện công tác bình đẳng giới trên địa bàn xã năm 2026

II. MỤC TIÊU

2. Mục tiêu cụ thể

Mục tiêu 1: Trong lĩnh vực y tế

- Chỉ tiêu 1. Tỷ lệ phụ nữ mang thai được khám thai ít nhất 4 lần đạt 90%.
- Chỉ tiêu 2. Tỷ số giới tính khi sinh dưới 110 bé trai/100 bé gái sinh ra sống.
- Chỉ tiêu 3. Tỷ lệ tử vong mẹ dưới 50/100.000 trẻ đẻ sống.
- Chỉ tiêu 4. Tỷ lệ tảo hôn giảm xuống dưới 12%.

Mục tiêu 2: Trong lĩnh vực chính trị

- Chỉ tiêu 1. Tỷ lệ nữ đại biểu Hội đồng nhân dân xã đạt trên 30%.
- Chỉ tiêu 2. Phấn đấu có lãnh đạo chủ chốt của Ủy ban nhân dân xã là nữ.

Mục tiêu 3: Trong lĩnh vực gia đình

- Chỉ tiêu 1. 90% nguoi bi bao luc gia dinh duoc tiep can dich vu ho tro co ban; 70% nguoi gay bao luc gia dinh duoc tu van, tham van.

III. TỔ CHỨC THỰC HIỆN

1. Trạm Y tế xã

- Chịu trách nhiệm báo cáo các chỉ tiêu của Mục tiêu 1.

2. Công an xã

- Chịu trách nhiệm báo cáo các chỉ tiêu của Mục tiêu 3.

Các đơn vị gửi báo cáo trước ngày 25/11 hằng năm về UBND xã.
"""


def test_import_links_by_meaning_not_by_number():
    result = import_text(COMMUNE)
    got = {t.code: t.national for t in result.plan.targets()}
    assert got == {"1.1": None, "1.2": "QG-4.1", "1.3": "QG-4.2", "1.4": None,
                   "2.1": None, "2.2": "QG-1.1", "3.1a": "QG-3.2a", "3.1b": "QG-3.2b"}


def test_a_percent_row_under_a_rate_wording_is_flagged(tmp_path):
    text = COMMUNE.replace("Tỷ lệ tử vong mẹ dưới 50/100.000 trẻ đẻ sống",
                           "Tỷ lệ tử vong mẹ giảm còn dưới 1%")
    plan = import_text(text).plan
    path = tmp_path / "thu.xlsx"
    pb.save_plan(plan, path)
    assert plan.target("1.3").national == "QG-4.2"            # by its words …
    found = {f.code: f for f in pb.check_plan_file(path) if f.target == "1.3"}
    assert set(found) == {"national_unsure", "national_unit_mismatch"}   # … but not sure
    f = found["national_unit_mismatch"]
    assert f.sheet == "Chỉ tiêu" and f.cell == f"J{f.row}" and "/100.000" in f.message
    assert f.row == found["national_unsure"].row


def test_unsure_links_become_review_items():
    text = COMMUNE.replace("- Chỉ tiêu 2. Phấn đấu có lãnh đạo chủ chốt của Ủy ban nhân dân "
                           "xã là nữ.", "- Chỉ tiêu 2. Tỷ lệ nữ lãnh đạo cấp phòng đạt 35%.")
    plan = import_text(text).plan
    items = {r.ref: r for r in plan.review if r.kind == "national"}
    for code, item in items.items():
        assert 0 <= item.confidence < catalog.SURE and item.note and item.sentence
    assert plan.target("2.2").national is None
    assert "2.2" in items and "QG-1.1" in items["2.2"].note      # suggested, not linked


# -- the plan workbook ---------------------------------------------------------------------
def _column(ws, header: str) -> int:
    return next(c.column for c in ws[1] if c.value == header)


def test_workbook_column_is_written_changed_by_the_officer_and_read_back(tmp_path):
    plan = import_text(COMMUNE).plan
    path = tmp_path / "thu.xlsx"
    pb.save_plan(plan, path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Chỉ tiêu"]
    col = _column(ws, "Mã quốc gia")
    cells = {ws.cell(r, 1).value: ws.cell(r, col).value for r in range(2, ws.max_row + 1)}
    assert cells["1.3"] == "QG-4.2" and cells["1.1"] is None
    row = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    ws.cell(row["1.1"], col).value = "qg 4.2 ?"        # the officer's own, not sure
    ws.cell(row["1.3"], col).value = None               # and this one is local after all
    ws.cell(row["2.1"], col).value = "QG-9.9"           # no such code
    wb.save(path)
    back = pb.load_plan(path)
    assert back.target("1.1").national == "QG-4.2"
    assert back.target("1.3").national is None
    found = {(f.code, f.target): f for f in pb.check_plan(back, path)}
    unsure = found[("national_unsure", "1.1")]
    assert unsure.severity == WARNING and unsure.sheet == "Chỉ tiêu"
    assert unsure.cell == f"{openpyxl.utils.get_column_letter(col)}{row['1.1']}"
    assert "tệp thu.xlsx, trang Chỉ tiêu, ô" in str(unsure) and "dấu “?”" in unsure.message
    assert ("national_unknown", "2.1") in found
    # 1.1 is a percent, QG-4.2 a rate per 100,000: contradicting units
    assert ("national_unit_mismatch", "1.1") in found
    pb.save_plan(back, tmp_path / "again.xlsx")         # the "?" survives a save
    again = openpyxl.load_workbook(tmp_path / "again.xlsx")["Chỉ tiêu"]
    assert any(again.cell(r, col).value == "QG-4.2?" for r in range(2, again.max_row + 1))


def test_two_rows_one_code_different_units(tmp_path):
    plan = import_text(COMMUNE).plan
    plan.target("1.4").national = "QG-4.2"          # child marriage in %, linked by hand
    found = {(f.code, f.target): f for f in pb.check_plan(plan)}
    f = found[("national_units_differ", "1.4")]
    assert "1.3" in f.message and "QG-4.2" in f.message and f.sheet == "Chỉ tiêu" and f.cell
    assert ("national_unit_mismatch", "1.4") in found


def test_an_older_workbook_without_the_column_gets_links(tmp_path):
    path = tmp_path / "cu.xlsx"
    pb.save_plan(import_text(COMMUNE).plan, path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Chỉ tiêu"]
    ws.delete_cols(_column(ws, "Mã quốc gia"))
    wb.save(path)
    back = pb.load_plan(path)
    assert {t.code: t.national for t in back.targets()} == \
        {t.code: t.national for t in import_text(COMMUNE).plan.targets()}


def test_plan_json_without_national_gets_links():
    data = reference("tam-duong")
    old = copy.deepcopy(data)
    for ind in old["indicators"]:
        for t in ind["targets"]:
            del t["national"]
    assert national_of(catalog.plan_from_json(old).to_json()) == national_of(data)
    local = copy.deepcopy(data)
    local["indicators"][0]["targets"][0]["national"] = None     # null: a local indicator
    assert catalog.plan_from_json(local).targets()[0].national is None


def test_plan_import_says_how_rows_were_linked(tmp_path, capsys):
    from cycle_helpers import run_cli

    doc = tmp_path / "ke-hoach-thu.txt"
    doc.write_text(COMMUNE.replace("Tỷ lệ tử vong mẹ dưới 50/100.000 trẻ đẻ sống",
                                   "Tỷ lệ tử vong mẹ giảm còn dưới 1%"), encoding="utf-8")
    code, out, _ = run_cli(capsys, "plan", "import", doc, "-o", tmp_path / "thu.xlsx")
    assert code == 0
    assert ("Mã quốc gia: 5/8 dòng chỉ tiêu đã gắn, 1 dòng chưa chắc chắn (dấu ? ở cột Mã "
            "quốc gia, trang Chỉ tiêu); 3 dòng là chỉ tiêu riêng của kế hoạch.") in out
    code, out, _ = run_cli(capsys, "plan", "check", tmp_path / "thu.xlsx")
    assert code == 0 and "chưa chắc là chỉ tiêu quốc gia QG-4.2" in out and "ô N" in out
