"""ONNX export (fp32 + int8) of a tiny random token classifier, and OnnxTagger parity with
TorchTagger (same text path)."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from inference.onnx_runtime import FastTokenizer, OnnxTagger, onnx_ready, stale_reason, weights_id
from inference.tagger import ModelNotFound, TorchTagger, load_tagger, pick_runtime
from training.export import export_onnx

from .conftest import TOKENIZER_DIR
from .test_tagger import make_tiny_model

TEXT = "全市共主动公开政府信息30659条,全文电子化率100%。其中市本级1658件。"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A 2-layer, hidden-64 BertForTokenClassification with the base encoder's tokenizer,
    exported by the real command."""
    def confident(model):  # larger classifier weights: confident, distinct argmaxes
        model.classifier.weight.normal_(0, 0.5)

    d = make_tiny_model(tmp_path_factory.mktemp("tiny"), tweak=confident,
                        info={"max_length": 32, "stride": 8, "model_version": "tiny-test"})
    from inference.cli import main

    assert main(["export-onnx", "--model", str(d)]) == 0  # the real command
    paths = {"fp32": d / "onnx" / "model.onnx", "int8": d / "onnx" / "model.int8.onnx"}
    return d, paths


def test_export_writes_fp32_and_int8(tiny_model, tmp_path):
    d, paths = tiny_model
    assert paths["fp32"].stat().st_size > 0
    assert paths["int8"].stat().st_size < paths["fp32"].stat().st_size
    out = export_onnx(d, tmp_path / "x", quantize=False)
    assert out == {"fp32": tmp_path / "x" / "model.onnx"} and out["fp32"].is_file()
    from inference.cli import main

    assert main(["export-onnx", "--model", str(d), "--out", str(tmp_path / "y"), "--int8-only"]) == 0
    assert sorted(p.name for p in (tmp_path / "y").iterdir()) == ["export.json", "model.int8.onnx"]
    info = json.loads((tmp_path / "y" / "export.json").read_text())
    assert info["files"] == ["model.int8.onnx"] and info["fused"] is True
    assert info["weights"] == weights_id(d) and info["model_version"] == "tiny-test"


def test_export_of_a_folder_without_model_fails_clearly(tmp_path, capsys):
    from inference.cli import main

    assert main(["export-onnx", "--model", str(tmp_path)]) == 2
    assert "no token-classifier model" in capsys.readouterr().err


def _inputs(tagger, texts):
    encs = [tagger.encode(t) for t in texts]
    rows = [w.input_ids for e in encs for w in e.windows]
    width = max(map(len, rows))
    ids = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for i, r in enumerate(rows):
        ids[i, :len(r)], mask[i, :len(r)] = r, 1
    return ids, mask


def test_fp32_logits_match_torch_and_int8_argmax_mostly_agrees(tiny_model):
    import torch

    d, _ = tiny_model
    tt = TorchTagger.from_dir(d)
    fp32 = OnnxTagger.from_dir(d, file="model.onnx")
    int8 = OnnxTagger.from_dir(d)
    ids, mask = _inputs(tt, [TEXT, TEXT * 3, "办结20件。"])  # several windows, padding
    with torch.inference_mode():
        ref = tt.model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits.numpy()
    got = fp32.logits(ids, mask)
    keep = mask.astype(bool)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got[keep], ref[keep], atol=1e-4)
    q = int8.logits(ids, mask)
    agree = (q.argmax(-1) == ref.argmax(-1))[keep].mean()
    assert agree >= 0.9, agree


def test_onnx_tagger_gives_the_torch_spans(tiny_model):
    d, _ = tiny_model
    texts = [TEXT, TEXT * 3]
    regions = [[(0, 20)], None]
    a = TorchTagger.from_dir(d).predict_entities(texts, regions=regions)
    b = OnnxTagger.from_dir(d, file="model.onnx").predict_entities(texts, regions=regions)
    assert [[(s.start, s.end, s.label) for s in x] for x in a] == \
           [[(s.start, s.end, s.label) for s in x] for x in b]
    for text, spans in zip(texts, b):
        assert all(text[s.start:s.end] == s.text for s in spans)
    assert all(s.end <= 20 for s in b[0])


def test_fast_tokenizer_matches_transformers():
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(str(TOKENIZER_DIR))
    ft = FastTokenizer(TOKENIZER_DIR)
    a = hf(TEXT, add_special_tokens=False, return_offsets_mapping=True)
    b = ft(TEXT)
    assert list(a["input_ids"]) == b["input_ids"]
    assert [tuple(x) for x in a["offset_mapping"]] == [tuple(x) for x in b["offset_mapping"]]
    assert (ft.cls_token_id, ft.sep_token_id, ft.pad_token_id) == (hf.cls_token_id, hf.sep_token_id, hf.pad_token_id)


def test_auto_runtime_picks_int8_when_exported(tiny_model, tmp_path):
    d, _ = tiny_model
    assert onnx_ready(d) and pick_runtime(d) == "onnx"
    t = load_tagger(d)
    assert isinstance(t, OnnxTagger) and t.file == "model.int8.onnx"
    assert isinstance(load_tagger(d, runtime="torch"), TorchTagger)
    bare = tmp_path / "bare"
    shutil.copytree(d, bare, ignore=shutil.ignore_patterns("onnx"))
    assert pick_runtime(bare) == "torch" and isinstance(load_tagger(bare), TorchTagger)


def test_an_export_of_other_weights_is_never_served(tiny_model, tmp_path):
    d, _ = tiny_model
    moved = tmp_path / "retrained"
    shutil.copytree(d, moved)
    assert stale_reason(moved) is None and onnx_ready(moved)
    info = json.loads((moved / "onnx" / "export.json").read_text())
    (moved / "onnx" / "export.json").write_text(json.dumps({**info, "weights": "0" * 16}))
    assert "other weights" in stale_reason(moved)
    assert not onnx_ready(moved) and pick_runtime(moved) == "torch"
    with pytest.raises(ModelNotFound, match="export-onnx"):
        load_tagger(moved, runtime="onnx")
    (moved / "onnx" / "export.json").unlink()
    assert "missing" in stale_reason(moved) and pick_runtime(moved) == "torch"


def _entry(opts, key="session.intra_op.allow_spinning"):
    return opts.get_session_config_entry(key)


@pytest.mark.parametrize("settings, threads, want", [
    ({"allow_spinning": False}, None, {"spin": "0", "threads": 0, "mode": "ORT_SEQUENTIAL", "opt": "ORT_ENABLE_ALL"}),
    ({"allow_spinning": True, "intra_op_threads": 2}, None, {"spin": "1", "threads": 2}),
    ({"intra_op_threads": 2}, 1, {"threads": 1}),  # a worker's share of the cores wins
    ({"execution_mode": "parallel", "graph_optimization_level": "basic"}, None,
     {"mode": "ORT_PARALLEL", "opt": "ORT_ENABLE_BASIC"}),
])
def test_session_options_follow_the_settings(settings, threads, want):
    import onnxruntime as ort

    from inference.onnx_runtime import session_options

    o = session_options(threads, settings)
    got = {"spin": _entry(o), "threads": o.intra_op_num_threads,
           "mode": o.execution_mode.name, "opt": o.graph_optimization_level.name}
    assert {k: got[k] for k in want} == want
    assert isinstance(o, ort.SessionOptions)


def test_the_configured_session_options_are_read_from_configs():
    from inference.config import load_config
    from inference.onnx_runtime import session_options

    cfg = load_config("runtime")["onnx"]
    assert _entry(session_options()) == ("1" if cfg["allow_spinning"] else "0")


@pytest.mark.parametrize("settings", [{"execution_mode": "fastest"}, {"graph_optimization_level": 3},
                                      {"intra_op_thread": 2}])
def test_unknown_session_settings_fail_clearly(settings):
    from inference.errors import ConfigError
    from inference.onnx_runtime import session_options

    with pytest.raises(ConfigError, match="runtime.yaml"):
        session_options(None, settings)


def test_session_options_do_not_change_the_spans(tiny_model):
    """Spinning, threads, execution mode and graph level are settings: same spans and scores."""
    import onnxruntime as ort

    from inference.onnx_runtime import _tokenizer, session_options

    d, paths = tiny_model
    texts = [TEXT, TEXT * 5]
    cfg = json.loads((d / "config.json").read_text())
    outs = []
    for settings in ({"allow_spinning": True}, {"allow_spinning": False, "intra_op_threads": 1},
                     {"execution_mode": "parallel", "graph_optimization_level": "extended"}):
        sess = ort.InferenceSession(str(paths["int8"]), session_options(None, settings),
                                    providers=["CPUExecutionProvider"])
        tg = OnnxTagger(sess, _tokenizer(d), cfg["id2label"], 32, 8)
        outs.append([[(s.start, s.end, s.label, s.score) for s in x] for x in tg.predict_entities(texts)])
    assert outs[0] == outs[1] == outs[2] and any(outs[0])
