"""The evidence view (inference/view.py) and its files (inference/view_files.py, `govie
view`): highlights at the entities' offsets, tables with failed checks on their cells,
escaping, the requests chart, records without tables or text."""
from __future__ import annotations

import json
import zipfile

import lxml.html
import pytest

from inference import Extractor
from inference.cli import main
from inference.rules import default_rules
from inference.view import Mark, nest, render, requests_chart
from inference.view_files import ViewError, select, source_text, write_views


@pytest.fixture(scope="module")
def ex():
    return Extractor.load(rules_only=True)


def broken_seed000(text: str) -> str:
    """漳州 2018 with two one-digit changes: the table's 受理申请总数 533 -> 534 (its
    request_channels check fails, and it conflicts with the narrative's 收到依申请公开533条)
    and the narrative's 30659 -> 30658 (a conflict with the table's 30659)."""
    table_row = "受理政府信息公开申请总数 | 条 | 533 |"
    assert text.count(table_row) == 1 and text.count("全市共主动公开政府信息30659条") == 1
    text = text.replace(table_row, table_row.replace("533", "534"))
    return text.replace("全市共主动公开政府信息30659条", "全市共主动公开政府信息30658条")


@pytest.fixture(scope="module")
def haicang(ex, seed_texts):
    text = seed_texts["seed-002"]
    return ex.extract_text(text, "seed-002.txt").to_dict(), text


@pytest.fixture(scope="module")
def broken(ex, seed_texts):
    text = broken_seed000(seed_texts["seed-000"])
    return ex.extract_text(text, "seed-000-broken.txt").to_dict(), text


def cls(node, tag: str, name: str) -> list:
    """The ``tag`` elements under ``node`` with class ``name``."""
    return node.xpath(f'.//{tag}[contains(concat(" ", normalize-space(@class), " "), " {name} ")]')


def page(rec, text):
    return lxml.html.fromstring(render(rec, text))


@pytest.mark.parametrize("seed", ["seed-000", "seed-001", "seed-002", "seed-003", "seed-004"])
def test_highlights_are_the_entities_at_their_offsets(ex, seed_texts, seed):
    text = seed_texts[seed]
    rec = ex.extract_text(text, f"{seed}.txt").to_dict()
    doc = page(rec, text)
    marks = {(int(m.get("data-start")), int(m.get("data-end")), m.get("data-label")): m
             for m in cls(doc, "mark", "ent")}
    assert set(marks) == {(e["start"], e["end"], e["label"]) for e in rec["entities"]}
    for (s, e, _), m in marks.items():
        assert m.text_content() == text[s:e]
    # the text is all there, once, outside the tables (which are shown as grids)
    flow = "".join(d.text_content() for d in cls(doc, "div", "flow"))
    outside = [(t["start"], t["end"]) for t in rec["tables"]]
    assert len(flow) == len(text) - sum(e - s for s, e in outside)


def test_narrative_fact_links_value_and_metric(haicang):
    rec, text = haicang
    i, fact = next((i, f) for i, f in enumerate(rec["facts"])
                   if f["key"] == "proactive.total" and f["origin"] == "narrative")
    doc = page(rec, text)
    linked = doc.xpath(f'//*[contains(concat(" ", @data-facts, " "), " f{i} ")]')
    spans = {(int(x.get("data-start")), int(x.get("data-end"))) for x in linked}
    ev, mev = fact["evidence"], fact["metric_evidence"]
    assert spans == {(ev["start"], ev["end"]), (mev["start"], mev["end"])}
    assert {x.text_content() for x in linked} == {"10143条", "主动公开政府信息"}
    assert all(x.get("tabindex") == "0" and x.get("role") == "button" for x in linked)
    assert "proactive.total = 10,143 条" in linked[0].get("title")
    data = {f["id"]: f for f in json.loads(doc.get_element_by_id("govie-facts").text)}
    assert data[f"f{i}"]["value_text"] == "10,143" and data[f"f{i}"]["period"] == "annual"


def test_table_cells_link_their_facts(haicang):
    rec, text = haicang
    doc = page(rec, text)
    i, fact = next((i, f) for i, f in enumerate(rec["facts"])
                   if f["key"] == "requests.new" and f["applicant"] == "total")
    ev = fact["evidence"]
    td = doc.xpath(f'//figure[@id="table-{ev["table"]}"]//td[@data-row="{ev["row"]}"][@data-col="{ev["col"]}"]')[0]
    assert td.text_content() == "107" == text[int(td.get("data-start")):int(td.get("data-end"))]
    assert f"f{i}" in cls(td, "span", "cell-fact")[0].get("data-facts").split()
    assert len(cls(doc, "table", "grid")) == len(rec["tables"]) == 6


def test_failed_check_is_marked_on_its_cells(broken):
    rec, text = broken
    failed = [c for c in rec["checks"] if not c["ok"]]
    assert [c["name"] for c in failed] == ["2008-statistics:request_channels[annual]"]
    doc = page(rec, text)
    marked = cls(doc, "td", "check-failed")
    assert {(int(td.get("data-row")), int(td.get("data-col"))) for td in marked} == \
        {tuple(x) for x in failed[0]["cells"]}
    assert {td.text_content().rstrip("✗") for td in marked} == {"534", "272", "148", "113"}
    assert "expected 534, actual 533" in marked[0].get("title")
    assert "expected 534, actual 533" in cls(doc, "ul", "table-checks")[0].xpath("li")[0].text_content()


def test_conflicts_come_first_in_the_facts_panel(broken):
    rec, text = broken
    rows = cls(page(rec, text), "table", "facts")[0].xpath("tbody/tr")
    conflicts = [f for f in rec["facts"] if f["agreement"] == "conflict"]
    assert conflicts and {f["value"] for f in conflicts} == {30658, 30659, 533, 534}
    assert [r.get("data-agreement") for r in rows[:len(conflicts)]] == ["conflict"] * len(conflicts)
    assert len(rows) == len(rec["facts"])


def test_everything_is_escaped(ex):
    text = '全市共主动公开政府信息30659条,全文电子化率100%。<script>alert("x")</script></script><b>&amp;'
    rec = ex.extract_text(text, '<img src=x onerror="alert(1)">.txt').to_dict()
    rec["facts"][0]["metric"] = "</script><script>alert(2)</script>"
    html = render(rec, text)
    assert rec["entities"] and "<script>alert" not in html and "<img src=x" not in html
    doc = lxml.html.fromstring(html)
    assert cls(doc, "div", "flow")[0].text_content() == text
    assert json.loads(doc.get_element_by_id("govie-facts").text)[0]["metric"] == rec["facts"][0]["metric"]
    assert len(doc.xpath("//script")) == 2  # the facts' JSON and the page's script


def test_a_record_without_tables(ex, seed_texts):
    text = seed_texts["seed-001"]
    rec = ex.extract_text(text, "seed-001.txt").to_dict()
    assert rec["tables"] == [] and rec["checks"] == []
    doc = page(rec, text)
    assert cls(doc, "table", "grid") == [] and cls(doc, "div", "flow")
    assert "No arithmetic checks" in doc.get_element_by_id("checks").text_content()
    assert len(cls(doc, "table", "facts")[0].xpath("tbody/tr")) == len(rec["facts"])


def test_without_the_text_tables_and_facts_remain(haicang):
    rec, _ = haicang
    doc = page(rec, None)
    assert cls(doc, "div", "flow") == [] and doc.xpath("//mark") == []
    assert len(cls(doc, "table", "grid")) == 6
    assert "not available" in doc.get_element_by_id("report-text").text_content()


def test_the_wrong_text_is_said(haicang):
    rec, text = haicang
    doc = page(rec, "X" + text)
    assert cls(doc, "mark", "ent") == []
    assert f"{len(rec['entities'])} entities do not match" in doc.text_content()


def test_an_error_record_has_no_view():
    with pytest.raises(ValueError, match="error record"):
        render({"source": "a.pdf", "sha256": None, "error": {"kind": "load", "message": "empty"}})


@pytest.mark.parametrize("marks,kept,dropped", [
    ([Mark(0, 4, "chrome"), Mark(1, 3, "entity")], [(0, 4), (1, 3)], 0),
    ([Mark(0, 2, "entity"), Mark(1, 3, "entity")], [(0, 2)], 1),  # crossing: dropped
    ([Mark(2, 9, "chrome"), Mark(3, 4, "entity")], [(2, 6), (3, 4)], 0),  # chrome clipped
    ([Mark(5, 7, "entity")], [], 1),  # crosses the piece's end
])
def test_nest(marks, kept, dropped):
    text = "主动公开政府信息"
    nodes, n = nest(text, marks, 0, 6)

    def walk(ns):
        for x in ns:
            if x["t"] != "text":
                yield (x["start"], x["end"])
                yield from walk(x["children"])

    def flat(ns):
        return "".join(x["s"] if x["t"] == "text" else flat(x["children"]) for x in ns)

    assert list(walk(nodes)) == kept and n == dropped and flat(nodes) == text[:6]


@pytest.mark.parametrize("seed,rows", [
    ("seed-002", {"收到申请": "107", "予以公开": "45", "部分公开": "17", "不予公开": "4",
                  "无法提供": "37", "不予处理": "0", "其他处理": "0", "结转下年度": "4"}),
    ("seed-000", {"收到申请": "533", "予以公开": "302", "部分公开": "20", "不予公开": "23",
                  "其他类型答复": "186"}),
])
def test_requests_chart(ex, seed_texts, seed, rows):
    chart = requests_chart(ex.extract_text(seed_texts[seed], seed).to_dict(), default_rules())
    assert {r["label"]: r["value_text"] for r in chart["rows"]} == rows
    first = chart["rows"][0]
    assert first["received"] and max(s["x"] + s["w"] for s in first["segments"]) <= chart["width"]


def test_no_chart_without_request_figures(ex):
    rec = ex.extract_text("全市共主动公开政府信息30659条。", "a.txt").to_dict()
    assert requests_chart(rec, default_rules()) is None
    assert lxml.html.fromstring(render(rec, "全市共主动公开政府信息30659条。")).xpath("//*[local-name()='svg']") == []


# ---- files: govie view ------------------------------------------------------------------

@pytest.mark.parametrize("name,found", [
    ("samples/reports/seed-002.txt", ["samples/reports/seed-002.txt"]),
    ("seed-002.txt", ["samples/reports/seed-002.txt"]),
    ("reports/seed-002.txt", ["samples/reports/seed-002.txt"]),
    ("r.zip!in/seed-003.txt", ["r.zip!in/seed-003.txt"]),
    ("seed-003.txt", ["r.zip!in/seed-003.txt"]),
    ("seed-00", []),
])
def test_select(name, found):
    recs = [{"source": s} for s in ("samples/reports/seed-002.txt", "r.zip!in/seed-003.txt")]
    assert [r["source"] for r in select(recs, name)] == found


def test_source_text_of_files_and_archive_members(ex, tmp_path, seed_texts):
    data = seed_texts["seed-003"].encode("utf-8")
    (tmp_path / "a.txt").write_bytes(data)
    with zipfile.ZipFile(tmp_path / "r.zip", "w") as zf:
        zf.writestr("in/seed-003.txt", data)
    rec = ex.extract(data, "a.txt").to_dict()
    assert source_text(rec, tmp_path) == (seed_texts["seed-003"], "")
    assert source_text({**rec, "source": "r.zip!in/seed-003.txt"}, tmp_path)[0] == seed_texts["seed-003"]
    assert "not found" in source_text(rec, tmp_path / "elsewhere")[1]
    (tmp_path / "a.txt").write_bytes(data + b"\n")
    assert "changed since extraction" in source_text(rec, tmp_path)[1]


@pytest.fixture(scope="module")
def records(ex, tmp_path_factory, samples_dir):
    path = tmp_path_factory.mktemp("records") / "records.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for p in sorted(samples_dir.glob("seed-00[012].txt")):
            fh.write(json.dumps(ex.extract_file(p).to_dict(), ensure_ascii=False) + "\n")
        fh.write(json.dumps({"schema_version": "1.1", "source": "gone.pdf", "sha256": None,
                             "error": {"kind": "load", "message": "gone.pdf: empty file"}}) + "\n")
    return path


def test_govie_view_one_report(records, tmp_path, capsys):
    out = tmp_path / "one.html"
    assert main(["view", str(records), "--source", "seed-002.txt", "-o", str(out)]) == 0
    doc = lxml.html.fromstring(out.read_text(encoding="utf-8"))
    assert cls(doc, "mark", "ent") and len(cls(doc, "table", "grid")) == 6


def test_govie_view_a_folder(records, tmp_path, capsys):
    out = tmp_path / "pages"
    assert main(["view", str(records), "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "seed-000.html",
                                                      "seed-001.html", "seed-002.html"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="seed-001.html"' in index and "gone.pdf: empty file" in index
    assert "error record, no page" in capsys.readouterr().err


@pytest.mark.parametrize("args,message", [
    (["-o", "x.html"], "-o {out}x.html takes one page"),
    (["--source", "nope.txt", "-o", "x.html"], "no report 'nope.txt'"),
    (["--source", "gone.pdf", "-o", "x.html"], "not extracted"),
])
def test_govie_view_usage_errors(records, tmp_path, capsys, args, message):
    args = [str(tmp_path / a) if a == "x.html" else a for a in args]
    assert main(["view", str(records)] + args) == 2
    assert message.format(out=f"{tmp_path}/") in capsys.readouterr().err
    with pytest.raises(ViewError, match="no records file"):
        write_views(tmp_path / "missing.jsonl", tmp_path / "y.html")


def test_pdf_table_facts_show_page_and_box(ex):
    from tests import tables_builders as tb

    report = ex.extract(tb.as_pdf(), "r.pdf")
    rec = report.to_dict()
    i, fact = next((i, f) for i, f in enumerate(rec["facts"])
                   if f["key"] == "requests.new" and f["applicant"] == "total")
    ev = fact["evidence"]
    doc = page(rec, report.text)
    td = doc.xpath(f'//figure[@id="table-{ev["table"]}"]//td[@data-row="{ev["row"]}"][@data-col="{ev["col"]}"]')[0]
    box = "box (" + ", ".join(f"{v:.1f}" for v in ev["bbox"]) + ")"
    assert f"page {ev['page']} · {box}" in td.get("title")
    where = {f["id"]: f["where"] for f in json.loads(doc.get_element_by_id("govie-facts").text)}
    assert where[f"f{i}"].endswith(f"page {ev['page']} · {box}")
    assert all(c["cells"] for c in rec["checks"])  # loader-built tables name their cells too
