"""Plain text: encoding detection (BOMs, UTF-8, GB18030/GBK, then charset-normalizer)."""
from __future__ import annotations

import codecs
import re
from typing import Optional

from .base import LoadError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def normalise_newlines(text: str) -> str:
    """``\\r\\n`` and lone ``\\r`` to ``\\n``: done by every loader before the Document is
    made, so offsets are into this text."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def looks_binary(text: str) -> bool:
    if not text:
        return False
    return len(_CONTROL.findall(text[:20000])) > max(2, 0.01 * min(len(text), 20000))


MAX_BAD_SHARE = 0.001
"""Share of undecodable byte sequences (at least 8 are always allowed) up to which a text
is decoded with replacement characters and a warning, rather than rejected."""


def decode(data: bytes, name: str = "<bytes>",
           notes: Optional[list[tuple[str, str]]] = None) -> tuple[str, str]:
    """(text, encoding) of the bytes of a text file; ``LoadError`` for binary data or an
    undetectable encoding. A UTF-8 or GB18030 text with a few bad bytes is decoded with
    U+FFFD in their place and a ("decode_replaced", where) note added to ``notes``."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as exc:
                raise LoadError(f"{name}: bad {enc} text after its byte-order mark: {exc}") from exc
    candidates = ["utf-8", "gb18030"]
    if b"\x00" in data[:4096]:
        # NUL bytes without a BOM: UTF-16 without a BOM, or binary.
        candidates = []
    for enc in candidates:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if not looks_binary(text):
            return text, enc
    lenient = _lenient(data, candidates, notes)
    if lenient is not None:
        return lenient
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200000]).best()
    if best is not None:
        try:
            text = data.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            text = None
        if text is not None and not looks_binary(text):
            return text, best.encoding
    raise LoadError(f"{name}: binary data or unknown text encoding (not a text report)")


def _lenient(data: bytes, candidates: list[str], notes: Optional[list[tuple[str, str]]]
             ) -> Optional[tuple[str, str]]:
    """The candidate encoding that decodes ``data`` with the fewest bad byte sequences, if
    they are few (``MAX_BAD_SHARE``); None otherwise."""
    best: Optional[tuple[int, str, str]] = None
    for enc in candidates:
        text = data.decode(enc, errors="replace")
        bad = text.count("\ufffd")
        if best is None or bad < best[0]:
            best = (bad, enc, text)
    if best is None:
        return None
    bad, enc, text = best
    if bad > max(8, MAX_BAD_SHARE * len(text)) or looks_binary(text):
        return None
    if notes is not None:
        notes.append(("decode_replaced", f"{enc.upper()} text with {bad} undecodable byte "
                      f"sequence(s), each replaced by U+FFFD; first at {_where(text)}"))
    return text, enc


def _where(text: str) -> str:
    """"line L, column C" of the first U+FFFD in ``text``."""
    i = text.index("\ufffd")
    line = text.count("\n", 0, i) + text.count("\r", 0, i) - text.count("\r\n", 0, i)
    col = i - max(text.rfind("\n", 0, i), text.rfind("\r", 0, i))
    return f"line {line + 1}, column {col}"
