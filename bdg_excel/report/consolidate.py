"""Consolidation: from the ledger to results against targets, submissions and findings.

Reads only the ledger (never the returned files), so it is cheap to re-run. Ratios roll
up from numerators and denominators (Σ tử số × hệ số / Σ mẫu số), never by averaging
percentages; counts are summed; yes/no rows are tallied.
"""

from __future__ import annotations

import math
from datetime import datetime

from ..core.findings import ERROR
from ..core.perf import no_gc
from ..core.workspace import Workspace
from ..intake import ledger as lg
from ..intake.ledger import FileRecord, Ledger
from ..plan import targets as tg
from ..plan.model import Plan, Target, Unit, period_year
from . import consistency
from .results import MISSING, Consolidation, Submission, TargetResult, TaskResult, UnitValue

def consolidate(ws: Workspace, plan: Plan, period: str, *,
                now: datetime | None = None) -> Consolidation:
    with Ledger(ws.ledger_path) as led:
        return build(led, plan, period, now=now)


def previous_period(period: str) -> str:
    """The period compared with: the year before ("2026" -> "2025", "2026-H1" -> "2025-H1")."""
    year, _, half = period.partition("-")
    return f"{int(year) - 1}" + (f"-{half}" if half else "")


def build(led: Ledger, plan: Plan, period: str, *, now: datetime | None = None,
          compare: bool = True) -> Consolidation:
    """The consolidation of ``period``; with ``compare`` also the previous period's values
    (when the ledger holds any return of it) and the checks against them."""
    with no_gc():       # objects per unit and target row: 100,000s for 10,000 units
        return _build(led, plan, period, now=now, compare=compare)


def _build(led: Ledger, plan: Plan, period: str, *, now: datetime | None = None,
           compare: bool = True) -> Consolidation:
    files = led.files(plan.identity(), period)
    deadline = plan.deadline(period)
    sends = {}
    for s in led.sends(plan.identity(), period):
        if s["kind"] == "send" and not s["dry_run"]:
            sends[s["unit_key"]] = s["sent_at"]
    current: dict[str, FileRecord] = {}
    superseded: dict[str, list[FileRecord]] = {}
    for rec in files:
        if rec.status in (lg.ACCEPTED, lg.NEEDS_FIXES):
            current[rec.unit_key] = rec   # Ledger.resolve_all leaves one per unit
        elif rec.status == lg.SUPERSEDED:
            superseded.setdefault(rec.unit_key, []).append(rec)

    submissions = []
    # unit_key -> code -> (value, numerator, denominator, answer, source, note, cell)
    values: dict[str, dict[str, tuple]] = {}
    task_rows: dict[str, dict[str, tuple]] = {}  # unit_key -> code -> (status, result)
    ids = [rec.id for rec in current.values()]
    # one query per 500, not per file; keyed by the plan's codes of today (by_meaning)
    all_values = led.value_tuples_of(ids, _VALUE_FIELDS + ("national",))
    meaning = _Meaning(plan)
    all_tasks = led.task_tuples_of(ids, ("status", "result"))
    keys = [unit.key for unit in plan.units]
    for unit, key in zip(plan.units, keys):
        rec = current.get(key)
        submissions.append(Submission(unit, rec.status if rec else MISSING, rec, deadline,
                                      superseded.get(key, []), sends.get(key)))
        if rec:
            values[key] = meaning.keyed(all_values.get(rec.id, {}))
            task_rows[key] = all_tasks.get(rec.id, {})
    all_findings = led.findings_of(rec.id for rec in files if rec.status != lg.DUPLICATE)
    findings = [(rec, f) for rec in files if rec.status != lg.DUPLICATE
                for f in all_findings.get(rec.id, ())]
    doubtful = _doubtful(findings)

    year = period_year(period)
    by_unit = {key: s for key, s in zip(keys, submissions)}
    results = []
    responsible = plan.responsible()
    # plan.unit(name) for every name in responsible (the first unit with its canonical
    # key), with its submission and values: once per name, not per target row
    first: dict[str, Unit] = {}
    for u, key in zip(plan.units, keys):
        first.setdefault(key, u)
    named = {u.name: (first[key], by_unit[key], values.get(key, {}))
             for u, key in zip(plan.units, keys)}
    for ind in plan.indicators:
        for t in ind.targets:
            uvs = []
            for name in responsible.get(ind.code, []):
                unit, sub, mine = named[name]
                value, num, den, answer, source, note, cell = mine.get(t.code, _NO_VALUE)
                uvs.append(UnitValue(unit, sub.status, value, num, den, answer, source, note,
                                     sub.record, cell, sub.record is not None and
                                     (sub.record.id, t.code) in doubtful))
            res = TargetResult(t, ind.text, responsible.get(ind.code, []), uvs)
            res.units_reported = sum(1 for uv in uvs if uv.status != MISSING)
            roll_up(res)
            res.assessment = tg.evaluate(t, res.value, year)
            if t.measure == "yesno" and not res.answers:     # nobody answered it
                res.assessment = tg.Assessment("no_data", interim=res.assessment.interim,
                                               target_year=t.year)
            results.append(res)

    tasks = []
    for unit, key in zip(plan.units, keys):
        rows = task_rows.get(key, {})
        status = by_unit[key].status
        for i, text in enumerate(unit.tasks):
            code = f"NV{i + 1}"
            task_status, result = rows.get(code, _NO_TASK)
            tasks.append(TaskResult(unit, code, text, task_status, result, status))

    tidy = tidy_rows(plan, period, results, superseded, led)
    if now is None:
        from ..core.clock import now as clock_now
        now = clock_now()
    c = Consolidation(plan, period, now, submissions, results, tasks,
                      findings, tidy, files)
    previous = None
    prev = previous_period(period)
    if compare and led.has_files(plan.identity(), prev):
        previous = build(led, plan, prev, now=now, compare=False)
        c.previous_period = prev
        by_code = {r.target.code: r for r in previous.results}
        for res in results:
            if res.target.code in by_code:
                res.previous = by_code[res.target.code].value
    stored = {(rec.id, f.code, f.target) for rec, f in findings}
    c.checks = [(rec, f) for rec, f in consistency.check(c, previous)
                if (rec.id, f.code, f.target) not in stored]
    c.findings = findings + c.checks
    return c


def _doubtful(findings) -> set[tuple[int, str]]:
    """(file id, target code) of every value an error finding of its return concerns."""
    out = set()
    for rec, f in findings:
        if f.severity == ERROR and f.target and rec.status == lg.NEEDS_FIXES:
            for code in f.target.split(","):
                out.add((rec.id, code.strip()))
    return out


_VALUE_FIELDS = ("value", "numerator", "denominator", "answer", "source", "note", "cell")
_NO_VALUE = (None,) * len(_VALUE_FIELDS)


class _Meaning:
    """Values recorded by code, keyed by what they mean in the plan of today: a value the
    ledger holds for national code N (CONTRACT section 2) counts for the plan's row of N
    whatever its code was when recorded (a plan renumbered since keeps its history);
    a value of a local row (no national code) only for a local row of the same code.
    Values recorded before national codes were kept are taken by code as before."""

    def __init__(self, plan: Plan):
        targets = plan.targets()
        self.code_of = {t.national: t.code for t in targets if t.national}
        self.national_of = {t.code: t.national for t in targets}

    def keyed(self, vals: dict[str, tuple]) -> dict[str, tuple]:
        if all(v[-1] == self.national_of.get(code) for code, v in vals.items()) or \
                not any(v[-1] for v in vals.values()):
            return {code: v[:-1] for code, v in vals.items()}    # nothing moved
        out = {self.code_of[v[-1]]: v[:-1] for v in vals.values() if v[-1] in self.code_of}
        for code, v in vals.items():
            if not v[-1] and code in self.national_of and self.national_of[code] is None:
                out.setdefault(code, v[:-1])
        return out
_NO_TASK = (None, None)


def roll_up(res: TargetResult) -> None:
    """Aggregate the units' values of one target row into ``res``."""
    t = res.target
    reported = [uv for uv in res.unit_values if uv.status != MISSING]
    res.unconfirmed = [uv for uv in reported if uv.doubtful and
                       (uv.value is not None or uv.answer)]
    reported = [uv for uv in reported if not uv.doubtful]
    res.contributed = sum(1 for uv in reported if (uv.answer or uv.denominator
                                                   if t.measure == "yesno"
                                                   else uv.value is not None))
    if t.measure == "yesno":
        for uv in reported:
            for answer, n in yes_no_tally(uv).items():
                res.answers[answer] = res.answers.get(answer, 0) + n
        return
    nums = [uv for uv in reported if uv.value is not None]
    if not nums:
        return
    if len(nums) == 1:
        uv = nums[0]
        res.value, res.numerator, res.denominator = uv.value, uv.numerator, uv.denominator
        return
    if t.measure == "count":
        res.value = sum(uv.value for uv in nums)
        return
    fractions = [uv for uv in nums if uv.numerator is not None and uv.denominator]
    if len(fractions) == len(nums):
        res.numerator = sum(uv.numerator for uv in fractions)
        res.denominator = sum(uv.denominator for uv in fractions)
        res.value = tg.compute(t.measure, t.factor, res.numerator, res.denominator)
    else:
        res.contributed = 0
    # Without every numerator and denominator a ratio cannot be rolled up correctly:
    # leave it empty rather than average percentages (the report says why).


def tidy_rows(plan: Plan, period: str, results: list[TargetResult],
              superseded: dict[str, list[FileRecord]], led: Ledger) -> list[dict]:
    year = period_year(period)
    rows = []
    for res in results:
        for uv in res.unit_values:
            rec = uv.record
            value = uv.value
            if res.target.measure == "yesno":
                value = yes_no_value(uv.answer)
            assessment = "no_data" if uv.doubtful else \
                unit_assessment(res.target, value, year)
            if value is None and res.target.measure == "yesno" and uv.denominator:
                assessment = "qualitative"      # a lower level's mixed Có/Không tally
            rows.append(_tidy(plan, period, uv.unit.name, res.target, value, uv.numerator,
                              uv.denominator, assessment, uv.status, rec))
    old_values = led.value_tuples_of((rec.id for recs in superseded.values() for rec in recs),
                                     ("value", "numerator", "denominator", "answer", "national"))
    meaning = _Meaning(plan)
    for unit_key, recs in superseded.items():
        unit = plan.unit(recs[0].unit_name or "") if recs else None
        if unit is None:
            continue
        for rec in recs:
            vals = meaning.keyed(old_values.get(rec.id, {}))
            for t in plan.unit_targets(unit):
                value, num, den, answer = vals.get(t.code, (None, None, None, None))
                if t.measure == "yesno":
                    value = yes_no_value(answer)
                assessment = unit_assessment(t, value, year)
                rows.append(_tidy(plan, period, unit.name, t, value, num, den,
                                  assessment, lg.SUPERSEDED, rec))
    return rows


def yes_no_tally(uv) -> dict[str, float]:
    """A unit's yes/no answer as a tally: a form's Có counts 1; a lower level's
    consolidated workbook brings its own tally (numerator: units that answered Có,
    denominator: units that answered; intake.rollup)."""
    if uv.denominator:
        yes = round(uv.numerator or 0)
        return {k: n for k, n in ((tg.YES, yes), (tg.NO, round(uv.denominator) - yes)) if n}
    return {uv.answer: 1} if uv.answer else {}


def yes_no_value(answer: str | None) -> int | None:
    """CONTRACT section 5: a yes/no row's value is 1 (Có) or 0 (Không)."""
    return {tg.YES: 1, tg.NO: 0}.get(answer or "")


def unit_assessment(t: Target, value, year: int) -> str:
    """A unit's assessment: a yes/no row follows its answer (Có: met, Không: not_met)."""
    if t.measure == "yesno":
        return "no_data" if value is None else ("met" if value == 1 else "not_met")
    return tg.evaluate(t, value, year).code


def _finite(x):
    """Only finite numbers reach the export (CONTRACT section 5)."""
    return x if x is None or not isinstance(x, float) or math.isfinite(x) else None


def _tidy(plan, period, unit, t: Target, value, num, den, assessment, status, rec) -> dict:
    return {"plan": plan.name, "period": period, "unit": unit, "code": t.code,
            "value": _finite(value), "numerator": _finite(num), "denominator": _finite(den), "assessment": assessment, "status": status,
            "received_at": rec.received_at if rec else None,
            "source_file": rec.original_name if rec else None,
            "source_sha256": rec.sha256 if rec else None, "national": t.national}
