"""Native Excel charts of the consolidated workbook (xlsxwriter).

Sheet "Biểu đồ" prints on ONE A4 landscape page (the print area), four charts two across
and two down: who reported on time, late or not at all (or, for a plan without a deadline,
who reported); the target rows by assessment; how far each target row is toward its
target (%); the tasks by status. Below the printed page, seen on screen only: per goal and
unit of measure, the result against the target of every target row that has a numeric
target (and the previous period when known). Each chart lies inside one page area of
:data:`PAGE_ROWS` rows. The figures the charts read are on the hidden sheet
:data:`CHART_DATA` (never printed). Axes that count (units, indicators, tasks) go in whole
steps.
"""

from __future__ import annotations

from itertools import cycle

from ..core.xlsx import Formats, a4_landscape, col_units, put
from .results import Consolidation
from .sheets import STATUS_COLOURS

CHARTS = "Biểu đồ"
CHART_DATA = "Số liệu biểu đồ"
ROW_PX = 20              # default row: 15 pt
COL_PX = 64              # default column: 8.43 characters
PAGE_ROWS = 32           # rows of one page area (see PRINT_SCALE); only the first prints
SLOT_ROWS = 15           # rows a chart occupies (288 px + a gap)
SLOT_COLS = 7            # columns a chart occupies (430 px + a gap)
CHART_PX = (430, 288)
PER_PAGE = 4
#: The grid is 14 columns of 64 px (9.3 in at 100 %), the same in Excel and LibreOffice
#: (the default font is Times New Roman, see core.xlsx.workbook_options). Printed at 85 %:
#: 7.9 in of the 10.8 in of A4 landscape, and 32 rows of 15 pt are 408 pt of the 508
#: printable, so a chart never reaches a page's edge.
PRINT_SCALE = 85
#: (row, column) of each chart slot within a page; the title takes row 0 of the first page
SLOTS = [(1, 0), (1, SLOT_COLS), (1 + SLOT_ROWS, 0), (1 + SLOT_ROWS, SLOT_COLS)]


def _quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def result_groups(c: Consolidation) -> list[tuple[str, list]]:
    """(title, target results) per goal and unit of measure, numeric targets only."""
    goals = {g.number: g.title for g in c.plan.goals}
    groups: dict[tuple[int, str], list] = {}
    for res in c.results:
        t = res.target
        if t.measure == "yesno" or t.value is None or not res.unit_values:
            continue
        groups.setdefault((t.goal, t.unit or ""), []).append(res)
    out = []
    for (goal, unit), results in groups.items():
        title = f"Mục tiêu {goal}: {goals.get(goal, '')}"
        if len(title) > 60:
            title = title[:59] + "…"
        out.append((f"{title} ({unit})" if unit else title, results))
    return out


PROGRESS_CAP = 150       # a share above this is drawn at the cap (one outlier flattens the rest)


def progress_shares(c: Consolidation) -> list[tuple[str, float]]:
    """(code, % of the target reached) of every numeric target row with a result: the
    result over the target for "at least" targets, the target over the result for "at most"
    ones (100 % = reached), capped at :data:`PROGRESS_CAP`."""
    out = []
    for res in c.results:
        t, v = res.target, res.value
        if t.measure == "yesno" or t.value is None or v is None or not res.unit_values:
            continue
        if t.op in (">=", ">", "=", "between"):
            share = 100.0 * v / t.value if t.value else None
        elif t.op in ("<=", "<"):
            share = 100.0 if v <= t.value else (100.0 * t.value / v if v else None)
        else:
            share = None
        if share is not None:
            out.append((t.code, round(min(share, PROGRESS_CAP), 1)))
    return out


def chart_anchor(i: int) -> tuple[int, int]:
    """(row, column) of the i-th chart: page i // 4, slot i % 4."""
    r, col = SLOTS[i % PER_PAGE]
    return (i // PER_PAGE) * PAGE_ROWS + r, col


def whole_step(largest: float) -> int:
    """A whole major unit for an axis that counts (never 0,2 of a unit): 1, 2, 5, 10, 20 …,
    so that the axis has at most six steps."""
    step, factors = 1, cycle((2, 2.5, 2))
    while largest / step > 6:
        step = int(step * next(factors))
    return step


def _counts_chart(wb, fm: Formats, data, row: int, title: str, head: str,
                  figures: list[tuple[str, int, str]], x_name: str):
    """A column chart of counts (units, indicators, tasks) with its figures written on the
    data sheet from ``row``: each bar its colour, the axis in whole steps."""
    name = _quote(CHART_DATA)
    data.write_string(row, 0, head, fm.header)
    data.write_string(row, 1, "Số lượng", fm.header)
    for i, (label, value, _) in enumerate(figures, 1):
        put(data, row + i, 0, label, fm.text)
        put(data, row + i, 1, value, fm.center)
    first, last = row + 2, row + 1 + len(figures)
    chart = wb.add_chart({"type": "column"})
    chart.add_series({
        "name": head,
        "categories": f"={name}!$A${first}:$A${last}",
        "values": f"={name}!$B${first}:$B${last}",
        "points": [{"fill": {"color": colour}} for _, _, colour in figures],
        "data_labels": {"value": True},
    })
    chart.set_title({"name": title, "name_font": {"size": 12}})
    chart.set_legend({"none": True})
    chart.set_x_axis({"name": x_name})
    chart.set_y_axis({"name": head, "min": 0,
                      "major_unit": whole_step(max((v for _, v, _ in figures), default=1)),
                      "num_format": "0", "major_gridlines": {"visible": True}})
    return chart, row + len(figures) + 2


def submission_figures(c: Consolidation) -> list[tuple[str, int, str]]:
    """(label, units, colour) of the submissions chart: on time, late, missing and, when
    units reported under a plan without a deadline, those that reported."""
    k = c.completeness
    figures = [("Đúng hạn", k.on_time, "#70AD47"), ("Trễ hạn", k.late, "#FFC000"),
               ("Chưa nộp", k.missing, "#C00000")]
    undated = k.received - k.on_time - k.late
    if undated:
        figures.insert(0, ("Đã nộp (kế hoạch chưa có hạn)", undated, "#4472C4"))
        if not k.on_time and not k.late:
            figures = [f for f in figures if f[0] not in ("Đúng hạn", "Trễ hạn")]
    return figures


def assessment_figures(c: Consolidation) -> list[tuple[str, int, str]]:
    """(label, target rows, colour) by assessment of the consolidated results."""
    order = [("Đạt", "#70AD47"), ("Chưa đạt", "#ED7D31"), ("Định tính", "#A5A5A5"),
             ("Chưa có số liệu", "#D9D9D9")]
    labels = {"met": "Đạt", "not_met": "Chưa đạt", "qualitative": "Định tính"}
    counts = dict.fromkeys((label for label, _ in order), 0)
    for res in c.results:
        if res.unit_values:          # rows assigned to nobody are not counted
            counts[labels.get(res.assessment.code, "Chưa có số liệu")] += 1
    return [(label, counts[label], colour) for label, colour in order]


def task_figures(c: Consolidation) -> list[tuple[str, int, str]]:
    """(status, tasks, colour), the tasks of units that have not reported as such."""
    counts = dict.fromkeys(STATUS_COLOURS, 0)
    for tr in c.tasks:
        status = tr.status if tr.status in counts else "Chưa báo cáo"
        counts[status] += 1
    colours = {"Đã hoàn thành": "#70AD47", "Đang thực hiện": "#FFC000",
               "Chưa thực hiện": "#C00000", "Chưa báo cáo": "#A5A5A5"}
    return [(k, v, colours[k]) for k, v in counts.items()]


def write_charts(wb, fm: Formats, c: Consolidation) -> int:
    """Write the chart sheet and its hidden data sheet; returns the number of charts.
    The first page (printed) holds submissions, results by assessment, progress toward
    each target and tasks by status; the charts per goal follow below it, outside the
    print area (seen on screen, never printed)."""
    ws = wb.add_worksheet(CHARTS)
    data = wb.add_worksheet(CHART_DATA)
    name = _quote(CHART_DATA)
    ws.set_default_row(15)
    ws.set_column_pixels(0, 2 * SLOT_COLS - 1, COL_PX)   # explicit: renderers' defaults differ
    ws.merge_range(0, 0, 0, 2 * SLOT_COLS - 1,
                   f"BIỂU ĐỒ KẾT QUẢ – {c.plan.issuer or c.plan.name} – kỳ {c.period}",
                   fm(bold=True, font_size=14, align="center"))
    charts = []
    # Submissions first: it always exists.
    chart, row = _counts_chart(wb, fm, data, 0, "Tình hình nộp báo cáo của các đơn vị",
                               "Số đơn vị", submission_figures(c), "Tình hình nộp")
    charts.append(chart)
    if c.has_targets:
        chart, row = _counts_chart(wb, fm, data, row, "Kết quả các chỉ tiêu theo đánh giá",
                                   "Số chỉ tiêu", assessment_figures(c), "Đánh giá")
        charts.append(chart)
    # How far each target row is toward its target (100 % = reached)
    shares = progress_shares(c)
    if shares:
        data.write_string(row, 0, "Mã", fm.header)
        data.write_string(row, 1, "Mức đạt (%)", fm.header)
        for i, (code, share) in enumerate(shares, 1):
            put(data, row + i, 0, code, fm.center)
            put(data, row + i, 1, share, fm.number)
        first, last = row + 2, row + 1 + len(shares)
        chart = wb.add_chart({"type": "column"})
        chart.add_series({
            "name": "Mức đạt so với mục tiêu (%)",
            "categories": f"={name}!$A${first}:$A${last}",
            "values": f"={name}!$B${first}:$B${last}",
            "points": [{"fill": {"color": "#70AD47" if s >= 100 else "#ED7D31"}}
                       for _, s in shares],
            "data_labels": {"value": True},
        })
        chart.set_title({"name": "Mức đạt so với mục tiêu của từng chỉ tiêu (100 % = đạt)",
                         "name_font": {"size": 11}})
        chart.set_legend({"none": True})
        chart.set_x_axis({"name": "Mã chỉ tiêu"})
        chart.set_y_axis({"name": "% so với mục tiêu", "min": 0,
                          "major_gridlines": {"visible": True}})
        charts.append(chart)
        row += len(shares) + 2

    if c.tasks:
        chart, row = _counts_chart(wb, fm, data, row, "Tình hình thực hiện nhiệm vụ",
                                   "Số nhiệm vụ", task_figures(c), "Tình trạng")
        charts.append(chart)
    printed = len(charts)

    for title, results in result_groups(c):
        for col, head in enumerate(("Mã", "Kết quả", "Mục tiêu", "Kỳ trước")):
            data.write_string(row, col, head, fm.header)
        for i, res in enumerate(results, 1):
            put(data, row + i, 0, res.target.code, fm.center)
            put(data, row + i, 1, res.value, fm.number)
            put(data, row + i, 2, res.target.value, fm.number)
            put(data, row + i, 3, res.previous, fm.number)
        first, last = row + 2, row + 1 + len(results)   # 1-based rows of the data
        chart = wb.add_chart({"type": "column"})
        cats = f"={name}!$A${first}:$A${last}"
        chart.add_series({"name": "Kết quả", "categories": cats,
                          "values": f"={name}!$B${first}:$B${last}",
                          "fill": {"color": "#4472C4"}, "data_labels": {"value": True}})
        if c.previous_period:
            chart.add_series({"name": f"Kỳ trước ({c.previous_period})", "categories": cats,
                              "values": f"={name}!$D${first}:$D${last}",
                              "fill": {"color": "#A5A5A5"}})
        chart.add_series({"name": "Mục tiêu", "categories": cats,
                          "values": f"={name}!$C${first}:$C${last}",
                          "fill": {"color": "#ED7D31"}, "data_labels": {"value": True}})
        chart.set_title({"name": title, "name_font": {"size": 11}})
        chart.set_legend({"position": "bottom"})
        unit = results[0].target.unit or ""
        chart.set_x_axis({"name": "Mã chỉ tiêu"})
        chart.set_y_axis({"name": f"Giá trị ({unit})" if unit else "Giá trị", "min": 0,
                          "major_gridlines": {"visible": True}})
        chart.show_blanks_as("gap")
        charts.append(chart)
        row += len(results) + 2

    for i, chart in enumerate(charts):
        chart.set_size({"width": CHART_PX[0], "height": CHART_PX[1]})
        r, col = chart_anchor(i)
        ws.insert_chart(r, col, chart)
    if len(charts) > printed:
        ws.merge_range(PAGE_ROWS, 0, PAGE_ROWS, 2 * SLOT_COLS - 1,
                       "Biểu đồ kết quả theo từng mục tiêu (xem trên máy; không in)",
                       fm(bold=True, align="center"))
    ws.print_area(0, 0, PAGE_ROWS - 1, 2 * SLOT_COLS - 1)     # one printed page
    a4_landscape(ws)
    ws.set_print_scale(PRINT_SCALE)         # a fixed scale: the page holds its four charts
    ws.center_horizontally()
    data.set_column(0, 3, col_units(12))
    data.hide()
    return len(charts)
