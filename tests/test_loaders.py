"""Property-based tests (Hypothesis) of the loaders, the table grid and the archive walker
against hostile inputs: random spans, encodings with damaged bytes, archive members with
odd names and damaged data. Each property runs all its examples in one forked child with an
address-space ceiling and a time limit (``tests/bounds.py``), so a regression that blows up
memory or time fails the test instead of taking CI down. Examples are derandomised (the same
ones on every run) and few enough to take seconds."""
from __future__ import annotations

import io
import tarfile
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inference.data import Cell, Table
from inference.errors import InputTooLarge, LoadError
from inference.load import load_bytes
from inference.loaders.base import MAX_TABLE_CELLS

from .bounds import run_bounded

FAST = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))

# words of real reports, for cell and member texts
WORDS = ["主动公开政府信息", "10143", "条", "行政复议", "本年新收政府信息公开申请数量", "件",
         "336207", "一、总体情况", "（一）", "合计", "其中", "%"]
SPAN = st.one_of(st.integers(1, 4), st.integers(5, 10 ** 9).map(str), st.sampled_from(
    ["", "abc", "-3", "2.5", "0", " 7 ", "1e9", "９"]))
CELL = st.tuples(st.lists(st.sampled_from(WORDS), max_size=3).map("".join), SPAN, SPAN)
ROWS = st.lists(st.lists(CELL, min_size=1, max_size=8), min_size=1, max_size=8)


def check_doc(doc) -> None:
    """What every loaded document must satisfy: tables within the cap, cells pointing into
    the text, grids buildable."""
    for t in doc.tables:
        assert t.n_rows * t.n_cols <= MAX_TABLE_CELLS
        assert len(t.grid()) == t.n_rows
        for c in t.cells:
            if c.start is not None:
                assert doc.text[c.start:c.end] == c.text


def _html(rows) -> bytes:
    body = "".join("<tr>" + "".join(f'<td rowspan="{r}" colspan="{c}">{t}</td>'
                                    for t, r, c in row) + "</tr>" for row in rows)
    return f"<html><body><p>一、总体情况</p><table>{body}</table></body></html>".encode()


@FAST
@given(ROWS)
def html_tables(rows) -> None:
    check_doc(load_bytes(_html(rows), "r.html"))


def test_html_table_spans():
    out, mb, secs = run_bounded(html_tables, seconds=60)
    assert out[0] == "ok", out


def _docx(rows) -> bytes:
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    d = docx.Document()
    d.add_paragraph("一、总体情况")
    width = max(len(r) for r in rows)
    t = d.add_table(rows=len(rows), cols=width)
    for tr, row in zip(t.rows, rows):
        for tc, (text, _, span) in zip(tr._tr.tc_lst, row):
            tc.append(OxmlElement("w:p"))
            r = OxmlElement("w:r")
            w = OxmlElement("w:t")
            w.text = text
            r.append(w)
            tc.p_lst[-1].append(r)
            gs = OxmlElement("w:gridSpan")
            gs.set(qn("w:val"), str(span))
            tc.get_or_add_tcPr().append(gs)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@FAST
@given(ROWS)
def docx_tables(rows) -> None:
    try:
        doc = load_bytes(_docx(rows), "r.docx")
    except LoadError as exc:  # a gridSpan that is not an integer: a load error, said so
        assert "gridSpan" in str(exc)
        return
    check_doc(doc)


def test_docx_grid_spans():
    out, mb, secs = run_bounded(docx_tables, seconds=90)
    assert out[0] == "ok", out


@FAST
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30), st.sampled_from(WORDS),
                          st.integers(1, 10 ** 6), st.integers(1, 10 ** 6)), max_size=12))
def table_grids(cells) -> None:
    t = Table("t1", 0, 1, [Cell(r, c, x, rowspan=rs, colspan=cs) for r, c, x, rs, cs in cells])
    try:
        g = t.grid()
    except InputTooLarge:
        assert t.n_rows * t.n_cols > Table.MAX_GRID_CELLS
        return
    assert len(g) == t.n_rows and all(len(row) == t.n_cols for row in g)


def test_table_grid():
    out, mb, secs = run_bounded(table_grids, seconds=60)
    assert out[0] == "ok", out


TEXT = st.lists(st.sampled_from(WORDS + ["\n", "。", "，", "2023年", "\r\n"]), min_size=1,
                max_size=80).map("".join)
DAMAGE = st.lists(st.tuples(st.integers(0, 10 ** 6), st.binary(min_size=1, max_size=3)),
                  max_size=3)


def _damage(data: bytes, damage) -> bytes:
    out = bytearray(data)
    for at, junk in damage:
        i = at % (len(out) + 1)
        out[i:i + len(junk)] = junk
    return bytes(out)


@FAST
@given(TEXT, st.sampled_from(["utf-8", "gb18030", "utf-16", "utf-8-sig", "big5"]), DAMAGE)
def encodings(text, enc, damage) -> None:
    data = _damage(text.encode(enc, errors="replace"), damage)
    try:
        doc = load_bytes(data, "r.txt")
    except LoadError:
        return
    if not damage and enc in ("utf-8", "gb18030") and text.strip():
        assert doc.text == text.replace("\r\n", "\n")
    for w in doc.warnings:
        assert w.code == "decode_replaced" and doc.text[w.start:w.end] == "\ufffd"


def test_encodings_and_damaged_bytes():
    out, mb, secs = run_bounded(encodings, seconds=60)
    assert out[0] == "ok", out


NAME = st.one_of(
    st.lists(st.sampled_from(["r", "报告", "..", ".", "sub", "__MACOSX", ".hidden", "a b"]),
             min_size=1, max_size=4).map("/".join),
    st.sampled_from(["/etc/passwd.txt", "bad\udcff\udcfe.txt", "../../x.txt", "C:\\x.txt"]))
MEMBERS = st.lists(st.tuples(NAME, st.sampled_from([".txt", ".html", ".xyz", ""]), TEXT),
                   min_size=1, max_size=6)


def _archive(kind: str, members) -> bytes:
    buf = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, ext, text in members:
                zf.writestr(name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                            + ext, text.encode())
    else:
        with tarfile.open(fileobj=buf, mode=f"w:{kind}", encoding="utf-8",
                          errors="surrogateescape") as tf:
            for name, ext, text in members:
                data = text.encode()
                info = tarfile.TarInfo(name + ext)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@FAST
@given(st.sampled_from(["zip", "gz", "xz", ""]), MEMBERS, DAMAGE)
def archives(kind, members, damage) -> None:
    import tempfile
    from pathlib import Path

    from inference.batch import Summary, iter_items

    suffix = {"zip": ".zip", "gz": ".tar.gz", "xz": ".tar.xz", "": ".tar"}[kind]
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"a{suffix}"
        p.write_bytes(_damage(_archive(kind, members), damage))
        summary = Summary()
        items = list(iter_items([p], summary=summary))
    assert len(items) <= len(members) + 1
    for it in items:
        assert (it.data is None) != (it.error is None)
        it.source.encode("utf-8")  # every name can be written to the output
        if it.error is None:
            assert ".." not in it.source.split("!", 1)[1].split("/")


def test_archive_members():
    out, mb, secs = run_bounded(archives, seconds=60)
    assert out[0] == "ok", out
