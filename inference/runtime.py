"""The model runtime interface: one text path over any backend (GLiNER-style adapters).

A :class:`ModelTagger` owns what every runtime shares — the tokenizer, the label map, the
window settings and the text path of ``inference.windows`` (tokenise the regions once, cut
overlapping windows, batch them by length, average window probabilities per token, decode
the best valid BIO path to character spans). A backend adapter supplies only loading and
:meth:`ModelTagger.logits`, the logits of one padded batch of windows:

- ``inference/torch_runtime.py``: ``TorchTagger`` (transformers, fp32);
- ``inference/onnx_runtime.py``: ``OnnxTagger`` (onnxruntime, the int8 fast path).

``inference/tagger.py`` picks and loads one (``load_tagger``). Nothing here imports torch.
"""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np

from .config import LabelSet
from .data import Span
from .errors import ModelNotFound
from .windows import Encoding, decode, encode, length_batches, merge_probs, softmax
from .words import WordEdges

MODEL_INFO = "govie_model.json"
"""Written by training next to the weights: version, window settings, label list."""

Regions = Optional[Sequence[tuple[int, int]]]


def read_model_info(path: Union[str, Path]) -> dict[str, Any]:
    p = Path(path) / MODEL_INFO
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}


class ModelTagger(ABC):
    """A token classifier with its tokenizer and label map; ``predict_entities(texts)``
    gives, per text, character spans carrying the mean probability of their tags."""

    runtime: str = ""  # the adapter's name: "torch", "onnx"
    constrained = True  # decode by constrained BIO Viterbi; False: per-token argmax
    # entities opening or closing inside a word pay a penalty (inference.words); None: the
    # ``word_edges`` of the label set in use (configs/labels.yaml), WordEdges(): none
    word_edges: Optional[WordEdges] = None

    def __init__(self, tokenizer: Any, id2label: dict, max_length: int = 256, stride: int = 32,
                 batch_size: int = 16, model_version: str = "unversioned",
                 char_map: Optional[dict[str, str]] = None):
        self.tokenizer = tokenizer
        self.id2label = {int(k): v for k, v in id2label.items()}
        self.max_length, self.stride, self.batch_size = int(max_length), int(stride), int(batch_size)
        self.model_version = model_version
        self.char_map = dict(char_map or {})
        names = [self.id2label[k].split("-", 1)[-1] for k in sorted(self.id2label)]
        self.labels = tuple(dict.fromkeys(n for n in names if n != "O"))

    @abstractmethod
    def logits(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Logits ``(batch, length, labels)`` of one padded batch of windows."""

    def encode(self, text: str, regions: Regions = None) -> Encoding:
        return encode(text, self.tokenizer, self.max_length, self.stride, regions, self.char_map)

    def window_probs(self, encs: Sequence[Encoding]) -> list[list[np.ndarray]]:
        """Softmax probabilities of every window of every encoding (batched by length;
        the runtime's ``logits`` runs each batch)."""
        flat = [(i, j) for i, e in enumerate(encs) for j in range(len(e.windows))]
        seqs = [encs[i].windows[j].input_ids for i, j in flat]
        out: list[list[Any]] = [[None] * len(e.windows) for e in encs]
        for rows, ids, mask in length_batches(seqs, self.batch_size, self.tokenizer.pad_token_id or 0):
            probs = softmax(self.logits(ids, mask))
            for r, k in enumerate(rows):
                i, j = flat[k]
                out[i][j] = probs[r, :len(seqs[k])]
        return out

    def predict_entities(self, texts: list[str], regions: Optional[Sequence[Regions]] = None,
                         labels: Optional[LabelSet] = None) -> list[list[Span]]:
        """Per text, the entity spans (offsets into that text), optionally only inside
        ``regions[i]`` (the regions the model reads, ``inference.ner.model_regions``).
        ``labels``: the label set whose span edges (trimmed characters, word edges) the
        decoding follows (default: that of the rules in use)."""
        if isinstance(texts, str):
            raise TypeError("predict_entities takes a list of texts, not one string")
        regs = list(regions) if regions is not None else [None] * len(texts)
        if len(regs) != len(texts):
            raise ValueError("regions must give one entry per text")
        encs = [self.encode(t, r) for t, r in zip(texts, regs)]
        if labels is None:
            from .rules import default_rules

            labels = default_rules().labels
        edges = self.word_edges if self.word_edges is not None else labels.word_edges
        out: list[list[Span]] = []
        for enc, wp in zip(encs, self.window_probs(encs)):
            out.append(decode(enc, merge_probs(enc, wp), self.id2label, constrained=self.constrained,
                              edges=edges, labels=labels) if enc.windows else [])
        return out
