"""The Worker shared by the local and Ray engines, and the import graph of inference/."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from inference.worker import Worker

from .conftest import ROOT

PKG = ROOT / "inference"


def _module(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Modules of inference/ that ``path`` imports (at any level, lazily or not)."""
    mod = _module(path)
    pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = pkg
            for _ in range(node.level - 1):
                base = base.rsplit(".", 1)[0]
            target = node.module or ""
            if node.level:
                target = f"{base}.{target}" if target else base
            for alias in node.names:
                full = f"{target}.{alias.name}"
                out.add(full if (ROOT / Path(*full.split("."))).with_suffix(".py").exists()
                        or (ROOT / Path(*full.split(".")) / "__init__.py").exists() else target)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {m for m in out if m.startswith("inference") and m != mod}


def graph() -> dict[str, set[str]]:
    """module -> the inference modules it imports. The package itself (``inference``:
    ``__version__`` and a lazy ``Extractor``) is left out: every submodule's import runs it
    first anyway."""
    g = {_module(p): _imports(p) - {"inference"} for p in PKG.rglob("*.py")}
    g.pop("inference")
    return g


def test_no_import_cycles_in_inference():
    g = graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(g.get(m, ())):
            if n not in g:
                continue
            if state.get(n) == 1:
                cycles.append(path[path.index(n):] + [n] if n in path else [m, n])
            elif n not in state:
                visit(n, path + [n])
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m, [m])
    # known: the tagger <-> onnx_runtime pair (issue 16, the runtime interface)
    left = [c for c in cycles if not set(c) <= {"inference.tagger", "inference.onnx_runtime"}]
    assert not left, left


def test_the_engines_do_not_import_each_other():
    g = graph()
    assert "inference.batch" not in g["inference.ray_engine"]  # batch -> ray_engine only
    assert "inference.batch" not in g["inference.worker"]
    assert "inference.ray_engine" not in g["inference.worker"]


def test_worker_gives_records_and_error_records(seed_texts):
    w = Worker(None)
    ok = w.process("a.txt", seed_texts["seed-003"].encode())
    assert ok["error"] is None and ok["facts"]
    bad = w.process("b.pdf", b"%PDF-1.4 broken")
    assert bad["error"]["kind"] == "load" and bad["sha256"]


def test_a_worker_whose_model_does_not_load_gives_internal_error_records(tmp_path):
    w = Worker(str(tmp_path / "no-model"))
    assert w.init_error and "cannot load model" in w.init_error
    rec = w.process("a.txt", "全年主动公开政府信息12条。".encode())
    assert rec["error"]["kind"] == "internal"


@pytest.mark.parametrize("seconds, limited", [(0.000001, True), (None, False)])
def test_worker_time_limit(seed_texts, seconds, limited):
    rec = Worker(None, seconds=seconds).process("a.txt", seed_texts["seed-002"].encode())
    assert bool(rec["error"] and "time limit" in rec["error"]["message"]) is limited
