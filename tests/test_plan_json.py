"""``bdg-excel plan import PLAN.json -o PLAN.xlsx``: the plan JSON of CONTRACT section 3 as a
province's own system or a script writes it."""

from __future__ import annotations

import json

import pytest

from bdg_excel.core.errors import PlanError
from bdg_excel.plan import planbook
from bdg_excel.plan.planjson import check, read_plan_json

from cycle_helpers import run_cli
from test_rollup_meaning import ADOLESCENT, CHILD_MARRIAGE, MATERNAL, SEX_RATIO, plan_json


def _data(**changes) -> dict:
    rows = {"4.1": SEX_RATIO, "4.2": MATERNAL, "4.3": ADOLESCENT, "4.9": CHILD_MARRIAGE}
    data = plan_json("Ủy ban nhân dân xã Nậm Cuổi", "20/KH-UBND", rows,
                     {"Trạm Y tế xã": ["4.1", "4.2", "4.3", "4.9"]})
    data.update(changes)
    return data


def _write(tmp_path, data, name="ke-hoach.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_plan_json_becomes_a_plan_workbook(tmp_path, capsys):
    src = _write(tmp_path, _data())
    out = tmp_path / "ke-hoach.xlsx"
    code, text, err = run_cli(capsys, "plan", "import", src, "-o", out)
    assert code == 0, err
    plan = planbook.load_plan(out)
    assert [t.code for t in plan.targets()] == ["4.1", "4.2", "4.3", "4.9"]
    assert plan.units[0].indicators == ["4.1", "4.2", "4.3", "4.9"]
    assert plan.issuer == "Ủy ban nhân dân xã Nậm Cuổi"
    t = plan.targets()[1]
    assert (t.op, t.value, t.unit, t.measure, t.factor) == ("<=", 45, "/100.000", "rate", 100000)
    # an existing workbook is replaced only with --force
    code, text, err = run_cli(capsys, "plan", "import", src, "-o", out)
    assert code != 0 and "--force" in err + text


def test_national_codes_kept_linked_or_left_local(tmp_path):
    data = _data()
    targets = [t for ind in data["indicators"] for t in ind["targets"]]
    del targets[0]["national"]           # omitted: linked from its text
    targets[1]["national"] = "QG-4.2"    # given: kept
    del targets[2]["national"]
    # 4.9 child marriage: "national": null, a local indicator, stays local
    plan = read_plan_json(_write(tmp_path, data))
    got = {t.code: t.national for t in plan.targets()}
    assert got == {"4.1": "QG-4.1", "4.2": "QG-4.2", "4.3": "QG-4.3", "4.9": None}


def _problems(data) -> list[str]:
    return check(data)


@pytest.mark.parametrize("edit,field,words", [
    (lambda d: d["indicators"][0]["targets"][0].update(op="≥"),
     "indicators[0].targets[0].op", ">=, >"),
    (lambda d: d["indicators"][1].update(goal="4"), "indicators[1].goal", "số nguyên"),
    (lambda d: d["indicators"][1]["targets"][0].update(value="45"),
     "indicators[1].targets[0].value", "một số"),
    (lambda d: d["indicators"][1]["targets"][0].update(national="4.2"),
     "indicators[1].targets[0].national", "QG-4.1"),
    (lambda d: d["units"][0]["indicators"].append("7.7"), "units[0].indicators[4]", "7.7"),
    (lambda d: d["reports"][0].update(due="30/11"), "reports[0].due", "MM-DD"),
    (lambda d: d["reports"][0].update(kind="yearly"), "reports[0].kind", "annual"),
    (lambda d: d.pop("indicators"), "indicators", "thiếu"),
    (lambda d: d.update(period={"start": 2030, "end": 2026}), "period", "2030"),
    (lambda d: d["indicators"][2].update(code="4.1"), "indicators[2].code", "trùng"),
    (lambda d: d["indicators"][0]["targets"][0].update(op="between", max=None),
     "indicators[0].targets[0].max", "cận trên"),
    (lambda d: d.update(upward={"to": "Sở Nội vụ", "due": 1215}), "upward.due", "MM-DD"),
])
def test_each_bad_field_is_named(edit, field, words):
    data = _data()
    edit(data)
    problems = _problems(data)
    assert any(p.startswith(f"trường {field}:") and words in p for p in problems), problems


def test_bad_json_is_refused_in_vietnamese(tmp_path, capsys):
    data = _data()
    data["indicators"][0]["targets"][0]["op"] = "≥"
    data["reports"][0]["due"] = "30/11"
    src = _write(tmp_path, data)
    code, out, err = run_cli(capsys, "plan", "import", src, "-o", tmp_path / "x.xlsx")
    assert code == 1
    assert "ke-hoach.json" in err and "2 lỗi" in err
    assert "trường indicators[0].targets[0].op" in err and "trường reports[0].due" in err
    assert not (tmp_path / "x.xlsx").exists()
    broken = tmp_path / "hong.json"
    broken.write_text('{"title": "Kế hoạch",\n "goals": [,]}', encoding="utf-8")
    code, out, err = run_cli(capsys, "plan", "import", broken, "-o", tmp_path / "y.xlsx")
    assert code == 1 and "hong.json" in err and "dòng 2" in err
    with pytest.raises(PlanError, match="không đúng dạng"):
        read_plan_json(_write(tmp_path, [1, 2], "list.json"))


def test_a_province_plan_json_expands_all_communes(tmp_path, capsys):
    data = _data(issuer="Ủy ban nhân dân tỉnh Lai Châu")
    data["units"].append({"name": "UBND các xã, phường", "indicators": ["4.1", "4.2"],
                          "tasks": ["Triển khai kế hoạch tại địa phương"], "email": None})
    out = tmp_path / "tinh.xlsx"
    code, text, err = run_cli(capsys, "plan", "import", _write(tmp_path, data), "-o", out)
    assert code == 0, err
    plan = planbook.load_plan(out)
    names = [u.name for u in plan.units]
    assert len(names) == 39 and "UBND xã Nậm Cuổi" in names and "UBND các xã, phường" not in names
    assert "38 xã, phường" in text
