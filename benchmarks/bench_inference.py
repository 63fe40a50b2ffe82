"""Inference benchmark on samples/reports: throughput, memory, FLOP/s.

    python benchmarks/bench_inference.py [--model DIR] [--batch-sizes 8 16 32] [--repeat 2]
    python benchmarks/bench_inference.py --standin zh-char-e5-small   # or a base encoder folder

Prints, for the rules-only pipeline and for every (runtime, batch size) of the model
(torch fp32, ONNX int8 when exported): end-to-end reports/s and narrative characters/s
(characters of the narrative blocks the NER stage reads), model tokens/s, peak resident
memory of the run (``ru_maxrss`` of a fresh child process per configuration) and the
achieved matrix FLOP/s (model FLOPs per token x tokens/s) against this machine's measured
matmul peak. ``--standin BASE`` builds a stand-in model (BASE truncated to 5 layers, as the
default model, with an untrained classification head, exported to ONNX) in a temp folder:
figures then measure the speed of that architecture, not the accuracy of a trained model. Targets: >= 10,000
narrative chars/s end to end on the fast path; peak < 1.5 GB.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLES = ROOT / "samples" / "reports"


def build_standin(base: Path, out: Path, layers: int = 5) -> Path:
    """BASE truncated to ``layers`` layers with a fresh token-classification head."""
    import torch
    from transformers import AutoTokenizer, BertForTokenClassification

    from inference.config import label_set
    from training.export import export_onnx

    if (out / "onnx" / "model.int8.onnx").is_file():
        return out
    ls = label_set()
    torch.manual_seed(0)
    model = BertForTokenClassification.from_pretrained(
        str(base), num_labels=len(ls.bio), id2label=ls.id2label, label2id=ls.label2id)
    model.bert.encoder.layer = model.bert.encoder.layer[:layers]
    model.config.num_hidden_layers = layers
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    AutoTokenizer.from_pretrained(str(base)).save_pretrained(str(out))
    (out / "govie_model.json").write_text(json.dumps(
        {"model_version": f"standin-{base.name}-{layers}L-untrained", "max_length": 256,
         "stride": 32}), encoding="utf-8")
    export_onnx(out)
    return out


def matmul_peak(n: int = 1024, reps: int = 5) -> dict[str, float]:
    """Measured float32 matmul FLOP/s with numpy and torch."""
    import numpy as np

    a = np.random.rand(n, n).astype(np.float32)
    b = np.random.rand(n, n).astype(np.float32)
    a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    out = {"numpy": 2 * n ** 3 * reps / (time.perf_counter() - t)}
    try:
        import torch

        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        ta @ tb
        t = time.perf_counter()
        for _ in range(reps):
            ta @ tb
        out["torch"] = 2 * n ** 3 * reps / (time.perf_counter() - t)
    except ImportError:
        pass
    return out


def flops_per_token(model_dir: Path, seq: int) -> float:
    """Forward FLOPs per token: 2 x non-embedding weights + attention (4 x layers x seq x d)."""
    cfg = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    d, L, ff = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["intermediate_size"]
    n_labels = len(cfg.get("id2label", {})) or 17
    weights = L * (4 * d * d + 2 * d * ff) + d * n_labels
    return 2.0 * weights + 4.0 * L * seq * d


def child(args: argparse.Namespace) -> dict:
    """One configuration, in a fresh process so that ru_maxrss is its own peak."""
    from inference import ner
    from inference.api import Extractor
    from inference.load import from_text

    texts = [p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("seed-*.txt"))]
    if args.runtime == "rules":
        ex = Extractor.load(rules_only=True)
    else:
        from inference.tagger import load_tagger

        ex = Extractor(load_tagger(args.model, runtime=args.runtime), runtime=args.runtime)
        ex.tagger.batch_size = args.batch_size
    docs = [ex.extract_text(t).doc for t in texts[:1]]  # warm-up
    prep = [ex.pipeline.stage("segment")(ex.pipeline.stage("clean")(from_text(t))) for t in texts]
    regs = [ner.model_regions(d) for d in prep]
    narrative = sum(e - s for r in regs for s, e in r)
    tokens = 0
    if ex.tagger is not None:
        tokens = sum(len(ex.tagger.encode(t, r).ids) for t, r in zip(texts, regs))
    t0 = time.perf_counter()
    n = 0
    for _ in range(args.repeat):
        for r in ex.extract_many(texts, batch_size=len(texts)):
            n += 1
            docs.append(r.doc)
    dt = time.perf_counter() - t0
    # model-only time on the same inputs
    model_dt = None
    if ex.tagger is not None:
        t1 = time.perf_counter()
        for _ in range(args.repeat):
            ex.tagger.predict_entities(texts, regions=regs)
        model_dt = time.perf_counter() - t1
    return {"runtime": args.runtime, "batch_size": args.batch_size, "reports": n,
            "seconds": dt, "narrative_chars": narrative * args.repeat,
            "tokens": tokens * args.repeat, "model_seconds": model_dt,
            "peak_rss_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """Peak resident memory of this process: VmHWM (ru_maxrss survives exec on Linux, so
    a child would report its parent's peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(model, runtime, bs, repeat) -> dict:
    cmd = [sys.executable, __file__, "--child", "--runtime", runtime, "--batch-size", str(bs),
           "--repeat", str(repeat)] + (["--model", str(model)] if model else [])
    res = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-2000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", help="model folder (default: models/default)")
    ap.add_argument("--standin", help="base encoder folder: benchmark a 5-layer untrained stand-in")
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[8, 16, 32])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--runtime", default="rules")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--child", action="store_true")
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a)))
        return
    model = Path(a.model) if a.model else ROOT / "models" / "default"
    label = "default model"
    if a.standin:
        from training.base_encoder import resolve

        base = Path(resolve(a.standin))  # the project's base encoder, rebuilt on first need
        model = build_standin(base, Path(tempfile.gettempdir()) / "govie-standin-5L")
        label = "STAND-IN (base encoder, 5 layers, untrained head) - speed only"
    print(f"model: {model} [{label}]")
    peak = matmul_peak()
    print("matmul peak (1024^3 fp32): " + ", ".join(f"{k} {v / 1e9:.1f} GFLOP/s" for k, v in peak.items()))
    rows = [run_child(None, "rules", 0, a.repeat)]
    if (model / "config.json").is_file():
        from inference.onnx_runtime import onnx_ready

        runtimes = ["torch"] + (["onnx"] if onnx_ready(model) else [])
        rows += [run_child(model, rt, bs, a.repeat) for rt in runtimes for bs in a.batch_sizes]
        fpt = flops_per_token(model, 256)
    else:
        print(f"(no model in {model}: rules only)")
        fpt = 0.0
    best = max(peak.values())
    print(f"{'runtime':8s} {'batch':>5s} {'reports/s':>9s} {'narr chars/s':>12s} {'tokens/s':>9s} "
          f"{'model GFLOP/s':>13s} {'% of peak':>9s} {'peak MB':>8s}")
    for r in rows:
        tps = r["tokens"] / r["model_seconds"] if r.get("model_seconds") else 0.0
        gf = fpt * tps / 1e9
        print(f"{r['runtime']:8s} {r['batch_size']:5d} {r['reports'] / r['seconds']:9.2f} "
              f"{r['narrative_chars'] / r['seconds']:12.0f} {tps:9.0f} {gf:13.2f} "
              f"{100 * gf * 1e9 / best:8.1f}% {r['peak_rss_mb']:8.0f}")
    print(f"model FLOPs/token at seq 256: {fpt / 1e6:.1f} MFLOP; narrative chars per run: "
          f"{rows[0]['narrative_chars'] // a.repeat}")


if __name__ == "__main__":
    main()
