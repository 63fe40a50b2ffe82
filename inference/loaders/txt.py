"""Plain text: encoding detection (BOMs, UTF-8, GB18030/GBK, then charset-normalizer)."""
from __future__ import annotations

import codecs
import re

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


def decode(data: bytes, name: str = "<bytes>") -> tuple[str, str]:
    """(text, encoding) of the bytes of a text file; ``LoadError`` for binary data or an
    undetectable encoding."""
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
