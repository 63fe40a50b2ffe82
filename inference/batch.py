"""Batch extraction: files, folders and archives in, one JSON record per report out.

``run_extract`` walks the inputs (folders recursively; .zip/.tar.gz/.tgz/.tar members are
read one at a time, named ``archive.zip!member.txt``), skips reports already in the output
(by the sha256 of the input bytes; so an interrupted run resumes, and duplicate content is
done once), runs the pipeline in-process or in worker processes (each builds the pipeline
once), and appends one record per report. Bad input gives an error record; the run goes on.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tarfile
import warnings
import zipfile
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence, Union

from .load import DEFAULT_LIMIT_MB, FORMATS, LoadError, load_bytes
from .output import (JsonlWriter, error_record, read_jsonl, record, write_facts_csv,
                     write_facts_parquet)

ARCHIVES = (".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")


class UsageError(ValueError):
    """Bad arguments (a missing input path, an unloadable model): exit code 2."""


@dataclass
class Item:
    """One report to process: its name and bytes, or why it could not be read."""

    source: str
    data: Optional[bytes] = None
    error: Optional[str] = None

    @property
    def sha256(self) -> Optional[str]:
        return hashlib.sha256(self.data).hexdigest() if self.data is not None else None


@dataclass
class Summary:
    ok: int = 0
    failed: int = 0
    skipped: int = 0  # already in the output, or duplicate content in this run
    ignored: list[str] = field(default_factory=list)  # files of unknown type in folders
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if self.failed == 0 else 1


# ---- inputs -----------------------------------------------------------------------------

def _is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVES)


def _hidden(name: str) -> bool:
    """Hidden files and folders (.DS_Store, ._report.txt, __MACOSX/) are not reports."""
    return any(part.startswith(".") or part == "__MACOSX" for part in Path(name).parts)


def _known(name: str) -> bool:
    return Path(name).suffix.lower() in FORMATS


def _members(path: Path) -> Iterator[tuple[str, int, Callable[[], bytes]]]:
    """(name, size, read) of every regular file of a .zip or .tar(.gz) archive."""
    if path.name.lower().endswith(".zip"):
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    yield info.filename, info.file_size, lambda i=info: zf.read(i)
    else:
        with tarfile.open(path, mode="r:*") as tf:
            for info in tf:
                if info.isfile():
                    def read(i=info) -> bytes:
                        fh = tf.extractfile(i)
                        return fh.read() if fh else b""
                    yield info.name, info.size, read


def _archive_items(path: Path, limit_mb: float, summary: Summary) -> Iterator[Item]:
    limit = limit_mb * 1024 * 1024 if limit_mb else None
    try:
        for name, size, read in _members(path):
            src = f"{path}!{name}"
            if _hidden(name):
                continue
            if not _known(name):
                summary.ignored.append(src)
                continue
            if limit and size > limit:
                yield Item(src, error=f"{src}: too large ({size / 1048576:.1f}"
                           f" MB > limit {limit_mb:g} MB)")
                continue
            try:
                yield Item(src, read())
            except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
                yield Item(src, error=f"{src}: cannot read archive member ({exc})")
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as exc:
        yield Item(str(path), error=f"{path}: not a readable archive ({type(exc).__name__}: {exc})")


def _file_item(path: Path, limit_mb: float) -> Item:
    from .load import read_limited

    try:
        return Item(str(path), read_limited(path, limit_mb))
    except LoadError as exc:
        return Item(str(path), error=str(exc))


def iter_items(paths: Sequence[Union[str, Path]], limit_mb: float = DEFAULT_LIMIT_MB,
               summary: Optional[Summary] = None) -> Iterator[Item]:
    """Every report under ``paths``. Named files are always tried; inside folders and
    archives only files of known types (others are listed in ``summary.ignored``)."""
    summary = summary if summary is not None else Summary()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in sorted(x for x in p.rglob("*") if x.is_file()):
                if _hidden(str(f.relative_to(p))):
                    continue
                if _is_archive(f.name):
                    yield from _archive_items(f, limit_mb, summary)
                elif _known(f.name):
                    yield _file_item(f, limit_mb)
                else:
                    summary.ignored.append(str(f))
        elif _is_archive(p.name):
            yield from _archive_items(p, limit_mb, summary)
        else:
            yield _file_item(p, limit_mb)


# ---- the work of one report ---------------------------------------------------------------

_PIPELINE = None


def build_pipeline(model: Optional[str], threads: Optional[int] = None):
    """The pipeline with the tagger of ``model`` (a model folder, run on ``threads`` CPU
    threads), or rules only."""
    from .pipeline import Pipeline

    tagger = None
    if model is not None:
        from .tagger import load_tagger

        tagger = load_tagger(model, threads=threads)
    return Pipeline(tagger)


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


_INIT_ERROR: Optional[str] = None


def init_worker(model: Optional[str], threads: Optional[int] = None) -> None:
    """Build the pipeline once per worker; a model that fails to load makes every report
    of this worker an error record (rather than a broken pool)."""
    global _PIPELINE, _INIT_ERROR
    warnings.simplefilter("ignore")
    try:
        _PIPELINE, _INIT_ERROR = build_pipeline(model, threads), None
    except Exception as exc:
        _PIPELINE, _INIT_ERROR = None, f"cannot load model {model}: {type(exc).__name__}: {exc}"


def process(source: str, data: bytes, limit_mb: float = DEFAULT_LIMIT_MB) -> dict[str, Any]:
    """The record of one report (an error record if it cannot be processed)."""
    sha = hashlib.sha256(data).hexdigest()
    try:
        doc = load_bytes(data, source, limit_mb=limit_mb)
    except LoadError as exc:
        return error_record(source, sha, str(exc), "load")
    except Exception as exc:  # a loader bug must not stop the run
        return error_record(source, sha, f"{source}: {type(exc).__name__}: {exc}", "internal")
    if _INIT_ERROR is not None:
        return error_record(source, sha, f"{source}: {_INIT_ERROR}", "internal")
    try:
        pipeline = _PIPELINE if _PIPELINE is not None else build_pipeline(None)
        return record(pipeline(doc))
    except Exception as exc:
        return error_record(source, sha, f"{source}: pipeline failed: {type(exc).__name__}: {exc}",
                            "pipeline")


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


def run_extract(paths: Sequence[Union[str, Path]], out: Union[str, Path], *,
                csv: Optional[Union[str, Path]] = None,
                parquet: Optional[Union[str, Path]] = None, jobs: int = 1,
                model: Optional[str] = None, no_model: bool = False,
                limit_mb: float = DEFAULT_LIMIT_MB, progress: bool = True,
                engine: str = "local", address: Optional[str] = None) -> Summary:
    """Extract every report under ``paths`` into the JSON Lines file ``out`` (appending,
    resuming), then write the facts of the whole output as CSV/Parquet if asked.
    ``engine="ray"`` runs the pipeline in a Ray actor pool of ``jobs`` actors (the cluster
    at ``address``, or a local Ray; ``inference.ray_engine``)."""
    from tqdm import tqdm

    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if engine not in ("local", "ray"):
        raise UsageError(f"unknown engine {engine!r} (local, ray)")
    if address and engine != "ray":
        raise UsageError("--address needs --engine ray")
    model_dir, warns = resolve_model(model, no_model)
    summary = Summary(warnings=warns)
    for w in warns:
        print(f"govie: warning: {w}", file=sys.stderr)
    out = Path(out)
    done, unhashed = _done(out)
    seen: set[str] = set()
    bar = tqdm(desc="reports", unit="report", disable=not progress, file=sys.stderr,
               dynamic_ncols=True)
    writer = JsonlWriter(out)

    def emit(rec: dict[str, Any]) -> None:
        writer.write(rec)
        if rec.get("error"):
            summary.failed += 1
            bar.write(f"govie: {rec['error']['kind']} error: {rec['error']['message']}",
                      file=sys.stderr)
        else:
            summary.ok += 1
        bar.update(1)

    def todo() -> Iterator[tuple[str, bytes]]:
        for item in iter_items(paths, limit_mb, summary):
            if item.error is not None:
                if item.source in unhashed:
                    summary.skipped += 1
                    summary.failed += 1
                    bar.update(1)
                    continue
                emit(error_record(item.source, None, item.error, "load"))
                continue
            sha = item.sha256
            if sha in done or sha in seen:
                summary.skipped += 1
                if sha in done and not done[sha]:
                    summary.failed += 1
                bar.update(1)
                continue
            seen.add(sha)
            yield item.source, item.data

    try:
        if engine == "ray":
            from .ray_engine import ray_records

            for rec in ray_records(todo(), model_dir, limit_mb, jobs=jobs, address=address):
                emit(rec)
        elif jobs == 1:
            init_worker(model_dir)
            if _INIT_ERROR is not None:
                raise UsageError(_INIT_ERROR)
            for source, data in todo():
                emit(process(source, data, limit_mb))
        else:
            _run_pool(todo(), jobs, model_dir, limit_mb, emit)
    finally:
        writer.close()
        bar.close()
    if summary.ignored:
        print(f"govie: {len(summary.ignored)} file(s) of unknown type ignored, e.g. "
              f"{summary.ignored[0]}", file=sys.stderr)
    if csv or parquet:
        records = list(read_jsonl(out))
        if csv:
            write_facts_csv(records, csv)
        if parquet:
            write_facts_parquet(records, parquet)
    return summary


def worker_threads(jobs: int) -> int:
    """CPU threads for the model of each of ``jobs`` workers: the cores shared out, so
    that N workers do not each start a thread per core (oversubscription)."""
    return max(1, (os.cpu_count() or 1) // jobs)


def _run_pool(items: Iterator[tuple[str, bytes]], jobs: int, model_dir: Optional[str],
              limit_mb: float, emit: Callable[[dict[str, Any]], None]) -> None:
    """Process ``items`` in ``jobs`` worker processes, at most 4 per worker in flight. A
    worker that dies (out of memory, killed) breaks the pool: the reports in flight get
    "internal" error records (retried on resume) and a fresh pool takes the rest."""
    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=jobs, initializer=init_worker,
                                   initargs=(model_dir, worker_threads(jobs)))

    pool = new_pool()
    pending: dict = {}  # future -> (source, data): the bytes are hashed only if a worker dies

    def drain(block_all: bool) -> bool:
        """Emit finished results; True if the pool broke."""
        broken = False
        finished, _ = wait(pending, return_when=ALL_COMPLETED if block_all else FIRST_COMPLETED)
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

    try:
        for source, data in items:
            try:
                fut = pool.submit(process, source, data, limit_mb)
            except BrokenProcessPool:
                pool = restart()
                fut = pool.submit(process, source, data, limit_mb)
            pending[fut] = (source, data)
            if len(pending) >= jobs * 4 and drain(False):
                pool = restart()
        if pending:
            drain(True)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _result(fut, source: str, data: bytes) -> dict[str, Any]:
    try:
        return fut.result()
    except Exception as exc:  # a worker died (out of memory, killed ...)
        return error_record(source, hashlib.sha256(data).hexdigest(),
                            f"{source}: worker failed: {type(exc).__name__}: {exc}", "internal")
