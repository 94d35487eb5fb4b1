"""An address typed without ``http://`` reaches the server, in the library and in ``sync enroll``;
an address no laptop could use and a mistyped code are refused before anything is sent."""
from __future__ import annotations

import pytest

import main
from sync.client import SyncClient, normalise_server_url
from sync.errors import BadServerAddress, MistypedEnrollmentCode
from sync_helpers import LiveServer, make_hub


@pytest.fixture
def live(tmp_path):
    """The address handling is the laptop's: one database kind is enough here."""
    hub = make_hub(tmp_path / "hub")
    with LiveServer(hub) as server:
        yield server
    hub.close()


@pytest.mark.parametrize("typed, url, added", [
    ("hub.example:8765", "http://hub.example:8765", True),
    ("  127.0.0.1:8765/ ", "http://127.0.0.1:8765", True),
    ("HTTPS://Hub.example/", "https://Hub.example", False),
    ("http://[::1]:8765", "http://[::1]:8765", False),
])
def test_an_address_without_a_scheme_gets_http(typed, url, added):
    address = normalise_server_url(typed)
    assert (address.url, address.scheme_added) == (url, added)


@pytest.mark.parametrize("typed, reason", [
    ("", "empty"), ("   ", "empty"), ("ftp://hub.example", "scheme"), ("http://", "host"),
    ("hub example:8765", "host"), ("hub.example:port", "host"),
])
def test_an_unusable_address_is_refused_with_its_reason(typed, reason):
    with pytest.raises(BadServerAddress) as err:
        normalise_server_url(typed)
    assert err.value.reason == reason


def test_enroll_without_a_scheme_reaches_the_server(make_store, live):
    store = make_store("one")
    host_port = live.url.split("://", 1)[1]
    settings = SyncClient(store).enroll(host_port, live.hub.new_enroll_code("north"))
    assert settings["server_url"] == "http://" + host_port.rstrip("/")
    assert store.sync_settings()["server_url"] == settings["server_url"]


def test_a_mistyped_code_is_refused_before_anything_is_sent(make_store, live):
    store = make_store("one")
    with pytest.raises(MistypedEnrollmentCode):
        SyncClient(store).enroll(live.url, "K7QP-3MZD")
    assert store.sync_settings() is None


def test_sync_enroll_command_accepts_an_address_without_a_scheme_and_says_so(make_store, live, monkeypatch, capsys):
    store = make_store("one")
    directory = store.directory
    store.close()
    monkeypatch.setenv("FIELDBOOK_PASSPHRASE", "synthetic passphrase 1")  # make_store's
    host_port = live.url.split("://", 1)[1]
    assert main.main(["sync", "enroll", "--profile", str(directory), "--server", host_port,
                      "--code", live.hub.new_enroll_code("north")]) == 0
    out, err = capsys.readouterr()
    assert f"at http://{host_port}" in out
    assert f"http:// is used: http://{host_port}" in err
