"""Returns as they really arrive: folders inside inbox/, .zip archives (nested, names
without the UTF-8 flag, every hostile variant), saved e-mails, files still being copied
in; each through collect / consolidate, judged by the ledger, the archive and the
findings the officer reads."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from bdg_excel.cli import main
from bdg_excel.demo import Fill, fill_form
from bdg_excel.forms import layout
from bdg_excel.intake import containers, filing
from bdg_excel.intake.collect import collect
from bdg_excel.intake.ledger import Ledger

VHXH = "Phòng Văn hóa – Xã hội"
TTDV = "Trung tâm Dịch vụ tổng hợp"
NOW = datetime(2026, 11, 20, 9, 0)
LONG_AGO = datetime(2026, 11, 19, 8, 0).timestamp()


@pytest.fixture
def binhlu(make_workspace):
    return make_workspace("binh-lu")


def fill(plan, forms, unit, out: Path, value=10) -> Path:
    form = next(f.path for f in forms if f.unit == unit)
    rows = {t.code: Fill(value="Có" if t.measure == "yesno" else value)
            for t in plan.unit_targets(plan.unit(unit))}
    tasks = {layout.task_code(i): (layout.TASK_STATUSES[0], "Đã làm")
             for i in range(len(plan.unit(unit).tasks))}
    out.parent.mkdir(parents=True, exist_ok=True)
    return fill_form(form, out, rows, tasks)


def old(path: Path, when: float = LONG_AGO) -> Path:
    os.utime(path, (when, when))
    return path


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def archived(ws) -> set[str]:
    return {sha(p.read_bytes()) for p in ws.archive.rglob("*") if p.is_file()}


def run(ws, plan, period):
    return collect(ws, plan, period=period, workers=1, now=NOW)


def records(ws):
    with Ledger(ws.ledger_path) as led:
        return {r.original_name: r for r in led.files()}


def values(ws, name):
    with Ledger(ws.ledger_path) as led:
        rec = next(r for r in led.files() if r.original_name == name)
        return {code: t[0] for code, t in led.value_tuples_of([rec.id], ("value",))[rec.id].items()
                if t[0] is not None}


def zip_of(members: dict[str, bytes], *, utf8_flag=True, method=zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of ``members``; ``utf8_flag=False``: the names' UTF-8 bytes without the flag
    that says so (as Windows' own archiver and older tools write them)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, (2026, 11, 19, 8, 0, 0)), data)
    data = bytearray(buf.getvalue())
    if not utf8_flag:
        for sig, at in ((b"PK\x03\x04", 7), (b"PK\x01\x02", 9)):   # high byte of the flags
            i = data.find(sig)
            while i >= 0:
                data[i + at] &= ~0x08 & 0xFF
                i = data.find(sig, i + 4)
    return bytes(data)


# -- folders -----------------------------------------------------------------------------
def test_folders_at_any_depth_are_read_and_keep_their_path(binhlu):
    ws, plan, period, forms = binhlu
    a = old(fill(plan, forms, VHXH, ws.inbox / "Văn hóa" / "báo cáo.xlsx", 21))
    b = old(fill(plan, forms, TTDV, ws.inbox / "Khối dịch vụ" / "2026" / "tháng 11" /
                 "báo cáo.xlsx", 22))
    before = {sha(a.read_bytes()), sha(b.read_bytes())}
    res = run(ws, plan, period)
    got = {cf.name: cf for cf in res.files}
    assert got["Văn hóa/báo cáo.xlsx"].status == "accepted"
    deep = got["Khối dịch vụ/2026/tháng 11/báo cáo.xlsx"]
    assert (deep.status, deep.unit) == ("accepted", TTDV)
    assert deep.archive_path.relative_to(ws.archive).parts[1:] == (
        "Khối dịch vụ", "2026", "tháng 11", "báo cáo.xlsx")
    assert set(values(ws, "Văn hóa/báo cáo.xlsx").values()) == {21.0}
    assert before <= archived(ws)
    assert not any(ws.inbox.iterdir())     # the folders, emptied, are gone


def test_a_finding_and_the_feedback_name_the_folder(binhlu):
    ws, plan, period, forms = binhlu
    codes = [t.code for t in plan.unit_targets(plan.unit(TTDV)) if t.measure != "yesno"]
    form = next(f.path for f in forms if f.unit == TTDV)
    bad = ws.inbox / "Trung tâm" / "bc.xlsx"
    bad.parent.mkdir()
    fill_form(form, bad, {codes[0]: Fill(value="mười")})
    old(bad)
    res = run(ws, plan, period)
    (cf,) = res.files
    assert cf.name == "Trung tâm/bc.xlsx" and cf.status == "needs_fixes"
    assert cf.feedback
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(str(cf.feedback[0]))
    text = " ".join(str(v) for name in wb.sheet_names
                    for row in wb.get_sheet_by_name(name).to_python() for v in row)
    assert "Trung tâm/bc.xlsx" in text


def test_a_folder_of_links_reads_nothing_through_them_and_names_each(binhlu, tmp_path):
    ws, plan, period, forms = binhlu
    outside = fill(plan, forms, VHXH, tmp_path / "ngoai.xlsx")
    secret = tmp_path / "secret.txt"
    secret.write_text("mật")
    links = ws.inbox / "lien-ket"
    links.mkdir()
    (links / "a.xlsx").symlink_to(outside)
    (links / "thu-muc").symlink_to(tmp_path, target_is_directory=True)
    (links / "b.xlsx").symlink_to(secret)
    res = run(ws, plan, period)
    assert not res.files
    assert sorted(f.file for f in res.skipped if f.code == "symlink") == [
        "lien-ket/a.xlsx", "lien-ket/b.xlsx", "lien-ket/thu-muc"]
    assert outside.exists() and secret.exists() and (links / "a.xlsx").is_symlink()


# -- zip archives --------------------------------------------------------------------------
@pytest.mark.parametrize("utf8_flag", [True, False])
def test_a_zip_of_two_units_forms_brings_both_and_is_archived_whole(binhlu, tmp_path,
                                                                     utf8_flag):
    ws, plan, period, forms = binhlu
    data = zip_of({"Báo cáo/Văn hóa – Xã hội.xlsx":
                   fill(plan, forms, VHXH, tmp_path / "a.xlsx", 31).read_bytes(),
                   "Báo cáo/Trung tâm Dịch vụ.xlsx":
                   fill(plan, forms, TTDV, tmp_path / "b.xlsx", 32).read_bytes()},
                  utf8_flag=utf8_flag)
    old_zip = ws.inbox / "hai đơn vị.zip"
    old(old_zip) if old_zip.write_bytes(data) else None
    res = run(ws, plan, period)
    got = {cf.name: cf for cf in res.files}
    box = got["hai đơn vị.zip"]
    assert box.status == "container" and box.archive_path.read_bytes() == data
    a = got["hai đơn vị.zip/Báo cáo/Văn hóa – Xã hội.xlsx"]
    b = got["hai đơn vị.zip/Báo cáo/Trung tâm Dịch vụ.xlsx"]
    assert (a.unit, a.status, b.unit, b.status) == (VHXH, "accepted", TTDV, "accepted")
    recs = records(ws)
    assert recs[a.name].container_id == recs[box.name].id == recs[b.name].container_id
    assert set(values(ws, b.name).values()) == {32.0}
    assert a.archive_path.is_file() and a.archive_path.parent.parent.name == "hai đơn vị.zip_giai-nen"
    assert not any(ws.inbox.iterdir())


def test_member_names_of_a_windows_archiver_in_cp1258_are_read_as_vietnamese():
    raw = "Báo cáo Văn hóa.xlsx".encode("cp1258")
    info = zipfile.ZipInfo(raw.decode("cp437"))
    assert containers.member_name(info) == "Báo cáo Văn hóa.xlsx"
    info = zipfile.ZipInfo("Báo cáo Trạm y tế.xlsx".encode("utf-8").decode("cp437"))
    assert containers.member_name(info) == "Báo cáo Trạm y tế.xlsx"
    # the misreading stored again with the UTF-8 flag (a tool that trusted cp437)
    info.flag_bits |= 0x800
    assert containers.member_name(info) == "Báo cáo Trạm y tế.xlsx"
    # a real name with the flag is left alone, whatever cp437 makes of it
    for real in ("Báo cáo.xlsx", "Ánh sáng – Đèn.xlsx", "ñandú.xlsx", "plain.xlsx"):
        info = zipfile.ZipInfo(real)
        info.flag_bits |= 0x800
        assert containers.member_name(info) == real


def test_the_same_zip_dropped_again_counts_once(binhlu, tmp_path):
    ws, plan, period, forms = binhlu
    data = zip_of({"a.xlsx": fill(plan, forms, VHXH, tmp_path / "a.xlsx", 5).read_bytes()})
    (ws.inbox / "goi.zip").write_bytes(data)
    (ws.inbox / "goi - Copy.zip").write_bytes(data)
    run(ws, plan, period)
    (ws.inbox / "goi (gửi lại).zip").write_bytes(data)
    res = run(ws, plan, period)
    assert [(cf.name, cf.status) for cf in res.files] == [("goi (gửi lại).zip", "duplicate")]
    recs = records(ws)
    assert recs["goi - Copy.zip"].status == "duplicate"
    members = [r for r in recs.values() if r.container_id]
    assert [(r.original_name, r.status) for r in members] == [("goi.zip/a.xlsx", "accepted")]
    assert sum(1 for p in ws.archive.rglob("*.zip")) == 3   # every copy kept whole


def test_a_zip_inside_a_zip_is_opened_and_a_too_deep_one_is_named(binhlu, tmp_path):
    ws, plan, period, forms = binhlu
    form = fill(plan, forms, VHXH, tmp_path / "a.xlsx", 8).read_bytes()
    inner = zip_of({"a.xlsx": form})
    (ws.inbox / "ngoai.zip").write_bytes(zip_of({"trong.zip": inner}))
    deep = zip_of({"3.zip": zip_of({"4.zip": zip_of({"b.xlsx": form})})})
    (ws.inbox / "sau.zip").write_bytes(zip_of({"2.zip": deep}))
    res = run(ws, plan, period)
    got = {cf.name: cf for cf in res.files}
    assert got["ngoai.zip/trong.zip/a.xlsx"].status == "accepted"
    assert "container_too_deep" in {f.code for f in got["sau.zip"].findings}
    assert not any(n.endswith("b.xlsx") for n in got)


def hostile_zip(tmp_path, form: bytes) -> bytes:
    """An archive of hostile members beside one good form: traversal, absolute and drive
    names, a link, an encrypted member, a bomb, a member larger than a workbook may be."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("tot.xlsx", form)
        zf.writestr("../../ngoai.xlsx", form)
        zf.writestr("/etc/tuyet-doi.xlsx", form)
        zf.writestr("C:/Windows/o-dia.xlsx", form)
        link = zipfile.ZipInfo("lien-ket.xlsx")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("bom.xlsx", b"\0" * (30 * 1024 * 1024))
        zf.writestr("bieu-mau.docx", b"not a workbook")
    data = bytearray(buf.getvalue())
    return bytes(data)


def encrypted_member_zip(form: bytes) -> bytes:
    """A zip whose one member has the encryption flag set (as a password-protected archive
    writes it)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("khoa.xlsx", form)
    data = bytearray(buf.getvalue())
    # general purpose flag of the local header (offset 6) and the central directory entry
    data[6] |= 1
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 1
    return bytes(data)


def test_every_containment_rule_holds_inside_an_archive(binhlu, tmp_path):
    ws, plan, period, forms = binhlu
    form = fill(plan, forms, VHXH, tmp_path / "a.xlsx", 9).read_bytes()
    data = hostile_zip(tmp_path, form)
    (ws.inbox / "doc-hai.zip").write_bytes(data)
    (ws.inbox / "khoa.zip").write_bytes(encrypted_member_zip(form))
    many = zip_of({f"{i}.xlsx": b"x" for i in range(containers.MAX_MEMBERS + 1)})
    (ws.inbox / "nhieu.zip").write_bytes(many)
    res = run(ws, plan, period)
    got = {cf.name: cf for cf in res.files}
    codes = [f.code for f in got["doc-hai.zip"].findings]
    assert codes.count("member_unsafe_name") == 3
    assert "member_link" in codes and "member_zip_bomb" in codes or "member_too_large" in codes
    assert got["doc-hai.zip/tot.xlsx"].status == "accepted"
    assert not (ws.root.parent / "ngoai.xlsx").exists() and not Path("/etc/tuyet-doi.xlsx").exists()
    assert not any(n.endswith(("ngoai.xlsx", "lien-ket.xlsx", "bom.xlsx")) for n in got)
    assert "member_encrypted" in {f.code for f in got["khoa.zip"].findings}
    assert got["khoa.zip"].status == "rejected"        # nothing could be read from it
    assert got["nhieu.zip"].status == "rejected"
    assert "container_too_many" in {f.code for f in got["nhieu.zip"].findings}
    # every archive is kept whole, nothing unpacked is left behind
    assert {sha(data), sha(many)} <= archived(ws)
    assert not (ws.state_dir / "unpack").exists()
    assert not any(ws.inbox.iterdir())


@pytest.mark.parametrize("kind,magic", [("rar", b"Rar!\x1a\x07\x01\x00"),
                                        ("rar", b"Rar!\x1a\x07\x00")])
def test_rar_is_kept_and_named_with_what_to_do(binhlu, kind, magic):
    ws, plan, period, forms = binhlu
    (ws.inbox / f"goi.{kind}").write_bytes(magic + b"\0" * 100)
    res = run(ws, plan, period)
    (cf,) = res.files
    assert cf.status == "rejected"
    (f,) = cf.findings
    assert f.code == "archive_not_read" and "Giải nén" in f.message and ".zip" in f.message
    assert cf.archive_path.read_bytes().startswith(magic)


# -- saved e-mails -------------------------------------------------------------------------
def eml(attachments: dict[str, bytes], *, date="Tue, 10 Nov 2026 16:30:00 +0700",
        sender="tram.yte@binhlu.example") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Trạm Y tế <{sender}>"
    msg["To"] = "vhxh@binhlu.example"
    msg["Subject"] = "Báo cáo bình đẳng giới năm 2026"
    msg["Date"] = date
    msg.set_content("Kính gửi Phòng Văn hóa – Xã hội, đơn vị gửi báo cáo.")
    for name, data in attachments.items():
        msg.add_attachment(data, maintype="application", subtype="octet-stream",
                           filename=name)
    return bytes(msg)


def test_a_saved_email_brings_every_workbook_with_its_sender_and_date(binhlu, tmp_path):
    ws, plan, period, forms = binhlu
    a = fill(plan, forms, VHXH, tmp_path / "a.xlsx", 41).read_bytes()
    b = fill(plan, forms, TTDV, tmp_path / "b.xlsx", 42).read_bytes()
    raw = eml({"Báo cáo Văn hóa – Xã hội năm 2026.xlsx": a, "Trung tâm.xlsx": b,
               "Công văn.pdf": b"%PDF-1.4"})
    assert b"filename*=" in raw or b"=?utf-8?" in raw   # the name is encoded
    (ws.inbox / "thư của trạm.eml").write_bytes(raw)
    res = run(ws, plan, period)
    got = {cf.name: cf for cf in res.files}
    box = got["thư của trạm.eml"]
    assert box.status == "container"
    assert "member_skipped" in {f.code for f in box.findings}
    first = got["thư của trạm.eml/Báo cáo Văn hóa – Xã hội năm 2026.xlsx"]
    assert (first.unit, first.status) == (VHXH, "accepted")
    recs = records(ws)
    rec = recs[first.name]
    assert rec.received_at.startswith("2026-11-10") and rec.sender == "tram.yte@binhlu.example"
    assert recs["thư của trạm.eml"].received_at == rec.received_at


def test_a_saved_email_with_a_zip_bomb_attached_is_named_and_kept(binhlu, tmp_path):
    ws, plan, period, forms = binhlu
    good = fill(plan, forms, VHXH, tmp_path / "a.xlsx", 3).read_bytes()
    bomb = zip_of({"bom.xlsx": b"\0" * (25 * 1024 * 1024)})
    raw = eml({"bom.zip": bomb, "tot.xlsx": good})
    (ws.inbox / "thư.eml").write_bytes(raw)
    res = run(ws, plan, period)
    got = {cf.name: cf for cf in res.files}
    assert got["thư.eml/tot.xlsx"].status == "accepted"
    assert {"member_zip_bomb", "member_too_large"} & {f.code for f in got["thư.eml"].findings}
    assert sha(raw) in archived(ws)


def test_the_date_the_unit_sent_it_decides_late_or_on_time(binhlu, tmp_path, capsys):
    """Saved into inbox/ weeks after the deadline, the e-mail was sent before it."""
    ws, plan, period, forms = binhlu
    a = fill(plan, forms, VHXH, tmp_path / "a.xlsx", 41).read_bytes()
    path = ws.inbox / "thư.eml"
    path.write_bytes(eml({"a.xlsx": a}, date="Mon, 02 Nov 2026 08:00:00 +0700"))
    old(path, datetime(2027, 1, 15, 9).timestamp())
    os.environ["BDG_TODAY"] = "2027-01-15"
    try:
        assert main(["consolidate", "-w", str(ws.root), "--period", period]) == 0
        capsys.readouterr()
        assert main(["status", "-w", str(ws.root), "--period", period]) == 0
    finally:
        del os.environ["BDG_TODAY"]
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if VHXH in ln)
    assert "trễ" not in line.lower(), line


# -- files still being written ---------------------------------------------------------------
def test_a_half_copied_workbook_is_left_as_arriving_then_read_when_complete(binhlu, tmp_path):
    ws, plan, period, forms = binhlu
    whole = fill(plan, forms, VHXH, tmp_path / "a.xlsx", 17).read_bytes()
    dest = ws.inbox / "bao-cao.xlsx"
    dest.write_bytes(whole[: len(whole) // 2])
    old(dest, NOW.timestamp() - 2)          # written two seconds before the run
    res = run(ws, plan, period)
    assert not res.files and [f.code for f in res.skipped] == ["arriving"]
    assert dest.exists()
    dest.write_bytes(whole)                 # the copy completes
    old(dest, NOW.timestamp() - 1)
    res = run(ws, plan, period)
    (cf,) = res.files
    assert cf.status == "accepted" and set(values(ws, "bao-cao.xlsx").values()) == {17.0}


def test_a_broken_workbook_that_has_not_changed_for_a_while_is_rejected(binhlu):
    ws, plan, period, forms = binhlu
    dest = ws.inbox / "hong.xlsx"
    dest.write_bytes(b"PK\x03\x04" + b"\0" * 200)
    old(dest, NOW.timestamp() - 600)
    (cf,) = run(ws, plan, period).files
    assert cf.status == "rejected"


def test_a_zip_still_being_copied_is_left_as_arriving(binhlu, tmp_path):
    ws, plan, period, forms = binhlu
    data = zip_of({"a.xlsx": fill(plan, forms, VHXH, tmp_path / "a.xlsx").read_bytes()})
    dest = ws.inbox / "goi.zip"
    dest.write_bytes(data[: len(data) // 2])
    old(dest, NOW.timestamp() - 1)
    res = run(ws, plan, period)
    assert not res.files and [f.code for f in res.skipped] == ["arriving"] and dest.exists()


def test_a_copy_that_completes_inside_the_archive_is_read_again_never_silently(
        binhlu, tmp_path, monkeypatch):
    """The copy program still writes the file when it is hard-linked into archive/: the
    archive then holds other bytes than were recorded. The file is read again."""
    ws, plan, period, forms = binhlu
    whole = fill(plan, forms, VHXH, tmp_path / "a.xlsx", 19).read_bytes()
    dest = ws.inbox / "bao-cao.xlsx"
    dest.write_bytes(whole[:100])
    old(dest)                               # looked settled: read as a broken file
    real = filing._place

    def place(src, target):
        done = real(src, target)
        target.write_bytes(whole)           # … and the copy goes on into the same file
        return done
    monkeypatch.setattr(filing, "_place", place)
    res = run(ws, plan, period)
    by_status = {cf.status: cf for cf in res.files}
    assert set(by_status) == {"rejected", "accepted"}
    assert by_status["rejected"].findings[0].code == "changed_in_archive"
    assert any(f.code == "changed_in_archive" for f in res.notes)
    recs = [r for r in Ledger(ws.ledger_path).files()]
    assert {r.status for r in recs} == {"rejected", "accepted"}
    assert {r.archive_path for r in recs} == {recs[0].archive_path}
    assert sha(whole) in {r.sha256 for r in recs if r.status == "accepted"}


def test_an_outlook_msg_brings_its_attachment_with_its_sender_and_time(binhlu, tmp_path):
    from msg_writer import outlook_message

    ws, plan, period, forms = binhlu
    a = fill(plan, forms, VHXH, tmp_path / "a.xlsx", 51).read_bytes()
    sent = datetime(2026, 11, 9, 10, 15)                      # UTC
    filetime = int((sent - datetime(1601, 1, 1)).total_seconds() * 10_000_000)
    raw = outlook_message(sender="VHXH@BinhLu.example", subject="Báo cáo năm 2026",
                          sent_filetime=filetime,
                          attachments={"Báo cáo Văn hóa – Xã hội.xlsx": a, "ảnh.jpg": b"\xff\xd8"})
    (ws.inbox / "thư Outlook.msg").write_bytes(raw)
    res = run(ws, plan, period)
    got = {cf.name: cf for cf in res.files}
    assert got["thư Outlook.msg"].status == "container", got["thư Outlook.msg"].findings
    member = got["thư Outlook.msg/Báo cáo Văn hóa – Xã hội.xlsx"]
    assert (member.unit, member.status) == (VHXH, "accepted")
    rec = records(ws)[member.name]
    assert rec.sender == "vhxh@binhlu.example" and rec.received_at.startswith("2026-11-09")
    assert sha(raw) in archived(ws)


def test_a_damaged_msg_is_named_and_kept(binhlu):
    ws, plan, period, forms = binhlu
    raw = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600
    old(ws.inbox / "hong.msg") if (ws.inbox / "hong.msg").write_bytes(raw) else None
    (cf,) = run(ws, plan, period).files
    assert cf.status == "rejected" and cf.findings[0].code == "container_broken"
    assert cf.archive_path.read_bytes() == raw


# -- the hostile corpus, in every way it can arrive ------------------------------------------
def corpus():
    import sys
    corpus_dir = Path(__file__).parent / "data" / "returns"
    sys.path.insert(0, str(corpus_dir))
    import make_fixtures as fx
    return corpus_dir, fx


@pytest.mark.parametrize("how", ["zip", "folder", "eml"])
def test_an_archive_folder_or_email_of_hostile_files_names_each_as_if_loose(binhlu, how):
    """The committed hostile corpus (entities, bombs, a sparse corner, impostors …), inside
    a container: each file gets the finding it gets when dropped loose, nothing is lost."""
    ws, plan, period, forms = binhlu
    corpus_dir, fx = corpus()
    files = {name: (corpus_dir / name).read_bytes() for name in fx.COMMITTED}
    if how == "zip":
        extra = {"__MACOSX/._empty.xlsx": b"\0\x05\x16\x07", "bieu/.DS_Store": b"x"}
        (ws.inbox / "doc-hai.zip").write_bytes(zip_of({**files, **extra}))
        prefix = "doc-hai.zip/"
    elif how == "folder":
        for name, data in files.items():
            (ws.inbox / "doc-hai" / name).parent.mkdir(exist_ok=True)
            (ws.inbox / "doc-hai" / name).write_bytes(data)
            old(ws.inbox / "doc-hai" / name)
        prefix = "doc-hai/"
    else:
        (ws.inbox / "doc-hai.eml").write_bytes(eml(files))
        prefix = "doc-hai.eml/"
    res = run(ws, plan, period)
    got = {cf.name: cf for cf in res.files}
    for name, code in fx.EXPECTED.items():
        if code is None:
            assert prefix + name not in got
            continue
        cf = got[prefix + name]
        assert cf.status == "rejected" and [f.code for f in cf.findings] == [code], name
    assert not any("MACOSX" in n or "DS_Store" in n for n in got)
    wanted = {sha(d) for n, d in files.items() if fx.EXPECTED[n]}
    if how != "folder":
        wanted = {sha((ws.archive).joinpath(*got[prefix.rstrip("/")].archive_path.relative_to(
            ws.archive).parts).read_bytes())} | wanted
    assert wanted <= archived(ws)


# -- 7z ----------------------------------------------------------------------------------
def seven_zip(path: Path, members: dict[str, bytes], **kw) -> Path:
    import py7zr

    with py7zr.SevenZipFile(path, "w", **kw) as z:
        for name, data in members.items():
            z.writestr(data, name)
    return path


def test_a_7z_of_two_units_forms_brings_both(binhlu, tmp_path):
    ws, plan, period, forms = binhlu
    a = fill(plan, forms, VHXH, tmp_path / "a.xlsx", 61).read_bytes()
    b = fill(plan, forms, TTDV, tmp_path / "b.xlsx", 62).read_bytes()
    path = seven_zip(ws.inbox / "hai đơn vị.7z", {"Báo cáo/Văn hóa.xlsx": a, "Trung tâm.xlsx": b,
                                                "ghi chú.txt": b"x"})
    data = path.read_bytes()
    res = run(ws, plan, period)
    got = {cf.name: cf for cf in res.files}
    assert got["hai đơn vị.7z"].status == "container"
    assert got["hai đơn vị.7z/Báo cáo/Văn hóa.xlsx"].unit == VHXH
    assert got["hai đơn vị.7z/Trung tâm.xlsx"].status == "accepted"
    assert set(values(ws, "hai đơn vị.7z/Trung tâm.xlsx").values()) == {62.0}
    assert sha(data) in archived(ws)


def test_a_7z_bomb_or_with_a_password_is_named_and_kept(binhlu, tmp_path):
    ws, plan, period, forms = binhlu
    a = fill(plan, forms, VHXH, tmp_path / "a.xlsx", 1).read_bytes()
    seven_zip(ws.inbox / "bom.7z", {"a.xlsx": a, "bom.xlsx": b"\0" * (40 * 1024 * 1024)})
    seven_zip(ws.inbox / "khoa.7z", {"a.xlsx": a}, password="matkhau")
    seven_zip(ws.inbox / "khoa-ten.7z", {"a.xlsx": a}, password="matkhau",
              header_encryption=True)
    res = run(ws, plan, period)
    got = {cf.name: cf for cf in res.files}
    assert set(got) == {"bom.7z", "khoa.7z", "khoa-ten.7z"}      # nothing read from them
    assert [f.code for f in got["bom.7z"].findings] == ["member_too_large"]
    assert "member_encrypted" in {f.code for f in got["khoa.7z"].findings}
    assert "member_encrypted" in {f.code for f in got["khoa-ten.7z"].findings}
    assert all(cf.status == "rejected" for cf in got.values())
    assert not (ws.state_dir / "unpack").exists()


def test_files_of_the_same_name_in_two_folders_get_their_own_feedback(binhlu):
    ws, plan, period, forms = binhlu
    for folder in ("Đơn vị A", "Đơn vị B"):
        path = ws.inbox / folder / "bc.xlsx"
        path.parent.mkdir()
        path.write_text(f"Kính gửi phòng, {folder} gửi báo cáo.", encoding="utf-8")
        old(path)
    res = run(ws, plan, period)
    feedback = {cf.name: cf.feedback for cf in res.files}
    a, b = feedback["Đơn vị A/bc.xlsx"], feedback["Đơn vị B/bc.xlsx"]
    assert a and b and not set(a) & set(b)
    assert all(p.is_file() for p in a + b)


class Killed(BaseException):
    """A run stopped dead (SIGKILL leaves no chance to clean up either)."""


@pytest.mark.parametrize("where", ["before_members", "before_container_moved"])
def test_a_run_killed_mid_container_is_finished_by_the_next_run(binhlu, tmp_path,
                                                                monkeypatch, where):
    from bdg_excel.intake import collect as collect_mod, unpacking

    ws, plan, period, forms = binhlu
    data = zip_of({"a.xlsx": fill(plan, forms, VHXH, tmp_path / "a.xlsx", 71).read_bytes(),
                   "b.xlsx": fill(plan, forms, TTDV, tmp_path / "b.xlsx", 72).read_bytes()})
    (ws.inbox / "goi.zip").write_bytes(data)

    def kill(*a, **k):
        raise Killed()
    target = (collect_mod._Checker, "results") if where == "before_members" else \
        (unpacking.Opened, "finish")
    with monkeypatch.context() as m:
        m.setattr(*target, kill)
        with pytest.raises(Killed):
            run(ws, plan, period)
    assert (ws.inbox / "goi.zip").read_bytes() == data      # nothing lost meanwhile
    run(ws, plan, period)
    recs = list(Ledger(ws.ledger_path).files())
    assert sorted((r.original_name, r.status) for r in recs) == [
        ("goi.zip", "container"), ("goi.zip/a.xlsx", "accepted"), ("goi.zip/b.xlsx", "accepted")]
    assert all((ws.root / r.archive_path).is_file() for r in recs)
    assert sha(data) in archived(ws) and not any(ws.inbox.iterdir())
