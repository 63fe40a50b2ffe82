"""The HTTP service against a real uvicorn on 127.0.0.1 (subprocess), with httpx."""
from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from .conftest import ROOT



def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(max_mb: float, timeout: float):
    port = free_port()
    # the real command: govie serve
    cmd = [sys.executable, "-m", "inference.cli", "serve", "--no-model", "--host", "127.0.0.1",
           "--port", str(port), "--max-mb", str(max_mb), "--timeout", str(timeout)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError(proc.stdout.read().decode())
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


@pytest.fixture(scope="module")
def server():
    proc, url = start(max_mb=0.05, timeout=60)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def slow_server():
    proc, url = start(max_mb=1, timeout=0.000001)
    yield url
    proc.terminate()
    proc.wait(10)


TEXT = "全市共主动公开政府信息30659条,全文电子化率100%。历年累计主动公开政府信息336207条。"


def test_health_and_version(server):
    assert httpx.get(server + "/health").json() == {"status": "ok"}
    v = httpx.get(server + "/version").json()
    assert v["govie"] and v["runtime"] == "rules" and v["model"] is None
    assert "METRIC" in v["labels"] and "COUNT" in v["labels"]


def test_extract_json_text(server):
    r = httpx.post(server + "/extract", json={"text": TEXT, "source": "a.txt"})
    assert r.status_code == 200
    rec = r.json()
    assert rec["source"] == "a.txt"
    facts = {(f["key"], f["value"], f["period"]) for f in rec["facts"]}
    assert ("proactive.total", 30659, "annual") in facts
    assert ("proactive.total", 336207, "cumulative") in facts
    for f in rec["facts"]:
        e = f["evidence"]
        assert TEXT[e["start"]:e["end"]] == e["text"]


def test_extract_uploaded_file(server):
    data = TEXT.encode("gb18030")
    r = httpx.post(server + "/extract", files={"file": ("r.txt", data, "text/plain")})
    assert r.status_code == 200
    assert any(f["value"] == 30659 for f in r.json()["facts"])


@pytest.mark.parametrize("kwargs, status", [
    ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400),
    ({"json": {"txt": "x"}}, 422),
    ({"json": {"text": "   "}}, 422),
    ({"json": ["a"]}, 422),
    ({"content": b"text", "headers": {"content-type": "text/plain"}}, 415),
    ({"files": {"file": ("r.ppt", b"\xd0\xcf\x11\xe0xx", "application/octet-stream")}}, 415),
    ({"files": {"file": ("r.xlsx", b"PK\x03\x04xx", "application/octet-stream")}}, 400),  # read, not a workbook
    ({"files": {"file": ("r.txt", b"   ", "text/plain")}}, 400),
    ({"files": {"other": ("r.txt", b"abc", "text/plain")}}, 422),
    ({"json": {"text": "字" * 30000}}, 413),
    ({"files": {"file": ("r.txt", "字".encode() * 30000, "text/plain")}}, 413),
])
def test_errors(server, kwargs, status):
    r = httpx.post(server + "/extract", **kwargs)
    assert r.status_code == status, r.text
    assert r.json()["detail"]


def test_timeout_gives_504(slow_server):
    r = httpx.post(slow_server + "/extract", json={"text": TEXT * 50})
    assert r.status_code == 504 and "longer than" in r.json()["detail"]
    assert httpx.get(slow_server + "/health").status_code == 200


def test_openapi_docs(server):
    assert httpx.get(server + "/docs").status_code == 200
    spec = httpx.get(server + "/openapi.json").json()
    assert "/extract" in spec["paths"] and "/version" in spec["paths"]
