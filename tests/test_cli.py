"""The govie command line: extract, exit codes, plug-in commands, a killed run resumed."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from importlib.metadata import EntryPoint

import pytest

from inference import cli
from inference.output import read_jsonl, validate_record

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture()
def seeds_dir(tmp_path, seed_texts):
    d = tmp_path / "seeds"
    d.mkdir()
    for name, text in seed_texts.items():
        (d / f"{name}.txt").write_text(text, encoding="utf-8")
    return d


def test_help_lists_commands(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "extract" in out
    assert cli.main(["extract", "--help"]) == 0
    assert "--jobs" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [[], ["extract"], ["extract", "x.txt"], ["nosuchcommand"],
                                  ["extract", "x.txt", "-o", "o", "--model", "m", "--no-model"]])
def test_usage_errors_exit_2(argv, capsys):
    assert cli.main(argv) == 2


def test_extract_exit_codes(tmp_path, seeds_dir, capsys):
    out = tmp_path / "o.jsonl"
    assert cli.main(["extract", str(seeds_dir), "-o", str(out), "--no-model", "-q",
                     "--csv", str(tmp_path / "f.csv"), "--parquet", str(tmp_path / "f.pq")]) == 0
    recs = list(read_jsonl(out))
    assert len(recs) == 5 and all(r["error"] is None for r in recs)
    for r in recs:
        validate_record(r)
    assert (tmp_path / "f.csv").exists() and (tmp_path / "f.pq").exists()
    (seeds_dir / "empty.txt").write_bytes(b"")
    assert cli.main(["extract", str(seeds_dir), "-o", str(out), "--no-model", "-q"]) == 1
    err = capsys.readouterr().err
    assert "empty file" in err and "1 failed" in err
    assert cli.main(["extract", str(tmp_path / "missing"), "-o", str(out), "-q"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_broken_plugin_does_not_break_extract(tmp_path, seeds_dir, monkeypatch, capsys):
    good_called = []

    def fake_entry_points(group):
        assert group == cli.ENTRY_POINT_GROUP
        return [EntryPoint("train", "no_such_module_xyz:register", group),
                EntryPoint("hello", "tests.test_cli:_register_hello", group)]

    monkeypatch.setattr("importlib.metadata.entry_points", fake_entry_points)
    monkeypatch.setattr(sys.modules[__name__], "_CALLED", good_called, raising=False)
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "unavailable: ModuleNotFoundError" in out and "no_such_module_xyz" in out
    assert "hello" in out
    assert cli.main(["train", "--epochs", "3"]) == 2
    assert "unavailable" in capsys.readouterr().err
    assert cli.main(["hello"]) == 0 and good_called == ["hi"]
    assert cli.main(["extract", str(seeds_dir), "-o", str(tmp_path / "o.jsonl"),
                     "--no-model", "-q"]) == 0


_CALLED: list = []


def test_missing_extra_lists_the_command_as_unavailable(monkeypatch, capsys):
    from importlib.util import find_spec as real_find_spec

    monkeypatch.setattr("importlib.util.find_spec",
                        lambda name, *a: None if name == "datasets" else real_find_spec(name, *a))
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "(unavailable: ImportError: not installed: datasets)" in out
    assert cli.main(["train"]) == 2
    assert "not installed: datasets" in capsys.readouterr().err


def test_missing_model_or_gold_is_a_clear_error(tmp_path, capsys):
    assert cli.main(["evaluate", "--model", str(tmp_path / "nomodel"),
                     "--gold", str(tmp_path / "nogold")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("govie evaluate: error:") and "Traceback" not in err


def _register_hello(sub) -> None:
    p = sub.add_parser("hello", help="a plug-in command")
    p.set_defaults(func=lambda args: _CALLED.append("hi") or 0)


def test_killed_run_resumes_without_partial_lines_or_duplicates(tmp_path, seed_texts):
    d = tmp_path / "many"
    d.mkdir()
    n = 120
    texts = list(seed_texts.values())
    for i in range(n):
        (d / f"r{i:03d}.txt").write_text(texts[i % len(texts)] + f"\n附注：副本{i}。\n",
                                         encoding="utf-8")
    out = tmp_path / "o.jsonl"
    cmd = [sys.executable, "-m", "inference.cli", "extract", str(d), "-o", str(out),
           "--no-model", "--jobs", "1", "-q"]
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        if out.exists() and out.read_bytes().count(b"\n") >= 10:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    raw = out.read_bytes()
    done_before = raw.count(b"\n")
    assert 10 <= done_before < n, "killed mid-run"
    assert raw.endswith(b"\n"), "no partial line after a kill"
    for line in raw.decode("utf-8").splitlines():
        json.loads(line)
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    assert f"{done_before} skipped" in res.stderr
    recs = list(read_jsonl(out))
    assert len(recs) == n
    assert len({r["sha256"] for r in recs}) == n
    assert sorted(r["source"] for r in recs) == sorted(str(p) for p in d.iterdir())


def test_the_bundled_samples_folder_holds_only_reports(tmp_path, samples_dir, capsys):
    """The README's first command on samples/reports: every file a report, none ignored."""
    out = tmp_path / "records.jsonl"
    assert cli.main(["extract", str(samples_dir), "-o", str(out), "--no-model", "--quiet"]) == 0
    assert "ignored" not in capsys.readouterr().err
    assert len(list(read_jsonl(out))) == len(list(samples_dir.iterdir())) == 5


def test_extract_ocr_option(tmp_path, monkeypatch, capsys):
    """--ocr never: a scanned PDF is an error record that says how to read it."""
    from tests.test_ocr import _scan, _text_pdf

    monkeypatch.setenv("GOVIE_OCR", "auto")  # restored after the test (the CLI sets it)
    (tmp_path / "scan.pdf").write_bytes(_scan(_text_pdf()))
    out = tmp_path / "out.jsonl"
    assert cli.main(["extract", str(tmp_path / "scan.pdf"), "-o", str(out), "--no-model", "-q", "--ocr", "never"]) == 1
    (rec,) = list(read_jsonl(out))
    assert rec["error"]["kind"] == "load" and "--ocr auto" in rec["error"]["message"]
    assert os.environ["GOVIE_OCR"] == "never"
