"""Returns saved by other spreadsheet programs come back with the values typed: Gnumeric
(ssconvert: .xlsx, .xls, .ods — its .xls makes calamine take numbers for dates, its .ods
stops calamine: the fallback readers take over) and LibreOffice (.xlsm). A binary .xlsb
is named clearly."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from bdg_excel.forms import layout
from bdg_excel.intake.collect import collect
from bdg_excel.demo import Fill, fill_form
from bdg_excel.intake.returns import read_return
from bdg_excel.intake.validate import check_return

SSCONVERT = shutil.which("ssconvert")
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
VHXH = "Phòng Văn hóa – Xã hội"
TYPED = [12, 3.5, 0, 1234567, 45, 7.25, 60]


@pytest.fixture(scope="module")
def typed(tmp_path_factory):
    from bdg_excel.workflow import generate, init_workspace, load

    root = tmp_path_factory.mktemp("other")
    ws = init_workspace(root / "ws", "binh-lu")
    plan = load(ws)
    forms = generate(ws, plan, "2026")
    unit = plan.unit(VHXH)
    fills = {t.code: Fill(value=TYPED[i % len(TYPED)])
             for i, t in enumerate(plan.unit_targets(unit))}
    tasks = {layout.task_code(i): (layout.TASK_STATUSES[0], "x") for i in range(len(unit.tasks))}
    form = next(f.path for f in forms if f.unit == VHXH)
    src = fill_form(form, root / "typed.xlsx", fills, tasks)
    return ws, plan, src, {code: float(f.value) for code, f in fills.items()}


def _values(path, plan):
    data = read_return(path)
    chk = check_return(data, plan, period="2026")
    return data, chk, {v.code: v.value for v in chk.values}


@pytest.mark.skipif(SSCONVERT is None, reason="gnumeric (ssconvert) not installed")
@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_saved_by_gnumeric(typed, tmp_path, fmt):
    ws, plan, src, want = typed
    out = tmp_path / f"gnumeric.{fmt}"
    subprocess.run([SSCONVERT, str(src), str(out)], check=True, capture_output=True, timeout=120)
    data, chk, got = _values(out, plan)
    assert data.readable and data.kind == fmt and chk.unit.name == VHXH, chk.findings
    assert got == want                               # numbers as numbers, never dates
    assert all(type(v) is float for v in got.values())


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice not installed")
def test_saved_by_libreoffice_as_xlsm(typed, tmp_path):
    ws, plan, src, want = typed
    subprocess.run([SOFFICE, f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless",
                    "--convert-to", "xlsm:Calc MS Excel 2007 VBA XML", "--outdir",
                    str(tmp_path), str(src)], check=True, capture_output=True, timeout=180)
    data, chk, got = _values(tmp_path / "typed.xlsm", plan)
    assert data.readable and chk.unit.name == VHXH and got == want


def test_xlsb_is_named_clearly(typed, tmp_path):
    ws, plan, src, want = typed
    xlsb = ws.inbox / "bao-cao.xlsb"
    with zipfile.ZipFile(xlsb, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.bin", b"\x83\x01\x00")
    (cf,) = collect(ws, plan, period="2026", workers=1).files
    assert cf.status == "rejected" and cf.kind == "xlsb"
    assert cf.findings[0].code == "file_xlsb" and ".xlsb" in cf.findings[0].message


@pytest.mark.skipif(SSCONVERT is None, reason="gnumeric (ssconvert) not installed")
def test_library_warnings_never_reach_the_console(typed, tmp_path, capfd):
    """openpyxl warns about Gnumeric's workbooks ("no default style") when the checker
    looks at a cell format: never shown to the officer."""
    import warnings

    from bdg_excel.cli import main

    ws, plan, src, want = typed
    out = ws.inbox / "gnumeric.xlsx"
    subprocess.run([SSCONVERT, str(src), str(out)], check=True, capture_output=True, timeout=120)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert main(["collect", "-w", str(ws.root), "-q", "--workers", "1"]) == 0
    assert [str(w.message) for w in seen] == []
    printed = capfd.readouterr()
    assert "Warning" not in printed.out + printed.err
    assert "gnumeric.xlsx" in printed.out
