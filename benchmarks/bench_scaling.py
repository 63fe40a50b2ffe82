"""How time and memory grow with the length of one report (issue 19: about linear).

    python benchmarks/bench_scaling.py [--no-model] [--model DIR] [--base 2000]
        [--kinds figures narrative digits]

For each kind of text and each of 4 lengths (BASE, 2x, 4x, 8x units), runs
``Extractor.extract_text`` once in a fresh child process (so the peak resident memory,
``ru_maxrss``, is that of one report) and prints seconds, characters/s, peak MB and the
time ratio to the first length next to the length ratio (linear: 1, 2, 4, 8). Kinds:

- ``figures``: 全市共主动公开政府信息30659条， repeated (dense figures: the case that was
  quadratic in ``ner.combine``);
- ``narrative``: the sample report seed-002 repeated (headings, tables, narrative);
- ``digits``: one run of digits (was quadratic in the number patterns).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

UNITS = {
    "figures": ("全市共主动公开政府信息30659条，", 1),
    "narrative": (None, 1),  # seed-002, in units of 1/20 of the report (about 250 chars)
    "digits": ("7", 10),
}


def make_text(kind: str, n: int) -> str:
    unit, scale = UNITS[kind]
    if unit is None:
        seed = (ROOT / "samples" / "reports" / "seed-002.txt").read_text(encoding="utf-8")
        return (seed * (n // 20 + 1))[: n * len(seed) // 20]
    return unit * (n * scale)


def child(kind: str, n: int, model: str | None, no_model: bool) -> None:
    """Run one extraction and print {"chars", "seconds", "facts", "peak_mb"} as JSON."""
    from inference import Extractor

    ex = Extractor.load(rules_only=True) if no_model else Extractor.load(model)
    ex.extract_text("全市共主动公开政府信息1条。")  # warm-up: configs, model
    text = make_text(kind, n)
    t0 = time.perf_counter()
    report = ex.extract_text(text)
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"chars": len(text), "seconds": secs, "facts": len(report.facts),
                      "peak_mb": peak, "runtime": ex.runtime or "rules"}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="model folder (default: models/default)")
    ap.add_argument("--no-model", action="store_true", help="rules only")
    ap.add_argument("--base", type=int, default=500, help="units in the first length")
    ap.add_argument("--kinds", nargs="+", default=list(UNITS), choices=list(UNITS))
    ap.add_argument("--child", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.model, args.no_model)
        return 0
    extra = (["--no-model"] if args.no_model else []) + (["--model", args.model] if args.model
                                                          else [])
    print(f"{'kind':10} {'chars':>9} {'x len':>6} {'seconds':>8} {'x time':>7} "
          f"{'chars/s':>9} {'peak MB':>8} {'facts':>6}  runtime")
    for kind in args.kinds:
        first = None
        for k in (1, 2, 4, 8):
            n = args.base * k
            out = subprocess.run([sys.executable, __file__, "--child", kind, str(n), *extra],
                                 capture_output=True, text=True, cwd=ROOT)
            if out.returncode:
                print(f"{kind:10} {n} units: failed\n{out.stderr[-2000:]}")
                break
            r = json.loads(out.stdout.strip().splitlines()[-1])
            first = first or r
            print(f"{kind:10} {r['chars']:>9} {r['chars'] / first['chars']:>6.1f} "
                  f"{r['seconds']:>8.2f} {r['seconds'] / first['seconds']:>7.1f} "
                  f"{r['chars'] / r['seconds']:>9.0f} {r['peak_mb']:>8.0f} {r['facts']:>6}  "
                  f"{r['runtime']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
