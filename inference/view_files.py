"""The files of ``govie view``: records in, HTML pages out (the page itself is made by the
pure ``inference.view.render``).

A record keeps offsets, not the text they point into, so the text is read again from the
record's ``source`` — a file, or ``ARCHIVE!MEMBER`` for a report found in an archive —
relative to ``root`` (default: the current folder, where ``govie extract`` usually ran),
and used only if its bytes still hash to the record's ``sha256``. Without it the page
shows the tables, facts and checks, and says why the text is missing.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

from .errors import ViewError
from .inputs import read_member
from .load import LoadError, load_bytes, read_limited
from .output import read_jsonl, write_atomic
from .rules import Rules, or_default
from .view import render, render_index

PathLike = Union[str, Path]


@dataclass
class ViewSummary:
    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # reports shown without text, skipped


def source_bytes(source: str, root: Optional[PathLike] = None) -> Optional[bytes]:
    """The bytes of a record's source (a file or ``ARCHIVE!MEMBER``), None if not found."""
    def at(p: str) -> Path:
        q = Path(p)
        return q if q.is_absolute() or root is None else Path(root) / q

    if at(source).is_file():
        try:
            return read_limited(at(source), limit_mb=0)
        except LoadError:
            return None
    path, sep, member = source.partition("!")
    if sep and at(path).is_file():
        return read_member(at(path), member)
    return None


def source_text(rec: dict, root: Optional[PathLike] = None, rules: Optional[Rules] = None
                ) -> tuple[Optional[str], str]:
    """The text a record's offsets point into, or None and the reason (``rules``: those of
    the loaders, default ``default_rules()``)."""
    data = source_bytes(rec.get("source") or "", root)
    if data is None:
        return None, f"{rec.get('source')}: source not found (run where `govie extract` ran, or pass --root)"
    if hashlib.sha256(data).hexdigest() != rec.get("sha256"):
        return None, f"{rec.get('source')}: source changed since extraction (sha256 differs)"
    try:
        return load_bytes(data, rec["source"], limit_mb=0, rules=rules).text, ""
    except LoadError as exc:
        return None, f"{rec.get('source')}: cannot read the source again ({exc})"


def select(records: list[dict], name: str) -> list[dict]:
    """The records of ``name``: an exact source, else sources ending in ``/name`` or whose
    file (or archive member) name is ``name``. The last record of a source wins."""
    def tail(src: str) -> str:
        return Path(src.split("!")[-1]).name

    by_source = {r.get("source"): r for r in records}
    if name in by_source:
        return [by_source[name]]
    return [r for s, r in by_source.items()
            if s and (s.endswith("/" + name) or s.endswith("!" + name) or tail(s) == name)]


def page_name(rec: dict, taken: set[str]) -> str:
    """A file name for the page of a record: the report's file stem (unique in ``taken``)."""
    stem = Path(str(rec.get("source", "report")).split("!")[-1]).stem or "report"
    stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stem)[:80]
    name, n = f"{stem}.html", 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}.html"
    taken.add(name)
    return name


def _write(path: Path, html: str) -> Path:
    write_atomic(path, lambda p: p.write_text(html, encoding="utf-8"))
    return path


def _page(rec: dict, root: Optional[PathLike], summary: ViewSummary, rules: Rules) -> str:
    text, why = source_text(rec, root, rules)
    if text is None:
        summary.notes.append(f"{why}; page without the text")
    return render(rec, text, rules=rules)


def write_views(records_path: PathLike, out: PathLike, source: Optional[str] = None,
                root: Optional[PathLike] = None, rules: Optional[Rules] = None) -> ViewSummary:
    """Write the evidence view of the records in ``records_path``: the report ``source``
    (or the only report) to the file ``out``; several reports to the folder ``out``, one
    page each and an ``index.html``. ``rules``: the loaded rules (default: loaded once here,
    ``default_rules()``)."""
    rules = or_default(rules)
    if not Path(records_path).is_file():
        raise ViewError(f"no records file at {records_path}")
    records = list(read_jsonl(records_path))
    summary, out = ViewSummary(), Path(out)
    if not records:
        raise ViewError(f"no records in {records_path}")
    chosen = select(records, source) if source else records
    if source and not chosen:
        raise ViewError(f"no report {source!r} in {records_path} ({len(records)} records)")
    if source and len(chosen) > 1:
        names = ", ".join(r["source"] for r in chosen[:5])
        raise ViewError(f"{len(chosen)} reports match {source!r}: {names}; give the whole source")
    if len(chosen) == 1 and not out.is_dir():
        rec = chosen[0]
        if rec.get("error"):
            raise ViewError(f"{rec['source']}: not extracted ({rec['error']['message']})")
        summary.written.append(_write(out, _page(rec, root, summary, rules)))
        return summary
    if out.suffix.lower() in (".html", ".htm"):
        raise ViewError(f"{len(chosen)} reports in {records_path}: -o {out} takes one page; "
                        "give --source NAME for one report, or -o FOLDER for a page each")
    entries, taken = [], {"index.html"}
    for rec in chosen:
        meta = rec.get("metadata") or {}
        entry = {"source": rec.get("source"), "title": meta.get("title"), "href": None,
                 "facts": len(rec.get("facts") or []), "error": None,
                 "failed": sum(not c.get("ok") for c in rec.get("checks") or [])}
        if rec.get("error"):
            entry["error"] = rec["error"].get("message")
            summary.notes.append(f"{rec.get('source')}: error record, no page")
        else:
            name = page_name(rec, taken)
            summary.written.append(_write(out / name, _page(rec, root, summary, rules)))
            entry["href"] = name
        entries.append(entry)
    summary.written.append(_write(out / "index.html", render_index(entries)))
    return summary
