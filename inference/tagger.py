"""The token classifier at serving time: a fine-tuned BERT loaded once from a model folder.

``load_tagger()`` loads the embedded default model (``models/default``) with no network, on
the runtime that fits (``pick_runtime``: the ONNX int8 fast path when exported, else torch).
Each runtime is an adapter of ``inference.runtime.ModelTagger`` (one text path, only
``logits`` differs): ``inference/torch_runtime.py``, ``inference/onnx_runtime.py``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional, Union

from .config import default_model_dir
from .runtime import MODEL_INFO, ModelNotFound, ModelTagger, read_model_info
from .torch_runtime import TorchTagger

__all__ = ["MODEL_INFO", "ModelNotFound", "ModelTagger", "TorchTagger", "RUNTIMES", "load_tagger",
           "model_problem", "pick_runtime", "read_model_info"]


def _has_weights(path: Path) -> bool:
    return (path / "config.json").is_file() and any(path.glob("*.safetensors"))


def _load_onnx(path: Path, threads: Optional[int] = None) -> Any:
    from .onnx_runtime import OnnxTagger

    return OnnxTagger.from_dir(path, threads=threads)


RUNTIMES: dict[str, Callable[..., Any]] = {"torch": TorchTagger.from_dir, "onnx": _load_onnx}
"""Runtime name -> loader of a model folder (``loader(path, threads=None)``)."""


def pick_runtime(path: Path) -> str:
    """The runtime ``auto`` chooses for a model folder: ONNX int8 when exported
    (``govie export-onnx``) and onnxruntime imports, else torch."""
    from .onnx_runtime import onnx_ready

    return "onnx" if onnx_ready(path) else "torch"


def _no_model(p: Path) -> bool:
    return not p.is_dir() or not (p / "config.json").is_file()


def model_problem(path: Union[str, Path]) -> Optional[str]:
    """Why the model folder ``path`` cannot be served here (None: it can), without
    loading it: no model files, or neither runtime (ONNX export + onnxruntime, or torch +
    transformers + safetensors weights) available."""
    from importlib.util import find_spec

    p = Path(path)
    if _no_model(p):
        return f"no token-classifier model in {p} (no config.json)"
    if pick_runtime(p) == "onnx":
        return None
    missing = [m for m in ("torch", "transformers") if find_spec(m) is None]
    if missing:
        return (f"no model runtime for {p}: {', '.join(missing)} not installed and no "
                "current ONNX export (install govie[torch] or run `govie export-onnx`)")
    if not _has_weights(p):
        return f"{p} has no *.safetensors weights for the torch runtime"
    return None


def load_tagger(path: Union[str, Path, None] = None, runtime: str = "auto",
                threads: Optional[int] = None) -> Any:
    """The tagger of a model folder (default: the embedded ``models/default``), loaded once.

    ``runtime``: ``auto`` or one of ``RUNTIMES``; ``threads``: CPU threads of the model
    (default: the runtime's, all cores)."""
    p = Path(path) if path is not None else default_model_dir()
    if _no_model(p):
        raise ModelNotFound(f"no token-classifier model in {p}; train one with "
                            "`govie train --config configs/train.yaml` or pass its folder")
    name = pick_runtime(p) if runtime == "auto" else runtime
    if name not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}; known: auto, {', '.join(RUNTIMES)}")
    if name == "torch" and not _has_weights(p):
        raise ModelNotFound(f"{p} has no *.safetensors weights for the torch runtime")
    return RUNTIMES[name](p, threads=threads)
