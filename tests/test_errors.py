"""The one errors module: every govie exception under GovieError, old import names kept,
HTTP status codes chosen by class."""
from __future__ import annotations

import pytest

from inference import errors
from inference.errors import GovieError, http_status


@pytest.mark.parametrize("module, name", [
    ("inference.config", "ConfigError"),
    ("inference.load", "LoadError"),
    ("inference.loaders.base", "LoadError"),
    ("inference.batch", "UsageError"),
    ("inference.ray_engine", "RayUnavailable"),
    ("annotations.client", "LabelStudioError"),
    ("annotations.client", "LabelStudioUnreachable"),
    ("annotations.client", "LabelStudioAuthError"),
    ("annotations.config", "LabelConfigError"),
    ("annotations.validate", "ValidationError"),
    ("annotations.sets", "SetExistsError"),
])
def test_old_import_names_are_the_classes_of_the_errors_module(module, name):
    import importlib

    cls = getattr(importlib.import_module(module), name)
    assert cls is getattr(errors, name) and issubclass(cls, GovieError)


@pytest.mark.parametrize("cls, builtin", [
    (errors.ConfigError, ValueError), (errors.LoadError, ValueError),
    (errors.UsageError, ValueError), (errors.RayUnavailable, ImportError),
    (errors.TimeLimitExceeded, TimeoutError), (errors.SetExistsError, FileExistsError),
    (errors.LabelStudioError, RuntimeError), (errors.OutputLocked, errors.UsageError),
])
def test_callers_that_caught_the_builtin_still_do(cls, builtin):
    assert issubclass(cls, builtin)


@pytest.mark.parametrize("exc, status", [
    (errors.UnsupportedInput("r.xlsx: unsupported file type .xlsx: spreadsheet"), 415),
    (errors.InputTooLarge("r.txt: too large (60.0 MB > limit 50 MB)"), 413),
    (errors.LoadError("r.txt: empty file"), 400),
    # the message no longer decides: a LoadError that mentions a file type is still 400
    (errors.LoadError("r.pdf: not a readable PDF (unknown file type in xref)"), 400),
    (errors.TimeLimitExceeded("time limit of 1 s per report exceeded"), 504),
    (RuntimeError("a bug"), 500),
])
def test_http_status_by_class(exc, status):
    assert http_status(exc) == status


def test_validation_error_lists_the_errors_only():
    from annotations.validate import Issue

    exc = errors.ValidationError([Issue("error", "overlap", "spans overlap", task=3),
                                  Issue("warning", "shifted", "moved by 1", task=4)])
    assert "1 error(s)" in str(exc) and "task 3" in str(exc) and "task 4" not in str(exc)
    assert len(exc.issues) == 2
