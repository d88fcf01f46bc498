"""Vietnamese text and numbers: NFC, canonical names, decimal comma, dates."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
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


class AmbiguousNumber(NotANumber):
    """Text that reads as two different numbers ("1.234": 1234 the Vietnamese way, 1,234
    the English way). ``readings`` holds both, smallest first."""

    def __init__(self, text: str, readings: tuple[float, ...]):
        super().__init__(text)
        self.text = text
        self.readings = readings


#: A value larger than this is not a figure of a gender-equality report (a typo, a pasted
#: identifier, 1e304): it is flagged, never used.
ABSURD = 1e12

# Digits with separators only; a sign in front; spaces already removed.
_NUM_RE = re.compile(r"^[+-]?(?:[0-9][0-9.,]*|[.,][0-9]+)$")
# "12 345", "1 234 567,5": spaces (any kind) between groups of three digits
_SPACE_GROUPS = re.compile(r"^([+-]?[0-9]{1,3})((?: [0-9]{3})+)((?:[.,][0-9]+)?)$")
_BLANKS = re.compile(r"[\s\u00a0\u2007\u2009\u202f]+")


@dataclass(frozen=True)
class Reading:
    """A number read from a cell: its value and whether it was typed with a % sign."""
    value: float | None
    percent_sign: bool = False


def parse_number(value: object, *, percent: bool = False, count: bool = False) -> float | None:
    """A number as people type it in Vietnamese forms (see :func:`read_number`)."""
    return read_number(value, count=count).value


def read_number(value: object, *, count: bool = False) -> Reading:
    """Read a number the Vietnamese way, accepting English notation where it cannot be
    mistaken: one rule for every file type.

    Numbers stored as numbers are taken as they are (non-finite ones are refused). Text is
    read with the Vietnamese convention (decimal comma, thousands dot: "1.234,5") and the
    English one ("1,234.5") by babel's strict parser; spaces may group thousands
    ("12 345"); a trailing "%" is allowed and reported. When both conventions read the
    text and disagree ("1.234", "1,234") the figure is ambiguous: for a ``count`` (whole
    people, cases, births) a single dot before three digits is the thousands dot and
    "1.234" is 1234; otherwise (and for "1,234", which may be 1,234 or 1234)
    :class:`AmbiguousNumber` is raised so that the unit is asked to confirm. Returns a
    :class:`Reading` with value None for empty input; raises :class:`NotANumber` for
    anything else.
    """
    if value is None:
        return Reading(None)
    if isinstance(value, bool):
        raise NotANumber(str(value))
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise NotANumber(str(value))
        return Reading(tidy_float(float(value)))
    text = clean(value)
    s = _BLANKS.sub(" ", text).strip()
    if not s:
        return Reading(None)
    sign = s.endswith("%")
    if sign:
        s = s[:-1].rstrip()
    m = _SPACE_GROUPS.match(s)
    if m:  # spaces group thousands: the separator left, if any, is the decimal one
        whole = (m[1] + m[2]).replace(" ", "")
        frac = m[3][1:] if m[3] else ""
        s = f"{whole}.{frac}" if frac else whole
        candidates = {_decimal(s, "en")}
    else:
        s = s.replace(" ", "") if re.fullmatch(r"[+-] ?\S+", s) else s
        if not _NUM_RE.match(s):
            raise NotANumber(str(value))
        candidates = {_decimal(s, "vi"), _decimal(s, "en")}
    readings = sorted({x for x in candidates if x is not None})
    if not readings:
        raise NotANumber(str(value))
    if len(readings) > 1:
        vietnamese = _decimal(s, "vi")
        if count and vietnamese is not None and vietnamese.is_integer() and "." in s:
            readings = [vietnamese]   # "12.345" people: thousands dot
        else:
            raise AmbiguousNumber(text, tuple(readings))
    return Reading(readings[0], sign)


def _decimal(s: str, locale: str) -> float | None:
    from babel.numbers import NumberFormatError, parse_decimal

    try:
        number = float(parse_decimal(s, locale=locale, strict=True))
    except (NumberFormatError, ValueError, ArithmeticError):
        return None
    return tidy_float(number) if math.isfinite(number) else None


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
