"""The ``govie`` command line.

Built-in commands are registered by the functions in ``BUILTINS`` (append one to add a
command); commands of the optional packages (training, annotations ...) come from the
entry-point group ``govie.commands``, each a ``register(subparsers)`` function. A plug-in
whose extra is not installed is listed in ``--help`` as unavailable, with the reason, and
never breaks the built-in commands. Commands only parse arguments and call one function.
"""
from __future__ import annotations

import argparse
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
    p.set_defaults(func=cmd_extract)


def cmd_extract(args: argparse.Namespace) -> int:
    from .batch import UsageError, run_extract

    try:
        summary = run_extract(args.paths, args.output, csv=args.csv, parquet=args.parquet,
                              jobs=args.jobs, model=args.model, no_model=args.no_model,
                              limit_mb=args.limit_mb, progress=not args.quiet,
                              engine=args.engine, address=args.address,
                              time_limit=args.time_limit or None,
                              follow_symlinks=args.follow_symlinks)
    except UsageError as exc:
        print(f"govie extract: error: {exc}", file=sys.stderr)
        return 2
    stopped = " (interrupted)" if summary.interrupted else ""
    print(f"govie: {summary.ok} ok, {summary.failed} failed, {summary.skipped} skipped "
          f"-> {args.output}{stopped}", file=sys.stderr)
    return summary.exit_code


BUILTINS: tuple[Callable, ...] = (register_extract, register_serve)


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
