"""Canary scan after sync: no plaintext value on either laptop, in the server's data
folder (database, WAL, keys, logs), in USB bundles or in the logs."""
from __future__ import annotations

import logging

from sync.client import SyncClient, read_bundle_file
from sync.server.cli import _attach_log
from tests.unit.test_privacy import CANARIES, scan


def test_sync_paths_write_no_plaintext(make_store, live, tmp_path):
    _attach_log(live.hub.settings.data_dir)
    a = SyncClient(make_store("a"))
    a.enroll(live.url, live.hub.new_enroll_code("north"))
    b = SyncClient(make_store("b"))
    b.enroll(live.url, live.hub.new_enroll_code("north"))
    rid = a.store.save_record("household", {"head_name": CANARIES[0], "phone": CANARIES[2], "id_number": CANARIES[3]})
    a.sync_now(); b.sync_now()
    a.store.edit_record(rid, {"note": CANARIES[1]})
    b.store.edit_record(rid, {"note": CANARIES[4]})  # a conflict: one canary becomes a sealed conflict value
    a.sync_now(); b.sync_now(); a.sync_now()
    assert a.store.conflicts() and b.store.conflicts() and live.hub.conflicts()
    usb = tmp_path / "usb"
    usb.mkdir()
    b.store.edit_record(rid, {"household_head": CANARIES[1]})
    b.export_bundle(usb / "b.fbb")
    live.hub.receive(read_bundle_file(usb / "b.fbb"))
    data, _ = live.hub.reply_bundle(a.store.device_id)
    (usb / "a.fbb").write_bytes(data)
    a.import_bundle(usb / "a.fbb")
    for h in logging.getLogger("fieldbook").handlers:
        h.flush()
    logger = logging.getLogger("fieldbook")
    for h in list(logger.handlers):
        if str(getattr(h, "baseFilename", "")).startswith(str(live.hub.settings.data_dir)):
            h.close()
            logger.removeHandler(h)
    assert (live.hub.settings.data_dir / "logs" / "server.log").exists()
    for where in (a.store.directory, b.store.directory, live.hub.settings.data_dir, usb):
        assert scan(where) == [], where
    # control: the scan does see a canary when one is there
    (usb / "control.txt").write_text(CANARIES[1])
    assert scan(usb)
