"""The region gazetteer of the issuer stage: China's administrative divisions (province,
prefecture, county) with their six-digit codes, the renamed and merged divisions, the
Traditional→Simplified character map and the landline area codes.

The data is not typed here: it is read from the dictionaries shipped with the maintained
``jionlp`` package (``jionlp/dictionary``: ``china_location.zip``, a 2025 snapshot of the
official division list with codes; ``china_location_change.txt``, the renamings and
mergers approved since 2000; ``tra2sim_char.txt``; ``landline_phone_area_code.txt``). The
files are located without importing jionlp (its import loads a segmenter and prints a
banner) and parsed once per process. Why jionlp and not cpca & co.: ``docs/guide.md``.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Optional

from .errors import GazetteerUnavailable

Level = str  # "province", "city", "county"


@dataclass(frozen=True)
class Region:
    """One division: its code, canonical (current) name, level and the codes of its
    parents. ``former`` is set when the entry is a former name that resolves to a current
    division (``name`` is then the current name)."""

    code: str
    name: str
    level: Level
    province: str
    city: Optional[str] = None
    county: Optional[str] = None
    former: Optional[str] = None

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(x for x in (self.province, self.city, self.county) if x)

    def full_name(self) -> str:
        """Province, prefecture and county joined, a repeated name said once (北京市北京市
        东城区 is 北京市东城区)."""
        out: list[str] = []
        for part in self.path:
            if not out or out[-1] != part:
                out.append(part)
        return "".join(out)

    def within(self, other: "Region") -> bool:
        """True if this division is ``other`` or lies inside it."""
        return self.path[: len(other.path)] == other.path


@dataclass
class Gazetteer:
    by_name: dict[str, list[Region]] = field(default_factory=dict)
    by_code: dict[str, Region] = field(default_factory=dict)
    children: dict[str, list[Region]] = field(default_factory=dict)  # city code -> counties
    area_codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # 0714 -> (湖北, 黄石)
    tra2sim: dict[str, str] = field(default_factory=dict)
    max_len: int = 0

    def add(self, name: str, region: Region) -> None:
        lst = self.by_name.setdefault(name, [])
        if region not in lst:
            lst.append(region)
        self.max_len = max(self.max_len, len(name))

    def simplified(self, text: str) -> str:
        """``text`` in Simplified characters, character for character (offsets hold)."""
        t = self.tra2sim
        return "".join(t.get(c, c) for c in text)

    def find(self, text: str) -> list[tuple[int, int, list[Region]]]:
        """Division names in ``text``, longest match first, left to right, as
        (start, end, candidate regions)."""
        out = []
        i, n = 0, len(text)
        while i < n:
            for k in range(min(self.max_len, n - i), 1, -1):
                regs = self.by_name.get(text[i:i + k])
                if regs:
                    out.append((i, i + k, regs))
                    i += k
                    break
            else:
                i += 1
        return out

    def city_by_alias(self, province_alias: str, city_alias: str) -> Optional[Region]:
        for name in (city_alias + "市", city_alias + "地区", city_alias):
            for r in self.by_name.get(name, []):
                if r.level == "city" and r.province.startswith(province_alias) and not r.former:
                    return r
        for r in self.by_name.get(province_alias + "市", []):  # 北京/北京
            if r.level == "province":
                return self.by_code.get(r.code) or r
        return None


def _data_dir() -> Path:
    spec = find_spec("jionlp")
    if spec is None or not spec.submodule_search_locations:
        raise GazetteerUnavailable("the issuer stage needs the jionlp package "
                                   "(pip install jionlp): its dictionaries hold the region data")
    return Path(list(spec.submodule_search_locations)[0]) / "dictionary"


def _read_locations(g: Gazetteer, raw: str) -> None:
    prov = city = None
    for line in raw.split("\n"):
        depth = len(line) - len(line.lstrip("\t"))
        parts = line.strip().split("\t")
        if depth > 2 or len(parts) < 2:
            continue
        name, code = parts[0], parts[1]
        if depth == 0:
            prov = Region(code, name, "province", name)
            g.by_code[code] = prov
            g.add(name, prov)
        elif depth == 1 and prov is not None:
            city = Region(code, name, "city", prov.name, name)
            if name != prov.name:  # a municipality repeats itself as its own city
                g.by_code.setdefault(code, city)
                g.add(name, city)
        elif depth == 2 and prov is not None and city is not None:
            if name.endswith("直辖行政区划") or name.endswith("直辖县级行政区划"):
                continue
            pseudo = "直辖" in city.name  # 省直辖行政区划: county-level cities of a province
            r = Region(code, name, "county", prov.name, None if pseudo else city.name, name)
            g.by_code[code] = r
            g.children.setdefault(city.code, []).append(r)
            g.add(name, r)


def _read_changes(g: Gazetteer, raw: str) -> None:
    """Former names (``old => new`` lines): the old county or prefecture name resolves to
    the new division, kept only where the new one exists in the current list."""
    for line in raw.split("\n"):
        if "=>" not in line:
            continue
        old, new = (s.split("\t") for s in line.strip().split("=>"))
        old_names, new_names = old[2:], new
        if len(old_names) >= 6 and len(new_names) == 3:  # county level
            level, old_name = "county", old_names[4]
            cands = [r for r in g.by_name.get(new_names[2], []) if r.level == "county"
                     and r.city == new_names[1]]
        elif len(old_names) >= 4 and len(new_names) == 2:  # prefecture level
            level, old_name = "city", old_names[2]
            cands = [r for r in g.by_name.get(new_names[1], []) if r.level == "city"]
        else:
            continue
        for r in cands:
            if old_name != r.name:
                g.add(old_name, Region(r.code, r.name, level, r.province, r.city, r.county,
                                       former=old_name))


def _read_area_codes(g: Gazetteer, raw: str) -> None:
    for line in raw.split("\n"):
        parts = line.split()
        if len(parts) == 2 and "/" in parts[1]:
            p, c = parts[1].split("/", 1)
            g.area_codes[parts[0]] = (p, c)


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The gazetteer, built once per process."""
    d = _data_dir()
    g = Gazetteer()
    with zipfile.ZipFile(d / "china_location.zip") as zf:
        raw = io.TextIOWrapper(zf.open("china_location.txt"), encoding="utf-8").read()
    _read_locations(g, raw)
    _read_changes(g, (d / "china_location_change.txt").read_text(encoding="utf-8"))
    _read_area_codes(g, (d / "landline_phone_area_code.txt").read_text(encoding="utf-8"))
    for line in (d / "tra2sim_char.txt").read_text(encoding="utf-8").split("\n"):
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) == 1 and len(parts[1]) == 1:
            g.tra2sim[parts[0]] = parts[1]
    return g


def former_county(g: Gazetteer, city: Optional[Region], name: str) -> Optional[Region]:
    """A county-level name that is no longer in the list: the current county, district or
    city of the same stem under the known prefecture ``city`` (郫县 → 郫都区, 大冶县 → 大冶市,
    即墨市 → 即墨区), or, without one, the only county in the country whose name starts
    with the stem of a former 县. None if no single division matches."""
    stem = name[:-1] if name[-1] in "县市区旗" else name
    if not stem or (city is None and (name[-1] != "县" or len(stem) < 1)):
        return None
    pool = g.children.get(city.code, []) if city is not None else \
        [r for r in g.by_code.values() if r.level == "county"]
    hits = [r for r in pool if r.name.startswith(stem) and r.name != name
            and r.name[-1] in "区市"]
    if len(hits) != 1:
        return None
    r = hits[0]
    return Region(r.code, r.name, "county", r.province, r.city, r.county, former=name)
