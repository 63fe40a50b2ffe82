"""Is model B better than model A? The NER stage as served with each, on the same dev
documents, with a paired bootstrap over reports (``training.metrics.paired_bootstrap``).

    python benchmarks/compare_models.py --a models/default --b models/next [--runtime int8]
        [--b-runtime int8] [--set annotations/data/gold-v1 ...] [--all] [--rounds 2000]

Per label, the relations and micro: the F1 of A and B, B - A, its 95 % interval when the
reports are drawn again with replacement (a report's sections are not independent), and how
often B beats A in those draws. A difference whose interval holds 0 is not shown by this dev
split. The documents, regions and glosses are those of benchmarks/eval_model.py.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from eval_model import LABELS, found_relations  # noqa: E402

from inference import ner  # noqa: E402
from inference.glosses import pinyin_glosses  # noqa: E402
from training.config import load_train_config  # noqa: E402
from training.data import load_docs, regions_of, report_of, split_docs  # noqa: E402
from training.metrics import keys, paired_bootstrap, relation_keys  # noqa: E402


def tagger(model: str, runtime: str):
    if runtime == "int8":
        from inference.onnx_runtime import OnnxTagger

        return OnnxTagger.from_dir(model)
    from inference.tagger import TorchTagger

    return TorchTagger.from_dir(model)


def ner_stage(model: str, runtime: str, texts, regions, glosses) -> list:
    raw = ner.model_spans_many(texts, tagger(model, runtime), regions, glosses=glosses)
    return [ner.combine(t, p, ner.rule_spans(t, r), glosses=g)
            for t, p, r, g in zip(texts, raw, regions, glosses)]


def row(name: str, r: dict) -> str:
    return (f"{name:10s}{r['support']:8d}{r['a']:8.3f}{r['b']:8.3f}{r['delta']:+8.3f}"
            f"   [{r['low']:+.3f}, {r['high']:+.3f}]{r['b_better']:8.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", required=True, help="model folder A (the reference)")
    ap.add_argument("--b", required=True, help="model folder B")
    ap.add_argument("--runtime", choices=["torch", "int8"], default="torch")
    ap.add_argument("--b-runtime", choices=["torch", "int8"],
                    help="B's runtime when it differs from A's (--b-runtime int8 with --b = --a: "
                         "what the int8 fast path costs)")
    ap.add_argument("--set", action="append", help="annotation set folder (repeatable; "
                    "default: every set in annotations/data)")
    ap.add_argument("--all", action="store_true", help="every document, not only dev")
    ap.add_argument("--rounds", type=int, default=2000)
    a = ap.parse_args()
    cfg = load_train_config()
    docs = load_docs(a.set or "all")
    if not a.all:
        _, docs = split_docs(docs, cfg.dev_fraction, cfg.seed)
    texts = [d.text for d in docs]
    regions = [regions_of(t) for t in texts]
    glosses = [pinyin_glosses(t) for t in texts]
    groups = [report_of(d.doc_id) for d in docs]
    rb = a.b_runtime or a.runtime
    pa, pb = (ner_stage(m, r, texts, regions, glosses) for m, r in ((a.a, a.runtime), (a.b, rb)))
    gold = [keys(d.spans) for d in docs]
    ent = paired_bootstrap(gold, [keys(p) for p in pa], [keys(p) for p in pb], groups, LABELS,
                           lambda k: k[2], a.rounds)
    rel = paired_bootstrap([relation_keys(d.spans, d.relations) for d in docs],
                           [found_relations(t, p) for t, p in zip(texts, pa)],
                           [found_relations(t, p) for t, p in zip(texts, pb)], groups,
                           ["relations"], lambda k: "relations", a.rounds)
    print(f"A {a.a} ({a.runtime})\nB {a.b} ({rb})\nNER stage as served, {len(docs)} "
          f"{'' if a.all else 'dev '}documents of {len(set(groups))} reports, {a.rounds} draws")
    print(f"{'':10s}{'support':>8s}{'F1 A':>8s}{'F1 B':>8s}{'B - A':>8s}   {'95 % interval':16s}"
          f"{'B wins':>7s}")
    for name in LABELS + ["micro"]:
        if ent[name]["support"] or ent[name]["a"] or ent[name]["b"]:
            print(row(name, ent[name]))
    print(row("relations", rel["relations"]))


if __name__ == "__main__":
    main()
