"""Training data from annotation sets: documents split by report, the regions the model reads
when it serves (``inference.ner.model_regions``), overlapping windows with char-aligned BIO labels (``inference.windows``, the serving path).
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from annotations.sets import TEST_DIR, list_sets, load_set
from inference.config import ROOT, LabelSet, label_set
from inference.errors import ConfigError
from inference.glosses import model_view, pinyin_glosses, to_view
from inference.ner import model_regions
from inference.pipeline import Pipeline
from inference.data import AnnotatedText, Span
from inference.windows import encode, token_labels, window_labels

log = logging.getLogger(__name__)


def resolve_path(p: Union[str, Path]) -> Path:
    """A path from a config: absolute, or relative to the project root."""
    p = Path(p)
    return p if p.is_absolute() else ROOT / p


def load_docs(sets: Union[str, Sequence[str]]) -> list[AnnotatedText]:
    """The documents of the annotation sets (``"all"``: every set in annotations/data, in
    name order). A doc id seen again in a later set replaces the earlier version."""
    paths = list_sets() if sets == "all" else set_paths(sets)
    if not paths:
        raise ValueError("no annotation sets given")
    by_id: dict[str, AnnotatedText] = {}
    for p in paths:
        for d in load_set(p):
            by_id[d.doc_id] = d
    return list(by_id.values())


def set_paths(sets: Union[str, Sequence[str]]) -> list[Path]:
    """The folders of the named sets (one or several, relative to the project or absolute)."""
    return [resolve_path(s) for s in ([sets] if isinstance(sets, str) else sets)]


def training_docs(sets: Union[str, Sequence[str]]) -> list[AnnotatedText]:
    """``load_docs`` for training and pretraining, which refuse the test sets of
    annotations/test: documents no model may learn from."""
    paths = [] if sets == "all" else set_paths(sets)
    test = [p for p in paths if p.resolve().is_relative_to(TEST_DIR.resolve())]
    if test:
        raise ConfigError(f"{test[0]} is a test set (annotations/test): never trained on")
    return load_docs(sets)


def report_of(doc_id: str) -> str:
    """The report a document belongs to: a pulled Label Studio task is ``<report>@<offset>``
    (one task per section, ``annotations/README.md``); other documents are whole reports."""
    return doc_id.split("@", 1)[0]


def is_dev(doc_id: str, dev_fraction: float, seed: int, by_report: bool = True) -> bool:
    """Stable split by report: a report always falls on the same side for a given seed,
    whatever other documents the sets hold, and all its sections fall together (a section
    trained on must never be scored as held out beside another of the same report).
    ``by_report=False`` hashes the document id itself (see ``split_docs``)."""
    key = report_of(doc_id) if by_report else doc_id
    h = hashlib.sha1(f"{seed}:{key}".encode("utf-8")).hexdigest()
    return int(h[:8], 16) / 0x100000000 < dev_fraction


def _split(docs: Sequence[AnnotatedText], dev_fraction: float, seed: int,
           by_report: bool) -> tuple[list[AnnotatedText], list[AnnotatedText]]:
    side = [is_dev(d.doc_id, dev_fraction, seed, by_report) for d in docs]
    return [d for d, s in zip(docs, side) if not s], [d for d, s in zip(docs, side) if s]


def split_docs(docs: Sequence[AnnotatedText], dev_fraction: float,
               seed: int) -> tuple[list[AnnotatedText], list[AnnotatedText]]:
    """Train and dev documents, split by report (``is_dev``). Where that leaves a side empty
    although the documents could fill both (a Label Studio project holding the sections of
    one or two reports), the sections are split instead, with a warning: dev then scores
    sections of reports also trained on."""
    train, dev = _split(docs, dev_fraction, seed, True)
    if dev_fraction > 0 and len(docs) > 1 and not (train and dev):
        by_doc = _split(docs, dev_fraction, seed, False)
        if by_doc[0] and by_doc[1]:
            n = len({report_of(d.doc_id) for d in docs})
            log.warning("the dev split by report left one side empty (%d report(s)): split by "
                        "section instead; the dev figures score sections of trained reports", n)
            return by_doc
    return train, dev


READER = Pipeline(stages=("clean", "segment"))
"""The stages before the ner stage, as served: what they find decides what the model reads."""


def regions_of(text: str) -> list[tuple[int, int]]:
    """The parts of ``text`` the NER model reads when it serves (the same function)."""
    return model_regions(READER.run_text(text))


def spans_inside(spans: Sequence[Span], regions: Optional[Sequence[tuple[int, int]]],
                 glosses: Sequence[tuple[int, int]] = ()) -> list[Span]:
    """The ``spans`` that lie inside one of ``regions``; two regions that only a pinyin gloss
    of ``glosses`` separates count as one (the model's spans take the gloss in:
    ``inference.glosses``), so 吐魯番地區(qū)公安局 stays gold."""
    if regions is None:
        return list(spans)
    joined: list[tuple[int, int]] = []
    gaps = set(glosses)
    for a, b in sorted(regions):
        if joined and (joined[-1][1], a) in gaps:
            joined[-1] = (joined[-1][0], b)
        else:
            joined.append((a, b))
    return [s for s in spans if any(a <= s.start and s.end <= b for a, b in joined)]


def gold_inside(doc: AnnotatedText, regions: Optional[Sequence[tuple[int, int]]]) -> list[Span]:
    """The gold spans of ``doc`` that the model can find in ``regions`` (``spans_inside``
    with the document's pinyin glosses)."""
    return spans_inside(doc.spans, regions, pinyin_glosses(doc.text))


def _model_view(text: str, regions: Sequence[tuple[int, int]], spans: Sequence[Span]
                ) -> tuple[str, list[tuple[int, int]], list[Span]]:
    """What the model learns from, as it reads when it serves (``ner_model.model_spans_many``):
    the text without its pinyin glosses, the regions and the gold spans on it."""
    glosses = pinyin_glosses(text)
    if not glosses:
        return text, list(regions), list(spans)
    plain, view_regions, where = model_view(text, regions, glosses)
    return plain, view_regions, to_view(spans, plain, where)


@dataclass
class DataSummary:
    n_docs: int = 0
    n_chars: int = 0
    n_spans: int = 0
    n_windows: int = 0
    spans_outside: int = 0  # gold spans falling outside the narrative regions (dropped)
    labels: dict[str, int] = field(default_factory=dict)


def encode_docs(docs: Sequence[AnnotatedText], tokenizer: Any, labels: LabelSet,
                max_length: int, stride: int,
                char_map: Optional[dict[str, str]] = None) -> tuple[dict[str, list], DataSummary]:
    """Columns (doc_id, window, input_ids, labels) of the windows of ``docs``."""
    cols: dict[str, list] = {"doc_id": [], "window": [], "input_ids": [], "labels": []}
    summ = DataSummary()
    for d in docs:
        regions = regions_of(d.text)
        spans = gold_inside(d, regions)
        text, view_regions, view_spans = _model_view(d.text, regions, spans)
        enc = encode(text, tokenizer, max_length, stride, view_regions, char_map)
        wl = window_labels(enc, token_labels(enc, view_spans, labels.label2id))
        for j, (w, lab) in enumerate(zip(enc.windows, wl)):
            cols["doc_id"].append(d.doc_id)
            cols["window"].append(j)
            cols["input_ids"].append(w.input_ids)
            cols["labels"].append(lab)
        summ.n_docs += 1
        summ.n_chars += len(d.text)
        summ.n_spans += len(spans)
        summ.spans_outside += len(d.spans) - len(spans)
        summ.n_windows += len(enc.windows)
        for s in spans:
            summ.labels[s.label] = summ.labels.get(s.label, 0) + 1
    return cols, summ


def build_datasets(docs: Sequence[AnnotatedText], tokenizer: Any, max_length: int = 256,
                   stride: int = 32, dev_fraction: float = 0.15, seed: int = 13,
                   labels: Optional[LabelSet] = None,
                   char_map: Optional[dict[str, str]] = None,
                   split: Optional[tuple[list[AnnotatedText], list[AnnotatedText]]] = None
                   ) -> tuple[Any, dict[str, DataSummary]]:
    """A ``datasets.DatasetDict`` with ``train`` and ``dev`` splits (``split`` when the caller
    has it, else ``split_docs``), and a summary of each split."""
    from datasets import Dataset, DatasetDict

    labels = labels or label_set()
    train, dev = split or split_docs(docs, dev_fraction, seed)
    if not train:
        raise ValueError(f"no training documents (dev_fraction={dev_fraction})")
    out, summ = {}, {}
    for name, part in (("train", train), ("dev", dev)):
        cols, summ[name] = encode_docs(part, tokenizer, labels, max_length, stride, char_map)
        out[name] = Dataset.from_dict(cols)
    return DatasetDict(out), summ
