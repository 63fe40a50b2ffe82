"""Run a function in a forked child with a memory ceiling and a time limit, for the tests of
hostile inputs: a child that would take gigabytes is stopped by its address-space limit,
one that would run for minutes is killed, and the test fails with a clear message instead
of taking the machine or CI down."""
from __future__ import annotations

import multiprocessing as mp
import resource
import time
import traceback
from typing import Any, Callable

# Headroom over what the child has mapped when it starts (the parent's libraries).
DEFAULT_MB = 1500


def _child(conn, fn: Callable[..., Any], args: tuple, mb: int) -> None:
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        with open("/proc/self/statm") as fh:
            vm_bytes = int(fh.read().split()[0]) * resource.getpagesize()
        limit = vm_bytes + mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError):
        pass
    t0 = time.perf_counter()
    try:
        out = ("ok", repr(fn(*args)))
    except MemoryError:
        out = ("memory", f"MemoryError (over {mb} MB)")
    except BaseException as exc:  # the test decides whether an exception is fine
        out = ("raised", f"{type(exc).__name__}: {exc}", traceback.format_exc(limit=3))
    secs = time.perf_counter() - t0
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
    conn.send((out, grown_mb, secs))
    conn.close()


def run_bounded(fn: Callable[..., Any], *args: Any, seconds: float = 20,
                mb: int = DEFAULT_MB) -> tuple[tuple, float, float]:
    """((status, detail...), peak memory growth in MB, seconds) of ``fn(*args)`` in a forked
    child; status "ok", "raised", "memory" or "timeout"."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, args, mb), daemon=True)
    proc.start()
    child.close()
    if parent.poll(seconds):
        result = parent.recv()
        proc.join(5)
        return result
    proc.kill()
    proc.join(5)
    return ("timeout", f"still running after {seconds} s"), float("nan"), seconds
