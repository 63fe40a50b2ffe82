"""The Python API: ``from inference import Extractor``.

    ex = Extractor.load()                      # embedded default model (rules only + warning if none)
    ex = Extractor.load("path/to/model")       # another model folder
    ex = Extractor.load(runtime="onnx")        # "auto" (ONNX int8 when exported), "torch", "onnx"
    ex = Extractor.load(rules_only=True)       # no model: patterns and table rules only
    ex = Extractor.load(time_limit=60)         # TimeLimitExceeded for a report over 60 s
    report = ex.extract(Path("report.pdf"))    # a file
    report = ex.extract("全市共主动公开政府信息30659条。")  # a text
    report.facts, report.to_dict(), report.to_frame()
    for report in ex.extract_many(paths, batch_size=8, progress=True): ...

What ``extract`` reads: a ``pathlib.Path`` is always a file; ``bytes`` are a file's content
(pass ``name=`` so its type is known); a ``str`` is text, unless it looks like a path — one
line, at most 400 characters, ending in a known report extension (.txt .html .pdf .docx …) —
in which case it is loaded as a file and ``FileNotFoundError`` is raised if it does not exist.
``extract_text`` and ``extract_file`` say which explicitly.
"""
from __future__ import annotations

import warnings as _warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Union

from . import __version__, ner
from .data import Document, ReportWarning
from .deadline import time_limit as _time_limit
from .errors import TimeLimitExceeded
from .load import FORMATS, LoadError, from_text, load_bytes, load_path
from .pipeline import Pipeline
from .rules import Rules, or_default

Input = Union[str, Path, bytes]


@dataclass
class Report:
    """The result for one report. ``error`` is set (and ``doc`` None) when the input could
    not be read; ``to_dict`` then gives the error record."""

    doc: Optional[Document]
    source: str
    error: Optional[str] = None
    model_version: Optional[str] = None
    error_kind: str = "load"  # or "pipeline": read, but a stage failed on it

    def _get(self, name: str) -> list:
        return list(getattr(self.doc, name)) if self.doc is not None else []

    @property
    def facts(self):
        return self._get("facts")

    @property
    def entities(self):
        return self._get("entities")

    @property
    def relations(self):
        return self._get("relations")

    @property
    def tables(self):
        return self._get("tables")

    @property
    def checks(self):
        return self._get("checks")

    @property
    def warnings(self) -> list[ReportWarning]:
        return self._get("warnings")

    @property
    def metadata(self):
        return self.doc.metadata if self.doc is not None else None

    @property
    def text(self) -> str:
        return self.doc.text if self.doc is not None else ""

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON record (``inference.output.record``)."""
        from .output import error_record, record

        if self.doc is None:
            return error_record(self.source, None, self.error or "unknown error",
                                self.error_kind)
        return record(self.doc)

    def to_frame(self):
        """The facts as a pandas DataFrame, one row per fact (``inference.output`` columns)."""
        from .output import facts_frame

        return facts_frame([self.to_dict()])

    def __repr__(self) -> str:
        state = f"error={self.error!r}" if self.error else f"{len(self.facts)} facts"
        return f"<Report {self.source!r}: {state}>"


def looks_like_path(s: str) -> bool:
    """A str is read as a path only when it is one line of at most 400 characters ending in
    a known report extension."""
    if not s or len(s) > 400 or "\n" in s:
        return False
    return Path(s.strip()).suffix.lower() in FORMATS


@dataclass
class Extractor:
    """The pipeline with its model, loaded once; ``extract`` is safe to call repeatedly."""

    tagger: Optional[ner.Tagger] = None
    runtime: Optional[str] = None  # "torch", "onnx", or None (rules only)
    model_path: Optional[str] = None
    notes: list[str] = field(default_factory=list)  # load-time warnings (e.g. no model)
    limit_mb: float = 50.0
    time_limit: Optional[float] = None  # seconds per report (TimeLimitExceeded); None: none
    rules: Optional[Rules] = None  # the loaded rules (None: default_rules())

    def __post_init__(self) -> None:
        self.rules = or_default(self.rules)
        self.pipeline = Pipeline(self.tagger, rules=self.rules)

    @classmethod
    def load(cls, path: Union[str, Path, None] = None, runtime: str = "auto",
             rules_only: bool = False, time_limit: Optional[float] = None,
             rules: Optional[Rules] = None) -> "Extractor":
        """See ``_load_model``; ``time_limit``: seconds per report (None: no limit);
        ``rules``: the loaded rules (None: ``default_rules()``)."""
        ex = cls._load_model(path, runtime, rules_only, rules)
        ex.time_limit = time_limit
        return ex

    @classmethod
    def _load_model(cls, path: Union[str, Path, None], runtime: str,
                    rules_only: bool, rules: Optional[Rules] = None) -> "Extractor":
        """The extractor with the model of ``path`` (default: the embedded
        ``models/default``). With no default model (or no torch/onnxruntime installed) it
        runs rules only and warns; a ``path`` given that holds no model, or a ``runtime``
        asked for that the model lacks (``onnx`` before ``govie export-onnx``), is an error."""
        if rules_only:
            return cls(rules=rules)
        try:
            from .tagger import ModelNotFound, load_tagger
        except ImportError as exc:  # numpy/tokenizer stack missing
            if path is not None:
                raise
            return cls._rules_only(f"model runtime unavailable ({exc}); running rules only", rules)
        try:
            tagger = load_tagger(path, runtime=runtime)
        except ModelNotFound as exc:
            if path is not None or runtime != "auto":  # asked for: a clear error
                raise
            return cls._rules_only(f"{exc}; running rules only (patterns and table rules)", rules)
        except ImportError as exc:
            if path is not None or runtime != "auto":
                raise
            return cls._rules_only(f"model runtime unavailable ({exc}); running rules only", rules)
        from .config import default_model_dir

        name = getattr(tagger, "runtime", runtime)  # a ModelTagger names its runtime adapter
        return cls(tagger, name, str(path if path is not None else default_model_dir()), rules=rules)

    @classmethod
    def _rules_only(cls, message: str, rules: Optional[Rules] = None) -> "Extractor":
        _warnings.warn(message, stacklevel=4)
        return cls(notes=[message], rules=rules)

    @property
    def model_version(self) -> Optional[str]:
        return getattr(self.tagger, "model_version", None) if self.tagger is not None else None

    @property
    def labels(self) -> list[str]:
        if self.tagger is not None:
            return list(self.tagger.labels)
        return list(self.pipeline.rules.labels.labels)

    # ---- reading inputs ----------------------------------------------------------------

    def _load(self, x: Input, name: Optional[str] = None) -> Document:
        if isinstance(x, Path):
            return load_path(x, limit_mb=self.limit_mb, rules=self.rules)
        if isinstance(x, (bytes, bytearray)):
            return load_bytes(bytes(x), name or "<bytes>", limit_mb=self.limit_mb, rules=self.rules)
        if isinstance(x, str):
            if looks_like_path(x):
                p = Path(x.strip())
                if not p.is_file():
                    raise FileNotFoundError(f"{x}: no such file (a one-line str ending in a "
                                            "report extension is read as a path; use "
                                            "extract_text() for text)")
                return load_path(p, limit_mb=self.limit_mb, rules=self.rules)
            return from_text(x, source=name or "<text>")
        raise TypeError(f"extract() takes a str, pathlib.Path or bytes, not {type(x).__name__}")

    def _finish(self, doc: Document) -> Report:
        if self.notes:
            doc.warnings = [ReportWarning("rules_only", n) for n in self.notes] + list(doc.warnings)
        return Report(doc, doc.source, model_version=self.model_version)

    # ---- extraction --------------------------------------------------------------------

    def extract(self, x: Input, name: Optional[str] = None) -> Report:
        """One report: a ``Path`` (file), ``bytes`` (file content, ``name`` gives its
        type) or ``str`` (text; see the module docstring for paths)."""
        with _time_limit(self.time_limit):
            return self._finish(self.pipeline(self._load(x, name)))

    def extract_text(self, text: str, source: str = "<text>") -> Report:
        with _time_limit(self.time_limit):
            return self._finish(self.pipeline(from_text(text, source=source)))

    def extract_file(self, path: Union[str, Path]) -> Report:
        with _time_limit(self.time_limit):
            return self._finish(self.pipeline(load_path(path, limit_mb=self.limit_mb, rules=self.rules)))

    def extract_many(self, items: Iterable[Input], batch_size: int = 8,
                     progress: bool = False) -> Iterator[Report]:
        """Reports for many inputs, in order, as an iterator. The model runs once per batch
        of ``batch_size`` reports (their windows batched together). An input that cannot be
        read gives a Report with ``error`` set; the run goes on."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        items = list(items) if progress else items
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(items), unit="report", desc="govie")  # type: ignore[arg-type]
        batch: list[tuple[Input, Optional[Document], Optional[str]]] = []
        try:
            for x in items:
                try:
                    batch.append((x, self._load(x), None))
                except (LoadError, FileNotFoundError, OSError, TypeError) as exc:
                    batch.append((x, None, str(exc)))
                if len(batch) >= batch_size:
                    yield from self._run_batch(batch, bar)
                    batch = []
            if batch:
                yield from self._run_batch(batch, bar)
        finally:
            if bar is not None:
                bar.close()

    def _run_batch(self, batch, bar) -> Iterator[Report]:
        """The pipeline over one batch: the stages before and after ``ner`` per document,
        ``ner`` over the batch's documents together. A document whose stages raise gets a
        Report with ``error`` (the stage and the exception); the others go on."""
        stages = list(self.pipeline.stages)
        k = stages.index("ner") if "ner" in stages else len(stages)
        pre = Pipeline(self.tagger, stages[:k], self.pipeline.rules)
        post = Pipeline(self.tagger, stages[k + 1:], self.pipeline.rules)
        docs: list[Optional[Document]] = [d for _, d, _ in batch]
        errs: list[Optional[tuple[str, str]]] = [(e, "load") if e else None for _, _, e in batch]

        def guard(i: int, stage: str, fn) -> None:
            try:
                with _time_limit(self.time_limit):
                    docs[i] = fn(docs[i])
            except TimeLimitExceeded as exc:
                docs[i] = None
                errs[i] = (f"{stage}: {exc}", "pipeline")
            except Exception as exc:  # one bad report must not end the run
                docs[i] = None
                errs[i] = (f"{stage} failed: {type(exc).__name__}: {exc}", "pipeline")

        for i in range(len(docs)):
            if docs[i] is not None:
                guard(i, "pipeline", pre)
        if "ner" in stages:
            live = [i for i, d in enumerate(docs) if d is not None]
            batch_limit = self.time_limit * len(live) if self.time_limit else None
            try:
                with _time_limit(batch_limit):
                    tagged = ner.tag_many([docs[i] for i in live], self.tagger, self.pipeline.rules)
                for i, d in zip(live, tagged):
                    docs[i] = d
            except Exception:  # find the culprit (or the slow one): one document at a time
                for i in live:
                    guard(i, "ner", lambda d: ner.tag_many([d], self.tagger, self.pipeline.rules)[0])
        for i in range(len(docs)):
            if docs[i] is not None:
                guard(i, "pipeline", post)
        for (x, _, _), d, err in zip(batch, docs, errs):
            if bar is not None:
                bar.update(1)
            if d is None:
                yield Report(None, str(x) if not isinstance(x, bytes) else "<bytes>",
                             error=err[0], error_kind=err[1])
            else:
                yield self._finish(d)


def version_info(ex: Extractor) -> dict[str, Any]:
    """What /version and ``govie --version`` report."""
    return {"govie": __version__, "model": ex.model_version, "model_path": ex.model_path,
            "runtime": ex.runtime or "rules", "labels": ex.labels}


__all__ = ["Extractor", "Report", "looks_like_path", "version_info"]
