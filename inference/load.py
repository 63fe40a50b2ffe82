"""Stage load: files (txt, html, pdf, docx; doc, wps, xls, xlsx, mht) and strings into a Document.

Every loader gives the same ``Document``: ``text`` is the decoded text with newlines
normalised to ``\\n`` (the one change made; every offset points into this text), ``sha256``
is the hash of the input bytes (what batch runs use to skip reports already done), and for
HTML/PDF/DOCX ``tables`` holds the tables with each cell's offsets in ``text``.
"""
from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

from .data import Document, ReportWarning
from .errors import InputTooLarge, LoadError, UnsupportedInput
from .loaders.txt import decode, normalise_newlines

if TYPE_CHECKING:
    from .rules import Rules

__all__ = ["LoadError", "from_text", "load_path", "load_bytes", "detect_format",
           "DEFAULT_LIMIT_MB", "FORMATS"]

DEFAULT_LIMIT_MB = 50.0
FORMATS = {".txt": "txt", ".text": "txt",
           ".html": "html", ".htm": "html", ".shtml": "html", ".xhtml": "html",
           ".pdf": "pdf", ".docx": "docx",
           ".doc": "doc", ".wps": "wps", ".xls": "xls", ".xlsx": "xlsx",
           ".mht": "mht", ".mhtml": "mht"}
UNSUPPORTED = {".ppt": "presentation",
               ".jpg": "image (OCR is not supported)", ".png": "image (OCR is not supported)",
               ".jpeg": "image (OCR is not supported)", ".gif": "image", ".tif": "image",
               ".zip": "archive (give it to `govie extract`, which opens archives)"}


def from_text(text: str, source: str = "<text>") -> Document:
    """A Document from a string already in memory (kept exactly as given)."""
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(source=source, text=text, sha256=sha, format="txt", encoding="utf-8")


def detect_format(data: bytes, name: str) -> str:
    """The format (a value of ``FORMATS``) from the name's extension, else from the content."""
    ext = Path(name.split("!")[-1]).suffix.lower()
    if ext in FORMATS:
        return FORMATS[ext]
    head = data[:2048].lstrip()
    if head.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04") and b"word/" in data[:65536]:
        return "docx"
    if data.startswith(b"PK\x03\x04") and b"xl/" in data[:65536]:
        return "xlsx"
    if b"mime-version:" in head[:1024].lower() and b"multipart/related" in head.lower():
        return "mht"
    low = head.lower()
    if low.startswith((b"<!doctype html", b"<html")) or b"<html" in low[:512]:
        return "html"
    if ext in UNSUPPORTED:
        raise UnsupportedInput(f"{name}: unsupported file type {ext}: {UNSUPPORTED[ext]}")
    if ext and ext not in ("", ".dat", ".log"):
        raise UnsupportedInput(f"{name}: unknown file type {ext} (known: "
                        f"{', '.join(sorted(set(FORMATS)))})")
    return "txt"


def ocr_mode(mode: Optional[str] = None) -> str:
    """The OCR mode of PDF pages: ``mode`` if given, else $GOVIE_OCR (set by ``govie extract
    --ocr``, so worker processes see it too), else "auto"."""
    return mode or os.environ.get("GOVIE_OCR") or "auto"


def load_bytes(data: bytes, name: str, *, limit_mb: float = DEFAULT_LIMIT_MB,
               ocr: Optional[str] = None, rules: Optional[Rules] = None) -> Document:
    """A Document from the bytes of a file called ``name`` (its extension picks the
    loader). ``LoadError`` for empty, binary, oversize, encrypted or unknown input.
    ``ocr``: auto | always | never, for PDF pages (see ``ocr_mode``); ``rules`` (default:
    ``default_rules()``): the page numbers and heading markers of PDF pages."""
    if limit_mb and len(data) > limit_mb * 1024 * 1024:
        raise InputTooLarge(f"{name}: too large ({len(data) / 1048576:.1f} MB > limit "
                            f"{limit_mb:g} MB)")
    if not data.strip():
        raise LoadError(f"{name}: empty file")
    fmt = detect_format(data, name)
    tables: list = []
    ocr_lines: list = []
    notes: list[tuple[str, str]] = []
    if fmt == "txt":
        text, enc = decode(data, name, notes)
        text = normalise_newlines(text)
    elif fmt == "html":
        from .loaders.html import load_html

        text, enc, tables, notes = load_html(data, name)
    elif fmt == "pdf":
        from .loaders.pdf import load_pdf
        from .rules import or_default

        text, enc, tables, ocr_lines, notes = load_pdf(data, name, or_default(rules),
                                                       ocr_mode(ocr))
    elif fmt in ("doc", "wps"):
        from .loaders.legacy_word import load_legacy_word

        text, enc, tables, notes = load_legacy_word(data, name)
    elif fmt in ("xls", "xlsx"):
        from .loaders.sheet import load_sheet

        text, enc, tables, notes = load_sheet(data, name, fmt)
    elif fmt == "mht":
        from .loaders.mht import load_mht

        text, enc, tables, notes = load_mht(data, name)
    else:
        from .loaders.docx import load_docx

        text, enc, tables, notes = load_docx(data, name)
    if not text.strip():
        raise LoadError(f"{name}: empty file (no text)")
    return Document(source=name, text=text, sha256=hashlib.sha256(data).hexdigest(),
                    format=fmt, encoding=enc, tables=list(tables), ocr=list(ocr_lines),
                    warnings=[_warning(text, code, msg) for code, msg in notes])


def _warning(text: str, code: str, message: str) -> ReportWarning:
    """A loader's note as a Document warning; a replaced character is located."""
    if code == "decode_replaced" and "\ufffd" in text:
        i = text.index("\ufffd")
        return ReportWarning(code, message, i, i + 1)
    return ReportWarning(code, message)


def read_limited(path: Union[str, Path], limit_mb: float = DEFAULT_LIMIT_MB) -> bytes:
    """The bytes of a regular file, ``LoadError`` if unreadable, not a regular file (a
    folder, a device such as /dev/zero, a FIFO, a socket) or over the size limit. The read
    itself stops after the limit too (a file that grows while read)."""
    p = Path(path)
    limit = int(limit_mb * 1024 * 1024) if limit_mb else None
    try:
        st = os.stat(p)
        if stat.S_ISDIR(st.st_mode):
            raise LoadError(f"{p}: is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise LoadError(f"{p}: not a regular file (a device, FIFO or socket)")
        if limit and st.st_size > limit:
            raise InputTooLarge(f"{p}: too large ({st.st_size / 1048576:.1f} MB > limit "
                                f"{limit_mb:g} MB)")
        with open(p, "rb") as fh:
            data = fh.read(limit + 1) if limit else fh.read()
        if limit and len(data) > limit:
            raise InputTooLarge(f"{p}: too large (> limit {limit_mb:g} MB)")
        return data
    except OSError as exc:
        raise LoadError(f"{p}: cannot read ({exc.strerror or exc})") from exc


def load_path(path: Union[str, Path], *, limit_mb: float = DEFAULT_LIMIT_MB,
              rules: Optional[Rules] = None) -> Document:
    """A Document from a file on disk (``rules``: see ``load_bytes``)."""
    return load_bytes(read_limited(path, limit_mb), str(path), limit_mb=limit_mb, rules=rules)
