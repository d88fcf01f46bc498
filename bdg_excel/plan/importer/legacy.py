"""Reading an old Word document (.doc, Word 97–2003) by converting it to .docx with
LibreOffice headless (``soffice``) in a temporary folder; the original is never touched."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ...core.errors import PlanError
from .text import RawLine

_OLE = bytes.fromhex("d0cf11e0a1b11ae1")   # the start of every Word 97-2003 file
#: LibreOffice gets this long for one document (a first start builds its profile).
TIMEOUT = 180


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def read_doc(path: str | Path) -> list[RawLine]:
    from .docx import read_docx

    p = Path(path)
    with open(p, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK"):
        return read_docx(p)     # a .docx named .doc
    if head != _OLE and not head.startswith(b"{\\rtf"):
        raise PlanError(f"Tệp {p.name} không phải văn bản Word (.doc) hoàn chỉnh: có thể tệp "
                        "bị hỏng hoặc tải về chưa hết. Hãy xin lại tệp gốc, hoặc mở bằng Word "
                        "và lưu lại dưới dạng .docx rồi nhập lại.")
    exe = soffice()
    if exe is None:
        raise PlanError(f"Tệp {p.name} là định dạng Word cũ (.doc). Máy này chưa cài "
                        "LibreOffice nên không chuyển đổi được; hãy mở tệp bằng Word (hoặc "
                        "cài LibreOffice) và lưu lại dưới dạng .docx rồi nhập lại.")
    with tempfile.TemporaryDirectory(prefix="bdg-doc-") as tmp:
        src = Path(tmp) / "in.doc"
        shutil.copyfile(p, src)
        try:
            subprocess.run([exe, f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                            "--convert-to", "docx", "--outdir", str(Path(tmp) / "out"),
                            str(src)], capture_output=True, timeout=TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PlanError(f"Không chuyển được tệp {p.name} (.doc) sang .docx bằng "
                            f"LibreOffice ({exc}). Hãy mở bằng Word, lưu lại dưới dạng .docx "
                            "rồi nhập lại.") from exc
        out = Path(tmp) / "out" / "in.docx"
        if not out.is_file():
            raise PlanError(f"Tệp {p.name} không mở được như một văn bản Word (.doc): có thể "
                            "tệp bị hỏng. Hãy mở bằng Word, lưu lại dưới dạng .docx rồi "
                            "nhập lại.")
        return read_docx(out)


__all__ = ["read_doc", "soffice"]
