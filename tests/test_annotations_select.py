"""annotations.select: doubt from window probabilities, picks spread over reports."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from annotations.push import report_tasks
from annotations.select import doubts, pick, select_tasks, token_doubt, unit_doubt
from inference.tagger import load_tagger
from tests.test_tagger import make_tiny_model

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "reports"
N_LABELS = 17  # O + B/I of the 8 labels of configs/labels.yaml


def row(*head: float) -> np.ndarray:
    """A label distribution over N_LABELS starting with ``head``, the rest shared equally."""
    rest = (1.0 - sum(head)) / (N_LABELS - len(head))
    return np.array([list(head) + [rest] * (N_LABELS - len(head))])


@pytest.mark.parametrize("probs, entropy, margin", [
    (row(1.0), 0.0, 0.0),                                   # sure
    (np.full((1, N_LABELS), 1 / N_LABELS), 1.0, 1.0),       # no idea
    (row(0.5, 0.5), math.log(2) / math.log(N_LABELS), 1.0),  # torn between two (B-COUNT or B-METRIC)
    (row(0.9, 0.1), None, 0.2),
])
def test_token_doubt(probs, entropy, margin):
    if entropy is not None:
        assert token_doubt(probs, "entropy")[0] == pytest.approx(entropy, abs=1e-6)
    assert token_doubt(probs, "margin")[0] == pytest.approx(margin, abs=1e-6)


def test_token_doubt_rejects_unknown_measure():
    with pytest.raises(ValueError, match="entropy, margin"):
        token_doubt(row(1.0), "variance")


@pytest.mark.parametrize("scores, top_k, expected", [
    ([0.0] * 100 + [0.9, 0.7], 2, 0.8),   # a long easy unit with two hard tokens stays hard
    ([0.2, 0.4], 32, 0.3),                # shorter than top_k: all tokens
    ([], 32, 0.0),
])
def test_unit_doubt(scores, top_k, expected):
    assert unit_doubt(np.array(scores), top_k) == pytest.approx(expected)


@pytest.mark.parametrize("scores, groups, n, diversity, expected", [
    ([0.9, 0.8, 0.7, 0.3], ["a", "a", "a", "b"], 2, 0.5, [0, 1]),    # 0.8*0.5=0.4 > 0.3
    ([0.9, 0.5, 0.7, 0.3], ["a", "a", "a", "b"], 3, 0.5, [0, 2, 3]),  # 0.7*0.5=0.35 > 0.3 ; then 0.3 > 0.5*0.25
    ([0.9, 0.8, 0.7, 0.6], ["a", "a", "b", "b"], 2, 0.5, [0, 2]),
    ([0.9, 0.8, 0.7, 0.6], ["a", "a", "b", "b"], 2, 1.0, [0, 1]),    # no spreading
    ([0.1, 0.2], ["a", "b"], 5, 0.5, [1, 0]),                         # fewer than n
])
def test_pick(scores, groups, n, diversity, expected):
    assert pick(scores, groups, n, diversity) == expected


@pytest.fixture(scope="module")
def tagger(tmp_path_factory):
    return load_tagger(make_tiny_model(tmp_path_factory.mktemp("tiny-select")))


@pytest.fixture(scope="module")
def tasks():
    found, _ = report_tasks([SAMPLES / "seed-000.txt", SAMPLES / "seed-001.txt"], max_chars=400)
    return found


def test_select_uncertain_on_report_units(tagger, tasks):
    assert len({t["doc_id"] for t in tasks}) == 2 and len(tasks) > 8
    scores = doubts(tagger, [t["text"] for t in tasks])
    assert all(0.0 <= s <= 1.0 for s in scores) and len(set(scores)) > 1
    chosen = select_tasks(tasks, 6, "uncertain", tagger)
    assert len(chosen) == 6 and {t["doc_id"] for t in chosen} == {"seed-000", "seed-001"}
    by_text = {t["text"]: s for t, s in zip(tasks, scores)}
    for t in chosen:
        assert t["doubt"] == pytest.approx(by_text[t["text"]], abs=1e-6)
    first = max(range(len(tasks)), key=lambda i: scores[i])
    assert chosen[0]["text"] == tasks[first]["text"]  # the most doubtful unit comes first
    assert select_tasks(tasks, 6, "uncertain", tagger) == chosen  # deterministic


def test_select_random_is_seeded_and_needs_no_model(tasks):
    a, b = select_tasks(tasks, 5, "random", seed=3), select_tasks(tasks, 5, "random", seed=3)
    assert a == b and len(a) == 5 and all(t in tasks for t in a)
    with pytest.raises(ValueError, match="needs a model"):
        select_tasks(tasks, 5, "uncertain", None)


@pytest.mark.parametrize("value", [["uncertain", "ten"], ["most", "5"], ["random", "-3"]])
def test_push_select_argument_is_checked(value):
    import argparse

    from annotations.cli import _selection

    with pytest.raises(ValueError, match="--select expects"):
        _selection(argparse.Namespace(select=value, model=None), None)


def test_push_select_argument_builds_a_selector(tagger, tasks):
    import argparse

    from annotations.cli import _selection
    from annotations.push import ModelPredictor

    choose = _selection(argparse.Namespace(select=["uncertain", "3"], model=None), ModelPredictor(tagger))
    assert choose(tasks) == select_tasks(tasks, 3, "uncertain", tagger)
    assert _selection(argparse.Namespace(select=None, model=None), None) is None
