"""Reading a drafted report (.docx) back and checking it against the consolidated workbook:
every figure of section II as the workbook shows it, every late and missing unit named in
section I, every task's status in section III."""

from __future__ import annotations

from pathlib import Path

from cycle_helpers import sheet_rows, table

SUMMARY = "Tổng hợp"


def as_workbook_shows(v) -> str:
    """What the workbook's number format "#,##0.##" shows, in Vietnamese notation (written
    here independently of the code under test)."""
    text = f"{float(v):,.2f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def read_docx(path: Path) -> tuple[list[str], list[list[list[str]]]]:
    """(body paragraphs in order, tables as rows of cell texts)."""
    import docx

    d = docx.Document(str(path))
    paras = [p.text for p in d.paragraphs]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]
    return paras, tables


def section(paras: list[str], start: str, end: str | None) -> str:
    i = next(k for k, p in enumerate(paras) if p.startswith(start))
    j = next((k for k, p in enumerate(paras) if end and p.startswith(end) and k > i),
             len(paras))
    return "\n".join(paras[i:j])


def result_rows(tables) -> dict[str, dict[str, str]]:
    """Mã -> {header: text} of every results table of section II."""
    out = {}
    for t in tables:
        if not t or "Mã" not in t[0] or "Kết quả" not in t[0]:
            continue
        head = t[0]
        for row in t[1:]:
            out[row[head.index("Mã")]] = dict(zip(head, row))
    return out


def check_draft(docx: Path, workbook: Path, c) -> dict[str, int]:
    """Assert the draft agrees with the workbook; returns what was checked."""
    paras, tables = read_docx(docx)
    text = "\n".join(paras)
    checked = {"figures": 0, "units": 0, "tasks": 0}
    if c.plan.indicators:
        wb = table(workbook, SUMMARY)
        rows = result_rows(tables)
        assert set(rows) == set(wb), (sorted(rows), sorted(wb))
        for code, w in wb.items():
            d = rows[code]
            shown = w["Kết quả"]
            if isinstance(shown, (int, float)) and not isinstance(shown, bool):
                shown = as_workbook_shows(shown)
            elif shown in ("", None):
                shown = ""
            assert d["Kết quả"] == shown, (code, d["Kết quả"], shown)
            assert d["Đánh giá"] == w["Đánh giá"], (code, d["Đánh giá"], w["Đánh giá"])
            assert w["Mục tiêu kế hoạch"] in d["Mục tiêu"], (code, d["Mục tiêu"])
            checked["figures"] += 1
    situation = section(paras, "I.", "II.")
    for s in c.submissions:
        if s.timing in ("missing", "late"):
            assert s.unit.name in situation, (s.unit.name, s.timing)
            checked["units"] += 1
    # the figures of section I are the workbook's totals
    k = c.completeness
    assert str(k.expected) in situation and str(k.received) in situation
    tasks = section(paras, "III.", "IV.") + "\n" + "\n".join(
        "\t".join(r) for t in tables for r in t)
    for tr in c.tasks:
        assert tr.unit.name in tasks
        if tr.status:
            assert tr.status in tasks
        if tr.result:
            assert tr.result in tasks, tr.result
        checked["tasks"] += 1
    cells = "\n".join("\t".join(r) for t in tables for r in t)
    assert "Kính gửi" in text and "Nơi nhận" in text + cells
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text + cells
    # nothing internal in the draft either
    assert not any(s.unit.email and s.unit.email in text for s in c.submissions)
    return checked


def workbook_texts(path: Path, sheets) -> set[str]:
    return {str(v) for name in sheets for r in sheet_rows(path, name) for v in r}
