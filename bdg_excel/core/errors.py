"""Typed errors. Library code raises these; the CLI turns them into a message and exit 1.

Messages are Vietnamese sentences meant for the officer: they name the file (and sheet/cell
where there is one) and say what to do.
"""

from __future__ import annotations


class BdgError(Exception):
    """Base class: the command could not do its job (exit code 1)."""


class PlanError(BdgError):
    """A plan workbook or plan document cannot be read."""


class PlanHasErrors(PlanError):
    """The plan workbook has errors (``plan check``): no form is written or sent from it.
    ``findings`` lists them (sheet, row, what to fix)."""

    def __init__(self, message: str, findings: list):
        super().__init__(message)
        self.findings = list(findings)


class PlanEditError(PlanError):
    """A correction of the plan workbook is refused (unknown code, not a number, a day
    that does not exist …); nothing was written. ``sheet`` and ``cell`` say where."""

    def __init__(self, message: str, sheet: str | None = None, cell: str | None = None):
        super().__init__(message)
        self.sheet, self.cell = sheet, cell


class WorkspaceError(BdgError):
    """The workspace is missing, ambiguous (several plans), or in use."""


class WorkspaceBusy(WorkspaceError):
    """Another bdg-excel run holds the workspace lock."""


class OutputLocked(BdgError):
    """An output file cannot be written (held open by Excel, read-only …)."""


class MailError(BdgError):
    """The mail server cannot be reached or refuses us."""


class UsageError(BdgError):
    """Wrong usage detected by the library (the CLI maps it to exit code 2)."""
