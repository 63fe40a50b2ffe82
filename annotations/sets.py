"""Annotation sets: immutable, versioned folders under ``annotations/data/``.

A set folder holds ``spans.jsonl`` (one ``AnnotatedText`` per line: doc_id, text, source,
meta, spans [{id, start, end, label, text, score, source}], relations [{from_id, to_id,
label}]), ``manifest.json`` (where it came from, counts, the policy used, the sha256 of
``spans.jsonl``) and, for sets pulled from Label Studio, the raw export ``export.json``.

Sets are never overwritten: :func:`write_set` writes into a temporary folder next to the
target and renames it into place, refuses a folder of the same name with different content,
and says "unchanged" when an existing set already holds the same spans.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Union

from inference.data import AnnotatedText, Relation, Span, to_dict
from inference.errors import GoldFormatError, SetExistsError  # noqa: F401  (re-exported)

DATA_DIR = Path(__file__).resolve().parent / "data"
# Test sets: annotated like the others but never trained, pretrained or tuned on; training
# refuses them (training.data.training_docs) and ``list_sets`` never lists them. Score a
# model on them with benchmarks/compare_models.py --set annotations/test/NAME --all.
TEST_DIR = Path(__file__).resolve().parent / "test"
SPANS_FILE = "spans.jsonl"
MANIFEST_FILE = "manifest.json"
EXPORT_FILE = "export.json"


def doc_from_dict(d: dict) -> AnnotatedText:
    return AnnotatedText(
        doc_id=d["doc_id"],
        text=d["text"],
        spans=[Span(**{k: v for k, v in s.items()}) for s in d.get("spans", [])],
        relations=[Relation(**r) for r in d.get("relations", [])],
        source=d.get("source"),
        meta=d.get("meta", {}),
    )


def spans_jsonl_bytes(docs: Iterable[AnnotatedText]) -> bytes:
    """The exact bytes of ``spans.jsonl`` for ``docs`` (the set's content)."""
    return "".join(json.dumps(to_dict(d), ensure_ascii=False) + "\n" for d in docs).encode("utf-8")


def read_spans_jsonl(path: Union[str, Path]) -> list[AnnotatedText]:
    with Path(path).open(encoding="utf-8") as fh:
        return [doc_from_dict(json.loads(line)) for line in fh if line.strip()]


def write_spans_jsonl(docs: Iterable[AnnotatedText], path: Union[str, Path]) -> None:
    Path(path).write_bytes(spans_jsonl_bytes(docs))


def load_set(path: Union[str, Path]) -> list[AnnotatedText]:
    """The documents of one annotation set: a set folder, its spans.jsonl, or a Label Studio
    JSON export (the form in which annotation teams hold gold; converted as ``pull`` does)."""
    p = Path(path)
    if p.is_dir():
        p = p / SPANS_FILE
    if not p.is_file():
        raise FileNotFoundError(f"no annotation set at {path} (expected a set folder, "
                                f"{SPANS_FILE} or a Label Studio JSON export)")
    if p.suffix.lower() == ".json":
        return load_export(p)
    return read_spans_jsonl(p)


def load_export(path: Path) -> list[AnnotatedText]:
    """The documents of a Label Studio JSON export; its errors refuse it, naming the tasks."""
    from .convert import convert_export

    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GoldFormatError(f"{path}: not a Label Studio JSON export ({exc})") from None
    if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
        raise GoldFormatError(f"{path}: a Label Studio JSON export is a list of tasks")
    conv = convert_export(tasks)
    if conv.errors:
        shown = "; ".join(str(i) for i in conv.errors[:5])
        raise GoldFormatError(f"{path}: {len(conv.errors)} error(s) in the export: {shown}")
    if not conv.docs:
        raise GoldFormatError(f"{path}: no annotated task in the export")
    return conv.docs


def load_manifest(path: Union[str, Path]) -> dict:
    p = Path(path) / MANIFEST_FILE
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}


def list_sets(data_dir: Union[str, Path] = DATA_DIR) -> list[Path]:
    """All set folders, oldest name first; then the sets that correct others (a correction
    round: manifest ``corrects``, see ``annotations.push.push_from_set``) in the order they
    were pulled, so that their documents replace the versions they correct
    (``training.data.load_docs``: a doc id seen again replaces the earlier one)."""
    d = Path(data_dir)
    if not d.is_dir():
        return []
    sets = [p for p in d.iterdir() if (p / SPANS_FILE).is_file() and not p.name.startswith(".")]
    meta = {p: load_manifest(p) for p in sets}
    return sorted(sets, key=lambda p: (bool(meta[p].get("corrects")),
                                       str(meta[p].get("pulled_at", "")) if meta[p].get("corrects") else "",
                                       p.name))


def slug(title: str) -> str:
    """A folder-safe form of a project title (ASCII letters, digits, CJK kept)."""
    s = re.sub(r"[^\w]+", "-", title.strip().lower(), flags=re.UNICODE).strip("-_")
    return s or "project"


def set_name(project_title: str, date: str, content_sha256: str) -> str:
    """``<project-slug>-<YYYYMMDD>-<sha8 of spans.jsonl>``."""
    return f"{slug(project_title)}-{date}-{content_sha256[:8]}"


def counts(docs: list[AnnotatedText]) -> dict:
    """Docs, spans, relations and spans per label (label order of first appearance sorted)."""
    per_label = Counter(s.label for d in docs for s in d.spans)
    return {"docs": len(docs), "spans": sum(per_label.values()),
            "relations": sum(len(d.relations) for d in docs),
            "labels": dict(sorted(per_label.items(), key=lambda kv: (-kv[1], kv[0])))}


@dataclass(frozen=True)
class WriteResult:
    path: Path
    status: str  # "written" or "unchanged"
    content_sha256: str


def find_same_content(content_sha256: str, data_dir: Union[str, Path]) -> Optional[Path]:
    """An existing set whose spans.jsonl has this sha256."""
    for p in list_sets(data_dir):
        if hashlib.sha256((p / SPANS_FILE).read_bytes()).hexdigest() == content_sha256:
            return p
    return None


def write_set(docs: list[AnnotatedText], name: str, manifest: dict,
              data_dir: Union[str, Path] = DATA_DIR,
              extra_files: Optional[dict[str, bytes]] = None) -> WriteResult:
    """Write a new immutable set ``data_dir/name`` atomically (temp folder, then rename).

    An existing set with the same ``spans.jsonl`` content (under any name) makes this a no-op
    with status "unchanged"; a folder ``name`` with other content raises
    :class:`SetExistsError`. Nothing that exists is ever modified or removed.
    """
    data = spans_jsonl_bytes(docs)
    sha = hashlib.sha256(data).hexdigest()
    root = Path(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    target = root / name
    same = find_same_content(sha, root)
    if same is not None:
        return WriteResult(same, "unchanged", sha)
    if target.exists():
        raise SetExistsError(f"annotation set {target} exists with different content; sets are "
                             "immutable: pull again under another name")
    manifest = {**manifest, "name": name, "content_sha256": sha, **counts(docs)}
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=root))
    try:
        (tmp / SPANS_FILE).write_bytes(data)
        for fname, content in (extra_files or {}).items():
            (tmp / fname).write_bytes(content)
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                         encoding="utf-8")
        for f in tmp.iterdir():
            os.chmod(f, 0o444)
        os.chmod(tmp, 0o755)
        if target.exists():  # appeared meanwhile
            raise SetExistsError(f"annotation set {target} appeared while writing; nothing changed")
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return WriteResult(target, "written", sha)
