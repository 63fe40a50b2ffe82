"""Stage segment: the heading hierarchy as a section tree, and blocks (heading,
narrative, table, chrome) with offsets into the original text.

Every line is given one kind. Table lines are found first (tables of the loader, then
flattened tables: ``cell | cell |`` rows, one cell per line ending in ``|``, pipe-only
separator lines, and short cells separated by blank lines), so that a numbered row label
inside a table ("(一)予以公开 |") is never taken for a heading. Markers and thresholds are
data: ``configs/sections.yaml``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
import re
from typing import TYPE_CHECKING, Optional

from . import deadline
from .config import regex
from .data import Block, Document, Section

if TYPE_CHECKING:
    from .rules import Rules


@dataclass(frozen=True)
class Sections:
    """The compiled configs/sections.yaml: heading markers (name, level, pattern), the
    heading thresholds and the flattened-table thresholds."""

    markers: tuple[tuple[str, int, re.Pattern], ...]
    heading: dict
    tables: dict


def build_sections(cfg: dict) -> Sections:
    """The section rules of a parsed configs/sections.yaml."""
    markers = tuple((m["name"], int(m["level"]), re.compile(r"\s*(" + m["pattern"] + r")\s*"))
                    for m in cfg["markers"])
    heading, tables = dict(cfg["heading"]), dict(cfg["tables"])
    for p in (heading["not_heading_end"], heading["inline_end"], tables["numeric"],
              tables["prose_cell"], *tables.get("cell_patterns", []), *tables["split"]):
        re.compile(p)
    return Sections(markers, heading, tables)


def match_marker(line: str, sec: Sections) -> Optional[tuple[str, int, re.Match]]:
    """(marker name, level, match) if ``line`` starts with a heading marker of ``sec``."""
    for name, level, rx in sec.markers:
        m = rx.match(line)
        if m:
            return name, level, m
    return None


Line = tuple[int, int]  # start, end (end excludes the newline)


def split_lines(text: str) -> list[Line]:
    out, pos = [], 0
    for part in text.split("\n"):
        out.append((pos, pos + len(part)))
        pos += len(part) + 1
    return out


def _is_pipe(s: str) -> bool:
    return "|" in s and (s.endswith("|") or s.startswith("|") or " | " in s)


def _pipe_only(s: str) -> bool:
    return bool(s) and set(s) <= {"|", " "}


def heading_split(line: str, sec: Sections) -> Optional[tuple[str, int, int, int]]:
    """(marker, level, title start, heading end) within the line, if it is a heading by
    ``sec``; the heading may be followed by its body on the same line."""
    cfg = sec.heading
    hit = match_marker(line, sec)
    if hit is None:
        return None
    _, level, m = hit
    rest = line[m.end():].rstrip()
    if not rest or regex(cfg["not_heading_end"]).search(rest) or _is_pipe(rest):
        return None
    end_rx = regex(cfg["inline_end"])
    inner = end_rx.search(rest[:-1]) if len(rest) > 1 else None
    if len(rest) <= cfg["max_chars"] and inner is None:
        return m.group(1), level, m.end(), m.end() + len(rest)
    if inner is not None and inner.end() <= cfg["inline_max_chars"]:
        return m.group(1), level, m.end(), m.end() + inner.end()
    return None


def _table_lines(text: str, lines: list[Line], fixed: dict[int, str], rules: Rules) -> set[int]:
    """Indices of the lines of flattened tables (lines in ``fixed`` already have a kind)."""
    sec = rules.sections
    cfg = sec.tables
    numeric = regex(rf"(?:{cfg['numeric']})\s*\|?")
    strip = [text[s:e].strip() for s, e in lines]
    free = [i for i in range(len(lines)) if i not in fixed]
    prose_cell = regex(cfg["prose_cell"])
    table: set[int] = {i for i in free if _pipe_only(strip[i]) or (
        _is_pipe(strip[i]) and not any(prose_cell.search(c) for c in strip[i].split("|")))}
    nonblank = [i for i in range(len(lines)) if strip[i]]
    nxt = {a: b for a, b in zip(nonblank, nonblank[1:])}
    prv = {b: a for a, b in zip(nonblank, nonblank[1:])}

    def is_num(i: Optional[int]) -> bool:
        return i is not None and bool(numeric.fullmatch(strip[i]))

    def num_soon(i: int) -> bool:
        for _ in range(cfg["row_label_lookahead"]):
            i = nxt.get(i)
            if i is None or (strip[i] and not _pipe_only(strip[i]) and is_num(i)):
                return i is not None
        return False

    cell_rx = [regex(p) for p in cfg.get("cell_patterns", [])]

    # one cell per line, each followed by a line of pipes only
    for i in free:
        s = strip[i]
        if i in table or not s or len(s) > cfg["cell_max_chars"] or "。" in s:
            continue
        n = nxt.get(i)
        if n is None or not _pipe_only(strip[n]):
            if is_num(i) and prv.get(i) is not None and _pipe_only(strip[prv[i]]):
                table.add(i)  # the last figure of the table, after the last pipe line
            continue
        if heading_split(s, sec) is not None and match_marker(s, sec)[1] <= 2:
            if not (prv.get(i) in table or num_soon(i)):
                continue
        table.add(i)
    # a cell broken over two lines ("本年新" / "制作数量 |") between table lines
    for i in free:
        s = strip[i]
        if i in table or not s or len(s) > cfg["cell_max_chars"] or "。" in s:
            continue
        if prv.get(i) in table and nxt.get(i) in table:
            hit = match_marker(s, sec)
            if hit is None or hit[1] > 2 or heading_split(s, sec) is None or num_soon(i):
                table.add(i)
    # short cells separated by blank lines
    run: list[int] = []

    def close() -> None:
        while run and not is_num(run[-1]) and not _template_cell(strip[run[-1]], rules, digits=True):
            run.pop()
        while run and heading_split(strip[run[0]], sec) is not None \
                and match_marker(strip[run[0]], sec)[1] <= 2:
            run.pop(0)
        nums = sum(1 for i in run if is_num(i) or _template_cell(strip[i], rules, digits=True))
        known = sum(_template_cells(strip[i], rules) for i in run)  # a header of known cells
        if (len(run) >= cfg["min_run"] and nums >= cfg["min_numeric"]
                and nums >= cfg["min_numeric_share"] * len(run)) or (nums >= 1 and known >= cfg["min_run"]):
            table.update(run)
        run.clear()

    for i in nonblank:
        s = strip[i]
        short = (i not in fixed and i not in table
                 and ((len(s) <= cfg["short_cell_max_chars"] and not re.search(r"[。；;，,]", s))
                      or any(p.fullmatch(s) for p in cell_rx) or _template_cell(s, rules)))
        if short:
            hit = match_marker(s, sec)
            if hit and hit[1] == 1 and not (run and num_soon(i)) and not _template_cell(s, rules, digits=True):
                short = False
        if short:
            run.append(i)
        else:
            close()
    close()
    return table


def _template_cells(s: str, rules: Rules) -> int:
    """How many template cells a line holds (several for ``规章 0 0 0``), 0 for none."""
    from .tables.grid import spaced_cells

    cells = spaced_cells(s.strip(), rules.templates.vocabulary, rules.cells)
    return len(cells) if cells else int(_template_cell(s, rules))


def _template_cell(s: str, rules: Rules, digits: bool = False) -> bool:
    """A row label, header or title of a table template (long 2021 labels such as
    ``(二)部分公开(区分处理的,只计这一情形,不计其他情形)`` included); with ``digits``, only
    a row label with its figures run together (``四、结转下年度继续办理4000004``)."""
    from .tables.grid import label_with_digits, spaced_cells
    from .tables.values import norm_label, norm_title

    known, cells_rules = rules.templates.vocabulary, rules.cells
    if digits:
        cells = spaced_cells(s.strip(), known, cells_rules) or []
        return label_with_digits(s, known, cells_rules) or any(s.strip()[a:b][-1:].isdigit() for a, b in cells)
    return (norm_label(s, cells_rules) in known or norm_title(s) in known
            or label_with_digits(s, known, cells_rules) or bool(spaced_cells(s.strip(), known, cells_rules)))


def _covered(a: int, b: int, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(max(a, s), min(b, e)) for s, e in ranges if s < b and e > a]


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


@dataclass(frozen=True)
class Piece:
    """A stretch of one line of one kind, before stretches are joined into blocks; a
    heading carries its marker, level and where its title starts, a table line its table."""

    kind: str
    start: int
    end: int
    table: Optional[str] = None
    marker: str = ""
    level: int = 0
    title_start: int = 0


def segment(doc: Document, rules: Rules) -> Document:
    """Stage segment: the section tree (from heading markers 一、(一) 1. …) and the blocks
    (heading, narrative, table, chrome) of the text, each inside its section; ``rules``
    give the markers, thresholds and table vocabulary."""
    lines = split_lines(doc.text)
    kinds, table_of = line_kinds(doc, lines, rules)
    pieces = pieces_of(doc.text, lines, kinds, table_of, sorted(doc.chrome), rules.sections)
    sections = section_tree(doc.text, pieces)
    return dataclasses.replace(doc, sections=sections,
                               blocks=blocks_of(doc.text, lines, pieces, sections, rules.sections))


def line_kinds(doc: Document, lines: list[tuple[int, int]], rules: Rules
               ) -> tuple[dict[int, str], dict[int, str]]:
    """The lines whose kind is known before headings are read: chrome (wholly covered by
    page chrome), table (of a loader's table, or flattened table lines), the report title
    (a heading outside the tree); and the table id of each loader-table line."""
    text, chrome = doc.text, sorted(doc.chrome)
    kinds: dict[int, str] = {}
    table_of: dict[int, str] = {}
    for i, (s, e) in enumerate(lines):
        if i % 1024 == 0:
            deadline.check("segment")
        if not text[s:e].strip():
            continue
        cov = _covered(s, e, chrome)
        rest = "".join(ch for k, ch in enumerate(text[s:e], s) if not any(a <= k < b for a, b in cov))
        if cov and not rest.strip():
            kinds[i] = "chrome"
    for t in doc.tables:
        if t.origin == "text":
            continue
        for i, (s, e) in enumerate(lines):
            if s < t.end and e > t.start and i not in kinds and text[s:e].strip():
                kinds[i], table_of[i] = "table", t.id
    title = (doc.metadata.title or "").strip()
    for i, (s, e) in enumerate(lines):
        if title and i not in kinds and text[s:e].strip().rstrip(" |") == title:
            kinds[i] = "heading"  # the report title: a heading outside the section tree
    for i in _table_lines(text, lines, kinds, rules):
        kinds[i] = "table"
    return kinds, table_of


def pieces_of(text: str, lines: list[tuple[int, int]], kinds: dict[int, str],
              table_of: dict[int, str], chrome: list[tuple[int, int]], sec: Sections) -> list[Piece]:
    """Every non-blank line as pieces: its known kind; else a heading (and the narrative
    after its marker's title on the same line); else narrative, minus the chrome inside."""
    pieces: list[Piece] = []
    for i, (s, e) in enumerate(lines):
        if i % 1024 == 0:
            deadline.check("segment")
        line = text[s:e]
        if not line.strip():
            continue
        if i in kinds:
            pieces.append(Piece(kinds[i], s, e, table=table_of.get(i)))
            continue
        hs = heading_split(line, sec)
        if hs is not None:
            marker, level, tstart, hend = hs
            pieces.append(Piece("heading", s, s + hend, marker=marker, level=level, title_start=s + tstart))
            if line[hend:].strip():
                pieces.append(Piece("narrative", s + hend, e))
            continue
        pos = s
        for a, b in _covered(s, e, chrome):
            if a > pos:
                pieces.append(Piece("narrative", pos, a))
            pieces.append(Piece("chrome", a, b))
            pos = b
        if pos < e:
            pieces.append(Piece("narrative", pos, e))
    return pieces


def section_tree(text: str, pieces: list[Piece]) -> list[Section]:
    """Sections from the marked headings (a heading closes every open section of its level
    or deeper); a section ends where the next one of its level or higher starts."""
    sections: list[Section] = []
    stack: list[Section] = []
    for p in pieces:
        if p.kind != "heading" or not p.level:
            continue
        while stack and stack[-1].level >= p.level:
            stack.pop()
        a, b = _trim(text, p.start, p.end)
        sec = Section(id=f"s{len(sections) + 1}", level=p.level, marker=p.marker.strip(),
                      title=text[p.title_start:b].rstrip("。.:：；; \u3000"), start=a,
                      end=len(text), heading_end=b, parent=stack[-1].id if stack else None)
        sections.append(sec)
        stack.append(sec)
    for k, sec in enumerate(sections):
        nxt = next((o for o in sections[k + 1:] if o.level <= sec.level), None)
        end = nxt.start if nxt else len(text)
        sections[k] = dataclasses.replace(sec, end=_trim(text, sec.start, end)[1])
    return sections


def blocks_of(text: str, lines: list[tuple[int, int]], pieces: list[Piece],
              sections: list[Section], srules: Sections) -> list[Block]:
    """Pieces trimmed and joined into blocks: neighbours of one kind, section and table
    with only white space between them are one block (headings stay apart, and so do
    two flattened tables one after the other)."""
    section_at = _section_finder(sections)
    blocks: list[Block] = []
    for p in pieces:
        a, b = _trim(text, p.start, p.end)
        if a >= b:
            continue
        sec = section_at(a)
        tab = p.table if p.kind == "table" else None
        prev = blocks[-1] if blocks else None
        if (prev is not None and prev.kind == p.kind and prev.section == sec
                and prev.table == tab and p.kind != "heading"
                and not text[prev.end:a].strip()
                and not (p.kind == "table" and _new_table(text, lines, prev, a, srules))):
            blocks[-1] = dataclasses.replace(prev, end=b)
        else:
            blocks.append(Block(kind=p.kind, start=a, end=b, section=sec, table=tab))
    return blocks


def _new_table(text: str, lines: list[Line], prev: Block, start: int, sec: Sections) -> bool:
    """Whether a table line at ``start`` begins a table of its own (a split marker, or a
    different loader table)."""
    if prev.table is not None:
        return False
    line_end = text.find("\n", start)
    line = text[start: len(text) if line_end < 0 else line_end].strip()
    return any(regex(p).match(line) for p in sec.tables["split"])


def _section_finder(sections: list[Section]):
    """``section_at(pos)``: the id of the last section (deeper or later) whose range holds
    ``pos``. Positions asked in increasing order are answered by one sweep over the sections
    (amortised O(1) each, where scanning every section made segmenting quadratic); a
    smaller position than the one before restarts the sweep."""
    state = {"pos": -1, "next": 0, "open": []}

    def section_at(pos: int) -> Optional[str]:
        if pos < state["pos"]:
            state.update(next=0, open=[])
        state["pos"] = pos
        open_: list[Section] = state["open"]
        while state["next"] < len(sections) and sections[state["next"]].start <= pos:
            open_.append(sections[state["next"]])
            state["next"] += 1
        while open_ and not pos < max(open_[-1].end, open_[-1].heading_end):
            open_.pop()
        return open_[-1].id if open_ else None

    return section_at
