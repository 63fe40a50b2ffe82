"""Stage tables: grid reconstruction, template mapping, arithmetic checks, table facts."""
from __future__ import annotations

from ..data import Document


def parse_tables(doc: Document) -> Document:
    return doc
