"""A per-report time limit, checked cooperatively.

``with time_limit(60): pipeline(doc)`` sets a deadline for the code run inside it (in this
thread, or this asyncio task: it is a ``contextvars`` variable); ``check()`` raises
``TimeLimitExceeded`` once the deadline has passed. The pipeline calls ``check`` between
stages, and the long loops (model windows, combining entities) call it as they go, so a
report over its limit stops within one window batch or one stage step and frees its worker.

Why cooperative rather than a killable process per report: the model (100-300 MB) is
loaded once per worker and shared; a process per request would load it again or need a
pool that is torn down on every timeout, and a killed process takes its warm caches with
it. A cooperative check costs a clock read per step, keeps the one-process service and the
worker pool as they are, and every limit gives a clear error record. Its limit: code that
never reaches a check (one huge regex) is not interrupted, which is why every stage is kept
about linear in its input (``benchmarks/bench_scaling.py``) and inputs are size-limited.
"""
from __future__ import annotations

import contextvars
import time
from contextlib import contextmanager
from typing import Iterator, Optional

from .errors import TimeLimitExceeded

_DEADLINE: contextvars.ContextVar[Optional[tuple[float, float]]] = contextvars.ContextVar(
    "govie_deadline", default=None)


@contextmanager
def time_limit(seconds: Optional[float]) -> Iterator[None]:
    """Run the body with a deadline ``seconds`` from now (None or 0: no limit; an outer,
    earlier deadline stays in force)."""
    current = _DEADLINE.get()
    new = current
    if seconds:
        at = time.monotonic() + float(seconds)
        if current is None or at < current[0]:
            new = (at, float(seconds))
    token = _DEADLINE.set(new)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def remaining() -> Optional[float]:
    """Seconds left before the deadline (None: no limit)."""
    d = _DEADLINE.get()
    return None if d is None else d[0] - time.monotonic()


def check(where: str = "") -> None:
    """Raise ``TimeLimitExceeded`` if the deadline has passed."""
    d = _DEADLINE.get()
    if d is not None and time.monotonic() > d[0]:
        at = f" (stopped in {where})" if where else ""
        raise TimeLimitExceeded(f"time limit of {d[1]:g} s per report exceeded{at}")
