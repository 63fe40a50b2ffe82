"""Stage clean: mark page chrome (breadcrumbs, 分享, 字号, 语音播报 ...) and read the
metadata (header block, year, body, period, dates, contacts). The text itself is never
changed: chrome is recorded as ranges in ``Document.chrome``."""
from __future__ import annotations

from .data import Document


def clean(doc: Document) -> Document:
    return doc
