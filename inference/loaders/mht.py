"""``.mht`` / ``.mhtml`` page archives (MIME multipart/related, as saved by browsers and
Word): the HTML part is taken with the standard email package (quoted-printable or base64,
its declared charset) and read by the HTML loader; images and styles are left out."""
from __future__ import annotations

import email
import email.policy

from .base import LoadError


def html_part(data: bytes, name: str) -> bytes:
    """The bytes of the first text/html part, re-labelled with its MIME charset so the HTML
    loader decodes it right."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            body = part.get_payload(decode=True) or b""
            charset = part.get_content_charset()
            if charset:  # the MIME charset wins over a <meta> the page carries
                body = f'<meta charset="{charset}">'.encode("ascii") + body
            return body
    raise LoadError(f"{name}: no HTML page in this .mht archive")


def load_mht(data: bytes, name: str):
    """(text, encoding, tables) of an .mht archive."""
    from .html import load_html

    return load_html(html_part(data, name), name)
