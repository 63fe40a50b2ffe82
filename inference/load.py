"""Stage load: files (txt, html, pdf, docx) and strings into a Document."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Union

from .data import Document


class LoadError(ValueError):
    """An input that cannot be read as a report; the message says why."""


def from_text(text: str, source: str = "<text>") -> Document:
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(source=source, text=text, sha256=sha, format="txt", encoding="utf-8")


def load_path(path: Union[str, Path]) -> Document:
    p = Path(path)
    return from_text(p.read_text(encoding="utf-8"), source=str(p))
