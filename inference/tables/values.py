"""Cell values: numbers as printed in report tables, and label normalisation.

``parse_value`` reads one cell: ``"1,234"`` -> 1234, ``"12.5"`` -> 12.5, ``"+3"`` / ``"-35"``
(本年增/减) -> 3 / -35; blank -> None (status "blank"), ``"—"``, ``"-"``, ``"/"``, ``"无"`` ->
None (status "dash"); anything else -> None with status "invalid" (the caller warns; it is
never read as 0). A trailing unit (``件``, ``条``, ``万元`` ...) is allowed.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from ..script import to_simplified

_NUM = re.compile(r"^([+\-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, eq=False)  # hashed by identity: a key of the lru caches below
class CellRules:
    """What a table cell may hold (configs/cells.yaml, units of configs/patterns.yaml)."""

    dashes: frozenset  # whole cells read as "no figure" (—, 无 ...)
    dash_chars: frozenset  # characters a dash cell is made of
    units: tuple[str, ...]  # trailing units a figure may carry, longest first
    synonyms: tuple[tuple[str, str], ...]  # label words read as another (情形 -> 情况)


def build_cells(cells: dict, patterns: dict) -> CellRules:
    """The cell rules of parsed configs/cells.yaml and configs/patterns.yaml."""
    units = patterns["units"]
    nfkc = lambda x: unicodedata.normalize("NFKC", str(x))  # noqa: E731
    every = {nfkc(u) for u in [*units["count"], *units["money"], *cells["units"]]}
    return CellRules(frozenset(nfkc(d) for d in cells["dashes"]), frozenset(nfkc(cells["dash_chars"])),
                     tuple(sorted(every, key=len, reverse=True)),
                     tuple((nfkc(a), nfkc(b)) for a, b in cells.get("label_synonyms", {}).items()))


@dataclass(frozen=True)
class Value:
    value: Optional[float]
    status: str  # "number", "blank", "dash", "invalid"


def _clean(text: str) -> str:
    t = unicodedata.normalize("NFKC", text)
    return _SPACE.sub("", t).replace("，", ",")


@lru_cache(maxsize=65536)
def parse_value(text: Optional[str], cells: CellRules) -> Value:
    """The value of one cell read with ``cells`` (see the module docstring)."""
    if text is None:
        return Value(None, "blank")
    t = _clean(text)
    if not t:
        return Value(None, "blank")
    dashes, dash_chars, units = cells.dashes, cells.dash_chars, cells.units
    if t in dashes or set(t) <= dash_chars:
        return Value(None, "dash")
    for unit in units:
        if t.endswith(unit) and len(t) > len(unit):
            t = t[: -len(unit)]
            break
    m = _NUM.match(t)
    if not m:
        return Value(None, "invalid")
    sign, whole, frac = m.groups()
    num = float(whole.replace(",", "") + (frac or ""))
    if sign == "-":
        num = -num
    if num.is_integer() and not frac:
        num = float(int(num))
    return Value(num, "number")


@lru_cache(maxsize=65536)
def looks_like_value(text: str, cells: CellRules) -> bool:
    """True for a cell that reads as a value (number, dash, blank marker) rather than a
    label; cells with digits and at most one CJK character (``12件``) also count."""
    v = parse_value(text, cells)
    if v.status != "invalid":
        return True
    t = _clean(text)
    cjk = sum(1 for ch in t if "\u4e00" <= ch <= "\u9fff")
    return any(ch.isdigit() for ch in t) and cjk <= 1 and len(t) <= 16


# ---- label normalisation -------------------------------------------------------------
_MARKER = re.compile(
    r"^(?:其中[:]?)?\s*(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十]+\)|\d+[.、)]|\(\d+\)|[①-⑳])"
)
_QIZHONG = re.compile(r"^其中[:]?")
_PAREN = re.compile(r"\([^()]*\)")
_DROP = str.maketrans("", "", "“”\"'‘’「」『』 \u3000:;。")


@lru_cache(maxsize=65536)
def norm_label(text: str, cells: CellRules) -> str:
    """A label reduced to its core for comparison: NFKC, no spaces/quotes, no leading 其中 or
    list marker, no parenthesised remark, 情形 read as 情况, traditional script as simplified
    (a comparison key only: offsets always come from the text as written)."""
    t = to_simplified(unicodedata.normalize("NFKC", text))
    t = _SPACE.sub("", t)
    t = t.replace("〔", "(").replace("〕", ")").replace("【", "(").replace("】", ")")
    for _ in range(2):
        t = _QIZHONG.sub("", t)
        t = _MARKER.sub("", t)
    stripped = _PAREN.sub("", t)
    if stripped:
        t = stripped
    t = t.translate(_DROP)
    for word, read_as in cells.synonyms:
        t = t.replace(word, read_as)
    return t.rstrip(":,、")


@lru_cache(maxsize=65536)
def norm_title(text: str) -> str:
    """A table title (第二十条第(一)项) for comparison: NFKC, simplified script, no spaces,
    brackets kept."""
    t = to_simplified(unicodedata.normalize("NFKC", text))
    return _SPACE.sub("", t).translate(_DROP)


def label_level(text: str) -> int:
    """Outline level of an indicator label: 一、 -> 0, (一) -> 1, 1. -> 2, 其中 -> 3
    (relative child), none -> 0."""
    t = _SPACE.sub("", unicodedata.normalize("NFKC", text))
    if re.match(r"^[一二三四五六七八九十]+[、.]", t):
        return 0
    if re.match(r"^\([一二三四五六七八九十]+\)", t):
        return 1
    if re.match(r"^(?:\d+[.、)]|\(\d+\)|[①-⑳])", t):
        return 2
    if t.startswith("其中"):
        return 2 if re.match(r"^其中:?(?:\d+[.、)]|\(\d+\))", t) else 3
    return 0
