"""Core facts on the dev documents: recall and precision per key, narrative and tables apart;
the share of narrative facts keyed and the precision of those keys.

Gold: ``annotations/data/facts-v1/facts.jsonl`` (the core facts of each dev document of
``models/default/selection_dev_ids.json`` — whole body, report year — each with its value
and origin) and ``annotations/data/keymap-v1/dev_metric_keys.tsv`` (the key of each gold
METRIC span of those documents). Texts: ``annotations/data/gold-v1``.

A predicted fact counts for the core-fact scores when its key is a core key
(``core: true`` in configs/taxonomy.yaml), its period annual, its scope none or whole-body
(``whole_scopes``) and, for table facts, its applicant the total. Facts are compared as
(document, origin, key, value); one figure stated twice counts once.

Key precision: narrative facts whose metric evidence is a gold METRIC span, key given,
against that span's label. Share keyed: narrative facts (zeros included) with a key, over
all narrative facts, and over those whose gold METRIC label is a key.

    python benchmarks/eval_facts.py [--rules]   # --rules: no model, rules-only NER
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inference.pipeline import Pipeline  # noqa: E402
from inference.rules import default_rules  # noqa: E402
from training.evaluate import dev_ids_of  # noqa: E402

GOLD = ROOT / "annotations" / "data" / "facts-v1" / "facts.jsonl"
KEYS = ROOT / "annotations" / "data" / "keymap-v1" / "dev_metric_keys.tsv"
TEXTS = ROOT / "annotations" / "data" / "gold-v1" / "spans.jsonl"


def dev_docs() -> dict[str, str]:
    ids = set(dev_ids_of(ROOT / "models" / "default")[0])  # gold-v1's part: its 22 dev documents
    out = {}
    for line in TEXTS.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if d["doc_id"] in ids:
            out[d["doc_id"]] = d["text"]
    return out


def gold_facts(path: Path = GOLD) -> set[tuple]:
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            g = json.loads(line)
            out.add((g["doc_id"], g["origin"], g["key"], float(g["value"])))
    return out


def metric_labels(path: Path = KEYS) -> dict[tuple, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            doc, metric, value, key = line.split("\t")
            out[(doc, metric, value)] = None if key == "-" else key
    return out


def predicted(doc_id: str, doc) -> set[tuple]:
    rules = default_rules()
    tax, whole, totals = rules.taxonomy, rules.merge.whole_scopes, rules.merge.total_applicants
    out = set()
    for f in doc.facts:
        e = tax.entries.get(f.key or "")
        if e is None or not e.core or f.period != "annual" or f.value is None:
            continue
        if f.scope not in whole and f.scope is not None:
            continue
        if f.origin == "table" and f.applicant not in totals:
            continue
        out.add((doc_id, f.origin, f.key, float(f.value)))
    return out


def prf(gold: set, pred: set) -> tuple[float, float, int, int, int]:
    tp = len(gold & pred)
    return (tp / len(gold) if gold else float("nan"), tp / len(pred) if pred else float("nan"),
            tp, len(gold), len(pred))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="core-fact benchmark on the dev documents")
    ap.add_argument("--rules", action="store_true", help="rules-only NER (no model)")
    ap.add_argument("--errors", action="store_true", help="list misses and false facts")
    args = ap.parse_args(argv)
    tagger = None
    if not args.rules:
        from inference.tagger import load_tagger
        tagger = load_tagger()
    pipe = Pipeline(tagger=tagger)
    gold, labels = gold_facts(), metric_labels()
    pred: set[tuple] = set()
    n_narr = n_keyed = n_fit = n_fit_keyed = n_judged = n_right = 0
    docs = dev_docs()  # read once
    for doc_id, text in docs.items():
        doc = pipe.run_text(text, source=doc_id)
        pred |= predicted(doc_id, doc)
        for f in doc.facts:
            if f.origin != "narrative":
                continue
            n_narr += 1
            n_keyed += f.key is not None
            m = f.metric_evidence
            lab_key = (doc_id, m.text if m else "", f.raw or "")
            if lab_key in labels and not f.zero:
                want = labels[lab_key]
                if want:
                    n_fit += 1
                    n_fit_keyed += f.key is not None
                if f.key:
                    n_judged += 1
                    n_right += f.key == want
    print(f"core facts on {len(docs)} dev documents ({'rules only' if args.rules else 'default model'})")
    for origin in ("narrative", "table"):
        g = {x for x in gold if x[1] == origin}
        p = {x for x in pred if x[1] == origin}
        r, pr, tp, ng, np_ = prf(g, p)
        print(f"  {origin:9s} recall {r:.3f} ({tp}/{ng})  precision {pr:.3f} ({tp}/{np_})")
    r, pr, tp, ng, np_ = prf(gold, pred)
    print(f"  {'all':9s} recall {r:.3f} ({tp}/{ng})  precision {pr:.3f} ({tp}/{np_})")
    print("per key (gold n, recall, predicted n, precision):")
    by_key: dict[str, tuple[set, set]] = defaultdict(lambda: (set(), set()))
    for x in gold:
        by_key[x[2]][0].add(x)
    for x in pred:
        by_key[x[2]][1].add(x)
    for key in sorted(by_key):
        g, p = by_key[key]
        r, pr, tp, ng, np_ = prf(g, p)
        print(f"  {key:32s} {ng:3d} {r:6.3f}  {np_:3d} {pr:6.3f}")
    print(f"narrative facts keyed: {n_keyed}/{n_narr} = {n_keyed / max(1, n_narr):.3f}; "
          f"of those whose gold metric has a key: {n_fit_keyed}/{n_fit} = {n_fit_keyed / max(1, n_fit):.3f}")
    print(f"key precision (keyed facts on a labelled gold METRIC): {n_right}/{n_judged} = "
          f"{n_right / max(1, n_judged):.3f}")
    if args.errors:
        for x in sorted(gold - pred):
            print("  missed", x)
        for x in sorted(pred - gold):
            print("  false ", x)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
