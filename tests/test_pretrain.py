"""Domain-adaptive pretraining (training/pretrain.py): the corpus, the blocks, the recipe and a
tiny masked-LM run."""
from __future__ import annotations

import json
import lzma
from pathlib import Path

import pytest

from annotations.sets import write_spans_jsonl
from inference.data import AnnotatedText
from training.card import _base_description
from training.config import load_train_config
from training.data import is_dev
from training.pretrain import (PretrainConfig, blocks, load_corpus, load_pretrain_config, pretrain,
                               train_side_texts)
from tests.conftest import TOKENIZER_DIR
from tests.test_tagger import make_tiny_model

# Real report sentences (漳州 2018, 台儿庄 2017, 海沧 2023 openings; samples/reports).
REAL = [
    "2018年，全市共主动公开政府信息30659条，全文电子化率100%。",
    "本年度共收到政府信息公开申请533件，其中当面申请12件，网络申请498件。",
    "依据《中华人民共和国政府信息公开条例》(国办发〔2018〕23号)，“中国漳州”网站发布信息1572条。",
    "区政府办公室共举办新闻发布会18场，发布政策解读材料96篇。",
]


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(TOKENIZER_DIR))


@pytest.mark.parametrize("max_length", [16, 32, 256])
def test_blocks_cover_the_texts_in_order_between_cls_and_sep(tokenizer, max_length):
    out = blocks(REAL, tokenizer, max_length)
    assert out and all(b[0] == tokenizer.cls_token_id and b[-1] == tokenizer.sep_token_id for b in out)
    assert all(len(b) <= max_length for b in out)
    stream = [t for b in out for t in b[1:-1]]
    first = tokenizer(REAL[0], add_special_tokens=False)["input_ids"]
    assert stream[:len(first)] == first
    assert stream[len(first)] == tokenizer.sep_token_id  # texts joined by [SEP]


def test_blocks_read_the_text_through_the_char_map(tokenizer):
    plain = blocks([REAL[2]], tokenizer, 128)[0]
    mapped = blocks([REAL[2]], tokenizer, 128, {"“": '"', "”": '"'})[0]
    unk = tokenizer.unk_token_id
    assert plain.count(unk) == 2 and mapped.count(unk) == 0
    assert mapped.count(tokenizer.convert_tokens_to_ids('"')) == 2


def test_a_short_tail_is_dropped_not_padded(tokenizer):
    n = len(tokenizer(REAL[0], add_special_tokens=False)["input_ids"]) + 1
    assert len(blocks([REAL[0]], tokenizer, n + 2)) == 1
    assert len(blocks([REAL[0]] * 2, tokenizer, n + 2)) == 2


def test_corpus_reads_txt_jsonl_and_xz_files_of_a_folder(tmp_path):
    (tmp_path / "a.txt").write_text(REAL[0], encoding="utf-8")
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps({"text": t}, ensure_ascii=False)
                                                 for t in REAL[1:3]) + "\n\n", encoding="utf-8")
    with lzma.open(tmp_path / "c.jsonl.xz", "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"text": REAL[3], "url": "http://example.gov.cn"}, ensure_ascii=False) + "\n")
    (tmp_path / "notes.md").write_text("not corpus", encoding="utf-8")
    assert load_corpus([str(tmp_path)]) == REAL


@pytest.mark.parametrize("content, message", [
    ('{"txt": "x"}\n', "b.jsonl:1"),
    ('{"text": "x"}\nnot json\n', "b.jsonl:2"),
])
def test_corpus_errors_name_the_file_and_line(tmp_path, content, message):
    (tmp_path / "b.jsonl").write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_corpus([str(tmp_path / "b.jsonl")])


def test_a_missing_corpus_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="pretraining corpus not found"):
        load_corpus([str(tmp_path / "nothere")])


def test_the_recipe_reads_overrides_and_refuses_unknown_settings(tmp_path):
    p = tmp_path / "pretrain.yaml"
    p.write_text("steps: 50\nlr: 2.0e-4\n", encoding="utf-8")
    cfg = load_pretrain_config(p, ["batch_size=4", "corpus=[a, b]"])
    assert (cfg.steps, cfg.lr, cfg.batch_size, cfg.corpus) == (50, 2e-4, 4, ["a", "b"])
    with pytest.raises(ValueError, match="unknown pretraining setting"):
        load_pretrain_config(p, ["epochs=3"])
    with pytest.raises(ValueError, match="mlm_probability"):
        load_pretrain_config(p, ["mlm_probability=1.5"])


def test_the_shipped_recipe_loads():
    cfg = load_pretrain_config()
    assert isinstance(cfg, PretrainConfig) and cfg.num_layers >= 1 and cfg.head_steps < cfg.steps


def test_train_side_texts_leave_the_dev_documents_out(tmp_path):
    docs = [AnnotatedText(f"rep-{i:02d}", f"{REAL[i % 4]}（第{i}份）", []) for i in range(40)]
    (tmp_path / "set").mkdir()
    write_spans_jsonl(docs, tmp_path / "set" / "spans.jsonl")
    recipe = tmp_path / "train.yaml"
    recipe.write_text(f"sets: [{tmp_path / 'set'}]\ndev_fraction: 0.3\nseed: 13\n", encoding="utf-8")
    texts = train_side_texts(load_train_config(recipe))
    dev = [d.text for d in docs if is_dev(d.doc_id, 0.3, 13)]
    assert dev and texts and not set(dev) & set(texts)
    assert len(texts) + len(dev) == len(docs)


def _weights(folder: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


def _run(tmp_path: Path, steps: int, head_steps: int) -> tuple[Path, Path, dict]:
    base = make_tiny_model(tmp_path / "base", with_info=False)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "texts.jsonl").write_text("\n".join(json.dumps({"text": t * 3}, ensure_ascii=False)
                                                  for t in REAL * 6), encoding="utf-8")
    cfg = PretrainConfig(base_model=str(base), corpus=[str(corpus)], train_texts=False,
                         out_dir=str(tmp_path / "enc"), num_layers=2, max_length=32, batch_size=8,
                         lr=2e-3, steps=steps, head_steps=head_steps, heldout_blocks=4, threads=1)
    out = pretrain(cfg, progress=False)
    return base, out, json.loads((out / "pretrain.json").read_text(encoding="utf-8"))


def test_a_tiny_run_lowers_the_heldout_loss_and_writes_an_encoder_train_can_start_from(tmp_path):
    from transformers import AutoModelForTokenClassification

    base, out, facts = _run(tmp_path, steps=40, head_steps=5)
    before, after = facts["heldout_mlm_loss"]
    assert after < before - 0.5
    assert facts["steps"] == 40 and facts["texts"] == 24 and facts["heldout_blocks"] == 4
    model = AutoModelForTokenClassification.from_pretrained(str(out), num_labels=3)
    assert model.config.num_hidden_layers == 2
    new, old = _weights(out), _weights(base)
    key = "encoder.layer.0.attention.self.query.weight"
    assert not any(k.startswith("cls.") for k in new)  # the masked-LM head is not kept
    assert not (new[key] == old[f"bert.{key}"]).all()
    card = _base_description(str(out))  # what the model card of a model trained from it says
    assert "masked-LM pretraining" in card and "24 texts" in card and f"{before:.2f} -> {after:.2f}" in card


def test_the_encoder_stays_as_it_was_while_the_head_trains_alone(tmp_path):
    base, out, facts = _run(tmp_path, steps=3, head_steps=5)
    new, old = _weights(out), _weights(base)
    for key in ("encoder.layer.0.attention.self.query.weight", "encoder.layer.1.output.dense.weight",
                "embeddings.word_embeddings.weight"):
        assert (new[key] == old[f"bert.{key}"]).all(), key
