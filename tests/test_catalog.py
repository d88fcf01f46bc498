"""The national indicator catalog (package data) and the linking of plan rows to it."""

from __future__ import annotations

import re
import unicodedata

from bdg_excel.plan import catalog
from bdg_excel.plan.model import MEASURES, infer_measure


def test_catalog_loads_every_goal_and_target():
    cat = catalog.load()
    assert "28/NQ-CP" in cat.source and cat.version
    assert [n for n, _ in cat.goals] == [1, 2, 3, 4, 5, 6]
    codes = [t.code for t in cat.targets]
    assert len(codes) == len(set(codes)) >= 20
    assert {"QG-1.1", "QG-3.2a", "QG-3.2b", "QG-4.1", "QG-4.2", "QG-4.3", "QG-6.2"} <= set(codes)
    for t in cat.targets:
        assert re.fullmatch(r"QG-[1-6]\.\d[a-z]?", t.code), t.code
        assert t.indicator == t.code.rstrip("ab") and t.goal == int(t.code[3])
        assert t.measure in MEASURES and t.direction in ("increase", "decrease", "keep")
        assert t.phrases and unicodedata.is_normalized("NFC", t.text)
        if t.unit is not None:      # the stored scale is what the plan model would infer
            assert infer_measure(t.unit, ">=") == (t.measure, t.factor), t.code
    assert cat.get("QG-4.2").factor == 100000 and cat.get("QG-9.9") is None
    assert cat.get("QG-4.1").target_2030 == {"op": "<=", "value": 109, "max": None}
