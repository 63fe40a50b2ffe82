"""Scoring (training/metrics.py): the paired bootstrap that says whether a change shows on
the dev split."""
from __future__ import annotations

import pytest

from training.metrics import paired_bootstrap, score
from inference.data import Span


def _docs(n_right, n_wrong):
    """Gold of two METRICs and one ORG per document; a system that finds all in the first
    ``n_right`` documents and misses the METRICs of the next ``n_wrong``."""
    gold = [{(0, 4, "METRIC"), (6, 9, "METRIC"), (10, 14, "ORG")} for _ in range(n_right + n_wrong)]
    pred = [set(g) if i < n_right else {(10, 14, "ORG")} for i, g in enumerate(gold)]
    return gold, pred


def test_the_same_system_twice_differs_by_nothing():
    gold, pred = _docs(6, 4)
    out = paired_bootstrap(gold, pred, pred, [f"r{i}" for i in range(10)], ["METRIC", "ORG"],
                           lambda k: k[2], rounds=200)
    for name in ("METRIC", "ORG", "micro"):
        assert out[name]["delta"] == out[name]["low"] == out[name]["high"] == 0.0
        assert out[name]["b_better"] == 0.0


def test_a_system_better_on_every_report_wins_every_draw():
    gold, worse = _docs(4, 6)
    _, better = _docs(10, 0)
    out = paired_bootstrap(gold, worse, better, [f"r{i}" for i in range(10)], ["METRIC", "ORG"],
                           lambda k: k[2], rounds=500)
    assert out["METRIC"]["a"] == pytest.approx(score(
        [[Span(s, e, "x" * (e - s), lab) for s, e, lab in g] for g in gold],
        [[Span(s, e, "x" * (e - s), lab) for s, e, lab in p] for p in worse],
        ["METRIC", "ORG"])["per_label"]["METRIC"]["f1"])
    assert out["METRIC"]["b"] == 1.0 and out["METRIC"]["low"] > 0 and out["METRIC"]["b_better"] > 0.99
    assert out["ORG"]["delta"] == 0.0 and out["METRIC"]["support"] == 20


@pytest.mark.parametrize("groups, spread", [
    ([f"r{i}" for i in range(10)], True),  # ten reports: the draws differ
    (["r0"] * 10, False),                   # ten sections of one report: every draw is all of it
])
def test_sections_of_one_report_are_drawn_together(groups, spread):
    gold, a = _docs(5, 5)
    b = [set(g) for g in a]
    b[9] = set(gold[9])  # B also finds the METRICs of the tenth document
    out = paired_bootstrap(gold, a, b, groups, ["METRIC"], lambda k: k[2], rounds=2000, seed=1)
    m = out["METRIC"]
    assert m["delta"] == pytest.approx(0.75 - 2 / 3)
    assert m["low"] <= m["delta"] <= m["high"]
    assert (m["high"] - m["low"] > 0.1) == spread
