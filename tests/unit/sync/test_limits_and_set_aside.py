"""One set of limits for the store and the server (rules/limits.py), and changes the server
refuses for good set aside so that the rest flows (issue: one oversized record blocked
every sync)."""
from __future__ import annotations

import types

import pytest

import storage.values as store_module
from rules import limits, names
from storage.errors import InvalidRecord
from sync import protocol


def _wide(n: int) -> dict:
    return {f"q{i}": i for i in range(n)}


def test_the_store_refuses_at_save_time_what_the_server_would_refuse(store):
    with pytest.raises(InvalidRecord, match="at most 2,000 fields"):
        store.save_record("household", _wide(limits.MAX_FIELDS + 1))
    rid = store.save_record("household", _wide(limits.MAX_FIELDS))  # exactly the limit is fine
    with pytest.raises(InvalidRecord, match="at most 2,000 fields"):
        store.edit_record(rid, _wide(limits.MAX_FIELDS + 1))
    with pytest.raises(InvalidRecord, match="MiB"):
        store.save_record("household", {"photo": "x" * (limits.MAX_CHANGE_BYTES + 1)})
    with pytest.raises(InvalidRecord, match="form id"):
        store.save_record("household", {"a": 1}, form_id="f" * (limits.MAX_FORM_REF + 1))
    assert store.pending_count() == 1 and store.count_records() == 1  # nothing else was written


def test_the_store_and_the_server_use_the_same_numbers():
    assert protocol.MAX_FIELDS == limits.MAX_FIELDS
    assert store_module._NAME is names.FIELD_NAME
    assert store_module._KIND is names.KIND


@pytest.fixture
def lax_store(monkeypatch):
    """A profile whose store took an oversized record (as one made by an older Fieldbook did)."""
    lax = types.SimpleNamespace(**{k: getattr(limits, k) for k in dir(limits) if not k.startswith("__")})
    lax.too_many_fields = lambda n: None
    monkeypatch.setattr(store_module, "limits", lax)


def test_a_change_the_server_refuses_for_good_is_set_aside_and_the_rest_flows(laptops, hub, lax_store):
    a, b = laptops("a"), laptops("b")
    first = a.store.save_record("household", {"members": 1})
    big = a.store.save_record("household", {**_wide(limits.MAX_FIELDS + 1), "head_name": "Канарка Синтетична"})
    after = [a.store.save_record("household", {"members": n}) for n in (2, 3)]
    r = a.sync_now()
    assert r.pushed == 4 and len(r.refused) == 1 and r.warning_code == "set_aside"
    assert a.store.pending_count() == 0
    b.sync_now()
    assert {rec.id for rec in b.store.list_records()} == {first, *after}
    assert big not in hub.records()
    listed = a.store.set_aside()
    assert [(e["record_id"], e["fields"]) for e in listed] == [(big, limits.MAX_FIELDS + 2)]
    assert "2,000 fields" in listed[0]["reason"]
    assert "Канарка" not in repr(listed)  # the listing carries counts, never values
    assert a.store.set_aside(values=True)[0]["fields"]["head_name"] == "Канарка Синтетична"
    assert a.store.set_aside_count() == 1
    # The record stays on the laptop as it was saved; nothing is lost.
    assert a.store.get_record(big).fields["head_name"] == "Канарка Синтетична"
    assert a.store.verify().ok
    # Later changes keep flowing, and a second sync sets nothing aside twice.
    a.store.edit_record(first, {"members": 9})
    r = a.sync_now()
    assert (r.pushed, r.refused) == (1, []) and a.store.set_aside_count() == 1


def test_the_server_refuses_one_oversized_change_alone_not_the_whole_push(hub, laptops):
    a = laptops("a")
    bad = {"device_id": a.store.device_id, "seq": 1, "record_id": "01a20542-09bf-724b-97fd-1da04e1a263b",
           "kind": "household", "form_id": None, "form_version": None, "hlc": "0000000000010000", "deleted": False,
           "fields": _wide(limits.MAX_FIELDS + 1), "bases": {}}
    good = {**bad, "seq": 2, "record_id": "01a20542-09bf-724b-97fd-1da04e1a263c", "fields": {"members": 1}}
    result = hub.push(a.store.device_id, "team-a", [protocol.check_change(bad, "test"), protocol.check_change(good, "test")])
    assert result.acked == 2 and result.new == 1
    assert [r["seq"] for r in result.refused] == [1] and "2,000" in result.refused[0]["reason"]
    assert set(hub.records()) == {good["record_id"]}


def test_a_refusal_of_a_change_sent_by_usb_reaches_the_laptop_in_its_return_bundle(laptops, hub, lax_store, tmp_path):
    from sync.client import read_bundle_file

    a = laptops("a")
    big = a.store.save_record("household", _wide(limits.MAX_FIELDS + 1))
    ok = a.store.save_record("household", {"members": 1})
    a.export_bundle(tmp_path / "a.fbb")
    result, _ = hub.receive(read_bundle_file(tmp_path / "a.fbb"))
    assert (result.acked, [r["seq"] for r in result.refused]) == (2, [1])
    data, _ = hub.reply_bundle(a.store.device_id)
    (tmp_path / "back.fbb").write_bytes(data)
    a.import_bundle(tmp_path / "back.fbb")
    assert a.store.pending_count() == 0
    assert [e["record_id"] for e in a.store.set_aside()] == [big] and ok in hub.records()
    # Later replies repeat the refusal; it is kept once and not reported again.
    r = a.sync_now()
    assert r.refused == [] and r.warning_code == "" and a.store.set_aside_count() == 1
