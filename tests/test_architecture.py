"""The house rules that the code's structure must keep: no import cycles inside
``inference/`` (lazy imports inside functions count), and ``inference/`` never imports
``training/`` or ``annotations/``."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

INFERENCE = Path(__file__).resolve().parent.parent / "inference"


def module_name(path: Path) -> str:
    rel = path.relative_to(INFERENCE.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: frozenset = frozenset()) -> set[str]:
    """Every module a file imports, anywhere in it, resolved to absolute names; imports
    under ``if TYPE_CHECKING:`` (type names only, never run) left out."""
    pkg = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    out: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
                   for stmt in node.body for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            subs = {f"{mod}.{a.name}" for a in node.names}
            # ``from . import x`` names submodule x; ``from .m import f`` names module m
            out.update(subs & modules if subs & modules else {mod})
    return out


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in INFERENCE.rglob("*.py")}
    names = frozenset(files)
    return {name: {m for m in imports_of(p, names) if m in files and m != name} for name, p in files.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in g[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_the_import_walker_sees_a_cycle(tmp_path, monkeypatch):
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(g) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_in_inference():
    g = graph()
    assert len(g) > 30 and g["inference.pipeline"] >= {"inference.ner", "inference.segment"}
    assert cycles(g) == []


@pytest.mark.parametrize("forbidden", ["training", "annotations", "datasets", "seqeval", "label_studio_sdk"])
def test_inference_never_imports_training_annotations_or_their_dependencies(forbidden):
    users = [module_name(p) for p in INFERENCE.rglob("*.py")
             if any(m == forbidden or m.startswith(forbidden + ".") for m in imports_of(p))]
    assert users == []
