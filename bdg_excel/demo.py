"""The demo: one whole cycle on a bundled plan, with units simulated.

Also the library's "fill a form as a unit would" helper (openpyxl: the unit's Excel
modifies the workbook it received), used by the demo, the tests and the benchmark.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from .core import clock
from .core.errors import UsageError
from .core.workspace import Workspace
from .forms import layout
from .plan import targets as tg
from .plan.model import Plan, Target
from .workflow import (ConsolidateResult, consolidate_workspace, generate, init_workspace,
                       load, send_forms)

DEFAULT_DIR = "bdg-demo"


@dataclass
class Fill:
    """What a unit enters in one target row (None leaves a cell as it is)."""
    value: object = None
    numerator: object = None
    denominator: object = None
    source: str | None = None
    note: str | None = None


def fill_form(form: Path, out: Path, fills: dict[str, Fill], tasks: dict[str, tuple[str, str]]
              | None = None) -> Path:
    """Open a generated form with openpyxl, fill rows by code, save to ``out``.

    ``fills`` maps target-row codes to values; ``tasks`` maps task codes ("NV1") to
    (status, description). Rows are found by code, as the reader finds them.
    """
    import openpyxl

    wb = openpyxl.load_workbook(form)
    ws = wb[layout.FORM_SHEET]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    tasks = tasks or {}
    part = mapping = None
    for r, row in enumerate(rows):
        hb = layout.header_map(row, layout.PART_B)
        ha = None if hb else layout.header_map(row, layout.PART_A)
        if hb or ha:
            part, mapping = ("B", hb) if hb else ("A", ha)
            continue
        if mapping is None:
            continue
        code = row[mapping["code"]] if mapping["code"] < len(row) else None
        if not isinstance(code, str):
            continue
        if part == "A" and code in fills:
            f = fills[code]
            for key in ("value", "numerator", "denominator", "source", "note"):
                v = getattr(f, key)
                if v is not None and key in mapping:
                    ws.cell(row=r + 1, column=mapping[key] + 1, value=v)
        elif part == "B" and code in tasks:
            status, text = tasks[code]
            ws.cell(row=r + 1, column=mapping["status"] + 1, value=status)
            ws.cell(row=r + 1, column=mapping["result"] + 1, value=text)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def plausible_fill(t: Target, rnd: random.Random) -> Fill:
    """A value a unit might report for ``t``: near the target, sometimes beyond it."""
    if t.measure == "yesno":
        return Fill(value=rnd.choice([tg.YES, tg.YES, tg.NO]), source="Báo cáo của đơn vị")
    goal = t.value if t.value is not None else 50.0
    if t.measure == "percent":
        den = rnd.randint(40, 400)
        pct = min(100.0, max(0.0, goal + rnd.uniform(-15, 10)))
        num = round(den * pct / 100)
        return Fill(value=round(num * 100 / den, 1), numerator=num, denominator=den,
                    source="Số liệu thống kê của đơn vị")
    if t.measure in ("rate", "ratio"):
        factor = t.factor or 1.0
        den = rnd.randint(150, 900) if factor > 1 else rnd.randint(20, 60)
        target_ratio = goal * rnd.uniform(0.85, 1.1) / factor
        num = max(0, round(den * target_ratio)) if factor > 1 else round(den * target_ratio, 1)
        # leave the result empty: the tool computes it from numerator and denominator
        return Fill(numerator=num, denominator=den, source="Sổ theo dõi của đơn vị")
    return Fill(value=max(0, round(goal + rnd.randint(-2, 3))), source="Sổ theo dõi")


TASK_TEXTS = ("Đã tổ chức {n} buổi tuyên truyền, {m} lượt người tham gia.",
              "Đang triển khai; dự kiến hoàn thành trong quý IV.",
              "Chưa thực hiện do chưa bố trí được kinh phí; đề nghị hỗ trợ.")


def simulate_returns(ws: Workspace, plan: Plan, period: str, forms: list, *,
                     seed: int = 2026, now: datetime | None = None) -> dict[str, str]:
    """Fill the forms as units would and drop them into inbox/.

    One unit does not report, one types text into a number cell, one reports late (three
    days after the deadline). With ``now`` (when the demo runs) no file arrives after it:
    before the deadline the "late" unit is simply on time, and what the story says is what
    the files' times say. Returns unit name -> what was simulated.
    """
    rnd = random.Random(seed)
    deadline = plan.deadline(period) or datetime(int(period[:4]), 12, 31).date()
    story: dict[str, str] = {}
    reporting = [f for f in forms if f.n_targets or f.n_tasks]
    for i, form in enumerate(reporting):
        unit = plan.unit(form.unit)
        if len(reporting) > 2 and i == len(reporting) - 1:
            story[unit.name] = "chưa nộp"
            continue
        fills = {t.code: plausible_fill(t, rnd) for t in plan.unit_targets(unit)}
        if i == 1 and fills:
            code = next(iter(fills))
            fills[code] = Fill(value="chưa có", source="Chưa tổng hợp")
            story[unit.name] = f"ghi chữ vào ô số của chỉ tiêu {code} (cần sửa)"
        tasks = {}
        for j, _ in enumerate(unit.tasks):
            k = rnd.randrange(3)
            tasks[layout.task_code(j)] = (layout.TASK_STATUSES[k], TASK_TEXTS[k].format(
                n=rnd.randint(2, 8), m=rnd.randint(40, 400)))
        out = ws.inbox / form.path.name
        fill_form(form.path, out, fills, tasks)
        late = len(reporting) > 3 and i == len(reporting) - 2
        when = datetime.combine(deadline, datetime.min.time()) + (
            timedelta(days=3, hours=9) if late else -timedelta(days=rnd.randint(1, 12), hours=-10))
        if now is not None:
            when = min(when, now - timedelta(minutes=len(reporting) - i))
        os.utime(out, (when.timestamp(), when.timestamp()))
        days_late = (when.date() - deadline).days
        story.setdefault(unit.name, f"nộp trễ {days_late} ngày" if days_late > 0
                         else "nộp đúng hạn")
    return story


@dataclass
class DemoResult:
    workspace: Workspace
    period: str
    forms: list
    story: dict[str, str]
    result: ConsolidateResult
    mail: object = None           # the MailResult of sending the forms (drafts)


def run_demo(root: str | Path | None = None, example: str = "binh-lu",
             period: str | None = None, now: datetime | None = None) -> DemoResult:
    """``now``: when the demo runs (its default period, the collection's time)."""
    root = Path(root) if root else _fresh_dir(Path(DEFAULT_DIR))
    if root.exists() and any(root.iterdir()):
        raise UsageError(f"Thư mục {root} đã có dữ liệu: chọn một thư mục mới (hoặc trống) cho "
                         "bản chạy thử.")
    now = now or clock.now()
    ws = init_workspace(root, example, email=DEMO_OFFICE_EMAIL)
    plan = load(ws)
    period = period or plan.default_period(now.date())
    forms = generate(ws, plan, period, now=now)
    sent = send_forms(ws, plan, period, dry_run=True, now=now)   # the mail step, as drafts
    story = simulate_returns(ws, plan, period, forms, now=now)
    result = consolidate_workspace(ws, plan, period, workers=1, now=now)
    return DemoResult(ws, period, forms, story, result, sent)


DEMO_OFFICE_EMAIL = "dau-moi@bdg-demo.example"   # a reserved domain: nothing is ever sent


def _fresh_dir(base: Path) -> Path:
    candidate, n = base, 1
    while candidate.exists() and any(candidate.iterdir()):
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate
