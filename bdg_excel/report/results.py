"""What a consolidation is: submissions, completeness, results per target with each unit's
value, task results, and the :class:`Consolidation` that holds them. Built by
:mod:`bdg_excel.report.consolidate`, checked by :mod:`bdg_excel.report.consistency`, written by the
report modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from ..core import vn
from ..core.findings import Finding
from ..core.xlsx import shown_number
from ..intake import ledger as lg
from ..intake.ledger import FileRecord
from ..plan import targets as tg
from ..plan.model import Plan, Target, Unit

MISSING = "missing"

TIDY_FIELDS = ("plan", "period", "unit", "code", "value", "numerator", "denominator",
               "assessment", "status", "received_at", "source_file", "source_sha256", "national")


ON_TIME, LATE, NO_DEADLINE = "on_time", "late", "no_deadline"
TIMING_LABELS = {ON_TIME: "Đúng hạn", LATE: "Trễ hạn", MISSING: "Chưa nộp",
                 NO_DEADLINE: "Đã nộp (kế hoạch chưa có hạn)"}


@dataclass
class Submission:
    """One unit's return for the period, judged against the plan's deadline.

    Timeliness is judged on the FIRST return the unit sent: a corrected version sent after
    the deadline replaces the figures (the earlier ones become ``superseded``) but does
    not make the unit late."""
    unit: Unit
    status: str                         # accepted | needs_fixes | missing
    record: FileRecord | None = None
    deadline: date | None = None
    superseded: list[FileRecord] = field(default_factory=list)
    sent_at: str | None = None          # last time the form was e-mailed

    @property
    def received(self) -> datetime | None:
        return datetime.fromisoformat(self.record.received_at) if self.record else None

    @property
    def first_received(self) -> datetime | None:
        times = [datetime.fromisoformat(r.received_at) for r in
                 ([self.record] if self.record else []) + self.superseded]
        return min(times) if times else None

    @property
    def days_late(self) -> int | None:
        """Days after the deadline the first return arrived (0 = on time); None when not
        received."""
        if not self.record or not self.deadline:
            return None
        return max(0, (self.first_received.date() - self.deadline).days)

    @property
    def timing(self) -> str:
        """on_time | late | missing | no_deadline."""
        if not self.record:
            return MISSING
        if not self.deadline:
            return NO_DEADLINE
        return LATE if self.days_late else ON_TIME

    def days_overdue(self, today: date) -> int | None:
        """For a missing return: days past the deadline (negative = days left)."""
        if self.record or not self.deadline:
            return None
        return (today - self.deadline).days


@dataclass
class Completeness:
    """Totals of the submissions sheet."""
    expected: int
    received: int
    on_time: int
    late: int
    missing: int
    needs_fixes: int
    resubmitted: int                    # units whose earlier return was superseded
    to_remind: list[Submission]         # missing or needing fixes


@dataclass
class UnitValue:
    unit: Unit
    status: str
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    answer: str | None = None
    source: str | None = None
    note: str | None = None
    record: FileRecord | None = None
    cell: str | None = None             # where the value was read ("G12")
    #: an error finding of the return concerns this value: shown as unconfirmed, never
    #: rolled up as if it were sure
    doubtful: bool = False


@dataclass
class TargetResult:
    target: Target
    indicator_text: str
    responsible: list[str]
    unit_values: list[UnitValue]
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    answers: dict[str, int] = field(default_factory=dict)   # yes/no tally
    assessment: tg.Assessment = tg.Assessment("no_data")
    units_reported: int = 0
    #: units whose figure entered ``value`` (a commune whose row was left out, or in
    #: doubt, or blank, reported but did not contribute)
    contributed: int = 0
    previous: float | None = None       # the rolled-up value of the previous period
    #: units whose value is in doubt (left out of the roll-up, listed in the report)
    unconfirmed: list[UnitValue] = field(default_factory=list)

    @property
    def answer_text(self) -> str | None:
        """A yes/no row's result in words: "Có" (one unit), "Có (cả 3 đơn vị)", "Có: 2 đơn
        vị; Không: 1 đơn vị"; None when nobody answered."""
        answers = {k: v for k, v in self.answers.items() if v}
        if not answers:
            return None
        if len(answers) == 1:
            (answer, n), = answers.items()
            return answer if n == 1 else f"{answer} (cả {n} đơn vị)"
        order = sorted(answers, key=lambda a: (a != tg.YES, a != tg.NO, a))
        return "; ".join(f"{a}: {answers[a]} đơn vị" for a in order)

    def shown(self) -> str:
        """The result as the summary sheet shows it (the number as its format shows it)."""
        if self.target.measure == "yesno":
            return self.answer_text or ""
        return shown_number(self.value)

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return vn.tidy_float(self.value - self.previous)


@dataclass
class TaskResult:
    unit: Unit
    code: str
    text: str
    status: str | None
    result: str | None
    submission_status: str


@dataclass
class Consolidation:
    plan: Plan
    period: str
    generated_at: datetime
    submissions: list[Submission]
    results: list[TargetResult]
    tasks: list[TaskResult]
    findings: list[tuple[FileRecord, Finding]]
    tidy: list[dict]
    history: list[FileRecord]            # every file of this plan and period, in order
    #: consistency checks of the consolidation (also in ``findings``)
    checks: list[tuple[FileRecord, Finding]] = field(default_factory=list)
    previous_period: str | None = None   # set when the ledger holds it

    @property
    def completeness(self) -> Completeness:
        subs = self.submissions
        timings = [s.timing for s in subs]      # parses dates: once per unit
        return Completeness(
            expected=len(subs), received=sum(1 for s in subs if s.record),
            on_time=timings.count(ON_TIME), late=timings.count(LATE),
            missing=timings.count(MISSING),
            needs_fixes=sum(1 for s in subs if s.status == lg.NEEDS_FIXES),
            resubmitted=sum(1 for s in subs if s.superseded),
            to_remind=[s for s in subs if s.status in (MISSING, lg.NEEDS_FIXES)])

    @property
    def has_targets(self) -> bool:
        """False for a tasks-only plan (no unit reports a target row)."""
        return any(r.unit_values for r in self.results)
