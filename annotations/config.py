"""The Label Studio labelling config, generated from ``configs/labels.yaml``.

One ``<Labels>`` control (name ``label``) over one ``<Text>`` object (name ``text``, value
``$text``, ``granularity="symbol"`` so regions can start and end at any character), each label
with its colour and hotkey, and one ``<Relations>`` block with the relation names
(``measures``). :func:`compare_label_config` tells whether a project's config is equivalent
(same label names, relation names, control and object names), which push and pull check
before touching a project.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

from inference.config import load_config
from inference.errors import LabelConfigError  # noqa: F401  (re-exported)

FROM_NAME = "label"
TO_NAME = "text"


def _labels_cfg(cfg: Optional[dict] = None) -> dict:
    cfg = cfg if cfg is not None else load_config("labels")
    if not isinstance(cfg, dict) or not isinstance(cfg.get("labels"), list):
        raise LabelConfigError("configs/labels.yaml: expected a 'labels' list")
    return cfg


def label_config_xml(cfg: Optional[dict] = None) -> str:
    """The labelling config XML for the labels and relations of ``configs/labels.yaml``."""
    cfg = _labels_cfg(cfg)
    lines = ["<View>", "  <Relations>"]
    for rel in cfg.get("relations", []):
        lines.append(f"    <Relation value={quoteattr(rel['name'])}/>")
    lines += ["  </Relations>", f'  <Labels name="{FROM_NAME}" toName="{TO_NAME}">']
    for item in cfg["labels"]:
        attrs = f"value={quoteattr(item['name'])}"
        if item.get("background"):
            attrs += f" background={quoteattr(item['background'])}"
        if item.get("hotkey"):
            attrs += f" hotkey={quoteattr(str(item['hotkey']))}"
        lines.append(f"    <Label {attrs}/>")
    lines += ["  </Labels>",
              f'  <Text name="{TO_NAME}" value="${TO_NAME}" granularity="symbol"/>',
              "</View>"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class LabelConfigSummary:
    """What matters of a labelling config for conversion."""

    labels: tuple[str, ...]
    relations: tuple[str, ...]
    from_name: Optional[str]
    to_name: Optional[str]
    text_value: Optional[str]
    granularity: Optional[str]


def parse_label_config(xml: str) -> LabelConfigSummary:
    """Label names, relation names and the control/object names of a config XML."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise LabelConfigError(f"labelling config is not valid XML: {exc}") from exc
    labels_el = [el for el in root.iter() if el.tag in ("Labels", "HyperTextLabels")]
    if len(labels_el) != 1:
        raise LabelConfigError(f"labelling config: expected one <Labels>, found {len(labels_el)}")
    lab = labels_el[0]
    text_el = next((el for el in root.iter("Text") if el.get("name") == lab.get("toName")), None)
    return LabelConfigSummary(
        labels=tuple(el.get("value") for el in lab.iter("Label")),
        relations=tuple(el.get("value") for el in root.iter("Relation")),
        from_name=lab.get("name"),
        to_name=lab.get("toName"),
        text_value=text_el.get("value") if text_el is not None else None,
        granularity=text_el.get("granularity") if text_el is not None else None,
    )


def compare_label_config(xml: str, cfg: Optional[dict] = None) -> list[str]:
    """Differences between a config XML and the one generated from labels.yaml ([] = same).

    Colours and hotkeys are presentation and are not compared; label order is not compared
    either (ids come from labels.yaml, not from the project)."""
    want = parse_label_config(label_config_xml(cfg))
    got = parse_label_config(xml)
    diffs = []
    missing = [x for x in want.labels if x not in got.labels]
    extra = [x for x in got.labels if x not in want.labels]
    if missing:
        diffs.append(f"labels missing: {', '.join(missing)}")
    if extra:
        diffs.append(f"labels not in configs/labels.yaml: {', '.join(extra)}")
    if set(want.relations) != set(got.relations):
        diffs.append(f"relations {sorted(got.relations)} != {sorted(want.relations)}")
    for field in ("from_name", "to_name", "text_value"):
        if getattr(want, field) != getattr(got, field):
            diffs.append(f"{field} {getattr(got, field)!r} != {getattr(want, field)!r}")
    if got.granularity != "symbol":
        diffs.append(f"Text granularity {got.granularity!r} != 'symbol'")
    return diffs


def check_label_config(xml: str, where: str = "project", cfg: Optional[dict] = None) -> None:
    """Raise :class:`LabelConfigError` naming every difference from labels.yaml."""
    diffs = compare_label_config(xml, cfg)
    if diffs:
        raise LabelConfigError(
            f"{where}: labelling config differs from configs/labels.yaml: " + "; ".join(diffs)
            + " (regenerate it with `govie annotations config`)")


def relation_rules(cfg: Optional[dict] = None) -> dict[str, dict[str, Any]]:
    """relation name -> {'from': [labels], 'to': [labels]}."""
    return {r["name"]: {"from": list(r.get("from", [])), "to": list(r.get("to", []))}
            for r in _labels_cfg(cfg).get("relations", [])}


def label_names(cfg: Optional[dict] = None) -> tuple[str, ...]:
    return tuple(item["name"] for item in _labels_cfg(cfg)["labels"])
