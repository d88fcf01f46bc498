"""Reading a .docx plan: paragraphs (tables included, in document order) as RawLines.

Word's automatic numbering is not in the paragraph text: it is rendered here from the
numbering part (``numbering.xml``). A paragraph's ``numPr`` (its own, or its style's)
names a ``numId`` and a level ``ilvl``; the ``num`` points to an ``abstractNum`` whose
``lvl`` gives ``start``, ``numFmt`` and ``lvlText`` ("%1.", "%1.%2.", "%2)"). Counters
are kept per abstractNum (lists sharing one definition continue each other), a ``num``
with ``lvlOverride/startOverride`` restarts the level the first time it is used, and a
level restarts whenever a higher level advances.

A paragraph that begins with bold runs followed by normal text has a ``bold_prefix``
(a unit named in bold inside a paragraph); a paragraph entirely bold is ``all_bold``.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ...core.errors import PlanError
from .text import RawLine, normalise

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _val(el, name: str) -> str | None:
    child = el.find(W + name) if el is not None else None
    return child.get(W + "val") if child is not None else None


def _roman(n: int) -> str:
    out = ""
    for v, s in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                 (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= v:
            out += s
            n -= v
    return out


def _letter(n: int) -> str:
    n = max(n, 1)
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def format_counter(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter",):
        return _letter(n)
    if fmt == "upperLetter":
        return _letter(n).upper()
    if fmt == "lowerRoman":
        return _roman(n)
    if fmt == "upperRoman":
        return _roman(n).upper()
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


class Numbering:
    """Renders list labels from the numbering definitions, in document order."""

    def __init__(self, root) -> None:
        self.abstract: dict[str, dict[int, dict]] = {}
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self.started: set[str] = set()
        if root is None:
            return
        for an in root.iter(W + "abstractNum"):
            levels = {}
            for lvl in an.findall(W + "lvl"):
                ilvl = int(lvl.get(W + "ilvl", "0"))
                levels[ilvl] = {
                    "start": int(_val(lvl, "start") or 1),
                    "fmt": _val(lvl, "numFmt") or "decimal",
                    "text": _val(lvl, "lvlText") or "",
                    "legal": lvl.find(W + "isLgl") is not None,
                }
            self.abstract[an.get(W + "abstractNumId")] = levels
        for num in root.iter(W + "num"):
            overrides = {}
            for ov in num.findall(W + "lvlOverride"):
                so = _val(ov, "startOverride")
                if so is not None:
                    overrides[int(ov.get(W + "ilvl", "0"))] = int(so)
            self.nums[num.get(W + "numId")] = (_val(num, "abstractNumId"), overrides)

    def label(self, num_id: str, ilvl: int) -> str | None:
        if num_id not in self.nums or num_id == "0":
            return None
        abs_id, overrides = self.nums[num_id]
        levels = self.abstract.get(abs_id, {})
        if ilvl not in levels:
            return None
        counters = self.counters.setdefault(abs_id, {})
        if num_id not in self.started:
            self.started.add(num_id)
            for lv, start in overrides.items():
                counters[lv] = start - 1
                for deeper in [k for k in counters if k > lv]:
                    del counters[deeper]
        lvl = levels[ilvl]
        counters[ilvl] = counters.get(ilvl, lvl["start"] - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        if lvl["fmt"] == "bullet":
            return "-"
        if lvl["fmt"] == "none":
            return None

        legal = lvl.get("legal", False)

        def repl(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            lv = levels.get(k, {"start": 1, "fmt": "decimal"})
            n = counters.get(k, lv["start"])
            return format_counter(n, "decimal" if legal else lv["fmt"])

        text = re.sub(r"%(\d)", repl, lvl["text"]).strip()
        return text or None


def _style_numpr(doc) -> dict[str, tuple[str, int]]:
    out = {}
    for style in doc.styles.element.iter(W + "style"):
        ppr = style.find(W + "pPr")
        numpr = ppr.find(W + "numPr") if ppr is not None else None
        if numpr is not None and _val(numpr, "numId"):
            out[style.get(W + "styleId")] = (_val(numpr, "numId"), int(_val(numpr, "ilvl") or 0))
    return out


def _runs(p) -> list[tuple[str, bool]]:
    """(text, bold) for each run; tabs as spaces, line breaks as newlines."""
    out = []
    for r in p.iter(W + "r"):
        rpr = r.find(W + "rPr")
        b = rpr.find(W + "b") if rpr is not None else None
        bold = b is not None and b.get(W + "val", "true") not in ("0", "false")
        parts = []
        for child in r:
            if child.tag == W + "t":
                parts.append(child.text or "")
            elif child.tag == W + "tab":
                parts.append(" ")
            elif child.tag in (W + "br", W + "cr"):
                parts.append("\n")
        if parts:
            out.append(("".join(parts), bold))
    return out


def _cell_text(tc) -> str:
    return normalise(" ".join("".join(t for t, _ in _runs(p)) for p in tc.iter(W + "p")))


_STT = ("stt", "tt", "số tt", "số thứ tự")
_UNIT_COL = ("đơn vị tính", "đvt", "đơn vị đo")
#: the column naming who reports a row: any header starting with these words ("Bộ phận
#: thực hiện và báo cáo", "Cơ quan chủ trì", "Đơn vị thực hiện", "Phân công" …), except
#: the unit of measure and the bodies that only take part ("Cơ quan phối hợp")
_WHO_COL = ("đơn vị", "cơ quan", "bộ phận", "phân công", "chủ trì", "phụ trách", "trách nhiệm",
            "người phụ trách", "người thực hiện", "tổ chức thực hiện", "giao cho", "thực hiện")
_NOT_WHO = ("phối hợp", "tính", "đo")


def _is_who(k: str) -> bool:
    return k.startswith(_WHO_COL) and not any(w in k for w in _NOT_WHO)
_TARGET_COL = ("mục tiêu", "kế hoạch", "đến năm", "năm 20", "giá trị", "phấn đấu",
               "chỉ tiêu đến", "chỉ tiêu năm", "mức")


def indicator_columns(header: list[str]) -> dict[str, int] | None:
    """Column roles of an indicator table (one indicator per row, its target in another
    column): ``stt``, ``text``, ``unit`` (of measure), ``target``, ``who`` (the unit that
    reports it); None for any other table."""
    from .text import key

    keys_ = [key(h) for h in header]
    if len(keys_) < 2 or not any(("chỉ tiêu" in k or "nội dung" in k) for k in keys_):
        return None
    roles: dict[str, int] = {}
    for i, k in enumerate(keys_):
        if k in _STT and "stt" not in roles:
            roles["stt"] = i
        elif k in _UNIT_COL and "unit" not in roles:
            roles["unit"] = i
        elif _is_who(k) and "who" not in roles:
            roles["who"] = i
        elif "text" not in roles and ("chỉ tiêu" in k or "nội dung" in k) \
                and not any(w in k for w in ("đến năm", "năm 20")):
            roles["text"] = i
        elif any(w in k for w in _TARGET_COL) or "chỉ tiêu" in k:
            roles["target"] = i
    if "text" not in roles or "target" not in roles:
        return None
    return roles


def _blocks(body):
    """Paragraphs in document order; an indicator table as ("table", rows of cell texts)."""
    for el in body:
        if el.tag == W + "p":
            yield el
        elif el.tag == W + "tbl":
            rows = [[_cell_text(tc) for tc in tr.findall(W + "tc")] for tr in el.iter(W + "tr")]
            if rows and (indicator_columns(rows[0]) is not None
                         or task_columns(rows[0]) is not None):
                yield ("table", rows)
                continue
            for tr in el.iter(W + "tr"):
                for tc in tr.findall(W + "tc"):
                    yield from _blocks(tc)
        elif el.tag == W + "sdt":
            content = el.find(W + "sdtContent")
            if content is not None:
                yield from _blocks(content)


def task_columns(header: list[str]) -> dict[str, int] | None:
    """Column roles of a table of tasks (``what`` is to be done, ``who`` does it:
    "Nội dung công việc" | "Phân công"); None for any other table."""
    from .text import key

    keys_ = [key(h) for h in header]
    what = next((i for i, k in enumerate(keys_) if k.startswith(
        ("nội dung", "nhiệm vụ", "công việc", "hoạt động", "tên hoạt động"))), None)
    who = next((i for i, k in enumerate(keys_) if i != what and _is_who(k)), None)
    if what is None or who is None:
        return None
    return {"what": what, "who": who}


def task_lines(rows: list[list[str]], n: int) -> list[RawLine]:
    """A table of tasks: one line per row, the unit(s) in bold before the task, as a
    paragraph "**Tổ Giáo vụ:** Theo dõi, báo cáo …" would be."""
    roles = task_columns(rows[0]) or {}
    out = []
    for cells in rows[1:]:
        who = cells[roles["who"]].strip() if roles["who"] < len(cells) else ""
        what = cells[roles["what"]].strip() if roles["what"] < len(cells) else ""
        if not what:
            continue
        for name in re.split(r"\s*;\s*", who) if who else [""]:
            if name:
                out.append(RawLine(f"{name}: {what}", n, bold_prefix=name))
            else:
                out.append(RawLine(what, n))
    return out


def rows_lines(rows: list[list[str]], n: int) -> list[RawLine]:
    """The lines of a table of indicators or of tasks."""
    if indicator_columns(rows[0]) is not None:
        return table_lines(rows, n)
    return task_lines(rows, n)


def table_lines(rows: list[list[str]], n: int) -> list[RawLine]:
    """One line per row: a row of one (merged) cell is a heading ("Mục tiêu 1: …"), a row
    with an indicator is "Chỉ tiêu N: text" with its target cell (and unit) beside it."""
    from .targets import find_year

    roles = indicator_columns(rows[0]) or {}
    year = find_year(rows[0][roles["target"]]) if "target" in roles else None
    out = []
    for r, cells in enumerate(rows[1:], start=1):
        distinct = [c for i, c in enumerate(cells) if c and c not in cells[:i]]
        if not distinct:
            continue
        if len(distinct) == 1:
            out.append(RawLine(distinct[0], n, all_bold=True))
            continue
        get = lambda role: cells[roles[role]] if role in roles and roles[role] < len(cells) else ""  # noqa: E731
        text, target = get("text"), get("target")
        if not text:
            continue
        stt = re.findall(r"\d+", get("stt"))
        label = f"Chỉ tiêu {stt[-1]}: " if stt else "Chỉ tiêu: "
        parse = " ".join(x for x in (target, get("unit")) if x)
        if year and not find_year(parse):
            parse += f" vào năm {year}"
        out.append(RawLine(label + text, n, target_text=parse or None,
                           target_label=" ".join(x for x in (target, get("unit")) if x),
                           assignee=get("who") or None))
    return out


def read_docx(path: str | Path) -> list[RawLine]:
    import docx  # python-docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise PlanError(f"Không đọc được tệp Word {Path(path).name}: {exc}. "
                        "Hãy mở tệp bằng Word và lưu lại dưới dạng .docx.") from exc
    try:
        numbering_root = document.part.numbering_part.element
    except (KeyError, NotImplementedError):
        numbering_root = None
    numbering = Numbering(numbering_root)
    style_num = _style_numpr(document)
    lines: list[RawLine] = []
    blank = False
    for n, p in enumerate(_blocks(document.element.body), start=1):
        if isinstance(p, tuple):
            lines.extend(rows_lines(p[1], n))
            blank = False
            continue
        ppr = p.find(W + "pPr")
        numpr = ppr.find(W + "numPr") if ppr is not None else None
        label = None
        num_id, ilvl = None, 0
        if numpr is not None and _val(numpr, "numId"):
            num_id, ilvl = _val(numpr, "numId"), int(_val(numpr, "ilvl") or 0)
        elif ppr is not None and _val(ppr, "pStyle") in style_num:
            num_id, ilvl = style_num[_val(ppr, "pStyle")]
        runs = _runs(p)
        text = "".join(t for t, _ in runs)
        if not normalise(text):
            blank = True
            continue
        if num_id is not None:
            label = numbering.label(num_id, ilvl)
        bold_prefix, all_bold = _bold(runs)
        physical = [normalise(x) for x in text.split("\n")]
        physical = [x for x in physical if x]
        for i, piece in enumerate(physical):
            lines.append(RawLine(piece, n, label=label if i == 0 else None,
                                 bold_prefix=bold_prefix if i == 0 and len(physical) == 1 else None,
                                 all_bold=all_bold, blank_before=blank))
        blank = False
    return lines


def _bold(runs: list[tuple[str, bool]]) -> tuple[str | None, bool]:
    visible = [(t, b) for t, b in runs if t.strip()]
    if not visible:
        return None, False
    if all(b for _, b in visible):
        return None, True
    prefix = ""
    for t, b in runs:
        if not t.strip():
            prefix += t
            continue
        if not b:
            break
        prefix += t
    prefix = normalise(prefix)
    if not prefix or len(prefix.split()) > 15:
        return None, False
    return prefix.rstrip(" :"), False
