"""The model card (README.md of a model folder), written from the run's metrics."""
from __future__ import annotations

import json

from pathlib import Path
from typing import Any, Optional

from .config import TrainConfig, from_settings, read_recipe


def _size_mb(out: Path) -> float:
    return sum(p.stat().st_size for p in out.iterdir() if p.is_file()) / 1e6


def _table(per_label: dict[str, Any], micro: dict[str, Any], macro: dict[str, Any]) -> list[str]:
    rows = ["| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for lab, m in per_label.items():
        if not m["support"] and not m["fp"]:
            rows.append(f"| {lab} | – | – | – | 0 |")
            continue
        rows.append(f"| {lab} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |")
    rows.append(f"| **micro** | {micro['precision']:.3f} | {micro['recall']:.3f} | "
                f"**{micro['f1']:.3f}** | {micro['support']} |")
    rows.append(f"| macro | {macro['precision']:.3f} | {macro['recall']:.3f} | {macro['f1']:.3f} | |")
    return rows


def render_card(cfg: TrainConfig, metrics: dict[str, Any], info: dict[str, Any], size_mb: float) -> str:
    """The card: every figure and claim from the run's own records (recipe, metrics, model
    info), nothing written in here."""
    parts = [_intro(info), _provenance(cfg, info, size_mb), _data(cfg, metrics), _recipe(cfg, info),
             _dev(cfg, metrics), _history(metrics), _tried(cfg), _limits(metrics)]
    return "\n".join(line for part in parts for line in part) + "\n"


def _intro(info: dict[str, Any]) -> list[str]:
    return [f"# govie token classifier — {info['model_version']}", "",
            "A BERT token classifier (BIO over the labels of `configs/labels.yaml`, annotation "
            "standard `docs/LABELS.md`) for the narrative text of Chinese government "
            "information-disclosure annual reports. Served by `inference.tagger.load_tagger()`; "
            "the text path (windows, alignment, decoding) is `inference/windows.py`.", ""]


def _base_description(base_model: str) -> str:
    """What the project's base-encoder recipe says of it; for an encoder of ``govie pretrain``
    (a folder with ``pretrain.json``), the description written with it; nothing otherwise."""
    from inference.config import load_config

    from .data import resolve_path

    recipe = load_config("base_encoder")
    if base_model == recipe["name"]:
        return f". {base_model} = {recipe['description'].strip()}"
    facts = resolve_path(base_model) / "pretrain.json"
    if not facts.is_file():
        return ""
    return " = " + json.loads(facts.read_text(encoding="utf-8"))["description"]


def _provenance(cfg: TrainConfig, info: dict[str, Any], size_mb: float) -> list[str]:
    t = info.get("distilled_from")
    layers = "" if t else (f"; {info.get('num_layers') or cfg.num_layers or 'all'} encoder layers"
                           + ("" if cfg.init_from else " (the lower ones of the base) kept"))
    lines = ["## Provenance",
             f"- Base encoder: `{cfg.base_model}`" + (f", continued from `{cfg.init_from}`" if cfg.init_from else "")
             + layers + _base_description(cfg.base_model) + "."]
    if t:
        lines.append(
            f"- Distilled from the teacher {t['model_version']}"
            + ("" if Path(t["path"]).is_absolute() else f" (`{t['path']}`)")
            + f": the student has {info.get('num_layers')} encoder layers"
            + (f", started from the teacher's layers {t['layers']}" if t["layers"] else "")
            + f"; loss = {1 - t['kd_alpha']:.2f} x cross-entropy on the gold labels + "
            f"{t['kd_alpha']:.2f} x T² KL to the teacher at T = {t['kd_temperature']} (`training/distill.py`).")
    lines += [f"- Weights stored as {info['weights_dtype']} safetensors, loaded as float32; "
              f"weights and tokenizer {size_mb:.1f} MB on disk"
              + ("; the int8 ONNX file of the fast path (`onnx/`) adds about half as much." if cfg.export_onnx else "."),
              f"- Labels: {', '.join(info['labels'])}.", ""]
    return lines


def _data(cfg: TrainConfig, metrics: dict[str, Any]) -> list[str]:
    lines = ["## Training data",
             f"- Annotation sets: `{cfg.sets}`; split by report (sha1 of seed:report < "
             f"{cfg.dev_fraction} → dev, seed {cfg.seed}; a pulled task `<report>@<offset>` goes with its report); the dev doc ids are in "
             + ("`selection_dev_ids.json` (held out only in the selection run; the shipped weights saw them)."
                if metrics.get("refit_all") else "`dev_ids.json` (never trained on by these weights)."),
             "- The text the model reads when it serves (`inference.ner.model_regions`: the block "
             "kinds in `read_blocks` of `configs/patterns.yaml`; the text minus page chrome where the "
             "segmenter gives no blocks); training and dev figures use the same regions."]
    for name, s in metrics["data"].items():
        labs = ", ".join(f"{k} {v}" for k, v in sorted(s["labels"].items(), key=lambda x: -x[1]))
        lines.append(f"- {name}: {s['n_docs']} docs, {s['n_chars']:,} chars, {s['n_windows']} windows, "
                     f"{s['n_spans']} spans ({labs}); {s['spans_outside']} gold spans outside the regions.")
    return lines + [""]


def _recipe(cfg: TrainConfig, info: dict[str, Any]) -> list[str]:
    lines = ["## Recipe",
             f"max_length {cfg.max_length}, stride {cfg.stride}, batch {cfg.batch_size}, AdamW "
             f"(body lr {cfg.lr_body}, head lr {cfg.lr_head}, weight decay {cfg.weight_decay}), "
             f"warmup {cfg.warmup:.0%} then linear decay, grad clip {cfg.grad_clip}, up to "
             f"{cfg.epochs} epochs, early stopping on dev micro F1 (patience {cfg.patience}), seed {cfg.seed}.", ""]
    if info.get("distilled_from"):
        lines += ["Retrain the chain with one command: the teacher by `configs/train.yaml` (a dev-split run), "
                  "then this student by `configs/distill.yaml`, which extends it:",
                  "", "    bash scripts/retrain_default.sh"]
    else:
        lines += ["Retrain with one command (the recipe in `configs/train.yaml`):", "",
                  "    govie train --config configs/train.yaml"]
    return lines + ["", "Continue from this model when new annotation sets arrive:", "",
                    "    govie train --config configs/train.yaml --set init_from=models/default --set out_dir=models/next",
                    ""]


def _dev(cfg: TrainConfig, metrics: dict[str, Any]) -> list[str]:
    dev = metrics.get("dev")
    lines = ["## Dev results (held-out documents, exact character spans = seqeval strict)"]
    if not dev:
        return lines + ["No dev split in this run (dev_fraction 0)."]
    best = metrics.get("dev_run_best") or metrics["best"]
    lines.append(f"Best epoch {best['epoch']} of the run that held out the dev split (the epoch "
                 "was chosen on these documents, so the figures lean optimistic).")
    if metrics.get("refit_all"):
        lines.append(f"The shipped weights were then retrained on ALL documents (dev included) with the "
                     f"same recipe for {best['epoch']} epochs, so these figures come from the dev-split "
                     "run, not from the shipped weights.")
    else:
        lines.append("The shipped weights are those of this dev-split run (the dev documents were not trained on).")
    lines += [""] + _table(dev["per_label"], dev["micro"], dev["macro"])
    stage = metrics.get("dev_ner_stage") or {}
    if "model+patterns" in stage:
        m = stage["model+patterns"]
        lines += ["", "The NER stage as users get it (`inference.ner.predict_spans`: this model + the "
                  "patterns of `configs/patterns.yaml`), same dev documents:", ""]
        lines += _table(m["per_label"], m["micro"], m["macro"])
    lines += _targets(cfg.targets, dev, stage.get("model+patterns"))
    rel = stage.get("relations") or {}
    if rel.get("available"):
        lines += ["", "Relation (measures) F1 of the linking stage on dev: " + ", ".join(
            f"{k} entities {v['f1']:.3f}" for k, v in rel.items() if isinstance(v, dict)) + "."]
    return lines


def _machine(metrics: dict[str, Any]) -> str:
    m = metrics.get("machine")
    if not m:
        return ""
    return f", on {m['cpus']} CPU(s) ({m['processor']}), torch {m['torch']} with {m['torch_threads']} thread(s)"


def _history(metrics: dict[str, Any]) -> list[str]:
    lines = ["", "## Training history", "", "| epoch | loss | dev F1 | seconds |", "|---:|---:|---:|---:|"]
    for row in metrics.get("dev_run_history") or metrics["history"]:
        f1 = f"{row['dev_f1']:.3f}" if "dev_f1" in row else "-"
        lines.append(f"| {row['epoch']} | {row['loss']:.4f} | {f1} | {row['seconds']} |")
    if metrics.get("refit_all"):
        lines += ["", f"Training wall time: dev-split selection run {metrics['dev_run_seconds'] / 60:.1f} min, "
                  f"retraining on all documents {metrics['train_seconds'] / 60:.1f} min{_machine(metrics)}."]
    else:
        lines += ["", f"Training wall time: {metrics.get('total_seconds', metrics['train_seconds']) / 60:.1f} "
                  f"minutes{_machine(metrics)}."]
    return lines


def _tried(cfg: TrainConfig) -> list[str]:
    if not cfg.history:
        return []
    return (["", "## What was tried", "", "| change | result |", "|---|---|"]
            + [f"| {h.get('change', '')} | {h.get('result', '')} |" for h in cfg.history])


def _limits(metrics: dict[str, Any]) -> list[str]:
    """The size of the training data and the weakest dev labels, as the run measured them."""
    data = metrics["data"]
    docs = data["all (refit)"]["n_docs"] if "all (refit)" in data else data["train"]["n_docs"]
    lines = ["", "## Limits", f"- Trained on {docs} annotated documents."]
    stage = (metrics.get("dev_ner_stage") or {}).get("model+patterns") or metrics.get("dev")
    if stage:
        per = [(m["f1"], lab) for lab, m in stage["per_label"].items() if m["support"]]
        weak = ", ".join(f"{lab} {f1:.3f}" for f1, lab in sorted(per)[:2])
        lines.append(f"- The weakest labels on dev (F1): {weak}.")
    return lines + ["- The NER stage combines this model with the patterns of `configs/patterns.yaml` "
                    "(`inference.ner.predict_spans`); counts, percentages, dates and document numbers lean on them."]


def _targets(targets: dict, model: dict, served: Optional[dict]) -> list[str]:
    """The dev F1 targets of the recipe against the model's and the NER stage's figures."""
    if not targets:
        return []

    def f1(rep: Optional[dict], key: str) -> Optional[float]:
        if not rep:
            return None
        return (rep["micro"] if key == "micro" else rep["per_label"].get(key, {})).get("f1")

    out = ["", "Targets (dev F1, `targets` in the recipe):", "",
           "| | target | model | NER stage | met by the NER stage |", "|---|---:|---:|---:|---|"]
    for key, want in targets.items():
        a, b = f1(model, key), f1(served, key)
        show = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
        met = "–" if b is None else ("yes" if b >= float(want) else "**no**")
        out.append(f"| {key} | {float(want):.2f} | {show(a)} | {show(b)} | {met} |")
    return out


def write_card(out: Path, cfg: TrainConfig, metrics: dict[str, Any], info: dict[str, Any]) -> Path:
    path = out / "README.md"
    path.write_text(render_card(cfg, metrics, info, _size_mb(out)), encoding="utf-8")
    return path


def rerender(out: Path, history_from: Path | None = None) -> Path:
    """Write the card of a finished model folder again from its files (``metrics.json``,
    ``govie_model.json``, ``train_config.yaml``), optionally taking the "what was tried"
    list from a recipe file: ``python -m training.card MODEL_DIR [RECIPE.yaml]``."""
    import yaml

    out = Path(out)
    data = yaml.safe_load((out / "train_config.yaml").read_text(encoding="utf-8"))
    if history_from is not None:
        recipe = read_recipe(history_from)  # with the history of the recipe it extends
        data["history"] = recipe.get("history", [])
        data["targets"] = recipe.get("targets", {})
        (out / "train_config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                               encoding="utf-8")
    cfg = from_settings(data)
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    info = json.loads((out / "govie_model.json").read_text(encoding="utf-8"))
    return write_card(out, cfg, metrics, info)


if __name__ == "__main__":
    import sys

    print(rerender(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None))
