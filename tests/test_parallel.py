"""Collecting with a process pool gives exactly what collecting in one process gives."""

from __future__ import annotations

import concurrent.futures
import shutil
from datetime import datetime

from bdg_excel.intake import collect as collect_mod
from bdg_excel.demo import simulate_returns
from bdg_excel.intake.ledger import Ledger
from bdg_excel.workflow import consolidate_workspace, generate, init_workspace, load

WHEN = datetime(2026, 11, 20, 9, 0)


def _ledger_rows(ws) -> dict:
    with Ledger(ws.ledger_path) as led:
        db = led.db
        files = [tuple(r) for r in db.execute(
            "SELECT id, sha256, original_name, size, plan_identity, unit_key, unit_name, "
            "period, form_version, status, duplicate_of FROM files ORDER BY id")]
        return {
            "files": files,
            "findings": [tuple(r) for r in db.execute(
                "SELECT * FROM findings ORDER BY file_id, rowid")],
            "vals": [tuple(r) for r in db.execute("SELECT * FROM vals ORDER BY file_id, code")],
            "tasks": [tuple(r) for r in db.execute("SELECT * FROM tasks ORDER BY file_id, code")],
        }


def test_parallel_and_sequential_collection_agree(tmp_path, monkeypatch):
    src = init_workspace(tmp_path / "src", "binh-lu")
    plan = load(src)
    forms = generate(src, plan, "2026")
    simulate_returns(src, plan, "2026", forms)
    returns = sorted(src.inbox.glob("*.xlsx"))
    assert len(returns) >= 4
    monkeypatch.setattr(collect_mod, "PARALLEL_THRESHOLD", 2)   # use the pool for a few files
    pools = []
    real_pool = concurrent.futures.ProcessPoolExecutor   # collect imports it when it needs it

    def counting_pool(*args, **kwargs):
        pools.append(args)
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", counting_pool)

    results = {}
    for workers in (1, 2):
        ws = init_workspace(tmp_path / f"w{workers}", "binh-lu")
        for p in returns:
            shutil.copy2(p, ws.inbox / p.name)
        res = consolidate_workspace(ws, load(ws), "2026", received_at=WHEN, workers=workers)
        c = res.consolidation
        results[workers] = (
            _ledger_rows(ws),
            [(f.name, f.status, f.unit, [(x.code, x.cell, x.message) for x in f.findings])
             for f in res.collected.files],
            [{k: v for k, v in row.items()} for row in c.tidy],
            [(r.target.code, r.value, r.numerator, r.denominator, r.assessment.code)
             for r in c.results],
        )
    assert len(pools) == 1          # the run with 2 workers used the pool
    assert results[1] == results[2]
