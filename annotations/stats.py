"""Counts of an annotation set, and agreement between annotators.

Agreement is span-level: two annotations of one task agree on a span when start, end and
label are the same. For every task with two or more non-cancelled annotations, every pair is
scored (F1 = 2·matches / (n_a + n_b), symmetric); the figures pool the pairs (micro F1),
overall and per label.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from itertools import combinations
from typing import Iterable, Optional

from inference.data import AnnotatedText

from .config import label_names, relation_rules
from .convert import annotation_spans


def set_counts(docs: list[AnnotatedText]) -> dict:
    """Counts per label and per document (doc_id -> {label: n, 'relations': n})."""
    per_label = Counter(s.label for d in docs for s in d.spans)
    per_doc = {}
    for d in docs:
        c = Counter(s.label for s in d.spans)
        per_doc[d.doc_id] = {**dict(sorted(c.items())), "spans": len(d.spans), "relations": len(d.relations),
                             "chars": len(d.text)}
    return {"docs": len(docs), "spans": sum(per_label.values()),
            "relations": sum(len(d.relations) for d in docs),
            "labels": {lab: per_label.get(lab, 0) for lab in label_names()},
            "per_doc": per_doc}


def _f1(m: int, a: int, b: int) -> float:
    return 1.0 if a + b == 0 else 2 * m / (a + b)


def agreement(export: Iterable[dict]) -> dict:
    """Span-level agreement between the annotations of multiply annotated tasks."""
    labels, rules = label_names(), relation_rules()
    tot = Counter()
    lab_m: Counter = Counter()
    lab_n: Counter = Counter()
    tasks, pairs = 0, 0
    per_task = {}
    for task in export:
        live = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
        text = (task.get("data") or {}).get("text")
        if len(live) < 2 or not isinstance(text, str):
            continue
        tasks += 1
        sets = []
        for a in live:
            spans, _, _ = annotation_spans(task, a, text, labels, rules)
            sets.append({(s.start, s.end, s.label) for s in spans})
        t_m = t_n = 0
        for x, y in combinations(sets, 2):
            pairs += 1
            both = x & y
            tot.update(m=len(both), n=len(x) + len(y))
            t_m, t_n = t_m + len(both), t_n + len(x) + len(y)
            for k in both:
                lab_m[k[2]] += 1
            for k in list(x) + list(y):
                lab_n[k[2]] += 1
        per_task[task.get("id")] = round(_f1(t_m, t_n, 0) if t_n else 1.0, 4)
    return {
        "tasks": tasks, "pairs": pairs,
        "f1": round(_f1(tot["m"], tot["n"], 0), 4) if pairs else None,
        "per_label": {lab: round(2 * lab_m[lab] / lab_n[lab], 4) for lab in labels if lab_n[lab]},
        "per_task": per_task,
    }


def format_stats(counts: dict, agree: Optional[dict] = None, per_doc: bool = False) -> str:
    lines = [f"docs {counts['docs']}, spans {counts['spans']}, relations {counts['relations']}"]
    lines += [f"  {lab:<8} {n}" for lab, n in counts["labels"].items()]
    if per_doc:
        for doc_id, c in counts["per_doc"].items():
            lines.append(f"  {doc_id}: " + ", ".join(f"{k} {v}" for k, v in c.items()))
    if agree is not None:
        if agree["pairs"]:
            lines.append(f"agreement: {agree['tasks']} tasks with 2+ annotations, {agree['pairs']} pairs, "
                         f"span F1 {agree['f1']:.3f}")
            lines += [f"  {lab:<8} {f:.3f}" for lab, f in agree["per_label"].items()]
        else:
            lines.append("agreement: no task has two or more annotations")
    return "\n".join(lines)


def per_label_table(docs: list[AnnotatedText]) -> dict[str, dict[str, int]]:
    """label -> doc_id -> count (for notebooks)."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for d in docs:
        for lab, n in Counter(s.label for s in d.spans).items():
            out[lab][d.doc_id] = n
    return dict(out)
