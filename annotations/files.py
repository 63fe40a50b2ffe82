"""Readers and writers behind the CLI: Label Studio exports and annotation sets on disk.

An input path is either a Label Studio JSON export (a ``.json`` list of tasks), a set
folder, or a ``spans.jsonl`` file.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Union

from inference.data import AnnotatedText

from .config import label_names, relation_rules
from .convert import Conversion, char_bio, convert_export, docs_to_tasks
from .pull import build_set
from .sets import (DATA_DIR, EXPORT_FILE, SPANS_FILE, WriteResult, load_manifest, load_set, write_set,
                   write_spans_jsonl)
from .stats import agreement, set_counts
from .validate import Issue, validate_docs

FORMATS = ("spans", "bio", "ls", "set")


def is_export(path: Path) -> bool:
    return path.is_file() and path.suffix == ".json"


def read_export(path: Union[str, Path]) -> list[dict]:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{p}: not a JSON file ({exc})") from None
    if not isinstance(data, list):
        raise ValueError(f"{p}: not a Label Studio JSON export (expected a list of tasks)")
    return data


def read_docs(path: Union[str, Path], policy: str = "ground_truth") -> tuple[list[AnnotatedText], list[Issue]]:
    """Documents of an export (converted) or of a set; the issues of the conversion."""
    p = Path(path)
    if is_export(p):
        conv = convert_export(read_export(p), policy=policy)
        return conv.docs, conv.issues
    return load_set(p), []


def validate_path(path: Union[str, Path], policy: str = "ground_truth") -> tuple[list[Issue], dict]:
    """Every issue of an export (conversion + set checks) or of a set, and counts."""
    p = Path(path)
    if is_export(p):
        conv: Conversion = convert_export(read_export(p), policy=policy)
        issues = conv.issues + validate_docs(conv.docs, label_names(), relation_rules())
        return issues, dict(conv.counts)
    docs = load_set(p)
    return validate_docs(docs, label_names(), relation_rules()), {
        "docs": len(docs), "spans": sum(len(d.spans) for d in docs),
        "relations": sum(len(d.relations) for d in docs)}


def write_bio(docs: list[AnnotatedText], out: Path) -> None:
    """One JSON line per document: doc_id, text, tags (one BIO tag per character)."""
    with out.open("w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps({"doc_id": d.doc_id, "text": d.text, "tags": char_bio(d)}, ensure_ascii=False) + "\n")


def convert_file(src: Union[str, Path], to: str, out: Union[str, Path], policy: str = "ground_truth",
                 strict: bool = True, title: Optional[str] = None) -> Union[Path, WriteResult]:
    """Convert ``src`` to ``to`` (spans | bio | ls | set) at ``out`` (for ``set``: the data
    folder the new set goes into). Errors of an export conversion raise unless not strict."""
    from .validate import ValidationError

    src, out = Path(src), Path(out)
    if to not in FORMATS:
        raise ValueError(f"unknown format {to!r}; one of {', '.join(FORMATS)}")
    if to == "set":
        if not is_export(src):
            raise ValueError("--to set needs a Label Studio JSON export as input")
        raw = src.read_bytes()
        conv, manifest, name = build_set(raw, project_id=None, project_title=title or src.stem,
                                         ls_version=None, policy=policy, strict=strict)
        manifest["source_export"]["original_file"] = src.name
        return write_set(conv.docs, name if title is None else title, manifest, out, {EXPORT_FILE: raw})
    docs, issues = read_docs(src, policy)
    errs = [i for i in issues if i.level == "error"]
    if errs and strict:
        raise ValidationError(issues, what=str(src))
    if out.exists() and out.is_dir():
        out = out / (SPANS_FILE if to == "spans" else f"{to}.jsonl" if to == "bio" else "tasks.json")
    if to == "spans":
        write_spans_jsonl(docs, out)
    elif to == "bio":
        write_bio(docs, out)
    else:
        out.write_text(json.dumps(docs_to_tasks(docs), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out


def stats_path(path: Union[str, Path], policy: str = "ground_truth") -> tuple[dict, Optional[dict]]:
    """Counts of a set or export, and agreement when the raw annotations are at hand (an
    export, or a set folder holding its export.json)."""
    p = Path(path)
    docs, _ = read_docs(p, policy)
    export = None
    if is_export(p):
        export = read_export(p)
    elif p.is_dir():
        name = (load_manifest(p).get("source_export") or {}).get("file") or EXPORT_FILE
        if (p / name).is_file():
            export = read_export(p / name)
    return set_counts(docs), (agreement(export) if export is not None else None)


__all__ = ["DATA_DIR", "convert_file", "read_docs", "read_export", "stats_path", "validate_path"]
