"""The rules of the frames over records: levels of issuing bodies (configs/levels.yaml, for
``inference.report_frames``), the panel and its cross-year checks (configs/panel.yaml, for
``inference.panel`` and ``inference.panel_checks``) and the evidence view (configs/view.yaml
and the label colours of configs/labels.yaml, for ``inference.view``).

Typed and compiled by pure builders, called by ``inference.rules.load_rules``. They live in a
module of their own, not in the frame modules, because the frames fall back to
``default_rules()`` when a notebook passes no rules: ``rules.py`` importing them back would
be an import cycle.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .tables.taxonomy import Taxonomy


@dataclass(frozen=True)
class Levels:
    """The rules of configs/levels.yaml (``build_levels``)."""

    order: tuple[str, ...]  # province, city, county, township, unknown
    unit_re: re.Pattern  # the administrative units, one named group each
    unit_level: dict  # group name -> level


def build_levels(cfg: dict) -> Levels:
    """The compiled level rules of a parsed configs/levels.yaml."""
    order = tuple(str(x) for x in cfg["levels"])
    alts, levels = [], {}
    for i, u in enumerate(sorted(cfg["units"], key=lambda u: -len(u["unit"]))):
        if u["level"] not in order:
            raise ValueError(f"unit {u['unit']!r}: level {u['level']!r} is not one of levels")
        # lookbehinds must be fixed-width: one per alternative
        pre = "".join(f"(?<!{c})" for c in u["not_before"].split("|")) if u.get("not_before") else ""
        post = f"(?!{u['not_after']})" if u.get("not_after") else ""
        alts.append(f"(?P<u{i}>{pre}{re.escape(u['unit'])}{post})")
        levels[f"u{i}"] = u["level"]
    return Levels(order, re.compile("|".join(alts)), levels)


@dataclass(frozen=True)
class PanelRules:
    """The rules of configs/panel.yaml (``build_panel_rules``), their keys checked against
    the taxonomy, with the taxonomy's cumulative keys."""

    duplicate_overlap: float
    carry_over: tuple[dict, ...]  # {this_year, last_year}
    stock: tuple[dict, ...]  # {in_force, issued, repealed}
    cumulative_exclude: frozenset
    jump_factor: float
    cumulative_keys: frozenset  # period: cumulative in the taxonomy


def build_panel_rules(cfg: dict, tax: Taxonomy) -> PanelRules:
    """The panel rules of a parsed configs/panel.yaml; a key the taxonomy does not have is
    an error."""
    carry = tuple({"this_year": str(p["this_year"]), "last_year": str(p["last_year"])}
                  for p in cfg["carry_over"])
    stock = tuple({k: str(t[k]) for k in ("in_force", "issued", "repealed")} for t in cfg["stock"])
    exclude = frozenset(cfg.get("cumulative_exclude", []))
    named = [k for pair in carry + stock for k in pair.values()]
    missing = sorted((set(named) | exclude) - set(tax.entries))
    if missing:
        raise ValueError(f"names keys the taxonomy does not have: {', '.join(missing)}")
    return PanelRules(float(cfg["duplicate_overlap"]), carry, stock, exclude,
                      float(cfg["jump_factor"]),
                      frozenset(k for k, e in tax.entries.items() if e.period == "cumulative"))


def _tint(hex_colour: str, share: float = 0.25) -> str:
    """``hex_colour`` mixed with white (``share`` of the colour): a light background that
    keeps dark text readable."""
    h = hex_colour.lstrip("#")
    if len(h) != 6:
        return "#eeeeee"
    rgb = [int(h[i:i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(255 - (255 - c) * share):02x}" for c in rgb)


@dataclass(frozen=True)
class ViewRules:
    """What the view reads from configs/: the label styles (configs/labels.yaml) and the
    requests chart (configs/view.yaml ``requests_chart``); built by ``build_view``."""

    labels: tuple[dict, ...]  # name, description, colour and tint of each label
    chart: dict  # title, received_label, received and outcomes: [{key, label}]


def build_view(view_cfg: dict, labels_cfg: dict, tax) -> ViewRules:
    """The view rules of parsed configs/view.yaml and configs/labels.yaml; the chart's keys
    must be keys of taxonomy ``tax``."""
    out = []
    for item in labels_cfg["labels"]:
        colour = str(item.get("background") or "#888888")
        out.append({"name": str(item["name"]), "description": str(item.get("description", "")),
                    "colour": colour, "tint": _tint(colour)})
    chart = dict(view_cfg["requests_chart"])
    bars = list(chart["received"]) + list(chart["outcomes"])
    unknown = sorted({str(x["key"]) for x in bars if str(x["key"]) not in tax.entries
                      and not any(k.startswith(str(x["key"]) + ".") for k in tax.entries)})
    if unknown:
        raise ValueError(f"requests_chart names keys the taxonomy does not have: {', '.join(unknown)}")
    for x in bars:
        if "label" not in x:
            raise KeyError(f"requests_chart: label of {x.get('key')}")
    return ViewRules(tuple(out), chart)
