"""Errors that say where and what to do: ``.url`` and ``.endpoint`` on transport and
unexpected-answer errors, and TLS failures in plain words over real loopback HTTPS (the
emulator's ``tls`` command serves the test certificates)."""

from __future__ import annotations

import pickle
from typing import Optional, Tuple

import pytest

import authgate
from conftest import Emulator, make_client


def https_server(emulator: Emulator, cert: str) -> Tuple[str, str]:
    """Starts an HTTPS token server with the emulator's certificate ``cert``; returns its
    base URL and the folder of the TLS material."""
    answer = emulator.control("tls", {"cert": cert})
    return answer["url"], answer["dir"]


def sign_in(base: str, ca_file: Optional[str] = None) -> authgate.TokenSet:
    client = authgate.Client("cuba", base_url=base, client_id="client", client_secret="secret", ca_file=ca_file)
    return client.password("admin", "pa55word")


def test_a_wrong_path_names_the_address_and_the_endpoint(emulator: Emulator) -> None:
    client = make_client(emulator, "cuba", token_endpoint=f"{emulator.base_url}/wrong/token?tenant=t-s3cret")
    with pytest.raises(authgate.UnexpectedResponse) as info:
        client.password("admin", "admin")
    err = info.value
    shown = f"{emulator.base_url}/wrong/token"
    assert err.status == 404
    assert err.url == shown
    assert err.endpoint == "token"
    assert f"the token endpoint {shown}" in str(err)
    assert "t-s3cret" not in f"{err!s} {err!r} {vars(err)!r}"
    again = pickle.loads(pickle.dumps(err))
    assert (again.url, again.endpoint) == (shown, "token")


def test_errors_without_a_request_have_no_address() -> None:
    with pytest.raises(authgate.ConfigError) as info:
        authgate.Client("generic")
    assert info.value.url is None and info.value.endpoint is None


def test_tls_failures_in_plain_words(emulator: Emulator) -> None:
    base, folder = https_server(emulator, "server")
    with pytest.raises(authgate.TransportError) as info:
        sign_in(base)
    err = info.value
    assert err.kind == "tls"
    assert "the server's certificate is not trusted by this computer" in str(err)
    assert "ca_file" in str(err)
    assert err.endpoint == "token"
    assert err.url is not None and err.url.startswith(base)
    assert "pa55word" not in f"{err!s} {err!r} {vars(err)!r}"
    assert sign_in(base, f"{folder}ca.pem").access_token == "tls-token"

    base, folder = https_server(emulator, "expired")
    with pytest.raises(authgate.TransportError) as info:
        sign_in(base, f"{folder}expired-ca.pem")
    assert (
        "the certificate is valid from 2020-01-01 00:00:00 UTC to 2021-01-01 00:00:00 UTC "
        "but this computer's clock says"
    ) in str(info.value)

    # A self-signed certificate given as ca_file is trusted, as curl trusts it.
    base, folder = https_server(emulator, "self-signed")
    assert sign_in(base, f"{folder}self-signed.pem").access_token == "tls-token"
