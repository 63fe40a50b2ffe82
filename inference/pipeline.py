"""The pipeline, wired in this one place: load → clean → issuer → segment → tables → ner → link →
normalise → output.

Each stage is a pure function ``Document -> Document`` of its rules (the model, where a
stage needs one, is loaded once by the caller and passed in). The rules are one
``inference.rules.Rules`` object, loaded and validated once, held by the ``Pipeline`` and
passed to each stage. ``Pipeline`` runs them in order, so a reader
finds each stage's room by its name: ``inference/clean.py``, ``inference/segment.py``, ...
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence, Union

from . import clean, deadline, issuer, link, load, ner, normalise, segment, tables
from .data import Document
from .rules import Rules, default_rules

Stage = Callable[[Document], Document]


@dataclass
class Pipeline:
    """An ordered list of named stages. ``tagger`` is the loaded NER model (or None for
    rules only) and ``rules`` the loaded rules (default: ``default_rules()``, the configs
    folder in use); they are the only state, created once and shared by every call."""

    tagger: Optional[ner.Tagger] = None
    stages: Sequence[str] = field(
        default_factory=lambda: ("clean", "issuer", "segment", "tables", "ner", "link",
                                 "normalise")
    )
    rules: Rules = field(default_factory=default_rules)

    def stage(self, name: str) -> Stage:
        table: dict[str, Stage] = {
            "clean": lambda d: clean.clean(d, self.rules),
            "issuer": lambda d: issuer.issuer(d, self.rules),
            "segment": lambda d: segment.segment(d, self.rules),
            "tables": lambda d: tables.parse_tables(d, self.rules),
            "ner": lambda d: ner.tag(d, self.tagger, self.rules),
            "link": lambda d: link.link(d, self.rules),
            "normalise": lambda d: normalise.normalise(d, self.rules),
        }
        if name not in table:
            raise ValueError(f"unknown pipeline stage {name!r}; known: {', '.join(table)}")
        return table[name]

    def __call__(self, doc: Document) -> Document:
        for name in self.stages:
            deadline.check(f"before {name}")  # the per-report time limit, if one is set
            doc = self.stage(name)(doc)
        return doc

    def run_text(self, text: str, source: str = "<text>") -> Document:
        return self(load.from_text(text, source=source))

    def run_path(self, path: Union[str, Path]) -> Document:
        return self(load.load_path(path, rules=self.rules))
