"""The form layout: the ONE place that knows which sheet, row and column holds what.

Both the generator (:mod:`bdg_excel.forms.generate`) and the reader (:mod:`bdg_excel.intake.returns`)
use these definitions, so they cannot drift apart. The reader never relies on fixed row
numbers: it finds each table by its header row (a cell ``Mã``) and each row by its code,
so rows inserted or deleted by a unit do not matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..core import vn

LAYOUT_VERSION = 1
TOOL_MARK = "bdg-excel"

FORM_SHEET = "Biểu mẫu"        # the sheet the unit fills (protected)
GUIDE_SHEET = "Hướng dẫn"      # short instructions
META_SHEET = "_bdg"            # hidden identification sheet: key | value

FORM_NUMBER = "01/BĐG"          # "Biểu số"
TITLE = "BÁO CÁO KẾT QUẢ THỰC HIỆN CHIẾN LƯỢC QUỐC GIA VỀ BÌNH ĐẲNG GIỚI"
PART_A_TITLE = "A. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU"
PART_B_TITLE = "B. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ"
CODE_HEADER = "Mã"
TASK_CODE_PREFIX = "NV"         # task codes NV1, NV2 …

TASK_STATUSES = ("Đã hoàn thành", "Đang thực hiện", "Chưa thực hiện")

# Meta sheet keys (column A) — values in column B.
META_KEYS = ("tool", "layout", "plan_name", "plan_identity", "plan_fingerprint",
             "plan_number", "plan_title", "unit", "unit_key", "period", "form_version",
             "generated_at", "targets", "tasks", "national")


def national_meta(pairs) -> str:
    """The meta value recording each row's national code (CONTRACT section 2):
    ``"4.1=QG-4.1;4.2=QG-4.2;6.1="`` from (code, national or None) pairs. A form returned
    after its plan was renumbered maps its rows to the plan by these codes."""
    return ";".join(f"{code}={national or ''}" for code, national in pairs)


def national_codes(meta: dict[str, str]) -> dict[str, str | None] | None:
    """Row code -> national code (None for a local indicator) as the form recorded it;
    None when the form records none (a form made before national codes)."""
    raw = meta.get("national")
    if not raw:
        return None
    out: dict[str, str | None] = {}
    for part in raw.split(";"):
        code, sep, national = part.partition("=")
        code = _clean(code).lower()
        if sep and code:
            out[code] = _clean(national) or None
    return out or None


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float
    input: bool = False
    #: header prefixes the reader accepts for this column (canonical form)
    aliases: tuple[str, ...] = ()

    def matches(self, text: str) -> bool:
        return _canonical(text).startswith(_prefixes(self))


@lru_cache(maxsize=None)
def _prefixes(col: Column) -> tuple[str, ...]:
    """The canonical header prefixes a column accepts (computed once per column)."""
    return (vn.canonical(col.header), *col.aliases)


@lru_cache(maxsize=8192)
def _canonical(text: str) -> str:
    """vn.canonical, remembered: the same header texts come back in every return."""
    return vn.canonical(text)


@lru_cache(maxsize=8192)
def _clean(text: str) -> str:
    return vn.clean(text)


# Part A: indicator table. Order = column order on the sheet, starting at column A.
PART_A = (
    Column("stt", "STT", 5),
    Column("code", CODE_HEADER, 7),
    Column("indicator", "Chỉ tiêu", 46),
    Column("target", "Mục tiêu kế hoạch", 30),
    Column("unit", "Đơn vị tính", 12),
    Column("value", "Kết quả thực hiện", 14, input=True, aliases=("kết quả",)),
    Column("numerator", "Tử số", 11, input=True),
    Column("denominator", "Mẫu số", 11, input=True),
    Column("source", "Nguồn số liệu", 20, input=True),
    Column("note", "Ghi chú", 20, input=True),
)

# Part B: task table, same sheet, below part A. The description is merged across the
# remaining columns; its value lives in the first (top-left) cell.
PART_B = (
    Column("stt", "STT", 5),
    Column("code", CODE_HEADER, 7),
    Column("task", "Nhiệm vụ", 46),
    Column("status", "Tình trạng", 30, input=True),
    Column("result", "Kết quả thực hiện, khó khăn, đề xuất", 14, input=True,
           aliases=("kết quả", "mô tả")),
)
PART_B_LAST_COL = len(PART_A) - 1  # the description spans to the last column of part A


def col_index(columns: tuple[Column, ...], key: str) -> int:
    return next(i for i, c in enumerate(columns) if c.key == key)


def col_letter(index: int) -> str:
    """0-based column index -> Excel letters."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@lru_cache(maxsize=65536)
def cell_ref(row: int, col: int) -> str:
    """0-based (row, col) -> "G12"."""
    return f"{col_letter(col)}{row + 1}"


def task_code(i: int) -> str:
    return f"{TASK_CODE_PREFIX}{i + 1}"


def maybe_header(row: list) -> bool:
    """Cheap and exact: does ``row`` have a cell that cleans to :data:`CODE_HEADER`? Only
    such rows can be header rows (:func:`header_map`)."""
    if CODE_HEADER in row:
        return True
    # clean() is NFC + white space: a cell can only clean to "Mã" if it contains "M"
    return any(isinstance(v, str) and "M" in v and _clean(v) == CODE_HEADER for v in row)


def header_map(row: list, columns: tuple[Column, ...]) -> dict[str, int] | None:
    """If ``row`` is a header row of ``columns``, map column key -> 0-based index."""
    if not maybe_header(row):
        return None
    cells = [_clean(v) if isinstance(v, str) else "" for v in row]
    found: dict[str, int] = {}
    # a header written exactly first, then by prefix: an added column "Nguồn số liệu chi
    # tiết" before "Nguồn số liệu" must not take that column's place
    for exact in (True, False):
        for idx, text in enumerate(cells):
            if not text or idx in found.values():
                continue
            for col in columns:
                if col.key not in found and (_canonical(text) == _prefixes(col)[0] if exact
                                             else col.matches(text)):
                    found[col.key] = idx
                    break
    required = {"code"} | ({"value"} if columns is PART_A else {"status"})
    return found if required <= found.keys() else None
