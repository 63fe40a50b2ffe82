"""Metric phrase -> taxonomy key by synonym match: a thin view of the one typed taxonomy
(``inference.tables.taxonomy.load_taxonomy``).

Labels are compared after ``inference.tables.values.norm_label`` (NFKC, simplified script),
and also without a trailing 数/数量/次数/总数, so the METRIC 主动公开政府信息 meets the synonym
主动公开政府信息数. Entries restricted to a parent (``within``) are skipped: a narrative phrase
has no parent row. No match: None. The learned mapper for phrases the synonyms miss is
``inference.normalise.keymap``."""
from __future__ import annotations

from typing import Optional

from ..tables.taxonomy import load_taxonomy


def key_of(metric: str) -> Optional[str]:
    """The taxonomy key of a metric phrase by synonym, or None."""
    return load_taxonomy().narrative_key(metric)


def metric_phrases() -> set[str]:
    """The synonyms and names of the taxonomy as they may stand in running text."""
    return load_taxonomy().metric_phrases()
