"""The tidy data of the contract (section 5) as CSV or JSON."""

from __future__ import annotations

import csv
import io
import json

from ..core.vn import is_formula_like
from .results import TIDY_FIELDS, Consolidation


def to_csv(c: Consolidation) -> str:
    """UTF-8 CSV with a header row. Text that a spreadsheet would run as a formula gets a
    leading apostrophe (formula injection); numbers are written with a decimal point."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(TIDY_FIELDS)
    for row in c.tidy:
        writer.writerow([_csv_cell(row[f]) for f in TIDY_FIELDS])
    return buf.getvalue()


def to_json(c: Consolidation) -> str:
    return json.dumps([{f: row[f] for f in TIDY_FIELDS} for row in c.tidy],
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
