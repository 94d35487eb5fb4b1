"""Deep JSON is invalid input everywhere it enters, and a log that cannot be written
(a full disk) never puts a traceback in front of the person (issue 12, item 9)."""
from __future__ import annotations

import errno
import logging

import pytest

import main
import storage.store
from storage.errors import InvalidRecord
from storage.logs import detach_profile_log
from sync import protocol
from sync.bundle import seal
from sync.client import SyncClient
from sync.protocol import ProtocolError
from sync_helpers import HubTransport

from tests.conftest import PASSPHRASE


def nested(depth: int) -> bytes:
    return b"[" * depth + b"1" + b"]" * depth


# --- deep input --------------------------------------------------------------------------------
def test_the_store_and_the_hub_hold_values_to_the_same_depth():
    assert storage.store.MAX_VALUE_DEPTH == protocol.MAX_VALUE_DEPTH


def test_the_store_refuses_at_save_time_what_the_hub_would_refuse(store):
    limit = protocol.MAX_VALUE_DEPTH
    ok = protocol.parse_json(nested(limit), "test")
    store.save_record("household", {"tree": ok})  # the limit itself is fine
    for value in (protocol.parse_json(nested(limit + 1), "test"), protocol.parse_json(nested(300), "test"),
                  {"a": protocol.parse_json(nested(limit), "test")}):
        with pytest.raises(InvalidRecord, match="levels deep"):
            store.save_record("household", {"tree": value})
    assert store.count_records("household") == 1 and store.pending_count() == 1


@pytest.mark.parametrize("depth", [protocol.MAX_VALUE_DEPTH + 1, 300, 10_000])
def test_a_reply_with_a_deep_value_is_refused_whole(depth):
    change = (b'{"device_id":"aaaaaaaaaaaaaaaa","seq":1,"record_id":"01a20542-09bf-724b-97fd-1da04e1a263b",'
              b'"kind":"household","hlc":"01a2054209bf0000","fields":{"x":%s}}' % nested(depth))
    payload = b'{"v":1,"type":"reply","acked":0,"cursor":1,"changes":[%s]}' % change
    with pytest.raises(ProtocolError, match="nested"):
        protocol.SyncReply.decode(payload)
    refused = b'{"v":1,"type":"reply","acked":0,"cursor":1,"changes":[],"refused":[{"seq":1,"reason":%s}]}' % nested(depth)
    with pytest.raises(ProtocolError):
        protocol.SyncReply.decode(refused)


def test_a_usb_reply_bundle_with_a_deep_value_is_refused_and_changes_nothing(make_store, hub, tmp_path):
    laptop = SyncClient(make_store("a"), transport=HubTransport(hub))
    laptop.enroll("http://hub", hub.new_enroll_code("north"))
    change = (b'{"device_id":"bbbbbbbbbbbbbbbb","seq":1,"record_id":"01a20542-09bf-724b-97fd-1da04e1a263b",'
              b'"kind":"household","hlc":"01a2054209bf0000","fields":{"x":%s}}' % nested(5000))
    payload = b'{"v":1,"type":"reply","acked":0,"cursor":1,"changes":[%s]}' % change
    settings = laptop.settings()
    from sync.bundle import PublicKeys

    data = seal(payload, sender=hub.keys.identity, sender_id=hub.server_id,
                recipient=laptop.identity().public(), recipient_id=laptop.store.device_id, kind="reply")
    assert PublicKeys.from_json(settings["server_keys"]).fingerprint() == hub.public_keys().fingerprint()
    (tmp_path / "reply.fbb").write_bytes(data)
    with pytest.raises(ProtocolError, match="nested"):
        laptop.import_bundle(tmp_path / "reply.fbb")
    assert laptop.store.count_records("household") == 0


def test_record_add_with_json_10000_deep_is_invalid_input_in_one_line(store, capsys, monkeypatch):
    monkeypatch.setenv("FIELDBOOK_PASSPHRASE", PASSPHRASE)
    code = main.main(["record", "add", "--profile", str(store.directory), "--kind", "household",
                      "--json", '{"x": ' + nested(10_000).decode() + "}"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "nested too deeply" in err and "internal error" not in err


def test_forms_fill_with_answers_10000_deep_is_invalid_input_in_one_line(tmp_path, capsys):
    from resources import resource_path

    forms = sorted(resource_path("forms").glob("*.xlsx"))
    answers = tmp_path / "answers.json"
    answers.write_bytes(b'{"x": ' + nested(10_000) + b"}")
    code = main.main(["forms", "fill", str(forms[0]), "--answers", str(answers)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "nested too deeply" in err


# --- a log that cannot be written ------------------------------------------------------------------
class _FullDisk:
    """A log file's stream on a full disk: every write fails as the OS would say it."""

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self) -> None:
        pass


@pytest.fixture
def full_log(monkeypatch, store):
    """The profile's log handler opens a stream on a full disk."""
    log = store.directory / "logs" / "fieldbook.log"
    log.parent.mkdir(exist_ok=True)
    log.touch()  # written before the disk filled up
    monkeypatch.setattr(logging.FileHandler, "_open", lambda self: _FullDisk())
    monkeypatch.setattr(logging, "raiseExceptions", True)  # the interpreter's default; main() decides
    monkeypatch.setenv("FIELDBOOK_PASSPHRASE", PASSPHRASE)
    yield store.directory
    detach_profile_log(store.directory)


def test_a_command_whose_log_cannot_be_written_prints_no_logging_traceback(full_log, capsys):
    code = main.main(["record", "add", "--profile", str(full_log), "--kind", "household", "--json", '{"members": 2}'])
    out, err = capsys.readouterr()
    assert code == 0 and len(out.strip()) == 36  # the new record's id: the work was done
    assert "Logging error" not in err and "Traceback" not in err and err == ""
    assert any(isinstance(h.stream, _FullDisk) for h in logging.getLogger("fieldbook").handlers
               if isinstance(h, logging.FileHandler))  # the log was attached, and failed


def test_a_failing_command_whose_log_cannot_be_written_prints_its_one_line_error(full_log, capsys, monkeypatch):
    monkeypatch.setenv("FIELDBOOK_PASSPHRASE", "not the passphrase")  # unlock fails and logs a warning
    code = main.main(["record", "list", "--profile", str(full_log)])
    err = capsys.readouterr().err
    assert code == 1 and "Logging error" not in err and err.count("\n") == 1 and err.startswith("error: ")


def test_a_server_database_from_before_the_enrollment_throttle_upgrades(tmp_path, monkeypatch):
    """Migration 0003 on a database made by migrations 0001-0002, with events in it."""
    import sqlite3

    from sync.server import db as db_module
    from sync_helpers import make_hub

    from sync.server.hub import core as hub_core

    old = [m for m in db_module.MIGRATIONS if m[0] < "0003"]
    monkeypatch.setattr(db_module, "MIGRATIONS", old)
    monkeypatch.setattr(hub_core.HubCore, "_check_keys_match", lambda self: None)  # the old code had no such check
    hub = make_hub(tmp_path / "hub")
    with hub.db.transaction():  # as the old code wrote it: no source column
        hub.db.execute("INSERT INTO events (at, device_id, event, detail) VALUES (1, NULL, 'enroll_code_created', 'north')")
    hub.close()
    monkeypatch.undo()
    hub = make_hub(tmp_path / "hub")
    try:
        assert [e["event"] for e in hub.enroll_log()] == ["enroll_code_created"]
        assert hub.enroll_log()[0]["source"] is None
        with pytest.raises(Exception, match="not known"):
            hub.enroll(protocol.parse_json(b'{"v": 1, "device_id": "0123456789abcdef", "code_id": "x", "mac": "y", '
                                           b'"keys": {"sign": "' + b"A" * 43 + b'", "box": "' + b"A" * 43 + b'"}}', "t"),
                       source="10.0.0.5")
        assert hub.enroll_sources()[0]["source"] == "10.0.0.5"
    finally:
        hub.close()
    conn = sqlite3.connect(tmp_path / "hub" / "server.db")
    applied = [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]
    assert applied == sorted(name for name, _ in db_module.MIGRATIONS)  # every later migration too
    assert applied[:5] == ["0001_initial", "0002_published_forms", "0003_conflict_resolutions", "0004_refusals",
                           "0005_enroll_throttle"]
    conn.close()
