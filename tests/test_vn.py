"""Vietnamese text and numbers."""

import unicodedata

import pytest

from bdg_excel.core import vn


@pytest.mark.parametrize("a,b", [
    ("Phòng Văn hoá - Xã hội", "phòng văn hóa – xã hội "),
    ("Ủy ban nhân dân", "Uỷ ban  nhân dân"),
    ("Trung tâm Y tế huyện", unicodedata.normalize("NFD", "Trung tâm Y tế huyện")),
    ("Kế hoạch hoá gia đình", "kế hoạch hóa gia đình"),
    ("thuỷ lợi", "thủy lợi"),
])
def test_canonical_matches_variants(a, b):
    assert vn.canonical(a) == vn.canonical(b)


@pytest.mark.parametrize("word", ["hoạch", "hoàn", "quý", "khoa", "Quỹ"])
def test_canonical_leaves_new_style_words(word):
    assert vn.canonical(word) == vn.nfc(word).lower()


@pytest.mark.parametrize("text,value", [
    ("12,5", 12.5), ("12.5", 12.5), ("1.234,5", 1234.5), ("1,234.5", 1234.5),
    ("45%", 45.0), (" 45 % ", 45.0), ("1.234.567", 1234567.0), ("04", 4.0), (7, 7.0),
    (274.65999999999997, 274.66), ("", None), (None, None), ("  ", None),
])
def test_parse_number(text, value):
    assert vn.parse_number(text) == value


@pytest.mark.parametrize("text", ["chưa có", "12a", "1,2,3,4x", "--", "=1+2", True])
def test_parse_number_rejects_text(text):
    with pytest.raises(vn.NotANumber):
        vn.parse_number(text)


def test_format_number_vietnamese():
    assert vn.format_number(1234.5) == "1.234,5"
    assert vn.format_number(50.15) == "50,15"
    assert vn.format_number(100000) == "100.000"


@pytest.mark.parametrize("name", ["CON", "a/b:c*?", "Trạm Y tế xã", "x" * 300, " . "])
def test_safe_filename_valid_on_windows(name):
    out = vn.safe_filename(name)
    assert out and len(out) <= 80
    assert not any(c in out for c in '<>:"/\\|?*')
    assert out.upper() not in ("CON", "PRN", "AUX", "NUL")
    assert not out.endswith((".", " "))
