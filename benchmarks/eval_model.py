"""NER on the dev split of a gold set: patterns only, model only, and the combined system, for
each runtime (torch fp32, ONNX fp32, ONNX int8).

    python benchmarks/eval_model.py [--model models/default] [--set annotations/data/gold-v1]

The dev split is training's (``training.data.split_docs`` with ``dev_fraction`` and ``seed``
of configs/train.yaml); texts are read where the pipeline reads them (narrative blocks of
clean + segment). Exact-match P/R/F1 per label; the int8 - fp32 difference is the accuracy
cost of the fast path; "argmax" decodes the same probabilities token by token instead of by
the constrained BIO Viterbi (``inference.windows.best_tags``), the decoder's share.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotations.sets import load_set  # noqa: E402
from inference import clean, link, ner, segment  # noqa: E402
from inference.config import label_set, load_config  # noqa: E402
from inference.load import from_text  # noqa: E402

LABELS = list(label_set().labels)


def score(pred: list[set], gold: list[set]) -> dict[str, tuple[float, float, float]]:
    tp, fp, fn = Counter(), Counter(), Counter()
    for p, g in zip(pred, gold):
        for k in p & g:
            tp[k[2]] += 1
        for k in p - g:
            fp[k[2]] += 1
        for k in g - p:
            fn[k[2]] += 1
    out = {}
    for lab in LABELS + ["micro"]:
        a, b, c = (sum(x.values()) for x in (tp, fp, fn)) if lab == "micro" else (tp[lab], fp[lab], fn[lab])
        p = a / (a + b) if a + b else 0.0
        r = a / (a + c) if a + c else 0.0
        out[lab] = (p, r, 2 * p * r / (p + r) if p + r else 0.0)
    return out


def keys(spans) -> set:
    return {(s.start, s.end, s.label) for s in spans}


def rel_keys(text: str, spans) -> set:
    """Relations found by inference.link among ``spans``, as offsets of both ends."""
    spans = ner.with_ids(sorted(spans, key=lambda s: s.start))
    by = {s.id: s for s in spans}
    return {((by[r.from_id].start, by[r.from_id].end), (by[r.to_id].start, by[r.to_id].end))
            for r in link.find_relations(text, spans)}


def gold_rel_keys(d) -> set:
    by = {s.id: s for s in d.spans}
    return {((by[r.from_id].start, by[r.from_id].end), (by[r.to_id].start, by[r.to_id].end))
            for r in d.relations}


def rel_score(pred: list[set], gold: list[set]) -> str:
    tp = sum(len(p & g) for p, g in zip(pred, gold))
    fp = sum(len(p - g) for p, g in zip(pred, gold))
    fn = sum(len(g - p) for p, g in zip(pred, gold))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return f"P {p:.3f} R {r:.3f} F1 {2 * p * r / (p + r) if p + r else 0.0:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT / "models" / "default"))
    ap.add_argument("--set", default=str(ROOT / "annotations" / "data" / "gold-v1"))
    ap.add_argument("--all", action="store_true", help="every document, not only dev")
    a = ap.parse_args()
    from training.data import split_docs

    cfg = load_config("train")
    docs = load_set(a.set)
    if not a.all:
        _, docs = split_docs(docs, cfg["dev_fraction"], cfg["seed"])
    texts = [d.text for d in docs]
    regions = [ner.narrative_regions(segment.segment(clean.clean(from_text(t)))) for t in texts]
    gold = [keys(d.spans) for d in docs]
    print(f"{len(docs)} {'dev ' if not a.all else ''}documents, {sum(map(len, gold))} gold spans, "
          f"{sum(e - s for r in regions for s, e in r)} narrative chars")
    pat = [ner.predict_spans(t, None, r) for t, r in zip(texts, regions)]
    systems = {"patterns": [keys(p) for p in pat]}
    gold_rels = [gold_rel_keys(d) for d in docs]
    rels = {"patterns": [rel_keys(t, p) for t, p in zip(texts, pat)]}
    from inference.onnx_runtime import OnnxTagger, onnx_ready
    from inference.tagger import TorchTagger

    taggers = {"torch-fp32": lambda: TorchTagger.from_dir(a.model)}
    if onnx_ready(a.model, "model.onnx"):
        taggers["onnx-fp32"] = lambda: OnnxTagger.from_dir(a.model, file="model.onnx")
    if onnx_ready(a.model):
        taggers["onnx-int8"] = lambda: OnnxTagger.from_dir(a.model)
    for name, make in taggers.items():
        tg = make()
        t0 = time.perf_counter()
        raw = tg.predict_entities(texts, regions=regions)
        dt = time.perf_counter() - t0
        systems[f"model {name}"] = [keys(p) for p in raw]
        comb = [ner.combine(t, p, ner.rule_spans(t, r)) for t, p, r in zip(texts, raw, regions)]
        systems[f"combined {name}"] = [keys(c) for c in comb]
        rels[f"combined {name}"] = [rel_keys(t, c) for t, c in zip(texts, comb)]
        print(f"{name}: model time {dt:.1f} s")
        if name == "torch-fp32":  # the decoder's share: per-token argmax instead of Viterbi
            tg.constrained = False
            systems["model torch-fp32 argmax"] = [
                keys(p) for p in tg.predict_entities(texts, regions=regions)]
    head = "".join(f"{lab[:7]:>8s}" for lab in LABELS + ["micro"])
    print(f"F1 per label{'':16s}{head}")
    for name, pred in systems.items():
        s = score(pred, gold)
        print(f"{name:28s}" + "".join(f"{s[lab][2]:8.3f}" for lab in LABELS + ["micro"]))
    for name, pred in rels.items():
        print(f"relations end to end, {name:20s} {rel_score(pred, gold_rels)}")


if __name__ == "__main__":
    main()

