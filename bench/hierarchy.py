"""Benchmark scenario ``hierarchy`` (``bench.py --scenario hierarchy``): the levels above a
commune.

* **province**: a province plan of 120 units, 100 communes ("UBND xã …") and 20
  departments (Sở, ban, ngành). Each commune runs its own cycle first (a commune plan with
  the ten kinds of unit of ``bench.KINDS``, their forms filled, consolidated), and its
  consolidated workbook is its return to the province; each department fills the
  province's own form. Measured: ``consolidate`` of the 120 returns at the province, and
  the re-run after one late commune workbook.
* **ministry**: a national plan of 34 units, the provinces ("UBND tỉnh …"); 34 province
  cycles like the one above (each missing a few communes, so their figures differ) give
  34 province consolidated workbooks. Measured: ``consolidate`` of the 34 at the ministry,
  and the re-run after one late province.

The roll-up is checked, not only timed: a ratio no department reports (4.1, the sex ratio
at birth: boys per 100 girls) must come out at each level as the sum of the numerators and
denominators of the level below, counted from the units that reported it.

Setup (commune and province cycles) is not measured; each measured consolidation runs in a
fresh subprocess (``bench.py --child consolidate``), ``repeats`` times on fresh copies of
the workspace (hard links), median.
"""

from __future__ import annotations

import copy
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

import bench
from bench import KINDS, PERIOD, TASKS, fill_xml, run_child, say, unit_cells

COMMUNES = 100
PROVINCES = 34
CHECK = "4.1"          # a ratio that only the communes' health stations report
#: the province's departments, each reporting some target rows (never CHECK)
DEPARTMENTS = [
    "Sở Y tế", "Sở Giáo dục và Đào tạo", "Sở Văn hóa, Thể thao và Du lịch", "Công an tỉnh",
    "Sở Tài chính", "Sở Nông nghiệp và Môi trường", "Sở Nội vụ", "Sở Tư pháp",
    "Sở Khoa học và Công nghệ", "Sở Công Thương", "Sở Xây dựng", "Sở Dân tộc và Tôn giáo",
    "Thanh tra tỉnh", "Văn phòng UBND tỉnh", "Hội Liên hiệp Phụ nữ tỉnh", "Tỉnh đoàn",
    "Liên đoàn Lao động tỉnh", "Hội Nông dân tỉnh", "Đài Phát thanh và Truyền hình tỉnh",
    "Ban Quản lý các khu kinh tế tỉnh",
]
ON_TIME = datetime(2026, 11, 20, 9).timestamp()


# -- plans ---------------------------------------------------------------------------------
def _base():
    from bdg_excel.plan import planbook

    return planbook.load_plan(planbook.example_path("binh-lu"))


def _codes() -> list[str]:
    """The indicators the communes' units report (what a commune's workbook carries)."""
    return sorted({c for _, codes in KINDS for c in codes},
                  key=lambda c: tuple(int(x) for x in c.split(".")))


def commune_name(i: int) -> str:
    return f"xã Số {i:03d}"


def province_name(k: int) -> str:
    return f"tỉnh Số {k:02d}"


def commune_plan(base, i: int):
    """The Bình Lư plan issued by commune ``i``: its ten kinds of unit."""
    from bdg_excel.plan.model import Unit

    plan = copy.deepcopy(base)
    plan.issuer, plan.place = f"Ủy ban nhân dân {commune_name(i)}", commune_name(i)
    plan.units = [Unit(kind, list(codes), [TASKS[j % 3], TASKS[(j + 1) % 3]])
                  for j, (kind, codes) in enumerate(KINDS)]
    plan.name = "ke-hoach-xa"
    return plan


def province_plan(base, k: int, communes: int = COMMUNES):
    """Province ``k``: the communes as units with every indicator, and the departments.

    Built from the plan model directly: the province workspace of ``init --province`` (a
    plan listing the official communes) is not on this branch's main yet."""
    from bdg_excel.plan.model import Unit

    plan = copy.deepcopy(base)
    plan.issuer, plan.place = f"Ủy ban nhân dân {province_name(k)}", province_name(k)
    plan.title = f"Kế hoạch thực hiện Chiến lược quốc gia về bình đẳng giới {province_name(k)}"
    codes = _codes()
    units = [Unit(f"UBND {commune_name(i)}", list(codes)) for i in range(1, communes + 1)]
    for j, name in enumerate(DEPARTMENTS):
        reported = [c for c in KINDS[j % len(KINDS)][1] if c != CHECK] or ["1.1"]
        units.append(Unit(name, reported, [TASKS[j % 3]]))
    plan.units = units
    plan.name = "ke-hoach-tinh"
    return plan


def ministry_plan(base, provinces: int = PROVINCES):
    from bdg_excel.plan.model import Unit

    plan = copy.deepcopy(base)
    plan.issuer, plan.place = "Bộ Nội vụ", "Hà Nội"
    plan.title = "Kế hoạch thực hiện Chiến lược quốc gia về bình đẳng giới toàn quốc"
    plan.units = [Unit(f"UBND {province_name(k)}", _codes()) for k in range(1, provinces + 1)]
    plan.name = "ke-hoach-toan-quoc"
    return plan


# -- one cycle of one office (setup) ---------------------------------------------------------
def _workspace(root: Path, plan):
    from bdg_excel.plan import planbook
    from bdg_excel.workflow import init_workspace, load

    ws = init_workspace(root)
    planbook.save_plan(plan, ws.templates / f"{plan.name}.xlsx")
    return ws, load(ws)


def _fill_forms(ws, plan, units: list[str] | None, seed: int, dest: Path) -> list[Path]:
    """Generate the forms of ``units`` (all when None) and fill them as the units would;
    the filled returns are written into ``dest``."""
    from bdg_excel.forms.generate import generate_forms

    out = []
    for n, form in enumerate(generate_forms(plan, ws.forms_folder(PERIOD), PERIOD,
                                            units=units, workers=1)):
        ret = dest / form.path.name
        fill_xml(form.path, ret, unit_cells(form.path, plan, seed * 1000 + n))
        os.utime(ret, (ON_TIME, ON_TIME))
        out.append(ret)
    return out


def _consolidate(ws, plan) -> tuple[Path, dict]:
    """Consolidate in this process; the workbook and CHECK's (numerator, denominator)."""
    from bdg_excel.workflow import consolidate_workspace

    res = consolidate_workspace(ws, plan, PERIOD, workers=1)
    r = next(r for r in res.consolidation.results if r.target.code == CHECK)
    assert res.consolidation.completeness.received == len(res.collected.files), \
        [(f.name, f.status) for f in res.collected.files if f.status != "accepted"]
    return res.path, {"numerator": r.numerator, "denominator": r.denominator,
                      "reported": r.units_reported}


def run_commune(job: tuple[str, int]) -> tuple[str, dict]:
    """Commune ``i``'s whole cycle; its consolidated workbook and CHECK's figures."""
    root, i = job
    ws, plan = _workspace(Path(root), commune_plan(_base(), i))
    _fill_forms(ws, plan, None, i, ws.inbox)
    path, check = _consolidate(ws, plan)
    return str(path), check


def stock_province(root: Path, k: int, books: dict[int, str]) -> tuple[object, object, list]:
    """Province ``k``'s workspace with every return in inbox/: the communes' workbooks of
    ``books`` (commune -> path) and the departments' filled forms."""
    ws, plan = _workspace(root, province_plan(_base(), k))
    for i, book in sorted(books.items()):
        dest = ws.inbox / f"Tong-hop_{commune_name(i).replace(' ', '-')}.xlsx"
        os.link(book, dest)
    _fill_forms(ws, plan, DEPARTMENTS, 10_000 + k, ws.inbox)
    return ws, plan, sorted(ws.inbox.iterdir())


def run_province(job: tuple[str, int, dict]) -> tuple[str, dict]:
    """Province ``k``'s cycle (setup for the ministry)."""
    root, k, books = job
    ws, plan, _ = stock_province(Path(root), k, books)
    path, check = _consolidate(ws, plan)
    return str(path), check


# -- measuring -------------------------------------------------------------------------------
def _copy_workspace(src: Path, dest: Path, skip: set[str] = frozenset()) -> Path:
    """A fresh copy of a stocked workspace: plan and inbox/ (hard links), no ledger."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, copy_function=os.link,
                    ignore=lambda d, names: [n for n in names if n in skip or n == ".bdg"])
    return dest


def measure(label: str, ws_root: Path, late: Path, returns: int, workers: int,
            repeats: int, want: dict) -> dict:
    """``repeats`` full consolidations on fresh copies (median), then the re-run after
    ``late`` arrives; the roll-up of CHECK compared with ``want``."""
    runs = []
    for r in range(repeats):
        copy_root = _copy_workspace(ws_root, ws_root.with_name(f"{ws_root.name}-run{r}"))
        full = run_child("consolidate", str(copy_root), str(workers))
        assert full["received"] == returns and full["statuses"] == {"accepted": returns}, full
        runs.append((full["seconds"], copy_root, full))
    runs.sort(key=lambda x: x[0])
    seconds, copy_root, full = runs[len(runs) // 2]
    os.link(late, copy_root / "inbox" / late.name)
    os.utime(copy_root / "inbox" / late.name, (ON_TIME, ON_TIME))
    rerun = run_child("consolidate", str(copy_root), str(workers))
    assert rerun["files"] == 1 and rerun["received"] == returns + 1, rerun
    got = _check_of(copy_root)
    assert got == want, (label, got, want)
    peak = full["rss_self_mb"] + full["rss_workers_mb"]
    say(f"{label}: consolidate {returns} returns: {seconds:.2f} s (median of {repeats}; "
        f"{min(x[0] for x in runs):.2f}–{max(x[0] for x in runs):.2f}) = "
        f"{1000 * seconds / returns:.1f} ms/return, peak {peak:.0f} MB; re-run after 1 late "
        f"return {rerun['seconds']:.2f} s; {CHECK} rolled up from {got['reported']} units: "
        f"{got['numerator']:g}/{got['denominator']:g} (as the level below adds up)")
    for r in runs:
        shutil.rmtree(r[1])
    return {"seconds": seconds, "runs": [x[0] for x in runs], "rerun": rerun["seconds"],
            "peak_mb": peak, "returns": returns}


def _check_of(ws_root: Path) -> dict:
    """CHECK's figures in a consolidated workspace (read back from its ledger)."""
    from bdg_excel.report.consolidate import consolidate
    from bdg_excel.workflow import Workspace, load

    ws = Workspace.open(ws_root)
    c = consolidate(ws, load(ws), PERIOD)
    r = next(r for r in c.results if r.target.code == CHECK)
    return {"numerator": r.numerator, "denominator": r.denominator,
            "reported": r.units_reported}


def _sum(checks) -> dict:
    checks = [c for c in checks if c["denominator"]]
    return {"numerator": sum(c["numerator"] for c in checks),
            "denominator": sum(c["denominator"] for c in checks), "reported": len(checks)}


def main(out: Path, workers: int, repeats: int) -> int:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    say(f"# bdg-excel hierarchy: {bench.machine()}; workers={workers}, {repeats} runs each")

    # setup 1: the communes' own cycles (one more commune arrives late at the province)
    t0 = time.perf_counter()
    jobs = [(str(out / "xa" / f"{i:03d}"), i) for i in range(1, COMMUNES + 2)]
    with ProcessPoolExecutor(workers) as pool:
        done = list(pool.map(run_commune, jobs))
    books = {i: path for (_, i), (path, _) in zip(jobs, done)}
    checks = {i: check for (_, i), (_, check) in zip(jobs, done)}
    for p in books.values():
        os.utime(p, (ON_TIME, ON_TIME))
    say(f"setup: {len(books)} communes' cycles (10 units each) in "
        f"{time.perf_counter() - t0:.0f} s; a commune workbook is "
        f"{Path(books[1]).stat().st_size / 1024:.0f} KB")

    # province: 100 commune workbooks + 20 department forms; commune 101 is late
    t0 = time.perf_counter()
    late_commune = books.pop(COMMUNES + 1)
    ws, plan, returns = stock_province(out / "tinh", 1, books)
    # the late commune: in the plan, its workbook arrives after the first run
    from bdg_excel.plan import planbook
    from bdg_excel.plan.model import Unit

    plan.units.append(Unit(f"UBND {commune_name(COMMUNES + 1)}", _codes()))
    planbook.save_plan(plan, ws.plan_path(None))
    late = out / f"Tong-hop_{commune_name(COMMUNES + 1).replace(' ', '-')}.xlsx"
    os.link(late_commune, late)
    say(f"setup: province with {len(plan.units) - 1} units + 1 late, {len(returns)} returns "
        f"in inbox/ in {time.perf_counter() - t0:.1f} s")
    want = _sum(list(checks.values()))
    province = measure("province (100 communes + 20 departments)", ws.root, late,
                       len(returns), workers, repeats, want)

    # setup 2: 35 provinces' cycles for the ministry (province k misses communes i with
    # i % 35 == k, so the provinces' figures differ); the 35th arrives late
    t0 = time.perf_counter()
    pjobs = [(str(out / "tinh-bo" / f"{k:02d}"), k,
              {i: b for i, b in books.items() if i % (PROVINCES + 1) != k})
             for k in range(1, PROVINCES + 2)]
    with ProcessPoolExecutor(workers) as pool:
        pdone = list(pool.map(run_province, pjobs))
    pbooks = {k: path for (_, k, _), (path, _) in zip(pjobs, pdone)}
    pchecks = [check for _, check in pdone]
    for p in pbooks.values():
        os.utime(p, (ON_TIME, ON_TIME))
    say(f"setup: {len(pbooks)} provinces' cycles in {time.perf_counter() - t0:.0f} s; a "
        f"province workbook is {Path(pbooks[1]).stat().st_size / 1024:.0f} KB")

    late_province = pbooks.pop(PROVINCES + 1)
    mplan = ministry_plan(_base(), PROVINCES + 1)
    mws, mplan = _workspace(out / "bo", mplan)
    for k, book in sorted(pbooks.items()):
        os.link(book, mws.inbox / f"Tong-hop_{province_name(k).replace(' ', '-')}.xlsx")
    late = out / f"Tong-hop_{province_name(PROVINCES + 1).replace(' ', '-')}.xlsx"
    os.link(late_province, late)
    ministry = measure("ministry (34 provinces)", mws.root, late, PROVINCES, workers,
                       repeats, _sum(pchecks))

    say("")
    say("| level | returns | consolidate s (median) | ms/return | re-run after 1 late s | "
        "peak memory |")
    say("|---|---:|---:|---:|---:|---:|")
    for label, m in (("province: 100 commune workbooks + 20 department forms", province),
                     ("ministry: 34 province workbooks", ministry)):
        say(f"| {label} | {m['returns']} | {m['seconds']:.2f} | "
            f"{1000 * m['seconds'] / m['returns']:.1f} | {m['rerun']:.2f} | "
            f"{m['peak_mb']:.0f} MB |")
    say("")
    say(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0
