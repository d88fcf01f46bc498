"""The province officer's cycle, end to end, as a Sở Nội vụ officer runs it.

`init --province "Lai Châu" --due 30/11`; the officer opens the plan workbook in Excel
(openpyxl here), adds two departments (Sở Y tế, Công an tỉnh) with national indicators
and takes those indicators off the communes (the departments report them for the whole
province); `plan check` has no error; `generate` makes every form; the departments fill
theirs; three communes send their consolidated workbooks, built here from commune plans
written for this test (each numbers its indicators its own way; one writes maternal
mortality in % instead of per 100,000); `consolidate`, `status`, `export`; the
province's consolidated workbook is read back and its figures checked by meaning.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime

import openpyxl
import pytest

from bdg_excel.plan import planbook
from bdg_excel.intake import rollup
from bdg_excel.report.workbook import FINDINGS, internal_path
from bdg_excel.workflow import consolidate_workspace

from bdg_excel.demo import fill_form

from cycle_helpers import Fill, arrive, drop, return_form, sheet_rows
from test_rollup_meaning import plan_json, workspace

# -- the communes' own plans (code -> (national, text, unit, op, value)) ----------------
LEADERS = ("QG-1.1", "Tỷ lệ cơ quan, chính quyền có lãnh đạo chủ chốt là nữ", "%", ">=", 75)
VICTIMS = ("QG-3.2a", "Tỷ lệ người bị bạo lực gia đình được tiếp cận dịch vụ hỗ trợ cơ bản",
           "%", ">=", 90)
SEX_RATIO = ("QG-4.1", "Tỷ số giới tính khi sinh", "bé trai/100 bé gái", "<=", 109)
MATERNAL = ("QG-4.2", "Tỷ lệ tử vong bà mẹ liên quan đến thai sản", "/100.000", "<", 42)
MATERNAL_PCT = ("QG-4.2", "Tỷ lệ tử vong bà mẹ liên quan đến thai sản", "%", "<", 0.042)
REACHED_PEOPLE = ("QG-6.1", "Số người được tiếp cận kiến thức cơ bản về bình đẳng giới",
                  "người", ">=", 5000)
REACHED = ("QG-6.1", "Tỷ lệ dân số được tiếp cận kiến thức cơ bản về bình đẳng giới", "%",
           ">=", 80)
ANTENATAL = (None, "Tỷ lệ phụ nữ mang thai được khám thai ít nhất 4 lần", "%", ">=", 90)
NEWS = (None, "Số tin, bài về bình đẳng giới trên hệ thống thông tin cơ sở", "tin, bài",
        ">=", 16)

HEALTH = "Trạm Y tế"
CULTURE = "Phòng Văn hóa – Xã hội"

# issuer -> (rows, assignment, figures: (numerator, denominator) or a number)
COMMUNES = {
    # numbered as the Strategy
    "Ủy ban nhân dân xã Bình Lư": (
        {"1.1": LEADERS, "4.1": SEX_RATIO, "4.2": MATERNAL, "6.1": REACHED, "6.3": NEWS},
        {HEALTH: ["4.1", "4.2"], CULTURE: ["1.1", "6.1", "6.3"]},
        {"1.1": (2, 4), "4.1": (55, 50), "4.2": (0, 60), "6.1": (3200, 4000), "6.3": 18}),
    # shifted: an antenatal-care row first in goal 4, the population reached under 6.2,
    # the victims' access under 3.1
    unicodedata.normalize("NFD", "UBND xã Nậm Tăm"): (
        {"3.1": VICTIMS, "4.1": ANTENATAL, "4.2": SEX_RATIO, "4.3": MATERNAL,
         "6.2": REACHED},
        {HEALTH: ["4.1", "4.2", "4.3"], CULTURE: ["3.1", "6.2"]},
        {"3.1": (4, 5), "4.1": (40, 50), "4.2": (36, 30), "4.3": (1, 45),
         "6.2": (2100, 3000)}),
    # the population reached as a number of people (another unit of measure than the
    # province's %); maternal mortality in %
    "Ủy ban nhân dân phường Tân Phong": (
        {"1.1": LEADERS, "4.1": SEX_RATIO, "4.2": MATERNAL_PCT, "6.1": REACHED_PEOPLE},
        {HEALTH: ["4.1", "4.2"], CULTURE: ["1.1", "6.1"]},
        {"1.1": (1, 3), "4.1": (120, 110), "4.2": (1, 900), "6.1": 7000}),
}
DEPARTMENTS = {"Sở Y tế": (["4.1", "4.2", "4.3"], "soyte@laichau.gov.vn"),
               "Công an tỉnh": (["3.2", "3.3"], "congan@laichau.gov.vn")}
DEPARTMENT_FIGURES = {
    "Sở Y tế": {"4.1": Fill(numerator=5300, denominator=4900),
                "4.2": Fill(numerator=4, denominator=9800),
                "4.3": Fill(numerator=310, denominator=21000)},
    "Công an tỉnh": {"3.2a": Fill(numerator=45, denominator=50),
                     "3.2b": Fill(numerator=20, denominator=32),
                     "3.3": Fill(numerator=6, denominator=6)},
}


def _commune_workbook(root, issuer: str):
    rows, units, figures = COMMUNES[issuer]
    data = plan_json(issuer, "15/KH-UBND", rows, units)
    ws, plan, forms = workspace(root, data)
    for unit, codes in units.items():
        fills = {c: Fill(value=figures[c]) if not isinstance(figures[c], tuple) else
                 Fill(numerator=figures[c][0], denominator=figures[c][1]) for c in codes}
        return_form(ws, forms, unit, fills, when=datetime(2026, 11, 25, 9))
    res = consolidate_workspace(ws, plan, "2026", workers=1)
    assert all(cf.status == "accepted" for cf in res.collected.files)
    return res.path


def _officer_edits(path):
    """In Excel: the two departments on the Units sheet with their addresses; their
    indicators on the Assignments sheet, taken off every commune (the departments report
    them for the whole province: counting both would count them twice)."""
    wb = openpyxl.load_workbook(path)
    units = wb["Đơn vị"]
    for name, (_, email) in DEPARTMENTS.items():
        units.append([name, email, None])
    assign = wb["Phân công"]
    taken = {c for codes, _ in DEPARTMENTS.values() for c in codes}
    for r in range(assign.max_row, 1, -1):
        if assign.cell(r, 2).value in taken:
            assign.delete_rows(r)
    for name, (codes, _) in DEPARTMENTS.items():
        for code in codes:
            assign.append([name, code, None])
    wb.save(path)


class Cycle:
    """What the officer saw and what the tool wrote, for the tests below."""


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("province-cycle")
    books = {issuer: _commune_workbook(tmp / f"xa{i}", issuer)
             for i, issuer in enumerate(COMMUNES)}
    mp = pytest.MonkeyPatch()
    mp.setenv("BDG_TODAY", "2026-12-08")
    c = Cycle()
    c.root = root = tmp / "tinh-lai-chau"
    c.init = _cli("init", root, "--province", "Lai Châu", "--due", "30/11")
    c.plan_path = root / "templates" / "ke-hoach-tinh-lai-chau.xlsx"
    c.plan_before = planbook.load_plan(c.plan_path)
    _officer_edits(c.plan_path)
    mp.chdir(root)
    try:
        c.check = _cli("plan", "check")
        c.generate = _cli("generate", "--period", "2026")
        forms = root / "outbox" / "forms"
        c.forms = sorted(p.name for p in forms.iterdir())
        for name, fills in DEPARTMENT_FIGURES.items():
            form = forms / f"BDG_2026_{name.replace(' ', '-')}.xlsx"
            arrive(fill_form(form, root / "inbox" / form.name, fills),
                   datetime(2026, 11, 28, 10))
        for i, path in enumerate(books.values()):
            drop(path, root / "inbox", datetime(2026, 11, 29, 9 + i),
                 name=f"Tong-hop_xa-{i}.xlsx")
        # Bình Lư also attached its internal workbook by mistake
        drop(internal_path(books["Ủy ban nhân dân xã Bình Lư"]), root / "inbox",
             datetime(2026, 11, 29, 12), name="Noi-bo_Tong-hop_ke-hoach_2026.xlsx")
        c.consolidate = _cli("consolidate", "--period", "2026")
        c.status = _cli("status", "--period", "2026")
        c.export = _cli("export", "--format", "json", "--period", "2026")
    finally:
        mp.undo()
    c.book = root / "outbox" / "Tong-hop_ke-hoach-tinh-lai-chau_2026.xlsx"
    return c


def _cli(*args) -> tuple[int, str, str]:
    """``bdg-excel ARGS`` in process, its output captured."""
    import contextlib
    import io

    from bdg_excel.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def _data(path) -> dict[str, dict]:
    """The province workbook's machine-readable rows by national code."""
    rows = sheet_rows(path, rollup.DATA_SHEET)
    head = rows[0]
    return {r[head.index("national")]: dict(zip(head, r)) for r in rows[1:]}


def test_init_says_what_the_officer_must_still_do(cycle):
    code, out, err = cycle.init
    assert code == 0, err
    todo = out.split("Còn phải làm")[1]
    assert "Thêm các sở, ban, ngành" in todo and "địa chỉ thư của 38 đơn vị" in todo
    assert "hạn nộp báo cáo" not in todo             # given with --due
    assert "5.2a, 5.2b, 5.4b" in todo                 # the Strategy's 2025 figures
    plan = cycle.plan_before
    assert plan.reports[0].due == "11-30" and plan.reports[0].to == "Sở Nội vụ tỉnh Lai Châu"
    # every row has a target: forms can be made straight away
    assert all(t.op == "qualitative" or t.value is not None for t in plan.targets())
    t = plan.target("5.4a")
    assert (t.op, t.value, t.year) == (">=", 50, 2030)
    t = plan.target("5.2a")
    assert (t.op, t.value, t.year) == (">", 99, 2025)
    assert t.text.endswith("(mục tiêu năm 2025 của Chiến lược)")     # said wherever shown


def test_plan_check_and_generate_after_the_officers_edits(cycle):
    code, out, err = cycle.check
    assert code == 0 and "0 lỗi" in out, out + err
    assert "Chưa có thời hạn báo cáo" not in out
    assert "ô H15, mã 5.2a" in out and "mục tiêu năm 2025 của Chiến lược" in out
    assert "Năm đạt 2025" not in out                  # not called a wrong year
    assert "được giao cho cả" not in out              # taken off the communes
    code, out, err = cycle.generate
    assert code == 0, err
    assert len(cycle.forms) == 40 and "BDG_2026_Sở-Y-tế.xlsx" in cycle.forms


def test_consolidate_names_every_row_left_out(cycle):
    code, out, err = cycle.consolidate
    assert code == 0, err
    assert out.count("Đã chấp nhận") >= 5
    blocks = {name: out.split(name)[1].split("Tong-hop_xa-")[0].split("BDG_2026")[0]
              for name in ("Tong-hop_xa-0.xlsx", "Tong-hop_xa-1.xlsx", "Tong-hop_xa-2.xlsx")}
    # Bình Lư: its local news row and its health rows (the Sở Y tế reports those)
    assert "dòng 6.3 'Số tin, bài" in blocks["Tong-hop_xa-0.xlsx"]
    assert "chỉ tiêu địa phương" in blocks["Tong-hop_xa-0.xlsx"]
    assert "dòng 4.1 'Tỷ số giới tính khi sinh' (QG-4.1" in blocks["Tong-hop_xa-0.xlsx"]
    assert "Đơn vị không cần sửa" in blocks["Tong-hop_xa-0.xlsx"]
    # the 14 national rows Bình Lư's plan does not have: named on one line, not fourteen
    assert blocks["Tong-hop_xa-0.xlsx"].count("không có trong bảng tổng hợp") == 1
    assert "14 chỉ tiêu không có trong bảng tổng hợp: 2.1 (QG-2.1), 2.2 (QG-2.2)" in \
        blocks["Tong-hop_xa-0.xlsx"]
    # Nậm Tăm: shifted numbering; antenatal care is local
    assert "dòng 4.1 'Tỷ lệ phụ nữ mang thai" in blocks["Tong-hop_xa-1.xlsx"]
    assert "dòng 6.2" not in blocks["Tong-hop_xa-1.xlsx"]     # counted as QG-6.1
    # the internal workbook sent by mistake: refused, saying which file to send
    refused = out.split("Noi-bo_Tong-hop_ke-hoach_2026.xlsx:")[1].split("Phản hồi")[0]
    assert refused.startswith(" Bị từ chối") and "Tong-hop_….xlsx" in refused
    assert refused.count("\n") == 2 and "bảng nội bộ" in refused and "[trang" not in refused
    # Tân Phong: people reached in 'người', not the province's %
    tp = blocks["Tong-hop_xa-2.xlsx"]
    assert "dòng 6.1" in tp and "đơn vị tính khác" in tp and "'người'" in tp


def test_the_provinces_figures_by_meaning(cycle):
    data = _data(cycle.book)
    # people reached: Bình Lư's 6.1 and Nậm Tăm's 6.2, not Tân Phong's count of people
    assert (data["QG-6.1"]["numerator"], data["QG-6.1"]["denominator"]) == (5300, 7000)
    assert data["QG-6.1"]["value"] == pytest.approx(5300 / 7000 * 100)
    assert data["QG-6.1"]["units_contributed"] == 2
    # women leaders: Bình Lư and Tân Phong
    assert (data["QG-1.1"]["numerator"], data["QG-1.1"]["denominator"]) == (3, 7)
    # health figures from the Sở Y tế alone; none of the communes' counted twice
    assert (data["QG-4.1"]["numerator"], data["QG-4.1"]["denominator"]) == (5300, 4900)
    assert data["QG-4.1"]["units_contributed"] == 1 and data["QG-4.1"]["units_expected"] == 1
    assert (data["QG-4.2"]["numerator"], data["QG-4.2"]["denominator"]) == (4, 9800)
    # victims' access: Công an tỉnh; Nậm Tăm's row is not the province's to count
    assert (data["QG-3.2a"]["numerator"], data["QG-3.2a"]["denominator"]) == (45, 50)
    assert data["QG-3.2b"]["value"] == pytest.approx(62.5)
    # a row nobody reported is there, empty
    assert data["QG-2.1"]["value"] in ("", None) and data["QG-2.1"]["units_contributed"] == 0
    # identity for the ministry
    assert data["QG-6.1"]["unit"] == "%" and data["QG-4.2"]["unit"].startswith("/100.000")
    assert data["QG-6.1"]["code"] == "6.1"


def test_status_and_export(cycle):
    code, out, err = cycle.status
    assert code == 0, err
    lines = out.splitlines()
    assert any("Sở Y tế" in s and "chấp nhận" in s.lower() for s in lines)
    assert any("UBND xã Mường Kim" in s and ("chưa" in s.lower() or "trễ" in s.lower())
               for s in lines)
    code, out, err = cycle.export
    assert code == 0, err
    rows = json.loads(out)
    by = {(r["unit"], r["national"]): r for r in rows if r["status"] != "missing"}
    assert by[("Sở Y tế", "QG-4.1")]["numerator"] == 5300
    assert by[("UBND xã Nậm Tăm", "QG-6.1")]["numerator"] == 2100   # its 6.2, by meaning
    assert by[("UBND xã Nậm Tăm", "QG-6.1")]["code"] == "6.1"
    assert ("UBND phường Tân Phong", "QG-4.1") not in by            # not asked of communes
    assert list(rows[0])[-1] == "national"


def test_feedback_to_each_commune(cycle):
    out = cycle.root / "outbox" / "phan-hoi"
    texts = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.txt")}
    tp = next(t for n, t in texts.items() if "Tân-Phong" in n)
    assert "6.1" in tp and "đơn vị tính khác" in tp
    bl = next(t for n, t in texts.items() if "Bình-Lư" in n)
    assert "6.3" in bl and "Số tin, bài" in bl
    nt = next(t for n, t in texts.items() if "Nậm-Tăm" in n)
    assert "khám thai" in nt
    # the internal workbook lists them on its findings sheet
    internal = internal_path(cycle.book)
    found = " ".join(str(v) for r in sheet_rows(internal, FINDINGS) for v in r)
    assert "Số tin, bài" in found and "'người'" in found




def test_plan_check_warns_when_a_department_and_the_communes_share_an_indicator(tmp_path):
    from bdg_excel.workflow import init_province

    res = init_province(tmp_path / "tinh", "Lai Châu")
    wb = openpyxl.load_workbook(res.plan)
    wb["Đơn vị"].append(["Sở Y tế", "soyte@laichau.gov.vn", None])
    wb["Phân công"].append(["Sở Y tế", "4.1", None])
    wb.save(res.plan)
    found = [f for f in planbook.check_plan_file(res.plan) if f.code == "shared_with_communes"]
    assert [(f.target, f.sheet, f.severity) for f in found] == [("4.1", "Phân công", "warning")]
    assert "Sở Y tế và 38 xã, phường" in found[0].message and found[0].row > 700


def test_init_again_keeps_the_plan_and_says_what_is_left(cycle):
    """Run again on the workspace, after the officer's edits: the plan is kept; the
    departments are there, so only what is still missing is listed."""
    code, out, err = _cli("init", cycle.root, "--province", "Lai Châu", "--due", "15/12")
    assert code == 0, err
    todo = out.split("Còn phải làm")[1].split("Tệp cấu hình")[0]
    assert "đã có nên được giữ nguyên" in todo and "--due không được ghi vào" in todo
    assert "Thêm các sở" not in todo and "địa chỉ thư của 38 đơn vị" in todo
    assert planbook.load_plan(cycle.plan_path).reports[0].due == "11-30"
    assert planbook.load_plan(cycle.plan_path).unit("Sở Y tế") is not None


def test_plan_check_names_many_units_without_an_address_at_once(tmp_path):
    from bdg_excel.workflow import init_province

    res = init_province(tmp_path / "tinh", "Lai Châu")
    wb = openpyxl.load_workbook(res.plan)
    units = wb["Đơn vị"]
    units.cell(5, 2).value = "talenh@laichau.gov.vn"          # one commune has one now
    wb.save(res.plan)
    found = [f for f in planbook.check_plan_file(res.plan) if f.code == "missing_email"]
    assert len(found) == 1 and found[0].row == 2 and found[0].sheet == "Đơn vị"
    assert found[0].message.startswith("37 đơn vị chưa có địa chỉ thư (dòng 2–4, 6–39)")
