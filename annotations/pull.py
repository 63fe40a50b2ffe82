"""Pull a Label Studio project into a new, immutable, versioned annotation set.

``pull`` exports the project (JSON, through label-studio-sdk), converts and validates it
(``annotations.convert``), then writes ``annotations/data/<slug>-<YYYYMMDD>-<sha8>/`` with
``spans.jsonl``, ``manifest.json`` and the raw ``export.json`` (``annotations.sets.write_set``:
temp folder then rename, never overwriting). Errors (unknown labels, unrepairable offsets,
overlaps) stop the pull and leave every earlier set untouched, unless ``strict=False``, which
leaves the failing tasks out and records them in the manifest.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

from .client import Connection
from .config import check_label_config
from .convert import Conversion, convert_export, doc_id_of
from .push import find_project
from .sets import DATA_DIR, EXPORT_FILE, WriteResult, load_manifest, set_name, write_set
from .validate import ValidationError

POLICY_TEXT = {
    "ground_truth": "per task: the annotation marked ground truth, else the most recently "
                    "updated non-cancelled one; cancelled annotations skipped",
    "majority": "per task: spans (same start, end, label) and relations held by more than half of "
                "the non-cancelled annotations; cancelled annotations skipped",
}


@dataclass
class PullResult:
    write: WriteResult
    conversion: Conversion
    manifest: dict

    @property
    def path(self) -> Path:
        return self.write.path


def export_project(conn: Connection, project_id: int) -> bytes:
    """The project's JSON export (annotated tasks) as bytes."""
    try:
        return b"".join(conn.sdk.projects.exports.download_sync(project_id, export_type="JSON"))
    except Exception as exc:  # noqa: BLE001
        raise conn.error(f"export project {project_id}", exc) from None


def resolve_project(conn: Connection, project: Union[str, int]) -> Any:
    if isinstance(project, int) or str(project).isdigit():
        try:
            return conn.sdk.projects.get(int(project))
        except Exception as exc:  # noqa: BLE001
            raise conn.error(f"get project {project}", exc) from None
    found = find_project(conn, str(project))
    if found is None:
        raise conn.error("pull", LookupError(f"no project titled {project!r}"))
    return conn.sdk.projects.get(found.id)


def build_set(export_bytes: bytes, *, project_id: Any, project_title: str, ls_version: Optional[str],
              policy: str = "ground_truth", strict: bool = True, now: Optional[dt.datetime] = None
              ) -> tuple[Conversion, dict, str]:
    """Conversion, manifest and set name of an export (pure: no server, no files)."""
    try:
        export = json.loads(export_bytes)
    except ValueError as exc:
        raise ValidationError([], what=f"export is not JSON ({exc})") from None
    if not isinstance(export, list):
        raise ValidationError([], what="export is not a list of tasks (use the JSON export format)")
    conv = convert_export(export, policy=policy)
    if strict and conv.errors:
        raise ValidationError(conv.issues, what=f"project {project_title!r}: export")
    now = now or dt.datetime.now(dt.timezone.utc)
    from .sets import spans_jsonl_bytes

    content_sha = hashlib.sha256(spans_jsonl_bytes(conv.docs)).hexdigest()
    manifest = {
        "project": {"id": project_id, "title": project_title},
        "label_studio_version": ls_version,
        "pulled_at": now.isoformat(timespec="seconds"),
        "source_export": {"file": EXPORT_FILE, "sha256": hashlib.sha256(export_bytes).hexdigest(),
                          "tasks": len(export)},
        "policy": {"name": policy, "rule": POLICY_TEXT[policy]},
        "annotations": conv.counts.get("annotations", 0),
        "conversion": {k: v for k, v in sorted(conv.counts.items())},
        "issues": [str(i) for i in conv.issues],
    }
    fixed = corrected(export, {d.doc_id for d in conv.docs})
    if fixed:
        manifest["corrects"] = fixed
    return conv, manifest, set_name(project_title, now.strftime("%Y%m%d"), content_sha)


def corrected(export: list, doc_ids: set[str]) -> dict[str, list[str]]:
    """Set name -> the ids of its documents that this export corrects: tasks pushed from a
    set (``push --from-set``: data ``corrects``) that were annotated (in ``doc_ids``)."""
    out: dict[str, list[str]] = {}
    for task in export:
        name = (task.get("data") or {}).get("corrects") if isinstance(task, dict) else None
        if name and doc_id_of(task) in doc_ids:
            out.setdefault(str(name), []).append(doc_id_of(task))
    return {k: sorted(v) for k, v in sorted(out.items())}


def pull(conn: Connection, project: Union[str, int], data_dir: Union[str, Path] = DATA_DIR,
         policy: str = "ground_truth", strict: bool = True, name: Optional[str] = None) -> PullResult:
    """Export ``project`` (title or id) and write it as a new annotation set (see module doc)."""
    proj = resolve_project(conn, project)
    check_label_config(proj.label_config or "", where=f"project {proj.title!r} (id {proj.id})")
    raw = export_project(conn, proj.id)
    conv, manifest, auto_name = build_set(raw, project_id=proj.id, project_title=proj.title,
                                          ls_version=conn.server_version, policy=policy, strict=strict)
    res = write_set(conv.docs, name or auto_name, manifest, data_dir, extra_files={EXPORT_FILE: raw})
    return PullResult(res, conv, load_manifest(res.path))
