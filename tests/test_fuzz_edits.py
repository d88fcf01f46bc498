"""The edit fuzzer, bounded: random sequences of realistic unit edits applied to a filled
form (openpyxl; one fixed run through LibreOffice per format), then `consolidate`: it
exits 0, no input byte is lost, and every filled value comes through exactly or is named
in a finding. A longer run: tools/fuzz_edits.py --examples N."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import fuzz_edits as fz
from bdg_excel.forms import layout
from bdg_excel.demo import Fill, fill_form
from bdg_excel.workflow import generate, init_workspace, load
from bdg_excel.core.workspace import Workspace

UNIT = "Phòng Văn hóa – Xã hội"

edits = st.lists(st.builds(fz.Edit, st.sampled_from(fz.EDIT_KINDS), st.integers(0, 50),
                           st.integers(0, 50), st.sampled_from([""] + fz.ODD_VALUES)),
                 min_size=1, max_size=6)
values = st.lists(st.one_of(st.integers(0, 10**7), st.floats(0, 100, allow_nan=False).map(
    lambda x: round(x, 2))), min_size=8, max_size=8)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    ws = init_workspace(root / "ws", "binh-lu")
    plan = load(ws)
    forms = generate(ws, plan, "2026")
    form = next(f.path for f in forms if f.unit == UNIT)
    return ws, plan, form


def run_case(base, case: fz.Case, nums: list, lo_profile: Path | None = None) -> None:
    ws0, plan, form = base
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        root = Path(tmp) / "ws"
        shutil.copytree(ws0.root, root, ignore=shutil.ignore_patterns("archive", "inbox",
                                                                     "phan-hoi", ".bdg"))
        (root / "inbox").mkdir()
        ws = Workspace.open(root)
        unit = plan.unit(UNIT)
        fills = {t.code: Fill(value=nums[i % len(nums)])
                 for i, t in enumerate(plan.unit_targets(unit))}
        tasks = {layout.task_code(i): (layout.TASK_STATUSES[0], "x")
                 for i in range(len(unit.tasks))}
        path = fill_form(form, ws.inbox / case.name, fills, tasks)
        fz.apply(path, case)
        if case.convert:
            path = fz.convert(path, case.convert, lo_profile)
        fz.wrap(path, case.container)
        fz.check_case(ws, {c: float(f.value) for c, f in fills.items()}, case)


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(edits=edits, nums=values, container=st.sampled_from(fz.CONTAINERS))
def test_random_unit_edits_never_stop_the_run_nor_lose_a_value(base, edits, nums, container):
    """… however the return arrives: as it is, in a folder, a zip, a zip in a zip, a
    saved e-mail."""
    run_case(base, fz.Case(edits, container=container), nums)


@pytest.mark.libreoffice
@pytest.mark.skipif(fz.SOFFICE is None, reason="LibreOffice not installed")
@pytest.mark.parametrize("fmt", ["ods", "xls", "xlsx"])
def test_edits_then_saved_by_libreoffice(base, tmp_path, fmt):
    case = fz.Case([fz.Edit("unprotect"), fz.Edit("insert_rows_above", 1, 1),
                    fz.Edit("merge_over_input", 1), fz.Edit("odd_value", 2, 1),
                    fz.Edit("rename_sheet", 0)], convert=fmt,
                   container={"ods": "zip", "xls": "eml", "xlsx": "folder"}[fmt])
    run_case(base, case, [12, 3.5, 0, 1234567, 45, 7.25, 60, 8], tmp_path / "lo")
