"""The whole sync stack on this machine, as ``self-test`` runs it."""
from __future__ import annotations

import tempfile
from pathlib import Path

from storage import Store, crypto
from sync.client import SyncClient
from sync.errors import SyncError
from sync.server.embedded import EmbeddedServer
from sync.server.hub import Hub
from sync.server.settings import Settings


def sync_stack(report) -> None:
    """The whole sync stack on this machine: a real server on loopback, two laptops,
    HTTP push and pull, and a USB bundle both ways."""
    with tempfile.TemporaryDirectory(prefix="fieldbook-selftest-") as tmp:
        base = Path(tmp)
        hub = Hub(Settings(data_dir=base / "hub"))
        stores = []
        try:
            with EmbeddedServer(hub) as server:
                report(f"server on {server.url} (SQLite), key fingerprint {hub.public_keys().fingerprint()}")
                clients = []
                for name in ("a", "b"):
                    store, _ = Store.create(base / name, user="Self Test", passphrase="self-test passphrase",
                                            kdf=crypto.fast_kdf_for_tests())
                    stores.append(store)
                    client = SyncClient(store)
                    client.enroll(server.url, hub.new_enroll_code("self-test"))
                    clients.append(client)
                a, b = clients
                rid = a.store.save_record("household", {"head_name": "Тест Синтетичний", "members": 3})
                pushed, pulled = a.sync_now().pushed, b.sync_now().pulled
                if (pushed, pulled) != (1, 1) or b.store.get_record(rid).fields["members"] != 3:
                    raise SyncError(f"self-test: push/pull moved {pushed}/{pulled} changes instead of 1/1")
                report("enrolled two laptops; a record went up from one and down to the other over HTTP")
                b.store.edit_record(rid, {"members": 4})
                b.export_bundle(base / "b.fbb")
                result, _ = hub.receive((base / "b.fbb").read_bytes())
                data, _ = hub.reply_bundle(a.store.device_id)
                (base / "a.fbb").write_bytes(data)
                got = a.import_bundle(base / "a.fbb")
                if result.new != 1 or got.new != 1 or a.store.get_record(rid).fields["members"] != 4:
                    raise SyncError("self-test: the USB bundle round trip did not carry the edit")
                report("sealed a USB bundle to the hub and a return bundle back; the edit arrived")
        finally:
            for store in stores:
                store.close()
            hub.close()
