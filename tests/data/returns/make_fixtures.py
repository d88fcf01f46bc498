"""Small, deliberately broken or hostile returns, used by name in the tests.

Run ``python tests/data/returns/make_fixtures.py`` to (re)write the committed ones beside
this script (each a few KB at most). Fixtures that must be a real form of a test plan
(truncated, encrypted, formulas …) are built in tmp_path by the ``form_*`` helpers below.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

HERE = Path(__file__).parent

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="Biểu mẫu" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def sheet_xml(rows: str, prolog: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet {NS}><sheetData>{rows}'
            '</sheetData></worksheet>')


def shared_strings(items: list[str], prolog: str = "") -> str:
    body = "".join(f"<si><t>{s}</t></si>" for s in items)
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<sst {NS} count="{len(items)}" '
            f'uniqueCount="{len(items)}">{body}</sst>')


def minimal_xlsx(sheet: str, strings: str | None = None, extra: dict[str, bytes] | None = None
                 ) -> bytes:
    """A tiny workbook written part by part, so each part can be made hostile."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        z.writestr("xl/sharedStrings.xml", strings or shared_strings(["Mã"]))
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % ("" if i == 1 else i - 1)) * 10}">'
                    for i in range(1, 10)) + "]>")
XXE = '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def billion_laughs() -> bytes:
    """sharedStrings.xml declares the classic nine-level entity expansion."""
    return minimal_xlsx(sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'),
                        shared_strings(["&lol9;"], LAUGHS))


def external_entity() -> bytes:
    """The sheet XML pulls /etc/passwd in through an external entity."""
    return minimal_xlsx(sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c>'
                                  '</row>', XXE))


def sparse_corner() -> bytes:
    """Two cells, A1 and XFD1048576: calamine alone would allocate the dense range
    (~500 GB) and abort the process."""
    return minimal_xlsx(sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>'
                                  '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'))


def zip_bomb() -> bytes:
    """A sharedStrings part whose directory entry declares 1 KB but that inflates to
    20 MB of spaces (about 20 KB on disk)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml(""))
        z.writestr("xl/sharedStrings.xml", "<sst>" + " " * (20 * 1024 * 1024) + "</sst>")
    data = bytearray(buf.getvalue())
    # Lie about the inflated size in both the local header and the central directory.
    name = b"xl/sharedStrings.xml"
    for sig, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        pos = 0
        while True:
            pos = data.find(sig, pos)
            if pos < 0:
                break
            name_at = pos + (30 if sig == b"PK\x03\x04" else 46)
            if data[name_at:name_at + len(name)] == name:
                data[pos + size_at:pos + size_at + 4] = (1024).to_bytes(4, "little")
            pos += 4
    return bytes(data)


def million_rows(path: Path, rows: int = 1_000_000) -> Path:
    """An 'enormous sheet': one number per row, written streaming (a few MB on disk)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in (("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS),
                           ("xl/workbook.xml", WORKBOOK),
                           ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
                           ("xl/sharedStrings.xml", shared_strings(["Mã"]))):
            z.writestr(name, text)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>'.encode())
            for r in range(1, rows + 1):
                fh.write(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (r, r, r))
            fh.write(b"</sheetData></worksheet>")
    return path


def letter_docx() -> bytes:
    """A Word letter (just enough of one for anything that opens it as a zip)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/content-types"/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://'
                   'schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
                   '<w:t>Kính gửi Phòng Văn hóa – Xã hội</w:t></w:r></w:p></w:body></w:document>')
    return buf.getvalue()


#: committed fixtures: file name -> bytes
COMMITTED = {
    "empty.xlsx": lambda: b"",
    "not-a-zip.xlsx": lambda: bytes(range(256)) * 4,
    "truncated-zip.xlsx": lambda: sparse_corner()[:300],
    "data.csv": lambda: "Mã,Kết quả thực hiện\n1.1,\"12,5\"\n2.1,45%\n".encode(),
    "csv-saved-as.xlsx": lambda: "Mã;Kết quả thực hiện\n1.1;12,5\n2.1;45%\n".encode(),
    "letter.docx.xlsx": letter_docx,
    "letter-text.xlsx": lambda: ("Kính gửi: Phòng Văn hóa – Xã hội\n\nĐơn vị xin gửi báo cáo "
                                 "kèm theo.\nTrân trọng.\n").encode(),
    "billion-laughs.xlsx": billion_laughs,
    "external-entity.xlsx": external_entity,
    "sparse-corner.xlsx": sparse_corner,
    "zip-bomb.xlsx": zip_bomb,
    "~$BDG_2026_lock.xlsx": lambda: b"\x0bOwner name" + b"\x00" * 150,
}

#: what each committed fixture must produce: file name -> finding code (None: ignored)
EXPECTED = {
    "empty.xlsx": "file_empty",
    "not-a-zip.xlsx": "file_text",
    "truncated-zip.xlsx": "file_broken_zip",
    "data.csv": "file_csv",
    "csv-saved-as.xlsx": "file_csv",
    "letter.docx.xlsx": "file_docx",
    "letter-text.xlsx": "file_text",
    "billion-laughs.xlsx": "xml_entities",
    "external-entity.xlsx": "xml_entities",
    "sparse-corner.xlsx": "sheet_too_large",
    "zip-bomb.xlsx": "zip_bomb",
    "~$BDG_2026_lock.xlsx": None,
}


# -- built from a real generated form (in tmp_path) ----------------------------------------
def truncate(src: Path, dest: Path) -> Path:
    data = src.read_bytes()
    dest.write_bytes(data[: len(data) // 2])
    return dest


def encrypt(src: Path, dest: Path, password: str = "matkhau") -> Path:
    """A real password-protected workbook (Agile encryption, as Excel writes it)."""
    import msoffcrypto
    from msoffcrypto.format.ooxml import OOXMLFile

    with src.open("rb") as fin, dest.open("wb") as fout:
        OOXMLFile(fin).encrypt(password, fout)
    assert msoffcrypto  # imported to fail clearly when the package is missing
    return dest


def without_meta(src: Path, dest: Path) -> Path:
    """The unit deleted the hidden identification sheet."""
    import openpyxl

    from bdg_excel.forms import layout

    wb = openpyxl.load_workbook(src)
    del wb[layout.META_SHEET]
    wb.save(dest)
    return dest


if __name__ == "__main__":
    for fname, make in COMMITTED.items():
        (HERE / fname).write_bytes(make())
        print(f"{fname}: {(HERE / fname).stat().st_size} bytes")
