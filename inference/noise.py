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

from .config import load_config, rules_cache

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


@rules_cache
def _patterns() -> tuple[re.Pattern, str, int, list[re.Pattern], list[re.Pattern], list[re.Pattern]]:
    cfg = load_config("noise")
    py = cfg["pinyin"]
    gloss = re.compile(rf"(?<=[{CJK}])[(（](?:{py['syllable']})[)）]")
    html = [re.compile(p) for p in cfg.get("html", [])]
    junk = [re.compile(p) for p in cfg.get("junk", [])]
    return gloss, py["tones"], int(py["min_toned"]), html, junk, mirror_patterns()


@rules_cache
def mirror_patterns() -> list[re.Pattern]:
    """The strings spam mirror pages put in a report (``noise`` of configs/issuer.yaml),
    compiled once for the noise ranges and the issuer's clues."""
    return [re.compile(p) for p in load_config("issuer").get("noise", [])]


def noise_ranges(text: str) -> list[tuple[int, int, str]]:
    """Noise in ``text``: (start, end, kind) with kind pinyin | html | junk | mirror,
    sorted, not overlapping (the first found wins)."""
    gloss, tones, min_toned, html, junk, mirror = _patterns()
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
