"""Feedback a unit can act on: problem cells in a colour no input cell has, a first sheet
listing every problem (cell, what is wrong, what to do) with the message to paste into an
e-mail; no crash on merged cells or control characters; one feedback per return; none
where the unit followed the instructions; stale feedback moved away once a corrected
return is accepted."""

from __future__ import annotations

import os
from datetime import datetime
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from bdg_excel.forms import layout
from bdg_excel.intake.collect import collect
from bdg_excel.demo import Fill, fill_form
from bdg_excel.intake.feedback import (ERROR_FILL, LIST_SHEET, REPLACED_DIR, WARNING_FILL, annotate,
                                feedback_stem, split_action)
from bdg_excel.core.findings import ERROR, WARNING, Finding

TTDV = "Trung tâm Dịch vụ tổng hợp"
YELLOW = "FFF2CC"      # the input cells of the forms


@pytest.fixture
def binhlu(make_workspace):
    return make_workspace("binh-lu")


def _fill(plan, forms, unit, out, value=10, **over):
    rows = {t.code: Fill(value="Có" if t.measure == "yesno" else value)
            for t in plan.unit_targets(plan.unit(unit))}
    rows.update(over)
    tasks = {layout.task_code(i): (layout.TASK_STATUSES[0], "Đã làm")
             for i in range(len(plan.unit(unit).tasks))}
    form = next(f.path for f in forms if f.unit == unit)
    return fill_form(form, out, rows, tasks)


def _rgb_distance(a: str, b: str) -> int:
    return sum(abs(int(a[i:i + 2], 16) - int(b[i:i + 2], 16)) for i in (0, 2, 4))


def test_problem_cells_stand_out_and_the_list_sheet_comes_first(binhlu):
    ws, plan, period, forms = binhlu
    codes = [t.code for t in plan.unit_targets(plan.unit(TTDV))]
    src = _fill(plan, forms, TTDV, ws.inbox / "ttdv.xlsx",
                **{codes[0]: Fill(value="khoảng chục"), codes[1]: Fill(value=-4)})
    (cf,) = collect(ws, plan, period=period, workers=1).files
    book = next(p for p in cf.feedback if p.suffix == ".xlsx")
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[0] == LIST_SHEET and wb.active.title == LIST_SHEET
    assert [s.title for s in wb.worksheets if s.sheet_view.tabSelected] == [LIST_SHEET]
    sent = [f for f in cf.findings if f.severity in (ERROR, WARNING) and f.cell]
    assert len(sent) >= 2
    for f in sent:
        rgb = wb[f.sheet][f.cell].fill.fgColor.rgb[-6:]
        assert rgb in (ERROR_FILL, WARNING_FILL)
        assert _rgb_distance(rgb, YELLOW) > 150           # never taken for an input cell
    # the unit's figures are still what it typed, protection kept
    form = wb[layout.FORM_SHEET]
    assert form.protection.sheet
    values = {c.value for row in form.iter_rows() for c in row}
    assert "khoảng chục" in values and -4 in values
    # the list: one row per problem, with the cell, what is wrong and what to do
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name(LIST_SHEET).to_python()
    head = next(i for i, r in enumerate(rows) if r[:3] == ["STT", "Trang", "Ô"])
    table = [r for r in rows[head + 1:] if r[0] != ""][:len(sent)]
    assert {r[2] for r in table} == {f.cell for f in sent}
    assert all(r[4] and r[1] == layout.FORM_SHEET for r in table)
    assert any(r[5].startswith("Nhập") for r in table)
    # the e-mail message is printed under it, the same as the .txt
    text = next(p for p in cf.feedback if p.suffix == ".txt").read_text(encoding="utf-8")
    flat = [r[0] for r in rows]
    assert text.splitlines()[0] in flat and "Trân trọng." in flat
    # print setup of the list sheet: A4, landscape, fitted to width, header repeated
    ls = wb[LIST_SHEET]
    assert ls.page_setup.orientation == "landscape" and str(ls.page_setup.paperSize) == "9"
    assert ls.sheet_properties.pageSetUpPr.fitToPage and ls.page_setup.fitToHeight == 0
    n = head + 1
    assert ls.print_title_rows in (f"{n}:{n}", f"${n}:${n}")
    # the returned file itself is untouched
    assert cf.archive_path.read_bytes() != book.read_bytes()


def _workbook_with_merged_cell_and_control_chars(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Biểu mẫu"
    ws["A1"] = "Tiêu đề"
    ws.merge_cells("A1:D1")
    ws["B3"] = "ghi chú"
    ws.merge_cells("B3:C4")
    wb.save(path)
    return path


@pytest.mark.parametrize("way", ["xml", "openpyxl"])
@pytest.mark.parametrize("cell", ["C1", "C4", "B3"])
def test_a_finding_on_a_merged_cell_or_quoting_control_characters_never_crashes(
        tmp_path, cell, way, monkeypatch):
    from bdg_excel.intake import feedback

    if way == "openpyxl":       # the fallback for XML the direct editor does not handle
        def unusual(*a):
            raise feedback._Unusual
        monkeypatch.setattr(feedback, "_annotate_xml", unusual)
    src = _workbook_with_merged_cell_and_control_chars(tmp_path / "in.xlsx")
    findings = [Finding("bad", "Ô ghi 'a\x07b' và _x0007_, không phải là số. Nhập số.", ERROR,
                        sheet="Biểu mẫu", cell=cell),
                Finding("odd", "Xem lại\x0b dòng này.", WARNING, sheet="Biểu mẫu", cell="A1")]
    out = tmp_path / "out.xlsx"
    assert annotate(src, findings, out, text="Kính gửi: X\nchữ \x01 lạ\n")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [LIST_SHEET, "Biểu mẫu"]
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name(LIST_SHEET).to_python()
    text = "\n".join(str(v) for r in rows for v in r)
    assert "_x0007_" in text                # a literal _x0007_ stays literal
    assert "\x07" not in text or "a\x07b" in text


def test_unknown_senders_files_get_their_own_feedback():
    a = feedback_stem(None, "2026", "bao-cao.xlsx")
    b = feedback_stem(None, "2026", "bao-cao.xls")
    assert a != b and "bao-cao" in a
    # a unit's returns share one name: the newest replaces the older
    assert feedback_stem(TTDV, "2026", "a.xlsx") == feedback_stem(TTDV, "2026", "b.xls")


def test_what_to_do_is_split_from_what_is_wrong():
    wrong, todo = split_action("Ô G12 ghi 'x', không phải là số. Nhập số (ví dụ 12,5).")
    assert wrong == "Ô G12 ghi 'x', không phải là số." and todo.startswith("Nhập số")
    assert split_action("Giá trị lạ.") == ("Giá trị lạ.", "")


def test_no_feedback_where_the_unit_followed_the_instructions(binhlu):
    ws, plan, period, forms = binhlu
    code = plan.unit_targets(plan.unit(TTDV))[0].code
    _fill(plan, forms, TTDV, ws.inbox / "ttdv.xlsx",
          **{code: Fill(value=None, note="Chưa có số liệu điều tra năm 2026")})
    (cf,) = collect(ws, plan, period=period, workers=1).files
    assert any(f.code == "no_data" for f in cf.findings), cf.findings   # the office sees it
    assert cf.status == "accepted" and cf.feedback == [], cf.findings
    assert not ws.feedback_dir.exists() or not any(ws.feedback_dir.glob("*.xlsx"))


def test_stale_feedback_moves_away_when_the_corrected_return_is_accepted(binhlu):
    ws, plan, period, forms = binhlu
    code = plan.unit_targets(plan.unit(TTDV))[0].code
    _fill(plan, forms, TTDV, ws.inbox / "ttdv-1.xlsx", **{code: Fill(value="chưa rõ")})
    (first,) = collect(ws, plan, period=period, workers=1).files
    assert first.status == "needs_fixes" and len(first.feedback) == 2
    _fill(plan, forms, TTDV, ws.inbox / "ttdv-2.xlsx")
    (second,) = collect(ws, plan, period=period, workers=1).files
    assert second.status == "accepted" and second.feedback == []
    assert not any(p.exists() for p in first.feedback)
    kept = sorted(p.name for p in (ws.feedback_dir / REPLACED_DIR).iterdir())
    assert kept == sorted(p.name for p in first.feedback)


def test_only_the_current_return_of_a_unit_gets_feedback(binhlu):
    ws, plan, period, forms = binhlu
    code = plan.unit_targets(plan.unit(TTDV))[0].code
    old = _fill(plan, forms, TTDV, ws.inbox / "ttdv-a.xlsx", **{code: Fill(value="x")})
    new = _fill(plan, forms, TTDV, ws.inbox / "ttdv-b.xlsx", **{code: Fill(value="y")})
    os.utime(old, (1_700_000_000, 1_700_000_000))
    os.utime(new, (1_700_000_100, 1_700_000_100))
    res = collect(ws, plan, period=period, workers=1)
    by = {cf.name: cf for cf in res.files}
    assert by["ttdv-a.xlsx"].status == "superseded" and by["ttdv-a.xlsx"].feedback == []
    book = next(p for p in by["ttdv-b.xlsx"].feedback if p.suffix == ".xlsx")
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name(LIST_SHEET).to_python()
    assert any("ttdv-b.xlsx" in str(r[0]) for r in rows)


@pytest.mark.libreoffice
def test_libreoffice_opens_the_feedback_and_prints_the_list_first(binhlu, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice not installed")
    ws, plan, period, forms = binhlu
    code = plan.unit_targets(plan.unit(TTDV))[0].code
    _fill(plan, forms, TTDV, ws.inbox / "ttdv.xlsx", **{code: Fill(value="nhiều")})
    (cf,) = collect(ws, plan, period=period, workers=1).files
    book = next(p for p in cf.feedback if p.suffix == ".xlsx")
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(book)],
                   check=True, capture_output=True, timeout=180)
    pdf = tmp_path / (book.stem + ".pdf")
    first_page = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"],
                                capture_output=True, text=True, check=True).stdout
    assert "CÁC Ô CẦN SỬA" in first_page and "Cần làm" in first_page
    with zipfile.ZipFile(book) as zf:
        assert zf.testzip() is None


def test_a_signed_pdf_beside_a_units_workbook_is_kept_not_rejected(binhlu):
    ws, plan, period, forms = binhlu
    form = next(f.path for f in forms if f.unit == TTDV)
    _fill(plan, forms, TTDV, ws.inbox / form.name)
    pdf = b"%PDF-1.4\n% signed copy\n"
    (ws.inbox / (form.stem + ".pdf")).write_bytes(pdf)               # same name
    (ws.inbox / (form.stem + "_ky.PDF")).write_bytes(pdf + b"2")     # the form name, a suffix
    (ws.inbox / "bao-cao.pdf").write_bytes(pdf + b"3")               # nobody's: still a return
    (ws.inbox / (form.stem + "-scan.pdf")).write_bytes(b"PK\x03\x04 not a pdf")
    # copied in long ago (a broken file modified seconds ago is still arriving)
    long_ago = datetime(2026, 11, 2, 8).timestamp()
    os.utime(ws.inbox / (form.stem + "-scan.pdf"), (long_ago, long_ago))
    res = collect(ws, plan, period=period, workers=1)
    assert sorted(p.name for _, p in res.signed) == sorted([form.stem + ".pdf",
                                                              form.stem + "_ky.PDF"])
    assert {u for u, _ in res.signed} == {TTDV}
    for _, p in res.signed:
        assert p.parent == ws.archive / "ban-ky" / period and p.read_bytes().startswith(pdf)
    by = {cf.name: cf for cf in res.files}
    assert by[form.name].status == "accepted"
    assert by["bao-cao.pdf"].status == "rejected"
    assert by[form.stem + "-scan.pdf"].status == "rejected"
    assert not any(ws.inbox.iterdir())
    # a second signed copy of the same name never overwrites the first
    (ws.inbox / (form.stem + ".pdf")).write_bytes(pdf + b"again")
    (again,) = collect(ws, plan, period=period, workers=1).signed
    assert again[1].name != form.stem + ".pdf" and again[1].read_bytes().endswith(b"again")


@pytest.mark.libreoffice
@pytest.mark.parametrize("saver", ["libreoffice", "gnumeric"])
def test_feedback_on_a_return_saved_by_libreoffice_or_gnumeric_is_made_from_its_xml(
        binhlu, tmp_path, saver, monkeypatch):
    """The direct XML editor handles what real spreadsheet programs write (not only our
    own or openpyxl's files): the openpyxl fallback is not used."""
    from bdg_excel.intake import feedback
    from bdg_excel.intake.returns import read_return
    from bdg_excel.intake.validate import check_return

    tool = shutil.which("soffice") if saver == "libreoffice" else shutil.which("ssconvert")
    if not tool:
        pytest.skip(f"{saver} not installed")
    ws, plan, period, forms = binhlu
    codes = [t.code for t in plan.unit_targets(plan.unit(TTDV))
             if t.measure != "yesno"]
    src = _fill(plan, forms, TTDV, tmp_path / "ttdv.xlsx", **{codes[0]: Fill(value="mười")})
    out_dir = tmp_path / "saved"
    out_dir.mkdir()
    if saver == "libreoffice":
        subprocess.run([tool, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
                        "--convert-to", "xlsx", "--outdir", str(out_dir), str(src)],
                       check=True, capture_output=True, timeout=180)
        saved = out_dir / src.name
    else:
        saved = out_dir / src.name
        subprocess.run([tool, str(src), str(saved)], check=True, capture_output=True,
                       timeout=180)
    chk = check_return(read_return(saved), plan, period=period)
    sent = [f for f in feedback.to_send(chk.findings) if f.cell]
    assert sent, chk.findings

    def no_fallback(*a, **k):
        raise AssertionError("the openpyxl fallback was used")
    monkeypatch.setattr(feedback, "_annotate_openpyxl", no_fallback)
    out = tmp_path / "fb.xlsx"
    assert annotate(saved, sent, out, text="Kính gửi: X\n")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == LIST_SHEET
    for f in sent:
        assert wb[f.sheet][f.cell].fill.fgColor.rgb[-6:] == ERROR_FILL
    assert selected_sheets(out) == [LIST_SHEET]   # never grouped with the form sheet
    # the unit's figures read back the same from the copy
    again = check_return(read_return(out), plan, period=period)
    assert [v.to_row() for v in again.values] == [v.to_row() for v in chk.values]


def selected_sheets(path: Path) -> list[str]:
    """The sheets a workbook opens selected (Excel groups several selected sheets)."""
    wb = openpyxl.load_workbook(path)
    return [s.title for s in wb.worksheets if s.sheet_view.tabSelected]


@pytest.mark.parametrize("written", ['tabSelected="true"', 'tabSelected="1"',
                                     "tabSelected='true'"])
def test_the_feedback_copy_selects_only_its_list_sheet_however_the_return_said_selected(
        binhlu, tmp_path, written):
    """LibreOffice writes tabSelected="true" on the sheet it saved with: the copy must
    clear it like Excel's "1", or Excel opens the form grouped with the new sheet."""
    from bdg_excel.intake.returns import read_return
    from bdg_excel.intake.validate import check_return
    from bdg_excel.intake import feedback

    ws, plan, period, forms = binhlu
    codes = [t.code for t in plan.unit_targets(plan.unit(TTDV)) if t.measure != "yesno"]
    src = _fill(plan, forms, TTDV, tmp_path / "ttdv.xlsx", **{codes[0]: Fill(value="mười")})
    saved = tmp_path / "saved.xlsx"
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(saved, "w", zipfile.ZIP_DEFLATED) as zo:
        for item in zi.infolist():
            data = zi.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = data.replace(b'tabSelected="1"', b"").replace(
                    b"<sheetView ", f"<sheetView {written} ".encode(), 1)
            zo.writestr(item, data)
    assert TTDV and layout.FORM_SHEET in selected_sheets(saved)
    chk = check_return(read_return(saved), plan, period=period)
    sent = [f for f in feedback.to_send(chk.findings) if f.cell]
    out = tmp_path / "fb.xlsx"
    assert annotate(saved, sent, out, text="Kính gửi: X\n")
    assert selected_sheets(out) == [LIST_SHEET]


def test_a_workbook_neither_way_can_copy_gives_the_message_only(tmp_path):
    bad = tmp_path / "hong.xlsx"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook><sheets><sheet name='A' r:id='x'/>")
    f = Finding("bad", "Lỗi. Nhập số.", ERROR, sheet="A", cell="B2")
    assert annotate(bad, [f], tmp_path / "out.xlsx") is False
    assert not (tmp_path / "out.xlsx").exists()
