"""`govie panel --engine ray`: the same panel and checks as the local engine."""
from __future__ import annotations

import pandas as pd
import pytest

from inference.cli import main
from inference.output import JsonlWriter
from inference.ray_panel import records_of_bytes
from tests.test_panel import three_years  # noqa: F401  (fixture)
from tests.test_ray_engine import local_ray  # noqa: F401  (fixture)


def test_records_of_bytes_follow_read_jsonl():
    data = b'{"a": 1}\n\n not json\n{"b": 2}\n{"c": 3}'  # the last line is partial
    assert records_of_bytes(data) == [{"a": 1}, {"b": 2}]


def test_ray_panel_equals_local(tmp_path, three_years, local_ray):  # noqa: F811
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"  # records split over two files
    with JsonlWriter(a) as w:
        for r in three_years[:3]:
            w.write(r)
    with JsonlWriter(b) as w:
        for r in three_years[3:]:
            w.write(r)
    b.write_bytes(b.read_bytes() + b'{"partial": ')
    assert main(["panel", str(a), str(b), "-o", str(tmp_path / "local.parquet"), "-q"]) == 0
    assert main(["panel", str(a), str(b), "-o", str(tmp_path / "ray.parquet"), "-q",
                 "--engine", "ray"]) == 0
    local, ray = (pd.read_parquet(tmp_path / f"{n}.parquet") for n in ("local", "ray"))
    assert len(local) == 11
    pd.testing.assert_frame_equal(local, ray)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "local.checks.parquet"),
                                  pd.read_parquet(tmp_path / "ray.checks.parquet"))
