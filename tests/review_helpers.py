"""A small plan of a ward's school committee, written for the review and correction tests
(not one of the bundled examples): the document's paragraphs, the plan read from them,
and review items pointing at their sentences, some unsure."""

from __future__ import annotations

from pathlib import Path

from bdg_excel.plan.model import Goal, Indicator, Plan, Report, ReviewItem, Target, Unit, Upward
from bdg_excel.plan.planbook import save_plan

PARAGRAPHS = [
    "ỦY BAN NHÂN DÂN PHƯỜNG HÒA KHÁNH",
    "KẾ HOẠCH Thực hiện công tác bình đẳng giới năm 2027",
    "I. MỤC TIÊU",
    "1. Lĩnh vực chính trị (Mục tiêu 1)",
    "Phấn đấu đến năm 2027 đạt 35% nữ tham gia cấp ủy phường.",
    "2. Lĩnh vực kinh tế, lao động (Mục tiêu 2)",
    "Tỷ lệ lao động nữ được đào tạo nghề đạt từ 40% đến 50% vào năm 2027.",
    "Số vụ bạo lực gia đình giảm còn dưới 3 vụ.",
    "3. Lĩnh vực văn hóa, thông tin (Mục tiêu 6)",
    "Duy trì chuyên mục bình đẳng giới trên Đài truyền thanh phường.",
    "II. TỔ CHỨC THỰC HIỆN",
    "Trường Tiểu học Hòa Khánh: báo cáo chỉ tiêu 1, 2 lĩnh vực kinh tế, lao động; "
    "tổ chức ngoại khóa về giới cho học sinh.",
    "Công an phường: thu thập số liệu về số vụ bạo lực gia đình.",
    "Các đơn vị báo cáo kết quả thực hiện 6 tháng (trước ngày 10/6/2027) và năm "
    "(trước ngày 25/11/2027) về UBND phường.",
]


def make_plan() -> Plan:
    p = Plan(title="Kế hoạch thực hiện công tác bình đẳng giới năm 2027", number="88/KH-UBND",
             issuer="Ủy ban nhân dân phường Hòa Khánh", place="Hòa Khánh", date="2027-01-15",
             period_start=2027, period_end=2027, name="hoa-khanh")
    p.goals = [Goal(1, "Lĩnh vực chính trị"), Goal(2, "Lĩnh vực kinh tế, lao động"),
               Goal(6, "Lĩnh vực văn hóa, thông tin")]
    p.indicators = [
        Indicator("1.1", 1, 1, "Tỷ lệ nữ tham gia cấp ủy phường",
                  [Target("1.1", ">=", 35, unit="%", year=2027, measure="percent", factor=100,
                          text="35% nữ tham gia cấp ủy phường", national="QG-1.1")]),
        Indicator("2.1", 2, 1, "Tỷ lệ lao động nữ được đào tạo nghề",
                  [Target("2.1", "between", 40, 50, "%", 2027, "từ 40% đến 50%", "percent", 100)]),
        Indicator("2.2", 2, 2, "Số vụ bạo lực gia đình",
                  [Target("2.2", "<", 3, unit="vụ", year=2027, text="dưới 3 vụ", national="QG-3.2a")]),
        Indicator("6.1", 6, 1, "Chuyên mục bình đẳng giới trên Đài truyền thanh",
                  [Target("6.1", "qualitative", year=2027, text="Duy trì chuyên mục",
                          measure="yesno")]),
    ]
    p.units = [
        Unit("Trường Tiểu học Hòa Khánh", ["2.1"], ["Tổ chức ngoại khóa về giới cho học sinh."],
             "th-hoakhanh@danang.edu.vn"),
        Unit("Công an phường", ["2.2"], ["Thu thập số liệu về số vụ bạo lực gia đình."],
             "ca-hoakhanh@danang.gov.vn"),
        Unit("Đài truyền thanh phường", ["6.1", "1.1"], [], "dtt@danang.gov.vn"),
    ]
    p.reports = [Report("semiannual", "06-10", "UBND phường"),
                 Report("annual", "06-10", "UBND phường")]      # the importer's mistake
    p.upward = Upward("Ủy ban nhân dân quận Liên Chiểu", None)
    p.review = [
        ReviewItem("target", "1.1", "≥ 35 %", "đoạn 5", PARAGRAPHS[4], 0.95),
        ReviewItem("target", "2.2", "< 3 vụ", "đoạn 8", "số vụ bạo lực gia đình giảm còn "
                   "dưới 3 vụ.", 0.55, "Không rõ năm đạt."),
        ReviewItem("assignment", "Trường Tiểu học Hòa Khánh", "2.1", "đoạn 12",
                   "Trường Tiểu học Hòa Khánh: báo cáo chỉ tiêu 1, 2 lĩnh vực kinh tế, lao động",
                   0.4, "Chỉ tiêu 2 của lĩnh vực kinh tế chưa được giao."),
        ReviewItem("deadline", "annual", "hạn 10/06 hằng năm", "đoạn 14", PARAGRAPHS[13], 0.3,
                   "Hai hạn trong cùng một câu."),
        ReviewItem("national", "2.2", "(không có)", "đoạn 8", PARAGRAPHS[7], 0.5),
        ReviewItem("upward", "Báo cáo lên", "Ủy ban nhân dân quận Liên Chiểu", "đoạn 99",
                   "Câu không có trong văn bản.", 0.7),
    ]
    return p


def save_with_review(plan: Plan, path: Path) -> Path:
    """The plan workbook, with its sheet "Rà soát" (save_plan writes it for plan.review)."""
    save_plan(plan, path)
    return path
