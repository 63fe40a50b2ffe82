"""govie as a Label Studio ML backend (the protocol of Label Studio 1.23).

Label Studio calls, on the URL given in project → Settings → Model:

- ``GET /health`` — ``{"status": "UP", "model_version": ...}``;
- ``POST /setup`` — ``{project, schema, hostname, access_token, extra_params}`` when the backend
  is connected or a prediction is asked for; answers ``{"model_version": ...}``, or HTTP 400
  when the project's labelling config is not the one of ``govie annotations config``;
- ``POST /predict`` — ``{tasks, project, label_config, params}``; answers
  ``{"results": [prediction per task]}``, each prediction a Label Studio ``result`` list of
  ``labels`` regions (with scores) and ``measures`` relations, a ``score`` and a
  ``model_version`` (``annotations.push.prediction_for``: the same conversion as ``push``);
- ``POST /webhook`` (``{"action": "START_TRAINING", "project": {...}}``, the "Start training"
  button of 1.23) and the older ``POST /train`` — start a training run.

A training run (one at a time, in a background thread): pull the project into a new versioned
annotation set (``annotations.pull``), run ``govie train`` in a subprocess continuing from the
serving model (``init_from``) on the annotation sets of ``data_dir``, write the new model to
``models_dir/<run id>``, score both models on the new run's dev documents, and serve the new
model when it is better (``promote="better"``; ``"always"``; ``"never"``). ``GET /train/status``
and ``GET /train/log`` show the run; ``GET /models``, ``POST /models/use`` and
``POST /models/rollback`` show and change the serving model (every model is kept).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Union

from inference.errors import BackendError, TrainingBusy  # noqa: F401  (re-exported)
from training.config import DEFAULT_RECIPE  # the recipe govie train reads

from .client import Settings
from .config import TO_NAME
from .push import Predictor, default_predictor, prediction_for
from .select import confidences
from .sets import DATA_DIR, list_sets

log = logging.getLogger(__name__)

PROMOTE = ("better", "always", "never")
STATE_FILE = "serving.json"
# A run from the UI keeps its dev documents out of the weights (dev_ids.json), so that the
# serving and the new model are compared on documents the new one never saw.
BACKEND_OVERRIDES = ["refit_all=false"]


def default_models_dir() -> Path:
    from inference.config import ROOT

    return ROOT / "models" / "labelstudio"


@dataclass
class Served:
    """The serving model: its folder (None: the default model or patterns) and version."""

    path: Optional[str]
    version: str
    predictor: Optional[Predictor] = field(default=None, repr=False)


def load_served(path: Optional[Union[str, Path]]) -> Served:
    """The predictor of the model folder ``path`` (``default_predictor``; the default model,
    else the patterns (path None), when None). A folder that does not load raises ModelLoadError."""
    predictor, version, _ = default_predictor(path)
    if path is None and getattr(predictor, "tagger", None) is not None:
        from inference.config import default_model_dir

        path = default_model_dir()  # the embedded model, named: training continues from it
    return Served(str(path) if path is not None else None, version or "none", predictor)


@dataclass
class TrainRun:
    id: str
    project: Any
    status: str = "queued"  # queued, pulling, training, evaluating, done, failed
    started: str = ""
    ended: Optional[str] = None
    set_path: Optional[str] = None
    out_dir: Optional[str] = None
    log: Optional[str] = None
    returncode: Optional[int] = None
    figures: dict = field(default_factory=dict)  # dev micro F1 {"serving": .., "new": ..}, dev docs
    promoted: Optional[bool] = None
    model_version: Optional[str] = None
    error: Optional[str] = None


def promote_decision(policy: str, serving_f1: Optional[float], new_f1: Optional[float]) -> bool:
    """Serve the new model? ``better``: only with a strictly higher dev F1 (no dev figure: no)."""
    if policy not in PROMOTE:
        raise ValueError(f"promote must be one of {', '.join(PROMOTE)}, got {policy!r}")
    if policy == "always":
        return True
    if policy == "never" or new_f1 is None:
        return False
    return serving_f1 is None or new_f1 > serving_f1


def micro_f1(tagger: Any, docs: Sequence[Any], regions: Sequence) -> Optional[float]:
    """Exact-span micro F1 of the model alone on ``docs`` read in ``regions``
    (``training.evaluate.dev_f1``); None when there is no model or no document."""
    if tagger is None or not docs:
        return None
    from training.evaluate import dev_f1

    return float(dev_f1(tagger, docs, regions)["micro"]["f1"])


class MLBackend:
    """The state behind the HTTP app: the serving model, its history, the training run."""

    def __init__(self, model: Optional[Union[str, Path]] = None,
                 models_dir: Optional[Union[str, Path]] = None,
                 data_dir: Union[str, Path] = DATA_DIR, settings: Optional[Settings] = None,
                 recipe: str = DEFAULT_RECIPE, overrides: Sequence[str] = (), promote: str = "better",
                 python: str = sys.executable, connector: Optional[Callable[[Settings], Any]] = None):
        if promote not in PROMOTE:
            raise ValueError(f"promote must be one of {', '.join(PROMOTE)}")
        self.models_dir = Path(models_dir or default_models_dir())
        self.data_dir = Path(data_dir)
        self.settings, self.recipe, self.overrides = settings, recipe, list(overrides)
        self.promote, self.python = promote, python
        self.connector = connector
        self.setup_info: dict[str, Any] = {}
        self.lock = threading.Lock()
        self.run: Optional[TrainRun] = None
        self.thread: Optional[threading.Thread] = None
        state = self._read_state()
        start = str(model) if model is not None else state.get("current")
        self.history: list[Optional[str]] = state.get("history", [])
        self.served = load_served(start)
        if not self.history or self.history[-1] != self.served.path:
            self.history.append(self.served.path)
        self._write_state()

    # --- serving ------------------------------------------------------------------------

    def _read_state(self) -> dict:
        p = self.models_dir / STATE_FILE
        return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}

    def _write_state(self) -> None:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        (self.models_dir / STATE_FILE).write_text(json.dumps(
            {"current": self.served.path, "model_version": self.served.version, "history": self.history},
            ensure_ascii=False, indent=1), encoding="utf-8")

    @property
    def model_version(self) -> str:
        return self.served.version

    def predict(self, tasks: Sequence[dict]) -> list[dict]:
        """One Label Studio prediction per task (empty result when the task has no text).
        With a model, the prediction's score is its confidence in the task (1 - doubt, the
        windows of all tasks batched), so that sorting by prediction score puts the most
        doubtful tasks first."""
        served = self.served
        texts = [(t.get("data") or {}).get(TO_NAME) for t in tasks]
        usable = [i for i, x in enumerate(texts) if isinstance(x, str) and served.predictor is not None]
        confs = confidences(getattr(served.predictor, "tagger", None), [texts[i] for i in usable])
        out = [{"result": [], "score": 0.0, "model_version": served.version} for _ in tasks]
        for k, i in enumerate(usable):
            out[i] = prediction_for(texts[i], served.predictor, served.version)
            if confs is not None:
                out[i]["score"] = confs[k]
        return out

    def use(self, path: Optional[str]) -> Served:
        """Serve the model folder ``path`` (None: the default model); kept in the history."""
        return self._serve(load_served(path))

    def _serve(self, new: Served) -> Served:
        with self.lock:
            self.served = new
            self.history.append(new.path)
            self._write_state()
        return new

    def rollback(self) -> Served:
        """Serve the model served before the current one."""
        with self.lock:
            if len(self.history) < 2:
                raise BackendError("no earlier model to go back to")
            previous = self.history[-2]
            self.served = load_served(previous)
            self.history = self.history[:-1]
            self._write_state()
        return self.served

    def models(self) -> dict:
        found = sorted(str(p) for p in self.models_dir.iterdir()
                       if (p / "config.json").is_file()) if self.models_dir.is_dir() else []
        return {"serving": {"path": self.served.path, "model_version": self.served.version},
                "history": self.history, "trained": found}

    # --- training -----------------------------------------------------------------------

    def ls_settings(self) -> Settings:
        if self.settings is not None:
            return self.settings
        host, token = self.setup_info.get("hostname"), self.setup_info.get("access_token")
        if not host or not token:
            raise BackendError("no Label Studio URL and token: start the backend with --url and a token "
                               "(GOVIE_LS_TOKEN), or connect it to a project first (setup sends them)")
        return Settings(str(host).rstrip("/"), str(token))

    def start_training(self, project: Any) -> TrainRun:
        """Start a run for ``project`` (id or title) in the background; TrainingBusy if one runs."""
        with self.lock:
            if self.thread is not None and self.thread.is_alive():
                raise TrainingBusy(f"training run {self.run.id} is {self.run.status}; one run at a time")
            now = dt.datetime.now(dt.timezone.utc)
            run = TrainRun(id=now.strftime("run-%Y%m%d-%H%M%S-%f"), project=project,
                           started=now.isoformat(timespec="seconds"))
            run.out_dir = str(self.models_dir / run.id)
            run.log = str(self.models_dir / "runs" / f"{run.id}.log")
            self.run = run
            self.thread = threading.Thread(target=self._train, args=(run,), daemon=True, name=run.id)
            self.thread.start()
        return run

    def wait(self, timeout: Optional[float] = None) -> Optional[TrainRun]:
        if self.thread is not None:
            self.thread.join(timeout)
        return self.run

    def status(self, tail: int = 4000) -> dict:
        run = self.run
        if run is None:
            return {"status": "idle", "model_version": self.model_version}
        out = asdict(run)
        out["running"] = self.thread is not None and self.thread.is_alive()
        out["log_tail"] = self.log_text()[-tail:]
        out["serving_model_version"] = self.model_version
        return out

    def log_text(self) -> str:
        p = Path(self.run.log) if self.run is not None and self.run.log else None
        return p.read_text(encoding="utf-8", errors="replace") if p is not None and p.is_file() else ""

    def train_command(self, run: TrainRun) -> list[str]:
        sets = [str(p) for p in list_sets(self.data_dir)]
        cmd = [self.python, "-m", "training.cli", "train", "--config", self.recipe,
               "--set", f"out_dir={run.out_dir}", "--set", f"sets={json.dumps(sets)}"]
        if self.served.path is not None:
            cmd += ["--set", f"init_from={self.served.path}"]
        for o in BACKEND_OVERRIDES + self.overrides:
            cmd += ["--set", o]
        return cmd

    def _train(self, run: TrainRun) -> None:
        Path(run.log).parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(run.log, "a", encoding="utf-8") as fh:
                run.status = "pulling"
                fh.write(f"[{run.id}] pulling project {run.project}\n")
                fh.flush()
                run.set_path = str(self._pull(run.project))
                fh.write(f"[{run.id}] annotation set {run.set_path}\n")
                run.status = "training"
                cmd = self.train_command(run)
                fh.write(f"[{run.id}] {' '.join(cmd)}\n")
                fh.flush()
                run.returncode = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT,
                                                cwd=str(_project_root())).returncode
                if run.returncode != 0:
                    raise BackendError(f"govie train exited with {run.returncode} (see the log)")
                run.status = "evaluating"
                self._compare(run)
                fh.write(f"[{run.id}] dev micro F1 {run.figures}; promoted: {run.promoted}\n")
            run.status = "done"
        except Exception as exc:  # noqa: BLE001 - a failed run is reported, never kills the server
            run.status, run.error = "failed", f"{type(exc).__name__}: {exc}"
            log.warning("training run %s failed: %s", run.id, run.error)
        finally:
            run.ended = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")

    def _pull(self, project: Any) -> Path:
        from .client import connect
        from .pull import pull

        conn = (self.connector or connect)(self.ls_settings())
        return pull(conn, project, self.data_dir, strict=False).path

    def _compare(self, run: TrainRun) -> None:
        """Score the serving and the new model on the new run's dev documents; promote."""
        from training.data import load_docs, regions_of

        out = Path(run.out_dir)
        ids_file = out / "dev_ids.json"
        dev_ids = set(json.loads(ids_file.read_text(encoding="utf-8"))) if ids_file.is_file() else set()
        docs = [d for d in load_docs([str(p) for p in list_sets(self.data_dir)]) if d.doc_id in dev_ids]
        regions = [regions_of(d.text) for d in docs]  # both models read the same regions
        new = load_served(out)  # loaded once: scored, then served if promoted
        serving = self.served  # None path: the patterns, no model to score
        old_f1 = micro_f1(_tagger(serving) if serving.path is not None else None, docs, regions)
        new_f1 = micro_f1(_tagger(new), docs, regions)
        run.figures = {"dev_docs": len(docs), "serving": old_f1, "new": new_f1,
                       "serving_model_version": serving.version}
        run.model_version = new.version
        run.promoted = promote_decision(self.promote, old_f1, new_f1)
        if run.promoted:
            self._serve(new)


def _tagger(served: Served) -> Any:
    """The model of a served predictor (None for the patterns alone)."""
    return getattr(served.predictor, "tagger", None)


def _project_root() -> Path:
    from inference.config import ROOT

    return ROOT
