"""Issue 13: the importer reads plans it was not built on.

- the corpus (tests/data/import/corpus: hand-written plans of a xã, phường, huyện, Sở,
  school, hospital and a Ban Vì sự tiến bộ của phụ nữ, as text and as Word documents with
  real numbering and tables) scores at least 0.95 on every part, as do the three real
  plans, as text and as Word documents;
- the scorer itself punishes wrong answers;
- deadline and upward phrasings, one by one;
- the plan workbook holds quarterly reports and the report upward (also after LibreOffice
  saved it);
- `plan import -o EXISTING.xlsx` refuses without --force and, with it, keeps a dated
  backup and the officer's additions.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from bdg_excel.plan.importer import import_plan, import_text, plan_import_summary
from bdg_excel.plan.model import Plan, Report, Upward
from bdg_excel.plan import planbook as pb

from docx_writer import write_docx
from cycle_helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "import" / "corpus"


def _scorer():
    spec = importlib.util.spec_from_file_location("score_import", ROOT / "tools" / "score_import.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


score_import = _scorer()
DOCS = list(score_import.documents(docx_too=True))


# -- the corpus --------------------------------------------------------------------------
def test_corpus_is_varied():
    stems = {p.name.split(".")[0] for p in CORPUS.glob("*.expected.json")}
    assert len(stems) >= 10
    assert len(list(CORPUS.glob("*.txt"))) >= 4 and len(list(CORPUS.glob("*.docx.md"))) >= 4
    text = " ".join(p.read_text(encoding="utf-8") for p in CORPUS.glob("*.[tm][xd]*"))
    for family in ("XÃ ", "PHƯỜNG ", "HUYỆN ", "SỞ ", "TRƯỜNG ", "BỆNH VIỆN", "/KH-BVSTBPN",
                   "Kèm theo Quyết định", "Số:      /KH", "ngày    tháng", "hằng quý",
                   "chậm nhất ngày", "Trên đây là Kế hoạch", "để tổng hợp, báo cáo",
                   "| STT |", "- Chỉ tiêu 1.", "a) "):
        assert family in text, family
    for exp in CORPUS.glob("*.expected.json"):  # every expectation is complete
        data = json.loads(exp.read_text(encoding="utf-8"))
        assert set(data) == {"number", "date", "goals", "targets", "national", "units",
                             "reports", "upward"}
        assert data["targets"] and data["units"] and data["goals"]
        assert set(data["national"]) == set(data["targets"])


@pytest.mark.parametrize("name,path,source,expected", DOCS, ids=[d[0] for d in DOCS])
def test_every_document_scores_at_least_095(tmp_path, name, path, source, expected):
    if path is None:
        path = tmp_path / name
        write_docx(source, path)
    got = score_import.score(import_plan(path).plan.to_json(), expected)
    assert {k: v for k, v in got.items() if v < 0.95} == {}


def test_scorer_punishes_wrong_answers():
    name, path, _, expected = next(d for d in DOCS if d[0] == "so-y-te-2026.docx")
    perfect = _as_plan_json(expected)
    assert set(score_import.score(perfect, expected).values()) == {1.0}
    worse = copy.deepcopy(perfect)
    worse["indicators"][0]["targets"][0]["op"] = ">="          # one wrong comparator
    worse["units"][0]["indicators"].pop()                       # one lost assignment
    worse["units"].pop()                                        # one lost unit
    worse["reports"].append({"kind": "annual", "due": "12-31", "to": None})  # invented
    worse["upward"] = None
    worse["number"] = "1/KH"
    worse["indicators"][0]["targets"][0]["national"] = "QG-5.3"  # one wrong national link
    s = score_import.score(worse, expected)
    assert s["targets"] < 1 and s["units"] < 1 and s["assign"] < 1 and s["national"] < 1
    assert s["deadlines"] < 1 and s["details"] <= 0.4
    # a plan that states no deadline must not get one invented
    none = dict(expected, reports=[], upward=None)
    assert score_import.score(perfect, none)["deadlines"] == 0.0


def _as_plan_json(expected: dict) -> dict:
    """A plan JSON that says exactly what an expectation says."""
    inds: dict[str, dict] = {}
    for code, (op, value, max_, unit) in expected["targets"].items():
        ind = code.rstrip("abcdefgh")
        inds.setdefault(ind, {"code": ind, "targets": []})["targets"].append(
            {"code": code, "national": expected["national"][code], "op": op, "value": value,
             "max": max_, "unit": unit})
    return {"number": expected["number"], "date": expected["date"],
            "goals": [{"number": int(n), "title": t} for n, t in expected["goals"].items()],
            "indicators": list(inds.values()),
            "units": [{"name": n, "indicators": list(c)} for n, c in expected["units"].items()],
            "reports": [{"kind": k, "due": d, "to": None} for k, d in expected["reports"]],
            "upward": expected["upward"]}


def test_scorer_command_line(capsys):
    assert score_import.main(["so-y-te", "binh-lu", "--min", "0.95"]) == 0
    out = capsys.readouterr().out
    assert "so-y-te-2026.docx" in out and "ke-hoach-binh-lu-2026-2030.docx" in out
    assert out.splitlines()[0].split()[1:] == list(score_import.PARTS)


# -- deadline and upward phrasings -------------------------------------------------------
HEAD = ("Số: 7/KH-UBND\n\nNậm Hàng, ngày 2 tháng 2 năm 2026\n\nKẾ HOẠCH\nThực hiện bình đẳng "
        "giới năm 2026\n\nỦy ban nhân dân xã Nậm Hàng ban hành Kế hoạch như sau:\n\n"
        "I. MỤC TIÊU\n\nMục tiêu 1: Trong lĩnh vực chính trị\n\nChỉ tiêu: Đạt 30% nữ.\n\n"
        "II. TỔ CHỨC THỰC HIỆN\n\n1. Trạm Y tế xã\n\n- Chịu trách nhiệm báo cáo chỉ tiêu của "
        "Mục tiêu 1.\n\n")


@pytest.mark.parametrize("where,sentence,reports,upward", [
    ("org", "2. Chế độ báo cáo: Các đơn vị gửi báo cáo (chậm nhất ngày 25/11 hằng năm) về UBND "
     "xã để tổng hợp, báo cáo UBND tỉnh.", [("annual", "11-25")], ("UBND tỉnh", None)),
    ("org", "2. Chế độ báo cáo\n\nCác đơn vị báo cáo định kỳ 6 tháng và hằng năm (trước ngày "
     "10/6 và 05/12) về UBND xã.", [("semiannual", "06-10"), ("annual", "12-05")], None),
    ("org", "2. Chế độ báo cáo\n\nCác đơn vị gửi báo cáo về UBND xã trước ngày 05 tháng 12 "
     "hằng năm.", [("annual", "12-05")], None),
    ("org", "2. Chế độ báo cáo\n\nBáo cáo hằng quý gửi về UBND xã trước ngày 20/3, 20/6, 20/9 "
     "và 20/12.", [("quarterly", "03-20")], None),
    ("org", "2. Chế độ báo cáo\n\nCác đơn vị báo cáo hằng quý (chậm nhất ngày 18 của tháng "
     "cuối quý) về UBND xã.", [("quarterly", "03-18")], None),
    ("org", "2. Văn phòng HĐND và UBND xã\n\n- Tổng hợp, báo cáo Sở Nội vụ trước ngày 20/12 "
     "hằng năm.", [], ("Sở Nội vụ", "12-20")),
    ("org", "2. Văn phòng HĐND và UBND xã\n\n- Hướng dẫn, tổng hợp việc thực hiện, định kỳ "
     "báo cáo Ủy ban nhân dân xã, Sở Nội vụ theo quy định.", [], ("Sở Nội vụ", None)),
    ("org", "2. Văn phòng HĐND và UBND xã\n\n- Tổng hợp, báo cáo kết quả về UBND xã trước "
     "ngày 15/12 hằng năm.", [("annual", "12-15")], None),   # to the plan's own office
    ("closing", "Các đơn vị gửi báo cáo kết quả (trước ngày 30/11/2026) về UBND xã để tổng "
     "hợp, báo cáo UBND tỉnh (qua Sở Nội vụ)./.", [("once", "2026-11-30")],
     ("UBND tỉnh (qua Sở Nội vụ)", None)),
    ("section", "III. CHẾ ĐỘ BÁO CÁO\n\nCác đơn vị báo cáo kết quả về UBND xã chậm nhất vào "
     "ngày 10/12 hằng năm; Văn phòng tổng hợp, báo cáo UBND tỉnh trước ngày 20/12/2026.",
     [("annual", "12-10")], ("UBND tỉnh", "2026-12-20")),
])
def test_deadline_and_upward_phrasings(where, sentence, reports, upward):
    text = HEAD + (sentence + "\n\n" if where != "closing" else "")
    text += "Trên đây là Kế hoạch của UBND xã Nậm Hàng. " + (sentence if where == "closing" else "")
    plan = import_text(text).plan
    assert [(r.kind, r.due) for r in plan.reports] == reports
    assert ((plan.upward.to, plan.upward.due) if plan.upward else None) == upward
    if not reports:
        assert "no_deadline" in {f.code for f in import_text(text).unparsed}


def test_summary_names_upward_and_quarterly_deadlines():
    result = import_plan(CORPUS / "phuong-doan-ket-2026.txt")
    lines = plan_import_summary(result)
    assert "Hạn báo cáo hằng quý: 20/03, 20/06, 20/09, 20/12 hằng năm — gửi Ủy ban nhân dân " \
           "phường" in lines
    assert "Báo cáo tổng hợp gửi cấp trên: Ủy ban nhân dân tỉnh (qua Sở Nội vụ) — hạn 15/12 " \
           "hằng năm" in lines


def test_docx_findings_name_paragraph_and_first_words(tmp_path):
    path = tmp_path / "p.docx"
    write_docx((CORPUS / "xa-ta-leng-2026.docx.md").read_text(encoding="utf-8").replace(
        "III. TỔ CHỨC THỰC HIỆN", "III. TỔ CHỨC THỰC HIỆN\nCác ngành nghiêm túc thực hiện "
        "Kế hoạch này một cách hiệu quả và đúng tiến độ đề ra."), path)
    result = import_plan(path)
    [f] = [f for f in result.unparsed if f.code == "general_task"]
    assert f.row is None and f.file == "p.docx"
    assert f.message.startswith("Đoạn ") and "(“Các ngành nghiêm túc thực hiện Kế hoạch này một "
    n = int(f.message.split()[1])
    import docx
    texts = [p.text for p in docx.Document(str(path)).element.body.iter(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p")]
    # paragraph n of the document (tables' cells count as paragraphs too)
    assert any(t.startswith("Các ngành nghiêm túc") for t in texts)
    assert n > 10
    assert "dòng" not in str(f)


# -- the plan workbook -------------------------------------------------------------------
def _plan_with_upward() -> Plan:
    plan = Plan.from_json(json.loads((ROOT / "tests/data/plans/binh-lu.json").read_text(
        encoding="utf-8")), name="x")
    plan.reports = [Report("quarterly", "03-20", "UBND xã"), Report("annual", "12-10", "UBND xã")]
    plan.upward = Upward("Ủy ban nhân dân tỉnh (qua Sở Nội vụ)", "12-15")
    return plan


def test_workbook_holds_quarterly_reports_and_upward(tmp_path):
    plan = _plan_with_upward()
    pb.save_plan(plan, tmp_path / "x.xlsx")
    back = pb.load_plan(tmp_path / "x.xlsx")
    assert back.to_json() == plan.to_json()
    assert [f.code for f in pb.check_plan(back)] == [    # 3.1 and 6.3, as in Bình Lư
        "unassigned", "national_unit_mismatch"]
    ws = openpyxl.load_workbook(tmp_path / "x.xlsx")["Báo cáo"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2, max_row=4)]
    assert rows == [["Hằng quý", "20/03", "UBND xã"], ["Hằng năm", "10/12", "UBND xã"],
                    ["Tổng hợp gửi cấp trên", "15/12", "Ủy ban nhân dân tỉnh (qua Sở Nội vụ)"]]
    plan.upward = Upward("Sở Nội vụ", "2026-12-01")           # a one-off date
    pb.save_plan(plan, tmp_path / "y.xlsx")
    assert pb.load_plan(tmp_path / "y.xlsx").upward == plan.upward


def test_workbook_upward_edited_by_the_officer(tmp_path):
    plan = _plan_with_upward()
    plan.upward = None
    pb.save_plan(plan, tmp_path / "x.xlsx")
    assert pb.load_plan(tmp_path / "x.xlsx").upward is None
    wb = openpyxl.load_workbook(tmp_path / "x.xlsx")
    ws = wb["Báo cáo"]
    ws["A4"], ws["B4"], ws["C4"] = "tổng hợp gửi cấp trên", "31/13", None
    wb.save(tmp_path / "x.xlsx")
    back = pb.load_plan(tmp_path / "x.xlsx")
    assert back.upward == Upward(None, "13-31")     # kept as typed, and flagged
    found = {(f.code, f.sheet, f.row) for f in pb.check_plan(back)}
    assert {("missing_upward_to", "Báo cáo", 4), ("invalid_due", "Báo cáo", 4)} <= found


@pytest.mark.libreoffice
def test_workbook_with_upward_saved_by_libreoffice(tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice not installed")
    plan = _plan_with_upward()
    (tmp_path / "src").mkdir()
    pb.save_plan(plan, tmp_path / "src" / "x.xlsx")
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(tmp_path / "out"),
                    str(tmp_path / "src" / "x.xlsx")], check=True, capture_output=True,
                   timeout=180)
    back = pb.load_plan(tmp_path / "out" / "x.xlsx")
    assert back.to_json() == plan.to_json()


def test_imported_corpus_plan_round_trips_through_the_workbook(tmp_path):
    result = import_plan(CORPUS / "phuong-doan-ket-2026.txt")
    pb.save_plan(result.plan, tmp_path / "p.xlsx")
    back = pb.load_plan(tmp_path / "p.xlsx")
    assert back.to_json() == result.plan.to_json()
    assert back.upward.due == "12-15" and back.reports[0].kind == "quarterly"


# -- re-import protection ----------------------------------------------------------------
_run = run_cli      # (exit code, stdout, stderr) of bdg-excel ARGS, in process


def test_reimport_refuses_without_force(tmp_path, capsys):
    doc = CORPUS / "xa-muong-kim-2026.txt"
    out = tmp_path / "ke-hoach.xlsx"
    assert _run(capsys, "plan", "import", str(doc), "-o", str(out))[0] == 0
    before, files = out.read_bytes(), sorted(p.name for p in tmp_path.iterdir())
    assert files == ["ke-hoach.van-ban.txt", out.name]       # the text the page's review shows
    code, stdout, err = _run(capsys, "plan", "import", str(doc), "-o", str(out))
    assert code == 2 and "--force" in err and "đã có" in err
    assert out.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == files


def test_reimport_with_force_keeps_backup_and_officer_additions(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BDG_TODAY", "2026-04-20")
    doc = CORPUS / "xa-muong-kim-2026.txt"
    out = tmp_path / "ke-hoach.xlsx"
    assert _run(capsys, "plan", "import", str(doc), "-o", str(out))[0] == 0
    # the officer completes the workbook in Excel
    wb = openpyxl.load_workbook(out)
    units = wb["Đơn vị"]
    names = [units.cell(r, 1).value for r in range(2, units.max_row + 1)]
    tram = names.index("Trạm Y tế xã Mường Kim") + 2
    units.cell(tram, 1).value = "TRẠM Y TẾ XÃ MƯỜNG KIM"        # renamed, same canonical name
    units.cell(tram, 2).value = "tramyte@muongkim.gov.vn"
    units.cell(tram, 3).value = "Lò Thị Hoa 0912 345 678"
    units.append(["Hội Liên hiệp Phụ nữ xã", "hoilhpn@muongkim.gov.vn", None])
    assign = wb["Phân công"]
    assign.append(["Trạm Y tế xã Mường Kim", "3.1", None])   # an assignment made by hand
    assign.append(["Hội Liên hiệp Phụ nữ xã", "1.2", None])
    assign.append(["Trạm Y tế xã Mường Kim", "9.9", None])   # not in the plan
    wb.save(out)
    edited = pb.load_plan(out).to_json()

    # a revised document: one more indicator in goal 3, unit names as before
    revised = tmp_path / "ke-hoach-sua.txt"
    revised.write_text((doc).read_text(encoding="utf-8").replace(
        "- Chỉ tiêu 1. 100% trường học", "- Chỉ tiêu 2. 90% học sinh nữ được tư vấn.\n"
        "- Chỉ tiêu 1. 100% trường học"), encoding="utf-8")
    code, stdout, err = _run(capsys, "plan", "import", str(revised), "-o", str(out), "--force")
    assert code == 0, err
    backup = tmp_path / "ke-hoach.truoc-nhap-2026-04-20.xlsx"
    assert backup.exists() and pb.load_plan(backup).to_json() == edited
    assert f"Đã sao lưu tệp kế hoạch cũ: {backup}" in stdout
    assert "Giữ lại email/người liên hệ của: Trạm Y tế xã Mường Kim." in stdout
    assert "Trạm Y tế xã Mường Kim – 3.1" in stdout
    assert "Hội Liên hiệp Phụ nữ xã" in stdout and "9.9" in stdout
    new = pb.load_plan(out)
    tram_unit = new.unit("Trạm Y tế xã Mường Kim")
    assert tram_unit.email == "tramyte@muongkim.gov.vn"
    assert tram_unit.contact == "Lò Thị Hoa 0912 345 678"
    assert tram_unit.indicators == ["2.1", "2.2", "3.1"]
    assert "9.9" not in tram_unit.indicators and new.unit("Hội Liên hiệp Phụ nữ xã") is None
    assert [i.code for i in new.indicators][-2:] == ["3.1", "3.2"]  # the revision is in
    # a second forced import the same day keeps the first backup
    assert _run(capsys, "plan", "import", str(revised), "-o", str(out), "--force")[0] == 0
    assert (tmp_path / "ke-hoach.truoc-nhap-2026-04-20-2.xlsx").exists()
    assert pb.load_plan(backup).to_json() == edited


def test_reimport_over_an_unreadable_workbook_keeps_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BDG_TODAY", "2026-04-20")
    out = tmp_path / "ke-hoach.xlsx"
    out.write_bytes(b"not a workbook")
    code, stdout, _ = _run(capsys, "plan", "import", str(CORPUS / "xa-muong-kim-2026.txt"),
                           "-o", str(out), "--force")
    assert code == 0 and "Không đọc được tệp cũ" in stdout
    assert (tmp_path / "ke-hoach.truoc-nhap-2026-04-20.xlsx").read_bytes() == b"not a workbook"
    assert pb.load_plan(out).number == "58/KH-UBND"


@pytest.mark.parametrize("header,number,date_", [
    ("Số: 58 /KH-UBND", "58/KH-UBND", "2026-03-05"),
    ("Số 58/ KH-UBND", "58/KH-UBND", "2026-03-05"),
    ("Số:      /KH-UBND", None, "2026-03-05"),
    ("Số: 58/KH-UBND\n\nMường Kim, ngày    tháng    năm 2026", "58/KH-UBND", None),
    ("(Kèm theo Quyết định số 12/QĐ-UBND ngày 05 tháng 3 năm 2026 của UBND xã)", "12/QĐ-UBND",
     "2026-03-05"),
])
def test_header_variants(header, number, date_):
    text = (CORPUS / "xa-muong-kim-2026.txt").read_text(encoding="utf-8")
    if header.startswith("(Kèm"):
        text = text.replace("Số: 58/KH-UBND\n\nMường Kim, ngày 05 tháng 3 năm 2026\n\n", "")
        text = text.replace("năm 2026\n\nCăn cứ", f"năm 2026\n{header}\n\nCăn cứ")
    elif "ngày" in header:
        text = text.replace("Số: 58/KH-UBND\n\nMường Kim, ngày 05 tháng 3 năm 2026", header)
    else:
        text = text.replace("Số: 58/KH-UBND", header)
    plan = import_text(text).plan
    assert (plan.number, plan.date) == (number, date_)


def test_issuer_of_a_committee_and_a_hospital_from_the_closing_paragraph(tmp_path):
    plan = import_plan(CORPUS / "ban-vstbpn-so-tai-chinh-2026.txt").plan
    assert plan.issuer == "Ban Vì sự tiến bộ của phụ nữ Sở Tài chính"
    write_docx((CORPUS / "benh-vien-da-khoa-2026.docx.md").read_text(encoding="utf-8"),
               tmp_path / "bv.docx")
    result = import_plan(tmp_path / "bv.docx")
    assert result.plan.issuer == "Bệnh viện Đa khoa tỉnh"
    assert (result.plan.number, result.plan.date) == ("245/QĐ-BVĐK", "2026-03-02")
    assert "no_issuer" not in {f.code for f in result.unparsed}


def test_imported_quarterly_deadline_drives_the_cycle(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BDG_TODAY", "2026-05-10")
    ws = tmp_path / "syt"
    assert _run(capsys, "init", str(ws))[0] == 0
    doc = tmp_path / "syt.docx"
    write_docx((CORPUS / "so-y-te-2026.docx.md").read_text(encoding="utf-8"), doc)
    assert _run(capsys, "plan", "import", str(doc), "-o", str(ws / "templates" / "syt.xlsx"))[0] == 0
    code, out, err = _run(capsys, "generate", "-w", str(ws))
    assert code == 0, err
    assert "2026-Q2" in out
    code, out, err = _run(capsys, "status", "-w", str(ws))
    assert code == 0 and "25/06/2026" in out + err and "còn 46 ngày" in out


@pytest.mark.parametrize("heading,names", [
    ("Công an huyện và Ban Chỉ huy Quân sự huyện", ["Công an huyện", "Ban Chỉ huy Quân sự huyện"]),
    ("Trạm Y tế xã, Công an xã", ["Trạm Y tế xã", "Công an xã"]),
    ("Văn phòng HĐND và UBND xã", ["Văn phòng HĐND và UBND xã"]),
    ("Phòng Văn hóa và Thông tin", ["Phòng Văn hóa và Thông tin"]),
    ("Trung tâm Văn hóa, Thể thao và Truyền thông huyện",
     ["Trung tâm Văn hóa, Thể thao và Truyền thông huyện"]),
    ("Ủy ban Mặt trận Tổ quốc Việt Nam xã, các tổ chức chính trị- xã hội",
     ["Ủy ban Mặt trận Tổ quốc Việt Nam xã, các tổ chức chính trị- xã hội"]),
])
def test_two_units_in_one_heading(heading, names):
    plan = import_text(HEAD.replace("1. Trạm Y tế xã", f"1. {heading}")).plan
    assert [u.name for u in plan.units] == names
    assert all(u.indicators == ["1.1"] for u in plan.units)


def test_each_deadline_takes_the_kind_written_before_it():
    text = HEAD + ("2. Chế độ báo cáo\n\nĐịnh kỳ 6 tháng (trước ngày 15/6) và hằng năm (trước "
                   "ngày 15/12), các đơn vị báo cáo về UBND xã.\n\n")
    assert [(r.kind, r.due) for r in import_text(text).plan.reports] == [
        ("semiannual", "06-15"), ("annual", "12-15")]


@pytest.mark.parametrize("text,op,value", [
    ("Giảm 10% số vụ mua bán người so với năm 2022", ">=", 10),
    ("Giảm tỷ lệ hộ nghèo xuống dưới 5%", "<", 5),
    ("Giảm số vụ bạo lực gia đình còn 3 vụ", "<=", 3),
])
def test_a_reduction_by_is_not_a_reduction_to(text, op, value):
    from bdg_excel.plan.importer.targets import parse_targets

    [t] = parse_targets(text, 2026)
    assert (t.op, t.value) == (op, value)
