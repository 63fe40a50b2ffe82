"""Web-page noise (inference/noise.py) found as ranges, the text untouched. Pinyin glosses:
tests/data/corpus/page-063.txt (a traditional-script mirror of a 2021 街道 report, source in
tests/data/corpus/index.jsonl); HTML residue and mirror strings: the shapes quoted in issue 17
(``<!--[if !supportLists]-->``, ``365bet(中国)官方网站``, ``欧洲五大联赛`` in place of 江西)."""
from __future__ import annotations

from pathlib import Path

import pytest

from inference.clean import clean
from inference.load import from_text
from inference.ner import model_regions
from inference.noise import noise_ranges
from inference.rules import default_rules
from inference.pipeline import Pipeline

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


@pytest.mark.parametrize("text,pieces,kind", [
    ("嚴(yán)格按照《中華人民共和國政府信息公開條例》最新版本規(guī)定要求及省市有關(guān)決策部署",
     ["(yán)", "(guī)", "(guān)"], "pinyin"),
    ("著力強化平臺建設(shè),進(jìn)一步規(guī)范和豐富政府信息公開內(nèi)容", ["(shè)", "(jìn)", "(guī)", "(nèi)"], "pinyin"),
    ("<!--[if !supportLists]-->1.<!--[endif]-->主动公开政府信息123条", ["<!--[if !supportLists]-->", "<!--[endif]-->"], "html"),
    ("全年受理申请&nbsp;12件<o:p></o:p>", ["&nbsp;", "<o:p>", "</o:p>"], "html"),
    ("政府信息\u200b公开\ufeff工作", ["\u200b", "\ufeff"], "junk"),
    ("欧洲五大联赛省人民政府办公厅2020年政府信息公开工作年度报告", ["欧洲五大联赛"], "mirror"),
    ("365bet(中国)官方网站2021年政府信息公开工作年度报告", ["365bet", "官方网站"], "mirror"),
])
def test_noise_is_found_and_offsets_hold(text, pieces, kind):
    got = noise_ranges(text, default_rules().noise)
    assert [text[s:e] for s, e, _ in got] == pieces
    assert {k for *_, k in got} == {kind}


@pytest.mark.parametrize("text", [
    "详见附件(a)及附件(b)。",  # untoned, and too few glosses for a page of pinyin
    "本机关(含下属单位)共收到申请12件。",
    "2021年全区主动公开政府信息1234条。",
])
def test_report_text_is_not_noise(text):
    assert noise_ranges(text, default_rules().noise) == []


def test_clean_keeps_the_text_and_the_model_skips_the_noise():
    text = (CORPUS / "page-063.txt").read_text(encoding="utf-8")
    doc = clean(from_text(text, source="page-063.txt"), default_rules())
    assert doc.text == text
    glosses = [doc.text[s:e] for s, e, k in doc.noise if k == "pinyin"]
    # every parenthesised latin gloss of the page (47, counted with grep) and nothing else
    assert len(glosses) == 47 and "(guān)" in glosses and all(g.startswith("(") for g in glosses)
    regions = model_regions(doc)
    for s, e, _ in doc.noise:
        assert not any(a < e and b > s for a, b in regions)
    assert not any(w.code == "page_mirror" for w in doc.warnings)


def test_a_mirror_page_is_warned_and_not_the_issuer():
    text = ("365bet(中国)官方网站\n欧洲五大联赛省人民政府办公厅2020年政府信息公开工作年度报告\n"
            "一、总体情况\n2020年,欧洲五大联赛省人民政府办公厅主动公开政府信息1234条。\n")
    doc = Pipeline(stages=("clean", "issuer", "segment", "tables"))(from_text(text, source="mirror.html"))
    w = [w for w in doc.warnings if w.code == "page_mirror"]
    assert len(w) == 1 and doc.text[w[0].start:w[0].end] == "365bet"
    assert {doc.text[s:e] for s, e, k in doc.noise if k == "mirror"} == {"365bet", "官方网站", "欧洲五大联赛"}
    iss = doc.metadata.issuer
    assert iss is None or ("bet" not in (iss.name or "") and "联赛" not in (iss.name or ""))
