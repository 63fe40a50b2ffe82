"""HTML pages (lxml): one line per block element, page furniture (script, style, nav,
header, footer) dropped, tables as ``cell | cell |`` rows plus ``Table(origin="html")``."""
from __future__ import annotations

import re
from typing import Optional

from .base import CellSpec, LoadError, TextBuilder, squash
from .txt import decode, normalise_newlines

SKIP = {"script", "style", "nav", "header", "footer", "noscript", "template", "head",
        "iframe", "select", "option", "button", "svg", "canvas", "object", "embed"}
BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
         "section", "article", "main", "aside", "blockquote", "pre", "address", "form",
         "fieldset", "figure", "figcaption", "hr", "center", "body", "caption", "tr"}
_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_XMLDECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030"}


def declared_charset(data: bytes) -> Optional[str]:
    m = _META.search(data[:8192])
    if not m:
        return None
    name = m.group(1).decode("ascii", "replace").lower()
    return _ALIASES.get(name, name)


def decode_html(data: bytes, name: str) -> tuple[str, str]:
    enc = declared_charset(data)
    if enc:
        try:
            return data.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            pass
    return decode(data, name)


def _span(el, attr: str) -> int:
    try:
        return max(1, min(int(str(el.get(attr, "1")).strip() or 1), 1000))
    except ValueError:
        return 1


class _Walker:
    def __init__(self) -> None:
        self.out = TextBuilder()
        self.buf: list[str] = []

    def flush(self) -> None:
        line = squash("".join(self.buf))
        self.buf = []
        if line:
            self.out.add_line(line)

    def text(self, s: Optional[str]) -> None:
        if s:
            self.buf.append(s)

    def walk(self, el) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else None
        if tag is None:  # comments, processing instructions
            self.text(el.tail)
            return
        if tag in SKIP:
            self.text(el.tail)
            return
        if tag == "table":
            self.flush()
            self.table(el)
            self.text(el.tail)
            return
        if tag == "br":
            self.flush()
            self.text(el.tail)
            return
        block = tag in BLOCK
        if block:
            self.flush()
        self.text(el.text)
        for child in el:
            self.walk(child)
        if block:
            self.flush()
        self.text(el.tail)

    def table(self, el) -> None:
        caption = None
        rows: list[list[CellSpec]] = []
        for child in el.iterchildren():
            tag = child.tag.lower() if isinstance(child.tag, str) else ""
            if tag == "caption":
                caption = squash(child.text_content()) or None
            elif tag in ("thead", "tbody", "tfoot"):
                rows += [self._row(tr) for tr in child.iterchildren() if _is(tr, "tr")]
            elif tag == "tr":
                rows.append(self._row(child))
        if caption:
            self.out.add_line(caption)
        self.out.add_table(rows, "html", caption=caption)

    @staticmethod
    def _row(tr) -> list[CellSpec]:
        return [CellSpec(squash(td.text_content()), _span(td, "rowspan"), _span(td, "colspan"))
                for td in tr.iterchildren() if _is(td, "td") or _is(td, "th")]


def _is(el, tag: str) -> bool:
    return isinstance(el.tag, str) and el.tag.lower() == tag


def load_html(data: bytes, name: str):
    """(text, encoding, tables) of an HTML page."""
    import lxml.html

    text, enc = decode_html(data, name)
    text = _XMLDECL.sub("", normalise_newlines(text))
    if not text.strip():
        raise LoadError(f"{name}: empty HTML page")
    try:
        root = lxml.html.document_fromstring(text)
    except Exception as exc:  # lxml raises ParserError / XMLSyntaxError
        raise LoadError(f"{name}: cannot parse HTML: {exc}") from exc
    body = root.find("body")
    walker = _Walker()
    walker.walk(body if body is not None else root)
    walker.flush()
    return walker.out.text(), enc, walker.out.tables
