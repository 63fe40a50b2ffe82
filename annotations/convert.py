"""Label Studio JSON export ⇄ annotation set documents (``AnnotatedText``) ⇄ BIO.

Label Studio → spans (:func:`convert_export`):

- a task's text is ``data.text``; the document id is ``data.doc_id`` (``@offset`` appended
  when the task is a part of a report pushed by ``annotations.push``), else ``ls-<task id>``;
- cancelled (skipped) annotations are ignored; tasks without a usable annotation are left out;
- ``policy`` picks what a task's spans are when several annotators did it (see
  ``annotations/README.md``): ``"ground_truth"`` (default) takes the annotation marked ground
  truth, else the most recently updated one; ``"majority"`` keeps each span (same start, end
  and label) and relation that more than half of the annotations hold, and nothing else;
- region offsets are checked and repaired (``annotations.validate.repair_offsets``); labels
  not in ``configs/labels.yaml``, unrepairable offsets and overlapping regions are errors
  naming task, annotation and region; a task with an error is left out of ``docs`` (the
  caller refuses or accepts that: ``pull`` refuses by default);
- relations keep ``from_id → to_id`` and their label; ``direction: left`` is turned round;
  relations whose ends were dropped are dropped and reported.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Optional

from inference.data import AnnotatedText, Relation, Span

from .config import FROM_NAME, TO_NAME, label_names, relation_rules
from .validate import Issue, overlaps, repair_offsets

POLICIES = ("ground_truth", "majority")
REGION_TYPES = ("labels", "hypertextlabels")


@dataclass
class Conversion:
    docs: list[AnnotatedText]
    issues: list[Issue]
    counts: Counter = field(default_factory=Counter)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]


def doc_id_of(task: dict) -> str:
    data = task.get("data") or {}
    base = str(data.get("doc_id") or f"ls-{task.get('id')}")
    return f"{base}@{data['offset']}" if data.get("offset") not in (None, "") else base


def _recency(a: dict) -> tuple:
    return (str(a.get("updated_at") or a.get("created_at") or ""), a.get("id") or 0)


def choose_annotation(annotations: list[dict]) -> Optional[dict]:
    """The ground-truth annotation (most recent if several), else the most recent one."""
    live = [a for a in annotations if not a.get("was_cancelled")]
    gt = [a for a in live if a.get("ground_truth")]
    pool = gt or live
    return max(pool, key=_recency) if pool else None


def annotation_spans(task: dict, ann: dict, text: str, labels: tuple[str, ...],
                     rules: dict) -> tuple[list[Span], list[Relation], list[Issue]]:
    """Spans and relations of one annotation's result, with every issue found."""
    tid, aid = task.get("id"), ann.get("id")
    issues: list[Issue] = []
    spans: dict[str, Span] = {}
    raw_rels = []
    for k, r in enumerate(ann.get("result") or []):
        rtype = str(r.get("type", "")).lower()
        if rtype == "relation":
            raw_rels.append(r)
            continue
        rid = str(r.get("id") or f"r{k}")
        where = dict(task=tid, annotation=aid, region=rid)
        if rtype not in REGION_TYPES:
            issues.append(Issue("warning", "ignored-result", f"result of type {rtype!r} ignored", **where))
            continue
        value = r.get("value") or {}
        labs = value.get(rtype) or value.get("labels") or []
        if len(labs) != 1:
            issues.append(Issue("error", "labels", f"region has {len(labs)} labels {labs}; expected one", **where))
            continue
        label = labs[0]
        if label not in labels:
            issues.append(Issue("error", "unknown-label",
                                f"label {label!r} is not in configs/labels.yaml ({', '.join(labels)})", **where))
            continue
        fixed, note = repair_offsets(text, value.get("start"), value.get("end"), value.get("text"))
        if fixed is None:
            issues.append(Issue("error", "offsets", note, **where))
            continue
        if note:
            issues.append(Issue("repaired", "offsets", note, **where))
        s, e = fixed
        span = Span(start=s, end=e, text=text[s:e], label=label, score=1.0, source="gold", id=rid)
        if rid in spans:
            if (spans[rid].start, spans[rid].end, spans[rid].label) != (s, e, label):
                issues.append(Issue("error", "duplicate-id", "two different regions share this id", **where))
            continue
        spans[rid] = span
    for a, b in overlaps(list(spans.values())):
        issues.append(Issue("error", "overlap",
                            f"regions {a.id} ({a.label} {a.start}..{a.end} {a.text!r}) and {b.id} "
                            f"({b.label} {b.start}..{b.end} {b.text!r}) overlap",
                            task=tid, annotation=aid, region=b.id))
    relations = []
    only = next(iter(rules)) if len(rules) == 1 else None
    for r in raw_rels:
        f, t = str(r.get("from_id")), str(r.get("to_id"))
        where = dict(task=tid, annotation=aid, region=f"{f}->{t}")
        labs = r.get("labels") or []
        if r.get("direction") == "left":
            f, t = t, f
        if not labs and only:
            issues.append(Issue("warning", "relation-label", f"relation without label taken as {only!r}", **where))
            labs = [only]
        if len(labs) != 1 or labs[0] not in rules:
            issues.append(Issue("error", "unknown-relation",
                                f"relation labels {labs} not one of configs/labels.yaml ({', '.join(rules)})", **where))
            continue
        if f not in spans or t not in spans:
            issues.append(Issue("warning", "relation-dropped",
                                "relation dropped: its end region is missing or was dropped", **where))
            continue
        rule, lf, lt = rules[labs[0]], spans[f].label, spans[t].label
        if lf in rule["to"] and lt in rule["from"] and not (lf in rule["from"] and lt in rule["to"]):
            f, t = t, f
            issues.append(Issue("repaired", "relation-direction", f"turned round to {lt} -> {lf}", **where))
        elif not (lf in rule["from"] and lt in rule["to"]):
            issues.append(Issue("warning", "relation-direction",
                                f"{lf} -> {lt} does not go {rule['from']} -> {rule['to']} (kept)", **where))
        rel = Relation(from_id=f, to_id=t, label=labs[0])
        if rel not in relations:
            relations.append(rel)
    ordered = sorted(spans.values(), key=lambda s: (s.start, s.end))
    return ordered, relations, issues


def _majority(parts: list[tuple[list[Span], list[Relation]]]) -> tuple[list[Span], list[Relation]]:
    need = len(parts) // 2 + 1
    key = lambda s: (s.start, s.end, s.label)  # noqa: E731
    votes = Counter(k for spans, _ in parts for k in {key(s) for s in spans})
    first: dict[tuple, Span] = {}
    for spans, _ in parts:
        for s in spans:
            first.setdefault(key(s), s)
    kept = {k: first[k] for k, n in votes.items() if n >= need}
    rel_votes: Counter = Counter()
    for spans, rels in parts:
        by_id = {s.id: key(s) for s in spans}
        rel_votes.update({(by_id[r.from_id], by_id[r.to_id], r.label) for r in rels})
    relations = [Relation(kept[f].id, kept[t].id, lab) for (f, t, lab), n in rel_votes.items()
                 if n >= need and f in kept and t in kept]
    return sorted(kept.values(), key=lambda s: (s.start, s.end)), relations


def convert_task(task: dict, policy: str = "ground_truth", labels: Optional[tuple[str, ...]] = None,
                 rules: Optional[dict] = None) -> tuple[Optional[AnnotatedText], list[Issue], Counter]:
    """One exported task as a document (None if it has no usable annotation or an error)."""
    labels = labels or label_names()
    rules = rules if rules is not None else relation_rules()
    counts: Counter = Counter(tasks=1)
    anns = task.get("annotations") or []
    counts["cancelled"] += sum(1 for a in anns if a.get("was_cancelled"))
    live = [a for a in anns if not a.get("was_cancelled")]
    text = (task.get("data") or {}).get(TO_NAME)
    if not live:
        counts["unannotated"] += 1
        return None, [], counts
    if not isinstance(text, str):
        return None, [Issue("error", "no-text", f"task data has no string {TO_NAME!r}", task=task.get("id"))], counts
    if policy == "ground_truth":
        chosen = [choose_annotation(live)]
    elif policy == "majority":
        chosen = live
    else:
        raise ValueError(f"unknown policy {policy!r}; one of {', '.join(POLICIES)}")
    issues: list[Issue] = []
    parts = []
    for ann in chosen:
        spans, rels, found = annotation_spans(task, ann, text, labels, rules)
        issues += found
        parts.append((spans, rels))
    if any(i.level == "error" for i in issues):
        return None, issues, counts
    spans, rels = parts[0] if len(parts) == 1 else _majority(parts)
    data = task.get("data") or {}
    meta: dict[str, Any] = {"ls_task_id": task.get("id")}
    if len(chosen) == 1:
        meta["ls_annotation_id"] = chosen[0].get("id")
        meta["completed_by"] = chosen[0].get("completed_by")
    else:
        meta["ls_annotation_ids"] = [a.get("id") for a in chosen]
    if data.get("offset") not in (None, ""):
        meta.update(report_id=data.get("doc_id"), offset=data["offset"])
    meta.update({k: data[k] for k in ("sha256", "section") if k in data})
    counts.update(annotated=1, annotations=len(live), spans=len(spans), relations=len(rels))
    doc = AnnotatedText(doc_id=doc_id_of(task), text=text, spans=spans, relations=rels,
                        source=data.get("source"), meta=meta)
    return doc, issues, counts


def convert_export(export: Iterable[dict], policy: str = "ground_truth") -> Conversion:
    """Every task of a Label Studio JSON export (a list of tasks) converted; see module doc."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; one of {', '.join(POLICIES)}")
    labels, rules = label_names(), relation_rules()
    out = Conversion(docs=[], issues=[])
    seen: dict[str, Any] = {}
    for task in export:
        doc, issues, counts = convert_task(task, policy, labels, rules)
        out.issues += issues
        out.counts.update(counts)
        if doc is None:
            continue
        if doc.doc_id in seen:
            out.issues.append(Issue("error", "duplicate-doc",
                                    f"doc_id {doc.doc_id} also in task {seen[doc.doc_id]}", task=task.get("id")))
            continue
        seen[doc.doc_id] = task.get("id")
        out.docs.append(doc)
    out.counts["repaired"] = sum(1 for i in out.issues if i.level == "repaired")
    out.counts["relations_dropped"] = sum(1 for i in out.issues if i.code == "relation-dropped")
    out.counts["errors"] = len(out.errors)
    return out


def region(span: Span, score: Optional[float] = None) -> dict:
    """A Label Studio ``labels`` result for a span (``score`` for predictions)."""
    r = {"id": span.id, "from_name": FROM_NAME, "to_name": TO_NAME, "type": "labels",
         "value": {"start": span.start, "end": span.end, "text": span.text, "labels": [span.label]}}
    if score is not None:
        r["score"] = float(score)
    return r


def relation_result(rel: Relation) -> dict:
    return {"from_id": rel.from_id, "to_id": rel.to_id, "type": "relation", "direction": "right",
            "labels": [rel.label]}


def with_ids(spans: list[Span], prefix: str = "r") -> list[Span]:
    """Spans given ids where they have none (Label Studio regions need ids)."""
    return [s if s.id else replace(s, id=f"{prefix}{i}") for i, s in enumerate(spans)]


def doc_to_result(doc: AnnotatedText) -> list[dict]:
    spans = with_ids(doc.spans)
    return [region(s) for s in spans] + [relation_result(r) for r in doc.relations]


def docs_to_tasks(docs: Iterable[AnnotatedText], ground_truth: bool = True) -> list[dict]:
    """Label Studio import tasks (data + one annotation each) for annotation set documents."""
    tasks = []
    for d in docs:
        data = {TO_NAME: d.text, "doc_id": d.doc_id}
        if d.source is not None:
            data["source"] = d.source
        tasks.append({"data": data, "annotations": [{"result": doc_to_result(d), "ground_truth": ground_truth}]})
    return tasks


# --- BIO -----------------------------------------------------------------------------------

def char_bio(doc: AnnotatedText) -> list[str]:
    """One BIO tag per character of ``doc.text`` (spans must be flat)."""
    tags = ["O"] * len(doc.text)
    for s in sorted(doc.spans, key=lambda s: s.start):
        tags[s.start] = f"B-{s.label}"
        for i in range(s.start + 1, s.end):
            tags[i] = f"I-{s.label}"
    return tags


def spans_from_bio(text: str, tags: list[str], source: str = "gold") -> list[Span]:
    """Spans of a per-character BIO tagging (a stray I- starts a span, as seqeval does)."""
    if len(tags) != len(text):
        raise ValueError(f"{len(tags)} tags for {len(text)} characters")
    spans, start, label = [], None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        kind, _, lab = tag.partition("-")
        if start is not None and (kind != "I" or lab != label):
            spans.append(Span(start, i, text[start:i], label, 1.0, source, f"b{len(spans)}"))
            start = None
        if kind == "B" or (kind == "I" and start is None):
            start, label = i, lab
    return spans


def token_bio(doc: AnnotatedText, tokenizer: Any, max_length: int = 256, stride: int = 32
              ) -> tuple[Any, list[str]]:
    """Token-level BIO through ``inference.windows`` (the one text path of training and
    serving): the encoding (tokens, offsets, windows) and one BIO tag per kept token."""
    from inference import windows
    from inference.config import label_set

    ls = label_set()
    enc = windows.encode(doc.text, tokenizer, max_length, stride)
    ids = windows.token_labels(enc, doc.spans, ls.label2id)
    return enc, [ls.id2label[i] for i in ids]
