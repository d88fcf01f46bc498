"""Correcting a plan workbook in place (bdg_excel.plan.edit): every kind of correction,
read back with load_plan; refusals that name file, sheet and cell and write nothing;
the officer's own formatting and columns kept; the sheet "Rà soát" updated; the
document's text kept beside the workbook (bdg_excel.plan.source_text)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from bdg_excel.core.errors import OutputLocked, PlanEditError
from bdg_excel.plan import catalog, edit, source_text
from bdg_excel.plan.model import ReviewItem
from bdg_excel.plan.planbook import check_plan, load_plan

from review_helpers import PARAGRAPHS, make_plan, save_with_review


@pytest.fixture
def book(tmp_path):
    return save_with_review(make_plan(), tmp_path / "hoa-khanh.xlsx")


def dressed(path):
    """The officer restyles the workbook and adds a column of notes, as in Excel."""
    from openpyxl.styles import Font, PatternFill

    wb = load_workbook(path)
    ws = wb["Chỉ tiêu"]
    ws["A2"].fill = PatternFill("solid", fgColor="FFFF00")
    ws["H3"].font = Font(name="Arial", size=14, bold=True)
    ws.cell(1, 20, "Ghi chú của phòng")
    ws.cell(3, 20, "Đã hỏi Sở")
    ws.column_dimensions["E"].width = 70
    wb.save(path)
    return path


# -- target rows ---------------------------------------------------------------------------
def test_target_value_year_and_comparison(book):
    changes = edit.set_target(book, "1.1", op="≥", value="37,5", year="2027")
    assert [(c.sheet, c.cell, c.old, c.new) for c in changes] == [
        ("Chỉ tiêu", "H2", 35, 37.5)]
    t = load_plan(book).target("1.1")
    assert (t.op, t.value, t.unit, t.year, t.measure, t.factor) == (">=", 37.5, "%", 2027,
                                                                    "percent", 100)
    assert str(changes[0]) == "trang Chỉ tiêu, ô H2: 35 → 37,5"


def test_the_targets_words_follow_the_correction(book):
    changes = edit.set_target(book, "2.2", value="2", text=" dưới  2 vụ ")
    assert [(c.cell, c.new) for c in changes if c.sheet == "Chỉ tiêu"] == [("H4", 2),
                                                                          ("F4", "dưới 2 vụ")]
    assert load_plan(book).target("2.2").text == "dưới 2 vụ"


def test_between_and_back(book):
    edit.set_target(book, "2.1", op="từ … đến", value="45", max="55")
    t = load_plan(book).target("2.1")
    assert (t.op, t.value, t.max) == ("between", 45, 55)
    edit.set_target(book, "2.1", op=">", value="45", max="")
    t = load_plan(book).target("2.1")
    assert (t.op, t.value, t.max) == (">", 45, None)


def test_qualitative_clears_the_figures(book):
    edit.set_target(book, "2.2", op="Định tính", value="", unit="")
    t = load_plan(book).target("2.2")
    assert (t.op, t.value, t.max, t.unit, t.measure) == ("qualitative", None, None, None, "yesno")


def test_a_new_unit_of_measure_changes_how_the_figure_is_computed(book):
    edit.set_target(book, "2.2", unit="%", value="20")
    t = load_plan(book).target("2.2")
    assert (t.unit, t.measure, t.factor) == ("%", "percent", 100)
    edit.set_target(book, "2.2", unit="/100.000", value="20")
    t = load_plan(book).target("2.2")
    assert (t.measure, t.factor) == ("rate", 100000)
    assert not [f for f in check_plan(load_plan(book)) if f.target == "2.2"
                and f.severity != "info" and not f.code.startswith("national")]


def test_a_measure_chosen_by_hand_is_kept(book):
    wb = load_workbook(book)
    wb["Chỉ tiêu"]["L4"] = "Tỷ số (tử số/mẫu số)"     # 2.2, "Cách tính"
    wb["Chỉ tiêu"]["M4"] = 10
    wb.save(book)
    edit.set_target(book, "2.2", unit="vụ/10 hộ")
    t = load_plan(book).target("2.2")
    assert (t.unit, t.measure, t.factor) == ("vụ/10 hộ", "ratio", 10)


@pytest.mark.parametrize("fields, cell, words", [
    ({"value": "ba mươi"}, "H2", "không phải là số"),
    ({"value": "1.234"}, "H2", "không phải là số"),          # 1234 or 1,234: never guessed
    ({"value": "120"}, "H2", "ngoài 0–100"),
    ({"op": "khoảng"}, "G2", "không hợp lệ"),
    ({"op": ">=", "value": ""}, "H2", "cần Giá trị"),
    ({"op": "between", "value": "40", "max": ""}, "I2", "Giá trị tối đa"),
    ({"op": "between", "value": "60", "max": "40"}, "I2", "lớn hơn"),
    ({"year": "20270"}, "K2", "Năm đạt"),
    ({"year": "2027,5"}, "K2", "Năm đạt"),
])
def test_bad_target_values_are_refused_with_their_cell(book, fields, cell, words):
    before = book.read_bytes()
    with pytest.raises(PlanEditError) as exc:
        edit.set_target(book, "1.1", **fields)
    message = str(exc.value)
    assert message.startswith(f"Tệp hoa-khanh.xlsx, trang “Chỉ tiêu”, ô {cell}:"), message
    assert words in message and "Chưa lưu gì" in message
    assert (exc.value.sheet, exc.value.cell) == ("Chỉ tiêu", cell)
    assert book.read_bytes() == before


def test_unknown_target_row(book):
    with pytest.raises(PlanEditError, match="không có dòng chỉ tiêu mã “3.9”"):
        edit.set_target(book, "3.9", value="1")


# -- national links ------------------------------------------------------------------------
def test_national_code_set_changed_and_cleared(book):
    changes = edit.set_national(book, "2.2", "qg-3.1")
    assert [(c.sheet, c.cell, c.old, c.new) for c in changes if c.sheet == "Chỉ tiêu"] == [
        ("Chỉ tiêu", "N4", "QG-3.2a?", "QG-3.1")]
    assert load_plan(book).target("2.2").national == "QG-3.1"
    assert load_plan(book).target("1.1").national == "QG-1.1"
    edit.set_national(book, "2.2", "")
    assert load_plan(book).target("2.2").national is None


def test_an_unsure_link_becomes_sure(book):
    wb = load_workbook(book)
    wb["Chỉ tiêu"]["N2"] = "QG-1.1?"
    wb.save(book)
    assert "1.1" in {i.ref for i in load_plan(book).review if i.kind == "national"}
    edit.set_national(book, "1.1", "QG-1.1")
    plan = load_plan(book)
    assert plan.target("1.1").national == "QG-1.1"
    assert "1.1" not in {i.ref for i in plan.review if i.kind == "national"}


def test_an_older_workbook_gets_the_column_and_keeps_its_other_links(tmp_path):
    import shutil

    from bdg_excel.plan.planbook import example_path

    book = tmp_path / "tam-duong.xlsx"
    shutil.copy(example_path("tam-duong"), book)
    wb = load_workbook(book)
    ws = wb["Chỉ tiêu"]
    assert ws["N1"].value == "Mã quốc gia"
    ws.delete_cols(14)                    # as written before the column existed
    wb.save(book)
    plan = load_plan(book)
    before = {t.code: t.national for t in plan.targets()}
    unsure = {i.ref for i in plan.review if i.kind == "national"}
    assert sum(v is not None for v in before.values()) >= 10      # linked from the rows' text
    edit.set_national(book, "2.1", "QG-2.3")
    plan = load_plan(book)
    assert {t.code: t.national for t in plan.targets()} == {**before, "2.1": "QG-2.3"}
    assert {i.ref for i in plan.review if i.kind == "national"} == unsure - {"2.1"}
    assert load_workbook(book)["Chỉ tiêu"].cell(1, 14).value == "Mã quốc gia"


def test_unknown_national_code_is_refused(book):
    before = book.read_bytes()
    for bad in ("QG-9.9", "4.1z", "chỉ tiêu 4"):
        with pytest.raises(PlanEditError) as exc:
            edit.set_national(book, "1.1", bad)
        assert "không có trong danh mục" in str(exc.value)
        assert exc.value.sheet == "Chỉ tiêu" and exc.value.cell.endswith("2")
    assert book.read_bytes() == before


def test_every_catalog_code_can_be_linked(book):
    codes = [t.code for t in catalog.load().targets]
    assert codes
    for code in codes:
        edit.set_national(book, "1.1", code.lower().replace("qg-", ""))
    assert edit.set_national(book, "1.1", codes[-1]) == []      # unchanged: nothing written


# -- assignments and tasks -----------------------------------------------------------------
def test_assignment_replaced_in_order(book):
    edit.set_assignment(book, "Đài truyền thanh phường", indicators="1.1; 6.1 2.2")
    plan = load_plan(book)
    assert plan.unit("Đài truyền thanh phường").indicators == ["1.1", "6.1", "2.2"]
    assert plan.unit("Công an phường").indicators == ["2.2"]
    assert plan.unit("Trường Tiểu học Hòa Khánh").indicators == ["2.1"]


def test_assignment_grows_with_the_sheet_formula_and_shrinks(book):
    edit.set_assignment(book, "trường tiểu học hoà khánh", indicators=["2.1", "2.2", "1.1", "6.1"])
    plan = load_plan(book)
    assert plan.unit("Trường Tiểu học Hòa Khánh").indicators == ["2.1", "2.2", "1.1", "6.1"]
    ws = load_workbook(book)["Phân công"]
    rows = [r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "Trường Tiểu học Hòa Khánh"]
    assert len(rows) == 4
    assert all(str(ws.cell(r, 3).value).startswith("=IFERROR(INDEX(") and f"B{r}" in
               ws.cell(r, 3).value for r in rows)
    edit.set_assignment(book, "Trường Tiểu học Hòa Khánh", indicators="")
    plan = load_plan(book)
    assert plan.unit("Trường Tiểu học Hòa Khánh").indicators == []
    assert plan.unit("Đài truyền thanh phường").indicators == ["6.1", "1.1"]
    assert not [f for f in check_plan(plan) if f.code == "unknown_indicator"]


def test_tasks_replaced_numbered_and_kept_apart(book):
    tasks = "Tổ chức ngoại khóa về giới.\n\n  Báo cáo số học sinh nữ bỏ học.  \nDự hội thi."
    edit.set_assignment(book, "Trường Tiểu học Hòa Khánh", tasks=tasks)
    plan = load_plan(book)
    assert plan.unit("Trường Tiểu học Hòa Khánh").tasks == [
        "Tổ chức ngoại khóa về giới.", "Báo cáo số học sinh nữ bỏ học.", "Dự hội thi."]
    assert plan.unit("Công an phường").tasks == ["Thu thập số liệu về số vụ bạo lực gia đình."]
    assert plan.unit("Trường Tiểu học Hòa Khánh").indicators == ["2.1"]   # not touched
    edit.set_assignment(book, "Công an phường", tasks=[])
    assert load_plan(book).unit("Công an phường").tasks == []


@pytest.mark.parametrize("unit, codes, sheet, words", [
    ("Trạm Y tế phường", "2.1", "Đơn vị", "không có đơn vị “Trạm Y tế phường”"),
    ("Công an phường", "2.2, 7.1", "Phân công", "không có chỉ tiêu mã “7.1”"),
    ("Công an phường", "2.2a", "Phân công", "ghi mã chỉ tiêu 2.2"),
])
def test_bad_assignments_are_refused(tmp_path, unit, codes, sheet, words):
    plan = make_plan()
    plan.indicators[2].targets[0].code = "2.2a"       # an indicator with lettered rows
    path = save_with_review(plan, tmp_path / "p.xlsx")
    before = path.read_bytes()
    with pytest.raises(PlanEditError) as exc:
        edit.set_assignment(path, unit, indicators=codes)
    assert f"trang “{sheet}”" in str(exc.value) and words in str(exc.value)
    assert path.read_bytes() == before


# -- deadlines -----------------------------------------------------------------------------
def test_the_annual_deadline_read_wrong_is_corrected(book):
    changes = edit.set_deadline(book, "Hằng năm", due="25/11")
    assert [(c.cell, c.old, c.new) for c in changes if c.sheet == "Báo cáo"] == [
        ("B3", "10/06", "25/11")]
    plan = load_plan(book)
    assert [(r.kind, r.due) for r in plan.reports] == [("semiannual", "06-10"),
                                                        ("annual", "11-25")]
    assert plan.deadline("2027") == date(2027, 11, 25)
    assert plan.deadline("2027-H1") == date(2027, 6, 10)


def test_kind_changed_added_and_one_off(book):
    edit.set_deadline(book, "semiannual", new_kind="quarterly", due="15/3")
    edit.set_deadline(book, "once", due="2027-12-31", to="UBND phường")
    plan = load_plan(book)
    assert [(r.kind, r.due, r.to) for r in plan.reports] == [
        ("quarterly", "03-15", "UBND phường"), ("annual", "06-10", "UBND phường"),
        ("once", "2027-12-31", "UBND phường")]
    cell = load_workbook(book)["Báo cáo"]["B5"]
    assert isinstance(cell.value, datetime) and cell.number_format == "dd/mm/yyyy"


def test_report_upward(book):
    edit.set_deadline(book, "upward", due="05/12/2027", to="UBND quận Liên Chiểu")
    up = load_plan(book).upward
    assert (up.to, up.due) == ("UBND quận Liên Chiểu", "2027-12-05")


@pytest.mark.parametrize("kind, fields, words", [
    ("annual", {"due": "31/02"}, "không có thật"),
    ("annual", {"due": "cuối năm"}, "không đọc được"),
    ("once", {"due": "15/01"}, "cần cả năm"),
    ("hàng tuần", {"due": "15/01"}, "loại báo cáo “hàng tuần” không hợp lệ"),
    ("semiannual", {"new_kind": "annual"}, "đã có báo cáo loại"),
])
def test_bad_deadlines_are_refused(book, kind, fields, words):
    before = book.read_bytes()
    with pytest.raises(PlanEditError) as exc:
        edit.set_deadline(book, kind, **fields)
    assert "trang “Báo cáo”" in str(exc.value) and words in str(exc.value)
    assert book.read_bytes() == before


# -- the workbook itself -------------------------------------------------------------------
def test_formatting_and_the_officers_column_are_kept(book):
    dressed(book)
    edit.set_target(book, "2.1", value="42", max="52")
    edit.set_national(book, "2.1", "QG-2.1")
    wb = load_workbook(book)
    ws = wb["Chỉ tiêu"]
    assert ws["A2"].fill.fgColor.rgb.endswith("FFFF00")
    assert ws["H3"].font.name == "Arial" and ws["H3"].font.b and ws["H3"].value == 42
    assert ws.cell(3, 20).value == "Đã hỏi Sở" and ws.column_dimensions["E"].width == 70
    assert ws.freeze_panes == "A2"
    assert ws.data_validations.dataValidation            # the dropdowns are still there
    assert wb.sheetnames[:2] == ["Hướng dẫn", "Thông tin chung"]


def test_a_workbook_open_in_excel_is_not_written(book):
    lock = book.with_name("~$" + book.name)
    lock.write_bytes(b"owner")
    before = book.read_bytes()
    with pytest.raises(OutputLocked, match="đang mở"):
        edit.set_target(book, "1.1", value="40")
    assert book.read_bytes() == before


def test_nothing_to_change_writes_nothing(book):
    before = book.stat().st_mtime_ns, book.read_bytes()
    assert edit.set_target(book, "1.1", op=">=", value="35", unit="%", year="2027") == []
    assert (book.stat().st_mtime_ns, book.read_bytes()) == before


def test_review_rows_of_the_corrected_thing_are_marked(book):
    edit.set_target(book, "2.2", value="2", review_note="Đã sửa ngày 01/03/2027.")
    edit.confirm(book, "deadline", "annual", "Đã xem.")
    items = load_plan(book).review
    by = {(i.kind, i.ref): i for i in items}
    assert by[("target", "2.2")].confidence == 1.0
    assert by[("target", "2.2")].note == "Không rõ năm đạt. Đã sửa ngày 01/03/2027."
    assert by[("deadline", "annual")].confidence == 1.0
    assert by[("national", "2.2")].confidence < 0.8           # another kind: untouched
    assert by[("assignment", "Trường Tiểu học Hòa Khánh")].confidence == 0.4
    edit.set_national(book, "2.2", "QG-3.2a", review_note="Đã sửa.")   # "QG-3.2a?" made sure
    assert ("national", "2.2") not in {(i.kind, i.ref) for i in load_plan(book).review}


# -- the document's text -------------------------------------------------------------------
def test_text_kept_beside_the_workbook(book):
    assert source_text.load_text(book) is None
    saved = source_text.save_text(book, [" Dòng  một ", "", "Dòng\u00a0ba"])
    assert saved.name == "hoa-khanh.van-ban.txt"
    assert saved.read_bytes().startswith(b"\xef\xbb\xbf")
    assert source_text.load_text(book) == ["Dòng một", "", "Dòng ba"]
    from bdg_excel.core.workspace import Workspace
    ws = Workspace(book.parent.parent)
    assert saved.parent == book.parent and "hoa-khanh.van-ban" not in ws.plan_names()


def test_review_view_unsure_first_and_located_in_the_text():
    plan = make_plan()
    view = source_text.review_view(plan.review, PARAGRAPHS)
    assert [round(i.confidence, 2) for i in view.items] == [0.3, 0.4, 0.5, 0.55, 0.7, 0.95]
    assert view.unsure == 5 and view.full_text
    marked = {view.items[s.item].kind: (p.number, s.text) for p in view.paragraphs
              for s in p.segments if s.item is not None}
    assert marked["deadline"] == (14, PARAGRAPHS[13])
    assert marked["assignment"][0] == 12 and PARAGRAPHS[11].startswith(marked["assignment"][1])
    # the national link and the target 2.2 come from one sentence: one mark for both
    national = next(n for n, i in enumerate(view.items) if i.kind == "national")
    target = next(n for n, i in enumerate(view.items) if (i.kind, i.ref) == ("target", "2.2"))
    assert view.located[national] == view.located[target] == national
    assert "upward" not in marked and len(view.ids) == len(set(view.ids)) == 6
    # the whole text is there, each paragraph once
    assert ["".join(s.text for s in p.segments) for p in view.paragraphs] == PARAGRAPHS


def test_review_view_without_the_text_lists_sentences_in_document_order():
    plan = make_plan()
    view = source_text.review_view(plan.review, None)
    assert not view.full_text
    assert [p.source for p in view.paragraphs] == ["đoạn 5", "đoạn 8", "đoạn 12", "đoạn 14",
                                                   "đoạn 99"]
    assert [i.confidence for i in view.items][0] == 0.3


def test_a_sentence_wrapped_over_lines_is_found_by_its_start():
    lines = ["Các đơn vị gửi báo cáo kết quả thực hiện về Phòng Văn hóa", "– Xã hội trước "
             "ngày 30/11 hằng năm."]
    hit = source_text.locate(lines, "Các đơn vị gửi báo cáo kết quả thực hiện về Phòng Văn "
                             "hóa – Xã hội trước ngày 30/11 hằng năm.")
    assert hit == (0, 0, len(lines[0]))
    assert source_text.locate(lines, "Không có câu này.") is None


def test_pages_of_a_pdf_are_kept_and_shown(book):
    from bdg_excel.plan.importer import _paragraphs
    from bdg_excel.plan.importer.text import RawLine

    raw = [RawLine("KẾ HOẠCH", 1, page=1), RawLine("Mục tiêu 1", 2, page=1),
           RawLine("Đạt 35% nữ.", 3, page=2), RawLine("Bảng", 5, page=4),
           RawLine("ô hai", 5, page=4)]
    paragraphs = _paragraphs(raw)
    assert paragraphs == ["\fKẾ HOẠCH", "Mục tiêu 1", "\fĐạt 35% nữ.", "", "\f\fBảng ô hai"]
    source_text.save_text(book, paragraphs)
    assert source_text.load_text(book) == paragraphs
    item = ReviewItem("target", "1.1", "≥ 35 %", "trang 2", "Đạt 35% nữ.", 0.5)
    view = source_text.review_view([item], paragraphs)
    assert [(p.number, p.page) for p in view.paragraphs] == [(1, 1), (2, None), (3, 2), (5, 4)]
    assert view.paragraphs[2].segments[0].text == "Đạt 35% nữ." and view.located == {0: 0}


def test_a_link_read_from_a_rows_words_is_marked_where_its_row_was_read():
    paragraphs = ["Chỉ tiêu chung: dưới 3 vụ mỗi năm trên toàn tỉnh.", "Khác.",
                  "Số vụ bạo lực gia đình giảm còn dưới 3 vụ."]
    items = [ReviewItem("national", "2.2", "QG-3.2a", "", "dưới 3 vụ", 0.1),
             ReviewItem("target", "2.2", "< 3 vụ", "đoạn 3", paragraphs[2], 0.6)]
    view = source_text.review_view(items, paragraphs)
    assert view.items[0].kind == "national"
    assert view.located == {0: 1, 1: 1}            # one mark, in paragraph 3, for both
    assert [p.number for p in view.paragraphs if any(s.item is not None
                                                     for s in p.segments)] == [3]
