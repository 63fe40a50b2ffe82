"""NER on the dev split of a gold set: patterns only, model only, and the combined system, for
each runtime (torch fp32, ONNX fp32, ONNX int8).

    python benchmarks/eval_model.py [--model models/default] [--set annotations/data/gold-v1 ...]

The dev split is training's (``training.data.split_docs`` with ``dev_fraction`` and ``seed``
of configs/train.yaml); texts are read where the model reads them when it serves
(``training.data.regions_of``). Scores are ``training.metrics``'s. Exact-match P/R/F1 per label; the int8 - fp32 difference is the accuracy
cost of the fast path; "argmax" decodes the same probabilities token by token instead of by
the constrained BIO Viterbi (``inference.windows.best_tags``), the decoder's share.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inference import link, ner  # noqa: E402
from inference.glosses import pinyin_glosses  # noqa: E402
from inference.config import label_set  # noqa: E402
from inference.rules import default_rules  # noqa: E402
from training.config import load_train_config  # noqa: E402
from training.data import load_docs, regions_of, split_docs  # noqa: E402
from training.metrics import relation_keys, relation_score, score  # noqa: E402

LABELS = list(label_set().labels)


def found_relations(text: str, spans) -> set:
    """Relations found by inference.link among ``spans`` (training.metrics keys)."""
    spans = ner.with_ids(sorted(spans, key=lambda s: s.start))
    return relation_keys(spans, link.find_relations(text, spans, default_rules().linking))


def f1_row(gold, pred) -> str:
    s = score(gold, pred, LABELS)
    return "".join(f"{s['per_label'][lab]['f1']:8.3f}" for lab in LABELS) + f"{s['micro']['f1']:8.3f}"


def rel_row(gold, pred) -> str:
    r = relation_score(gold, pred)
    return f"P {r['precision']:.3f} R {r['recall']:.3f} F1 {r['f1']:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT / "models" / "default"))
    ap.add_argument("--set", action="append",
                    help="annotation set folder (repeatable; default annotations/data/gold-v1)")
    ap.add_argument("--all", action="store_true", help="every document, not only dev")
    a = ap.parse_args()
    cfg = load_train_config()
    docs = load_docs(a.set or [str(ROOT / "annotations" / "data" / "gold-v1")])
    if not a.all:
        _, docs = split_docs(docs, cfg.dev_fraction, cfg.seed)
    texts = [d.text for d in docs]
    regions = [regions_of(t) for t in texts]
    glosses = [pinyin_glosses(t) for t in texts]  # the NER stage as served takes them in
    gold = [d.spans for d in docs]
    print(f"{len(docs)} {'dev ' if not a.all else ''}documents, {sum(map(len, gold))} gold spans, "
          f"{sum(e - s for r in regions for s, e in r)} narrative chars")
    pat = [ner.predict_spans(t, None, r) for t, r in zip(texts, regions)]
    systems = {"patterns": pat}
    gold_rels = [relation_keys(d.spans, d.relations) for d in docs]
    rels = {"patterns": [found_relations(t, p) for t, p in zip(texts, pat)]}
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
        raw = ner.model_spans_many(texts, tg, regions, glosses=glosses)
        dt = time.perf_counter() - t0
        systems[f"model {name}"] = raw
        comb = [ner.combine(t, p, ner.rule_spans(t, r), glosses=g)
                for t, p, r, g in zip(texts, raw, regions, glosses)]
        systems[f"combined {name}"] = comb
        rels[f"combined {name}"] = [found_relations(t, c) for t, c in zip(texts, comb)]
        print(f"{name}: model time {dt:.1f} s")
        if name == "torch-fp32":  # the decoder's share: per-token argmax instead of Viterbi
            tg.constrained = False
            systems["model torch-fp32 argmax"] = ner.model_spans_many(texts, tg, regions,
                                                                      glosses=glosses)
    head = "".join(f"{lab[:7]:>8s}" for lab in LABELS + ["micro"])
    print(f"F1 per label{'':16s}{head}")
    for name, pred in systems.items():
        print(f"{name:28s}" + f1_row(gold, pred))
    for name, pred in rels.items():
        print(f"relations end to end, {name:20s} {rel_row(gold_rels, pred)}")


if __name__ == "__main__":
    main()

