"""What checking a return found: the unit, period and form it is, its values and tasks,
and its findings. Written by :mod:`bdg_excel.intake.validate` (forms) and :mod:`bdg_excel.intake.rollup`
(a lower level's consolidated workbook), read by collection and the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.findings import ERROR, Finding, has_errors
from ..plan.model import Unit
from .returns import ReturnData


@dataclass
class CheckedValue:
    code: str
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    answer: str | None = None      # "Có"/"Không" for yes/no rows
    source: str | None = None
    note: str | None = None
    cell: str | None = None
    national: str | None = None    # the national code of the plan's row it counts for

    def to_row(self) -> dict:
        return {"code": self.code, "value": self.value, "numerator": self.numerator,
                "denominator": self.denominator, "answer": self.answer,
                "source": self.source, "note": self.note, "cell": self.cell,
                "national": self.national}


@dataclass
class CheckedReturn:
    data: ReturnData
    unit: Unit | None = None
    period: str | None = None
    form_version: str | None = None
    plan_matches: bool = False
    #: the file name or sender points to another unit than the form: held for the
    #: officer's decision (``bdg-excel accept FILE --unit NAME``), never recorded as figures
    held: bool = False
    values: list[CheckedValue] = field(default_factory=list)
    tasks: list[dict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def recognised(self) -> bool:
        return self.data.readable and self.plan_matches and self.unit is not None \
            and self.period is not None

    @property
    def status(self) -> str:
        if not self.recognised or self.held:
            return "rejected"
        return "needs_fixes" if has_errors(self.findings) else "accepted"

    def add(self, code: str, message: str, severity: str = ERROR, *, cell=None,
            target=None) -> None:
        self.findings.append(Finding(code=code, message=message, severity=severity,
                                     file=self.data.name, sheet=self.data.sheet, cell=cell,
                                     target=target))
