"""Datasets from annotation sets and a tiny end-to-end training run."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotations.sets import write_spans_jsonl
from inference.config import label_set
from inference.data import AnnotatedText, Span
from inference.windows import IGNORE
from training.config import load_train_config
from training.data import build_datasets, is_dev, load_docs, report_of, split_docs
from training.evaluate import evaluate
from training.train import train
from tests.test_tagger import make_tiny_model

SENTENCES = [
    ("2018年，全市共主动公开政府信息30659条，全文电子化率100%。",
     [("2018年", "DATE"), ("主动公开政府信息", "METRIC"), ("30659条", "COUNT"),
      ("全文电子化率", "METRIC"), ("100%", "PERCENT")]),
    ("依据《中华人民共和国政府信息公开条例》(国办发〔2018〕23号)，市政府办受理申请533件。",
     [("《中华人民共和国政府信息公开条例》", "DOC"), ("国办发〔2018〕23号", "DOCNO"), ("市政府办", "ORG"),
      ("受理申请", "METRIC"), ("533件", "COUNT")]),
]


def make_doc(doc_id: str, repeat: int) -> AnnotatedText:
    text, spans = "", []
    for k in range(repeat):
        sent, items = SENTENCES[k % 2]
        base, pos = len(text), 0
        for piece, lab in items:
            s = sent.index(piece, pos)
            spans.append(Span(base + s, base + s + len(piece), piece, lab, source="gold"))
            pos = s + len(piece)
        text += sent + "\n"
    return AnnotatedText(doc_id, text, spans)


@pytest.fixture(scope="module")
def gold_set(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("set-v1")
    write_spans_jsonl([make_doc(f"doc-{i}", 3 + i % 4) for i in range(10)], d / "spans.jsonl")
    return d


def test_split_is_by_document_stable_and_disjoint(gold_set):
    docs = load_docs([str(gold_set)])
    train, dev = split_docs(docs, 0.3, seed=13)
    assert train and dev
    assert not {d.doc_id for d in train} & {d.doc_id for d in dev}
    assert len(train) + len(dev) == len(docs)
    # stable: a document's side does not depend on the other documents
    _, dev_half = split_docs(docs[:5], 0.3, seed=13)
    assert {d.doc_id for d in dev_half} == {d.doc_id for d in dev if d.doc_id in {x.doc_id for x in docs[:5]}}
    assert all(is_dev(d.doc_id, 0.3, 13) for d in dev)
    assert split_docs(docs, 0.0, 13)[1] == []


@pytest.mark.parametrize("report", ["v2a-001", "v2b-017", "v2c-003", "page-001"])
def test_split_keeps_the_sections_of_a_report_together(report):
    """Pulled tasks are sections of one report (``<report>@<offset>``): they fall on one
    side, the side of the report itself, so dev never scores a section of a trained report."""
    sides = {is_dev(f"{report}@{off}", 0.15, 13) for off in (0, 49, 303, 1210, 2044)}
    assert sides == {is_dev(report, 0.15, 13)}


def test_split_of_sections_differs_from_a_split_by_task():
    """The property above is not vacuous: split by task id, sections of some report of
    these would land on both sides."""
    mixed = [r for r in (f"v2a-{n:03d}" for n in range(1, 41))
             if len({is_dev(f"{r}@{off}", 0.15, 13, by_report=False) for off in (0, 49, 303, 1210)}) == 2]
    assert mixed
    assert all(len({is_dev(f"{r}@{off}", 0.15, 13) for off in (0, 49, 303, 1210)}) == 1 for r in mixed)


def test_sections_of_one_report_are_split_by_section_with_a_warning(caplog):
    """A Label Studio project holding one report (the ML backend's retraining): by report
    one side would be empty, so its sections are split, and the log says so."""
    docs = [make_doc(f"seed-001-part@{off}", 3) for off in (0, 300, 600, 900, 1200, 1500, 1800, 2100)]
    with caplog.at_level("WARNING", logger="training.data"):
        train, dev = split_docs(docs, 0.5, 13)
    assert train and dev and len(train) + len(dev) == len(docs)
    assert "split by section" in caplog.text


def test_many_reports_stay_split_by_report(caplog):
    docs = [make_doc(f"v2a-{r:03d}@{off}", 3) for r in range(1, 30) for off in (0, 400)]
    with caplog.at_level("WARNING", logger="training.data"):
        train, dev = split_docs(docs, 0.15, 13)
    assert train and dev and not caplog.text
    assert {report_of(d.doc_id) for d in train}.isdisjoint({report_of(d.doc_id) for d in dev})


def test_later_set_replaces_a_document(gold_set, tmp_path):
    newer = tmp_path / "set-v2"
    newer.mkdir()
    write_spans_jsonl([make_doc("doc-0", 1)], newer / "spans.jsonl")
    docs = {d.doc_id: d for d in load_docs([str(gold_set), str(newer)])}
    assert len(docs) == 10 and docs["doc-0"].text.count("\n") == 1


def test_datasets_have_windows_with_aligned_labels(gold_set):
    from transformers import AutoTokenizer

    from tests.conftest import TOKENIZER_DIR

    tok = AutoTokenizer.from_pretrained(str(TOKENIZER_DIR))
    docs = load_docs([str(gold_set)])
    ds, summ = build_datasets(docs, tok, max_length=32, stride=8, dev_fraction=0.3, seed=13)
    assert set(ds) == {"train", "dev"}
    assert not set(ds["train"]["doc_id"]) & set(ds["dev"]["doc_id"])
    row = ds["train"][0]
    assert len(row["input_ids"]) == len(row["labels"]) <= 32
    assert row["labels"][0] == IGNORE and row["labels"][-1] == IGNORE
    assert row["input_ids"][0] == tok.cls_token_id
    bio = label_set().bio
    seen = {bio[y] for r in ds["train"]["labels"] for y in r if y != IGNORE}
    assert {"B-DOCNO", "I-DOCNO", "B-PERCENT", "O"} <= seen
    assert summ["train"].n_spans + summ["dev"].n_spans == sum(len(d.spans) for d in docs)
    assert summ["train"].spans_outside == 0


def test_config_overrides_and_errors(tmp_path):
    cfg = load_train_config("configs/train.yaml", ["epochs=3", "lr_body=2e-4", "sets=[a, b]"])
    assert cfg.epochs == 3 and cfg.lr_body == pytest.approx(2e-4) and cfg.sets == ["a", "b"]
    with pytest.raises(ValueError, match="unknown training setting"):
        load_train_config(None, ["epochz=3"])
    with pytest.raises(ValueError, match="key=value"):
        load_train_config(None, ["epochs"])


def test_a_recipe_extends_another_key_by_key_and_joins_their_history(tmp_path):
    (tmp_path / "base.yaml").write_text(
        "epochs: 9\nlr_body: 2.0e-4\nnum_layers: 6\nhistory: [{change: a, result: r1}]\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "student.yaml").write_text(
        "extends: ../base.yaml\nepochs: 4\nteacher: t\nteacher_layers: [0, 1]\nhistory: [{change: b, result: r2}]\n",
        encoding="utf-8")
    cfg = load_train_config(tmp_path / "sub" / "student.yaml", ["lr_body=1e-4"])
    assert (cfg.epochs, cfg.num_layers, cfg.teacher_layers) == (4, 6, [0, 1])
    assert cfg.lr_body == pytest.approx(1e-4)
    assert [h["change"] for h in cfg.history] == ["a", "b"]
    (tmp_path / "base.yaml").write_text("extends: sub/student.yaml\n", encoding="utf-8")
    with pytest.raises(ValueError, match="loop"):
        load_train_config(tmp_path / "sub" / "student.yaml")
    (tmp_path / "x.yaml").write_text("extends: missing.yaml\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="missing.yaml"):
        load_train_config(tmp_path / "x.yaml")


def test_tiny_training_run_lowers_loss_and_writes_every_artefact(gold_set, tmp_path):
    base = make_tiny_model(tmp_path / "base", with_info=False)
    out = tmp_path / "model"
    cfg = load_train_config("configs/train.yaml", [
        f"base_model={base}", f"sets=[{gold_set}]", f"out_dir={out}", "num_layers=2",
        "max_length=48", "stride=8", "batch_size=4", "epochs=6", "patience=10", "lr_body=1e-3",
        "lr_head=5e-3", "dev_fraction=0.3", "eval_batch_size=8", "history=[]", "refit_all=false",
    ])
    train(cfg, progress=False)
    for name in ("model.safetensors", "config.json", "tokenizer.json", "labels.json", "metrics.json",
                 "train_config.yaml", "dev_ids.json", "govie_model.json", "README.md",
                 "onnx/model.int8.onnx", "onnx/export.json"):
        assert (out / name).is_file(), name
    assert not (out / "onnx" / "model.onnx").exists()  # int8 only: the fast path of these weights
    from inference.onnx_runtime import stale_reason
    from inference.tagger import pick_runtime

    assert stale_reason(out) is None and pick_runtime(out) == "onnx"
    info = json.loads((out / "govie_model.json").read_text(encoding="utf-8"))
    assert info["char_map"] == cfg.char_map and info["char_map"]["“"] == '"'
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    losses = [row["loss"] for row in metrics["history"]]
    assert len(losses) == 6 and losses[-1] < 0.7 * losses[0]
    assert "dev_f1" in metrics["history"][0] and metrics["dev"]["micro"]["support"] > 0
    dev_ids = json.loads((out / "dev_ids.json").read_text())
    assert dev_ids and all(is_dev(i, 0.3, 13) for i in dev_ids)
    config = json.loads((out / "config.json").read_text())
    assert config["id2label"]["0"] == "O" and len(config["id2label"]) == len(label_set().bio)
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "Dev results" in card and "micro" in card and "govie train --config configs/train.yaml" in card
    rep = evaluate(out, [str(gold_set)], dev_only=True, patterns=False)
    assert rep["n_docs"] == len(dev_ids)
    assert rep["systems"]["model"]["micro"]["f1"] == pytest.approx(metrics["dev"]["micro"]["f1"])
    # the written model loads (fp16 on disk -> fp32) and continues training from itself
    cont = load_train_config("configs/train.yaml", [
        f"init_from={out}", f"sets=[{gold_set}]", f"out_dir={tmp_path / 'next'}", "max_length=48",
        "stride=8", "batch_size=4", "epochs=1", "dev_fraction=0.3", "history=[]", "refit_all=false",
        "export_onnx=false",
    ])
    train(cont, progress=False)
    m2 = json.loads((tmp_path / "next" / "metrics.json").read_text())
    assert m2["history"][0]["loss"] < losses[0]


def test_refit_on_all_documents_keeps_the_selection_run_figures(gold_set, tmp_path):
    base = make_tiny_model(tmp_path / "base", with_info=False)
    common = [f"base_model={base}", f"sets=[{gold_set}]", "num_layers=2", "max_length=48", "stride=8",
              "batch_size=4", "lr_body=1e-3", "lr_head=5e-3", "dev_fraction=0.3", "history=[]",
              "export_onnx=false"]
    sel = tmp_path / "sel"
    train(load_train_config("configs/train.yaml", common + [f"out_dir={sel}", "epochs=2", "refit_all=false"]),
          progress=False)
    chosen = json.loads((sel / "metrics.json").read_text())
    out = tmp_path / "refit"
    train(load_train_config("configs/train.yaml", common + [f"out_dir={out}", f"refit_from={sel}"]),
          progress=False)
    m = json.loads((out / "metrics.json").read_text())
    assert m["refit_all"] and len(m["history"]) == chosen["best"]["epoch"]
    assert m["dev"] == chosen["dev"]  # the card's dev figures are the selection run's
    assert m["data"]["all (refit)"]["n_docs"] == 10
    assert (out / "selection_dev_ids.json").is_file() and not (out / "dev_ids.json").exists()
    assert "retrained on ALL documents" in (out / "README.md").read_text(encoding="utf-8")
    assert set(m["dev_ner_stage"]["model"]) == {"per_label", "micro", "macro"}
    assert "relations" in m["dev_ner_stage"]


def test_refit_all_runs_selection_then_all_documents_in_one_command(gold_set, tmp_path):
    base = make_tiny_model(tmp_path / "base", with_info=False)
    out = tmp_path / "m"
    train(load_train_config("configs/train.yaml", [
        f"base_model={base}", f"sets=[{gold_set}]", f"out_dir={out}", "num_layers=2", "max_length=48",
        "stride=8", "batch_size=4", "epochs=2", "dev_fraction=0.3", "history=[]", "refit_all=true",
        "export_onnx=false"]),
        progress=False)
    m = json.loads((out / "metrics.json").read_text())
    assert m["refit_all"] and len(m["dev_run_history"]) == 2 and m["dev"]["micro"]["support"] > 0
    assert not (tmp_path / "m.best").exists()  # the running checkpoint is cleaned up


def test_card_targets_table_says_which_are_met():
    from training.card import _targets

    rep = lambda micro, metric: {"micro": {"f1": micro},  # noqa: E731
                                 "per_label": {"METRIC": {"f1": metric}}}
    lines = _targets({"micro": 0.90, "METRIC": 0.85}, rep(0.92, 0.84), rep(0.93, 0.80))
    assert "| micro | 0.90 | 0.920 | 0.930 | yes |" in lines
    assert "| METRIC | 0.85 | 0.840 | 0.800 | **no** |" in lines
    assert _targets({}, rep(1, 1), None) == []
    assert "| micro | 0.90 | 0.920 | – | – |" in _targets({"micro": 0.9}, rep(0.92, 0.8), None)


def test_training_reads_a_glossed_text_as_the_model_serves_it():
    """One text path: the windows of a text with pinyin glosses are those of the text
    without them, and a gold span across a gloss labels the whole word (gold v2k-007)."""
    from transformers import AutoTokenizer

    from inference.config import label_set
    from inference.data import AnnotatedText, Span
    from training.data import encode_docs

    from .conftest import TOKENIZER_DIR

    text = "從內容分類看,規(guī)劃計劃14條,業(yè)務工作16條。"
    spans = [Span(text.index(t), text.index(t) + len(t), t, lab, id=f"s{i}") for i, (t, lab) in
             enumerate([("規(guī)劃計劃", "METRIC"), ("14條", "COUNT"), ("業(yè)務工作", "METRIC")])]
    labels = label_set()
    cols, summ = encode_docs([AnnotatedText("d", text, spans, [])],
                             AutoTokenizer.from_pretrained(TOKENIZER_DIR), labels, 64, 16)
    ids, tags = cols["input_ids"][0], cols["labels"][0]
    tok = AutoTokenizer.from_pretrained(TOKENIZER_DIR)
    read = [(tok.convert_ids_to_tokens(i), labels.id2label[t]) for i, t in zip(ids, tags) if t >= 0]
    assert "".join(c for c, _ in read) == "從內容分類看,規劃計劃14條,業務工作16條。"
    assert [t for c, t in read[7:11]] == ["B-METRIC"] + ["I-METRIC"] * 3
    assert summ.n_spans == 3 and summ.spans_outside == 0


def test_training_refuses_a_test_set_and_all_never_lists_one(tmp_path):
    """annotations/test holds sets no model learns from (annotations.sets.TEST_DIR)."""
    from annotations.sets import TEST_DIR, list_sets
    from training.data import training_docs

    with pytest.raises(ValueError, match="test set"):
        training_docs([str(TEST_DIR / "any-set")])
    with pytest.raises(ValueError, match="test set"):
        training_docs(["annotations/test/any-set"])  # relative to the project, as in a recipe
    assert not [p for p in list_sets() if p.resolve().is_relative_to(TEST_DIR.resolve())]
    from inference.cli import main

    assert main(["train", "--set", "sets=[annotations/test/test-v1-a]", "--set", "max_steps=1"]) == 2
    trained = load_docs("all")
    ids, texts = {d.doc_id for d in trained}, {d.text for d in trained}
    tested = [d for spans in sorted(TEST_DIR.glob("*/spans.jsonl")) for d in load_docs([str(spans.parent)])]
    assert len(tested) >= 61  # test-v1-a and -b
    for d in tested:  # no test document is also a training one (headings alone aside)
        assert d.doc_id not in ids and (len(d.text) < 60 or d.text not in texts), d.doc_id
