"""Property: after deletes and concurrent edits of shared records, in any sync order, every
laptop and the server agree on each record's per-field clocks, not only on its values
(issue 19, item 5: the editing laptop kept another clock for the field it had edited)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from storage import Store, crypto
from sync.client import SyncClient
from sync.merge import DELETED, merge_change
from sync_helpers import HubTransport, make_hub

FIELDS = ("members", "phone", "note")
N = 3
RECORDS = 2

op = st.one_of(
    st.tuples(st.just("edit"), st.integers(0, N - 1), st.integers(0, RECORDS - 1), st.sampled_from(FIELDS)),
    st.tuples(st.just("delete"), st.integers(0, N - 1), st.integers(0, RECORDS - 1)),
    st.tuples(st.just("sync"), st.integers(0, N - 1)),
)


class _Rec:
    def __init__(self, fields: dict, clocks: dict) -> None:
        self.kind, self.fields, self.clocks, self.deleted = "household", fields, clocks, False


def test_an_edit_seen_before_a_delete_leaves_the_same_clocks_as_one_that_arrives_after_it():
    """The two orders a replica can see a delete and a concurrent edit in."""
    base = {"members": "0001@a", "phone": "0001@a"}
    edit = {"device_id": "b", "hlc": "0003", "fields": {"members": 5}, "bases": {"members": "0001@a"}}
    delete = {"device_id": "c", "hlc": "0002", "fields": {}, "deleted": True, "bases": dict(base)}
    first_edit, first_delete = _Rec({"members": 4, "phone": 1}, dict(base)), _Rec({"members": 4, "phone": 1}, dict(base))
    merge_change(first_edit, edit)
    merge_change(first_edit, delete)
    merge_change(first_delete, delete)
    merge_change(first_delete, edit)
    assert first_edit.deleted and first_delete.deleted
    assert first_edit.clocks == first_delete.clocks == {**base, DELETED: "0002@c"}


def test_two_deletes_leave_the_newest_deletes_clocks_whatever_their_order():
    a = {"device_id": "a", "hlc": "0002", "fields": {}, "deleted": True, "bases": {"members": "0001@a"}}
    b = {"device_id": "b", "hlc": "0003", "fields": {}, "deleted": True, "bases": {"members": "0001@a", "phone": "0001@b"}}
    one, two = _Rec({"members": 1, "phone": 2}, {"members": "0001@a", "phone": "0001@b"}), _Rec({}, {})
    two.fields, two.clocks = {"members": 1, "phone": 2}, {"members": "0001@a", "phone": "0001@b"}
    for rec, order in ((one, (a, b)), (two, (b, a))):
        for change in order:
            merge_change(rec, change)
    assert one.clocks == two.clocks == {"members": "0001@a", "phone": "0001@b", DELETED: "0003@b"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(op, min_size=3, max_size=30))
def test_every_replica_agrees_on_clocks_after_deletes_and_concurrent_edits(tmp_path_factory, ops):
    base = tmp_path_factory.mktemp("clocks")
    hub = make_hub(base / "hub")
    transport = HubTransport(hub)
    laptops = []
    for i in range(N):
        store, _ = Store.create(base / f"p{i}", user="Enumerator", passphrase="synthetic passphrase",
                                kdf=crypto.fast_kdf_for_tests())
        client = SyncClient(store, transport=transport)
        client.enroll("http://hub.test", hub.new_enroll_code("team"))
        laptops.append(client)
    try:
        ids = [laptops[0].store.save_record("household", {"members": r, "phone": f"+38067000000{r}"})
               for r in range(RECORDS)]
        for c in laptops:
            c.sync_now()
        value = 100
        for step in ops:
            if step[0] == "edit":
                _, i, r, name = step
                store = laptops[i].store
                if not store.get_record(ids[r]).deleted:
                    value += 1
                    store.edit_record(ids[r], {name: value})
            elif step[0] == "delete":
                _, i, r = step
                store = laptops[i].store
                if not store.get_record(ids[r]).deleted:
                    store.delete_record(ids[r])
            else:
                laptops[step[1]].sync_now()
        for _ in range(2):
            for c in laptops:
                c.sync_now()
        server = {rid: (r["deleted"], r["fields"], r["clocks"]) for rid, r in hub.records().items()}
        for c in laptops:
            mine = {r.id: (r.deleted, r.fields, r.clocks) for r in c.store.list_records(include_deleted=True)}
            assert mine == server
    finally:
        for c in laptops:
            c.store.close()
        hub.close()
