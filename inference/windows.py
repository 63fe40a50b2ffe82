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
from typing import Any, Optional, Sequence

import numpy as np

from .data import Span

IGNORE = -100
KEEP_START = frozenset("《")
KEEP_END = frozenset("》%％")


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


def encode(text: str, tokenizer: Any, max_length: int = 256, stride: int = 32,
           regions: Optional[Sequence[tuple[int, int]]] = None) -> Encoding:
    """Tokenise ``text`` and cut the tokens inside ``regions`` into overlapping windows.

    ``stride`` is the number of tokens two neighbouring windows share (HF meaning)."""
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
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True,
                        verbose=False)
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


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``start:end`` past whitespace and punctuation that is not part of an entity
    (a leading 《 and a trailing 》 or % stay)."""
    def junk(c: str, keep: frozenset) -> bool:
        return c not in keep and (c.isspace() or unicodedata.category(c)[0] == "P")

    while start < end and junk(text[start], KEEP_START):
        start += 1
    while end > start and junk(text[end - 1], KEEP_END):
        end -= 1
    return start, end


def decode(enc: Encoding, probs: np.ndarray, id2label: dict[int, str],
           source: str = "model") -> list[Span]:
    """Character spans from per-token probabilities (argmax, BIO repaired).

    An ``I-X`` that does not continue an ``X`` entity opens one (so no token is lost);
    an entity never crosses a region boundary. The score is the mean probability of the
    chosen tags. Spans are trimmed of whitespace and stray punctuation."""
    text = enc.text
    if len(enc.ids) == 0:
        return []
    best = probs.argmax(axis=-1)
    spans: list[Span] = []
    cur: Optional[list] = None  # [label, first token, last token, [probs]]

    def close() -> None:
        if cur is None:
            return
        lab, a, b, ps = cur
        s, e = trim(text, enc.offsets[a][0], enc.offsets[b][1])
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
    return decode(enc, onehot, id2label, source="gold")
