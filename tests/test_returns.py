"""Reading and checking single returns: the broken/hostile fixture corpus
(tests/data/returns, used by name), formulas, moved rows, typed values, recognition."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from bdg_excel.forms import layout
from bdg_excel.demo import Fill, fill_form
from bdg_excel.core.findings import ERROR, WARNING
from bdg_excel.forms.generate import write_form
from bdg_excel.intake.returns import read_return
from bdg_excel.intake.validate import check_return

CORPUS = Path(__file__).parent / "data" / "returns"
sys.path.insert(0, str(CORPUS))
import make_fixtures as fx  # noqa: E402

VHXH = "Phòng Văn hóa – Xã hội"      # five percent targets 1.1 2.1 2.2 6.1 6.2, six tasks
TTDV = "Trung tâm Dịch vụ tổng hợp"  # 6.3 count, 6.4 yes/no, one task
CODE_COL = layout.col_index(layout.PART_A, "code") + 1
VALUE_COL = layout.col_index(layout.PART_A, "value") + 1
VIETNAMESE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)


def form_of(forms, unit):
    return next(f.path for f in forms if f.unit == unit)


def all_tasks(plan, unit_name):
    unit = plan.unit(unit_name)
    return {layout.task_code(i): (layout.TASK_STATUSES[0], "Đã làm") for i in range(len(unit.tasks))}


def complete(plan, forms, unit_name, out, **fills):
    """A fully filled return of ``unit_name``; ``fills`` override rows by code (1_1 = 1.1)."""
    rows = {t.code: Fill(value=10) for t in plan.unit_targets(plan.unit(unit_name))}
    rows.update({k.replace("_", "."): v for k, v in fills.items()})
    return fill_form(form_of(forms, unit_name), out, rows, all_tasks(plan, unit_name))


def rows_by_code(ws):
    return {c.value: c.row for c in ws.iter_cols(min_col=CODE_COL, max_col=CODE_COL).__next__()
            if isinstance(c.value, str) and c.value}


def codes(findings):
    return [f.code for f in findings]


@pytest.fixture
def vhxh(make_workspace):
    ws, plan, period, forms = make_workspace("binh-lu")
    return ws, plan, period, forms


# -- the corpus -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", [n for n, code in fx.EXPECTED.items() if code])
def test_corpus_file_gives_its_finding(name, vhxh):
    _, plan, period, _ = vhxh
    data = read_return(CORPUS / name)
    chk = check_return(data, plan, period=period)
    assert not data.readable and chk.status == "rejected"
    (f,) = chk.findings
    assert f.code == fx.EXPECTED[name] and f.severity == ERROR and f.file == name
    assert VIETNAMESE.search(f.message) and "Traceback" not in f.message


def test_truncated_form(vhxh, tmp_path):
    _, plan, period, forms = vhxh
    bad = fx.truncate(form_of(forms, VHXH), tmp_path / "cut.xlsx")
    assert codes(read_return(bad).findings) == ["file_broken_zip"]


def test_encrypted_workbook(vhxh, tmp_path):
    pytest.importorskip("msoffcrypto")
    _, plan, period, forms = vhxh
    good = complete(plan, forms, VHXH, tmp_path / "good.xlsx")
    locked = fx.encrypt(good, tmp_path / "locked.xlsx")
    data = read_return(locked)
    assert data.kind == "encrypted" and codes(data.findings) == ["file_encrypted"]
    assert "mật khẩu" in data.findings[0].message


def test_enormous_sheet_bounded_memory_and_time(tmp_path):
    """A 1,000,000-row sheet is refused after reading a bounded part of it, in a fresh
    process whose peak RSS is measured."""
    big = fx.million_rows(tmp_path / "million.xlsx")
    code = (
        "import resource, sys, time\n"
        "from pathlib import Path\n"
        "from bdg_excel.intake.returns import read_return\n"
        "t = time.time(); d = read_return(Path(sys.argv[1])); t = time.time() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(d.findings[0].code, round(rss), round(t, 2))\n")
    out = subprocess.run([sys.executable, "-c", code, str(big)], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert out[0] == "sheet_too_large"
    assert float(out[1]) < 500, f"peak RSS {out[1]} MB"
    assert float(out[2]) < 10, f"took {out[2]} s"


def test_openpyxl_paths_use_defusedxml():
    """The feedback writer and the percent-format check open returns with openpyxl: it
    must refuse entity declarations too (openpyxl uses defusedxml when installed)."""
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML
    from defusedxml import EntitiesForbidden, DTDForbidden

    for name in ("billion-laughs.xlsx", "external-entity.xlsx"):
        with pytest.raises(Exception) as exc:
            openpyxl.load_workbook(CORPUS / name)
        chain, e = [], exc.value
        while e is not None:
            chain.append(e)
            e = e.__cause__ or e.__context__
        assert any(isinstance(e, (EntitiesForbidden, DTDForbidden)) for e in chain), chain


# -- recognition ------------------------------------------------------------------------------
def test_form_of_another_plan(vhxh, make_workspace, tmp_path):
    _, plan, period, _ = vhxh
    _, other, other_period, other_forms = make_workspace("tam-duong")
    f = other_forms[0]
    unit = other.unit(f.unit)
    out = fill_form(f.path, tmp_path / "other.xlsx", {t.code: Fill(value=1)
                                                     for t in other.unit_targets(unit)})
    chk = check_return(read_return(out), plan, period=period)
    assert chk.status == "rejected" and codes(chk.findings) == ["other_plan"]
    assert chk.findings[0].file == "other.xlsx"


def test_form_of_another_period(vhxh, tmp_path):
    _, plan, period, _ = vhxh
    unit = plan.unit(VHXH)
    old = write_form(plan, unit, "2027", tmp_path / "f2027.xlsx")
    out = fill_form(getattr(old, "path", tmp_path / "f2027.xlsx"), tmp_path / "r.xlsx",
                    {t.code: Fill(value=10) for t in plan.unit_targets(unit)},
                    all_tasks(plan, VHXH))
    chk = check_return(read_return(out), plan, period=period)
    assert "other_period" in codes(chk.findings)
    (f,) = [f for f in chk.findings if f.code == "other_period"]
    assert "2027" in f.message and chk.period == "2027"


def test_hidden_sheet_deleted_recognised_as_warning(vhxh, tmp_path):
    _, plan, period, forms = vhxh
    good = complete(plan, forms, VHXH, tmp_path / "good.xlsx")
    bare = fx.without_meta(good, tmp_path / "bao-cao.xlsx")
    chk = check_return(read_return(bare), plan, period=period)
    assert chk.unit.name == VHXH and chk.status == "accepted"
    (f,) = [f for f in chk.findings if f.code == "no_meta"]
    assert f.severity == WARNING and "Đơn vị báo cáo" in f.message
    assert [v.value for v in chk.values] == [10] * 5


def test_hidden_sheet_deleted_recognised_from_sender_or_file_name(vhxh, tmp_path):
    _, plan, period, forms = vhxh
    good = complete(plan, forms, TTDV, tmp_path / "good.xlsx")
    bare = fx.without_meta(good, tmp_path / "x.xlsx")
    wb = openpyxl.load_workbook(bare)
    ws = wb[layout.FORM_SHEET]
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and c.value.startswith("Đơn vị báo cáo"):
                c.value = None
    named = tmp_path / "bao-cao-trung-tam-dich-vu-tong-hop.xlsx"
    wb.save(named)
    chk = check_return(read_return(named), plan, period=period)
    assert chk.unit.name == TTDV and "tên tệp" in chk.findings[0].message
    unnamed = tmp_path / "x2.xlsx"
    wb.save(unnamed)
    assert check_return(read_return(unnamed), plan, period=period).status == "rejected"


# -- rows by code ---------------------------------------------------------------------------
def test_rows_inserted_deleted_reordered(vhxh, tmp_path):
    _, plan, period, forms = vhxh
    path = complete(plan, forms, VHXH, tmp_path / "r.xlsx", **{
        "1_1": Fill(value=11), "2_1": Fill(value=21), "2_2": Fill(value=22),
        "6_1": Fill(value=61), "6_2": Fill(value=62)})
    wb = openpyxl.load_workbook(path)
    ws = wb[layout.FORM_SHEET]
    rows = rows_by_code(ws)
    # swap the rows of 1.1 and 6.2 (code and value move together)
    a, b = rows["1.1"], rows["6.2"]
    for col in range(1, 11):
        ws.cell(a, col).value, ws.cell(b, col).value = ws.cell(b, col).value, ws.cell(a, col).value
    ws.insert_rows(rows["2.1"], 2)                    # two blank rows inserted
    rows = rows_by_code(ws)
    ws.delete_rows(rows["2.2"])                       # one target row deleted
    wb.save(path)
    chk = check_return(read_return(path), plan, period=period)
    assert {v.code: v.value for v in chk.values} == {"1.1": 11, "2.1": 21, "6.1": 61, "6.2": 62}
    (f,) = [f for f in chk.findings if f.code == "missing_row"]
    assert f.target == "2.2" and f.severity == ERROR and chk.status == "needs_fixes"


# -- formulas ---------------------------------------------------------------------------------
def _cache(path: Path, values: dict[str, str]) -> None:
    """Give openpyxl-written formulas the cached values Excel would have saved."""
    src = zipfile.ZipFile(path)
    items = [(i, src.read(i)) for i in src.infolist()]
    src.close()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info.filename.startswith("xl/worksheets/"):
                text = data.decode()
                for ref, v in values.items():
                    text = re.sub(rf'(<c r="{ref}"[^>]*>\s*<f>[^<]*</f>)\s*(<v\s*/>|<v></v>)?',
                                  rf"\1<v>{v}</v>", text)
                data = text.encode()
            z.writestr(info, data)


def test_formula_in_input_cell(vhxh, tmp_path):
    _, plan, period, forms = vhxh
    path = complete(plan, forms, VHXH, tmp_path / "f.xlsx",
                    **{"1_1": Fill(value="=30+12"), "2_1": Fill(value="=10*2")})
    wb = openpyxl.load_workbook(path)
    rows = rows_by_code(wb[layout.FORM_SHEET])
    ref11 = f"{layout.col_letter(VALUE_COL - 1)}{rows['1.1']}"
    ref21 = f"{layout.col_letter(VALUE_COL - 1)}{rows['2.1']}"
    _cache(path, {ref11: "42"})          # 2.1 keeps its formula without a saved value
    chk = check_return(read_return(path), plan, period=period)
    values = {v.code: v.value for v in chk.values}
    assert values["1.1"] == 42                               # the cached value is used
    (info,) = [f for f in chk.findings if f.code == "formula"]
    assert info.cell == ref11
    (err,) = [f for f in chk.findings if f.code == "formula_no_value"]
    assert (err.cell, err.sheet, err.target, err.severity) == (ref21, layout.FORM_SHEET, "2.1",
                                                               ERROR)
    assert values["2.1"] is None and "công thức" in err.message
    assert not [f for f in chk.findings if f.code == "missing_value" and f.target == "2.1"]


# -- values as people type them -------------------------------------------------------------
def test_typed_values(vhxh, tmp_path):
    _, plan, period, forms = vhxh
    path = complete(plan, forms, VHXH, tmp_path / "v.xlsx", **{
        "1_1": Fill(value="12,5"), "2_1": Fill(value="12.5"), "2_2": Fill(value="45%"),
        "6_1": Fill(value=0.45), "6_2": Fill(value=" 7 ")})
    wb = openpyxl.load_workbook(path)
    ws = wb[layout.FORM_SHEET]
    ws.cell(rows_by_code(ws)["6.1"], VALUE_COL).number_format = "0%"
    wb.save(path)
    chk = check_return(read_return(path), plan, period=period)
    assert {v.code: v.value for v in chk.values} == {
        "1.1": 12.5, "2.1": 12.5, "2.2": 45, "6.1": 45, "6.2": 7}
    assert chk.status == "accepted", chk.findings


def test_text_in_number_cell(vhxh, tmp_path):
    _, plan, period, forms = vhxh
    path = complete(plan, forms, TTDV, tmp_path / "t.xlsx", **{"6_3": Fill(value="chưa có")})
    ws = openpyxl.load_workbook(path)[layout.FORM_SHEET]
    ref = f"{layout.col_letter(VALUE_COL - 1)}{rows_by_code(ws)['6.3']}"
    chk = check_return(read_return(path), plan, period=period)
    (f,) = [f for f in chk.findings if f.code == "not_a_number"]
    assert (f.file, f.sheet, f.cell, f.target) == ("t.xlsx", layout.FORM_SHEET, ref, "6.3")
    assert "'chưa có'" in f.message and "không phải là số" in f.message
    assert chk.status == "needs_fixes"


# -- an older form version -----------------------------------------------------------------
def test_old_form_version_mapped_by_code(vhxh, tmp_path):
    """The plan was revised after the forms went out: a target dropped from the unit and
    another added. The old return is read by code and both changes are reported."""
    import copy

    _, plan, period, forms = vhxh
    path = complete(plan, forms, VHXH, tmp_path / "old.xlsx")
    revised = copy.deepcopy(plan)
    unit = revised.unit(VHXH)
    unit.indicators = [c for c in unit.indicators if c != "6.2"] + ["2.3"]
    assert revised.identity() == plan.identity()
    chk = check_return(read_return(path), revised, period=period)
    got = {f.code: f for f in chk.findings}
    assert got["old_form"].severity == WARNING
    assert got["missing_row"].target == "2.3" and "phiên bản cũ" in got["missing_row"].message
    assert got["unexpected_row"].target == "6.2"
    assert {v.code for v in chk.values} == {"1.1", "2.1", "2.2", "6.1"}
