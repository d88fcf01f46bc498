"""Administrative units: the official list of the 34 provinces and their commune-level
units (xã, phường, đặc khu) after the reorganisation of 1 July 2025, and the plans built
on it — a province's plan whose units are its communes, a ministry's whose units are the
provinces — each unit assigned every national indicator (:mod:`bdg_excel.plan.catalog`).

The list is package data (``data/admin-units.json``), written at build time by
``tools/make_admin_units.py`` from the ``vietnam-provinces`` package (the General
Statistics Office's list); it is never typed by hand.

Names: a unit of a province plan is the commune's People's Committee, written
"UBND xã Bình Lư", "UBND phường Tân Phong", "UBND đặc khu Côn Đảo"; a unit of the
ministry's plan "UBND tỉnh Lai Châu", "UBND thành phố Hà Nội". :func:`admin_key` is the
canonical form names are compared on ("Ủy ban nhân dân" = "UBND", case, NFD).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..core import vn
from .model import Indicator, Plan, Target, Unit, infer_measure

_ADMIN_WORDS = (("ủy ban nhân dân", "ubnd"), ("hội đồng nhân dân", "hđnd"))


def admin_key(name: str) -> str:
    """Canonical form with "Ủy ban nhân dân" written "ubnd": "Ủy ban nhân dân xã Bình Lư",
    "UBND xã Bình Lư" and "ubnd Xã  Bình Lư" give the same key."""
    key = vn.canonical(name)
    for long, short in _ADMIN_WORDS:
        key = key.replace(long, short)
    return key


@dataclass(frozen=True)
class AdminUnit:
    code: int
    name: str            # as the official list writes it: "Xã Bình Lư"
    kind: str            # "xã" | "phường" | "đặc khu"

    @property
    def short(self) -> str:
        """"Bình Lư": the name without its kind."""
        return _without_kind(self.name, self.kind)

    @property
    def office(self) -> str:
        """"UBND xã Bình Lư": the unit of a province plan."""
        return f"UBND {self.kind} {self.short}"


@dataclass(frozen=True)
class Province:
    code: int
    name: str            # as the official list writes it: "Lai Châu", "Thành phố Hà Nội"
    kind: str            # "tỉnh" | "thành phố trung ương"
    units: tuple[AdminUnit, ...]

    @property
    def short(self) -> str:
        """"Lai Châu"."""
        return _without_kind(self.name, "thành phố" if self.kind.startswith("thành phố")
                             else self.kind)

    @property
    def level(self) -> str:
        """"tỉnh" or "thành phố"."""
        return "thành phố" if self.kind.startswith("thành phố") else "tỉnh"

    @property
    def office(self) -> str:
        """"UBND tỉnh Lai Châu": the unit of the ministry's plan, the issuer of the
        province's."""
        return f"UBND {self.level} {self.short}"


def _without_kind(name: str, kind: str) -> str:
    name = vn.clean(name)
    return name[len(kind):].strip() if name.lower().startswith(kind.lower() + " ") else name


@dataclass(frozen=True)
class AdminList:
    source: str
    data_version: str | None
    provinces: tuple[Province, ...]


@lru_cache(maxsize=1)
def load() -> AdminList:
    """The official list shipped with bdg-excel."""
    raw = json.loads(resources.files(__package__).joinpath("data", "admin-units.json")
                     .read_text(encoding="utf-8"))
    provinces = tuple(
        Province(p["code"], vn.nfc(p["name"]), p["kind"],
                 tuple(AdminUnit(u["code"], vn.nfc(u["name"]), u["kind"]) for u in p["units"]))
        for p in raw["provinces"])
    return AdminList(raw["source"], raw.get("data_version"), provinces)


def _loose(text: str) -> str:
    """A province name as typed: accents and case optional, "tỉnh"/"thành phố"/"TP." and
    "UBND" aside ("lai chau", "Tỉnh Lai Châu", "TP Hồ Chí Minh")."""
    key = " ".join(re.findall(r"[a-z0-9]+", vn.strip_accents(admin_key(text))))
    key = re.sub(r"^(ubnd|hdnd) ", "", key)
    return re.sub(r"^(tinh|thanh pho|tp) ", "", key)


def find_province(name: str | None) -> Province | None:
    """The province ``name`` names (accents, case and "tỉnh"/"thành phố" optional)."""
    if not name or not vn.clean(name):
        return None
    exact = admin_key(re.sub(r"(?i)^(tỉnh|thành phố|tp\.?)\s+", "", vn.clean(name)))
    loose = _loose(name)
    hits = [p for p in load().provinces if _loose(p.short) == loose]
    if len(hits) > 1:
        hits = [p for p in hits if admin_key(p.short) == exact] or hits
    return hits[0] if len(hits) == 1 else None


def province_names() -> list[str]:
    return [p.short for p in load().provinces]


def province_of(issuer: str | None) -> Province | None:
    """The province a plan's issuer is the People's Committee of ("Ủy ban nhân dân tỉnh
    Lai Châu", "UBND thành phố Hà Nội"), or None (a commune's, a department's …)."""
    if not issuer:
        return None
    m = re.match(r"^(?:ubnd|hđnd)?\s*(tỉnh|thành phố)\s+(.+)$", admin_key(issuer))
    return find_province(m.group(2)) if m else None


# -- plans of every national indicator ---------------------------------------------------
def national_indicators(year: int = 2030) -> tuple[list, list[Indicator]]:
    """(goals, indicators) of every national indicator of the catalog, coded as the
    resolution numbers them ("4.1", "3.2a" …, national "QG-4.1" …), with the catalog's
    target for ``year``, or its latest target with that target's year where it gives none
    for 2030 (never a figure made up)."""
    from . import catalog as cat
    from .model import Goal

    nat = cat.load()
    by_indicator: dict[str, list] = {}
    for t in nat.targets:
        by_indicator.setdefault(t.indicator, []).append(t)
    indicators = []
    for code, rows in by_indicator.items():
        local = code.removeprefix("QG-")
        goal, number = (int(x) for x in local.split("."))
        targets = []
        for t in rows:
            # the resolution's target for ``year``; a row it gives no 2030 figure carries
            # its latest one with that figure's year (2025: plan check says so); a row
            # with no figure at all keeps its unit with none, for the officer to set
            target, when = t.latest_target(year)
            target = target or {}
            op = target.get("op") or ("qualitative" if t.measure == "yesno" else
                                      _DIRECTION_OPS.get(t.direction, ">="))
            value = target.get("value") if op != "qualitative" else None
            measure, factor = infer_measure(t.unit, op)
            text = t.text if when == year or not target else \
                f"{t.text} (mục tiêu năm {when} của Chiến lược)"
            targets.append(Target(code=t.code.removeprefix("QG-"), op=op, value=value,
                                  max=target.get("max"), unit=t.unit, year=when,
                                  text=text, measure=measure, factor=factor,
                                  national=t.code))
        text = rows[0].text if len(rows) == 1 else _common_text(rows)
        indicators.append(Indicator(code=local, goal=goal, number=number, text=text,
                                    targets=targets))
    titles = dict(nat.goals)
    goals = [Goal(n, titles.get(n, f"Mục tiêu {n}"))
             for n in sorted({i.goal for i in indicators})]
    return goals, indicators


_DIRECTION_OPS = {"increase": ">=", "decrease": "<=", "keep": ">="}


def _common_text(rows) -> str:
    return "; ".join(r.text for r in rows)


def plan_of_units(issuer: str, place: str, units: list[str], *, title: str,
                  start: int = 2026, end: int = 2030, upward: str | None = None,
                  due: str | None = None, office: str | None = None) -> Plan:
    """A plan whose ``units`` each report every national indicator (2030 targets), in a
    yearly report to ``office`` due on ``due`` ("MM-DD")."""
    from .model import Report, Upward

    goals, indicators = national_indicators(end)
    codes = [i.code for i in indicators]
    plan = Plan(title=title, issuer=issuer, place=place, period_start=start, period_end=end,
                goals=goals, indicators=indicators,
                units=[Unit(name, indicators=list(codes)) for name in units])
    # no deadline is guessed: without ``due`` the yearly report's row has none and plan
    # check asks the officer for it
    plan.reports = [Report("annual", due, office)]
    if upward:
        plan.upward = Upward(upward, None)
    return plan


def province_plan(province: Province | str, **kw) -> Plan:
    """A province workspace's plan: every commune-level unit of the province as a unit."""
    p = province if isinstance(province, Province) else _require(province)
    return plan_of_units(f"Ủy ban nhân dân {p.level} {p.short}", p.short,
                         [u.office for u in p.units],
                         title=f"Kế hoạch thực hiện Chiến lược quốc gia về bình đẳng giới "
                               f"{p.level} {p.short}", upward="Bộ Nội vụ", **kw)


def national_plan(**kw) -> Plan:
    """The ministry's plan: the People's Committee of every province as a unit."""
    return plan_of_units("Bộ Nội vụ", "Hà Nội", [p.office for p in load().provinces],
                         title="Kế hoạch tổng hợp kết quả thực hiện Chiến lược quốc gia về "
                               "bình đẳng giới của các tỉnh, thành phố", **kw)


def _require(name: str) -> Province:
    p = find_province(name)
    if p is None:
        from ..core.errors import UsageError

        raise UsageError(f"Không có tỉnh, thành phố '{name}' trong danh mục đơn vị hành chính "
                         f"hiện hành (34 tỉnh, thành phố): {', '.join(province_names())}.")
    return p


def shared_with_communes(plan: Plan) -> list[tuple[str, list[str], int]]:
    """In a province's plan: (indicator code, other units, number of communes) for every
    indicator assigned both to communes of the province and to other units (a department
    reporting it for the whole province would be counted twice with the communes)."""
    province = province_of(plan.issuer)
    if province is None:
        return []
    communes = {admin_key(au.office) for au in province.units}
    out = []
    for ind in plan.indicators:
        units = [u for u in plan.units if ind.code in u.indicators]
        mine = [u for u in units if admin_key(u.name) in communes]
        others = [u.name for u in units if admin_key(u.name) not in communes]
        if mine and others:
            out.append((ind.code, others, len(mine)))
    return out


# -- "UBND các xã, phường" in a province plan --------------------------------------------
_ALL_COMMUNES = re.compile(r"^ubnd (?:(?:tất )?cả )?(?:các |cấp )(?:xã|phường|đặc khu)\b")


def expand_communes(plan: Plan, province: Province | None = None) -> list[str]:
    """Replace a unit that stands for every commune of the province ("UBND các xã,
    phường", "Ủy ban nhân dân các xã, phường, đặc khu", "UBND cấp xã") by the province's
    communes, each with that unit's indicators and tasks (a commune the plan already
    lists keeps its own line and gains them). ``province``: by default the one the plan's
    issuer names; nothing changes for a plan of no known province (a commune's, or an
    older district's). Returns the names of the units added."""
    province = province or province_of(plan.issuer)
    if province is None:
        return []
    groups = [u for u in plan.units if _ALL_COMMUNES.match(admin_key(u.name))]
    if not groups:
        return []
    by_key = {admin_key(u.name): u for u in plan.units if u not in groups}
    added = []
    units = [u for u in plan.units if u not in groups]
    for group in groups:
        for au in province.units:
            unit = by_key.get(admin_key(au.office))
            if unit is None:
                unit = Unit(au.office)
                by_key[admin_key(au.office)] = unit
                units.append(unit)
                added.append(unit.name)
            unit.indicators += [c for c in group.indicators if c not in unit.indicators]
            unit.tasks += [t for t in group.tasks if t not in unit.tasks]
    plan.units = units
    return added
