"""annotations.ml_backend: the Label Studio ML backend, served by uvicorn on 127.0.0.1 and
connected to a real Label Studio 1.23 (tests/labelstudio_server.py, started with loopback
backends allowed): predictions on tasks, training from the "Start training" webhook."""
from __future__ import annotations

import re
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from annotations.client import Settings, connect
from annotations.config import label_config_xml
from annotations.ml_backend import MLBackend, promote_decision
from annotations.ml_http import create_app
from annotations.push import push
from annotations.sets import list_sets, load_manifest
from tests.labelstudio_server import free_port
from tests.test_tagger import make_tiny_model

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "reports"
REPORT = SAMPLES / "seed-001.txt"
TINY_TRAIN = ["max_steps=2", "epochs=1", "export_onnx=false", "refit_all=false", "max_minutes=null",
              "fp16_weights=false", "checkpoint=false", "dev_fraction=0.5", "threads=1",
              "max_length=64", "stride=16", "batch_size=4", "eval_batch_size=8"]


@contextmanager
def running(app):
    """``app`` served by uvicorn on 127.0.0.1 in a thread; its URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    t0 = time.monotonic()
    while not server.started:
        assert th.is_alive() and time.monotonic() - t0 < 30, "backend did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        th.join(10)


@pytest.mark.parametrize("policy, serving, new, expected", [
    ("better", 0.62, 0.71, True),
    ("better", 0.71, 0.71, False),   # equal is not better: keep what annotators already trust
    ("better", 0.71, 0.40, False),
    ("better", None, 0.10, True),    # nothing to compare with (patterns only): serve the model
    ("better", 0.50, None, False),   # the new run had no dev documents
    ("always", 0.90, 0.10, True),
    ("never", 0.10, 0.90, False),
])
def test_promote_decision(policy, serving, new, expected):
    assert promote_decision(policy, serving, new) is expected


def test_promote_decision_rejects_unknown_policy():
    with pytest.raises(ValueError, match="better, always, never"):
        promote_decision("sometimes", 0.1, 0.2)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny-serving"))


def _count_annotation(text: str) -> list[dict]:
    """What an annotator draws: each 'N件|条|次' as COUNT, the 2 characters before as METRIC, measures."""
    result, last_end = [], -1
    for k, m in enumerate(re.finditer(r"\d+[件条次]", text)):
        if m.start() < 2 or m.start() - 2 < last_end:
            continue
        c, mt = f"c{k}", f"m{k}"
        for rid, s, e, lab in ((mt, m.start() - 2, m.start(), "METRIC"), (c, m.start(), m.end(), "COUNT")):
            result.append({"id": rid, "from_name": "label", "to_name": "text", "type": "labels",
                           "value": {"start": s, "end": e, "text": text[s:e], "labels": [lab]}})
        result.append({"from_id": c, "to_id": mt, "type": "relation", "direction": "right",
                       "labels": ["measures"]})
        last_end = m.end()
    return result


def test_protocol_endpoints_over_http(tiny, tmp_path):
    backend = MLBackend(tiny, tmp_path / "models", tmp_path / "sets")
    text = "2023年，本机关共收到政府信息公开申请126件，办结121件。"
    with running(create_app(backend)) as url:
        assert httpx.get(f"{url}/health").json() == {"status": "UP", "model_class": "govie",
                                                      "model_version": "tiny-test"}
        ok = httpx.post(f"{url}/setup", json={"project": "1.1", "schema": label_config_xml()})
        assert ok.json() == {"model_version": "tiny-test"}
        bad = httpx.post(f"{url}/setup", json={"project": "1.1", "schema": "<View><Text name='t' value='$t'/></View>"})
        assert bad.status_code == 400 and "govie annotations config" in bad.json()["detail"]
        r = httpx.post(f"{url}/predict", json={"tasks": [{"id": 1, "data": {"text": text}}, {"id": 2, "data": {}}],
                                               "label_config": label_config_xml(), "project": "1.1"}).json()
        first, empty = r["results"]
        assert first["model_version"] == "tiny-test" and empty["result"] == []
        regions = {x["id"]: x for x in first["result"] if x["type"] == "labels"}
        assert {x["value"]["text"] for x in regions.values()} >= {"126件", "121件"}  # the patterns' COUNTs
        for x in regions.values():
            v = x["value"]
            assert text[v["start"]:v["end"]] == v["text"] and 0.0 <= x["score"] <= 1.0
        for rel in (x for x in first["result"] if x["type"] == "relation"):
            assert rel["labels"] == ["measures"] and regions[rel["from_id"]]["value"]["labels"][0] in (
                "COUNT", "PERCENT", "MONEY") and regions[rel["to_id"]]["value"]["labels"] == ["METRIC"]
        assert httpx.post(f"{url}/webhook", json={"action": "PROJECT_UPDATED"}).json()["status"] == "ignored"
        assert httpx.get(f"{url}/train/status").json()["status"] == "idle"
        assert httpx.post(f"{url}/models/rollback").status_code == 409  # nothing before the first model


def test_label_studio_predictions_and_training(labelstudio_loopback_backends, tiny, tmp_path):
    ls = labelstudio_loopback_backends
    settings = Settings(ls.url, ls.token)
    conn = connect(settings)
    short = tmp_path / "seed-001-part.txt"
    short.write_text(REPORT.read_text(encoding="utf-8")[:2400], encoding="utf-8")
    from annotations.select import selector
    from inference.tagger import load_tagger

    res = push(conn, "govie ml backend", [short], None, max_chars=300,
               select=selector(6, "uncertain", load_tagger(tiny)))  # --select uncertain 6
    assert res.tasks_created == 6 and "selected 6 of" in res.notes[-1]
    rest = push(conn, "govie ml backend", [short], None, max_chars=300)  # and then the others
    assert rest.tasks_skipped == 6 and rest.tasks_created >= 2
    models_dir, data_dir = tmp_path / "models", tmp_path / "sets"
    backend = MLBackend(tiny, models_dir, data_dir, settings, overrides=TINY_TRAIN, promote="always")
    auth = {"Authorization": f"Token {ls.token}"}
    with running(create_app(backend)) as url, httpx.Client(base_url=ls.url, headers=auth, timeout=120) as api:
        ml = api.post("/api/ml/", json={"url": url, "project": res.project_id, "title": "govie"})
        assert ml.status_code == 201, ml.text
        ml_id = ml.json()["id"]
        assert api.get(f"/api/ml/{ml_id}").json()["state"] == "CO"  # connected: /health and /setup answered
        act = api.post("/api/dm/actions", params={"id": "retrieve_tasks_predictions", "project": res.project_id},
                       json={"selectedItems": {"all": True, "excluded": []}})
        assert act.status_code == 200, act.text
        tasks = list(conn.sdk.tasks.list(project=res.project_id, fields="all"))
        assert len(tasks) == res.tasks_created + rest.tasks_created
        for t in tasks:
            (pred,) = t.predictions
            assert pred.model_version == "tiny-test"
            if "doubt" in t.data:  # sorting by prediction score puts the most doubtful first
                assert pred.score == pytest.approx(1.0 - t.data["doubt"], abs=1e-5)
            for r in pred.result:
                if r["type"] == "labels":
                    assert t.data["text"][r["value"]["start"]:r["value"]["end"]] == r["value"]["text"]
        assert sum(len(t.predictions[0].result) for t in tasks) > 0
        late = conn.sdk.projects.import_tasks(res.project_id, request=[{"data": {"text": "全年共受理政府信息公开申请58件。"}}],
                                              return_task_ids=True).task_ids[0]
        opened = api.get(f"/api/tasks/{late}").json()  # an annotator opens a new task
        assert [p["model_version"] for p in opened["predictions"]] == ["tiny-test"]
        assert "58件" in {r["value"]["text"] for r in opened["predictions"][0]["result"] if r["type"] == "labels"}
        conn.sdk.tasks.delete(late)

        annotated = [t for t in tasks if _count_annotation(t.data["text"])]
        assert len(annotated) >= 2
        for t in annotated:
            conn.sdk.annotations.create(id=t.id, result=_count_annotation(t.data["text"]), ground_truth=True)
        assert api.post(f"/api/ml/{ml_id}/train").status_code == 200  # the "Start training" button
        run = backend.wait(timeout=600)
        status = httpx.get(f"{url}/train/status").json()
        assert status["status"] == "done", status
        assert "model written to" in httpx.get(f"{url}/train/log").text
        (pulled,) = list_sets(data_dir)
        assert Path(status["set_path"]) == pulled
        assert load_manifest(pulled)["project"]["id"] == res.project_id and load_manifest(pulled)["docs"] == len(annotated)
        new_dir = Path(status["out_dir"])
        assert (new_dir / "govie_model.json").is_file() and new_dir.parent == models_dir
        figures = status["figures"]
        assert figures["dev_docs"] >= 1 and figures["serving_model_version"] == "tiny-test"
        assert all(0.0 <= figures[k] <= 1.0 for k in ("serving", "new"))  # both scored on the new run's dev docs
        assert status["promoted"] is True and run.model_version != "tiny-test"
        assert httpx.get(f"{url}/health").json()["model_version"] == run.model_version
        assert api.get(f"/api/ml/{ml_id}").json()["state"] in ("CO", "TR")
        assert httpx.post(f"{url}/train", json={"project": f"{res.project_id}.0"}).status_code == 200
        assert httpx.post(f"{url}/train", json={"project": f"{res.project_id}.0"}).status_code == 409  # one at a time
        backend.wait(timeout=600)
        back = httpx.post(f"{url}/models/rollback").json()
        assert back["model_version"] == run.model_version  # the second run's model was served; back one step
        models = httpx.get(f"{url}/models").json()
        assert len(models["trained"]) == 2 and str(tiny) in models["history"]


def test_serving_choice_survives_a_restart_and_rolls_back(tiny, tmp_path):
    other = make_tiny_model(tmp_path / "other", seed=1)
    (other / "govie_model.json").write_text('{"model_version": "tiny-other"}', encoding="utf-8")
    first = MLBackend(tiny, tmp_path / "models", tmp_path / "sets")
    assert first.use(str(other)).version == "tiny-other"
    again = MLBackend(None, tmp_path / "models", tmp_path / "sets")  # restarted without --model
    assert again.model_version == "tiny-other" and again.models()["history"] == [str(tiny), str(other)]
    assert again.rollback().version == "tiny-test" and again.model_version == "tiny-test"
    assert MLBackend(None, tmp_path / "models", tmp_path / "sets").model_version == "tiny-test"


def test_a_failed_run_is_reported_and_the_model_kept(tiny, tmp_path):
    gone = Settings(f"http://127.0.0.1:{free_port()}", "secret-token-77")
    backend = MLBackend(tiny, tmp_path / "models", tmp_path / "sets", gone)
    with running(create_app(backend)) as url:
        assert httpx.post(f"{url}/webhook", json={"action": "START_TRAINING", "project": {"id": 4}}).status_code == 200
        backend.wait(timeout=60)
        status = httpx.get(f"{url}/train/status").json()
    assert status["status"] == "failed" and "cannot reach Label Studio" in status["error"]
    assert "secret-token-77" not in status["error"] and status["serving_model_version"] == "tiny-test"
    assert list_sets(tmp_path / "sets") == []


def test_backend_command_serves(tiny, tmp_path):
    """``govie annotations backend`` as annotators start it, a real process on 127.0.0.1."""
    import os
    import subprocess
    import sys

    port = free_port()
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root), "GOVIE_LS_CONFIG": str(tmp_path / "none.toml")}
    env.pop("GOVIE_LS_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "inference.cli", "annotations", "backend", "--model", str(tiny),
                             "--port", str(port), "--models-dir", str(tmp_path / "models")],
                            env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        t0, health = time.monotonic(), None
        while health is None:
            assert proc.poll() is None, proc.stdout.read().decode(errors="replace")
            assert time.monotonic() - t0 < 90, "backend did not answer"
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).json()
            except httpx.HTTPError:
                time.sleep(0.5)
        assert health["model_version"] == "tiny-test"
        assert (tmp_path / "models" / "serving.json").is_file()
    finally:
        proc.terminate()
        proc.wait(20)


def test_default_model_is_named_so_training_continues_from_it(tmp_path):
    from inference.config import default_model_dir

    backend = MLBackend(None, tmp_path / "models", tmp_path / "sets")
    assert backend.served.path == str(default_model_dir()) and backend.model_version.startswith("default-")
    from annotations.ml_backend import TrainRun

    cmd = backend.train_command(TrainRun(id="run-x", project=1, out_dir=str(tmp_path / "models" / "run-x")))
    assert f"init_from={default_model_dir()}" in cmd and "refit_all=false" in cmd
