"""Traditional → simplified Chinese for matching only (OpenCC ``t2s``).

Labels and metric phrases are compared in simplified script, so 公開 / 申請 / 結轉 / 規範
meet the taxonomy and the templates as 公开 / 申请 / 结转 / 规范 do. The converted string is
used only as a comparison key: offsets and the text of spans, cells and evidence are never
taken from it. The converter is built once per process (``opencc`` package; choice in
docs/guide.md).
"""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=65536)
def to_simplified(text: str) -> str:
    """``text`` in simplified script (unchanged when it is simplified already); cached,
    for the short labels and phrases that come back in every report."""
    return convert(text)


def convert(text: str) -> str:
    """``to_simplified`` without the cache, for long stretches of one report (narrative
    blocks, clauses) that would only fill it."""
    if not text or text.isascii():
        return text
    return _converter().convert(text)


def aligned(text: str, cached: bool = False) -> str:
    """``text`` in simplified script for matching by offset: the conversion when it keeps the
    length (t2s maps one character to one, nearly always), else ``text`` as it is. ``cached``:
    through ``to_simplified``, for short phrases such as a span's text."""
    simple = to_simplified(text) if cached else convert(text)
    return simple if len(simple) == len(text) else text
