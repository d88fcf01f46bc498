"""`plan import --force` over an edited plan workbook keeps the officer's national codes.

The officer corrects the column "Mã quốc gia" of the plan workbook (a wrong link, a link
confirmed by removing its "?", a cell emptied for a local indicator); a revised document
imported over the workbook renumbers rows and changes figures. The codes the officer set
follow the rows' sentences; a code still marked "?" was the import's guess and is not kept.
"""

from __future__ import annotations

import openpyxl

from bdg_excel.plan import catalog
from bdg_excel.plan import planbook as pb

from cycle_helpers import run_cli

PLAN = """ỦY BAN NHÂN DÂN
XÃ NẬM TĂM

Số: 17/KH-UBND

Nậm Tăm, ngày 12 tháng 3 năm 2026

KẾ HOẠCH
Thực hiện công tác bình đẳng giới trên địa bàn xã Nậm Tăm năm 2026

II. MỤC TIÊU

Mục tiêu 1: Trong lĩnh vực chính trị

- Chỉ tiêu 1. Có ít nhất 01 người là nữ trong số lãnh đạo chủ chốt của xã.

Mục tiêu 2: Trong lĩnh vực y tế

- Chỉ tiêu 1. Tỷ số giới tính khi sinh dưới 110 bé trai/100 bé gái sinh ra sống.
- Chỉ tiêu 2. Tỷ lệ phụ nữ mang thai được khám thai ít nhất 4 lần đạt 85%.

Mục tiêu 3: Trong lĩnh vực giáo dục

- Chỉ tiêu 1. Tỷ lệ trẻ em gái hoàn thành tiểu học đạt 98%.
- Chỉ tiêu 2. 100% trường học lồng ghép nội dung bình đẳng giới vào hoạt động ngoại khóa.

III. TỔ CHỨC THỰC HIỆN

1. Trạm Y tế xã Nậm Tăm

- Chịu trách nhiệm báo cáo các chỉ tiêu của Mục tiêu 2.

2. Trường Tiểu học Nậm Tăm

- Chịu trách nhiệm báo cáo các chỉ tiêu của Mục tiêu 3.

IV. CHẾ ĐỘ BÁO CÁO

Các cơ quan, đơn vị gửi báo cáo (chậm nhất ngày 25/11 hằng năm) về UBND xã.
"""


def _national_cells(path):
    wb = openpyxl.load_workbook(path)
    ws = wb[pb.TARGETS_SHEET]
    header = [c.value for c in ws[1]]
    return wb, ws, header.index("Mã dòng"), header.index("Mã quốc gia")


def _imported_and_edited(tmp_path, capsys, monkeypatch, edits: dict):
    """PLAN imported into a workbook whose column "Mã quốc gia" the officer then edited
    (row code -> what the officer typed); (document, workbook)."""
    monkeypatch.setenv("BDG_TODAY", "2026-04-20")
    doc = tmp_path / "ke-hoach.txt"
    doc.write_text(PLAN, encoding="utf-8")
    out = tmp_path / "ke-hoach.xlsx"
    assert run_cli(capsys, "plan", "import", str(doc), "-o", str(out))[0] == 0
    wb, ws, code_col, nat_col = _national_cells(out)
    for row in ws.iter_rows(min_row=2):
        if row[code_col].value in edits:
            row[nat_col].value = edits[row[code_col].value]
    wb.save(out)
    return doc, out


def _by_sentence(plan, words):
    return next(t for t in plan.targets() if words in (t.text or ""))


def test_reimport_keeps_the_officers_national_codes(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BDG_TODAY", "2026-04-20")
    doc = tmp_path / "ke-hoach.txt"
    doc.write_text(PLAN, encoding="utf-8")
    out = tmp_path / "ke-hoach.xlsx"
    assert run_cli(capsys, "plan", "import", str(doc), "-o", str(out))[0] == 0
    first = pb.load_plan(out)
    assert _by_sentence(first, "lãnh đạo chủ chốt").national == "QG-1.1"
    assert _by_sentence(first, "ngoại khóa").national is None
    girls = _by_sentence(first, "trẻ em gái")
    assert girls.national == "QG-5.2a" and girls.code in catalog.unsure_rows(first)

    # the officer, in Excel: 1.1 is a count of people, not the national share: emptied;
    # the extracurricular row implements QG-5.1 (typed loosely); the primary-school row is
    # confirmed by removing its "?"; the sex ratio is left as the import linked it
    wb, ws, code_col, nat_col = _national_cells(out)
    edits = {"1.1": None, "3.2": "qg 5.1", "3.1": "QG-5.2a"}
    for row in ws.iter_rows(min_row=2):
        if row[code_col].value in edits:
            row[nat_col].value = edits[row[code_col].value]
    wb.save(out)

    # the revised document: a new indicator first in goal 2 (the others renumbered), a new
    # figure for the sex ratio and for the primary-school row
    revised = tmp_path / "ke-hoach-sua.txt"
    revised.write_text(
        PLAN.replace("- Chỉ tiêu 1. Tỷ số giới tính khi sinh dưới 110",
                     "- Chỉ tiêu 1. Tỷ lệ tảo hôn giảm xuống dưới 5%.\n"
                     "- Chỉ tiêu 2. Tỷ số giới tính khi sinh dưới 109")
            .replace("- Chỉ tiêu 2. Tỷ lệ phụ nữ", "- Chỉ tiêu 3. Tỷ lệ phụ nữ")
            .replace("tiểu học đạt 98%", "tiểu học đạt 99%"), encoding="utf-8")
    code, stdout, err = run_cli(capsys, "plan", "import", str(revised), "-o", str(out),
                                "--force")
    assert code == 0, err
    new = pb.load_plan(out)
    assert _by_sentence(new, "lãnh đạo chủ chốt").national is None
    assert _by_sentence(new, "ngoại khóa").national == "QG-5.1"
    girls = _by_sentence(new, "trẻ em gái")
    assert girls.national == "QG-5.2a" and girls.code not in catalog.unsure_rows(new)
    sex_ratio = _by_sentence(new, "giới tính khi sinh")
    assert sex_ratio.code == "2.2" and sex_ratio.national == "QG-4.1"
    assert _by_sentence(new, "tảo hôn").national is None        # a new row: the import's own
    line = next(s for s in stdout.splitlines() if s.startswith("Giữ lại mã quốc gia"))
    assert "1.1 – chỉ tiêu riêng (để trống)" in line and "3.2 – QG-5.1" in line
    assert "3.1 – QG-5.2a" in line and "2.2" not in line
    assert "Mã quốc gia đã sửa tay" not in stdout        # every one found its row
    # the workbook shows them as the officer left them; plan check no longer asks about 3.1
    _, ws, code_col, nat_col = _national_cells(out)
    shown = {r[code_col].value: r[nat_col].value for r in ws.iter_rows(min_row=2)}
    assert shown["1.1"] is None and shown["3.2"] == "QG-5.1" and shown["3.1"] == "QG-5.2a"
    assert not [f for f in pb.check_plan_file(out)
                if f.code == "national_unsure" and f.target == "3.1"]


def test_an_unsure_code_the_officer_did_not_touch_is_not_carried(tmp_path, capsys,
                                                                 monkeypatch):
    # the old workbook says "QG-4.3?" for the primary-school row (a wrong guess, unsure)
    doc, out = _imported_and_edited(tmp_path, capsys, monkeypatch, {"3.1": "QG-4.3?"})
    code, stdout, _ = run_cli(capsys, "plan", "import", str(doc), "-o", str(out), "--force")
    assert code == 0
    new = pb.load_plan(out)
    assert _by_sentence(new, "trẻ em gái").national == "QG-5.2a"
    assert "Giữ lại mã quốc gia" not in stdout


def test_a_code_set_by_hand_on_a_sentence_the_new_document_rewrote_is_named(tmp_path, capsys,
                                                                             monkeypatch):
    _, out = _imported_and_edited(tmp_path, capsys, monkeypatch, {"3.2": "QG-5.1"})
    revised = tmp_path / "ke-hoach-sua.txt"
    revised.write_text(PLAN.replace("100% trường học lồng ghép nội dung bình đẳng giới vào "
                                    "hoạt động ngoại khóa",
                                    "Các trường tổ chức hoạt động ngoại khóa về giới"),
                       encoding="utf-8")
    code, stdout, _ = run_cli(capsys, "plan", "import", str(revised), "-o", str(out), "--force")
    assert code == 0
    line = next(s for s in stdout.splitlines() if s.startswith("Mã quốc gia đã sửa tay"))
    assert "3.2 – QG-5.1" in line and "bản sao lưu" in line
    # the rows the officer did not touch are not listed
    assert "2.1" not in line and "1.1" not in line
