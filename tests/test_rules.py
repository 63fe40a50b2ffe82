"""inference.rules: one typed rules object, validated when loaded and passed into the stages."""
from __future__ import annotations

import dataclasses
import shutil

import pytest
import yaml

from inference.clean import build_chrome
from inference.config import ConfigError, configs_dir
from inference.pipeline import Pipeline
from inference.rules import default_rules, load_rules


@pytest.fixture()
def folder(tmp_path):
    out = tmp_path / "configs"
    shutil.copytree(configs_dir(), out)
    return out


def _edit(folder, name, change) -> None:
    path = folder / name
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(cfg)
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")


# (file, how it is broken, what the error must name)
BROKEN = [
    ("sections.yaml", lambda c: c.pop("markers"), "markers"),
    ("issuer.yaml", lambda c: c.pop("weights"), "weights"),
    ("noise.yaml", lambda c: c["pinyin"].pop("tones"), "tones"),
    ("metadata.yaml", lambda c: c.pop("contacts"), "contacts"),
    ("chrome.yaml", lambda c: c["lines"].append("扫一扫(.{0,30}"), "does not compile"),
    ("sections.yaml", lambda c: c["tables"].update(numeric="[0-9"), "does not compile"),
    ("taxonomy.yaml", lambda c: c["keys"]["requests.new"].update(period="weekly"), "period"),
]


@pytest.mark.parametrize("name,change,named", BROKEN)
def test_a_broken_rules_folder_fails_at_load_naming_file_and_key(folder, name, change, named):
    _edit(folder, name, change)
    with pytest.raises(ConfigError) as err:
        load_rules(folder)
    assert name in str(err.value) and named in str(err.value)


def test_the_shipped_rules_load_and_are_typed():
    rules = load_rules()
    assert rules.folder == configs_dir()
    assert "MONEY" in rules.labels.labels and rules.chrome.lines and rules.sections.markers
    assert rules.templates.templates and rules.templates.vocabulary
    assert rules.taxonomy.narrative_key("主动公开政府信息数") is not None
    assert default_rules() is default_rules()  # one object per folder


def test_switching_govie_configs_mid_process_gives_the_other_folders_rules(folder, monkeypatch):
    _edit(folder, "labels.yaml", lambda c: c["labels"][[x["name"] for x in c["labels"]].index("MONEY")]
          .update(name="AMOUNT"))
    before = default_rules()
    assert "MONEY" in before.labels.labels
    monkeypatch.setenv("GOVIE_CONFIGS", str(folder))
    other = default_rules()
    assert other.folder == folder and "AMOUNT" in other.labels.labels and "MONEY" not in other.labels.labels
    assert Pipeline().rules is other
    monkeypatch.delenv("GOVIE_CONFIGS")
    assert default_rules() is before  # back to the project's rules, from the cache


# A breadcrumb line of a real page (tests/data/corpus) and a site footer word the shipped
# chrome.yaml does not know.
TEXT = ("长沙市人民政府2021年政府信息公开工作年度报告\n"
        "本网站由长沙市人民政府办公厅主管维护\n"
        "一、总体情况\n2021年，全市共主动公开政府信息30659条。\n")


def test_a_pipeline_reads_the_rules_it_is_given_not_the_environment():
    rules = default_rules()
    raw = yaml.safe_load((rules.folder / "chrome.yaml").read_text(encoding="utf-8"))
    raw["lines"].append("本网站由.{0,30}主管维护")
    mine = dataclasses.replace(rules, chrome=build_chrome(raw))
    default = Pipeline().run_text(TEXT)
    custom = Pipeline(rules=mine).run_text(TEXT)
    line = TEXT.index("本网站")
    assert not any(s <= line < e for s, e in default.chrome)
    assert any(s <= line < e for s, e in custom.chrome)
    assert [f.value for f in custom.facts] == [f.value for f in default.facts]  # the rest alike
