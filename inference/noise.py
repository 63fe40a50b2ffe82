"""Web-page noise inside the text, as ranges (never deletions): pinyin glosses that some
sites print after each character of traditional-script pages (``報(bào)告``), HTML residue
(``<!--[if !supportLists]-->``, ``&nbsp;``), junk characters (zero-width, U+FFFD), and the
strings of spam mirror pages (``365bet``, ``欧洲五大联赛`` in place of a place name; the
patterns of configs/issuer.yaml, the list the issuer stage reads too).

``noise_ranges(text)`` gives ``(start, end, kind)``; the clean stage keeps them in
``Document.noise`` and warns when a page is a mirror; the NER model does not read them
(``inference.ner.model_regions``). Patterns are data in configs/noise.yaml.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


@dataclass(frozen=True)
class NoiseRules:
    """The compiled configs/noise.yaml, with the mirror strings of configs/issuer.yaml."""

    gloss: re.Pattern
    tones: str
    min_toned: int
    html: tuple[re.Pattern, ...]
    junk: tuple[re.Pattern, ...]
    mirror: tuple[re.Pattern, ...]


def build_noise(cfg: dict, mirror: tuple[re.Pattern, ...]) -> NoiseRules:
    """The compiled noise rules of a parsed configs/noise.yaml (``mirror``: ``build_mirror``)."""
    py = cfg["pinyin"]
    gloss = re.compile(rf"(?<=[{CJK}])[(（](?:{py['syllable']})[)）]")
    return NoiseRules(gloss, py["tones"], int(py["min_toned"]),
                      tuple(re.compile(p) for p in cfg.get("html", [])),
                      tuple(re.compile(p) for p in cfg.get("junk", [])), mirror)


def build_mirror(issuer_cfg: dict) -> tuple[re.Pattern, ...]:
    """The strings spam mirror pages put in a report (``noise`` of a parsed
    configs/issuer.yaml), compiled once for the noise ranges and the issuer's clues."""
    return tuple(re.compile(p) for p in issuer_cfg.get("noise", []))


def noise_ranges(text: str, rules: NoiseRules) -> list[tuple[int, int, str]]:
    """Noise in ``text`` by ``rules``: (start, end, kind) with kind pinyin | html | junk |
    mirror, sorted, not overlapping (the first found wins)."""
    r = rules
    gloss, tones, min_toned, html, junk, mirror = r.gloss, r.tones, r.min_toned, r.html, r.junk, r.mirror
    found: list[tuple[int, int, str]] = []
    glosses = list(gloss.finditer(text))
    toned = [m for m in glosses if any(ch in tones for ch in m.group(0))]
    keep = glosses if len(toned) >= min_toned else toned
    found += [(m.start(), m.end(), "pinyin") for m in keep]
    for kind, pats in (("html", html), ("junk", junk), ("mirror", mirror)):
        for p in pats:
            found += [(m.start(), m.end(), kind) for m in p.finditer(text) if m.end() > m.start()]
    out: list[tuple[int, int, str]] = []
    for s, e, k in sorted(found, key=lambda x: (x[0], -x[1])):
        if out and s < out[-1][1]:
            continue
        out.append((s, e, k))
    return out
