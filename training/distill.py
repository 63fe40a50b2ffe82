"""Knowledge distillation: a smaller, faster student learns from a fine-tuned teacher.

    student = the teacher's embeddings, its encoder layers ``teacher_layers``, its head
    loss    = (1 - kd_alpha) * CE(gold labels) + kd_alpha * T^2 * KL(teacher_T || student_T)
              over the real tokens of every window (special and padding positions left out)

The training windows are fixed (no augmentation), so the teacher's logits are computed once
per window before the first step, not at every step. A teacher used while choosing the epoch
on dev must not have been trained on the dev documents (``check_teacher``): its dev figures
would leak into the student's.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from inference.config import label_set
from inference.windows import length_batches


def load_teacher(path: Path) -> Any:
    """The fine-tuned token classifier at ``path`` in eval mode, as float32."""
    import torch
    from transformers import AutoModelForTokenClassification

    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"teacher model not found: {path} (config.json missing)")
    model = AutoModelForTokenClassification.from_pretrained(str(path), dtype=torch.float32)
    old = [model.config.id2label[i] for i in range(model.config.num_labels)]
    if old != list(label_set().bio):
        raise ValueError(f"teacher {path} was trained on labels {old}; configs/labels.yaml now has "
                         f"{list(label_set().bio)}")
    return model.eval()


def check_teacher(path: Path, dev_ids: Sequence[str]) -> None:
    """Raise when the teacher at ``path`` may have seen a document of ``dev_ids``: only a
    teacher whose own held-out ids (``training.evaluate.dev_ids_of``) hold every one of them
    is safe for a dev-split run."""
    from .evaluate import dev_ids_of

    if not dev_ids:
        return
    try:
        ids, trained_on = dev_ids_of(path)  # selection_dev_ids.json (a refit) were trained on
    except FileNotFoundError:
        ids, trained_on = [], None
    held_out = set() if trained_on else set(ids)
    seen = sorted(set(dev_ids) - held_out)
    if seen:
        raise ValueError(
            f"teacher {path} was trained on {len(seen)} of the {len(dev_ids)} dev documents "
            f"(e.g. {seen[0]}): dev figures would be inflated. Use a teacher from a dev-split run "
            "with the same seed and dev_fraction, and a refit teacher (refit_teacher) for the refit")


def encoder_layers(model: Any) -> Any:
    """The list of encoder layers of a BERT-family model."""
    try:
        return model.base_model.encoder.layer
    except AttributeError as exc:
        raise ValueError(f"{type(model).__name__}: distillation needs a BERT-style "
                         "encoder (base_model.encoder.layer)") from exc


def student_from_teacher(teacher: Any, layers: Sequence[int]) -> Any:
    """A copy of ``teacher`` keeping only the encoder layers ``layers`` (in that order)."""
    import torch

    n = len(encoder_layers(teacher))
    bad = [i for i in layers if not 0 <= int(i) < n]
    if not layers or bad or len(set(layers)) != len(layers):
        raise ValueError(f"teacher_layers must be distinct layer indexes in [0, {n}), got {list(layers)}")
    student = copy.deepcopy(teacher)
    src = encoder_layers(teacher)
    student.base_model.encoder.layer = torch.nn.ModuleList(copy.deepcopy(src[int(i)]) for i in layers)
    student.config.num_hidden_layers = len(layers)
    return student.train()


def teacher_logits(teacher: Any, input_ids: Sequence[Sequence[int]], batch_size: int = 16,
                   pad_id: int = 0) -> list[np.ndarray]:
    """The teacher's logits of every window (float16, one ``[len, labels]`` array each),
    computed in length-sorted batches (``inference.windows.length_batches``)."""
    import torch

    out: list[Optional[np.ndarray]] = [None] * len(input_ids)
    with torch.inference_mode():
        for rows, ids, mask in length_batches(input_ids, batch_size, pad_id):
            z = teacher(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).logits
            z = z.float().numpy()
            for r, i in enumerate(rows):
                out[i] = z[r, :len(input_ids[i])].astype(np.float16)
    return out  # type: ignore[return-value]


def padded(soft: Sequence[np.ndarray], rows: Sequence[int], width: int) -> Any:
    """The teacher logits of dataset rows ``rows`` as one ``[batch, width, labels]`` tensor."""
    import torch

    n_labels = soft[rows[0]].shape[-1]
    out = np.zeros((len(rows), width, n_labels), dtype=np.float32)
    for r, i in enumerate(rows):
        out[r, :len(soft[i])] = soft[i]
    return torch.from_numpy(out)


def kd_loss(student: Any, teacher: Any, labels: Any, temperature: float = 2.0) -> Any:
    """``T^2 * KL(softmax(teacher/T) || softmax(student/T))`` averaged over the positions
    whose label is not -100 (the real tokens)."""
    import torch.nn.functional as F

    keep = labels != -100
    if not bool(keep.any()):
        return student.sum() * 0.0
    s = F.log_softmax(student[keep] / temperature, dim=-1)
    t = F.log_softmax(teacher[keep] / temperature, dim=-1)
    return F.kl_div(s, t, log_target=True, reduction="batchmean") * temperature ** 2
