"""``govie evaluate``: a model (and the full NER stage, model + patterns) against gold sets.

Entity figures are exact character-span matches per label (= seqeval strict on BIO), micro
and macro; a confusion summary; the worst documents; relation F1 when the linking stage
produces relations (``inference.link.link``).
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from inference import link as link_stage
from inference import load, ner
from inference.config import label_set
from inference.data import AnnotatedText, Span
from inference.glosses import pinyin_glosses
from inference.ner_model import model_spans_many
from inference.rules import default_rules

from .data import gold_inside, load_docs, regions_of
from .metrics import confusion, relation_keys, relation_score, score


def with_ids(spans: Sequence[Span], prefix: str = "p") -> list[Span]:
    return [s if s.id else dataclasses.replace(s, id=f"{prefix}{i}") for i, s in enumerate(spans)]


def worst_documents(docs: Sequence[AnnotatedText], gold: Sequence[Sequence[Span]],
                    pred: Sequence[Sequence[Span]], n: int = 5) -> list[dict[str, Any]]:
    """The ``n`` documents with the lowest micro F1 (ties: most errors first)."""
    rows = []
    for d, g, p in zip(docs, gold, pred):
        m = score([g], [p])["micro"]
        rows.append({"doc_id": d.doc_id, "f1": round(m["f1"], 4), "gold": len(g), "pred": len(p),
                     "errors": m["fp"] + m["fn"]})
    rows.sort(key=lambda r: (r["f1"], -r["errors"]))
    return rows[:n]


def relations_for(text: str, spans: Sequence[Span]) -> Optional[list]:
    """Relations the linking stage gives on ``spans`` (None when it links nothing yet)."""
    doc = dataclasses.replace(load.from_text(text), entities=list(spans))
    rels = link_stage.link(doc, default_rules()).relations
    return list(rels)


def relation_figures(docs: Sequence[AnnotatedText], systems: dict[str, Sequence[Sequence[Span]]]) -> dict[str, Any]:
    """Relation P/R/F1 of the linking stage, on gold entities and on each system's
    entities; ``{"available": False}`` while linking produces no relation at all."""
    gold = [relation_keys(d.spans, d.relations) for d in docs]
    out: dict[str, Any] = {}
    for name, spans in {"gold_entities": [d.spans for d in docs], **systems}.items():
        pred = []
        for d, sp in zip(docs, spans):
            sp = with_ids(sp)
            pred.append(relation_keys(sp, relations_for(d.text, sp) or []))
        out[name] = relation_score(gold, pred)
    if not any(v["tp"] + v["fp"] for v in out.values()):
        return {"available": False, "note": "inference.link produced no relations"}
    return {"available": True, **out}


def system_report(docs: Sequence[AnnotatedText], gold: Sequence[Sequence[Span]],
                  pred: Sequence[Sequence[Span]], worst: int) -> dict[str, Any]:
    rep = score(gold, pred, label_set().labels)
    rep["confusion"] = confusion(gold, pred)
    rep["worst_documents"] = worst_documents(docs, gold, pred, worst)
    return rep


def model_spans(tagger: Any, docs: Sequence[AnnotatedText], regions: Sequence) -> list:
    """The model's spans of ``docs`` read as when it serves (``inference.ner_model``: in
    ``regions``, the pinyin glosses taken out)."""
    return model_spans_many([d.text for d in docs], tagger, list(regions),
                            glosses=[pinyin_glosses(d.text) for d in docs])


def dev_f1(tagger: Any, docs: Sequence[AnnotatedText], regions: Sequence,
           gold: Optional[Sequence] = None) -> dict[str, Any]:
    """Entity figures of the model alone on ``docs``, each read in its ``regions``
    (``training.data.regions_of``: where the model reads when it serves); ``gold``: the
    gold spans in those regions when the caller has them (``training.data.gold_inside``)."""
    pred = model_spans(tagger, docs, regions)
    if gold is None:
        gold = [gold_inside(d, r) for d, r in zip(docs, regions)]
    return score(gold, pred, label_set().labels)


def evaluate_docs(tagger: Any, docs: Sequence[AnnotatedText], patterns: bool = True,
                  worst: int = 5) -> dict[str, Any]:
    """The evaluation report of ``tagger`` (and of the NER stage with it) on ``docs``, both
    read where the model reads when it serves (``inference.ner.model_regions``)."""
    regions = [regions_of(d.text) for d in docs]
    gold = [gold_inside(d, r) for d, r in zip(docs, regions)]
    model_pred = model_spans(tagger, docs, regions)
    report: dict[str, Any] = {
        "model_version": getattr(tagger, "model_version", None),
        "n_docs": len(docs), "n_gold_spans": sum(len(g) for g in gold),
        "systems": {"model": system_report(docs, gold, model_pred, worst)},
    }
    systems = {"model": model_pred}
    if patterns:
        full = [ner.predict_spans(d.text, tagger, r) for d, r in zip(docs, regions)]
        if any(full):
            report["systems"]["model+patterns"] = system_report(docs, gold, full, worst)
            systems["model+patterns"] = full
        else:
            report["model+patterns"] = "not available: inference.ner.predict_spans returned no spans"
    report["relations"] = relation_figures(docs, systems)
    return report


def dev_ids_of(model: Union[str, Path, None]) -> tuple[list[str], Optional[str]]:
    """The doc ids a model folder held out for dev, and a caveat (None when held out).

    ``dev_ids.json`` is written by a dev-split run (as the shipped one). A model retrained on
    all documents (``refit_all``) has only ``selection_dev_ids.json``: the dev split
    of the run that chose its recipe, trained on since, so its figures are optimistic."""
    from inference.config import default_model_dir

    folder = Path(model or default_model_dir())
    held = folder / "dev_ids.json"
    if held.is_file():
        return list(json.loads(held.read_text(encoding="utf-8"))), None
    seen = folder / "selection_dev_ids.json"
    if seen.is_file():
        return list(json.loads(seen.read_text(encoding="utf-8"))), (
            f"{seen}: these documents were held out only while the recipe was chosen; the "
            "weights were retrained on them, so the figures are optimistic. For held-out "
            "figures score a dev-split model (govie train --set refit_all=false)")
    raise FileNotFoundError(f"{folder} has neither dev_ids.json nor selection_dev_ids.json: "
                            "the model was not trained with a dev split")


def dev_docs(docs: Sequence[AnnotatedText], model: Union[str, Path, None]
             ) -> tuple[list[AnnotatedText], list[str], Optional[str]]:
    """The documents of ``docs`` the model folder names as dev (``dev_ids_of``), the ids,
    and the caveat."""
    ids, caveat = dev_ids_of(model)
    keep = set(ids)
    return [d for d in docs if d.doc_id in keep], ids, caveat


def evaluate(model: Union[str, Path, None], gold: Union[str, Sequence[str]], patterns: bool = True,
             worst: int = 5, tagger: Any = None, dev_only: bool = False) -> dict[str, Any]:
    """Load the model folder (default: the embedded model) and the gold sets, and score
    (only the model's held-out dev documents with ``dev_only``)."""
    from inference.tagger import load_tagger

    docs = load_docs(gold)
    caveat = None
    if dev_only:
        docs, _, caveat = dev_docs(docs, model)
        if not docs:
            raise ValueError("none of the model's dev documents is in the gold sets")
    tagger = tagger or load_tagger(model)
    rep = evaluate_docs(tagger, docs, patterns=patterns, worst=worst)
    rep["model"] = str(model) if model else "default"
    rep["gold"] = gold if isinstance(gold, str) else list(gold)
    rep["dev_only"] = dev_only
    if caveat:
        rep["caveat"] = caveat
    return rep


def write_report(rep: dict[str, Any], path: Union[str, Path]) -> None:
    """The full report as JSON (for scripts)."""
    Path(path).write_text(json.dumps(rep, ensure_ascii=False, indent=1), encoding="utf-8")


def format_report(rep: dict[str, Any]) -> str:
    lines = [f"model {rep.get('model')} ({rep.get('model_version')}), gold {rep.get('gold')}: "
             f"{rep['n_docs']} docs, {rep['n_gold_spans']} gold spans"]
    if rep.get("caveat"):
        lines.append(f"caveat: {rep['caveat']}")
    for name, sysrep in rep["systems"].items():
        lines += ["", f"== {name} ==", f"{'label':<10}{'P':>8}{'R':>8}{'F1':>8}{'support':>9}"]
        for lab, m in sysrep["per_label"].items():
            lines.append(f"{lab:<10}{m['precision']:>8.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}{m['support']:>9}")
        mi, ma = sysrep["micro"], sysrep["macro"]
        lines.append(f"{'micro':<10}{mi['precision']:>8.3f}{mi['recall']:>8.3f}{mi['f1']:>8.3f}{mi['support']:>9}")
        lines.append(f"{'macro':<10}{ma['precision']:>8.3f}{ma['recall']:>8.3f}{ma['f1']:>8.3f}")
        conf = sysrep["confusion"]
        top = ", ".join(f"{k} {v}" for k, v in list(conf["gold_vs_pred"].items())[:10])
        lines.append(f"errors (gold -> pred, '-' missed): {top or 'none'}")
        lines.append("spurious: " + (", ".join(f"{k} {v}" for k, v in conf["spurious"].items()) or "none"))
        lines.append("worst documents: " + ", ".join(
            f"{w['doc_id']} (F1 {w['f1']:.2f}, {w['errors']} errors)" for w in sysrep["worst_documents"]))
    if "model+patterns" in rep:
        lines += ["", f"model+patterns: {rep['model+patterns']}"]
    rel = rep["relations"]
    if rel.get("available"):
        lines += ["", "relations (measures): " + ", ".join(
            f"{k} P {v['precision']:.3f} R {v['recall']:.3f} F1 {v['f1']:.3f}"
            for k, v in rel.items() if isinstance(v, dict))]
    else:
        lines += ["", f"relations: not scored ({rel.get('note')})"]
    return "\n".join(lines)
