"""Throughput of the rules-only table stage (parse_tables) over the sample reports.

    .venv/bin/python benchmarks/bench_tables.py --repeat 40 --jobs 1 2

The corpus (samples/reports/*.txt by default) is repeated ``--repeat`` times for stable
figures. Each job count runs in a multiprocessing pool (1 = this process). With
``--segment`` the clean and segment stages run first (their time is included), so the
table stage reads segment's table blocks instead of scanning the text itself.
Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import time
from multiprocessing import Pool
from pathlib import Path

from inference import clean, segment
from inference.rules import default_rules
from inference.load import from_text
from inference.tables import parse_tables, values

ROOT = Path(__file__).resolve().parent.parent
_SEGMENT = False
_COLD = False


def _init(seg: bool, cold: bool = False) -> None:
    global _SEGMENT, _COLD
    _SEGMENT, _COLD = seg, cold
    parse_tables(from_text("规章 | 0 |\n"), default_rules())  # load the configs once per process


def _one(item: tuple[str, str]) -> tuple[int, int]:
    name, text = item
    if _COLD:
        for f in (values.norm_label, values.norm_title, values.parse_value, values.looks_like_value):
            f.cache_clear()
    doc = from_text(text, source=name)
    if _SEGMENT:
        doc = segment.segment(clean.clean(doc, default_rules()), default_rules())
    doc = parse_tables(doc, default_rules())
    return len(doc.facts), len(doc.checks)


def run(texts: list[tuple[str, str]], jobs: int, seg: bool, cold: bool) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    if jobs <= 1:
        _init(seg, cold)
        t0 = time.perf_counter()
        out = [_one(x) for x in texts]
    else:
        with Pool(jobs, initializer=_init, initargs=(seg, cold)) as pool:
            t0 = time.perf_counter()
            out = pool.map(_one, texts, chunksize=max(1, len(texts) // (jobs * 8)))
    dt = time.perf_counter() - t0
    return dt, sum(f for f, _ in out), sum(c for _, c in out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=ROOT / "samples" / "reports")
    ap.add_argument("--repeat", type=int, default=40, help="times the corpus is repeated")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--segment", action="store_true", help="run clean + segment first")
    ap.add_argument("--cold", action="store_true",
                    help="clear the label/value caches before each report (repeats then cost as new reports)")
    args = ap.parse_args()
    files = sorted(args.dir.glob("*.txt"))
    base = [(p.name, p.read_text(encoding="utf-8")) for p in files]
    texts = base * args.repeat
    chars = sum(len(t) for _, t in texts)
    stages = "clean+segment+tables" if args.segment else "tables"
    print(f"{len(base)} reports x {args.repeat} = {len(texts)} reports, {chars / 1e6:.2f} M chars; stages: {stages}{', cold caches' if args.cold else ''}")
    for jobs in args.jobs:
        dt, facts, checks = run(texts, jobs, args.segment, args.cold)
        print(f"jobs={jobs}: {dt:.2f} s  {len(texts) / dt:.1f} reports/s  {chars / dt / 1e6:.2f} M chars/s  "
              f"({facts} facts, {checks} checks)")


if __name__ == "__main__":
    main()
