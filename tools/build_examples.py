"""Build the bundled example plan workbooks.

Reads tests/data/plans/<name>.json (the contract's plan JSON, hand-checked) and writes
templates/<name>.xlsx, which bdg_excel/examples (a symlink to ../templates) ships.

    python tools/build_examples.py [NAME ...]     # default: every bundled example
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bdg_excel.plan.model import Plan  # noqa: E402
from bdg_excel.plan.planbook import EXAMPLES, load_plan, save_plan  # noqa: E402


def build(name: str) -> Path:
    source = ROOT / "tests" / "data" / "plans" / f"{name}.json"
    plan = Plan.from_json(json.loads(source.read_text(encoding="utf-8")), name=name)
    out = ROOT / "templates" / f"{name}.xlsx"
    save_plan(plan, out)
    if load_plan(out).to_json() != plan.to_json():
        raise SystemExit(f"{out}: the workbook does not read back as {source}")
    return out


def main(argv: list[str]) -> int:
    for name in argv or EXAMPLES:
        print(build(name).relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
