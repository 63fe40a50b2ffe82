"""Pattern-only NER and rule linking measured on a gold annotation set.

    python benchmarks/eval_rules.py [--set annotations/data/gold-v1] [--regions blocks|all]
        [--errors LABEL]

Prints exact-match P/R/F1 per label of the patterns alone (inference.ner.rule_spans, no
model), and P/R/F1 of the value → metric relations that inference.link finds given the gold
spans. ``--regions blocks`` reads where the model reads when it serves (``training.data.regions_of``, what the
pipeline does); ``all`` reads whole texts. Scripts may read annotations/; inference/ never does.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotations.sets import load_set  # noqa: E402
from inference import link, ner  # noqa: E402
from inference.load import from_text  # noqa: E402
from inference.rules import default_rules  # noqa: E402
from training import data  # noqa: E402
from training.metrics import prf as _prf  # noqa: E402


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    m = _prf(tp, fp, fn)
    return m["precision"], m["recall"], m["f1"]


def regions_of(text: str, how: str):
    """``blocks``: where the model reads when it serves; ``all``: the whole text."""
    return None if how == "all" else data.regions_of(text)


def eval_spans(docs, how: str, errors: str | None) -> None:
    tp, fp, fn = Counter(), Counter(), Counter()
    for d in docs:
        pred = {(s.start, s.end, s.label) for s in ner.combine(d.text, None, ner.rule_spans(d.text, regions_of(d.text, how)))}
        gold = {(s.start, s.end, s.label) for s in d.spans}
        for k in pred & gold:
            tp[k[2]] += 1
        for k in pred - gold:
            fp[k[2]] += 1
            if errors == k[2]:
                print("FP", d.doc_id, repr(d.text[max(0, k[0] - 10):k[0]] + "[" + d.text[k[0]:k[1]] + "]" + d.text[k[1]:k[1] + 6]))
        for k in gold - pred:
            fn[k[2]] += 1
            if errors == k[2]:
                print("FN", d.doc_id, repr(d.text[max(0, k[0] - 10):k[0]] + "[" + d.text[k[0]:k[1]] + "]" + d.text[k[1]:k[1] + 6]))
    print(f"pattern-only spans ({how}): label      P      R      F1   (tp/fp/fn)")
    for lab in ["COUNT", "PERCENT", "MONEY", "DATE", "DOCNO", "DOC"]:
        p, r, f = prf(tp[lab], fp[lab], fn[lab])
        print(f"  {lab:8s} {p:6.3f} {r:6.3f} {f:6.3f}   ({tp[lab]}/{fp[lab]}/{fn[lab]})")


def eval_links(docs) -> None:
    tp = fp = fn = 0
    for d in docs:
        doc = from_text(d.text)
        doc.entities = list(d.spans)
        got = {(r.from_id, r.to_id) for r in link.link(doc, default_rules()).relations}
        gold = {(r.from_id, r.to_id) for r in d.relations}
        tp, fp, fn = tp + len(got & gold), fp + len(got - gold), fn + len(gold - got)
    p, r, f = prf(tp, fp, fn)
    print(f"relations given gold spans: P {p:.3f} R {r:.3f} F1 {f:.3f} (tp {tp}, fp {fp}, fn {fn})")


def eval_links_rules_only(docs, how: str) -> None:
    """Relations of the rules-only pipeline (pattern values, rule METRIC phrases), matched
    to gold relations by the offsets of both ends."""
    tp = fp = fn = 0
    for d in docs:
        doc = from_text(d.text)
        spans = ner.with_ids(ner.combine(d.text, None, ner.rule_spans(d.text, regions_of(d.text, how))))
        by = {s.id: s for s in spans}
        got = {((by[r.from_id].start, by[r.from_id].end), (by[r.to_id].start, by[r.to_id].end))
               for r in link.find_relations(d.text, spans, default_rules().linking)}
        gb = {s.id: s for s in d.spans}
        gold = {((gb[r.from_id].start, gb[r.from_id].end), (gb[r.to_id].start, gb[r.to_id].end))
                for r in d.relations}
        tp, fp, fn = tp + len(got & gold), fp + len(got - gold), fn + len(gold - got)
    p, r, f = prf(tp, fp, fn)
    print(f"relations, rules only end to end: P {p:.3f} R {r:.3f} F1 {f:.3f} (tp {tp}, fp {fp}, fn {fn})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default=str(ROOT / "annotations/data/gold-v1"))
    ap.add_argument("--regions", choices=["blocks", "all"], default="all")
    ap.add_argument("--errors", default=None, help="print the errors of this label")
    ap.add_argument("--no-links", action="store_true")
    a = ap.parse_args()
    docs = load_set(a.set)
    eval_spans(docs, a.regions, a.errors)
    if not a.no_links:
        eval_links(docs)
        eval_links_rules_only(docs, a.regions)


if __name__ == "__main__":
    main()
