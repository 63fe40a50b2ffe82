"""Error analysis: each error classified with its text, consistent with metrics.confusion."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from inference.data import Span
from training import error_analysis as ea
from training.metrics import confusion

TEXT = "2021年，区政府办公室主动公开政府信息120条，受理申请15件。"


def sp(text: str, label: str, nth: int = 0) -> Span:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(text, start + 1)
    return Span(start, start + len(text), text, label)


@pytest.mark.parametrize("gold,pred,kind,label,pred_label", [
    ([sp("120条", "COUNT")], [], "missed", "COUNT", None),
    ([], [sp("15件", "COUNT")], "spurious", None, "COUNT"),
    ([sp("区政府办公室", "ORG")], [sp("区政府办公室", "METRIC")], "wrong_label", "ORG", "METRIC"),
    ([sp("主动公开政府信息", "METRIC")], [sp("政府信息", "METRIC")], "boundary", "METRIC", "METRIC"),
])
def test_classify_errors(gold, pred, kind, label, pred_label):
    (row,) = ea.classify_errors(TEXT, gold, pred)
    assert (row["kind"], row["label"], row["pred_label"]) == (kind, label, pred_label)
    s = (gold or pred)[0]
    assert f"[{s.text}]" in row["context"] and TEXT[row["start"]:row["end"]] == s.text


def test_exact_matches_are_not_errors():
    s = [sp("120条", "COUNT"), sp("2021年", "DATE")]
    assert ea.classify_errors(TEXT, s, list(s)) == []


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    """The patterns alone (no model in this folder) on a dev split given by dev_ids.json."""
    from annotations.sets import load_set
    from tests.conftest import ROOT

    docs = load_set(ROOT / "annotations" / "data" / "gold-v1")
    model_dir = tmp_path_factory.mktemp("model")
    ids = sorted(d.doc_id for d in docs)[:6] + ["not-in-gold"]
    (model_dir / "dev_ids.json").write_text(json.dumps(ids), encoding="utf-8")
    return ea.analyse(model_dir)


def test_analysis_uses_saved_dev_ids(analysis):
    assert analysis.system == "patterns" and analysis.model is None
    assert len(analysis.docs) == 6 and "7 ids, 6 found" in analysis.split


def test_error_rows_agree_with_confusion(analysis):
    errors = ea.errors_frame(analysis)
    conf = confusion(analysis.gold, analysis.pred)
    kinds = Counter(errors["kind"])
    assert kinds["missed"] == sum(conf["missed"].values())
    assert kinds["spurious"] == sum(conf["spurious"].values())
    boundary = sum(n for k, n in conf["gold_vs_pred"].items() if k.endswith("-> boundary"))
    assert kinds["boundary"] == boundary
    assert kinds["wrong_label"] == sum(conf["gold_vs_pred"].values()) - boundary - kinds["missed"]
    micro = analysis.report["micro"]
    assert kinds["missed"] + kinds["boundary"] + kinds["wrong_label"] == micro["fn"]
    counts = ea.error_counts(errors)
    assert int(counts.values.sum()) == len(errors)


def test_per_label_frame(analysis):
    df = ea.per_label_frame(analysis.report)
    assert {"micro", "macro"} <= set(df.index)
    assert df.loc["micro", "tp"] == analysis.report["micro"]["tp"]


def test_recipe_split_without_dev_ids(tmp_path):
    from annotations.sets import load_set
    from tests.conftest import ROOT
    from training.config import load_train_config
    from training.data import split_docs

    docs = load_set(ROOT / "annotations" / "data" / "gold-v1")
    dev, note = ea.dev_split(docs, tmp_path)
    cfg = load_train_config(None)
    assert [d.doc_id for d in dev] == [d.doc_id for d in split_docs(docs, cfg.dev_fraction, cfg.seed)[1]]
    assert note.startswith("recipe split") and dev


def test_refit_model_split_is_flagged_as_trained_on(tmp_path):
    from annotations.sets import load_set
    from tests.conftest import ROOT

    docs = load_set(ROOT / "annotations" / "data" / "gold-v1")
    ids = [d.doc_id for d in docs[:3]]
    (tmp_path / "selection_dev_ids.json").write_text(json.dumps(ids))
    dev, note = ea.dev_split(docs, tmp_path)
    assert [d.doc_id for d in dev] == ids
    assert "optimistic" in note and "selection_dev_ids.json" in note
