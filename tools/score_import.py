"""Score the plan importer against hand-checked expectations (issue 13).

For every document of the corpus (tests/data/import/corpus/NAME.txt, or NAME.docx.md which
is built into a real Word document with automatic numbering and tables by
tests/docx_writer.py) the expectation NAME.expected.json was written by reading the
document, never by running the importer. The three real plans (tests/data/import/ke-hoach-*
.txt) are scored against the hand-checked plan JSONs in tests/data/plans/, both as text
and as Word documents.

Parts, each in [0, 1], per document:

- ``targets``   F1 over target rows (code, op, value, max, unit of measure);
- ``goals``     F1 over goals (number, title);
- ``units``     recall of the responsible units (names compared in canonical form);
- ``assign``    F1 over assignments (unit, indicator code);
- ``deadlines`` recall of the deadlines: each units' report (kind, due) and the due date of
  the office's own report upward; 0 when the plan states none and the importer invents one;
- ``national``  share of the expected target rows whose national code (CONTRACT section 2,
  ``null`` for a local indicator) the importer linked right;
- ``details``   share right of: plan number, plan date, upward recipient, upward deadline,
  and "no deadline invented" (the reports found are exactly the expected ones).

Formats: each document as written (.txt, or .docx built from .docx.md); ``--docx-too``
also builds every .txt as a Word document; ``--pdf`` also prints every Word document to
PDF with LibreOffice (one call for all) and scores the PDF; ``--doc`` also saves them as
.doc (Word 97-2003). The plans listed in corpus/HELD_OUT.md are left out unless
``--held-out`` (only them) is given.

    python tools/score_import.py [--min 0.95] [--docx-too] [--pdf] [--doc] [--held-out] [NAME ...]

Prints one line per document and exits 1 when any part of any document is below --min.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bdg_excel.core import vn  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "import" / "corpus"
REAL = {"ke-hoach-binh-lu-2026-2030.txt": "binh-lu",
        "ke-hoach-tam-duong-2021-2025.txt": "tam-duong",
        "ke-hoach-vp-ubnd-lai-chau-2026.txt": "lai-chau-vp"}
PARTS = ("targets", "goals", "units", "assign", "deadlines", "national", "details")


def expected_from_plan_json(data: dict) -> dict:
    """The expectation format from a hand-checked plan JSON (CONTRACT section 3)."""
    return {
        "number": data.get("number"), "date": data.get("date"),
        "goals": {str(g["number"]): g["title"] for g in data.get("goals", [])},
        "targets": {t["code"]: [t["op"], t["value"], t["max"], t["unit"]]
                    for i in data.get("indicators", []) for t in i["targets"]},
        "national": {t["code"]: t.get("national")
                     for i in data.get("indicators", []) for t in i["targets"]},
        "units": {u["name"]: list(u["indicators"]) for u in data.get("units", [])},
        "reports": [[r["kind"], r["due"]] for r in data.get("reports", [])],
        "upward": data.get("upward"),
    }


def _num(x):
    return None if x is None else round(float(x), 6)


def _canon(s):
    return vn.canonical(s) if s else s


def _f1(got: set, want: set) -> float:
    if not got and not want:
        return 1.0
    tp = len(got & want)
    if tp == 0:
        return 0.0
    p, r = tp / len(got), tp / len(want)
    return 2 * p * r / (p + r)


def _recall(got: set, want: set) -> float:
    if not want:
        return 1.0 if not got else 0.0
    return len(got & want) / len(want)


def score(plan: dict, expected: dict) -> dict:
    """The parts (PARTS) for one imported plan JSON against its expectation."""
    got_t = {(t["code"], t["op"], _num(t["value"]), _num(t["max"]), t["unit"])
             for i in plan["indicators"] for t in i["targets"]}
    want_t = {(code, op, _num(v), _num(mx), unit)
              for code, (op, v, mx, unit) in expected["targets"].items()}
    got_g = {(g["number"], _canon(g["title"])) for g in plan["goals"]}
    want_g = {(int(n), _canon(t)) for n, t in expected["goals"].items()}
    got_u = {_canon(u["name"]) for u in plan["units"]}
    want_u = {_canon(n) for n in expected["units"]}
    got_a = {(_canon(u["name"]), c) for u in plan["units"] for c in u["indicators"]}
    want_a = {(_canon(n), c) for n, codes in expected["units"].items() for c in codes}
    up, want_up = plan.get("upward") or {}, expected.get("upward") or {}
    got_d = {(r["kind"], r["due"]) for r in plan["reports"]}
    want_d = {tuple(r) for r in expected["reports"]}
    if up.get("due"):
        got_d.add(("upward", up["due"]))
    if want_up.get("due"):
        want_d.add(("upward", want_up["due"]))
    reports_exact = {(r["kind"], r["due"]) for r in plan["reports"]} == \
        {tuple(r) for r in expected["reports"]}
    details = [plan.get("number") == expected.get("number"),
               plan.get("date") == expected.get("date"),
               _canon(up.get("to")) == _canon(want_up.get("to")),
               up.get("due") == want_up.get("due"),
               reports_exact]
    return {"targets": _f1(got_t, want_t), "goals": _f1(got_g, want_g),
            "units": _recall(got_u, want_u), "assign": _f1(got_a, want_a),
            "deadlines": _recall(got_d, want_d),
            "national": _national(plan, expected.get("national", {})),
            "details": sum(details) / len(details)}


def _national(plan: dict, want: dict) -> float:
    got = {t["code"]: t.get("national") for i in plan["indicators"] for t in i["targets"]}
    if not want:
        return 1.0
    return sum(code in got and got[code] == nat for code, nat in want.items()) / len(want)


def held_out() -> set[str]:
    """Stems of the held-out plans (corpus/HELD_OUT.md)."""
    path = CORPUS / "HELD_OUT.md"
    if not path.exists():
        return set()
    return {line[2:].split(".")[0] for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith("- ")}


def documents(docx_too: bool = False, held: bool | None = False):
    """(name, path or None, source text or None, expectation) for every scored document;
    a Word document is built from its source text when it is scored. ``held``: False
    leaves the held-out plans out, True gives only them, None gives all."""
    out = held_out()
    for exp in sorted(CORPUS.glob("*.expected.json")):
        stem = exp.name[: -len(".expected.json")]
        if held is not None and (stem in out) != held:
            continue
        expected = json.loads(exp.read_text(encoding="utf-8"))
        txt, src = CORPUS / f"{stem}.txt", CORPUS / f"{stem}.docx.md"
        if txt.exists():
            yield f"{stem}.txt", txt, None, expected
            if docx_too:
                yield f"{stem}.docx", None, txt.read_text(encoding="utf-8"), expected
        if src.exists():
            yield f"{stem}.docx", None, src.read_text(encoding="utf-8"), expected
    if held:
        return
    for doc, ref in REAL.items():
        data = json.loads((ROOT / "tests" / "data" / "plans" / f"{ref}.json")
                          .read_text(encoding="utf-8"))
        path = ROOT / "tests" / "data" / "import" / doc
        yield doc, path, None, expected_from_plan_json(data)
        yield doc.replace(".txt", ".docx"), None, path.read_text(encoding="utf-8"), \
            expected_from_plan_json(data)


def convert(paths: list[Path], fmt: str, outdir: Path) -> dict[Path, Path]:
    """Word documents printed to PDF (``fmt`` "pdf") or saved as .doc by LibreOffice, in
    one call; {source: converted file}. Empty when LibreOffice is not installed."""
    import shutil
    import subprocess

    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None or not paths:
        return {}
    filt = "pdf:writer_pdf_Export" if fmt == "pdf" else "doc:MS Word 97"
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run([exe, f"-env:UserInstallation=file://{outdir}/profile", "--headless",
                    "--convert-to", filt, "--outdir", str(outdir), *map(str, paths)],
                   capture_output=True, timeout=600, check=False)
    done = {p: outdir / f"{p.stem}.{fmt}" for p in paths}
    return {p: q for p, q in done.items() if q.is_file()}


def build(docs, tmp: Path, formats=("pdf",)) -> list[tuple[str, Path, dict]]:
    """(name, path, expectation) of every document as written, and as each of
    ``formats`` ("pdf", "doc") made from its Word version."""
    from docx_writer import write_docx

    docs = list(docs)
    out: list[tuple[str, Path, dict]] = []
    words: dict[str, tuple[Path, dict]] = {}
    for name, path, source, expected in docs:
        if path is None:
            path = tmp / name
            write_docx(source, path)
        out.append((name, path, expected))
        if path.suffix == ".docx":
            words[Path(name).stem] = (path, expected)
    for fmt in formats:
        conv = convert([p for p, _ in words.values()], fmt, tmp / fmt)
        for stem, (path, expected) in words.items():
            if path in conv:
                out.append((f"{stem}.{fmt}", conv[path], expected))
    return out


def run(names=(), docx_too: bool = False, formats=(), held: bool | None = False
        ) -> list[tuple[str, dict, list]]:
    from bdg_excel.plan.importer import import_plan

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        docs = [d for d in documents(docx_too or bool(formats), held)
                if not names or any(n in d[0] for n in names)]
        for name, path, expected in build(docs, Path(tmp), formats):
            result = import_plan(path)
            out.append((name, score(result.plan.to_json(), expected), result.unparsed))
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*")
    ap.add_argument("--min", type=float, default=0.95)
    ap.add_argument("--docx-too", action="store_true",
                    help="also score every .txt document built as a Word document")
    ap.add_argument("--pdf", action="store_true", help="also score every document as a PDF")
    ap.add_argument("--doc", action="store_true", help="also score every document as a .doc")
    ap.add_argument("--held-out", action="store_true", help="score only the held-out plans")
    args = ap.parse_args(argv)
    formats = tuple(f for f in ("pdf", "doc") if getattr(args, f))
    rows = run(args.names, args.docx_too, formats, held=args.held_out)
    width = max(len(n) for n, _, _ in rows)
    print(f"{'document':<{width}}  " + "  ".join(f"{p:>9}" for p in PARTS))
    failed = 0
    for name, s, _ in rows:
        low = any(s[p] < args.min for p in PARTS)
        failed += low
        print(f"{name:<{width}}  " + "  ".join(f"{s[p]:9.3f}" for p in PARTS)
              + ("   <" if low else ""))
    means = {p: sum(s[p] for _, s, _ in rows) / len(rows) for p in PARTS}
    print(f"{'mean':<{width}}  " + "  ".join(f"{means[p]:9.3f}" for p in PARTS))
    print(f"{len(rows) - failed}/{len(rows)} documents at or above {args.min} on every part")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
