"""The national indicator catalog: the indicators and targets of the National Strategy on
Gender Equality 2021–2030 (Nghị quyết 28/NQ-CP), each with its national code (CONTRACT
section 2: ``QG-4.1``, ``QG-3.2a``), and the linking of a plan's target rows to them.

The catalog is package data (``bdg_excel/plan/data/national-catalog.json``); ``load()``
reads it once. ``link()`` finds the national target a plan's row implements from its text
and unit of measure, never from its local number. ``link_plan()`` fills ``Target.national``
where a plan has none (plans read without links: older workbooks, JSON).

API (stable; other modules build on it):

- ``load() -> Catalog``; ``Catalog.get(code) -> NationalTarget | None``;
  ``Catalog.targets`` in catalog order; ``Catalog.source``, ``Catalog.version``.
- ``link(text, unit=None, *, goal=None) -> Link`` (``Link.code`` None when no national
  target fits; ``Link.confidence`` 0 … 1; ``Link.sure`` True at or above ``SURE``).
- ``link_plan(plan, *, overwrite=False) -> dict[str, Link]`` by target-row code.
- ``same_measure(unit_a, unit_b) -> bool``: two units of measure mean the same scale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

#: Confidence at or above which a link is taken without asking the officer.
SURE = 0.8


@dataclass(frozen=True)
class NationalTarget:
    code: str                       # "QG-3.2a"
    indicator: str                  # "QG-3.2"
    goal: int
    text: str
    unit: str | None                # as the resolution writes it: "%", "/100.000", …; None: yes/no
    measure: str                    # plan.model.MEASURES
    factor: float | None
    direction: str                  # "increase" | "decrease" | "keep"
    target_2025: dict | None        # {"op": ">=", "value": 80, "max": None} or None
    target_2030: dict | None
    phrases: tuple[str, ...] = ()
    #: False where the 2025/2030 figures were not checked against the resolution's text
    figures_checked: bool = True


@dataclass(frozen=True)
class Catalog:
    source: str
    version: str
    targets: tuple[NationalTarget, ...] = field(default_factory=tuple)
    goals: tuple[tuple[int, str], ...] = ()    # (number, title) of the strategy's six goals
    note: str = ""

    def get(self, code: str | None) -> NationalTarget | None:
        return next((t for t in self.targets if t.code == code), None)


@dataclass(frozen=True)
class Link:
    code: str | None
    confidence: float
    reason: str = ""

    @property
    def sure(self) -> bool:
        return self.code is not None and self.confidence >= SURE


DATA = "data/national-catalog.json"


@lru_cache(maxsize=1)
def load() -> Catalog:
    """The catalog shipped with the package (read once)."""
    raw = json.loads(resources.files(__package__).joinpath(DATA).read_text(encoding="utf-8"))
    return Catalog(
        source=raw["source"], version=raw["version"], note=raw.get("note", ""),
        goals=tuple((g["number"], g["title"]) for g in raw.get("goals", ())),
        targets=tuple(NationalTarget(
            code=t["code"], indicator=t["indicator"], goal=t["goal"], text=t["text"],
            unit=t["unit"], measure=t["measure"], factor=t["factor"], direction=t["direction"],
            target_2025=t["target_2025"], target_2030=t["target_2030"],
            phrases=tuple(t.get("phrases", ())), figures_checked=t.get("figures_checked", True))
            for t in raw["targets"]))


def link(text: str, unit: str | None = None, *, goal: int | None = None) -> Link:
    return Link(None, 0.0)


def link_plan(plan, *, overwrite: bool = False) -> dict[str, Link]:
    return {}


def same_measure(unit_a: str | None, unit_b: str | None) -> bool:
    return (unit_a or "").strip() == (unit_b or "").strip()
