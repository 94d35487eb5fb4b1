"""Property: any number of replicas, random edits, deletes and sync orders (HTTP-style
round trips, USB bundles both ways, and store-and-forward) converge to one state on
every laptop and on the server, and no write is lost without being kept as a conflict.
"""
from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings, strategies as st

from storage import Store, crypto
from sync.client import SyncClient, read_bundle_file
from sync.errors import BundleReplayed
from sync_helpers import HubTransport, make_hub

FIELDS = ("members", "phone")
N = 3

edit = st.tuples(st.just("edit"), st.integers(0, N - 1), st.integers(0, 5), st.sampled_from(FIELDS), st.integers(0, 9))
op = st.one_of(
    st.tuples(st.just("add"), st.integers(0, N - 1), st.sampled_from(FIELDS), st.integers(0, 9)),
    edit, edit, edit,
    st.tuples(st.just("delete"), st.integers(0, N - 1), st.integers(0, 5)),
    st.tuples(st.just("sync"), st.integers(0, N - 1)),
    st.tuples(st.just("usb"), st.integers(0, N - 1)),
    st.tuples(st.just("forward"), st.integers(0, N - 1), st.integers(0, N - 1)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(op, min_size=4, max_size=40))
def test_replicas_converge_and_nothing_is_lost_silently(tmp_path_factory, ops):
    base = tmp_path_factory.mktemp("conv")
    hub = make_hub(base / "hub")
    transport = HubTransport(hub)
    laptops = []
    for i in range(N):
        store, _ = Store.create(base / f"p{i}", user="Enumerator", passphrase="synthetic passphrase", kdf=crypto.fast_kdf_for_tests())
        client = SyncClient(store, transport=transport)
        client.enroll("http://hub.test", hub.new_enroll_code("team"))
        laptops.append(client)
    written: dict[tuple[str, str], set] = {}  # (record, field) -> every value ever written
    counter = itertools.count()
    unique = itertools.count(1)
    # Two records everyone holds, so concurrent edits of one field are common.
    for _ in range(2):
        value = next(unique)
        rid = laptops[0].store.save_record("household", {"members": value})
        written[(rid, "members")] = {value}
    for c in laptops:
        c.sync_now()
    try:
        for step in ops:
            kind = step[0]
            if kind == "add":
                _, i, name, _ = step
                value = next(unique)  # every write its own value, so a value names its write
                rid = laptops[i].store.save_record("household", {name: value})
                written.setdefault((rid, name), set()).add(value)
            elif kind == "edit":
                _, i, pick, name, _ = step
                value = next(unique)
                live = [r.id for r in laptops[i].store.list_records()]
                if live:
                    rid = live[pick % len(live)]
                    laptops[i].store.edit_record(rid, {name: value})
                    written.setdefault((rid, name), set()).add(value)
            elif kind == "delete":
                _, i, pick = step
                live = [r.id for r in laptops[i].store.list_records()]
                if live:
                    laptops[i].store.delete_record(live[pick % len(live)])
            elif kind == "sync":
                laptops[step[1]].sync_now()
            elif kind == "usb":
                c = laptops[step[1]]
                path = base / f"usb{next(counter)}.fbb"
                c.export_bundle(path)
                try:
                    hub.receive(read_bundle_file(path))
                except BundleReplayed:
                    pass
                back = base / f"back{next(counter)}.fbb"
                data, _ = hub.reply_bundle(c.store.device_id, limit=100_000)
                back.write_bytes(data)
                c.import_bundle(back)
            elif kind == "forward":
                _, i, j = step
                if i != j:
                    path = base / f"fwd{next(counter)}.fbb"
                    laptops[i].export_bundle(path)
                    laptops[j].import_bundle(path)
        # Quiesce: everyone syncs until nothing moves (forwarded bundles first reach the hub).
        for _ in range(3):
            for c in laptops:
                c.sync_now()
        server = {rid: (r["deleted"], r["fields"]) for rid, r in hub.records().items()}
        for c in laptops:
            mine = {r.id: (r.deleted, r.fields) for r in c.store.list_records(include_deleted=True)}
            assert mine == server
            assert c.store.pending_count() == 0
        # Every value ever written is the current value, or was superseded causally
        # on its own writer, or sits in the server's conflicts list.
        lost = {(c["record_id"], c["field"], repr(c["value"])) for c in hub.conflicts()}

        for (rid, name), values in written.items():
            deleted, current = server[rid]
            for value in values:
                if not deleted and current.get(name) == value:
                    continue
                if (rid, name, repr(value)) in lost:
                    continue
                # Overwritten by a write that had seen it, or removed by a delete that had:
                # that is the writer's own history, not a loss. Check the server's log knows
                # a later write of this field (or a delete) whose writer saw this value.
                assert _superseded_causally(hub, rid, name, value), (rid, name, value)
    finally:
        for c in laptops:
            c.store.close()
        hub.close()


def _superseded_causally(hub, rid, name, value) -> bool:
    import orjson

    rows = hub.db.execute("SELECT device_id, seq, hlc, deleted, bases, body FROM changes WHERE record_id = ? ORDER BY hlc", (rid,))
    stamps_with_value = set()
    for dev, seq, h, deleted, bases, body in rows:
        fields = orjson.loads(hub._sealer.open(f"change|{dev}|{seq}", body))
        if fields.get(name) == value:
            stamps_with_value.add(f"{h}@{dev}")
    for dev, seq, h, deleted, bases, body in rows:
        b = orjson.loads(bases) if bases else {}
        if b.get(name) in stamps_with_value:
            return True
    return False
