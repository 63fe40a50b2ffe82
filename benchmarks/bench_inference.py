"""Inference benchmark: throughput, memory, per-stage time and the model's share of the int8 limit.

    python benchmarks/bench_inference.py [--model DIR] [--batch-sizes 8 16] [--runs 3]
        [--shapes samples short] [--runtimes onnx torch]
    python benchmarks/bench_inference.py --standin zh-char-e5-small   # or a base encoder folder

Two text shapes: ``samples`` (the five whole sample reports) and ``short`` (100 report
openings of about 750 characters, tests/data/corpus: many short reports). For every (shape,
runtime, batch size) it runs ``--runs`` fresh child processes (peak memory is each child's
own) and prints the median and the min-max of: end-to-end reports/s and narrative
characters/s (characters of the regions the model reads), model tokens/s, the model's
achieved OP/s and its share of the measured limits, peak resident memory. Two limits, both
measured in each child right after the model (a shared machine's speed drifts: the share
compares figures of one moment), with the model's session options: for int8, a dynamically
quantised MatMul (DynamicQuantizeLinear + MatMulInteger, fused by onnxruntime as the model's
are) at the model's own linear shapes (tokens x hidden x intermediate ...), time-weighted,
and the bare MatMulInteger kernel on 2048 x 2048 x 2048 with inputs quantised beforehand;
for torch fp32, float32 matmuls at the same shapes. The model's OP/s is counted two ways:
"kept" (the tokens it reads once x its operations per token at 256) and "computed" (every
operation run: window overlap, [CLS]/[SEP], padding). Per-stage times outside the model come from
one pass stage by stage. ``--standin BASE`` benchmarks a 5-layer untrained stand-in of BASE
(speed only). Targets: >= 10,000 narrative chars/s end to end on the fast path, the model at
>= 60 % of the int8 peak, peak memory < 1.5 GB.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHAPES = {"samples": (ROOT / "samples" / "reports", "seed-*.txt"),
          "short": (ROOT / "tests" / "data" / "corpus", "page-*.txt")}


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


def linear_shapes(model_dir: Path, tokens: int) -> list[tuple[int, int, int]]:
    """(M, K, N) of the encoder's linear layers for ``tokens`` tokens, one per layer weight."""
    cfg = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    d, ff, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    return L * ([(tokens, d, 3 * d), (tokens, d, d), (tokens, d, ff), (tokens, ff, d)])


def _quantised_matmul(k: int, n: int, path: Path) -> Path:
    """A one-MatMul ONNX model quantised as the model's export is (dynamic, per channel,
    reduced range)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    w = numpy_helper.from_array(np.random.default_rng(0).standard_normal((k, n)).astype(np.float32), "W")
    g = helper.make_graph([helper.make_node("MatMul", ["X", "W"], ["Y"])], "mm",
                          [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["M", k])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["M", n])], [w])
    fp32 = path.with_suffix(".fp32.onnx")
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), str(fp32))
    quantize_dynamic(str(fp32), str(path), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)
    return path


def peak(shapes: list[tuple[int, int, int]], runtime: str, threads: int, reps: int = 9) -> float:
    """Measured OP/s of the runtime's own matmul kernel over the model's linear shapes
    (int8 for onnx, fp32 for torch), total operations over the total of each shape's
    median time of ``reps`` runs (the median, as for the model: a noisy machine's best
    run would overstate the limit)."""
    import numpy as np

    total_ops, total_s = 0.0, 0.0
    for m, k, n in sorted(set(shapes)):
        x = np.random.default_rng(1).standard_normal((m, k)).astype(np.float32)
        if runtime == "onnx":
            import onnxruntime as ort

            from inference.onnx_runtime import session_options

            with tempfile.TemporaryDirectory() as d:  # the model's session options
                sess = ort.InferenceSession(str(_quantised_matmul(k, n, Path(d) / "mm.onnx")),
                                            session_options(threads),
                                            providers=["CPUExecutionProvider"])
                run = lambda: sess.run(None, {"X": x})  # noqa: E731
                best = _median_time(run, reps)
        else:
            import torch

            torch.set_num_threads(threads)
            tx, tw = torch.from_numpy(x), torch.randn(k, n)
            best = _median_time(lambda: tx @ tw, reps)
        count = shapes.count((m, k, n))
        total_ops += 2.0 * m * k * n * count
        total_s += best * count
    return total_ops / total_s


def measure_peaks(model_dir: Path, runtime: str) -> dict[str, float]:
    """Both limits of ``runtime`` on all cores: the matmul at the model's linear shapes
    (2,048 tokens) and the bare 2048^3 kernel. Each child measures them right after timing
    the model, so on a shared machine the model's share compares figures of one moment."""
    threads = os.cpu_count() or 1
    return {"model shapes": peak(linear_shapes(model_dir, 8 * 256), runtime, threads),
            "2048^3": square_peak(runtime, threads)}


def _median_time(fn, reps: int) -> float:
    fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def ops_per_token(model_dir: Path, seq: int) -> float:
    """Forward operations per token: 2 x the linear weights + attention (4 x layers x seq x d)."""
    cfg = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    d, L, ff = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["intermediate_size"]
    n_labels = len(cfg.get("id2label", {})) or 17
    weights = L * (4 * d * d + 2 * d * ff) + d * n_labels
    return 2.0 * weights + 4.0 * L * seq * d


def batch_ops(model_dir: Path, lengths: list[int], batch_size: int) -> tuple[float, int]:
    """Operations the model computes on windows of ``lengths`` tokens batched as served
    (``inference.windows.length_batches``: padding included, attention at each batch's own
    width) and the padded tokens computed."""
    from inference.windows import length_batches

    cfg = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    d, L, ff = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["intermediate_size"]
    weights = L * (4 * d * d + 2 * d * ff) + d * (len(cfg.get("id2label", {})) or 17)
    ops, padded = 0.0, 0
    for _, ids, _ in length_batches([[0] * n for n in lengths], batch_size):
        b, w = ids.shape
        ops += 2.0 * weights * b * w + 4.0 * L * b * w * w * d
        padded += b * w
    return ops, padded


def square_peak(runtime: str, threads: int, n: int = 2048, reps: int = 9) -> float:
    """Measured OP/s of the bare matmul kernel on n x n x n: for onnx, MatMulInteger on uint8
    x int8 inputs quantised beforehand (no DynamicQuantizeLinear); for torch, fp32."""
    import numpy as np

    rng = np.random.default_rng(2)
    if runtime == "onnx":
        import onnxruntime as ort
        from onnx import TensorProto, helper

        g = helper.make_graph(
            [helper.make_node("MatMulInteger", ["A", "B"], ["Y"])], "mmi",
            [helper.make_tensor_value_info("A", TensorProto.UINT8, [n, n]),
             helper.make_tensor_value_info("B", TensorProto.INT8, [n, n])],
            [helper.make_tensor_value_info("Y", TensorProto.INT32, [n, n])])
        model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
        from inference.onnx_runtime import session_options

        sess = ort.InferenceSession(model.SerializeToString(), session_options(threads),
                                    providers=["CPUExecutionProvider"])
        feed = {"A": rng.integers(0, 255, (n, n), dtype=np.uint8),
                "B": rng.integers(-127, 127, (n, n), dtype=np.int8)}
        t = _median_time(lambda: sess.run(None, feed), reps)
    else:
        import torch

        torch.set_num_threads(threads)
        a, b = torch.randn(n, n), torch.randn(n, n)
        t = _median_time(lambda: a @ b, reps)
    return 2.0 * n ** 3 / t


def texts_of(shape: str) -> list[str]:
    folder, pattern = SHAPES[shape]
    return [p.read_text(encoding="utf-8") for p in sorted(folder.glob(pattern))]


def stage_seconds(ex, texts: list[str]) -> dict[str, float]:
    """Seconds per pipeline stage over ``texts``, one document at a time; the ner stage
    split into the model's own ``predict_entities`` and the rest."""
    from inference import ner
    from inference.load import from_text

    out: dict[str, float] = {"load": 0.0}
    for t in texts:
        t0 = time.perf_counter()
        doc = from_text(t)
        out["load"] += time.perf_counter() - t0
        for name in ex.pipeline.stages:
            if name == "ner" and ex.tagger is not None:
                t0 = time.perf_counter()
                ex.tagger.predict_entities([doc.text], regions=[ner.model_regions(doc)])
                out["model"] = out.get("model", 0.0) + time.perf_counter() - t0
            t0 = time.perf_counter()
            doc = ex.pipeline.stage(name)(doc)
            out[name] = out.get(name, 0.0) + time.perf_counter() - t0
    if "model" in out:
        out["ner"] = max(0.0, out["ner"] - out["model"])  # the stage ran the model again
    return out


def child(args: argparse.Namespace) -> dict:
    """One configuration, in a fresh process so that the peak memory is its own."""
    from inference.api import Extractor
    from training.data import regions_of

    texts = texts_of(args.shape)
    if args.runtime == "rules":
        ex = Extractor.load(rules_only=True)
    else:
        from inference.tagger import load_tagger

        ex = Extractor(load_tagger(args.model, runtime=args.runtime), runtime=args.runtime)
        ex.tagger.batch_size = args.batch_size
    ex.extract_text(texts[0])  # warm-up
    regs = [regions_of(t) for t in texts]  # where the model reads, as served
    narrative = sum(e - s for r in regs for s, e in r)
    encs = [ex.tagger.encode(t, r) for t, r in zip(texts, regs)] if ex.tagger else []
    tokens = sum(len(e.ids) for e in encs)
    lengths = [len(w.input_ids) for e in encs for w in e.windows]
    ops, padded = batch_ops(Path(args.model), lengths, args.batch_size) if encs else (0.0, 0)
    t0 = time.perf_counter()
    n = sum(1 for _ in ex.extract_many(texts, batch_size=min(len(texts), 32)))
    dt = time.perf_counter() - t0
    model_dt = None
    if ex.tagger is not None:
        t1 = time.perf_counter()
        ex.tagger.predict_entities(texts, regions=regs)
        model_dt = time.perf_counter() - t1
    out = {"runtime": args.runtime, "batch_size": args.batch_size, "reports": n, "seconds": dt,
           "narrative_chars": narrative, "tokens": tokens, "model_seconds": model_dt,
           "window_tokens": sum(lengths), "padded_tokens": padded, "model_ops": ops,
           "stages": stage_seconds(ex, texts), "peak_rss_mb": peak_rss_mb()}
    # the limits last: their buffers must not count in the pipeline's peak memory
    out["peaks"] = measure_peaks(Path(args.model), args.runtime) if ex.tagger is not None else {}
    return out


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


def run_child(model, runtime: str, bs: int, shape: str) -> dict:
    cmd = [sys.executable, __file__, "--child", "--runtime", runtime, "--batch-size", str(bs),
           "--shape", shape] + (["--model", str(model)] if model else [])
    res = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-2000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def spread(values: list[float], fmt: str = "{:.0f}") -> str:
    """median (min-max)."""
    v = sorted(values)
    return f"{fmt.format(statistics.median(v))} ({fmt.format(v[0])}-{fmt.format(v[-1])})"


def report(rows: list[dict], fpt: float) -> None:
    """One line per configuration: medians and ranges over its runs. Then the model's
    achieved OP/s two ways, each against each limit measured in the same child: "kept"
    counts the tokens the model reads once (kept tokens x operations per token at seq 256),
    "computed" every operation run (window overlap, [CLS]/[SEP] and padding included,
    attention at each batch's width)."""
    print(f"{'shape':8s} {'runtime':8s} {'batch':>5s} {'reports/s':>17s} {'narr chars/s':>22s} "
          f"{'model tokens/s':>20s} {'peak MB':>8s}")
    keys = sorted({(r["shape"], r["runtime"], r["batch_size"]) for r in rows})
    groups = {k: [r for r in rows if (r["shape"], r["runtime"], r["batch_size"]) == k] for k in keys}
    for (shape, rt, bs), rs in groups.items():
        tps = [r["tokens"] / r["model_seconds"] if r.get("model_seconds") else 0.0 for r in rs]
        print(f"{shape:8s} {rt:8s} {bs:5d} {spread([r['reports'] / r['seconds'] for r in rs], '{:.2f}'):>17s} "
              f"{spread([r['narrative_chars'] / r['seconds'] for r in rs]):>22s} {spread(tps):>20s} "
              f"{max(r['peak_rss_mb'] for r in rs):8.0f}")
    print("model OP/s (G) and its share of each limit measured in the same child, median (min-max):")
    for (shape, rt, bs), rs in groups.items():
        if not rs[0].get("peaks"):
            continue
        r0 = rs[0]
        kept = [fpt * r["tokens"] / r["model_seconds"] for r in rs]
        done = [r["model_ops"] / r["model_seconds"] for r in rs]
        print(f"{shape} / {rt} / batch {bs}: overlap+special "
              f"{100 * (r0['window_tokens'] - r0['tokens']) / r0['window_tokens']:.1f}% of window tokens, "
              f"padding {100 * (r0['padded_tokens'] - r0['window_tokens']) / r0['padded_tokens']:.1f}% of "
              f"computed tokens; GOP/s kept {spread([g / 1e9 for g in kept], '{:.1f}')}, computed "
              f"{spread([g / 1e9 for g in done], '{:.1f}')}")
        for name in rs[0]["peaks"]:
            lim = [r["peaks"][name] for r in rs]
            print(f"  limit {name:12s} {spread([x / 1e9 for x in lim], '{:.1f}'):>24s} G{'OP' if rt == 'onnx' else 'FLOP'}/s;"
                  f" share kept {spread([100 * g / x for g, x in zip(kept, lim)], '{:.1f}')}%,"
                  f" computed {spread([100 * g / x for g, x in zip(done, lim)], '{:.1f}')}%")


def stage_report(rows: list[dict]) -> None:
    """Median share of each stage's time, per shape and runtime (first batch size)."""
    seen = set()
    for r in rows:
        key = (r["shape"], r["runtime"])
        if key in seen:
            continue
        seen.add(key)
        rs = [x for x in rows if (x["shape"], x["runtime"], x["batch_size"]) == (*key, r["batch_size"])]
        names = list(rs[0]["stages"])
        med = {n: statistics.median(x["stages"][n] for x in rs) for n in names}
        total = sum(med.values()) or 1.0
        print(f"stages, {key[0]} / {key[1]} (one document at a time): " + ", ".join(
            f"{n} {100 * v / total:.1f}%" for n, v in med.items()) + f"; total {total:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", help="model folder (default: models/default)")
    ap.add_argument("--standin", help="base encoder folder or name: benchmark a 5-layer untrained stand-in")
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[8, 16])
    ap.add_argument("--runs", type=int, default=3, help="fresh child processes per configuration")
    ap.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    ap.add_argument("--runtimes", nargs="+", default=["onnx", "torch"], choices=["onnx", "torch"])
    ap.add_argument("--runtime", default="rules")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--shape", default="samples")
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
    from inference.onnx_runtime import onnx_ready

    runtimes = [rt for rt in a.runtimes if rt != "onnx" or onnx_ready(model)]
    kn = sorted({(k, n) for _, k, n in linear_shapes(model, 8 * 256)}, key=lambda x: (-x[0], x[1]))
    print(f"model: {model} [{label}]; {os.cpu_count()} cores; started "
          f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; int8 limits: the dynamically "
          "quantised MatMul (DynamicQuantizeLinear included) at the model's linear shapes, 2,048 "
          f"tokens x {', '.join(f'{k:,} -> {n:,}' for k, n in kn)}, and the bare MatMulInteger on "
          "2048^3 with inputs quantised beforehand (fp32 matmuls for torch)")
    rows = []
    for shape in a.shapes:
        for rt, bs in [("rules", 0)] + [(rt, bs) for rt in runtimes for bs in a.batch_sizes]:
            for _ in range(a.runs):
                rows.append({**run_child(model if rt != "rules" else None, rt, bs, shape), "shape": shape})
    fpt = ops_per_token(model, 256)
    report(rows, fpt)
    stage_report(rows)
    print(f"model operations per token at seq 256: {fpt / 1e6:.1f} M; runs per configuration: {a.runs}")


if __name__ == "__main__":
    main()
