"""The operation counts the speed benchmarks divide by (benchmarks/bench_inference.py,
benchmarks/profile_onnx.py): a wrong count would misstate the model's share of the int8 limit."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_inference import batch_ops, ops_per_token  # noqa: E402
from benchmarks.profile_onnx import node_ops  # noqa: E402

MODEL = ROOT / "models" / "default"
CFG = json.loads((MODEL / "config.json").read_text(encoding="utf-8"))
D, FF, L = CFG["hidden_size"], CFG["intermediate_size"], CFG["num_hidden_layers"]
WEIGHTS = L * (4 * D * D + 2 * D * FF) + D * len(CFG["id2label"])


@pytest.mark.parametrize("lengths, batch, widths", [
    ([256] * 8, 8, [(8, 256)]),                       # one full batch
    ([256] * 8 + [100], 8, [(8, 256), (1, 256)]),     # ascending: the short window padded among 7 full
    ([30, 256, 120, 256], 2, [(2, 120), (2, 256)]),   # batches of similar length: 30 padded to 120
])
def test_batch_ops_counts_every_batch_as_run(lengths, batch, widths):
    ops, padded = batch_ops(MODEL, lengths, batch)
    assert padded == sum(b * w for b, w in widths)
    assert ops == pytest.approx(sum(2.0 * WEIGHTS * b * w + 4.0 * L * b * w * w * D for b, w in widths))


def test_a_full_window_costs_what_ops_per_token_says():
    ops, _ = batch_ops(MODEL, [256] * 8, 8)
    assert ops == pytest.approx(8 * 256 * ops_per_token(MODEL, 256))


@pytest.mark.parametrize("op, shapes, want", [
    ("DynamicQuantizeMatMul", [[8, 256, 384], [384, 1536]], 2.0 * 8 * 256 * 384 * 1536),
    ("MatMulInteger", [[2048, 2048], [2048, 2048]], 2.0 * 2048 ** 3),
    ("QAttention", [[8, 256, 384], [384, 1152]], 2.0 * 8 * 256 * 384 * 1152 + 4.0 * 8 * 256 * 256 * 384),
    ("SkipLayerNormalization", [[8, 256, 384], [8, 256, 384]], 0.0),
])
def test_node_ops_of_the_profiled_operators(op, shapes, want):
    assert node_ops(op, shapes) == want


def test_a_model_compared_with_itself_differs_by_nothing(capsys, monkeypatch):
    """benchmarks/compare_models.py end to end on the gold-v1 dev documents."""
    from benchmarks import compare_models

    monkeypatch.setattr(sys, "argv", ["compare_models", "--a", str(MODEL), "--b", str(MODEL),
                                      "--set", str(ROOT / "annotations" / "data" / "gold-v1"),
                                      "--rounds", "50"])
    compare_models.main()
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in out.splitlines()[4:]}
    assert {"METRIC", "ORG", "micro", "relations"} <= set(rows)
    assert all(r[2] == r[3] and r[4] == "+0.000" for r in rows.values())
    assert "22 dev documents" in out
