"""Export a token classifier to ONNX for the fast CPU path (``inference.onnx_runtime``).

``govie export-onnx --model DIR [--out DIR]`` writes ``<out>/model.onnx`` (fp32, traced with
``torch.onnx.export(..., dynamo=False)``, dynamic batch and sequence axes, then onnxruntime's
BERT fusions) and ``<out>/model.int8.onnx`` (the outlier channels of each FFN taken out of the
quantised matmuls, ``training.outliers``, then ``onnxruntime.quantization.quantize_dynamic``,
QInt8 weights, per channel, reduced range); ``<out>`` defaults to ``DIR/onnx``, with
``export.json`` naming the weights exported and the outliers taken out. A build step: it needs torch and transformers
(the ``train`` extra), which serving the result does not.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional, Union

from inference.onnx_runtime import EXPORT_INFO, FP32, INT8, ONNX_DIR, weights_id
from inference.tagger import ModelNotFound, read_model_info


def fuse_bert(path: Path, config: Any) -> dict[str, int]:
    """Rewrite the ONNX BERT at ``path`` with onnxruntime's transformer fusions (one
    Attention op per layer, BiasGelu, EmbedLayerNormalization; SkipLayerNormalization only
    when ``fusions.skip_layer_norm`` of configs/export.yaml says so). Same outputs; measured
    here 1.1x faster in fp32 and 1.3x in int8. Returns the counts of fused operators."""
    from onnxruntime.transformers import optimizer
    from onnxruntime.transformers.fusion_options import FusionOptions

    from inference.config import load_config

    options = FusionOptions("bert")
    fusions = (load_config("export") or {}).get("fusions") or {}
    options.enable_skip_layer_norm = bool(fusions.get("skip_layer_norm", True))
    fused = optimizer.optimize_model(str(path), model_type="bert",
                                     num_heads=int(config.num_attention_heads),
                                     hidden_size=int(config.hidden_size), opt_level=1,
                                     optimization_options=options)
    fused.save_model_to_file(str(path))
    return {k: v for k, v in fused.get_fused_operator_statistics().items() if v}


def export_onnx(model_dir: Union[str, Path], out_dir: Union[str, Path, None] = None,
                opset: int = 17, quantize: bool = True, keep_fp32: bool = True,
                fuse: bool = True) -> dict[str, Path]:
    """Export a token-classifier folder to ONNX fp32 (with ``fuse``: transformer fusions,
    ``fuse_bert``) and (``quantize``) int8 dynamic quantisation; ``keep_fp32=False``
    deletes the fp32 file afterwards (the embedded model stays small: int8 adds about
    19 MB). Returns the paths kept."""
    import torch
    from transformers import AutoModelForTokenClassification

    model_dir = Path(model_dir)
    if not (model_dir / "config.json").is_file():
        raise ModelNotFound(f"no token-classifier model in {model_dir} (config.json missing)")
    out = Path(out_dir) if out_dir is not None else model_dir / ONNX_DIR
    out.mkdir(parents=True, exist_ok=True)
    model = AutoModelForTokenClassification.from_pretrained(
        str(model_dir), dtype=torch.float32, attn_implementation="eager")
    model.eval()
    model.config.return_dict = False

    class Wrapped(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask):
            return self.m(input_ids=input_ids, attention_mask=attention_mask,
                          return_dict=True).logits

    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    fp32 = out / FP32
    with torch.inference_mode():
        torch.onnx.export(
            Wrapped(model), (ids, mask), str(fp32), dynamo=False, opset_version=opset,
            input_names=["input_ids", "attention_mask"], output_names=["logits"],
            dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                          "attention_mask": {0: "batch", 1: "sequence"},
                          "logits": {0: "batch", 1: "sequence"}})
    paths = {"fp32": fp32}
    if fuse:
        fuse_bert(fp32, model.config)
    layers = None
    if quantize:
        layers = quantize_int8(fp32, out / INT8, model_dir, fuse)
        paths["int8"] = out / INT8
        if not keep_fp32:
            fp32.unlink()
            del paths["fp32"]
    info = read_model_info(model_dir)
    (out / EXPORT_INFO).write_text(json.dumps(
        {"weights": weights_id(model_dir), "model_version": info.get("model_version"),
         "opset": opset, "fused": fuse, "files": sorted(p.name for p in paths.values()),
         "int8_outliers": layers}, indent=1), encoding="utf-8")
    return paths


def quantize_int8(fp32: Path, int8: Path, model_dir: Path, fused: bool) -> Optional[list]:
    """Write the int8 file of the fp32 graph: the FFN outlier channels taken out first
    (``training.outliers``, fused graphs, configs/export.yaml), then dynamic quantisation.
    Returns the outliers per FFN (None: not decomposed)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from .outliers import decompose, load_settings

    settings = load_settings()
    with tempfile.TemporaryDirectory() as tmp:
        src, done = fp32, None
        if fused and settings.enabled:
            src = Path(tmp) / "decomposed.onnx"
            done = decompose(fp32, src, model_dir, settings)
        # per-channel weight scales and 7-bit range: on the dev split this keeps micro F1
        # within 0.2 points of fp32, where per-tensor 8-bit lost 1.5 (ORG suffered most).
        # DefaultTensorType: shape inference gives no type to the outputs of fused
        # com.microsoft ops (Attention, SkipLayerNormalization); they are float.
        quantize_dynamic(str(src), str(int8), weight_type=QuantType.QInt8, per_channel=True,
                         reduce_range=True, nodes_to_exclude=done.fp32_names if done else [],
                         extra_options={"DefaultTensorType": 1})
    return done.layers if done else None


def register_export_onnx(sub) -> None:
    from inference.cli import require

    require("torch", "transformers", "onnxruntime", "onnx")
    p = sub.add_parser("export-onnx", help="export a model to ONNX (fp32 + int8) for the fast CPU path",
                       description="Write MODEL/onnx/model.onnx and model.int8.onnx; "
                                   "`auto` runtime then uses the int8 model.")
    p.add_argument("--model", required=True, metavar="DIR", help="model folder")
    p.add_argument("--out", metavar="DIR", help="output folder (default: DIR/onnx)")
    p.add_argument("--opset", type=int, default=17)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--no-quantize", action="store_true", help="fp32 only")
    g.add_argument("--int8-only", action="store_true",
                   help="keep only the int8 file (for the embedded model's size budget)")
    p.set_defaults(func=cmd_export_onnx)


def cmd_export_onnx(args: argparse.Namespace) -> int:
    try:
        paths = export_onnx(args.model, args.out, args.opset, not args.no_quantize,
                            keep_fp32=not args.int8_only)
    except ModelNotFound as exc:
        print(f"govie export-onnx: error: {exc}", file=sys.stderr)
        return 2
    for kind, p in paths.items():
        print(f"{kind}: {p} ({p.stat().st_size / 1e6:.1f} MB)")
    return 0
