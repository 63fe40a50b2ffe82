"""Checks of annotation regions and spans: offsets, whitespace, overlaps, labels, relations.

Offsets are repaired only where the repair is unambiguous:

- the region's text has leading/trailing whitespace: the offsets are moved in so the span
  starts and ends on a non-space character (LABELS.md: spans never start or end with spaces);
- ``text[start:end] != value.text`` but ``value.text`` occurs exactly once in a small window
  (``REPAIR_WINDOW`` characters either side of the given offsets): the offsets move there.

Everything else is an error naming the task, annotation and region ids.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from inference.data import AnnotatedText, Span
from inference.errors import ValidationError  # noqa: F401  (re-exported)

REPAIR_WINDOW = 16
"""How far (characters) around the given offsets a shifted region is looked for."""


@dataclass(frozen=True)
class Issue:
    """One finding: ``level`` is "error" (the item is rejected), "repaired" (fixed, the fix
    is said) or "warning" (kept or dropped as the message says)."""

    level: str
    code: str
    message: str
    task: Optional[object] = None
    annotation: Optional[object] = None
    region: Optional[str] = None

    def __str__(self) -> str:
        where = f"task {self.task}"
        if self.annotation is not None:
            where += f", annotation {self.annotation}"
        if self.region is not None:
            where += f", region {self.region}"
        return f"{self.level}: {self.code}: {where}: {self.message}"


def errors(issues: Iterable[Issue]) -> list[Issue]:
    return [i for i in issues if i.level == "error"]


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def repair_offsets(text: str, start: Optional[int], end: Optional[int],
                   value_text: Optional[str], window: int = REPAIR_WINDOW
                   ) -> tuple[Optional[tuple[int, int]], str]:
    """Checked offsets of a region: ``((start, end), note)``; ``(None, why)`` if the offsets
    cannot be trusted. ``note`` is "" when nothing was changed."""
    if not isinstance(start, int) or not isinstance(end, int):
        return None, f"offsets are not integers (start={start!r}, end={end!r})"
    if value_text is None:
        value_text = text[start:end] if 0 <= start < end <= len(text) else None
        if value_text is None:
            return None, f"offsets {start}..{end} outside the text (length {len(text)}) and no value.text"
    if 0 <= start < end <= len(text) and text[start:end] == value_text:
        s, e = _strip(text, start, end)
        if s == e:
            return None, f"region {start}..{end} holds only whitespace"
        if (s, e) != (start, end):
            return (s, e), f"trimmed whitespace {start}..{end} -> {s}..{e}"
        return (start, end), ""
    for needle in dict.fromkeys([value_text, value_text.strip()]):
        if not needle:
            continue
        lo = max(0, min(start, end) - window)
        hi = min(len(text), max(start, end) + window)
        hits, i = [], text.find(needle, lo)
        while i != -1 and i + len(needle) <= hi:
            hits.append(i)
            i = text.find(needle, i + 1)
        if len(hits) == 1:
            s, e = _strip(text, hits[0], hits[0] + len(needle))
            return (s, e), f"moved {start}..{end} -> {s}..{e} (value.text {needle!r} found once nearby)"
        if len(hits) > 1:
            return None, (f"text[{start}:{end}] is {text[max(0, start):max(0, end)]!r}, not "
                          f"{value_text!r}, which occurs {len(hits)} times nearby (ambiguous)")
    got = text[max(0, start):max(0, end)] if start < len(text) else ""
    return None, f"text[{start}:{end}] is {got!r}, not {value_text!r} (not found nearby)"


def overlaps(spans: list[Span]) -> list[tuple[Span, Span]]:
    """Pairs of spans that share at least one character (spans must be flat)."""
    out = []
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b.start >= a.end:
                break
            out.append((a, b))
    return out


def validate_doc(doc: AnnotatedText, labels: Iterable[str],
                 relation_rules: Optional[dict] = None) -> list[Issue]:
    """Every check on one converted document (an item of an annotation set)."""
    allowed = set(labels)
    issues: list[Issue] = []
    ids = set()
    for s in doc.spans:
        where = dict(task=doc.doc_id, region=s.id)
        if s.label not in allowed:
            issues.append(Issue("error", "unknown-label",
                                f"label {s.label!r} is not in configs/labels.yaml ({', '.join(sorted(allowed))})", **where))
        if not (0 <= s.start < s.end <= len(doc.text)) or doc.text[s.start:s.end] != s.text:
            issues.append(Issue("error", "offsets",
                                f"text[{s.start}:{s.end}] != {s.text!r}", **where))
        elif s.text != s.text.strip():
            issues.append(Issue("error", "whitespace", f"span {s.text!r} starts or ends with whitespace", **where))
        if s.id is not None:
            if s.id in ids:
                issues.append(Issue("error", "duplicate-id", f"region id {s.id} used twice", **where))
            ids.add(s.id)
    for a, b in overlaps(doc.spans):
        issues.append(Issue("error", "overlap",
                            f"regions {a.id} {a.label} {a.start}..{a.end} {a.text!r} and {b.id} {b.label} "
                            f"{b.start}..{b.end} {b.text!r} overlap", task=doc.doc_id, region=a.id))
    by_id = {s.id: s for s in doc.spans}
    rules = relation_rules or {}
    for r in doc.relations:
        if r.from_id not in by_id or r.to_id not in by_id:
            issues.append(Issue("error", "relation-end",
                                f"relation {r.from_id} -> {r.to_id}: end not among the spans", task=doc.doc_id))
            continue
        rule = rules.get(r.label)
        if rules and rule is None:
            issues.append(Issue("error", "unknown-relation", f"relation label {r.label!r} not in configs/labels.yaml",
                                task=doc.doc_id))
        elif rule and (by_id[r.from_id].label not in rule["from"] or by_id[r.to_id].label not in rule["to"]):
            issues.append(Issue("warning", "relation-direction",
                                f"relation {r.label} {by_id[r.from_id].label} {r.from_id} -> "
                                f"{by_id[r.to_id].label} {r.to_id} does not go {rule['from']} -> {rule['to']}",
                                task=doc.doc_id))
    return issues


def validate_docs(docs: Iterable[AnnotatedText], labels: Iterable[str],
                  relation_rules: Optional[dict] = None) -> list[Issue]:
    labels = tuple(labels)
    out: list[Issue] = []
    seen = set()
    for d in docs:
        if d.doc_id in seen:
            out.append(Issue("error", "duplicate-doc", f"doc_id {d.doc_id} occurs twice", task=d.doc_id))
        seen.add(d.doc_id)
        out += validate_doc(d, labels, relation_rules)
    return out
