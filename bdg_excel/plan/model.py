"""The plan model: plain dataclasses, and the plan JSON of the contract (section 3).

A Plan has goals; indicators (``4.1``) with one or more target rows (``4.1`` or ``3.2a``,
``3.2b``); responsible units with the indicators they report and their tasks; and the
reporting deadlines. Nothing here reads or writes files: see :mod:`bdg_excel.plan.planbook`
(plan workbook) and :mod:`bdg_excel.plan.importer` (plan documents).
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..core import vn
from ..core.findings import Finding

OPS = (">=", ">", "<=", "<", "=", "between", "qualitative")

#: How a target's figure is computed. ``factor`` is what numerator/denominator is
#: multiplied by (percent 100, "/100.000" 100000, "bé trai/100 bé gái" 100, "lần" 1).
MEASURES = ("percent", "rate", "ratio", "count", "yesno")
RATIO_MEASURES = ("percent", "rate", "ratio")

REPORT_KINDS = ("annual", "semiannual", "quarterly", "once")

#: A period: "2026" (the year: annual or one-off report), "2026-H1" (first six months),
#: "2026-Q1" … "2026-Q4" (quarters).
PERIOD_RE = re.compile(r"(\d{4})(?:-(H1|Q[1-4]))?")

#: How far ahead a deadline makes its period the default one (see Plan.default_period):
#: forms go out and returns come in during the weeks before a deadline.
LOOKAHEAD = timedelta(days=60)

#: Months between the deadlines of one year, and how many there are, per report kind.
#: A six-month report (CONTRACT section 3) is the report on the first half year, due once
#: a year; the year's own report is a separate ``annual`` one.
_STEPS = {"quarterly": (3, 4)}


@dataclass
class Target:
    code: str
    op: str
    value: float | None = None
    max: float | None = None
    unit: str | None = None
    year: int | None = None
    text: str = ""
    measure: str = "count"
    factor: float | None = None
    #: The national code (CONTRACT section 2: ``QG-4.1``, ``QG-3.2a``) this row implements,
    #: or None for a local indicator; see :mod:`bdg_excel.plan.catalog`.
    national: str | None = None

    @property
    def indicator_code(self) -> str:
        return self.code.rstrip("abcdefghijklmnopqrstuvwxyz")

    @property
    def goal(self) -> int:
        return int(self.code.split(".")[0])

    @property
    def is_qualitative(self) -> bool:
        return self.op == "qualitative"

    @property
    def has_fraction(self) -> bool:
        """True when the unit reports numerator and denominator (a rate or ratio)."""
        return self.measure in RATIO_MEASURES

    def to_json(self) -> dict:
        return {"code": self.code, "national": self.national, "op": self.op,
                "value": _num(self.value),
                "max": _num(self.max), "unit": self.unit, "year": self.year,
                "text": self.text}


@dataclass
class Indicator:
    code: str
    goal: int
    number: int
    text: str
    targets: list[Target] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"code": self.code, "goal": self.goal, "number": self.number,
                "text": self.text, "targets": [t.to_json() for t in self.targets]}


@dataclass
class Goal:
    number: int
    title: str

    def to_json(self) -> dict:
        return {"number": self.number, "title": self.title}


@dataclass
class Unit:
    name: str
    indicators: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    email: str | None = None
    contact: str | None = None

    @property
    def key(self) -> str:
        # cached per name: looked up for every row of a 10,000-unit consolidation
        cached = self.__dict__.get("_key")
        if cached is None or cached[0] is not self.name:
            cached = (self.name, vn.canonical(self.name))
            self.__dict__["_key"] = cached
        return cached[1]

    def to_json(self) -> dict:
        return {"name": self.name, "indicators": list(self.indicators),
                "tasks": list(self.tasks), "email": self.email}


@dataclass
class Report:
    kind: str
    due: str | None
    to: str | None = None

    def to_json(self) -> dict:
        return {"kind": self.kind, "due": self.due, "to": self.to}

    def deadline(self, year: int, index: int = 0) -> date | None:
        """The due date of this report in ``year`` (one-off dates ignore ``year``).
        ``index``: which deadline of the year for quarterly (0 … 3) reports, the later
        ones at three-month steps after ``due`` (a day the month lacks becomes its last
        day: 31/05 + 3 months = 31/08); other kinds have one deadline a year."""
        if not self.due:
            return None
        try:
            parts = [int(p) for p in self.due.split("-")]
            if len(parts) == 3:
                return date(*parts)
            month, day = parts
            date(year, month, day)   # the first deadline must be a real day
        except (ValueError, TypeError):
            return None
        step = _STEPS.get(self.kind, (0, 1))[0]
        y, m = divmod(month - 1 + index * step, 12)
        y, m = year + y, m + 1
        return date(y, m, min(day, calendar.monthrange(y, m)[1]))


@dataclass
class Upward:
    """The coordinating office's own report to the level above (CONTRACT section 3):
    whom the consolidated workbook is addressed to, and its deadline (``MM-DD`` yearly or
    ``YYYY-MM-DD`` one-off) when the plan gives one."""
    to: str | None = None
    due: str | None = None

    def to_json(self) -> dict:
        return {"to": self.to, "due": self.due}

    def deadline(self, year: int) -> date | None:
        return Report("annual", self.due).deadline(year)


@dataclass
class ReviewItem:
    """One thing plan import read and the officer may want to check: a target, an
    assignment, a deadline or a national link, with the sentence it came from.
    Not part of the plan JSON; the plan workbook lists them on its sheet "Rà soát"."""
    kind: str                 # "target" | "assignment" | "deadline" | "national" | "unit" | "upward"
    ref: str                  # what it is about: a target code, a unit name, a report kind
    value: str                # what the importer read, as the officer would say it
    source: str = ""          # where: "trang 3", "đoạn 41", "bảng 2, hàng 5"
    sentence: str = ""        # the source sentence, verbatim
    confidence: float = 1.0   # 0 … 1: how sure the importer is
    note: str = ""            # why it is unsure, in Vietnamese


@dataclass
class Sources:
    """Where the plan workbook held each thing: (kind, index…) -> (sheet, 1-based row), and
    the problems found reading its cells. :func:`bdg_excel.plan.planbook.load_plan` keeps
    it in ``plan._sources`` for plan check's locations. It lives here, not in planbook, so
    that a plan cached in ``.bdg/`` unpickles with the model alone (``status`` need not
    load the plan workbook's reader and writer)."""
    file: str | None = None
    rows: dict[tuple, tuple[str, int | None]] = field(default_factory=dict)
    #: problems found while reading cells (a number that is not a number …)
    problems: list[Finding] = field(default_factory=list)


_IDENTITIES: dict[tuple, str] = {}   # Plan.identity() by its inputs (called per return)


@dataclass
class Plan:
    title: str = ""
    number: str | None = None
    issuer: str | None = None
    place: str | None = None
    date: str | None = None
    period_start: int | None = None
    period_end: int | None = None
    goals: list[Goal] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    #: The coordinating office's report to the level above, or None when the plan names none.
    upward: Upward | None = None
    #: The plan workbook's file name without .xlsx; not part of the plan JSON.
    name: str = ""
    #: What plan import read, with sources and confidence; not part of the plan JSON.
    review: list[ReviewItem] = field(default_factory=list)

    # -- lookups ---------------------------------------------------------------------
    def citation(self) -> str:
        """How the plan is cited: "Kế hoạch số 88/KH-UBND"; a plan without a number of
        its own, issued with a decision, is cited by it ("Kế hoạch ban hành kèm theo
        Quyết định số 214/QĐ-UBND"), never as "Kế hoạch số 214/QĐ-UBND"."""
        if not self.number:
            return "Kế hoạch"
        if re.search(r"/\s*QĐ", self.number, re.I):
            return f"Kế hoạch ban hành kèm theo Quyết định số {self.number}"
        return f"Kế hoạch số {self.number}"

    def targets(self) -> list[Target]:
        """Every target row, in plan order."""
        return [t for ind in self.indicators for t in ind.targets]

    def target(self, code: str) -> Target | None:
        return self._target_index().get(code)

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)

    def unit(self, name: str) -> Unit | None:
        key = vn.canonical(name)
        hit = self._unit_index().get(key)
        if hit is not None and hit[1].name == hit[0]:
            return hit[1]
        # not indexed (or renamed since): look through the list
        return next((u for u in self.units if u.key == key), None)

    def _unit_index(self) -> dict[str, tuple[str, Unit]]:
        """Canonical key -> (name when indexed, first unit with that key). Rebuilt when
        ``units`` is replaced or grows or shrinks: a lookup per return or per table row
        must not scan every unit of a 10,000-unit plan."""
        units = self.units
        cached = self.__dict__.get("_units_cache")
        last = units[-1] if units else None
        if cached is None or cached[0] is not units or cached[1] != len(units) \
                or cached[2] is not last:
            index: dict[str, tuple[str, Unit]] = {}
            for u in units:
                index.setdefault(u.key, (u.name, u))
            cached = (units, len(units), last, index)
            self.__dict__["_units_cache"] = cached
        return cached[3]

    def unit_targets(self, unit: Unit) -> list[Target]:
        """The target rows a unit reports, in the order its indicators are listed."""
        by_ind = {i.code: i for i in self.indicators}
        return [t for code in unit.indicators if code in by_ind for t in by_ind[code].targets]

    def responsible(self) -> dict[str, list[str]]:
        """Indicator code -> names of the units that report it."""
        out: dict[str, list[str]] = {i.code: [] for i in self.indicators}
        for u in self.units:
            for code in u.indicators:
                out.setdefault(code, []).append(u.name)
        return out

    def _target_index(self) -> dict[str, Target]:
        return {t.code: t for t in self.targets()}

    # -- periods and deadlines -------------------------------------------------------
    def default_period(self, today: date | None = None) -> str:
        """The period an officer works on by default on ``today``: the one whose deadline
        is the latest already reached or due within :data:`LOOKAHEAD` (in January an
        officer still consolidates last year's reports), within the plan's years (a plan
        whose period has ended reports its last year; before its first deadline comes
        near, its first period). Without any deadline in the plan: this year, or last
        year in January-March."""
        if today is None:
            from ..core.clock import today as clock_today  # only when the caller gave no day
            today = clock_today()
        first = self.period_start or today.year - 1
        last = self.period_end or today.year + 1
        horizon = today + LOOKAHEAD
        dated = [(due, period) for period, due in self.periods(range(first, last + 1)) if due]
        if dated:
            reached = [d for d, _ in dated if d <= horizon]
            due = max(reached) if reached else min(d for d, _ in dated)
            # several periods due that day (a one-off report, a fourth quarter due with
            # the year): the whole year before a part of it, the year of the deadline
            tied = [p for d, p in dated if d == due]
            return min(tied, key=lambda p: ("-" in p, abs(period_year(p) - due.year), p))
        year = today.year - (1 if today.month <= 3 else 0)
        return str(min(max(year, first), last))

    def periods(self, years) -> list[tuple[str, date | None]]:
        """(period, deadline) of every report the plan asks for in ``years``."""
        kinds = {r.kind for r in self.reports}
        out = []
        for year in years:
            if "quarterly" in kinds:
                out += [(f"{year}-Q{q}", None) for q in range(1, 5)]
            if "semiannual" in kinds:
                out.append((f"{year}-H1", None))
            if kinds & {"annual", "once"} or not kinds:   # else no report on the whole year
                out.append((str(year), None))
        return [(p, self.deadline(p)) for p, _ in out]

    def report_for(self, period: str) -> Report | None:
        """The report (deadline) that applies to a period: "2026" annual (or the one-off
        report; for a plan with only quarterly reports, the year's last), "2026-H1"
        six-month, "2026-Q1" quarterly. A six-month report never stands for the year
        (its deadline is the first half's)."""
        _, sub = split_period(period)
        if sub == "H1":
            wanted: tuple[str, ...] = ("semiannual",)
        elif sub:
            wanted = ("quarterly",)
        else:
            wanted = ("annual", "once", "quarterly")
        for kind in wanted:
            rep = next((r for r in self.reports if r.kind == kind), None)
            if rep:
                return rep
        return None

    def deadline(self, period: str) -> date | None:
        rep = self.report_for(period)
        if rep is None:
            return None
        year, sub = split_period(period)
        if sub.startswith("Q"):
            index = int(sub[1]) - 1
        elif not sub and rep.kind in _STEPS:   # the year's last quarterly report
            index = _STEPS[rep.kind][1] - 1
        else:
            index = 0
        return rep.deadline(year, index)

    # -- JSON ------------------------------------------------------------------------
    def to_json(self) -> dict:
        return {
            "title": self.title, "number": self.number, "issuer": self.issuer,
            "place": self.place, "date": self.date,
            "period": {"start": self.period_start, "end": self.period_end},
            "goals": [g.to_json() for g in self.goals],
            "indicators": [i.to_json() for i in self.indicators],
            "units": [u.to_json() for u in self.units],
            "reports": [r.to_json() for r in self.reports],
            "upward": self.upward.to_json() if self.upward else None,
        }

    def fingerprint(self) -> str:
        """Identifies the plan's content (title, number, targets …), 16 hex digits."""
        blob = json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def identity(self) -> str:
        """Identifies the plan across revisions (issuer, number/title, period)."""
        parts = (self.issuer, self.number or self.title, str(self.period_start),
                 str(self.period_end))
        found = _IDENTITIES.get(parts)
        if found is None:
            blob = "|".join(vn.canonical(x or "") for x in parts)
            found = hashlib.sha256(blob.encode()).hexdigest()[:16]
            if len(_IDENTITIES) > 1000:
                _IDENTITIES.clear()
            _IDENTITIES[parts] = found
        return found

    @classmethod
    def from_json(cls, data: dict, name: str = "") -> "Plan":
        indicators = []
        for ind in data.get("indicators", []):
            targets = []
            for t in ind.get("targets", []):
                measure, factor = infer_measure(t.get("unit"), t.get("op"), t.get("text", ""))
                targets.append(Target(
                    code=t["code"], op=t["op"], value=t.get("value"), max=t.get("max"),
                    unit=t.get("unit"), year=t.get("year"), text=t.get("text", ""),
                    measure=t.get("measure", measure), factor=t.get("factor", factor),
                    national=t.get("national")))
            indicators.append(Indicator(code=ind["code"], goal=ind["goal"],
                                        number=ind["number"], text=ind.get("text", ""),
                                        targets=targets))
        period = data.get("period") or {}
        return cls(
            title=data.get("title", ""), number=data.get("number"),
            issuer=data.get("issuer"), place=data.get("place"), date=data.get("date"),
            period_start=period.get("start"), period_end=period.get("end"),
            goals=[Goal(g["number"], g.get("title", "")) for g in data.get("goals", [])],
            indicators=indicators,
            units=[Unit(u["name"], list(u.get("indicators", [])), list(u.get("tasks", [])),
                        u.get("email")) for u in data.get("units", [])],
            reports=[Report(r["kind"], r.get("due"), r.get("to"))
                     for r in data.get("reports", [])],
            upward=(Upward(data["upward"].get("to"), data["upward"].get("due"))
                    if data.get("upward") else None),
            name=name,
        )


def period_year(period: str) -> int:
    return int(period.split("-")[0])


def split_period(period: str) -> tuple[int, str]:
    """"2026" -> (2026, ""), "2026-H1" -> (2026, "H1"), "2026-Q3" -> (2026, "Q3")."""
    year, _, sub = period.partition("-")
    return int(year), sub


_ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV"}


def period_label(period: str) -> str:
    """Vietnamese label: "năm 2026", "6 tháng đầu năm 2026", "quý I năm 2026"."""
    year, sub = split_period(period)
    if sub == "H1":
        return f"6 tháng đầu năm {year}"
    if sub.startswith("Q"):
        return f"quý {_ROMAN[sub[1]]} năm {year}"
    return f"năm {year}"


_LABEL_RE = re.compile(r"(?:(6 tháng đầu)|quý (I|II|III|IV))?\s*năm (\d{4})$", re.IGNORECASE)


def period_from_label(text: str) -> str | None:
    """The period a Vietnamese label names (:func:`period_label` read back): "năm 2026"
    -> "2026", "6 tháng đầu năm 2026" -> "2026-H1", "quý III năm 2026" -> "2026-Q3"."""
    m = _LABEL_RE.search(vn.clean(text or ""))
    if not m:
        return None
    half, quarter, year = m.groups()
    if half:
        return f"{year}-H1"
    if quarter:
        return f"{year}-Q{'I II III IV'.split().index(quarter.upper()) + 1}"
    return year


def _num(x: float | None) -> float | int | None:
    if x is None:
        return None
    return int(x) if float(x).is_integer() else x


def infer_measure(unit: str | None, op: str | None, text: str = "") -> tuple[str, float | None]:
    """(measure, factor) from the unit of measure as the plan writes it."""
    if op == "qualitative":
        return "yesno", None
    u = vn.canonical(unit or "")
    if u in ("%", "phần trăm"):
        return "percent", 100.0
    if "/" in u:
        digits = u.split("/")[-1]
        head = u.split("/")[0]
        factor = _leading_number(digits)
        if factor:
            # "bé trai/100 bé gái": a ratio per 100; "/100.000", "ca sinh/1.000 phụ nữ": rates
            return ("ratio" if head.strip().startswith("bé") else "rate"), factor
        return "count", None  # "tin, bài/quý": a count per period
    if u == "lần" or (not u and "so với" in vn.canonical(text)):
        return "ratio", 1.0
    return "count", None


def _leading_number(text: str) -> float | None:
    digits = ""
    for ch in text.strip():
        if ch.isdigit():
            digits += ch
        elif ch in ".," and digits:
            continue  # thousands separators in "100.000" / "1.000"
        else:
            break
    return float(digits) if digits else None
