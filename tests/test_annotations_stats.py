"""annotations.stats: counts per label and document, span-level agreement."""
from __future__ import annotations

from pathlib import Path

import pytest

from annotations import cli
from annotations.sets import load_set
from annotations.stats import agreement, format_stats, set_counts

GOLD = Path(__file__).resolve().parent.parent / "annotations" / "data" / "gold-v1"
TEXT = "办结8件，受理12件。"


def r(rid, s, e, label):
    return {"id": rid, "type": "labels", "from_name": "label", "to_name": "text",
            "value": {"start": s, "end": e, "text": TEXT[s:e], "labels": [label]}}


def ann(aid, *regions, cancelled=False):
    return {"id": aid, "result": list(regions), "was_cancelled": cancelled}


def test_set_counts_of_gold():
    c = set_counts(load_set(GOLD))
    assert (c["docs"], c["spans"], c["relations"]) == (105, 3434, 924)
    assert c["labels"]["METRIC"] == 865 and list(c["labels"]) == [
        "METRIC", "COUNT", "PERCENT", "MONEY", "ORG", "DOC", "DOCNO", "DATE"]
    assert c["per_doc"]["seed-000"]["spans"] == sum(
        v for k, v in c["per_doc"]["seed-000"].items() if k not in ("spans", "relations", "chars"))
    assert sum(d["spans"] for d in c["per_doc"].values()) == 3434


@pytest.mark.parametrize("anns,f1", [
    ([ann(1, r("a", 0, 2, "METRIC"), r("b", 2, 4, "COUNT")),
      ann(2, r("a", 0, 2, "METRIC"), r("b", 2, 4, "COUNT"))], 1.0),
    ([ann(1, r("a", 0, 2, "METRIC"), r("b", 2, 4, "COUNT")),
      ann(2, r("a", 0, 2, "METRIC"), r("b", 2, 4, "PERCENT"))], 0.5),    # 2*1/(2+2)
    ([ann(1, r("a", 0, 2, "METRIC")), ann(2, r("b", 7, 10, "COUNT"))], 0.0),
    ([ann(1, r("a", 0, 2, "METRIC")), ann(2, r("a", 0, 2, "METRIC")),
      ann(3, r("b", 7, 10, "COUNT"), cancelled=True)], 1.0),              # cancelled left out
])
def test_pairwise_span_f1(anns, f1):
    got = agreement([{"id": 1, "data": {"text": TEXT}, "annotations": anns}])
    assert got["tasks"] == 1 and got["f1"] == pytest.approx(f1)


def test_three_annotators_make_three_pairs_and_per_label_figures():
    anns = [ann(1, r("a", 0, 2, "METRIC"), r("b", 2, 4, "COUNT")), ann(2, r("a", 0, 2, "METRIC")),
            ann(3, r("a", 0, 2, "METRIC"), r("b", 2, 4, "COUNT"))]
    got = agreement([{"id": 9, "data": {"text": TEXT}, "annotations": anns},
                     {"id": 10, "data": {"text": TEXT}, "annotations": anns[:1]}])
    assert got["tasks"] == 1 and got["pairs"] == 3
    assert got["per_label"]["METRIC"] == 1.0
    assert got["per_label"]["COUNT"] == pytest.approx(2 * 1 / 4)  # one matched pair of four COUNT mentions
    assert got["f1"] == pytest.approx(2 * 4 / 10)


def test_no_multi_annotated_task_gives_no_figure():
    got = agreement([{"id": 1, "data": {"text": TEXT}, "annotations": [ann(1, r("a", 0, 2, "METRIC"))]}])
    assert got["pairs"] == 0 and got["f1"] is None
    assert "no task has two" in format_stats(set_counts([]), got)


def test_cli_stats_on_gold(capsys):
    assert cli.main(["annotations", "stats", str(GOLD)]) == 0
    out = capsys.readouterr().out
    assert "docs 105, spans 3434, relations 924" in out and "no task has two" in out
