"""Legacy Word ``.doc`` and WPS ``.wps`` files: converted to ``.docx`` by LibreOffice
(``soffice --headless --convert-to docx``), then read by the .docx loader, so tables stay
tables (merged cells included) and the text is the same as for a .docx.

Compared with antiword / catdoc (text only: a table comes out as runs of spaces or one cell
per line, merged cells lost, .wps not read at all by antiword), LibreOffice keeps the table
structure and reads both formats; it is a system tool (Debian ``libreoffice-writer-nogui``).
Without it the file gives a ``MissingToolError`` naming the package to install.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .base import LoadError, MissingToolError

TIMEOUT_S = 120


def soffice() -> str:
    """The LibreOffice binary, or ``MissingToolError``."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise MissingToolError("LibreOffice is not installed: .doc, .wps and .xls need it "
                               "(Debian/Ubuntu: apt-get install libreoffice-writer-nogui "
                               "libreoffice-calc-nogui)")
    return exe


def convert(data: bytes, name: str, ext: str, to: str) -> bytes:
    """``data`` (a file of extension ``ext``) converted by LibreOffice to format ``to``."""
    exe = soffice()
    with tempfile.TemporaryDirectory(prefix="govie-lo-") as tmp:
        src = Path(tmp) / f"input{ext}"
        src.write_bytes(data)
        env = {**os.environ, "HOME": tmp}  # a private profile: no clash with another soffice
        cmd = [exe, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp}/profile",
               "--convert-to", to, "--outdir", tmp, str(src)]
        try:
            subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise LoadError(f"{name}: LibreOffice took longer than {TIMEOUT_S}s to convert it") from exc
        out = Path(tmp) / f"input.{to.split(':')[0]}"
        if not out.exists() or out.stat().st_size == 0:
            raise LoadError(f"{name}: LibreOffice could not read it as {ext} (damaged or not {ext})")
        return out.read_bytes()


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003 and WPS binaries


def load_legacy_word(data: bytes, name: str):
    """(text, encoding, tables) of a .doc or .wps file. A "doc" that is really an HTML page
    (as some sites publish) goes to the HTML loader; RTF and the OLE2 binaries to
    LibreOffice; anything else is a ``LoadError``."""
    from .docx import load_docx

    head = data[:1024].lstrip().lower()
    if head.startswith((b"<html", b"<!doctype html")) or b"<html" in head[:512]:
        from .html import load_html

        return load_html(data, name)
    ext = Path(name.split("!")[-1]).suffix.lower() or ".doc"
    if not (data.startswith(OLE2) or head.startswith(b"{\\rtf")):
        raise LoadError(f"{name}: not a Word 97-2003 / WPS file (no OLE2 header) nor RTF")
    return load_docx(convert(data, name, ext, "docx"), name)
