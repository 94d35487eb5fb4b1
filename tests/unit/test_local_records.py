"""Drafts stay on the laptop: local-only records never enter the outbox, a sync or a USB bundle.

Storage keeps them encrypted and audited like any record, but gives them no outbox
change and no sequence number, erases them outright when deleted, and skips such
changes arriving from elsewhere. Schema 0007 withdraws the drafts an older
Fieldbook had queued (tests/fixtures/stores/v5).
"""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

import storage
from storage import Store
from storage.errors import UnknownRecord
from sync import protocol
from sync.files import read_bundle_file
from sync.merge import merge_change
from tests.unit.test_privacy import CANARIES, scan

DRAFT = "draft"
FORM = {"form_id": "household_needs", "form_version": "3"}
FIXTURE_V5 = Path(__file__).resolve().parents[1] / "fixtures" / "stores" / "v5"
PASSPHRASE_V5 = "fixture passphrase v5"


def _kinds(changes) -> list[str]:
    return [c.kind if hasattr(c, "kind") else c["kind"] for c in changes]


def test_draft_is_a_local_kind_for_the_laptop_and_the_hub():
    assert storage.LOCAL_KINDS == protocol.LOCAL_KINDS == {DRAFT, "draft_file"}
    assert storage.is_local_kind(DRAFT) and not storage.is_local_kind("submission")


def test_saving_editing_and_deleting_a_draft_leaves_the_outbox_alone(store):
    sub = store.save_record("submission", {"members": 1}, **FORM)
    assert store.pending_count() == 1 and store.last_seq() == 1
    draft = store.save_record(DRAFT, {"head_name": "Synthetic Draft", "phone": "067 000 00 61"}, **FORM)
    store.edit_record(draft, {"members": 4})
    store.edit_record(draft, {"phone": None})
    assert store.get_record(draft).fields == {"head_name": "Synthetic Draft", "phone": None, "members": 4}
    assert store.pending_count() == 1 and store.last_seq() == 1
    assert [c.record_id for c in store.pending_changes()] == [sub]
    store.delete_record(draft)
    assert store.pending_count() == 1 and store.last_seq() == 1
    # Still in the audit chain, add to delete.
    assert [e.action for e in store.audit_entries(draft)] == ["add", "edit", "edit", "delete"]
    # The record is gone, not a tombstone: nobody else has it to be told.
    with pytest.raises(UnknownRecord):
        store.get_record(draft)
    assert store._conn.execute("SELECT count(*) FROM records WHERE kind = 'draft'").fetchone()[0] == 0
    assert store._conn.execute("SELECT count(*) FROM changes WHERE kind = 'draft'").fetchone()[0] == 0
    assert store.verify().ok


def test_bulk_drafts_take_no_sequence_numbers_and_the_outbox_stays_gapless(store):
    store.save_record("submission", {"members": 1})
    drafts = store.save_records(DRAFT, [{"members": n} for n in range(5)])
    store.save_records("submission", [{"members": 2}, {"members": 3}])
    store.edit_record(drafts[0], {"members": 9})
    sub = store.save_record("submission", {"members": 4})
    store.edit_record(sub, {"members": 5})
    store.delete_record(drafts[1])
    assert [c.seq for c in store.pending_changes()] == [1, 2, 3, 4, 5]
    assert set(_kinds(store.pending_changes())) == {"submission"}
    assert [e.action for e in store.audit_entries(drafts[2])] == ["add"]
    # A draft's audit entry claims no outbox sequence, so verify still vouches for
    # every bodyless creation change by its own entry.
    assert store._conn.execute("SELECT count(*) FROM changes WHERE body IS NULL").fetchone()[0] == 3
    assert store.verify().ok


def test_draft_blind_index_tokens_go_with_the_draft(store):
    draft = store.save_record(DRAFT, {"phone": "067 000 00 62"})
    assert [r.id for r in store.find_records(DRAFT, "phone", "0670000062")] == [draft]
    store.edit_record(draft, {"phone": "067 000 00 63"})
    assert store.find_records(DRAFT, "phone", "0670000062") == []
    store.delete_record(draft)
    assert store.find_records(DRAFT, "phone", "0670000063") == []
    assert store._conn.execute("SELECT count(*) FROM blind_index").fetchone()[0] == 0


def test_deleting_a_draft_removes_its_sealed_content_from_the_files(store, tmp_path):
    draft = store.save_record(DRAFT, {"note": "x" * 300})
    store.edit_record(draft, {"note": "y" * 300})
    body = store._conn.execute("SELECT body FROM records WHERE id = ?", (draft,)).fetchone()[0]
    store.delete_record(draft)
    store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    probe = bytes(body[20:60])  # ciphertext bytes of the last version
    for path in (tmp_path / "profile").rglob("*"):
        if path.is_file():
            assert probe not in path.read_bytes(), path.name


def test_finalising_a_draft_sends_exactly_the_submission(store):
    draft = store.save_record(DRAFT, {"head_name": "Synthetic Final", "members": 2}, **FORM)
    store.edit_record(draft, {"members": 3})
    with store.atomic():  # as the form screen finalises
        sub = store.save_record("submission", {"head_name": "Synthetic Final", "members": 3}, **FORM)
        store.delete_record(draft)
    [change] = store.pending_changes()
    assert (change.seq, change.record_id, change.kind, change.deleted) == (1, sub, "submission", False)
    assert change.fields == {"head_name": "Synthetic Final", "members": 3}


def test_a_draft_change_from_another_replica_is_skipped_in_sequence(make_store):
    here = make_store("here")
    peer = "0a0b0c0d0e0f0001"
    rid = "01a2053c-99bd-72e6-9174-000000000071"
    other = "01a2053c-99bd-72e6-9174-000000000072"
    change = {"device_id": peer, "seq": 1, "record_id": rid, "kind": DRAFT, **FORM, "hlc": "01a2053c99bd0000",
              "deleted": False, "fields": {"head_name": "Synthetic Foreign Draft"}, "bases": {}}
    after = {**change, "seq": 2, "record_id": other, "kind": "submission", "fields": {"members": 1}}
    result = here.apply_changes([change, after], merge=merge_change)
    assert (result.ignored, result.new) == (1, 1)
    assert here.peer_seqs() == {peer: 2}
    with pytest.raises(UnknownRecord):
        here.get_record(rid)
    assert here.get_record(other).fields == {"members": 1}
    # Nor can a peer's change of another kind reach a local draft of the same id.
    mine = here.save_record(DRAFT, {"members": 1})
    forged = {**after, "seq": 3, "record_id": mine, "fields": {"members": 7}}
    here.apply_changes([forged], merge=merge_change)
    assert here.get_record(mine).fields == {"members": 1} and here.pending_count() == 0


def test_a_sync_with_the_hub_never_carries_a_draft(laptops, hub):
    a, b = laptops("a"), laptops("b")
    draft = a.store.save_record(DRAFT, {"head_name": "Synthetic Unfinished"}, **FORM)
    sub = a.store.save_record("submission", {"head_name": "Synthetic Finished"}, **FORM)
    a.store.edit_record(draft, {"members": 2})
    assert a.store.pending_count() == 1
    r = a.sync_now()
    assert r.pushed == 1 and r.refused == [] and a.store.pending_count() == 0
    assert set(hub.records()) == {sub}
    assert [row[0] for row in hub.db.execute("SELECT kind FROM changes")] == ["submission"]
    assert [row[0] for row in hub.db.execute("SELECT last_seq FROM devices WHERE device_id = ?", (a.store.device_id,))] == [1]
    # Autosaves after the sync send nothing either.
    a.store.edit_record(draft, {"members": 3})
    assert a.store.pending_count() == 0 and a.sync_now().pushed == 0
    b.sync_now()
    assert [r.id for r in b.store.list_records(include_deleted=True)] == [sub]
    assert a.store.get_record(draft).fields["members"] == 3  # and it is still here


def test_a_usb_bundle_never_carries_a_draft(laptops, hub, tmp_path):
    a = laptops("a")
    a.store.save_record(DRAFT, {"head_name": "Synthetic Unfinished"}, **FORM)
    sub = a.store.save_record("submission", {"members": 2}, **FORM)
    assert a.export_bundle(tmp_path / "a.fbb") == 1
    _, request, _ = hub.open_incoming(read_bundle_file(tmp_path / "a.fbb"))
    assert [(c["kind"], c["record_id"], c["seq"]) for c in request.changes] == [("submission", sub, 1)]
    # A bundle with only drafts waiting carries no change at all.
    only_drafts = laptops("b")
    only_drafts.store.save_record(DRAFT, {"members": 1})
    assert only_drafts.export_bundle(tmp_path / "b.fbb") == 0


def test_the_hub_refuses_a_draft_from_an_older_laptop(laptops, hub):
    a = laptops("a")
    team = hub._device(a.store.device_id)[0]
    change = {"device_id": a.store.device_id, "seq": 1, "record_id": "01a2053c-99bd-72e6-9174-000000000081",
              "kind": DRAFT, **FORM, "hlc": "01a2053c99bd0000", "deleted": False, "fields": {"members": 1}, "bases": {}}
    sub = {**change, "seq": 2, "record_id": "01a2053c-99bd-72e6-9174-000000000082", "kind": "submission"}
    result = hub.push(a.store.device_id, team, [change, sub])
    assert result.refused == [{"seq": 1, "reason": "local-only kind"}] and result.acked == 2
    assert set(hub.records()) == {sub["record_id"]}


def test_canary_values_in_drafts_never_reach_a_file(make_store, tmp_path):
    store = make_store()
    person = {"head_name": CANARIES[1], "alias": CANARIES[0], "phone": CANARIES[2], "id_number": CANARIES[3]}
    draft = store.save_record(DRAFT, person, **FORM)
    store.edit_record(draft, {"email": CANARIES[4]})
    assert store.find_records(DRAFT, "phone", CANARIES[2])
    with store.atomic():
        store.save_record("submission", {**person, "email": CANARIES[4]}, **FORM)
        store.delete_record(draft)
    assert store.verify().ok
    assert scan(tmp_path / "profile") == []
    store.close()
    assert scan(tmp_path / "profile") == []


# --- schema 0007: drafts queued by an older Fieldbook are withdrawn ---------------------------
def _v5_ids() -> dict:
    return json.loads((FIXTURE_V5 / "README.txt").read_text().split("Ids: ", 1)[1])


@pytest.fixture
def v5_profile(tmp_path) -> Path:
    target = tmp_path / "v5"
    shutil.copytree(FIXTURE_V5, target)
    return target


def test_fixture_is_really_version_5_with_queued_drafts(v5_profile):
    conn = sqlite3.connect(v5_profile / "store.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 5
    rows = conn.execute("SELECT seq, kind, acked FROM changes ORDER BY seq").fetchall()
    assert [r[1] for r in rows] == ["submission", "draft", "draft", "submission", "draft", "draft", "draft", "submission", "draft"]
    assert [r[0] for r in rows if r[2]] == [1, 2]
    assert conn.execute("SELECT count(*) FROM conflicts WHERE kind = 'draft'").fetchone()[0] == 1
    conn.close()


def test_migration_0007_withdraws_queued_drafts_and_never_reuses_their_numbers(v5_profile, laptops, hub):
    ids = _v5_ids()
    store = Store.open(v5_profile)
    assert "0007_local_drafts" in [r[0] for r in store._conn.execute("SELECT name FROM _sqlite_migrations")]
    store.unlock(PASSPHRASE_V5)
    conn = store._conn
    # Only the submissions' unsent changes are left; the drafts' sealed change bodies went with their rows.
    changes = store.pending_changes()
    assert [(c.seq, c.record_id) for c in changes] == [(4, ids["s2"]), (8, ids["s1"])]
    assert changes[0].fields == {"head_name": "Synthetic Submitted", "members": 1}  # the bodyless creation still reads
    assert conn.execute("SELECT count(*) FROM changes WHERE kind = 'draft'").fetchone()[0] == 0
    assert store.pending_count() == 2
    # Numbers are never handed out again (the hub may hold a withdrawn one), and progress keeps its floor.
    assert store.last_seq() == 9 and store.acknowledged_seq() == 2
    # Drafts stay, readable and local; the discarded one's tombstone and the draft conflict are gone.
    drafts = {r.id: r for r in store.list_records(DRAFT, include_deleted=True)}
    assert set(drafts) == {ids["d1"], ids["d2"], ids["d4"], ids["peer_draft"]}
    assert drafts[ids["d2"]].fields["head_name"] == "Синтетична Чернетка"
    assert conn.execute("SELECT count(*) FROM records WHERE kind = 'draft' AND outbox_seq IS NOT NULL").fetchone()[0] == 0
    assert store.conflicts(include_resolved=True) == []
    assert store.verify().ok
    # From now on drafts are local: finalising d2 queues the submission alone, at seq 10.
    with store.atomic():
        new = store.save_record("submission", {"head_name": "Синтетична Чернетка", "members": 2}, **FORM)
        store.delete_record(ids["d2"])
    store.edit_record(ids["d4"], {"members": 1})
    assert [c.seq for c in store.pending_changes()] == [4, 8, 10]
    assert store.verify().ok

    # The hub takes the sequence with the holes where the drafts were, and acknowledges all of it.
    from sync.client import SyncClient
    from tests.sync_helpers import HubTransport

    client = SyncClient(store, transport=HubTransport(hub))
    client.enroll("http://hub.test", hub.new_enroll_code("team-a"))
    r = client.sync_now()
    assert store.pending_count() == 0 and r.refused == []
    assert set(hub.records()) == {ids["s1"], ids["s2"], new}
    assert store.acknowledged_seq() == 10
    store.close()
