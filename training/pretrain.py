"""Domain-adaptive pretraining: masked language modelling of the base encoder on report text.

    corpus = unlabelled report text (``corpus`` of configs/pretrain.yaml: .txt files, or
             .jsonl / .jsonl.xz with a ``text`` field) + the training side of the annotation
             sets (their text only; the dev documents are never read)
    blocks = the texts tokenised as the tagger reads them (``char_map``), joined by [SEP] and
             cut into ``max_length`` blocks
    model  = the lower ``num_layers`` layers of the base encoder + a masked-LM head tied to the
             word embeddings; masking by transformers' DataCollatorForLanguageModeling
    loss   = cross-entropy at the masked positions (the head runs on those alone)

The result is an encoder folder that ``base_model`` of configs/train.yaml can name; its
``pretrain.json`` records the corpus, the steps and the held-out masked-LM loss before and after.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import lzma
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

from inference.windows import tokenize

from .config import TrainConfig, from_settings, load_train_config, read_recipe, with_overrides
from .data import resolve_path, split_docs, training_docs

log = logging.getLogger("govie.pretrain")


@dataclass
class PretrainConfig:
    base_model: str = "zh-char-e5-small"  # the project's base encoder, a folder or an HF id
    corpus: list = field(default_factory=list)  # files or folders of unlabelled report text
    train_texts: bool = True  # add the text of the recipe's training documents
    recipe: str = "configs/train.yaml"  # whose sets, dev split and char_map are used
    out_dir: str = "models/base-dapt"
    num_layers: int = 6
    max_length: int = 256
    batch_size: int = 16
    lr: float = 1e-4
    weight_decay: float = 0.01
    warmup: float = 0.06
    steps: int = 600
    head_steps: int = 100  # first steps train the new masked-LM head alone (the encoder frozen)
    max_minutes: Optional[float] = None  # stop early past this wall time (the schedule stays)
    mlm_probability: float = 0.15
    heldout_blocks: int = 48  # blocks kept out of training to report the masked-LM loss
    seed: int = 13
    threads: int = 2

    def __post_init__(self) -> None:
        if not 0.0 < self.mlm_probability < 1.0:
            raise ValueError(f"mlm_probability must be in (0, 1), got {self.mlm_probability}")
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError("steps and batch_size must be positive")


def load_pretrain_config(path: str | Path = "configs/pretrain.yaml",
                         overrides: Sequence[str] = ()) -> PretrainConfig:
    """The recipe of ``path`` with ``key=value`` overrides, read as training recipes are
    (``training.config``: ``extends``, overrides parsed as YAML, unknown settings refused)."""
    return from_settings(with_overrides(read_recipe(path), overrides), PretrainConfig, "pretraining")


def read_texts(path: Path) -> Iterator[str]:
    """The texts of one corpus file: a .txt file is one text; a .jsonl(.xz) file holds one
    ``{"text": ...}`` per line."""
    if path.suffix == ".txt":
        yield path.read_text(encoding="utf-8")
        return
    opener = lzma.open if path.suffix == ".xz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield json.loads(line)["text"]
                except (ValueError, KeyError) as exc:
                    raise ValueError(f"{path}:{n}: expected a JSON object with a text field") from exc


def load_corpus(paths: Sequence[str]) -> list[str]:
    """Every text of the corpus files and folders (folders: their .txt, .jsonl and .jsonl.xz
    files, in name order)."""
    texts: list[str] = []
    for name in paths:
        p = resolve_path(name)
        if not p.exists():
            raise FileNotFoundError(f"pretraining corpus not found: {p}")
        files = sorted(f for f in p.rglob("*") if f.name.endswith((".txt", ".jsonl", ".jsonl.xz"))) \
            if p.is_dir() else [p]
        for f in files:
            texts.extend(read_texts(f))
    return texts


def train_side_texts(recipe: TrainConfig) -> list[str]:
    """The text of the documents the recipe trains on: its training side of
    ``split_docs``, the split its runs use (the dev documents are left out)."""
    return [d.text for d in split_docs(training_docs(recipe.sets), recipe.dev_fraction, recipe.seed)[0]]


def blocks(texts: Sequence[str], tokenizer: Any, max_length: int,
           char_map: Optional[dict] = None) -> list[list[int]]:
    """The texts tokenised as the tagger reads them, joined by [SEP] and cut into blocks of
    ``max_length`` tokens ([CLS] ... [SEP])."""
    stream: list[int] = []
    for t in texts:
        stream.extend(tokenize(t, tokenizer, char_map)["input_ids"])
        stream.append(tokenizer.sep_token_id)
    body = max_length - 2
    chunks = (stream[i:i + body] for i in range(0, len(stream), body))
    return [[tokenizer.cls_token_id] + c + [tokenizer.sep_token_id] for c in chunks if len(c) >= body // 4]


def endless(rows: list, batch_size: int, rng: random.Random) -> Iterator[list]:
    """Batches of the rows, reshuffled at every pass."""
    if not rows:
        raise ValueError("no training blocks left after the held-out ones: a larger corpus is needed")
    while True:
        rng.shuffle(rows)
        for b in range(0, len(rows), batch_size):
            yield rows[b:b + batch_size]


def masked_loss(model: Any, batch: dict) -> Any:
    """Cross-entropy of the masked-LM head at the masked positions only."""
    import torch.nn.functional as F

    hidden = model.bert(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    at = batch["labels"] != -100
    return F.cross_entropy(model.cls(hidden[at]), batch["labels"][at])


def heldout_loss(model: Any, collate: Any, rows: list, batch_size: int, seed: int) -> float:
    """Mean masked-LM loss on the held-out blocks (the same masks every time: fixed seed)."""
    import torch

    if not rows:
        return float("nan")
    torch.manual_seed(seed)
    model.eval()
    losses = []
    with torch.no_grad():
        for b in range(0, len(rows), batch_size):
            losses.append(masked_loss(model, collate(rows[b:b + batch_size])).item())
    model.train()
    return sum(losses) / len(losses)


def build(cfg: PretrainConfig) -> tuple[Any, Any]:
    """The masked-LM model (lower ``num_layers`` layers of the base encoder) and tokenizer."""
    import torch
    from transformers import AutoTokenizer, BertForMaskedLM

    from .train import resolve_model

    src = resolve_model(cfg.base_model)
    model = BertForMaskedLM.from_pretrained(src, num_hidden_layers=cfg.num_layers, dtype=torch.float32)
    return model, AutoTokenizer.from_pretrained(src)


def pretrain(cfg: PretrainConfig, progress: bool = True) -> Path:
    """Masked-LM steps on the corpus; writes the encoder folder ``cfg.out_dir``."""
    import torch
    from transformers import DataCollatorForLanguageModeling

    from .train import lr_at, seed_everything

    torch.set_num_threads(cfg.threads)
    rng: random.Random = seed_everything(cfg.seed)
    recipe = load_train_config(cfg.recipe)
    texts = load_corpus(cfg.corpus) + (train_side_texts(recipe) if cfg.train_texts else [])
    if not texts:
        raise ValueError("the pretraining corpus is empty: give corpus files or train_texts: true")
    model, tok = build(cfg)
    rows = [{"input_ids": b} for b in blocks(texts, tok, cfg.max_length, recipe.char_map)]
    rng.shuffle(rows)
    held, rows = rows[:cfg.heldout_blocks], rows[cfg.heldout_blocks:]
    collate = DataCollatorForLanguageModeling(tokenizer=tok, mlm_probability=cfg.mlm_probability,
                                              return_tensors="pt")
    head = [p for n, p in model.named_parameters() if n.startswith("cls.")]
    body = [p for n, p in model.named_parameters() if not n.startswith("cls.")]
    opt = torch.optim.AdamW([{"params": head}, {"params": body}], lr=cfg.lr, weight_decay=cfg.weight_decay)
    warmup = max(1, int(cfg.warmup * cfg.steps))
    before = heldout_loss(model, collate, held, cfg.batch_size, cfg.seed)
    log.info("%d texts, %d blocks of %d tokens (%d held out); held-out MLM loss %.3f",
             len(texts), len(rows), cfg.max_length, len(held), before)
    t0, step, losses = time.time(), 0, []
    for batch in endless(rows, cfg.batch_size, rng):
        if step >= cfg.steps or (cfg.max_minutes and time.time() - t0 > 60 * cfg.max_minutes):
            break
        opt.param_groups[0]["lr"] = cfg.lr * lr_at(step, cfg.steps, warmup)
        opt.param_groups[1]["lr"] = 0.0 if step < cfg.head_steps else \
            cfg.lr * lr_at(step - cfg.head_steps, cfg.steps - cfg.head_steps, warmup)
        loss = masked_loss(model, collate(batch))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        step += 1
        if progress and step % 20 == 0:
            log.info("step %d/%d loss %.3f (%.0fs)", step, cfg.steps, sum(losses[-20:]) / 20, time.time() - t0)
    after = heldout_loss(model, collate, held, cfg.batch_size, cfg.seed)
    log.info("held-out MLM loss %.3f -> %.3f after %d steps (%.0f s)", before, after, step, time.time() - t0)
    return save(model, tok, cfg, {"texts": len(texts), "chars": sum(map(len, texts)),
                                  "blocks": len(rows), "heldout_blocks": len(held), "steps": step,
                                  "heldout_mlm_loss": [round(before, 4), round(after, 4)],
                                  "seconds": round(time.time() - t0, 1)})


def describe(cfg: PretrainConfig, facts: dict) -> str:
    """What a model card says of the encoder written (``training.card``): its base, as that
    base's own card line says, and the pretraining it had."""
    from .card import _base_description

    before, after = facts["heldout_mlm_loss"]
    return (f"`{cfg.base_model}` after masked-LM pretraining on report text (`govie pretrain`, "
            f"training/pretrain.py: {facts['texts']} texts, {facts['chars']:,} characters, {facts['steps']} "
            f"steps of {cfg.batch_size} blocks; masked-LM loss on held-out blocks {before:.2f} -> {after:.2f})"
            + _base_description(cfg.base_model))


def save(model: Any, tok: Any, cfg: PretrainConfig, facts: dict) -> Path:
    """The encoder (without the masked-LM head), its tokenizer and ``pretrain.json`` (with
    its ``description``, made before the folder is overwritten)."""
    out = resolve_path(cfg.out_dir)
    facts = {**facts, "description": describe(cfg, facts)}
    model.bert.save_pretrained(str(out))
    tok.save_pretrained(str(out))
    (out / "pretrain.json").write_text(json.dumps({"recipe": dataclasses.asdict(cfg), **facts},
                                                  ensure_ascii=False, indent=1), encoding="utf-8")
    return out
