"""Batch extraction: files, folders and archives in, one JSON record per report out.

``run_extract`` walks the inputs (folders recursively; .zip/.tar.gz/.tgz/.tar members are
read one at a time, named ``archive.zip!member.txt``), skips reports already in the output
(by the sha256 of the input bytes; so an interrupted run resumes, and duplicate content is
done once), runs the pipeline in-process or in worker processes (each builds the pipeline
once), and appends one record per report. Bad input gives an error record; the run goes on.
"""
from __future__ import annotations

import fcntl
import os
import signal
import sys
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence, Union

from . import worker as _worker
from .errors import OutputLocked, UsageError
from .inputs import ARCHIVES, Item, iter_items, safe_name  # noqa: F401  (re-exported)
from .load import DEFAULT_LIMIT_MB
from .output import JsonlWriter, error_record, read_jsonl, write_facts_csv, write_facts_parquet
from .rules import Rules, or_default

__all__ = ["ARCHIVES", "Item", "Summary", "UsageError", "iter_items", "process",
           "resolve_model", "run_extract", "safe_name", "worker_threads"]


@dataclass
class Summary:
    ok: int = 0
    failed: int = 0
    skipped: int = 0  # already in the output, or duplicate content in this run
    ignored: list[str] = field(default_factory=list)  # files of unknown type in folders
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False  # stopped by SIGTERM / Ctrl-C before the end

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 0 if self.failed == 0 else 1


# ---- the work of one report ---------------------------------------------------------------

def resolve_model(model: Optional[str], no_model: bool) -> tuple[Optional[str], list[str]]:
    """The model folder to use (None: rules only) and warnings to show. A model asked for
    that cannot be found is a usage error; a missing default model only warns."""
    if no_model:
        return None, []
    from .config import default_model_dir
    from .tagger import model_problem

    if model:
        if not Path(model).exists():
            raise UsageError(f"model folder not found: {model}")
        problem = model_problem(model)
        if problem:
            raise UsageError(problem)
        return str(model), []
    d = default_model_dir()
    problem = model_problem(d)
    if problem:
        return None, [f"default model unusable ({problem}); running rules only (use --model DIR)"]
    return str(d), []


def process(source: str, data: bytes, limit_mb: float = DEFAULT_LIMIT_MB) -> dict[str, Any]:
    """The record of one report by this process's Worker (an error record if it cannot be
    processed)."""
    return _worker.current().process(source, data, limit_mb)


# ---- the run ------------------------------------------------------------------------------

def _done(out: Path) -> tuple[dict[str, bool], set[str]]:
    """sha256 -> ok of the records already in ``out``; sources of unhashed error records."""
    done: dict[str, bool] = {}
    unhashed: set[str] = set()
    for rec in read_jsonl(out):
        err = rec.get("error")
        if rec.get("sha256"):
            if not (err and err.get("kind") == "internal"):
                done[rec["sha256"]] = not err
        elif err:
            unhashed.add(rec.get("source", ""))
    return done, unhashed


DEFAULT_TIME_LIMIT = 600.0  # seconds per report (``--time-limit``)
STOP_GRACE = 5.0  # seconds a stopped run waits for the reports its workers are on


class Interrupted(KeyboardInterrupt):
    """SIGTERM (or SIGINT) in the main process: the run stops and still ends with its
    summary line."""


def lock_output(out: Path) -> int:
    """An exclusive lock on the output file (``fcntl.flock``: held by this open file,
    released by the kernel when the process ends, however it ends); ``OutputLocked`` if
    another run holds it. Returns the descriptor to close when done."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise OutputLocked(f"{out} is being written by another govie extract run; wait for "
                           "it to end or choose another output") from None
    return fd


class _Stop:
    """SIGTERM/SIGINT handler of the main process: raises ``Interrupted``, but not inside a
    ``with`` block of it (a record being written and counted, or a worker pool whose locks a
    raise would leave held); there the signal waits for ``check()`` or the block's end."""

    def __init__(self) -> None:
        self.depth = 0
        self.pending: Optional[int] = None

    def __call__(self, signum, frame) -> None:
        if self.depth:
            self.pending = signum
        else:
            raise Interrupted(f"signal {signum}")

    def check(self) -> None:
        """Raise the deferred signal, at a point where that is safe."""
        if self.pending is not None:
            signum, self.pending = self.pending, None
            raise Interrupted(f"signal {signum}")

    def __enter__(self) -> "_Stop":
        self.depth += 1
        return self

    def __exit__(self, *exc) -> None:
        self.depth -= 1
        if not self.depth and exc[0] is None:
            self.check()


class Sink:
    """Where a run's records go: the JSON Lines writer, the counts of the summary and the
    progress bar, updated together (a signal cannot fall between writing and counting)."""

    def __init__(self, out: Path, summary: Summary, progress: bool):
        from tqdm import tqdm

        self.summary, self.stop = summary, _Stop()
        self.writer = JsonlWriter(out)
        self.bar = tqdm(desc="reports", unit="report", disable=not progress, file=sys.stderr,
                        dynamic_ncols=True)

    def emit(self, rec: dict[str, Any]) -> None:
        with self.stop:
            self.writer.write(rec)
            if rec.get("error"):
                self.summary.failed += 1
            else:
                self.summary.ok += 1
        if rec.get("error"):
            self.bar.write(f"govie: {rec['error']['kind']} error: {rec['error']['message']}",
                           file=sys.stderr)
        self.bar.update(1)

    def skip(self, failed: bool) -> None:
        """An input already in the output (or seen twice in this run)."""
        self.summary.skipped += 1
        self.summary.failed += int(failed)
        self.bar.update(1)

    def close(self) -> None:
        self.writer.close()
        self.bar.close()


def pending(paths: Sequence[Union[str, Path]], out: Path, sink: Sink, limit_mb: float,
            follow_symlinks: bool) -> Iterator[tuple[str, bytes]]:
    """(source, bytes) of the inputs not yet in ``out``: unreadable ones get their error
    record here, inputs already done (or seen earlier in this run) are skipped."""
    done, unhashed = _done(out)
    seen: set[str] = set()
    for item in iter_items(paths, limit_mb, sink.summary, follow_symlinks):
        if item.error is not None:
            if item.source in unhashed:
                sink.skip(failed=True)
            else:
                sink.emit(error_record(item.source, None, item.error, "load"))
            continue
        if item.sha256 in done or item.sha256 in seen:
            sink.skip(failed=item.sha256 in done and not done[item.sha256])
            continue
        seen.add(item.sha256)
        yield item.source, item.data


def run_engine(items: Iterator[tuple[str, bytes]], emit: Callable[[dict], None], engine: str,
               jobs: int, model_dir: Optional[str], limit_mb: float, address: Optional[str],
               time_limit: Optional[float], rules: Optional[Rules] = None,
               stop: Optional[_Stop] = None) -> None:
    """Every item through the pipeline on the engine asked for: Ray actors, this process,
    or a pool of ``jobs`` worker processes, with the loaded ``rules`` (default
    ``default_rules()``; worker processes and actors load its folder once each). ``stop``:
    the run's signal handler, which the pool defers to its own safe points."""
    rules = or_default(rules)
    if engine == "ray":
        from .ray_engine import ray_records

        for rec in ray_records(items, model_dir, limit_mb, jobs=jobs, address=address,
                               time_limit=time_limit, rules_dir=str(rules.folder)):
            emit(rec)
    elif jobs == 1:
        w = _worker.Worker(model_dir, seconds=time_limit, rules=rules)
        if w.init_error is not None:
            raise UsageError(w.init_error)
        for source, data in items:
            emit(w.process(source, data, limit_mb))
    else:
        _run_pool(items, jobs, model_dir, limit_mb, emit, time_limit, str(rules.folder),
                  stop or _Stop())


def run_extract(paths: Sequence[Union[str, Path]], out: Union[str, Path], *,
                csv: Optional[Union[str, Path]] = None,
                parquet: Optional[Union[str, Path]] = None, jobs: int = 1,
                model: Optional[str] = None, no_model: bool = False,
                limit_mb: float = DEFAULT_LIMIT_MB, progress: bool = True,
                engine: str = "local", address: Optional[str] = None,
                time_limit: Optional[float] = DEFAULT_TIME_LIMIT,
                follow_symlinks: bool = False, rules: Optional[Rules] = None) -> Summary:
    """Extract every report under ``paths`` into the JSON Lines file ``out`` (appending,
    resuming), then write the facts of the whole output as CSV/Parquet if asked.
    ``engine="ray"`` runs the pipeline in a Ray actor pool of ``jobs`` actors (the cluster
    at ``address``, or a local Ray; ``inference.ray_engine``). ``time_limit``: seconds per
    report (None or 0: none). The output is locked for the run (``OutputLocked``). SIGTERM
    or Ctrl-C stop the run: the records done are kept and ``summary.interrupted`` is set.
    ``rules``: the loaded rules (default: ``default_rules()``, loaded and validated here,
    before any report is read)."""
    _check_args(paths, jobs, engine, address, time_limit)
    rules = or_default(rules)
    model_dir, warns = resolve_model(model, no_model)
    for w in warns:
        print(f"govie: warning: {w}", file=sys.stderr)
    out = Path(out)
    lock = lock_output(out)
    sink = Sink(out, Summary(warnings=warns), progress)
    old = ({sig: signal.signal(sig, sink.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
           if _main_thread() else {})
    try:
        run_engine(pending(paths, out, sink, limit_mb, follow_symlinks), sink.emit, engine, jobs,
                   model_dir, limit_mb, address, time_limit, rules, sink.stop)
    except KeyboardInterrupt:
        sink.summary.interrupted = True
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        sink.close()
        os.close(lock)
    summary = sink.summary
    if summary.ignored:
        print(f"govie: {len(summary.ignored)} file(s) ignored (unknown type or symbolic "
              f"link), e.g. {summary.ignored[0]}", file=sys.stderr)
    if (csv or parquet) and not summary.interrupted:
        write_fact_tables(out, csv, parquet)
    return summary


def write_fact_tables(out: Path, csv: Optional[Union[str, Path]],
                      parquet: Optional[Union[str, Path]]) -> None:
    """The facts of every record in ``out`` as CSV and/or Parquet."""
    records = list(read_jsonl(out))
    if csv:
        write_facts_csv(records, csv)
    if parquet:
        write_facts_parquet(records, parquet)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _check_args(paths, jobs: int, engine: str, address: Optional[str],
                time_limit: Optional[float]) -> None:
    missing = [safe_name(str(p)) for p in paths if not os.path.lexists(p)]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if engine not in ("local", "ray"):
        raise UsageError(f"unknown engine {engine!r} (local, ray)")
    if address and engine != "ray":
        raise UsageError("--address needs --engine ray")
    if time_limit is not None and time_limit < 0:
        raise UsageError("--time-limit must be 0 (none) or more seconds")


def worker_threads(jobs: int) -> int:
    """CPU threads for the model of each of ``jobs`` workers: the cores shared out, so
    that N workers do not each start a thread per core (oversubscription)."""
    return max(1, (os.cpu_count() or 1) // jobs)


def _run_pool(items: Iterator[tuple[str, bytes]], jobs: int, model_dir: Optional[str],
              limit_mb: float, emit: Callable[[dict[str, Any]], None],
              time_limit: Optional[float], rules_dir: Optional[str], stop: _Stop) -> None:
    """Process ``items`` in ``jobs`` worker processes (each loads the rules of ``rules_dir``
    once), at most 4 per worker in flight. A
    worker that dies (out of memory, killed) breaks the pool: the reports in flight get
    "internal" error records (retried on resume) and a fresh pool takes the rest. If the
    run is stopped, the results already done are still emitted. A signal is taken only
    between pool calls (``stop.check()``): raised inside ``submit`` or ``wait`` it would
    leave the pool's locks held and its shutdown hanging."""
    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=jobs, initializer=_worker.init_worker,
                                   initargs=(model_dir, worker_threads(jobs), time_limit, True,
                                             rules_dir))

    pool = new_pool()
    pending: dict = {}  # future -> (source, data): the bytes are hashed only if a worker dies

    def drain(block_all: bool) -> bool:
        """Emit finished results; True if the pool broke."""
        broken, finished, waiting = False, set(), set(pending)
        while waiting and not (finished and not block_all):  # short waits: a signal is
            finished, waiting = wait(pending, timeout=0.2,  # taken within 0.2 s
                                     return_when=ALL_COMPLETED if block_all else FIRST_COMPLETED)
            stop.check()
        for fut in finished:
            source, data = pending.pop(fut)
            broken |= isinstance(fut.exception(), BrokenProcessPool)
            emit(_result(fut, source, data))
        return broken

    def restart() -> ProcessPoolExecutor:
        """Emit what the broken pool still holds (error records) and start a fresh one."""
        drain(True)
        pool.shutdown(wait=False, cancel_futures=True)
        return new_pool()

    with stop:
        try:
            for source, data in items:
                try:
                    fut = pool.submit(process, source, data, limit_mb)
                except BrokenProcessPool:
                    pool = restart()
                    fut = pool.submit(process, source, data, limit_mb)
                pending[fut] = (source, data)
                stop.check()
                if len(pending) >= jobs * 4 and drain(False):
                    pool = restart()
            drain(True)
        except BaseException:
            # Stopped: queued reports are cancelled, those being worked on get STOP_GRACE
            # seconds (a worker terminated while sending its result would hang the pool).
            pool.shutdown(wait=False, cancel_futures=True)
            wait(pending, timeout=STOP_GRACE)
            for fut in [f for f in pending if f.done() and not f.cancelled()]:
                emit(_result(fut, *pending.pop(fut)))
            raise
        finally:
            procs = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=not pending, cancel_futures=True)
            for proc in procs:  # a stopped run leaves no worker behind
                if proc.is_alive():
                    proc.terminate()


def _result(fut, source: str, data: bytes) -> dict[str, Any]:
    try:
        return fut.result()
    except Exception as exc:  # a worker died (out of memory, killed ...)
        return error_record(source, Item(source, data).sha256,
                            f"{source}: worker failed: {type(exc).__name__}: {exc}", "internal")
