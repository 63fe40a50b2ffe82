"""Stage clean: mark page chrome (breadcrumbs, 分享, 字号, 语音播报 ...) and read the
metadata (header block, year, body, period, dates, contacts). The text itself is never
changed: chrome is recorded as ranges in ``Document.chrome``; the words are data in
``configs/chrome.yaml``; the header block of the page (名称, 索引号, 发布机构 ...) is chrome
too, its values go to ``Document.metadata`` with their evidence. Noise inside lines (pinyin
glosses, HTML residue, junk, mirror strings: ``inference/noise.py``) goes to
``Document.noise``, and a mirror page gets a ``page_mirror`` warning."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from .data import Document, ReportWarning
from .metadata import extract_metadata
from .noise import noise_ranges

if TYPE_CHECKING:
    from .rules import Rules

_PUNCT = re.compile(r"[\s:：|/>＞»›·,，、\-—_【】\[\]()（）]*")


@dataclass(frozen=True)
class Chrome:
    """The compiled configs/chrome.yaml."""

    lines: tuple[re.Pattern, ...]  # whole lines that are chrome
    tokens: re.Pattern  # words a line made only of them is chrome
    max_line_chars: int
    max_header_line_chars: int
    page_numbers: tuple[re.Pattern, ...]  # page number lines of PDF pages (loaders/pdf.py)


def build_chrome(cfg: dict) -> Chrome:
    """The compiled chrome rules of a parsed configs/chrome.yaml."""
    return Chrome(tuple(re.compile(p) for p in cfg.get("lines", [])),
                  re.compile("|".join(f"(?:{p})" for p in cfg.get("tokens", [])) or r"(?!x)x"),
                  int(cfg.get("max_line_chars", 120)), int(cfg.get("max_header_line_chars", 300)),
                  tuple(re.compile(p) for p in cfg.get("page_numbers", [])))


def header_chrome(header_lines: list[tuple[int, int]], chrome: Chrome) -> list[tuple[int, int]]:
    """The header lines (名称: ..., 索引号: ...) that are chrome: only those up to
    ``max_header_line_chars`` long; a longer "line" is report text that lost its line
    breaks, not a header field."""
    limit = chrome.max_header_line_chars
    return [r for r in header_lines if 0 < r[1] - r[0] <= limit]


def chrome_ranges(text: str, chrome: Chrome) -> list[tuple[int, int]]:
    """Ranges of page chrome: whole lines that match a chrome line pattern, or lines made
    only of chrome tokens. Report sentences that merely mention a chrome word stay."""
    lines, tokens, max_chars = chrome.lines, chrome.tokens, chrome.max_line_chars
    out: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        s = line.strip()
        if s and len(s) <= max_chars:
            a = pos + line.index(s)
            if any(p.fullmatch(s) for p in lines):
                out.append((a, a + len(s)))
            elif tokens.search(s) and _PUNCT.fullmatch(tokens.sub("", s)):
                out.append((a, a + len(s)))
        pos += len(line) + 1
    return out


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def clean(doc: Document, rules: Rules) -> Document:
    """Stage clean: ``doc`` with its chrome, metadata and noise, read with ``rules``."""
    metadata, header_lines = extract_metadata(doc.text, rules, doc.source)
    ranges = chrome_ranges(doc.text, rules.chrome) + header_chrome(header_lines, rules.chrome)
    noise = noise_ranges(doc.text, rules.noise)
    warnings = list(doc.warnings)
    mirror = [(s, e) for s, e, k in noise if k == "mirror"]
    if mirror:
        s, e = mirror[0]
        warnings.append(ReportWarning("page_mirror", f"a mirror page: {len(mirror)} spam string(s) in the "
                                f"text (first {doc.text[s:e]!r}); left out of the analysis", s, e))
    return dataclasses.replace(doc, chrome=_merge(list(doc.chrome) + ranges), metadata=metadata,
                               noise=noise, warnings=warnings)
