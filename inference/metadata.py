"""Metadata of a report: the web page's header block (名称, 索引号, 发布机构, 发文日期, 文号,
主题分类), report year, issuing body, statistical period, publish date, contacts and the
template format, each value with its evidence. Patterns live in ``configs/metadata.yaml``."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from .config import regex
from .data import Evidence, Metadata

if TYPE_CHECKING:
    from .rules import Rules


@dataclass(frozen=True)
class Found:
    value: str
    start: int
    end: int
    kind: str = "span"


_PARTS = ("date", "year", "header", "title", "period", "body", "contacts", "format")


def build_metadata(cfg: dict) -> dict:
    """A parsed configs/metadata.yaml, checked to hold every part the readers use."""
    missing = [k for k in _PARTS if k not in cfg]
    if missing:
        raise KeyError(missing[0])
    for part in ("header", "title", "year", "contacts", "format"):
        if not isinstance(cfg[part], dict):
            raise TypeError(f"{part} must be a mapping")
    return cfg


def parse_date(raw: str) -> Optional[str]:
    """ISO date of a Chinese or numeric date, tolerant of lost separators ("201711日" is
    2017-01-01, "20171231日" is 2017-12-31); None if it is not a valid date."""
    groups = re.findall(r"\d+", raw)
    if not groups or len(groups[0]) < 4:
        return None
    first = groups[0]
    year, rest = int(first[:4]), [g for g in [first[4:]] + groups[1:] if g]
    if len(rest) >= 2:
        md = [(int(rest[0]), int(rest[1]))]
    elif len(rest) == 1:
        d = rest[0]
        md = [(int(d[:i]), int(d[i:])) for i in (2, 1) if 0 < i < len(d)] if len(d) > 1 else []
        md = [x for x in md if len(d) <= 4]
    else:
        md = []
    for m, dd in md:
        if 1 <= m <= 12 and 1 <= dd <= 31:
            return f"{year:04d}-{m:02d}-{dd:02d}"
    return None


def _year_ok(y: int, cfg: dict) -> bool:
    lo, hi = cfg["year"]["valid"]
    return lo <= y <= hi


def read_header(text: str, md_cfg: dict) -> tuple[dict[str, Found], list[tuple[int, int]]]:
    """Fields of the header block (field -> value with offsets) and the line ranges that
    make up the block (page chrome for the segmenter); ``md_cfg``: the metadata rules."""
    cfg = md_cfg["header"]
    labels: list[tuple[str, str]] = []
    for fld, pats in cfg["fields"].items():
        labels += [(fld, p) for p in pats]
    alt = "|".join(f"(?P<f{i}>{p})" for i, (_, p) in enumerate(labels))
    label_rx = regex(rf"(?:^|(?<=[\s|]))(?:{alt}){cfg['separator']}")
    found: dict[str, list[tuple[int, Found]]] = {}
    lines: list[tuple[int, int]] = []
    pos = 0
    for n, line in enumerate(text.split("\n")):
        if n >= cfg["max_lines"]:
            break
        hits = list(label_rx.finditer(line))
        if hits and not line[: hits[0].start()].strip(" \t|"):
            lines.append((pos, pos + len(line)))
            for k, m in enumerate(hits):
                idx = next(int(g[1:]) for g, v in m.groupdict().items() if v is not None)
                fld = labels[idx][0]
                vend = hits[k + 1].start() if k + 1 < len(hits) else len(line)
                raw = line[m.end():vend]
                val = raw.strip(" \t|:：\u3000")
                if val and not fld.startswith("_"):
                    vs = m.end() + raw.index(val)
                    rank = [p for f, p in labels if f == fld].index(labels[idx][1])
                    found.setdefault(fld, []).append(
                        (rank, Found(val, pos + vs, pos + vs + len(val), "header")))
        pos += len(line) + 1
    return {f: min(v, key=lambda x: x[0])[1] for f, v in found.items()}, lines


def find_title(text: str, header: dict[str, Found], rules: Rules) -> Optional[Found]:
    if "title" in header:
        return header["title"]
    cfg = rules.metadata["title"]
    from .segment import match_marker

    pos = 0
    for n, line in enumerate(text.split("\n")):
        if n >= cfg["max_lines"]:
            break
        s = line.strip()
        if s and len(s) <= cfg["max_chars"] and regex(cfg["pattern"]).search(s) \
                and match_marker(s, rules.sections) is None and "《" not in s:
            st = pos + line.index(s)
            return Found(s, st, st + len(s))
        pos += len(line) + 1
    return None


def find_period(text: str, cfg: dict) -> Optional[tuple[Found, str, str]]:
    date = cfg["date"]
    for pat in cfg["period"]:
        for m in regex(pat.replace("{date}", date)).finditer(text):
            a, b = parse_date(m.group(1)), parse_date(m.group(2))
            if a and b and a <= b:
                return Found(m.group(0), m.start(), m.end()), a, b
    return None


def find_year(text: str, title: Optional[Found], period, publish: Optional[str], md_cfg: dict
              ) -> Optional[tuple[int, Found]]:
    cfg = md_cfg["year"]
    if title is not None:
        m = regex(cfg["title"]).search(title.value)
        if m and _year_ok(int(m.group(1)), md_cfg):
            s = title.start + m.start(1)
            return int(m.group(1)), Found(m.group(1), s, s + 4, title.kind)
    if period is not None:
        found, a, b = period
        if a[:4] == b[:4]:
            return int(a[:4]), found
    m = regex(cfg["text"]).search(text[: cfg["frequent_chars"]])
    if m and _year_ok(int(m.group(1)), md_cfg):
        return int(m.group(1)), Found(m.group(1), m.start(1), m.end(1))
    hits = [m for m in regex(cfg["frequent"]).finditer(text[: cfg["frequent_chars"]])
            if _year_ok(int(m.group(1)), md_cfg)
            and (publish is None or int(m.group(1)) <= int(publish[:4]))]
    if hits:
        year = Counter(int(m.group(1)) for m in hits).most_common(1)[0][0]
        m = next(m for m in hits if int(m.group(1)) == year)
        return year, Found(m.group(1), m.start(1), m.end(1))
    return None


def find_body(text: str, title: Optional[Found], cfg: dict) -> Optional[Found]:
    """The issuing body: a contact sentence (请与……联系), the title's prefix, or the
    subject of the opening sentence."""
    for i, pat in enumerate(cfg["body"]):
        rx = regex(pat, re.M)
        if i in (1, 2):  # patterns on the title
            m = rx.search(title.value) if title is not None else None
            if m and m.group(1).strip():
                s = title.start + m.start(1)
                return Found(m.group(1), s, s + len(m.group(1)), title.kind)
            continue
        for lo, hi in ((0, 6000), (max(0, len(text) - 3000), len(text))):
            m = rx.search(text, lo, hi)
            if m:
                return Found(m.group(1), m.start(1), m.end(1))
    return None


def find_contacts(text: str, md_cfg: dict) -> dict[str, Found]:
    cfg = md_cfg["contacts"]
    head, tail_at = cfg["search_head_chars"], max(0, len(text) - cfg["search_tail_chars"])
    out: dict[str, Found] = {}
    for key in ("address", "postcode", "phone", "fax", "email", "website"):
        rx = regex(cfg[key])
        m = rx.search(text, 0, head) or rx.search(text, max(tail_at, head))
        if m:
            out[key] = Found(m.group(1), m.start(1), m.end(1))
    return out


def find_format(text: str, year: Optional[int], md_cfg: dict) -> Optional[tuple[str, Optional[Found]]]:
    cfg = md_cfg["format"]
    for mk in cfg["markers"]:
        m = regex(mk["pattern"]).search(text)
        if m:
            return mk["format"], Found(m.group(0), m.start(), m.end())
    if year is not None:
        for rule in cfg["by_year"]:
            if year >= rule["from"]:
                return rule["format"], None
    return None


def extract_metadata(text: str, rules: Rules, source: Optional[str] = None
                     ) -> tuple[Metadata, list[tuple[int, int]]]:
    """The metadata of a report text read with ``rules`` (its metadata and section
    markers), and the line ranges of its header block."""
    cfg = rules.metadata
    header, header_lines = read_header(text, cfg)
    ev: dict[str, Evidence] = {}
    md = Metadata()

    def put(name: str, value, f: Optional[Found]) -> None:
        setattr(md, name, value)
        if f is not None:
            ev[name] = Evidence(kind="header" if f.kind == "header" else "span",
                                text=text[f.start:f.end], start=f.start, end=f.end,
                                source=source)

    for name in ("index_no", "doc_no", "category"):
        if name in header:
            put(name, header[name].value, header[name])
    title = find_title(text, header, rules)
    if title:
        put("title", title.value, title)
    publish = None
    if "publish_date" in header:
        publish = parse_date(header["publish_date"].value)
        if publish:
            put("publish_date", publish, header["publish_date"])
    period = find_period(text, cfg)
    if period:
        f, a, b = period
        put("period_start", a, f)
        put("period_end", b, f)
    year = find_year(text, title, period, publish, cfg)
    if year is None and publish:
        md.year = int(publish[:4]) - 1
        ev["year"] = ev["publish_date"]
    elif year is not None:
        put("year", year[0], year[1])
    body = header.get("body") or find_body(text, title, cfg)
    if body:
        put("body", body.value, body)
    for key, f in find_contacts(text, cfg).items():
        md.contacts[key] = f.value
        ev[f"contacts.{key}"] = Evidence(kind="span", text=f.value, start=f.start, end=f.end,
                                         source=source)
    fmt = find_format(text, md.year, cfg)
    if fmt:
        put("format", fmt[0], fmt[1])
        if fmt[1] is None and "year" in ev:
            ev["format"] = ev["year"]
    md.evidence = ev
    return md, header_lines
