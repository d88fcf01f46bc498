"""Validation findings: data with a location, never exceptions.

A check yields :class:`Finding` objects; a run collects them; one bad row never stops
the rest. ``message`` is a Vietnamese sentence that says what to change.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR = "error"      # the value cannot be used: the return needs fixes
WARNING = "warning"  # the value is used, but someone should look at it
INFO = "info"

SEVERITY_LABELS = {ERROR: "Lỗi", WARNING: "Cảnh báo", INFO: "Ghi chú"}


@dataclass(frozen=True)
class Finding:
    code: str                 # stable machine code, e.g. "not_a_number"
    message: str              # Vietnamese, says what to fix
    severity: str = ERROR
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None   # "G12"
    row: int | None = None    # 1-based row in the sheet (plan workbook checks)
    target: str | None = None  # target-row / indicator / task code

    @property
    def location(self) -> str:
        """"tệp X, trang Y, ô G12, mã 4.1" — only the parts that are known."""
        parts = []
        if self.file:
            parts.append(f"tệp {self.file}")
        if self.sheet:
            parts.append(f"trang {self.sheet}")
        if self.cell:
            parts.append(f"ô {self.cell}")
        elif self.row:
            parts.append(f"dòng {self.row}")
        if self.target:
            parts.append(f"mã {self.target}")
        return ", ".join(parts)

    def __str__(self) -> str:
        loc = self.location
        return f"{SEVERITY_LABELS.get(self.severity, self.severity)}: {loc}: {self.message}" \
            if loc else f"{SEVERITY_LABELS.get(self.severity, self.severity)}: {self.message}"

    def to_dict(self) -> dict:
        return asdict(self)


def has_errors(findings) -> bool:
    return any(f.severity == ERROR for f in findings)
