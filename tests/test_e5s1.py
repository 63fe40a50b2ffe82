"""The E5S1 file (training/e5s1.py) on small files made here: q4 blocks, sizes, pieces,
the normalisation map and tensors, and a file of another kind refused."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from inference.errors import BaseEncoderError
from training import e5s1


def q4_block(values: np.ndarray, scale: float) -> bytes:
    """One q4 block of 32 values (already integers in [-8, 7]) with an f16 scale."""
    q = (values.astype(np.int16) + 8).astype(np.uint8)
    packed = (q[:16] & 0x0F) | ((q[16:] & 0x0F) << 4)
    return np.float16(scale).tobytes() + packed.astype(np.uint8).tobytes()


def test_dequantise_q4_low_nibbles_then_high():
    ints = np.arange(-8, 24) % 16 - 8  # every code once, in two halves
    raw = q4_block(ints, 0.5) + q4_block(np.zeros(32), 1.0)
    out = e5s1.dequantise_q4(raw, 40)
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
    return e5s1.read_e5s1(tiny_e5s1(PIECES, SCORES, tensors, norm={"Ａ": "A"}))


def test_read_e5s1_sizes_pieces_norm_tensors(tiny):
    assert (tiny.hidden, tiny.layers, tiny.vocab, tiny.max_pos, tiny.type_vocab) == (2, 1, len(PIECES), 4, 2)
    assert tiny.pieces == PIECES and tiny.special == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}
    assert tiny.norm == {"Ａ": "A"}
    assert tiny.tensors["emb.word"].reshape(-1, 2)[6].tolist() == [12.0, 13.0]


def test_read_e5s1_refuses_other_files():
    with pytest.raises(BaseEncoderError, match="magic"):
        e5s1.read_e5s1(b"GGUF" + bytes(64))
