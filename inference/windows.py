"""The one text path of the token classifier, shared by training and serving.

A text (or the parts of it given as ``regions``) is tokenised once with the tokenizer's
offset mapping, cut into overlapping windows of at most ``max_length`` tokens (special tokens
included), so a long report is covered whole. Labels are aligned at the character level
(Hugging Face ``run_ner.py`` style with a fixed label list): a token takes the label of the
span it overlaps, ``B-`` if the span starts inside it, ``I-`` otherwise; special and padding
positions get ``-100``. Predictions of the windows are averaged per token and decoded from
token offsets back to character spans, so an entity that holds a space or a newline (which
get no token) still covers it.

Nothing here imports torch: window probabilities come in as numpy arrays.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator, Mapping, Optional, Sequence

import numpy as np

from .config import LabelSet
from . import deadline
from .data import Span
from .words import WordEdges, inside_word

IGNORE = -100


@dataclass(frozen=True)
class Window:
    """One model input: ``input_ids`` with [CLS]/[SEP]; ``tokens[i]`` is the index of
    position ``i`` in ``Encoding.offsets`` (-1 for special tokens)."""

    input_ids: list[int]
    tokens: list[int]


@dataclass(frozen=True)
class Encoding:
    """A text's kept tokens (ids, char offsets, region index) and its windows."""

    text: str
    ids: list[int]
    offsets: list[tuple[int, int]]
    region: list[int]
    windows: list[Window]


def merge_regions(regions: Optional[Sequence[tuple[int, int]]], text: str) -> list[tuple[int, int]]:
    """Sorted, non-overlapping regions; the whole text when ``regions`` is None."""
    if regions is None:
        return [(0, len(text))] if text else []
    out: list[tuple[int, int]] = []
    for s, e in sorted((max(0, s), min(len(text), e)) for s, e in regions):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(e, out[-1][1]))
        else:
            out.append((s, e))
    return out


def char_table(char_map: Optional[Mapping[str, str]]) -> Optional[dict[int, str]]:
    """A ``str.translate`` table from a one-character-to-one-character map (the model's
    ``char_map``: characters its vocabulary lacks, such as the curly quotes, to ones it has).
    One-to-one keeps every character offset where it was."""
    if not char_map:
        return None
    bad = [f"{k!r}->{v!r}" for k, v in char_map.items() if len(k) != 1 or len(v) != 1]
    if bad:
        raise ValueError(f"char_map must map single characters to single characters: {', '.join(bad)}")
    return {ord(k): v for k, v in char_map.items()}


def tokenize(text: str, tokenizer: Any, char_map: Optional[Mapping[str, str]] = None, **kw: Any) -> Any:
    """The tokenizer's output for ``text`` as the model reads it: ``char_map`` applied (offsets
    unchanged), no special tokens. The one place text meets the tokenizer (serving, training,
    pretraining)."""
    table = char_table(char_map)
    return tokenizer(text.translate(table) if table else text, add_special_tokens=False, verbose=False, **kw)


def encode(text: str, tokenizer: Any, max_length: int = 256, stride: int = 32,
           regions: Optional[Sequence[tuple[int, int]]] = None,
           char_map: Optional[Mapping[str, str]] = None) -> Encoding:
    """Tokenise ``text`` and cut the tokens inside ``regions`` into overlapping windows.

    ``stride`` is the number of tokens two neighbouring windows share (HF meaning).
    ``char_map`` replaces characters one for one before tokenising (offsets unchanged)."""
    if max_length < 8:
        raise ValueError(f"max_length must be at least 8, got {max_length}")
    body = max_length - 2
    if not 0 <= stride < body:
        raise ValueError(f"stride must be in [0, {body}), got {stride}")
    regs = merge_regions(regions, text)
    ids: list[int] = []
    offsets: list[tuple[int, int]] = []
    region: list[int] = []
    if regs:
        enc = tokenize(text, tokenizer, char_map, return_offsets_mapping=True)
        r = 0
        for tid, (s, e) in zip(enc["input_ids"], enc["offset_mapping"]):
            if e <= s:
                continue
            while r < len(regs) and s >= regs[r][1]:
                r += 1
            if r == len(regs):
                break
            if s < regs[r][0]:
                continue
            ids.append(int(tid))
            offsets.append((int(s), int(min(e, regs[r][1]))))
            region.append(r)
    windows: list[Window] = []
    n = len(ids)
    start = 0
    while start < n:
        end = min(n, start + body)
        tok = list(range(start, end))
        windows.append(Window(
            input_ids=[tokenizer.cls_token_id] + ids[start:end] + [tokenizer.sep_token_id],
            tokens=[-1] + tok + [-1],
        ))
        if end == n:
            break
        start = end - stride
    return Encoding(text, ids, offsets, region, windows)


def length_batches(seqs: Sequence[Sequence[int]], batch_size: int, pad_id: int = 0
                   ) -> Iterator[tuple[list[int], np.ndarray, np.ndarray]]:
    """``seqs`` in batches of similar length (sorted by length, so little padding): the
    indexes of each batch's rows, their ids padded with ``pad_id`` and the attention mask
    (int64 arrays)."""
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    for b in range(0, len(order), batch_size):
        deadline.check("ner (model windows)")  # a report over its time limit stops here
        rows = order[b:b + batch_size]
        width = max(len(seqs[i]) for i in rows)
        ids = np.full((len(rows), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for r, i in enumerate(rows):
            ids[r, :len(seqs[i])] = seqs[i]
            mask[r, :len(seqs[i])] = 1
        yield rows, ids, mask


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, in float64."""
    z = z.astype(np.float64)
    z -= z.max(axis=-1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=-1, keepdims=True)


def token_labels(enc: Encoding, spans: Sequence[Span], label2id: dict[str, int]) -> list[int]:
    """The BIO label id of every kept token, from character spans."""
    owner = np.full(len(enc.text) + 1, -1, dtype=np.int64)
    for k, s in enumerate(spans):
        owner[s.start:s.end] = k
    out: list[int] = []
    for s, e in enc.offsets:
        hit = [k for k in np.unique(owner[s:e]) if k >= 0]
        if not hit:
            out.append(label2id["O"])
            continue
        span = spans[int(hit[0])]
        tag = "B" if span.start >= s else "I"
        out.append(label2id[f"{tag}-{span.label}"])
    return out


def window_labels(enc: Encoding, labels: Sequence[int]) -> list[list[int]]:
    """Per window, the label of every position (``-100`` on special tokens). In the
    overlap of two windows a token is labelled in both."""
    return [[IGNORE if t < 0 else int(labels[t]) for t in w.tokens] for w in enc.windows]


def merge_probs(enc: Encoding, window_probs: Sequence[np.ndarray]) -> np.ndarray:
    """Average the per-position probabilities of the windows into one row per token."""
    n_labels = window_probs[0].shape[-1] if len(window_probs) else 1
    acc = np.zeros((len(enc.ids), n_labels), dtype=np.float64)
    cnt = np.zeros(len(enc.ids), dtype=np.float64)
    for w, p in zip(enc.windows, window_probs):
        idx = np.array(w.tokens)
        keep = idx >= 0
        acc[idx[keep]] += p[: len(idx)][keep]
        cnt[idx[keep]] += 1
    cnt[cnt == 0] = 1
    return acc / cnt[:, None]


def trim(text: str, start: int, end: int, labels: Optional[LabelSet] = None) -> tuple[int, int]:
    """Shrink ``start:end`` past whitespace and punctuation that is not part of an entity
    (a leading 《 and a trailing 》 or % stay: ``keep_at_start``/``keep_at_end`` of
    ``labels``, default: ``default_rules().labels``)."""
    def junk(c: str, keep: frozenset) -> bool:
        return c not in keep and (c.isspace() or unicodedata.category(c)[0] == "P")

    if labels is None:
        from .rules import default_rules
        labels = default_rules().labels
    keep_start, keep_end = labels.keep_at_start, labels.keep_at_end
    while start < end and junk(text[start], keep_start):
        start += 1
    while end > start and junk(text[end - 1], keep_end):
        end -= 1
    return start, end


def bio_constraints(id2label: dict[int, str]) -> tuple[np.ndarray, np.ndarray]:
    """Which tags may open a sequence (no ``I-``) and which may follow which (``I-X`` only
    after ``B-X`` or ``I-X``)."""
    tags = [id2label[i] for i in range(len(id2label))]
    start = np.array([not t.startswith("I-") for t in tags])
    trans = np.ones((len(tags), len(tags)), dtype=bool)
    for j, t in enumerate(tags):
        if t.startswith("I-"):
            trans[:, j] = [u in (f"B-{t[2:]}", t) for u in tags]
    return start, trans


def viterbi(logp: np.ndarray, start: np.ndarray, trans: np.ndarray,
            edge_cost: Optional["EdgeCost"] = None) -> np.ndarray:
    """The most probable tag path under hard transition constraints (and, with
    ``edge_cost``, the word-edge penalties of its positions)."""
    neg = -1e9
    tr = np.where(trans, 0.0, neg)
    score = logp[0] + np.where(start, 0.0, neg)
    if edge_cost is not None and edge_cost.inside[0]:
        score = score - edge_cost.opening
    inside = edge_cost.inside if edge_cost is not None else np.zeros(len(logp), dtype=bool)
    tr_inside = tr - edge_cost.step if edge_cost is not None else tr
    back = np.zeros(logp.shape, dtype=np.int64)
    for t in range(1, len(logp)):
        cand = score[:, None] + (tr_inside if inside[t] else tr)
        back[t] = cand.argmax(axis=0)
        score = cand.max(axis=0) + logp[t]
    path = np.empty(len(logp), dtype=np.int64)
    path[-1] = score.argmax()
    for t in range(len(logp) - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


@dataclass(frozen=True)
class EdgeCost:
    """Word-edge penalties of one stretch of tokens (``inference.words``): ``inside[t]`` when
    token ``t`` starts inside a word; there, ``opening[k]`` is charged for starting with tag
    ``k`` and ``step[j, k]`` for tag ``j`` followed by tag ``k``."""

    inside: np.ndarray
    opening: np.ndarray
    step: np.ndarray

    @classmethod
    def build(cls, inside: np.ndarray, id2label: dict[int, str], labels: frozenset,
              penalty: float) -> "EdgeCost":
        """An entity of ``labels`` that opens or closes inside a word pays ``penalty``."""
        opening, step = _edge_costs(tuple(id2label[i] for i in range(len(id2label))), labels, penalty)
        return cls(np.asarray(inside, dtype=bool), opening, step)

    def part(self, i: int, j: int) -> "EdgeCost":
        return EdgeCost(self.inside[i:j], self.opening, self.step)


@lru_cache(maxsize=16)
def _edge_costs(tags: tuple[str, ...], labels: frozenset, penalty: float) -> tuple[np.ndarray, np.ndarray]:
    """``EdgeCost``'s opening and step costs for a tag list, built once per label set."""
    ent = [t.split("-", 1)[-1] if t != "O" else None for t in tags]
    opening = np.array([penalty if t.startswith("B-") and e in labels else 0.0
                        for t, e in zip(tags, ent)])
    closing = np.array([[penalty if e in labels and u != f"I-{e}" else 0.0 for u in tags]
                        for e in ent])  # tag j, then anything but its own I-: it closes
    return opening, closing + opening[None, :]


def best_tags(probs: np.ndarray, region: Sequence[int], id2label: dict[int, str],
              sure: float = 0.99, edge_cost: Optional[EdgeCost] = None) -> np.ndarray:
    """Per token, the tag of the best valid BIO path (Viterbi on log probabilities), so an
    entity whose inner tokens waver between types comes out whole with one type.

    The path restarts at every region boundary; tokens that are ``O`` with probability
    ``sure`` or more cut the text into independent stretches (fast on long reports).
    ``edge_cost``: the word-edge penalties of the tokens (``EdgeCost``)."""
    best = probs.argmax(axis=-1)
    o = next((i for i, t in id2label.items() if t == "O"), None)
    if o is None or len(best) == 0:
        return best
    start, trans = bio_constraints(id2label)
    cut = (best == o) & (probs[:, o] >= sure)
    reg = np.asarray(region)
    i, n = 0, len(best)
    while i < n:
        if cut[i]:
            i += 1
            continue
        j = i + 1
        while j < n and not cut[j] and reg[j] == reg[i]:
            j += 1
        best[i:j] = viterbi(np.log(probs[i:j] + 1e-12), start, trans,
                            edge_cost.part(i, j) if edge_cost is not None else None)
        i = j
    return best


def decode(enc: Encoding, probs: np.ndarray, id2label: dict[int, str],
           source: str = "model", constrained: bool = True,
           edges: Optional[WordEdges] = None, labels: Optional[LabelSet] = None) -> list[Span]:
    """Character spans from per-token probabilities: the best valid BIO path
    (``best_tags``; with ``edges``, edges inside a word pay their penalty), or the plain
    argmax with ``constrained=False``. ``labels``: whose span edges ``trim`` keeps.

    After an argmax, an ``I-X`` that does not continue an ``X`` entity opens one (so no
    token is lost); an entity never crosses a region boundary. The score is the mean
    probability of the chosen tags. Spans are trimmed of whitespace and stray punctuation."""
    text = enc.text
    if len(enc.ids) == 0:
        return []
    cost = None
    if constrained and edges is not None and edges.active:
        cost = EdgeCost.build(inside_word(text, enc.offsets), id2label, edges.labels, edges.penalty)
    best = (best_tags(probs, enc.region, id2label, edge_cost=cost) if constrained
            else probs.argmax(axis=-1))
    spans: list[Span] = []
    cur: Optional[list] = None  # [label, first token, last token, [probs]]

    def close() -> None:
        if cur is None:
            return
        lab, a, b, ps = cur
        s, e = trim(text, enc.offsets[a][0], enc.offsets[b][1], labels)
        if e > s:
            spans.append(Span(s, e, text[s:e], lab, float(np.mean(ps)), source))

    for i, k in enumerate(best):
        tag = id2label[int(k)]
        p = float(probs[i, k])
        if tag == "O":
            close()
            cur = None
            continue
        bio, lab = tag.split("-", 1)
        if bio == "I" and cur is not None and cur[0] == lab and enc.region[cur[2]] == enc.region[i]:
            cur[2] = i
            cur[3].append(p)
        else:
            close()
            cur = [lab, i, i, [p]]
    close()
    return spans


def spans_from_labels(enc: Encoding, labels: Sequence[int], id2label: dict[int, str]) -> list[Span]:
    """Decode hard label ids (one per token), e.g. gold labels after alignment."""
    n = len(id2label)
    onehot = np.zeros((len(labels), n))
    onehot[np.arange(len(labels)), np.asarray(labels, dtype=int)] = 1.0
    return decode(enc, onehot, id2label, source="gold", constrained=False)
