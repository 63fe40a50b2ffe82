"""The training recipe: ``configs/train.yaml`` plus ``--set key=value`` overrides."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import yaml


@dataclass
class TrainConfig:
    base_model: str = "zh-char-e5-small"  # the project's base encoder, a local folder or an HF model id
    init_from: Optional[str] = None  # a fine-tuned model folder to continue from
    sets: Union[str, list] = "all"  # annotation set folders, or "all"
    out_dir: str = "models/default"
    num_layers: Optional[int] = 6  # keep the lower N encoder layers (None: all)
    max_length: int = 256
    stride: int = 32
    batch_size: int = 8
    epochs: int = 20
    patience: int = 4  # epochs without a better dev F1 before stopping
    lr_body: float = 1e-4
    lr_head: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.06  # fraction of the steps
    grad_clip: float = 1.0
    dev_fraction: float = 0.15
    seed: int = 13
    threads: int = 2
    max_steps: Optional[int] = None  # stop after this many steps (smoke tests)
    max_minutes: Optional[float] = None  # stop (after the current epoch's eval) past this wall time
    checkpoint: bool = True  # keep the best weights so far in <out_dir>.best while training
    fp16_weights: bool = True  # save weights in fp16 (loaded back as fp32)
    refit_all: bool = False  # after selecting the epoch on dev, retrain on all documents
    refit_from: Optional[str] = None  # skip the dev run: take epoch and dev figures from this model folder
    eval_batch_size: int = 16
    export_onnx: bool = False  # also write onnx/model.int8.onnx (the fast path) of the new weights
    teacher: Optional[str] = None  # distil from this fine-tuned model (training.distill)
    teacher_layers: Optional[list] = None  # start the student from these teacher layers
    refit_teacher: Optional[str] = None  # teacher of the refit run (default: teacher)
    kd_alpha: float = 0.5  # weight of the distillation loss against the gold labels
    kd_temperature: float = 2.0
    char_map: dict = field(default_factory=dict)  # one-for-one character replacements before tokenising
    history: list = field(default_factory=list)  # what was tried: [{change, result}] for the card
    targets: dict = field(default_factory=dict)  # dev F1 to reach, per label or "micro" (card)

    def __post_init__(self) -> None:
        if not 0.0 <= self.kd_alpha <= 1.0:
            raise ValueError(f"kd_alpha must be in [0, 1], got {self.kd_alpha}")
        if self.kd_temperature <= 0:
            raise ValueError(f"kd_temperature must be positive, got {self.kd_temperature}")
        if self.teacher_layers and not (self.teacher or (self.refit_from and self.refit_teacher)):
            raise ValueError("teacher_layers needs a teacher (teacher=DIR) to cut the student from: "
                             "without one the dev-split run would train another architecture")


def parse_value(text: str) -> Any:
    return yaml.safe_load(text) if text != "" else None


def read_recipe(path: Union[str, Path], seen: tuple = ()) -> dict[str, Any]:
    """The settings of a recipe file. ``extends: other.yaml`` (relative to the file) reads
    that recipe first and overrides it key by key; ``history`` lists are joined, the
    extended recipe's entries first."""
    p = Path(path)
    if not p.is_file() and not p.is_absolute():
        from inference.config import ROOT

        p = ROOT / p if (ROOT / p).is_file() else p
    if not p.is_file():
        raise FileNotFoundError(f"training config not found: {p}")
    if p.resolve() in seen:
        raise ValueError(f"{p}: recipes extend each other in a loop")
    data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{p}: expected a mapping of settings")
    base = data.pop("extends", None)
    if base is None:
        return data
    merged = read_recipe(p.parent / base, seen + (p.resolve(),))
    history = (merged.get("history") or []) + (data.pop("history", None) or [])
    merged.update(data)
    if history:
        merged["history"] = history
    return merged


DEFAULT_RECIPE = "configs/train.yaml"
# settings of older recipes that no longer mean anything, and why (dropped with a warning)
RETIRED = {"excluded_blocks": "the model reads the block kinds of read_blocks in configs/patterns.yaml, "
                              "in training as in serving"}


def load_train_config(path: Optional[Union[str, Path]] = None,
                      overrides: Sequence[str] = ()) -> TrainConfig:
    """The recipe of ``path`` (default: ``configs/train.yaml``; a YAML mapping of TrainConfig
    fields, ``extends`` followed) with ``key=value`` overrides applied (values parsed as YAML:
    ``epochs=3``, ``sets=[a,b]``). The one way a recipe is read."""
    data: dict[str, Any] = read_recipe(path if path is not None else DEFAULT_RECIPE)
    return from_settings(with_overrides(data, overrides))


def with_overrides(data: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """``data`` with ``key=value`` overrides applied (values parsed as YAML: ``epochs=3``,
    ``sets=[a,b]``); the one parser of ``--set`` for every recipe."""
    data = dict(data)
    for item in overrides:
        if "=" not in item:
            raise ValueError(f"--set expects key=value, got {item!r}")
        k, v = item.split("=", 1)
        data[k.strip()] = parse_value(v.strip())
    return data


def from_settings(data: dict[str, Any], cls: type = TrainConfig, what: str = "training") -> Any:
    """A checked ``cls`` (a ``TrainConfig``, or another recipe dataclass such as
    ``training.pretrain.PretrainConfig``) from a mapping of settings (a recipe, or the
    ``train_config.yaml`` a model folder keeps): retired settings dropped (training recipes),
    unknown ones refused, numbers YAML left as strings coerced."""
    import warnings

    data = dict(data)
    for key in sorted(set(data) & set(RETIRED)) if cls is TrainConfig else ():
        warnings.warn(f"training setting {key!r} is retired and ignored: {RETIRED[key]}", stacklevel=2)
        del data[key]
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown {what} setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    for f in dataclasses.fields(cls):  # YAML reads 2e-4 as a string: coerce numbers
        if f.name in data and isinstance(f.default, (int, float)) and not isinstance(f.default, bool) \
                and isinstance(data[f.name], str):
            try:
                data[f.name] = type(f.default)(float(data[f.name]))
            except ValueError as exc:
                raise ValueError(f"{f.name}: expected a number, got {data[f.name]!r}") from exc
    return cls(**data)
