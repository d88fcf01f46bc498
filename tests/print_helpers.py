"""Excel's pagination of a sheet printed at a fixed scale, simulated from the file: what
the tests of printed forms and reports check page breaks against (Excel itself cannot run
here; LibreOffice follows the same breaks)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import openpyxl

from bdg_excel.core.xlsx import stored_col_widths

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

A4_LANDSCAPE_HEIGHT_IN = 8.27


def excel_pages(path: Path, sheet: str) -> tuple[list[list[int]], bool]:
    """Rows of ``sheet`` page by page as Excel paginates a sheet printed at a fixed scale:
    a new page at each manual break, and an automatic one where the rows (and the repeated
    header rows) fill the printable height. Returns (pages of 1-based row numbers, whether
    an automatic break was needed). Fails on a sheet printed "fit to page", where Excel
    ignores manual breaks."""
    ws = openpyxl.load_workbook(path)[sheet]
    props = ws.sheet_properties.pageSetUpPr
    assert not (props and props.fitToPage), f"{sheet}: printed fitted to the page"
    assert str(ws.page_setup.paperSize) == "9"                       # A4
    tall = A4_LANDSCAPE_HEIGHT_IN if ws.page_setup.orientation == "landscape" else 11.69
    scale = int(ws.page_setup.scale or 100) / 100   # 100: not written
    m = ws.page_margins
    page_pt = (tall - m.top - m.bottom) * 72 / scale
    default = ws.sheet_format.defaultRowHeight or 15.75
    breaks = {b.id + 1 for b in ws.row_breaks.brk}            # a break after row id
    repeat = []
    if ws.print_title_rows:
        a, b = ws.print_title_rows.replace("$", "").split(":")
        repeat = list(range(int(a), int(b) + 1))
    last = ws.max_row
    if ws.print_area:
        last = int(str(ws.print_area).rsplit("$", 1)[-1])
    height = {r: (ws.row_dimensions[r].ht or default) for r in range(1, last + 1)}
    pages, page, used, automatic = [], [], 0.0, False
    for r in range(1, last + 1):
        if page and (r in breaks or used + height[r] > page_pt):
            automatic |= r not in breaks
            pages.append(page)
            page = []
            used = sum(height[t] for t in repeat) if repeat and r > repeat[-1] else 0.0
        page.append(r)
        used += height[r]
    pages.append(page)
    return pages, automatic


def printed_width_fits(path: Path, sheet: str, last_col: int) -> bool:
    """Columns 1..last_col at the sheet's print scale fit A4 landscape less its margins
    (widths in digits of the default font, Times New Roman 12: 8 px)."""
    ws = openpyxl.load_workbook(path)[sheet]
    widths = stored_col_widths(ws)
    px = sum(widths.get(c, 9) * 8 for c in range(1, last_col + 1))
    m = ws.page_margins
    printable = (11.69 - m.left - m.right) * 96
    return px * int(ws.page_setup.scale or 100) / 100 <= printable


def libreoffice_pages(path: Path, tmp: Path, layout: bool = False) -> list[str]:
    """The text of each page LibreOffice prints of the workbook ``path`` (PDF through
    soffice, then pdftotext page by page; ``layout``: keep the columns' layout)."""
    assert SOFFICE, "LibreOffice not installed"
    subprocess.run([SOFFICE, f"-env:UserInstallation={(tmp / 'lo').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp / "pdf"), str(path)],
                   check=True, capture_output=True, timeout=180)
    pdf = tmp / "pdf" / (path.stem + ".pdf")
    n = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True).stdout).group(1))
    flags = ["-layout"] if layout else []
    return [subprocess.run(["pdftotext", *flags, "-f", str(i), "-l", str(i), str(pdf), "-"],
                           capture_output=True, text=True).stdout for i in range(1, n + 1)]
