"""Evaluation figures on hand-made predictions (computed by hand), checked against seqeval."""
from __future__ import annotations

import pytest
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from inference.data import AnnotatedText, Relation, Span
from training.evaluate import evaluate_docs, format_report, worst_documents
from training.metrics import confusion, relation_keys, relation_score, score


def S(a, b, lab, i=None):
    return Span(a, b, "x" * (b - a), lab, id=i)


GOLD = [
    [S(0, 4, "METRIC"), S(4, 8, "COUNT"), S(10, 15, "DATE")],
    [S(0, 3, "ORG"), S(5, 7, "COUNT")],
]
PRED = [
    [S(0, 4, "METRIC"), S(4, 7, "COUNT"), S(10, 15, "DATE"), S(20, 24, "ORG")],  # boundary, spurious
    [S(0, 3, "DOC"), S(5, 7, "COUNT")],  # wrong label
]

# label: (precision, recall, f1, support) — by hand from the two documents above
EXPECTED = [
    ("METRIC", 1.0, 1.0, 1.0, 1),
    ("COUNT", 0.5, 0.5, 0.5, 2),   # tp 1, fp 1 (4-7), fn 1 (4-8)
    ("DATE", 1.0, 1.0, 1.0, 1),
    ("ORG", 0.0, 0.0, 0.0, 1),     # fp 1 (spurious), fn 1 (labelled DOC)
    ("DOC", 0.0, 0.0, 0.0, 0),     # fp 1
]


@pytest.mark.parametrize("label,p,r,f,support", EXPECTED)
def test_per_label_figures(label, p, r, f, support):
    m = score(GOLD, PRED)["per_label"][label]
    assert (m["precision"], m["recall"], m["f1"], m["support"]) == pytest.approx((p, r, f, support))


def test_micro_and_macro():
    sc = score(GOLD, PRED)
    # tp 3, fp 3, fn 2
    assert sc["micro"]["precision"] == pytest.approx(3 / 6)
    assert sc["micro"]["recall"] == pytest.approx(3 / 5)
    assert sc["micro"]["f1"] == pytest.approx(2 * 0.5 * 0.6 / 1.1)
    assert sc["macro"]["f1"] == pytest.approx((1 + 0.5 + 1 + 0 + 0) / 5)


def bio(spans, n):
    tags = ["O"] * n
    for s in spans:
        tags[s.start] = f"B-{s.label}"
        for i in range(s.start + 1, s.end):
            tags[i] = f"I-{s.label}"
    return tags


SEQEVAL_CASES = [
    (GOLD, PRED),
    ([[S(0, 2, "DATE"), S(2, 4, "DATE")]], [[S(0, 4, "DATE")]]),  # adjacent spans vs one
    ([[S(1, 3, "PERCENT")], []], [[S(1, 3, "COUNT")], [S(0, 1, "COUNT")]]),
    ([[S(0, 5, "DOC"), S(6, 9, "DOCNO")]], [[S(0, 5, "DOC"), S(6, 9, "DOCNO")]]),
]


@pytest.mark.parametrize("gold,pred", SEQEVAL_CASES)
def test_agrees_with_seqeval_strict(gold, pred):
    n = 30
    rep = classification_report([bio(g, n) for g in gold], [bio(p, n) for p in pred],
                                mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    ours = score(gold, pred)
    for lab, m in ours["per_label"].items():
        if lab in rep:
            assert m["precision"] == pytest.approx(rep[lab]["precision"])
            assert m["recall"] == pytest.approx(rep[lab]["recall"])
            assert m["f1"] == pytest.approx(rep[lab]["f1-score"])
    assert ours["micro"]["f1"] == pytest.approx(rep["micro avg"]["f1-score"])
    assert ours["macro"]["f1"] == pytest.approx(rep["macro avg"]["f1-score"])


def test_confusion_summary():
    c = confusion(GOLD, PRED)
    assert c["gold_vs_pred"] == {"COUNT -> boundary": 1, "ORG -> DOC": 1}
    assert c["spurious"] == {"ORG": 1}
    assert c["missed"] == {}
    c2 = confusion([[S(0, 2, "DATE")]], [[]])
    assert c2["missed"] == {"DATE": 1}


def test_worst_documents():
    docs = [AnnotatedText("a", "x" * 30), AnnotatedText("b", "x" * 30)]
    rows = worst_documents(docs, GOLD, PRED, n=2)
    # a: tp 2 fp 2 fn 1 -> F1 4/7; b: tp 1 fp 1 fn 1 -> F1 0.5
    assert [r["doc_id"] for r in rows] == ["b", "a"]
    assert rows[0]["f1"] == pytest.approx(0.5) and rows[1]["f1"] == pytest.approx(4 / 7, abs=1e-4)


def test_relation_figures():
    spans = [S(0, 4, "METRIC", "m"), S(4, 8, "COUNT", "c"), S(9, 12, "PERCENT", "p")]
    gold = relation_keys(spans, [Relation("c", "m"), Relation("p", "m")])
    pred_spans = [S(0, 4, "METRIC", "x1"), S(4, 8, "COUNT", "x2")]
    pred = relation_keys(pred_spans, [Relation("x2", "x1")])
    r = relation_score([gold], [pred])
    assert (r["precision"], r["recall"]) == (1.0, 0.5)


class FixedTagger:
    """Returns the hand-made predictions, document by document."""

    model_version = "fixed"
    labels = ("METRIC", "COUNT", "DATE", "ORG", "DOC")

    def __init__(self, by_text):
        self.by_text = by_text

    def predict_entities(self, texts, regions=None):
        return [self.by_text.get(t, []) for t in texts]


def test_evaluate_docs_report():
    texts = ["主动公开5300条，在2018年1月。ABCDEFGHIJ", "市政府办共有12件。"]
    docs = [AnnotatedText(f"d{i}", t, spans=[Span(s.start, s.end, t[s.start:s.end], s.label) for s in g])
            for i, (t, g) in enumerate(zip(texts, GOLD))]
    preds = {t: [Span(s.start, s.end, t[s.start:s.end], s.label) for s in p] for t, p in zip(texts, PRED)}
    rep = evaluate_docs(FixedTagger(preds), docs)
    model = rep["systems"]["model"]
    assert model["micro"]["f1"] == pytest.approx(2 * 0.5 * 0.6 / 1.1)
    assert model["worst_documents"][0]["doc_id"] == "d1"
    assert rep["n_gold_spans"] == 5
    text = format_report({**rep, "model": "fixed", "gold": "hand"})
    assert "COUNT -> boundary" in text and "micro" in text


def test_dev_ids_of_held_out_refit_and_missing(tmp_path):
    import json

    from training.evaluate import dev_ids_of

    held, refit, none = tmp_path / "held", tmp_path / "refit", tmp_path / "none"
    for d in (held, refit, none):
        d.mkdir()
    (held / "dev_ids.json").write_text(json.dumps(["a", "b"]))
    (refit / "selection_dev_ids.json").write_text(json.dumps(["c"]))
    assert dev_ids_of(held) == (["a", "b"], None)
    ids, caveat = dev_ids_of(refit)
    assert ids == ["c"] and "optimistic" in caveat
    with pytest.raises(FileNotFoundError, match="neither dev_ids.json"):
        dev_ids_of(none)
