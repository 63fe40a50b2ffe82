"""Benchmark of `govie panel`: synthetic records (N issuers x years, ~60 keyed facts each,
one in ten reposted) written as JSON Lines, then read, deduplicated, chosen and checked.
Prints records/s.

    python benchmarks/bench_panel.py [--records 5000]
"""
from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from inference.config import load_config
from inference.data import Document, Evidence, Fact, Issuer, IssuerRegion, Metadata
from inference.output import JsonlWriter, record
from inference.panel import local_reports, run_panel


def synthetic(n: int, facts: int = 60, seed: int = 0):
    rng = random.Random(seed)
    keys = sorted(load_config("taxonomy")["keys"])[:facts]
    years = list(range(2008, 2026))
    for i in range(n):
        body, year = divmod(i, len(years))
        iss = Issuer(name=f"body {body}", region=IssuerRegion(f"{110000 + body:06d}", "p"),
                     level="county", organ="人民政府", confidence=0.9)
        fs = [Fact(key=k, metric=k, value=float(rng.randint(0, 500)), unit="件",
                   origin=rng.choice(["table", "narrative"]),
                   evidence=Evidence(kind="span", text="1", start=0, end=1, source=f"r{i}"))
              for k in keys]
        doc = Document(source=f"r{i}.html", text="x", sha256=f"{i:064d}", format="html",
                       metadata=Metadata(year=years[year], issuer=iss), facts=fs)
        rec = record(doc)
        yield rec
        if i % 10 == 0:  # a repost of the same report
            yield dict(rec, source=f"mirror/r{i}.html")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=5000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "records.jsonl"
        with JsonlWriter(src, fsync=False) as w:
            n = 0
            for rec in synthetic(args.records):
                w.write(rec)
                n += 1
        mb = src.stat().st_size / 1e6
        t = time.perf_counter()
        s = run_panel(local_reports([str(src)], progress=False), Path(d) / "panel.parquet")
        dt = time.perf_counter() - t
    print(f"{n} records ({mb:.1f} MB JSON Lines): {s.rows} panel rows, {s.duplicates} "
          f"duplicates, {s.checks} checks in {dt:.2f} s = {n / dt:,.0f} records/s")


if __name__ == "__main__":
    main()
