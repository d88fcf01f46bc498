"""Small helpers for writing new workbooks with xlsxwriter, shared by every writer.

Text is always written as text (``write_string``): a value coming from a return that
starts with = + - @ can never become a formula in anything we produce.
"""

from __future__ import annotations

from datetime import date, datetime

FONT = "Times New Roman"
NUMBER_FORMAT = "#,##0.##"
DATE_FORMAT = "dd/mm/yyyy"
WORKBOOK_OPTIONS = {"in_memory": True, "strings_to_formulas": False,
                    "strings_to_numbers": False, "strings_to_urls": False}


def put(ws, row: int, col: int, value, fmt=None) -> None:
    """Write one cell by the Python type of ``value``; None leaves a (formatted) blank."""
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, "Có" if value else "Không", fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, fmt)
    elif isinstance(value, (datetime, date)):
        ws.write_datetime(row, col, value if isinstance(value, datetime)
                          else datetime(value.year, value.month, value.day), fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


class Formats:
    """A workbook's formats, created once (xlsxwriter formats must not be re-created)."""

    def __init__(self, wb, size: int = 12):
        base = {"font_name": FONT, "font_size": size, "valign": "vcenter"}
        self.wb = wb
        self.base = base
        self._cache: dict[tuple, object] = {}

    def __call__(self, **props):
        key = tuple(sorted(props.items()))
        if key not in self._cache:
            self._cache[key] = self.wb.add_format({**self.base, **props})
        return self._cache[key]

    # common ones
    @property
    def text(self):
        return self(text_wrap=True, border=1)

    @property
    def center(self):
        return self(text_wrap=True, border=1, align="center")

    @property
    def number(self):
        return self(border=1, num_format=NUMBER_FORMAT)

    @property
    def date(self):
        return self(border=1, num_format=DATE_FORMAT, align="center")

    @property
    def header(self):
        return self(bold=True, text_wrap=True, border=1, align="center", bg_color="#D9E1F2")

    @property
    def key_row(self):
        return self(italic=True, border=1, align="center", font_size=10)


def a4_landscape(ws, repeat_rows: tuple[int, int] | None = None) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&CTrang &P/&N")
    if repeat_rows:
        ws.repeat_rows(*repeat_rows)
