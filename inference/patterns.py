"""The patterns of the ner stage, compiled from ``configs/patterns.yaml``: value rules
(COUNT, PERCENT, MONEY, DATE, DOCNO, DOC) with their vetoes, the rules-only METRIC phrases,
and the settings of the combination with the model (``inference.ner``'s docstring says how
they are used). Written as data, expanded (``{name}`` references, unit lists) and compiled
once per rules folder (``Rules.patterns``)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from .errors import ConfigError
from .metric_lists import ListGrammar, compile_lists
from .org_bounds import OrgGrammar, compile_org

if TYPE_CHECKING:
    from .tables.taxonomy import Taxonomy


@dataclass(frozen=True)
class Rule:
    label: str
    regex: re.Pattern
    not_before: Optional[re.Pattern] = None
    not_after: Optional[re.Pattern] = None
    not_inner: Optional[re.Pattern] = None
    left_trim: Optional[re.Pattern] = None
    group: int = 0
    weak: bool = False
    rules_only: bool = False
    header: bool = False  # matched only outside the regions the model reads (来源/date lines)


@dataclass(frozen=True)
class Patterns:
    rules: tuple[Rule, ...]
    priority: dict[str, int]
    trim_chars: frozenset
    context: int
    model_labels: frozenset = frozenset({"METRIC", "ORG"})
    sentence_end: Optional[re.Pattern] = None
    value_labels: frozenset = frozenset({"COUNT", "PERCENT", "MONEY"})
    read_blocks: frozenset = frozenset({"narrative", "heading"})
    model_fill: Optional[frozenset] = None  # rule labels the model may add spans to (None: all)
    model_min_chars: tuple[tuple[str, int], ...] = ()  # (label, shortest model span kept)
    model_metric_needs_value: bool = False  # model METRIC spans too need a value in the sentence
    org: OrgGrammar = OrgGrammar()  # the ORG boundary rules (the ``org`` section)
    # part-of-speech tags (rjieba) of a verb: a model METRIC made only of them, right before a
    # value that a METRIC follows right after, drops (受理36件政府信息公开申请); empty: none drops
    verb_tags: frozenset = frozenset()
    # text right before a model METRIC that makes it no METRIC (占 of a share's denominator)
    metric_not_after: Optional[re.Pattern] = None
    # lists in a METRIC (the ``lists`` part of the metrics section; inference.metric_lists)
    metric_lists: ListGrammar = ListGrammar()
    # words a model METRIC does not start with (总计, 按期 before a count), longest first
    metric_lead_out: tuple[str, ...] = ()
    # a channel before the verb of a model METRIC (网上 of 网上公开信息), which stays out
    metric_channel_out: Optional[re.Pattern] = None
    # words a model METRIC does not end with (为 of 举报数为, 包括, 超过)
    metric_trail_out: frozenset = frozenset()
    # a measure of visits (metric) right after a channel (before), which it takes in
    # (网站总访问量); None: no such rule
    metric_channel_in: Optional[tuple[re.Pattern, re.Pattern]] = None

    @property
    def rule_labels(self) -> frozenset:
        return frozenset(r.label for r in self.rules)


_REF = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\}")


def expand(pattern: str, defs: dict, units: dict, depth: int = 0) -> str:
    """Replace ``{name}`` by the def ``name`` and ``{units.x}`` by an alternation of the
    unit list ``x`` (longest first). Regex quantifiers such as ``{1,12}`` are left alone."""
    if depth > 10:
        raise ConfigError(f"patterns.yaml: defs nest too deep in {pattern!r}")

    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name.startswith("units."):
            key = name.split(".", 1)[1]
            if key not in units:
                raise ConfigError(f"patterns.yaml: unknown unit list {key!r}")
            alts = sorted((str(u) for u in units[key]), key=len, reverse=True)
            return "(?:" + "|".join(re.escape(u) for u in alts) + ")"
        if name not in defs:
            raise ConfigError(f"patterns.yaml: unknown def {{{name}}}")
        return expand(str(defs[name]), defs, units, depth + 1)

    return _REF.sub(sub, pattern)


def compile_patterns(cfg: dict, tax: Taxonomy) -> Patterns:
    """The compiled form of a patterns.yaml mapping (METRIC phrases from ``tax``)."""
    defs, units = cfg.get("defs", {}) or {}, cfg.get("units", {}) or {}

    def comp(src: Optional[str], where: str) -> Optional[re.Pattern]:
        if not src:
            return None
        try:
            return re.compile(expand(str(src), defs, units))
        except re.error as exc:
            raise ConfigError(f"patterns.yaml: bad regex in {where}: {exc}") from exc

    rules = []
    for i, r in enumerate(cfg.get("rules", [])):
        where = f"rules[{i}] ({r.get('label')})"
        rules.append(Rule(
            label=r["label"], regex=comp(r["pattern"], where),
            not_before=comp(r.get("not_before"), where), not_after=comp(r.get("not_after"), where),
            not_inner=comp(r.get("not_inner"), where), left_trim=comp(r.get("left_trim"), where),
            group=int(r.get("group", 0)), weak=bool(r.get("weak", False)),
            rules_only=bool(r.get("rules_only", False)), header=bool(r.get("header", False))))
    met = cfg.get("metrics") or {}
    words = _metric_words(met, tax)
    if words:
        alt = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        rules.append(Rule(label="METRIC", regex=re.compile(alt), rules_only=True))
    prio = {lab: i for i, lab in enumerate(cfg.get("priority", []))}
    return Patterns(tuple(rules), prio, frozenset(str(cfg.get("trim", ""))),
                    int(cfg.get("context", 12)),
                    frozenset(cfg.get("model_labels", ["METRIC", "ORG"])),
                    re.compile(met["sentence_end"]) if met.get("sentence_end") else None,
                    frozenset(met.get("value_labels", ["COUNT", "PERCENT", "MONEY"])),
                    frozenset(cfg.get("read_blocks", ["narrative", "heading"])),
                    frozenset(cfg["model_fill"]) if cfg.get("model_fill") is not None else None,
                    tuple((str(k), int(v)) for k, v in (cfg.get("model_min_chars") or {}).items()),
                    bool(met.get("model_needs_value", False)),
                    compile_org(cfg.get("org"), lambda src, key: comp(src, f"org.{key}")),
                    frozenset(str(t) for t in met.get("verb_before_value", []) or []),
                    comp(met.get("not_after"), "metrics.not_after"),
                    compile_lists(met.get("lists"), lambda src, key: comp(src, f"metrics.lists.{key}")),
                    tuple(sorted((str(w) for w in met.get("lead_out", []) or []), key=len, reverse=True)),
                    comp(met.get("channel_out"), "metrics.channel_out"),
                    frozenset(str(w) for w in met.get("trail_out", []) or []),
                    _channel_in(met.get("channel_in"), comp))


def _channel_in(cfg: Optional[dict], comp) -> Optional[tuple[re.Pattern, re.Pattern]]:
    """``metrics.channel_in``: (the measure, the channel right before it), or None."""
    if not cfg:
        return None
    return comp(cfg["metric"], "metrics.channel_in.metric"), comp(cfg["before"], "metrics.channel_in.before")


def _metric_words(met: dict, tax: Taxonomy) -> set[str]:
    """METRIC phrases for the rules-only path: taxonomy synonyms and extra phrases."""
    words = {str(w) for w in met.get("extra", []) or []}
    if met.get("from_taxonomy"):
        words |= tax.metric_phrases()
    n = int(met.get("min_length", 1))
    return {w for w in words if len(w) >= n}
