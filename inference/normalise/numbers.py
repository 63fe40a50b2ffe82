"""Numbers, units and approximation markers of a value span, from configs/normalise.yaml.

``parse_value("近8.1万条")`` -> Quantity(value=81000, unit="条", approx=True, bound="upper").
Arabic numbers (thousands separators, decimals, full-width digits), Chinese numerals
(两场, 一百二十项, 三千余册), 万/亿 multipliers, 元/万元/亿元 (value in yuan, unit "yuan"),
% and 百分之… (unit "%"), 个百分点 (unit "pp").
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Optional



@dataclass(frozen=True)
class Quantity:
    value: Optional[float]
    unit: Optional[str] = None
    approx: bool = False
    bound: Optional[str] = None  # "lower", "upper"
    raw: str = ""


@dataclass(frozen=True)
class NumberRules:
    """The number, unit and approximation rules of configs/normalise.yaml (``build_numbers``)."""

    digits: dict
    small: dict
    large: dict
    seps: str
    before: dict
    after: dict
    unit_map: dict
    money: dict
    money_unit: str
    percent_unit: str
    number_re: re.Pattern
    percent_prefix: str = "百分之"
    point: str = "点"


def build_numbers(cfg: dict) -> NumberRules:
    """The compiled number rules of a parsed configs/normalise.yaml (``numbers``, ``approx``,
    ``units``)."""
    num = cfg["numbers"]
    cn = "".join(list(num["digits"]) + list(num["small"]) + list(num["large"]))
    seps = "".join(num.get("thousands_separators", [","]))
    arabic = rf"[0-9]+(?:[{re.escape(seps)}][0-9]{{3}})*(?:\.[0-9]+)?"
    number_re = re.compile(rf"(?P<arabic>{arabic})|(?P<cn>[{re.escape(cn)}]+)")
    units = cfg["units"]
    return NumberRules(num["digits"], num["small"], num["large"], seps,
                  dict(cfg["approx"]["before"]), dict(cfg["approx"]["after"]),
                  dict(units.get("map", {})), dict(units["money"]), units["money_unit"],
                  units.get("percent_unit", "%"), number_re,
                  num.get("percent_prefix", "百分之"), num.get("decimal_point", "点"))


def chinese_number(text: str, r: NumberRules) -> Optional[float]:
    """一百二十 -> 120, 两 -> 2, 十二 -> 12, 三千五百万 -> 35000000, 一〇二 -> 102."""
    if not text or any(c not in r.digits and c not in r.small and c not in r.large for c in text):
        return None
    if all(c in r.digits for c in text) and len(text) > 1:  # digit by digit: 二〇一八
        return float("".join(str(r.digits[c]) for c in text))
    total, section, digit = 0.0, 0.0, None
    for c in text:
        if c in r.digits:
            digit = r.digits[c]
        elif c in r.small:
            section += (1 if digit is None else digit) * r.small[c]
            digit = None
        else:  # large multiplier
            section += digit or 0
            if section == 0 and total == 0:  # a bare 万 (万余本, 逾万)
                section = 1.0
            total = (total + section) * r.large[c] if total and r.large[c] > max(total, 1) else total + section * r.large[c]
            section, digit = 0.0, None
    return total + section + (digit or 0)


def parse_value(text: str, r: NumberRules) -> Quantity:
    """The number, unit and approximation of a COUNT, PERCENT or MONEY span text (rules
    ``r``: ``Rules.numbers``)."""
    raw = text
    t = unicodedata.normalize("NFKC", text).replace(" ", "").replace("\u3000", "")
    approx, bound = False, None
    for word in sorted(r.before, key=len, reverse=True):
        if t.startswith(word):
            approx, bound, t = True, r.before[word], t[len(word):]
            break
    if r.percent_prefix and t.startswith(r.percent_prefix):
        rest = t[len(r.percent_prefix):]
        v = chinese_number(rest.split(r.point)[0], r)
        if v is not None and r.point in rest:
            frac = rest.split(r.point, 1)[1]
            v += float("0." + "".join(str(r.digits.get(c, 0)) for c in frac))
        return Quantity(v, r.percent_unit, approx, bound, raw)
    m = r.number_re.match(t)
    if not m:
        return Quantity(None, None, approx, bound, raw)
    if m.group("arabic"):
        num = m.group("arabic")
        for sep in r.seps:
            num = num.replace(sep, "")
        value: Optional[float] = float(num)
        rest = t[m.end():]
        # 8.1万, 3000余万
        mult = 1.0
        while rest:
            for word in sorted(r.after, key=len, reverse=True):
                if rest.startswith(word):
                    approx, bound = True, r.after[word] if bound is None else bound
                    rest = rest[len(word):]
                    break
            else:
                if rest[0] in r.large and not any(rest.startswith(u) for u in r.money if u[0] in r.large and len(rest) == len(u)):
                    mult *= r.large[rest[0]]
                    rest = rest[1:]
                    continue
                break
    else:
        # Chinese numeral, possibly with 余/多 inside (三千余册)
        cn = m.group("cn")
        rest = t[m.end():]
        value = chinese_number(cn, r)
        mult = 1.0
        for word in sorted(r.after, key=len, reverse=True):
            if rest.startswith(word):
                approx, bound = True, r.after[word] if bound is None else bound
                rest = rest[len(word):]
                break
        if rest[:1] in r.large and rest not in r.money:
            mult, rest = r.large[rest[0]], rest[1:]
    for word in sorted(r.after, key=len, reverse=True):  # trailing 以上 / 左右 / 余
        if rest.endswith(word) and len(rest) >= len(word):
            approx, bound = True, r.after[word] if bound is None else bound
            rest = rest[: -len(word)]
            break
    unit: Optional[str] = rest or None
    if value is not None:
        value *= mult
        if unit in r.money:
            value, unit = value * r.money[unit], r.money_unit
        elif unit is not None:
            unit = r.unit_map.get(unit, unit)
        if float(value).is_integer():
            value = float(int(round(value)))
        else:
            value = round(value, 6)
    return Quantity(value, unit, approx, bound, raw)
