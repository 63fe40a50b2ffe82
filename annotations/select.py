"""Most useful first: which passages (task units) to annotate next.

The model's doubt about a unit is read from the window probabilities it already computes
(``ModelTagger.window_probs``, averaged per token by ``inference.windows.merge_probs``):

- ``entropy``: per token, the entropy of its label distribution divided by log(labels) (0:
  sure, 1: no idea); per unit, the mean of its ``TOP_K`` most doubtful tokens, so that a long
  unit of easy boilerplate with one hard sentence still counts as hard, and a long unit is not
  favoured just for its length;
- ``margin``: per token, 1 - (best - second best probability); per unit as above.

:func:`pick` takes the N units of highest doubt, spread over reports: each unit already taken
from a report multiplies the doubt of the report's other units by ``diversity`` (0.5: the
second pick of a report must be twice as doubtful as a fresh report's best), so that an
hour of annotation covers many issuers' phrasings instead of one odd report.
"""
from __future__ import annotations

import random
from typing import Any, Callable, Optional, Sequence

import numpy as np

MEASURES = ("entropy", "margin")
TOP_K = 32
DIVERSITY = 0.5


def token_doubt(probs: np.ndarray, measure: str = "entropy") -> np.ndarray:
    """Per token (rows of ``probs``, label probabilities), its doubt in [0, 1]."""
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}, got {measure!r}")
    if probs.size == 0:
        return np.zeros(len(probs))
    if measure == "margin":
        top = np.sort(probs, axis=1)[:, ::-1]
        second = top[:, 1] if top.shape[1] > 1 else np.zeros(len(top))
        return 1.0 - (top[:, 0] - second)
    p = np.clip(probs, 1e-12, 1.0)
    return -(p * np.log(p)).sum(axis=1) / np.log(max(2, probs.shape[1]))


def unit_doubt(token_scores: np.ndarray, top_k: int = TOP_K) -> float:
    """A unit's doubt: the mean of its ``top_k`` most doubtful tokens (0.0 without tokens)."""
    if len(token_scores) == 0:
        return 0.0
    k = min(top_k, len(token_scores))
    return float(np.sort(token_scores)[-k:].mean())


def doubts(tagger: Any, texts: Sequence[str], measure: str = "entropy", top_k: int = TOP_K) -> list[float]:
    """The doubt of ``tagger`` (a ``ModelTagger``) about each text, windows of all texts batched."""
    from inference.windows import merge_probs

    encs = [tagger.encode(t) for t in texts]
    out = []
    for enc, wp in zip(encs, tagger.window_probs(encs)):
        out.append(unit_doubt(token_doubt(merge_probs(enc, wp), measure), top_k) if enc.windows else 0.0)
    return out


def pick(scores: Sequence[float], groups: Sequence[Any], n: int, diversity: float = DIVERSITY) -> list[int]:
    """Indices of ``n`` items by decreasing score, each item already taken from a group
    multiplying the scores of that group's others by ``diversity`` (1.0: no spreading)."""
    if len(scores) != len(groups):
        raise ValueError("one group per score")
    taken: dict[Any, int] = {}
    left = set(range(len(scores)))
    out: list[int] = []
    while left and len(out) < n:
        best = max(left, key=lambda i: (scores[i] * diversity ** taken.get(groups[i], 0), -i))
        out.append(best)
        left.remove(best)
        taken[groups[best]] = taken.get(groups[best], 0) + 1
    return out


def select_tasks(tasks: Sequence[dict], n: int, how: str = "uncertain", tagger: Any = None,
                 measure: str = "entropy", seed: int = 0, text_key: str = "text",
                 group_key: str = "doc_id") -> list[dict]:
    """``n`` of the push tasks (``annotations.push.report_tasks`` data), most doubtful first
    (``how="uncertain"``, needs the tagger) or a seeded random sample (``how="random"``);
    each chosen task's data gets ``doubt`` (uncertain only)."""
    if how == "random":
        idx = random.Random(seed).sample(range(len(tasks)), min(n, len(tasks)))
        return [tasks[i] for i in idx]
    if how != "uncertain":
        raise ValueError(f"selection must be 'uncertain' or 'random', got {how!r}")
    if tagger is None:
        raise ValueError("uncertainty selection needs a model (none loaded)")
    scores = doubts(tagger, [t[text_key] for t in tasks], measure)
    chosen = pick(scores, [t.get(group_key) for t in tasks], n)
    return [{**tasks[i], "doubt": round(scores[i], 6)} for i in chosen]


def selector(n: int, how: str, tagger: Any = None, seed: int = 0) -> Callable[[list[dict]], list[dict]]:
    """``select_tasks`` with its settings bound (what ``push(select=...)`` takes)."""
    return lambda tasks: select_tasks(tasks, n, how, tagger, seed=seed)


def confidences(tagger: Optional[Any], texts: Sequence[str], measure: str = "entropy") -> Optional[list[float]]:
    """1 - doubt of each text (the prediction score the ML backend gives, so that sorting a
    project by prediction score puts the most doubtful tasks first); None without a model."""
    if tagger is None or not hasattr(tagger, "window_probs"):
        return None
    return [round(1.0 - d, 6) for d in doubts(tagger, texts, measure)] if texts else []
