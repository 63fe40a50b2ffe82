"""Where the time of the int8 ONNX model goes: onnxruntime's profiler, per operator type.

    python benchmarks/profile_onnx.py [--model models/default] [--batch 8] [--seq 256] [--runs 6]

Runs the model's ONNX file on random token ids of one batch shape and prints each operator
type's share of the kernel time (measured 2026-12-04, default model, batch 8 x 256, int8:
QAttention 44%, DynamicQuantizeMatMul 31%, SkipLayerNormalization 13%, BiasGelu 9%).
"""
from __future__ import annotations

import argparse
import collections
import json
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    import numpy as np
    import onnxruntime as ort

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT / "models" / "default"))
    ap.add_argument("--file", default="model.int8.onnx")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--runs", type=int, default=6)
    a = ap.parse_args()
    opts = ort.SessionOptions()
    opts.enable_profiling = True
    opts.profile_file_prefix = str(Path(tempfile.gettempdir()) / "govie-ort-profile")
    sess = ort.InferenceSession(str(Path(a.model) / "onnx" / a.file), opts,
                                providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    ids = rng.integers(1000, 8000, size=(a.batch, a.seq), dtype=np.int64)
    feed = {i.name: (ids if "ids" in i.name else np.ones_like(ids)) for i in sess.get_inputs()}
    for _ in range(a.runs):
        sess.run(None, feed)
    trace = Path(sess.end_profiling())
    events = json.loads(trace.read_text())
    trace.unlink()
    per_op: collections.Counter = collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            per_op[e["args"]["op_name"]] += e["dur"]
    total = sum(per_op.values())
    print(f"{a.file}, batch {a.batch} x {a.seq}, {a.runs} runs: kernel time {total / 1e6:.2f} s")
    for op, us in per_op.most_common():
        if us / total >= 0.001:
            print(f"{op:28s} {100 * us / total:5.1f}%")


if __name__ == "__main__":
    main()
