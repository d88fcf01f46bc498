"""What the end-to-end runs on real plans showed: task statuses exported (`export
--tasks`), the submissions chart of a plan without a deadline, count axes in whole steps,
yes/no results in words (and "Chưa có số liệu" when nobody answered), the header of a plan
without a number."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import datetime

from bdg_excel.report.charts import CHART_DATA, whole_step
from bdg_excel.report.export import TASK_FIELDS
from bdg_excel.report.results import TargetResult
from bdg_excel.report.workbook import MATRIX, SUBMISSIONS, SUMMARY
from bdg_excel.workflow import consolidate_workspace, export

from cycle_helpers import Fill, plan_workspace, return_form, run_cli, sheet_rows, table

UNITS = ["Hội Liên hiệp Phụ nữ", "Đoàn Thanh niên", "Hội Nông dân"]


def _plan(number=None, date=None, reports=None) -> dict:
    return {
        "title": "Kế hoạch công tác bình đẳng giới năm 2026", "number": number,
        "issuer": "Ủy ban nhân dân xã Thử Hai", "place": "Thử Hai", "date": date,
        "period": {"start": 2026, "end": 2026},
        "goals": [{"number": 1, "title": "Chính trị"}],
        "indicators": [
            {"code": "1.1", "goal": 1, "number": 1, "text": "Có nữ trong ban chỉ đạo",
             "targets": [{"code": "1.1", "op": "qualitative", "value": None, "max": None,
                          "unit": None, "year": 2026, "text": "Có nữ trong ban chỉ đạo"}]},
            {"code": "1.2", "goal": 1, "number": 2, "text": "Có kế hoạch riêng",
             "targets": [{"code": "1.2", "op": "qualitative", "value": None, "max": None,
                          "unit": None, "year": 2026, "text": "Có kế hoạch riêng"}]},
        ],
        "units": [{"name": n, "indicators": ["1.1", "1.2"],
                   "tasks": [f"Nhiệm vụ {k} của {n}" for k in (1, 2)], "email": None}
                  for n in UNITS],
        "reports": reports if reports is not None else [],
    }


def test_export_tasks_gives_every_unit_and_task(tmp_path, capsys):
    ws, plan, forms = plan_workspace(tmp_path / "ws", _plan("7/KH-UBND", "2026-02-01"))
    when = datetime(2026, 11, 2, 9)
    return_form(ws, forms, UNITS[0], {"1.1": Fill(value="Có")},
                {"NV1": ("Đã hoàn thành", "Xong, 3 buổi"), "NV2": ("Đang thực hiện", "@SUM(A1) còn 2 đợt")},
                when=when)
    return_form(ws, forms, UNITS[1], {}, {"NV2": ("Chưa thực hiện", "Thiếu kinh phí")},
                when=when)
    consolidate_workspace(ws, plan, "2026", workers=1)          # collects the returns
    rows = json.loads(export(ws, plan, "2026", "json", tasks=True))
    assert len(rows) == len(UNITS) * 2
    assert all(list(r) == list(TASK_FIELDS) for r in rows)
    by = {(r["unit"], r["task"]): r for r in rows}
    assert by[(UNITS[0], "NV1")]["status"] == "Đã hoàn thành"
    assert by[(UNITS[0], "NV1")]["result"] == "Xong, 3 buổi"
    assert by[(UNITS[0], "NV1")]["text"] == f"Nhiệm vụ 1 của {UNITS[0]}"
    assert by[(UNITS[1], "NV1")]["status"] is None and by[(UNITS[1], "NV2")]["status"] == \
        "Chưa thực hiện"
    assert by[(UNITS[1], "NV2")]["source_sha256"] and by[(UNITS[1], "NV2")]["received_at"]
    assert by[(UNITS[2], "NV1")]["source_file"] is None           # not reported
    # the CLI, CSV: header, formula-like text neutralised
    code, out, _ = run_cli(capsys, "export", "-w", str(ws.root), "--format", "csv", "--tasks")
    assert code == 0
    table_ = list(csv.reader(io.StringIO(out)))
    assert table_[0] == list(TASK_FIELDS) and len(table_) == 1 + len(UNITS) * 2
    assert "'@SUM(A1) còn 2 đợt" in out
    # without --tasks: the target rows, as before
    code, out, _ = run_cli(capsys, "export", "-w", str(ws.root), "--format", "json")
    assert code == 0 and "task" not in json.loads(out)[0]


def _chart_xml(path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return [zf.read(n).decode() for n in sorted(zf.namelist())
                if re.match(r"xl/charts/chart\d+\.xml$", n)]


def test_plan_without_deadline_or_number(tmp_path):
    """No deadline: the unit that reported is on the submissions chart; no number: the
    header says which plan by its date, or leaves the line out."""
    ws, plan, forms = plan_workspace(tmp_path / "ws", _plan())
    assert plan.deadline("2026") is None
    return_form(ws, forms, UNITS[0], {"1.1": Fill(value="Có")}, when=datetime(2026, 6, 1))
    res = consolidate_workspace(ws, plan, "2026", workers=1)
    data = sheet_rows(res.path, CHART_DATA)
    figures = {r[0]: r[1] for r in data[1:5] if r[0]}
    assert figures.get("Đã nộp (kế hoạch chưa có hạn)") == 1
    assert figures.get("Chưa nộp") == 2
    assert sum(v for v in figures.values() if isinstance(v, float)) == len(UNITS)
    first = _chart_xml(res.path)[0]
    assert "Tình hình nộp báo cáo" in first and '<c:majorUnit val="1"/>' in first
    for sheet in (SUMMARY, MATRIX, SUBMISSIONS):
        rows = sheet_rows(res.path, sheet)
        texts = [v for r in rows[:4] for v in r if isinstance(v, str)]
        assert not any(t.strip().endswith("Kế hoạch") for t in texts), (sheet, texts)
        assert not any(t.startswith("Ban hành kèm theo") for t in texts)  # nothing to name
    # the totals of a plan without a deadline say so
    total = next(r for r in sheet_rows(res.path, SUBMISSIONS) if str(r[1]).startswith("Tổng"))
    assert total[3] == "Kế hoạch chưa có hạn nộp"


def test_plan_with_a_date_but_no_number(tmp_path):
    ws, plan, forms = plan_workspace(tmp_path / "ws", _plan(date="2026-03-15"))
    res = consolidate_workspace(ws, plan, "2026", workers=1)
    rows = sheet_rows(res.path, SUMMARY)
    assert rows[1][0] == "Ban hành kèm theo Kế hoạch ngày 15/03/2026"


def test_yes_no_rows_in_words(tmp_path):
    ws, plan, forms = plan_workspace(
        tmp_path / "ws", _plan("7/KH-UBND", "2026-02-01",
                               [{"kind": "annual", "due": "11-30", "to": "UBND xã"}]))
    when = datetime(2026, 11, 2, 9)
    return_form(ws, forms, UNITS[0], {"1.1": Fill(value="Có")}, when=when)
    return_form(ws, forms, UNITS[1], {"1.1": Fill(value="Có")}, when=when)
    return_form(ws, forms, UNITS[2], {"1.1": Fill(value="Không")}, when=when)
    res = consolidate_workspace(ws, plan, "2026", workers=1)
    rows = table(res.path, SUMMARY)
    assert rows["1.1"]["Kết quả"] == "Có: 2 đơn vị; Không: 1 đơn vị"
    assert rows["1.2"]["Kết quả"] in ("", None)                   # nobody answered
    assert rows["1.2"]["Đánh giá"] == "Chưa có số liệu"
    assert rows["1.1"]["Đánh giá"] == "Định tính"
    # the words, one by one
    res_ = next(r for r in res.consolidation.results if r.target.code == "1.1")
    for answers, text in (({"Có": 1}, "Có"), ({"Không": 1}, "Không"),
                          ({"Có": 4}, "Có (cả 4 đơn vị)"), ({}, None),
                          ({"Không": 2, "Có": 1}, "Có: 1 đơn vị; Không: 2 đơn vị")):
        r = TargetResult(res_.target, "", [], [], answers=answers)
        assert r.answer_text == text


def test_count_axes_step_in_whole_units():
    assert [whole_step(n) for n in (0, 1, 5, 6, 7, 12, 13, 30, 31, 100, 168, 3321)] == \
        [1, 1, 1, 1, 2, 2, 5, 5, 10, 20, 50, 1000]
