"""The inputs of a run: files, folders and archives walked into items (a report's name and
bytes, or why it could not be read). Folders are walked recursively; .zip/.tar(.gz/.bz2/.xz)
members are read one at a time, named ``archive.zip!member.txt``; hidden files, members
that climb out of the archive and damaged archives are handled here, so every engine (the
local batch, Ray, ``govie view``) reads inputs the same way.
"""
from __future__ import annotations

import hashlib
import lzma
import os
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator, Optional, Protocol, Sequence, Union

from .errors import LoadError
from .load import DEFAULT_LIMIT_MB, FORMATS, read_limited


class HasIgnored(Protocol):
    ignored: list[str]  # inputs passed over (unknown type, symbolic links), for the summary


class _Ignored:
    def __init__(self) -> None:
        self.ignored: list[str] = []


ARCHIVES = (".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")


@dataclass
class Item:
    """One report to process: its name and bytes, or why it could not be read."""

    source: str
    data: Optional[bytes] = None
    error: Optional[str] = None

    @cached_property
    def sha256(self) -> Optional[str]:
        """The hash of the bytes (once: resume and duplicate checks read it several times)."""
        return hashlib.sha256(self.data).hexdigest() if self.data is not None else None


def safe_name(name: str) -> str:
    """``name`` as valid Unicode: bytes of a file name that are not UTF-8 (kept by Python
    as lone surrogates) become ``\\xff`` escapes, so the record can be written."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        pass
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that did not come from a file name
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


def _is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVES)


def _hidden(name: str) -> bool:
    """Hidden files and folders (.DS_Store, ._report.txt, __MACOSX/) are not reports."""
    return any(part.startswith(".") and part not in (".", "..") or part == "__MACOSX"
               for part in Path(name).parts)


def _escapes(name: str) -> bool:
    """An archive member whose path climbs out of the archive (``../x``, ``/etc/x``)."""
    return name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/")


def _known(name: str) -> bool:
    return Path(name).suffix.lower() in FORMATS


# what a damaged archive raises while it is read (zlib, bz2 and lzma streams, bad headers)
ARCHIVE_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, tarfile.TarError, zlib.error,
                  lzma.LZMAError, EOFError, OSError, RuntimeError, ValueError,
                  NotImplementedError)


def _members(path: Path) -> Iterator[tuple[str, int, Callable[[], bytes]]]:
    """(name, size, read) of every regular file of a .zip or .tar(.gz) archive."""
    if path.name.lower().endswith(".zip"):
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    yield info.filename, info.file_size, lambda i=info: zf.read(i)
    else:
        with tarfile.open(path, mode="r:*") as tf:
            for info in tf:
                if info.isfile():
                    def read(i=info) -> bytes:
                        fh = tf.extractfile(i)
                        return fh.read() if fh else b""
                    yield info.name, info.size, read
            _check_tar_end(tf)


def read_member(archive: Path, member: str) -> Optional[bytes]:
    """The bytes of one member of an archive (None if it is not there or cannot be read)."""
    try:
        for name, _, read in _members(archive):
            if name == member:
                return read()
    except ARCHIVE_ERRORS:
        return None
    return None


def _check_tar_end(tf: tarfile.TarFile) -> None:
    """``tarfile`` ends its walk silently at a damaged header; read on to the end (which
    also checks the gzip/xz/bz2 checksum) and raise if anything but zero padding is left."""
    tf.fileobj.seek(tf.offset)
    while True:
        chunk = tf.fileobj.read(1 << 20)
        if not chunk:
            return
        if chunk.count(0) != len(chunk):
            raise tarfile.ReadError("damaged archive: unreadable data after the last "
                                    "member read")


def _archive_items(path: Path, limit_mb: float, summary: HasIgnored) -> Iterator[Item]:
    """One item per report member; a member that cannot be read, and an archive damaged
    past some point, give error items (the members before it are kept)."""
    limit = limit_mb * 1024 * 1024 if limit_mb else None
    arch = safe_name(str(path))
    try:
        for name, size, read in _members(path):
            src = f"{arch}!{safe_name(name)}"
            if _hidden(name):
                continue
            if _escapes(name):
                yield Item(src, error=f"{src}: member path leaves the archive ('..' or "
                           "absolute): not read")
                continue
            if not _known(name):
                summary.ignored.append(src)
                continue
            if limit and size > limit:
                yield Item(src, error=f"{src}: too large ({size / 1048576:.1f}"
                           f" MB > limit {limit_mb:g} MB)")
                continue
            try:
                yield Item(src, read())
            except ARCHIVE_ERRORS as exc:
                yield Item(src, error=f"{src}: cannot read archive member "
                           f"({type(exc).__name__}: {exc})")
    except ARCHIVE_ERRORS as exc:
        yield Item(arch, error=f"{arch}: not a readable archive, or damaged after the members "
                   f"read so far ({type(exc).__name__}: {exc})")


def file_item(path: Path, limit_mb: float, source: Optional[str] = None) -> Item:
    """The item of one file (``source``: the name to give it; default: its path)."""
    source = source or safe_name(str(path))
    try:
        return Item(source, read_limited(path, limit_mb))
    except LoadError as exc:
        return Item(source, error=safe_name(str(exc)))


def _folder_files(root: Path, follow_symlinks: bool, summary: HasIgnored) -> list[Path]:
    """The files under ``root``, sorted. Symbolic links that lead outside ``root`` are not
    followed (listed in ``summary.ignored``) unless ``follow_symlinks``."""
    base = root.resolve()
    out: list[Path] = []
    for d, dirs, files in os.walk(root, followlinks=follow_symlinks):
        for name in dirs if not follow_symlinks else []:
            p = Path(d) / name
            if p.is_symlink():
                summary.ignored.append(f"{safe_name(str(p))} (symbolic link to a folder; "
                                       "--follow-symlinks to read)")
        for name in files:
            p = Path(d) / name
            if p.is_symlink() and not follow_symlinks:
                target = p.resolve()
                if not target.is_relative_to(base):
                    summary.ignored.append(f"{safe_name(str(p))} (symbolic link outside the "
                                           "folder; --follow-symlinks to read)")
                    continue
            if p.is_file():
                out.append(p)
    return sorted(out)


def iter_items(paths: Sequence[Union[str, Path]], limit_mb: float = DEFAULT_LIMIT_MB,
               summary: Optional[HasIgnored] = None, follow_symlinks: bool = False
               ) -> Iterator[Item]:
    """Every report under ``paths``. Named files are always tried; inside folders and
    archives only files of known types (others are listed in ``summary.ignored``)."""
    summary = summary if summary is not None else _Ignored()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in _folder_files(p, follow_symlinks, summary):
                if _hidden(str(f.relative_to(p))):
                    continue
                if _is_archive(f.name):
                    yield from _archive_items(f, limit_mb, summary)
                elif _known(f.name):
                    yield file_item(f, limit_mb)
                else:
                    summary.ignored.append(safe_name(str(f)))
        elif _is_archive(p.name) and p.is_file():
            yield from _archive_items(p, limit_mb, summary)
        else:
            yield file_item(p, limit_mb)
