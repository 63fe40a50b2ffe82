"""Where the time of the int8 ONNX model goes: onnxruntime's profiler, per operator type.

    python benchmarks/profile_onnx.py [--model models/default] [--batch 8] [--seq 256] [--runs 6]
        [--threads N]

Runs the model's ONNX file (session options of configs/runtime.yaml) on random token ids of
one batch shape and prints, per operator type, its share of the kernel time, microseconds
per call and, for the operators holding a matmul, the operations per second they reach
(QAttention: its QKV projection plus the attention scores and weighted sum, 4 x seq x hidden
per token, which onnxruntime runs in fp32). The last lines split the time into the int8
matmuls (DynamicQuantizeMatMul, MatMulInteger and the projection part of QAttention,
estimated at the DynamicQuantizeMatMul rate) and the rest, the part no faster int8 kernel
can shorten.

Measured 2026-12-04, default model, batch 8 x 256, int8: QAttention 44%, DynamicQuantizeMatMul
31%, SkipLayerNormalization 13%, BiasGelu 9%. 2026-12-06 (AVX-512 VNNI, 1 thread, a training
run on the other core): QAttention 37-41%, DynamicQuantizeMatMul 26-31%, SkipLayerNormalization
21%, BiasGelu 9-10%.
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GEMM_OPS = ("DynamicQuantizeMatMul", "MatMulIntegerToFloat", "MatMulInteger", "MatMul")


def node_ops(op: str, shapes: list[list[int]]) -> float:
    """Operations of one matmul-carrying node from its input shapes (0 for the others)."""
    if op in GEMM_OPS and len(shapes) >= 2:
        a, w = shapes[0], shapes[1]
        n = 1
        for x in a:
            n *= x
        return 2.0 * n * w[-1]
    if op in ("QAttention", "Attention") and len(shapes) >= 2:
        (b, s, d), w = shapes[0], shapes[1]
        return 2.0 * b * s * d * w[-1] + 4.0 * b * s * s * d
    return 0.0


def main() -> None:
    import numpy as np
    import onnxruntime as ort

    from inference.onnx_runtime import session_options

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT / "models" / "default"))
    ap.add_argument("--file", default="model.int8.onnx")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--runs", type=int, default=6)
    ap.add_argument("--threads", type=int, help="CPU threads (default: configs/runtime.yaml)")
    a = ap.parse_args()
    opts = session_options(a.threads)
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
    calls: collections.Counter = collections.Counter()
    per_op: collections.Counter = collections.Counter()
    ops: collections.Counter = collections.Counter()
    proj = 0.0  # QKV projection operations inside QAttention
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            op = e["args"]["op_name"]
            shapes = [list(x.values())[0] for x in e["args"].get("input_type_shape", [])]
            per_op[op] += e["dur"]
            calls[op] += 1
            ops[op] += node_ops(op, shapes)
            if op == "QAttention":
                (b, s, d), w = shapes[0], shapes[1]
                proj += 2.0 * b * s * d * w[-1]
    total = sum(per_op.values())
    print(f"{a.file}, batch {a.batch} x {a.seq}, {a.runs} runs, threads {a.threads or 'configured'}: "
          f"kernel time {total / 1e6:.2f} s")
    for op, us in per_op.most_common():
        if us / total >= 0.001:
            rate = f"  {ops[op] / us / 1e3:6.0f} GOP/s" if ops[op] else ""
            print(f"{op:28s} {100 * us / total:5.1f}%  {us / calls[op]:9.0f} us/call{rate}")
    gemm_us = sum(per_op[o] for o in GEMM_OPS)
    rate = sum(ops[o] for o in GEMM_OPS) / gemm_us if gemm_us else 0.0  # ops per microsecond
    proj_us = proj / rate if rate else 0.0
    print(f"int8 matmuls (QAttention's projection at the DynamicQuantizeMatMul rate): "
          f"{100 * (gemm_us + proj_us) / total:.1f}% of the time; the rest (attention scores "
          f"in fp32, layer norms, GELU, quantisation, embeddings): {100 * (1 - (gemm_us + proj_us) / total):.1f}%")


if __name__ == "__main__":
    main()
