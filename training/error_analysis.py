"""Error analysis of the NER stage on the dev split (``notebooks/02_error_analysis``).

The dev split is the one the model was selected on: ``dev_ids.json`` in the model folder
(written by ``govie train``); for a model refit on all documents, the selection run's split
(``selection_dev_ids.json``, flagged as trained on); without either (no model yet, or a
model trained elsewhere) the
split of the training recipe (``configs/train.yaml``: ``dev_fraction``, ``seed``;
``training.data.split_docs``). Scores come from ``training.evaluate.system_report``; each
error is listed with its text, classified like ``training.metrics.confusion``:

- ``missed``: a gold span no prediction overlaps;
- ``wrong_label``: a gold span whose most-overlapping prediction has another label;
- ``boundary``: a gold span whose most-overlapping prediction has its label but other ends;
- ``spurious``: a prediction that overlaps no gold span.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from inference import ner
from inference.config import default_model_dir
from inference.data import AnnotatedText, Span

from .config import load_train_config
from .data import gold_inside, load_docs, regions_of, split_docs
from .evaluate import dev_docs, system_report
from .metrics import span_errors

ERROR_KINDS = ("missed", "wrong_label", "boundary", "spurious")
ERROR_COLUMNS = ["doc_id", "kind", "label", "pred_label", "start", "end", "text", "pred_text",
                 "context"]


@dataclass
class Analysis:
    """Gold and predicted spans of the dev documents, and the scores."""

    docs: list[AnnotatedText]
    gold: list[list[Span]]
    pred: list[list[Span]]
    system: str  # "model+patterns" or "patterns" (no model)
    model: Optional[str]
    split: str  # where the dev ids came from
    report: dict[str, Any] = field(default_factory=dict)


def dev_split(docs: Sequence[AnnotatedText], model_dir: Union[str, Path, None] = None,
              config: Union[str, Path, None] = None) -> tuple[list[AnnotatedText], str]:
    """The dev documents of ``docs`` and a note saying where the split came from."""
    try:
        dev, ids, caveat = dev_docs(docs, model_dir)
    except FileNotFoundError:  # no split in the model folder: the recipe's
        ids_file = Path(model_dir or default_model_dir()) / "dev_ids.json"
    else:
        where = "selection_dev_ids.json" if caveat else "dev_ids.json"
        note = f"{where} of the model ({len(ids)} ids, {len(dev)} found in the gold sets)"
        return dev, note + (f"; caveat: {caveat}" if caveat else "")
    cfg = load_train_config(config)
    _, dev = split_docs(docs, cfg.dev_fraction, cfg.seed)
    return dev, (f"recipe split (no {ids_file}): dev_fraction={cfg.dev_fraction}, "
                 f"seed={cfg.seed}")


def load_model(model_dir: Union[str, Path, None] = None) -> tuple[Any, Optional[str]]:
    """The tagger of ``model_dir`` (default: the embedded model), or (None, None) when
    there is no model there: the analysis then scores the patterns alone."""
    from inference.tagger import ModelNotFound, load_tagger

    try:
        return load_tagger(model_dir), str(model_dir or default_model_dir())
    except ModelNotFound:
        return None, None


def analyse(model_dir: Union[str, Path, None] = None, sets: Union[str, Sequence[str]] = "all",
            config: Union[str, Path, None] = None, tagger: Any = None) -> Analysis:
    """Predict the dev documents with the full NER stage (model + patterns, as served) and
    score them against gold, both restricted to the narrative regions."""
    model = str(model_dir) if model_dir else None
    if tagger is None:
        tagger, model = load_model(model_dir)
    docs, split = dev_split(load_docs(sets), model_dir, config)
    regions = [regions_of(d.text) for d in docs]
    gold = [gold_inside(d, r) for d, r in zip(docs, regions)]
    pred = [ner.predict_spans(d.text, tagger, r) for d, r in zip(docs, regions)]
    report = system_report(docs, gold, pred, worst=5)
    return Analysis(docs, gold, pred, "model+patterns" if tagger is not None else "patterns",
                    model, split, report)


def _context(text: str, start: int, end: int, width: int) -> str:
    left = text[max(0, start - width):start].replace("\n", " ")
    right = text[end:end + width].replace("\n", " ")
    return f"{left}[{text[start:end]}]{right}"


def classify_errors(text: str, gold: Sequence[Span], pred: Sequence[Span],
                    width: int = 15) -> list[dict[str, Any]]:
    """Every error of one document, with its text and context (the span in [brackets])."""
    rows = []
    for kind, s, q in span_errors(gold, pred):
        at = s or q
        rows.append({"kind": kind, "label": s.label if s else None, "pred_label": q.label if q else None,
                     "start": at.start, "end": at.end, "text": s.text if s else None,
                     "pred_text": q.text if q else None,
                     "context": _context(text, at.start, at.end, width)})
    return rows


def errors_frame(analysis: Analysis, width: int = 15):
    """One row per error of the dev documents (columns ``ERROR_COLUMNS``)."""
    import pandas as pd

    rows = [{"doc_id": d.doc_id, **r}
            for d, g, p in zip(analysis.docs, analysis.gold, analysis.pred)
            for r in classify_errors(d.text, g, p, width)]
    return pd.DataFrame(rows, columns=ERROR_COLUMNS)


def error_counts(errors):
    """Errors per label (the gold label; the predicted one for spurious) and kind."""
    import pandas as pd

    if errors.empty:
        return pd.DataFrame(columns=list(ERROR_KINDS))
    lab = errors["label"].fillna(errors["pred_label"])
    table = pd.crosstab(lab.rename("label"), errors["kind"])
    return table.reindex(columns=[k for k in ERROR_KINDS if k in table.columns])


def per_label_frame(report: dict[str, Any]):
    """The per-label P/R/F1 of a ``system_report``, with micro and macro rows."""
    import pandas as pd

    rows = {lab: {k: m[k] for k in ("precision", "recall", "f1", "support", "tp", "fp", "fn")}
            for lab, m in report["per_label"].items()}
    rows["micro"] = {k: report["micro"][k] for k in ("precision", "recall", "f1", "support",
                                                     "tp", "fp", "fn")}
    rows["macro"] = dict(report["macro"])
    return pd.DataFrame.from_dict(rows, orient="index")
