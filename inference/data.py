"""The one data model of govie: documents, spans, sections, blocks, tables, facts.

Every offset is a character offset into ``Document.text`` (the original input text as
decoded by the loader), end exclusive, so ``doc.text[x.start:x.end] == x.text`` holds for
every span, cell and piece of evidence that carries text.

All classes are plain dataclasses; ``to_dict`` gives the JSON form used by the output
schema (``configs/schema/report.schema.json``).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

BlockKind = Literal["heading", "narrative", "table", "chrome"]
Period = Literal["annual", "cumulative"]


def to_dict(obj: Any) -> Any:
    """JSON-ready form of any model object (dataclasses, lists, dicts, scalars)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_dict(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): to_dict(v) for k, v in obj.items()}
    return obj


@dataclass(frozen=True)
class Span:
    """A labelled stretch of the document text (GLiNER-style)."""

    start: int
    end: int
    text: str
    label: str
    score: float = 1.0
    source: str = "rule"  # "model", "rule", "gold", "header"
    id: Optional[str] = None


@dataclass(frozen=True)
class Relation:
    """value span -> metric span (label ``measures``)."""

    from_id: str
    to_id: str
    label: str = "measures"


@dataclass(frozen=True)
class Section:
    """A heading and the text it governs: ``start``..``end`` covers heading and body."""

    id: str
    level: int
    marker: str  # "一、", "(一)", "1.", "（1）" ...
    title: str
    start: int
    end: int
    heading_end: int
    parent: Optional[str] = None


@dataclass(frozen=True)
class Block:
    """A run of lines of one kind inside a section."""

    kind: BlockKind
    start: int
    end: int
    section: Optional[str] = None
    table: Optional[str] = None  # id of the Table parsed from a table block


@dataclass(frozen=True)
class Cell:
    """One grid cell. ``start``/``end`` locate its text in ``Document.text`` (None if the
    cell is empty or was synthesised); PDF cells also keep page and box."""

    row: int
    col: int
    text: str
    start: Optional[int] = None
    end: Optional[int] = None
    rowspan: int = 1
    colspan: int = 1
    page: Optional[int] = None
    bbox: Optional[tuple[float, float, float, float]] = None


@dataclass
class Table:
    id: str
    start: int
    end: int
    cells: list[Cell]
    origin: str = "text"  # "text" (flattened), "html", "pdf", "docx"
    template: Optional[str] = None  # id of the template it matched
    caption: Optional[str] = None

    @property
    def n_rows(self) -> int:
        return 1 + max((c.row + c.rowspan - 1 for c in self.cells), default=-1)

    @property
    def n_cols(self) -> int:
        return 1 + max((c.col + c.colspan - 1 for c in self.cells), default=-1)

    MAX_GRID_CELLS = 1_000_000

    def grid(self) -> list[list[str]]:
        """Rows of cell texts with spans expanded (a merged cell repeats its text).
        ``InputTooLarge`` if the grid would exceed ``MAX_GRID_CELLS`` (loaders already keep
        tables far below it; a Table built by hand may not be)."""
        if self.n_rows * self.n_cols > self.MAX_GRID_CELLS:
            from .errors import InputTooLarge

            raise InputTooLarge(f"table {self.id}: {self.n_rows} x {self.n_cols} grid cells "
                                f"> limit {self.MAX_GRID_CELLS}")
        g = [["" for _ in range(self.n_cols)] for _ in range(self.n_rows)]
        for c in self.cells:
            for r in range(c.row, c.row + c.rowspan):
                for k in range(c.col, c.col + c.colspan):
                    g[r][k] = c.text
        return g


@dataclass(frozen=True)
class Evidence:
    """Where a figure came from: a text span, or a table cell (with its text offsets, and
    page and box for PDF)."""

    kind: Literal["span", "cell", "header", "source"]  # source: the file or page name
    text: str
    start: Optional[int] = None
    end: Optional[int] = None
    table: Optional[str] = None
    row: Optional[int] = None
    col: Optional[int] = None
    page: Optional[int] = None
    bbox: Optional[tuple[float, float, float, float]] = None
    source: Optional[str] = None  # the document's source path or name


@dataclass
class Fact:
    """One figure of the report, normalised, with its evidence."""

    key: Optional[str]  # metric taxonomy key (configs/taxonomy.yaml); None if unmapped
    metric: str  # the metric as written (row label, or METRIC span text)
    value: Optional[float]
    unit: Optional[str] = None  # normalised unit: "件", "条", "yuan", "%" ...
    raw: Optional[str] = None  # the value as written
    approx: bool = False
    bound: Optional[str] = None  # "lower" (余 多 逾 超), "upper" (近), None
    period: Period = "annual"
    scope: Optional[str] = None  # 全市, 市本级, ...
    applicant: Optional[str] = None  # applicant column of the request table
    origin: Literal["table", "narrative"] = "table"
    table: Optional[str] = None
    template: Optional[str] = None
    evidence: Optional[Evidence] = None
    metric_evidence: Optional[Evidence] = None
    parent: Optional[str] = None  # key or metric of the "其中" parent
    agreement: Optional[str] = None  # "agree" / "conflict" when table and narrative overlap
    key_score: Optional[float] = None  # confidence of a narrative key (1.0 synonym; None: no key)
    zero: bool = False  # a zero stated in words (未收到…申请), evidence = the statement
    # True for a table figure split out of a run of digits whose separators were lost
    # (``行政规范性文件693665``), taken because it is the only split the template's checks
    # allow (inference/tables/recover.py); its evidence is the digits it was read from
    recovered: bool = False


@dataclass(frozen=True)
class Check:
    """An arithmetic check (勾稽关系) with the numbers it used."""

    name: str
    ok: bool
    expected: Optional[float]
    actual: Optional[float]
    detail: str = ""
    table: Optional[str] = None
    # (row, col) grid cells of ``table`` that the check added up, left side first (the view
    # marks them when the check fails); empty in records written before this field
    cells: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class ReportWarning:
    """Something doubtful about a report (``code`` from a fixed vocabulary, a message, and
    where in the text when it has a place); the record's ``warnings``."""

    code: str
    message: str
    start: Optional[int] = None
    end: Optional[int] = None


@dataclass(frozen=True)
class IssuerRegion:
    """The division an issuer belongs to: six-digit code and names (current names)."""

    code: str
    province: str
    city: Optional[str] = None
    county: Optional[str] = None
    township: Optional[str] = None  # a township's name (its code is its county's)


@dataclass
class Issuer:
    """The canonical issuer of a report (stage ``inference/issuer.py``): full canonical
    name, region, level (province, city, county, township, department), the department
    where the issuer is one, the confidence and the evidence of each part (``region``,
    ``organ``, ``department``, ``level`` ...)."""

    name: Optional[str] = None  # 湖北省黄石市人民政府办公室
    region: Optional[IssuerRegion] = None
    level: Optional[str] = None
    organ: Optional[str] = None  # 人民政府, 人民政府办公室, 交通运输局 ...
    department: Optional[str] = None  # set when the issuer is a department
    former_name: Optional[str] = None  # a former division name the report used (郫县)
    confidence: float = 0.0
    evidence: dict[str, Evidence] = field(default_factory=dict)


@dataclass
class Metadata:
    title: Optional[str] = None
    year: Optional[int] = None
    body: Optional[str] = None  # issuing body
    period_start: Optional[str] = None  # ISO date
    period_end: Optional[str] = None
    publish_date: Optional[str] = None
    index_no: Optional[str] = None
    doc_no: Optional[str] = None
    category: Optional[str] = None
    format: Optional[str] = None  # "2021", "2019", "2008"
    contacts: dict[str, str] = field(default_factory=dict)
    issuer: Optional[Issuer] = None  # the canonical issuer (None: see the warnings)
    # field name -> evidence of the value
    evidence: dict[str, Evidence] = field(default_factory=dict)


@dataclass
class AnnotatedText:
    """A text with gold (or predicted) spans and relations: the unit of annotation sets,
    training and evaluation."""

    doc_id: str
    text: str
    spans: list[Span] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    source: Optional[str] = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OcrLine:
    """A line of ``Document.text`` read by OCR from a page image (scanned PDFs): its
    offsets, page and confidence (the lowest of its text boxes, 0..1)."""

    start: int
    end: int
    page: int
    confidence: float


@dataclass
class Document:
    source: str
    text: str
    sha256: str
    format: str  # input format: "txt", "html", "pdf", "docx"
    encoding: Optional[str] = None
    metadata: Metadata = field(default_factory=Metadata)
    chrome: list[tuple[int, int]] = field(default_factory=list)  # page chrome, left out
    sections: list[Section] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    entities: list[Span] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    warnings: list[ReportWarning] = field(default_factory=list)
    model: Optional[str] = None  # version of the NER model that tagged it (None: rules only)
    ocr: list[OcrLine] = field(default_factory=list)  # lines read by OCR (scanned pages)
    # web-page noise inside the text (pinyin glosses, HTML residue, junk, mirror strings):
    # (start, end, kind) ranges left out of the analysis, like chrome (inference/noise.py)
    noise: list[tuple[int, int, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)
