"""Connection to a Label Studio server (label-studio-sdk 2.x).

Settings come from, in this order: explicit arguments, the environment (``GOVIE_LS_URL``,
``GOVIE_LS_TOKEN``, or the SDK's own ``LABEL_STUDIO_URL``, ``LABEL_STUDIO_API_KEY``), then a TOML file outside the repository (``GOVIE_LS_CONFIG`` or
``~/.config/govie/labelstudio.toml`` with keys ``url`` and ``token``). The token is never
printed: ``repr`` shows ``token='***'`` and every error message is passed through
:func:`redact`.

Tokens are Label Studio "legacy" API tokens (``Authorization: Token ...``; the server must
allow them, e.g. ``label-studio start --enable-legacy-api-token``) or JWT personal access
tokens; label-studio-sdk picks the scheme.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from inference.errors import (LabelStudioAuthError, LabelStudioError,  # noqa: F401
                              LabelStudioUnreachable)

ENV_URL = "GOVIE_LS_URL"
ENV_TOKEN = "GOVIE_LS_TOKEN"
# label-studio-sdk's own variables, read after govie's
SDK_ENV_URL = "LABEL_STUDIO_URL"
SDK_ENV_TOKEN = "LABEL_STUDIO_API_KEY"
ENV_CONFIG = "GOVIE_LS_CONFIG"
DEFAULT_CONFIG = Path("~/.config/govie/labelstudio.toml")


@dataclass(frozen=True)
class Settings:
    url: str
    token: str = field(repr=False)
    timeout: float = 60.0

    def __repr__(self) -> str:
        return f"Settings(url={self.url!r}, token='***', timeout={self.timeout})"


def redact(message: str, token: Optional[str]) -> str:
    """``message`` with every occurrence of the token replaced by ``***``."""
    if token:
        message = message.replace(token, "***")
    return message


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        import tomllib  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise LabelStudioError(f"{path}: not valid TOML: {exc}") from None
    return data.get("labelstudio", data)


def load_settings(url: Optional[str] = None, token: Optional[str] = None,
                  config: Optional[Union[str, Path]] = None,
                  timeout: float = 60.0) -> Settings:
    """Server URL and token from arguments, environment or the config file."""
    path = Path(config or os.environ.get(ENV_CONFIG) or DEFAULT_CONFIG).expanduser()
    file_cfg: dict[str, Any] = {}
    if config is not None and not path.is_file():
        raise LabelStudioError(f"Label Studio config file not found: {path}")
    if path.is_file():
        file_cfg = _read_toml(path)
    url = url or os.environ.get(ENV_URL) or os.environ.get(SDK_ENV_URL) or file_cfg.get("url")
    token = token or os.environ.get(ENV_TOKEN) or os.environ.get(SDK_ENV_TOKEN) or file_cfg.get("token")
    if not url or not token:
        missing = " and ".join(n for n, v in (("URL", url), ("token", token)) if not v)
        raise LabelStudioError(
            f"Label Studio {missing} not set: set {ENV_URL} / {ENV_TOKEN} (or {SDK_ENV_URL} / "
            f"{SDK_ENV_TOKEN}) or write url = ... "
            f"and token = ... to {path}")
    return Settings(url=check_url(str(url)), token=str(token), timeout=timeout)


def check_url(url: str) -> str:
    """``url`` without its trailing slash; ``LabelStudioError`` unless it is an http(s)
    URL with a host (and a valid port)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise LabelStudioError(f"invalid Label Studio URL {url!r}: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LabelStudioError(f"invalid Label Studio URL {url!r}: expected "
                               "http(s)://host[:port], e.g. http://127.0.0.1:8080")
    return url.strip().rstrip("/")


class Connection:
    """A checked label-studio-sdk client plus the settings it came from."""

    def __init__(self, settings: Settings, sdk: Any, server_version: Optional[str]):
        self.settings = settings
        self.sdk = sdk
        self.server_version = server_version

    def __repr__(self) -> str:
        return f"Connection(url={self.settings.url!r}, token='***', version={self.server_version!r})"

    def error(self, what: str, exc: BaseException) -> LabelStudioError:
        """A :class:`LabelStudioError` for a failed call, token redacted."""
        return wrap_error(what, exc, self.settings)


def wrap_error(what: str, exc: BaseException, settings: Settings) -> LabelStudioError:
    import httpx
    from label_studio_sdk.core.api_error import ApiError

    url = settings.url
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        return LabelStudioUnreachable(
            f"{what}: cannot reach Label Studio at {url} ({type(exc).__name__}: "
            f"{redact(str(exc), settings.token)}); is the server running?")
    if isinstance(exc, httpx.TimeoutException):
        return LabelStudioUnreachable(f"{what}: Label Studio at {url} did not answer in time")
    if isinstance(exc, ApiError):
        body = exc.body
        detail = body.get("detail") if isinstance(body, dict) else body
        if exc.status_code in (401, 403):
            return LabelStudioAuthError(
                f"{what}: Label Studio at {url} refused the token (HTTP {exc.status_code}: "
                f"{redact(str(detail), settings.token)}); check {ENV_TOKEN} or the config file, "
                "and that the server allows legacy API tokens")
        return LabelStudioError(
            f"{what}: Label Studio at {url} answered HTTP {exc.status_code}: "
            f"{redact(str(detail), settings.token)[:500]}")
    return LabelStudioError(f"{what}: {type(exc).__name__}: {redact(str(exc), settings.token)}")


def connect(settings: Optional[Settings] = None, check_timeout: float = 10.0) -> Connection:
    """A client for the server, after checking it answers and accepts the token.

    Raises :class:`LabelStudioUnreachable` (no server, fast) or :class:`LabelStudioAuthError`.
    """
    import httpx
    from label_studio_sdk import LabelStudio

    settings = settings or load_settings()
    check_url(settings.url)
    headers_probe = None
    try:
        with httpx.Client(timeout=check_timeout) as probe:
            r = probe.get(f"{settings.url}/api/version")
            headers_probe = r.json().get("release") if r.status_code == 200 else None
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        raise wrap_error("connect", exc, settings) from None
    try:
        sdk = LabelStudio(base_url=settings.url, api_key=settings.token,
                          timeout=settings.timeout, max_retries=1)
        sdk.users.whoami()
    except Exception as exc:  # noqa: BLE001 - every failure becomes a clear, redacted error
        raise wrap_error("connect", exc, settings) from None
    return Connection(settings, sdk, headers_probe)
