"""Vietnamese text and numbers: NFC, canonical names, decimal comma, dates."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime

# Old-style ("hoá") vs new-style ("hóa") tone-mark placement: map old -> new on the
# canonical form. Only used for matching, never for display.
_OLD_TONE = {
    "oá": "óa", "oà": "òa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oé": "óe", "oè": "òe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uý": "úy", "uỳ": "ùy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}
# only at the end of a syllable and not after "q": "hoạch", "hoàn", "quý" need no change
_OLD_TONE_RE = re.compile(r"(?<!q)(?:" + "|".join(_OLD_TONE) + r")(?!\w)")
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})
_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def clean(text: object) -> str:
    """NFC, non-breaking spaces to spaces, runs of white space folded, trimmed."""
    if text is None:
        return ""
    s = nfc(str(text)).replace("\u00a0", " ").replace("\ufeff", "")
    return _SPACES.sub(" ", s).strip()


def canonical(text: str) -> str:
    """A key for matching names written inconsistently.

    "Phòng Văn hoá - Xã hội", "phòng văn hóa – xã hội " and NFD variants give the same key.
    """
    s = clean(text).lower()
    s = _OLD_TONE_RE.sub(lambda m: _OLD_TONE[m.group(0)], s)
    s = _DASHES.sub("-", s).translate(_QUOTES)
    s = re.sub(r"\s*-\s*", " - ", s)
    s = re.sub(r"\s*([,;:()/])\s*", r"\1", s)
    return _SPACES.sub(" ", s).strip(" .")


def strip_accents(text: str) -> str:
    s = unicodedata.normalize("NFD", nfc(text))
    s = "".join(c for c in s if unicodedata.category(c) != "Mn")
    return s.replace("đ", "d").replace("Đ", "D")


_WIN_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_WIN_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
                 *(f"{dev}{i}" for dev in ("COM", "LPT") for i in (*range(10), "¹", "²", "³"))}


def safe_filename(text: str, max_len: int = 80) -> str:
    """A readable file name valid on Windows: keeps Vietnamese letters, drops forbidden
    characters, folds spaces to '-', no trailing dot or space, never a reserved device
    name (CON, NUL, AUX, COM1, LPT1 …, also followed by an extension: "nul.txt"), at most
    ``max_len`` chars."""
    s = _WIN_FORBIDDEN.sub(" ", clean(text))
    s = _DASHES.sub("-", s)
    s = re.sub(r"[\s,;]+", "-", s).strip("-. ")
    s = re.sub(r"-{2,}", "-", s)[:max_len].rstrip("-. ")
    if not s or s.split(".")[0].rstrip(" ").upper() in _WIN_RESERVED:
        s = f"_{s}"
    return s


UNIT_STEM_LEN = 60


def unit_stem(name: str) -> str:
    """THE rule for a unit's name inside a file name (forms, feedback, mail drafts):
    :func:`safe_filename` cut at :data:`UNIT_STEM_LEN` characters, so a long unit name is
    shortened the same way everywhere."""
    return safe_filename(name, UNIT_STEM_LEN)


class NotANumber(ValueError):
    """Raised by :func:`parse_number` for text that is not a number."""


_NUM_RE = re.compile(r"^[+-]?\d[\d.,\s]*$")


def parse_number(value: object, *, percent: bool = False) -> float | None:
    """A number as people type it in Vietnamese forms.

    Accepts numbers, "12,5", "12.5", "1.234,5", "1,234.5", "45%", "45 %", stray spaces.
    ``percent=True`` means the cell expects a percentage: a "45%" string gives 45, and so
    does a fraction 0.45 stored by Excel in a percent-formatted cell (the caller decides,
    from the number format, whether the raw value is a fraction; see :func:`percent_value`).
    Returns None for empty input; raises :class:`NotANumber` for anything else.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise NotANumber(str(value))
    if isinstance(value, (int, float)):
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            raise NotANumber(str(value))
        return tidy_float(float(value))
    s = clean(value).replace("\u202f", "").replace(" ", "")
    if not s:
        return None
    is_pct = s.endswith("%")
    if is_pct:
        s = s[:-1]
    if not _NUM_RE.match(s):
        raise NotANumber(str(value))
    s = _normalise_separators(s)
    try:
        number = float(s)
    except ValueError as exc:
        raise NotANumber(str(value)) from exc
    return tidy_float(number)


def _normalise_separators(s: str) -> str:
    if "," in s and "." in s:
        # The right-most separator is the decimal one.
        if s.rfind(",") > s.rfind("."):
            return s.replace(".", "").replace(",", ".")
        return s.replace(",", "")
    if "," in s:
        parts = s.split(",")
        if len(parts) > 2:  # 1,234,567 thousands
            return s.replace(",", "")
        return s.replace(",", ".")
    if s.count(".") > 1:  # 1.234.567 (Vietnamese thousands)
        return s.replace(".", "")
    # A single dot is a decimal point ("12.5"): in these forms people type decimals far
    # more often than thousands, and "1.234" as a count is rare enough to be checked by
    # the range validation rather than guessed here.
    return s


def tidy_float(x: float) -> float:
    """Remove binary artefacts: 274.65999999999997 -> 274.66; integral floats stay floats."""
    if x == 0:
        return 0.0
    return float(f"{x:.12g}")


def format_number(x: float | None, decimals: int | None = None) -> str:
    """Vietnamese display: thousands dot, decimal comma ("1.234,5")."""
    if x is None:
        return ""
    if decimals is None:
        decimals = 0 if float(x).is_integer() else min(4, _decimals_needed(x))
    s = f"{x:,.{decimals}f}"
    return s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def _decimals_needed(x: float) -> int:
    text = f"{tidy_float(x):.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def format_date(d: date | datetime | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def parse_date(text: object) -> date | None:
    """dd/mm/yyyy (also d/m/yyyy, dd-mm-yyyy, ISO yyyy-mm-dd) -> date; None if empty/invalid."""
    if text is None:
        return None
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    s = clean(text)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", s)
    try:
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
        m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", s)
        if m:
            return date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        return None
    return None


def is_formula_like(text: str) -> bool:
    """Text that a spreadsheet would take as a formula (formula injection)."""
    return bool(text) and text[0] in "=+-@\t\r"
