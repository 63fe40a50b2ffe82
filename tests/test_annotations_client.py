"""annotations/client.py without a server: token redaction and settings checks."""
from __future__ import annotations

import pytest

from annotations.client import (LabelStudioError, Settings, check_url, connect, load_settings,
                                wrap_error)

TOKEN = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize("at", [480, 490, 499, 500, 520])
def test_a_token_straddling_the_cut_never_leaks(at):
    """The server's error text is cut to 500 characters AFTER the token is redacted (a
    token across character 500 used to leak in part)."""
    from label_studio_sdk.core.api_error import ApiError

    detail = "x" * at + TOKEN + "y" * 600
    exc = ApiError(status_code=500, headers={}, body={"detail": detail})
    msg = str(wrap_error("pull", exc, Settings("http://127.0.0.1:8080", TOKEN)))
    for k in range(8, len(TOKEN) + 1):
        assert TOKEN[:k] not in msg
    assert "HTTP 500" in msg and "x" * 100 in msg


@pytest.mark.parametrize("url", ["localhost:8080", "http//127.0.0.1:8080", "ftp://host/",
                                 "http://", "http://127.0.0.1:99999", "http://[::1"])
def test_an_invalid_url_is_a_clear_error(url, monkeypatch, tmp_path):
    monkeypatch.setenv("GOVIE_LS_CONFIG", str(tmp_path / "none.toml"))
    with pytest.raises(LabelStudioError, match="invalid Label Studio URL"):
        load_settings(url=url, token=TOKEN)
    with pytest.raises(LabelStudioError, match="invalid Label Studio URL"):
        connect(Settings(url, TOKEN))


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/", "https://ls.example.org"])
def test_valid_urls_are_kept_without_trailing_slash(url):
    assert check_url(url) == url.rstrip("/")
