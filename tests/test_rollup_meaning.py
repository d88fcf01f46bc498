"""Roll-up by meaning (CONTRACT section 7): communes whose plans number their indicators
differently roll up into a province by national code (or, for local indicators, by text
and unit of measure), never across units of measure; every row left out is named in
consolidate's output, in the internal workbook and in the feedback to that commune.

Every plan here is written in this file (none of the bundled ones): national codes are
set explicitly, so these tests do not depend on how the catalog links texts."""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime

import pytest

from bdg_excel.intake import rollup
from bdg_excel.plan import planbook
from bdg_excel.plan.model import Plan
from bdg_excel.report.workbook import FINDINGS, SUMMARY, internal_path
from bdg_excel.workflow import consolidate_workspace, export, generate, init_workspace, load

from cycle_helpers import Fill, drop, return_form, run_cli, sheet_rows, table

# -- the indicators, as the plans below write them -------------------------------------
LABOUR = ("QG-2.1", "Tỷ lệ lao động nữ làm công hưởng lương", "%", ">", 40)
DIRECTORS = ("QG-2.3", "Tỷ lệ nữ giám đốc/chủ doanh nghiệp, hợp tác xã", "%", ">=", 30)
SEX_RATIO = ("QG-4.1", "Tỷ số giới tính khi sinh", "bé trai/100 bé gái", "<", 109)
MATERNAL = ("QG-4.2", "Tỷ lệ tử vong bà mẹ liên quan đến thai sản", "/100.000", "<=", 45)
ADOLESCENT = ("QG-4.3", "Tỷ suất sinh ở vị thành niên", "/1.000", "<", 18)
TALKS = (None, "Số buổi truyền thông về bình đẳng giới tại cộng đồng", "buổi", ">=", 10)
# local indicators that implement no national one
CHILD_MARRIAGE = (None, "Tỷ lệ tảo hôn", "%", "<", 2)
ANTENATAL = (None, "Tỷ lệ phụ nữ mang thai được khám thai ít nhất 4 lần", "%", ">=", 90)
CLUBS = (None, "Số câu lạc bộ gia đình phát triển bền vững", "câu lạc bộ", ">=", 2)
MATERNAL_PCT = ("QG-4.2", "Tỷ lệ tử vong bà mẹ liên quan đến thai sản", "%", "<=", 0.05)
TALKS_VISITS = (None, "Số buổi truyền thông về bình đẳng giới tại cộng đồng", "lượt", ">=", 10)
TALKS_NFD = (None, unicodedata.normalize("NFD", "số buổi  truyền thông VỀ bình đẳng giới "
                                                "tại cộng đồng."), "buổi", ">=", 12)


def plan_json(issuer: str, number: str, rows: dict[str, tuple], units: dict[str, list[str]],
              start: int = 2026) -> dict:
    """Plan JSON (CONTRACT section 3) whose indicators are ``rows`` (code -> indicator)."""
    indicators = []
    for code, (national, text, unit, op, value) in rows.items():
        goal, number_ = code.split(".")
        indicators.append({
            "code": code, "goal": int(goal), "number": int(number_), "text": text,
            "targets": [{"code": code, "national": national, "op": op, "value": value,
                         "max": None, "unit": unit, "year": 2030, "text": text}]})
    goals = sorted({i["goal"] for i in indicators})
    return {"title": f"Kế hoạch thực hiện Chiến lược quốc gia về bình đẳng giới ({issuer})",
            "number": number, "issuer": issuer, "place": issuer.split("xã ")[-1],
            "date": f"{start}-03-01", "period": {"start": start, "end": 2030},
            "goals": [{"number": g, "title": f"Mục tiêu {g}"} for g in goals],
            "indicators": indicators,
            "units": [{"name": name, "indicators": codes, "tasks": [], "email": None}
                      for name, codes in units.items()],
            "reports": [{"kind": "annual", "due": "11-30", "to": "Sở Nội vụ"}],
            "upward": None}


def workspace(root, data: dict, period: str = "2026"):
    """(ws, plan, forms): the plan workbook saved in the workspace; forms generated from
    the plan as read from JSON (with its national codes, whatever the workbook keeps)."""
    ws = init_workspace(root)
    plan = Plan.from_json(data, name="ke-hoach")
    planbook.save_plan(plan, ws.templates / "ke-hoach.xlsx")
    forms = {f.unit: f for f in generate(ws, plan, period)}
    return ws, plan, forms


HEALTH = "Trạm Y tế xã"

# The province: its own numbering.
PROVINCE_ROWS = {"2.1": LABOUR, "2.3": DIRECTORS, "4.1": SEX_RATIO, "4.2": MATERNAL,
                 "4.3": ADOLESCENT, "6.1": TALKS}

# Each commune: its plan's rows (its own codes) and the figures it reports per code:
# (numerator, denominator) for ratios, a number for counts.
COMMUNES = {
    # numbered as the province
    "Ủy ban nhân dân xã An Thạnh": (
        {"2.1": LABOUR, "2.3": DIRECTORS, "4.1": SEX_RATIO, "4.2": MATERNAL,
         "4.3": ADOLESCENT, "6.1": TALKS},
        {"2.1": (40, 100), "2.3": (3, 10), "4.1": (530, 500), "4.2": (1, 800),
         "4.3": (12, 1000), "6.1": 14}),
    # a different indicator under the province's 2.1, in the same unit of measure (%)
    "Ủy ban nhân dân xã Bình Hòa": (
        {"2.1": CHILD_MARRIAGE, "2.2": LABOUR, "2.3": DIRECTORS, "4.1": SEX_RATIO,
         "4.2": MATERNAL, "4.3": ADOLESCENT, "6.1": TALKS},
        {"2.1": (3, 120), "2.2": (55, 100), "2.3": (2, 8), "4.1": (210, 200),
         "4.2": (0, 1200), "4.3": (20, 800), "6.1": 9}),
    # under the province's 4.2 another indicator in another unit (/1.000); its maternal
    # mortality in % (another unit of measure than the province's /100.000)
    "UBND xã Cẩm Sơn": (
        {"2.1": LABOUR, "2.3": DIRECTORS, "4.1": SEX_RATIO, "4.2": ADOLESCENT,
         "4.3": MATERNAL_PCT, "6.1": TALKS},
        {"2.1": (30, 90), "2.3": (1, 6), "4.1": (320, 290), "4.2": (9, 600),
         "4.3": (1, 1500), "6.1": 11}),
    # shifted numbering: an antenatal-care indicator first
    "Ủy ban nhân dân xã Đông Phú": (
        {"2.1": LABOUR, "2.3": DIRECTORS, "4.1": ANTENATAL, "4.2": SEX_RATIO,
         "4.3": MATERNAL, "4.4": ADOLESCENT, "6.2": TALKS},
        {"2.1": (20, 50), "2.3": (4, 9), "4.1": (95, 100), "4.2": (440, 400),
         "4.3": (2, 1000), "4.4": (15, 700), "6.2": 20}),
    # a missing indicator (no adolescent birth rate); its talks counted in another unit
    "UBND xã Hà Giang": (
        {"2.1": LABOUR, "2.3": DIRECTORS, "4.1": SEX_RATIO, "4.2": MATERNAL,
         "6.1": TALKS_VISITS},
        {"2.1": (10, 40), "2.3": (1, 4), "4.1": (260, 250), "4.2": (1, 500), "6.1": 300}),
    # local indicators: one written differently (case, spaces, NFD, a full stop), one
    # the province does not have
    "Ủy ban nhân dân xã Kim Long": (
        {"2.1": LABOUR, "2.3": DIRECTORS, "4.1": SEX_RATIO, "4.2": MATERNAL,
         "4.3": ADOLESCENT, "6.1": TALKS_NFD, "6.5": CLUBS},
        {"2.1": (25, 60), "2.3": (2, 5), "4.1": (150, 140), "4.2": (0, 400),
         "4.3": (6, 500), "6.1": 8, "6.5": 3}),
}

PROVINCE_UNITS = ["UBND xã An Thạnh", "UBND xã Bình Hòa", "UBND xã Cẩm Sơn",
                  "UBND xã Đông Phú", "UBND xã Hà Giang", "UBND xã Kim Long"]

# Which commune row counts for which province row (by meaning), and which are left out.
COUNTS = {
    "2.1": {"An Thạnh": "2.1", "Bình Hòa": "2.2", "Cẩm Sơn": "2.1", "Đông Phú": "2.1",
            "Hà Giang": "2.1", "Kim Long": "2.1"},
    "2.3": {c: "2.3" for c in ("An Thạnh", "Bình Hòa", "Cẩm Sơn", "Đông Phú", "Hà Giang",
                               "Kim Long")},
    "4.1": {"An Thạnh": "4.1", "Bình Hòa": "4.1", "Cẩm Sơn": "4.1", "Đông Phú": "4.2",
            "Hà Giang": "4.1", "Kim Long": "4.1"},
    "4.2": {"An Thạnh": "4.2", "Bình Hòa": "4.2", "Đông Phú": "4.3", "Hà Giang": "4.2",
            "Kim Long": "4.2"},
    "4.3": {"An Thạnh": "4.3", "Bình Hòa": "4.3", "Cẩm Sơn": "4.2", "Đông Phú": "4.4",
            "Kim Long": "4.3"},
    "6.1": {"An Thạnh": "6.1", "Bình Hòa": "6.1", "Cẩm Sơn": "6.1", "Đông Phú": "6.2",
            "Kim Long": "6.1"},
}
# (commune, its row left out, words the finding must hold)
LEFT_OUT = [("Bình Hòa", "2.1", ["Tỷ lệ tảo hôn", "chỉ tiêu địa phương", "mã 2.1"]),
            ("Cẩm Sơn", "4.3", ["QG-4.2", "đơn vị tính khác", "'%'", "'/100.000'"]),
            ("Đông Phú", "4.1", ["khám thai", "chỉ tiêu địa phương"]),
            ("Hà Giang", "6.1", ["đơn vị tính khác", "'lượt'", "'buổi'"]),
            ("Kim Long", "6.5", ["câu lạc bộ", "chỉ tiêu địa phương"])]
# (commune, the province's row it gives no figure for)
NO_FIGURE = [("Cẩm Sơn", "4.2"), ("Hà Giang", "4.3"), ("Hà Giang", "6.1")]


def commune_workbook(root, issuer: str) -> object:
    rows, figures = COMMUNES[issuer]
    place = issuer.split("xã ")[-1]
    data = plan_json(issuer, f"{len(place)}/KH-UBND", rows, {HEALTH: list(rows)})
    ws, plan, forms = workspace(root / place, data)
    fills = {code: Fill(value=f) if not isinstance(f, tuple) else
             Fill(numerator=f[0], denominator=f[1]) for code, f in figures.items()}
    return_form(ws, forms, HEALTH, fills, when=datetime(2026, 11, 20, 9))
    res = consolidate_workspace(ws, plan, "2026", workers=1)
    assert res.collected.files[0].status == "accepted", res.collected.files[0].findings
    return res.path


BOOKS: dict = {}     # issuer -> the commune's consolidated workbook (the fixture's)


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("meaning")
    books = {issuer: commune_workbook(tmp, issuer) for issuer in COMMUNES}
    data = plan_json("Ủy ban nhân dân tỉnh Lai Châu", "99/KH-UBND", PROVINCE_ROWS,
                     {u: list(PROVINCE_ROWS) for u in PROVINCE_UNITS})
    ws, plan, _ = workspace(tmp / "tinh", data)
    for issuer, path in books.items():
        drop(path, ws.inbox, datetime(2026, 12, 10, 8),
             name=f"tong-hop-{issuer.split('xã ')[-1]}.xlsx")
    res = consolidate_workspace(ws, plan, "2026", workers=1)
    BOOKS.update(books)
    return ws, plan, res


def _place(issuer: str) -> str:
    return issuer.split("xã ")[-1]


def _figures(place: str) -> dict:
    return next(f for i, (_, f) in COMMUNES.items() if _place(i) == place)


def test_every_province_figure_is_right_by_meaning(province):
    ws, plan, res = province
    assert all(cf.status == "accepted" for cf in res.collected.files)
    by = {r.target.code: r for r in res.consolidation.results}
    for code, parts in COUNTS.items():
        t = by[code].target
        figures = [_figures(place)[their] for place, their in parts.items()]
        if t.measure == "count":
            assert by[code].value == sum(figures), code
        else:
            num, den = sum(f[0] for f in figures), sum(f[1] for f in figures)
            assert (by[code].numerator, by[code].denominator) == (num, den), code
            assert by[code].value == pytest.approx(num * t.factor / den), code
        assert by[code].contributed == len(parts), code
        assert by[code].units_reported == 6
    # the figures of the trial are gone: no percent counted as a rate
    assert by["4.2"].value == pytest.approx(4 * 100000 / 3900)
    assert by["4.1"].value == pytest.approx(1910 * 100 / 1780)


def test_every_row_left_out_is_named_in_consolidate_output(province):
    ws, plan, res = province
    found = {_place(cf.unit): cf.findings for cf in res.collected.files}
    for place, code, words in LEFT_OUT:
        hits = [f for f in found[place] if f.code == "row_left_out" and f.target == code]
        assert len(hits) == 1, (place, code, [f.message for f in found[place]])
        assert f"xã {place}" in hits[0].message and f"dòng {code}" in hits[0].message
        for w in words:
            assert w in hits[0].message, (place, w, hits[0].message)
    for place, code in NO_FIGURE:
        hits = [f for f in found[place] if f.code == "missing_row" and f.target == code]
        assert len(hits) == 1, (place, code)
    # nothing else is left out: the commune numbered as the province has no finding
    assert not [f for f in found["An Thạnh"] if f.severity != "info"]
    left = {(p, f.target) for p, fs in found.items() for f in fs if f.code == "row_left_out"}
    assert left == {(p, c) for p, c, _ in LEFT_OUT}
    missing = {(p, f.target) for p, fs in found.items() for f in fs if f.code == "missing_row"}
    assert missing == set(NO_FIGURE)


def test_rows_left_out_are_in_the_internal_workbook_and_the_feedback(province):
    ws, plan, res = province
    texts = [" ".join(str(v) for v in r) for r in sheet_rows(internal_path(res.path), FINDINGS)]
    for place, code, words in LEFT_OUT:
        assert any(f"xã {place}" in t and f"dòng {code}" in t and words[0] in t
                   for t in texts), (place, code)
    feedback = {p.name: p.read_text(encoding="utf-8") for p in ws.feedback_dir.glob("*.txt")}
    for place, code, words in LEFT_OUT:
        mine = [t for name, t in feedback.items() if place.replace(" ", "-") in name]
        assert len(mine) == 1, (place, list(feedback))
        assert f"dòng {code}" in mine[0] and words[0] in mine[0]
    for place, code in NO_FIGURE:
        mine = [t for name, t in feedback.items() if place.replace(" ", "-") in name]
        assert f"chỉ tiêu {code}" in mine[0]
    assert not [n for n in feedback if "An-Thạnh" in n]


def test_the_province_summary_says_how_many_communes_counted(province):
    ws, plan, res = province
    rows = table(res.path, SUMMARY)
    assert rows["4.2"]["Số đơn vị đã báo cáo"] == "6/6"
    assert "Số liệu của 5/6 đơn vị đã nộp được tính vào kết quả" in rows["4.2"]["Ghi chú"]
    assert "5/6" not in (rows["2.3"]["Ghi chú"] or "")


def test_the_province_workbook_carries_identity_upward(province):
    ws, plan, res = province
    rows = sheet_rows(res.path, rollup.DATA_SHEET)
    head = rows[0]
    got = {r[head.index("code")]: dict(zip(head, r)) for r in rows[1:]}
    assert got["4.2"]["national"] == "QG-4.2" and got["4.2"]["unit"] == "/100.000"
    assert got["4.2"]["indicator"] == MATERNAL[1]
    assert got["6.1"]["national"] == "" and got["6.1"]["unit"] == "buổi"
    assert got["4.2"]["units_contributed"] == 5 and got["4.2"]["units_reported"] == 6
    tidy = json.loads(export(ws, plan, "2026", "json"))
    assert list(tidy[0])[-1] == "national"
    assert {r["national"] for r in tidy if r["code"] == "4.3"} == {"QG-4.3"}
    assert {r["national"] for r in tidy if r["code"] == "6.1"} == {None}


def test_a_workbook_without_identity_counts_nothing(province, tmp_path):
    """A consolidated workbook of an older bdg-excel (no national code, text or unit per
    row) cannot say what its figures are: none counts, and the commune is told why."""
    import openpyxl

    ws, plan, res = province
    src = res.path
    wb = openpyxl.load_workbook(src)
    sheet = wb[rollup.DATA_SHEET]
    head = [c.value for c in sheet[1]]
    for name in ("national", "indicator", "text", "unit", "units_contributed"):
        sheet.delete_cols(head.index(name) + 1)
        head.remove(name)
    meta = wb["_bdg"]
    for row in meta.iter_rows():
        if row[0].value == "issuer":
            row[1].value = "Ủy ban nhân dân tỉnh Điện Biên"
        if row[0].value == "plan_identity":
            row[1].value = "another"
    old = tmp_path / "cu.xlsx"
    wb.save(old)
    data = plan_json("Bộ Nội vụ", "1/KH-BNV", PROVINCE_ROWS,
                     {"UBND tỉnh Điện Biên": list(PROVINCE_ROWS)})
    ws2, plan2, _ = workspace(tmp_path / "bo", data)
    drop(old, ws2.inbox, datetime(2026, 12, 20))
    got = consolidate_workspace(ws2, plan2, "2026", workers=1)
    cf = got.collected.files[0]
    assert [f.code for f in cf.findings if f.severity != "info"] == ["no_identity"]
    assert all(r.value is None for r in got.consolidation.results)


def test_consolidate_prints_the_rows_left_out(province, tmp_path, capsys, monkeypatch):
    """The officer's console: the province plan read from its workbook by the CLI, the six
    communes' workbooks dropped in; what is left out, and why, is printed under each file."""
    data = plan_json("Ủy ban nhân dân tỉnh Lai Châu", "99/KH-UBND", PROVINCE_ROWS,
                     {u: list(PROVINCE_ROWS) for u in PROVINCE_UNITS})
    ws2, _, _ = workspace(tmp_path / "tinh", data)
    for issuer in COMMUNES:
        drop(BOOKS[issuer], ws2.inbox, datetime(2026, 12, 10), name=f"{_place(issuer)}.xlsx")
    monkeypatch.setenv("BDG_TODAY", "2026-12-20")
    code, out, err = run_cli(capsys, "consolidate", "-w", ws2.root, "--period", "2026")
    assert code == 0, err
    blocks, current = {}, None        # file name -> the lines printed under it
    for line in out.splitlines():
        if not line.startswith(" ") and ".xlsx (" in line:
            current = line.split(".xlsx")[0]
            blocks[current] = []
        elif line.startswith("    ") and current:
            blocks[current].append(line)
    for place, code_, words in LEFT_OUT:
        block = "\n".join(blocks[place])
        assert f"xã {place}: dòng {code_}" in block and words[0] in block, (place, block)
    for place, code_ in NO_FIGURE:
        assert f"chỉ tiêu {code_} (" in "\n".join(blocks[place])
    assert blocks["An Thạnh"] == []
    by = {r["code"]: r for r in json.loads(export(ws2, load(ws2), "2026", "json"))
          if r["unit"] == "UBND xã Đông Phú"}
    assert by["4.1"]["value"] == pytest.approx(110) and by["4.1"]["national"] == "QG-4.1"
