"""Annotation sets: immutable, versioned folders under ``annotations/data/``.

A set folder holds ``spans.jsonl`` (one ``AnnotatedText`` per line: doc_id, text, source,
meta, spans [{id, start, end, label, text}], relations [{from_id, to_id, label}]) and
``manifest.json``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Union

from inference.data import AnnotatedText, Relation, Span, to_dict

DATA_DIR = Path(__file__).resolve().parent / "data"
SPANS_FILE = "spans.jsonl"


def doc_from_dict(d: dict) -> AnnotatedText:
    return AnnotatedText(
        doc_id=d["doc_id"],
        text=d["text"],
        spans=[Span(**{k: v for k, v in s.items()}) for s in d.get("spans", [])],
        relations=[Relation(**r) for r in d.get("relations", [])],
        source=d.get("source"),
        meta=d.get("meta", {}),
    )


def read_spans_jsonl(path: Union[str, Path]) -> list[AnnotatedText]:
    with Path(path).open(encoding="utf-8") as fh:
        return [doc_from_dict(json.loads(line)) for line in fh if line.strip()]


def write_spans_jsonl(docs: Iterable[AnnotatedText], path: Union[str, Path]) -> None:
    with Path(path).open("w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(to_dict(d), ensure_ascii=False) + "\n")


def load_set(path: Union[str, Path]) -> list[AnnotatedText]:
    """The documents of one annotation set (a set folder or its spans.jsonl)."""
    p = Path(path)
    if p.is_dir():
        p = p / SPANS_FILE
    if not p.is_file():
        raise FileNotFoundError(f"no annotation set at {path} (expected {SPANS_FILE})")
    return read_spans_jsonl(p)


def list_sets(data_dir: Union[str, Path] = DATA_DIR) -> list[Path]:
    """All set folders, oldest name first."""
    return sorted(p for p in Path(data_dir).iterdir() if (p / SPANS_FILE).is_file())
