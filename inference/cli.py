"""The ``govie`` command line.

Built-in commands are registered by the functions in ``BUILTINS`` (append one to add a
command); commands of the optional packages (training, annotations ...) come from the
entry-point group ``govie.commands``, each a ``register(subparsers)`` function. A plug-in
whose extra is not installed is listed in ``--help`` as unavailable, with the reason, and
never breaks the built-in commands. Commands only parse arguments and call one function.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Callable, Optional, Sequence

from . import __version__
from .service import register_serve

ENTRY_POINT_GROUP = "govie.commands"


def register_extract(sub) -> None:
    from .batch import DEFAULT_TIME_LIMIT
    from .load import DEFAULT_LIMIT_MB

    p = sub.add_parser(
        "extract", help="extract structured data from reports (files, folders, archives)",
        description="Extract every report under PATH (files, folders searched recursively, "
                    ".zip/.tar.gz archives) into a JSON Lines file, one record per report. "
                    "Re-running into the same output skips reports already done.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="report file, folder or archive")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="JSON Lines output (appended to; reports already in it are skipped)")
    p.add_argument("--csv", metavar="F", help="also write the facts as a flat CSV file")
    p.add_argument("--parquet", metavar="F", help="also write the facts as a Parquet file")
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="worker processes (default 1: in this process)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--model", metavar="DIR", help="NER model folder (default: models/default)")
    g.add_argument("--no-model", action="store_true", help="rules only, no NER model")
    p.add_argument("--limit-mb", type=float, default=DEFAULT_LIMIT_MB, metavar="N",
                   help=f"skip inputs larger than N MB (default {DEFAULT_LIMIT_MB:g})")
    p.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, metavar="S",
                   help="seconds per report before it gets an error record (0: no limit; "
                        f"default {DEFAULT_TIME_LIMIT:g})")
    p.add_argument("--follow-symlinks", action="store_true",
                   help="in folders, follow symbolic links that lead outside the folder "
                        "(default: listed as ignored)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local: this machine (--jobs processes); ray: a Ray actor pool of "
                        "--jobs actors (default: local)")
    p.add_argument("--address", metavar="ADDR",
                   help="with --engine ray: the Ray cluster to join (auto, HOST:6379, "
                        "ray://HOST:10001); default: start a local Ray")
    p.add_argument("--ocr", choices=("auto", "always", "never"), default=None,
                   help="PDF pages read by OCR (govie[ocr]): auto = pages without a text layer "
                        "(default), always = every page, never = none")
    p.set_defaults(func=cmd_extract)


def cmd_extract(args: argparse.Namespace) -> int:
    from .batch import run_extract
    from .errors import UsageError
    from .rules import default_rules

    if args.ocr:  # read by inference.load.ocr_mode, here and in worker processes
        os.environ["GOVIE_OCR"] = args.ocr

    try:
        summary = run_extract(args.paths, args.output, csv=args.csv, parquet=args.parquet,
                              jobs=args.jobs, model=args.model, no_model=args.no_model,
                              limit_mb=args.limit_mb, progress=not args.quiet,
                              engine=args.engine, address=args.address,
                              time_limit=args.time_limit or None,
                              follow_symlinks=args.follow_symlinks, rules=default_rules())
    except UsageError as exc:
        print(f"govie extract: error: {exc}", file=sys.stderr)
        return 2
    stopped = " (interrupted)" if summary.interrupted else ""
    print(f"govie: {summary.ok} ok, {summary.failed} failed, {summary.skipped} skipped "
          f"-> {args.output}{stopped}", file=sys.stderr)
    return summary.exit_code


def register_panel(sub) -> None:
    p = sub.add_parser(
        "panel", help="join the records of many reports into one issuer x year panel",
        description="One row per (issuer, year, key, scope, period) over the records of "
                    "`govie extract`, one value chosen (table over narrative, agreement over "
                    "conflict), duplicates counted once; and the cross-year checks.")
    p.add_argument("records", nargs="+", metavar="RECORDS.jsonl", help="records of govie extract")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="panel file: Parquet (CSV with --csv or a .csv name)")
    p.add_argument("--csv", action="store_true", help="write CSV instead of Parquet")
    p.add_argument("--checks", metavar="F",
                   help="cross-year check results (default: OUT with .checks before the suffix)")
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local: this process; ray: read the records on Ray Data")
    p.add_argument("--address", metavar="ADDR", help="with --engine ray: the cluster to join")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_panel)


def cmd_panel(args: argparse.Namespace) -> int:
    from .errors import UsageError
    from .panel import local_reports, run_panel
    from .rules import default_rules

    try:
        rules = default_rules()  # loaded and validated once, before the records are read
        if args.engine == "ray":
            from .ray_panel import ray_reports

            reports = ray_reports(args.records, address=args.address, progress=not args.quiet)
        else:
            reports = local_reports(args.records, progress=not args.quiet)
        summary = run_panel(reports, args.output, csv=args.csv, checks=args.checks, rules=rules)
    except UsageError as exc:
        print(f"govie panel: error: {exc}", file=sys.stderr)
        return 2
    print(f"govie panel: {summary.records} records, {summary.joined} reports joined "
          f"({summary.duplicates} duplicates counted once; no issuer {summary.without_issuer}, "
          f"no year {summary.without_year}, no keyed facts {summary.without_facts}), "
          f"{summary.rows} rows, {summary.checks_failed} of {summary.checks} cross-year "
          f"checks failed -> {args.output}", file=sys.stderr)
    return 0


def register_view(sub) -> None:
    p = sub.add_parser(
        "view", help="write the evidence view of extracted reports (self-contained HTML)",
        description="Write one self-contained HTML page per report of RECORDS (the JSON Lines "
                    "of `govie extract`): the text with entities and facts highlighted, the "
                    "tables with failed checks marked, the facts panel. One report (or "
                    "--source NAME) goes to the file OUT; several go to the folder OUT, one "
                    "page each plus index.html. The text is read again from each record's "
                    "source file (relative to --root), if it has not changed.")
    p.add_argument("records", metavar="RECORDS", help="JSON Lines file of govie extract")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="the page (one report) or a folder (several reports)")
    p.add_argument("--source", metavar="NAME",
                   help="the report to show: its source as in the records, or its file name")
    p.add_argument("--root", metavar="DIR",
                   help="folder the records' relative sources are under (default: here)")
    p.set_defaults(func=cmd_view)


def cmd_view(args: argparse.Namespace) -> int:
    from .rules import default_rules
    from .view_files import ViewError, write_views

    try:
        summary = write_views(args.records, args.output, source=args.source, root=args.root,
                              rules=default_rules())
    except ViewError as exc:
        print(f"govie view: error: {exc}", file=sys.stderr)
        return 2
    for note in summary.notes:
        print(f"govie view: {note}", file=sys.stderr)
    print(f"govie view: {len(summary.written)} file(s) -> {args.output}", file=sys.stderr)
    return 0


BUILTINS: tuple[Callable, ...] = (register_extract, register_serve, register_panel, register_view)


def _unavailable(sub, name: str, reason: str) -> None:
    def fail(args: argparse.Namespace) -> int:
        print(f"govie {name}: unavailable: {reason}", file=sys.stderr)
        return 2

    try:
        p = sub.add_parser(name, help=f"(unavailable: {reason})", add_help=False,
                           prefix_chars="\0")
    except (argparse.ArgumentError, ValueError):
        return
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=fail)


def load_plugins(sub) -> dict[str, str]:
    """Register the plug-in commands; name -> reason for those that failed."""
    from importlib.metadata import entry_points

    failed: dict[str, str] = {}
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name in sub.choices:
            continue
        try:
            ep.load()(sub)
        except Exception as exc:  # ImportError of a missing extra, or a broken plug-in
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:160]
            failed[ep.name] = reason
            if ep.name not in sub.choices:
                _unavailable(sub, ep.name, reason)
    return failed


def build_parser(plugins: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govie", description="Structured, checkable data from government "
                                  "information-disclosure annual reports.")
    parser.add_argument("--version", action="version", version=f"govie {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in BUILTINS:
        register(sub)
    if plugins:
        load_plugins(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    builtin = build_parser(plugins=False)
    first = next((a for a in argv if not a.startswith("-")), None)
    # plug-ins are imported only when the command is not a built-in one
    sub_names = builtin._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    parser = builtin if first in sub_names else build_parser(plugins=True)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors (2), --help/--version (0)
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except FileNotFoundError as exc:  # a missing model, gold set, config ...: no traceback
        print(f"govie {args.command}: error: {exc}", file=sys.stderr)
        return 2


def require(*modules: str) -> None:
    """Raise ImportError naming the modules of ``modules`` that are not installed: a
    plug-in's ``register`` calls it, so a command whose extra is missing is listed as
    unavailable instead of failing with a traceback when run."""
    from importlib.util import find_spec

    missing = [m for m in modules if find_spec(m) is None]
    if missing:
        raise ImportError(f"not installed: {', '.join(missing)}")


if __name__ == "__main__":
    sys.exit(main())
