"""The HTTP face of the Label Studio ML backend (``annotations.ml_backend.MLBackend``):
the protocol's ``/health``, ``/setup``, ``/predict``, ``/webhook`` and ``/train``, the
training run's status and log, and the served model's history. Mountable as a sub-app."""
from __future__ import annotations

from typing import Any

from .config import LabelConfigError, check_label_config
from .ml_backend import BackendError, MLBackend, TrainingBusy


def create_app(backend: MLBackend):
    """The FastAPI app of the protocol (mountable as a sub-app of another service)."""
    from fastapi import Body, FastAPI, HTTPException
    from fastapi.responses import PlainTextResponse

    app = FastAPI(title="govie ML backend for Label Studio", version="1")

    @app.get("/health")
    @app.get("/")
    def health() -> dict:
        return {"status": "UP", "model_class": "govie", "model_version": backend.model_version}

    @app.post("/setup")
    def setup(body: dict = Body(...)) -> dict:
        schema = body.get("schema") or ""
        try:
            check_label_config(schema, where=f"project {body.get('project')}")
        except LabelConfigError as exc:
            raise HTTPException(400, f"{exc}; use the config of `govie annotations config`") from None
        backend.setup_info = {k: body.get(k) for k in ("project", "hostname", "access_token")}
        return {"model_version": backend.model_version}

    @app.post("/predict")
    def predict(body: dict = Body(...)) -> dict:
        tasks = body.get("tasks") or []
        if body.get("label_config"):
            try:
                check_label_config(body["label_config"], where=f"project {body.get('project')}")
            except LabelConfigError as exc:
                raise HTTPException(400, str(exc)) from None
        return {"results": backend.predict(tasks), "model_version": backend.model_version}

    def _start(project: Any) -> dict:
        if project in (None, ""):
            raise HTTPException(400, "no project in the request")
        try:
            run = backend.start_training(project)
        except TrainingBusy as exc:
            raise HTTPException(409, str(exc)) from None
        return {"job": run.id, "status": run.status}

    @app.post("/webhook")
    def webhook(body: dict = Body(...)) -> dict:
        action = body.get("action")
        if action != "START_TRAINING":
            return {"status": "ignored", "action": action}
        proj = body.get("project") or {}
        return _start(proj.get("id") if isinstance(proj, dict) else proj)

    @app.post("/train")
    def train(body: dict = Body(default={})) -> dict:
        proj = body.get("project")
        return _start(str(proj).split(".", 1)[0] if proj is not None else None)

    @app.get("/train/status")
    def train_status() -> dict:
        return backend.status()

    @app.get("/train/log", response_class=PlainTextResponse)
    def train_log() -> str:
        return backend.log_text()

    @app.get("/versions")
    def versions() -> dict:
        return {"versions": [backend.model_version]}

    @app.get("/models")
    def models() -> dict:
        return backend.models()

    @app.post("/models/use")
    def models_use(body: dict = Body(...)) -> dict:
        try:
            s = backend.use(body.get("path"))
        except Exception as exc:  # noqa: BLE001 - ModelLoadError and friends: tell the caller
            raise HTTPException(400, f"{type(exc).__name__}: {exc}") from None
        return {"path": s.path, "model_version": s.version}

    @app.post("/models/rollback")
    def models_rollback() -> dict:
        try:
            s = backend.rollback()
        except BackendError as exc:
            raise HTTPException(409, str(exc)) from None
        return {"path": s.path, "model_version": s.version}

    return app


def serve(backend: MLBackend, host: str = "127.0.0.1", port: int = 9090) -> None:
    import uvicorn

    uvicorn.run(create_app(backend), host=host, port=port, log_level="info")
