"""annotations.validate: offset checks and unambiguous repairs, overlaps, labels, relations."""
from __future__ import annotations

import pytest

from annotations.config import label_names, relation_rules
from annotations.validate import Issue, ValidationError, overlaps, repair_offsets, validate_doc
from inference.data import AnnotatedText, Relation, Span

TEXT = "全市共主动公开政府信息30659条，全文电子化率100%。其中主动公开8647条。"


@pytest.mark.parametrize("start,end,value,expected,note", [
    (11, 17, "30659条", (11, 17), ""),                      # exact
    (11, 18, "30659条，", (11, 17), None),                  # ends in punctuation: not ours to fix
    (10, 16, "30659条", (11, 17), "moved"),                 # shifted by one, unique nearby
    (12, 18, "30659条", (11, 17), "moved"),
    (11, 17, " 30659条", (11, 17), "moved"),                # value with stray space, stripped match
    (2, 11, "主动公开政府信息", (3, 11), "moved"),            # unique in window (also later 主动公开 only)
    (11, 17, "8647条", None, "not found nearby"),           # far away
    (11, 17, "XYZ", None, "not found nearby"),
    (50, 60, "abc", None, "not found nearby"),               # beyond the text
    ("a", 17, "30659条", None, "not integers"),
])
def test_repair_offsets(start, end, value, expected, note):
    fixed, msg = repair_offsets(TEXT, start, end, value)
    if note is None:  # the exact text holds (punctuation is a guide matter, not an offset error)
        assert fixed == (start, end) and msg == ""
        return
    assert fixed == expected
    assert note in msg
    if fixed:
        assert TEXT[fixed[0]:fixed[1]] == value.strip()


def test_whitespace_is_trimmed_when_offsets_match():
    text = "共 30659条 。"
    fixed, msg = repair_offsets(text, 1, 9, " 30659条 ")
    assert fixed == (2, 8) and "trimmed" in msg and text[2:8] == "30659条"


def test_ambiguous_shift_is_not_repaired():
    text = "办结8件，受理8件。"
    fixed, msg = repair_offsets(text, 3, 5, "8件")  # 2..4 and 7..9 both within the window
    assert fixed is None and "ambiguous" in msg


def test_whitespace_only_region_is_an_error():
    fixed, msg = repair_offsets("a   b", 1, 4, "   ")
    assert fixed is None and "whitespace" in msg


def _doc(spans, relations=()):
    return AnnotatedText("d1", TEXT, list(spans), list(relations))


def test_validate_doc_flags_overlap_unknown_label_offsets_and_relation_ends():
    spans = [Span(3, 11, TEXT[3:11], "METRIC", id="m"), Span(11, 17, TEXT[11:17], "COUNT", id="c"),
             Span(10, 13, TEXT[10:13], "COUNT", id="x"), Span(24, 28, "100%", "RATE", id="p"),
             Span(0, 2, "全省", "ORG", id="o")]
    rels = [Relation("c", "m"), Relation("c", "gone"), Relation("m", "c")]
    issues = validate_doc(_doc(spans, rels), label_names(), relation_rules())
    codes = [(i.level, i.code) for i in issues]
    assert ("error", "overlap") in codes
    assert ("error", "unknown-label") in codes and any("'RATE'" in i.message for i in issues)
    assert ("error", "offsets") in codes
    assert ("error", "relation-end") in codes
    assert ("warning", "relation-direction") in codes  # METRIC -> COUNT runs the wrong way
    overlap = next(i for i in issues if i.code == "overlap")
    assert "x" in overlap.message and ("c" in overlap.message or "m" in overlap.message)


def test_clean_doc_has_no_issue():
    spans = [Span(3, 11, TEXT[3:11], "METRIC", id="m"), Span(11, 17, TEXT[11:17], "COUNT", id="c")]
    assert validate_doc(_doc(spans, [Relation("c", "m")]), label_names(), relation_rules()) == []


def test_overlaps_of_touching_spans_are_none():
    a, b = Span(0, 2, "ab", "ORG"), Span(2, 4, "cd", "ORG")
    assert overlaps([a, b]) == []
    assert overlaps([a, Span(1, 3, "bc", "ORG")]) == [(a, Span(1, 3, "bc", "ORG"))]


def test_validation_error_lists_errors_with_ids():
    err = ValidationError([Issue("error", "offsets", "bad", task=7, annotation=3, region="r1"),
                           Issue("repaired", "offsets", "fine", task=7)])
    assert "1 error(s)" in str(err) and "task 7, annotation 3, region r1" in str(err)
    assert "fine" not in str(err)
