"""Uncertainty selection against random selection at equal budget, simulated with gold.

The gold set (``annotations/data/gold-v1``) is split by report: a fixed test part (whole
reports, ``--test-fraction``) and a pool, cut into passages like ``govie annotations push``
does (at line ends, at most ``--passage-chars``). Both strategies start from the same random
seed passages; at each budget point a small model is fine-tuned from the base encoder
(``training.train.train``, ``--layers`` lower layers, ``--steps`` steps whatever the budget) on the passages
"annotated" so far and scored on the test reports (exact-span micro F1, the model alone);
then ``random`` adds random passages and ``uncertain`` adds the passages the current model
doubts most (``annotations.select``: token entropy, spread over reports) up to the next
budget, in characters annotated (``--unit chars``, the default) or in passages. Prints the
learning curves (F1 against the budget).

    python benchmarks/bench_selection.py                    # 5 fine-tunings; 619 s on the shared, busy 2-core machine
    python benchmarks/bench_selection.py --unit passages --budgets 10,20,40,80 --steps 200

One seed per run: differences of a point or two are within the noise of so small a set;
run with --seed to see the spread.
"""
from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotations.push import _cut  # noqa: E402
from annotations.select import doubts, pick  # noqa: E402
from annotations.sets import DATA_DIR, load_set, write_set  # noqa: E402
from inference.data import AnnotatedText  # noqa: E402


def passages(doc: AnnotatedText, max_chars: int) -> tuple[list[AnnotatedText], int]:
    """The document cut like push units; spans crossing a cut are dropped (counted)."""
    out, dropped = [], 0
    for s, e in _cut(doc.text, 0, len(doc.text), max_chars):
        inside = [sp for sp in doc.spans if s <= sp.start and sp.end <= e]
        dropped += sum(1 for sp in doc.spans if sp.start < e and sp.end > s) - len(inside)
        if not doc.text[s:e].strip():
            continue
        ids = {sp.id for sp in inside}
        out.append(AnnotatedText(
            doc_id=f"{doc.doc_id}@{s}", text=doc.text[s:e],
            spans=[replace(sp, start=sp.start - s, end=sp.end - s) for sp in inside],
            relations=[r for r in doc.relations if r.from_id in ids and r.to_id in ids]))
    return out, dropped


DEFAULT_BUDGETS = {"chars": "3000,6000,12000", "passages": "10,20,40"}


def take(order: list[int], chosen: list[int], budget: int, pool: list[AnnotatedText], unit: str) -> list[int]:
    """``chosen`` extended by ``order`` until the budget (passages or characters) is reached."""
    out = list(chosen)
    size = (lambda: len(out)) if unit == "passages" else (lambda: sum(len(pool[i].text) for i in out))
    for i in order:
        if size() >= budget:
            break
        out.append(i)
    return out


def fine_tune(docs: list[AnnotatedText], work: Path, name: str, args: argparse.Namespace) -> Path:
    from training.config import load_train_config
    from training.train import train

    sets = work / "sets"
    res = write_set(docs, name, {"source": "bench_selection"}, sets)
    cfg = load_train_config(None, [
        f"sets=[{res.path}]", f"out_dir={work / 'models' / name}", f"num_layers={args.layers}",
        "epochs=1000", f"max_steps={args.steps}", "dev_fraction=0.0", "refit_all=false", "export_onnx=false",
        "max_minutes=null", "checkpoint=false", "fp16_weights=false", f"max_length={args.max_length}",
        "stride=16", "threads=2", f"seed={args.seed}", "init_from=null", "teacher=null"])
    return train(cfg, progress=False)


def test_f1(tagger, test_docs: list[AnnotatedText], regions: list) -> float:
    from annotations.ml_backend import micro_f1

    return micro_f1(tagger, test_docs, regions)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gold", default=str(DATA_DIR / "gold-v1"))
    ap.add_argument("--unit", choices=("chars", "passages"), default="chars",
                    help="what a budget counts: characters annotated (default: closer to annotation "
                         "time, as doubtful passages tend to be longer) or passages")
    ap.add_argument("--budgets", help="budget points (default: 3000,6000,12000 chars or 10,20,40 passages)")
    ap.add_argument("--passage-chars", type=int, default=400)
    ap.add_argument("--test-fraction", type=float, default=0.25)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--steps", type=int, default=120, help="training steps per budget point (equal compute)")
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--json", help="also write the curves here")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    import transformers

    transformers.logging.set_verbosity_error()
    from inference.tagger import load_tagger
    from training.data import regions_of, split_docs

    budgets = [int(b) for b in (args.budgets or DEFAULT_BUDGETS[args.unit]).split(",")]
    gold = load_set(args.gold)
    rest, test = split_docs(gold, args.test_fraction, args.seed)
    test_regions = [regions_of(d.text) for d in test]  # once: every point reads them
    pool, dropped = [], 0
    for d in rest:
        found, n = passages(d, args.passage_chars)
        pool += found
        dropped += n
    print(f"gold {len(gold)} reports: test {len(test)} reports ({sum(len(d.text) for d in test)} chars), "
          f"pool {len(pool)} passages from {len(gold) - len(test)} reports "
          f"({dropped} spans crossing a cut dropped)")
    rng = random.Random(args.seed)
    seed_idx = take(rng.sample(range(len(pool)), len(pool)), [], budgets[0], pool, args.unit)
    curves: dict[str, list[dict]] = {"random": [], "uncertain": []}
    t_all = time.time()
    with tempfile.TemporaryDirectory(prefix="bench-selection-") as tmp:
        work = Path(tmp)
        t0 = time.time()
        first = load_tagger(fine_tune([pool[i] for i in seed_idx], work, f"b{budgets[0]}", args))
        f1 = test_f1(first, test, test_regions)
        point = {"passages": len(seed_idx), "chars": sum(len(pool[i].text) for i in seed_idx), "f1": f1,
                 "seconds": round(time.time() - t0, 1)}
        for how in curves:
            curves[how].append(point)
        print(f"{'budget':>7} {'strategy':>9} {'passages':>8} {'chars':>7} {'test F1':>8} {'s':>6}")
        print(f"{budgets[0]:>7} {'both':>9} {point['passages']:>8} {point['chars']:>7} {f1:>8.4f} "
              f"{point['seconds']:>6}", flush=True)
        for how in curves:
            chosen, model = list(seed_idx), first
            prng = random.Random(args.seed + 1)
            for b in budgets[1:]:
                t0 = time.time()
                taken = set(chosen)
                left = [i for i in range(len(pool)) if i not in taken]
                if how == "random":
                    order = prng.sample(left, len(left))
                else:
                    scores = doubts(model, [pool[i].text for i in left])
                    groups = [pool[i].doc_id.split("@")[0] for i in left]
                    order = [left[k] for k in pick(scores, groups, len(left))]
                chosen = take(order, chosen, b, pool, args.unit)
                model = load_tagger(fine_tune([pool[i] for i in chosen], work, f"{how}-b{b}", args))
                f1 = test_f1(model, test, test_regions)
                point = {"passages": len(chosen), "chars": sum(len(pool[i].text) for i in chosen), "f1": f1,
                         "seconds": round(time.time() - t0, 1)}
                curves[how].append(point)
                print(f"{b:>7} {how:>9} {point['passages']:>8} {point['chars']:>7} {f1:>8.4f} "
                      f"{point['seconds']:>6}", flush=True)
    print(f"\nlearning curves (test micro F1 by {args.unit} annotated):")
    for how, pts in curves.items():
        print(f"  {how:>9}: " + "  ".join(f"{p[args.unit]}->{p['f1']:.3f}" for p in pts))
    gain = [u["f1"] - r["f1"] for u, r in zip(curves["uncertain"][1:], curves["random"][1:])]
    print(f"  uncertain - random at equal budget: {', '.join(f'{g:+.3f}' for g in gain)}; "
          f"total {time.time() - t_all:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "curves": curves}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
