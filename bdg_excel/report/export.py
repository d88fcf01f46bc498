"""The tidy data of the contract (section 5) as CSV or JSON; with ``tasks``, the task
statuses (one row per unit × task)."""

from __future__ import annotations

import csv
import io
import json

from ..core.vn import is_formula_like
from .results import TIDY_FIELDS, Consolidation

TASK_FIELDS = ("plan", "period", "unit", "task", "text", "status", "result", "received_at",
               "source_file", "source_sha256")


def task_rows(c: Consolidation) -> list[dict]:
    """CONTRACT section 5, ``export --tasks``: every unit × task, the status as the unit
    chose it (empty for a unit that has not reported)."""
    records = {s.unit.key: s.record for s in c.submissions}
    rows = []
    for tr in c.tasks:
        rec = records.get(tr.unit.key)
        rows.append({"plan": c.plan.name, "period": c.period, "unit": tr.unit.name,
                     "task": tr.code, "text": tr.text, "status": tr.status,
                     "result": tr.result, "received_at": rec.received_at if rec else None,
                     "source_file": rec.original_name if rec else None,
                     "source_sha256": rec.sha256 if rec else None})
    return rows


def _table(c: Consolidation, tasks: bool) -> tuple[tuple, list[dict]]:
    return (TASK_FIELDS, task_rows(c)) if tasks else (TIDY_FIELDS, c.tidy)


def to_csv(c: Consolidation, tasks: bool = False) -> str:
    """UTF-8 CSV with a header row. Text that a spreadsheet would run as a formula gets a
    leading apostrophe (formula injection); numbers are written with a decimal point."""
    fields, rows = _table(c, tasks)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow([_csv_cell(row[f]) for f in fields])
    return buf.getvalue()


def to_json(c: Consolidation, tasks: bool = False) -> str:
    fields, rows = _table(c, tasks)
    return json.dumps([{f: row[f] for f in fields} for row in rows],
                      ensure_ascii=False, indent=2, allow_nan=False)


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() else repr(value)
    text = str(value)
    return "'" + text if is_formula_like(text) else text


def to_frame(c: Consolidation):
    """The tidy data as a pandas DataFrame (one row per unit × target row), for analysts
    working in Python or Jupyter: numbers as floats, missing values as NaN."""
    import pandas as pd

    frame = pd.DataFrame.from_records(c.tidy, columns=list(TIDY_FIELDS))
    for col in ("value", "numerator", "denominator"):
        frame[col] = pd.to_numeric(frame[col])
    return frame
