"""Held-out cases for returns in containers (written before the code; scored at the end):
varied archives, folders and saved e-mails run end to end through consolidate, judged by
the tidy data (CONTRACT section 5) alone."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from bdg_excel.demo import Fill, fill_form
from bdg_excel.forms import layout
from bdg_excel.workflow import consolidate_workspace, export

WHEN = datetime(2026, 11, 20, 9, 0)


@pytest.fixture
def cycle(make_workspace):
    return make_workspace("tam-duong")


def filled(plan, forms, unit, out: Path, value) -> Path:
    form = next(f.path for f in forms if f.unit == unit)
    rows = {t.code: Fill(value=value) for t in plan.unit_targets(plan.unit(unit))}
    tasks = {layout.task_code(i): (layout.TASK_STATUSES[0], "Xong")
             for i in range(len(plan.unit(unit).tasks))}
    return fill_form(form, out, rows, tasks)


def units_with_figures(plan):
    return [u.name for u in plan.units if plan.unit_targets(u)]


def tidy(ws, plan, period):
    return list(csv.DictReader(io.StringIO(export(ws, plan, period, "csv"))))


def accepted_values(rows, unit):
    return {r["code"]: r["value"] for r in rows if r["unit"] == unit and r["status"] == "accepted"}


def test_heldout_zip_without_utf8_flag_nested_in_a_folder(cycle, tmp_path):
    ws, plan, period, forms = cycle
    a, b = units_with_figures(plan)[:2]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for unit, value in ((a, 3), (b, 4)):
            src = filled(plan, forms, unit, tmp_path / f"{value}.xlsx", value)
            name = f"Báo cáo {unit}.xlsx"
            # a Windows archiver: UTF-8 bytes, no UTF-8 flag (read back as cp437)
            info = zipfile.ZipInfo(name.encode("utf-8").decode("cp437"), (2026, 11, 19, 8, 0, 0))
            zf.writestr(info, src.read_bytes())
    folder = ws.inbox / "Thư đến" / "tuần 47"
    folder.mkdir(parents=True)
    (folder / "hai đơn vị.zip").write_bytes(buf.getvalue())
    os.utime(folder / "hai đơn vị.zip", (WHEN.timestamp(),) * 2)
    consolidate_workspace(ws, plan, period, workers=1, now=WHEN)
    rows = tidy(ws, plan, period)
    assert accepted_values(rows, a) and set(accepted_values(rows, a).values()) == {"3"}
    assert set(accepted_values(rows, b).values()) == {"4"}
    assert not any(p.is_file() for p in ws.inbox.rglob("*"))
    assert any(p.name == "hai đơn vị.zip" for p in ws.archive.rglob("*.zip"))


def test_heldout_zip_inside_zip_counts_once_when_dropped_twice(cycle, tmp_path):
    ws, plan, period, forms = cycle
    unit = units_with_figures(plan)[-1]
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(filled(plan, forms, unit, tmp_path / "f.xlsx", 7), "bieu/f.xlsx")
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("trong.zip", inner.getvalue())
    (ws.inbox / "goi.zip").write_bytes(outer.getvalue())
    consolidate_workspace(ws, plan, period, workers=1, now=WHEN)
    (ws.inbox / "goi (lần 2).zip").write_bytes(outer.getvalue())
    consolidate_workspace(ws, plan, period, workers=1, now=WHEN)
    rows = [r for r in tidy(ws, plan, period) if r["unit"] == unit]
    assert rows and all(r["status"] == "accepted" and r["value"] == "7" for r in rows)
    assert len({r["source_sha256"] for r in rows}) == 1


def test_heldout_eml_date_decides_lateness_and_rfc2231_name(cycle, tmp_path):
    ws, plan, period, forms = cycle
    unit = units_with_figures(plan)[0]
    src = filled(plan, forms, unit, tmp_path / "x.xlsx", 11)
    msg = EmailMessage()
    msg["From"] = "Đơn vị <donvi@example.vn>"
    msg["To"] = "vhxh@example.vn"
    msg["Subject"] = "Gửi báo cáo"
    msg["Date"] = "Tue, 10 Nov 2026 16:30:00 +0700"
    msg.set_content("Kính gửi phòng, đơn vị gửi báo cáo.")
    msg.add_attachment(src.read_bytes(), maintype="application", subtype="octet-stream",
                       filename=("utf-8", "", f"Báo cáo năm {unit}.xlsx"))
    (ws.inbox / "thư đã lưu.eml").write_bytes(bytes(msg))
    consolidate_workspace(ws, plan, period, workers=1, now=WHEN)
    rows = [r for r in tidy(ws, plan, period) if r["unit"] == unit]
    assert rows and all(r["status"] == "accepted" for r in rows)
    assert {r["received_at"][:10] for r in rows} == {"2026-11-10"}
