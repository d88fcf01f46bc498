"""Shared fixtures. Plans come from the hand-checked JSON in tests/data/plans (built by
reading the plan texts, not by the code under test); workspaces are built in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bdg_excel.plan.model import Plan
from bdg_excel.workflow import generate, init_workspace, load

DATA = Path(__file__).parent / "data"
PLANS = ("binh-lu", "tam-duong", "lai-chau-vp")


def load_plan_json(name: str) -> Plan:
    with (DATA / "plans" / f"{name}.json").open(encoding="utf-8") as fh:
        return Plan.from_json(json.load(fh), name=name)


@pytest.fixture
def plan_of():
    """plan_of("binh-lu") -> Plan from the hand-checked JSON."""
    return load_plan_json


@pytest.fixture
def workspace(tmp_path):
    """A workspace with the bundled Bình Lư plan: (ws, plan)."""
    ws = init_workspace(tmp_path / "ws", "binh-lu")
    return ws, load(ws)


@pytest.fixture
def make_workspace(tmp_path):
    """make_workspace("tam-duong") -> (ws, plan, forms) with forms generated for 2026
    (or the plan's first year when 2026 is outside its period)."""
    def make(example: str = "binh-lu", period: str | None = None):
        ws = init_workspace(tmp_path / f"ws-{example}", example)
        plan = load(ws)
        if period is None:
            period = "2026" if plan.period_start <= 2026 <= plan.period_end else str(plan.period_end)
        forms = generate(ws, plan, period)
        return ws, plan, period, forms
    return make
