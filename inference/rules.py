"""The rules of ``configs/`` as one typed object, read, validated and compiled when loaded.

    rules = load_rules()                  # the configs folder in use (GOVIE_CONFIGS or configs/)
    rules = load_rules(Path("my-rules"))  # another folder
    Pipeline(tagger, rules=rules)         # every stage gets its rules from the pipeline

``load_rules`` reads every file of the folder once and builds each stage's compiled object
with the pure builder of that stage's module (``clean.build_chrome``,
``tables.taxonomy.build_taxonomy``, ``patterns.compile_patterns`` ...). A missing or
malformed key, or a pattern that does not compile, is a ``ConfigError`` naming the file and
the key, raised here: a broken rules folder fails at load, never in the middle of a batch.

``default_rules()`` is the only cache: one ``Rules`` per rules folder (the folder named by
``GOVIE_CONFIGS``, else the project's ``configs/``), so pointing ``GOVIE_CONFIGS``
elsewhere mid-process gives that folder's rules.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from .config import LabelSet, build_labels, configs_dir, load_config
from .errors import ConfigError

if TYPE_CHECKING:  # the stage modules import Rules back for their annotations: no runtime import
    from .clean import Chrome
    from .frame_rules import Levels, PanelRules, ViewRules
    from .issuer import IssuerRules
    from .link import Linking
    from .merge import MergeRules
    from .noise import NoiseRules
    from .normalise import FactRules
    from .normalise.context import ContextRules
    from .normalise.keymap import KeymapRules
    from .normalise.numbers import NumberRules
    from .normalise.zeros import ZeroRules
    from .patterns import Patterns
    from .segment import Sections
    from .tables.taxonomy import Taxonomy
    from .tables.templates import TemplateSet
    from .tables.values import CellRules


@dataclass(frozen=True, eq=False)  # hashed by identity: a key of the stages' lru caches
class Rules:
    """Every rule the pipeline and the frames read, typed and compiled (see each field's
    builder for its content)."""

    folder: Path
    labels: LabelSet  # config.build_labels
    chrome: Chrome
    noise: NoiseRules
    issuer: IssuerRules
    metadata: dict  # metadata.build_metadata
    sections: Sections
    cells: CellRules
    taxonomy: Taxonomy
    templates: TemplateSet
    patterns: Patterns
    linking: Linking
    numbers: NumberRules
    context: ContextRules
    keymap: KeymapRules
    zeros: ZeroRules
    facts: FactRules
    merge: MergeRules
    levels: Levels
    panel: PanelRules
    view: ViewRules

def _built(file: str, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)``, a missing or malformed key or a broken pattern a ConfigError naming
    ``file`` and the key."""
    try:
        return fn(*args)
    except ConfigError:
        raise
    except KeyError as exc:
        raise ConfigError(f"configs/{file}: missing key {exc}") from exc
    except re.error as exc:
        raise ConfigError(f"configs/{file}: pattern {exc.pattern!r} does not compile: {exc}") from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"configs/{file}: malformed ({exc})") from exc


def _templates_raw(folder: Path) -> dict[str, dict]:
    names = sorted(p.name for p in (folder / "templates").glob("*.yaml"))
    if not names:
        raise ConfigError(f"no table templates in {folder / 'templates'}")
    return {n: load_config(f"templates/{n}", folder) for n in names}


def load_rules(folder: Optional[Path] = None) -> Rules:
    """The rules of ``folder`` (default: the configs folder in use), validated and compiled."""
    from . import clean, frame_rules, issuer, link, merge, metadata, noise, patterns, segment
    from .normalise import build_facts, context, keymap, numbers, zeros
    from .tables import taxonomy, templates, values

    folder = Path(folder) if folder is not None else configs_dir()
    raw = {n: load_config(n, folder) for n in (
        "labels", "chrome", "noise", "issuer", "metadata", "sections", "cells", "taxonomy",
        "patterns", "linking", "normalise", "keymap", "zeros", "levels", "panel", "view")}
    cells = _built("cells.yaml", values.build_cells, raw["cells"], raw["patterns"])
    tax = _built("taxonomy.yaml", taxonomy.build_taxonomy, raw["taxonomy"], cells)
    mirror = _built("issuer.yaml", noise.build_mirror, raw["issuer"])
    linking = _built("linking.yaml", link.build_linking, raw["linking"])
    norm = raw["normalise"]
    return Rules(
        folder=folder,
        labels=_built("labels.yaml", build_labels, raw["labels"]),
        chrome=_built("chrome.yaml", clean.build_chrome, raw["chrome"]),
        noise=_built("noise.yaml", noise.build_noise, raw["noise"], mirror),
        issuer=_built("issuer.yaml", issuer.build_issuer, raw["issuer"], mirror),
        metadata=_built("metadata.yaml", metadata.build_metadata, raw["metadata"]),
        sections=_built("sections.yaml", segment.build_sections, raw["sections"]),
        cells=cells,
        taxonomy=tax,
        templates=_built("templates/", templates.build_templates, _templates_raw(folder), cells),
        patterns=_built("patterns.yaml", patterns.compile_patterns, raw["patterns"], tax),
        linking=linking,
        numbers=_built("normalise.yaml", numbers.build_numbers, norm),
        context=_built("normalise.yaml", context.build_context, norm, linking),
        keymap=_built("keymap.yaml", keymap.build_keymap, raw["keymap"], tax, cells),
        zeros=_built("zeros.yaml", zeros.build_zeros, raw["zeros"], tax),
        facts=_built("normalise.yaml", build_facts, norm, tax),
        merge=_built("normalise.yaml", merge.build_merge, norm, tax),
        levels=_built("levels.yaml", frame_rules.build_levels, raw["levels"]),
        panel=_built("panel.yaml", frame_rules.build_panel_rules, raw["panel"], tax),
        view=_built("view.yaml", frame_rules.build_view, raw["view"], raw["labels"], tax),
    )


_LOADED: dict[Path, Rules] = {}
_BY_NAME: dict[str, Rules] = {}  # absolute folder names already resolved: no file-system call


def rules_at(folder: Path) -> Rules:
    """The rules of ``folder``, loaded once per folder and process (the only cache; an
    absolute name seen before is a dict lookup, as on the per-span path of ``windows.trim``)."""
    hit = _BY_NAME.get(str(folder))
    if hit is not None:
        return hit
    key = Path(folder).resolve()
    if key not in _LOADED:
        _LOADED[key] = load_rules(Path(folder))
    if Path(folder).is_absolute():
        _BY_NAME[str(folder)] = _LOADED[key]
    return _LOADED[key]


def or_default(rules: Optional[Rules]) -> Rules:
    """``rules``, or ``default_rules()`` when a caller (a notebook) passes none."""
    return rules if rules is not None else default_rules()


def default_rules() -> Rules:
    """The rules of the configs folder in use (``GOVIE_CONFIGS``, else the project's
    ``configs/``), loaded once per folder."""
    return rules_at(configs_dir())
