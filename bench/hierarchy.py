"""Benchmark scenario ``hierarchy`` (``bench.py --scenario hierarchy``): the levels above a
commune.

* **province**: a province plan of 120 units, 100 communes ("UBND xã …") and 20
  departments (Sở, ban, ngành). Each commune runs its own cycle first (a commune plan with
  the ten kinds of unit of ``bench.KINDS``, their forms filled, consolidated), and its
  consolidated workbook is its return to the province; each department fills the
  province's own form. Measured: ``consolidate`` of the 120 returns at the province, and
  the re-run after one commune sends a corrected workbook.
* **ministry**: a national plan of 34 units, the provinces ("UBND tỉnh …"); 34 province
  cycles like the one above (each missing a few communes, so their figures differ) give
  34 province consolidated workbooks. Measured: ``consolidate`` of the 34 at the ministry,
  and the re-run after one province sends a corrected workbook.

Names come from the official list of administrative units when the package has it
(``bdg_excel.plan.admin``: the province plan of ``init --province``, cut to 100 of its
communes, and the ministry's plan of the 34 provinces); otherwise the plans are built
from the plan model with numbered names ("UBND xã Số 001").

The roll-up is checked, not only timed: the sex ratio at birth (national code QG-4.1,
boys per 100 girls; reported by the communes' health stations, by no department) must come
out at each level as the sum of the numerators and denominators of the level below.

Setup (the communes' and provinces' own cycles) is not measured; each measured
consolidation runs in a fresh subprocess (``bench.py --child consolidate``), ``repeats``
times on fresh copies of the workspace (hard links), median.
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
NATIONAL = "QG-4.1"        # the figure checked at every level: the sex ratio at birth
#: the province's departments, each reporting some indicators (never the checked one)
DEPARTMENTS = [
    "Sở Y tế", "Sở Giáo dục và Đào tạo", "Sở Văn hóa, Thể thao và Du lịch", "Công an tỉnh",
    "Sở Tài chính", "Sở Nông nghiệp và Môi trường", "Sở Nội vụ", "Sở Tư pháp",
    "Sở Khoa học và Công nghệ", "Sở Công Thương", "Sở Xây dựng", "Sở Dân tộc và Tôn giáo",
    "Thanh tra tỉnh", "Văn phòng UBND tỉnh", "Hội Liên hiệp Phụ nữ tỉnh", "Tỉnh đoàn",
    "Liên đoàn Lao động tỉnh", "Hội Nông dân tỉnh", "Đài Phát thanh và Truyền hình tỉnh",
    "Ban Quản lý các khu kinh tế tỉnh",
]
ON_TIME = datetime(2026, 11, 20, 9).timestamp()
LATER = datetime(2026, 11, 25, 9).timestamp()


def _admin():
    """The official list of administrative units, when this version ships it."""
    try:
        from bdg_excel.plan import admin
    except ImportError:
        return None
    return admin


# -- who is who ----------------------------------------------------------------------------
class Names:
    """The communes of the province (``issuer``: how a commune's own plan names it;
    ``office``: its unit in the province plan) and the provinces of the country."""

    def __init__(self):
        admin = _admin()
        if admin is not None:
            provinces = admin.load().provinces
            big = next(p for p in provinces if len(p.units) >= COMMUNES)
            units = big.units[:COMMUNES]
            self.source = (f"official list ({big.name}: {COMMUNES} of its "
                           f"{len(big.units)} commune-level units; the 34 provinces)")
            self.commune_issuer = [f"Ủy ban nhân dân {u.kind} {u.short}" for u in units]
            self.commune_office = [u.office for u in units]
            self.commune_place = [u.short for u in units]
            self.province = big
            self.provinces = list(provinces)
        else:
            self.source = "numbered names (no official list in this version)"
            self.commune_issuer = [f"Ủy ban nhân dân xã Số {i:03d}"
                                   for i in range(1, COMMUNES + 1)]
            self.commune_office = [f"UBND xã Số {i:03d}" for i in range(1, COMMUNES + 1)]
            self.commune_place = [f"Số {i:03d}" for i in range(1, COMMUNES + 1)]
            self.province = None
            self.provinces = None

    def province_issuer(self, k: int) -> tuple[str, str]:
        """(issuer, place) of province ``k`` (0-based)."""
        if self.provinces is not None:
            p = self.provinces[k]
            return f"Ủy ban nhân dân {p.level} {p.short}", p.short
        return f"Ủy ban nhân dân tỉnh Số {k + 1:02d}", f"Số {k + 1:02d}"


def check_code(plan) -> str:
    """The plan's code of the checked figure (its national code, else the Bình Lư code)."""
    return next((t.code for t in plan.targets() if getattr(t, "national", None) == NATIONAL),
                "4.1")


# -- plans -----------------------------------------------------------------------------------
def _base():
    from bdg_excel.plan import planbook

    return planbook.load_plan(planbook.example_path("binh-lu"))


def _codes(plan) -> list[str]:
    return [i.code for i in plan.indicators]


def commune_plan(names: Names, i: int):
    """The Bình Lư plan issued by commune ``i`` (0-based): its ten kinds of unit."""
    from bdg_excel.plan.model import Unit

    plan = _base()
    plan.issuer, plan.place = names.commune_issuer[i], names.commune_place[i]
    plan.units = [Unit(kind, list(codes), [TASKS[j % 3], TASKS[(j + 1) % 3]])
                  for j, (kind, codes) in enumerate(KINDS)]
    plan.name = "ke-hoach-xa"
    return plan


def province_plan(names: Names, k: int):
    """Province ``k`` (0-based): the 100 communes as units with every indicator, and the 20
    departments with some each. With the official list, the plan ``init --province``
    makes (national indicators), cut to 100 communes; otherwise the Bình Lư indicators."""
    from bdg_excel.plan.model import Unit

    admin = _admin()
    if admin is not None:
        plan = admin.province_plan(names.province)
    else:
        plan = _base()
    plan.issuer, plan.place = names.province_issuer(k)
    plan.title = f"Kế hoạch thực hiện Chiến lược quốc gia về bình đẳng giới {plan.place}"
    codes = _codes(plan)
    check = check_code(plan).rstrip("ab")
    units = [Unit(office, list(codes)) for office in names.commune_office]
    for j, name in enumerate(DEPARTMENTS):
        reported = [c for c in KINDS[j % len(KINDS)][1] if c in codes and c != check]
        units.append(Unit(name, reported or [codes[0]], [TASKS[j % 3]]))
    plan.units = units
    plan.name = "ke-hoach-tinh"
    return plan


def ministry_plan(names: Names):
    admin = _admin()
    if admin is not None:
        plan = admin.national_plan()
    else:
        from bdg_excel.plan.model import Unit

        plan = copy.deepcopy(_base())
        plan.issuer, plan.place = "Bộ Nội vụ", "Hà Nội"
        plan.units = [Unit(f"UBND tỉnh Số {k + 1:02d}", _codes(plan))
                      for k in range(PROVINCES)]
    plan.name = "ke-hoach-toan-quoc"
    return plan


# -- one cycle of one office (setup) ---------------------------------------------------------
def _workspace(root: Path, plan):
    from bdg_excel.plan import planbook
    from bdg_excel.workflow import init_workspace, load

    ws = init_workspace(root)
    planbook.save_plan(plan, ws.templates / f"{plan.name}.xlsx")
    return ws, load(ws)


def _fill_forms(ws, plan, units: list[str] | None, seed: int) -> None:
    """Generate the forms of ``units`` (all when None), fill them as the units would and
    drop them into inbox/."""
    from bdg_excel.forms.generate import generate_forms

    for n, form in enumerate(generate_forms(plan, ws.forms_folder(PERIOD), PERIOD,
                                            units=units, workers=1)):
        ret = ws.inbox / form.path.name
        fill_xml(form.path, ret, unit_cells(form.path, plan, seed * 1000 + n))
        os.utime(ret, (ON_TIME, ON_TIME))


def _consolidate(ws, plan) -> tuple[str, dict]:
    """Consolidate in this process: the workbook, and the checked figure's
    {numerator, denominator, reported}."""
    from bdg_excel.workflow import consolidate_workspace

    res = consolidate_workspace(ws, plan, PERIOD, workers=1)
    bad = [(f.name, f.status) for f in res.collected.files if f.status != "accepted"]
    assert not bad, bad
    return str(res.path), _figure(res.consolidation)


def _figure(c) -> dict:
    code = check_code(c.plan)
    r = next(r for r in c.results if r.target.code == code)
    return {"numerator": r.numerator, "denominator": r.denominator,
            "reported": r.units_reported}


def run_commune(job: tuple[str, int, int]) -> tuple[str, dict]:
    """Commune ``i``'s whole cycle (``seed`` varies its units' figures)."""
    root, i, seed = job
    names = Names()
    ws, plan = _workspace(Path(root), commune_plan(names, i))
    _fill_forms(ws, plan, None, seed)
    return _consolidate(ws, plan)


def stock_province(root: Path, k: int, books: dict[int, str], names: Names):
    """Province ``k``'s workspace with its returns in inbox/: the communes' workbooks of
    ``books`` (commune -> path) and the departments' filled forms."""
    ws, plan = _workspace(root, province_plan(names, k))
    for i, book in sorted(books.items()):
        dest = ws.inbox / f"Tong-hop_{i + 1:03d}.xlsx"
        os.link(book, dest)
    _fill_forms(ws, plan, DEPARTMENTS, 10_000 + k)
    return ws, plan


def run_province(job: tuple[str, int, dict]) -> tuple[str, dict]:
    """Province ``k``'s cycle (setup for the ministry)."""
    root, k, books = job
    ws, plan = stock_province(Path(root), k, books, Names())
    return _consolidate(ws, plan)


# -- measuring -------------------------------------------------------------------------------
def _copy_workspace(src: Path, dest: Path) -> Path:
    """A fresh copy of a stocked workspace: plan and inbox/ (hard links), no ledger."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, copy_function=os.link,
                    ignore=lambda d, names: [n for n in names if n == ".bdg"])
    return dest


def measure(label: str, ws_root: Path, corrected: Path, returns: int, workers: int,
            repeats: int, want: dict) -> dict:
    """``repeats`` full consolidations on fresh copies (median), then the re-run after
    ``corrected`` (a unit's new version of its return) arrives; the checked figure
    compared with ``want``, the sum of the level below."""
    runs = []
    for r in range(repeats):
        copy_root = _copy_workspace(ws_root, ws_root.with_name(f"{ws_root.name}-run{r}"))
        full = run_child("consolidate", str(copy_root), str(workers))
        assert full["received"] == returns and full["statuses"] == {"accepted": returns}, full
        runs.append((full["seconds"], copy_root, full))
    runs.sort(key=lambda x: x[0])
    seconds, copy_root, full = runs[len(runs) // 2]
    dest = copy_root / "inbox" / f"{corrected.stem}-sua.xlsx"
    os.link(corrected, dest)
    os.utime(dest, (LATER, LATER))
    rerun = run_child("consolidate", str(copy_root), str(workers))
    assert rerun["files"] == 1 and rerun["received"] == returns, rerun
    got = _figure_of(copy_root)
    assert got == want, (label, got, want)
    peak = full["rss_self_mb"] + full["rss_workers_mb"]
    cpu = sorted(x[2]["cpu_seconds"] for x in runs)[len(runs) // 2]
    say(f"{label}: consolidate {returns} returns: {seconds:.2f} s (median of {repeats}: "
        f"{', '.join(f'{x[0]:.2f}' for x in runs)}) = {1000 * seconds / returns:.1f} "
        f"ms/return, CPU {cpu:.2f} s (median), peak {peak:.0f} MB; re-run after 1 "
        f"corrected return {rerun['seconds']:.2f} s (CPU {rerun['cpu_seconds']:.2f} s); "
        f"{NATIONAL} from {got['reported']} units: "
        f"{got['numerator']:g}/{got['denominator']:g}, the sum of the level below")
    for r in runs:
        shutil.rmtree(r[1])
    return {"seconds": seconds, "rerun": rerun["seconds"], "peak_mb": peak,
            "returns": returns, "cpu": cpu, "rerun_cpu": rerun["cpu_seconds"]}


def _figure_of(ws_root: Path) -> dict:
    """The checked figure of a consolidated workspace, read back from its ledger."""
    from bdg_excel.report.consolidate import consolidate
    from bdg_excel.workflow import Workspace, load

    ws = Workspace.open(ws_root)
    return _figure(consolidate(ws, load(ws), PERIOD))


def _sum(figures) -> dict:
    figures = [f for f in figures if f["denominator"]]
    return {"numerator": sum(f["numerator"] for f in figures),
            "denominator": sum(f["denominator"] for f in figures), "reported": len(figures)}


def main(out: Path, workers: int, repeats: int) -> int:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    names = Names()
    say(f"# bdg-excel hierarchy: {bench.machine()}; workers={workers}, {repeats} runs "
        f"each; names: {names.source}")

    # setup 1: the communes' own cycles, and commune 0's corrected one
    t0 = time.perf_counter()
    jobs = [(str(out / "xa" / f"{i:03d}"), i, i) for i in range(COMMUNES)]
    jobs.append((str(out / "xa" / "000-sua"), 0, 7777))
    with ProcessPoolExecutor(workers) as pool:
        done = list(pool.map(run_commune, jobs))
    books = {i: path for (_, i, _), (path, _) in zip(jobs[:-1], done)}
    figures = {i: fig for (_, i, _), (_, fig) in zip(jobs[:-1], done)}
    corrected_book, corrected_fig = done[-1]
    for p in [*books.values(), corrected_book]:
        os.utime(p, (ON_TIME, ON_TIME))
    say(f"setup: {len(jobs)} communes' cycles (10 units each) in "
        f"{time.perf_counter() - t0:.0f} s; a commune workbook is "
        f"{Path(books[0]).stat().st_size / 1024:.0f} KB")

    # the province: 100 commune workbooks + 20 department forms
    ws, plan = stock_province(out / "tinh", 0, books, names)
    want = _sum([corrected_fig] + [figures[i] for i in range(1, COMMUNES)])
    province = measure(f"province ({len(plan.units)} units: {COMMUNES} communes + "
                       f"{len(DEPARTMENTS)} departments)", ws.root, Path(corrected_book),
                       COMMUNES + len(DEPARTMENTS), workers, repeats, want)

    # setup 2: the 34 provinces' cycles (province k misses the communes i with
    # i % 35 == k + 1) and province 0's corrected one (it misses one more commune)
    t0 = time.perf_counter()
    pjobs = [(str(out / "tinh-bo" / f"{k:02d}"), k,
              {i: b for i, b in books.items() if i % (PROVINCES + 1) != k + 1})
             for k in range(PROVINCES)]
    pjobs.append((str(out / "tinh-bo" / "00-sua"), 0,
                  {i: b for i, b in pjobs[0][2].items() if i != COMMUNES - 1}))
    with ProcessPoolExecutor(workers) as pool:
        pdone = list(pool.map(run_province, pjobs))
    for path, _ in pdone:
        os.utime(path, (ON_TIME, ON_TIME))
    say(f"setup: {len(pjobs)} provinces' cycles in {time.perf_counter() - t0:.0f} s; a "
        f"province workbook is {Path(pdone[0][0]).stat().st_size / 1024:.0f} KB")

    mws, mplan = _workspace(out / "bo", ministry_plan(names))
    for k, (path, _) in enumerate(pdone[:-1]):
        os.link(path, mws.inbox / f"Tong-hop_tinh_{k + 1:02d}.xlsx")
    want = _sum([pdone[-1][1]] + [fig for _, fig in pdone[1:-1]])
    ministry = measure(f"ministry ({len(mplan.units)} provinces)", mws.root,
                       Path(pdone[-1][0]), PROVINCES, workers, repeats, want)

    say("")
    say("| level | returns | consolidate s (median) | CPU s | ms/return | re-run after 1 "
        "corrected return, s (CPU) | peak memory |")
    say("|---|---:|---:|---:|---:|---:|---:|")
    for label, m in (("province: 100 commune workbooks + 20 department forms", province),
                     ("ministry: 34 province workbooks", ministry)):
        say(f"| {label} | {m['returns']} | {m['seconds']:.2f} | {m['cpu']:.2f} | "
            f"{1000 * m['seconds'] / m['returns']:.1f} | {m['rerun']:.2f} "
            f"({m['rerun_cpu']:.2f}) | {m['peak_mb']:.0f} MB |")
    say("")
    say(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0
