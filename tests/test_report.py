"""The consolidated workbook: statistical-form layout, print setup, charts, text stays
text, and LibreOffice opens it and prints the summary on A4 landscape pages."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest

from bdg_excel import rollup
from bdg_excel.charts import CHARTS
from bdg_excel.demo import simulate_returns
from bdg_excel.report import FINDINGS, MATRIX, SUBMISSIONS, SUMMARY, TASKS
from bdg_excel.workflow import consolidate_workspace

from cycle_helpers import sheet_rows


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from bdg_excel.workflow import generate, init_workspace, load

    ws = init_workspace(tmp_path_factory.mktemp("report") / "ws", "binh-lu")
    plan = load(ws)
    forms = generate(ws, plan, "2026")
    simulate_returns(ws, plan, "2026", forms)
    return consolidate_workspace(ws, plan, "2026", workers=1)


def test_sheets_are_vietnamese_and_summary_follows_the_statistical_form(report):
    wb = openpyxl.load_workbook(report.path)
    assert wb.sheetnames[:6] == [SUMMARY, MATRIX, TASKS, SUBMISSIONS, CHARTS, FINDINGS]
    assert wb["_bdg"].sheet_state == "hidden"
    meta = {r[0]: r[1] for r in wb["_bdg"].iter_rows(values_only=True)}
    assert meta["kind"] == "consolidated" and meta["issuer"] == "Ủy ban nhân dân xã Bình Lư"
    assert wb.active.title == SUMMARY
    rows = sheet_rows(report.path, SUMMARY)
    flat = [v for r in rows for v in r if isinstance(v, str)]
    assert rows[0][0].startswith("Biểu số")
    assert "Đơn vị báo cáo: Ủy ban nhân dân xã Bình Lư" in flat
    assert any(v.startswith("Đơn vị nhận báo cáo:") for v in flat)
    assert any(v.startswith("BÁO CÁO TỔNG HỢP") for v in flat)
    assert "Kỳ báo cáo: năm 2026" in flat
    assert any(v.startswith("Đơn vị tính") for v in flat)
    head = next(i for i, r in enumerate(rows) if "Mã" in r and "Kết quả" in r)
    key_row = [v for v in rows[head + 1] if v != ""]
    assert key_row[:4] == ["A", "B", "1", "2"] and len(key_row) == len([h for h in rows[head] if h])
    d = report.consolidation.generated_at
    assert f"Bình Lư, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}" in flat
    assert "NGƯỜI LẬP BIỂU" in flat and "THỦ TRƯỞNG ĐƠN VỊ" in flat
    assert "(Ký, đóng dấu, họ tên)" in flat
    assert "Tiến độ" in rows[head] and "Đánh giá" in rows[head]


def test_print_setup_frozen_headers_and_widths(report):
    wb = openpyxl.load_workbook(report.path)
    for name in (SUMMARY, MATRIX, TASKS, SUBMISSIONS, FINDINGS, CHARTS):
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape", name
        assert str(ws.page_setup.paperSize) == "9", name              # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        # fit to one page wide (1 is the default, which xlsxwriter leaves out), any height
        assert (ws.page_setup.fitToWidth or 1) == 1 and ws.page_setup.fitToHeight == 0, name
        assert "&P" in ws.oddFooter.center.text, name
    ws = wb[SUMMARY]
    rows = sheet_rows(report.path, SUMMARY)
    head = next(i for i, r in enumerate(rows) if "Mã" in r and "Kết quả" in r)
    assert ws.print_title_rows == f"${head + 1}:${head + 2}"
    assert ws.freeze_panes == f"C{head + 3}"
    widths = {c: ws.column_dimensions[c].width for c in "ABCDJK"}
    assert widths["C"] >= 30 and widths["A"] <= 6          # indicator text wide, STT narrow
    assert widths["J"] >= len("Chưa đạt (mục tiêu") * 0.8
    assert ws.conditional_formatting                          # colours of the assessment


def test_assessment_colours_cover_interim_labels(report):
    wb = openpyxl.load_workbook(report.path)
    rules = [r for cf in wb[SUMMARY].conditional_formatting for r in cf.rules]
    prefixes = {r.text for r in rules if r.type == "beginsWith"}
    assert {"Đạt", "Vượt", "Chưa đạt", "Chưa có số liệu"} <= prefixes


def test_native_charts_result_against_target_and_submissions(report):
    with zipfile.ZipFile(report.path) as zf:
        charts = [zf.read(n).decode() for n in zf.namelist()
                  if re.match(r"xl/charts/chart\d+\.xml$", n)]
    text = "\n".join(charts)
    assert len(charts) >= 2
    assert "Tình hình nộp báo cáo" in text
    assert "Mục tiêu 4: Trong lĩnh vực y tế" in text
    assert text.count("<c:barChart>") == len(charts)
    assert f"'{CHARTS}'!$B$4:$B$6" in text                  # on time / late / missing
    rows = sheet_rows(report.path, CHARTS)
    k = report.consolidation.completeness
    assert [r[1] for r in rows[3:6]] == [k.on_time, k.late, k.missing]


def test_rollup_sheet_matches_summary(report):
    rows = sheet_rows(report.path, rollup.DATA_SHEET)
    head = rows[0]
    assert list(head) == list(rollup.FIELDS)
    by = {r.target.code: r for r in report.consolidation.results}
    for r in rows[1:]:
        rec = dict(zip(head, r))
        res = by[rec["code"]]
        if res.value is not None:
            assert rec["value"] == pytest.approx(res.value)
        if res.numerator is not None:
            assert (rec["numerator"], rec["denominator"]) == (res.numerator, res.denominator)


@pytest.mark.libreoffice
def test_libreoffice_opens_it_and_prints_the_summary_on_a4_landscape(report, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice not installed")
    base = [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo"]
    subprocess.run(base + ["--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"),
                           str(report.path)], check=True, capture_output=True, timeout=180)
    pdf = (tmp_path / "pdf" / report.path.with_suffix(".pdf").name).read_bytes()
    pages = [m.group(1) for m in re.finditer(rb"/Type\s*/Page\b(?!s)(.{0,600}?)>>", pdf, re.S)]
    boxes = []
    for body in pages:
        m = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", body)
        assert m, body
        boxes.append((float(m.group(3)) - float(m.group(1)),
                      float(m.group(4)) - float(m.group(2))))
    assert len(boxes) >= 2
    for w, h in boxes:                                         # A4 landscape: 842 × 595 pt
        assert w == pytest.approx(842, abs=2) and h == pytest.approx(595, abs=2)

    # Opened and saved again by LibreOffice: the values read back are the same.
    subprocess.run(base + ["--convert-to", "xlsx", "--outdir", str(tmp_path / "lo-xlsx"),
                           str(report.path)], check=True, capture_output=True, timeout=180)
    back = tmp_path / "lo-xlsx" / report.path.name
    ours, theirs = sheet_rows(report.path, SUMMARY), sheet_rows(back, SUMMARY)
    def cells(rows):
        return {(i, j): v for i, r in enumerate(rows) for j, v in enumerate(r) if v not in ("", None)}
    a, b = cells(ours), cells(theirs)
    assert a.keys() == b.keys()
    for key, v in a.items():
        assert b[key] == (pytest.approx(v) if isinstance(v, float) else v), key
    assert openpyxl.load_workbook(back).sheetnames[:4] == [SUMMARY, MATRIX, TASKS, SUBMISSIONS]


def test_task_matrix_of_many_units_keeps_totals_and_points_to_the_list(report, tmp_path,
                                                                       monkeypatch):
    from bdg_excel import sheets
    from bdg_excel.report import write_report

    full = sheet_rows(report.path, MATRIX)
    c = report.consolidation
    monkeypatch.setattr(sheets, "MATRIX_MAX_UNITS", len(c.submissions) - 1)
    rows = sheet_rows(write_report(c, tmp_path / "many.xlsx"), MATRIX)
    flat = [v for r in rows for v in r if isinstance(v, str)]
    assert any(v.startswith(f"Kế hoạch có {len(c.submissions)} đơn vị") and TASKS in v
               for v in flat)
    assert not any(isinstance(r[0], float) for r in rows)        # no unit rows
    names = {u.name for u in c.plan.units}
    assert not names & set(flat)
    # the same header and the same totals as the complete matrix
    head = next(i for i, r in enumerate(full) if "Đơn vị" in r)
    assert rows[head] == full[head]
    assert next(r for r in rows if r[0] == "Tổng hợp") == \
        next(r for r in full if r[0] == "Tổng hợp")
