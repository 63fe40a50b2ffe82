"""Metric phrase -> taxonomy key by synonym match: a thin view of the one typed taxonomy
(``Rules.taxonomy``, built by ``inference.tables.taxonomy.build_taxonomy``).

Labels are compared after ``inference.tables.values.norm_label`` (NFKC, simplified script),
and also without a trailing 数/数量/次数/总数, so the METRIC 主动公开政府信息 meets the synonym
主动公开政府信息数. Entries restricted to a parent (``within``) are skipped: a narrative phrase
has no parent row. No match: None. The learned mapper for phrases the synonyms miss is
``inference.normalise.keymap``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from ..tables.taxonomy import Taxonomy


def key_of(metric: str, tax: Taxonomy) -> Optional[str]:
    """The key of a metric phrase in taxonomy ``tax`` by synonym, or None."""
    return tax.narrative_key(metric)
