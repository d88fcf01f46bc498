"""Forms filled and saved by the real LibreOffice (headless) as .xlsx, .ods and .xls are
read right: values, task statuses, recognition through the hidden sheet. Skipped only
when soffice is not installed (CI installs libreoffice-calc-nogui)."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from bdg_excel.forms import layout
from bdg_excel.intake.collect import collect
from bdg_excel.demo import Fill, fill_form, plausible_fill
from bdg_excel.intake.returns import read_return
from bdg_excel.intake.validate import check_return

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [pytest.mark.libreoffice,
              pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed")]

VHXH = "Phòng Văn hóa – Xã hội"
TYT = "Trạm Y tế xã"             # ratio, rate, percent and yes/no rows


@pytest.fixture(scope="session")
def profile(tmp_path_factory):
    return tmp_path_factory.mktemp("lo-profile").as_uri()


def convert(src: Path, fmt: str, outdir: Path, profile: str) -> Path:
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                    "--convert-to", fmt, "--outdir", str(outdir), str(src)],
                   check=True, capture_output=True, timeout=120)
    out = outdir / f"{src.stem}.{fmt}"
    assert out.exists(), f"LibreOffice wrote no {out.name}"
    return out


@pytest.fixture(scope="module")
def filled(tmp_path_factory, profile):
    """One filled return per unit, and LibreOffice's .xlsx, .ods and .xls of each."""
    from bdg_excel.workflow import generate, init_workspace, load

    root = tmp_path_factory.mktemp("lo")
    ws = init_workspace(root / "ws", "binh-lu")
    plan = load(ws)
    forms = generate(ws, plan, "2026")
    rnd = random.Random(7)
    made = {}
    for unit_name in (VHXH, TYT):
        unit = plan.unit(unit_name)
        fills = {t.code: plausible_fill(t, rnd) for t in plan.unit_targets(unit)}
        first = plan.unit_targets(unit)[0]
        if first.measure == "percent":
            fills[first.code] = Fill(value="45%", source="Thống kê")
        tasks = {layout.task_code(i): (layout.TASK_STATUSES[i % 3], f"Kết quả {i}")
                 for i in range(len(unit.tasks))}
        form = next(f.path for f in forms if f.unit == unit_name)
        src = fill_form(form, root / "filled" / f"{unit.key[:10]}.xlsx", fills, tasks)
        made[unit_name] = {"fills": fills, "tasks": tasks, "openpyxl": src}
        for fmt in ("xlsx", "ods", "xls"):
            made[unit_name][fmt] = convert(src, fmt, root / f"lo-{fmt}", profile)
    return ws, plan, made


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "xls"])
@pytest.mark.parametrize("unit_name", [VHXH, TYT])
def test_saved_by_libreoffice_reads_the_same(filled, fmt, unit_name):
    ws, plan, made = filled
    case = made[unit_name]
    reference = check_return(read_return(case["openpyxl"]), plan, period="2026")
    data = read_return(case[fmt])
    chk = check_return(data, plan, period="2026")
    assert data.kind == fmt and data.meta.get("tool") == layout.TOOL_MARK   # hidden sheet kept
    assert chk.unit.name == unit_name and chk.period == "2026"
    assert chk.status == reference.status, chk.findings
    got = {v.code: (v.value, v.numerator, v.denominator, v.answer) for v in chk.values}
    want = {v.code: (v.value, v.numerator, v.denominator, v.answer) for v in reference.values}
    assert got == want
    assert {t["code"]: t["status"] for t in chk.tasks} == {k: s for k, (s, _) in
                                                          case["tasks"].items()}
    if unit_name == VHXH:
        assert got["1.1"][0] == 45                  # "45%" typed as text survives conversion


def test_libreoffice_recalculates_formulas_and_collect_takes_all_formats(filled, tmp_path,
                                                                         profile):
    """A formula written without a cached value (openpyxl) gets one when LibreOffice saves
    the file: the finding disappears and the value is used."""
    ws, plan, made = filled
    unit = plan.unit(VHXH)
    rows = {t.code: Fill(value=10) for t in plan.unit_targets(unit)}
    rows["1.1"] = Fill(value="=30+12")
    tasks = {layout.task_code(i): (layout.TASK_STATUSES[0], "x") for i in range(len(unit.tasks))}
    form = next(p for p in ws.forms_folder("2026").glob("*.xlsx") if "Văn-hóa" in p.name)
    src = fill_form(form, tmp_path / "formula.xlsx", rows, tasks)
    raw = check_return(read_return(src), plan, period="2026")
    assert "formula_no_value" in [f.code for f in raw.findings]
    saved = convert(src, "xlsx", tmp_path / "lo", profile)
    chk = check_return(read_return(saved), plan, period="2026")
    assert {v.code: v.value for v in chk.values}["1.1"] == 42
    assert "formula" in [f.code for f in chk.findings]
    assert "formula_no_value" not in [f.code for f in chk.findings]
    # and a collection of all three formats records each as accepted
    for fmt in ("ods", "xls"):
        shutil.copy(made[TYT][fmt], ws.inbox / f"tyt.{fmt}")
    shutil.copy(saved, ws.inbox / "vhxh.xlsx")
    res = collect(ws, plan, period="2026", workers=1)
    assert sorted((f.name, f.kind) for f in res.files) == [
        ("tyt.ods", "ods"), ("tyt.xls", "xls"), ("vhxh.xlsx", "xlsx")]
    assert {f.status for f in res.files} <= {"accepted", "superseded", "needs_fixes"}
