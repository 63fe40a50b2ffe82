"""annotations.config: the Label Studio labelling config generated from configs/labels.yaml."""
from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from annotations import cli
from annotations.config import (LabelConfigError, check_label_config, compare_label_config,
                                label_config_xml, parse_label_config)
from inference.config import label_set, load_config

GOLD_XML = Path(__file__).resolve().parent.parent / "annotations" / "data" / "gold-v1" / "label_config.xml"


def test_generated_config_has_labels_in_order_with_colours_and_hotkeys():
    root = ET.fromstring(label_config_xml())
    labels = root.find("Labels")
    assert [el.get("value") for el in labels.iter("Label")] == list(label_set().labels)
    cfg = {x["name"]: x for x in load_config("labels")["labels"]}
    for el in labels.iter("Label"):
        assert el.get("background") == cfg[el.get("value")]["background"]
        assert el.get("hotkey") == cfg[el.get("value")]["hotkey"]
    hotkeys = [el.get("hotkey") for el in labels.iter("Label")]
    assert len(set(hotkeys)) == len(hotkeys)
    assert [el.get("value") for el in root.iter("Relation")] == ["measures"]
    text = root.find("Text")
    assert (text.get("name"), text.get("value"), text.get("granularity")) == ("text", "$text", "symbol")
    assert labels.get("toName") == "text"


def test_generated_config_is_equivalent_to_gold_v1():
    gold = GOLD_XML.read_text(encoding="utf-8")
    assert compare_label_config(gold) == []
    assert parse_label_config(gold).labels == parse_label_config(label_config_xml()).labels


def _variant(old: str, new: str) -> str:
    xml = label_config_xml()
    assert old in xml
    return xml.replace(old, new)


@pytest.mark.parametrize("old,new,needle", [
    ('<Label value="MONEY" background="#bcbd22" hotkey="y"/>', "", "labels missing: MONEY"),
    ("</Labels>", '<Label value="PERSON"/></Labels>', "labels not in configs/labels.yaml: PERSON"),
    ('<Relation value="measures"/>', '<Relation value="about"/>', "relations"),
    ('granularity="symbol"', 'granularity="word"', "granularity"),
    ('value="$text"', 'value="$body"', "text_value"),
])
def test_differences_are_named(old, new, needle):
    xml = _variant(old, new)
    diffs = compare_label_config(xml)
    assert any(needle in d for d in diffs), diffs
    with pytest.raises(LabelConfigError, match="differs from configs/labels.yaml"):
        check_label_config(xml, where="project 'x'")


def test_colour_and_order_do_not_matter():
    xml = _variant('background="#1f77b4" hotkey="m"', 'background="#000000"')
    assert compare_label_config(xml) == []


def test_malformed_xml_is_a_clear_error():
    with pytest.raises(LabelConfigError, match="not valid XML"):
        parse_label_config("<View><Labels>")


def test_cli_prints_config_and_checks_gold(capsys):
    assert cli.main(["annotations", "config"]) == 0
    assert capsys.readouterr().out == label_config_xml()
    assert cli.main(["annotations", "config", "--check", str(GOLD_XML)]) == 0
    assert "equivalent" in capsys.readouterr().out
