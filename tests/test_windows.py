"""The shared text path: windows, char-level label alignment, merging, BIO decoding."""
from __future__ import annotations

import numpy as np
import pytest

from inference.config import label_set
from inference.data import Span
from inference.windows import (IGNORE, best_tags, decode, encode, merge_probs, merge_regions, spans_from_labels,
                               token_labels, trim, window_labels)
from tests.conftest import TOKENIZER_DIR

L = label_set()


@pytest.fixture(scope="module")
def tok():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(TOKENIZER_DIR))


def spans_of(text: str, items: list[tuple[str, str]]) -> list[Span]:
    out, pos = [], 0
    for piece, label in items:
        s = text.index(piece, pos)
        out.append(Span(s, s + len(piece), piece, label, source="gold"))
        pos = s + len(piece)
    return out


ALIGN_CASES = [
    # digits split into several word pieces (306 ##59)
    ("全市共主动公开政府信息30659条。", [("主动公开政府信息", "METRIC"), ("30659条", "COUNT")]),
    # percent with a decimal point
    ("全文电子化率91.96%，办结率100%。", [("全文电子化率", "METRIC"), ("91.96%", "PERCENT"),
                                      ("办结率", "METRIC"), ("100%", "PERCENT")]),
    # Latin letters (lower-cased by the tokenizer, offsets into the original)
    ("通过APP和微信发布信息120条", [("信息", "METRIC"), ("120条", "COUNT")]),
    # full-width digits and brackets
    ("依据国办发〔２０１８〕２３号文件", [("国办发〔２０１８〕２３号", "DOCNO")]),
    # spaces inside an entity (spaces get no token)
    ("闽政办〔2018〕43 号要求，2018 年 1 月 1 日起", [("闽政办〔2018〕43 号", "DOCNO"), ("2018 年 1 月 1 日", "DATE")]),
    # curly quotes and dashes come out as [UNK]
    ("在“中国漳州”网站—《条例》解读3篇", [("《条例》", "DOC"), ("3篇", "COUNT")]),
    # a newline inside a title broken across lines
    ("印发《2018年政务公开\n工作要点》，共2场", [("《2018年政务公开\n工作要点》", "DOC"), ("2场", "COUNT")]),
]


@pytest.mark.parametrize("text,items", ALIGN_CASES)
def test_alignment_round_trip(tok, text, items):
    gold = spans_of(text, items)
    enc = encode(text, tok, max_length=16, stride=4)
    labels = token_labels(enc, gold, L.label2id)
    back = spans_from_labels(enc, labels, L.id2label)
    assert [(s.start, s.end, s.label) for s in back] == [(s.start, s.end, s.label) for s in gold]
    for s in back:
        assert text[s.start:s.end] == s.text


def test_first_token_of_a_span_is_b_and_specials_are_ignored(tok):
    text = "受理申请533件"
    gold = spans_of(text, [("受理申请", "METRIC"), ("533件", "COUNT")])
    enc = encode(text, tok, max_length=64, stride=4)
    labels = [L.id2label[i] for i in token_labels(enc, gold, L.label2id)]
    # 受 理 申 请 | 53 ##3 件 : one token per CJK character, digits in word pieces
    assert [text[s:e] for s, e in enc.offsets] == ["受", "理", "申", "请", "53", "3", "件"]
    assert labels == ["B-METRIC", "I-METRIC", "I-METRIC", "I-METRIC", "B-COUNT", "I-COUNT", "I-COUNT"]
    (wl,) = window_labels(enc, token_labels(enc, gold, L.label2id))
    assert wl[0] == IGNORE and wl[-1] == IGNORE and len(wl) == len(labels) + 2


def test_windows_cover_a_long_text_whole(tok):
    text = "主动公开政府信息30659条，" * 120  # ~1700 tokens
    enc = encode(text, tok, max_length=64, stride=16)
    assert len(enc.windows) > 20
    assert all(len(w.input_ids) <= 64 for w in enc.windows)
    covered = sorted({t for w in enc.windows for t in w.tokens if t >= 0})
    assert covered == list(range(len(enc.ids)))
    for a, b in zip(enc.windows, enc.windows[1:]):  # neighbours share `stride` tokens
        assert len(set(a.tokens[1:-1]) & set(b.tokens[1:-1])) == 16
    gold = [Span(m, m + 8, text[m:m + 8], "METRIC") for m in range(0, len(text), 15)]
    gold += [Span(m + 8, m + 14, text[m + 8:m + 14], "COUNT") for m in range(0, len(text), 15)]
    gold.sort(key=lambda s: s.start)
    labels = token_labels(enc, gold, L.label2id)
    wl = window_labels(enc, labels)
    # one-hot window "predictions" from the window labels, merged back per token
    n = len(L.bio)
    probs = []
    for w, lab in zip(enc.windows, wl):
        p = np.zeros((len(w.input_ids), n))
        for i, y in enumerate(lab):
            p[i, 0 if y == IGNORE else y] = 1.0
        probs.append(p)
    merged = merge_probs(enc, probs)
    assert list(merged.argmax(-1)) == labels
    back = decode(enc, merged, L.id2label)
    assert [(s.start, s.end, s.label) for s in back] == [(s.start, s.end, s.label) for s in gold]
    assert all(s.score == pytest.approx(1.0) for s in back)


def test_regions_leave_tables_out_and_spans_do_not_cross_regions(tok):
    text = "公开信息20条\n项目|数量\n申请|5\n办结率100%"
    table = (text.index("项目"), text.index("办结率"))
    regions = [(0, table[0]), (table[1], len(text))]
    enc = encode(text, tok, max_length=32, stride=4, regions=regions)
    assert all(not (table[0] <= s < table[1]) for s, _ in enc.offsets)
    # an "entity" running through the gap is cut in two at the region boundary
    probs = np.zeros((len(enc.ids), len(L.bio)))
    probs[:, L.label2id["I-COUNT"]] = 1.0
    probs[0, L.label2id["B-COUNT"]] = 2.0
    spans = decode(enc, probs, L.id2label)
    assert len(spans) == 2
    assert spans[0].end <= table[0] and spans[1].start >= table[1]


def test_merge_regions():
    assert merge_regions([(5, 9), (0, 3), (2, 4), (20, 30)], "x" * 25) == [(0, 4), (5, 9), (20, 25)]
    assert merge_regions(None, "abc") == [(0, 3)]
    assert merge_regions([], "abc") == []


@pytest.mark.parametrize("text,expected", [
    ("，530件。", "530件"),
    (" 《条例》，", "《条例》"),
    ("91.96%；", "91.96%"),
    ("“市政府办”", "市政府办"),
    ("\n2018年\n", "2018年"),
    ("。，", ""),
])
def test_trim(text, expected):
    s, e = trim(text, 0, len(text))
    assert text[s:e] == expected


def test_bio_repair_stray_i_opens_an_entity_and_type_change_splits(tok):
    text = "国务院办公厅印发"
    enc = encode(text, tok, max_length=32, stride=4)
    tags = ["I-ORG", "I-ORG", "I-ORG", "B-ORG", "I-DOC", "O", "O", "O"][: len(enc.ids)]
    probs = np.zeros((len(enc.ids), len(L.bio)))
    for i, t in enumerate(tags):
        probs[i, L.label2id[t]] = 0.9
    spans = decode(enc, probs, L.id2label, constrained=False)
    assert [(s.text, s.label) for s in spans] == [("国务院", "ORG"), ("办", "ORG"), ("公", "DOC")]
    assert spans[0].score == pytest.approx(0.9)


def _probs(n: int, rows: dict[int, dict[str, float]]) -> np.ndarray:
    """Token probabilities: the given tags per row, the rest of the mass spread evenly."""
    probs = np.zeros((n, len(L.bio)))
    for i in range(n):
        row = rows.get(i, {"O": 0.995})
        rest = (1.0 - sum(row.values())) / (len(L.bio) - len(row))
        probs[i] = rest
        for tag, p in row.items():
            probs[i, L.label2id[tag]] = p
    return probs


def test_constrained_decoding_keeps_a_wavering_entity_whole(tok):
    text = "国务院办公厅印发"
    enc = encode(text, tok, max_length=32, stride=4)
    probs = _probs(len(enc.ids), {0: {"B-ORG": 0.9}, 1: {"I-ORG": 0.8},
                                  2: {"I-DOC": 0.5, "I-ORG": 0.45}, 3: {"I-ORG": 0.9},
                                  4: {"I-ORG": 0.9}, 5: {"I-ORG": 0.9}})
    greedy = decode(enc, probs, L.id2label, constrained=False)
    assert [(s.text, s.label) for s in greedy] == [("国务", "ORG"), ("院", "DOC"), ("办公厅", "ORG")]
    spans = decode(enc, probs, L.id2label)
    assert [(s.text, s.label) for s in spans] == [("国务院办公厅", "ORG")]


def test_constrained_decoding_never_starts_with_i_nor_crosses_regions(tok):
    text = "市政府。市政府"
    enc = encode(text, tok, max_length=32, stride=4, regions=[(0, 3), (4, 7)])
    assert enc.region == [0, 0, 0, 1, 1, 1]
    rows = {i: {"I-ORG": 0.6, "B-ORG": 0.3} for i in range(6)}
    rows[0] = rows[3] = {"B-ORG": 0.9}
    best = best_tags(_probs(6, rows), enc.region, L.id2label)
    assert [L.id2label[int(k)] for k in best] == ["B-ORG", "I-ORG", "I-ORG"] * 2
    rows[3] = {"I-ORG": 0.9, "B-ORG": 0.05}  # an I- right after a region boundary turns B-
    best = best_tags(_probs(6, rows), enc.region, L.id2label)
    assert L.id2label[int(best[3])] == "B-ORG"
    spans = decode(enc, _probs(6, rows), L.id2label)
    assert [(s.start, s.end) for s in spans] == [(0, 3), (4, 7)]


def test_char_map_replaces_unknown_characters_without_moving_offsets(tok):
    text = "发布“双微”推文—共3条"
    plain = encode(text, tok, max_length=64, stride=4)
    mapped = encode(text, tok, max_length=64, stride=4, char_map={"“": '"', "”": '"', "—": "-"})
    assert plain.offsets == mapped.offsets
    unk = tok.unk_token_id
    assert plain.ids.count(unk) == 3
    assert unk not in mapped.ids
    assert all(text[s:e] for s, e in mapped.offsets)
    with pytest.raises(ValueError, match="single characters"):
        encode(text, tok, char_map={"——": "-"})


def test_encode_rejects_bad_settings(tok):
    with pytest.raises(ValueError):
        encode("abc", tok, max_length=16, stride=14)
    assert encode("", tok).windows == []


def test_length_batches_sort_by_length_pad_and_name_their_rows():
    from inference.windows import length_batches

    seqs = [[1, 2, 3], [4], [5, 6], [7, 8, 9, 10]]
    got = list(length_batches(seqs, 2, pad_id=0))
    assert [rows for rows, _, _ in got] == [[1, 2], [0, 3]]
    rows, ids, mask = got[0]
    assert ids.tolist() == [[4, 0], [5, 6]] and mask.tolist() == [[1, 0], [1, 1]]
    assert got[1][1].shape == (2, 4) and got[1][2].sum() == 7
