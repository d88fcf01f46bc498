"""Every kind of workbook the tool writes is a clean package: every XML part is
well-formed, [Content_Types].xml gives every part a content type, and every internal
relationship points at a part that exists. Excel refuses (or "repairs") a workbook that
breaks any of these, where LibreOffice and openpyxl read on.

The kinds: forms, forms made from the officer's template, the plan workbook, feedback
copies (of an Excel-written and of a LibreOffice-written return), the consolidated
workbook, the internal workbook beside it, and an annex filled by ``report --into``."""

from __future__ import annotations

import posixpath
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.parsers import expat

import pytest
import xlsxwriter

from bdg_excel.cli import main
from bdg_excel.demo import Fill, fill_form
from bdg_excel.forms import formtemplate, layout
from bdg_excel.workflow import consolidate_workspace, generate, init_workspace, load

CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"


def parse(data: bytes, name: str):
    """The part parsed by expat (no DTD allowed); returns (root tag, [(tag, attrs)])."""
    elements = []
    parser = expat.ParserCreate(namespace_separator="}")

    def start(tag, attrs):
        elements.append((tag, attrs))

    def refuse(*_):
        raise AssertionError(f"{name}: a DOCTYPE")
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = refuse
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise AssertionError(f"{name} is not well-formed XML: {exc}") from None
    return elements


def package_problems(path: Path) -> list[str]:
    problems = []
    with zipfile.ZipFile(path) as zf:
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
        if len(set(names)) != len(names):
            problems.append("a part is stored twice")
        parts = set(names)
        for name in names:
            if name.lower().endswith((".xml", ".rels", ".vml")):
                try:
                    parse(zf.read(name), name)
                except AssertionError as exc:
                    problems.append(str(exc))
        types = parse(zf.read("[Content_Types].xml"), "[Content_Types].xml")
        defaults = {a["Extension"].lower() for t, a in types if t.endswith("}Default")}
        overrides = {a["PartName"].lstrip("/") for t, a in types if t.endswith("}Override")}
        for name in parts - {"[Content_Types].xml"}:
            ext = name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
            # an XML part needs its own type (a worksheet is not "application/xml")
            if name not in overrides and (ext == "xml" or ext not in defaults):
                problems.append(f"{name}: no content type")
        for name in overrides - parts:
            problems.append(f"[Content_Types].xml names {name}, which is not in the package")
        for rels in (n for n in names if n.endswith(".rels")):
            folder = posixpath.dirname(posixpath.dirname(rels))   # xl/_rels/x.rels -> xl
            for tag, attrs in parse(zf.read(rels), rels):
                if not tag.endswith("}Relationship") or attrs.get("TargetMode") == "External":
                    continue
                target = attrs["Target"]
                part = target.lstrip("/") if target.startswith("/") else \
                    posixpath.normpath(posixpath.join(folder, target))
                if part not in parts:
                    problems.append(f"{rels}: {attrs.get('Id')} points at {part}, missing")
    return problems


def filled(plan, forms, unit, out: Path, bad: bool = False) -> Path:
    form = next(f.path for f in forms if f.unit == unit)
    rows = {t.code: Fill(value="Có" if t.measure == "yesno" else 12)
            for t in plan.unit_targets(plan.unit(unit))}
    if bad:
        code = next(t.code for t in plan.unit_targets(plan.unit(unit)) if t.measure != "yesno")
        rows[code] = Fill(value="mười hai")
    tasks = {layout.task_code(i): (layout.TASK_STATUSES[0], "Đã làm")
             for i in range(len(plan.unit(unit).tasks))}
    return fill_form(form, out, rows, tasks)


def annex(path: Path, codes: list[str]) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Phụ lục")
    ws.write(0, 0, "Phụ lục kết quả")
    for i, code in enumerate(codes):
        ws.write(i + 2, 0, code)
        ws.write(i + 2, 1, f"{{{{{code}.ket_qua}}}}")
        ws.write(i + 2, 2, f"{{{{{code}.danh_gia}}}}")
    ws.write(len(codes) + 3, 0, "{{don_vi_bao_cao}}")
    wb.close()
    return path


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """One cycle writing every kind of workbook: name -> paths."""
    tmp = tmp_path_factory.mktemp("outputs")
    ws = init_workspace(tmp / "ws", "binh-lu")
    plan = load(ws)
    forms = generate(ws, plan, "2026")
    units = [u.name for u in plan.units if plan.unit_targets(u)]
    out: dict[str, list[Path]] = {"plan": [ws.plan_path()],
                                  "form": [f.path for f in forms]}
    returns = [filled(plan, forms, units[0], ws.inbox / "a.xlsx", bad=True),
               filled(plan, forms, units[1], ws.inbox / "b.xlsx")]
    soffice = shutil.which("soffice")
    if soffice:   # a return saved by LibreOffice: its feedback copy is made from its XML
        (tmp / "lo").mkdir()
        src = filled(plan, forms, units[2], tmp / "lo" / "c.xlsx", bad=True)
        subprocess.run([soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                        "--convert-to", "xlsx", "--outdir", str(tmp / "lo-out"), str(src)],
                       check=True, capture_output=True, timeout=180)
        shutil.copyfile(tmp / "lo-out" / "c.xlsx", ws.inbox / "c.xlsx")
    res = consolidate_workspace(ws, plan, "2026", workers=1)
    out["consolidated"] = [res.path]
    out["internal"] = [p for p in ws.outbox.glob("Noi-bo*.xlsx")]
    out["feedback"] = [p for p in ws.feedback_dir.rglob("*.xlsx")]
    assert returns and out["internal"] and out["feedback"]
    # forms made from the officer's template
    tws = init_workspace(tmp / "ws-template", "binh-lu")
    formtemplate.write_template(tws.templates / formtemplate.TEMPLATE_NAME)
    out["template"] = [tws.templates / formtemplate.TEMPLATE_NAME]
    out["template form"] = [f.path for f in generate(tws, load(tws), "2026")]
    # an annex filled with the consolidated figures
    codes = [t.code for t in plan.unit_targets(plan.unit(units[1]))][:4]
    filled_annex = tmp / "phu-luc-da-dien.xlsx"
    assert main(["report", "-w", str(ws.root), "--period", "2026", "--into",
                 str(annex(tmp / "phu-luc.xlsx", codes)), "-o", str(filled_annex)]) == 0
    out["annex"] = [filled_annex]
    return out


@pytest.mark.parametrize("kind", ["plan", "form", "template", "template form", "feedback",
                                  "consolidated", "internal", "annex"])
def test_every_part_is_well_formed_typed_and_linked(outputs, kind):
    paths = outputs[kind]
    assert paths, kind
    for path in paths:
        assert package_problems(path) == [], path.name


def test_the_checker_sees_each_kind_of_damage(tmp_path):
    good = tmp_path / "good.xlsx"
    wb = xlsxwriter.Workbook(str(good))
    wb.add_worksheet().write(0, 0, 1)
    wb.close()
    assert package_problems(good) == []

    def damaged(name, change) -> Path:
        out = tmp_path / name
        with zipfile.ZipFile(good) as zi, zipfile.ZipFile(out, "w") as zo:
            for item in zi.infolist():
                data = change(item.filename, zi.read(item))
                if data is not None:
                    zo.writestr(item, data)
        return out

    broken = damaged("xml.xlsx", lambda n, d: d.replace(b"</sheetData>", b"")
                     if n == "xl/worksheets/sheet1.xml" else d)
    untyped = damaged("type.xlsx", lambda n, d: d.replace(b'PartName="/xl/styles.xml"',
                                                          b'PartName="/xl/nothing.xml"')
                      if n == "[Content_Types].xml" else d)
    dangling = damaged("rel.xlsx", lambda n, d: None if n == "xl/styles.xml" else d)
    assert any("not well-formed" in p for p in package_problems(broken))
    assert any("no content type" in p for p in package_problems(untyped))
    assert any("missing" in p for p in package_problems(dangling))
