"""Every exception class of govie, in one place, under one base class ``GovieError``.

    GovieError
    ├── ConfigError             a config file is missing or malformed
    ├── LoadError               an input that cannot be read as a report (error kind "load")
    │   ├── UnsupportedInput    a file type govie does not read (HTTP 415)
    │   └── InputTooLarge       over the size limit (HTTP 413)
    ├── TimeLimitExceeded       a report took longer than its time limit (HTTP 504)
    ├── UsageError              bad arguments, a missing model asked for (exit code 2)
    │   ├── RayUnavailable      ``--engine ray`` without ray installed
    │   └── OutputLocked        another run is writing the same output
    ├── LabelStudioError        a Label Studio call failed (never holds the token)
    │   ├── LabelStudioUnreachable
    │   └── LabelStudioAuthError
    ├── LabelConfigError        a labelling config that does not match configs/labels.yaml
    ├── ValidationError         annotations that fail validation (``issues`` lists them)
    └── SetExistsError          an annotation set folder exists with other content

Each class also derives from the builtin exception callers caught before there was a base
(``ValueError``, ``FileExistsError`` ...), so ``except ValueError`` still works. The
modules that used to define them re-export them (``from inference.load import LoadError``
keeps working). Callers choose what to do by class, never by message text:
:func:`http_status` is the one table of HTTP status codes.
"""
from __future__ import annotations

from typing import Any, Iterable


class GovieError(Exception):
    """The base of every govie error."""


class ConfigError(GovieError, ValueError):
    """A config file is missing or malformed."""


class LoadError(GovieError, ValueError):
    """An input that cannot be read as a report; the message says why."""


class UnsupportedInput(LoadError):
    """A file type govie does not read (.doc, .xls, images, an unknown extension)."""


class InputTooLarge(LoadError):
    """An input over the size limit (bytes, or table cells after spans are expanded)."""


class MissingToolError(LoadError):
    """A format needs a system tool or an extra that is not installed; the message names
    what to install (LibreOffice for .doc/.wps, ``govie[ocr]`` for scanned PDFs)."""


class ModelNotFound(GovieError, FileNotFoundError):
    """No model folder (config.json + weights) where one was expected."""


class ModelLoadError(GovieError, RuntimeError):
    """The model asked for (``--model``) cannot be loaded."""


class GazetteerUnavailable(ConfigError):
    """The region data (the jionlp package's dictionaries) is not installed."""


class OffsetError(GovieError, ValueError):
    """A record whose offsets do not locate its texts."""


class ViewError(GovieError, ValueError):
    """Bad arguments of ``govie view`` (no such records file, no matching report, several
    reports for one output file): exit code 2."""


class GoldFormatError(GovieError, ValueError):
    """A gold file that is neither an annotation set nor a usable Label Studio export."""


class BaseEncoderError(GovieError, RuntimeError):
    """The base encoder cannot be rebuilt: a download failed, a checksum or the file format
    is wrong, or the rebuilt weights do not match the recipe's fingerprint."""


class BackendError(GovieError, RuntimeError):
    """A Label Studio ML-backend request that cannot be done (the message says why)."""


class TrainingBusy(BackendError):
    """A training run of the ML backend is already going on."""


class TimeLimitExceeded(GovieError, TimeoutError):
    """A report took longer than its time limit (``inference.deadline``)."""


class UsageError(GovieError, ValueError):
    """Bad arguments (a missing input path, an unloadable model): exit code 2."""


class RayUnavailable(UsageError, ImportError):
    """ray (the extra ``govie[ray]``) is not installed (a usage error: exit code 2)."""


class OutputLocked(UsageError):
    """Another ``govie extract`` is writing the same output file."""


class LabelStudioError(GovieError, RuntimeError):
    """A Label Studio call failed; the message says why and never holds the token."""


class LabelStudioUnreachable(LabelStudioError):
    pass


class LabelStudioAuthError(LabelStudioError):
    pass


class LabelConfigError(GovieError, ValueError):
    """A labelling config that is malformed or does not match ``configs/labels.yaml``."""


class ValidationError(GovieError, ValueError):
    """Conversion or validation found errors; ``issues`` lists them all (objects with a
    ``level``; those at level "error" are shown, at most 20)."""

    def __init__(self, issues: Iterable[Any], what: str = "annotations"):
        self.issues = list(issues)
        errors = [i for i in self.issues if i.level == "error"]
        shown = "\n  ".join(str(i) for i in errors[:20])
        more = f"\n  ... and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{what}: {len(errors)} error(s):\n  {shown}{more}")


class SetExistsError(GovieError, FileExistsError):
    """A set folder of that name exists with different content."""


# HTTP status of an error while serving one request; the most specific class wins.
HTTP_STATUS: tuple[tuple[type, int], ...] = (
    (UnsupportedInput, 415),
    (InputTooLarge, 413),
    (MissingToolError, 415),
    (LoadError, 400),
    (TimeLimitExceeded, 504),
)


def http_status(exc: BaseException) -> int:
    """The HTTP status code for ``exc`` (500 for anything not in ``HTTP_STATUS``)."""
    for cls, status in HTTP_STATUS:
        if isinstance(exc, cls):
            return status
    return 500


__all__ = ["GovieError", "ConfigError", "LoadError", "UnsupportedInput", "InputTooLarge",
           "MissingToolError", "ModelNotFound", "ModelLoadError", "GazetteerUnavailable",
           "OffsetError", "ViewError", "GoldFormatError", "BaseEncoderError", "BackendError",
           "TrainingBusy", "TimeLimitExceeded", "UsageError", "RayUnavailable", "OutputLocked",
           "LabelStudioError", "LabelStudioUnreachable", "LabelStudioAuthError",
           "LabelConfigError", "ValidationError", "SetExistsError", "HTTP_STATUS",
           "http_status"]
