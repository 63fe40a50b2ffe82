"""Distillation: the loss, the student cut from the teacher, the dev-leak guard, a tiny run."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from training.config import load_train_config
from training.distill import (check_teacher, encoder_layers, kd_loss, load_teacher, padded,
                              student_from_teacher, teacher_logits)
from training.train import train
from tests.test_tagger import make_tiny_model
from tests.test_training import gold_set  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def teacher_dir(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("teacher"))


def test_kd_loss_is_zero_for_the_teachers_own_logits_and_positive_otherwise():
    torch.manual_seed(0)
    t = torch.randn(2, 5, 7)
    lab = torch.tensor([[-100, 0, 1, 2, -100], [-100, 3, 0, -100, -100]])
    assert kd_loss(t.clone(), t, lab).item() == pytest.approx(0.0, abs=1e-6)
    assert kd_loss(torch.randn(2, 5, 7), t, lab).item() > 0.01


def test_kd_loss_ignores_special_and_padding_positions():
    torch.manual_seed(1)
    s, t = torch.randn(1, 4, 5), torch.randn(1, 4, 5)
    lab = torch.tensor([[-100, 2, 0, -100]])
    changed = s.clone()
    changed[0, 0] += 5.0
    changed[0, 3] -= 5.0
    assert kd_loss(changed, t, lab).item() == pytest.approx(kd_loss(s, t, lab).item())
    assert kd_loss(s, t, torch.full((1, 4), -100)).item() == 0.0


@pytest.mark.parametrize("temperature", [1.0, 2.0, 4.0])
def test_kd_loss_matches_the_formula(temperature):
    torch.manual_seed(2)
    s, t = torch.randn(1, 3, 4), torch.randn(1, 3, 4)
    lab = torch.tensor([[0, 1, 2]])
    ps = torch.softmax(s[0] / temperature, -1)
    pt = torch.softmax(t[0] / temperature, -1)
    want = (pt * (pt.log() - ps.log())).sum(-1).mean() * temperature ** 2
    assert kd_loss(s, t, lab, temperature).item() == pytest.approx(want.item(), rel=1e-5)


def test_student_keeps_the_chosen_teacher_layers_in_order(teacher_dir):
    teacher = load_teacher(teacher_dir)
    student = student_from_teacher(teacher, [1])
    assert len(encoder_layers(student)) == 1 and student.config.num_hidden_layers == 1
    assert len(encoder_layers(teacher)) == 2 and teacher.config.num_hidden_layers == 2
    a = encoder_layers(student)[0].state_dict()
    b = encoder_layers(teacher)[1].state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert torch.equal(student.classifier.weight, teacher.classifier.weight)
    with torch.no_grad():  # a copy: training the student leaves the teacher as it was
        encoder_layers(student)[0].output.dense.weight.add_(1.0)
    assert not torch.equal(encoder_layers(student)[0].output.dense.weight,
                           encoder_layers(teacher)[1].output.dense.weight)


@pytest.mark.parametrize("layers", [[], [2], [0, 0], [-1]])
def test_bad_teacher_layers_are_refused(teacher_dir, layers):
    with pytest.raises(ValueError, match="teacher_layers"):
        student_from_teacher(load_teacher(teacher_dir), layers)


@pytest.mark.parametrize("held_out, dev, ok", [
    (["a", "b", "c"], ["a", "b"], True),   # every dev doc held out from the teacher
    (["a"], ["a", "b"], False),            # the teacher trained on b
    (None, ["a"], False),                  # no dev_ids.json: a refit teacher saw everything
    (None, [], True),                      # no dev split: nothing to leak into
])
def test_teacher_must_not_have_seen_the_dev_documents(tmp_path, held_out, dev, ok):
    if held_out is not None:
        (tmp_path / "dev_ids.json").write_text(json.dumps(held_out), encoding="utf-8")
    if ok:
        check_teacher(tmp_path, dev)
    else:
        with pytest.raises(ValueError, match="dev documents"):
            check_teacher(tmp_path, dev)


def test_teacher_logits_of_batched_windows_equal_one_by_one(teacher_dir):
    teacher = load_teacher(teacher_dir)
    windows = [[101, 2399, 3221, 102], [101, 5018, 102], [101, 4638, 1399, 1469, 3300, 102]]
    got = teacher_logits(teacher, windows, batch_size=2)
    with torch.inference_mode():
        for w, z in zip(windows, got):
            want = teacher(input_ids=torch.tensor([w])).logits[0].numpy()
            assert z.shape == want.shape and np.allclose(z, want, atol=2e-2)
    batch = padded(got, [2, 1], 6)
    assert batch.shape == (2, 6, got[0].shape[-1]) and float(batch[1, 3:].abs().sum()) == 0.0


@pytest.mark.parametrize("overrides, message", [
    (["kd_alpha=1.5"], "kd_alpha"),
    (["kd_temperature=0"], "kd_temperature"),
    (["teacher_layers=[0, 1]"], "needs a teacher"),
    (["teacher_layers=[0, 1]", "refit_teacher=x"], "needs a teacher"),  # the dev run would be another model
])
def test_bad_distillation_settings_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        load_train_config(None, overrides)


def test_batches_name_the_dataset_rows_they_hold():
    import random

    from datasets import Dataset

    from training.train import batches

    ds = Dataset.from_dict({"input_ids": [[101, i, 102] + [7] * i for i in range(7)],
                            "labels": [[-100, 1, -100] + [0] * i for i in range(7)]})
    seen = []
    for ids, mask, lab, rows in batches(ds, 3, random.Random(0), 0):
        for r, i in enumerate(rows):
            n = len(ds[i]["input_ids"])
            assert ids[r, :n].tolist() == ds[i]["input_ids"] and int(mask[r].sum()) == n
        seen += rows
    assert sorted(seen) == list(range(7)) and seen != list(range(7))  # all rows, shuffled


def test_load_teacher_refuses_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="teacher model not found"):
        load_teacher(tmp_path / "nowhere")


def test_tiny_distillation_selects_on_dev_then_refits_with_the_refit_teacher(gold_set, tmp_path):  # noqa: F811
    base = make_tiny_model(tmp_path / "base", with_info=False)
    common = [f"base_model={base}", f"sets=[{gold_set}]", "num_layers=2", "max_length=48", "stride=8",
              "batch_size=4", "lr_body=1e-3", "lr_head=5e-3", "dev_fraction=0.3", "history=[]",
              "export_onnx=false", "epochs=3"]
    sel = tmp_path / "teacher-sel"
    train(load_train_config("configs/train.yaml", common + [f"out_dir={sel}", "refit_all=false"]), progress=False)
    full = tmp_path / "teacher-all"
    train(load_train_config("configs/train.yaml", common + [f"out_dir={full}", f"refit_from={sel}"]), progress=False)
    with pytest.raises(ValueError, match="dev documents"):  # the refit teacher saw the dev split
        train(load_train_config("configs/train.yaml", common + [
            f"out_dir={tmp_path / 'leak'}", f"teacher={full}", "teacher_layers=[1]", "refit_all=false"]),
            progress=False)
    out = tmp_path / "student"
    train(load_train_config("configs/train.yaml", common + [
        f"out_dir={out}", f"teacher={sel}", f"refit_teacher={full}", "teacher_layers=[1]",
        "refit_all=true", "kd_alpha=0.7"]), progress=False)
    info = json.loads((out / "govie_model.json").read_text(encoding="utf-8"))
    assert info["num_layers"] == 1 and json.loads((out / "config.json").read_text())["num_hidden_layers"] == 1
    assert info["distilled_from"]["path"] == str(full) and info["distilled_from"]["layers"] == [1]
    m = json.loads((out / "metrics.json").read_text())
    assert m["refit_all"] and m["dev"]["micro"]["support"] > 0
    sel_run = m["dev_run_history"]  # the selection run: it trains, and the refit runs its best epochs
    assert sel_run[-1]["loss"] < sel_run[0]["loss"]
    best = max(sel_run, key=lambda h: h["dev_f1"])["epoch"]
    assert [h["epoch"] for h in m["history"]] == list(range(1, best + 1))
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "Distilled from" in card and "teacher's layers [1]" in card
    assert "bash scripts/retrain_default.sh" in card
    # the card again from the folder's files, with the history of a recipe and the one it extends
    (tmp_path / "t.yaml").write_text("history: [{change: teacher-step, result: r1}]\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text("extends: t.yaml\nhistory: [{change: student-step, result: r2}]\n",
                                     encoding="utf-8")
    from training.card import rerender

    card = rerender(out, tmp_path / "s.yaml").read_text(encoding="utf-8")
    assert card.index("teacher-step") < card.index("student-step") and "Distilled from" in card
    from inference.tagger import TorchTagger

    text = "2018年，全市共主动公开政府信息30659条。"
    (spans,) = TorchTagger.from_dir(out).predict_entities([text])
    assert all(text[s.start:s.end] == s.text for s in spans)


def test_the_distillation_term_changes_training(gold_set, teacher_dir, tmp_path):  # noqa: F811
    """Same student start, same data and seed: only kd_alpha differs, so equal losses would
    mean the teacher's logits never reach the loss."""
    losses = {}
    for alpha in (0.0, 1.0):
        out = tmp_path / f"a{alpha}"
        train(load_train_config("configs/train.yaml", [
            f"sets=[{gold_set}]", f"out_dir={out}", f"teacher={teacher_dir}", "teacher_layers=[0, 1]",
            f"kd_alpha={alpha}", "max_length=48", "stride=8", "batch_size=4", "epochs=1", "max_steps=3",
            "dev_fraction=0.0", "history=[]", "refit_all=false", "export_onnx=false"]), progress=False)
        losses[alpha] = json.loads((out / "metrics.json").read_text())["history"][0]["loss"]
    assert losses[0.0] > 0.1 and abs(losses[0.0] - losses[1.0]) > 0.05
