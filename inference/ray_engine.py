"""``govie extract --engine ray``: the batch extraction on a Ray cluster (or a local Ray).

The local engine's input walker (``inference.batch.iter_items``, with its resume and
duplicate skipping) still decides WHAT to process; Ray only runs the pipeline:

- the reports become a Ray Dataset (``ray.data.from_items``): a plain file travels as its
  path (the actor reads it, so on a cluster the inputs must be on storage every node
  sees), an archive member as its bytes (archives are expanded by the walker);
- ``map_batches`` runs :class:`ExtractBatch` in an actor pool of ``jobs`` actors: each
  actor builds its ``inference.worker.Worker`` (the pipeline and the model) ONCE, then
  processes batch after batch with ``Worker.process`` — the same record function
  (``inference.output.record``), error records and time limit as the local engine;
- the records stream back to the driver, which appends them to the JSON Lines output
  (so resume, the progress bar and ``--csv``/``--parquet`` work as with the local engine).

ray is imported lazily (extra ``ray``). ``address``: ``None`` starts a local Ray (or uses
the one already running in this process), ``"auto"`` or ``"ray://host:10001"`` /
``"host:6379"`` joins a cluster (``ray start --head`` on the head node).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from .errors import LoadError, RayUnavailable, UsageError  # noqa: F401  (re-exported)
from .inputs import file_item
from .output import error_record
from .worker import Worker


def rows(items: Iterable[tuple[str, bytes]]) -> list[dict[str, Any]]:
    """Dataset rows of the items to process: a plain file (a ``source`` that is an existing
    file) as its path, anything else (archive members) as its bytes."""
    out = []
    for source, data in items:
        p = Path(source)
        if "!" not in source and p.is_file():
            out.append({"source": source, "path": str(p.resolve()), "data": b""})
        else:
            out.append({"source": source, "path": "", "data": bytes(data)})
    return out


class ExtractBatch:
    """The callable class of the actor pool: the pipeline (with the model of
    ``model_dir``, or rules only) is built once per actor, in the constructor."""

    def __init__(self, model_dir: Optional[str], limit_mb: float,
                 time_limit: Optional[float] = None, rules_dir: Optional[str] = None) -> None:
        self.worker = Worker(model_dir, seconds=time_limit, rules=rules_dir)
        self.limit_mb = limit_mb

    def one(self, source: str, path: str, data: bytes) -> dict[str, Any]:
        if path:  # a plain file, read here (``inference.inputs.file_item``, as the local walk)
            item = file_item(Path(path), self.limit_mb, source)
            if item.error is not None:
                return error_record(source, None, item.error.replace(path, source), "load")
            data = item.data
        return self.worker.process(source, bytes(data), self.limit_mb)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        recs = [self.one(str(s), str(p), d) for s, p, d in
                zip(batch["source"], batch["path"], batch["data"])]
        return {"source": np.array([r["source"] for r in recs], dtype=object),
                "record": np.array([json.dumps(r, ensure_ascii=False) for r in recs],
                                   dtype=object)}


def _ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise RayUnavailable(f"--engine ray needs Ray: pip install 'govie[ray]' ({exc})") from exc
    return ray


def connect(address: Optional[str] = None) -> bool:
    """Join the cluster at ``address`` or start a local Ray, unless this process is
    already connected; True if this call connected (the caller then disconnects)."""
    ray = _ray()
    if ray.is_initialized():
        return False
    try:
        if address:
            ray.init(address=address, logging_level="warning")
        else:
            ray.init(include_dashboard=False, logging_level="warning")
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise UsageError(f"cannot start or join {where}: {type(exc).__name__}: {exc}") from exc
    return True


def pool_size(jobs: int) -> int:
    """Actors in the pool: ``jobs``, at most the CPUs of the cluster (an actor holds one
    CPU; asking for more than there are would wait forever)."""
    ray = _ray()
    cpus = int(ray.cluster_resources().get("CPU", 1))
    return max(1, min(jobs, cpus))


def ray_records(items: Iterable[tuple[str, bytes]], model_dir: Optional[str],
                limit_mb: float, jobs: int = 1, address: Optional[str] = None,
                batch_size: int = 1, time_limit: Optional[float] = None,
                rules_dir: Optional[str] = None) -> Iterator[dict[str, Any]]:
    """The records of ``items`` ((source, bytes) pairs from the local walker), processed
    by a pool of ``jobs`` actors; records come back as they are done (in no fixed order).
    Each actor loads the rules of ``rules_dir`` once (None: its ``default_rules()``)."""
    ray = _ray()
    todo = rows(items)  # the walk runs (and error records for unreadable inputs go out) first
    if not todo:
        return
    if model_dir is not None:  # actors do not share this process's working directory
        model_dir = str(Path(model_dir).resolve())
    if rules_dir is not None:
        rules_dir = str(Path(rules_dir).resolve())
    owned = connect(address)
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False  # the driver's own bar counts reports
        logging.getLogger("ray.data").setLevel(logging.WARNING)  # no per-run INFO lines
        logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)  # "bars off"
        ds = ray.data.from_items(todo)
        out = ds.map_batches(
            ExtractBatch, fn_constructor_kwargs={"model_dir": model_dir, "limit_mb": limit_mb,
                                   "time_limit": time_limit, "rules_dir": rules_dir},
            compute=ray.data.ActorPoolStrategy(size=pool_size(jobs)), batch_size=batch_size,
            batch_format="numpy", num_cpus=1)
        for row in out.iter_rows():
            yield json.loads(row["record"])
    finally:
        if owned:
            ray.shutdown()
