"""The national indicator catalog (package data) and the linking of plan rows to it."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from bdg_excel.core import vn
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


# -- link() on phrasings -----------------------------------------------------------------
CATALOG_DATA = Path(__file__).parent / "data" / "catalog"


def phrasings(name: str):
    """(expected code or None, unit, text) from a .tsv of tests/data/catalog; the form
    column turns the text into NFD or strips its accents."""
    for line in (CATALOG_DATA / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        expected, unit, form, text = line.split("\t")
        if form == "nfd":
            text = unicodedata.normalize("NFD", text)
        elif form == "ascii":
            text = vn.strip_accents(text)
        yield (None if expected == "-" else expected), (unit or None), text


def precision_recall(rows) -> tuple[float, float, list[str]]:
    tp = fp = fn = 0
    wrong = []
    for expected, unit, text in rows:
        got = catalog.link(text, unit).code
        if got == expected:
            tp += got is not None
            continue
        wrong.append(f"{text!r}: {got} (expected {expected})")
        fp += got is not None
        fn += expected is not None
    return tp / ((tp + fp) or 1), tp / ((tp + fn) or 1), wrong


def test_link_tuned_phrasings_all_right():
    precision, recall, wrong = precision_recall(phrasings("tuned.tsv"))
    assert wrong == []


@pytest.mark.parametrize("text,unit,code", [
    ("4.2. Tỷ lệ tử vong bà mẹ liên quan đến thai sản dưới 46/100.000", "/100.000", "QG-4.2"),
    ("Chỉ tiêu 4.1: Tỷ số giới tính khi sinh dưới 112", "bé trai/100 bé gái", "QG-4.1"),
    ("1.1 Tỷ số giới tính khi sinh dưới 112", "bé trai/100 bé gái", "QG-4.1"),
    ("TY SO GIOI TINH KHI SINH", None, "QG-4.1"),
])
def test_link_ignores_local_numbers_and_case(text, unit, code):
    assert catalog.link(text, unit).code == code


def test_link_carries_confidence_and_reason():
    sure = catalog.link("Tỷ lệ tử vong mẹ không quá 45/100.000 trẻ đẻ sống", "/100.000")
    assert sure.sure and sure.confidence >= catalog.SURE and "tu vong me" in sure.reason
    assert unicodedata.is_normalized("NFC", sure.reason)
    local = catalog.link("Tỷ lệ học sinh nữ tham gia câu lạc bộ thể thao đạt 40%", "%")
    assert local.code is None and not local.sure and local.confidence < catalog.KEEP
    assert catalog.link("", "%").code is None


def test_a_percent_is_not_a_rate_per_100000():
    """Child marriage in % under a maternal-mortality-like wording does not become sure."""
    pct = catalog.link("Tỷ lệ tử vong mẹ giảm 12%", "%")
    rate = catalog.link("Tỷ lệ tử vong mẹ giảm còn 40/100.000", "/100.000")
    assert rate.sure and rate.code == "QG-4.2"
    assert pct.confidence < rate.confidence and "trái với" in pct.reason


@pytest.mark.parametrize("a,b,same", [
    ("/100.000", "/100.000 trẻ đẻ sống", True),
    ("/100.000", "ca/100.000 trẻ sinh sống", True),
    ("%", "phần trăm", True),
    ("bé trai/100 bé gái", "bé trai/100 bé gái sinh ra sống", True),
    ("/1.000", "ca sinh/1.000 phụ nữ", True),
    ("%", "/100.000", False),
    ("/1.000", "/100.000", False),
    ("tin, bài/quý", "tin, bài/tháng", False),
    ("người", "lượt", False),
    (None, None, True),
    (None, "%", False),
])
def test_same_measure(a, b, same):
    assert catalog.same_measure(a, b) is same
    assert catalog.same_measure(b, a) is same
