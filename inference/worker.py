"""The work of one report, shared by every engine: ``Worker`` holds a pipeline built once
(with its model) and turns the bytes of a report into its record, or an error record.

The local engine (``inference.batch``) makes one Worker in its own process (``--jobs 1``)
or one per worker process (``init_worker``, the pool's initializer; ``current()`` is that
process's Worker); the Ray engine (``inference.ray_engine``) makes one per actor. Neither
engine imports the other. The rules are loaded once per Worker: a loaded ``Rules`` handed
over (this process), or the rules folder, loaded with ``load_rules`` (a worker process or
an actor: the folder is what crosses the process boundary; the engine loaded and validated
it once before starting them).

Worker processes also watch their parent: if it dies (SIGKILL, OOM killer) they exit
instead of waiting forever on a pipe that nobody writes (``watch_parent``).
"""
from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

from .deadline import time_limit
from .errors import LoadError, TimeLimitExceeded
from .load import DEFAULT_LIMIT_MB, load_bytes
from .output import error_record, record

if TYPE_CHECKING:
    from .rules import Rules

RulesArg = Union["Rules", str, Path, None]


def rules_of(rules: RulesArg) -> Rules:
    """``rules`` if loaded, else the rules of that folder (None: ``default_rules()``)."""
    from .rules import Rules, default_rules, rules_at

    if isinstance(rules, Rules):
        return rules
    return default_rules() if rules is None else rules_at(Path(rules))


def build_pipeline(model: Optional[str], threads: Optional[int] = None,
                   rules: Optional[Rules] = None):
    """The pipeline with the tagger of ``model`` (a model folder, run on ``threads`` CPU
    threads), or rules only, and the loaded ``rules``."""
    from .pipeline import Pipeline

    tagger = None
    if model is not None:
        from .tagger import load_tagger

        tagger = load_tagger(model, threads=threads)
    return Pipeline(tagger, rules=rules_of(rules))


class Worker:
    """The pipeline of one process or actor, built once. A model that fails to load makes
    every report an error record (``init_error``) rather than a broken pool.
    ``seconds``: the time limit per report (None: none); ``rules``: a loaded ``Rules``, or
    the rules folder to load (None: ``default_rules()``)."""

    def __init__(self, model: Optional[str] = None, threads: Optional[int] = None,
                 seconds: Optional[float] = None, rules: RulesArg = None) -> None:
        self.model = model
        self.seconds = seconds
        self.rules = rules_of(rules)
        self.pipeline = None
        self.init_error: Optional[str] = None
        try:
            self.pipeline = build_pipeline(model, threads, rules=self.rules)
        except Exception as exc:
            self.init_error = f"cannot load model {model}: {type(exc).__name__}: {exc}"

    def process(self, source: str, data: bytes,
                limit_mb: float = DEFAULT_LIMIT_MB) -> dict[str, Any]:
        """The record of one report (an error record if it cannot be processed). A record
        carries the hash the loader computed; only an error record hashes the bytes here."""
        with time_limit(self.seconds):
            try:
                doc = load_bytes(data, source, limit_mb=limit_mb, rules=self.rules)
            except (LoadError, TimeLimitExceeded) as exc:
                return error_record(source, _sha(data), _named(source, exc), "load")
            except Exception as exc:  # a loader bug: the same bytes fail the same way
                return error_record(source, _sha(data), f"{source}: loader failed: "
                                    f"{type(exc).__name__}: {exc}", "load")
            if self.init_error is not None:
                return error_record(source, _sha(data), f"{source}: {self.init_error}", "internal")
            try:
                return record(self.pipeline(doc))
            except TimeLimitExceeded as exc:
                return error_record(source, _sha(data), _named(source, exc), "pipeline")
            except Exception as exc:
                return error_record(source, _sha(data), f"{source}: pipeline failed: "
                                    f"{type(exc).__name__}: {exc}", "pipeline")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _named(source: str, exc: Exception) -> str:
    """The message of ``exc``, starting with the report's name."""
    msg = str(exc)
    return msg if msg.startswith(source) else f"{source}: {msg}"


_CURRENT: Optional[Worker] = None  # the Worker of this worker process (init_worker)


def init_worker(model: Optional[str], threads: Optional[int] = None,
                seconds: Optional[float] = None, watch: bool = True,
                rules: Optional[str] = None) -> Worker:
    """The initializer of a worker process: build its Worker once (``rules``: the rules
    folder, loaded here once); exit on SIGTERM and when the parent dies."""
    global _CURRENT
    warnings.simplefilter("ignore")
    if watch:
        signal.signal(signal.SIGTERM, lambda *_: os._exit(143))
        watch_parent()
    _CURRENT = Worker(model, threads, seconds, rules)
    return _CURRENT


def current() -> Worker:
    """This process's Worker (rules only if ``init_worker`` was not called)."""
    global _CURRENT
    if _CURRENT is None:
        _CURRENT = Worker(None)
    return _CURRENT


def watch_parent(interval: float = 1.0) -> threading.Thread:
    """A daemon thread that ends this process when its parent is gone (re-parented: the
    parent pid changes)."""
    parent = os.getppid()

    def loop() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(1)

    t = threading.Thread(target=loop, name="govie-parent-watch", daemon=True)
    t.start()
    return t
