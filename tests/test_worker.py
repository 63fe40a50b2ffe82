"""The Worker shared by the local and Ray engines (neither engine imports the other)."""
from __future__ import annotations

import pytest

from inference.worker import Worker

from .test_architecture import graph


def test_the_engines_do_not_import_each_other():
    g = graph()
    assert "inference.batch" not in g["inference.ray_engine"]  # batch -> ray_engine only
    assert "inference.batch" not in g["inference.worker"]
    assert "inference.ray_engine" not in g["inference.worker"]


def test_worker_gives_records_and_error_records(seed_texts):
    w = Worker(None)
    ok = w.process("a.txt", seed_texts["seed-003"].encode())
    assert ok["error"] is None and ok["facts"]
    bad = w.process("b.pdf", b"%PDF-1.4 broken")
    assert bad["error"]["kind"] == "load" and bad["sha256"]


def test_a_worker_whose_model_does_not_load_gives_internal_error_records(tmp_path):
    w = Worker(str(tmp_path / "no-model"))
    assert w.init_error and "cannot load model" in w.init_error
    rec = w.process("a.txt", "全年主动公开政府信息12条。".encode())
    assert rec["error"]["kind"] == "internal"


@pytest.mark.parametrize("seconds, limited", [(0.000001, True), (None, False)])
def test_worker_time_limit(seed_texts, seconds, limited):
    rec = Worker(None, seconds=seconds).process("a.txt", seed_texts["seed-002"].encode())
    assert bool(rec["error"] and "time limit" in rec["error"]["message"]) is limited
