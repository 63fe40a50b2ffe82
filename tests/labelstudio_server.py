"""pytest plugin: a real Label Studio server for the test session.

``labelstudio`` (session scope) starts ``label-studio start`` from the venv on 127.0.0.1 at a
free port, with ``LABEL_STUDIO_BASE_DATA_DIR`` in a temporary folder, a user created through
``LABEL_STUDIO_USERNAME`` / ``LABEL_STUDIO_PASSWORD`` / ``LABEL_STUDIO_USER_TOKEN`` and legacy
API tokens enabled; waits for ``/health`` (up to ``GOVIE_LS_START_TIMEOUT`` s, default 240) and
stops the process group it started at the end. Version checks, analytics and Sentry are off
so the server never waits on the network.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

START_TIMEOUT = float(os.environ.get("GOVIE_LS_START_TIMEOUT", "240"))


@dataclass
class LabelStudioServer:
    url: str
    token: str
    username: str
    data_dir: Path
    log: Path
    startup_seconds: float
    pid: int

    def __repr__(self) -> str:
        return f"LabelStudioServer(url={self.url!r}, token='***', startup_seconds={self.startup_seconds:.1f})"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/health", timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # the group this fixture started (start_new_session)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


# Label Studio refuses ML backend (and other outgoing) URLs on loopback and private networks
# (HTTP 403 "URL resolves to a reserved network address"); a server that must call a backend
# on 127.0.0.1 is started with these (see docs/guide.md for when that is safe).
LOOPBACK_BACKENDS_ENV = {"SSRF_PROTECTION_ENABLED": "false", "USE_DEFAULT_BANNED_SUBNETS": "false"}


@pytest.fixture(scope="session")
def labelstudio(tmp_path_factory: pytest.TempPathFactory):
    """A server with Label Studio's default network protection."""
    yield from start_labelstudio(tmp_path_factory.mktemp("labelstudio"))


@pytest.fixture(scope="session")
def labelstudio_loopback_backends(tmp_path_factory: pytest.TempPathFactory):
    """A server allowed to call ML backends on 127.0.0.1 (``LOOPBACK_BACKENDS_ENV``)."""
    yield from start_labelstudio(tmp_path_factory.mktemp("labelstudio-ml"), LOOPBACK_BACKENDS_ENV)


def start_labelstudio(base: Path, extra_env: Optional[dict] = None):
    """Start a server in ``base``, yield a :class:`LabelStudioServer`, stop it (a generator
    for the fixtures above)."""
    data_dir = base / "data"
    data_dir.mkdir()
    log = base / "server.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    token = secrets.token_hex(20)
    username = "annotator@govie.test"
    env = {
        **os.environ,
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "LABEL_STUDIO_USERNAME": username,
        "LABEL_STUDIO_PASSWORD": secrets.token_hex(12),
        "LABEL_STUDIO_USER_TOKEN": token,
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        **(extra_env or {}),
    }
    exe = Path(sys.executable).parent / "label-studio"
    cmd = [str(exe), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port),
           "--enable-legacy-api-token", "--log-level", "WARNING"]
    t0 = time.monotonic()
    with log.open("wb") as fh:
        proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=base,
                                start_new_session=True)
    try:
        while not _healthy(url):
            if proc.poll() is not None:
                raise RuntimeError(f"label-studio exited with {proc.returncode}:\n"
                                   + log.read_text(errors="replace")[-3000:])
            if time.monotonic() - t0 > START_TIMEOUT:
                raise RuntimeError(f"label-studio not healthy after {START_TIMEOUT:.0f} s:\n"
                                   + log.read_text(errors="replace")[-3000:])
            time.sleep(1.0)
        startup = time.monotonic() - t0
        sys.stderr.write(f"\n[labelstudio fixture] server up at {url} after {startup:.1f} s\n")
        yield LabelStudioServer(url, token, username, data_dir, log, startup, proc.pid)
    finally:
        _stop(proc)
