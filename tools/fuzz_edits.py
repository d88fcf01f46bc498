"""The edit fuzzer, long run: random sequences of realistic unit edits on a filled form,
optionally saved through LibreOffice, then `bdg-excel consolidate` — which must exit 0,
archive every input byte, and bring every filled value through exactly or name it in a
finding. The suite runs a bounded, derandomized share (tests/test_fuzz_edits.py).

    python tools/fuzz_edits.py --examples 500 [--libreoffice] [--seed N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=200)
    ap.add_argument("--libreoffice", action="store_true",
                    help="also save some cases through LibreOffice (.ods, .xls, .xlsx)")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args(argv)

    from hypothesis import HealthCheck, given, seed, settings, strategies as st

    import fuzz_edits as fz
    from test_fuzz_edits import UNIT, edits, run_case, values
    from bdg_excel.workflow import generate, init_workspace, load

    work = Path(tempfile.mkdtemp(prefix="fuzz-edits-"))
    ws = init_workspace(work / "ws", "binh-lu")
    plan = load(ws)
    form = next(f.path for f in generate(ws, plan, "2026") if f.unit == UNIT)
    base = (ws, plan, form)
    formats = [None, None, None] + (["ods", "xls", "xlsx"] if args.libreoffice else [])
    count = 0

    @settings(max_examples=args.examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(edits=edits, nums=values, fmt=st.sampled_from(formats),
           container=st.sampled_from(fz.CONTAINERS))
    def run(edits, nums, fmt, container):
        nonlocal count
        count += 1
        run_case(base, fz.Case(edits, convert=fmt, container=container), nums,
                 work / "lo-profile")

    if args.seed is not None:
        run = seed(args.seed)(run)
    run()
    print(f"{count} cases passed (work folder {work})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
