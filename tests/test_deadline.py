"""The per-report deadline: checked cooperatively, nested limits keep the earlier one."""
from __future__ import annotations

import time

import pytest

from inference import deadline
from inference.errors import TimeLimitExceeded


def test_no_limit_never_raises():
    deadline.check("anything")
    with deadline.time_limit(None):
        deadline.check("x")
        assert deadline.remaining() is None


def test_check_raises_after_the_limit_and_names_the_place():
    with deadline.time_limit(0.01):
        deadline.check("clean")
        time.sleep(0.02)
        with pytest.raises(TimeLimitExceeded, match=r"0.01 s per report.*stopped in tables"):
            deadline.check("tables")
    deadline.check("after the block")  # the limit ends with its block


def test_an_inner_longer_limit_does_not_extend_the_outer_one():
    with deadline.time_limit(0.01):
        with deadline.time_limit(60):
            time.sleep(0.02)
            with pytest.raises(TimeLimitExceeded):
                deadline.check()


def test_the_limit_belongs_to_its_thread():
    import threading

    seen = []
    with deadline.time_limit(0.001):
        time.sleep(0.01)
        t = threading.Thread(target=lambda: seen.append(deadline.remaining()))
        t.start()
        t.join()
    assert seen == [None]


def test_the_pipeline_stops_a_report_over_its_limit(seed_texts):
    from inference.load import from_text
    from inference.pipeline import Pipeline

    text = seed_texts["seed-002"] * 100
    t0 = time.monotonic()
    with pytest.raises(TimeLimitExceeded, match="stopped in"):
        with deadline.time_limit(0.2):
            Pipeline()(from_text(text))
    assert time.monotonic() - t0 < 2
