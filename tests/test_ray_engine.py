"""Ray engine: the same records as the local engine, the pipeline built once per actor."""
from __future__ import annotations

import os
import shutil
import tarfile
import zipfile

import numpy as np
import pytest

from inference import batch
from inference.batch import UsageError, process, run_extract
from inference.cli import main
from inference.output import read_jsonl, validate_record
from inference.ray_engine import ExtractBatch, rows

RAY_ENV = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray with 2 CPUs for the module (the engine reuses a running Ray)."""
    import ray

    saved = {k: os.environ.get(k) for k in RAY_ENV}
    os.environ.update(RAY_ENV)
    ray.init(num_cpus=2, include_dashboard=False, logging_level="warning")
    yield ray
    ray.shutdown()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture()
def inputs(tmp_path, samples_dir):
    """The sample reports, a bad PDF, an unknown file, a zip and a tar.gz of new reports."""
    d = tmp_path / "in"
    d.mkdir()
    for p in sorted(samples_dir.glob("seed-*.txt")):
        shutil.copy(p, d / p.name)
    (d / "corrupt.pdf").write_bytes(b"%PDF-1.4\n not a pdf at all")
    (d / "notes.xyz").write_text("unknown type: ignored")
    with zipfile.ZipFile(d / "more.zip", "w") as zf:
        zf.writestr("a/new.txt", "一、总体情况\n全年主动公开政府信息7条。\n")
        zf.writestr("a/bad.docx", b"PK not a docx")
        zf.write(samples_dir / "seed-001.txt", "a/copy-of-seed-001.txt")  # duplicate content
    src = tmp_path / "t.txt"
    src.write_text("二、主动公开政府信息情况\n本年共受理政府信息公开申请15件。\n", encoding="utf-8")
    with tarfile.open(d / "more.tar.gz", "w:gz") as tf:
        tf.add(src, "b/tar-member.txt")
    return d


def by_source(path):
    return sorted(read_jsonl(path), key=lambda r: r["source"])


def test_rows_send_files_as_paths_and_members_as_bytes(tmp_path):
    f = tmp_path / "r.txt"
    f.write_text("x", encoding="utf-8")
    out = rows([(str(f), b"x"), (f"{tmp_path}/a.zip!m.txt", b"member")])
    assert out[0] == {"source": str(f), "path": str(f.resolve()), "data": b""}
    assert out[1] == {"source": f"{tmp_path}/a.zip!m.txt", "path": "", "data": b"member"}


def test_actor_builds_pipeline_once_and_gives_local_records(tmp_path, samples_dir, monkeypatch):
    calls = []
    from inference import worker

    real = worker.build_pipeline
    monkeypatch.setattr(worker, "build_pipeline",
                        lambda m, threads=None, rules=None: calls.append(m) or real(m, threads, rules))
    seed = samples_dir / "seed-002.txt"
    actor = ExtractBatch(None, 50.0)
    batch_rows = rows([(str(seed), seed.read_bytes()), ("x.zip!bad.pdf", b"%PDF broken")])
    cols = {k: np.array([r[k] for r in batch_rows], dtype=object) for k in batch_rows[0]}
    first = actor(cols)
    second = actor(cols)
    assert calls == [None]  # built in the constructor only
    import json

    recs = [json.loads(r) for r in first["record"]]
    assert list(first["source"]) == [str(seed), "x.zip!bad.pdf"]
    assert recs[0] == json.loads(json.dumps(process(str(seed), seed.read_bytes(), 50.0),
                                            ensure_ascii=False))
    assert recs[0]["error"] is None and recs[0]["facts"]
    assert recs[1]["error"]["kind"] == "load" and recs[1]["sha256"]
    assert list(second["record"]) == list(first["record"])


def test_ray_engine_matches_local_engine(tmp_path, inputs, local_ray):
    local_out, ray_out = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    local = run_extract([str(inputs)], local_out, no_model=True, progress=False)
    code = main(["extract", str(inputs), "-o", str(ray_out), "--no-model", "--engine", "ray",
                 "--jobs", "2", "--quiet"])
    assert code == 1  # the bad inputs fail, in both engines
    a, b = by_source(local_out), by_source(ray_out)
    assert [r["source"] for r in a] == [r["source"] for r in b]
    assert a == b  # records carry no run-specific fields (timings): equal as they are
    for r in b:
        validate_record(r)
    errors = {r["source"][len(str(inputs)) + 1:] for r in b if r["error"]}
    assert errors == {"corrupt.pdf", "more.zip!a/bad.docx"}
    assert any(r["source"].endswith("more.tar.gz!b/tar-member.txt") and r["facts"] for r in b)
    dup = [r for r in b if "copy-of-seed-001" in r["source"] or r["source"].endswith("seed-001.txt")]
    assert len(dup) == 1  # the same content under two names is extracted once
    assert local.ok == sum(not r["error"] for r in b) == 7


def test_ray_engine_resumes(tmp_path, inputs, local_ray):
    out = tmp_path / "ray.jsonl"
    first = run_extract([str(inputs)], out, no_model=True, progress=False, engine="ray")
    n = len(list(read_jsonl(out)))
    again = run_extract([str(inputs)], out, no_model=True, progress=False, engine="ray")
    assert len(list(read_jsonl(out))) == n == first.ok + first.failed
    assert (again.ok, again.skipped) == (0, first.ok + first.failed + first.skipped)


@pytest.mark.parametrize("args,message", [
    (["--address", "auto"], "--address needs --engine ray"),
    (["--engine", "spark"], "invalid choice"),
])
def test_engine_usage_errors(tmp_path, samples_dir, capsys, args, message):
    code = main(["extract", str(samples_dir), "-o", str(tmp_path / "o.jsonl"), "-q", *args])
    assert code == 2
    assert message in capsys.readouterr().err
    with pytest.raises(UsageError, match="unknown engine"):
        run_extract([str(samples_dir)], tmp_path / "o.jsonl", engine="spark")
