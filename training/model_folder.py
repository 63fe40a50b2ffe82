"""A training run's result and its model folder: ``Run`` (what a run gives), ``save`` (the
weights in fp16, tokenizer, labels, recipe, dev ids, metrics, ``govie_model.json`` and the
card), ``load_dev_run`` (a finished dev-split run read back for a refit), the fast-path
export, and where the run trained (``machine``)."""
from __future__ import annotations

import copy
import dataclasses
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from inference.config import label_set
from inference.tagger import MODEL_INFO

from .card import write_card
from .config import TrainConfig
from .data import DataSummary

log = logging.getLogger("govie.train")


@dataclass
class Run:
    """What one training run (or a finished dev-split run read back) gives: the best model
    (by dev F1, or the last one without dev), its history and the figures the card shows."""

    model: Any
    tokenizer: Any
    history: list
    best: dict
    dev_scores: Optional[dict]
    summary: dict
    dev_ids: list
    seconds: float
    teacher: Optional[dict] = None
    ner_stage: Optional[dict] = None
    selection_dev_ids: list = field(default_factory=list)


def load_dev_run(path: Path) -> Run:
    """The selection facts of a finished dev-split run (its model folder; no weights)."""
    m = json.loads((path / "metrics.json").read_text(encoding="utf-8"))
    ids = json.loads((path / "dev_ids.json").read_text(encoding="utf-8"))
    if not ids or not m.get("dev"):
        raise ValueError(f"{path} was not trained with a dev split: nothing to refit from")
    return Run(None, None, m["history"], m["best"], m["dev"],
               {k: DataSummary(**v) for k, v in m["data"].items()}, ids, m["train_seconds"],
               ner_stage=m.get("dev_ner_stage"))


def model_version(out: Path) -> str:
    import hashlib

    w = out / "model.safetensors"
    h = hashlib.sha256(w.read_bytes()).hexdigest()[:8] if w.is_file() else "nohash"
    return f"{out.name}-{time.strftime('%Y%m%d')}-{h}"


def save(run: Run, cfg: TrainConfig, out: Path, extra: dict[str, Any]) -> None:
    import torch

    out.mkdir(parents=True, exist_ok=True)
    model = run.model
    if cfg.fp16_weights:
        model = copy.deepcopy(model).to(torch.float16)
    model.save_pretrained(str(out))
    run.tokenizer.save_pretrained(str(out))
    labels = label_set()
    (out / "labels.json").write_text(json.dumps(
        {"labels": list(labels.labels), "bio": list(labels.bio)}, ensure_ascii=False, indent=1),
        encoding="utf-8")
    (out / "train_config.yaml").write_text(
        yaml.safe_dump(dataclasses.asdict(cfg), allow_unicode=True, sort_keys=False), encoding="utf-8")
    for name in ("dev_ids", "selection_dev_ids"):  # dev_ids: held out from these very weights
        if getattr(run, name):
            (out / f"{name}.json").write_text(json.dumps(getattr(run, name), indent=1), encoding="utf-8")
        elif (out / f"{name}.json").exists():
            (out / f"{name}.json").unlink()
    metrics = {"history": run.history, "best": run.best, "dev": run.dev_scores,
               "dev_ner_stage": run.ner_stage, "train_seconds": round(run.seconds, 1),
               "data": {k: dataclasses.asdict(v) for k, v in run.summary.items()},
               "machine": machine(), **extra}
    (out / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8")
    info = {"model_version": model_version(out), "max_length": cfg.max_length, "stride": cfg.stride,
            "labels": list(labels.labels), "base_model": cfg.base_model, "init_from": cfg.init_from,
            "weights_dtype": "float16" if cfg.fp16_weights else "float32", "char_map": dict(cfg.char_map),
            "num_layers": int(run.model.config.num_hidden_layers), "distilled_from": run.teacher}
    (out / MODEL_INFO).write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    write_card(out, cfg, metrics, info)


def machine() -> dict[str, Any]:
    """Where the run trained, as the card reports it."""
    import platform

    import torch

    return {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "processor": platform.processor() or platform.machine(), "torch": torch.__version__}


def export_fast_path(out: Path) -> None:
    """The int8 ONNX file of the new weights (``inference.onnx_runtime``), so the fast path
    serves them; skipped with a note where onnxruntime is not installed."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        log.warning("onnxruntime not installed: no ONNX export; run `govie export-onnx --model %s` later", out)
        return
    from .export import export_onnx

    paths = export_onnx(out, keep_fp32=False)
    log.info("fast path: %s", ", ".join(f"{p} ({p.stat().st_size / 1e6:.1f} MB)" for p in paths.values()))
