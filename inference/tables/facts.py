"""Table facts: one Fact per mapped cell, with the cell as evidence.

Key: the row key and the column key of the template joined by "." (``normative_docs`` +
``in_force`` -> ``normative_docs.in_force``); in the request table the column is the
applicant (``Fact.applicant``) and the key is the row's. Value in the unit of the table,
unit as printed (see configs/taxonomy.yaml); period from the column (``cumulative`` for
历年累计, 现行有效件数, 对外公开总数量). A blank cell gives a fact with value None; a cell
missing from the table gives no fact (the matcher warned).
"""
from __future__ import annotations

from typing import Optional

from ..data import Evidence, Fact
from .grid import Token
from .templates import MappedCell, Match


def evidence(tok: Token, table: str, source: Optional[str]) -> Evidence:
    return Evidence(kind="cell", text=tok.text, start=tok.start, end=tok.end, table=table,
                    row=tok.row, col=tok.col, page=tok.page, bbox=tok.bbox, source=source)


def fact_key(c: MappedCell) -> Optional[str]:
    parts = [p for p in (c.row.key, c.col.key) if p]
    return ".".join(parts) if parts else None


def _parent(c: MappedCell, m: Match) -> Optional[str]:
    if c.parent_key:
        return c.parent_key
    if not c.row.parent:
        return None
    for other in m.cells:
        if other.row.id == c.row.parent and other.row.key:
            return other.row.key
    key = c.row.key or ""
    return key.rsplit(".", 1)[0] if "." in key else c.row.parent


def build_facts(m: Match, table: str, source: Optional[str]) -> list[Fact]:
    out: list[Fact] = []
    for c in m.cells:
        if c.token is None:
            continue
        out.append(Fact(
            key=fact_key(c), metric=c.metric, value=c.value.value, unit=c.col.unit,
            raw=c.token.text, period=c.col.period, applicant=c.col.applicant,  # type: ignore[arg-type]
            origin="table", table=table, template=m.template.id,
            evidence=evidence(c.token, table, source),
            metric_evidence=evidence(c.label, table, source) if c.label is not None else None,
            parent=_parent(c, m), recovered=c.recovered,
        ))
    return out
