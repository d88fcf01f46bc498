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
