"""Province and ministry workspaces (CONTRACT section 7): the official list of
administrative units, ``init --province`` / ``init --national``, matching a commune's or a
province's workbook to its unit, "UBND các xã, phường" in a province plan, and one
commune's and one province's workbooks rolled up a level."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from datetime import datetime

import pytest

from bdg_excel.intake import rollup
from bdg_excel.plan import admin
from bdg_excel.plan.model import Plan, Unit
from bdg_excel.workflow import consolidate_workspace, init_national, init_province, load

from cycle_helpers import Fill, drop, return_form, run_cli
from test_rollup_meaning import MATERNAL, SEX_RATIO, TALKS, plan_json, workspace


def test_the_official_list_has_34_provinces_and_3321_communes():
    data = admin.load()
    assert len(data.provinces) == 34
    kinds = Counter(u.kind for p in data.provinces for u in p.units)
    assert sum(kinds.values()) == 3321 and set(kinds) == {"xã", "phường", "đặc khu"}
    assert Counter(p.level for p in data.provinces) == {"tỉnh": 28, "thành phố": 6}
    assert max(len(p.units) for p in data.provinces) == 168
    assert data.data_version >= "2025-07-01"
    assert all(unicodedata.is_normalized("NFC", u.name) for p in data.provinces for u in p.units)


def test_the_shipped_list_is_the_packages():
    """Never typed by hand: the file is what tools/make_admin_units.py makes from the
    vietnam-provinces package (checked where the package is installed)."""
    pytest.importorskip("vietnam_provinces")
    import importlib.util
    from pathlib import Path

    tool = Path(__file__).parent.parent / "tools" / "make_admin_units.py"
    spec = importlib.util.spec_from_file_location("make_admin_units", tool)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    built = mod.build()
    shipped = json.loads(mod.OUT.read_text(encoding="utf-8"))
    assert built["provinces"] == shipped["provinces"]


@pytest.mark.parametrize("typed,name", [
    ("Lai Châu", "tỉnh Lai Châu"), ("lai chau", "tỉnh Lai Châu"), ("LAI CHÂU", "tỉnh Lai Châu"),
    ("tỉnh Lai Châu", "tỉnh Lai Châu"), (unicodedata.normalize("NFD", "Lai Châu"), "tỉnh Lai Châu"),
    ("Ủy ban nhân dân tỉnh Lai Châu", "tỉnh Lai Châu"), ("TP Hồ Chí Minh", "thành phố Hồ Chí Minh"),
    ("thanh pho ha noi", "thành phố Hà Nội"), ("Hue", "thành phố Huế"), ("Dak Lak", "tỉnh Đắk Lắk"),
])
def test_a_province_is_found_however_it_is_typed(typed, name):
    p = admin.find_province(typed)
    assert f"{p.level} {p.short}" == name


@pytest.mark.parametrize("typed", ["Lai Khau", "Hà Giang", "Bình Lư", "", "tỉnh"])
def test_no_province_for_other_names(typed):
    """Hà Giang merged into Tuyên Quang in 2025: it is no longer a province."""
    assert admin.find_province(typed) is None


def test_init_province_lists_every_commune_with_every_national_indicator(tmp_path, capsys):
    code, out, err = run_cli(capsys, "init", tmp_path / "lc", "--province", "lai chau")
    assert code == 0, err
    assert "38 đơn vị" in out
    plan = load(init_province(tmp_path / "lc", "Lai Châu").workspace)   # idempotent
    names = [u.name for u in plan.units]
    assert len(names) == 38 and "UBND xã Bình Lư" in names and "UBND phường Tân Phong" in names
    assert all(n.startswith(("UBND xã ", "UBND phường ")) for n in names)
    codes = [i.code for i in plan.indicators]
    assert all(u.indicators == codes for u in plan.units)
    assert plan.issuer == "Ủy ban nhân dân tỉnh Lai Châu"
    nationals = {t.national for t in plan.targets()}
    assert {"QG-4.1", "QG-3.2a", "QG-3.2b", "QG-6.4"} <= nationals and None not in nationals
    assert next(t for t in plan.targets() if t.national == "QG-4.2").year == 2030


def test_a_province_with_special_zones(tmp_path):
    p = admin.find_province("Quảng Ninh")
    offices = [u.office for u in p.units]
    assert any(o.startswith("UBND đặc khu ") for o in offices)


def test_init_province_refuses_an_unknown_province(tmp_path, capsys):
    code, out, err = run_cli(capsys, "init", tmp_path / "x", "--province", "Lai Khau")
    assert code == 2 and "Lai Khau" in err and "Lai Châu" in err
    assert not (tmp_path / "x").exists()
    code, out, err = run_cli(capsys, "init", tmp_path / "y", "--province", "Lai Châu",
                             "--national")
    assert code == 2


def test_init_national_lists_the_34_provinces(tmp_path, capsys):
    code, out, err = run_cli(capsys, "init", tmp_path / "bo", "--national")
    assert code == 0, err
    plan = load(init_national(tmp_path / "bo").workspace)
    names = [u.name for u in plan.units]
    assert len(names) == 34 and "UBND tỉnh Lai Châu" in names and "UBND thành phố Hà Nội" in names


def test_match_unit_uses_official_names():
    plan = admin.province_plan("Lai Châu")
    for written in ("Ủy ban nhân dân xã Bình Lư", "UBND XÃ BÌNH LƯ",
                    unicodedata.normalize("NFD", "ủy ban nhân dân xã Bình Lư"), "xã Bình Lư"):
        assert rollup.match_unit(plan, written).name == "UBND xã Bình Lư", written
    assert rollup.match_unit(plan, "Ủy ban nhân dân phường Tân Phong").name == \
        "UBND phường Tân Phong"
    assert rollup.match_unit(plan, "Ủy ban nhân dân xã Bình Lục") is None
    national = admin.national_plan()
    assert rollup.match_unit(national, "Ủy ban nhân dân tỉnh Lai Châu").name == \
        "UBND tỉnh Lai Châu"
    assert rollup.match_unit(national, "UBND thành phố Hồ Chí Minh").name == \
        "UBND thành phố Hồ Chí Minh"
    assert rollup.match_unit(national, "Sở Nội vụ tỉnh Lai Châu").name == "UBND tỉnh Lai Châu"
    assert rollup.match_unit(national, "Sở Y tế tỉnh Lai Châu") is None


def _plan_with(issuer: str, units: list[Unit]) -> Plan:
    plan = Plan(issuer=issuer, units=units)
    return plan


def test_all_communes_expand_in_a_province_plan():
    own = Unit("Ủy ban nhân dân xã Bình Lư", ["1.1"], ["Báo cáo riêng"])
    plan = _plan_with("Ủy ban nhân dân tỉnh Lai Châu", [
        Unit("Sở Y tế", ["4.1"]), own,
        Unit("UBND các xã, phường", ["4.1", "6.3"], ["Triển khai tại địa phương"])])
    added = admin.expand_communes(plan)
    assert len(added) == 37 and len(plan.units) == 39
    assert not any("các xã" in u.name for u in plan.units)
    assert own.indicators == ["1.1", "4.1", "6.3"] and len(own.tasks) == 2
    tan_phong = next(u for u in plan.units if u.name == "UBND phường Tân Phong")
    assert tan_phong.indicators == ["4.1", "6.3"] and tan_phong.tasks == ["Triển khai tại địa phương"]


@pytest.mark.parametrize("name", ["Ủy ban nhân dân các xã, phường, đặc khu", "UBND cấp xã",
                                  "ubnd các phường, xã"])
def test_ways_of_writing_all_communes(name):
    plan = _plan_with("UBND tỉnh Quảng Ninh", [Unit(name, ["1.1"])])
    assert len(admin.expand_communes(plan)) == len(admin.find_province("Quảng Ninh").units)


@pytest.mark.parametrize("issuer", ["Ủy ban nhân dân huyện Tam Đường", "UBND xã Bình Lư",
                                    "Văn phòng UBND tỉnh Lai Châu", None])
def test_no_expansion_without_a_province(issuer):
    plan = _plan_with(issuer, [Unit("UBND các xã, thị trấn", ["1.1"])])
    assert admin.expand_communes(plan) == [] and len(plan.units) == 1


# -- a commune's workbook into the province workspace, the province's into the ministry's
def _commune(tmp_path, issuer, figures):
    rows = {"4.1": SEX_RATIO, "4.2": MATERNAL, "6.9": TALKS}
    data = plan_json(issuer, "12/KH-UBND", rows, {"Trạm Y tế xã": list(rows)})
    ws, plan, forms = workspace(tmp_path / issuer[-8:], data)
    fills = {c: Fill(numerator=n, denominator=d) for c, (n, d) in figures.items()}
    return_form(ws, forms, "Trạm Y tế xã", {**fills, "6.9": Fill(value=5)},
                when=datetime(2026, 11, 20))
    return consolidate_workspace(ws, plan, "2026", workers=1).path


def test_province_and_ministry_roll_up(tmp_path):
    binh_lu = _commune(tmp_path, unicodedata.normalize("NFD", "ỦY BAN NHÂN DÂN XÃ BÌNH LƯ"),
                       {"4.1": (530, 500), "4.2": (1, 800)})
    tan_phong = _commune(tmp_path, "Ủy ban nhân dân phường Tân Phong",
                         {"4.1": (320, 290), "4.2": (0, 1200)})
    ws = init_province(tmp_path / "tinh", "Lai Châu").workspace
    plan = load(ws)                              # the plan workbook keeps national codes
    for path, name in ((binh_lu, "binh-lu.xlsx"), (tan_phong, "tan-phong.xlsx")):
        drop(path, ws.inbox, datetime(2026, 12, 5), name=name)
    res = consolidate_workspace(ws, plan, "2026", workers=1)
    units = {cf.name: (cf.unit, cf.status) for cf in res.collected.files}
    assert units == {"binh-lu.xlsx": ("UBND xã Bình Lư", "accepted"),
                     "tan-phong.xlsx": ("UBND phường Tân Phong", "accepted")}
    by = {r.target.national: r for r in res.consolidation.results}
    assert (by["QG-4.1"].numerator, by["QG-4.1"].denominator) == (850, 790)
    # the province's maternal mortality is per 100.000 live births: the same measure
    assert by["QG-4.2"].value == pytest.approx(100000 / 2000)
    assert by["QG-4.1"].contributed == 2 and len(by["QG-4.1"].unit_values) == 38
    # the communes' local row is named, not counted
    left = [f for cf in res.collected.files for f in cf.findings if f.code == "row_left_out"]
    assert {f.target for f in left} == {"6.9"}

    bo = init_national(tmp_path / "bo").workspace
    drop(res.path, bo.inbox, datetime(2026, 12, 20), name="lai-chau.xlsx")
    top = consolidate_workspace(bo, load(bo), "2026", workers=1)
    cf = top.collected.files[0]
    assert (cf.unit, cf.status) == ("UBND tỉnh Lai Châu", "accepted")
    by = {r.target.national: r for r in top.consolidation.results}
    assert (by["QG-4.1"].numerator, by["QG-4.1"].denominator) == (850, 790)
    assert by["QG-4.1"].units_reported == 1 and len(by["QG-4.1"].unit_values) == 34
    uv = next(uv for uv in by["QG-4.1"].unit_values if uv.value is not None)
    assert uv.note == "Tổng hợp từ 2/38 đơn vị"
