"""``govie annotations {config,push,backend,pull,validate,convert,stats}``: parse arguments, call one
function. Plugged into ``govie`` through the ``govie.commands`` entry point ``register``."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional, Sequence


def _fail(exc: BaseException) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return 1


def _settings(args: argparse.Namespace):
    from .client import load_settings

    return load_settings(url=args.url, config=args.ls_config)


def _config(args: argparse.Namespace) -> int:
    from .config import compare_label_config, label_config_xml

    if not args.check:
        sys.stdout.write(label_config_xml())
        return 0
    diffs = compare_label_config(Path(args.check).read_text(encoding="utf-8"))
    print("equivalent to configs/labels.yaml" if not diffs else "differs: " + "; ".join(diffs))
    return 0 if not diffs else 1


def _push(args: argparse.Namespace) -> int:
    from .client import LabelStudioError, connect
    from .config import LabelConfigError
    from .push import ModelLoadError, default_predictor, push

    if args.from_set or args.docs:
        return _push_from_set(args)
    if not args.reports:
        return _fail(ValueError("give report files or folders, or --from-set SET"))
    predictor, version, note = (None, None, "pre-annotations off (--predictions none)")
    if args.predictions != "none":
        try:
            predictor, version, note = default_predictor(
                args.model, use_model=args.predictions != "patterns")
        except ModelLoadError as exc:
            return _fail(exc)
    print(note, file=sys.stderr)
    try:
        select = _selection(args, predictor)
    except (ModelLoadError, ValueError) as exc:
        return _fail(exc)
    try:
        res = push(connect(_settings(args)), args.project, args.reports, predictor, version,
                   max_chars=args.max_chars, progress=True, select=select)
    except (LabelStudioError, LabelConfigError, OSError) as exc:
        return _fail(exc)
    for n in res.notes:
        print(f"note: {n}", file=sys.stderr)
    print(f"project {res.project_title!r} (id {res.project_id}{', created' if res.created_project else ''}): "
          f"{res.tasks_created} tasks created, {res.tasks_skipped} already there, "
          f"{res.predictions} with predictions ({res.model_version or 'none'})")
    return 0


def _push_from_set(args: argparse.Namespace) -> int:
    """``push --from-set SET [--docs FILE]``: a correction round of gold documents."""
    from .client import LabelStudioError, connect
    from .config import LabelConfigError
    from .push import push_from_set

    if not args.from_set or args.reports or args.select:
        return _fail(ValueError("--from-set SET takes no reports nor --select (--docs FILE picks "
                                "the documents); --docs needs --from-set"))
    try:
        ids = read_doc_ids(args.docs, Path(args.from_set).name) if args.docs else None
        res = push_from_set(connect(_settings(args)), args.project, args.from_set, ids, progress=True)
    except (LabelStudioError, LabelConfigError, OSError, ValueError) as exc:
        return _fail(exc)
    print(f"project {res.project_title!r} (id {res.project_id}{', created' if res.created_project else ''}): "
          f"{res.tasks_created} tasks created, {res.tasks_skipped} already there, "
          f"pre-annotated with their gold ({res.model_version})")
    return 0


def read_doc_ids(path: str, set_name: str) -> list[str]:
    """Document ids from a file: one per line, or JSON Lines with ``doc_id`` (and ``set``:
    then only the lines of ``set_name``), as annotations/agreement/*/contradictions.jsonl."""
    ids: list[str] = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith("{"):
            ids.append(line)
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{path}:{n}: not JSON ({exc})") from None
        if "doc_id" not in row:
            raise ValueError(f"{path}:{n}: no doc_id")
        if row.get("set") in (None, set_name):
            ids.append(str(row["doc_id"]))
    if not ids:
        raise ValueError(f"{path}: no document ids" + (f" of {set_name}" if set_name else ""))
    return list(dict.fromkeys(ids))


def _selection(args: argparse.Namespace, predictor):
    """The ``--select HOW N`` of push: None, or a function choosing the tasks to push."""
    if not args.select:
        return None
    from .select import selector

    how, n = args.select[0], args.select[1]
    if how not in ("uncertain", "random") or not n.isdigit():
        raise ValueError(f"--select expects 'uncertain N' or 'random N', got {' '.join(args.select)}")
    tagger = getattr(predictor, "tagger", None)
    if how == "uncertain" and tagger is None:
        from .push import default_predictor

        tagger = getattr(default_predictor(args.model)[0], "tagger", None)
        if tagger is None:
            raise ValueError("--select uncertain needs a model; none loads (see --model)")
    return selector(int(n), how, tagger)


def _pull(args: argparse.Namespace) -> int:
    from .client import LabelStudioError, connect
    from .config import LabelConfigError
    from .pull import pull
    from .sets import SetExistsError
    from .validate import ValidationError

    try:
        res = pull(connect(_settings(args)), args.project, args.data_dir, policy=args.policy,
                   strict=not args.lenient, name=args.name)
    except (LabelStudioError, LabelConfigError, ValidationError, SetExistsError) as exc:
        return _fail(exc)
    m = res.manifest
    verb = "unchanged: same content as" if res.write.status == "unchanged" else "written"
    print(f"{verb} {res.path}: {m['docs']} docs, {m['spans']} spans, {m['relations']} relations, "
          f"{sum(1 for i in res.conversion.issues if i.level == 'repaired')} repaired, "
          f"{len(res.conversion.errors)} errors")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from .files import validate_path

    try:
        issues, counts = validate_path(args.path, args.policy)
    except (OSError, ValueError) as exc:
        return _fail(exc)
    for i in issues:
        print(i)
    n_err = sum(1 for i in issues if i.level == "error")
    print(f"{json.dumps(counts, ensure_ascii=False)}\n{n_err} errors, "
          f"{sum(1 for i in issues if i.level == 'repaired')} repaired, "
          f"{sum(1 for i in issues if i.level == 'warning')} warnings")
    return 1 if n_err else 0


def _convert(args: argparse.Namespace) -> int:
    from .files import convert_file

    try:
        out = convert_file(args.input, args.to, args.out, policy=args.policy, strict=not args.lenient,
                           title=args.name)
    except (OSError, ValueError) as exc:
        return _fail(exc)
    print(f"written {out}")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from .files import stats_path
    from .stats import format_stats

    try:
        counts, agree = stats_path(args.path, args.policy)
    except (OSError, ValueError) as exc:
        return _fail(exc)
    if args.json:
        print(json.dumps({"counts": counts, "agreement": agree}, ensure_ascii=False, indent=1))
    else:
        print(format_stats(counts, agree, per_doc=args.per_doc))
    return 0


def _backend(args: argparse.Namespace) -> int:
    from .client import LabelStudioError
    from .ml_backend import MLBackend
    from .ml_http import serve
    from .push import ModelLoadError

    try:  # for pulling at training time; without them, what Label Studio sends to /setup
        settings = _settings(args)
    except LabelStudioError as exc:
        if args.url or args.ls_config:
            return _fail(exc)
        settings = None
    try:
        backend = MLBackend(args.model, args.models_dir, args.data_dir, settings, recipe=args.recipe,
                            overrides=args.set or [], promote=args.promote)
    except (ModelLoadError, ValueError) as exc:
        return _fail(exc)
    print(f"serving {backend.model_version} for Label Studio on http://{args.host}:{args.port} "
          f"(project -> Settings -> Model -> Connect model)", file=sys.stderr)
    serve(backend, args.host, args.port)
    return 0


def _server_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help="Label Studio URL (default: $GOVIE_LS_URL, $LABEL_STUDIO_URL or the config file)")
    p.add_argument("--ls-config", metavar="TOML",
                   help="file with url and token (default: $GOVIE_LS_CONFIG or ~/.config/govie/labelstudio.toml); "
                        "the token is read from $GOVIE_LS_TOKEN, $LABEL_STUDIO_API_KEY or this file, never from the command line")


def register(subparsers: argparse._SubParsersAction) -> None:
    from .convert import POLICIES
    from .sets import DATA_DIR

    top = subparsers.add_parser("annotations", help="Label Studio push/pull, annotation sets",
                                description="The annotation loop with Label Studio (see annotations/README.md).")
    sub = top.add_subparsers(dest="annotations_command", required=True)

    p = sub.add_parser("config", help="print the Label Studio labelling config (from configs/labels.yaml)")
    p.add_argument("--check", metavar="XML", help="compare a labelling config file instead")
    p.set_defaults(func=_config)

    p = sub.add_parser("push", help="push reports as tasks with pre-annotations (or, with "
                       "--from-set, gold documents back for a correction round)")
    p.add_argument("reports", nargs="*", help="report files or folders of .txt reports")
    p.add_argument("--from-set", metavar="SET", help="a correction round: push the documents of "
                   "this annotation set folder with their gold as pre-annotations; pulled, the "
                   "project replaces them (annotations/README.md)")
    p.add_argument("--docs", metavar="FILE", help="with --from-set: only these document ids (one "
                   "per line, or JSON Lines with doc_id and set, as a contradictions.jsonl)")
    p.add_argument("--project", required=True, help="project title (created when missing)")
    p.add_argument("--predictions", choices=("auto", "patterns", "none"), default="auto",
                   help="auto: the model (+patterns) if one loads, else patterns (default)")
    p.add_argument("--model", help="model folder (default: models/default)")
    p.add_argument("--max-chars", type=int, default=3000, help="longest task text (default: %(default)s)")
    p.add_argument("--select", nargs=2, metavar=("HOW", "N"),
                   help="push only N of the new tasks: 'uncertain N' (where the model is least sure, "
                        "spread over reports) or 'random N'")
    _server_args(p)
    p.set_defaults(func=_push)

    p = sub.add_parser("backend", help="serve the model as a Label Studio ML backend (predict, train)",
                       description="The ML backend protocol of Label Studio 1.23: /health, /setup, /predict, "
                                   "/webhook (Start training), /train; plus /train/status, /train/log, "
                                   "/models, /models/use, /models/rollback. See docs/guide.md.")
    p.add_argument("--model", help="model folder to serve (default: the last one served, else models/default)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9090)
    p.add_argument("--models-dir", help="where trained models and serving.json go (default: models/labelstudio)")
    p.add_argument("--data-dir", default=str(DATA_DIR), help="annotation sets: pulled into, trained on")
    p.add_argument("--recipe", default="configs/train.yaml", help="training recipe (default: %(default)s)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="training recipe override (repeatable)")
    p.add_argument("--promote", choices=("better", "always", "never"), default="better",
                   help="serve a newly trained model when its dev F1 is better (default), always or never")
    _server_args(p)
    p.set_defaults(func=_backend)

    p = sub.add_parser("pull", help="export a project into a new versioned annotation set")
    p.add_argument("--project", required=True, help="project title or id")
    p.add_argument("--data-dir", default=str(DATA_DIR), help="where sets live (default: annotations/data)")
    p.add_argument("--name", help="set name (default: <project-slug>-<YYYYMMDD>-<sha8>)")
    p.add_argument("--lenient", action="store_true", help="leave tasks with errors out instead of failing")
    p.add_argument("--policy", choices=POLICIES, default="ground_truth",
                   help="which annotation(s) of a task count (see annotations/README.md)")
    _server_args(p)
    p.set_defaults(func=_pull)

    p = sub.add_parser("validate", help="check an export or a set (offsets, overlaps, labels, relations)")
    p.add_argument("path", help="Label Studio JSON export, set folder or spans.jsonl")
    p.add_argument("--policy", choices=POLICIES, default="ground_truth")
    p.set_defaults(func=_validate)

    p = sub.add_parser("convert", help="Label Studio export ⇄ spans.jsonl ⇄ BIO")
    p.add_argument("input", help="Label Studio JSON export, set folder or spans.jsonl")
    p.add_argument("--to", choices=("spans", "bio", "ls", "set"), required=True,
                   help="spans: spans.jsonl; bio: per-character BIO JSONL; ls: Label Studio import JSON; "
                        "set: a new versioned set (export input only)")
    p.add_argument("-o", "--out", required=True, help="output file (for --to set: the data folder)")
    p.add_argument("--name", help="for --to set: the set name")
    p.add_argument("--policy", choices=POLICIES, default="ground_truth")
    p.add_argument("--lenient", action="store_true", help="leave tasks with errors out instead of failing")
    p.set_defaults(func=_convert)

    p = sub.add_parser("stats", help="counts per label and document; agreement between annotators")
    p.add_argument("path", help="set folder, spans.jsonl or Label Studio JSON export")
    p.add_argument("--per-doc", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument("--policy", choices=POLICIES, default="ground_truth")
    p.set_defaults(func=_stats)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="govie")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
