"""Plans as they arrive: PDF (printed from Word by LibreOffice), old Word (.doc), phrasings
the first importer did not know, and the review of what was read.

- every corpus plan (held-out ones included) scores at least 0.95 on each part as a PDF,
  and some as .doc; a scan, a password-protected PDF and a damaged one each get a clear
  message; a PDF's running headers, footers and page numbers are dropped and findings
  name the page;
- phrasings: goal numbers in parentheses, indicators named by field / in parentheses /
  as ranges, other headers of the responsible column, task tables, signature blocks,
  the upward recipient, a unit heading after another unit's list, six-month + annual
  reports, a plan issued with a Quyết định, data duties described in words;
- the review: every target, assignment and deadline with its source and confidence, on
  the plan workbook's sheet "Rà soát" (unsure first) and read back; `plan import` says how
  many need a look; `generate` gives a count instead of every warning.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from bdg_excel.core.errors import PlanError
from bdg_excel.plan import planbook as pb
from bdg_excel.plan.importer import import_plan, import_text, plan_import_summary
from bdg_excel.plan.importer import legacy
from bdg_excel.plan.importer.pdf import read_pdf

from cycle_helpers import run_cli
from docx_writer import write_docx
from test_import_family import score_import

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "import" / "corpus"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


#: every Word version of the corpus (held-out plans included) and of the three real plans
WORD = [d for d in score_import.documents(docx_too=True, held=None) if d[0].endswith(".docx")]


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """Every Word document of the corpus printed to PDF by LibreOffice (one call), and
    three of them saved as .doc: {name: path}."""
    if not SOFFICE:
        pytest.skip("LibreOffice not installed")
    tmp = tmp_path_factory.mktemp("printed")
    built = score_import.build(WORD, tmp, ("pdf",))
    docs = [d for d in WORD if d[0].split(".")[0] in (
        "so-van-hoa-2026", "phuong-tan-hong-2026", "ke-hoach-binh-lu-2026-2030")]
    (tmp / "doc").mkdir()
    built += [b for b in score_import.build(docs, tmp / "doc", ("doc",)) if b[0].endswith(".doc")]
    return {name: path for name, path, _ in built}


@pytest.mark.libreoffice
@pytest.mark.parametrize("name,expected", [(d[0].replace(".docx", ".pdf"), d[3]) for d in WORD],
                         ids=[d[0].replace(".docx", ".pdf") for d in WORD])
def test_every_plan_as_pdf_scores_at_least_095(printed, name, expected):
    got = score_import.score(import_plan(printed[name]).plan.to_json(), expected)
    assert {k: v for k, v in got.items() if v < 0.95} == {}


@pytest.mark.libreoffice
@pytest.mark.parametrize("stem", ["so-van-hoa-2026", "phuong-tan-hong-2026",
                                  "ke-hoach-binh-lu-2026-2030"])
def test_old_word_doc_through_libreoffice(printed, stem):
    expected = next(d[3] for d in WORD if d[0] == f"{stem}.docx")
    path = printed[f"{stem}.doc"]
    assert path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"       # really Word 97-2003
    before = path.read_bytes()
    result = import_plan(path)
    assert set(score_import.score(result.plan.to_json(), expected).values()) == {1.0}
    assert path.read_bytes() == before                          # the original is untouched
    assert all(f.message.startswith("Đoạn ") for f in result.unparsed if f.row is None
               and "Đoạn" in f.message)


def test_doc_without_libreoffice_and_damaged_doc(tmp_path, monkeypatch):
    doc = tmp_path / "ke-hoach.doc"
    doc.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 600)
    monkeypatch.setattr(legacy, "soffice", lambda: None)
    with pytest.raises(PlanError, match="chưa cài LibreOffice.*lưu lại dưới dạng .docx"):
        import_plan(doc)
    broken = tmp_path / "hong.doc"
    broken.write_bytes(b"\xd0\xcf\x11")
    with pytest.raises(PlanError, match="không phải văn bản Word .* hoàn chỉnh"):
        import_plan(broken)
    with pytest.raises(PlanError, match=r"\.docx, \.doc, \.pdf"):
        import_plan(tmp_path.joinpath("x.odt").write_bytes(b"x") and tmp_path / "x.odt")


# -- PDF: pages, headers, footers, page numbers, wraps ------------------------------------
def _soffice_pdf(docx: Path, out: Path, filt: str = "pdf") -> Path:
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{out}/profile", "--headless",
                    "--convert-to", filt, "--outdir", str(out), str(docx)],
                   check=True, capture_output=True, timeout=300)
    return out / f"{docx.stem}.pdf"


def _with_running_lines(path: Path) -> None:
    """A page header with the plan's number and a footer "Trang N" (a PAGE field)."""
    import docx
    from docx.oxml import parse_xml

    d = docx.Document(str(path))
    section = d.sections[0]
    section.header.paragraphs[0].text = "Kế hoạch số 88/KH-UBND của UBND phường Tân Hồng"
    p = section.footer.paragraphs[0]
    p.add_run("Trang ")
    p._p.append(parse_xml(
        '<w:fldSimple xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    d.save(str(path))


@pytest.mark.libreoffice
def test_pdf_drops_running_lines_joins_wraps_and_names_pages(tmp_path):
    if not SOFFICE:
        pytest.skip("LibreOffice not installed")
    text = (CORPUS / "phuong-tan-hong-2026.txt").read_text(encoding="utf-8")
    filler = "\n".join(f"- Tuyên truyền nội dung {i} về bình đẳng giới đến từng hộ gia đình, "
                       "lồng ghép trong các buổi sinh hoạt của tổ dân phố và các đoàn thể."
                       for i in range(1, 40))
    text = text.replace("II. MỤC TIÊU, CHỈ TIÊU", filler + "\n\nII. MỤC TIÊU, CHỈ TIÊU")
    text = text.replace("III. TỔ CHỨC THỰC HIỆN", "III. TỔ CHỨC THỰC HIỆN\n\nCác ngành nghiêm "
                        "túc thực hiện Kế hoạch này một cách hiệu quả và đúng tiến độ đề ra.")
    path = tmp_path / "p.docx"
    write_docx(text, path)
    _with_running_lines(path)
    pdf = _soffice_pdf(path, tmp_path)
    lines = read_pdf(pdf)
    assert max(line.page for line in lines) >= 3
    texts = [line.text for line in lines]
    assert not any("Kế hoạch số 88/KH-UBND của UBND" in t for t in texts)   # the header
    assert not any(t.startswith("Trang ") for t in texts)                   # the footer
    # a sentence wrapped over two or three printed lines is one line again
    assert any(t.startswith("- Tuyên truyền nội dung 7 ") and t.endswith("các đoàn thể.")
               for t in texts)
    result = import_plan(pdf)
    expected = json.loads(
        (CORPUS / "phuong-tan-hong-2026.expected.json").read_text(encoding="utf-8"))
    assert set(score_import.score(result.plan.to_json(), expected).values()) == {1.0}
    [f] = [f for f in result.unparsed if f.code == "general_task"]
    page = next(line.page for line in lines if line.text.startswith("Các ngành nghiêm túc"))
    assert f.message.startswith(f"Trang {page} (“Các ngành nghiêm túc")
    assert page >= 2
    assert all(r.source.startswith("trang ") for r in result.plan.review if r.source)


def test_scanned_and_damaged_pdf(tmp_path):
    from PIL import Image

    scan = tmp_path / "ban-quet.pdf"
    Image.new("RGB", (600, 800), "white").save(scan)
    with pytest.raises(PlanError, match="ban-quet.pdf là bản quét.*OCR"):
        import_plan(scan)
    for name, data in (("hong.pdf", b"%PDF-1.7\nkhong phai PDF\n"), ("cut.pdf", b"%PDF-1.4\n1 0 obj")):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(PlanError, match=f"{name} bị hỏng"):
            import_plan(tmp_path / name)


@pytest.mark.libreoffice
def test_password_protected_pdf(tmp_path):
    if not SOFFICE:
        pytest.skip("LibreOffice not installed")
    path = tmp_path / "mat-khau.docx"
    write_docx((CORPUS / "xa-ban-giang-2026.txt").read_text(encoding="utf-8"), path)
    pdf = _soffice_pdf(path, tmp_path, 'pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean",'
                       '"value":"true"},"DocumentOpenPassword":{"type":"string","value":"abc"}}')
    with pytest.raises(PlanError, match="mat-khau.pdf được đặt mật khẩu"):
        import_plan(pdf)


# -- phrasings -------------------------------------------------------------------------
HEAD = ("Số: 7/KH-UBND\n\nNậm Hàng, ngày 2 tháng 2 năm 2026\n\nKẾ HOẠCH\nThực hiện bình đẳng "
        "giới năm 2026\n\nỦy ban nhân dân phường Nậm Hàng ban hành Kế hoạch như sau:\n\n"
        "I. MỤC TIÊU\n\n")
FIELDS = ("a) Về chính trị (Mục tiêu 1)\n- Chỉ tiêu 1: Tỷ lệ nữ cấp ủy đạt 30%.\n"
          "- Chỉ tiêu 2: Tỷ lệ nữ lãnh đạo đạt 20%.\n- Chỉ tiêu 3: Tỷ lệ nữ đại biểu đạt 35%.\n"
          "b) Lĩnh vực y tế (thuộc Mục tiêu 4 của Chiến lược)\n"
          "- Chỉ tiêu 1: Tỷ lệ phụ nữ đẻ tại cơ sở y tế đạt 95%.\n"
          "c) Lĩnh vực thông tin, truyền thông (Mục tiêu 6)\n"
          "- Chỉ tiêu 1: 100% tổ dân phố được tuyên truyền.\n\n")


def _plan(org: str, goals: str = FIELDS, tail: str = ""):
    return import_text(HEAD + goals + "II. TỔ CHỨC THỰC HIỆN\n\n" + org + "\n\n" + tail +
                       "Trên đây là Kế hoạch của UBND phường Nậm Hàng./.\n")


def test_goal_numbers_in_parentheses_win_over_the_heading_labels():
    plan = _plan("1. Trạm Y tế phường\n- Báo cáo chỉ tiêu lĩnh vực y tế.").plan
    assert [(g.number, g.title) for g in plan.goals] == [
        (1, "Về chính trị"), (4, "Lĩnh vực y tế"), (6, "Lĩnh vực thông tin, truyền thông")]
    assert [i.code for i in plan.indicators] == ["1.1", "1.2", "1.3", "4.1", "6.1"]
    assert plan.unit("Trạm Y tế phường").indicators == ["4.1"]


@pytest.mark.parametrize("sentence,codes", [
    ("- Báo cáo chỉ tiêu 1, 3 lĩnh vực chính trị và chỉ tiêu 1 lĩnh vực thông tin, truyền thông.",
     ["1.1", "1.3", "6.1"]),
    ("- Báo cáo các chỉ tiêu thuộc lĩnh vực y tế (chỉ tiêu 1 của Mục tiêu 4).", ["4.1"]),
    ("- Báo cáo chỉ tiêu 1 đến 3 của Mục tiêu 1.", ["1.1", "1.2", "1.3"]),
    ("- Báo cáo chỉ tiêu 2, 3 (Mục tiêu 1).", ["1.2", "1.3"]),
    ("- Báo cáo chỉ tiêu 2 Mục tiêu 1 và các chỉ tiêu của Mục tiêu 6.", ["1.2", "6.1"]),
    ("- Tổ chức tuyên truyền nhân ngày Quốc tế Phụ nữ (8/3); báo cáo chỉ tiêu 1 Mục tiêu 4.",
     ["4.1"]),
])
def test_indicators_named_by_field_goal_parentheses_and_ranges(sentence, codes):
    result = _plan("1. Phòng Văn hóa - Xã hội\n" + sentence)
    assert result.plan.unit("Phòng Văn hóa - Xã hội").indicators == codes
    assert not [f for f in result.unparsed if f.code in ("unknown_field", "unknown_indicator")]


def test_a_field_the_plan_lacks_is_named():
    result = _plan("1. Phòng Văn hóa - Xã hội\n- Báo cáo chỉ tiêu 1 lĩnh vực giáo dục, đào tạo.")
    assert result.plan.unit("Phòng Văn hóa - Xã hội").indicators == []
    assert "unknown_field" in {f.code for f in result.unparsed}


def test_unit_heading_after_a_list_signature_and_upward_recipient():
    org = ("1. Phòng Văn hóa - Xã hội\n- Báo cáo các chỉ tiêu của Mục tiêu 1.\n"
           "- Tổng hợp báo cáo UBND phường, thành phố theo đúng thời gian quy định.\n"
           "Ủy ban Mặt trận Tổ quốc Việt Nam phường và các tổ chức chính trị - xã hội\n"
           "- Giám sát việc thực hiện Kế hoạch.\n"
           "2. Các đơn vị gửi báo cáo về UBND phường trước ngày 05/12 hằng năm.\n"
           "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\nLò Văn Tâm\n")
    plan = _plan(org).plan
    assert [u.name for u in plan.units] == [
        "Phòng Văn hóa - Xã hội",
        "Ủy ban Mặt trận Tổ quốc Việt Nam phường và các tổ chức chính trị - xã hội"]
    assert plan.units[1].tasks == ["Giám sát việc thực hiện Kế hoạch"]
    assert plan.upward.to == "UBND thành phố"


@pytest.mark.parametrize("sentence,reports,summary", [
    ("Các đơn vị báo cáo 6 tháng trước 05/6, năm trước 15/12 về UBND phường.",
     [("semiannual", "06-05"), ("annual", "12-15")], "Hạn báo cáo 6 tháng: 05/06 hằng năm"),
    ("Các đơn vị báo cáo kết quả thực hiện 6 tháng (trước ngày 10/6/2026) và năm (trước ngày "
     "25/11/2026) về UBND phường.", [("semiannual", "2026-06-10"), ("annual", "2026-11-25")],
     "Hạn báo cáo hằng năm: 25/11/2026"),
])
def test_six_month_and_annual_reports(sentence, reports, summary):
    result = _plan("1. Trạm Y tế phường\n- Báo cáo chỉ tiêu của Mục tiêu 4.", tail=sentence + "\n\n")
    plan = result.plan
    assert [(r.kind, r.due) for r in plan.reports] == reports
    lines = plan_import_summary(result)
    assert any(line.startswith(summary) for line in lines)
    assert not any("05/12" in line for line in lines)          # no invented second date
    year = plan.deadline("2026")
    assert (year.month, year.day) == (int(reports[1][1][-5:-3]), int(reports[1][1][-2:]))
    h1 = plan.deadline("2026-H1")
    assert (h1.month, h1.day) == (int(reports[0][1][-5:-3]), int(reports[0][1][-2:]))


@pytest.mark.parametrize("header", ["Bộ phận thực hiện và báo cáo", "Cơ quan chủ trì",
                                    "Đơn vị thực hiện", "Phân công", "Người phụ trách"])
def test_any_header_of_the_responsible_column(tmp_path, header):
    text = (HEAD + "| STT | Chỉ tiêu | Năm 2026 | " + header + " | Cơ quan phối hợp |\n"
            "| 1 | Tỷ lệ nữ cấp ủy | 30% | Tổ Văn phòng; Công đoàn | Đoàn Thanh niên |\n"
            "| 2 | Số buổi sinh hoạt về giới | 4 buổi | Trung tâm Văn hóa, Thông tin và Thể thao "
            "phường | Tổ Văn phòng |\n"
            "II. TỔ CHỨC THỰC HIỆN\nCác bộ phận gửi báo cáo về Ban trước ngày 20/12/2026.\n"
            "TRƯỞNG BAN\nLò Thị Mai\n")
    path = tmp_path / "t.docx"
    write_docx(text, path)
    plan = import_plan(path).plan
    assert {u.name: u.indicators for u in plan.units} == {
        "Tổ Văn phòng": ["1.1"], "Công đoàn": ["1.1"],
        "Trung tâm Văn hóa, Thông tin và Thể thao phường": ["1.2"]}


def test_table_of_tasks_with_a_phan_cong_column(tmp_path):
    text = (HEAD + FIELDS + "II. TỔ CHỨC THỰC HIỆN\n"
            "| STT | Nội dung công việc | Phân công | Thời gian |\n"
            "| 1 | Tuyên truyền về bình đẳng giới | Đoàn Thanh niên | Cả năm |\n"
            "| 2 | Theo dõi, báo cáo chỉ tiêu 1, 2 của Mục tiêu 1 | Tổ Giáo vụ | Tháng 12 |\n"
            "Các bộ phận gửi báo cáo trước ngày 15/12/2026.\n")
    path = tmp_path / "t.docx"
    write_docx(text, path)
    plan = import_plan(path).plan
    assert {u.name: u.indicators for u in plan.units} == {
        "Đoàn Thanh niên": [], "Tổ Giáo vụ": ["1.1", "1.2"]}
    assert plan.unit("Đoàn Thanh niên").tasks == ["Tuyên truyền về bình đẳng giới"]


def test_plan_issued_with_a_decision_keeps_the_plan_and_cites_the_decision():
    plan = import_plan(CORPUS / "phuong-muong-thanh-2026.txt").plan
    assert plan.number == "120/QĐ-UBND" and plan.date == "2026-03-02"
    assert plan.title == "Kế hoạch thực hiện bình đẳng giới năm 2026"
    assert plan.citation() == "Kế hoạch ban hành kèm theo Quyết định số 120/QĐ-UBND"
    assert "Điều 3" not in " ".join(t for u in plan.units for t in u.tasks)
    own = import_text((CORPUS / "phuong-muong-thanh-2026.txt").read_text(encoding="utf-8")
                      .replace("KẾ HOẠCH\nThực hiện", "Số: 45/KH-UBND\nKẾ HOẠCH\nThực hiện")).plan
    assert own.number == "45/KH-UBND" and own.citation() == "Kế hoạch số 45/KH-UBND"


def test_data_duties_in_words_become_proposed_assignments():
    result = import_plan(CORPUS / "xa-pa-tan-2026.txt")
    plan = result.plan
    assert plan.unit("Công an xã").indicators == ["2.1", "2.2"]
    proposed = [r for r in plan.review if r.kind == "assignment" and r.ref == "Công an xã"]
    assert {r.value for r in proposed} == {"2.1", "2.2"}
    assert all(r.confidence < 0.5 and r.note.startswith("Đề xuất") for r in proposed)
    assert proposed[0].sentence.startswith("- Chủ trì phòng ngừa") and proposed[0].source == "dòng 31"


# -- review --------------------------------------------------------------------------
def test_review_items_carry_source_and_confidence_unsure_first():
    result = import_plan(CORPUS / "phuong-tan-hong-2026.txt")
    review = result.plan.review
    assert [r.confidence for r in review] == sorted(r.confidence for r in review)
    kinds = {r.kind for r in review}
    assert {"target", "assignment", "deadline", "upward"} <= kinds
    target = next(r for r in review if r.kind == "target" and r.ref == "6.1")
    assert target.source.startswith("dòng ") and "02 tin, bài" in target.sentence
    assert target.value.startswith("≥")
    n_targets = sum(1 for r in review if r.kind == "target")
    assert n_targets == len(result.plan.targets())


def test_summary_never_says_all_understood_while_an_indicator_has_no_unit():
    result = _plan("1. Trạm Y tế phường\n- Báo cáo chỉ tiêu lĩnh vực y tế.",
                   tail="Các đơn vị gửi báo cáo trước ngày 05/12 hằng năm.\n\n")
    assert result.summary.unassigned == ["1.1", "1.2", "1.3", "6.1"]
    lines = plan_import_summary(result)
    assert "Không có câu nào chưa hiểu được." not in lines
    [look] = [line for line in lines if line.startswith("Cần xem lại ")]
    assert look.startswith(f"Cần xem lại {result.summary.to_check} mục") and "Rà soát" in look
    assert result.summary.to_check >= 4


def test_review_sheet_written_read_back_and_absent(tmp_path):
    result = import_plan(CORPUS / "xa-pa-tan-2026.txt")
    path = tmp_path / "k.xlsx"
    pb.save_plan(result.plan, path)
    ws = openpyxl.load_workbook(path)["Rà soát"]
    assert [c.value for c in ws[1]] == ["Mức chắc chắn", "Loại", "Mục", "Đã đọc", "Nguồn",
                                        "Câu trong văn bản", "Ghi chú"]
    assert (ws["A2"].value, ws["B2"].value, ws["C2"].value, ws["D2"].value) == (
        40, "Phân công", "Công an xã", "2.1")
    assert ws["A2"].number_format == '0"%"'
    values = [r[0].value for r in ws.iter_rows(min_row=2)]
    assert values == sorted(values)
    assert any(r[1].value == "Hạn báo cáo" and r[2].value == "Hằng năm" for r in ws.iter_rows())
    back = pb.load_plan(path)
    national = {(r.ref, r.value) for r in result.plan.review if r.kind == "national"}
    assert [r for r in back.review if r.kind != "national"] == [
        r for r in result.plan.review if r.kind != "national"]
    assert {(r.ref, r.value) for r in back.review if r.kind == "national"} == national
    assert back.to_json() == result.plan.to_json()
    result.plan.review = []
    pb.save_plan(result.plan, tmp_path / "none.xlsx")
    assert "Rà soát" not in openpyxl.load_workbook(tmp_path / "none.xlsx").sheetnames
    assert pb.load_plan(tmp_path / "none.xlsx").review == []


def test_plan_import_and_generate_point_to_the_review(tmp_path, capsys):
    ws = tmp_path / "ws"
    assert run_cli(capsys, "init", str(ws))[0] == 0
    out_plan = ws / "templates" / "ke-hoach.xlsx"
    code, out, _ = run_cli(capsys, "plan", "import", str(CORPUS / "xa-pa-tan-2026.txt"), "-o",
                           str(out_plan), "-q")
    assert code == 0 and "Cần xem lại 3 mục" in out and "“Rà soát”" in out
    code, out, _ = run_cli(capsys, "plan", "check", str(out_plan))
    n_warnings = out.count("chưa có địa chỉ thư")
    code, out, _ = run_cli(capsys, "generate", "-w", str(ws), "--period", "2026", "-q")
    assert code == 0 and "Đã tạo 3 biểu mẫu" in out
    assert "chưa có địa chỉ thư" not in out                    # not every warning again …
    assert f"{n_warnings} cảnh báo khác (xem bằng: bdg-excel plan check)" in out  # … a count
    assert "3 mục nhập từ văn bản cần xem lại (trang “Rà soát”" in out
    assert n_warnings >= 1
