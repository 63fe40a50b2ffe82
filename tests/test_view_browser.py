"""The evidence view in a real headless Chromium (Debian's ``chromium``, driven by
Playwright; no `playwright install`): pages written by `govie view` from the sample
reports, a page with a failed check, and the service's upload page on a real uvicorn.

Screenshots are saved to ``tests/artifacts/`` (git-ignored; ``GOVIE_TEST_ARTIFACTS`` moves
them). ``GOVIE_CHROMIUM`` names another Chromium binary."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from inference import Extractor
from inference.cli import main
from inference.view import render

from .conftest import ROOT
from .test_view import broken_seed000

CHROMIUM = os.environ.get("GOVIE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("GOVIE_TEST_ARTIFACTS", ROOT / "tests" / "artifacts"))


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A laptop-sized page that records every request and every script error."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    pg = ctx.new_page()
    pg.requests, pg.errors = [], []
    pg.on("request", lambda r: pg.requests.append(r.url))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    yield pg
    ctx.close()
    assert pg.errors == []


def shot(pg, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    return path


@pytest.fixture(scope="module")
def views(tmp_path_factory, samples_dir):
    """`govie extract` (the default model) and `govie view` of two sample reports: the
    records and the folder of pages."""
    d = tmp_path_factory.mktemp("views")
    seeds = [str(samples_dir / f"{s}.txt") for s in ("seed-000", "seed-002")]
    assert main(["extract", *seeds, "-o", str(d / "records.jsonl"), "-q"]) == 0
    assert main(["view", str(d / "records.jsonl"), "-o", str(d / "pages")]) == 0
    records = {Path(r["source"]).stem: r for r in map(json.loads, (d / "records.jsonl").open())}
    return records, d / "pages"


def fact_index(rec, **want):
    return next(i for i, f in enumerate(rec["facts"]) if all(f[k] == v for k, v in want.items()))


def test_a_known_fact_is_highlighted_and_shown(page, views, seed_texts):
    records, pages = views
    rec, text = records["seed-002"], seed_texts["seed-002"]
    i = fact_index(rec, key="proactive.total", origin="narrative")
    ev = rec["facts"][i]["evidence"]
    page.goto((pages / "seed-002.html").as_uri())
    mark = page.locator(f'mark[data-start="{ev["start"]}"][data-end="{ev["end"]}"]')
    expect(mark).to_have_count(1)
    assert mark.inner_text() == text[ev["start"]:ev["end"]] == "10143条"
    assert f"f{i}" in mark.get_attribute("data-facts").split()
    mark.click()
    inspector = page.locator("#inspector")
    expect(inspector.locator(".field-key").first).to_have_text("proactive.total")
    expect(inspector.locator(".field-value_text").first).to_have_text("10,143")
    expect(inspector).to_contain_text("annual")
    expect(page.locator(".selected")).to_have_count(2)  # the value and its metric
    shot(page, "view-seed-002-fact")
    assert all(u.startswith(("file:", "data:")) for u in page.requests), page.requests


def test_keyboard_and_table_cells(page, views):
    records, pages = views
    rec = records["seed-002"]
    page.goto((pages / "seed-002.html").as_uri())
    i = fact_index(rec, key="requests.new", applicant="total")
    cell = page.locator(f'.cell-fact[data-facts="f{i}"]')
    cell.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#inspector .field-key").first).to_have_text("requests.new")
    expect(page.locator("#inspector .field-applicant").first).to_have_text("total")
    expect(page.locator("#inspector .field-where").first).to_contain_text(
        f"row {rec['facts'][i]['evidence']['row']}")


def test_facts_panel_sorts_and_goes_to_the_evidence(page, views):
    records, pages = views
    page.goto((pages / "seed-000.html").as_uri())
    page.locator('button[data-sort="value"]').click()
    expect(page.locator('th:has(button[data-sort="value"])')).to_have_attribute("aria-sort", "ascending")
    values = [float(v) for v in page.locator("table.facts tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.value)") if v]
    assert values == sorted(values) and len(values) > 100
    row = page.locator("table.facts tbody tr").last
    fid = row.get_attribute("id").removeprefix("row-")
    row.locator("button.goto").click()
    focused = page.evaluate("document.activeElement.dataset.facts || ''")
    assert fid in focused.split()
    expect(page.locator("#inspector .fact-fields")).to_have_attribute("data-fact", fid)


def test_chinese_text_renders_in_a_cjk_font(page, views):
    """No tofu: the DevTools protocol names the fonts Chromium drew the text with."""
    page.goto((views[1] / "seed-002.html").as_uri())
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": ".flow"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cjk = [f for f in fonts if "CJK" in f["familyName"]]
    assert cjk and sum(f["glyphCount"] for f in cjk) > 100, fonts


def test_a_failed_check_is_marked(page, tmp_path, seed_texts):
    text = broken_seed000(seed_texts["seed-000"])
    rec = Extractor.load(rules_only=True).extract_text(text, "seed-000-broken.txt").to_dict()
    (tmp_path / "broken.html").write_text(render(rec, text), encoding="utf-8")
    page.goto((tmp_path / "broken.html").as_uri())
    failed = page.locator("td.check-failed")
    expect(failed).to_have_count(4)
    assert failed.evaluate_all("tds => tds.map(t => t.dataset.row + ',' + t.dataset.col)") == \
        ["4,2", "5,2", "6,2", "7,2"]
    expect(page.locator(".table-checks li.failed")).to_contain_text("expected 534, actual 533")
    failed.first.locator(".cell-fact").click()
    expect(page.locator("#inspector .check")).to_contain_text("expected 534, actual 533")
    expect(page.locator("table.facts tbody tr").first).to_have_attribute("data-agreement", "conflict")
    failed.first.scroll_into_view_if_needed()
    shot(page, "view-failed-check")


# ---- the service page -------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    cmd = [sys.executable, "-m", "inference.cli", "serve", "--no-model", "--host", "127.0.0.1",
           "--port", str(port), "--max-mb", "0.05"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read().decode())
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def submit(page, status: int):
    with page.expect_response(lambda r: r.url.endswith("/view")) as resp:
        page.get_by_role("button", name="Extract and show").click()
    assert resp.value.status == status
    page.wait_for_load_state()


def test_service_page_uploads_a_file(page, server, samples_dir):
    page.goto(server + "/")
    expect(page.get_by_label("File (.txt")).to_be_visible()
    page.get_by_label("File (.txt").set_input_files(str(samples_dir / "seed-002.txt"))
    submit(page, 200)
    expect(page.locator("h1")).to_contain_text("seed-002.txt")
    expect(page.locator("table.grid")).to_have_count(6)
    value = page.locator("mark", has_text="10143条")
    value.click()
    expect(page.locator("#inspector .field-key").first).to_have_text("proactive.total")
    shot(page, "service-upload-view")
    assert all(u.startswith((server, "data:")) for u in page.requests), page.requests


def test_service_page_pasted_text_and_errors(page, server, tmp_path, seed_texts):
    page.goto(server + "/")
    page.get_by_label("Text of the report").fill("全市共主动公开政府信息30659条,全文电子化率100%。")
    submit(page, 200)
    expect(page.locator("mark.ent")).not_to_have_count(0)
    page.get_by_role("link", name="Extract another report").click()
    submit(page, 422)
    expect(page.get_by_role("alert")).to_contain_text("give a report file or paste")
    big = tmp_path / "big.txt"
    big.write_text(seed_texts["seed-000"] * 3, encoding="utf-8")
    page.get_by_label("File (.txt").set_input_files(str(big))
    submit(page, 413)
    expect(page.get_by_role("alert")).to_contain_text("413")
    shot(page, "service-error")
    # the browser logs each error status; nothing else may be logged
    assert [e for e in page.errors if "status of 4" not in e] == []
    page.errors.clear()
