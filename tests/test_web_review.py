"""The plan page's review and corrections through Flask's test client: review items
unsure first beside the document's text, each correction saved into the plan workbook
and shown, refusals, and the page's security rules on the new action (CSRF, Origin,
Host, GET never writes, a busy workspace)."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

from bdg_excel.core.workspace import Workspace
from bdg_excel.plan import source_text
from bdg_excel.plan.planbook import load_plan
from bdg_excel.web import create_app

from review_helpers import PARAGRAPHS, make_plan, save_with_review
from test_web import HOST, page, post, readable

TODAY = "2027-03-01"


@pytest.fixture
def site(tmp_path, monkeypatch):
    """(ws, plan path, client) on the Hòa Khánh plan with its review and its text."""
    monkeypatch.setenv("BDG_TODAY", TODAY)
    ws = Workspace.open(tmp_path / "ws", create=True)
    path = save_with_review(make_plan(), ws.templates / "hoa-khanh.xlsx")
    source_text.save_text(path, PARAGRAPHS)
    app = create_app(ws.root)
    return ws, path, app.test_client()


def review_items(html: str) -> list[tuple[str, str, str]]:
    """(confidence, kind, ref) of each review item, in page order."""
    return re.findall(r'<li id="muc-[0-9a-f-]+" class="item \w+" data-kind="(\w+)" '
                      r'data-ref="([^"]*)">\s*<p class="head"><span class="conf"[^>]*>(\d+) %',
                      html)


def saved_message(client, resp) -> str:
    assert resp.status_code == 303, resp.get_data(as_text=True)
    _, html = page(client, resp.headers["Location"])
    m = re.search(r'<p class="saved ok" id="saved" role="status">(.*?)</p>', html, re.S)
    assert m, "no saved message"
    return readable(m.group(1)), html


def test_review_unsure_first_beside_the_text(site):
    ws, path, client = site
    r, html = page(client, "/ke-hoach")
    assert r.status_code == 200
    items = review_items(html)
    assert [int(c) for *_, c in items] == [2, 30, 40, 55, 70, 95]
    assert [i[:2] for i in items[:2]] == [("national", "2.2"), ("deadline", "annual")]
    text = readable(html)
    assert "6 mục đọc từ văn bản; 5 mục chưa chắc chắn (dưới 80 %) xếp trước" in text
    assert "Văn bản kế hoạch" in text
    # the deadline's sentence is marked in paragraph 14 and linked both ways
    para = re.search(r'<p id="doan-14">(.*?)</p>', html, re.S).group(1)
    mark = re.search(r'<mark id="cau-([0-9a-f-]+)" class="unsure"><a href="#muc-\1">(.*?)</a>',
                     para)
    assert mark and readable(mark.group(2)) == PARAGRAPHS[13]
    assert f'href="#cau-{mark.group(1)}"' in html
    # every paragraph of the document is there, numbered
    assert len(re.findall(r'<p id="doan-\d+">', html)) == len(PARAGRAPHS)
    # what the plan workbook holds now, and the importer's note
    assert "Trong tệp kế hoạch: Hằng năm, hạn 10/06 hằng năm" in text
    assert "Hai hạn trong cùng một câu." in text


def test_without_the_text_the_sentences_stand_in_document_order(site):
    ws, path, client = site
    source_text.text_path(path).unlink()
    _, html = page(client, "/ke-hoach")
    text = readable(html)
    assert "Các câu trong văn bản, theo thứ tự" in text and "hoa-khanh.van-ban.txt" in text
    sources = re.findall(r'<p id="doan-\d+"><span class="no">([^<]+)</span>', html)
    assert sources == ["đoạn 5", "đoạn 8", "đoạn 12", "đoạn 14", "đoạn 99", "chưa rõ chỗ"]


def test_a_plan_without_review_still_offers_corrections(site):
    ws, path, client = site
    wb = load_workbook(path)
    del wb["Rà soát"]
    wb["Chỉ tiêu"]["N4"] = "QG-3.2a"         # no link left unsure either
    wb.save(path)
    _, html = page(client, "/ke-hoach")
    assert 'id="review"' not in html
    assert html.count('data-edit="target"') == 4 and html.count('data-edit="assignment"') == 3


def test_correct_a_target_then_the_page_shows_it(site):
    ws, path, client = site
    r = post(client, "/ke-hoach/sua", {"loai": "target", "ma": "2.2", "so_sanh": "<",
                                       "gia_tri": "2", "toi_da": "", "don_vi_tinh": "vụ",
                                       "nam": "2027", "neo": "dong-2-2"})
    assert r.headers["Location"].endswith("#dong-2-2")
    message, html = saved_message(client, r)
    assert message == "Đã lưu vào tệp hoa-khanh.xlsx: trang Chỉ tiêu, ô H4: 3 → 2."
    row = re.search(r'<tr id="dong-2-2">.*?</tr>', html, re.S).group(0)
    assert '<td class="target">&lt; 2 vụ</td>' in row
    assert load_plan(path).target("2.2").value == 2
    # the review item is done: 100 %, after the unsure ones
    items = review_items(html)
    assert items[-1] == ("target", "2.2", "100")


def test_correct_an_assignment_and_tasks(site):
    ws, path, client = site
    r = post(client, "/ke-hoach/sua", {"loai": "assignment", "ma": "Trường Tiểu học Hòa Khánh",
                                       "chi_tieu": "2.1, 2.2",
                                       "nhiem_vu": "Ngoại khóa về giới.\r\nBáo cáo số liệu."})
    message, html = saved_message(client, r)
    assert "trang Phân công" in message and "trang Nhiệm vụ" in message
    unit = load_plan(path).unit("Trường Tiểu học Hòa Khánh")
    assert unit.indicators == ["2.1", "2.2"]
    assert unit.tasks == ["Ngoại khóa về giới.", "Báo cáo số liệu."]
    assert '<td class="indicators">2.1, 2.2</td>' in html


def test_correct_a_deadline_and_the_report_upward(site):
    ws, path, client = site
    r = post(client, "/ke-hoach/sua", {"loai": "deadline", "ma": "annual", "loai_moi": "annual",
                                       "han": "25/11", "gui_ve": "UBND phường"})
    message, html = saved_message(client, r)
    assert message == "Đã lưu vào tệp hoa-khanh.xlsx: trang Báo cáo, ô B3: 10/06 → 25/11."
    assert "hằng năm, hạn 25/11 hằng năm" in readable(html)
    r = post(client, "/ke-hoach/sua", {"loai": "deadline", "ma": "upward", "han": "5/12/2027",
                                       "gui_ve": "Ủy ban nhân dân quận Liên Chiểu"})
    message, html = saved_message(client, r)
    assert "(hạn 05/12/2027)" in readable(html)


def test_link_a_national_code_and_confirm_an_item(site):
    ws, path, client = site
    _, html = page(client, "/ke-hoach")
    assert '<option value="QG-3.1">QG-3.1 — ' in html
    r = post(client, "/ke-hoach/sua", {"loai": "national", "ma": "2.2", "ma_quoc_gia": "QG-3.1"})
    message, _ = saved_message(client, r)
    assert message.startswith("Đã lưu vào tệp hoa-khanh.xlsx: trang Chỉ tiêu, ô ")
    assert message.endswith("QG-3.2a? → QG-3.1.")     # an unsure link made sure
    assert load_plan(path).target("2.2").national == "QG-3.1"
    assert "national" not in {i.kind for i in load_plan(path).review}
    r = post(client, "/ke-hoach/sua", {"loai": "assignment", "ma": "Trường Tiểu học Hòa Khánh",
                                       "xac_nhan": "1"})
    message, html = saved_message(client, r)
    assert message == "Đã lưu vào tệp hoa-khanh.xlsx: đã ghi nhận là đúng."
    assert ("assignment", "Trường Tiểu học Hòa Khánh", "100") in review_items(html)
    assert load_plan(path).unit("Trường Tiểu học Hòa Khánh").indicators == ["2.1"]


@pytest.mark.parametrize("data, words", [
    ({"loai": "target", "ma": "1.1", "so_sanh": ">=", "gia_tri": "ba lăm", "toi_da": "",
      "don_vi_tinh": "%", "nam": "2027"}, "trang “Chỉ tiêu”, ô H2: Giá trị “ba lăm” không phải là số"),
    ({"loai": "assignment", "ma": "Công an phường", "chi_tieu": "2.2, 8.1", "nhiem_vu": ""},
     "trang “Phân công”: không có chỉ tiêu mã “8.1”"),
    ({"loai": "deadline", "ma": "annual", "loai_moi": "annual", "han": "30/02", "gui_ve": ""},
     "trang “Báo cáo”, ô B3: ngày “30/02” không có thật"),
    ({"loai": "national", "ma": "1.1", "ma_quoc_gia": "QG-9.9"}, "không có trong danh mục"),
])
def test_a_refused_correction_says_where_and_writes_nothing(site, data, words):
    ws, path, client = site
    before = path.read_bytes()
    r = post(client, "/ke-hoach/sua", data)
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "Traceback" not in html
    assert "Chưa lưu" in html and words in readable(html)
    assert 'href="/ke-hoach"' in html
    assert path.read_bytes() == before


def test_the_correction_needs_the_token_and_this_server(site):
    ws, path, client = site
    before = path.read_bytes()
    data = {"loai": "target", "ma": "1.1", "so_sanh": ">=", "gia_tri": "99", "toi_da": "",
            "don_vi_tinh": "%", "nam": "2027"}
    assert client.post("/ke-hoach/sua", data=data, headers=HOST).status_code == 403
    assert post(client, "/ke-hoach/sua", {**data, "csrf": "cũ"}).status_code == 403
    r = post(client, "/ke-hoach/sua", data, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    r = client.post("/ke-hoach/sua", data=data, headers={"Host": "evil.example"})
    assert r.status_code == 400
    assert client.get("/ke-hoach/sua?" + "&".join(f"{k}={v}" for k, v in data.items()),
                      headers=HOST).status_code == 405
    assert post(client, "/ke-hoach/sua", {"loai": "xoa-tat-ca", "ma": "1.1"}).status_code == 400
    assert path.read_bytes() == before


def test_a_busy_workspace_is_not_written(site):
    ws, path, client = site
    before = path.read_bytes()
    with ws.lock():      # as a CLI run (or the page's own generate) holds it
        r = post(client, "/ke-hoach/sua", {"loai": "target", "ma": "1.1", "so_sanh": ">=",
                                           "gia_tri": "40", "toi_da": "", "don_vi_tinh": "%",
                                           "nam": "2027"})
    assert r.status_code == 409
    assert "đang được một lệnh bdg-excel khác sử dụng" in r.get_data(as_text=True)
    assert path.read_bytes() == before


def test_the_anchor_cannot_carry_anything_else(site):
    ws, path, client = site
    r = post(client, "/ke-hoach/sua", {"loai": "deadline", "ma": "annual", "loai_moi": "annual",
                                       "han": "20/11", "gui_ve": "UBND phường",
                                       "neo": 'x"><script>alert(1)</script>'})
    assert r.status_code == 303 and "#" not in r.headers["Location"]
    assert "/ke-hoach?" in r.headers["Location"]


def test_what_the_document_says_is_shown_as_text_never_as_markup(tmp_path, monkeypatch):
    monkeypatch.setenv("BDG_TODAY", TODAY)
    ws = Workspace.open(tmp_path / "ws", create=True)
    plan = make_plan()
    plan.review[0].sentence = 'Báo cáo <img src=x onerror="alert(1)"> trước ngày 30/11.'
    plan.review[0].note = "<b>đậm</b>"
    path = save_with_review(plan, ws.templates / "p.xlsx")
    source_text.save_text(path, PARAGRAPHS + [plan.review[0].sentence])
    client = create_app(ws.root).test_client()
    _, html = page(client, "/ke-hoach")
    assert "<img" not in html and "<b>đậm" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html


def test_a_field_the_form_does_not_send_is_kept(site):
    ws, path, client = site
    r = post(client, "/ke-hoach/sua", {"loai": "assignment", "ma": "Công an phường",
                                       "chi_tieu": "2.2, 1.1"})
    saved_message(client, r)
    unit = load_plan(path).unit("Công an phường")
    assert unit.indicators == ["2.2", "1.1"]
    assert unit.tasks == ["Thu thập số liệu về số vụ bạo lực gia đình."]


def test_plan_import_keeps_the_text_the_page_shows(tmp_path, capsys, monkeypatch):
    """`plan import` writes the document's text beside the plan workbook, line N the
    document's line N; the page then shows the whole text (and a re-import renews it)."""
    from pathlib import Path

    from bdg_excel.core import vn
    from cycle_helpers import run_cli

    monkeypatch.setenv("BDG_TODAY", "2026-05-01")
    doc = Path(__file__).parent / "data" / "import" / "ke-hoach-tam-duong-2021-2025.txt"
    ws = Workspace.open(tmp_path / "ws", create=True)
    out = ws.templates / "tam-duong.xlsx"
    code, _, err = run_cli(capsys, "plan", "import", doc, "-o", out, "-q")
    assert code == 0, err
    kept = source_text.load_text(out)
    lines = doc.read_text(encoding="utf-8-sig").splitlines()
    assert len(kept) >= len([x for x in lines if x.strip()])
    numbered = {n: vn.clean(x) for n, x in enumerate(lines, 1) if x.strip()}
    assert sum(kept[n - 1].endswith(text) for n, text in numbered.items()) >= 0.95 * len(numbered)
    assert ws.plan_names() == ["tam-duong"]
    client = create_app(ws.root).test_client()
    r, html = page(client, "/ke-hoach")
    assert r.status_code == 200
    if 'id="review"' in html:      # plan import lists what it read for review
        assert "Văn bản kế hoạch" in readable(html)
    source_text.text_path(out).write_text("cũ", encoding="utf-8")
    code, _, err = run_cli(capsys, "plan", "import", doc, "-o", out, "--force", "-q")
    assert code == 0, err
    assert source_text.load_text(out) == kept


@pytest.mark.skipif(not __import__("shutil").which("soffice"), reason="needs LibreOffice")
def test_a_pdf_plan_is_reviewed_page_by_page(tmp_path, capsys, monkeypatch):
    """A plan printed to PDF by LibreOffice, imported: the page shows the document's text
    with its pages, and each review item's sentence is marked in it."""
    import subprocess
    from pathlib import Path

    from cycle_helpers import run_cli
    from docx_writer import write_docx

    monkeypatch.setenv("BDG_TODAY", "2026-05-01")
    src = Path(__file__).parent / "data" / "import" / "ke-hoach-tam-duong-2021-2025.txt"
    docx = tmp_path / "tam-duong.docx"
    write_docx(src.read_text(encoding="utf-8"), docx)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx)],
                   capture_output=True, timeout=300, check=True)
    pdf = tmp_path / "tam-duong.pdf"
    ws = Workspace.open(tmp_path / "ws", create=True)
    out = ws.templates / "tam-duong.xlsx"
    code, _, err = run_cli(capsys, "plan", "import", pdf, "-o", out, "-q")
    assert code == 0, err
    plan = load_plan(out)
    assert plan.review and any(i.source.startswith("trang ") for i in plan.review)
    _, html = page(create_app(ws.root).test_client(), "/ke-hoach")
    pages = [int(n) for n in re.findall(r'<h4 class="page" id="trang-(\d+)">', html)]
    assert len(pages) >= 3 and pages == sorted(pages) and pages[0] == 1
    with_sentence = [i for i in plan.review if i.sentence]
    marks = re.findall(r'<mark id="cau-[0-9a-f-]+"', html)
    linked = re.findall(r'<blockquote><a href="#cau-', html)
    assert len(linked) == len(with_sentence) and marks
    # each item's sentence is on the page its source names
    doc = html[html.index('id="van-ban"'):]
    for item in with_sentence[:10]:
        if item.source.startswith("trang "):
            n = int(item.source.split()[1])
            start = doc.index(f'id="trang-{n}"')
            nxt = doc.find('<h4 class="page"', start + 1)
            section = readable(doc[start:nxt if nxt > 0 else None])
            assert readable(item.sentence)[:30] in section, item
