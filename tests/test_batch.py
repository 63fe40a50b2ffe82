"""Batch: folders, archives, bad inputs, duplicates, resume."""
from __future__ import annotations

import io
import shutil
import tarfile
import zipfile
from collections import Counter

import pytest

from inference.batch import UsageError, iter_items, process, run_extract
from inference.output import read_jsonl, validate_record


@pytest.fixture()
def inputs(tmp_path, samples_dir):
    d = tmp_path / "in"
    d.mkdir()
    for p in sorted(samples_dir.glob("seed-*.txt")):
        shutil.copy(p, d / p.name)
    (d / "corrupt.pdf").write_bytes(b"%PDF-1.4\n this is not a pdf")
    (d / "empty.txt").write_bytes(b"")
    (d / "notes.xyz").write_text("ignored: unknown type in a folder")
    sub = d / "sub"
    sub.mkdir()
    (sub / "gbk.txt").write_bytes("一、总体情况\n全年主动公开政府信息12条。\n".encode("gbk"))
    z = tmp_path / "seeds.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in sorted(samples_dir.glob("seed-*.txt")):
            zf.write(p, f"reports/{p.name}")
        zf.writestr("reports/new.txt", "一、总体情况\n全年主动公开政府信息7条。\n")
    return d, z


def run(paths, out, **kw):
    return run_extract([str(p) for p in paths], out, no_model=True, progress=False, **kw)


def test_folder_zip_bad_and_duplicates(tmp_path, inputs):
    d, z = inputs
    out = tmp_path / "out.jsonl"
    s = run([d, z], out)
    recs = list(read_jsonl(out))
    for r in recs:
        validate_record(r)
    ok = [r for r in recs if not r["error"]]
    bad = {r["source"].split("/")[-1]: r["error"] for r in recs if r["error"]}
    # 5 seeds + gbk.txt from the folder; the zip's seeds are duplicates, its new.txt is not
    assert sorted(r["source"].split("/")[-1] for r in ok) == sorted(
        [f"seed-00{i}.txt" for i in range(5)] + ["gbk.txt", "new.txt"])
    assert any(r["source"].endswith("seeds.zip!reports/new.txt") for r in ok)
    assert set(bad) == {"corrupt.pdf", "empty.txt"}
    assert "empty" in bad["empty.txt"]["message"] and bad["empty.txt"]["kind"] == "load"
    assert "PDF" in bad["corrupt.pdf"]["message"]
    assert (s.ok, s.failed, s.skipped) == (7, 2, 5)
    assert s.exit_code == 1
    assert len({r["sha256"] for r in recs}) == len(recs)
    assert any(x.endswith("notes.xyz") for x in s.ignored)
    gbk = next(r for r in ok if r["source"].endswith("gbk.txt"))
    assert gbk["encoding"] == "gb18030"


def test_rerun_skips_what_is_done(tmp_path, inputs):
    d, z = inputs
    out = tmp_path / "out.jsonl"
    run([d], out)
    n = len(list(read_jsonl(out)))
    s = run([d, z], out)  # only the zip's new.txt is new
    recs = list(read_jsonl(out))
    assert len(recs) == n + 1 and s.ok == 1
    assert s.failed == 2  # the two bad files are still bad (not re-processed)
    assert Counter(r["source"] for r in recs).most_common(1)[0][1] == 1


def test_tar_gz_members(tmp_path, samples_dir):
    t = tmp_path / "r.tar.gz"
    with tarfile.open(t, "w:gz") as tf:
        data = (samples_dir / "seed-001.txt").read_bytes()
        info = tarfile.TarInfo("a/seed-001.txt")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    items = list(iter_items([t]))
    assert [i.source for i in items] == [f"{t}!a/seed-001.txt"] and items[0].data == data
    s = run([t], tmp_path / "o.jsonl")
    assert s.ok == 1 and s.exit_code == 0


def test_corrupt_archive_and_oversize_member(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 broken")
    z = tmp_path / "big.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("big.txt", "政" * 400000)
    out = tmp_path / "o.jsonl"
    s = run([bad, z], out, limit_mb=1)
    recs = list(read_jsonl(out))
    msgs = sorted(r["error"]["message"] for r in recs)
    assert s.failed == 2 and len(recs) == 2
    assert "not a readable archive" in msgs[1] or "not a readable archive" in msgs[0]
    assert any("too large" in m for m in msgs)
    for r in recs:
        validate_record(r)


def test_process_gives_error_records():
    rec = process("x.txt", b"\x00\x01\x02" * 50)
    assert rec["error"]["kind"] == "load" and "binary" in rec["error"]["message"]
    validate_record(rec)
    ok = process("y.txt", "一、总体情况\n全年主动公开政府信息12条。\n".encode())
    assert ok["error"] is None and ok["format"] == "txt"


def test_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        run([tmp_path / "missing"], tmp_path / "o.jsonl")
    with pytest.raises(UsageError, match="model folder not found"):
        run_extract([str(tmp_path)], tmp_path / "o.jsonl", model=str(tmp_path / "nomodel"),
                    progress=False)


def test_jobs_2_gives_the_same_records(tmp_path, inputs):
    d, _ = inputs
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    run([d], a)
    s = run([d], b, jobs=2)
    key = lambda r: r["source"]  # noqa: E731
    ra, rb = sorted(read_jsonl(a), key=key), sorted(read_jsonl(b), key=key)
    assert [r["sha256"] for r in ra] == [r["sha256"] for r in rb]
    assert [r.get("metadata") for r in ra] == [r.get("metadata") for r in rb]
    assert s.ok == 6 and s.failed == 2


def test_model_that_fails_to_load(tmp_path, inputs):
    d, _ = inputs
    empty = tmp_path / "noweights"
    empty.mkdir()
    (empty / "config.json").write_text("{}")
    # found out in the parent, before any worker starts: a usage error for any --jobs
    for jobs in (1, 2):
        with pytest.raises(UsageError, match="no \\*.safetensors weights"):
            run_extract([str(d)], tmp_path / "o.jsonl", model=str(empty), jobs=jobs,
                        progress=False)
    bad = tmp_path / "badmodel"
    bad.mkdir()
    (bad / "config.json").write_text("{}")
    (bad / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(UsageError, match="cannot load model"):
        run_extract([str(d)], tmp_path / "o.jsonl", model=str(bad), progress=False)
    # with worker processes each report gets an error record instead of a broken pool
    s = run_extract([str(d)], tmp_path / "p.jsonl", model=str(bad), jobs=2, progress=False)
    recs = list(read_jsonl(tmp_path / "p.jsonl"))
    assert s.ok == 0 and s.exit_code == 1 and len(recs) == 8
    assert all(r["error"] for r in recs)
    assert sum("cannot load model" in r["error"]["message"] for r in recs) == 6


def crash_on_seed_001(source, data, limit_mb):
    """A worker that dies (as when the OOM killer takes it) on one report."""
    import os

    if "seed-001" in source:
        os._exit(9)
    return process(source, data, limit_mb)


def test_dead_worker_loses_nothing_and_resume_retries(tmp_path, inputs, monkeypatch):
    import inference.batch as batch

    d, _ = inputs
    out = tmp_path / "o.jsonl"
    monkeypatch.setattr(batch, "process", crash_on_seed_001)
    s = run([d], out, jobs=2)
    recs = list(read_jsonl(out))
    assert len(recs) == 8 and s.ok + s.failed == 8  # every input has a record
    dead = [r for r in recs if r["error"] and "worker failed" in r["error"]["message"]]
    assert any("seed-001" in r["source"] for r in dead)
    assert all(r["error"]["kind"] == "internal" and r["sha256"] for r in dead)
    monkeypatch.setattr(batch, "process", process)
    s2 = run([d], out, jobs=2)
    assert s2.ok == len(dead)  # internal errors are retried on resume
    final = {r["source"]: r for r in read_jsonl(out)}
    assert not final[next(r["source"] for r in dead)]["error"]


def test_hidden_archive_members_are_not_reports(tmp_path):
    z = tmp_path / "mac.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("r/report.txt", "一、总体情况\n全年主动公开政府信息7条。\n")
        zf.writestr("__MACOSX/r/._report.txt", b"\x00\x05\x16\x07 resource fork")
        zf.writestr("r/.DS_Store", b"\x00\x00\x00\x01Bud1")
    assert [i.source.split("!")[1] for i in iter_items([z])] == ["r/report.txt"]


@pytest.mark.parametrize("cores, jobs, threads", [(2, 1, 2), (2, 2, 1), (2, 4, 1), (16, 4, 4), (None, 2, 1)])
def test_workers_share_the_cores(monkeypatch, cores, jobs, threads):
    import inference.batch as batch

    monkeypatch.setattr(batch.os, "cpu_count", lambda: cores)
    assert batch.worker_threads(jobs) == threads


# ---- hostile inputs (issue 19) -----------------------------------------------------------

REPORT = "一、总体情况\n全年主动公开政府信息{n}条。\n".format


def _corrupt_zip(path):
    """A zip whose second member has its deflate data overwritten with garbage."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.txt", REPORT(n=1) * 50)
        zf.writestr("b.txt", REPORT(n=2) * 50)
        zf.writestr("c.txt", REPORT(n=3) * 50)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("b.txt")
    raw = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    raw[start + 2:start + 12] = b"\xff" * 10
    path.write_bytes(bytes(raw))


def _corrupt_tar(path, mode):
    """A compressed tar with its stream damaged in the middle."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for i in range(40):
            data = (REPORT(n=i) * 60 + f"{i}" * 3000).encode()
            info = tarfile.TarInfo(f"r/{i:02d}.txt")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    raw = bytearray(buf.getvalue())
    mid = len(raw) // 2
    raw[mid:mid + 64] = bytes(range(64))
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("name, make", [
    ("bad.zip", _corrupt_zip),
    ("bad.tar.gz", lambda p: _corrupt_tar(p, "w:gz")),
    ("bad.tar.xz", lambda p: _corrupt_tar(p, "w:xz")),
])
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_corrupt_archive_gives_error_records_and_the_batch_goes_on(tmp_path, inputs, name,
                                                                     make, jobs):
    d, _ = inputs
    bad = tmp_path / name
    make(bad)
    out = tmp_path / "o.jsonl"
    s = run([bad, d], out, jobs=jobs)
    recs = list(read_jsonl(out))
    for r in recs:
        validate_record(r)
    errors = [r for r in recs if r["error"] and name in r["source"]]
    assert errors and all(r["error"]["kind"] == "load" for r in errors)
    # the folder's 6 good reports are all there, whatever the archive did
    assert sum(1 for r in recs if not r["error"] and str(d) in r["source"]) == 6
    assert s.ok + s.failed == len(recs) and not s.interrupted


def test_file_names_that_are_not_utf8(tmp_path):
    import os

    d = tmp_path / "in"
    d.mkdir()
    bad = os.fsencode(str(d)) + b"/bad\xff\xfename.txt"
    with open(bad, "wb") as fh:
        fh.write(REPORT(n=5).encode())
    tar = tmp_path / "t.tar"
    with tarfile.open(tar, "w", encoding="utf-8", errors="surrogateescape") as tf:
        tf.add(bad.decode("utf-8", "surrogateescape"), arcname="m\udcff.txt")
    out = tmp_path / "o.jsonl"
    s = run([d, tar], out)
    sources = sorted(r["source"] for r in read_jsonl(out))
    assert s.ok == 1 and s.skipped == 1  # the member is the same bytes
    assert sources == [f"{d}/bad\\xff\\xfename.txt"]


def test_members_that_climb_out_of_the_archive_get_an_error_record(tmp_path):
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("../../etc/report.txt", REPORT(n=1))
        zf.writestr("ok/report.txt", REPORT(n=2))
    out = tmp_path / "o.jsonl"
    s = run([z], out)
    recs = {r["source"].split("!")[1]: r for r in read_jsonl(out)}
    assert "leaves the archive" in recs["../../etc/report.txt"]["error"]["message"]
    assert not recs["ok/report.txt"]["error"] and (s.ok, s.failed) == (1, 1)


def test_a_loader_error_is_not_retried_on_resume(tmp_path):
    from .test_load import _span_docx

    d = tmp_path / "in"
    d.mkdir()
    (d / "bad.docx").write_bytes(_span_docx("two", cells=3))
    out = tmp_path / "o.jsonl"
    run([d], out)
    run([d], out)
    (rec,) = list(read_jsonl(out))
    assert rec["error"]["kind"] == "load" and "gridSpan" in rec["error"]["message"]


def test_symlinks_out_of_a_folder_are_not_followed_unless_asked(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text(REPORT(n=9), encoding="utf-8")
    d = tmp_path / "in"
    d.mkdir()
    (d / "inside.txt").write_text(REPORT(n=1), encoding="utf-8")
    (d / "link.txt").symlink_to(outside)
    (d / "dirlink").symlink_to(tmp_path)
    s = run([d], tmp_path / "a.jsonl")
    assert s.ok == 1 and any("link.txt" in x and "symbolic link" in x for x in s.ignored)
    s2 = run([d], tmp_path / "b.jsonl", follow_symlinks=True)
    assert s2.ok == 2


def test_a_second_run_into_the_same_output_refuses(tmp_path, inputs):
    from inference.batch import lock_output
    from inference.cli import main
    from inference.errors import OutputLocked

    d, _ = inputs
    out = tmp_path / "o.jsonl"
    fd = lock_output(out)  # another run holds it
    try:
        with pytest.raises(OutputLocked, match="another govie extract run"):
            run([d], out)
        assert main(["extract", str(d), "-o", str(out), "--no-model", "-q"]) == 2
    finally:
        import os

        os.close(fd)
    assert run([d], out).ok == 6  # released: the next run goes


@pytest.mark.parametrize("args, timed_out", [(["--time-limit", "0.000001"], True),
                                             (["--time-limit", "0"], False)])
def test_time_limit_per_report(tmp_path, inputs, capsys, args, timed_out):
    from inference.cli import main

    d, _ = inputs
    out = tmp_path / "o.jsonl"
    code = main(["extract", str(d), "-o", str(out), "--no-model", "-q", *args])
    recs = [r for r in read_jsonl(out) if "seed" in r["source"]]
    limited = [r for r in recs if r["error"] and "time limit of" in r["error"]["message"]]
    assert len(recs) == 5 and (len(limited) == 5) is timed_out
    assert code == (1 if timed_out else 1)  # corrupt.pdf and empty.txt fail either way
    assert "ok," in capsys.readouterr().err  # the summary line


def _children(pid: int) -> list[int]:
    import os

    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return "\nState:\tZ" not in fh.read()
    except OSError:
        return False


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_stopping_the_main_process_leaves_no_workers(tmp_path, samples_dir, sig):
    """SIGTERM: the run stops, keeps its records and prints its summary line; SIGKILL: the
    workers notice their parent is gone and exit (they were left blocked on a pipe)."""
    import signal
    import subprocess
    import sys
    import time

    from .conftest import ROOT

    d = tmp_path / "in"
    d.mkdir()
    seed = (samples_dir / "seed-000.txt").read_text(encoding="utf-8")
    for i in range(300):
        (d / f"r{i:03d}.txt").write_text(seed + f"\n第{i}份\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "inference.cli", "extract", str(d), "-o",
                             str(out), "--no-model", "-q", "--jobs", "2"], cwd=ROOT,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (out.exists() and out.stat().st_size):
            time.sleep(0.1)
        workers = _children(proc.pid)
        assert len(workers) >= 2 and proc.poll() is None
        proc.send_signal(getattr(signal, sig))
        err = proc.communicate(timeout=30)[1]
        gone_by = time.monotonic() + 10
        while time.monotonic() < gone_by and any(_alive(w) for w in workers):
            time.sleep(0.2)
        assert not any(_alive(w) for w in workers)
    finally:
        if proc.poll() is None:
            proc.kill()
    recs = list(read_jsonl(out))
    assert 0 < len(recs) < 300 and all(not r["error"] for r in recs)
    if sig == "SIGTERM":
        assert proc.returncode == 130
        assert f"{len(recs)} ok, 0 failed, 0 skipped" in err and "(interrupted)" in err


def test_a_signal_inside_a_stop_block_waits_for_a_safe_point():
    """The pool's locks must never see Interrupted: inside ``with stop`` (nested too) the
    signal is held until ``check()`` or the end of the outermost block."""
    from inference.batch import Interrupted, _Stop

    stop = _Stop()
    with pytest.raises(Interrupted):
        stop(15, None)
    with pytest.raises(Interrupted, match="signal 15"):
        with stop:
            with stop:
                stop(15, None)
            assert stop.pending == 15  # the inner block's end is not a safe point
    with stop:
        stop(2, None)
        with pytest.raises(Interrupted, match="signal 2"):
            stop.check()
        stop.check()  # taken once
    assert stop.depth == 0 and stop.pending is None
