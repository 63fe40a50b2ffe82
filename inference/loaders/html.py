"""HTML pages (lxml): one line per block element, page furniture (script, style, nav,
header, footer) dropped, tables as ``cell | cell |`` rows plus ``Table(origin="html")``."""
from __future__ import annotations

import re
from typing import Optional

from .base import MAX_SPAN, CellSpec, LoadError, TextBuilder, squash
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
        return max(1, min(int(str(el.get(attr, "1")).strip() or 1), MAX_SPAN))
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

    def walk(self, root) -> None:
        """Lines of the element tree, depth first, with an explicit stack (no recursion
        limit for deeply nested pages)."""
        stack = [(root, False)]
        while stack:
            el, closing = stack.pop()
            tag = el.tag.lower() if isinstance(el.tag, str) else None
            if closing:
                if tag in BLOCK:
                    self.flush()
                self.text(el.tail)
                continue
            if tag is None or tag in SKIP:  # comments, processing instructions, furniture
                self.text(el.tail)
                continue
            if tag in ("table", "br"):
                self.flush()
                if tag == "table":
                    self.table(el)
                self.text(el.tail)
                continue
            if tag in BLOCK:
                self.flush()
            self.text(el.text)
            stack.append((el, True))
            stack.extend((child, False) for child in reversed(list(el)))

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


_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)[^>]*>|<!--.*?-->", re.S)
_DROP = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>", re.S | re.I)


def strip_tags(text: str) -> str:
    """Plain text of an HTML page without a parser: block and row tags become line breaks,
    cells ``|``, other tags vanish, entities are decoded (for pages the parser cannot
    hold)."""
    import html

    def tag(m: re.Match) -> str:
        name = (m.group(2) or "").lower()
        if name in ("td", "th") and m.group(1):
            return " | "
        return "\n" if name in BLOCK or name in ("br", "table") else ""

    return html.unescape(_TAG.sub(tag, _DROP.sub("", text)))


def load_html(data: bytes, name: str):
    """(text, encoding, tables, notes) of an HTML page. Pages nested deeper than the parser
    holds (libxml2: 2048 levels) are read as plain text, with a warning."""
    import lxml.etree
    import lxml.html

    text, enc = decode_html(data, name)
    text = _XMLDECL.sub("", normalise_newlines(text))
    if not text.strip():
        raise LoadError(f"{name}: empty HTML page")
    parser = lxml.html.HTMLParser(huge_tree=True)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except Exception as exc:  # lxml raises ParserError / XMLSyntaxError
        root = None
        error = exc
    deep = any("depth" in e.message.lower() for e in parser.error_log)
    walker = _Walker()
    if deep or root is None:
        if root is None and not deep:
            raise LoadError(f"{name}: cannot parse HTML: {error}") from error
        for line in strip_tags(text).split("\n"):
            walker.text(line)
            walker.flush()
        walker.out.notes.append(("html_too_deep", "HTML nested deeper than the parser holds: "
                                 "read as plain text, without tables"))
    else:
        body = root.find("body")
        walker.walk(body if body is not None else root)
        walker.flush()
    return walker.out.text(), enc, walker.out.tables, walker.out.notes
