"""The rules every replica shares live once, in rules/ (issue 14, item 2): names and kinds,
local kinds, limits, the sealed-value envelope and the change validator. The store, the
protocol and the server use those objects themselves, not copies that could drift."""
from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import storage
from rules import changes, envelope, names
from storage import crypto, replica
from storage import store as store_module
from storage.errors import InvalidRecord
from sync import protocol
from sync.server.hub import keys as hub_keys

GOOD = {"device_id": "0f0e0d0c0b0a0908", "seq": 3, "record_id": "0190f0c2-3b4a-7c1d-9e2f-0123456789ab",
        "kind": "household", "hlc": "0000018f00000000", "fields": {"members": 2}}


def test_names_and_local_kinds_are_one_definition():
    assert storage.LOCAL_KINDS is protocol.LOCAL_KINDS is names.LOCAL_KINDS
    assert store_module.is_local_kind is names.is_local_kind
    assert store_module._NAME is names.FIELD_NAME and store_module._KIND is names.KIND
    assert store_module.DELETED == names.DELETED
    assert protocol.too_deep is changes.too_deep and protocol.RESOLUTIONS is changes.RESOLUTIONS


@pytest.mark.parametrize("bad", [
    {"seq": 0}, {"device_id": "bad id!"}, {"record_id": "nope"}, {"kind": "Bad"}, {"hlc": "xyz"},
    {"form_id": "f" * 201}, {"deleted": "yes"}, {"fields": {"1bad": 1}}, {"fields": []},
    {"fields": {"deep": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}},
    {"bases": {"a": "not a stamp"}}, {"resolves": [{"field": "a", "stamp": "x", "resolution": "kept"}]},
    {"author": ""},
])
def test_the_store_and_the_protocol_refuse_the_same_changes(bad):
    change = {**GOOD, **bad}
    with pytest.raises(changes.InvalidChange) as rule:
        changes.check_change(change)
    with pytest.raises(InvalidRecord) as by_store:
        replica.check_change(change)
    with pytest.raises(protocol.ProtocolError) as by_protocol:
        protocol.check_change(change, "sync request")
    assert str(by_store.value) == str(rule.value)
    with pytest.raises(changes.InvalidChange) as rule_in_message:
        changes.check_change(change, "sync request")
    assert str(by_protocol.value) == str(rule_in_message.value)


def test_a_good_change_is_normalised_the_same_way_by_both():
    assert replica.check_change(GOOD) == protocol.check_change(GOOD, "x") == {
        **GOOD, "form_id": None, "form_version": None, "deleted": False, "bases": {}}


def test_a_change_checked_once_is_not_checked_again_but_a_plain_copy_is():
    checked = protocol.check_change(GOOD, "server's reply")
    assert replica.check_change(checked) is checked  # the store takes the reply's check
    # A copy is a plain dict, so it is checked again.
    bad = {**checked, "fields": {"1bad": 1}}
    with pytest.raises(InvalidRecord):
        replica.check_change(bad)
    assert type(bad) is dict


def test_the_store_and_the_hub_seal_values_in_the_one_envelope():
    key = AESGCM.generate_key(bit_length=256)
    store_blob = crypto.Sealer(key).seal("record", "r1", b"value")
    hub_sealer = hub_keys.Sealer(key)
    hub_blob = hub_sealer.seal("record|r1", b"value")
    for blob in (store_blob, hub_blob):
        assert blob[0] == envelope.VERSION and len(blob) == envelope.MIN_BYTES + len(b"value")
    # The same layout: each opens with the shared code and its own place's associated data.
    assert envelope.open_sealed(AESGCM(key), store_blob, b"record|r1|1") == b"value"
    assert envelope.open_sealed(AESGCM(key), hub_blob, b"record|r1") == b"value"
    with pytest.raises(envelope.MalformedEnvelope):
        envelope.open_sealed(AESGCM(key), b"\x02" + hub_blob[1:], b"record|r1")
    with pytest.raises(InvalidTag):
        envelope.open_sealed(AESGCM(key), hub_blob, b"record|r2")


def test_a_link_that_would_close_a_loop_is_seen_on_any_replica():
    from rules import dedup

    links = {"b": "c", "c": "a", "x": None, "y": "unknown"}
    # a <- b ... keeping b and linking a to it: b -> c -> a leads back to a
    assert dedup.links_back("b", "a", links.get) is True
    assert dedup.links_back("a", "b", links.get) is False  # a has no link: the chain ends at once
    assert dedup.links_back("y", "a", links.get) is False  # a household this replica does not hold ends it
    assert dedup.links_back("b", "b", links.get) is True   # a household linked to itself
    ring = {"p": "q", "q": "p"}
    assert dedup.links_back("p", "z", ring.get) is True    # a loop elsewhere ends the walk, never spins
