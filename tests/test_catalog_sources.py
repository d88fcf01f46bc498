"""Every figure of the national catalog records where it comes from, and a figure taken
from a local plan quotes that plan word for word (checked against the copies of the real
plans in tests/data/import/). A province plan never carries a figure the catalog lacks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bdg_excel.core import vn
from bdg_excel.plan import admin, catalog

PLANS = Path(__file__).parent / "data" / "import"
SOURCES = {"Tam Đường": PLANS / "ke-hoach-tam-duong-2021-2025.txt",
           "Bình Lư": PLANS / "ke-hoach-binh-lu-2026-2030.txt"}


def _squash(text: str) -> str:
    return " ".join(vn.nfc(text).split())


@pytest.mark.parametrize("t", catalog.load().targets, ids=lambda t: t.code)
def test_every_figure_has_a_source(t):
    for year, figure in (("2025", t.target_2025), ("2030", t.target_2030)):
        source = t.figures_source.get(year)
        assert bool(figure) == bool(source), (t.code, year)
        for place, path in SOURCES.items():
            if source and place in source.split(":")[0]:
                text = _squash(path.read_text(encoding="utf-8"))
                for quote in re.findall(r"«(.+?)»", source):
                    for part in quote.split("…"):
                        assert _squash(part.strip()) in text, (t.code, year, part)


def test_the_figures_found_in_the_plans():
    cat = catalog.load()
    assert cat.get("QG-5.4a").target_2030 == {"op": ">=", "value": 50, "max": None}
    assert "từ năm 2025 trở đi" in cat.get("QG-5.4a").figures_source["2030"]
    assert cat.get("QG-5.2a").target_2025 == {"op": ">", "value": 99, "max": None}
    assert cat.get("QG-5.2b").target_2025 == {"op": ">", "value": 95, "max": None}
    # no source gives these a 2030 figure: none is made up
    for code in ("QG-5.2a", "QG-5.2b", "QG-5.4b"):
        assert cat.get(code).target_2030 is None and cat.get(code).figures_source["2030"] is None
    assert cat.get("QG-5.2a").latest_target() == ({"op": ">", "value": 99, "max": None}, 2025)
    assert cat.get("QG-4.1").latest_target() == (cat.get("QG-4.1").target_2030, 2030)


def test_the_catalog_prints_its_sources(capsys):
    from bdg_excel.cli import main

    assert main(["catalog", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    row = next(t for t in data["targets"] if t["code"] == "QG-5.4a")
    assert row["figures_source"]["2030"].startswith("Kế hoạch huyện Tam Đường")
    assert main(["catalog"]) == 0
    assert "Nguồn số liệu năm 2025: Kế hoạch huyện Tam Đường" in capsys.readouterr().out


def test_a_province_plan_has_a_target_on_every_row():
    plan = admin.province_plan("Điện Biên")
    for t in plan.targets():
        nat = catalog.load().get(t.national)
        figure, year = nat.latest_target()
        assert t.year == year
        if t.op != "qualitative":
            assert (t.op, t.value) == (figure["op"], figure["value"]), t.code
    assert plan.reports[0].due is None and plan.reports[0].kind == "annual"
    assert admin.province_plan("Điện Biên", due="11-30").reports[0].due == "11-30"
