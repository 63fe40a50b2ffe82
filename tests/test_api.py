"""The Python API: Extractor.load / extract / extract_many, Report."""
from __future__ import annotations

import warnings

import pandas as pd
import pytest

from inference import Extractor
from inference.api import Report, looks_like_path
from inference.data import Span
from inference.output import validate_record

from .conftest import SAMPLES

TEXT = "全市共主动公开政府信息30659条,全文电子化率100%。"


@pytest.fixture(scope="module")
def ex():
    return Extractor.load(rules_only=True)


def test_load_without_default_model_warns_and_runs_rules(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVIE_MODELS", str(tmp_path))
    with pytest.warns(UserWarning, match="running rules only"):
        e = Extractor.load()
    assert e.tagger is None and e.runtime is None
    r = e.extract(TEXT)
    assert r.warnings[0].code == "rules_only"
    assert any(f.value == 30659 for f in r.facts)


def test_load_of_a_missing_model_folder_is_an_error(tmp_path):
    from inference.tagger import ModelNotFound

    with pytest.raises(ModelNotFound):
        Extractor.load(tmp_path / "nope")


def test_load_of_the_default_model_and_of_a_runtime_it_lacks(tmp_path, monkeypatch):
    from inference.onnx_runtime import onnx_ready
    from inference.tagger import ModelNotFound, default_model_dir

    e = Extractor.load()  # the embedded default model
    assert e.tagger is not None and e.model_version and e.runtime in ("torch", "onnx")
    assert e.runtime == ("onnx" if onnx_ready(default_model_dir()) else "torch")
    r = e.extract("全市共主动公开政府信息30659条,全文电子化率100%。")
    assert any(f.value == 30659 and f.key == "proactive.total" for f in r.facts)
    bare = tmp_path / "m"
    bare.mkdir()
    (bare / "config.json").write_text((default_model_dir() / "config.json").read_text())
    with pytest.raises(ModelNotFound, match="export-onnx"):
        Extractor.load(bare, runtime="onnx")


def test_extract_text_report(ex):
    r = ex.extract(TEXT)
    assert isinstance(r, Report) and r.source == "<text>" and r.error is None
    (f,) = [f for f in r.facts if f.value == 30659]
    assert f.key == "proactive.total" and f.evidence.text == "30659条"
    assert {s.label for s in r.entities} >= {"COUNT", "PERCENT", "METRIC"}
    assert r.relations and r.checks == [] and r.tables == []
    assert r.metadata is not None


def test_to_dict_is_the_valid_record_and_to_frame_has_the_facts(ex):
    r = ex.extract(TEXT)
    rec = r.to_dict()
    validate_record(rec, TEXT)
    assert rec["facts"][0]["evidence"]["text"] in TEXT
    df = r.to_frame()
    assert isinstance(df, pd.DataFrame) and len(df) == len(r.facts)
    assert 30659 in set(df["value"])


def test_path_vs_text(ex, tmp_path):
    p = tmp_path / "r.txt"
    p.write_text(TEXT, encoding="utf-8")
    assert ex.extract(p).source == str(p)                       # pathlib.Path: a file
    assert ex.extract(str(p)).source == str(p)                  # a str that looks like a path
    assert ex.extract("r.txt 全市受理申请27件。").source == "<text>"  # text
    with pytest.raises(FileNotFoundError, match="extract_text"):
        ex.extract(str(tmp_path / "missing.pdf"))
    assert ex.extract_text("report.txt").source == "<text>"     # explicit
    assert ex.extract(TEXT.encode("gb18030"), name="x.txt").facts
    with pytest.raises(TypeError):
        ex.extract(123)


@pytest.mark.parametrize("s, is_path", [
    ("report.txt", True), ("/data/年报.PDF", True), ("a/b.docx", True), ("x.html", True),
    ("全市受理申请27件。", False), ("line one\nreport.txt", False), ("report", False),
    ("x" * 500 + ".txt", False), ("", False),
])
def test_looks_like_path(s, is_path):
    assert looks_like_path(s) is is_path


def test_extract_many_batches_keeps_order_and_errors(ex, tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_text("  ", encoding="utf-8")
    items = [SAMPLES / "seed-000.txt", bad, "全市受理申请27件。", SAMPLES / "seed-003.txt"]
    reports = list(ex.extract_many(items, batch_size=3))
    assert [r.source for r in reports] == [str(items[0]), str(bad), "<text>", str(items[3])]
    assert reports[1].error and "empty" in reports[1].error and reports[1].facts == []
    assert reports[1].to_dict()["error"]
    assert reports[0].facts and reports[3].facts
    one = ex.extract(SAMPLES / "seed-003.txt")
    assert [f.value for f in one.facts] == [f.value for f in reports[3].facts]
    with pytest.raises(ValueError):
        list(ex.extract_many([], batch_size=0))


def test_extract_many_runs_the_model_once_per_batch():
    class Counting:
        model_version, labels = "count", ("COUNT",)
        calls = 0

        def predict_entities(self, texts, regions=None):
            Counting.calls += 1
            return [[] for _ in texts]

    e = Extractor(Counting(), runtime="torch")
    out = list(e.extract_many([TEXT, TEXT, TEXT], batch_size=2, progress=True))
    assert len(out) == 3 and Counting.calls == 2
    assert all(any(f.value == 30659 for f in r.facts) for r in out)


def test_model_path_is_used(monkeypatch, tmp_path):
    import inference.tagger as tagger_mod

    class Fake:
        model_version, labels = "fake-1", ("METRIC",)

        def predict_entities(self, texts, regions=None):
            return [[Span(0, 2, t[:2], "METRIC", 0.9, "model")] for t in texts]

    seen = {}

    def fake_load(path=None, runtime="auto"):
        seen.update(path=path, runtime=runtime)
        return Fake()

    monkeypatch.setattr(tagger_mod, "load_tagger", fake_load)
    e = Extractor.load(tmp_path, runtime="torch")
    assert seen == {"path": tmp_path, "runtime": "torch"} and e.model_version == "fake-1"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = e.extract("全市受理申请27件。")
    assert not [w for w in r.warnings if w.code == "rules_only"]


def test_extract_many_goes_on_when_the_model_fails_on_one_report():
    class Fragile:
        model_version, labels = "fragile", ("COUNT",)

        def predict_entities(self, texts, regions=None):
            if any("炸" in t for t in texts):
                raise RuntimeError("tokenizer blew up")
            return [[] for _ in texts]

    e = Extractor(Fragile(), runtime="torch")
    out = list(e.extract_many([TEXT, "一、总体情况\n炸了\n", TEXT], batch_size=3))
    assert [bool(r.error) for r in out] == [False, True, False]
    assert "ner failed: RuntimeError: tokenizer blew up" in out[1].error
    assert out[1].to_dict()["error"]["kind"] == "pipeline"
    assert any(f.value == 30659 for f in out[0].facts) and any(f.value == 30659 for f in out[2].facts)


@pytest.mark.parametrize("limit, limited", [(0.000001, True), (None, False)])
def test_time_limit_per_report(seed_texts, limit, limited):
    from inference import Extractor
    from inference.errors import TimeLimitExceeded

    ex = Extractor.load(rules_only=True, time_limit=limit)
    text = seed_texts["seed-002"]
    if limited:
        with pytest.raises(TimeLimitExceeded, match="time limit"):
            ex.extract_text(text)
    else:
        assert ex.extract_text(text).facts
    reports = list(ex.extract_many([text, "全市共主动公开政府信息30659条。"], batch_size=2))
    assert [bool(r.error and "time limit" in r.error) for r in reports] == [limited, limited]
    assert all(r.to_dict()["error"]["kind"] == "pipeline" for r in reports if r.error)
