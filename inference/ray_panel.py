"""``govie panel --engine ray``: the panel step on Ray Data, for archives of records beyond
one machine. Each JSON Lines file is read by a Ray task (``read_binary_files``; on a
cluster the files must be on storage every node sees) and turned into the panel's
:class:`~inference.panel.Report` objects by the same :func:`~inference.panel.report_of`
as the local engine, with the same line rules as ``inference.output.read_jsonl`` (blank,
corrupt and partial last lines skipped); the reports stream back to the driver, which
deduplicates, chooses and checks exactly as the local engine (so the output is the same).
ray is imported lazily (extra ``ray``); ``address`` as for ``govie extract --engine ray``.
"""
from __future__ import annotations

import dataclasses
import io
import json
import logging
import sys
from pathlib import Path
from typing import Any, Iterable, Optional

from .output import parse_jsonl_lines
from .panel import Report, report_of


def records_of_bytes(data: bytes) -> list[dict[str, Any]]:
    """The records of one JSON Lines file's bytes (``read_jsonl``'s rules)."""
    return list(parse_jsonl_lines(io.BytesIO(data)))


def reports_batch(batch: dict[str, Any]) -> dict[str, Any]:
    """Ray map_batches function: files' bytes -> the reports of their records, as JSON."""
    import numpy as np

    out = [json.dumps(dataclasses.asdict(report_of(rec)), ensure_ascii=False)
           for data in batch["bytes"] for rec in records_of_bytes(bytes(data))]
    return {"report": np.array(out, dtype=object)}


def ray_reports(paths: Iterable[str], address: Optional[str] = None,
                progress: bool = True) -> list[Report]:
    """The reports of the JSON Lines files ``paths``, read on Ray Data."""
    from tqdm import tqdm

    from .ray_engine import _ray, connect

    ray = _ray()
    files = [str(Path(p).resolve()) for p in paths if Path(p).is_file()]
    if not files:
        return []
    owned = connect(address)
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        ds = ray.data.read_binary_files(files).map_batches(reports_batch, batch_size=1,
                                                             batch_format="numpy")
        reports = []
        with tqdm(desc="records", unit="record", disable=not progress, file=sys.stderr) as bar:
            for row in ds.iter_rows():
                reports.append(Report(**json.loads(row["report"])))
                bar.update(1)
        return reports
    finally:
        if owned:
            ray.shutdown()
