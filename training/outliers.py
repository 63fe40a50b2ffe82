"""Outlier channels out of the int8 matmuls: the export's step between fusing and quantising.

onnxruntime's dynamic quantisation gives each matmul input one int8 scale per batch, set by
its largest value. In a BERT a few channels run far above the rest: in the default model the
FFN input (the attention block's output) has 1-4 channels reaching 17-36 where the others
stay under 5.5, and the FFN's hidden units have 1-3 reaching 7-53. One such channel coarsens
the grid of all the others about sevenfold; the served fast path lost 1.7 METRIC points to it.
This module rewrites the fused fp32 graph, outputs unchanged, so that those channels no longer
set the scale (LLM.int8's decomposition, Dettmers et al. 2022, in two cheap forms):

- **FFN input** (``split_input``): an outlier channel x_i becomes c_i pieces x_i / c_i (the
  scaled channel plus c_i - 1 appended copies, the weight rows repeated), so the quantised
  matmul sees it no larger than the ordinary channels; still one int8 matmul, 16 or so more
  input columns.
- **FFN hidden units** (``side_path``): an outlier unit's weights in the first matmul and its
  bias are set to zero, so it is 0 (gelu(0) = 0) in the quantised second matmul's input, and it
  is computed on an fp32 side path, gelu(x @ W1[:, i] + b1[i]) @ W2[i], added to the output.

A channel is an outlier when its largest absolute value over the calibration windows (the
sample reports, read as the model reads them when it serves) is above ``threshold``
(configs/export.yaml). Returns the names of the side-path matmuls, which stay fp32.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence, Union

import numpy as np

from inference.config import ROOT, load_config
from inference.errors import ConfigError
from inference.onnx_runtime import FastTokenizer, OnnxTagger, session_options
from inference.tagger import read_model_info


@dataclass(frozen=True)
class OutlierSettings:
    """``int8.outliers`` of configs/export.yaml."""

    enabled: bool = True
    threshold: float = 6.0  # a channel whose calibration max |x| is above this is an outlier
    max_per_matmul: int = 16  # at most this many channels per matmul (the largest)
    calibration: str = "samples/reports"  # folder of .txt reports (relative to the project)


def load_settings(data: Any = None) -> OutlierSettings:
    """The outlier settings of configs/export.yaml (or of ``data``, its parsed content)."""
    data = load_config("export") if data is None else data
    raw = ((data or {}).get("int8") or {}).get("outliers") or {}
    unknown = set(raw) - set(OutlierSettings.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"configs/export.yaml int8.outliers: unknown settings {sorted(unknown)}")
    return OutlierSettings(**raw)


@dataclass
class FFN:
    """One feed-forward block of a fused BERT graph: MatMul -> BiasGelu -> MatMul."""

    up: Any
    act: Any
    down: Any


def find_ffns(graph: Any) -> list[FFN]:
    """The FFN blocks of a graph fused by ``training.export.fuse_bert``, in order."""
    users: dict[str, list] = {}
    maker = {name: node for node in graph.node for name in node.output}
    for node in graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node)
    out = []
    for node in graph.node:
        if node.op_type != "BiasGelu":
            continue
        up = maker.get(node.input[0])
        down = users.get(node.output[0], [])
        if up is not None and up.op_type == "MatMul" and len(down) == 1 and down[0].op_type == "MatMul":
            out.append(FFN(up, node, down[0]))
    return out


def calibration_texts(settings: OutlierSettings) -> list[str]:
    folder = ROOT / settings.calibration
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))]
    if not texts:
        raise ConfigError(f"configs/export.yaml int8.outliers.calibration: no .txt in {folder}")
    return texts


class _Probe(OnnxTagger):
    """Runs the fp32 graph with extra outputs and keeps each one's per-channel max |x| over
    the real (unpadded) tokens; the windows and batches are the serving path's."""

    def __init__(self, session: Any, names: Sequence[str], **kw: Any):
        super().__init__(session, **kw)
        self.names, self.amax = list(names), {}

    def logits(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        outs = self.session.run(["logits", *self.names], {"input_ids": ids, "attention_mask": mask})
        keep = mask.reshape(-1) == 1
        for name, x in zip(self.names, outs[1:]):
            m = np.abs(x.reshape(-1, x.shape[-1])[keep]).max(0)
            self.amax[name] = np.maximum(self.amax.get(name, m), m)
        return outs[0]


def channel_max(model: Any, model_dir: Path, names: Sequence[str], texts: Sequence[str]) -> dict:
    """Per-channel max |x| of the tensors ``names`` of the ONNX ``model`` over ``texts``."""
    import onnx
    import onnxruntime as ort
    from training.data import regions_of

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    for name in names:
        probe.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    sess = ort.InferenceSession(probe.SerializeToString(), session_options(), providers=["CPUExecutionProvider"])
    cfg = read_model_info(model_dir)
    tagger = _Probe(sess, names, tokenizer=FastTokenizer(model_dir), id2label={0: "O"},
                    max_length=cfg.get("max_length", 256), stride=cfg.get("stride", 32), batch_size=8,
                    char_map=cfg.get("char_map"))
    tagger.window_probs([tagger.encode(t, regions_of(t)) for t in texts])
    return tagger.amax


def outliers(amax: np.ndarray, settings: OutlierSettings) -> np.ndarray:
    """Indices (sorted) of the channels above the threshold, at most ``max_per_matmul``."""
    top = np.argsort(-amax)[:settings.max_per_matmul]
    return np.sort(top[amax[top] > settings.threshold])


def pieces(amax: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """How many pieces each outlier channel ``idx`` is cut into: enough to bring it down to
    the largest ordinary channel."""
    rest = max(float(np.delete(amax, idx).max(initial=0.0)), 1e-6)
    return np.maximum(np.ceil(amax[idx] / rest), 1).astype(int)


class _Weights:
    """The initializers of a graph by name: read as arrays, replaced or added."""

    def __init__(self, graph: Any):
        self.graph = graph
        self.by_name = {t.name: t for t in graph.initializer}

    def get(self, name: str) -> np.ndarray:
        from onnx import numpy_helper

        return numpy_helper.to_array(self.by_name[name]).copy()

    def put(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        tensor = numpy_helper.from_array(value, name)
        if name in self.by_name:
            self.by_name[name].CopyFrom(tensor)
        else:
            self.graph.initializer.append(tensor)
            self.by_name[name] = self.graph.initializer[-1]
        return name


def side_path(w: _Weights, ffn: FFN, idx: np.ndarray, tag: str) -> list:
    """Hidden units ``idx`` of ``ffn`` moved to an fp32 side path (module docstring); the
    nodes to add. Call before ``split_input``, which copies the zeroed weights."""
    from onnx import helper

    x, w1, b1, w2 = ffn.up.input[0], w.get(ffn.up.input[1]), w.get(ffn.act.input[1]), w.get(ffn.down.input[1])
    cols, bias, rows = (w.put(f"{tag}_{n}", v) for n, v in
                        (("w1", w1[:, idx]), ("b1", b1[idx]), ("w2", w2[idx])))
    w1[:, idx], b1[idx] = 0.0, 0.0
    w.put(ffn.up.input[1], w1)
    w.put(ffn.act.input[1], b1)
    out = ffn.down.output[0]
    ffn.down.output[0] = f"{tag}_main"
    return [helper.make_node("MatMul", [x, cols], [f"{tag}_h"], name=f"{tag}_up"),
            helper.make_node("BiasGelu", [f"{tag}_h", bias], [f"{tag}_g"], name=f"{tag}_act",
                             domain="com.microsoft"),
            helper.make_node("MatMul", [f"{tag}_g", rows], [f"{tag}_y"], name=f"{tag}_down"),
            helper.make_node("Add", [f"{tag}_main", f"{tag}_y"], [out], name=f"{tag}_add")]


def split_input(w: _Weights, node: Any, idx: np.ndarray, pieces: np.ndarray, tag: str) -> list:
    """Input channels ``idx`` of ``node`` (a MatMul or Attention: input, weight, ...) cut
    into ``pieces`` each (module docstring): the input scaled, its copies appended; the nodes
    to add. (One Gather of every column would do both, but onnxruntime's Gather along the
    last axis took 7 % of the model's time.)"""
    from onnx import helper

    x, w1 = node.input[0], w.get(node.input[1])
    copies = np.repeat(idx, pieces - 1).astype(np.int64)
    scale = np.ones(w1.shape[0], np.float32)
    scale[idx] = 1.0 / pieces
    w.put(node.input[1], np.concatenate([w1, w1[copies]], 0))
    node.input[0] = f"{tag}_x"
    return [helper.make_node("Mul", [x, w.put(f"{tag}_scale", scale)], [f"{tag}_xs"], name=f"{tag}_scale"),
            helper.make_node("Gather", [x, w.put(f"{tag}_copies", copies)], [f"{tag}_xc"],
                             name=f"{tag}_copies", axis=-1),
            helper.make_node("Mul", [f"{tag}_xc", w.put(f"{tag}_cscale", scale[copies])], [f"{tag}_xcs"],
                             name=f"{tag}_cscale"),
            helper.make_node("Concat", [f"{tag}_xs", f"{tag}_xcs"], [f"{tag}_x"], name=f"{tag}_concat", axis=-1)]


def _toposort(graph: Any) -> None:
    """Nodes in an order where each input is made before it is used (ONNX requires it)."""
    made = {i.name for i in graph.input} | {t.name for t in graph.initializer} | {""}
    order, todo = [], list(graph.node)
    while todo:
        ready = [n for n in todo if all(i in made for i in n.input)]
        if not ready:
            raise ValueError("graph has a cycle or an input nothing makes")
        for n in ready:
            made.update(n.output)
        order += ready
        done = {id(n) for n in ready}
        todo = [n for n in todo if id(n) not in done]
    del graph.node[:]
    graph.node.extend(order)


@dataclass
class Decomposed:
    """What ``decompose`` did: per FFN, the outlier input channels and hidden units."""

    fp32_names: list  # side-path matmuls, to stay out of quantisation
    layers: list  # per FFN: {"input": [channels], "pieces": [...], "hidden": [units]}


def decompose(src: Union[str, Path], dst: Union[str, Path], model_dir: Union[str, Path],
              settings: OutlierSettings, texts: Sequence[str] = ()) -> Decomposed:
    """Write to ``dst`` the fused fp32 graph of ``src`` with the outlier channels of every FFN
    taken out of its quantised matmuls, same outputs (module docstring)."""
    import onnx

    model = onnx.load(str(src))
    ffns = find_ffns(model.graph)
    names = sorted({n for f in ffns for n in (f.up.input[0], f.down.input[0])})
    amax = channel_max(model, Path(model_dir), names, texts or calibration_texts(settings)) if ffns else {}
    w, new, done = _Weights(model.graph), [], Decomposed([], [])
    for k, ffn in enumerate(ffns):
        hidden, inp = outliers(amax[ffn.down.input[0]], settings), outliers(amax[ffn.up.input[0]], settings)
        if len(hidden):
            new += side_path(w, ffn, hidden, f"ffn{k}_hidden")
            done.fp32_names += [f"ffn{k}_hidden_up", f"ffn{k}_hidden_down"]
        cuts = pieces(amax[ffn.up.input[0]], inp)
        if len(inp):
            new += split_input(w, ffn.up, inp, cuts, f"ffn{k}_input")
        done.layers.append({"input": inp.tolist(), "pieces": cuts.tolist(), "hidden": hidden.tolist()})
    model.graph.node.extend(new)
    _toposort(model.graph)
    onnx.save(model, str(dst))
    return done
