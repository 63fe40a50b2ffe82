"""Entity-level scoring on character spans: exact match of (start, end, label), the same
figures as seqeval's strict mode on BIO sequences (tests check the two agree).
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Optional, Sequence

from inference.data import Span

Key = tuple[int, int, str]


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "tp": tp, "fp": fp, "fn": fn, "support": tp + fn}


def keys(spans: Iterable[Span]) -> set[Key]:
    return {(s.start, s.end, s.label) for s in spans}


def score(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]],
          labels: Sequence[str] = ()) -> dict[str, Any]:
    """Per-label, micro and macro P/R/F1 of exact-span matches over aligned documents.
    Macro averages the labels that occur in gold or predictions (or all of ``labels``)."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold documents but {len(pred)} predicted")
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    for g, p in zip(gold, pred):
        gk, pk = keys(g), keys(p)
        for k in gk & pk:
            tp[k[2]] += 1
        for k in pk - gk:
            fp[k[2]] += 1
        for k in gk - pk:
            fn[k[2]] += 1
    names = list(labels) or sorted(set(tp) | set(fp) | set(fn))
    names += sorted((set(tp) | set(fp) | set(fn)) - set(names))
    per = {lab: prf(tp[lab], fp[lab], fn[lab]) for lab in names}
    seen = [lab for lab in names if per[lab]["support"] or per[lab]["fp"]]
    micro = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    macro = {m: (sum(per[lab][m] for lab in seen) / len(seen) if seen else 0.0)
             for m in ("precision", "recall", "f1")}
    return {"per_label": per, "micro": micro, "macro": macro}


def span_errors(gold: Sequence[Span], pred: Sequence[Span]) -> list[tuple[str, Optional[Span], Optional[Span]]]:
    """The errors of one document as (kind, gold span, predicted span): for each gold span
    not matched exactly, the predicted span overlapping it most decides ``boundary`` (same
    label), ``wrong_label`` or ``missed`` (none); a predicted span overlapping no gold span
    is ``spurious``. The one overlap classification (confusions, error analysis)."""
    out: list[tuple[str, Optional[Span], Optional[Span]]] = []
    pk = keys(pred)
    for s in gold:
        if (s.start, s.end, s.label) in pk:
            continue
        over = [(min(s.end, q.end) - max(s.start, q.start), q) for q in pred
                if q.start < s.end and s.start < q.end]
        q = max(over, key=lambda x: x[0])[1] if over else None
        kind = "missed" if q is None else ("boundary" if q.label == s.label else "wrong_label")
        out.append((kind, s, q))
    for q in pred:
        if not any(q.start < s.end and s.start < q.end for s in gold):
            out.append(("spurious", None, q))
    return out


def confusion(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]]) -> dict[str, Any]:
    """Where the errors go: for each gold span not matched exactly, the label of the
    predicted span overlapping it most (``"-"`` = missed); predicted spans overlapping no
    gold span are spurious. Keys ``"GOLD -> PRED"``; ``boundary`` counts same-label
    overlaps with other boundaries."""
    pairs: Counter = Counter()
    spurious: Counter = Counter()
    for g, p in zip(gold, pred):
        for kind, s, q in span_errors(g, p):
            if kind == "spurious":
                spurious[q.label] += 1
            else:
                pairs[(s.label, "-" if kind == "missed" else "boundary" if kind == "boundary" else q.label)] += 1
    return {
        "gold_vs_pred": {f"{a} -> {b}": n for (a, b), n in pairs.most_common()},
        "missed": {a: n for (a, b), n in pairs.most_common() if b == "-"},
        "spurious": dict(spurious.most_common()),
    }


def relation_keys(spans: Sequence[Span], relations: Iterable[Any]) -> set[tuple]:
    """Relations as ((value start, end, label), (metric start, end)) — independent of ids."""
    by_id = {s.id: s for s in spans if s.id is not None}
    out = set()
    for r in relations:
        a, b = by_id.get(r.from_id), by_id.get(r.to_id)
        if a is not None and b is not None:
            out.add(((a.start, a.end, a.label), (b.start, b.end)))
    return out


def relation_score(gold: Sequence[set], pred: Sequence[set]) -> dict[str, float]:
    tp = sum(len(g & p) for g, p in zip(gold, pred))
    fp = sum(len(p - g) for g, p in zip(gold, pred))
    fn = sum(len(g - p) for g, p in zip(gold, pred))
    return prf(tp, fp, fn)


def _counts(gold: Sequence[set], pred: Sequence[set], names: Sequence[str],
            label_of: Any) -> Any:
    """Per document, per name (then all together): true positives, false positives, false
    negatives, as an array (documents, names + 1, 3)."""
    import numpy as np

    col = {n: i for i, n in enumerate(names)}
    out = np.zeros((len(gold), len(names) + 1, 3), dtype=np.int64)
    for d, (g, p) in enumerate(zip(gold, pred)):
        for j, keys_ in enumerate((g & p, p - g, g - p)):
            for k in keys_:
                i = col.get(label_of(k))
                if i is not None:
                    out[d, i, j] += 1
                out[d, -1, j] += 1
    return out


def _f1(c: Any) -> Any:
    """F1 of count arrays (..., 3), 0 where there is nothing."""
    import numpy as np

    tp, fp, fn = c[..., 0], c[..., 1], c[..., 2]
    den = 2 * tp + fp + fn
    return np.where(den > 0, 2 * tp / np.maximum(den, 1), 0.0)


def paired_bootstrap(gold: Sequence[set], pred_a: Sequence[set], pred_b: Sequence[set],
                     groups: Sequence[str], names: Sequence[str], label_of: Any,
                     rounds: int = 2000, seed: int = 0) -> dict[str, dict[str, float]]:
    """System B against system A on the same documents: per name (and ``micro``) the F1 of
    each, B - A, the 95 % interval of B - A and how often B beats A when the ``groups`` (the
    report of each document: its sections are not independent) are drawn again with
    replacement, ``rounds`` times. ``gold``/``pred_*``: per document, sets of keys;
    ``label_of(key)`` names a key's label."""
    import numpy as np

    ca, cb = _counts(gold, pred_a, names, label_of), _counts(gold, pred_b, names, label_of)
    ids = sorted(set(groups))
    where = np.asarray([ids.index(g) for g in groups])
    ga = np.zeros((len(ids),) + ca.shape[1:], dtype=np.int64)
    gb = np.zeros_like(ga)
    np.add.at(ga, where, ca)
    np.add.at(gb, where, cb)
    draw = np.random.default_rng(seed).integers(0, len(ids), size=(rounds, len(ids)))
    delta = _f1(gb[draw].sum(axis=1)) - _f1(ga[draw].sum(axis=1))  # (rounds, names + 1)
    fa, fb = _f1(ga.sum(axis=0)), _f1(gb.sum(axis=0))
    out = {}
    for i, name in enumerate(list(names) + ["micro"]):
        lo, hi = np.percentile(delta[:, i], [2.5, 97.5])
        out[name] = {"a": float(fa[i]), "b": float(fb[i]), "delta": float(fb[i] - fa[i]),
                     "low": float(lo), "high": float(hi),
                     "b_better": float((delta[:, i] > 0).mean()),
                     "support": int(ga[:, i, 0].sum() + ga[:, i, 2].sum())}
    return out
