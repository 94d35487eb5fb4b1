"""The server under abuse, over real HTTP on loopback, on SQLite and PostgreSQL:
bodies too large or malformed, wrong enrollment codes in a flood, a full disk, deep JSON."""
from __future__ import annotations

import errno
import http.client
import json
import logging
import sqlite3

import pytest

from sync import protocol
from sync.bundle import Identity
from sync.client import SyncClient
from sync.errors import EnrollmentThrottled, ServerUnreachable
from sync.server.hub import core as hub_clock
from sync.server.db import Database
from sync_helpers import LiveServer, make_hub

CANARY = "Канарка-Синтетична-0671234567"


def _conn(live, timeout: float = 10) -> http.client.HTTPConnection:
    host, port = live.url.rsplit("/", 1)[1].split(":")
    return http.client.HTTPConnection(host, int(port), timeout=timeout)


def post(live, path: str, body: bytes, content_type: str = "application/json") -> tuple[int, dict, dict]:
    conn = _conn(live)
    conn.request("POST", path, body=body, headers={"Content-Type": content_type})
    resp = conn.getresponse()
    raw = resp.read()
    headers = dict(resp.getheaders())
    conn.close()
    assert resp.getheader("Content-Type", "").startswith("application/json"), (resp.status, raw[:200])
    return resp.status, json.loads(raw), headers


def enroll_body(code: str, device_id: str = "0123456789abcdef", **extra) -> bytes:
    keys = Identity.generate().public().to_json()
    cid, mac_key = protocol.code_keys(code)
    return json.dumps({"v": 1, "device_id": device_id, "code_id": cid, "keys": keys,
                       "mac": protocol.enroll_request_mac(mac_key, device_id, keys), **extra}).encode()


def is_problem(body: dict) -> bool:
    return set(body) >= {"error", "message"} and isinstance(body["message"], str)


# --- item 7: every body has a limit, checked before it is read ---------------------------------
@pytest.mark.parametrize("path", ["/v1/enroll", "/v1/sync", "/v1/forward", "/v1/no-such-endpoint"])
def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(live, path):
    conn = _conn(live, timeout=10)
    conn.putrequest("POST", path)
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(300 * 1024 * 1024))
    conn.endheaders()
    conn.send(b'{"v": 1, "pad": "')  # then nothing: a server that waited for the body would time out
    resp = conn.getresponse()
    body = json.loads(resp.read())
    conn.close()
    assert resp.status == 413 and is_problem(body)
    assert body["error"] == ("BundleTooLarge" if path in ("/v1/sync", "/v1/forward") else "RequestTooLarge")


@pytest.mark.parametrize("path", ["/v1/enroll", "/v1/sync"])
def test_a_chunked_body_is_cut_off_at_the_limit(live, path):
    conn = _conn(live, timeout=30)
    conn.putrequest("POST", path)
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    piece = b"x" * 65536
    limit = protocol.MAX_ENROLL_BYTES if path == "/v1/enroll" else live.hub.settings.max_bundle_bytes
    sent = 0
    try:
        while sent <= limit + len(piece):
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed once the limit was passed
    resp = conn.getresponse()
    body = json.loads(resp.read())
    conn.close()
    assert resp.status == 413 and is_problem(body)


@pytest.mark.parametrize("body", [
    b'{"v": 1, "device_id": "\xff\xfe' + CANARY.encode() + b'"}',       # not UTF-8
    b'{"v": NaN, "device_id": "' + CANARY.encode() + b'"}',              # NaN is not JSON
    b'{"v": 1, "device_id": ' + b"[" * 3000 + b"]" * 3000 + b"}",        # nested too deeply
    b'["' + CANARY.encode() + b'"]',                                      # not an object
    CANARY.encode(),                                                      # not JSON at all
    b"",
])
def test_malformed_enrollment_bodies_get_a_400_in_the_error_format_and_are_never_logged(live, body, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    status, answer, _ = post(live, "/v1/enroll", body)
    assert 400 <= status < 500 and is_problem(answer)
    assert CANARY not in json.dumps(answer, ensure_ascii=False)
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert CANARY not in logged and "Traceback" not in logged
    assert live.hub.devices() == []


def test_unknown_routes_and_methods_answer_in_the_error_format(live):
    status, body, _ = post(live, "/v1/nothing-here", b"{}")
    assert status == 404 and is_problem(body)
    conn = _conn(live)
    conn.request("GET", "/v1/enroll")
    resp = conn.getresponse()
    assert resp.status == 405 and is_problem(json.loads(resp.read()))
    conn.close()


# --- item 8: refused enrollments are recorded, slowed, locked out -------------------------------
class Clock:
    def __init__(self, monkeypatch):
        self.now = hub_clock.now_ms()
        monkeypatch.setattr(hub_clock, "now_ms", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1000)


def wrong(live, n: int = 1) -> list[tuple[int, dict, dict]]:
    return [post(live, "/v1/enroll", enroll_body(protocol.new_enroll_code(), f"{i:016x}")) for i in range(n)]


def test_refusals_are_recorded_in_their_own_transaction(live):
    status, body, _ = wrong(live)[0]
    assert status == 400 and body["error"] == "EnrollmentRefused"
    log = live.hub.enroll_log()
    assert [(e["event"], e["detail"], e["source"]) for e in log] == [("enroll_refused", "unknown code", "127.0.0.1")]
    used = live.hub.new_enroll_code("north")
    assert post(live, "/v1/enroll", enroll_body(used, "00000000000000aa"))[0] == 200
    assert post(live, "/v1/enroll", enroll_body(used, "00000000000000bb"))[0] == 400
    assert [e["detail"] for e in live.hub.enroll_log() if e["event"] == "enroll_refused"] == ["unknown code", "code reused"]
    assert live.hub.enroll_sources()[0]["refusals"] == 1  # the success reset the count; the reuse is one


def test_wrong_codes_are_slowed_then_locked_out_and_the_lockout_expires(live, monkeypatch):
    clock = Clock(monkeypatch)
    st = live.hub.settings
    # The first few refusals are free: a person mistyping.
    assert [s for s, _, _ in wrong(live, st.enroll_free_failures + 1)] == [400] * (st.enroll_free_failures + 1)
    status, body, headers = wrong(live)[0]
    assert status == 429 and body["error"] == "EnrollmentThrottled" and headers["retry-after"] == "2"
    # Even the right code waits: the server checks nothing from this address until then.
    good = live.hub.new_enroll_code("north")
    assert post(live, "/v1/enroll", enroll_body(good, "00000000000000aa"))[0] == 429
    waits = []
    for n in range(st.enroll_free_failures + 2, st.enroll_lockout_failures + 1):
        clock.advance(body["retry_after"])
        assert wrong(live)[0][0] == 400  # checked (and refused) once the wait is over
        status, body, headers = wrong(live)[0]
        assert status == 429 and headers["retry-after"] == str(body["retry_after"])
        waits.append(body["retry_after"])
    assert waits == [4, 8, 16, 32, 60, st.enroll_lockout_s]
    assert "stopped checking codes" in body["message"]
    (src,) = live.hub.enroll_sources()
    assert src["source"] == "127.0.0.1" and src["refusals"] == st.enroll_lockout_failures and src["locked_out"]
    assert [e["event"] for e in live.hub.enroll_log()][-1] == "enroll_locked_out"
    clock.advance(st.enroll_lockout_s - 1)
    assert wrong(live)[0][0] == 429
    clock.advance(1)
    assert post(live, "/v1/enroll", enroll_body(good, "00000000000000aa"))[0] == 200  # the lockout is over
    assert live.hub.enroll_sources() == []


def test_the_count_is_shared_by_every_server_process_on_one_database(live, monkeypatch):
    Clock(monkeypatch)
    settings = live.hub.settings
    other = make_hub(settings.data_dir, settings.db_url)
    try:
        with LiveServer(other) as second:
            servers = [live, second]
            statuses = [post(servers[i % 2], "/v1/enroll", enroll_body(protocol.new_enroll_code(), f"{i:016x}"))[0]
                        for i in range(settings.enroll_free_failures + 2)]
            assert statuses == [400] * (settings.enroll_free_failures + 1) + [429]
            assert wrong(second)[0][0] == 429 and wrong(live)[0][0] == 429
    finally:
        other.close()


def test_the_admin_sees_refusals_and_can_unlock_an_address(live, cli, monkeypatch):
    wrong(live, 2)
    if live.hub.settings.db_url:
        args = ["--data", str(live.hub.settings.data_dir), "--db", live.hub.settings.db_url]
    else:
        args = ["--data", str(live.hub.settings.data_dir)]
    r = cli("server", "enroll-log", *args)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(e["event"], e["source"]) for e in lines] == [("enroll_refused", "127.0.0.1")] * 2
    r = cli("server", "enroll-log", "--sources", *args)
    (src,) = [json.loads(line) for line in r.stdout.splitlines()]
    assert src["source"] == "127.0.0.1" and src["refusals"] == 2 and not src["locked_out"]
    r = cli("server", "enroll-unlock", *args, "127.0.0.1")
    assert r.returncode == 0 and live.hub.enroll_sources() == []
    r = cli("server", "enroll-unlock", *args, "10.9.9.9")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "10.9.9.9" in r.stderr


def test_a_laptop_is_told_to_wait_in_words(make_store, live):
    for _ in range(live.hub.settings.enroll_free_failures + 1):
        wrong(live)
    laptop = SyncClient(make_store("a"))
    with pytest.raises(EnrollmentThrottled, match="try again in 2 seconds") as info:
        laptop.enroll(live.url, live.hub.new_enroll_code("north"))
    assert info.value.retry_after_s == 2 and not info.value.locked and laptop.store.sync_settings() is None


# --- item 9: a full disk, deep input --------------------------------------------------------
def _disk_full_errors(db_url):
    errors = [OSError(errno.ENOSPC, "No space left on device")]
    if db_url:
        import psycopg

        errors.append(psycopg.errors.DiskFull("could not extend file: No space left on device"))
    else:
        errors.append(sqlite3.OperationalError("database or disk is full"))
    return errors


def test_a_full_disk_is_a_json_507_and_changes_nothing(make_store, live, monkeypatch):
    a = SyncClient(make_store("a"))
    a.enroll(live.url, live.hub.new_enroll_code("north"))
    rid = a.store.save_record("household", {"head_name": CANARY, "members": 3})
    real = Database.executemany
    for error in _disk_full_errors(live.hub.settings.db_url):
        def full(self, sql, rows, error=error):
            raise error
        monkeypatch.setattr(Database, "executemany", full)
        with pytest.raises(ServerUnreachable, match="HTTP 507"):
            a.sync_now()
        data, _ = a._request_bundle(a.identity(), a.settings(), [c.to_json() for c in a.store.pending_changes()], 0, 10, 1)
        status, body, _ = post(live, "/v1/sync", data, "application/octet-stream")
        assert status == 507 and body["error"] == "DatabaseFull" and "disk is full" in body["message"]
        assert live.hub.records() == {} and a.store.pending_count() == 1
    monkeypatch.setattr(Database, "executemany", real)
    assert a.sync_now().pushed == 1 and list(live.hub.records()) == [rid]


def test_a_full_disk_during_enrollment_is_a_json_507(live, monkeypatch):
    real = Database.execute

    def full(self, sql, args=()):
        if sql.startswith("INSERT INTO devices"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, sql, args)
    monkeypatch.setattr(Database, "execute", full)
    status, body, _ = post(live, "/v1/enroll", enroll_body(live.hub.new_enroll_code("north")))
    assert status == 507 and body["error"] == "DatabaseFull"
    monkeypatch.setattr(Database, "execute", real)
    assert live.hub.devices() == []


def test_deep_values_in_a_push_are_refused_as_invalid_input(make_store, live):
    from sync.bundle import seal

    a = SyncClient(make_store("a"))
    a.enroll(live.url, live.hub.new_enroll_code("north"))
    settings = a.settings()
    change = {"device_id": a.store.device_id, "seq": 1, "record_id": "01a20542-09bf-724b-97fd-1da04e1a263b",
              "kind": "household", "form_id": None, "form_version": None, "hlc": "01a2054209bf0000", "deleted": False,
              "bases": {}, "fields": {"x": "DEEP"}}
    request = {"v": 1, "type": "sync", "device_id": a.store.device_id, "cursor": 0, "limit": 10,
               "hlc": "0000000000000000", "forms": {}, "changes": [change]}
    for depth in (protocol.MAX_VALUE_DEPTH + 1, 300, 10_000):
        # Spliced in as text: no JSON writer goes 10,000 levels deep.
        payload = json.dumps(request).encode().replace(b'"DEEP"', b"[" * depth + b"1" + b"]" * depth)
        data = seal(payload, sender=a.identity(), sender_id=a.store.device_id, recipient=a._pinned(settings),
                    recipient_id=settings["server_id"], kind="sync")
        status, body, _ = post(live, "/v1/sync", data, "application/octet-stream")
        assert status == 400 and body["error"] == "ProtocolError" and "nested" in body["message"], (depth, body)
    assert live.hub.records() == {}
    ok = payload.replace(b"[" * depth + b"1" + b"]" * depth, b"[" * protocol.MAX_VALUE_DEPTH + b"1" + b"]" * protocol.MAX_VALUE_DEPTH)
    data = seal(ok, sender=a.identity(), sender_id=a.store.device_id, recipient=a._pinned(settings),
                recipient_id=settings["server_id"], kind="sync")
    conn = _conn(live)
    conn.request("POST", "/v1/sync", body=data, headers={"Content-Type": "application/octet-stream"})
    assert conn.getresponse().status == 200  # the limit itself is fine
    conn.close()
    assert list(live.hub.records()) == [change["record_id"]]


def test_the_client_refuses_deep_json_from_a_server_as_invalid(make_store):
    """A hostile or broken server answering 10,000 levels deep: typed errors, no RecursionError."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from sync.client import HttpTransport
    from sync.errors import ServerUnreachable, SyncError

    deep = b"[" * 10_000 + b"]" * 10_000

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(deep)))
            self.end_headers()
            self.wfile.write(deep)

        def do_GET(self):
            self._answer(200)

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._answer(400 if self.path.endswith("/enroll") else 200)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        transport = HttpTransport(url, timeout=10)
        with pytest.raises(protocol.ProtocolError, match="nested too deeply"):
            transport.health()
        with pytest.raises(protocol.ProtocolError, match="nested too deeply"):
            transport.forward(b"x")
        laptop = SyncClient(make_store("a"))
        with pytest.raises(SyncError) as info:  # the error body is unreadable: the status alone speaks
            laptop.enroll(url, protocol.new_enroll_code())
        assert isinstance(info.value, ServerUnreachable) and "HTTP 400" in str(info.value)
        assert laptop.store.sync_settings() is None
    finally:
        server.shutdown()
        server.server_close()
