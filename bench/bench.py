"""Benchmark: generate, collect and consolidate at province / national scale.

Builds a synthetic plan with N reporting units (plus one that reports late), saves it as a
plan workbook in a fresh workspace, generates the forms, fills them as units would, and
then measures:

* ``generate``: forms per second with 1 worker and with ``--workers``;
* ``consolidate``: ``workflow.consolidate_workspace`` end to end on N returns (read,
  validate, record in the ledger, write the consolidated workbook), with peak memory;
* ``re-run``: the same after ONE late return arrives (only that file is parsed, the
  consolidated workbook is rewritten);
* ``feedback`` (with ``--fix-share S``): a share S of the returns has a number typed as
  words; the time spent writing their feedback, per return, and the same made with
  openpyxl (load + save, the way before) on a sample of 20;
* ``hand-written``: what a Python user would write by hand on the same files
  (``pandas.read_excel(engine="openpyxl", sheet_name=None)`` per file, ``concat``,
  ``to_excel``), on ``--hand-sample`` files and extrapolated linearly to N when smaller.

Other scenarios (``--scenario``):

* ``startup``: the wall-clock time of whole ``bdg-excel`` commands that do little
  (``--version``, ``--help``, ``status``, ``consolidate`` on a workspace with an empty
  ``inbox/``), each run ``--repeats`` times in a fresh process, median, against a bare
  ``python -c pass`` on the same machine, and the heavy libraries each command imports;
* ``hierarchy``: a province of 120 units (100 communes' consolidated workbooks and 20
  department forms) and a ministry rolling up 34 provinces' consolidated workbooks
  (``bench/hierarchy.py``).

Every measured phase runs in a fresh subprocess, so its peak memory (``ru_maxrss`` of the
process and, separately, of its process-pool workers) is its own. Setup (plan, filling)
is not measured. Run from the repository root::

    .venv/bin/python bench/bench.py --n 10000 --workers 2

Output (bench/out by default, gitignored) is wiped at the start of each run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

PERIOD = "2026"

# Kinds of responsible unit in each commune, with the indicators each reports (codes of
# the bundled Bình Lư plan: percent, ratio, rate, count and yes/no rows).
KINDS = [
    ("Phòng Văn hóa – Xã hội", ["1.1", "6.1", "6.3"]),
    ("Phòng Kinh tế", ["2.1", "2.3"]),
    ("Trạm Y tế", ["4.1", "4.2", "3.4"]),
    ("Trường Tiểu học", ["5.2", "5.1"]),
    ("Công an", ["3.1", "3.3"]),
    ("Hội Liên hiệp Phụ nữ", ["3.2", "6.4"]),
    ("Đoàn Thanh niên", ["6.2", "2.2"]),
    ("Trường Trung học cơ sở", ["5.3", "5.4"]),
    ("Văn phòng HĐND và UBND", ["6.1"]),
    ("Hội Nông dân", ["2.2", "4.3"]),
]
TASKS = [
    "Tổ chức tuyên truyền, phổ biến pháp luật về bình đẳng giới cho cán bộ, hội viên.",
    "Lồng ghép vấn đề bình đẳng giới trong xây dựng và thực hiện kế hoạch công tác năm.",
    "Thu thập, cập nhật số liệu thống kê giới của đơn vị, gửi về cơ quan thường trực.",
]


# -- the synthetic plan ------------------------------------------------------------------
def build_plan(n: int):
    """The Bình Lư plan's goals and indicators with ``n`` + 1 synthetic units."""
    from bdg_excel.plan import planbook
    from bdg_excel.plan.model import Unit

    plan = planbook.load_plan(planbook.example_path("binh-lu"))
    units = []
    for i in range(n + 1):
        kind, indicators = KINDS[i % len(KINDS)]
        commune = i // len(KINDS) + 1
        units.append(Unit(name=f"{kind} xã Số {commune}", indicators=list(indicators),
                          tasks=[TASKS[i % 3], TASKS[(i + 1) % 3]],
                          email=f"donvi{i}@example.vn"))
    plan.units = units
    plan.name = "bench"
    return plan


# -- filling forms as units would ----------------------------------------------------------
_CELL_RE = r'<c r="{ref}"( s="\d+")?/>'


def _cell_xml(ref: str, style: str, value) -> str:
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{style}><v>{value!r}</v></c>'
    return f'<c r="{ref}"{style} t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def fill_xml(form: Path, out: Path, cells: dict[str, object]) -> None:
    """Write the values into the form sheet's XML (blank cells -> number / inline string
    cells) and save the workbook as ``out``: what Excel would save, minus recalculation."""
    with zipfile.ZipFile(form) as zin:
        members = [(info, zin.read(info)) for info in zin.infolist()]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zout:
        for info, blob in members:
            if info.filename == "xl/worksheets/sheet1.xml":
                xml = blob.decode("utf-8")
                for ref, value in cells.items():
                    xml, count = re.subn(_CELL_RE.format(ref=ref),
                                         lambda m: _cell_xml(ref, m.group(1) or "", value),
                                         xml, count=1)
                    if count != 1:
                        raise RuntimeError(f"{form.name}: no blank cell {ref} to fill")
                blob = xml.encode("utf-8")
            zout.writestr(info, blob)


def unit_cells(form: Path, plan, seed: int, bad: bool = False) -> dict[str, object]:
    """Cell -> value a unit enters, found the way the reader finds rows (by code). With
    ``bad``, one number is typed as words ("chưa rõ"): the return needs fixes."""
    from bdg_excel.forms import layout
    from bdg_excel.demo import TASK_TEXTS, plausible_fill
    from bdg_excel.intake.returns import read_return

    rnd = random.Random(seed)
    data = read_return(form)
    cells: dict[str, object] = {}
    for code, row in data.targets.items():
        fill = plausible_fill(plan.target(code), rnd)
        for key in ("value", "numerator", "denominator", "source", "note"):
            value = getattr(fill, key)
            if value is not None and key in row.refs:
                cells[row.refs[key]] = value
    if bad:
        ref = next((row.refs["value"] for code, row in data.targets.items()
                    if "value" in row.refs and isinstance(cells.get(row.refs["value"]),
                                                          (int, float))), None)
        if ref:
            cells[ref] = "chưa rõ"
    for code, row in data.tasks.items():
        k = rnd.randrange(3)
        cells[row.refs["status"]] = layout.TASK_STATUSES[k]
        cells[row.refs["result"]] = TASK_TEXTS[k].format(n=rnd.randint(2, 8),
                                                         m=rnd.randint(40, 400))
    return cells


_FILL_PLAN = None


def _fill_init(plan) -> None:
    global _FILL_PLAN
    _FILL_PLAN = plan


def _fill_one(job: tuple[str, str, int, float, bool]) -> None:
    form, out, seed, mtime, bad = job
    fill_xml(Path(form), Path(out), unit_cells(Path(form), _FILL_PLAN, seed, bad))
    os.utime(out, (mtime, mtime))


def fill_all(plan, jobs, workers: int) -> None:
    with ProcessPoolExecutor(workers, initializer=_fill_init, initargs=(plan,)) as pool:
        list(pool.map(_fill_one, jobs, chunksize=64))


def check_fill(plan, form: Path, filled: Path, tmp: Path) -> None:
    """The XML-filled return must read back exactly as the same values filled with
    openpyxl (``demo.fill_form``, what the tests use)."""
    from bdg_excel.demo import Fill, fill_form
    from bdg_excel.intake.returns import read_return
    from bdg_excel.intake.validate import check_return

    got = check_return(read_return(filled), plan, period=PERIOD)
    fills = {v.code: Fill(v.value if v.answer is None else v.answer, v.numerator,
                          v.denominator, v.source, v.note) for v in got.values}
    # a computed result was left empty by the unit: leave it empty again
    for v in got.values:
        if any(f.code == "computed" and f.target == v.code for f in got.findings):
            fills[v.code].value = None
    tasks = {t["code"]: (t["status"], t["result"]) for t in got.tasks}
    ref = fill_form(form, tmp / "openpyxl.xlsx", fills, tasks)
    want = check_return(read_return(ref), plan, period=PERIOD)
    if [v.to_row() for v in got.values] != [v.to_row() for v in want.values] or \
            got.tasks != want.tasks or got.status != want.status or not got.recognised:
        raise RuntimeError(f"XML-filled return {filled.name} differs from the openpyxl one")


# -- measured phases (each in a subprocess) ------------------------------------------------
def _peak() -> dict:
    """Peak memory of this process and of its largest worker, and the CPU time (user +
    system) of both: steadier than wall-clock time on a shared machine."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"rss_self_mb": me.ru_maxrss / 1024, "rss_workers_mb": kids.ru_maxrss / 1024,
            "cpu_seconds": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime}


def child_generate(ws_root: str, workers: int, out_dir: str) -> dict:
    from bdg_excel.forms.generate import generate_forms
    from bdg_excel.workflow import Workspace, load

    ws = Workspace.open(ws_root)
    plan = load(ws)
    t0 = time.perf_counter()
    forms = generate_forms(plan, Path(out_dir), PERIOD, workers=workers)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "forms": len(forms), **_peak()}


def child_consolidate(ws_root: str, workers: int, how: str = "cli") -> dict:
    """``how``: "cli" as the command runs it; "web" as the web page runs it (a job thread
    of ``bdg-excel serve``, one worker, both workbooks written in this process)."""
    from bdg_excel.workflow import Workspace, consolidate_workspace, load

    from bdg_excel.intake import feedback

    ws = Workspace.open(ws_root)
    spent = {"seconds": 0.0, "calls": 0, "books": 0}
    write = feedback.write_feedback

    def timed(*a, **kw):
        t = time.perf_counter()
        paths = write(*a, **kw)
        spent["seconds"] += time.perf_counter() - t
        spent["calls"] += 1
        spent["books"] += sum(1 for p in paths if p.suffix == ".xlsx")
        return paths

    feedback.write_feedback = timed
    # The stages consolidation runs are imported when it runs them (start-up); they are
    # imported here, before the clock starts, so that the timed part is the same work as in
    # the earlier figures (which imported them with bdg_excel.workflow). Their import is
    # measured by --scenario startup.
    import bdg_excel.intake.collect  # noqa: F401
    import bdg_excel.report.consolidate  # noqa: F401
    import bdg_excel.report.workbook  # noqa: F401
    t0 = time.perf_counter()
    plan = load(ws)
    if how == "web":
        from bdg_excel.web.jobs import RUNNING, Jobs

        job = Jobs().start("bench", "consolidate", lambda progress: consolidate_workspace(
            ws, plan, PERIOD, workers=1, progress=progress))   # as web/app.py starts it
        while job.state == RUNNING:
            time.sleep(0.005)
        if job.error:
            raise RuntimeError(job.error)
        res = job.result
    else:
        res = consolidate_workspace(ws, plan, PERIOD, workers=workers)
    seconds = time.perf_counter() - t0
    # the same feedback made with openpyxl (load + save: the way before), on a sample
    books = [f for f in res.collected.files if f.status == "needs_fixes"][:20]
    t1 = time.perf_counter()
    for f in books:
        feedback._annotate_openpyxl(f.archive_path, feedback.to_send(f.findings),
                                    Path(ws_root) / "openpyxl-feedback.xlsx",
                                    feedback._ListInfo(f, ""))
    openpyxl_ms = 1000 * (time.perf_counter() - t1) / len(books) if books else None
    statuses: dict[str, int] = {}
    for f in res.collected.files:
        statuses[f.status] = statuses.get(f.status, 0) + 1
    comp = res.consolidation.completeness
    return {"seconds": seconds, "files": len(res.collected.files), "statuses": statuses,
            "received": comp.received, "expected": comp.expected,
            "feedback_seconds": spent["seconds"], "feedback_calls": spent["calls"],
            "feedback_books": spent["books"], "openpyxl_feedback_ms": openpyxl_ms,
            "report": str(res.path), **_peak()}


def child_hand(files_list: str, out: str) -> dict:
    """The approach a Python user would write by hand."""
    import pandas as pd

    files = Path(files_list).read_text(encoding="utf-8").split("\n")
    t0 = time.perf_counter()
    frames: dict[str, list] = {}
    for f in files:
        for sheet, df in pd.read_excel(f, engine="openpyxl", sheet_name=None).items():
            df.insert(0, "file", Path(f).name)
            frames.setdefault(sheet, []).append(df)
    with pd.ExcelWriter(out) as xw:
        for sheet, dfs in frames.items():
            pd.concat(dfs, ignore_index=True).to_excel(xw, sheet_name=sheet[:31], index=False)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "files": len(files), **_peak()}


def run_child(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", *args], check=True,
                          capture_output=True, text=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- orchestration -------------------------------------------------------------------------
def say(text: str) -> None:
    print(text, flush=True)


def machine() -> str:
    """nproc, CPU model, Python and the load average: the figures depend on them."""
    cpu = platform.processor() or platform.machine()
    try:
        info = dict(line.split(":", 1) for line in
                    Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
                    if ":" in line)
        info = {k.strip(): v.strip() for k, v in info.items()}
        cpu = (f"{info['model name']} (family {info.get('cpu family', '?')} model "
               f"{info.get('model', '?')}, {info.get('cpu MHz', '?')} MHz)")
    except (OSError, KeyError, ValueError):
        pass
    return (f"nproc={os.cpu_count()}, {cpu}, Python {platform.python_version()}, "
            f"{platform.system()}, load average {os.getloadavg()[0]:.2f}")


#: libraries a command that does little should not load (the guard test,
#: tests/test_startup.py, holds the same list)
HEAVY = ("pandas", "numpy", "openpyxl", "xlsxwriter", "python_calamine", "flask", "docx",
         "rich", "multiprocessing", "concurrent", "filelock", "smtplib", "imaplib", "ssl")


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _medians(commands: list[list[str]], repeats: int, env: dict, cwd: Path
             ) -> list[tuple[float, float]]:
    """The median wall-clock and CPU (user + system) time of each command, run in rounds
    (every command once per round), so that other work on the machine weighs on them
    alike; CPU time is the steadier figure on a shared machine."""
    wall: list[list[float]] = [[] for _ in commands]
    cpu: list[list[float]] = [[] for _ in commands]
    for _ in range(repeats):
        for i, cmd in enumerate(commands):
            c0, t0 = _cpu(), time.perf_counter()
            subprocess.run(cmd, check=True, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            wall[i].append(time.perf_counter() - t0)
            cpu[i].append(_cpu() - c0)
    return [(sorted(w)[len(w) // 2], sorted(c)[len(c) // 2]) for w, c in zip(wall, cpu)]


def _heavy_loaded(cmd: list[str], env: dict, cwd: Path) -> list[str]:
    """The heavy libraries the command imports, from ``-X importtime``."""
    proc = subprocess.run([sys.executable, "-X", "importtime", *cmd[1:]], env=env, cwd=cwd,
                          capture_output=True, text=True, check=True)
    found = set()
    for line in proc.stderr.splitlines():
        name = line.rpartition("|")[2].strip()
        if name.split(".")[0] in HEAVY:
            found.add(name.split(".")[0])
    return sorted(found)


def startup(out: Path, repeats: int) -> int:
    """Time commands that do little, each in a fresh process, against a bare Python."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    say(f"# bdg-excel start-up: {machine()}; {repeats} runs each, median")
    # as installed by pip: compiled modules (.pyc) are written once and then read
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["BDG_TODAY"] = "2026-11-20"
    script = Path(sys.executable).with_name("bdg-excel")
    cli = [sys.executable, str(script)] if script.exists() else \
        [sys.executable, "-c", "import sys; from bdg_excel.cli import entry; sys.exit(entry())"]
    from bdg_excel.workflow import init_workspace

    ws = init_workspace(out / "ws", "binh-lu").root     # bench/out sits in the repository
    commands = [("python -c pass", [sys.executable, "-c", "pass"]),
                ("--version", [*cli, "--version"]), ("--help", [*cli, "--help"]),
                ("status", [*cli, "status"]), ("consolidate (empty inbox/)", [*cli, "consolidate"])]
    for _, cmd in commands:           # warm the file cache, .pyc files and the plan cache
        subprocess.run(cmd, check=True, env=env, cwd=ws, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    medians = _medians([cmd for _, cmd in commands], repeats, env, ws)
    base_wall, base_cpu = medians[0]
    say("")
    say("| command | wall s (median) | × bare Python | CPU s (median) | × bare Python | "
        "heavy libraries loaded |")
    say("|---|---:|---:|---:|---:|---|")
    for (label, cmd), (wall, cpu) in zip(commands, medians):
        heavy = "" if cmd[1] == "-c" and cmd[2] == "pass" else \
            ", ".join(_heavy_loaded(cmd, env, ws)) or "none"
        say(f"| `{label}` | {wall:.3f} | {wall / base_wall:.1f} | {cpu:.3f} | "
            f"{cpu / base_cpu:.1f} | {heavy} |")
    say("")
    say(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="returns to consolidate (default 1000)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="worker processes for generate and collect (default: all cores)")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "out",
                    help="scratch directory, wiped first (default bench/out)")
    ap.add_argument("--hand-sample", type=int, default=200,
                    help="time the hand-written approach on this many files and extrapolate "
                         "linearly to N (default 200; 0 = all N). Its cost per file grows "
                         "with the number of files, so extrapolating understates it")
    ap.add_argument("--skip-gen1", action="store_true",
                    help="skip the 1-worker generation timing")
    ap.add_argument("--fix-share", type=float, default=0.0,
                    help="share of returns (0 to 1) with a number typed as words, which "
                         "need fixes and get feedback (default 0)")
    ap.add_argument("--scenario", choices=("returns", "startup", "hierarchy"),
                    default="returns", help="returns (default): generate, consolidate N "
                    "returns, re-run; startup: the start-up of every command; hierarchy: "
                    "a province of 120 units and a ministry of 34 provinces")
    ap.add_argument("--repeats", type=int, default=None,
                    help="runs of each measurement, median (startup: default 15; "
                         "hierarchy: default 3)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        fn = {"generate": child_generate, "consolidate": child_consolidate,
              "hand": child_hand}[kind]
        conv = [int(x) if x.isdigit() else x for x in rest]
        print(json.dumps(fn(*conv)))
        return 0

    if args.scenario == "startup":
        return startup(args.out.resolve(), args.repeats or 15)
    if args.scenario == "hierarchy":
        import hierarchy

        return hierarchy.main(args.out.resolve(), args.workers, args.repeats or 3)

    from bdg_excel.plan import planbook
    from bdg_excel.workflow import init_workspace

    n, workers, out = args.n, args.workers, args.out.resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    say(f"# bdg-excel benchmark: N={n}, workers={workers}, {machine()}")

    # setup: plan workbook in a fresh workspace
    t0 = time.perf_counter()
    ws = init_workspace(out / "ws")
    plan = build_plan(n)
    planbook.save_plan(plan, ws.templates / "bench.xlsx")
    loaded = planbook.load_plan(ws.templates / "bench.xlsx")
    assert loaded.fingerprint() == plan.fingerprint() or len(loaded.units) == len(plan.units)
    say(f"setup: plan with {len(plan.units)} units saved in {time.perf_counter() - t0:.1f} s")

    # generate (measured)
    gen = {}
    runs = ([1] if not args.skip_gen1 and workers != 1 else []) + [workers]
    for w in runs:
        d = ws.forms_folder(PERIOD) if w == workers else out / f"forms-w{w}"
        gen[w] = run_child("generate", str(ws.root), str(w), str(d))
        say(f"generate {gen[w]['forms']} forms, workers={w}: {gen[w]['seconds']:.1f} s = "
            f"{1000 * gen[w]['seconds'] / gen[w]['forms']:.2f} ms/form, peak "
            f"{gen[w]['rss_self_mb']:.0f} MB (+ workers {gen[w]['rss_workers_mb']:.0f} MB)")
        if w != workers:
            shutil.rmtree(d)

    # fill (setup, not measured)
    t0 = time.perf_counter()
    from bdg_excel.forms.generate import form_filenames

    names = form_filenames(plan, PERIOD)
    forms_dir = ws.forms_folder(PERIOD)
    returns_dir = out / "returns"
    returns_dir.mkdir()
    base = datetime(2026, 11, 20, 9).timestamp()
    share = min(1.0, max(0.0, args.fix_share))
    bad = set(random.Random(7).sample(range(n), round(share * n)))
    jobs = [(str(forms_dir / names[u.key]), str(returns_dir / names[u.key]), i,
             base + i, i in bad) for i, u in enumerate(plan.units)]
    fill_all(plan, jobs, workers)
    check_fill(plan, Path(jobs[2][0]), Path(jobs[2][1]), out)
    returns = [Path(j[1]) for j in jobs]
    late = returns.pop()            # the last unit reports after the full run
    say(f"setup: {n + 1} returns filled in {time.perf_counter() - t0:.1f} s "
        f"({sum(p.stat().st_size for p in returns) / len(returns) / 1024:.1f} KB each)")

    # consolidate: all N returns in inbox/, fresh ledger (measured)
    for p in returns:
        os.link(p, ws.inbox / p.name)
    full = run_child("consolidate", str(ws.root), str(workers))
    fixes = full["statuses"].get("needs_fixes", 0)   # a unit with yes/no rows only: none
    assert full["received"] == n and full["statuses"].get("accepted", 0) == n - fixes \
        and fixes <= len(bad) and (fixes > 0) == bool(bad), full
    say(f"consolidate {n} returns: {full['seconds']:.2f} s = "
        f"{1000 * full['seconds'] / n:.3f} ms/return, peak {full['rss_self_mb']:.0f} MB "
        f"(+ workers {full['rss_workers_mb']:.0f} MB); CPU {full['cpu_seconds']:.1f} s "
        f"(process and workers, from the process start)")
    if bad:
        per = 1000 * full["feedback_seconds"] / max(1, full["feedback_calls"])
        say(f"feedback for {fixes} returns needing fixes ({fixes / n:.0%}): "
            f"{full['feedback_seconds']:.2f} s = {per:.1f} ms/return "
            f"({full['feedback_books']} annotated workbooks); the same with openpyxl "
            f"load + save: {full['openpyxl_feedback_ms']:.0f} ms/return")

    # re-run after one late return (measured)
    os.link(late, ws.inbox / late.name)
    rerun = run_child("consolidate", str(ws.root), str(workers))
    assert rerun["files"] == 1 and rerun["received"] == n + 1, rerun
    say(f"re-run after 1 new return: {rerun['seconds']:.2f} s "
        f"(speed-up {full['seconds'] / rerun['seconds']:.1f}×), peak "
        f"{rerun['rss_self_mb']:.0f} MB; CPU {rerun['cpu_seconds']:.1f} s")
    web = run_child("consolidate", str(ws.root), str(workers), "web")
    assert web["files"] == 0 and web["received"] == n + 1, web
    say(f"re-run from the web page (a job thread of bdg-excel serve: one worker, both "
        f"workbooks written in the process): {web['seconds']:.2f} s, peak "
        f"{web['rss_self_mb']:.0f} MB")

    # the hand-written approach on the same files (measured)
    k = n if args.hand_sample <= 0 else min(n, args.hand_sample)
    step = max(1, n // k)
    sample = returns[::step][:k]
    listing = out / "hand-files.txt"
    listing.write_text("\n".join(str(p) for p in sample), encoding="utf-8")
    hand = run_child("hand", str(listing), str(out / "hand.xlsx"))
    hand_n = hand["seconds"] * n / len(sample)
    extrapolated = len(sample) < n
    say(f"hand-written (pandas + openpyxl) on {len(sample)} files: {hand['seconds']:.1f} s"
        + (f", extrapolated linearly to {n}: {hand_n:.0f} s" if extrapolated else "")
        + f"; peak {hand['rss_self_mb']:.0f} MB")

    peak = full["rss_self_mb"] + full["rss_workers_mb"]
    g = gen[workers]
    ratio = hand_n / full["seconds"]
    say("")
    say("| N | seconds | ms/return | vs hand-written | peak memory | generate ms/form "
        "(1 worker / {w}) | re-run speed-up |".format(w=workers))
    say("|---:|---:|---:|---:|---:|---:|---:|")
    g1 = f"{1000 * gen[1]['seconds'] / gen[1]['forms']:.2f} / " if 1 in gen and workers != 1 else ""
    say(f"| {n:,} | {full['seconds']:.1f} | {1000 * full['seconds'] / n:.2f} | "
        f"{ratio:.0f}×{' (extrapolated)' if extrapolated else ''} | "
        f"{peak:.0f} MB | {g1}{1000 * g['seconds'] / g['forms']:.2f} | "
        f"{full['seconds'] / rerun['seconds']:.0f}× |")
    say("")
    say(f"load average at the end: {os.getloadavg()[0]:.2f} (other work on the machine "
        "skews the figures)")
    say("peak memory = main process + largest worker (ru_maxrss); "
        f"hand-written: {len(sample)} of {n} files timed"
        + (", extrapolated linearly" if extrapolated else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
