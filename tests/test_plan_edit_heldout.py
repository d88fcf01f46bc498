"""Held-out cases for correcting a plan workbook in place (bdg_excel.plan.edit), written
before the module: each case edits a copy of a bundled plan (or a copy LibreOffice saved
again), reads it back with load_plan and compares the whole plan JSON with the
expected one; a refused edit must leave the file byte for byte unchanged and name the
sheet. Scored once, at the end of the work (see the issue note)."""

from __future__ import annotations

import copy
import shutil
import subprocess

import pytest

from bdg_excel.core.errors import PlanEditError
from bdg_excel.plan import edit
from bdg_excel.plan.planbook import example_path, load_plan

SOFFICE = shutil.which("soffice")


def _copy(tmp_path, name, resave=False):
    path = tmp_path / f"{name}.xlsx"
    shutil.copy(example_path(name), path)
    if resave:
        if not SOFFICE:
            pytest.skip("needs LibreOffice")
        out = tmp_path / "lo"
        subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/prof",
                        "--convert-to", "xlsx", "--outdir", str(out), str(path)],
                       check=True, capture_output=True, timeout=180)
        path = out / path.name
    return path


def _json(path):
    return load_plan(path).to_json()


def _target(data, code):
    return next(t for i in data["indicators"] for t in i["targets"] if t["code"] == code)


def _unit(data, name):
    return next(u for u in data["units"] if u["name"] == name)


def test_value_and_year_of_a_target(tmp_path):
    path = _copy(tmp_path, "tam-duong")
    want = _json(path)
    _target(want, "2.1").update(value=55, year=2024)
    edit.set_target(path, "2.1", value="55", year="2024")
    assert _json(path) == want


def test_between_target(tmp_path):
    path = _copy(tmp_path, "binh-lu")
    want = _json(path)
    _target(want, "2.2").update(op="between", value=40, max=60.5)
    edit.set_target(path, "2.2", op="between", value="40", max="60,5")
    assert _json(path) == want


def test_qualitative_target_clears_the_value(tmp_path):
    path = _copy(tmp_path, "tam-duong")
    want = _json(path)
    _target(want, "2.3").update(op="qualitative", value=None, max=None, unit=None)
    edit.set_target(path, "2.3", op="qualitative", value=None, max=None, unit=None)
    assert _json(path) == want


def test_assignment_and_tasks_replaced(tmp_path):
    path = _copy(tmp_path, "binh-lu")
    want = _json(path)
    name = "Phòng Kinh tế"
    _unit(want, name).update(indicators=["2.3", "1.1", "5.1"],
                             tasks=["Theo dõi lao động nữ.", "Báo cáo 6 tháng."])
    edit.set_assignment(path, name, indicators=["2.3", "1.1", "5.1"],
                        tasks=["Theo dõi lao động nữ.", "Báo cáo 6 tháng."])
    assert _json(path) == want


def test_assignment_emptied_other_units_untouched(tmp_path):
    path = _copy(tmp_path, "tam-duong")
    want = _json(path)
    name = "Phòng Lao động - Thương binh và Xã hội"
    _unit(want, name)["indicators"] = []
    edit.set_assignment(path, name, indicators=[])
    assert _json(path) == want


def test_unit_named_in_other_case(tmp_path):
    path = _copy(tmp_path, "binh-lu")
    want = _json(path)
    _unit(want, "Trạm Y tế xã")["indicators"] = ["4.1", "4.2"]
    edit.set_assignment(path, "TRẠM Y TẾ XÃ", indicators="4.1, 4.2")
    assert _json(path) == want


def test_deadline_in_a_libreoffice_copy(tmp_path):
    path = _copy(tmp_path, "binh-lu", resave=True)
    want = _json(path)
    want["reports"][0]["due"] = "12-15"
    edit.set_deadline(path, "annual", due="15/12")
    assert _json(path) == want


def test_deadline_added_when_the_plan_has_none(tmp_path):
    path = _copy(tmp_path, "lai-chau-vp")
    want = _json(path)
    want["reports"].append({"kind": "once", "due": "2027-01-15", "to": None})
    edit.set_deadline(path, "once", due="15/01/2027")
    assert _json(path) == want


def test_semiannual_deadline_kept_apart_from_the_annual_one(tmp_path):
    path = _copy(tmp_path, "tam-duong")
    want = _json(path)
    want["reports"][0]["due"] = "06-10"
    edit.set_deadline(path, "semiannual", due="10/6")
    assert _json(path) == want


@pytest.mark.parametrize("call, sheet", [
    (lambda p: edit.set_assignment(p, "Phòng Kinh tế", indicators=["9.9"]), "Phân công"),
    (lambda p: edit.set_deadline(p, "annual", due="31/02"), "Báo cáo"),
    (lambda p: edit.set_target(p, "1.1", value="abc"), "Chỉ tiêu"),
    (lambda p: edit.set_target(p, "7.7", value="5"), "Chỉ tiêu"),
    (lambda p: edit.set_assignment(p, "Đơn vị không có", indicators=["1.1"]), "Đơn vị"),
])
def test_refused_edits_leave_the_file_alone(tmp_path, call, sheet):
    path = _copy(tmp_path, "binh-lu")
    before = path.read_bytes()
    with pytest.raises(PlanEditError) as exc:
        call(path)
    assert sheet in str(exc.value) and path.name in str(exc.value)
    assert path.read_bytes() == before


def test_formatting_is_kept(tmp_path):
    from openpyxl import load_workbook

    path = _copy(tmp_path, "tam-duong")

    def look(p):
        wb = load_workbook(p)
        ws = wb["Chỉ tiêu"]
        return ({k: d.width for k, d in ws.column_dimensions.items()}, ws.freeze_panes,
                ws["A1"].font.b, ws["A1"].fill.fgColor.rgb, len(ws.data_validations.dataValidation))

    before = look(path)
    edit.set_target(path, "1.1", value="65")
    assert look(path) == before
    assert copy.deepcopy(_target(_json(path), "1.1"))["value"] == 65
