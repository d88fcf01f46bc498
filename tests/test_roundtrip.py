"""Property: generate -> fill (openpyxl, as another program would) -> collect ->
consolidate -> export keeps every value a unit typed."""

from __future__ import annotations

import json
import shutil

from hypothesis import HealthCheck, given, settings, strategies as st

from bdg_excel.demo import Fill, fill_form
from bdg_excel.workflow import consolidate_workspace, export, generate, init_workspace, load

decimals = st.decimals(min_value=0, max_value=100, places=2).map(float)
counts = st.integers(min_value=0, max_value=10_000)
fractions = st.tuples(st.integers(0, 5000), st.integers(1, 5000)).map(sorted).filter(
    lambda p: p[1] > 0)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_round_trip_keeps_every_value(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("rt")
    ws = init_workspace(root / "ws", "binh-lu")
    plan = load(ws)
    forms = generate(ws, plan, "2027")
    expected = {}
    for form in forms:
        unit = plan.unit(form.unit)
        fills = {}
        for t in plan.unit_targets(unit):
            if t.measure == "yesno":
                answer = data.draw(st.sampled_from(["Có", "Không"]))
                fills[t.code] = Fill(value=answer)
                # CONTRACT section 5: a yes/no row's value is 1 (Có) or 0 (Không)
                expected[(unit.name, t.code)] = (1 if answer == "Có" else 0, None, None)
            elif t.has_fraction:
                num, den = data.draw(fractions)
                as_text = data.draw(st.booleans())
                fills[t.code] = Fill(numerator=str(num) if as_text else num, denominator=den)
                expected[(unit.name, t.code)] = (num * (t.factor or 1) / den, num, den)
            else:
                v = data.draw(counts)
                fills[t.code] = Fill(value=v)
                expected[(unit.name, t.code)] = (v, None, None)
        tasks = {f"NV{i + 1}": ("Đang thực hiện", f"Mô tả {i}") for i in range(len(unit.tasks))}
        fill_form(form.path, ws.inbox / form.path.name, fills, tasks)
    consolidate_workspace(ws, plan, "2027", workers=1)
    rows = json.loads(export(ws, plan, "2027", "json"))
    assert len(rows) == len(expected)
    for r in rows:
        value, num, den = expected[(r["unit"], r["code"])]
        assert r["status"] in ("accepted", "needs_fixes"), r
        assert r["numerator"] == num and r["denominator"] == den
        if value is None:
            assert r["value"] is None
        else:
            assert abs(r["value"] - value) <= 1e-9 * max(1, abs(value)), (r, value)
    shutil.rmtree(root)
