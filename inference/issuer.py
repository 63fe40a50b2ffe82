"""Stage issuer: the canonical issuer of a report (``metadata.issuer``), beside the body as
written (``metadata.body``).

Every clue is read on its own — the header block (发布机构, 来源), the title, an organ named
in the opening of the text, ``metadata.body``, the contact address, the telephone area
code, the file or page name — into a :class:`Reading` (a division of the gazetteer, and an
organ: a government, its office, a department or a township). The readings are then
combined: the organ comes from the weightiest clue naming one, the division from the
weightiest clue naming one, lower clues fill in what is missing (the prefecture of
区政府办公室, the province of a county) and choose between homonyms; 本局/我区 … tell the
kind of organ when no clue names it. Clues holding page noise (the strings spam mirror
sites put in place of the body's name) are dropped with a warning. A report without an
issuer carries a warning saying why. Weights, suffixes and patterns: ``configs/issuer.yaml``;
divisions: :mod:`inference.gazetteer`.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Optional

from .config import regex
from .data import Document, Evidence, Issuer, IssuerRegion, ReportWarning
from .gazetteer import Gazetteer, Region, former_county, gazetteer

if TYPE_CHECKING:
    from .rules import Rules

LEVELS = ("province", "city", "county")


@dataclass(frozen=True)
class IssuerRules:
    """configs/issuer.yaml: the parsed file, its department pattern and its mirror strings
    (``noise.build_mirror``) compiled."""

    cfg: dict
    dept: re.Pattern
    mirror: tuple[re.Pattern, ...]


def build_issuer(cfg: dict, mirror: tuple[re.Pattern, ...]) -> IssuerRules:
    """The issuer rules of a parsed configs/issuer.yaml."""
    for key in ("weights", "generic_units", "governments", "townships", "self_refs",
                "text_chars", "header_lines", "source_labels", "department_reject", "issuer_end"):
        cfg[key]  # noqa: B018  (a missing key is a KeyError: ConfigError in load_rules)
    return IssuerRules(cfg, _dept_rx(cfg), mirror)


def _dept_rx(c: dict) -> re.Pattern:
    suf = "|".join(sorted(c["department_suffixes"], key=len, reverse=True))
    stop = c["department_stop"]
    body = stop.replace("[", "[^", 1) if stop.startswith("[") else f"(?:(?!{stop}).)"
    return re.compile(rf"{body}{{0,{c['department_max_chars']}}}?(?:{suf})")


@dataclass(frozen=True)
class Clue:
    """A stretch of text that may name the issuer: ``start``/``end`` locate it in the
    document (None for the file name, which is not in the text)."""

    kind: str
    text: str
    start: Optional[int]
    weight: float


@dataclass
class Reading:
    """What one clue says: candidate divisions (homonyms), the organ, where each was."""

    clue: Clue
    regions: list[Region] = field(default_factory=list)
    region_span: Optional[tuple[int, int]] = None  # offsets inside clue.text
    organ: Optional[str] = None
    organ_span: Optional[tuple[int, int]] = None
    department: Optional[str] = None
    township: Optional[str] = None
    office: bool = False
    unit_level: Optional[str] = None  # the level of a generic unit (区政府办公室 -> county)


# ---- reading one clue ---------------------------------------------------------------

def _chain(g: Gazetteer, text: str, hits, first: int) -> tuple[list[Region], int, int]:
    """Candidate divisions of the run of adjacent division names starting at hit
    ``first`` (湖北省黄石市大冶市), narrowed by each other; and its end, and the start of
    its deepest name."""
    start, end, cands = hits[first]
    deepest_at = start
    for s, e, regs in hits[first + 1:]:
        if s != end:
            break
        inner = [r for r in regs if any(r.within(c) for c in cands)]
        if not inner:
            break
        cands, end, deepest_at = inner, e, s
    return cands, end, deepest_at


def _organ(reading: Reading, rest: str, at: int, ir: IssuerRules) -> None:
    """The organ at the start of ``rest`` (``at``: its offset in the clue)."""
    c = ir.cfg
    m = regex(rf"^{c['townships']}").match(rest)
    if m and reading.regions and reading.regions[0].level == "county":
        reading.township = m.group(1)
        reading.organ = "人民政府" if "街道" not in m.group(1) else "办事处"
        reading.organ_span = (at, at + m.end())
        return
    for gov in c["governments"]:
        m = regex(rf"^(?:{gov['pattern']})").match(rest)
        if m:
            reading.organ, reading.office = gov["organ"], bool(gov.get("office"))
            reading.organ_span = (at, at + m.end())
            sub = None if gov.get("office") else _sub_department(rest[m.end():], ir)
            if sub:  # 湛江市人民政府地方志办公室: an office of the government, a department
                reading.organ, reading.department = gov["organ"] + sub, sub
                reading.organ_span = (at, at + m.end() + len(sub))
            return
    m = ir.dept.match(rest)
    if m and len(m.group(0)) >= 2 and not regex(c["department_reject"]).match(m.group(0)):
        reading.organ = reading.department = m.group(0)
        reading.organ_span = (at, at + m.end())


def _sub_department(rest: str, ir: IssuerRules) -> Optional[str]:
    """A department named right after a government (人民政府|地方志办公室|2023年), when the
    name is followed by what follows an issuer in a title (a year, 政府信息公开, the end):
    not a phrase that merely goes on (人民政府门户网站)."""
    c = ir.cfg
    m = ir.dept.match(rest)
    if not m or len(m.group(0)) < 2 or regex(c["department_reject"]).match(m.group(0)):
        return None
    return m.group(0) if regex(c["issuer_end"]).match(rest[m.end():]) else None


def _in_book_title(text: str, i: int) -> bool:
    return text.rfind("《", 0, i) > text.rfind("》", 0, i)


def _bounded(text: str, hit) -> bool:
    """A two-character name (和县, 城区) in running text only where a name can start: the
    start, a line or clause start, or after 年/度 (after 》 or a word, 和县政府 is "and the
    county government")."""
    s, e, _ = hit
    return e - s > 2 or s == 0 or text[s - 1] in "\n\t ，。；：,;:(（年度"


def read_clue(clue: Clue, ir: IssuerRules, first_only: bool = True) -> Optional[Reading]:
    """The reading of one clue: the first run of division names and the organ after it
    (with ``first_only=False``: the first run followed by an organ, for running text); a
    clue that starts with a generic unit (市政府办公室, 区交通运输局) gives the organ and
    the unit's level."""
    g = gazetteer()
    text = g.simplified(clue.text)
    hits = g.find(text)
    i = 0
    while i < len(hits):
        if _in_book_title(text, hits[i][0]) or (not first_only and not _bounded(text, hits[i])):
            i += 1
            continue
        cands, end, deepest_at = _chain(g, text, hits, i)
        r = Reading(clue, cands, (deepest_at, end))
        m = regex(r"^[\u4e00-\u9fa5]{1,4}?[县市区旗](?=人民政府|政府|政务|信息公开|\d|[\u4e00-\u9fa5]{0,10}局)").match(
            text[end:])
        if m and cands[0].level == "city" and not g.by_name.get(m.group(0)):
            former = former_county(g, cands[0], m.group(0))
            if former is not None:
                r.regions, r.region_span, end = [former], (end, end + m.end()), end + m.end()
        _organ(r, text[end:], end, ir)
        if first_only or r.organ is not None:
            return r
        i += 1 + sum(1 for h in hits[i + 1:] if h[0] < end)
    m = regex(r"^[\u4e00-\u9fa5]{1,4}?县(?=人民政府|政府)").match(text)
    if m and not g.by_name.get(m.group(0)):
        former = former_county(g, None, m.group(0))
        if former is not None:
            r = Reading(clue, [former], (0, m.end()))
            _organ(r, text[m.end():], m.end(), ir)
            return r
    units = ir.cfg["generic_units"]
    for unit in sorted(units, key=len, reverse=True):
        if text.startswith(unit):
            r = Reading(clue, unit_level=units[unit])
            _organ(r, text[len(unit):], len(unit), ir)
            if r.organ is not None:
                return r
    return None


# ---- clues of a document ------------------------------------------------------------

def _clue_from_evidence(doc: Document, name: str, kind: str, ir: IssuerRules) -> Optional[Clue]:
    ev = doc.metadata.evidence.get(name)
    if ev is None or ev.start is None or ev.end is None:
        return None
    return Clue(kind, doc.text[ev.start:ev.end], ev.start, ir.cfg["weights"][kind])


def _source_lines(text: str, ir: IssuerRules) -> list[Clue]:
    c = ir.cfg
    head = "\n".join(text.split("\n")[: c["header_lines"]])
    return [Clue("source_line", m.group(1), m.start(1), c["weights"]["source_line"])
            for m in regex(c["source_labels"]).finditer(head)]


def _file_clue(source: str, ir: IssuerRules) -> Optional[Clue]:
    name = PurePosixPath(source.replace("\\", "/").split("!")[-1]).stem
    if not re.search(r"[\u4e00-\u9fa5]", name):
        return None
    return Clue("filename", name, None, ir.cfg["weights"]["filename"])


def clues(doc: Document, ir: IssuerRules) -> list[Clue]:
    """The clues of ``doc``, weightiest first."""
    md = doc.metadata
    out: list[Clue] = []
    if "body" in md.evidence and md.evidence["body"].kind == "header":
        out.append(_clue_from_evidence(doc, "body", "header", ir))
    elif "body" in md.evidence:
        out.append(_clue_from_evidence(doc, "body", "body", ir))
    out += _source_lines(doc.text, ir)
    out.append(_clue_from_evidence(doc, "title", "title", ir))
    out.append(_clue_from_evidence(doc, "contacts.address", "address", ir))
    if doc.source:
        out.append(_file_clue(doc.source, ir))
    return sorted((c for c in out if c is not None and c.text), key=lambda c: -c.weight)


def noise_in(text: str, ir: IssuerRules) -> Optional[re.Match]:
    """The first page-noise string (spam mirror) in ``text``, if any."""
    for rx in ir.mirror:
        m = rx.search(text)
        if m:
            return m
    return None


def _phone_reading(doc: Document, ir: IssuerRules) -> Optional[Reading]:
    ev = doc.metadata.evidence.get("contacts.phone")
    if ev is None or ev.start is None:
        return None
    m = re.match(r"\s*[(（]?(0\d{2,3})", ev.text)
    g = gazetteer()
    if not m:
        return None
    for n in (4, 3):
        code = m.group(1)[:n]
        if code in g.area_codes:
            region = g.city_by_alias(*g.area_codes[code])
            if region is not None:
                clue = Clue("phone", ev.text, ev.start, ir.cfg["weights"]["phone"])
                return Reading(clue, [region], (m.start(1), m.start(1) + n))
    return None


def _self_ref(text: str, ir: IssuerRules) -> Optional[tuple[str, int, int]]:
    head = text[: ir.cfg["text_chars"]]
    best = None
    for ref in ir.cfg["self_refs"]:
        m = regex(ref["pattern"]).search(head)
        if m and (best is None or m.start() < best[1]):
            best = (ref["kind"], m.start(), m.end())
    return best


# ---- combining the readings ---------------------------------------------------------

def _depth(r: Region) -> int:
    return LEVELS.index(r.level)


def _consistent(a: Region, b: Region) -> bool:
    return a.within(b) or b.within(a)


def _support(cand: Region, readings: list[Reading]) -> float:
    return sum(r.clue.weight for r in readings
               if any(_consistent(cand, x) for x in r.regions))


def _best_region(base: Reading, readings: list[Reading], max_level: Optional[str]
                 ) -> tuple[Optional[Region], Optional[Reading]]:
    """The division of ``base`` (homonyms decided by the other clues); without one, the
    best supported division of the other clues, not deeper than ``max_level``."""
    pool = [base] if base.regions else [r for r in readings if r.regions]
    best, best_r, best_key = None, None, None
    for r in pool:
        for cand in r.regions:
            if max_level and _depth(cand) > LEVELS.index(max_level):
                continue
            key = (_support(cand, readings), r.clue.weight, _depth(cand))
            if best_key is None or key > best_key:
                best, best_r, best_key = cand, r, key
    return best, best_r


def _deepen(region: Region, target: str, readings: list[Reading]
            ) -> tuple[Region, Optional[Reading]]:
    """A deeper division inside ``region`` down to level ``target`` named by another
    clue (the county of 区政府办公室 from the address), else ``region``."""
    for r in readings:
        for cand in r.regions:
            if cand.within(region) and _depth(region) < _depth(cand) <= LEVELS.index(target):
                return cand, r
    return region, None


def _ev(reading: Reading, span: Optional[tuple[int, int]], source: str) -> Evidence:
    c = reading.clue
    if c.start is None:
        return Evidence(kind="source", text=c.text, source=source)
    if span is None:
        span = (0, len(c.text))
    s, e = c.start + span[0], c.start + span[1]
    kind = "header" if c.kind in ("header", "source_line") else "span"
    return Evidence(kind=kind, text=c.text[span[0]:span[1]], start=s, end=e, source=source)


def resolve(readings: list[Reading], self_ref: Optional[tuple[str, int, int]],
            text: str, source: str, ir: IssuerRules) -> Optional[Issuer]:
    """The issuer the readings agree on (None if no division is known)."""
    c = ir.cfg
    orgs = [r for r in readings if r.organ]
    org = max(orgs, key=lambda r: (r.clue.weight, bool(r.regions)), default=None)
    regs = [r for r in readings if r.regions]
    if not regs:
        return None
    base = org if org is not None and org.regions else max(regs, key=lambda r: r.clue.weight)
    unit = org.unit_level if org is not None else None
    region, reg_r = _best_region(base, readings, unit)
    if region is None:
        return None
    conf = max(reg_r.clue.weight, org.clue.weight if org else 0.0)
    deep_r = None
    if unit and _depth(region) < LEVELS.index(unit):
        region, deep_r = _deepen(region, unit, readings)
        if deep_r is None:
            conf -= c["unresolved_prefix_penalty"]
    elif self_ref and self_ref[0] in LEVELS and _depth(region) < LEVELS.index(self_ref[0]) \
            and (org is None or not org.regions):
        region, deep_r = _deepen(region, self_ref[0], readings)
    ev: dict[str, Evidence] = {"region": _ev(deep_r or reg_r, (deep_r or reg_r).region_span,
                                             source)}
    organ = org.organ if org else None
    department = org.department if org else None
    township = org.township if org and org.regions and region.level == "county" else None
    kind = self_ref[0] if self_ref else None
    named = org is not None or base.clue.weight > c["weights"]["address"]
    if organ is None and named and kind in (None, "organ") + LEVELS:
        organ = "人民政府"
    if org is not None:
        ev["organ"] = _ev(org, org.organ_span, source)
    if self_ref:
        ev["self_reference"] = Evidence(kind="span", text=text[self_ref[1]:self_ref[2]],
                                        start=self_ref[1], end=self_ref[2], source=source)
    if township:
        level = "township"
    elif department or (org is not None and org.office and kind == "department"):
        level, department = "department", department or organ
    elif kind == "department" and organ == "人民政府" and org is None:
        level, organ = "department", None
    elif organ is None:
        level = None  # a division from the address or telephone only: no organ named
    else:
        level = unit if unit and unit in LEVELS else region.level
    agree = sum(1 for r in readings if r is not reg_r and r.regions
                and any(_consistent(region, x) for x in r.regions))
    conf = min(c["max_confidence"], conf + c["agree_bonus"] * agree)
    name = None if organ is None else region.full_name() + (township or "") + organ
    return Issuer(name=name, region=IssuerRegion(region.code, region.province, region.city,
                                                 region.county, township),
                  level=level, organ=organ, department=department,
                  former_name=region.former, confidence=round(conf, 3), evidence=ev)


def find_issuer(doc: Document, ir: IssuerRules) -> tuple[Optional[Issuer], list[ReportWarning]]:
    """The issuer of ``doc`` (read after the metadata) and the warnings about it."""
    warnings: list[ReportWarning] = []
    readings: list[Reading] = []
    for clue in clues(doc, ir):
        m = noise_in(clue.text, ir)
        if m:
            s = None if clue.start is None else clue.start + m.start()
            warnings.append(ReportWarning(
                "issuer_noise", f"page noise in the {clue.kind} ({m.group(0)!r}): a mirror "
                f"page's string, not the issuer; clue left out", s,
                None if s is None else s + len(m.group(0))))
            continue
        r = read_clue(clue, ir)
        if r is not None:
            readings.append(r)
    head = doc.text[: ir.cfg["text_chars"]]
    text_r = read_clue(Clue("text", head, 0, ir.cfg["weights"]["text"]), ir, first_only=False)
    if text_r is not None and not noise_in(head[slice(*(text_r.region_span or (0, 0)))], ir):
        readings.append(text_r)
    phone = _phone_reading(doc, ir)
    if phone is not None:
        readings.append(phone)
    issuer = resolve(readings, _self_ref(doc.text, ir), doc.text, doc.source, ir)
    if issuer is None:
        why = ("only page noise where the body's name should be"
               if any(w.code == "issuer_noise" for w in warnings) else
               "no clue (header, title, text, address, telephone area code, file name) "
               "names a known division")
        warnings.append(ReportWarning("issuer_missing", f"no issuer: {why}"))
    return issuer, warnings


def issuer(doc: Document, rules: Rules) -> Document:
    """Stage issuer: ``metadata.issuer`` and its warnings, read with ``rules``."""
    found, warns = find_issuer(doc, rules.issuer)
    md = dataclasses.replace(doc.metadata, issuer=found)
    return dataclasses.replace(doc, metadata=md, warnings=list(doc.warnings) + warns)
