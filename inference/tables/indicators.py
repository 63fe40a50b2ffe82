"""Template mapping of the free-form 2008–2018 statistics tables (kind "indicators"):
``指标名称 | 单位 | 2018年 | 历年累计`` rows mapped by indicator name through the taxonomy."""
from __future__ import annotations

import re
from typing import Optional

from .grid import Token
from .taxonomy import Taxonomy
from .templates import Column, MappedCell, Match, Row, Template, read_values
from .values import label_level, looks_like_value, norm_label, parse_value


def _columns(tpl: Template) -> list[tuple[dict, Column]]:
    out = []
    for d in tpl.raw.get("columns", []):
        col = Column(id=d["id"], name=d["id"], synonyms=tuple(norm_label(h, tpl.cells) for h in d.get("headers", [])),
                     period=d.get("period", "annual"))
        out.append((d, col))
    return out


def _header_col(text: str, cols: list[tuple[dict, Column]], cells) -> Optional[Column]:
    n = norm_label(text, cells)
    for d, c in cols:
        if n in c.synonyms or (d.get("header_pattern") and re.match(d["header_pattern"], n)):
            return c
    return None


def match_indicators(tpl: Template, toks: list[Token], tax: Taxonomy) -> Optional[Match]:
    cols = _columns(tpl)
    rules = tpl.cells
    by_id = {c.id: c for _, c in cols}
    m = Match(template=tpl, score=0.0, lo=len(toks), hi=0)
    # header row: the header cells before the first data row
    header: list[Column] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.empty:
            i += 1
            continue
        c = _header_col(t.text, cols, rules)
        if c is None:
            if header or looks_like_value(t.text, rules):
                break
            i += 1  # a caption or stray cell before the header
            continue
        if c in header:
            break
        header.append(c)
        m.lo = min(m.lo, i)
        i += 1
    value_cols = [c for c in header if c.id != "label"]
    shadow = [Token(t.text if not tax.is_unit(t.text) else "0", t.start, t.end, t.empty) for t in toks]
    stack: list[tuple[int, Optional[str]]] = []  # (level, key) of the open parent rows
    mapped = 0
    while i < len(toks):
        t = toks[i]
        if t.empty or looks_like_value(t.text, rules) or tax.is_unit(t.text):
            i += 1
            continue
        level = label_level(t.text)
        while stack and stack[-1][0] >= level:
            stack.pop()
        parents = [k for _, k in reversed(stack) if k]
        immediate = stack[-1][1] if stack else None
        entry = tax.lookup(t.text, parents)
        n = len(value_cols) or _guess_width(toks, i + 1, tax)
        cells, end, note = read_values_units(toks, shadow, i + 1, n, rules)
        if not any(c is not None and not c.empty for c in cells):
            stack.append((level, entry.key if entry else None))
            i += 1
            continue
        cols_here = value_cols or _guess_cols(cells, tax, by_id)
        unit = None
        for col, tok in zip(cols_here, cells):
            if col.id == "unit" and tok is not None and not tok.empty:
                unit = norm_label(tok.text, rules)
        key = entry.key if entry else None
        row = Row(id=f"r{i}", labels=(norm_label(t.text, rules),), key=key, parent=None)
        if entry is None:
            m.warnings.append(("table_row_unmapped", f"{tpl.id}: indicator {t.text!r} maps to no taxonomy key", t))
        else:
            mapped += 1
        if note:
            m.warnings.append(("table_row_incomplete", f"{tpl.id}: row {t.text!r}: {note}", t))
        for col, tok in zip(cols_here, cells):
            if col.id in ("unit", "label"):
                continue
            val = parse_value(tok.text if tok is not None else None, rules)
            m.score += val.status == "number"
            c = Column(id=col.id, name=col.name, key=None, period=col.period,
                       unit=unit or (entry.unit if entry else None) or tpl.unit)
            m.cells.append(MappedCell("indicators", row, c, tok, val, t, t.text,
                                      parent_key=immediate))
        stack.append((level, key))
        m.lo, m.hi = min(m.lo, i), max(m.hi, end)
        i = max(end, i + 1)
    if mapped < int(tpl.raw.get("min_mapped_rows", 2)):
        return None
    m.score += len(header)
    return m


def read_values_units(toks: list[Token], shadow: list[Token], i: int, n: int, rules):
    """``read_values`` (with the cell ``rules``) where a unit cell (条, 件, 万元 ...) also
    counts as a cell: ``shadow`` is ``toks`` with unit cells read as figures."""
    cells, end, note = read_values(shadow, i, n, rules)
    pos = {id(s): k for k, s in enumerate(shadow[i:i + n + 24], start=i)}
    return [toks[pos[id(c)]] if c is not None else None for c in cells], end, note


def _guess_width(toks: list[Token], i: int, tax: Taxonomy) -> int:
    n = 0
    while i < len(toks) and (toks[i].empty or looks_like_value(toks[i].text, tax.cells) or tax.is_unit(toks[i].text)):
        n += not toks[i].empty
        i += 1
    return max(1, min(n, 3))


def _guess_cols(cells: list[Optional[Token]], tax: Taxonomy, by_id: dict[str, Column]) -> list[Column]:
    """Without a header: a unit cell, then the annual figure, then a cumulative one."""
    out: list[Column] = []
    nums = 0
    for tok in cells:
        if tok is not None and not tok.empty and tax.is_unit(tok.text) and not out:
            out.append(by_id["unit"])
        else:
            out.append(by_id["annual"] if nums == 0 else by_id["cumulative"])
            nums += 1
    return out
