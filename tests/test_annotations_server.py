"""annotations.client / push / pull against a real Label Studio server (tests/labelstudio_server.py)."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from annotations import cli
from annotations.client import (LabelStudioAuthError, LabelStudioError, LabelStudioUnreachable, Settings,
                                connect, load_settings)
from annotations.config import LabelConfigError, label_config_xml
from annotations.push import default_predictor, push, report_tasks
from annotations.pull import pull
from annotations.sets import load_manifest, load_set
from annotations.validate import ValidationError
from inference.data import Span
from tests.labelstudio_server import free_port

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "reports"
REPORTS = sorted(SAMPLES.glob("seed-*.txt"))


def count_predictor(text: str) -> list[Span]:
    """An injected fake predictor: every '<digits>件|条' is a COUNT with score 0.9."""
    return [Span(m.start(), m.end(), m.group(), "COUNT", 0.9, "model") for m in re.finditer(r"\d+[件条]", text)]


@pytest.fixture(scope="module")
def conn(labelstudio):
    return connect(Settings(labelstudio.url, labelstudio.token))


def _tasks(conn, project_id):
    return list(conn.sdk.tasks.list(project=project_id, fields="all"))


def _annotation_for(text: str) -> tuple[list[dict], list[Span]]:
    """Regions an annotator would draw: each 'N件/条' as COUNT with the 2 chars before as METRIC."""
    result, spans = [], []
    for k, m in enumerate(re.finditer(r"\d+[件条]", text)):
        if m.start() < 2 or k >= 3 or (spans and spans[-1].end > m.start() - 2):
            continue
        c = Span(m.start(), m.end(), m.group(), "COUNT", id=f"c{k}")
        mt = Span(m.start() - 2, m.start(), text[m.start() - 2:m.start()], "METRIC", id=f"m{k}")
        for s in (mt, c):
            spans.append(s)
            result.append({"id": s.id, "from_name": "label", "to_name": "text", "type": "labels",
                           "value": {"start": s.start, "end": s.end, "text": s.text, "labels": [s.label]}})
        result.append({"from_id": c.id, "to_id": mt.id, "type": "relation", "direction": "right",
                       "labels": ["measures"]})
    return result, spans


def test_push_annotate_pull_round_trip(conn, tmp_path, labelstudio, capsys):
    assert labelstudio.startup_seconds > 0
    res = push(conn, "govie round trip", REPORTS, count_predictor, "fake-count-1")
    expected, _ = report_tasks(REPORTS)
    assert res.created_project and res.tasks_created == len(expected) == res.predictions
    tasks = _tasks(conn, res.project_id)
    assert len(tasks) == len(expected)
    for t in tasks:
        assert set(t.data) >= {"text", "doc_id", "source", "sha256", "offset"}
        report = (SAMPLES / t.data["source"]).read_text(encoding="utf-8")
        assert report[t.data["offset"]:t.data["offset"] + len(t.data["text"])] == t.data["text"]
        (pred,) = t.predictions
        assert pred.model_version == "fake-count-1"
        for r in pred.result:
            assert r["score"] == 0.9 and t.data["text"][r["value"]["start"]:r["value"]["end"]] == r["value"]["text"]
        assert pred.score == (0.9 if pred.result else 0.0)

    again = push(conn, "govie round trip", REPORTS, count_predictor, "fake-count-1")
    assert (again.tasks_created, again.tasks_skipped, again.created_project) == (0, len(expected), False)
    assert len(_tasks(conn, res.project_id)) == len(expected)

    target = next(t for t in tasks if len(_annotation_for(t.data["text"])[1]) >= 4)
    result, spans = _annotation_for(target.data["text"])
    conn.sdk.annotations.create(id=target.id, result=result, ground_truth=False)
    other = next(t for t in tasks if t.id != target.id and _annotation_for(t.data["text"])[1])
    r2, _ = _annotation_for(other.data["text"])
    conn.sdk.annotations.create(id=other.id, result=r2)
    conn.sdk.annotations.create(id=other.id, result=r2[:2])  # a second annotator, fewer regions
    third = next(t for t in tasks if t.id not in (target.id, other.id))
    conn.sdk.annotations.create(id=third.id, result=[], was_cancelled=True)

    out = pull(conn, "govie round trip", tmp_path)
    assert out.write.status == "written" and re.fullmatch(r"govie-round-trip-\d{8}-[0-9a-f]{8}", out.path.name)
    docs = {d.meta["ls_task_id"]: d for d in load_set(out.path)}
    assert set(docs) == {target.id, other.id}  # the cancelled-only task is left out
    doc = docs[target.id]
    assert doc.doc_id == f"{target.data['doc_id']}@{target.data['offset']}"
    assert [(s.id, s.start, s.end, s.text, s.label) for s in doc.spans] == \
        [(s.id, s.start, s.end, s.text, s.label) for s in sorted(spans, key=lambda s: s.start)]
    assert {(r.from_id, r.to_id, r.label) for r in doc.relations} == \
        {(f"c{k}", f"m{k}", "measures") for k in range(10) if any(s.id == f"c{k}" for s in spans)}
    report = (SAMPLES / target.data["source"]).read_text(encoding="utf-8")
    off = doc.meta["offset"]
    assert all(report[off + s.start:off + s.end] == s.text for s in doc.spans)  # maps back to the report
    assert docs[other.id].meta["ls_annotation_id"] is not None  # most recent of the two annotators

    m = load_manifest(out.path)
    assert m["project"] == {"id": res.project_id, "title": "govie round trip"}
    assert m["label_studio_version"] == "1.23.2"
    assert m["policy"]["name"] == "ground_truth" and m["annotations"] == 3
    assert m["docs"] == 2 and m["spans"] == len(spans) + 2  # the other task: its latest annotation, 2 regions
    assert json.loads((out.path / "export.json").read_bytes())  # the raw export is kept

    same = pull(conn, "govie round trip", tmp_path)
    assert same.write.status == "unchanged" and same.path == out.path
    capsys.readouterr()
    assert cli.main(["annotations", "stats", str(out.path)]) == 0
    assert "agreement: 1 tasks with 2+ annotations, 1 pairs" in capsys.readouterr().out


def test_cli_pull_reads_token_from_env_and_never_prints_it(conn, labelstudio, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GOVIE_LS_URL", labelstudio.url)
    monkeypatch.setenv("GOVIE_LS_TOKEN", labelstudio.token)
    monkeypatch.setenv("GOVIE_LS_CONFIG", str(tmp_path / "none.toml"))
    push(conn, "govie cli", REPORTS[:1], None)
    assert cli.main(["annotations", "pull", "--project", "govie cli", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr()
    assert "written" in out.out and labelstudio.token not in out.out + out.err
    monkeypatch.setenv("GOVIE_LS_TOKEN", "wrong-" + labelstudio.token[:8])
    assert cli.main(["annotations", "pull", "--project", "govie cli", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "refused the token" in err and "wrong-" not in err


def test_real_predictor_path(conn, tmp_path):
    from tests.test_tagger import make_tiny_model

    model_dir = make_tiny_model(tmp_path / "model", with_info=False)
    (model_dir / "govie_model.json").write_text(json.dumps({"model_version": "untrained-test"}), encoding="utf-8")
    predictor, version, note = default_predictor(model_dir)
    assert version == "untrained-test" and "model" in note
    short = tmp_path / "seed-short.txt"
    short.write_text(REPORTS[1].read_text(encoding="utf-8")[:1500], encoding="utf-8")
    res = push(conn, "govie model preds", [short], predictor, version)
    tasks = _tasks(conn, res.project_id)
    assert tasks and all(t.predictions[0].model_version == "untrained-test" for t in tasks)
    for t in tasks:
        regions = [r for r in t.predictions[0].result if r["type"] == "labels"]
        for r in regions:
            assert 0.0 <= r["score"] <= 1.0
            assert t.data["text"][r["value"]["start"]:r["value"]["end"]] == r["value"]["text"]
        ids = {r["id"] for r in regions}
        for r in t.predictions[0].result:
            if r["type"] == "relation":  # measures: value -> metric, both regions of this prediction
                assert r["labels"] == ["measures"] and {r["from_id"], r["to_id"]} <= ids


def test_unreachable_server_fails_fast_and_clearly():
    t0 = time.monotonic()
    with pytest.raises(LabelStudioUnreachable, match="cannot reach Label Studio"):
        connect(Settings(f"http://127.0.0.1:{free_port()}", "secret-token-123"))
    assert time.monotonic() - t0 < 5


def test_wrong_token_is_refused_without_showing_it(labelstudio):
    bad = "not-the-token-4242"
    with pytest.raises(LabelStudioAuthError) as info:
        connect(Settings(labelstudio.url, bad))
    assert "refused the token" in str(info.value) and bad not in str(info.value)
    assert bad not in repr(Settings(labelstudio.url, bad))


def test_project_with_other_label_config_is_refused(conn, tmp_path):
    other = label_config_xml().replace('<Label value="DATE"', '<Label value="PERSON"/><Label value="DATE"')
    conn.sdk.projects.create(title="govie other config", label_config=other)
    with pytest.raises(LabelConfigError, match="PERSON"):
        push(conn, "govie other config", REPORTS[:1], None)
    with pytest.raises(LabelConfigError, match="labels not in configs/labels.yaml: PERSON"):
        pull(conn, "govie other config", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_failed_pull_leaves_earlier_sets_untouched(conn, tmp_path, monkeypatch):
    res = push(conn, "govie failing pull", REPORTS[:1], None)
    t1, t2 = _tasks(conn, res.project_id)[:2]
    r1 = [{"id": "d", "from_name": "label", "to_name": "text", "type": "labels",
           "value": {"start": 0, "end": 2, "text": t1.data["text"][:2], "labels": ["ORG"]}}]
    conn.sdk.annotations.create(id=t1.id, result=r1)
    first = pull(conn, "govie failing pull", tmp_path)
    snapshot = {p: p.read_bytes() for p in first.path.iterdir()}

    bad = [{"id": "b1", "from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": 0, "end": 3, "text": "不在这里的文字", "labels": ["ORG"]}}]
    conn.sdk.annotations.create(id=t2.id, result=bad)
    with pytest.raises(ValidationError, match=rf"task {t2.id}, annotation \d+, region b1"):
        pull(conn, "govie failing pull", tmp_path)
    monkeypatch.setattr(type(conn.sdk.projects.exports), "download_sync",
                        lambda *a, **k: (_ for _ in ()).throw(ConnectionResetError("dropped")))
    with pytest.raises(LabelStudioError, match="export project"):
        pull(conn, "govie failing pull", tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [first.path.name]
    assert {p: p.read_bytes() for p in first.path.iterdir()} == snapshot


@pytest.mark.parametrize("url_var,token_var", [("GOVIE_LS_URL", "GOVIE_LS_TOKEN"),
                                               ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY")])
def test_settings_from_govie_or_sdk_variables(tmp_path, monkeypatch, url_var, token_var):
    for var in ("GOVIE_LS_URL", "GOVIE_LS_TOKEN", "LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GOVIE_LS_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv(url_var, "http://127.0.0.1:8089/")
    monkeypatch.setenv(token_var, "tok-123")
    s = load_settings()
    assert (s.url, s.token) == ("http://127.0.0.1:8089", "tok-123")


def test_govie_variables_win_over_the_sdk_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVIE_LS_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("GOVIE_LS_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:2")
    monkeypatch.setenv("GOVIE_LS_TOKEN", "govie")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "sdk")
    assert (load_settings().url, load_settings().token) == ("http://127.0.0.1:1", "govie")


def test_settings_from_config_file_and_env(tmp_path, monkeypatch):
    for var in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    cfg = tmp_path / "labelstudio.toml"
    cfg.write_text('url = "http://ls.example:8080/"\ntoken = "file-token-abc"\n', encoding="utf-8")
    monkeypatch.delenv("GOVIE_LS_URL", raising=False)
    monkeypatch.delenv("GOVIE_LS_TOKEN", raising=False)
    s = load_settings(config=cfg)
    assert (s.url, s.token) == ("http://ls.example:8080", "file-token-abc")
    assert "file-token-abc" not in repr(s) and "file-token-abc" not in str(s)
    monkeypatch.setenv("GOVIE_LS_TOKEN", "env-token-xyz")
    assert load_settings(config=cfg).token == "env-token-xyz"
    with pytest.raises(LabelStudioError, match="not found"):
        load_settings(config=tmp_path / "missing.toml")
    monkeypatch.setenv("GOVIE_LS_CONFIG", str(tmp_path / "missing.toml"))
    monkeypatch.delenv("GOVIE_LS_TOKEN")
    with pytest.raises(LabelStudioError, match="URL and token not set"):
        load_settings()


def test_model_asked_for_that_does_not_load_is_an_error(tmp_path):
    from annotations.push import ModelLoadError

    with pytest.raises(ModelLoadError, match="cannot load model"):
        default_predictor(tmp_path / "no-such-model")
    predictor, version, note = default_predictor(tmp_path, use_model=False)
    assert version == "patterns" and predictor("全年主动公开政府信息12条。")


def test_a_correction_round_replaces_the_documents_it_corrects(conn, labelstudio, tmp_path, capsys,
                                                                monkeypatch):
    """push --from-set: two gold documents back with their gold as pre-annotations; the
    annotator drops one span of one of them; the pulled set names what it corrects and is
    read after the set, so that document's new version replaces the old."""
    from annotations.push import push_from_set
    from annotations.sets import list_sets, write_set

    gold = load_set(Path(__file__).resolve().parent.parent / "annotations" / "data" / "gold-v2-a")
    ids = ["v2a-016@127", "v2a-019@154"]
    write_set([d for d in gold if d.doc_id in ids], "gold-v2-a", {"project": {"id": 0}}, tmp_path)
    ids_file = tmp_path / "ids.jsonl"
    ids_file.write_text("".join(f'{{"doc_id": "{i}", "set": "gold-v2-a"}}\n' for i in ids), encoding="utf-8")
    monkeypatch.setenv("GOVIE_LS_TOKEN", labelstudio.token)
    assert cli.main(["annotations", "push", "--project", "govie corrections", "--from-set",
                     str(tmp_path / "gold-v2-a"), "--docs", str(ids_file), "--url", labelstudio.url]) == 0
    assert "2 tasks created, 0 already there, pre-annotated with their gold (gold:gold-v2-a)" \
        in capsys.readouterr().out
    again = push_from_set(conn, "govie corrections", tmp_path / "gold-v2-a", ids)
    assert (again.tasks_created, again.tasks_skipped) == (0, 2)
    project = again.project_id
    tasks = {t.data["doc_id"] + "@" + str(t.data["offset"]): t for t in _tasks(conn, project)}
    assert set(tasks) == set(ids)
    for doc_id, t in tasks.items():
        (pred,) = t.predictions
        assert pred.model_version == "gold:gold-v2-a" and t.data["corrects"] == "gold-v2-a"
        result = pred.result
        if doc_id == ids[0]:  # the annotator drops the first span (and its relations)
            first = next(r["id"] for r in result if r["type"] == "labels")
            result = [r for r in result if first not in (r.get("id"), r.get("from_id"), r.get("to_id"))]
        conn.sdk.annotations.create(id=t.id, result=result)
    out = pull(conn, "govie corrections", tmp_path)
    assert load_manifest(out.path)["corrects"] == {"gold-v2-a": sorted(ids)}
    assert list_sets(tmp_path)[-1] == out.path
    new = {d.doc_id: d for d in load_set(out.path)}
    old = {d.doc_id: d for d in gold if d.doc_id in ids}
    assert len(new[ids[0]].spans) == len(old[ids[0]].spans) - 1
    assert [(s.start, s.end, s.label) for s in new[ids[1]].spans] == \
        [(s.start, s.end, s.label) for s in old[ids[1]].spans]
