"""TorchTagger and load_tagger on a tiny model built from the base encoder's config."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import pytest

from inference.config import label_set
from inference.tagger import MODEL_INFO, ModelNotFound, TorchTagger, load_tagger
from tests.conftest import TOKENIZER_DIR


def make_tiny_model(path: Path, seed: int = 0, with_info: bool = True, tweak=None,
                    info: Optional[dict] = None) -> Path:
    """A 2-layer, hidden-64 BertForTokenClassification with the base's vocabulary and
    tokenizer and the project's label map, saved to ``path``; ``tweak(model)`` edits its
    weights first (no grad); ``info``: its govie_model.json (``with_info``)."""
    import torch
    from transformers import AutoConfig, AutoTokenizer, BertForTokenClassification

    labels = label_set()
    cfg = AutoConfig.from_pretrained(str(TOKENIZER_DIR))
    cfg.num_hidden_layers, cfg.hidden_size, cfg.num_attention_heads, cfg.intermediate_size = 2, 64, 2, 128
    cfg.num_labels = len(labels.bio)
    cfg.id2label, cfg.label2id = labels.id2label, labels.label2id
    torch.manual_seed(seed)
    model = BertForTokenClassification(cfg)
    with torch.no_grad():  # a head biased towards entities, so the random model emits spans
        model.classifier.bias.copy_(torch.linspace(0.0, 1.0, cfg.num_labels))
        if tweak is not None:
            tweak(model)
    model.save_pretrained(str(path))
    AutoTokenizer.from_pretrained(str(TOKENIZER_DIR)).save_pretrained(str(path))
    if with_info:
        (path / MODEL_INFO).write_text(json.dumps(
            info or {"model_version": "tiny-test", "max_length": 24, "stride": 6}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny"))


TEXTS = [
    "2018年，全市共主动公开政府信息30659条，全文电子化率100%。",
    "依据《中华人民共和国政府信息公开条例》(国办发〔2018〕23号)，“中国漳州”网站 发布信息 1572 条。\n"
    * 6,
    "",
    "ABC １２３ 漳州市人民政府办公室",
]


def test_round_trip_spans_point_into_their_texts(tiny_dir):
    tagger = load_tagger(tiny_dir)
    assert isinstance(tagger, TorchTagger)
    assert tagger.model_version == "tiny-test"
    assert tagger.labels == label_set().labels
    out = tagger.predict_entities(TEXTS)
    assert len(out) == len(TEXTS)
    assert out[2] == []
    assert sum(len(x) for x in out) > 0
    for text, spans in zip(TEXTS, out):
        for s in spans:
            assert text[s.start:s.end] == s.text
            assert s.text and s.text == s.text.strip()
            assert s.label in tagger.labels and s.source == "model"
            assert 0.0 < s.score <= 1.0
        assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))  # flat, ordered


def test_batching_does_not_change_results(tiny_dir):
    tagger = load_tagger(tiny_dir)
    together = tagger.predict_entities(TEXTS)
    alone = [tagger.predict_entities([t])[0] for t in TEXTS]
    key = lambda spans: [(s.start, s.end, s.label, round(s.score, 4)) for s in spans]  # noqa: E731
    assert [key(x) for x in together] == [key(x) for x in alone]


def test_long_text_is_read_in_windows_and_regions_are_respected(tiny_dir):
    tagger = load_tagger(tiny_dir)
    text = TEXTS[1]
    enc = tagger.encode(text)
    assert len(enc.windows) > 3 and all(len(w.input_ids) <= 24 for w in enc.windows)
    half = len(text) // 2
    (whole,) = tagger.predict_entities([text])
    assert any(s.start >= half for s in whole)  # there is something past the region to leave out
    (spans,) = tagger.predict_entities([text], regions=[[(0, half)]])
    assert spans and all(s.end <= half for s in spans)


def test_fp16_weights_load_as_fp32(tmp_path):
    import torch

    d = make_tiny_model(tmp_path / "m")
    t = TorchTagger.from_dir(d)
    t.model.half().save_pretrained(str(tmp_path / "h"))
    t.tokenizer.save_pretrained(str(tmp_path / "h"))
    t16 = TorchTagger.from_dir(tmp_path / "h")
    assert next(t16.model.parameters()).dtype == torch.float32
    assert t16.model_version == "h"  # no govie_model.json: the folder name


def test_missing_model_and_bad_runtime_are_clear_errors(tmp_path, tiny_dir):
    with pytest.raises(ModelNotFound, match="govie train"):
        load_tagger(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="unknown runtime"):
        load_tagger(tiny_dir, runtime="tensorrt")
    with pytest.raises(TypeError):
        load_tagger(tiny_dir).predict_entities("one string")


def test_default_model_dir_is_used_when_no_path(tiny_dir, monkeypatch):
    monkeypatch.setenv("GOVIE_MODELS", str(tiny_dir.parent))
    (tiny_dir.parent / "default").mkdir(exist_ok=True)
    for p in tiny_dir.iterdir():
        (tiny_dir.parent / "default" / p.name).write_bytes(p.read_bytes())
    assert load_tagger().model_version == "tiny-test"
