"""Build the learned key mapper's bank (models/keymap/bank.json) and compare mappers.

Pairs (phrase, key or None):
  - the taxonomy's names and synonyms (configs/taxonomy.yaml, entries without ``within``);
  - the template row labels that map to a key (configs/templates/*.yaml);
  - METRIC spans of gold-v1 labelled with keys (annotations/data/keymap-v1/metric_keys.tsv;
    dev documents of the shipped model excluded; phrases labelled "-" have no key).

``python -m training.build_keymap`` holds aside a share of the labelled spans (by phrase,
fixed seed), builds each mapper from the rest and prints on the held-aside phrases: the share
of keyed phrases that get a key (coverage), the precision of the keys given, and accuracy
over all (no key counts as a class). Mappers: synonyms only (rules), rules + trimming,
nearest neighbours alone, rules + nearest neighbours (the shipped combination), logistic
regression over the same character n-grams (scikit-learn) alone and after the rules. Then
it writes the bank from all pairs.
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Callable, Optional

from inference.config import ROOT, load_config
from inference.normalise.keymap import Bank, map_metric, rule_key
from inference.rules import default_rules
from inference.tables.values import norm_label

LABELS = ROOT / "annotations" / "data" / "keymap-v1" / "metric_keys.tsv"
OUT = ROOT / "models" / "keymap" / "bank.json"

Pair = tuple[str, Optional[str]]


def taxonomy_pairs() -> list[Pair]:
    return [(w, e.key) for e in default_rules().taxonomy.entries.values() if not e.within for w in e.words]


def template_pairs() -> list[Pair]:
    out: list[Pair] = []
    keys = default_rules().taxonomy.entries
    for path in sorted((ROOT / "configs" / "templates").glob("*.yaml")):
        tpl = load_config(f"templates/{path.name}")
        for group in tpl.get("groups", []):
            for row in group.get("rows", []):
                if row.get("key") in keys and not row.get("parent"):
                    out += [(lab, row["key"]) for lab in row.get("label") or []]
    return out


def labelled_pairs(path: Path = LABELS) -> list[Pair]:
    out: list[Pair] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        phrase, key = line.split("\t")[:2]
        out.append((phrase, None if key == "-" else key))
    return out


def score(mapper: Callable[[str], Optional[str]], pairs: list[Pair]) -> dict:
    given = [(mapper(p), k) for p, k in pairs]
    keyed = [g for g in given if g[1]]
    out_keys = [g for g in given if g[0]]
    return {
        "coverage": sum(1 for got, want in keyed if got) / max(1, len(keyed)),
        "precision": sum(1 for got, want in out_keys if got == want) / max(1, len(out_keys)),
        "accuracy": sum(1 for got, want in given if got == want) / max(1, len(given)),
        "n": len(pairs),
    }


def lr_mapper(train: list[Pair]) -> Callable[[str], Optional[str]]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    cells = default_rules().cells
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3))
    x = vec.fit_transform([norm_label(p, cells) for p, _ in train])
    y = [k or "-" for _, k in train]
    clf = LogisticRegression(max_iter=2000, C=10.0).fit(x, y)

    def predict(phrase: str) -> Optional[str]:
        probs = clf.predict_proba(vec.transform([norm_label(phrase, cells)]))[0]
        best = probs.argmax()
        label = clf.classes_[best]
        return None if label == "-" or probs[best] < 0.5 else label
    return predict


def compare(seed: int = 0, share: float = 0.3) -> dict:
    labelled = labelled_pairs()
    phrases = sorted({p for p, _ in labelled})
    random.Random(seed).shuffle(phrases)
    held = set(phrases[: int(len(phrases) * share)])
    test = [x for x in labelled if x[0] in held]
    train = taxonomy_pairs() + template_pairs() + [x for x in labelled if x[0] not in held]
    km = default_rules().keymap
    bank = Bank.build(train, km.cells, km.ngrams)  # as the serving bank (keymap._load_bank)
    thr = km.min_score

    def knn_only(p: str) -> Optional[str]:
        key, sim, _ = bank.nearest(p)
        return key if sim >= thr else None

    lr = lr_mapper(train)
    rows = {
        "synonyms (rules)": default_rules().taxonomy.narrative_key,
        "rules + trimming": lambda p: rule_key(p, km).key,
        "nearest neighbours": knn_only,
        "rules + nearest neighbours": lambda p: map_metric(p, km, bank=bank).key,
        "logistic regression": lr,
        "rules + logistic regression": lambda p: rule_key(p, km).key or lr(p),
    }
    return {name: score(f, test) for name, f in rows.items()}


def build(out: Path = OUT) -> dict:
    tax, tpl, lab = taxonomy_pairs(), template_pairs(), labelled_pairs()  # each read once
    seen: dict[tuple, Pair] = {}
    cells = default_rules().cells
    for p, k in tax + tpl + lab:
        seen.setdefault((norm_label(p, cells), k), (p, k))
    data = {
        "built_by": "python -m training.build_keymap",
        "sources": {"taxonomy": len(tax), "templates": len(tpl), "labelled_spans": len(lab)},
        "pairs": [{"phrase": p, "key": k} for p, k in seen.values()],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    return data


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-write", action="store_true", help="compare only")
    args = ap.parse_args(argv)
    for seed in (0, 1, 2):
        print(f"held-aside split seed {seed}:")
        for name, s in compare(seed).items():
            print(f"  {name:28s} coverage {s['coverage']:.3f}  key precision {s['precision']:.3f}  "
                  f"accuracy {s['accuracy']:.3f}  (n={s['n']})")
    if not args.no_write:
        data = build()
        print(f"wrote {OUT} ({len(data['pairs'])} pairs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
