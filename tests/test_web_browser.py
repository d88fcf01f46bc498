"""bdg-excel serve end to end: the real command (waitress on 127.0.0.1) driven in Debian's
chromium through selenium and chromium-driver. Drop a filled return, consolidate,
download the consolidated workbook and read it back. Skipped only when chromium or
chromedriver is absent.

The test saves a screenshot of the main page: to $BDG_SERVE_SCREENSHOT when set (the
README's docs/img/serve.png is made with
``BDG_SERVE_SCREENSHOT=docs/img/serve.png pytest tests/test_web_browser.py``), otherwise
into tmp_path."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from bdg_excel.forms import layout
from bdg_excel.demo import Fill, fill_form
from bdg_excel.plan.planbook import save_plan
from bdg_excel.workflow import generate, init_workspace, load

from test_web import serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="needs Debian's chromium and chromium-driver")
TODAY = "2025-11-25"


@pytest.fixture
def server(tmp_path):
    """A workspace on the Tam Đường plan with forms for 2025 and one unit's return filled
    (not yet dropped); `bdg-excel serve` running on it: (ws, plan, forms, url)."""
    ws = init_workspace(tmp_path / "ws", "tam-duong")
    plan = load(ws)
    plan.units[0].email = "vhxh@tamduong.gov.vn"
    save_plan(plan, ws.plan_path())
    plan = load(ws)
    forms = generate(ws, plan, "2025")
    with serving(ws.root, TODAY) as url:
        yield ws, plan, forms, url


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1200,1000", "--lang=vi", f"--user-data-dir={tmp_path / 'profile'}"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.set_page_load_timeout(60)
    try:
        yield driver, downloads
    finally:
        driver.quit()


def wait_for(predicate, timeout=90, what="the page"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = predicate()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def gone(element) -> bool:
    """True once ``element``'s page has been replaced (a form posted, the next page shown)."""
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        element.tag_name
        return False
    except StaleElementReferenceException:
        return True


def test_drop_consolidate_download_in_chromium(server, browser, tmp_path):
    from openpyxl import load_workbook
    from selenium.webdriver.common.by import By

    ws, plan, forms, url = server
    driver, downloads = browser
    form = next(f for f in forms if f.n_targets >= 2)
    unit = plan.unit(form.unit)
    targets = plan.unit_targets(unit)
    fills = {}
    for i, t in enumerate(targets):
        if t.measure == "yesno":
            fills[t.code] = Fill(value="Có")
        elif t.measure == "percent":
            fills[t.code] = Fill(numerator=30 + i, denominator=60 + i)
        else:
            fills[t.code] = Fill(value=5 + i)
    tasks = {layout.task_code(j): (layout.TASK_STATUSES[0], "Đã hoàn thành.")
             for j, _ in enumerate(unit.tasks)}
    filled = fill_form(form.path, tmp_path / "tra-ve" / f"Báo cáo {unit.name}.xlsx", fills, tasks)
    # a second unit types words into a number cell: its return needs fixes
    other = next(f for f in forms if f.n_targets and f.unit != form.unit)
    wrong = plan.unit_targets(plan.unit(other.unit))[0].code
    faulty = fill_form(other.path, tmp_path / "tra-ve" / "bao-cao-thieu.xlsx",
                       {wrong: Fill(value="đang tổng hợp")})

    # the main page, in Vietnamese; every unit waits
    driver.get(url)
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    table = driver.find_element(By.ID, "units").text
    assert all(u.name in table for u in plan.units)

    # drop the filled return: the file field of the drop zone, then save into inbox/
    driver.find_element(By.ID, "tep").send_keys(f"{filled}\n{faulty}")
    driver.find_element(By.ID, "btn-nhan-tep").click()
    wait_for(lambda: "Đã lưu 2 tệp vào inbox/" in driver.page_source, what="the upload")
    assert sorted(p.name for p in ws.inbox.iterdir()) == sorted([filled.name, faulty.name])

    # consolidate: progress, then the summary
    driver.find_element(By.ID, "btn-tong-hop-2").click()
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#job-state[data-state='done']"),
             what="the consolidation")
    summary = driver.find_element(By.ID, "collected").text
    assert filled.name in summary and "Đã chấp nhận" in summary

    # download the consolidated workbook and open it
    driver.find_element(By.ID, "dl-report").click()
    book = wait_for(lambda: [p for p in downloads.glob("*.xlsx")], what="the download")[0]
    wb = load_workbook(book, read_only=True)
    cells = [str(c) for s in wb.worksheets for row in s.iter_rows(values_only=True)
             for c in row if c is not None]
    wb.close()
    assert unit.name in cells
    numbers = [t for t in targets if t.measure not in ("yesno", "percent")]
    if numbers:
        assert str(5 + targets.index(numbers[0])) in {c.rstrip("0").rstrip(".") for c in cells}

    # back on the main page: the unit is accepted; the screenshot for the README
    driver.find_element(By.ID, "back").click()
    row = wait_for(lambda: [r for r in driver.find_elements(By.CSS_SELECTOR, "#units tbody tr")
                            if unit.name in r.text], what="the main page")[0]
    assert "Đã chấp nhận" in row.text
    # the unit that must fix its return: file, sheet, cell, code and what to fix
    fixes = driver.find_element(By.CSS_SELECTOR, "section.findings").text
    assert other.unit in fixes and faulty.name in fixes and wrong in fixes
    assert re.search(r"Lỗi bao-cao-thieu\.xlsx \S.* [A-Z]+\d+ " + re.escape(wrong), fixes)
    shot = Path(os.environ.get("BDG_SERVE_SCREENSHOT") or tmp_path / "serve.png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(1280, 1200)
    assert driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


DROP_JS = """
const [b64, name] = arguments;
const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
const dt = new DataTransfer();
dt.items.add(new File([bytes], name));
const zone = document.getElementById('dropzone');
for (const type of ['dragenter', 'dragover', 'drop']) {
  zone.dispatchEvent(new DragEvent(type, {dataTransfer: dt, bubbles: true, cancelable: true}));
}
"""


def test_drag_and_drop_onto_the_page(server, browser, tmp_path):
    """The page's own drop handler (static/app.js): files dropped on the zone are sent
    at once and land in inbox/ byte for byte, under their (Vietnamese) name."""
    import base64

    ws, plan, forms, url = server
    driver, _ = browser
    form = next(f for f in forms if f.n_targets)
    code = plan.unit_targets(plan.unit(form.unit))[0].code
    filled = fill_form(form.path, tmp_path / "keo-tha.xlsx", {code: Fill(value=12)})
    data = filled.read_bytes()
    driver.get(url)
    driver.execute_script(DROP_JS, base64.b64encode(data).decode(), "Báo cáo kéo thả.xlsx")
    wait_for(lambda: "Đã lưu 1 tệp vào inbox/" in driver.page_source, what="the drop")
    assert (ws.inbox / "Báo cáo kéo thả.xlsx").read_bytes() == data


REVIEW_TODAY = "2027-03-01"


def _cells(path) -> list[str]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        return [str(c) for s in wb.worksheets for row in s.iter_rows(values_only=True)
                for c in row if c is not None]
    finally:
        wb.close()


def test_review_and_correct_the_plan_in_chromium(tmp_path, browser):
    """The plan page's review in the real browser: unsure items first beside the
    document's text, a sentence shown in its place, a target value, a unit's assignment and
    a deadline corrected and saved into the plan workbook; `bdg-excel generate` then
    writes forms that carry the corrections."""
    import subprocess
    import sys

    from selenium.webdriver.common.by import By

    from bdg_excel.core.workspace import Workspace
    from bdg_excel.plan import source_text
    from review_helpers import PARAGRAPHS, make_plan, save_with_review

    ws = Workspace.open(tmp_path / "ws", create=True)
    path = save_with_review(make_plan(), ws.templates / "hoa-khanh.xlsx")
    source_text.save_text(path, PARAGRAPHS)
    driver, _ = browser
    school = "Trường Tiểu học Hòa Khánh"

    def item(kind, ref):
        return driver.find_element(By.CSS_SELECTOR, f'li.item[data-kind="{kind}"][data-ref="{ref}"]')

    def save(form, **values):
        for name, value in values.items():
            field = form.find_element(By.NAME, name)
            field.clear()
            field.send_keys(value)
        page = driver.find_element(By.TAG_NAME, "html")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        # the page before may hold a "saved" message of its own: wait for the next page
        wait_for(lambda: gone(page), what="the next page")
        return wait_for(lambda: driver.find_elements(By.ID, "saved"), what="the saved message")[0].text

    with serving(ws.root, REVIEW_TODAY) as url:
        driver.get(url + "ke-hoach")
        items = driver.find_elements(By.CSS_SELECTOR, "#review-items > li.item")
        confidences = [int(i.find_element(By.CLASS_NAME, "conf").text.rstrip(" %")) for i in items]
        assert confidences == sorted(confidences) and confidences[0] < 80
        assert "Văn bản kế hoạch" in driver.find_element(By.ID, "van-ban").text

        # the unsure assignment: its sentence, shown in its place in the document's text
        entry = item("assignment", school)
        entry.find_element(By.CSS_SELECTOR, "blockquote a").click()
        target = wait_for(lambda: driver.execute_script(
            "var t = document.querySelector(':target'); return t && t.id;"), what="the mark")
        mark = driver.find_element(By.ID, target)
        assert target.startswith("cau-") and mark.tag_name == "mark"
        assert mark.text.startswith(school) and mark.is_displayed()
        assert driver.find_element(By.ID, "doan-12").find_element(By.TAG_NAME, "mark").id == mark.id
        color = mark.value_of_css_property("background-color")
        assert color.replace(" ", "") in ("rgba(255,201,77,1)", "rgb(255,201,77)")

        # correct the unit's assignment from its review item (the form is open: unsure)
        form = item("assignment", school).find_element(By.CSS_SELECTOR, 'form[data-edit="assignment"]')
        message = save(form, chi_tieu="2.1, 2.2")
        assert "Đã lưu vào tệp hoa-khanh.xlsx" in message and "trang Phân công" in message
        row = driver.find_element(By.CSS_SELECTOR, "#plan-units tbody tr:first-child")
        assert school in row.text and "2.1, 2.2" in row.text

        # correct a target value from the table of targets
        row = driver.find_element(By.ID, "dong-2-2")
        row.find_element(By.CSS_SELECTOR, "details.row-edit summary").click()
        form = row.find_element(By.CSS_SELECTOR, 'form[data-edit="target"]')
        message = save(form, gia_tri="2", noi_dung="dưới 2 vụ")
        assert "trang Chỉ tiêu, ô H4: 3 → 2" in message
        assert driver.find_element(By.CSS_SELECTOR, "#dong-2-2 td.target").text == "< 2 vụ"

        # the year's deadline the importer took from the six-month one
        form = item("deadline", "annual").find_element(By.CSS_SELECTOR, 'form[data-edit="deadline"]')
        message = save(form, han="25/11")
        assert "trang Báo cáo, ô B3: 10/06 → 25/11" in message
        # a refused correction: a Vietnamese message, nothing written
        before = path.read_bytes()
        form = item("deadline", "annual").find_element(By.CSS_SELECTOR, 'form[data-edit="deadline"]')
        driver.execute_script("arguments[0].open = true", form.find_element(By.XPATH, ".."))
        form.find_element(By.NAME, "han").clear()
        form.find_element(By.NAME, "han").send_keys("31/11")
        page = driver.find_element(By.TAG_NAME, "html")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_for(lambda: gone(page), what="the next page")
        alert = wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "p.error[role=alert]"),
                         what="the refusal")[0].text
        assert "trang “Báo cáo”, ô B3: ngày “31/11” không có thật" in alert
        assert path.read_bytes() == before
        driver.find_element(By.ID, "back").click()
        wait_for(lambda: driver.find_elements(By.ID, "review"), what="the plan page")

    # `bdg-excel generate` (the real command) reads the corrected plan workbook
    env = {**os.environ, "BDG_TODAY": REVIEW_TODAY}
    run = subprocess.run([sys.executable, "-m", "bdg_excel.cli", "generate", "-w", str(ws.root),
                          "--period", "2027"], env=env, capture_output=True, text=True,
                         encoding="utf-8", timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    forms = {p.name: p for p in ws.forms_dir.glob("*.xlsx")}
    school_form = _cells(forms["BDG_2027_Trường-Tiểu-học-Hòa-Khánh.xlsx"])
    assert "2.1" in school_form and "2.2" in school_form        # the corrected assignment
    police = _cells(forms["BDG_2027_Công-an-phường.xlsx"])
    assert any("< 2 vụ" in c for c in police) and not any("< 3 vụ" in c for c in police)
    assert any("dưới 2 vụ" in c for c in police)
    assert any("25/11/2027" in c for c in police + school_form)  # the corrected deadline
