"""The fast CPU path: the token classifier exported to ONNX and quantised to int8.

The export (``govie export-onnx``, ``training/export.py``: it needs torch) writes
``DIR/onnx/model.int8.onnx`` (and the fp32 ``model.onnx``) with ``export.json`` naming the
weights exported: an export of older weights is never served (``stale_reason``). ``OnnxTagger`` runs them with onnxruntime and needs
neither torch nor transformers: the tokenizer is read with ``tokenizers`` from
``tokenizer.json``; tokenising, windows, merging and decoding are
``inference.runtime.ModelTagger``'s — one text path for both runtimes.

The session options (threads, spinning, execution mode, graph level, graph rewrites left
out) are settings in ``configs/runtime.yaml`` (``session_options``).

``load_tagger(runtime="auto")`` picks ONNX int8 when ``DIR/onnx/model.int8.onnx`` exists and
onnxruntime imports (``onnx_ready``), else torch.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from .errors import ConfigError
from .runtime import MODEL_INFO, ModelNotFound, ModelTagger, read_model_info

ONNX_DIR = "onnx"
INT8 = "model.int8.onnx"
FP32 = "model.onnx"


EXPORT_INFO = "export.json"


def weights_id(path: Union[str, Path]) -> Optional[str]:
    """A short hash of the folder's ``model.safetensors`` (None without one). Hashed once
    per file version (path, size, mtime): loading checks it several times."""
    w = Path(path) / "model.safetensors"
    if not w.is_file():
        return None
    st = w.stat()
    return _file_hash(str(w.resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=32)
def _file_hash(path: str, size: int, mtime_ns: int) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()[:16]


def stale_reason(path: Union[str, Path]) -> Optional[str]:
    """Why ``path/onnx`` does not belong to the weights beside it (None when it does, or
    when the folder ships ONNX only): an export of older weights must not be served."""
    path = Path(path)
    current = weights_id(path)
    if current is None:
        return None
    info_file = path / ONNX_DIR / EXPORT_INFO
    if not info_file.is_file():
        return f"{info_file} missing: cannot tell which weights were exported"
    exported = json.loads(info_file.read_text(encoding="utf-8")).get("weights")
    if exported != current:
        return f"{path / ONNX_DIR} was exported from other weights ({exported} != {current})"
    return None


def onnx_ready(path: Union[str, Path], file: str = INT8) -> bool:
    """True when the model folder has an exported ``file`` of its current weights and
    onnxruntime imports."""
    if not (Path(path) / ONNX_DIR / file).is_file() or stale_reason(path):
        return False
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


OPT_LEVELS = {"disable": "ORT_DISABLE_ALL", "basic": "ORT_ENABLE_BASIC",
              "extended": "ORT_ENABLE_EXTENDED", "all": "ORT_ENABLE_ALL"}
MODES = {"sequential": "ORT_SEQUENTIAL", "parallel": "ORT_PARALLEL"}
SETTINGS = ("intra_op_threads", "allow_spinning", "execution_mode", "graph_optimization_level",
            "disabled_optimizers")


def _checked(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` when every key and named value is known, else ConfigError."""
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise ConfigError(f"configs/runtime.yaml onnx: unknown settings {unknown}; known: {list(SETTINGS)}")
    for key, table in (("execution_mode", MODES), ("graph_optimization_level", OPT_LEVELS)):
        if key in settings and settings[key] not in table:
            raise ConfigError(f"configs/runtime.yaml onnx: {key}={settings[key]!r}, not one of {list(table)}")
    return settings


def session_options(threads: Optional[int] = None, settings: Optional[dict[str, Any]] = None) -> Any:
    """onnxruntime ``SessionOptions`` from ``settings`` (default: the ``onnx`` section of
    configs/runtime.yaml); ``threads`` (a worker's share of the cores) wins over the
    configured ``intra_op_threads``. Threads, spinning, execution mode and graph level never
    change the model's output; ``disabled_optimizers`` keeps the graph as exported."""
    import onnxruntime as ort

    from .config import load_config

    cfg = _checked(dict(load_config("runtime")["onnx"] if settings is None else settings))
    opts = ort.SessionOptions()
    n = threads or int(cfg.get("intra_op_threads") or 0)
    if n:
        opts.intra_op_num_threads = n
    spin = "1" if cfg.get("allow_spinning", True) else "0"
    opts.add_session_config_entry("session.intra_op.allow_spinning", spin)
    opts.execution_mode = getattr(ort.ExecutionMode, MODES[cfg.get("execution_mode", "sequential")])
    level = OPT_LEVELS[cfg.get("graph_optimization_level", "all")]
    opts.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
    skip = cfg.get("disabled_optimizers") or []
    if isinstance(skip, str) or not all(isinstance(x, str) for x in skip):
        raise ConfigError(f"configs/runtime.yaml onnx: disabled_optimizers={skip!r}, not a list of names")
    if skip:
        opts.add_session_config_entry("optimization.disable_specified_optimizers", ";".join(skip))
    return opts


class FastTokenizer:
    """The few members of a Hugging Face tokenizer that ``inference.windows`` uses, on top of
    the ``tokenizers`` library (no transformers needed)."""

    def __init__(self, path: Union[str, Path]):
        from tokenizers import Tokenizer

        p = Path(path)
        self._tok = Tokenizer.from_file(str(p / "tokenizer.json"))
        self._tok.no_truncation()
        self._tok.no_padding()
        cfg = {}
        if (p / "tokenizer_config.json").is_file():
            cfg = json.loads((p / "tokenizer_config.json").read_text(encoding="utf-8"))

        def tid(name: str, default: str) -> Optional[int]:
            tok = cfg.get(name, default)
            if isinstance(tok, dict):
                tok = tok.get("content", default)
            return self._tok.token_to_id(tok) if tok else None

        self.cls_token_id = tid("cls_token", "[CLS]")
        self.sep_token_id = tid("sep_token", "[SEP]")
        self.pad_token_id = tid("pad_token", "[PAD]") or 0

    def __call__(self, text: str, add_special_tokens: bool = False,
                 return_offsets_mapping: bool = True, verbose: bool = False) -> dict:
        enc = self._tok.encode(text, add_special_tokens=add_special_tokens)
        return {"input_ids": list(enc.ids), "offset_mapping": list(enc.offsets)}


def _tokenizer(path: Path) -> Any:
    if (path / "tokenizer.json").is_file():
        return FastTokenizer(path)
    from transformers import AutoTokenizer  # a model folder without tokenizer.json

    return AutoTokenizer.from_pretrained(str(path))


class OnnxTagger(ModelTagger):
    """A token classifier run by onnxruntime: only loading and ``logits`` are its own."""

    runtime = "onnx"

    def __init__(self, session: Any, tokenizer: Any, id2label: dict[int, str],
                 max_length: int = 256, stride: int = 32, batch_size: int = 16,
                 model_version: str = "unversioned", file: str = INT8,
                 char_map: Optional[dict[str, str]] = None):
        super().__init__(tokenizer, id2label, max_length, stride, batch_size, model_version, char_map)
        self.session = session
        self.file = file
        self._inputs = [i.name for i in session.get_inputs()]

    @classmethod
    def from_dir(cls, path: Union[str, Path], file: str = INT8, threads: Optional[int] = None,
                 batch_size: int = 16) -> "OnnxTagger":
        import onnxruntime as ort

        path = Path(path)
        onnx_path = path / ONNX_DIR / file
        if not onnx_path.is_file():
            raise ModelNotFound(f"no ONNX model at {onnx_path}; run `govie export-onnx --model {path}`")
        stale = stale_reason(path)
        if stale:
            raise ModelNotFound(f"{stale}; run `govie export-onnx --model {path}` again")
        cfg = json.loads((path / "config.json").read_text(encoding="utf-8"))
        info = read_model_info(path)
        sess = ort.InferenceSession(str(onnx_path), session_options(threads),
                                    providers=["CPUExecutionProvider"])
        return cls(sess, _tokenizer(path), cfg["id2label"], info.get("max_length", 256),
                   info.get("stride", 32), batch_size,
                   info.get("model_version", path.name) + ("" if file == INT8 else "+fp32"), file,
                   char_map=info.get("char_map"))

    def logits(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        return self.session.run(["logits"], {k: v for k, v in feed.items() if k in self._inputs})[0]


__all__ = ["OnnxTagger", "onnx_ready", "session_options", "stale_reason", "weights_id", "FastTokenizer",
           "MODEL_INFO"]
