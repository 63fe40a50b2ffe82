"""Push reports to a Label Studio project as tasks, with pre-annotations.

Task unit (see ``annotations/README.md``): one task per run of narrative text of one section,
at most ``MAX_CHARS`` characters (longer runs are cut at line ends, else at 。), tables,
headings and page chrome left out. Task data: ``text`` (exactly
``report_text[offset:offset + len(text)]``), ``doc_id``, ``source``, ``sha256`` (of the whole
report text), ``offset``, ``section``. Reports go through the project's one text path:
``inference.load.load_path`` → ``clean`` → ``segment``.

Pre-annotations come from a *predictor*, a callable ``text -> list[Span]`` (inject any);
:func:`default_predictor` uses the current model (``inference.tagger.load_tagger`` +
``inference.ner.predict_spans``), else the patterns alone, and says which.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Optional, Sequence, Union

from inference.data import AnnotatedText, Document, Span
from inference.errors import ModelLoadError  # noqa: F401  (re-exported)
from inference.ner import model_blocks, model_regions
from inference.pipeline import Pipeline

from .client import Connection
from .config import TO_NAME, check_label_config, label_config_xml
from .convert import doc_to_result, region, relation_result, with_ids

log = logging.getLogger(__name__)

MAX_CHARS = 3000
BATCH = 100
Predictor = Callable[[str], list[Span]]


@dataclass(frozen=True)
class Unit:
    """One task's text: ``doc.text[offset:offset + len(text)]``."""

    offset: int
    text: str
    section: Optional[str] = None


@dataclass
class PushResult:
    project_id: int
    project_title: str
    created_project: bool
    tasks_created: int = 0
    tasks_skipped: int = 0
    predictions: int = 0
    model_version: Optional[str] = None
    notes: list[str] = field(default_factory=list)


# --- reports -> units ---------------------------------------------------------------------

def prepare(doc: Document) -> tuple[Document, list[str]]:
    """``clean`` and ``segment`` the document, falling back to the loaded document (with a
    note) when a stage fails."""
    notes = []
    stages = Pipeline(stages=("clean", "segment"))
    for stage in stages.stages:
        try:
            doc = stages.stage(stage)(doc)
        except Exception as exc:  # noqa: BLE001 - a stage bug must not stop annotation work
            notes.append(f"{doc.source}: {stage} failed ({type(exc).__name__}: {exc}); using the text as loaded")
    return doc, notes


def model_runs(doc: Document) -> list[tuple[int, int, Optional[str]]]:
    """(start, end, section title) of the task texts: the blocks the model reads
    (``inference.ner.model_blocks``, so annotators label what the model is trained on and
    serves) in runs under one top-level section; a block the model does not read (a table,
    page chrome) ends a run. Without blocks: ``model_regions``, the text minus its chrome."""
    if not doc.blocks:
        return [(s, e, None) for s, e in model_regions(doc)]
    secs = {s.id: s for s in doc.sections}
    read = {(b.start, b.end) for b in model_blocks(doc)}
    runs: list[list[Any]] = []
    open_run = False
    for b in sorted(doc.blocks, key=lambda b: b.start):
        if (b.start, b.end) not in read:
            open_run = False
            continue
        key = _root(b.section, secs)
        if runs and open_run and runs[-1][3] == key:
            runs[-1][1] = b.end
        else:
            runs.append([b.start, b.end, secs[key].title if key in secs else None, key])
        open_run = True
    return [(s, e, t) for s, e, t, _ in runs]


def _root(sid: Optional[str], secs: dict) -> Optional[str]:
    seen = set()
    while sid in secs and secs[sid].parent and sid not in seen:
        seen.add(sid)
        sid = secs[sid].parent
    return sid


def _cut(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """[start, end) cut into pieces of at most max_chars, at line ends, else after 。, else hard."""
    out = []
    while end - start > max_chars:
        limit = start + max_chars
        cut = text.rfind("\n", start + 1, limit)
        if cut <= start:
            cut = text.rfind("。", start + 1, limit - 1)
            cut = cut + 1 if cut > start else limit
        out.append((start, cut))
        start = cut
    out.append((start, end))
    return out


def units_of(doc: Document, max_chars: int = MAX_CHARS) -> list[Unit]:
    """The task texts of a prepared document, whitespace-trimmed, empty ones left out."""
    units = []
    for s0, e0, title in model_runs(doc):
        for s, e in _cut(doc.text, s0, e0, max_chars):
            while s < e and doc.text[s].isspace():
                s += 1
            while e > s and doc.text[e - 1].isspace():
                e -= 1
            if e > s:
                units.append(Unit(offset=s, text=doc.text[s:e], section=title))
    return units


def doc_id_for(path: Path) -> str:
    return path.stem


def report_tasks(paths: Iterable[Union[str, Path]], max_chars: int = MAX_CHARS
                 ) -> tuple[list[dict], list[str]]:
    """Label Studio task data (no predictions yet) for report files (a folder: its report
    files of known types, sorted), and notes."""
    from inference.load import FORMATS, load_path

    files = [f for p in map(Path, paths)
             for f in (sorted(x for x in p.iterdir() if x.suffix.lower() in FORMATS)
                       if p.is_dir() else [p])]
    tasks, notes = [], []
    for path in files:
        doc, found = prepare(load_path(path))
        notes += found
        if not doc.blocks:
            notes.append(f"{path.name}: no segmentation blocks; tasks cover the whole text minus chrome")
        for u in units_of(doc, max_chars):
            tasks.append({TO_NAME: u.text, "doc_id": doc_id_for(path), "source": path.name,
                          "sha256": doc.sha256, "offset": u.offset, "section": u.section})
    return tasks, notes


def task_key(data: dict) -> tuple:
    text = data.get(TO_NAME) or ""
    return (data.get("sha256") or data.get("doc_id"), data.get("offset"),
            hashlib.sha256(text.encode("utf-8")).hexdigest())


# --- predictions --------------------------------------------------------------------------


class ModelPredictor:
    """The model plus the patterns (``inference.ner.predict_spans``); keeps its ``tagger``
    (uncertainty selection and the ML backend read the window probabilities)."""

    def __init__(self, tagger: Any):
        self.tagger = tagger

    def __call__(self, text: str) -> list[Span]:
        from inference.ner import predict_spans

        return predict_spans(text, self.tagger)


def default_predictor(model_path: Optional[Union[str, Path]] = None, use_model: bool = True
                      ) -> tuple[Optional[Predictor], Optional[str], str]:
    """(predictor, model_version, note): the current model plus patterns if a model loads,
    else the patterns alone; (None, None, note) if ``inference.ner`` is not usable. A
    ``model_path`` asked for that does not load raises (ModelLoadError): weaker
    pre-annotations would otherwise stay in the project, as pushing again skips tasks."""
    try:
        from inference.ner import predict_spans
    except ImportError as exc:
        return None, None, f"no pre-annotations: inference.ner not available ({exc})"
    if use_model:
        try:
            from inference.tagger import load_tagger

            tagger = load_tagger(model_path)
            version = str(getattr(tagger, "model_version", "unversioned"))
            return ModelPredictor(tagger), version, f"pre-annotations from model {version}"
        except (ImportError, FileNotFoundError, OSError, ValueError) as exc:
            if model_path is not None:
                raise ModelLoadError(f"cannot load model {model_path}: "
                                     f"{type(exc).__name__}: {exc}") from exc
            note = f"no model ({type(exc).__name__}: {exc}); pre-annotations from patterns only"
        return (lambda text: predict_spans(text, None)), "patterns", note
    return (lambda text: predict_spans(text, None)), "patterns", "pre-annotations from patterns only"


def prediction_for(text: str, predictor: Predictor, model_version: str, relations: bool = True) -> dict:
    """A Label Studio prediction: regions with per-region scores, the ``measures`` relations
    the linking stage finds among them (``inference.link.find_relations``), overall mean score."""
    spans = [s for s in with_ids(list(predictor(text)), "p") if text[s.start:s.end] == s.text]
    spans.sort(key=lambda s: s.start)
    results = [region(s, score=s.score) for s in spans]
    if relations and spans:
        from inference.link import find_relations
        from inference.rules import default_rules

        results += [relation_result(r) for r in find_relations(text, spans, default_rules().linking)]
    pred: dict[str, Any] = {"model_version": model_version, "result": results}
    pred["score"] = round(sum(s.score for s in spans) / len(spans), 6) if spans else 0.0
    return pred


# --- project ------------------------------------------------------------------------------

def find_project(conn: Connection, title: str) -> Optional[Any]:
    try:
        found = [p for p in conn.sdk.projects.list(title=title) if p.title == title]
    except Exception as exc:  # noqa: BLE001
        raise conn.error(f"list projects titled {title!r}", exc) from None
    if len(found) > 1:
        raise conn.error("find project", ValueError(
            f"{len(found)} projects are titled {title!r} (ids {[p.id for p in found]}); rename all but one"))
    return found[0] if found else None


def ensure_project(conn: Connection, title: str, description: str = "") -> tuple[int, bool]:
    """(project id, created?) for the project titled ``title``; an existing project must
    have a labelling config equivalent to configs/labels.yaml."""
    proj = find_project(conn, title)
    if proj is not None:
        full = conn.sdk.projects.get(proj.id)
        check_label_config(full.label_config or "", where=f"project {title!r} (id {proj.id})")
        return proj.id, False
    try:
        created = conn.sdk.projects.create(title=title, label_config=label_config_xml(),
                                           description=description or "govie narrative annotation (docs/LABELS.md)")
    except Exception as exc:  # noqa: BLE001
        raise conn.error(f"create project {title!r}", exc) from None
    return created.id, True


def existing_keys(conn: Connection, project_id: int) -> tuple[set, dict]:
    """Keys of the project's tasks and doc_id -> sha256 of the reports already in it."""
    keys, shas = set(), {}
    try:
        for t in conn.sdk.tasks.list(project=project_id, fields="task_only", page_size=500):
            data = t.data or {}
            keys.add(task_key(data))
            if data.get("doc_id"):
                shas.setdefault(data["doc_id"], data.get("sha256"))
    except Exception as exc:  # noqa: BLE001
        raise conn.error(f"list tasks of project {project_id}", exc) from None
    return keys, shas


def push(conn: Connection, title: str, reports: Sequence[Union[str, Path]],
         predictor: Optional[Predictor] = None, model_version: Optional[str] = None,
         max_chars: int = MAX_CHARS, progress: bool = False,
         select: Optional[Callable[[list[dict]], list[dict]]] = None) -> PushResult:
    """Create or reuse the project ``title`` and import the reports' units as tasks, skipping
    those already there; each new task gets a prediction when ``predictor`` is given.
    ``select`` (``annotations.select.selector``) picks which of the new tasks go, in order."""
    tasks, notes = report_tasks(reports, max_chars)
    project_id, created = ensure_project(conn, title)
    result = PushResult(project_id, title, created, notes=notes, model_version=model_version)
    if predictor is None:
        result.notes.append("no predictor: tasks pushed without pre-annotations")
    keys, shas = existing_keys(conn, project_id)
    new, changed = [], set()
    for data in tasks:
        k = task_key(data)
        if k in keys:
            result.tasks_skipped += 1
            continue
        if shas.get(data["doc_id"]) not in (None, data["sha256"]):
            changed.add(data["doc_id"])
        keys.add(k)
        new.append(data)
    if select is not None:
        n_new = len(new)
        new = select(new)
        result.notes.append(f"selected {len(new)} of {n_new} new tasks")
    for d in sorted(changed):
        result.notes.append(f"{d}: already in the project with other content (sha256); new tasks added")
    def item(data: dict) -> dict:
        if predictor is None:
            return {"data": data}
        return {"data": data, "predictions": [
            prediction_for(data[TO_NAME], predictor, model_version or "unversioned")]}

    _import(conn, project_id, map(item, new), len(new), result, progress)
    return result


def _import(conn: Connection, project_id: int, items: Iterable[dict], total: int,
            result: PushResult, progress: bool) -> None:
    """Import ``items`` (task data with their predictions, made as they are needed) in
    batches, counting them."""
    from itertools import islice

    from tqdm import tqdm

    bar = tqdm(total=total, desc="push", unit="task", disable=not progress)
    items = iter(items)
    while batch := list(islice(items, BATCH)):
        try:
            conn.sdk.projects.import_tasks(project_id, request=batch, return_task_ids=True)
        except Exception as exc:  # noqa: BLE001
            raise conn.error(f"import tasks into project {project_id} ({result.tasks_created} done)", exc) from None
        result.tasks_created += len(batch)
        result.predictions += sum(1 for x in batch if x.get("predictions"))
        bar.update(len(batch))
    bar.close()


# --- a correction round: gold documents back to the annotators -----------------------------

def set_tasks(docs: Sequence[AnnotatedText], set_name: str) -> list[dict]:
    """Task data of gold documents to correct: the document's text and id, and the set it
    corrects (``corrects``, which ``pull`` records so that the pulled set replaces them)."""
    return [_task_data(d, set_name) for d in docs]


def _task_data(d: AnnotatedText, set_name: str) -> dict:
    """A section task keeps its report's id, offset and sha256, so that the pulled
    document has the same id (``<report>@<offset>``) and meta as the one it corrects."""
    data: dict[str, Any] = {TO_NAME: d.text, "doc_id": d.doc_id, "source": d.source or set_name,
                            "sha256": hashlib.sha256(d.text.encode("utf-8")).hexdigest(),
                            "corrects": set_name}
    m = d.meta or {}
    if m.get("report_id") and m.get("offset") is not None and d.doc_id == f"{m['report_id']}@{m['offset']}":
        data.update(doc_id=m["report_id"], offset=m["offset"], sha256=m.get("sha256", data["sha256"]),
                    section=m.get("section"))
    return data


def gold_prediction(doc: AnnotatedText, set_name: str) -> dict:
    """A document's gold spans and relations as the task's pre-annotation."""
    return {"model_version": f"gold:{set_name}", "result": doc_to_result(doc), "score": 1.0}


def push_from_set(conn: Connection, title: str, set_path: Union[str, Path],
                  doc_ids: Optional[Collection[str]] = None, progress: bool = False) -> PushResult:
    """A correction round (after a change of docs/LABELS.md): the documents ``doc_ids``
    (default: all) of the annotation set at ``set_path`` go to the project ``title`` with
    their gold as pre-annotations; tasks already there are skipped. Pulled, the project
    becomes a set that replaces those documents (``annotations.sets.list_sets``)."""
    from .sets import load_set

    name = Path(set_path).name
    docs = load_set(set_path)
    if doc_ids is not None:
        missing = sorted(set(doc_ids) - {d.doc_id for d in docs})
        if missing:
            raise ValueError(f"{name} has no document {', '.join(missing[:5])}"
                             + (f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""))
        docs = [d for d in docs if d.doc_id in set(doc_ids)]
    project_id, created = ensure_project(conn, title)
    result = PushResult(project_id, title, created, model_version=f"gold:{name}")
    keys, _ = existing_keys(conn, project_id)
    items = []
    for doc, data in zip(docs, set_tasks(docs, name)):
        if task_key(data) in keys:
            result.tasks_skipped += 1
            continue
        keys.add(task_key(data))
        items.append({"data": data, "predictions": [gold_prediction(doc, name)]})
    _import(conn, project_id, items, len(items), result, progress)
    return result
