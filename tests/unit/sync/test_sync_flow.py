"""Laptops and the hub, through the hub's service in-process (the HTTP tier is in tests/integration)."""
from __future__ import annotations

import pytest

from storage.errors import StorageError
from sync.errors import (
    BundleReplayed,
    DeviceRevoked,
    EnrollmentRefused,
    NotEnrolled,
    ServerUnreachable,
    WrongRecipient,
)
from sync.client import SyncClient


def fields(client):
    return {r.id: (r.deleted, r.fields) for r in client.store.list_records(include_deleted=True)}


def test_push_then_pull_reaches_the_other_laptop(laptops, hub):
    a, b = laptops("a"), laptops("b")
    rid = a.store.save_record("household", {"head_name": "Оксана Синтетична", "members": 4}, form_id="hh", form_version="2")
    r = a.sync_now()
    assert (r.pushed, r.pulled) == (1, 0)
    assert a.store.pending_count() == 0
    r = b.sync_now()
    assert (r.pushed, r.pulled) == (0, 1)
    got = b.store.get_record(rid)
    assert got.fields == {"head_name": "Оксана Синтетична", "members": 4} and got.form_version == "2"
    assert hub.records()[rid]["fields"] == got.fields
    again = b.sync_now()
    assert (again.pushed, again.pulled) == (0, 0)


def test_two_teams_edit_different_fields_offline_and_converge(laptops, hub):
    a, b = laptops("a"), laptops("b")
    rid = a.store.save_record("household", {"members": 4, "phone": "0670001122"})
    a.sync_now(); b.sync_now()
    a.store.edit_record(rid, {"members": 5})
    b.store.edit_record(rid, {"phone": "0670003344"})
    a.sync_now(); b.sync_now(); a.sync_now()
    assert fields(a) == fields(b) == {rid: (False, {"members": 5, "phone": "0670003344"})}
    assert hub.records()[rid]["fields"] == {"members": 5, "phone": "0670003344"}
    assert hub.conflicts() == [] and a.store.conflicts() == [] and b.store.conflicts() == []


def test_same_field_same_winner_everywhere_loser_in_conflicts(laptops, hub):
    a, b = laptops("a"), laptops("b")
    rid = a.store.save_record("household", {"members": 4})
    a.sync_now(); b.sync_now()
    a.store.edit_record(rid, {"members": 5})
    b.store.edit_record(rid, {"members": 6})
    a.sync_now(); b.sync_now(); a.sync_now()
    winner = hub.records()[rid]["fields"]["members"]
    assert fields(a) == fields(b) == {rid: (False, {"members": winner})}
    loser = ({5, 6} - {winner}).pop()
    assert [c["value"] for c in hub.conflicts()] == [loser]
    assert [c.value for c in a.store.conflicts()] == [loser]
    assert [c.value for c in b.store.conflicts()] == [loser]


def test_pull_is_scoped_to_the_team(laptops, hub):
    a, other = laptops("a", "team-a"), laptops("x", "team-b")
    a.store.save_record("household", {"members": 1})
    a.sync_now()
    other.sync_now()
    assert fields(other) == {}


def test_a_device_cannot_write_another_teams_record(laptops, hub):
    a, other = laptops("a", "team-a"), laptops("x", "team-b")
    rid = a.store.save_record("household", {"members": 1})
    a.sync_now()
    # The other team's laptop somehow holds the record (say, from an old export) and edits it.
    stolen = [c.to_json() for c in a.store.pending_changes()]  # nothing pending; build one by hand
    assert stolen == []
    other.store.apply_changes([{"device_id": a.store.device_id, "seq": 1, "record_id": rid, "kind": "household",
                                "form_id": None, "form_version": None, "hlc": "0000000000000001", "deleted": False,
                                "fields": {"members": 1}, "bases": {}}], merge=__import__("sync.merge").merge.merge_change)
    other.store.edit_record(rid, {"members": 99})
    r = other.sync_now()
    assert len(r.refused) == 1
    assert hub.records()[rid]["fields"] == {"members": 1}


def test_enrollment_codes_are_one_time_and_expire(make_store, hub, laptops):
    code = hub.new_enroll_code("team-a")
    first = SyncClient(make_store("one"), transport=laptops.transport)
    first.enroll("http://hub.test", code)
    second = SyncClient(make_store("two"), transport=laptops.transport)
    with pytest.raises(EnrollmentRefused, match="already used"):
        second.enroll("http://hub.test", code)
    expired = hub.new_enroll_code("team-a", ttl_s=-1)
    with pytest.raises(EnrollmentRefused, match="expired"):
        second.enroll("http://hub.test", expired)
    with pytest.raises(EnrollmentRefused, match="not known"):
        second.enroll("http://hub.test", "ABCD-EFGH-JKMN-PQRS")
    assert second.store.sync_settings() is None


def test_not_enrolled_says_how(store):
    with pytest.raises(NotEnrolled, match="sync enroll"):
        SyncClient(store).sync_now()


def test_revoked_device_is_refused_and_wiped_when_told(laptops, hub):
    a, b = laptops("a"), laptops("b")
    a.store.save_record("household", {"members": 1})
    hub.revoke(a.store.device_id)
    with pytest.raises(DeviceRevoked, match="can no longer sync"):
        a.sync_now()
    assert a.store.count_records() == 1  # revoked without --wipe: data stays
    hub.revoke(b.store.device_id, wipe=True)
    directory = b.store.directory
    with pytest.raises(DeviceRevoked, match="erased"):
        b.sync_now()
    from storage import Store

    with pytest.raises(StorageError):
        Store.open(directory)


def test_usb_round_trip_and_reimport(laptops, hub, tmp_path):
    a, b = laptops("a"), laptops("b")
    rid = a.store.save_record("household", {"members": 3})
    assert a.export_bundle(tmp_path / "a.fbb") == 1
    from sync.client import read_bundle_file

    result, _ = hub.receive(read_bundle_file(tmp_path / "a.fbb"))
    assert result.new == 1
    with pytest.raises(BundleReplayed):
        hub.receive(read_bundle_file(tmp_path / "a.fbb"))
    assert hub.records()[rid]["fields"] == {"members": 3}
    data, _ = hub.reply_bundle(b.store.device_id)
    (tmp_path / "b.fbb").write_bytes(data)
    got = b.import_bundle(tmp_path / "b.fbb")
    assert (got.kind, got.new) == ("applied", 1)
    with pytest.raises(BundleReplayed):
        b.import_bundle(tmp_path / "b.fbb")
    # a's return bundle acknowledges its change
    data, _ = hub.reply_bundle(a.store.device_id)
    (tmp_path / "a-back.fbb").write_bytes(data)
    assert a.import_bundle(tmp_path / "a-back.fbb").acked == 1
    assert a.store.pending_count() == 0
    # a bundle for b cannot be applied by a
    with pytest.raises(WrongRecipient):
        a.import_bundle(tmp_path / "b.fbb")


def test_store_and_forward(laptops, hub, tmp_path):
    a, carrier = laptops("a"), laptops("carrier")
    rid = a.store.save_record("household", {"members": 7})
    a.export_bundle(tmp_path / "a.fbb")
    got = carrier.import_bundle(tmp_path / "a.fbb")
    assert got.kind == "forward"
    assert fields(carrier) == {}  # it cannot read it
    r = carrier.sync_now()
    assert r.forwarded == 1 and r.pulled == 1
    assert hub.records()[rid]["fields"] == {"members": 7}
    assert carrier.store.forward_queue() == []


def test_server_gone_is_an_ordinary_event(laptops):
    a = laptops("a")
    a.store.save_record("household", {"members": 1})
    laptops.transport.down = True
    with pytest.raises(ServerUnreachable):
        a.sync_now()
    assert a.store.pending_count() == 1
    laptops.transport.down = False
    assert a.sync_now().pushed == 1


def test_clock_far_ahead_is_held_back_and_said(laptops, hub):
    a, b = laptops("a"), laptops("b")
    a.store.save_record("household", {"members": 1})
    real = a.store.clock._now_ms
    a.store.clock._now_ms = lambda: real() + 48 * 3600 * 1000  # the laptop's date is two days ahead
    a.store.save_record("household", {"members": 2})
    r = a.sync_now()
    assert r.pushed == 1 and "ahead" in r.warning
    assert a.store.pending_count() == 1
    b.sync_now()
    assert len(fields(b)) == 1


def test_a_revoked_laptops_usb_bundle_is_refused(laptops, hub, tmp_path):
    from sync.client import read_bundle_file

    a = laptops("a")
    a.store.save_record("household", {"members": 1})
    a.export_bundle(tmp_path / "a.fbb")
    hub.revoke(a.store.device_id)
    with pytest.raises(DeviceRevoked, match="revoked"):
        hub.receive(read_bundle_file(tmp_path / "a.fbb"))
    assert hub.records() == {}


def test_a_revoked_laptops_bundle_carried_by_another_is_reported_refused_not_forwarded(laptops, hub, tmp_path):
    a, carrier = laptops("a"), laptops("carrier")
    rid = a.store.save_record("household", {"members": 7})
    a.export_bundle(tmp_path / "a.fbb")
    assert carrier.import_bundle(tmp_path / "a.fbb").kind == "forward"
    hub.revoke(a.store.device_id, wipe=True)
    r = carrier.sync_now()
    assert r.forwarded == 0
    assert r.forward_refused == [{"bundle_id": r.forward_refused[0]["bundle_id"], "device_id": a.store.device_id,
                                  "reason": "the laptop that made it was revoked at the hub"}]
    assert r.to_json()["forwarded"] == 0 and r.to_json()["forward_refused"] == 1
    assert carrier.store.forward_queue() == []  # refused for good: not carried again
    assert rid not in hub.records()
    carrier.store.save_record("household", {"members": 1})  # the carrier itself was not told to erase anything
    assert carrier.sync_now().pushed == 1
