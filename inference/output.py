"""Stage output: the versioned per-report JSON record, its JSON Schema check, and the
writers (JSON Lines, flat facts CSV / Parquet).

JSON Lines are appended one complete line per ``os.write`` and fsync'd, so a run killed
mid-way leaves no half record; ``read_jsonl`` still ignores a trailing partial line, and
``JsonlWriter`` cuts one off before appending (so a resumed run never glues onto it).
"""
from __future__ import annotations

import json
import os
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Union

from .config import configs_dir
from .data import Document, to_dict
from .errors import OffsetError

SCHEMA_VERSION = "1.2"  # 1.2: metadata.issuer, checks[].cells, facts[].key_score, zero, recovered, ocr, noise;
# 1.1: "model" (the NER model version); 1.0 and 1.1 records still validate
ERROR_KINDS = ("load", "pipeline", "internal")


def record(doc: Document) -> dict[str, Any]:
    """The JSON record of one processed report."""
    return {
        "schema_version": SCHEMA_VERSION,
        "source": doc.source,
        "sha256": doc.sha256,
        "format": doc.format,
        "encoding": doc.encoding,
        "chars": len(doc.text),
        "model": doc.model,
        "metadata": to_dict(doc.metadata),
        "chrome": [list(r) for r in doc.chrome],
        "sections": to_dict(doc.sections),
        "blocks": to_dict(doc.blocks),
        "tables": to_dict(doc.tables),
        "entities": to_dict(doc.entities),
        "relations": to_dict(doc.relations),
        "facts": to_dict(doc.facts),
        "checks": to_dict(doc.checks),
        "warnings": to_dict(doc.warnings),
        "ocr": to_dict(doc.ocr),
        "noise": [list(r) for r in doc.noise],
        "error": None,
    }


def error_record(source: str, sha256: Optional[str], message: str, kind: str = "load"
                 ) -> dict[str, Any]:
    """The record of a report that could not be processed (kind: load, pipeline,
    internal); the run goes on."""
    if kind not in ERROR_KINDS:
        raise ValueError(f"error kind must be one of {ERROR_KINDS}, not {kind!r}")
    return {"schema_version": SCHEMA_VERSION, "source": source, "sha256": sha256,
            "error": {"kind": kind, "message": message}}


@lru_cache(maxsize=4)
def _validator_at(path: str):
    """The validator of the records' JSON schema (``configs/schema/report.schema.json`` of
    the configs folder in use). Not a stage rule but the contract of the output, so it is
    not part of ``Rules``: read once per folder."""
    import jsonschema

    with open(path, encoding="utf-8") as fh:
        sch = json.load(fh)
    cls = jsonschema.validators.validator_for(sch)
    cls.check_schema(sch)
    return cls(sch)


def validate_record(rec: dict[str, Any], text: Optional[str] = None) -> None:
    """Raise ``jsonschema.ValidationError`` if ``rec`` is not a valid report or error
    record, and ``OffsetError`` if an offset does not hold: every ``start``/``end`` lies in
    ``0..chars``, and every item with a ``text`` has ``end - start == len(text)``; given the
    report's ``text`` (or a record that carries it), ``text[start:end] == item text``."""
    _validator_at(str(configs_dir() / "schema" / "report.schema.json")).validate(rec)
    problems = offset_problems(rec, text if text is not None else rec.get("text"))
    if problems:
        raise OffsetError(f"{rec.get('source')}: {len(problems)} offset(s) do not hold: "
                          + "; ".join(problems[:5]))


def offset_problems(rec: dict[str, Any], text: Optional[str] = None) -> list[str]:
    """What is wrong with the offsets of a record (empty: they all hold)."""
    if rec.get("error") is not None:
        return []
    chars = len(text) if text is not None else rec.get("chars")
    out: list[str] = []
    for where, item in _located(rec, ""):
        s, e = item["start"], item["end"]
        if not (0 <= s <= e and (chars is None or e <= chars)):
            out.append(f"{where}: {s}..{e} outside the text")
        elif isinstance(item.get("text"), str):
            if e - s != len(item["text"]) or (text is not None and text[s:e] != item["text"]):
                out.append(f"{where}: {s}..{e} is not {item['text']!r}")
    return out


def _located(node: Any, where: str) -> Iterator[tuple[str, dict]]:
    """Every dict below ``node`` with integer ``start`` and ``end``, with its path."""
    if isinstance(node, dict):
        if isinstance(node.get("start"), int) and isinstance(node.get("end"), int):
            yield where, node
        for k, v in node.items():
            yield from _located(v, f"{where}.{k}" if where else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _located(v, f"{where}[{i}]")


# ---- JSON Lines -------------------------------------------------------------------------

def read_jsonl(path: Union[str, Path]) -> Iterator[dict[str, Any]]:
    """The records of a JSON Lines file; a trailing partial line (a killed run) and blank
    lines are skipped, and so are corrupt lines, with a warning that counts them."""
    p = Path(path)
    if not p.exists():
        return
    corrupt: list[int] = []
    with p.open("rb") as fh:
        yield from parse_jsonl_lines(fh, corrupt)
    if corrupt:
        warnings.warn(f"{p}: {len(corrupt)} corrupt line(s) skipped (not JSON)", stacklevel=2)


def parse_jsonl_lines(lines: Iterable[bytes], corrupt: Optional[list] = None) -> Iterator[dict[str, Any]]:
    """The records of JSON Lines: a last line without its newline (a killed run) ends
    them, blank lines are skipped, and so are corrupt ones (counted into ``corrupt``)."""
    for raw in lines:
        if not raw.endswith(b"\n"):
            break  # partial last line
        raw = raw.strip()
        if not raw:
            continue
        try:
            yield json.loads(raw)
        except json.JSONDecodeError:
            if corrupt is not None:
                corrupt.append(1)


def _cut_partial_tail(path: Path) -> None:
    """Truncate a trailing line that has no newline (left by a killed writer)."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb+") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        pos = size
        block = 65536
        while pos > 0:
            step = min(block, pos)
            fh.seek(pos - step)
            chunk = fh.read(step)
            if pos == size and chunk.endswith(b"\n"):
                return
            nl = chunk.rfind(b"\n")
            if nl >= 0:
                fh.truncate(pos - step + nl + 1)
                return
            pos -= step
        fh.truncate(0)


class JsonlWriter:
    """Appends records to a JSON Lines file, one atomic line per record."""

    def __init__(self, path: Union[str, Path], fsync: bool = True) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _cut_partial_tail(self.path)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.fsync = fsync

    def write(self, rec: dict[str, Any]) -> None:
        line = (json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        view = memoryview(line)
        while view:  # one write for any line a regular file takes at once
            n = os.write(self.fd, view)
            view = view[n:]
        if self.fsync:
            os.fsync(self.fd)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> "JsonlWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---- flat facts ------------------------------------------------------------------------

FACT_COLUMNS = ["source", "sha256", "year", "issuer", "issuer_code", "key", "key_score", "metric",
                "value", "unit", "raw", "approx", "bound", "period", "scope", "applicant", "origin",
                "template", "parent", "agreement", "zero", "recovered", "evidence_kind",
                "evidence_text", "evidence_start", "evidence_end", "evidence_table", "evidence_row",
                "evidence_col", "evidence_page"]


def fact_rows(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """One flat row per fact of each (non-error) record."""
    for rec in records:
        if rec.get("error"):
            continue
        meta = rec.get("metadata") or {}
        issuer = meta.get("issuer") or {}
        for f in rec.get("facts") or []:
            ev = f.get("evidence") or {}
            yield {
                "source": rec["source"], "sha256": rec["sha256"], "year": meta.get("year"),
                "issuer": issuer.get("name"), "issuer_code": (issuer.get("region") or {}).get("code"),
                **{k: f.get(k) for k in ("key", "key_score", "metric", "value", "unit", "raw", "approx",
                                         "bound", "period", "scope", "applicant", "origin",
                                         "template", "parent", "agreement")},
                "zero": bool(f.get("zero")), "recovered": bool(f.get("recovered")),
                "evidence_kind": ev.get("kind"), "evidence_text": ev.get("text"),
                "evidence_start": ev.get("start"), "evidence_end": ev.get("end"),
                "evidence_table": ev.get("table") or f.get("table"),
                "evidence_row": ev.get("row"), "evidence_col": ev.get("col"),
                "evidence_page": ev.get("page"),
            }


def facts_frame(records: Iterable[dict[str, Any]]):
    import pandas as pd

    df = pd.DataFrame(list(fact_rows(records)), columns=FACT_COLUMNS)
    for col in ("year", "evidence_start", "evidence_end", "evidence_row", "evidence_col",
                "evidence_page"):
        df[col] = df[col].astype("Int64")
    df["value"] = df["value"].astype("float64")
    return df


def write_atomic(path: Path, write) -> None:
    """``write(tmp)`` then rename over ``path``: a reader never sees half a file, and a
    failed write leaves nothing behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_frame(df, path: Union[str, Path], csv: bool) -> int:
    """A frame as CSV (UTF-8 with BOM, for spreadsheet users) or Parquet, atomically;
    returns the rows."""
    if csv:
        write_atomic(Path(path), lambda p: df.to_csv(p, index=False, encoding="utf-8-sig"))
    else:
        write_atomic(Path(path), lambda p: df.to_parquet(p, index=False, engine="pyarrow"))
    return len(df)


def write_facts_csv(records: Iterable[dict[str, Any]], path: Union[str, Path]) -> int:
    """Write the facts as CSV; returns the rows."""
    return write_frame(facts_frame(records), path, csv=True)


def write_facts_parquet(records: Iterable[dict[str, Any]], path: Union[str, Path]) -> int:
    return write_frame(facts_frame(records), path, csv=False)
