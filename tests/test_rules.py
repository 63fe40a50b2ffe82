"""inference.rules: one typed rules object, validated when loaded and passed into the stages."""
from __future__ import annotations

import dataclasses
import shutil

import pytest
import yaml

from inference.clean import build_chrome
from inference.config import ConfigError, configs_dir
from inference.link import build_linking
from inference.normalise.context import build_context
from inference.panel import build_panel, build_panel_rules
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
    ("patterns.yaml", lambda c: c["org"].update(owner_of="(?:网站"), "org"),
    ("taxonomy.yaml", lambda c: c["keys"]["requests.new"].update(period="weekly"), "period"),
    ("linking.yaml", lambda c: c.pop("sentence_end"), "sentence_end"),
    ("linking.yaml", lambda c: c["inherit"][0].update(gap="^[，,(占"), "does not compile"),
    ("linking.yaml", lambda c: c["left"].update(max_gap="14字"), "max_gap"),
    ("normalise.yaml", lambda c: c.pop("scope"), "scope"),
    ("normalise.yaml", lambda c: c["numbers"].pop("digits"), "digits"),
    ("normalise.yaml", lambda c: c["annual_after_year"].update(year="(?:19|20\\d\\d年"),
     "does not compile"),
    ("normalise.yaml", lambda c: c["breakdown_keys"]["keys"].update({"proactive.total": "proactive.kinds"}),
     "proactive.kinds"),
    ("keymap.yaml", lambda c: c.pop("learned"), "learned"),
    ("zeros.yaml", lambda c: c["mentions"][0].update(key="requests.recieved"), "requests.recieved"),
    ("panel.yaml", lambda c: c["carry_over"][0].update(last_year="requests.carry_forward"),
     "requests.carry_forward"),
    ("panel.yaml", lambda c: c.pop("jump_factor"), "jump_factor"),
    ("levels.yaml", lambda c: c["units"][0].update(level="prefecture"), "prefecture"),
    ("view.yaml", lambda c: c["requests_chart"]["outcomes"][0].update(key="requests.outcome.granted"),
     "requests.outcome.granted"),
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


# A real phrasing (长沙市 2021 report, tests/data/corpus): the total and a channel breakdown.
SENTENCE = ("长沙市人民政府2021年政府信息公开工作年度报告\n一、总体情况\n"
            "2021年，全市共主动公开政府信息30659条，其中市本级通过政府网站主动公开信息773条。\n")


def _raw(rules, name: str) -> dict:
    return yaml.safe_load((rules.folder / name).read_text(encoding="utf-8"))


def test_a_pipeline_with_another_normalise_rule_gives_other_facts():
    rules = default_rules()
    raw = _raw(rules, "normalise.yaml")
    raw["scope"]["全市"] = "全市域"
    raw["scope"].pop("市本级")
    mine = dataclasses.replace(rules, context=build_context(raw, rules.linking))
    default = {f.value: (f.key, f.scope) for f in Pipeline().run_text(SENTENCE).facts}
    custom = {f.value: (f.key, f.scope) for f in Pipeline(rules=mine).run_text(SENTENCE).facts}
    assert default == {30659.0: ("proactive.total", "全市"), 773.0: ("proactive.website", "市本级")}
    assert custom == {30659.0: ("proactive.total", "全市域"), 773.0: ("proactive.website", None)}


def test_a_pipeline_with_another_link_rule_links_otherwise():
    rules = default_rules()
    raw = _raw(rules, "linking.yaml")
    raw["left"]["max_gap"] = -1  # no METRIC before its value
    raw["fallback_left"] = False
    mine = dataclasses.replace(rules, linking=build_linking(raw))
    assert len(Pipeline().run_text(SENTENCE).relations) == 2
    custom = Pipeline(rules=mine).run_text(SENTENCE)
    assert custom.relations == [] and {f.key for f in custom.facts} == {None}


def _record(source: str, year: int, value: float) -> dict:
    region = {"code": "430100", "province": "湖南省", "city": "长沙市"}
    return {"source": source, "sha256": source, "metadata": {"year": year, "issuer": {
        "name": "长沙市人民政府", "region": region}},
        "facts": [{"key": "proactive.total", "value": value, "origin": "table",
                   "period": "annual", "evidence": {"source": source, "text": str(value)}}]}


def test_the_panel_reads_the_rules_it_is_given():
    rules = default_rules()
    raw = _raw(rules, "panel.yaml")
    raw["duplicate_overlap"] = 2.0  # nothing is a duplicate by its facts
    mine = dataclasses.replace(rules, panel=build_panel_rules(raw, rules.taxonomy))
    twins = [_record("a.html", 2021, 30659), _record("a.pdf", 2021, 30659)]
    assert build_panel(twins, rules)[1].duplicates == 1
    assert build_panel(twins, mine)[1].duplicates == 0
