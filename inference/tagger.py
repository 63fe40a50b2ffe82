"""The token classifier at serving time: a fine-tuned BERT loaded once from a model folder.

``load_tagger()`` loads the embedded default model (``models/default``) with no network;
``TorchTagger.predict_entities(texts)`` gives, per text, character spans GLiNER-style.
The text path (tokenising, windows, merging, BIO decoding) is ``inference.windows``, the
same one training uses. torch and transformers are imported lazily.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from .config import default_model_dir
from .data import Span
from .windows import Encoding, decode, encode, length_batches, merge_probs, softmax

MODEL_INFO = "govie_model.json"
"""Written by training next to the weights: version, window settings, label list."""

Regions = Optional[Sequence[tuple[int, int]]]


class ModelNotFound(FileNotFoundError):
    """No model folder (config.json + weights) where one was expected."""


def read_model_info(path: Union[str, Path]) -> dict[str, Any]:
    p = Path(path) / MODEL_INFO
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}


class TorchTagger:
    """A ``BertForTokenClassification`` with its tokenizer and label map.

    Windows of all texts are batched by length; the windows of one text are merged by
    averaging token probabilities; spans carry the mean probability of their tags."""

    constrained = True  # decode by constrained BIO Viterbi; False: per-token argmax

    def __init__(self, model: Any, tokenizer: Any, max_length: int = 256, stride: int = 32,
                 batch_size: int = 16, model_version: str = "unversioned",
                 char_map: Optional[dict[str, str]] = None):
        self.model = model
        self.char_map = dict(char_map or {})
        self.tokenizer = tokenizer
        self.max_length = int(max_length)
        self.stride = int(stride)
        self.batch_size = int(batch_size)
        self.model_version = model_version
        self.id2label = {int(k): v for k, v in model.config.id2label.items()}
        names = [self.id2label[k].split("-", 1)[-1] for k in sorted(self.id2label)]
        self.labels = tuple(dict.fromkeys(n for n in names if n != "O"))

    @classmethod
    def from_dir(cls, path: Union[str, Path], threads: Optional[int] = None,
                 batch_size: int = 16) -> "TorchTagger":
        import torch
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        path = Path(path)
        if not (path / "config.json").is_file():
            raise ModelNotFound(f"no token-classifier model in {path} (config.json missing); "
                                "train one with `govie train` or pass the model folder")
        if threads:
            torch.set_num_threads(threads)
        info = read_model_info(path)
        tok = AutoTokenizer.from_pretrained(str(path))
        model = AutoModelForTokenClassification.from_pretrained(str(path), dtype=torch.float32)
        model.eval()
        return cls(model, tok, max_length=info.get("max_length", 256),
                   stride=info.get("stride", 32), batch_size=batch_size,
                   model_version=info.get("model_version", path.name),
                   char_map=info.get("char_map"))

    def encode(self, text: str, regions: Regions = None) -> Encoding:
        return encode(text, self.tokenizer, self.max_length, self.stride, regions, self.char_map)

    def logits(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The model's logits of one padded batch (eval mode, no gradients)."""
        import torch

        was_training = self.model.training
        self.model.eval()
        with torch.inference_mode():
            z = self.model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).logits
        if was_training:
            self.model.train()
        return z.float().numpy()

    def window_probs(self, encs: Sequence[Encoding]) -> list[list[np.ndarray]]:
        """Softmax probabilities of every window of every encoding (batched by length;
        the runtime's ``logits`` runs each batch)."""
        flat = [(i, j) for i, e in enumerate(encs) for j in range(len(e.windows))]
        seqs = [encs[i].windows[j].input_ids for i, j in flat]
        out: list[list[Any]] = [[None] * len(e.windows) for e in encs]
        for rows, ids, mask in length_batches(seqs, self.batch_size, self.tokenizer.pad_token_id or 0):
            probs = softmax(self.logits(ids, mask))
            for r, k in enumerate(rows):
                i, j = flat[k]
                out[i][j] = probs[r, :len(seqs[k])]
        return out

    def predict_entities(self, texts: list[str],
                         regions: Optional[Sequence[Regions]] = None) -> list[list[Span]]:
        """Per text, the entity spans (offsets into that text), optionally only inside
        ``regions[i]`` (e.g. the narrative blocks)."""
        if isinstance(texts, str):
            raise TypeError("predict_entities takes a list of texts, not one string")
        regs = list(regions) if regions is not None else [None] * len(texts)
        if len(regs) != len(texts):
            raise ValueError("regions must give one entry per text")
        encs = [self.encode(t, r) for t, r in zip(texts, regs)]
        probs = self.window_probs(encs)
        out: list[list[Span]] = []
        for enc, wp in zip(encs, probs):
            if not enc.windows:
                out.append([])
                continue
            out.append(decode(enc, merge_probs(enc, wp), self.id2label,
                              constrained=self.constrained))
        return out


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
