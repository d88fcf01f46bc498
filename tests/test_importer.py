"""The plan-document importer: reference plans (.txt and .docx built here), target
phrasings, units and assignments, deadlines, and deliberately broken documents."""

from __future__ import annotations

import copy
import json
import unicodedata
from pathlib import Path

import pytest

from bdg_excel.core.errors import PlanError
from bdg_excel.plan.importer import import_plan, import_text, plan_import_summary
from bdg_excel.plan.importer.docx import Numbering, read_docx
from bdg_excel.plan.importer.targets import parse_targets
from bdg_excel.plan.importer.text import lines_from_text, prepare

from docx_writer import ABSTRACT as _ABSTRACT, LVL as _LVL, W_NS, write_docx

DATA = Path(__file__).parent / "data"
IMPORT = DATA / "import"
PLANS = [
    ("ke-hoach-binh-lu-2026-2030.txt", "binh-lu"),
    ("ke-hoach-tam-duong-2021-2025.txt", "tam-duong"),
    ("ke-hoach-vp-ubnd-lai-chau-2026.txt", "lai-chau-vp"),
]


def _diff(got, want, path="plan") -> list[str]:
    """Field-by-field differences, so a failure names the exact field."""
    if isinstance(got, dict) and isinstance(want, dict):
        return [d for k in sorted(set(got) | set(want), key=str)
                for d in _diff(got.get(k), want.get(k), f"{path}.{k}")]
    if isinstance(got, list) and isinstance(want, list):
        out = [f"{path}: {len(got)} items, expected {len(want)}"] if len(got) != len(want) else []
        return out + [d for i, (g, w) in enumerate(zip(got, want)) for d in _diff(g, w, f"{path}[{i}]")]
    return [] if got == want else [f"{path}: {got!r} != expected {want!r}"]


def _reference(name: str) -> dict:
    ref = json.loads((DATA / "plans" / f"{name}.json").read_text(encoding="utf-8"))
    for unit in ref["units"]:    # example addresses of the bundled plans; documents have none
        unit["email"] = None
    return ref


# -- the three plans ---------------------------------------------------------------------
@pytest.mark.parametrize("doc,ref", PLANS)
def test_reference_plan_txt(doc, ref):
    result = import_plan(IMPORT / doc)
    assert _diff(result.plan.to_json(), _reference(ref)) == []


@pytest.mark.parametrize("doc,ref", PLANS)
def test_reference_plan_docx(doc, ref, tmp_path):
    path = tmp_path / (Path(doc).stem + ".docx")
    write_docx((IMPORT / doc).read_text(encoding="utf-8"), path)
    result = import_plan(path)
    assert _diff(result.plan.to_json(), _reference(ref)) == []


@pytest.mark.parametrize("doc,ref", PLANS)
def test_reference_plan_survives_nfd_and_crlf(doc, ref):
    text = unicodedata.normalize("NFD", (IMPORT / doc).read_text(encoding="utf-8"))
    result = import_text(text.replace("\n", "\r\n"))
    assert _diff(result.plan.to_json(), _reference(ref)) == []


def test_targets_carry_measure_and_factor():
    plan = import_plan(IMPORT / PLANS[0][0]).plan
    assert (plan.target("1.1").measure, plan.target("1.1").factor) == ("percent", 100.0)
    assert plan.target("4.2").measure == "rate" and plan.target("4.2").factor == 100000
    assert plan.target("4.1").measure == "ratio"
    assert plan.target("5.1").measure == "yesno"


def test_summary_counts_and_lines():
    result = import_plan(IMPORT / PLANS[1][0])
    s = result.summary
    assert (s.goals, s.indicators, s.targets, s.units, s.deadlines) == (6, 18, 21, 13, 2)
    assert s.assignments == sum(len(u.indicators) for u in result.plan.units) == 18
    assert s.unassigned == []
    assert import_plan(IMPORT / PLANS[0][0]).summary.unassigned == ["3.1"]
    lines = plan_import_summary(result)
    assert any(line.startswith("Đã đọc: 6 mục tiêu, 18 chỉ tiêu") for line in lines)
    assert any("06/05" in line or "05/06" in line for line in lines)
    assert all(unicodedata.is_normalized("NFC", line) for line in lines)


# -- a .docx writer with real Word numbering: tests/docx_writer.py ------------------------


def test_docx_has_no_literal_numbers(tmp_path):
    path = tmp_path / "bl.docx"
    write_docx((IMPORT / PLANS[0][0]).read_text(encoding="utf-8"), path)
    import docx

    texts = [p.text for p in docx.Document(str(path)).paragraphs]
    assert "Trạm Y tế xã" in texts and "MỤC TIÊU" in texts
    assert not any(t.startswith(("2.4.", "II.", "- ")) for t in texts)
    labels = {r.text: r.label for r in read_docx(path)}
    assert labels["Trạm Y tế xã"] == "2.4."
    assert labels["MỤC TIÊU"] == "II."
    assert labels["Mục tiêu 4: Trong lĩnh vực y tế"] == "2.4."


def _numbering_xml(body: str):
    from docx.oxml import parse_xml

    return parse_xml(f'<w:numbering xmlns:w="{W_NS}">{body}</w:numbering>')


def test_numbering_levels_start_values_and_restart():
    levels = "".join(_LVL.format(ilvl=i, start=s, fmt=f, text=t) for i, (s, f, t) in enumerate(
        [(1, "upperRoman", "%1."), (3, "decimal", "%1.%2."), (1, "lowerLetter", "%3)")]))
    root = _numbering_xml(
        _ABSTRACT.format(ns=W_NS, aid="5", levels=levels).replace(f' xmlns:w="{W_NS}"', "")
        + '<w:num w:numId="1"><w:abstractNumId w:val="5"/></w:num>'
        + '<w:num w:numId="2"><w:abstractNumId w:val="5"/></w:num>'
        + '<w:num w:numId="3"><w:abstractNumId w:val="5"/><w:lvlOverride w:ilvl="0">'
          '<w:startOverride w:val="1"/></w:lvlOverride></w:num>')
    n = Numbering(root)
    assert n.label("1", 0) == "I."
    assert n.label("1", 1) == "I.3."          # start value 3
    assert n.label("1", 1) == "I.4."
    assert n.label("1", 2) == "a)"
    assert n.label("1", 2) == "b)"
    assert n.label("1", 0) == "II."
    assert n.label("1", 1) == "II.3."         # lower level restarts under a new parent
    assert n.label("2", 0) == "III."          # same abstractNum: the list continues
    assert n.label("3", 0) == "I."            # startOverride restarts it
    assert n.label("9", 0) is None            # unknown numId


def test_docx_bold_prefix_and_style_free_bullets(tmp_path):
    text = ("KẾ HOẠCH\nThực hiện bình đẳng giới năm 2026\n\nII. TỔ CHỨC THỰC HIỆN\n\n"
            "1. Phòng Văn hóa và Thông tin; Đài Truyền thanh – Truyền hình huyện\n\n"
            "- Tuyên truyền về bình đẳng giới.\n\n"
            "- **Phòng Văn hóa và Thông tin:** Kiểm tra các sản phẩm quảng cáo.\n")
    path = tmp_path / "b.docx"
    write_docx(text, path)
    raw = read_docx(path)
    assert any(r.bold_prefix == "Phòng Văn hóa và Thông tin" for r in raw)
    plan = import_plan(path).plan
    assert [u.name for u in plan.units] == ["Phòng Văn hóa và Thông tin",
                                            "Đài Truyền thanh – Truyền hình huyện"]
    assert plan.units[0].tasks == ["Tuyên truyền về bình đẳng giới",
                                   "Kiểm tra các sản phẩm quảng cáo"]
    assert plan.units[1].tasks == ["Tuyên truyền về bình đẳng giới"]


# -- target sentences --------------------------------------------------------------------
@pytest.mark.parametrize("text,op,value,max_,unit", [
    ("Đến năm 2030 đạt 70% các cơ quan có lãnh đạo chủ chốt là nữ", ">=", 70, None, "%"),
    ("Tăng tỷ lệ lao động nữ lên đạt trên 40% vào năm 2030", ">", 40, None, "%"),
    ("Giảm tỷ trọng lao động nữ trong nông nghiệp xuống dưới 60%", "<", 60, None, "%"),
    ("Tỷ lệ nữ giám đốc đạt ít nhất 30%", ">=", 30, None, "%"),
    ("Tỷ lệ nữ thạc sĩ đạt không dưới 39,5%", ">=", 39.5, None, "%"),
    ("Giảm số giờ làm việc nhà của phụ nữ còn 1,4 lần so với nam giới", "<=", 1.4, None, "lần"),
    ("Giảm số giờ làm việc nhà của phụ nữ còn 1,7 so với nam giới", "<=", 1.7, None, None),
    ("Tỷ số giới tính khi sinh dưới 109 bé trai/100 bé gái sinh ra sống", "<", 109, None,
     "bé trai/100 bé gái"),
    ("Tỷ số giới tính khi sinh ở mức 109 bé trai/100 bé gái", "<=", 109, None, "bé trai/100 bé gái"),
    ("Tỷ lệ tử vong mẹ giảm xuống ở mức 50,15/100.000", "<=", 50.15, None, "/100.000"),
    ("Tỷ lệ tử vong mẹ giảm còn 42/100.000 trẻ sinh sống .", "<=", 42, None, "/100.000"),
    ("Tỷ suất sinh ở vị thành niên giảm xuống dưới 18/1.000", "<", 18, None, "/1.000"),
    ("Tỷ suất sinh ở vị thành niên giảm xuống 18 ca sinh/1.000 phụ nữ", "<=", 18, None, "/1.000"),
    ("Tỷ số giới tính khi sinh từ 102-105 bé trai/100 bé gái", "between", 102, 105,
     "bé trai/100 bé gái"),
    ("Tỷ số giới tính khi sinh từ 102–105 bé trai/100 bé gái", "between", 102, 105,
     "bé trai/100 bé gái"),
    ("Tỷ lệ từ 30% đến 40%", "between", 30, 40, "%"),
    ("Mỗi quý có ít nhất 04 tin, bài về bình đẳng giới", ">=", 4, None, "tin, bài/quý"),
    ("Mỗi tháng có ít nhất 2 tin bài về bình đẳng giới", ">=", 2, None, "tin, bài/tháng"),
    ("100% tổ chức Đảng được phổ biến thông tin về bình đẳng giới", ">=", 100, None, "%"),
    ("100% xã, thị trấn mỗi quý có ít nhất 04 tin, bài", ">=", 100, None, "%"),
    ("Phần đầu đạt 80% vào năm 2030 dân số được tiếp cận kiến thức", ">=", 80, None, "%"),
    ("Phấn đấu đạt 80% dân số được tiếp cận kiến thức", ">=", 80, None, "%"),
    ("Hoàn thành cấp trung học cơ sở đạt khoảng trên 95%", ">", 95, None, "%"),
    ("Tăng tỷ lệ lao động nữ làm công hưởng lương lên 50%", ">=", 50, None, "%"),
    ("Tỷ lệ khám thai đủ 4 lần đạt 90%", ">=", 90, None, "%"),
    ("Tỷ lệ nữ đại biểu đạt 35% trở lên", ">=", 35, None, "%"),
    ("Tỷ lệ nữ đại biểu đạt 35 phần trăm", ">=", 35, None, "%"),
    ("Tỷ lệ hộ nghèo do nữ làm chủ hộ không quá 5%", "<=", 5, None, "%"),
    ("Tổ chức ít nhất 02 lớp tập huấn mỗi năm", ">=", 2, None, "lớp tập huấn/năm"),
    ("Đưa nội dung về giới, bình đẳng giới vào chương trình giảng dạy", "qualitative", None, None,
     None),
    ("Duy trì chuyên mục về bình đẳng giới trong giai đoạn 2021-2025", "qualitative", None, None,
     None),
    ("Tổ chức tuyên truyền nhân ngày Quốc tế Phụ nữ (8/3)", "qualitative", None, None, None),
])
def test_target_phrasings(text, op, value, max_, unit):
    [t] = parse_targets(text, 2030)
    assert (t.op, t.value, t.max, t.unit) == (op, value, max_, unit)


@pytest.mark.parametrize("text,expected", [
    ("đạt 70% vào năm 2030", 2030),
    ("đạt trên 30% đến năm 2025", 2025),
    ("đạt không dưới 50% từ năm 2025 trở đi", 2025),
    ("đạt 90%", 2028),  # the default (heading or period end)
])
def test_target_year(text, expected):
    assert parse_targets(text, 2028)[0].year == expected


@pytest.mark.parametrize("text,ops,values,texts", [
    ("90% người bị bạo lực được hỗ trợ; 70% người gây bạo lực được tư vấn",
     [">=", ">="], [90, 70], ["90% người bị bạo lực được hỗ trợ", "70% người gây bạo lực được tư vấn"]),
    ("Hoàn thành tiểu học 99%; trung học cơ sở 90%", [">=", ">="], [99, 90],
     ["Hoàn thành tiểu học 99%", "trung học cơ sở 90%"]),
    ("Tỷ lệ nữ thạc sĩ đạt không dưới 50% từ năm 2025 trở đi. Tỷ lệ nữ tiến sĩ đạt 30% vào năm 2025",
     [">=", ">="], [50, 30], None),
    ("Phần đầu cơ quan có lãnh đạo là nữ; trên 50% các phòng có lãnh đạo là nữ",
     ["qualitative", ">"], [None, 50], None),
    ("Đạt 100% xã có mô hình; trong đó ưu tiên vùng sâu, vùng xa", [">="], [100], None),
    ("Tuyên truyền thường xuyên; lồng ghép vào sinh hoạt chi bộ", ["qualitative"], [None], None),
])
def test_several_targets_in_one_indicator(text, ops, values, texts):
    targets = parse_targets(text, 2030)
    assert [t.op for t in targets] == ops
    assert [t.value for t in targets] == values
    if texts:
        assert [t.text for t in targets] == texts


# -- whole (small) documents -------------------------------------------------------------
HEAD = """Số: 12/KH-UBND

Tân Uyên, ngày 3 tháng 3 năm 2026

KẾ HOẠCH
Thực hiện bình đẳng giới giai đoạn 2026-2030

Ủy ban nhân dân xã Tân Uyên ban hành Kế hoạch như sau:

"""


def _doc(goals: str = "", org: str = "") -> str:
    text = HEAD
    if goals:
        text += "I. MỤC TIÊU\n\n" + goals + "\n\n"
    if org:
        text += "II. TỔ CHỨC THỰC HIỆN\n\n" + org + "\n\n"
    return text + "Trên đây là Kế hoạch của xã./.\n"


GOALS = """2. Mục tiêu cụ thể

2.1. Mục tiêu 1: Trong lĩnh vực chính trị

Chỉ tiêu: Đạt 50% cơ quan có lãnh đạo chủ chốt là nữ.

2.2. Mục tiêu 2: Trong lĩnh vực y tế

Chỉ tiêu 1: Tỷ số giới tính khi sinh dưới 109 bé trai/100 bé gái.

Chỉ tiêu 2: Tỷ lệ tử vong mẹ ở mức 40/100.000.

Chỉ tiêu 3: Tỷ suất sinh ở vị thành niên dưới 15/1.000."""


@pytest.mark.parametrize("heading", [
    "2.1. Mục tiêu 1: Trong lĩnh vực chính trị", "a) Mục tiêu 1: Trong lĩnh vực chính trị",
    "Mục tiêu 1: Trong lĩnh vực chính trị", "- Mục tiêu 1. Trong lĩnh vực chính trị",
    "**Mục tiêu 1: Trong lĩnh vực chính trị**", "Mục tiêu 01: Trong lĩnh vực chính trị",
])
@pytest.mark.parametrize("indicator", [
    "Chỉ tiêu 1: Đạt 50% cơ quan có lãnh đạo là nữ.", "- Chỉ tiêu 1: Đạt 50% cơ quan có lãnh đạo là nữ.",
    "Chỉ tiêu: Đạt 50% cơ quan có lãnh đạo là nữ.", "- Đạt 50% cơ quan có lãnh đạo là nữ.",
    "Đạt 50% cơ quan có lãnh đạo là nữ.", "Chỉ tiêu 1. Đạt 50% cơ quan có lãnh đạo là nữ",
])
def test_goal_and_indicator_numbering_styles(heading, indicator):
    plan = import_text(_doc(f"{heading}\n\n{indicator}")).plan
    assert [g.to_json() for g in plan.goals] == [{"number": 1, "title": "Trong lĩnh vực chính trị"}]
    [ind] = plan.indicators
    assert (ind.code, ind.text) == ("1.1", "Đạt 50% cơ quan có lãnh đạo là nữ")
    assert (ind.targets[0].op, ind.targets[0].value, ind.targets[0].year) == (">=", 50, 2030)


def test_heading_year_is_the_target_year():
    plan = import_text(_doc("2. Mục tiêu cụ thể đến năm 2028\n\nMục tiêu 1: Chính trị\n\n"
                            "Chỉ tiêu 1: Đạt 50% cơ quan có lãnh đạo là nữ.\n\n"
                            "Chỉ tiêu 2: Đạt 60% vào năm 2029.")).plan
    assert [t.year for t in plan.targets()] == [2028, 2029]


@pytest.mark.parametrize("unit_line,name", [
    ("2.4. Trạm Y tế xã", "Trạm Y tế xã"),
    ("3. Công an phường", "Công an phường"),
    ("9. Đề nghị Ủy ban Mặt trận Tổ quốc Việt Nam xã, các tổ chức chính trị- xã hội",
     "Ủy ban Mặt trận Tổ quốc Việt Nam xã, các tổ chức chính trị- xã hội"),
    ("a) Trách nhiệm của Phòng Văn hóa – Xã hội", "Phòng Văn hóa – Xã hội"),
    ("**2. Trạm Y tế xã**", "Trạm Y tế xã"),
    ("Trạm Y tế xã:", "Trạm Y tế xã"),
])
def test_unit_headings(unit_line, name):
    plan = import_text(_doc(GOALS, f"{unit_line}\n\n- Tuyên truyền về bình đẳng giới.\n\n"
                                   "- Chịu trách nhiệm báo cáo các chỉ tiêu của mục tiêu 2.")).plan
    [unit] = plan.units
    assert unit.name == name
    assert unit.tasks == ["Tuyên truyền về bình đẳng giới"]
    assert unit.indicators == ["2.1", "2.2", "2.3"]


@pytest.mark.parametrize("line,name,task", [
    ("8. Công an huyện: Chủ trì phòng, chống mua bán người.", "Công an huyện",
     "Chủ trì phòng, chống mua bán người"),
    ("2. Phòng Hành chính – Quản trị theo dõi tham mưu thực hiện Kế hoạch.",
     "Phòng Hành chính – Quản trị", "theo dõi tham mưu thực hiện Kế hoạch"),
    ("1. Các phòng, ban, trung tâm căn cứ chức năng, nhiệm vụ có trách nhiệm\n\ntriển khai "
     "Kế hoạch.", "Các phòng, ban, trung tâm",
     "căn cứ chức năng, nhiệm vụ có trách nhiệm triển khai Kế hoạch"),
    ("10. Đề nghị Ủy ban Mặt trận Tổ quốc Việt Nam và các đoàn thể: Tuyên truyền.",
     "Ủy ban Mặt trận Tổ quốc Việt Nam và các đoàn thể", "Tuyên truyền"),
])
def test_unit_heading_with_text_on_the_same_line(line, name, task):
    plan = import_text(_doc(GOALS, line)).plan
    assert [(u.name, u.tasks) for u in plan.units] == [(name, [task])]


@pytest.mark.parametrize("sentence,codes", [
    ("Chịu trách nhiệm tổ chức thực hiện, theo dõi và báo cáo kết quả triển khai Mục tiêu 1; "
     "chỉ tiêu 1, 2 của mục tiêu 2 của Kế hoạch này.", ["1.1", "2.1", "2.2"]),
    ("Chịu trách nhiệm báo cáo các chỉ tiêu của mục tiêu 2; chỉ tiêu của Mục tiêu 1.",
     ["2.1", "2.2", "2.3", "1.1"]),
    ("Tổng hợp và báo cáo số liệu liên quan đến thực hiện Chỉ tiêu 3 của Mục 2 trong Kế hoạch này.",
     ["2.3"]),
    ("Chịu trách nhiệm báo cáo chỉ tiêu 2 (số liệu về bạo lực gia đình) của mục tiêu 2.", ["2.2"]),
    ("Chịu trách nhiệm báo cáo các chỉ tiêu của mục tiêu 02 của Kế hoạch này.",
     ["2.1", "2.2", "2.3"]),
    ("Chịu trách nhiệm báo cáo Chỉ tiêu 2 của Mục 2 và Chỉ tiêu 1 của Mục tiêu 1.", ["2.2", "1.1"]),
    ("Chịu trách nhiệm báo cáo chỉ tiêu 1 đến 3 của mục tiêu 2.", ["2.1", "2.2", "2.3"]),
    ("Chịu trách nhiệm báo cáo chỉ tiêu 2.3.", ["2.3"]),
])
def test_assignments(sentence, codes):
    plan = import_text(_doc(GOALS, f"1. Trạm Y tế xã\n\n- Tuyên truyền.\n\n- {sentence}")).plan
    assert plan.units[0].indicators == codes
    assert plan.units[0].tasks == ["Tuyên truyền"]


def test_assignment_inside_a_longer_paragraph_keeps_the_rest_as_task():
    org = ("1. Phòng Văn hóa và Thông tin; Đài Truyền thanh – Truyền hình huyện\n\n"
           "- Đẩy mạnh tuyên truyền.\n\n"
           "- **Phòng Văn hóa và Thông tin:** Hướng dẫn hỗ trợ nạn nhân. Xử lý vi phạm. Chịu "
           "trách nhiệm báo cáo kết quả triển khai Chỉ tiêu 2 của Mục 2 và Chỉ tiêu 1 của Mục "
           "tiêu 1 của Kế hoạch này.")
    plan = import_text(_doc(GOALS, org)).plan
    vhtt, dai = plan.units
    assert vhtt.tasks == ["Đẩy mạnh tuyên truyền", "Hướng dẫn hỗ trợ nạn nhân. Xử lý vi phạm"]
    assert vhtt.indicators == ["2.2", "1.1"]
    assert (dai.name, dai.tasks, dai.indicators) == (
        "Đài Truyền thanh – Truyền hình huyện", ["Đẩy mạnh tuyên truyền"], [])


@pytest.mark.parametrize("sentence,reports", [
    ("- Chế độ báo cáo định kỳ hàng năm: Báo cáo kết quả gửi về Ủy ban nhân dân xã "
     "(*qua Phòng Văn hóa – Xã hội*) **trước ngày 30/11 hàng năm.**",
     [("annual", "11-30", "Ủy ban nhân dân xã (qua Phòng Văn hóa – Xã hội)")]),
    ("Các cơ quan định kỳ gửi Báo cáo sơ kết 6 tháng về UBND huyện (qua Phòng Nội vụ) trước "
     "ngày 05/6; Báo cáo tổng kết trước ngày 15/12 hàng năm để tổng hợp theo quy định.",
     [("semiannual", "06-05", "UBND huyện (qua Phòng Nội vụ)"),
      ("annual", "12-15", "UBND huyện (qua Phòng Nội vụ)")]),
    ("Báo cáo kết quả thực hiện gửi Sở Nội vụ trước ngày 01/12/2026 theo quy định.",
     [("once", "2026-12-01", "Sở Nội vụ")]),
    ("Báo cáo kết quả (trước ngày 15/12) về UBND xã.", [("annual", "12-15", "UBND xã")]),
    ("Báo cáo kết quả trước ngày 20 tháng 11 hằng năm gửi về Phòng Văn hoá - Xã hội.",
     [("annual", "11-20", "Phòng Văn hoá - Xã hội")]),
])
def test_deadlines(sentence, reports):
    org = f"1. Chế độ báo cáo\n\n{sentence}\n\n2. Trạm Y tế xã\n\n- Tuyên truyền."
    plan = import_text(_doc(GOALS, org)).plan
    assert [(r.kind, r.due, r.to) for r in plan.reports] == reports
    assert [u.name for u in plan.units] == ["Trạm Y tế xã"]


@pytest.mark.parametrize("line,number,place,date", [
    ("Số: 645/KH-UBND\n\nBình Lư, ngày 10 tháng 4 năm 2026", "645/KH-UBND", "Bình Lư", "2026-04-10"),
    ("Số: /KH-UBND\n\nTam Đường, ngày tháng 6 năm 2021", None, "Tam Đường", None),
    ("Số:  /KH-VPUBND\n\nLai Châu, ngày     tháng     năm 2026", None, "Lai Châu", None),
    ("Số 15/KH-UBND\n\nSìn Hồ, ngày 05/02/2026", "15/KH-UBND", "Sìn Hồ", "2026-02-05"),
])
def test_plan_details(line, number, place, date):
    text = _doc(GOALS).replace("Số: 12/KH-UBND\n\nTân Uyên, ngày 3 tháng 3 năm 2026", line)
    plan = import_text(text).plan
    assert (plan.number, plan.place, plan.date) == (number, place, date)
    assert plan.title == "Kế hoạch thực hiện bình đẳng giới giai đoạn 2026-2030"
    assert (plan.period_start, plan.period_end) == (2026, 2030)


def test_issuer_completed_with_place_and_from_letterhead():
    text = _doc(GOALS).replace("Ủy ban nhân dân xã Tân Uyên ban hành",
                               "Thực hiện Kế hoạch số 1/KH-UBND; Văn phòng UBND tỉnh xây dựng")
    assert import_text(text).plan.issuer == "Văn phòng UBND tỉnh Tân Uyên"
    text = "ỦY BAN NHÂN DÂN\nXÃ BÌNH LƯ\n\n" + _doc(GOALS).replace(
        "Ủy ban nhân dân xã Tân Uyên ban hành Kế hoạch như sau:", "Căn cứ Luật Bình đẳng giới.")
    assert import_text(text).plan.issuer == "Ủy ban nhân dân xã Bình Lư"


# -- robustness: the deliberately varied fixtures ------------------------------------------
def test_broken_numbering_nfd_fixture():
    raw = (IMPORT / "broken-numbering-nfd.txt").read_text(encoding="utf-8")
    assert not unicodedata.is_normalized("NFC", raw)  # the fixture really is NFD
    result = import_plan(IMPORT / "broken-numbering-nfd.txt")
    plan = result.plan
    assert [g.number for g in plan.goals] == [1, 2, 3, 4]          # "Mục tiêu 2" twice
    assert [i.code for i in plan.indicators] == ["1.1", "2.1", "2.2", "3.1", "4.1"]  # "Chỉ tiêu 1" twice
    assert plan.indicator("2.2").targets[0].op == ">="              # “ít nhất” in quotes
    assert plan.indicator("4.1").text.startswith("Giảm tỷ lệ")        # markdown removed
    assert all(unicodedata.is_normalized("NFC", json.dumps(plan.to_json(), ensure_ascii=False))
               for _ in [0])
    units = {u.name: u for u in plan.units}
    assert units["Phòng Văn hoá - Xã hội"].indicators == ["1.1", "2.1", "2.2"]
    assert units["Phòng Văn hoá - Xã hội"].tasks == [
        "Tham mưu UBND xã tổ chức “Tháng hành động vì bình đẳng giới” hằng năm; báo cáo kết "
        "quả thực hiện gửi về UBND xã trước ngày 25/11 hàng năm"]   # wrapped line joined
    assert units["Trạm Y tế xã"].indicators == ["3.1"]
    assert units["Ban Chỉ huy Quân sự xã"].indicators == ["4.1"]
    assert units["Đồn Biên phòng Thuỷ Hà"].tasks == ["Phối hợp quản lý địa bàn biên giới"]
    assert plan.unit("Phòng Văn hóa – Xã hội") is units["Phòng Văn hoá - Xã hội"]  # hoá/hóa, dash
    assert [(r.kind, r.due, r.to) for r in plan.reports] == [("annual", "11-25", "UBND xã")]
    codes = [f.code for f in result.unparsed]
    assert codes.count("goal_renumbered") == 1 and codes.count("indicator_renumbered") == 1
    assert "general_task" in codes


def test_unnumbered_goals_fixture():
    result = import_plan(IMPORT / "unnumbered-goals.txt")
    plan = result.plan
    assert [g.title for g in plan.goals] == ["Trong lĩnh vực chính trị", "Trong lĩnh vực y tế",
                                             "Trong lĩnh vực giáo dục"]
    # the headings state no goal number: the strategy's goals their fields are (1, 4, 5),
    # and "mục tiêu 2" in an assignment is still the plan's second heading
    assert [g.number for g in plan.goals] == [1, 4, 5]
    t = plan.target("4.1")
    assert (t.op, t.value, t.max, t.unit) == ("between", 102, 105, "bé trai/100 bé gái")
    assert [t.code for t in plan.targets()] == ["1.1", "4.1", "4.2", "5.1a", "5.1b"]
    assert [u.name for u in plan.units] == ["Công an phường", "Trạm Y tế phường",
                                            "Trường THCS Mường Than", "Phòng Văn hóa – Xã hội"]
    assert plan.unit("Trạm Y tế phường").indicators == ["4.1", "4.2"]
    assert plan.unit("Phòng Văn hóa – Xã hội").indicators == ["1.1"]
    assert [(r.kind, r.due, r.to) for r in plan.reports] == [("annual", "12-15", "UBND phường")]
    # the assignment of a missing indicator (5.2: "chỉ tiêu 2 của mục tiêu 3") is listed
    [missing] = [f for f in result.unparsed if f.code == "unknown_indicator"]
    assert missing.target == "5.2" and missing.row == 41 and "5.2" in missing.message


def test_tasks_only_fixture():
    result = import_plan(IMPORT / "tasks-only.txt")
    plan = result.plan
    assert plan.goals == [] and plan.indicators == []
    assert plan.issuer == "Ủy ban nhân dân xã Nậm Tăm"
    assert [(u.name, u.tasks) for u in plan.units] == [
        ("Văn hoá – Xã hội xã", ["Tham mưu tổ chức các hoạt động tuyên truyền",
                                 "Tổng hợp, báo cáo kết quả về UBND xã trước ngày 20/12 hàng năm"]),
        ("Trạm Y tế xã", ["Tư vấn sức khỏe sinh sản cho phụ nữ trong độ tuổi sinh đẻ"]),
        ("Hội Liên hiệp Phụ nữ xã", ["Phối hợp tổ chức tọa đàm về phòng, chống bạo lực gia đình"]),
    ]
    assert [(r.kind, r.due) for r in plan.reports] == [("annual", "12-20")]
    # the unknown section's sentences are listed for review
    unknown = [f for f in result.unparsed if f.code == "unknown_section"]
    assert [f.row for f in unknown] == [19, 21]


@pytest.mark.parametrize("variant", ["nfd", "old_tones", "dashes", "quotes", "markdown", "crlf"])
def test_text_variants_give_the_same_plan(variant):
    base = _doc(GOALS, "1. Phòng Văn hóa – Xã hội\n\n- Tổ chức “Tháng hành động” hằng năm.\n\n"
                       "- Chịu trách nhiệm báo cáo Mục tiêu 1; chỉ tiêu 1, 2 của mục tiêu 2.\n\n"
                       "2. Trạm Y tế xã\n\n- Chịu trách nhiệm báo cáo chỉ tiêu 3 của mục tiêu 2.")
    text = {
        "nfd": unicodedata.normalize("NFD", base),
        "old_tones": base.replace("hóa", "hoá"),
        "dashes": base.replace("–", "-"),
        "quotes": base.replace("“", '"').replace("”", '"'),
        "markdown": base.replace("Mục tiêu 2: Trong", "**Mục tiêu 2:** Trong").replace(
            "Chỉ tiêu 2:", "*Chỉ tiêu 2:*").replace("2. Trạm Y tế xã", "**2. Trạm Y tế xã**"),
        "crlf": base.replace("\n", "\r\n"),
    }[variant]
    plan = import_text(text).plan
    assert [i.code for i in plan.indicators] == ["1.1", "2.1", "2.2", "2.3"]
    assert [len(u.indicators) for u in plan.units] == [3, 1]
    assert plan.unit("Phòng Văn hóa – Xã hội") is not None
    assert plan.units[0].tasks[0].startswith("Tổ chức ")


def test_page_break_wrap_is_one_sentence():
    lines = prepare(lines_from_text("Đề xuất các giải pháp để đạt được mục\n\ntiêu đề ra.\n\n"
                                    "- Chỉ tiêu 1\n\n- Chỉ tiêu 2"))
    assert [line.text for line in lines] == ["Đề xuất các giải pháp để đạt được mục tiêu đề ra.",
                                             "Chỉ tiêu 1", "Chỉ tiêu 2"]


def test_unparsed_sentences_are_listed_with_line_numbers():
    org = "Các đơn vị nghiêm túc thực hiện.\n\n1. Trạm Y tế xã\n\n- Báo cáo chỉ tiêu 9 của mục tiêu 2."
    result = import_text(_doc(GOALS, org), source="x.txt")
    by_code = {f.code: f for f in result.unparsed}
    assert by_code["general_task"].row is not None
    assert by_code["unknown_indicator"].target == "2.9"
    assert "tệp x.txt" in str(by_code["unknown_indicator"])
    lines = plan_import_summary(result)
    assert any("2.9" in line for line in lines)


def test_missing_and_unsupported_files(tmp_path):
    with pytest.raises(PlanError, match="Không tìm thấy"):
        import_plan(tmp_path / "none.docx")
    old = tmp_path / "ke-hoach.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(PlanError, match=".docx"):
        import_plan(old)
    bad = tmp_path / "hong.docx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(PlanError):
        import_plan(bad)


def test_reference_json_round_trips_through_the_model():
    from bdg_excel.plan.model import Plan

    for _, ref in PLANS:
        data = _reference(ref)
        assert Plan.from_json(copy.deepcopy(data)).to_json() == data


def test_all_caps_title_on_two_lines():
    text = _doc(GOALS).replace("Thực hiện bình đẳng giới giai đoạn 2026-2030",
                               "THỰC HIỆN BÌNH ĐẲNG GIỚI\nGIAI ĐOẠN 2026-2030")
    plan = import_text(text).plan
    assert plan.title == "Kế hoạch thực hiện bình đẳng giới giai đoạn 2026-2030"
    assert (plan.period_start, plan.period_end) == (2026, 2030)
