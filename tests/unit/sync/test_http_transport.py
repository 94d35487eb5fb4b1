"""The HTTP transport: what it connects to."""
from __future__ import annotations

from urllib.parse import urlsplit


def test_the_http_transport_uses_a_proxy_from_the_environment(monkeypatch):
    """urllib honoured http_proxy/https_proxy; the http.client transport must too."""
    from sync.client import HttpTransport

    monkeypatch.setenv("http_proxy", "http://proxy.test:3128")
    monkeypatch.setenv("https_proxy", "http://proxy.test:3128")
    monkeypatch.setenv("no_proxy", "direct.test")
    conn, target = HttpTransport("http://hub.test:8765")._connect(urlsplit(
        "http://hub.test:8765/v1/sync"))
    assert (conn.host, conn.port, target) == ("proxy.test", 3128, "http://hub.test:8765/v1/sync")
    conn, target = HttpTransport("https://hub.test")._connect(urlsplit(
        "https://hub.test/v1/sync"))
    assert (conn.host, conn.port, conn._tunnel_host, conn._tunnel_port, target) == (
        "proxy.test", 3128, "hub.test", 443, "/v1/sync")
    conn, target = HttpTransport("http://direct.test:8765")._connect(urlsplit(
        "http://direct.test:8765/v1/sync"))
    assert (conn.host, conn.port, target) == ("direct.test", 8765, "/v1/sync")
