"""The national indicator catalog (package data) and the linking of plan rows to it."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from bdg_excel.core import vn
from bdg_excel.plan import catalog
from bdg_excel.plan.model import MEASURES, infer_measure

from cycle_helpers import run_cli


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
    assert sure.sure and sure.confidence >= catalog.SURE and "tử vong mẹ" in sure.reason
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


# -- bdg-excel catalog -------------------------------------------------------------------
def test_catalog_command_json_is_the_catalog(capsys):
    code, out, _ = run_cli(capsys, "catalog", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["source"] == catalog.load().source and data["version"]
    assert [t["code"] for t in data["targets"]] == [t.code for t in catalog.load().targets]
    qg42 = next(t for t in data["targets"] if t["code"] == "QG-4.2")
    assert (qg42["measure"], qg42["factor"], qg42["direction"]) == ("rate", 100000.0, "decrease")
    assert qg42["target_2030"] == {"op": "<", "value": 42, "max": None}
    assert "tử vong mẹ" in qg42["phrases"]


def test_catalog_command_text_is_vietnamese(capsys):
    code, out, _ = run_cli(capsys, "catalog")
    assert code == 0 and unicodedata.is_normalized("NFC", out)
    assert "28/NQ-CP" in out and "Mục tiêu 4: Trong lĩnh vực y tế" in out
    line = next(l for l in out.splitlines() if l.strip().startswith("QG-4.1"))
    assert "Tỷ số giới tính khi sinh" in line
    assert "năm 2030: ≤ 109 bé trai/100 bé gái" in out
    assert "năm 2025: ≥ 80%" in out                      # QG-3.2a
    code, out, _ = run_cli(capsys, "catalog", "--help")
    assert code == 0 and "Cách dùng: bdg-excel catalog" in out and "danh mục" in out
    code, _, err = run_cli(capsys, "catalog", "--format", "xml")
    assert code == 2 and "xml" in err


def test_link_held_out_phrasings_above_the_floor():
    """heldout.tsv was written before link() and scored once, after tuning: precision 1.00,
    recall 0.85 (23 of 27 national rows; the 4 missed were left local with the right code
    suggested, none linked wrongly). The floor: no wrong link in 20, four in five found."""
    rows = list(phrasings("heldout.tsv"))
    assert len(rows) >= 25
    precision, recall, wrong = precision_recall(rows)
    assert precision >= 0.95 and recall >= 0.80, wrong
