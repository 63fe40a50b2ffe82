"""Word edges (inference/words.py) and their penalty in the tagger's decoding."""
from __future__ import annotations

import numpy as np
import pytest

from inference.config import ConfigError, build_labels, label_set, load_config
from inference.windows import EdgeCost, decode, encode
from inference.words import WordEdges, build_word_edges, inside_word, last_word, word_starts
from tests.conftest import TOKENIZER_DIR
from tests.test_windows import _probs

L = label_set()


@pytest.fixture(scope="module")
def tok():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(TOKENIZER_DIR)


# (real report wording, a word the segmenter must keep whole: its start and end are word
# starts, no position inside it is). Sources: the dev errors of 2026-12-07 (gold sets
# page-006, v2c-017, v2c-010, v2a-012, v2a-016 of annotations/data).
WORDS = [
    ("全市发生政府信息公开行政复议案件1起", "发生"),
    ("结合开发区管委会信息公开工作有关统计数据", "开发区"),
    ("设立便民查阅场所2处,配备查询电脑2台", "便民"),
    ("采访60多批次,媒体报道累计729篇", "媒体报道"),
    ("發生行政復議4件,其中3件維持", "發生"),  # traditional script: cut on its simplified form
]


@pytest.mark.parametrize("text,word", WORDS)
def test_a_word_is_kept_whole(text, word):
    starts = word_starts(text)
    i = text.index(word)
    assert starts[i] and starts[i + len(word)]
    assert not starts[i + 1:i + len(word)].any()
    assert starts[len(text)] and len(starts) == len(text) + 1


def test_inside_word_is_per_token(tok):
    text = "全市发生行政复议1起"
    enc = encode(text, tok, max_length=32, stride=4)
    inside = inside_word(text, enc.offsets)
    assert [text[a:b] for (a, b), x in zip(enc.offsets, inside) if x] == ["市", "生", "政", "复", "议"]


EDGES = WordEdges(frozenset({"METRIC", "ORG"}), 4.0)


@pytest.mark.parametrize("text,rows,without,with_edges", [
    # the model opens the METRIC one character late, inside 发生: the penalty moves it out
    ("发生行政复议4件", {0: {"O": 0.9}, 1: {"B-METRIC": 0.6, "O": 0.35},
                         2: {"I-METRIC": 0.6, "B-METRIC": 0.35},
                         **{i: {"I-METRIC": 0.9} for i in range(3, 6)}},
     ["生行政复议"], ["行政复议"]),
    # an ORG cut in two inside 开发区: the penalty joins it
    ("开发区管委会", {0: {"B-ORG": 0.9}, 1: {"I-ORG": 0.9}, 2: {"B-ORG": 0.6, "I-ORG": 0.35},
                     **{i: {"I-ORG": 0.9} for i in range(3, 6)}},
     ["开发", "区管委会"], ["开发区管委会"]),
    # a METRIC closed inside 报道: the penalty takes the whole word in
    ("媒体报道累计", {0: {"B-METRIC": 0.9}, 1: {"I-METRIC": 0.9}, 2: {"I-METRIC": 0.9},
                     3: {"O": 0.6, "I-METRIC": 0.35}},
     ["媒体报"], ["媒体报道"]),
    # a confident model wins over the segmenter: no change
    ("发生行政复议4件", {0: {"O": 0.9}, 1: {"B-METRIC": 0.98, "O": 0.001},
                         **{i: {"I-METRIC": 0.9} for i in range(2, 6)}},
     ["生行政复议"], ["生行政复议"]),
])
def test_the_penalty_moves_edges_out_of_words(tok, text, rows, without, with_edges):
    enc = encode(text, tok, max_length=32, stride=4)
    probs = _probs(len(enc.ids), rows)
    plain = decode(enc, probs, L.id2label)
    assert [s.text for s in plain if s.label in ("METRIC", "ORG")] == without
    spans = decode(enc, probs, L.id2label, edges=EDGES)
    assert [s.text for s in spans if s.label in ("METRIC", "ORG")] == with_edges
    off = decode(enc, probs, L.id2label, edges=WordEdges(EDGES.labels, 0.0))
    assert [(s.start, s.end, s.label) for s in off] == [(s.start, s.end, s.label) for s in plain]


def test_other_labels_pay_nothing():
    cost = EdgeCost.build(np.array([False, True]), L.id2label, frozenset({"ORG"}), 4.0)
    b_org, i_org, b_doc, o = (L.label2id[t] for t in ("B-ORG", "I-ORG", "B-DOC", "O"))
    assert cost.opening[b_org] == 4.0 and cost.opening[b_doc] == 0.0
    assert cost.step[b_org, i_org] == 0.0  # continuing the ORG
    assert cost.step[b_org, o] == 4.0  # closing it inside a word
    assert cost.step[b_org, b_org] == 8.0  # closing one and opening another
    assert cost.step[b_doc, o] == 0.0


def test_the_shipped_setting_and_bad_settings():
    assert label_set().word_edges == WordEdges(frozenset({"METRIC", "ORG"}), 4.0)
    assert build_word_edges(None, L.labels) == WordEdges() and not WordEdges().active
    cfg = load_config("labels")
    for bad, match in [({"labels": ["METRIC"], "penalty": -1}, ">= 0"),
                       ({"labels": ["METRIC"], "penalty": "high"}, "no number"),
                       ({"labels": ["NAME"], "penalty": 1}, "unknown labels")]:
        with pytest.raises(ConfigError, match=match):
            build_labels({**cfg, "word_edges": bad})


def test_the_pipeline_s_label_set_reaches_the_decoding(monkeypatch):
    """ner.tag_many gives the tagger the label set of its rules; the runtime decodes with its
    word edges and trims with its kept characters (a tagger without ``labels=`` still works)."""
    from dataclasses import replace

    from inference import ner, runtime
    from inference.data import Document
    from inference.rules import default_rules

    rules = default_rules()
    own = replace(rules, labels=replace(rules.labels, word_edges=WordEdges(frozenset({"ORG"}), 1.5)))
    seen = []

    class Spy:
        model_version, labels = "spy", ("ORG",)

        def predict_entities(self, texts, regions=None, labels=None):
            seen.append(labels)
            return [[] for _ in texts]

    doc = Document(source="d.txt", text="市政府发布信息3条。", sha256="0", format="txt")
    ner.tag_many([doc], Spy(), own)
    assert seen == [own.labels]

    got = []
    monkeypatch.setattr(runtime, "decode", lambda *a, **kw: got.append(kw) or [])

    class Fixed(runtime.ModelTagger):
        def logits(self, ids, mask):
            return np.zeros((*ids.shape, len(self.id2label)))

    from transformers import AutoTokenizer

    tagger = Fixed(AutoTokenizer.from_pretrained(TOKENIZER_DIR), L.id2label)
    tagger.predict_entities(["市政府发布信息3条。"], labels=own.labels)
    assert got[-1]["edges"] == own.labels.word_edges and got[-1]["labels"] is own.labels
    tagger.word_edges = WordEdges()  # the tagger's own setting wins
    tagger.predict_entities(["市政府发布信息3条。"], labels=own.labels)
    assert got[-1]["edges"] == WordEdges()
    tagger.word_edges = None
    tagger.predict_entities(["市政府发布信息3条。"])  # no label set given: the rules in use
    assert got[-1]["labels"] is rules.labels


@pytest.mark.parametrize("phrase, last", [
    ("點擊量超過", "超过"),       # traditional script: the word of its simplified form
    ("维持具体行政行为", "行为"),  # 行为 is one word, not 为
    ("专题专栏包括", "包括"),
    ("", ""),
])
def test_last_word(phrase, last):
    assert last_word(phrase) == last
