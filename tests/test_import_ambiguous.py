"""Plans whose own numbering does not say which goal a field is: the national catalog
decides (its goal titles and the national links of the field's indicators), the reading
is listed on "Rà soát" as unsure, and a plan whose numbering is explicit keeps it.

- field headings without a goal number, numbered by position ("3. Lĩnh vực y tế" in a plan
  that skips fields) or not numbered at all;
- indicators numbered on across fields ("Chỉ tiêu 3" under the second field), assignments
  naming them by that number alone;
- a heading that merges two national goals, a goal split over two headings;
- a table whose group rows are fields without numbers, and whose bare target figures are
  read as floors or ceilings from the catalog's direction of the linked national
  indicator (the old word list only for local rows).

Eight excerpts; the last two (HELD_OUT) were written with the others, before the importer
was changed, and were scored only at the end (F1 of goals, target rows with their
comparator and assignments: six tuned 0.157 before, 1.000 after; held out 0.375 before,
0.900 after; one of them missed the heading "2.1. Trong đời sống gia đình" and the
assignment "các chỉ tiêu trong đời sống gia đình", both read since: 1.000).
"""

from __future__ import annotations

import pytest

from bdg_excel.core import vn
from bdg_excel.plan.importer import NEEDS_LOOK, import_plan, import_text

from docx_writer import write_docx

HEAD = ("ỦY BAN NHÂN DÂN\n{upper}\n\nSố: {no}/KH-UBND\n\n{place}, ngày 12 tháng 3 năm 2026\n\n"
        "KẾ HOẠCH\nThực hiện công tác bình đẳng giới năm 2026\n\n"
        "Ủy ban nhân dân {level} {place} ban hành Kế hoạch như sau:\n\n")
TAIL = ("\nIII. CHẾ ĐỘ BÁO CÁO\n\nCác đơn vị gửi báo cáo kết quả về UBND {level} trước ngày "
        "25/11 hằng năm.\n\nTrên đây là Kế hoạch của UBND {level} {place}./.\n")


def _doc(place: str, level: str, body: str, org: str) -> str:
    upper = f"{level} {place}".upper()
    return (HEAD.format(upper=upper, no=len(place), place=place, level=level) + body
            + "\nII. TỔ CHỨC THỰC HIỆN\n\n" + org + TAIL.format(level=level, place=place))


# Each case: (name, document text or Word source, expected goals {number: title},
# expected target rows {code: op}, expected assignments {unit: [codes]})
CASES = [
    ("skips-fields", _doc("Nà Tấu", "xã", (
        "I. MỤC TIÊU CỤ THỂ\n\n"
        "1. Lĩnh vực chính trị\n- Chỉ tiêu 1: Tỷ lệ nữ tham gia cấp ủy xã đạt 30% trở lên.\n"
        "2. Lĩnh vực y tế\n- Chỉ tiêu 1: Tỷ lệ phụ nữ đẻ tại cơ sở y tế đạt 95%.\n"
        "- Chỉ tiêu 2: Tỷ số giới tính khi sinh không vượt quá 110 bé trai/100 bé gái.\n"
        "3. Lĩnh vực thông tin, truyền thông\n- Chỉ tiêu 1: Mỗi quý có ít nhất 04 tin, bài "
        "về bình đẳng giới trên hệ thống thông tin cơ sở.\n"), (
        "1. Văn phòng HĐND và UBND xã\n- Tham mưu triển khai Kế hoạch; báo cáo chỉ tiêu lĩnh "
        "vực chính trị.\n2. Trạm Y tế xã\n- Báo cáo các chỉ tiêu thuộc lĩnh vực y tế.\n"
        "3. Đài Truyền thanh xã\n- Báo cáo chỉ tiêu 1 lĩnh vực thông tin, truyền thông.\n")),
     {1: "Lĩnh vực chính trị", 4: "Lĩnh vực y tế", 6: "Lĩnh vực thông tin, truyền thông"},
     {"1.1": ">=", "4.1": ">=", "4.2": "<=", "6.1": ">="},
     {"Văn phòng HĐND và UBND xã": ["1.1"], "Trạm Y tế xã": ["4.1", "4.2"],
      "Đài Truyền thanh xã": ["6.1"]}),

    ("unnumbered-fields", _doc("Mường Mô", "xã", (
        "I. MỤC TIÊU\n\n"
        "Lĩnh vực kinh tế, lao động\n- Tỷ lệ lao động nữ nông thôn được đào tạo nghề đạt 50%.\n"
        "- Tỷ lệ nữ làm chủ hợp tác xã đạt 27%.\n"
        "Lĩnh vực giáo dục, đào tạo\n- 100% trẻ em gái trong độ tuổi được đến trường.\n"
        "Lĩnh vực thông tin, truyền thông\n- 80% người dân được tiếp cận kiến thức cơ bản "
        "về bình đẳng giới.\n"), (
        "1. Phòng Văn hóa - Xã hội\n- Theo dõi, báo cáo chỉ tiêu 2 lĩnh vực kinh tế, lao "
        "động và các chỉ tiêu lĩnh vực thông tin, truyền thông.\n"
        "2. Trường Tiểu học Mường Mô\n- Báo cáo chỉ tiêu 1 lĩnh vực giáo dục, đào tạo.\n")),
     {2: "Lĩnh vực kinh tế, lao động", 5: "Lĩnh vực giáo dục, đào tạo",
      6: "Lĩnh vực thông tin, truyền thông"},
     {"2.1": ">=", "2.2": ">=", "5.1": ">=", "6.1": ">="},
     {"Phòng Văn hóa - Xã hội": ["2.2", "6.1"], "Trường Tiểu học Mường Mô": ["5.1"]}),

    ("letters-ve", _doc("Sơn Bình", "xã", (
        "I. MỤC TIÊU\n\n"
        "a) Về kinh tế, lao động\n- Chỉ tiêu 1: Tỷ lệ nữ giám đốc, chủ doanh nghiệp, hợp tác "
        "xã đạt 27%.\n"
        "b) Về phòng, chống bạo lực gia đình\n- Chỉ tiêu 1: 90% người bị bạo lực gia đình "
        "được phát hiện, tư vấn, hỗ trợ.\n"
        "c) Về y tế\n- Chỉ tiêu 1: Giảm tỷ suất sinh ở vị thành niên xuống 10/1.000 phụ nữ.\n"), (
        "1. Công an xã\n- Báo cáo chỉ tiêu 1 lĩnh vực phòng, chống bạo lực gia đình.\n"
        "2. Trạm Y tế xã\n- Báo cáo chỉ tiêu 1 lĩnh vực y tế.\n"
        "3. Hội Liên hiệp Phụ nữ xã\n- Báo cáo chỉ tiêu 1 lĩnh vực kinh tế, lao động.\n")),
     {2: "Về kinh tế, lao động", 3: "Về phòng, chống bạo lực gia đình", 4: "Về y tế"},
     {"2.1": ">=", "3.1": ">=", "4.1": "<="},
     {"Công an xã": ["3.1"], "Trạm Y tế xã": ["4.1"], "Hội Liên hiệp Phụ nữ xã": ["2.1"]}),

    ("numbered-on", _doc("Chiềng Sinh", "phường", (
        "I. MỤC TIÊU, CHỈ TIÊU\n\n"
        "1. Lĩnh vực chính trị\n- Chỉ tiêu 1: Tỷ lệ nữ đại biểu HĐND phường đạt 35%.\n"
        "- Chỉ tiêu 2: Tỷ lệ nữ lãnh đạo chủ chốt các tổ dân phố đạt 30%.\n"
        "2. Lĩnh vực y tế\n- Chỉ tiêu 3: Tỷ lệ phụ nữ mang thai được khám thai ít nhất 4 lần "
        "đạt 90%.\n"
        "3. Lĩnh vực thông tin, truyền thông\n- Chỉ tiêu 4: 100% tổ dân phố được phổ biến "
        "pháp luật về bình đẳng giới.\n"), (
        "1. Phòng Văn hóa - Xã hội\n- Báo cáo chỉ tiêu 1, 2 và chỉ tiêu 4.\n"
        "2. Trạm Y tế phường\n- Báo cáo chỉ tiêu 3.\n")),
     {1: "Lĩnh vực chính trị", 4: "Lĩnh vực y tế", 6: "Lĩnh vực thông tin, truyền thông"},
     {"1.1": ">=", "1.2": ">=", "4.3": ">=", "6.4": ">="},
     {"Phòng Văn hóa - Xã hội": ["1.1", "1.2", "6.4"], "Trạm Y tế phường": ["4.3"]}),

    ("merged-and-local", _doc("Tân Lập", "xã", (
        "I. MỤC TIÊU\n\n"
        "1. Lĩnh vực kinh tế, lao động và y tế\n"
        "- Chỉ tiêu 1: Tỷ lệ nữ làm chủ doanh nghiệp, hợp tác xã đạt 27%.\n"
        "- Chỉ tiêu 2: Tỷ lệ phụ nữ đẻ được cán bộ y tế đỡ đạt 98%.\n"
        "2. Lĩnh vực thông tin, truyền thông\n- Chỉ tiêu 1: Mỗi quý có ít nhất 04 tin, bài "
        "về bình đẳng giới.\n"), (
        "1. Phòng Kinh tế\n- Báo cáo chỉ tiêu 1 lĩnh vực kinh tế, lao động và y tế.\n"
        "2. Trạm Y tế xã\n- Báo cáo chỉ tiêu 2 lĩnh vực kinh tế, lao động và y tế.\n"
        "3. Văn phòng UBND xã\n- Báo cáo chỉ tiêu lĩnh vực thông tin, truyền thông.\n")),
     {2: "Lĩnh vực kinh tế, lao động và y tế", 6: "Lĩnh vực thông tin, truyền thông"},
     {"2.1": ">=", "2.2": ">=", "6.1": ">="},
     {"Phòng Kinh tế": ["2.1"], "Trạm Y tế xã": ["2.2"], "Văn phòng UBND xã": ["6.1"]}),

    ("table-fields", _doc("Quỳnh Nhai", "xã", (
        "I. MỤC TIÊU\n\n"
        "| STT | Chỉ tiêu | Kế hoạch năm 2026 | Đơn vị chủ trì |\n"
        "| Lĩnh vực kinh tế, lao động |\n"
        "| 1 | Tỷ trọng lao động nữ làm việc trong khu vực nông nghiệp trong tổng số lao động "
        "nữ có việc làm | 30% | Phòng Kinh tế |\n"
        "| Lĩnh vực y tế |\n"
        "| 2 | Tỷ số giới tính khi sinh | 110 bé trai/100 bé gái | Trạm Y tế xã |\n"
        "| Lĩnh vực giáo dục, đào tạo |\n"
        "| 3 | Tỷ lệ trẻ em gái dân tộc thiểu số hoàn thành giáo dục tiểu học, không bỏ học "
        "giữa chừng | 98% | Trường Tiểu học Quỳnh Nhai |\n"), (
        "1. Phòng Văn hóa - Xã hội\n- Tham mưu, tổng hợp kết quả thực hiện Kế hoạch.\n")),
     {2: "Lĩnh vực kinh tế, lao động", 4: "Lĩnh vực y tế", 5: "Lĩnh vực giáo dục, đào tạo"},
     {"2.1": "<=", "4.2": "<=", "5.3": ">="},
     {"Phòng Kinh tế": ["2.1"], "Trạm Y tế xã": ["4.2"], "Trường Tiểu học Quỳnh Nhai": ["5.3"],
      "Phòng Văn hóa - Xã hội": []}),

    # -- held out (scored only at the end) ---------------------------------------------
    ("held-explicit-then-unnumbered", _doc("Phong Thổ", "thị trấn", (
        "I. MỤC TIÊU\n\n"
        "Mục tiêu 1: Tăng cường sự tham gia của phụ nữ vào vị trí lãnh đạo\n"
        "- Chỉ tiêu 1: Tỷ lệ nữ cán bộ lãnh đạo, quản lý đạt 30%.\n"
        "Mục tiêu 2: Bảo đảm bình đẳng giới trong lĩnh vực y tế\n"
        "- Chỉ tiêu 1: 100% trạm y tế có cán bộ tư vấn sức khỏe sinh sản.\n"
        "Lĩnh vực thông tin, truyền thông\n"
        "- Chỉ tiêu 1: Mỗi quý ít nhất 03 tin, bài về bình đẳng giới trên trang thông tin "
        "điện tử.\n"), (
        "1. Trạm Y tế thị trấn\n- Báo cáo chỉ tiêu 1 Mục tiêu 2.\n"
        "2. Văn phòng UBND thị trấn\n- Báo cáo chỉ tiêu 1 Mục tiêu 1 và chỉ tiêu 1 lĩnh vực "
        "thông tin, truyền thông.\n")),
     {1: "Tăng cường sự tham gia của phụ nữ vào vị trí lãnh đạo",
      2: "Bảo đảm bình đẳng giới trong lĩnh vực y tế", 6: "Lĩnh vực thông tin, truyền thông"},
     {"1.1": ">=", "2.1": ">=", "6.1": ">="},
     {"Trạm Y tế thị trấn": ["2.1"], "Văn phòng UBND thị trấn": ["1.1", "6.1"]}),

    ("held-decimal-sub", _doc("Bình Minh", "phường", (
        "I. MỤC TIÊU\n\n1. Mục tiêu chung\n\nThu hẹp khoảng cách giới.\n\n"
        "2. Mục tiêu cụ thể\n\n"
        "2.1. Trong đời sống gia đình\n- Phấn đấu 100% nạn nhân bị bạo lực gia đình được "
        "phát hiện và hỗ trợ kịp thời.\n"
        "2.2. Trong lĩnh vực y tế\n- Tỷ lệ tử vong bà mẹ giảm xuống dưới 40/100.000 trẻ đẻ "
        "sống.\n"
        "2.3. Trong lĩnh vực giáo dục\n- 100% trường học lồng ghép nội dung bình đẳng giới "
        "vào hoạt động giáo dục.\n"), (
        "1. Công an phường\n- Báo cáo các chỉ tiêu trong đời sống gia đình.\n"
        "2. Trạm Y tế phường\n- Báo cáo các chỉ tiêu lĩnh vực y tế.\n"
        "3. Trường THCS Bình Minh\n- Báo cáo các chỉ tiêu lĩnh vực giáo dục.\n")),
     {3: "Trong đời sống gia đình", 4: "Trong lĩnh vực y tế", 5: "Trong lĩnh vực giáo dục"},
     {"3.1": ">=", "4.1": "<", "5.1": ">="},
     {"Công an phường": ["3.1"], "Trạm Y tế phường": ["4.1"],
      "Trường THCS Bình Minh": ["5.1"]}),
]
HELD_OUT = {"held-explicit-then-unnumbered", "held-decimal-sub"}
TUNED = [c for c in CASES if c[0] not in HELD_OUT]
HELD = [c for c in CASES if c[0] in HELD_OUT]


def _import(name: str, text: str, tmp_path):
    if "| STT |" in text:            # tables only exist in Word documents
        path = tmp_path / f"{name}.docx"
        write_docx(text, path)
        return import_plan(path)
    return import_text(text, source=f"{name}.txt")


def _facts(plan) -> set:
    facts = {("goal", g.number, vn.canonical(g.title)) for g in plan.goals}
    facts |= {("target", t.code, t.op) for t in plan.targets()}
    facts |= {("assign", vn.canonical(u.name), c) for u in plan.units for c in u.indicators}
    return facts


def _expected(goals, targets, units) -> set:
    facts = {("goal", n, vn.canonical(t)) for n, t in goals.items()}
    facts |= {("target", c, op) for c, op in targets.items()}
    facts |= {("assign", vn.canonical(u), c) for u, codes in units.items() for c in codes}
    return facts


def score(plan, goals, targets, units) -> float:
    """F1 of the facts read (goals with titles, target rows with their comparator,
    assignments) against the expected ones."""
    got, want = _facts(plan), _expected(goals, targets, units)
    tp = len(got & want)
    if not tp:
        return 0.0
    p, r = tp / len(got), tp / len(want)
    return round(2 * p * r / (p + r), 3)


def _check(tmp_path, name, text, goals, targets, units):
    result = _import(name, text, tmp_path)
    plan = result.plan
    assert [(g.number, g.title) for g in plan.goals] == list(goals.items())
    assert {t.code: t.op for t in plan.targets()} == targets
    assert {u.name: u.indicators for u in plan.units} == units
    assert score(plan, goals, targets, units) == 1.0
    return result


@pytest.mark.parametrize("name,text,goals,targets,units", TUNED, ids=[c[0] for c in TUNED])
def test_ambiguous_numbering_is_decided_by_the_catalog(tmp_path, name, text, goals, targets,
                                                       units):
    _check(tmp_path, name, text, goals, targets, units)


#: held out, scored at the end: 0.800 for "held-decimal-sub" (its heading "2.1. Trong đời
#: sống gia đình" and the assignment "các chỉ tiêu trong đời sống gia đình" were not read,
#: having no "lĩnh vực"); both are read since
@pytest.mark.parametrize("name,text,goals,targets,units", HELD, ids=[c[0] for c in HELD])
def test_held_out_ambiguous_numbering(tmp_path, name, text, goals, targets, units):
    _check(tmp_path, name, text, goals, targets, units)


def _goal_items(result):
    return {r.ref: r for r in result.plan.review if r.kind == "target"
            and r.ref.startswith("Mục tiêu")}


def test_an_inferred_goal_number_is_listed_for_review_with_its_sentence(tmp_path):
    name, text, *_ = CASES[0]
    result = _import(name, text, tmp_path)
    items = _goal_items(result)
    # "1. Lĩnh vực chính trị" is goal 1 by its own number and by the catalog: nothing to ask
    assert set(items) == {"Mục tiêu 4", "Mục tiêu 6"}
    health = items["Mục tiêu 4"]
    assert health.confidence < NEEDS_LOOK
    assert health.sentence == "2. Lĩnh vực y tế" and health.source == "dòng 17"
    assert "mục tiêu 4" in health.note.lower() and "2" in health.note
    assert result.summary.to_check >= 2
    # the review sheet puts them among the unsure items
    assert result.plan.review.index(health) < len(
        [r for r in result.plan.review if r.confidence < NEEDS_LOOK])


def test_a_merged_heading_is_decided_by_its_indicators_and_flagged(tmp_path):
    name, text, *_ = next(c for c in CASES if c[0] == "merged-and-local")
    items = _goal_items(_import(name, text, tmp_path))
    assert items["Mục tiêu 2"].confidence < NEEDS_LOOK
    assert "nhiều mục tiêu" in items["Mục tiêu 2"].note


def test_a_split_goal_keeps_each_part_apart(tmp_path):
    text = _doc("Pa Tần", "xã", (
        "I. MỤC TIÊU\n\n"
        "1. Lĩnh vực chính trị - trong cấp ủy\n- Chỉ tiêu 1: Tỷ lệ nữ cấp ủy đạt 30%.\n"
        "2. Lĩnh vực chính trị - trong chính quyền\n- Chỉ tiêu 1: Tỷ lệ nữ lãnh đạo UBND đạt "
        "25%.\n3. Lĩnh vực y tế\n- Chỉ tiêu 1: Tỷ lệ phụ nữ đẻ tại cơ sở y tế đạt 95%.\n"),
        "1. Trạm Y tế xã\n- Báo cáo chỉ tiêu 1 lĩnh vực y tế.\n")
    result = import_text(text)
    numbers = [g.number for g in result.plan.goals]
    assert numbers[0] == 1 and numbers[2] == 4 and numbers[1] not in (1, 4)
    assert len(set(numbers)) == 3
    assert result.plan.unit("Trạm Y tế xã").indicators == ["4.1"]
    split = _goal_items(result)[f"Mục tiêu {numbers[1]}"]
    assert split.confidence < NEEDS_LOOK and "mục tiêu 1" in split.note.lower()


@pytest.mark.parametrize("body,numbers", [
    # explicit goal numbers that differ from the strategy's: kept as numbered in the plan
    ("Mục tiêu 1: Trong lĩnh vực y tế\n- Chỉ tiêu 1: Tỷ lệ phụ nữ đẻ tại cơ sở y tế đạt 95%.\n"
     "Mục tiêu 2: Trong lĩnh vực thông tin, truyền thông\n- Chỉ tiêu 1: 100% thôn được "
     "tuyên truyền.\n", [1, 2]),
    # field headings numbered as in the strategy
    ("1. Lĩnh vực chính trị\n- Chỉ tiêu 1: Tỷ lệ nữ cấp ủy đạt 30%.\n"
     "2. Lĩnh vực kinh tế, lao động\n- Chỉ tiêu 1: Tỷ lệ nữ chủ doanh nghiệp đạt 27%.\n", [1, 2]),
    # goal numbers stated in parentheses
    ("1. Lĩnh vực y tế (Mục tiêu 4)\n- Chỉ tiêu 1: Tỷ lệ phụ nữ đẻ tại cơ sở y tế đạt 95%.\n"
     "2. Lĩnh vực thông tin (Mục tiêu 6)\n- Chỉ tiêu 1: 100% thôn được tuyên truyền.\n",
     [4, 6]),
])
def test_an_explicit_consistent_numbering_is_never_changed(body, numbers):
    result = import_text(_doc("Nậm Xe", "xã", "I. MỤC TIÊU\n\n" + body,
                              "1. Văn phòng UBND xã\n- Tham mưu triển khai Kế hoạch.\n"))
    assert [g.number for g in result.plan.goals] == numbers
    assert all(r.confidence >= NEEDS_LOOK for r in _goal_items(result).values())


def test_direction_comes_from_the_catalog_for_linked_rows_only(tmp_path):
    """A bare figure in a table: the linked national indicator's direction decides; the
    word list stays for rows the catalog does not know."""
    text = _doc("Mường So", "xã", (
        "I. MỤC TIÊU\n\n| STT | Chỉ tiêu | Kế hoạch năm 2026 | Đơn vị chủ trì |\n"
        "| Mục tiêu 1: Trong lĩnh vực kinh tế, lao động |\n"
        "| 1 | Tỷ trọng lao động nữ làm việc trong khu vực nông nghiệp trong tổng số lao động "
        "nữ có việc làm | 30% | Phòng Kinh tế |\n"
        "| Mục tiêu 2: Trong lĩnh vực giáo dục, đào tạo |\n"
        "| 1 | Tỷ lệ trẻ em gái dân tộc thiểu số hoàn thành giáo dục tiểu học, không bỏ học "
        "giữa chừng | 98% | Trường Tiểu học |\n"
        "| 2 | Số học sinh bỏ học trong năm học | 2 học sinh | Trường Tiểu học |\n"), (
        "1. Phòng Văn hóa - Xã hội\n- Tổng hợp kết quả.\n"))
    result = _import("huong", text, tmp_path)
    plan = result.plan
    assert plan.target("1.1").national == "QG-2.2" and plan.target("1.1").op == "<="
    assert plan.target("2.1").national == "QG-5.2a" and plan.target("2.1").op == ">="
    assert plan.target("2.2").national is None and plan.target("2.2").op == "<="
    notes = {r.ref: r for r in plan.review if r.kind == "target"}
    assert "QG-2.2" in notes["1.1"].note and notes["1.1"].confidence < NEEDS_LOOK


def test_an_unnumbered_field_among_headings_that_state_their_goal():
    text = _doc("Nậm Loỏng", "phường", (
        "I. MỤC TIÊU\n\n"
        "1. Lĩnh vực chính trị (Mục tiêu 1)\n- Chỉ tiêu 1: Tỷ lệ nữ cấp ủy đạt 30%.\n"
        "2. Lĩnh vực y tế (Mục tiêu 4)\n- Chỉ tiêu 1: Tỷ lệ phụ nữ đẻ tại cơ sở y tế đạt 95%.\n"
        "Lĩnh vực thông tin, truyền thông\n- Chỉ tiêu 1: 100% tổ dân phố được tuyên truyền về "
        "bình đẳng giới.\n"),
        "1. Văn phòng UBND phường\n- Báo cáo chỉ tiêu 1 lĩnh vực thông tin, truyền thông.\n")
    result = import_text(text)
    assert [g.number for g in result.plan.goals] == [1, 4, 6]
    assert [i.code for i in result.plan.indicators] == ["1.1", "4.1", "6.1"]
    assert result.plan.unit("Văn phòng UBND phường").indicators == ["6.1"]
    item = _goal_items(result)["Mục tiêu 6"]
    assert item.confidence < NEEDS_LOOK and item.sentence == "Lĩnh vực thông tin, truyền thông"
    # the item of goal 4 is not swallowed: no sentence of the goals is left unread
    assert not [f for f in result.unparsed if f.code == "goal_text"]


@pytest.mark.libreoffice
def test_the_same_reading_from_word_and_pdf(tmp_path):
    """Each tuned excerpt as a Word document and printed to PDF by LibreOffice reads the
    same as its text."""
    import shutil

    from test_import_family import score_import

    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        pytest.skip("LibreOffice not installed")

    words = {}
    for name, text, *expected in TUNED:
        words[name] = (tmp_path / f"{name}.docx", expected)
        write_docx(text, words[name][0])
    printed = score_import.convert([p for p, _ in words.values()], "pdf", tmp_path / "pdf")
    assert len(printed) == len(words)
    for name, (path, expected) in words.items():
        assert score(import_plan(path).plan, *expected) == 1.0, name
        assert score(import_plan(printed[path]).plan, *expected) == 1.0, name


def test_the_plan_page_shows_a_decided_goal_with_its_indicators(tmp_path, monkeypatch):
    from bdg_excel.core.workspace import Workspace
    from bdg_excel.plan.planbook import save_plan
    from bdg_excel.web import create_app

    from test_web import page, readable

    monkeypatch.setenv("BDG_TODAY", "2026-06-01")
    ws = Workspace.open(tmp_path / "ws", create=True)
    name, text, *_ = CASES[0]
    save_plan(_import(name, text, tmp_path).plan, ws.templates / "na-tau.xlsx")
    _, html = page(create_app(ws.root).test_client(), "/ke-hoach")
    shown = readable(html)
    assert "Mục tiêu 4: Lĩnh vực y tế" in shown
    assert "Trong tệp kế hoạch: mục tiêu 4: Lĩnh vực y tế; chỉ tiêu 4.1, 4.2" in shown
    assert "không còn trong tệp kế hoạch" not in shown


def test_a_field_without_the_words_linh_vuc_as_heading_and_in_an_assignment():
    text = _doc("Tân Phong", "phường", (
        "I. MỤC TIÊU\n\n"
        "1. Trong đời sống gia đình\n- Giảm số giờ làm việc nhà của phụ nữ xuống 1,5 lần so "
        "với nam giới.\n"
        "2. Trong lĩnh vực y tế\n- Tỷ lệ phụ nữ đẻ tại cơ sở y tế đạt 95%.\n"),
        "1. Trạm Y tế phường\n- Báo cáo các chỉ tiêu lĩnh vực y tế.\n"
        "2. Hội Liên hiệp Phụ nữ phường\n- Tuyên truyền các chỉ tiêu về bình đẳng giới.\n"
        "- Theo dõi, báo cáo các chỉ tiêu trong đời sống gia đình.\n")
    result = import_text(text)
    assert [(g.number, g.title) for g in result.plan.goals] == [
        (3, "Trong đời sống gia đình"), (4, "Trong lĩnh vực y tế")]
    assert [i.code for i in result.plan.indicators] == ["3.1", "4.1"]
    assert not [f for f in result.unparsed if f.code == "goal_text"]
    # a goal named by its whole title assigns; words that are no goal's title stay a task
    women = result.plan.unit("Hội Liên hiệp Phụ nữ phường")
    assert women.indicators == ["3.1"]
    assert women.tasks == ["Tuyên truyền các chỉ tiêu về bình đẳng giới"]
