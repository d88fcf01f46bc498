"""What a returned file really is, and whether it is safe to hand to the fast reader.

python-calamine is fast but trusting: a two-cell .xlsx with a value in XFD1048576 makes it
allocate the whole dense range (hundreds of GB: the process aborts), a zip bomb is
inflated, and nothing limits the XML it parses. So before calamine sees a zip-based
workbook, :func:`inspect` streams every XML part once, bounded:

- the real inflated size of each part is counted while decompressing the raw member
  (declared sizes in the zip directory are not trusted), and reading stops at
  :data:`MAX_PART` bytes;
- no XML part may declare a DOCTYPE, so no entity can be declared (billion laughs,
  external entities) — legitimate OOXML/ODF never has one;
- the used range of every sheet (cells that hold something, as calamine counts them)
  must stay within :data:`MAX_SHEET_ROWS` rows and :data:`MAX_SHEET_CELLS` cells;
- formulas are noted per cell, with whether a cached value was saved with them
  (calamine returns the cached value and cannot say a cell held a formula).

How, at C speed: the file is read once (it is at most :data:`MAX_BYTES`) and every XML
member is inflated from those bytes with a hard cap of :data:`MAX_PART`. A member that is
plain UTF-8 XML with no ``<!`` at all (so no DOCTYPE, ENTITY, comment or CDATA) and no
processing instruction has nothing expat would refuse and goes to no parser; the sheets
among them are scanned with byte regexes that must account for every ``<c`` element
(reference first, known attributes, a value, inline string or formula — as Excel,
LibreOffice, openpyxl and xlsxwriter write cells). Everything else — another encoding,
``<!`` anywhere, a member that is not one complete deflate stream within the cap, a sheet
written any other way or beyond the limits — goes through expat, streamed, with DOCTYPE
refused, as before, which also reports malformed XML in such a part as ``bad_xml``.
Malformed XML in a plain part is no longer reported as such: calamine reads what it can
(it cannot see a cell the scan missed — every ``<c`` in the bytes is accounted for — nor
any entity, there being no ``<!``). Checking well-formedness of the plain sheets too
would cost an expat pass, about 0.15 ms per form.

Everything here returns data; nothing raises to the caller except on programming errors.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

MAX_BYTES = 20 * 1024 * 1024          # a form is a few tens of KB; refuse anything huge
MAX_UNCOMPRESSED = 64 * 1024 * 1024   # sum of the declared sizes of all zip members
MAX_PART = 16 * 1024 * 1024           # real inflated size of any one XML part
MAX_SHEET_ROWS = 50_000               # used range of a sheet calamine may load …
MAX_SHEET_CELLS = 2_000_000           # … (rows x columns: calamine's range is dense)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CHUNK = 64 * 1024


@dataclass
class Inspection:
    kind: str                                   # xlsx, ods, xls, csv, text, docx, …
    problem: str | None = None                  # finding code when the file must not be read
    detail: str = ""                            # for the message (sheet name, extent …)
    extents: dict[str, tuple[int, int]] = field(default_factory=dict)  # sheet -> rows, cols
    formulas: dict[str, dict[str, bool]] = field(default_factory=dict)  # sheet -> ref -> cached


class Refused(Exception):
    """Internal: stop inspecting, the file must not be read (code, detail)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code, self.detail = code, detail


# -- kind --------------------------------------------------------------------------------
def sniff(path: Path) -> str:
    """What the file really is by its bytes: xlsx, xlsb, ods, xls, encrypted, empty, docx, zip,
    broken_zip, pdf, csv, text."""
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(_CHUNK)
        if head.startswith((b"PK", OLE_MAGIC)):
            head += fh.read()
    kind, zf = _sniff_bytes(head, path)
    if zf is not None:
        zf.close()
    return kind


def _sniff_bytes(blob: bytes, path: Path) -> tuple[str, zipfile.ZipFile | None]:
    """:func:`sniff` on the file's bytes (all of them for a zip or OLE file); for a
    workbook also the open zip."""
    head = blob[:_CHUNK]
    if not head:
        return "empty", None
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        try:
            zf = zipfile.ZipFile(io.BytesIO(blob))
            names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return "broken_zip", None
        if "xl/workbook.xml" in names:
            return "xlsx", zf
        if "xl/workbook.bin" in names:
            zf.close()
            return "xlsb", None   # binary records: no safety scan possible, named instead
        if "content.xml" in names and "mimetype" in names:
            return "ods", zf
        zf.close()
        if "word/document.xml" in names:
            return "docx", None
        return "zip", None
    if head.startswith(OLE_MAGIC):
        # OLE container: legacy .xls or .doc, or an encrypted OOXML package. Stream names
        # are UTF-16 in the directory sectors, which may lie anywhere in the file.
        blob = blob[:MAX_BYTES]
        if "EncryptedPackage".encode("utf-16-le") in blob or \
                "EncryptionInfo".encode("utf-16-le") in blob:
            return "encrypted", None
        if "WordDocument".encode("utf-16-le") in blob:
            return "doc", None
        return "xls", None
    if head.startswith(b"PK"):
        return "broken_zip", None
    if head.startswith(b"%PDF"):
        return "pdf", None
    if _looks_like_csv(head, path):
        return "csv", None
    return "text", None


def _looks_like_csv(head: bytes, path: Path) -> bool:
    if path.suffix.lower() in (".csv", ".tsv"):
        return True
    lines = [ln for ln in head.splitlines()[:5] if ln.strip()]
    if len(lines) < 2 or b"\x00" in head:
        return False
    for sep in (b",", b";", b"\t"):
        counts = {ln.count(sep) for ln in lines[:-1] or lines}
        if len(counts) == 1 and counts.pop() >= 1:
            return True
    return False


# -- inspection --------------------------------------------------------------------------
def inspect(path: Path) -> Inspection:
    path = Path(path)
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > MAX_BYTES:
            return Inspection("unknown", "too_large", f"{size // (1024 * 1024)} MB")
        blob = fh.read(MAX_BYTES + 1)
    if len(blob) > MAX_BYTES:   # grew meanwhile
        return Inspection("unknown", "too_large", f"{len(blob) // (1024 * 1024)} MB")
    kind, zf = _sniff_bytes(blob, path)
    out = Inspection(kind)
    if zf is None:
        return out
    try:
        with zf:
            raw = io.BytesIO(blob)
            infos = zf.infolist()
            if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED or len(infos) > 10_000:
                raise Refused("zip_bomb")
            if kind == "xlsx":
                _inspect_xlsx(zf, raw, out, blob)
            else:
                _inspect_ods(zf, raw, out)
    except Refused as exc:
        out.problem, out.detail = exc.code, exc.detail
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            struct.error, zlib.error) as exc:
        out.problem, out.detail = "broken_zip", type(exc).__name__
    return out


def _xml_parts(zf: zipfile.ZipFile):
    for info in zf.infolist():
        name = info.filename.lower()
        if name.endswith((".xml", ".rels", ".vml")):
            yield info


def _inspect_xlsx(zf: zipfile.ZipFile, raw, out: Inspection, blob: bytes) -> None:
    parsed: set[zipfile.ZipInfo] = set()   # members expat has already been through
    sheet_parts = _xlsx_sheet_parts(zf, raw, blob, parsed)
    for info in _xml_parts(zf):
        sheet = sheet_parts.get(info.filename)
        if sheet is None and info.filename.startswith("xl/worksheets/") and \
                info.filename.endswith(".xml"):
            sheet = info.filename  # not named by the workbook: still bounded
        if sheet is None and info in parsed:
            continue
        data = _inflate_all(blob, info)
        if data is not None and not _plain_xml(data):
            data = None
        if sheet is None:
            if data is None:
                _parse(zf, raw, info, None)
            continue
        if data is not None:
            fast = _scan_sheet_bytes(data)
            if fast is not None:
                rows, cols, formulas = fast
                if not (rows > MAX_SHEET_ROWS or rows * cols > MAX_SHEET_CELLS):
                    out.extents[sheet] = (rows, cols)
                    out.formulas[sheet] = formulas
                    continue
            # beyond the limits or in an unusual shape: the streaming scan decides, and
            # gives the same detail as always
        scan = _XlsxSheetScan(sheet)
        try:
            _parse(zf, raw, info, scan)
        except Refused as exc:
            if exc.code != "zip_bomb":
                raise
            # more XML than any form has: an enormous sheet (or a bomb disguised as one)
            raise Refused("sheet_too_large", f"{sheet}|{max(scan.max_row, 1)}|"
                          f"{max(scan.max_col, 1)}|more") from None
        out.extents[sheet] = (scan.max_row, scan.max_col)
        out.formulas[sheet] = scan.formulas
        _check_extent(sheet, scan.max_row, scan.max_col)


def _xlsx_sheet_parts(zf: zipfile.ZipFile, raw, blob: bytes | None = None,
                      parsed: set[zipfile.ZipInfo] | None = None) -> dict[str, str]:
    """Zip member name of each worksheet -> sheet name (from workbook.xml and its rels)."""
    names: dict[str, str] = {}          # r:id -> sheet name
    targets: dict[str, str] = {}        # r:id -> part

    def on_workbook(tag, attrs):
        if tag == "sheet":
            rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
            if rid and "name" in attrs:
                names[rid] = attrs["name"]

    def on_rels(tag, attrs):
        if tag == "Relationship" and "Id" in attrs and "Target" in attrs:
            targets[attrs["Id"]] = attrs["Target"]

    workbook = zf.getinfo("xl/workbook.xml")
    _parse(zf, raw, workbook, _Handler(on_workbook),
           _inflate_all(blob, workbook) if blob is not None else None)
    if parsed is not None:
        parsed.add(workbook)
    try:
        rels = zf.getinfo("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    _parse(zf, raw, rels, _Handler(on_rels), _inflate_all(blob, rels) if blob is not None else None)
    if parsed is not None:
        parsed.add(rels)
    parts = {}
    for rid, sheet in names.items():
        target = targets.get(rid)
        if target:
            part = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join("xl", target))
            parts[part] = sheet
    return parts


def _inspect_ods(zf: zipfile.ZipFile, raw, out: Inspection) -> None:
    manifest = next((i for i in zf.infolist() if i.filename == "META-INF/manifest.xml"), None)
    if manifest is not None:
        enc = _Handler(lambda tag, attrs: tag == "encryption-data" and _raise("encrypted"))
        _parse(zf, raw, manifest, enc)
    for info in _xml_parts(zf):
        if info.filename == "content.xml":
            scan = _OdsScan()
            _parse(zf, raw, info, scan)
            for sheet, (rows, cols, formulas) in scan.tables.items():
                out.extents[sheet] = (rows, cols)
                out.formulas[sheet] = formulas
                _check_extent(sheet, rows, cols)
        elif info.filename != "META-INF/manifest.xml":
            _parse(zf, raw, info, None)


def _raise(code: str, detail: str = ""):
    raise Refused(code, detail)


def _check_extent(sheet: str, rows: int, cols: int) -> None:
    if rows > MAX_SHEET_ROWS or rows * cols > MAX_SHEET_CELLS:
        raise Refused("sheet_too_large", f"{sheet}|{rows}|{cols}")


# -- the fast path: whole members, byte scans ------------------------------------------------
def _inflate_all(blob: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """The member's inflated bytes, read from the file's bytes and never more than
    :data:`MAX_PART` of them whatever the zip directory declares; None for anything but a
    plain complete member within the cap (encrypted, other compression, truncated, corrupt,
    too large): :func:`_inflate` then streams it and says what is wrong."""
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED,
                                                           zipfile.ZIP_DEFLATED):
        return None
    at = info.header_offset
    header = blob[at:at + _LOCAL_HEADER.size]
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        return None
    fields = _LOCAL_HEADER.unpack(header)
    start = at + _LOCAL_HEADER.size + fields[-2] + fields[-1]
    end = start + info.compress_size
    if end > len(blob):
        return None
    if info.compress_type == zipfile.ZIP_STORED:
        return blob[start:end] if end - start <= MAX_PART else None
    inflater = zlib.decompressobj(-15)
    try:
        data = inflater.decompress(memoryview(blob)[start:end], MAX_PART + 1)
    except zlib.error:
        return None
    if len(data) > MAX_PART or not inflater.eof:
        return None
    return data


_XML_DECL = re.compile(rb"<\?xml[^>]*?\?>")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")


def _plain_xml(data: bytes) -> bool:
    """UTF-8 XML that starts with its declaration or root and holds no ``<!`` (DOCTYPE,
    ENTITY, comment, CDATA) and no processing instruction: nothing in it for expat to
    refuse or to resolve. Anything else goes through expat."""
    if b"!" in data and b"<!" in data:      # one-byte search first: "!" is rare
        return False
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    if data[start:start + 1] != b"<":
        return False            # UTF-16/32, EBCDIC, leading junk …
    m = _XML_DECL.match(data, start)
    if m:
        enc = _ENCODING.search(m.group(0))
        if enc and enc.group(1).lower() != b"utf-8":
            return False
        start = m.end()
    elif data.startswith(b"<?", start):
        return False
    return data.find(b"?", start) < 0 or data.find(b"<?", start) < 0


# A cell as Excel, LibreOffice, openpyxl and xlsxwriter write it: the reference first, then
# only the attributes a cell has, double-quoted.
_CELL_HEAD = rb'<c r="([A-Z]{1,3})([0-9]{1,7})"(?: (?:s|t|cm|vm|ph)="[^"<>&]*")*'
_CELL_FILLED = re.compile(_CELL_HEAD + rb"><(?:v|is)[\s/>]")
_CELL_FORMULA = re.compile(_CELL_HEAD + rb'><f(?: [a-zA-Z0-9]+="[^"<>&]*")*(?:/>|>[^<]*</f>)'
                           rb"(?:<v>([^<&]*)</v>)?</c>")
# any <c element that is not one of: empty (<c …/>, <c …></c>), filled (<c …><v, <c …><is)
# or with a formula (<c …><f)
_ODD_CELL = re.compile(rb"<c(?=[\s/>])(?!" + _CELL_HEAD[2:] + rb"(?:/>|></c>|><(?:v|is|f)[\s/>]))")
_ANY_FORMULA = re.compile(rb"<f[\s/>]")
_PREFIXED = re.compile(rb":(?:c|v|f|is)[\s/>]")


def _scan_sheet_bytes(data: bytes) -> tuple[int, int, dict[str, bool]] | None:
    """Used range and formula cells of a plain worksheet part, as :class:`_XlsxSheetScan`
    finds them, or None when any cell is written in a way these patterns do not cover."""
    if _PREFIXED.search(data) or _ODD_CELL.search(data):
        return None             # namespace-prefixed or unusually written cells: expat
    formulas: dict[str, bool] = {}
    cells = _CELL_FILLED.findall(data)
    if _ANY_FORMULA.search(data):
        with_formula = _CELL_FORMULA.findall(data)
        if len(with_formula) != len(_ANY_FORMULA.findall(data)):
            return None         # a formula written otherwise, or outside a cell
        for letters, digits, cached in with_formula:
            formulas[f"{letters.decode()}{int(digits)}"] = \
                bool(cached.decode("utf-8", "replace").strip())
            cells.append((letters, digits))
    if not cells:
        return 0, 0, formulas
    rows = max(map(int, {digits for _, digits in cells}))
    cols = _col_number(max({letters for letters, _ in cells},
                           key=lambda c: (len(c), c)).decode())
    return rows, cols, formulas


# -- bounded streaming of one zip member into expat ---------------------------------------
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")


def _inflate(raw, info: zipfile.ZipInfo):
    """Yield the member's inflated bytes from the raw compressed data; refuse past
    MAX_PART whatever the zip directory declares."""
    if info.flag_bits & 0x1:
        raise Refused("encrypted")
    raw.seek(info.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise Refused("broken_zip", info.filename)
    fields = _LOCAL_HEADER.unpack(header)
    raw.seek(info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1])
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        inflater = None
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-15)
    else:
        raise Refused("broken_zip", f"compression {info.compress_type}")
    produced = 0
    while left > 0:
        chunk = raw.read(min(_CHUNK, left))
        if not chunk:
            raise Refused("broken_zip", info.filename)
        left -= len(chunk)
        while chunk:
            if inflater is None:
                data, chunk = chunk, b""
            else:
                # max_length bounds what one call may inflate: a bomb never materialises
                data = inflater.decompress(chunk, _CHUNK)
                chunk = inflater.unconsumed_tail
            produced += len(data)
            if produced > MAX_PART:
                raise Refused("zip_bomb", info.filename)
            if data:
                yield data
        if inflater is not None and inflater.eof:
            break
    if inflater is not None and not inflater.eof:
        while True:  # flush what is buffered, still bounded
            data = inflater.decompress(b"", _CHUNK)
            if not data:
                break
            produced += len(data)
            if produced > MAX_PART:
                raise Refused("zip_bomb", info.filename)
            yield data


def _parse(zf: zipfile.ZipFile, raw, info: zipfile.ZipInfo, handler,
           data: bytes | None = None) -> None:
    """Parse the member with expat, any DOCTYPE refused; ``data``: its bytes already
    inflated by :func:`_inflate_all` (else it is streamed, bounded)."""
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def refuse_dtd(*_):
        raise Refused("xml_entities", info.filename)

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.ExternalEntityRefHandler = refuse_dtd
    if handler is not None:
        parser.StartElementHandler = handler.start
        parser.EndElementHandler = handler.end
        parser.CharacterDataHandler = handler.text
    try:
        if data is not None:
            parser.Parse(data, True)
        else:
            for chunk in _inflate(raw, info):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise Refused("bad_xml", f"{info.filename}: {exc}") from exc


def _local(tag: str) -> str:
    return tag.rsplit(":", 1)[-1]


class _Handler:
    def __init__(self, on_start):
        self.on_start = on_start

    def start(self, tag, attrs):
        self.on_start(_local(tag), attrs)

    def end(self, tag):
        pass

    def text(self, data):
        pass


_REF_RE = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


class _XlsxSheetScan:
    """Used range (cells holding a value, formula or inline string) and formula cells."""

    def __init__(self, sheet: str):
        self.sheet = sheet
        self.max_row = self.max_col = 0
        self.row = self.col = 0
        self.formulas: dict[str, bool] = {}
        self._in_cell = False
        self._has = self._formula = False
        self._in_v = False
        self._v = ""

    def start(self, tag, attrs):
        tag = _local(tag)
        if tag == "row":
            r = attrs.get("r")
            self.row = int(r) if r and r.isdigit() else self.row + 1
            self.col = 0
        elif tag == "c":
            m = _REF_RE.match(attrs.get("r", ""))
            if m:
                self.col, self.row = _col_number(m.group(1)), int(m.group(2))
            else:
                self.col += 1
            self._in_cell, self._has, self._formula, self._v = True, False, False, ""
        elif self._in_cell and tag in ("v", "is", "f"):
            self._has = True
            if tag == "f":
                self._formula = True
            elif tag == "v":
                self._in_v = True

    def text(self, data):
        if self._in_v:
            self._v += data

    def end(self, tag):
        tag = _local(tag)
        if tag == "v":
            self._in_v = False
        elif tag == "c" and self._in_cell:
            self._in_cell = False
            if self._has:
                self.max_row = max(self.max_row, self.row)
                self.max_col = max(self.max_col, self.col)
                _check_extent(self.sheet, self.max_row, self.max_col)  # stop early
            if self._formula:
                ref = f"{_col_letters(self.col)}{self.row}"
                self.formulas[ref] = bool(self._v.strip())


class _OdsScan:
    """Per table: used range (repeats expanded arithmetically, never materialised) and
    formula cells with whether a value was saved with them."""

    def __init__(self):
        self.tables: dict[str, tuple[int, int, dict[str, bool]]] = {}
        self.name = None
        self.row = 0            # rows before the current one
        self.rows_rep = 1
        self.col = 0            # columns before the current cell
        self.max_row = self.max_col = 0
        self.formulas: dict[str, bool] = {}
        self._cell = None       # (cols_rep, has_value, formula, cached)

    def start(self, tag, attrs):
        tag = _local(tag)
        if tag == "table":
            self.name = attrs.get("table:name", "")
            self.row = self.max_row = self.max_col = 0
            self.formulas = {}
        elif tag == "table-row" and self.name is not None:
            self.rows_rep = _int(attrs.get("table:number-rows-repeated"))
            self.col = 0
        elif tag in ("table-cell", "covered-table-cell") and self.name is not None:
            cached = "office:value-type" in attrs
            self._cell = [_int(attrs.get("table:number-columns-repeated")), cached,
                          "table:formula" in attrs, cached]
        elif tag == "p" and self._cell is not None:
            self._cell[1] = True

    def text(self, data):
        pass

    def end(self, tag):
        tag = _local(tag)
        if tag in ("table-cell", "covered-table-cell") and self._cell is not None:
            rep, has, formula, cached = self._cell
            if has:
                self.max_col = max(self.max_col, self.col + rep)
                self.max_row = max(self.max_row, self.row + self.rows_rep)
                _check_extent(self.name, self.max_row, self.max_col)
            if formula:
                self.formulas[f"{_col_letters(self.col + 1)}{self.row + 1}"] = cached
            self.col += rep
            self._cell = None
        elif tag == "table-row" and self.name is not None:
            self.row += self.rows_rep
            self.rows_rep = 1
        elif tag == "table" and self.name is not None:
            self.tables[self.name] = (self.max_row, self.max_col, self.formulas)
            self.name = None


def _int(text: str | None) -> int:
    try:
        return max(1, int(text)) if text else 1
    except ValueError:
        return 1


def _col_letters(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
