"""The torch runtime adapter: a ``BertForTokenClassification`` (transformers, fp32).

Only loading and ``logits`` are this runtime's own; the text path is
``inference.runtime.ModelTagger``'s. torch and transformers are imported lazily.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from .runtime import ModelNotFound, ModelTagger, read_model_info


class TorchTagger(ModelTagger):
    """A fine-tuned ``BertForTokenClassification`` (training evaluates its model this way)."""

    runtime = "torch"

    def __init__(self, model: Any, tokenizer: Any, max_length: int = 256, stride: int = 32,
                 batch_size: int = 16, model_version: str = "unversioned",
                 char_map: Optional[dict[str, str]] = None):
        super().__init__(tokenizer, model.config.id2label, max_length, stride, batch_size,
                         model_version, char_map)
        self.model = model

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
