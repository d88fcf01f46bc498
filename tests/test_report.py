"""The consolidated workbook: what goes up (addressed to the level above, Vietnamese only,
printed like a document within a page budget) and what stays in the internal workbook;
charts each inside one page area; LibreOffice opens and prints it."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest

from datetime import date, datetime

from bdg_excel.intake import rollup
from bdg_excel.report.charts import CHART_DATA, CHARTS, PAGE_ROWS, SLOT_COLS
from bdg_excel.report.results import TIDY_FIELDS
from bdg_excel.plan.model import Upward
from bdg_excel.demo import simulate_returns
from bdg_excel.report.workbook import (DATA, FINDINGS, MATRIX, REMIND, SUBMISSIONS, SUMMARY, TASKS,
                                      addressing, internal_path)
from bdg_excel.workflow import consolidate_workspace

from cycle_helpers import sheet_rows, simulated_cycle


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return simulated_cycle(tmp_path_factory.mktemp("report"))[2]


UPWARD = [SUMMARY, MATRIX, SUBMISSIONS, CHARTS]
#: The 8-unit Bình Lư example, rendered by LibreOffice as Excel prints it: the default font
#: is Times New Roman, so both draw the same column widths and row heights. (The earlier
#: budget, 9, was counted while LibreOffice substituted a wider font for Calibri, the old
#: default: columns 1.5 times wider than in Excel, text wrapping less than Excel wraps it.)
#: Summary 3, tasks 5, submissions 2, charts 3 until the long texts, the addresses and the
#: reminders moved to the internal workbook: now summary 3 (2 before the roll-up's notes
#: widened Ghi chú), tasks 2, submissions 1, charts 1 (7).
PAGE_BUDGET = 8
#: No sheet that goes up prints smaller than this (%): readable on paper.
MIN_SCALE = 70


def test_what_goes_up_and_what_stays(report):
    wb = openpyxl.load_workbook(report.path)
    visible = [s.title for s in wb.worksheets if s.sheet_state == "visible"]
    assert visible == UPWARD
    hidden = {s.title for s in wb.worksheets if s.sheet_state != "visible"}
    assert hidden == {CHART_DATA, rollup.DATA_SHEET, "_bdg"}
    assert wb.active.title == SUMMARY
    meta = {r[0]: r[1] for r in wb["_bdg"].iter_rows(values_only=True)}
    assert meta["kind"] == "consolidated" and meta["issuer"] == "Ủy ban nhân dân xã Bình Lư"
    # every visible text in Vietnamese: no English field names or codes
    english = set(TIDY_FIELDS) | set(rollup.FIELDS) | {"met", "not_met", "no_data", "percent",
                                                         "accepted", "needs_fixes", "missing"}
    for name in visible:
        texts = {v for r in sheet_rows(report.path, name) for v in r if isinstance(v, str)}
        assert not texts & english, (name, texts & english)
    # the internal workbook keeps the findings, the task list and the tidy data
    inner = internal_path(report.path)
    assert openpyxl.load_workbook(inner).sheetnames == [FINDINGS, REMIND, TASKS, DATA]
    assert sheet_rows(inner, DATA)[0] == list(TIDY_FIELDS)
    findings = sheet_rows(inner, FINDINGS)
    assert len([r for r in findings[2:] if r[0] != ""]) == len(report.consolidation.findings)


def test_nothing_internal_goes_up(report):
    """Every cell of every sheet of the workbook sent upward, hidden ones too: no unit's
    e-mail address, no reminder list, no feedback file, no returned file's name; they are
    in the internal workbook."""
    c = report.consolidation
    emails = {s.unit.email for s in c.submissions if s.unit.email}
    assert len(emails) >= 3
    ws_root = report.path.parent.parent
    feedback = {p.name for p in (ws_root / "outbox").rglob("Phan-hoi*")} | \
        {p.stem for p in (ws_root / "outbox").rglob("Phan-hoi*")}
    assert feedback                                  # the demo's return needing fixes
    returned = {rec.original_name for rec in c.history}
    internal = emails | feedback | returned | {"ĐƠN VỊ CẦN NHẮC", "Email", "Tệp", "Lý do"}
    wb = openpyxl.load_workbook(report.path)
    cells = 0
    for sheet in wb.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for v in row:
                if isinstance(v, str):
                    cells += 1
                    assert not any(x in v for x in internal), (sheet.title, v)
    assert cells > 200
    # the internal workbook has them
    rows = sheet_rows(internal_path(report.path), REMIND)
    flat = {v for r in rows for v in r}
    missing = [s for s in c.submissions if s.status == "missing"]
    assert missing and all(s.unit.name in flat for s in missing)
    assert {s.unit.email for s in c.completeness.to_remind if s.unit.email} <= flat
    assert "Email" in rows[0]


def test_addressed_to_the_level_above_with_the_office_signature(report):
    rows = sheet_rows(report.path, SUMMARY)
    flat = [v for r in rows for v in r if isinstance(v, str)]
    assert rows[0][0].startswith("Biểu số")
    assert "Đơn vị báo cáo: Ủy ban nhân dân xã Bình Lư" in flat
    # the plan names no upward body and the workspace no province: the Sở Nội vụ
    assert "Đơn vị nhận báo cáo: Sở Nội vụ" in flat
    assert not any("Ủy ban nhân dân xã (qua" in v for v in flat)
    assert not any(v.startswith(("Ngày nhận báo cáo", "Hạn gửi báo cáo")) for v in flat)
    assert any(v.startswith("BÁO CÁO TỔNG HỢP") for v in flat)
    assert "Kỳ báo cáo: năm 2026" in flat
    d = report.consolidation.generated_at
    assert f"Bình Lư, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}" in flat
    assert "NGƯỜI LẬP BIỂU" in flat and "THỦ TRƯỞNG ĐƠN VỊ" in flat
    assert "(Ký, đóng dấu, họ tên)" in flat
    head = next(i for i, r in enumerate(rows) if "Mã" in r and "Kết quả" in r)
    key_row = [v for v in rows[head + 1] if v != ""]
    assert key_row[:4] == ["A", "B", "1", "2"] and len(key_row) == len([h for h in rows[head] if h])
    assert "Tiến độ" in rows[head] and "Đánh giá" in rows[head]


def test_addressing_from_the_plan_then_the_configuration(plan_of):
    plan = plan_of("binh-lu")
    plan.upward = None
    made = datetime(2026, 12, 3, 9, 0)
    a = addressing(plan, None, "2026", made)
    assert (a.office, a.to, a.due, a.made) == ("Ủy ban nhân dân xã Bình Lư", "Sở Nội vụ", None,
                                               made)
    assert a.signer_title == "THỦ TRƯỞNG ĐƠN VỊ"
    assert addressing(plan, {"office": {"province": "Lai Châu"}}, "2026", made).to == \
        "Sở Nội vụ tỉnh Lai Châu"
    assert addressing(plan, {"upward": {"province": "thành phố Huế"}}, "2026", made).to == \
        "Sở Nội vụ thành phố Huế"
    cfg = {"upward": {"to": "Sở Nội vụ tỉnh Điện Biên", "due": "12-15",
                      "signer_title": "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH", "signer_name": "Lò Văn A"}}
    a = addressing(plan, cfg, "2027", made)
    assert (a.to, a.due, a.signer_name) == ("Sở Nội vụ tỉnh Điện Biên", date(2027, 12, 15),
                                            "Lò Văn A")
    assert a.signer_title.split("\n") == ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    # the plan's own upward report wins over the configuration
    plan.upward = Upward("Sở Nội vụ tỉnh Lào Cai", "2026-12-20")
    a = addressing(plan, cfg, "2026", made)
    assert (a.to, a.due) == ("Sở Nội vụ tỉnh Lào Cai", date(2026, 12, 20))
    assert addressing(plan, {"upward": {"due": "không rõ"}, "office": "x"}, "2026", made).to \
        == "Sở Nội vụ tỉnh Lào Cai"
    # a plan that says only "Sở Nội vụ": the workspace names the province
    plan.upward = Upward("Sở Nội vụ", None)
    assert addressing(plan, {"office": {"province": "Lai Châu"}}, "2026", made).to == \
        "Sở Nội vụ tỉnh Lai Châu"
    assert addressing(plan, cfg, "2026", made).to == "Sở Nội vụ tỉnh Điện Biên"
    assert addressing(plan, {}, "2026", made).to == "Sở Nội vụ"


def test_the_workbook_carries_the_offices_deadline_and_signer(report, tmp_path):
    from bdg_excel.report.workbook import write_report

    c = report.consolidation
    cfg = {"upward": {"to": "Sở Nội vụ tỉnh Lai Châu", "due": "12-10",
                      "signer_title": "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH", "signer_name": "Nguyễn Thị Nhàn"}}
    path = write_report(c, tmp_path / "up.xlsx", config=cfg, internal=False)
    assert not internal_path(path).exists()
    for name in (SUMMARY, MATRIX, SUBMISSIONS):
        flat = [v for r in sheet_rows(path, name) for v in r if isinstance(v, str)]
        assert "Đơn vị nhận báo cáo: Sở Nội vụ tỉnh Lai Châu" in flat, name
        assert "Hạn gửi báo cáo: 10/12/2026" in flat, name
        assert "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH" in flat and "Nguyễn Thị Nhàn" in flat, name


def test_print_setup_of_every_sheet(report):
    wb = openpyxl.load_workbook(report.path)
    for name in (SUMMARY, MATRIX, SUBMISSIONS, CHARTS):
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape", name
        assert str(ws.page_setup.paperSize) == "9", name              # A4
        assert "&P" in ws.oddFooter.center.text, name
        # a fixed scale (Excel ignores manual page breaks on a sheet fitted to the page);
        # that it fits the width and where it breaks: test_sheets_that_go_up_print_…
        assert not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.scale, name
        if name in (SUMMARY, MATRIX):
            assert ws.print_title_rows, name                        # header rows repeated
    ws = wb[SUMMARY]
    rows = sheet_rows(report.path, SUMMARY)
    head = next(i for i, r in enumerate(rows) if "Mã" in r and "Kết quả" in r)
    assert ws.print_title_rows == f"${head + 1}:${head + 2}"
    assert ws.freeze_panes == f"C{head + 3}"
    # widths in digits of the default font (Times New Roman 12, 8 px): as layout characters
    widths = {c: ws.column_dimensions[c].width * 8 / 7 for c in "ABCDJK"}
    assert widths["C"] >= 30 and widths["A"] <= 6          # indicator text wide, STT narrow
    assert widths["J"] >= len("Chưa đạt (mục tiêu") * 0.8
    assert ws.conditional_formatting                          # colours of the assessment
    # the chart sheet: a fixed scale and a page break every PAGE_ROWS rows
    ch = wb[CHARTS]
    assert not ch.sheet_properties.pageSetUpPr or not ch.sheet_properties.pageSetUpPr.fitToPage
    assert ch.page_setup.scale and int(ch.page_setup.scale) <= 90
    assert [b.id for b in ch.row_breaks.brk] == \
        [PAGE_ROWS * k for k in range(1, len(ch.row_breaks.brk) + 1)]


def test_assessment_colours_cover_interim_labels(report):
    wb = openpyxl.load_workbook(report.path)
    rules = [r for cf in wb[SUMMARY].conditional_formatting for r in cf.rules]
    prefixes = {r.text for r in rules if r.type == "beginsWith"}
    assert {"Đạt", "Vượt", "Chưa đạt", "Chưa có số liệu"} <= prefixes


def _anchors(path):
    """(from row, from col, to row, to col) of every chart of the chart sheet."""
    with zipfile.ZipFile(path) as zf:
        drawings = [zf.read(n).decode() for n in zf.namelist()
                    if re.match(r"xl/drawings/drawing\d+\.xml$", n)]
    out = []
    for d in drawings:
        for m in re.finditer(r"<xdr:from><xdr:col>(\d+)</xdr:col>.*?<xdr:row>(\d+)</xdr:row>"
                             r".*?<xdr:to><xdr:col>(\d+)</xdr:col>.*?<xdr:row>(\d+)</xdr:row>",
                             d, re.S):
            c0, r0, c1, r1 = map(int, m.groups())
            out.append((r0, c0, r1, c1))
    return out


def test_native_charts_each_inside_one_page_area(report):
    with zipfile.ZipFile(report.path) as zf:
        charts = [zf.read(n).decode() for n in zf.namelist()
                  if re.match(r"xl/charts/chart\d+\.xml$", n)]
    text = "\n".join(charts)
    assert len(charts) >= 2
    assert "Tình hình nộp báo cáo" in text
    assert "Mục tiêu 4: Trong lĩnh vực y tế" in text
    assert "Số đơn vị" in text and "Mã chỉ tiêu" in text           # axis titles in Vietnamese
    assert text.count("<c:barChart>") == len(charts)
    assert f"'{CHART_DATA}'!$B$2:$B$4" in text                    # on time / late / missing
    rows = sheet_rows(report.path, CHART_DATA)
    k = report.consolidation.completeness
    assert [r[1] for r in rows[1:4]] == [k.on_time, k.late, k.missing]
    anchors = _anchors(report.path)
    assert len(anchors) == len(charts)
    for r0, c0, r1, c1 in anchors:
        assert r0 // PAGE_ROWS == r1 // PAGE_ROWS, (r0, r1)        # never cut by a break
        assert r1 % PAGE_ROWS < PAGE_ROWS - 1
        assert c1 < 2 * SLOT_COLS                                  # inside the page width
    assert len({(r0, c0) for r0, c0, _, _ in anchors}) == len(anchors)


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


def _pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    pages = [m.group(1) for m in re.finditer(rb"/Type\s*/Page\b(?!s)(.{0,600}?)>>", pdf, re.S)]
    boxes = []
    for body in pages:
        m = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", body)
        assert m, body
        boxes.append((float(m.group(3)) - float(m.group(1)),
                      float(m.group(4)) - float(m.group(2))))
    return boxes


@pytest.mark.libreoffice
def test_libreoffice_prints_it_within_the_page_budget(report, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice not installed")
    base = [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo"]
    inner = internal_path(report.path)
    subprocess.run(base + ["--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"),
                           str(report.path), str(inner)],
                   check=True, capture_output=True, timeout=240)
    boxes = _pdf_pages((tmp_path / "pdf" / report.path.with_suffix(".pdf").name).read_bytes())
    assert 4 <= len(boxes) <= PAGE_BUDGET
    wb = openpyxl.load_workbook(report.path)
    for name in (SUMMARY, MATRIX, SUBMISSIONS, CHARTS):
        assert int(wb[name].page_setup.scale or 100) >= MIN_SCALE, name
    # page by page: the charts on one page, the submissions on one, two for the tasks
    pages = subprocess.run(["pdftotext", str(tmp_path / "pdf" / report.path.with_suffix(
        ".pdf").name), "-"], capture_output=True, text=True, check=True).stdout.split("\f")
    titles = {"charts": "BIỂU ĐỒ KẾT QUẢ", "submissions": "TÌNH HÌNH NỘP BÁO CÁO",
              "tasks": "TÌNH HÌNH THỰC HIỆN NHIỆM VỤ"}
    starts = {k: next(i for i, p in enumerate(pages) if t in p) for k, t in titles.items()}
    assert starts["charts"] - starts["submissions"] == 1
    assert starts["submissions"] - starts["tasks"] <= 2
    assert starts["tasks"] <= 3                      # the summary on at most 3 pages
    for w, h in boxes:                                         # A4 landscape: 842 × 595 pt
        assert w == pytest.approx(842, abs=2) and h == pytest.approx(595, abs=2)
    text = subprocess.run(["pdftotext", str(tmp_path / "pdf" / report.path.with_suffix(".pdf").name),
                           "-"], capture_output=True, text=True, check=True).stdout
    assert "Trang 1/" in text and "Số đơn vị" in text
    assert not any(f in text.split() for f in ("numerator", "not_met", "source_sha256"))
    assert _pdf_pages((tmp_path / "pdf" / inner.with_suffix(".pdf").name).read_bytes())

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
    assert openpyxl.load_workbook(back).sheetnames[:4] == UPWARD
    # the roll-up still reads the LibreOffice copy
    assert rollup.read_rows(back)


def test_task_sheet_is_one_block_per_unit(report):
    rows = sheet_rows(report.path, MATRIX)
    c = report.consolidation
    with_tasks = [s for s in c.submissions if any(t.unit.key == s.unit.key for t in c.tasks)]
    bands = [r[0] for r in rows if isinstance(r[0], str) and re.match(r"\d+\. ", r[0])]
    assert [b.split(". ", 1)[1].split(" (")[0] for b in bands] == [s.unit.name for s in with_tasks]
    assert len(rows[0]) <= 6                                  # five columns: never squeezed
    task_rows = [r for r in rows if isinstance(r[1], str) and r[1].startswith("NV")]
    assert len(task_rows) == len(c.tasks)
    assert {r[3] for r in task_rows} <= {"Đã hoàn thành", "Đang thực hiện", "Chưa thực hiện",
                                         "Chưa báo cáo"}
    total = next(r[0] for r in rows if isinstance(r[0], str) and r[0].startswith("Tổng hợp:"))
    assert total.startswith(f"Tổng hợp: {len(c.tasks)} nhiệm vụ của {len(with_tasks)} đơn vị")


def test_progress_chart_shares_toward_each_target(report):
    from bdg_excel.report.charts import PROGRESS_CAP, progress_shares

    c = report.consolidation
    shares = dict(progress_shares(c))
    assert shares
    for res in c.results:
        t = res.target
        if res.target.code not in shares:
            continue
        share = shares[t.code]
        assert 0 <= share <= PROGRESS_CAP
        if t.op in (">=", ">") and t.value:
            assert share == pytest.approx(min(PROGRESS_CAP, 100 * res.value / t.value), abs=0.06)
        if t.op in ("<=", "<") and res.value <= t.value:
            assert share == 100
    rows = sheet_rows(report.path, CHART_DATA)
    at = next(i for i, r in enumerate(rows) if r[:2] == ["Mã", "Mức đạt (%)"])
    assert [(r[0], r[1]) for r in rows[at + 1:at + 1 + len(shares)]] == list(shares.items())
    with zipfile.ZipFile(report.path) as zf:
        text = "".join(zf.read(n).decode() for n in zf.namelist() if "charts/chart" in n)
    assert "Mức đạt so với mục tiêu của từng chỉ tiêu" in text and "% so với mục tiêu" in text


def test_rows_are_as_tall_as_their_wrapped_text(report):
    """No row's text runs over the next rows (xlsxwriter cannot autofit: the heights are
    computed): every row holding text longer than its cell's width is heightened."""
    from openpyxl.utils import get_column_letter

    from bdg_excel.core.xlsx import LINE_PT, stored_col_widths, wrapped_lines

    wb = openpyxl.load_workbook(report.path)
    for name in (SUMMARY, MATRIX, SUBMISSIONS):
        ws = wb[name]
        widths = {get_column_letter(k): w for k, w in stored_col_widths(ws).items()}
        checked = 0
        for row in ws.iter_rows(min_row=9):
            for c in row:
                if not isinstance(c.value, str) or not c.alignment.wrap_text:
                    continue
                rng = next((r for r in ws.merged_cells.ranges
                            if c.coordinate in r and r.min_row == r.max_row), None)
                cols = range(rng.min_col, rng.max_col + 1) if rng else [c.column]
                width = sum(widths.get(get_column_letter(k)) or 8.43 for k in cols)
                need = wrapped_lines(c.value, width * 1.3)
                if need > 1:
                    height = ws.row_dimensions[c.row].height
                    assert height and height >= need * LINE_PT - 1, (name, c.coordinate, need)
                    checked += 1
        assert checked, name


def _all_values(path):
    wb = openpyxl.load_workbook(path)
    return {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in wb.worksheets}


def test_internal_workbook_is_the_same_written_beside_or_in_process(report, tmp_path,
                                                                    monkeypatch):
    """The internal workbook is written by a forked copy of the process while the upward one
    is written (POSIX, no other thread); in process otherwise, and again in process when the
    copy fails. The same workbooks every way."""
    import os

    from bdg_excel.report import workbook as wbmod

    c = report.consolidation
    forks, real_os_fork = [], os.fork

    def counted_fork():
        pid = real_os_fork()
        if pid:
            forks.append(pid)
        return pid
    monkeypatch.setattr(wbmod.os, "fork", counted_fork)
    forked = wbmod.write_report(c, tmp_path / "a" / "Tong-hop.xlsx")
    assert len(forks) == 1           # this test process has no other thread: it forked
    real_fork = wbmod._fork
    monkeypatch.setattr(wbmod, "_fork", lambda job: None)
    alone = wbmod.write_report(c, tmp_path / "b" / "Tong-hop.xlsx")
    for one, two in ((forked, alone), (internal_path(forked), internal_path(alone))):
        assert _all_values(one) == _all_values(two)
    # the forked copy fails: this process writes the internal workbook itself
    monkeypatch.setattr(wbmod, "_fork", real_fork)
    parent, real_write = os.getpid(), wbmod._write

    def fails_in_the_child(*a, **k):
        if os.getpid() != parent:
            raise OSError("disk gone in the child")
        return real_write(*a, **k)
    monkeypatch.setattr(wbmod, "_write", fails_in_the_child)
    third = wbmod.write_report(c, tmp_path / "c" / "Tong-hop.xlsx")
    assert _all_values(internal_path(third)) == _all_values(internal_path(alone))


@pytest.mark.parametrize("example", ["binh-lu", "tam-duong", "lai-chau-vp", "many-tasks"])
def test_sheets_that_go_up_print_on_our_page_breaks(make_workspace, example):
    """Simulating Excel's pagination from the file (fixed scale, row heights, manual
    breaks), on the bundled plans and on one with long task lists: the sheets that go up
    print within the page width at a readable scale; every page starts where bdg-excel
    broke it (Excel ignores manual breaks on a sheet fitted to the page, so none is);
    a goal's or a unit's heading row is never the last row of a page; the signature block
    shares its page with the table above it."""
    from print_helpers import excel_pages, printed_width_fits

    ws, plan, period, forms = make_workspace("binh-lu" if example == "many-tasks" else example)
    if example == "many-tasks":
        text = ("Tổ chức tuyên truyền, phổ biến pháp luật về bình đẳng giới cho cán bộ, "
                "hội viên và nhân dân ở các thôn, bản; lồng ghép giới trong kế hoạch")
        for i, unit in enumerate(plan.units):
            unit.tasks = [f"{text} (đợt {k})" for k in range(1, 4 + 3 * i)]
        from bdg_excel.workflow import generate
        forms = generate(ws, plan, period)
    simulate_returns(ws, plan, period, forms)
    report = consolidate_workspace(ws, plan, period, workers=1)
    for sheet in (SUMMARY, MATRIX, SUBMISSIONS):
        pages, automatic = excel_pages(report.path, sheet)
        assert not automatic, (sheet, [len(p) for p in pages])
        book = openpyxl.load_workbook(report.path)[sheet]
        last_col = max(c.column for row in book.iter_rows() for c in row if c.value is not None)
        assert printed_width_fits(report.path, sheet, last_col), sheet
        assert int(book.page_setup.scale or 100) >= 50, sheet
        rows = {r: [c.value for c in row] for r, row in enumerate(book.iter_rows(), 1)}
        text = {r: rows.get(r, [None]) for p in pages for r in p}

        def band(r):       # "Mục tiêu 3: …" or "2. Phòng Kinh tế (…)": merged across
            first = text[r][0]
            return isinstance(first, str) and bool(re.match(r"(Mục tiêu \d|\d+\. )", first))
        for p in pages:
            assert not band(p[-1]), (sheet, p[-1], text[p[-1]][0])
        sign = next(r for r, v in text.items() if "NGƯỜI LẬP BIỂU" in [str(x) for x in v])
        page = next(p for p in pages if sign in p)
        assert any(isinstance(text[r][0], int) or (isinstance(text[r][0], str) and
                   text[r][0].startswith("Tổng hợp:")) for r in page if r < sign), sheet
