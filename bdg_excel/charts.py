"""Native Excel charts of the consolidated workbook (xlsxwriter).

Sheet "Biểu đồ": a small table of the figures charted (charts in Excel read cells), one
column chart per goal and unit of measure — the result against the target for every
target row that has a numeric target — and a chart of the submissions: on time, late,
missing.
"""

from __future__ import annotations

from .consolidate import Consolidation
from .xlsx import Formats, a4_landscape, put

CHARTS = "Biểu đồ"
CHART_ROWS = 18          # rows a chart occupies
ANCHOR_COL = 5           # charts start in column F


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


def write_charts(wb, fm: Formats, c: Consolidation) -> int:
    """Write the chart sheet; returns the number of charts."""
    ws = wb.add_worksheet(CHARTS)
    name = _quote(CHARTS)
    ws.set_column(0, 0, 10)
    ws.set_column(1, 3, 11)
    ws.merge_range(0, 0, 0, 12, f"BIỂU ĐỒ KẾT QUẢ – {c.plan.issuer or c.plan.name} – kỳ "
                   f"{c.period}", fm(bold=True, font_size=14))
    n_charts = 0
    anchor = 2
    # Submissions first: it always exists.
    k = c.completeness
    row = 2
    ws.write_string(row, 0, "Tình hình nộp", fm.header)
    ws.write_string(row, 1, "Số đơn vị", fm.header)
    data = [("Đúng hạn", k.on_time), ("Trễ hạn", k.late), ("Chưa nộp", k.missing)]
    for i, (label, value) in enumerate(data, 1):
        put(ws, row + i, 0, label, fm.text)
        put(ws, row + i, 1, value, fm.center)
    chart = wb.add_chart({"type": "column"})
    chart.add_series({
        "name": "Số đơn vị",
        "categories": f"={name}!$A${row + 2}:$A${row + 4}",
        "values": f"={name}!$B${row + 2}:$B${row + 4}",
        "points": [{"fill": {"color": "#70AD47"}}, {"fill": {"color": "#FFC000"}},
                   {"fill": {"color": "#C00000"}}],
        "data_labels": {"value": True},
    })
    chart.set_title({"name": "Tình hình nộp báo cáo", "name_font": {"size": 12}})
    chart.set_legend({"none": True})
    chart.set_y_axis({"min": 0, "major_gridlines": {"visible": True}})
    ws.insert_chart(anchor, ANCHOR_COL, chart, {"x_scale": 1.3, "y_scale": 1.1})
    n_charts += 1
    anchor += CHART_ROWS
    row += len(data) + 2

    for title, results in result_groups(c):
        ws.write_string(row, 0, "Mã", fm.header)
        ws.write_string(row, 1, "Kết quả", fm.header)
        ws.write_string(row, 2, "Mục tiêu", fm.header)
        ws.write_string(row, 3, "Kỳ trước", fm.header)
        for i, res in enumerate(results, 1):
            put(ws, row + i, 0, res.target.code, fm.center)
            put(ws, row + i, 1, res.value, fm.number)
            put(ws, row + i, 2, res.target.value, fm.number)
            put(ws, row + i, 3, res.previous, fm.number)
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
                          "fill": {"color": "#ED7D31"}})
        chart.set_title({"name": title, "name_font": {"size": 11}})
        chart.set_legend({"position": "bottom"})
        chart.set_y_axis({"min": 0, "major_gridlines": {"visible": True}})
        chart.show_blanks_as("gap")
        ws.insert_chart(anchor, ANCHOR_COL, chart, {"x_scale": 1.3, "y_scale": 1.1})
        n_charts += 1
        anchor += CHART_ROWS
        row += len(results) + 2
    a4_landscape(ws)
    return n_charts
