"""The draft of the office's narrative report (`report --draft`): the administrative layout,
every figure as the consolidated workbook shows it, late and missing units by name, the
gap to the national 2030 target where the row carries a national code, the CLI."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace

import pytest

from bdg_excel.plan import catalog as cat
from bdg_excel.report.draft import draft_name, gap_2030, write_draft

from cycle_helpers import run_cli, simulated_cycle
from draft_helpers import as_workbook_shows, check_draft, read_docx, result_rows, section


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    return simulated_cycle(tmp_path_factory.mktemp("draft"))


def test_every_figure_is_the_workbooks(cycle, tmp_path):
    ws, plan, res = cycle
    c = res.consolidation
    out = write_draft(c, tmp_path / "d.docx", config=ws.config(), annex=res.path.name)
    checked = check_draft(out, res.path, c)
    assert checked["figures"] == sum(len(i.targets) for i in plan.indicators) >= 20
    assert checked["units"] == 2                 # one late, one missing
    assert checked["tasks"] == len(c.tasks)
    paras, tables = read_docx(out)
    situation = section(paras, "I.", "II.")
    k = c.completeness
    assert f"{k.received}/{k.expected} đơn vị ({k.on_time} đúng hạn, {k.late} trễ hạn)" \
        in situation
    late = next(s for s in c.submissions if s.timing == "late")
    assert f"{late.unit.name} (trễ {late.days_late} ngày)" in situation
    # section V: places for the officer, marked
    proposals = section(paras, "V.", None)
    assert "[Cán bộ ghi đề xuất" in proposals
    # a figure with decimals, as the workbook's number format shows it
    rows = result_rows(tables)
    by = {r.target.code: r for r in c.results}
    decimals = [code for code, r in by.items() if r.value is not None and
                not float(r.value).is_integer()]
    assert decimals
    for code in decimals:
        assert rows[code]["Kết quả"] == as_workbook_shows(by[code].value)
        assert "," in rows[code]["Kết quả"]            # a decimal comma


def test_administrative_layout(cycle, tmp_path):
    """National motto, the office's name, number and date places, title, Kính gửi, Nơi
    nhận, signature; Times New Roman 13–14 on A4 portrait."""
    import docx
    from docx.shared import Mm, Pt

    ws, plan, res = cycle
    out = write_draft(res.consolidation, tmp_path / "d.docx", config=ws.config())
    d = docx.Document(str(out))
    head = [c.text for c in d.tables[0].rows[0].cells]
    assert head[0].startswith("ỦY BAN NHÂN DÂN\nXÃ BÌNH LƯ") and "Số: ……/BC-UBND" in head[0]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in head[1]
    assert "Độc lập - Tự do - Hạnh phúc" in head[1]
    # the year the draft is written (the consolidation's day), not the period's
    year = res.consolidation.generated_at.year
    assert f"Bình Lư, ngày …… tháng …… năm {year}" in head[1]
    paras = [p.text for p in d.paragraphs]
    assert "BÁO CÁO" in paras and any(p.startswith("Kính gửi: Sở Nội vụ") for p in paras)
    for heading in ("I. ", "II. ", "III. ", "IV. ", "V. "):
        assert any(p.startswith(heading) for p in paras), heading
    closing = [c.text for c in d.tables[-1].rows[0].cells]
    assert closing[0].startswith("Nơi nhận:") and "Lưu: VT." in closing[0]
    assert "THỦ TRƯỞNG ĐƠN VỊ" in closing[1]
    sec = d.sections[0]
    assert abs(sec.page_width - Mm(210)) < Mm(1) and abs(sec.page_height - Mm(297)) < Mm(1)
    normal = d.styles["Normal"].font
    assert normal.name == "Times New Roman" and normal.size == Pt(14)
    sizes = {r.font.size.pt for p in d.paragraphs for r in p.runs if r.font.size}
    assert sizes <= {13, 14}
    # the places for the officer stand out
    marked = [r.text for p in d.paragraphs for r in p.runs if r.font.highlight_color]
    assert any("đề xuất" in t for t in marked)


@pytest.mark.libreoffice
def test_libreoffice_opens_and_prints_it(cycle, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice not installed")
    ws, plan, res = cycle
    out = write_draft(res.consolidation, tmp_path / "d.docx", config=ws.config())
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
                   check=True, capture_output=True, timeout=180)
    pdf = tmp_path / "d.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "595 x 842" in info.replace(".28", "").replace(".89", "") or "A4" in info
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Nơi nhận" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "Times" in fonts or "LiberationSerif" in fonts


def test_gap_to_the_national_2030_target(cycle, tmp_path, monkeypatch):
    """A row with a national code the catalog knows: the plan's words with the national
    code, the gap measured to the national 2030 target; other rows keep the plan's."""
    ws, plan, res = cycle
    c = res.consolidation
    target = next(r for r in c.results if r.target.op in (">=", ">") and r.value is not None
                  and r.target.unit == "%")
    other = next(r for r in c.results if r is not target and r.value is not None
                 and r.target.op in (">=", ">", "<=", "<"))
    national = cat.NationalTarget(
        code="QG-9.9", indicator="QG-9.9", goal=target.target.goal,
        text="Chỉ tiêu quốc gia thử nghiệm", unit="%", measure="percent", factor=100,
        direction="increase", target_2025=None,
        target_2030={"op": ">=", "value": target.value + 12.5, "max": None})
    monkeypatch.setattr(cat, "load", lambda: cat.Catalog("test", "1", (national,)))
    target.target = replace(target.target, national="QG-9.9")
    other.target = replace(other.target, national="QG-0.0")      # not in the catalog
    year = int(c.period[:4])
    assert gap_2030(target, year, cat.load()).startswith("Cần tăng thêm 12,5 %")
    out = write_draft(c, tmp_path / "d.docx", config=ws.config())
    rows = result_rows(read_docx(out)[1])
    row = rows[target.target.code]
    assert row["Khoảng cách đến mục tiêu năm 2030"].startswith("Cần tăng thêm 12,5 %")
    assert row["Chỉ tiêu"].endswith(" (QG-9.9)")         # the plan's words, the national code
    assert not row["Chỉ tiêu"].startswith("Chỉ tiêu quốc gia thử nghiệm")
    assert "(mục tiêu quốc gia: ≥ " in row["Khoảng cách đến mục tiêu năm 2030"]
    assert "QG-0.0" in rows[other.target.code]["Chỉ tiêu"]
    assert "12,5" not in rows[other.target.code]["Khoảng cách đến mục tiêu năm 2030"]


def test_cli_writes_the_draft_and_never_overwrites_one(cycle, capsys, tmp_path):
    ws, plan, res = cycle
    code, out, _ = run_cli(capsys, "report", "-w", str(ws.root), "--draft")
    first = ws.outbox / draft_name(res.consolidation)
    assert code == 0 and str(first) in out and first.exists()
    code, out, _ = run_cli(capsys, "report", "-w", str(ws.root), "--draft")
    second = first.with_stem(first.stem + "-2")
    assert code == 0 and second.exists() and str(second) in out
    mine = tmp_path / "bao-cao.docx"
    code, *_ = run_cli(capsys, "report", "-w", str(ws.root), "--draft", "-o", str(mine))
    assert code == 0 and mine.exists()
    code, _, err = run_cli(capsys, "report", "-w", str(ws.root), "--draft", "-o", str(mine))
    assert code == 2 and "không ghi đè" in err
    code, _, err = run_cli(capsys, "report", "-w", str(ws.root))
    assert code == 2 and "--draft" in err
    code, _, err = run_cli(capsys, "report", "-w", str(ws.root), "--draft", "-o",
                           str(tmp_path / "x.pdf"))
    assert code == 2 and ".docx" in err
